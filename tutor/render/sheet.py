"""What a worksheet and its answer key say, as a small document tree every format lays out.

:func:`sheet_document` turns a :class:`~tutor.worksheet.Sheet` into blocks (headings,
paragraphs, tables, numbered steps, answer lines) made of segments (plain text, a formula, a
partial-derivative symbol, a number).  The Markdown, LaTeX, HTML and PDF renderers each print
these blocks their own way, so the four formats always say the same thing.  Nothing here
computes mathematics: every expression and number comes from the worksheet.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal

import sympy

from ..worksheet import DECIMALS, Problem, Sheet
from .notation import RULE_NAMES


# -- segments ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Math:
    """A formula; ``lhs`` (optional) is shown before an equals sign."""

    expr: object
    lhs: object = None
    rewrite: bool = False  # "= expr" (a rewrite step)


@dataclass(frozen=True)
class Partial:
    """∂f/∂w, with the function's LaTeX name and its plain name."""

    name: str
    latex: str
    wrt: sympy.Symbol


@dataclass(frozen=True)
class Name:
    """A function's name: plain (σ, ŷ, s1) and LaTeX (\\sigma, \\hat{y}, s_{1})."""

    plain: str
    latex: str


@dataclass(frozen=True)
class Num:
    value: sympy.Expr


@dataclass(frozen=True)
class Code:
    """Text to type literally (an answer line)."""

    text: str


# -- blocks --------------------------------------------------------------------------------
@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    segments: list


@dataclass
class Table:
    header: list
    rows: list  # each row: list of cells, each cell a list of segments


@dataclass
class Steps:
    #: (number, depth, segments, rule name)
    items: list
    #: the number of a step to mark (in the key of a "spot the mistake" problem)
    marked: int = 0


@dataclass
class AnswerLine:
    label: str


@dataclass
class Problem_:
    number: int
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    variant: str
    is_key: bool
    intro: list
    problems: list
    names: dict = field(default_factory=dict)


# -- numbers -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=100_000)
def number_text(value: sympy.Expr, decimals: int = DECIMALS + 1) -> str:
    """An exact short decimal as it is (0.125, −3), other numbers to ``decimals`` places."""
    value = sympy.sympify(value)
    if value.is_Rational:
        d = Decimal(int(value.p)) / Decimal(int(value.q))
        text = format(d.normalize(), "f")
        if "." in text and len(text.split(".")[1]) > 8:
            text = f"{float(value):.{decimals}f}"
    else:
        text = f"{float(value):.{decimals}f}"
    if text in ("-0", "-0.0") or set(text) <= set("-0."):
        text = text.lstrip("-")
    return text.replace("-", "−")


ETA = Name("η", r"\eta")


# -- the document --------------------------------------------------------------------------
ANSWER_HELP = ("Write your answers in a plain text file, one line per problem, numbered like "
               "the problems (for example “3: 0.125”). Give numbers exactly or to "
               f"{DECIMALS} decimal places; several numbers separated by commas, in the order "
               "asked. Write expressions as you would type them, e.g. "
               "“sigmoid(z)*(1 - sigmoid(z))” or “2*x*(w*x - y)”.")


_DOCS: dict = {}


def sheet_document(sheet: Sheet, *, key: bool = False) -> Document:
    """The document of a sheet or its key; the last few are remembered, since every format
    lays out the same document."""
    found = _DOCS.get((id(sheet), key))
    if found is not None and found[0] is sheet:
        return found[1]
    doc = _sheet_document(sheet, key)
    if len(_DOCS) >= 8:
        _DOCS.clear()
    _DOCS[(id(sheet), key)] = (sheet, doc)
    return doc


def _sheet_document(sheet: Sheet, key: bool) -> Document:
    titles = []
    for p in sheet.problems:
        if p.lesson_title not in titles:
            titles.append(p.lesson_title)
    title = ("Answer key" if key else "Worksheet") + f" {sheet.id}"
    subtitle = ", ".join(titles)
    intro = ([f"Answers and worked steps for variant {sheet.id} (seed {sheet.seed})."] if key
             else [ANSWER_HELP])
    problems = []
    for p in sheet.problems:
        item = Problem_(p.number, f"{p.title} — {p.lesson_title}")
        item.blocks += _statement(p, key)
        item.blocks += _key(p) if key else [AnswerLine(f"{p.number}:")]
        problems.append(item)
    return Document(title, subtitle, sheet.id, key, intro, problems)


def _function_segments(p: Problem) -> list:
    return [Math(p.function, lhs=Name(p.function_name, p.function_latex))]


def _where(p: Problem) -> list:
    if not p.where:
        return []
    segs = ["where "]
    for k, (sym, definition) in enumerate(p.where):
        if k:
            segs.append(", ")
        segs.append(Math(definition, lhs=sym))
    segs.append(".")
    return [Para(segs)]


def _assume(p: Problem) -> list:
    if not p.assumptions:
        return []
    segs = ["Assume "]
    for k, (lhs, rhs) in enumerate(p.assumptions):
        if k:
            segs.append(" and ")
        segs.append(Math(rhs, lhs=lhs))
    segs.append(" (the labels are one-hot).")
    return [Para(segs)]


def _given(pairs) -> list:
    segs = []
    for k, (sym, value) in enumerate(pairs):
        if k:
            segs.append(", ")
        segs.append(Math(value, lhs=sym))
    return segs


def _partial(p: Problem, wrt) -> Partial:
    return Partial(p.function_name, p.function_latex, wrt)


def _list_of(symbols) -> list:
    segs = []
    for k, s in enumerate(symbols):
        if k:
            segs.append(", ")
        segs.append(Math(s))
    return segs


def _statement(p: Problem, key: bool) -> list:
    blocks: list = []
    if p.kind == "derive":
        wrt = p.wrt[0]
        blocks.append(Para(["Let "] + _function_segments(p) + [". Find ", _partial(p, wrt),
                            " as an expression in the variables."]))
        blocks += _where(p) + _assume(p)
    elif p.kind == "evaluate":
        wrt = p.wrt[0]
        blocks.append(Para(["Let "] + _function_segments(p) + [". Evaluate ", _partial(p, wrt),
                            " at "] + _given(p.given) + ["."]))
        blocks += _where(p) + _assume(p)
    elif p.kind == "gd_step":
        blocks.append(Para(["The loss of one sample is "] + _function_segments(p) + ["."]))
        blocks += _where(p)
        n = len(p.batch)
        batch = "this sample" if n == 1 else f"these {n} samples"
        blocks.append(Para(["Start from "] + _given(p.given) + [
            ". Take one step of gradient descent with learning rate ",
            Math(p.learning_rate, lhs=ETA),
            f" on the {'loss of' if n == 1 else 'mean loss over'} {batch}. Give the new "]
            + _list_of(p.wrt) + [", in this order."]))
        blocks.append(Table([[Math(s)] for s in p.batch_symbols],
                            [[[Num(v)] for v in row] for row in p.batch]))
    elif p.kind == "backward":
        blocks.append(Para(["The computation graph of "] + _function_segments(p)
                           + [" at "] + _given(p.given) + [" is below, with the value of every "
                           "node. Fill in the adjoint ", Partial(p.function_name, p.function_latex,
                                                               sympy.Symbol("v")),
                           " of every node, from the output back to the variables. Give the "
                           "adjoints in the table’s order, separated by commas."]))
        blocks += _where(p)
        rows = []
        for node in p.nodes:
            definition = [Math(node.expression)] if node.expression is not None else ["variable"]
            adjoint = [Num(node.adjoint)] if key else [""]
            rows.append([[Math(node.symbol)], definition, [Num(node.value)], adjoint])
        blocks.append(Table([["node"], ["is"], ["value"], ["adjoint"]], rows))
    elif p.kind == "mistake":
        wrt = p.wrt[0]
        blocks.append(Para(["Exactly one step of this derivation of ", _partial(p, wrt),
                            " for "] + _function_segments(p)
                           + [" is wrong. Which one? Give its number."]))
        blocks += _where(p) + _assume(p)
        blocks.append(_steps(p.shown_steps, p.names, marked=p.wrong_step if key else 0))
    return blocks


def _steps(steps, names, marked: int = 0) -> Steps:
    items = []
    for k, (depth, step) in enumerate(steps, start=1):
        segs: list = []
        if step.is_rewrite:
            segs.append(Math(step.after, rewrite=True))
        else:
            segs.append(Math(step.after, lhs=_derivative(step.before, step.wrt)))
        for sym, expr in step.bindings:
            segs += ["  where ", Math(expr, lhs=sym)]
        items.append((k, depth, segs, RULE_NAMES.get(step.rule, step.rule)))
    return Steps(items, marked)


@functools.lru_cache(maxsize=50_000)
def _derivative(before, wrt):
    return sympy.Derivative(before, wrt)


def _key(p: Problem) -> list:
    blocks: list = []
    if p.kind == "derive":
        blocks.append(Para(["Answer: ", Math(p.expected_shown, lhs=_partial(p, p.wrt[0])), "."]))
        blocks.append(Para(["Worked steps:"]))
        blocks.append(_steps(p.derivation.steps(), p.names))
    elif p.kind == "evaluate":
        n = p.numbers[0]
        blocks.append(Para(["Answer: ", Num(n.value), "."]))
        blocks.append(Para(["The derivative is ", Math(p.expected_shown, lhs=_partial(p, p.wrt[0])),
                            "; at "] + _given(p.given) + [" it is ", Num(n.value), "."]))
        blocks.append(Para(["Worked steps:"]))
        blocks.append(_steps(p.derivation.steps(), p.names))
    elif p.kind == "gd_step":
        answer = []
        for k, n in enumerate(p.numbers):
            if k:
                answer.append(", ")
            answer.append(Num(n.value))
        blocks.append(Para(["Answer: "] + answer + ["."]))
        rows = []
        for (param, derivative, mean), n, (_, start) in zip(p.working, p.numbers, p.given):
            rows.append([[Math(param)], [Math(derivative)], [Num(mean)], [Num(start)],
                         [Num(n.value)]])
        mean = "the gradient" if len(p.batch) == 1 else "mean gradient"
        blocks.append(Para(["Each parameter moves against its gradient: new = old − ", ETA,
                            " × ", mean, "."]))
        blocks.append(Table([["parameter"], ["derivative of the loss"], [mean], ["old"], ["new"]],
                            rows))
    elif p.kind == "backward":
        answer = []
        for k, n in enumerate(p.numbers):
            if k:
                answer.append(", ")
            answer.append(Num(n.value))
        blocks.append(Para(["Answer: "] + answer + ["."]))
        blocks.append(Para(["The output’s adjoint is 1. Going backwards, each node’s adjoint is "
                            "the sum, over the nodes that use it, of their adjoint times their "
                            "local derivative; the variables’ adjoints are the gradient."]))
    elif p.kind == "mistake":
        step = p.correct_step
        blocks.append(Para([f"Answer: step {p.wrong_step}. {_sentence(p.mistake)}"]))
        correct = (Math(step.after, lhs=_derivative(step.before, step.wrt))
                   if not step.is_rewrite else Math(step.after, rewrite=True))
        blocks.append(Para(["The correct step: ", correct, ". The result: ",
                            Math(p.expected_shown, lhs=_partial(p, p.wrt[0])), "."]))
    return blocks


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""


@functools.lru_cache(maxsize=50_000)
def text(expr) -> str:
    """notation.text, remembered: the same steps recur in every variant's key."""
    from .notation import text as to_text

    return to_text(expr)


def _plain_math(expr) -> str:
    if isinstance(expr, Partial):
        return f"∂{_indexed(expr.name)}/∂{text(expr.wrt)}"
    if isinstance(expr, Name):
        return _indexed(expr.plain)
    if isinstance(expr, sympy.Derivative):
        inner = expr.expr
        d = "∂" if len(inner.free_symbols) > 1 else "d"
        body = text(inner)
        if not (inner.is_Atom or isinstance(inner, sympy.Function)):
            body = f"({body})"
        return f"{d}/{d}{text(expr.variables[0])} {body}"
    return text(expr)


def _indexed(name: str) -> str:
    """s2 → s₂ (a function's name in plain text)."""
    import re

    m = re.fullmatch(r"(.*?[A-Za-z])(\d+)", name)
    return m.group(1) + m.group(2).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")) if m else name


def plain(segments) -> str:
    """Segments as one line of Unicode text (for formats that typeset no formulas)."""
    out = []
    for s in segments:
        if isinstance(s, str):
            out.append(s)
        elif isinstance(s, Code):
            out.append(s.text)
        elif isinstance(s, Num):
            out.append(number_text(s.value))
        elif isinstance(s, (Partial, Name)):
            out.append(_plain_math(s))
        elif isinstance(s, Math):
            body = _plain_math(s.expr)
            if s.rewrite:
                body = "= " + body
            elif s.lhs is not None:
                body = f"{_plain_math(s.lhs)} = {body}"
            out.append(body)
    return "".join(out)

"""What a worksheet and its answer key say, as a small document tree every format lays out.

:func:`sheet_document` turns a :class:`~tutor.assessment.worksheet.Sheet` into blocks (headings,
paragraphs, tables, numbered steps, answer lines) made of segments (plain text, a formula, a
partial-derivative symbol, a number).  The Markdown, LaTeX, HTML and PDF renderers each print
these blocks their own way, so the four formats always say the same thing.  Nothing here
computes mathematics: every expression and number comes from the worksheet.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal

import sympy

from tutor.i18n import N_, _
from tutor.assessment.worksheet import DECIMALS, Problem, Sheet, punctuation
from tutor.renderers.notation import RULE_NAMES


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
ANSWER_HELP = N_("Write your answers in a plain text file, one line per problem, numbered like "
                 "the problems (for example “3: 0.125”). Give numbers exactly or to "
                 "{decimals} decimal places; several numbers separated by commas, in the order "
                 "asked. Write expressions as you would type them, e.g. "
                 "“sigmoid(z)*(1 - sigmoid(z))” or “2*x*(w*x - y)”.")

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, **parts) -> list:
    """A translated sentence as segments: the text between its ``{placeholders}``, and for
    each placeholder the segment (or list of segments) given for it.  The translation may put
    the placeholders in any order."""
    out: list = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        if m.start() > pos:
            out.append(template[pos:m.start()])
        part = parts[m.group(1)]
        out += part if isinstance(part, list) else [part]
        pos = m.end()
    if pos < len(template):
        out.append(template[pos:])
    return out


def _joined(items: list, sep: str | None = None) -> list:
    """Segments separated by a comma (in the current language)."""
    sep = punctuation(", ") if sep is None else sep
    out: list = []
    for k, item in enumerate(items):
        if k:
            out.append(sep)
        out += item if isinstance(item, list) else [item]
    return out


_DOCS: dict = {}


def sheet_document(sheet: Sheet, *, key: bool = False) -> Document:
    """The document of a sheet or its key; the last few are remembered, since every format
    lays out the same document."""
    from tutor.i18n import current_language

    where = (id(sheet), key, current_language())
    found = _DOCS.get(where)
    if found is not None and found[0] is sheet:
        return found[1]
    doc = _sheet_document(sheet, key)
    if len(_DOCS) >= 8:
        _DOCS.clear()
    _DOCS[where] = (sheet, doc)
    return doc


def _sheet_document(sheet: Sheet, key: bool) -> Document:
    titles = []
    for p in sheet.problems:
        if p.shown_lesson_title not in titles:
            titles.append(p.shown_lesson_title)
    title = (_("Answer key {id}") if key else _("Worksheet {id}")).format(id=sheet.id)
    subtitle = punctuation(", ").join(titles)
    intro = ([_("Answers and worked steps for variant {id} (seed {seed}).")
              .format(id=sheet.id, seed=sheet.seed)] if key
             else [_(ANSWER_HELP).format(decimals=DECIMALS)])
    problems = []
    for p in sheet.problems:
        item = Problem_(p.number, f"{p.title} — {p.shown_lesson_title}")
        item.blocks += _statement(p, key)
        item.blocks += _key(p) if key else [AnswerLine(f"{p.number}:")]
        problems.append(item)
    return Document(title, subtitle, sheet.id, key, intro, problems)


def _function_segments(p: Problem) -> list:
    return [Math(p.function, lhs=Name(p.function_name, p.function_latex))]


def _where(p: Problem) -> list:
    if not p.where:
        return []
    definitions = _joined([Math(definition, lhs=sym) for sym, definition in p.where])
    return [Para(fill(_("where {definitions}."), definitions=definitions))]


def _assume(p: Problem) -> list:
    if not p.assumptions:
        return []
    equations = _joined([Math(rhs, lhs=lhs) for lhs, rhs in p.assumptions], _(" and "))
    return [Para(fill(_("Assume {equations} (the labels are one-hot)."), equations=equations))]


def _given(pairs) -> list:
    return _joined([Math(value, lhs=sym) for sym, value in pairs])


def _partial(p: Problem, wrt) -> Partial:
    return Partial(p.function_name, p.function_latex, wrt)


def _list_of(symbols) -> list:
    return _joined([Math(s) for s in symbols])


def _statement(p: Problem, key: bool) -> list:
    blocks: list = []
    if p.kind == "derive":
        wrt = p.wrt[0]
        blocks.append(Para(fill(_("Let {function}. Find {derivative} as an expression in the "
                                  "variables."),
                                function=_function_segments(p), derivative=_partial(p, wrt))))
        blocks += _where(p) + _assume(p)
    elif p.kind == "evaluate":
        wrt = p.wrt[0]
        blocks.append(Para(fill(_("Let {function}. Evaluate {derivative} at {point}."),
                                function=_function_segments(p), derivative=_partial(p, wrt),
                                point=_given(p.given))))
        blocks += _where(p) + _assume(p)
    elif p.kind == "gd_step":
        blocks.append(Para(fill(_("The loss of one sample is {function}."),
                                function=_function_segments(p))))
        blocks += _where(p)
        n = len(p.batch)
        template = (_("Start from {start}. Take one step of gradient descent with learning rate "
                      "{rate} on the loss of this sample. Give the new {parameters}, in this "
                      "order.") if n == 1 else
                    _("Start from {start}. Take one step of gradient descent with learning rate "
                      "{rate} on the mean loss over these {n} samples. Give the new "
                      "{parameters}, in this order."))
        blocks.append(Para(fill(template.replace("{n}", str(n)), start=_given(p.given),
                                rate=Math(p.learning_rate, lhs=ETA),
                                parameters=_list_of(p.wrt))))
        blocks.append(Table([[Math(s)] for s in p.batch_symbols],
                            [[[Num(v)] for v in row] for row in p.batch]))
    elif p.kind == "backward":
        blocks.append(Para(fill(
            _("The computation graph of {function} at {point} is below, with the value of every "
              "node. Fill in the adjoint {adjoint} of every node, from the output back to the "
              "variables. Give the adjoints in the table’s order, separated by commas."),
            function=_function_segments(p), point=_given(p.given),
            adjoint=Partial(p.function_name, p.function_latex, sympy.Symbol("v")))))
        blocks += _where(p)
        rows = []
        for node in p.nodes:
            definition = ([Math(node.expression)] if node.expression is not None
                          else [_("variable")])
            adjoint = [Num(node.adjoint)] if key else [""]
            rows.append([[Math(node.symbol)], definition, [Num(node.value)], adjoint])
        blocks.append(Table([[_("node")], [_("is")], [_("value")], [_("adjoint")]], rows))
    elif p.kind == "mistake":
        wrt = p.wrt[0]
        blocks.append(Para(fill(_("Exactly one step of this derivation of {derivative} for "
                                  "{function} is wrong. Which one? Give its number."),
                                derivative=_partial(p, wrt), function=_function_segments(p))))
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
            segs += fill(_("  where {definition}"), definition=Math(expr, lhs=sym))
        items.append((k, depth, segs, _(RULE_NAMES[step.rule]) if step.rule in RULE_NAMES
                      else step.rule))
    return Steps(items, marked)


@functools.lru_cache(maxsize=50_000)
def _derivative(before, wrt):
    return sympy.Derivative(before, wrt)


def _key(p: Problem) -> list:
    blocks: list = []
    if p.kind == "derive":
        blocks.append(Para(fill(_("Answer: {answer}."),
                                answer=Math(p.expected_shown, lhs=_partial(p, p.wrt[0])))))
        blocks.append(Para([_("Worked steps:")]))
        blocks.append(_steps(p.derivation.steps(), p.names))
    elif p.kind == "evaluate":
        n = p.numbers[0]
        blocks.append(Para(fill(_("Answer: {answer}."), answer=Num(n.value))))
        blocks.append(Para(fill(_("The derivative is {derivative}; at {point} it is {value}."),
                                derivative=Math(p.expected_shown, lhs=_partial(p, p.wrt[0])),
                                point=_given(p.given), value=Num(n.value))))
        blocks.append(Para([_("Worked steps:")]))
        blocks.append(_steps(p.derivation.steps(), p.names))
    elif p.kind == "gd_step":
        answer = _joined([Num(n.value) for n in p.numbers])
        blocks.append(Para(fill(_("Answer: {answer}."), answer=answer)))
        rows = []
        for (param, derivative, mean), n, (_sym, start) in zip(p.working, p.numbers, p.given):
            rows.append([[Math(param)], [Math(derivative)], [Num(mean)], [Num(start)],
                         [Num(n.value)]])
        mean = _("the gradient") if len(p.batch) == 1 else _("mean gradient")
        blocks.append(Para(fill(_("Each parameter moves against its gradient: new = old − "
                                  "{eta} × {gradient}."), eta=ETA, gradient=mean)))
        blocks.append(Table([[_("parameter")], [_("derivative of the loss")], [mean], [_("old")],
                             [_("new")]], rows))
    elif p.kind == "backward":
        answer = _joined([Num(n.value) for n in p.numbers])
        blocks.append(Para(fill(_("Answer: {answer}."), answer=answer)))
        blocks.append(Para([_("The output’s adjoint is 1. Going backwards, each node’s adjoint "
                              "is the sum, over the nodes that use it, of their adjoint times "
                              "their local derivative; the variables’ adjoints are the "
                              "gradient.")]))
    elif p.kind == "mistake":
        step = p.correct_step
        blocks.append(Para([_("Answer: step {step}. {why}.").format(
            step=p.wrong_step, why=_sentence(p.explanation))]))
        correct = (Math(step.after, lhs=_derivative(step.before, step.wrt))
                   if not step.is_rewrite else Math(step.after, rewrite=True))
        blocks.append(Para(fill(_("The correct step: {step}. The result: {result}."),
                                step=correct,
                                result=Math(p.expected_shown, lhs=_partial(p, p.wrt[0])))))
    return blocks


def _sentence(text: str) -> str:
    """The explanation as the start of a sentence (capitalised; Chinese has no capitals)."""
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=50_000)
def text(expr) -> str:
    """notation.text, remembered: the same steps recur in every variant's key."""
    from tutor.renderers.notation import text as to_text

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

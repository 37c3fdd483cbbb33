"""Expressions written for people: Unicode for a terminal, LaTeX for documents.

``text(expr)`` gives one line such as ``e^(−z)/(1 + e^(−z))²`` or ``σ(z)·(1 − σ(z))``:
SymPy's own string form, re-spelled (``**`` as a power, ``*`` as ``·`` or nothing after a
number, exp as e^, small integer powers as superscripts, indices as subscripts).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

import sympy
from sympy.printing.precedence import precedence
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from tutor.calculus.steps import Step
from tutor.calculus.tokens import GREEK_LETTERS
from tutor.calculus.table import FUNCTIONS
from tutor.i18n import N_, _

_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

RULE_NAMES = {
    "constant": N_("constant"),
    "variable": N_("d/dx x = 1"),
    "sum": N_("sum rule"),
    "constant multiple": N_("constant factor"),
    "product": N_("product rule"),
    "quotient": N_("quotient rule"),
    "power": N_("power rule"),
    "exponential": N_("exponential"),
    "logarithmic": N_("log. differentiation"),
    "chain": N_("chain rule"),
    "trig": N_("trigonometric"),
    "inverse trig": N_("inverse trig."),
    "hyperbolic": N_("hyperbolic"),
    "inverse hyperbolic": N_("inverse hyperbolic"),
    "step": N_("step function"),
    "max": N_("max (kink)"),
    "min": N_("min (kink)"),
    "simplify": N_("simplify"),
    "recognise": N_("recognise"),
    "stages": N_("chain rule, stage by stage"),
    "assume": N_("assume"),
    # a function's own rule, as its declaration states it (σ′ = σ(1 − σ), …)
    **{f.rule: f.statement for f in FUNCTIONS if f.statement},
}


def _wide(ch: str) -> bool:
    """A CJK character or full-width punctuation: text in such scripts has no spaces."""
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


def paragraph(s: str) -> str:
    """A narrative written over several lines, as one line: lines are joined with a space,
    except where either side of the break is Chinese (or another script without spaces)."""
    out = ""
    for line in s.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if out and not (_wide(out[-1]) or _wide(line[0])):
            out += " "
        out += line
    return out


#: how the functions the tutor defines are shown: σ(z), ReLU(z), GELU(z)
DISPLAY = {f.name: f.display for f in FUNCTIONS if f.custom}


class _Printer(StrPrinter):
    def _print_Symbol(self, expr):
        name = expr.name
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
        if m:
            return m.group(1) + m.group(2).translate(_SUB)
        if re.fullmatch(r"[A-Za-z]hat", name):
            # one precomposed letter where Unicode has it (ŷ), so that columns line up
            return unicodedata.normalize("NFC", name[0] + "\u0302")
        return GREEK_LETTERS.get(name, name)  # kappa → κ, read back by the parser

    _print_Dummy = _print_Symbol

    def _print_Add(self, expr, order=None):
        # positive terms first: ŷ − y rather than −y + ŷ
        terms = self._as_ordered_terms(expr, order=order)
        terms = ([t for t in terms if not t.could_extract_minus_sign()]
                 + [t for t in terms if t.could_extract_minus_sign()])
        prec = precedence(expr)
        out = ""
        for k, term in enumerate(terms):
            piece = self._print(term)
            negative = piece.startswith("-")
            if negative:
                piece = piece[1:]
            if precedence(term) < prec or (negative and precedence(-term) < prec):
                piece = f"({piece})"
            if k == 0:
                out = ("-" if negative else "") + piece
            else:
                out += (" - " if negative else " + ") + piece
        return out

    def _print_exp(self, expr):
        return "e^" + self._group(expr.args[0])

    def _print_Function(self, expr):
        declared = DISPLAY.get(type(expr).__name__)
        if declared and len(expr.args) == 1:
            return declared + "(" + self._print(expr.args[0]) + ")"
        return super()._print_Function(expr)

    def _print_Heaviside(self, expr):
        arg = self._print(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        if at_zero == sympy.S.Half:
            return f"(1 + sign({arg}))/2"  # ½ where the argument is 0, as it is
        return f"[{arg} {'≥' if at_zero == 1 else '>'} 0]"

    def _print_Abs(self, expr):
        return "|" + self._print(expr.args[0]) + "|"

    def _print_Max(self, expr):
        # as typed: max(x, 2 − x), not SymPy's class name
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Exp1(self, expr):
        return "e"

    def _group(self, arg) -> str:
        s = self._print(arg)
        if isinstance(arg, (sympy.Symbol, sympy.Integer)) and not s.startswith("-"):
            return s
        return "(" + s + ")"


_PRINTER = _Printer({"order": None})


def _superscripts(s: str) -> str:
    # x**2 → x², x**(-1) stays as ^(−1); only plain small integers become superscripts
    s = re.sub(r"\*\*(\d)(?![\d.])", lambda m: m.group(1).translate(_SUPER), s)
    return s.replace("**", "^")


def text(expr) -> str:
    """One line of Unicode for a terminal."""
    s = _PRINTER.doprint(expr)
    s = _superscripts(s)
    s = re.sub(r"(?<![\w.])(\d+)\*(?=[A-Za-zŷσ(e|\[]|[^\W\d_])", r"\1", s)  # 2*x → 2x, 2*ŷ → 2ŷ
    s = s.replace("*", "·")
    s = s.replace("-", "−")
    return s


def latex(expr, names: dict | None = None) -> str:
    """LaTeX for documents and notebooks; ``names`` maps placeholder symbols to LaTeX."""
    # a family member's name such as s1 is written s_{1}, as SymPy writes a symbol s1
    names = {sym: re.sub(r"^([A-Za-z]+)(\d+)$", r"\1_{\2}", tex) for sym, tex in (names or {}).items()}
    return _LatexPrinter({"symbol_names": names}).doprint(expr)


class _LatexPrinter(LatexPrinter):
    r"""SymPy's LaTeX, with the step function written as the tutor writes it in text: the
    Iverson bracket [z > 0] (or [z ≥ 0]), which the parser reads back, and |z| as
    \lvert z\rvert (unambiguous delimiters, read back too)."""

    def _print_Abs(self, expr, exp=None):
        body = r"\left\lvert %s \right\rvert" % self._print(expr.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)

    def _print_Heaviside(self, expr, exp=None):
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        if at_zero == sympy.S.Half:
            body = r"\frac{1 + \operatorname{sign}\left(%s\right)}{2}" % self._print(expr.args[0])
            return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)
        body = r"\left[%s %s 0\right]" % (self._print(expr.args[0]),
                                           r"\geq" if at_zero == 1 else ">")
        return body if exp is None else r"%s^{%s}" % (body, exp)


HIDDEN_RULES = {"constant", "variable"}


def operand(expr) -> str:
    """An expression after d/dx, in parentheses when it is a sum, a product or negative."""
    import sympy

    s = text(expr)
    if isinstance(expr, (sympy.Add, sympy.Mul)) and not s.startswith("1/"):
        return f"({s})"
    if s.startswith("−") or s.startswith("-"):  # d/dz (−2), not d/dz −2
        return f"({s})"
    return s


def bare(expr) -> bool:
    """Whether an expression after d/dx in a document needs no parentheses: a symbol, a number
    that is not negative, a function's value (σ(z), e^z); d/dz (−2), d/dz (u²)."""
    import sympy

    if isinstance(expr, sympy.Function):
        return True
    return bool(expr.is_Atom) and not text(expr).startswith(("−", "-"))


def visible_steps(d) -> list[tuple[int, Step]]:
    """The steps every format shows and numbers: all but the trivial ones inside (a constant's
    derivative 0, d/dx x = 1), which the terminal shows only with --all-steps."""
    return [(depth, step) for depth, step in d.steps()
            if not (depth > 0 and step.rule in HIDDEN_RULES)]


def step_lines(steps: Iterable[tuple[int, Step]], *, all_steps: bool = False):
    """(number, indent, statement, rule, notes) for the steps a reader should see."""
    shown = []
    for depth, step in steps:
        if not all_steps and depth > 0 and step.rule in HIDDEN_RULES:
            continue
        indent = "  " * depth
        if step.is_rewrite:
            statement = "= " + text(step.after)
        else:
            statement = f"d/d{text(step.wrt)} {operand(step.before)} = {text(step.after)}"
        notes = [chain_text(step)] if step.paths else []
        notes += [f"{text(sym)} = {text(expr)}" for sym, expr in step.bindings]
        if step.note:
            notes.append(step.note)
        shown.append((indent, statement, _(RULE_NAMES.get(step.rule, step.rule)), notes))
    return [(i + 1, *row) for i, row in enumerate(shown)]


def chain_text(step: Step) -> str:
    """The chain rule through the stages, ∂L/∂w₁₁ = ∂L/∂ŷ·∂ŷ/∂h₁·∂h₁/∂z₁·∂z₁/∂w₁₁ (a sum over
    the paths when there are several)."""
    def partial(a, b):
        return f"∂{text(a)}/∂{text(b)}"

    top, wrt = step.paths[0][0], step.paths[0][-1]
    return f"{partial(top, wrt)} = " + " + ".join(
        "·".join(partial(a, b) for a, b in zip(path, path[1:])) for path in step.paths)


def chain_latex(step: Step, names=None) -> str:
    """:func:`chain_text` in LaTeX, with fractions."""
    def partial(a, b):
        return rf"\frac{{\partial {latex(a, names)}}}{{\partial {latex(b, names)}}}"

    top, wrt = step.paths[0][0], step.paths[0][-1]
    return f"{partial(top, wrt)} = " + " + ".join(
        r" \cdot ".join(partial(a, b) for a, b in zip(path, path[1:])) for path in step.paths)


def function_label(lesson) -> str:
    """σ(z), L(w, b): the function's name with its variables, when there are few."""
    variables = sorted(lesson.outputs[0].free_symbols, key=lambda s: s.name)
    if 1 <= len(variables) <= 4:
        return f"{lesson.function_name}({', '.join(text(v) for v in variables)})"
    return lesson.function_name


def display_name(name: str) -> str:
    import re

    m = re.fullmatch(r"(.*?)(\d+)", name)
    if m:
        return m.group(1) + m.group(2).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    return name

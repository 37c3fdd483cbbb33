"""Expressions in Maxima's syntax, the computer algebra behind Moodle's STACK questions.

``maxima(expr)`` writes an expression with elementary functions: the named functions of
machine learning are written out first (σ(u) as ``1/(1 + exp(-u))``, softplus(u) as
``log(1 + exp(u))``, ReLU(u) as ``max(0, u)``), powers with ``^``, e and π as ``%e`` and
``%pi``, and each function as its entry in :data:`tutor.calculus.table.FUNCTIONS` says Maxima
writes it: |u| as ``abs(u)``, sign as ``signum(u)``, the step [u > 0] (the derivative of a
ReLU, 0 at its kink as everywhere in the tutor) as ``charfun(u > 0)``.
"""

from __future__ import annotations

import functools
import re

import sympy
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from tutor.calculus.functions import elementary
from tutor.errors import TutorError
from tutor.i18n import _

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: names that mean something else to Maxima or to a STACK answer box: keywords, constants
RESERVED = frozenset((
    "and", "or", "not", "do", "for", "from", "step", "thru", "while", "unless", "if", "then",
    "else", "elseif", "in", "true", "false", "pi", "e", "i", "inf", "minf", "infinity", "ind",
    "und", "zeroa", "zerob", "done", "all", "none",
))


@functools.lru_cache(maxsize=1)
def _forms() -> dict[str, str]:
    """SymPy's class name → Maxima's form of f(u), for every function of the table that
    SymPy itself has (the tutor's own ones are written out before printing)."""
    from tutor.calculus.table import FUNCTIONS

    return {f.sympy.__name__: f.maxima_form for f in FUNCTIONS if not f.custom}


class MaximaPrinter(StrPrinter):
    printmethod = "_maxima"

    def _print_Symbol(self, expr):
        if not _NAME.fullmatch(expr.name) or expr.name in RESERVED:
            raise TutorError(_("the name {name} cannot be written for Maxima (use letters, "
                               "digits and _, and not a word Maxima reserves)")
                             .format(name=repr(expr.name)))
        return expr.name

    def _print_Exp1(self, expr):
        return "%e"

    def _print_Pi(self, expr):
        return "%pi"

    def _print_ImaginaryUnit(self, expr):
        return "%i"

    def _print_Infinity(self, expr):
        return "inf"

    def _print_NegativeInfinity(self, expr):
        return "minf"

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)

    def _print_Float(self, expr):
        text = sympy.sstr(expr, full_prec=False)
        return text if re.search(r"[.e]", text) else text + ".0"

    def _print_Pow(self, expr, rational=False):
        base, e = expr.args
        if e is sympy.S.Half:
            return f"sqrt({self._print(base)})"
        if e.is_Rational and e.is_negative:
            positive = self._print(sympy.Pow(base, -e, evaluate=False))
            if -e != 1:
                positive = f"({positive})"
            elif precedence(base) < PRECEDENCE["Atom"] or base.is_Rational:
                positive = self.parenthesize(base, PRECEDENCE["Atom"])
            return f"1/{positive}"
        plain = base.is_Symbol or base.is_Function or (base.is_Integer and base >= 0)
        shown_base = self._print(base) if plain else self.parenthesize(base, PRECEDENCE["Atom"])
        shown_e = self._print(e)
        if not (e.is_Symbol or (e.is_Integer and e >= 0)):
            shown_e = f"({shown_e})"
        return f"{shown_base}^{shown_e}"

    def _print_Heaviside(self, expr):
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        arg = self._print(expr.args[0])
        if at_zero == 0:  # the tutor's step, [u > 0]
            return _forms()["Heaviside"].format(arg)
        if at_zero == 1:
            return f"charfun({arg} >= 0)"
        return f"(1 + signum({arg}))/2"

    def _print_Function(self, expr):
        form = _forms().get(expr.func.__name__)
        if form is None or len(expr.args) != 1:
            raise TutorError(_("the function {name} cannot be written for Maxima")
                             .format(name=expr.func.__name__))
        return form.format(self._print(expr.args[0]))

    def _print_MinMaxBase(self, expr):
        name = "max" if isinstance(expr, sympy.Max) else "min"
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    _print_Max = _print_Min = _print_MinMaxBase

    def _print_Relational(self, expr):
        return f"{self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)}"


def maxima(expr: sympy.Expr) -> str:
    """``expr`` in Maxima's syntax, with elementary functions only."""
    if not isinstance(expr, sympy.Basic):
        expr = sympy.Float(expr) if isinstance(expr, float) else sympy.Integer(expr)
    return MaximaPrinter({"order": "none"}).doprint(elementary(expr))

"""The differentiation rules, one small function each, and the table of known functions.

:class:`Differentiator` walks an expression and returns a tree of :class:`~tutor.calculus.steps.Step`.
Structural rules (sum, constant multiple, product, quotient, power, …) are registered in
``STRUCTURAL`` in the order they are tried; functions of one argument (exp, log, tanh, σ, …)
are one entry each in ``OUTER``: the derivative of f(u) by u, and, for functions with a kink,
a sentence saying so.  Adding a function or a rule touches one place.

Every step is checked against ``sympy.diff`` as it is made (:func:`tutor.calculus.verify.same_value`);
a step that fails the check is a bug in a rule and raises :class:`StepCheckError`.
There is no fallback: an expression no rule covers raises :class:`NoRuleError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy import Add, Heaviside, Max, Min, Mul, Pow, S, exp, log

from tutor.errors import TutorError
from tutor.i18n import _
from tutor.calculus.table import FUNCTIONS
from tutor.calculus.steps import Step
from tutor.calculus.verify import same_value


class NoRuleError(TutorError):
    """The expression contains something no differentiation rule here handles."""


class StepCheckError(AssertionError):
    """A rule produced a step that SymPy says is wrong: a bug in the rule."""


@dataclass(frozen=True)
class Outer:
    """d/du f(u) for one known function f."""

    rule: str
    derivative: Callable[[sympy.Expr], sympy.Expr]
    note: str = ""


#: the outer rule of every function the tutor knows, from its one declaration
OUTER: dict[type, Outer] = {f.sympy: Outer(f.rule, f.outer, f.note) for f in FUNCTIONS}

_FRESH = ("u", "v", "p", "q", "r")


class Differentiator:
    """Differentiates by one symbol, recording a checked step for every rule applied."""

    def __init__(self, wrt: sympy.Symbol, *, check: bool = True):
        self.wrt = wrt
        self.check = check
        self._fresh = 0
        self._taken: set[str] = set()

    # -- entry point ---------------------------------------------------------------------
    def derive(self, expr: sympy.Expr) -> Step:
        self._taken |= {s.name for s in expr.free_symbols}
        return self.step(expr)

    def step(self, expr: sympy.Expr) -> Step:
        for applies, rule in STRUCTURAL:
            if applies(self, expr):
                made = rule(self, expr)
                if self.check:
                    self._verify(made)
                return made
        raise NoRuleError(f"no differentiation rule for {expr} (a {type(expr).__name__})")

    # -- helpers used by the rules ---------------------------------------------------------
    def const(self, expr: sympy.Expr) -> bool:
        return not expr.has(self.wrt)

    def fresh(self) -> sympy.Symbol:
        while True:
            i = self._fresh
            self._fresh += 1
            base = _FRESH[i % len(_FRESH)]
            name = base if i < len(_FRESH) else f"{base}{i // len(_FRESH) + 1}"
            if name not in self._taken:
                self._taken.add(name)
                return sympy.Symbol(name, real=True)

    def make(self, rule: str, before, after, substeps=(), bindings=(), note="", wrt=None) -> Step:
        return Step(rule, before, after, self.wrt if wrt is None else wrt, tuple(substeps),
                    tuple(bindings), note)

    def _verify(self, step: Step) -> None:
        truth = sympy.diff(step.before, step.wrt)
        try:
            same = same_value(step.after, truth)
        except ValueError:  # neither side has a real value anywhere: nothing to show
            raise TutorError(_("the derivative by {wrt} has no real value at any point (a "
                               "part of it is never a real number)").format(wrt=step.wrt)) \
                from None
        if not same:
            raise StepCheckError(
                f"rule '{step.rule}' gave d/d{step.wrt} {step.before} = {step.after}, "
                f"but SymPy finds {truth}"
            )

    def chain(self, expr: sympy.Expr, inner: sympy.Expr, outer_of: Callable[[sympy.Symbol], Step]) -> Step:
        """f(g(x)): the outer derivative at u = g(x), times the inner derivative g'(x)."""
        u = self.fresh()
        outer = outer_of(u)
        if self.check:
            self._verify(outer)
        inner_step = self.step(inner)
        after = outer.after.subs(u, inner) * inner_step.after
        return self.make("chain", expr, after, (outer, inner_step), ((u, inner),))


# -- structural rules, tried in order ------------------------------------------------------
def _constant(d: Differentiator, expr):
    return d.make("constant", expr, S.Zero)


def _variable(d: Differentiator, expr):
    return d.make("variable", expr, S.One)


def _sum(d: Differentiator, expr):
    subs = [d.step(term) for term in expr.args]
    return d.make("sum", expr, Add(*[s.after for s in subs]), subs)


def _constant_multiple(d: Differentiator, expr):
    coeff, rest = expr.as_independent(d.wrt, as_Add=False)
    sub = d.step(rest)
    return d.make("constant multiple", expr, coeff * sub.after, (sub,))


def _split_fraction(d: Differentiator, expr):
    """numerator and denominator factors of a product, by the sign of their exponents."""
    num, den = [], []
    for f in expr.args:
        if isinstance(f, Pow) and f.exp.is_number and f.exp.is_negative and not d.const(f.base):
            den.append(Pow(f.base, -f.exp))
        else:
            num.append(f)
    return Mul(*num), Mul(*den)


def _is_quotient(d: Differentiator, expr) -> bool:
    if not isinstance(expr, Mul):
        return False
    num, den = _split_fraction(d, expr)
    return den != 1 and not d.const(num)


def _quotient(d: Differentiator, expr):
    num, den = _split_fraction(d, expr)
    dn, dd = d.step(num), d.step(den)
    after = (dn.after * den - num * dd.after) / den**2
    return d.make("quotient", expr, after, (dn, dd), note="(n′·d − n·d′) / d²")


def _product(d: Differentiator, expr):
    factors = list(expr.args)
    subs = [d.step(f) for f in factors]
    terms = []
    for i, s in enumerate(subs):
        others = Mul(*(factors[:i] + factors[i + 1:]))
        terms.append(s.after * others)
    return d.make("product", expr, Add(*terms), subs)


def _power(d: Differentiator, expr):
    base, n = expr.args
    if base == d.wrt:
        return d.make("power", expr, n * base ** (n - 1))
    return d.chain(expr, base, lambda u: d.make("power", u**n, n * u ** (n - 1), wrt=u))


def _exponential(d: Differentiator, expr):
    a, g = expr.args
    if g == d.wrt:
        return d.make("exponential", expr, expr * log(a))
    return d.chain(expr, g, lambda u: d.make("exponential", a**u, a**u * log(a), wrt=u))


def _general_power(d: Differentiator, expr):
    base, g = expr.args
    rewritten = exp(g * log(base))
    sub = d.step(rewritten)
    return d.make("logarithmic", expr, sub.after.subs(rewritten, expr), (sub,),
                  note="f^g = e^(g·ln f)")


def _note(table: Outer, where) -> str:
    """The function's note (a kink, a jump) in the current language, about its argument."""
    return _(table.note).format(u=where, v="0") if table.note else ""


def _function(d: Differentiator, expr):
    table = OUTER[type(expr)]
    arg = expr.args[0]
    if arg == d.wrt:
        return d.make(table.rule, expr, table.derivative(arg), note=_note(table, arg))

    def outer(u):
        return d.make(table.rule, expr.func(u, *expr.args[1:]), table.derivative(u), wrt=u,
                      note=_note(table, u))

    return d.chain(expr, arg, outer)


def _max_min(d: Differentiator, expr):
    if len(expr.args) != 2:
        # max(a, b, c) = max(a, max(b, c))
        first, *rest = expr.args
        nested = expr.func(first, expr.func(*rest), evaluate=False)
        sub = d.step(nested)
        return d.make(sub.rule, expr, sub.after, (sub,))
    a, b = expr.args
    da, db = d.step(a), d.step(b)
    # the formula gives each argument half at a tie (its average of the two sides); the
    # numbers at a tie are the derivative from the left (see onesided)
    half = S.Half
    if isinstance(expr, Max):
        after = Heaviside(a - b, half) * da.after + Heaviside(b - a, half) * db.after
    else:
        after = Heaviside(b - a, half) * da.after + Heaviside(a - b, half) * db.after
    which = "max" if isinstance(expr, Max) else "min"
    note = (_("the derivative of the argument that is the max; where they are equal there "
              "is no derivative, and the tutor shows the one from the left") if which == "max"
            else _("the derivative of the argument that is the min; where they are equal there "
                   "is no derivative, and the tutor shows the one from the left"))
    return d.make(which, expr, after, (da, db), note=note)


STRUCTURAL: list[tuple[Callable, Callable]] = [
    (lambda d, e: d.const(e), _constant),
    (lambda d, e: e == d.wrt, _variable),
    (lambda d, e: isinstance(e, Add), _sum),
    (lambda d, e: isinstance(e, Mul) and e.as_independent(d.wrt, as_Add=False)[0] != 1,
     _constant_multiple),
    (_is_quotient, _quotient),
    (lambda d, e: isinstance(e, Mul), _product),
    (lambda d, e: isinstance(e, Pow) and d.const(e.exp), _power),
    (lambda d, e: isinstance(e, Pow) and d.const(e.base), _exponential),
    (lambda d, e: isinstance(e, Pow), _general_power),
    (lambda d, e: type(e) in OUTER and len(e.args) >= 1 and all(d.const(a) for a in e.args[1:]),
     _function),
    (lambda d, e: isinstance(e, (Max, Min)), _max_min),
]

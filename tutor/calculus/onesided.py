"""The derivative from the left, at points where a kink or a tie makes the two sides differ.

At a kink a function has no derivative, only two one-sided ones.  The tutor's convention, in
every engine that shows a number there, is the derivative **from the left**:
f′(x⁻) = lim (f(x) − f(x − h))/h as h ↓ 0.  ReLU(z) and max(0, z) both give 0 at z = 0, |x|
gives −1, and max(x, 2 − x) at x = 1 gives −1 — always the slope of the piece just left of the
point, which a per-node rule (a fixed slope at each kink, or half of a tie to each side) cannot
promise once kinks are composed: ReLU(−z) at 0 has the left slope −1, where ReLU′(0) = 0
times −1 gives 0.

It is computed by one forward pass that carries each sub-expression's value and its slope from
the left (a tangent, or dual-number, pass): a smooth function multiplies the slope by its
derivative; a function with a kink at u = 0 (left slope L, right slope R) whose argument is 0
there takes L·s when the argument rises with x (s > 0) — it arrives from the left — and R·s
when it falls; max over a tie takes the smallest of the tied slopes (just left of the tie the
pieces are v − s·h, so the largest is the one with the smallest slope s), min the largest.
"""

from __future__ import annotations

from typing import Mapping

import sympy
from sympy import Add, Max, Min, Mul, Pow

from tutor.calculus.table import FUNCTIONS

#: the functions with a kink (or a jump) at 0: their one-sided slopes (left, right) there
_KINKS = {f.sympy: f.kink[:2] for f in FUNCTIONS if f.kink is not None}
#: digits of the pass: a kink is where an argument is 0 to all of them
_DIGITS = 30
_ZERO = 1e-25


class _Jump(ArithmeticError):
    """A step met exactly at its jump."""


def _kinked(node) -> tuple[float, float] | None:
    for cls, slopes in _KINKS.items():
        if isinstance(cls, type) and isinstance(node, cls):
            return slopes
    return None


def has_kinks(expr: sympy.Expr) -> bool:
    """True when ``expr`` contains a function with a kink or a jump, or a max or min."""
    return any(isinstance(n, (Max, Min)) or _kinked(n) is not None
               for n in sympy.preorder_traversal(expr))


class _Pass:
    def __init__(self, wrt: sympy.Symbol, point: Mapping[sympy.Symbol, float]):
        self.wrt = wrt
        self.subs = {s: sympy.Float(v, _DIGITS) for s, v in point.items()}
        self.kink = False  # whether any kink or tie was met

    def value(self, expr) -> sympy.Float:
        v = expr.evalf(_DIGITS, subs=self.subs)
        if not v.is_real or not v.is_finite:
            raise ValueError("not a finite real value")
        return v

    def slope(self, expr) -> sympy.Expr:
        """The derivative of ``expr`` from the left at the point (a number)."""
        if not expr.has(self.wrt):
            return sympy.S.Zero
        if expr == self.wrt:
            return sympy.S.One
        if isinstance(expr, Add):
            return Add(*[self.slope(a) for a in expr.args])
        if isinstance(expr, Mul):
            values = [self.value(a) for a in expr.args]
            total = sympy.S.Zero
            for i, a in enumerate(expr.args):
                if a.has(self.wrt):
                    total += self.slope(a) * Mul(*(values[:i] + values[i + 1:]))
            return total
        if isinstance(expr, Pow):
            base, exponent = expr.args
            if not exponent.has(self.wrt):
                return exponent * self.value(base) ** (exponent - 1) * self.slope(base)
            v = self.value(expr)
            return v * (self.slope(exponent) * sympy.log(self.value(base))
                        + self.value(exponent) * self.slope(base) / self.value(base))
        if isinstance(expr, (Max, Min)):
            values = [self.value(a) for a in expr.args]
            best = max(values) if isinstance(expr, Max) else min(values)
            tied = [a for a, v in zip(expr.args, values)
                    if abs(v - best) <= _ZERO * max(1, abs(best))]
            slopes = [self.slope(a) for a in tied]
            if len(tied) > 1:
                self.kink = True
            return min(slopes) if isinstance(expr, Max) else max(slopes)
        kinked = _kinked(expr)
        if kinked is not None:
            u = expr.args[0]
            s = self.slope(u)
            if abs(self.value(u)) <= _ZERO:
                self.kink = True
                left, right = kinked
                if left == right == 0:
                    # a jump (sign, a step): the value at the point need not be the limit
                    # from the left, and then no slope from the left exists
                    raise _Jump
                if s == 0:
                    return sympy.S.Zero
                return (left if s > 0 else right) * s
            return self._smooth(expr) * s
        if isinstance(expr, sympy.Function) and len(expr.args) == 1:
            return self._smooth(expr) * self.slope(expr.args[0])
        # anything else: SymPy's derivative, at the point (smooth there)
        return self.value(sympy.diff(expr, self.wrt))

    def _smooth(self, expr) -> sympy.Expr:
        """f′(u) at the point, for f(u, …) smooth at its argument's value."""
        u = sympy.Dummy("u", real=True)
        outer = sympy.diff(expr.func(u, *expr.args[1:]), u)
        return self.value(outer.subs(u, self.value(expr.args[0])))


def left_derivative(expr: sympy.Expr, wrt: sympy.Symbol,
                    point: Mapping[sympy.Symbol, float]) -> tuple[float, bool] | None:
    """(d expr/d wrt from the left at ``point``, whether a kink or a tie was met), or None
    when some part of ``expr`` has no finite real value there or a step is at its jump."""
    walk = _Pass(wrt, point)
    try:
        slope = walk.slope(expr)
        value = complex(slope.evalf(_DIGITS))
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
        return None
    if value.imag != 0:
        return None
    return float(value.real), walk.kink

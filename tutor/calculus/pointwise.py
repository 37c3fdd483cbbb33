"""Derivatives checked at a handful of points, in plain Python floats.

``tutor explain`` evaluates a function and its derivative at the few points of a lesson's
example and compares them with central finite differences.  For a few points NumPy buys
nothing and costs a tenth of a second to import, so this module compiles to Python's
``math`` (with the same stable forms as :mod:`tutor.calculus.numeric`, which does the batch work for
training).  The tests check that both give the same numbers.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import sympy

from tutor.errors import ParameterError
from tutor.i18n import _
from tutor.calculus.agreement import Agreement, floor, judge, overall, scaled_error
from tutor.calculus.stable import scalar_logsumexp, stabilise
from tutor.calculus.onesided import has_kinks, left_derivative
from tutor.calculus.table import FUNCTIONS, SCALAR_EXTRAS
from tutor.calculus.cost import affordable
from tutor.calculus.extrapolation import central, is_steady, refined_slope

_EPS_CBRT = sys.float_info.epsilon ** (1 / 3)


#: plain-float forms of the functions Python's math module lacks (σ, softplus, GELU, …)
SCALAR_FUNCTIONS = {f.name: f.scalar for f in FUNCTIONS if f.scalar is not None}
#: every name compiled plain-float code may call besides ``math``'s (see numeric.NUMPY_NAMESPACE)
SCALAR_NAMESPACE = {**SCALAR_FUNCTIONS, **SCALAR_EXTRAS, "logsumexp": scalar_logsumexp}


def compile_scalar(expr: sympy.Expr, args: Sequence[sympy.Symbol]) -> Callable[..., float]:
    """A function of floats computing ``expr``; undefined values come back as NaN."""
    fn = sympy.lambdify(list(args), stabilise(expr),
                        modules=[SCALAR_NAMESPACE, "math"],
                        cse=affordable(expr))

    def call(*values: float) -> float:
        try:
            out = fn(*values)
            return float(out)
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError, TypeError):
            return math.nan

    return call


def points(values: Mapping[str, object], names: Sequence[str]) -> list[tuple[float, ...]]:
    """The points of a small batch: each name's number, or list of numbers, aligned."""
    missing = [n for n in names if n not in values]
    if missing:
        raise ParameterError("at", _("no value for {names}: give one with {param} {name}=1.5 "
                                     "(or a list, {param} {name}=1,2,3)"),
                             names=", ".join(missing), name=missing[0])
    columns = [values[n] if isinstance(values[n], (list, tuple)) else [values[n]] for n in names]
    lengths = {len(c) for c in columns if len(c) != 1}
    if len(lengths) > 1:
        sizes = ", ".join(f"{n}: {len(c)}" for n, c in zip(names, columns) if len(c) != 1)
        raise ParameterError("at", _("{param}: values of different lengths ({sizes}); give one "
                                     "number or lists of the same length"), sizes=sizes)
    size = lengths.pop() if lengths else 1
    return [tuple(float(c[k] if len(c) > 1 else c[0]) for c in columns) for k in range(size)]


@dataclass
class NumericCheck:
    """A derivative evaluated at some points, beside a central finite-difference estimate."""

    at: dict[str, list[float]]
    value: list[float]
    derivative: list[float]
    finite_difference: list[float]
    #: one-sided differences (f(x + h) − f(x))/h and (f(x) − f(x − h))/h, to tell kinks
    forward: list[float]
    backward: list[float]
    #: |forward − backward| again with a step 8 times smaller (a kink's gap does not shrink)
    narrow_gap: list[float]

    @property
    def relative_error(self) -> list[float]:
        """|d − n| / max(|d|, |n|, floor) at each point (see :mod:`tutor.calculus.agreement`)."""
        return [scaled_error(d, n, floor(v))
                for v, d, n in zip(self.value, self.derivative, self.finite_difference)]

    @property
    def max_rel_error(self) -> float:
        finite = [e for e in self.relative_error if math.isfinite(e)]
        return max(finite) if finite else math.nan

    @property
    def verdicts(self) -> list[Agreement]:
        return [judge(*p) for p in zip(self.value, self.derivative, self.finite_difference,
                                       self.forward, self.backward, self.narrow_gap)]

    @property
    def verdict(self) -> Agreement:
        return overall(self.verdicts)

    def points_where(self, verdict: Agreement) -> list[int]:
        return [k for k, v in enumerate(self.verdicts) if v is verdict]

    def __len__(self) -> int:
        return len(self.value)


def check_numerically(function: sympy.Expr, derivative: sympy.Expr, wrt: sympy.Symbol,
                      symbols: Sequence[sympy.Symbol], values: Mapping[str, object], *,
                      from_left: bool = True) -> NumericCheck:
    """Evaluate ``function`` and ``derivative`` at ``values``; compare with finite differences.

    At a kink or a tie hit exactly the derivative has no value, and with ``from_left`` the one
    shown is the derivative from the left, the tutor's convention (``onesided``); without it,
    ``derivative`` is evaluated there as it is (a claimed value, checked as it stands)."""
    names = [s.name for s in symbols]
    pts = points(values, names)
    f = compile_scalar(function, symbols)
    df = compile_scalar(derivative, symbols)
    index = list(symbols).index(wrt)
    kinks = from_left and has_kinks(function)
    value, der, fd, forward, backward, narrow = [], [], [], [], [], []
    for p in pts:
        here = f(*p)
        value.append(here)
        # where the function itself is undefined, so is its derivative (ln x at x = −1)
        der.append(df(*p) if math.isfinite(here) else math.nan)
        if kinks and math.isfinite(here):
            # at a kink or a tie, the derivative from the left, the tutor's convention
            left = left_derivative(function, wrt, dict(zip(symbols, p)))
            if left is not None and left[1]:
                der[-1] = left[0]
        x = p[index]
        h = _EPS_CBRT * max(1.0, abs(x))
        along = _along(f, p, index)
        slope, _step = central(along, x, h)
        if math.isfinite(here) and not is_steady(slope, central(along, x, h / 2)[0],
                                                 floor(here)):
            # the function changes on a scale shorter than the step: shorten it
            slope, h = refined_slope(along, x, h, floor(here))
        up, down = list(p), list(p)
        up[index], down[index] = x + h, x - h
        above, below = f(*up), f(*down)
        fd.append(slope)
        forward.append((above - here) / (up[index] - x))
        backward.append((here - below) / (x - down[index]))
        narrow.append(_one_sided_gap(f, p, index, h / 8, here))
    at = {n: [p[k] for p in pts] for k, n in enumerate(names)}
    return NumericCheck(at, value, der, fd, forward, backward, narrow)


def _along(f, p, index: int) -> Callable[[float], float]:
    """``f`` as a function of its argument ``index`` alone, the others held at ``p``."""
    def g(t: float) -> float:
        q = list(p)
        q[index] = t
        return f(*q)
    return g


def _one_sided_gap(f, p, index: int, h: float, here: float) -> float:
    x = p[index]
    up, down = list(p), list(p)
    up[index], down[index] = x + h, x - h
    return abs((f(*up) - here) / (up[index] - x) - (here - f(*down)) / (x - down[index]))

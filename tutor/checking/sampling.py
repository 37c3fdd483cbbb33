"""Evaluating expressions at sample points, in float64 and at high precision, safely.

The checker compares a learner's answer with the true derivative at many random points.  A
point is evaluated first in float64 with every floating-point exception raised (an overflow
anywhere inside, a log of a negative number, a division by zero): such a point is *unclean*
and is never handed to the high-precision evaluation, which could otherwise spend unbounded
time on a tower such as e^(e^(e^(e^z))).  Where float64 is clean, SymPy's ``evalf`` with 30
significant digits gives the value to decide close calls.
"""

from __future__ import annotations

import math
import random
import warnings
from typing import Sequence

import sympy

from tutor.calculus.cost import affordable
from tutor.calculus.functions import elementary, stable_form

DIGITS = 30


def _numpy_functions():
    from tutor.calculus.numeric import NUMPY_NAMESPACE

    return NUMPY_NAMESPACE


class Evaluator:
    """Values of one expression at points given as {symbol: float}; results are cached."""

    def __init__(self, expr: sympy.Expr, symbols: Sequence[sympy.Symbol]):
        self.expr = expr
        self.symbols = list(symbols)
        self._fn = None
        self._plain = None
        self._cache64: dict = {}
        self._cache_hp: dict = {}

    def _compile(self):
        if self._fn is None:
            import functools

            import numpy as np

            from tutor.calculus.numeric import _printer

            self._fn = sympy.lambdify(self.symbols, stable_form(self.expr),
                                      modules=[_numpy_functions(),
                                               {"numpy": np, "functools": functools}],
                                      printer=_printer(), cse=affordable(self.expr))
        return self._fn

    def f64(self, point: tuple[float, ...]) -> float | None:
        """The float64 value, or None when the evaluation overflowed, divided by zero, left
        the real numbers or failed in any other way."""
        if point in self._cache64:
            return self._cache64[point]
        import numpy as np

        fn = self._compile()
        value = None
        complex_warning = getattr(getattr(np, "exceptions", np), "ComplexWarning", Warning)
        try:
            with np.errstate(all="raise"), warnings.catch_warnings():
                # a complex value cast to real somewhere inside: not a real point
                warnings.simplefilter("error", complex_warning)
                out = fn(*[np.float64(v) for v in point])
                out = np.asarray(out)
                if out.shape == () and np.isrealobj(out):
                    v = float(out)
                    if math.isfinite(v):
                        value = v
        except (FloatingPointError, OverflowError, ZeroDivisionError, ValueError, TypeError,
                ArithmeticError, complex_warning):
            value = None
        self._cache64[point] = value
        return value

    def high(self, point: tuple[float, ...]):
        """The value with 30 significant digits (a SymPy number, real or complex), only at
        points where float64 was clean; None where it is undefined."""
        if point in self._cache_hp:
            return self._cache_hp[point]
        value = None
        if self.f64(point) is not None:
            if self._plain is None:
                self._plain = elementary(self.expr)
            subs = {s: sympy.Float(repr(v), DIGITS) for s, v in zip(self.symbols, point)}
            try:
                r = self._plain.evalf(DIGITS, subs=subs)
                if r.is_number and not r.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
                    re, im = r.as_real_imag()
                    if re.is_Number and im.is_Number:
                        value = re + sympy.I * im if im != 0 else re
            except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
                value = None
        self._cache_hp[point] = value
        return value

    def high_complex(self, point: tuple[float, ...]) -> complex | None:
        v = self.high(point)
        return None if v is None else complex(v)


def close_high(a, b, rel: float = 1e-20, absolute: float = 1e-26) -> bool:
    """Whether two 30-digit values agree (compared at that precision, not in float64)."""
    difference = abs((a - b).evalf(DIGITS))
    scale = max(abs(a.evalf(DIGITS)), abs(b.evalf(DIGITS)))
    return bool(difference <= rel * scale + absolute)


def close(a: complex, b: complex, rel: float, absolute: float = 0.0) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + absolute


def random_points(symbols: Sequence[sympy.Symbol], count: int, *, seed: int) -> list[tuple]:
    """Points whose coordinates have two decimals, 0.1 ≤ |v| ≤ 2.5 (never 0, where ReLU and
    |x| have their kinks), positive for positive symbols: readable in a counterexample."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        point = []
        for s in symbols:
            v = round(rng.uniform(0.1, 2.5), 2)
            if not s.is_positive and rng.random() < 0.5:
                v = -v
            point.append(v)
        points.append(tuple(point))
    return points


def as_mapping(symbols: Sequence[sympy.Symbol], point: tuple) -> dict[str, float]:
    return {s.name: v for s, v in zip(symbols, point)}


def size_ok(expr: sympy.Expr, limit: int = 80) -> bool:
    """Small enough for SymPy's symbolic machinery (expand, simplify) to be quick."""
    if sympy.count_ops(expr, visual=False) > limit or not affordable(expr):
        return False
    for p in expr.atoms(sympy.Pow):
        e = p.exp
        if e.is_Number and abs(e) > 12:
            return False
    return True


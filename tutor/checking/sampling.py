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
from typing import Mapping, Sequence

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
            value = self._mpmath(point)
            if value is False:  # mpmath cannot compute it: SymPy's own evaluation
                subs = {s: sympy.Float(repr(v), DIGITS) for s, v in zip(self.symbols, point)}
                try:
                    r = self._plain.evalf(DIGITS, subs=subs)
                    value = None
                    if r.is_number and not r.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
                        re, im = r.as_real_imag()
                        if re.is_Number and im.is_Number:
                            value = re + sympy.I * im if im != 0 else re
                except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
                    value = None
        self._cache_hp[point] = value
        return value

    def _mpmath(self, point: tuple[float, ...]):
        """The value by mpmath (far quicker than SymPy's evalf on a large expression): a SymPy
        number, None where it is undefined, False where mpmath cannot evaluate it."""
        import mpmath

        r = mpmath_high(self._plain, {s: repr(v) for s, v in zip(self.symbols, point)})
        if r is None or r is False:
            return r
        with mpmath.workdps(2 * DIGITS):
            re = sympy.Float(mpmath.re(r), DIGITS)
            im = sympy.Float(mpmath.im(r), DIGITS)
        return re + sympy.I * im if im != 0 else re

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


def mpmath_value(expr: sympy.Expr, point: Mapping) -> complex | None | bool:
    """``expr`` at ``point`` ({symbol: number}) by mpmath at twice the digits the checks need,
    walking the expression (no code to generate, so a candidate costs microseconds): a
    complex number, None where it is undefined, False where it holds something the walk does
    not know (the caller then asks SymPy)."""
    r = mpmath_high(expr, point)
    return r if r is None or r is False else complex(r)


def mpmath_high(expr: sympy.Expr, point: Mapping):
    """Like :func:`mpmath_value`, the mpmath number itself (2 × DIGITS digits)."""
    import mpmath

    try:
        with mpmath.workdps(2 * DIGITS):
            env = {s: mpmath.mpf(str(v)) for s, v in point.items()}
            r = _walk(expr, env, mpmath)
            if not mpmath.isfinite(r):
                return None
            return r
    except _Unknown:
        return False
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        return None


class _Unknown(Exception):
    """A node the mpmath walk does not evaluate."""


#: SymPy functions of one argument and their mpmath counterparts
_MPMATH_NAMES = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan",
                 "cot": "cot", "sec": "sec", "csc": "csc", "asin": "asin", "acos": "acos",
                 "atan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
                 "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "Abs": "fabs",
                 "sign": "sign", "sqrt": "sqrt"}


def _walk(e, env, mp):
    if e.is_Symbol:
        if e not in env:
            raise _Unknown
        return env[e]
    if e.is_Number:
        if e.is_Rational:
            return mp.mpf(e.p) / e.q
        if e.is_Float:
            return mp.mpf(e._mpf_)
        raise _Unknown  # nan, ∞
    if e is sympy.pi:
        return +mp.pi
    if e is sympy.E:
        return +mp.e
    if e is sympy.I:
        return mp.mpc(0, 1)
    args = [_walk(a, env, mp) for a in e.args]
    if e.is_Add:
        return mp.fsum(args)
    if e.is_Mul:
        return mp.fprod(args)
    if e.is_Pow:
        base, power = args
        if e.exp.is_Integer:
            return base ** int(e.exp)
        if mp.im(base) == 0 and base < 0:
            base = mp.mpc(base)  # a real power of a negative number: its principal value
        return mp.power(base, power)
    name = type(e).__name__
    if name in _MPMATH_NAMES and len(args) == 1:
        return getattr(mp, _MPMATH_NAMES[name])(args[0])
    if name in ("Max", "Min") and all(mp.im(a) == 0 for a in args):
        return max(args) if name == "Max" else min(args)
    if name == "Heaviside" and mp.im(args[0]) == 0:
        at_zero = args[1] if len(args) > 1 else mp.mpf(1) / 2
        return mp.mpf(1) if args[0] > 0 else (mp.mpf(0) if args[0] < 0 else at_zero)
    raise _Unknown

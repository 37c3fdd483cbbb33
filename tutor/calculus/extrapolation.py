"""A central difference that can be trusted where the default step is too long.

The default step h = ε^(1/3)·max(1, |x|) is right for most functions, but not for one that
changes on a much shorter scale than |x|: ``(w + 3z)^1000`` at w = 1000, z = −333 has
w + 3z = 1, so a step of 6·10⁻³ in w changes the power by a factor e⁶, and the central
difference is 35 times the slope.  Whether a step is short enough can be told without knowing
the slope: central differences with steps h and h/2 differ by about ¾·c·h² (their truncation
error), so where they differ by more than a trace, the step is shortened by halves and each
pair is combined by Richardson's rule (4·D(h/2) − D(h))/3, which cancels the h² term; the
estimate kept is the one whose successive values agree best, before rounding (which grows as
the step shrinks) takes over.  A kink gives the same average of its one-sided slopes at every
step, so it is never mistaken for a long step.  Pure Python: works for plain floats and for one
element of a batch alike.
"""

from __future__ import annotations

import math
from typing import Callable

#: two central differences whose relative gap is below this leave the first one as it is
STEADY = 1e-7
#: how many times the step may be halved (2⁻³⁰ ≈ 10⁻⁹ of it)
HALVINGS = 30


def central(g: Callable[[float], float], x: float, h: float) -> tuple[float, float]:
    """(g(x + h) − g(x − h)) / (2h') with h' the step as it is stored, and that step."""
    up, down = x + h, x - h
    return (g(up) - g(down)) / (up - down), (up - down) / 2


def is_steady(first: float, second: float, scale: float) -> bool:
    """Do central differences with steps h and h/2 agree to a trace, on ``scale``?"""
    if not (math.isfinite(first) and math.isfinite(second)):
        return False
    return abs(first - second) <= STEADY * max(abs(first), abs(second), scale)


def refined_slope(g: Callable[[float], float], x: float, h: float,
                  scale: float) -> tuple[float, float]:
    """The slope of ``g`` at ``x`` by halving the step from ``h`` and extrapolating; returns
    (slope, the step at which it was found).  ``scale`` is the size below which slopes count as
    equal (an absolute floor).  NaN when no two estimates are finite."""
    best, best_gap, best_step = math.nan, math.inf, h
    previous = None
    d, step = central(g, x, h)
    for _ in range(HALVINGS):
        d_half, half = central(g, x, step / 2)
        if not (math.isfinite(d) and math.isfinite(d_half)):
            d, step, previous = d_half, half, None
            continue
        estimate = (4 * d_half - d) / 3
        if previous is not None and math.isfinite(previous):
            gap = abs(estimate - previous) / max(abs(estimate), abs(previous), scale)
            if gap < best_gap:
                best, best_gap, best_step = estimate, gap, half
            elif best_gap < STEADY and gap > 100 * best_gap:
                break  # rounding has taken over: shorter steps only get worse
        previous = estimate
        d, step = d_half, half
    return best, best_step

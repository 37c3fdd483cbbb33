"""How far apart two numbers are: the one relative error of the tutor.

``|a − b| / max(|a|, |b|, tiny)``: 0 when they are equal, 1 when one is 0 and the other is not,
NaN when either is undefined (NaN or infinite).  Scalars need nothing but ``math`` (``tutor
explain`` never loads NumPy); arrays are compared elementwise with NumPy.
"""

from __future__ import annotations

import math

TINY = 1e-300


def relative_error(a, b, tiny: float = TINY):
    """|a − b| / max(|a|, |b|, tiny); NaN where either is NaN or infinite."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not (math.isfinite(a) and math.isfinite(b)):
            return math.nan
        return abs(a - b) / max(abs(a), abs(b), tiny)
    import numpy as np

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        error = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), tiny)
    return np.where(np.isfinite(a) & np.isfinite(b), error, np.nan)


# -- does a derivative agree with finite differences? ----------------------------------------
from enum import Enum  # noqa: E402


class Agreement(str, Enum):
    """How a derivative compares with finite differences at a point (or over a batch)."""

    AGREES = "agrees"
    #: the point is at a kink: the slopes left and right differ, the central difference is
    #: their average, and the derivative is one of them (a valid one-sided derivative)
    AT_KINK = "kink"
    DISAGREES = "disagrees"
    #: the function, the derivative or the difference is not a finite number there
    UNDEFINED = "undefined"


#: a scaled error below this agrees: central differences are good to about 1e-10 where f is
#: smooth, and to a few 1e-6 where its curvature jumps (a max or min switching branches)
GOOD = 1e-5
#: near zero a difference cannot resolve a slope much below FLOOR·max(1, |f|): slopes are
#: measured against that scale, so two near-zero slopes agree when they differ by less than
#: GOOD·FLOOR = 1e-8 per unit of |f| (rounding in f(x ± h) alone is about 1e-11/h·|f|)
FLOOR = 1e-3
#: one-sided differences are good to O(h); slopes differing by more than this share of
#: their size mean a kink
KINK_GAP = 1e-2


def floor(value: float) -> float:
    return FLOOR * max(1.0, abs(value)) if math.isfinite(value) else FLOOR


def scaled_error(derivative: float, difference: float, floor_: float) -> float:
    """|d − n| / max(|d|, |n|, floor): relative where the slopes are large, absolute (against
    the floor) where both are tiny; NaN where either is undefined."""
    if not (math.isfinite(derivative) and math.isfinite(difference)):
        return math.nan
    return abs(derivative - difference) / max(abs(derivative), abs(difference), floor_)


def is_kink(value: float, forward: float, backward: float, narrow_gap: float | None) -> bool:
    """Do the slopes left and right of the point differ, as at a kink?  ``forward`` and
    ``backward`` are one-sided differences with step h; ``narrow_gap`` is |forward − backward|
    again with step h/8.  At a smooth point the gap is h·|f″| and shrinks with h; at a kink it
    stays: both must hold, so strong curvature is not mistaken for a kink."""
    if not (math.isfinite(forward) and math.isfinite(backward)):
        return False
    gap = abs(forward - backward)
    if gap <= KINK_GAP * max(abs(forward), abs(backward), floor(value)):
        return False
    return narrow_gap is None or (math.isfinite(narrow_gap) and narrow_gap > 0.5 * gap)


def judge(value: float, derivative: float, central: float, forward: float, backward: float,
          narrow_gap: float | None = None) -> Agreement:
    """The verdict at one point, from the function's value, the derivative, the central
    difference and the one-sided differences (see :func:`is_kink`)."""
    if not all(math.isfinite(v) for v in (value, derivative, central)):
        return Agreement.UNDEFINED
    fl = floor(value)
    if is_kink(value, forward, backward, narrow_gap):
        # any slope between the two one-sided ones is a valid (sub)derivative here
        low, high = min(forward, backward), max(forward, backward)
        slack = 1e-4 * max(abs(low), abs(high), fl)
        return Agreement.AT_KINK if low - slack <= derivative <= high + slack else Agreement.DISAGREES
    if scaled_error(derivative, central, fl) < GOOD:
        return Agreement.AGREES
    return Agreement.DISAGREES


def overall(verdicts) -> Agreement:
    """One verdict for many points: disagreeing anywhere wins, then undefined, then a kink."""
    verdicts = set(verdicts)
    for worst in (Agreement.DISAGREES, Agreement.UNDEFINED, Agreement.AT_KINK):
        if worst in verdicts:
            return worst
    return Agreement.AGREES

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

"""Numbers as the learner reads them: four decimals or scientific notation, true minus signs,
"undefined" and ∞ for what is not a finite number.  Shared by every renderer."""

from __future__ import annotations

import math

from tutor.i18n import _


def fmt(v: float) -> str:
    """A number in four decimals, or in scientific notation when very large or small."""
    if v is None or not math.isfinite(v):
        return _("undefined") if v is None or math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        s = f"{v:.4f}"
    else:
        s = f"{v:.3e}"
    return s.replace("-", "−")


def fmt_input(v: float) -> str:
    """An input as the user would type it: 2 rather than 2.0000."""
    if not math.isfinite(v):
        return fmt(v)
    s = f"{v:.6g}"
    return s.replace("-", "−")


def fmt_error(v: float) -> str:
    if not math.isfinite(v):
        return "—"
    if v == 0:
        return "0"
    return f"{v:.1e}".replace("-", "−")


def numeric_rows(check, columns) -> list[list[str]]:
    """One row of strings per point: the given inputs, value, derivative, finite difference,
    relative error (shared by the text, Markdown and LaTeX renderers)."""
    err = check.relative_error
    return [[fmt_input(check.at[c][k]) for c in columns]
            + [fmt(check.value[k]), fmt(check.derivative[k]), fmt(check.finite_difference[k]),
               fmt_error(err[k])]
            for k in range(len(check))]

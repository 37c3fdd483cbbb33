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


def agreement_sentence(check, wrt: str, shown_name) -> tuple[str, bool]:
    """The closing line under a table of derivatives and finite differences, and whether it
    is good news (the only case shown with ✓).  The points are marked to stay on one line
    (:func:`tutor.renderers.prose.whole`).  ``check`` is a NumericCheck; ``wrt`` the
    variable's name in ``check.at``; ``shown_name(name)`` how the renderer prints a name."""
    from tutor.calculus.agreement import Agreement
    from tutor.renderers.prose import whole

    verdict = check.verdict

    def where(v) -> str:
        points = check.points_where(v)
        return ", ".join(whole(f"{shown_name(wrt)} = {fmt_input(check.at[wrt][k])}")
                         for k in points[:3]) + (" …" if len(points) > 3 else "")

    error = fmt_error(check.max_rel_error)
    if verdict is Agreement.AGREES:
        return _("max relative error {error}  ✓ agrees with finite differences").format(
            error=error), True
    if verdict is Agreement.UNDEFINED:
        return _("not a finite number at {points}: nothing to compare there, and nothing "
                 "checked").format(points=where(Agreement.UNDEFINED)), False
    if verdict is Agreement.AT_KINK:
        sentence = (_("at a kink ({points}): the slopes left and right differ, the finite "
                      "difference is their average, and the derivative shown is a valid choice "
                      "between them")
                    if len(check.points_where(Agreement.AT_KINK)) == len(check) else
                    _("at a kink ({points}): the slopes left and right differ, the finite "
                      "difference is their average, and the derivative shown is a valid choice "
                      "between them; elsewhere they agree"))
        return sentence.format(points=where(Agreement.AT_KINK)), False
    return _("max relative error {error}  ✗ finite differences disagree at {points} (a very "
             "steep point?)").format(error=error, points=where(Agreement.DISAGREES)), False

"""Plots of a function and its derivative with the evaluated points marked (matplotlib).

matplotlib is imported here only, so commands that draw nothing never pay for it.  Files
are written whole: to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import logging

from tutor.explaining.explanation import Curve, Explanation
from tutor.i18n import _, current_language, speaking
from tutor.renderers.figures import save_figure
from tutor.renderers.fonts import plot_language
from tutor.renderers.notation import text
from tutor.renderers.numbers import fmt_input
from tutor.renderers.notation import display_name


def plot_explanation(exp: Explanation, data: list[Curve], path: str) -> str:
    """Draw f and its derivatives (``data``: the curves ``tutor.explaining.explanation.curves``
    computed) to ``path``.  Returns a note for the user, or "" (labels in
    Chinese need a CJK font; without one they are drawn in English, and the note says so)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lang, rc, note = plot_language()
    lesson = exp.lesson
    title = (lesson.title if lang == current_language()
             else lesson.narrative.get(lang, {}).get("title", lesson.title))
    # a font with one weight makes matplotlib log "failed to find font weight bold"
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with speaking(lang), matplotlib.rc_context(rc):
        cols = min(len(data), 3)
        rows = -(-len(data) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
        for ax, c in zip(axes.ravel(), data):
            _draw_curve(ax, c, lesson)
        for ax in axes.ravel()[len(data):]:
            ax.set_visible(False)
        fig.suptitle(title, fontweight="bold")
        fig.tight_layout()
        try:
            save_figure(fig, path)
        finally:
            plt.close(fig)
    return note


def _draw_curve(ax, c, lesson) -> None:
    name = display_name(c.label)
    var = text(lesson.symbols[c.wrt])
    ax.plot(c.x, c.value, color="tab:blue", lw=2, label=f"{name}")
    ax.plot(c.x, c.derivative, color="tab:orange", lw=2, ls="--", label=f"∂{name}/∂{var}")
    ax.plot(c.points_x, c.points_value, "o", color="tab:blue", ms=6)
    ax.plot(c.points_x, c.points_derivative, "o", color="tab:orange", ms=6,
            label=_("example points"))
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    if c.held:
        held = ", ".join(f"{text(lesson.symbols[n])} = {fmt_input(v)}" for n, v in c.held.items())
        ax.set_xlabel(f"{var}\n" + (_("(other variables held at {values})").format(values=held)
                                    if len(held) < 70 else
                                    _("(others held at the first example)")), fontsize=9)
    else:
        ax.set_xlabel(var)
    ax.set_title(_("{f} and {derivative}").format(f=name, derivative=f"∂{name}/∂{var}"))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)

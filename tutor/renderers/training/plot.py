"""Plots of a training run (matplotlib): the loss per epoch, the data with the fitted model,
and the loss over one or two parameters with the path gradient descent took.

A .pdf gets every figure as a page; .png and .svg get one file per figure: FILE (the loss),
FILE-fit and FILE-landscape beside it, replaced as one set (staged, then moved into place under
a journal), so a failed or killed run never leaves the files of two runs side by side.
"""

from __future__ import annotations

import os

import numpy as np

from tutor.files import atomic_path
from tutor.i18n import _, current_language, speaking
from tutor.renderers.fonts import plot_language
from tutor.renderers.figures import save_figures
from tutor.renderers.training.text import fmt


def _sub(label: str) -> str:
    """w12 → w₁₂ (a parameter's entry, as the text output writes it)."""
    head = label.rstrip("0123456789")
    return head + label[len(head):].translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def plot_paths(path: str) -> list[str]:
    """The files ``plot_training`` may write for ``path``."""
    stem, suffix = os.path.splitext(path)
    if suffix.lower() == ".pdf":
        return [path]
    return [path, f"{stem}-fit{suffix}", f"{stem}-landscape{suffix}"]


def _loss_figure(plt, history, title):
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    losses = [history.initial_loss] + history.losses
    epochs = np.arange(len(losses))
    ax.plot(epochs, losses, "o-" if len(losses) <= 40 else "-", color="tab:blue", ms=4)
    # a log axis, unless the loss ran off beyond 10²⁵⁰: there matplotlib's margin above the
    # curve overflows, and it would draw the axis from 1 to 10 with the curve off it
    if all(np.isfinite(losses)) and min(losses) > 0 and max(losses) / min(losses) > 50 \
            and max(losses) < 1e250:
        ax.set_yscale("log")
    ax.set_xlabel(_("epoch (0 = before training)"))
    red = history.settings.reduce
    ax.set_ylabel((_("loss (mean over all {count} samples)") if red == "mean" else
                   _("loss (sum over all {count} samples)")).format(count=history.samples))
    ax.set_title(_("{title}: loss per epoch, η = {lr}").format(title=title,
                                                               lr=fmt(history.settings.lr)))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _fit_figure(plt, view, title):
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    if view.curve_x is not None:
        ax.plot(view.x, view.y, "o", ms=3, alpha=0.5, color="tab:blue", label=_("data"))
        label = (_("fitted line") if view.kind == "regression"
                 else _("fitted {model}").format(model="σ(w·x + b)"))
        ax.plot(view.curve_x, view.curve_y, color="tab:red", lw=2, label=label)
        ax.set_xlabel(view.feature)
        ax.set_ylabel(view.target)
        ax.legend(loc="best")
        ax.set_title(_("{title}: data and fit").format(title=title))
    elif view.grid is not None:
        A, C, G = view.grid
        if view.kind == "binary":
            cs = ax.contourf(A, C, G, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
            ax.contour(A, C, G, levels=[0.5], colors="k", linewidths=1.5)
            fig.colorbar(cs, ax=ax, label=_("predicted probability of 1"))
        else:
            k = int(max(G.max(), view.labels.max())) + 1
            ax.contourf(A, C, G, levels=np.arange(-0.5, k), cmap="tab10", vmin=0, vmax=9, alpha=0.25)
        colors = (["tab:blue", "tab:red"] if view.kind == "binary"
                  else [f"C{k}" for k in range(10)])
        for k in np.unique(view.labels).astype(int):
            mask = view.labels == k
            ax.scatter(view.points[mask, 0], view.points[mask, 1], color=colors[k % len(colors)],
                       s=10, edgecolors="none",
                       label=(f"{view.target} = {k}" if view.kind == "binary"
                              else _("class {k}").format(k=k)))
        ax.legend(loc="best", fontsize=8, markerscale=1.5)
        ax.set_xlabel(f"{view.feature}₁")
        ax.set_ylabel(f"{view.feature}₂")
        ax.set_title(_("{title}: data and decision regions").format(title=title))
    else:
        if view.kind == "regression":
            ax.plot(view.y, view.predicted, "o", ms=3, alpha=0.5)
            lo, hi = min(view.y.min(), view.predicted.min()), max(view.y.max(), view.predicted.max())
            ax.plot([lo, hi], [lo, hi], color="k", lw=1, label=_("predicted = true"))
            ax.set_xlabel(_("true {name}").format(name=view.target))
            ax.set_ylabel(_("predicted {name}").format(name=view.target))
            ax.legend(loc="best")
        elif view.kind == "binary":
            for label, color in ((0, "tab:blue"), (1, "tab:red")):
                ax.hist(view.predicted[view.y == label], bins=30, range=(0, 1), alpha=0.5,
                        color=color, label=f"{view.target} = {label}")
            ax.set_xlabel(_("predicted probability of 1"))
            ax.set_ylabel(_("samples"))
            ax.legend(loc="best")
        else:
            k = int(max(view.y.max(), view.predicted.max())) + 1
            counts = np.zeros((k, k))
            np.add.at(counts, (view.y.astype(int), view.predicted.astype(int)), 1)
            im = ax.imshow(counts, cmap="Blues")
            for i in range(k):
                for j in range(k):
                    ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center")
            ax.set_xlabel(_("predicted class"))
            ax.set_ylabel(_("true class"))
            fig.colorbar(im, ax=ax)
        ax.set_title(_("{title}: predicted against true").format(title=title))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _landscape_figure(plt, scape, title, reduce):
    """The loss over one or two parameters with the path: the title above the axes, the colour
    bar beside them, the legend and the coordinates held fixed under them (constrained layout
    keeps each in its own room), the slice's lowest point marked."""
    fig, ax = plt.subplots(figsize=(7.2, 5.8), layout="constrained")
    path = np.array(scape.path)
    style = "o-" if len(path) <= 200 else "-"
    if len(scape.labels) == 1:
        ax.plot(scape.axes[0], scape.loss, color="tab:blue", lw=2, label=_("loss"))
        ax.plot(path[:, 0], scape.path_loss, style, color="tab:red", ms=4, lw=1,
                label=_descent(scape.per))
        ax.plot(path[0, 0], scape.path_loss[0], "s", color="k", ms=7, label=_("start"))
        if scape.minimum is not None:
            k = int(np.argmin(np.abs(scape.axes[0] - scape.minimum[0])))
            ax.plot(scape.minimum[0], scape.loss[k], "*", color="gold", mec="k", ms=14,
                    label=_("lowest point"))
        ax.set_xlabel(_sub(scape.labels[0]))
        ax.set_ylabel(_loss_label(reduce))
        heading = _("{title}: the loss against {name}").format(title=title,
                                                             name=_sub(scape.labels[0]))
    else:
        loss = np.asarray(scape.loss)
        levels = contour_levels(loss)
        A, B = np.meshgrid(scape.axes[0], scape.axes[1])
        finite = loss[np.isfinite(loss)]
        # matplotlib extends the end levels by 1: beyond 10¹⁵ that adds nothing, and it refuses
        huge = finite.size and float(np.max(np.abs(finite))) > 1e15
        shaded = ax.contourf(A, B, loss, levels=levels, cmap="viridis", alpha=0.45,
                             extend="neither" if huge else "both")
        ax.contour(A, B, loss, levels=levels, colors="k", linewidths=0.5, alpha=0.45)
        fig.colorbar(shaded, ax=ax, label=_loss_label(reduce), format="%.3g")
        ax.plot(path[:, 0], path[:, 1], style, color="tab:red", ms=3, lw=1.2,
                label=_descent(scape.per))
        ax.plot(path[0, 0], path[0, 1], "s", color="k", ms=7, label=_("start"))
        if scape.minimum is not None:
            ax.plot(scape.minimum[0], scape.minimum[1], "*", color="gold", mec="k", ms=15,
                    label=_("lowest point"))
        ax.set_xlim(scape.axes[0][0], scape.axes[0][-1])
        ax.set_ylim(scape.axes[1][0], scape.axes[1][-1])
        ax.set_xlabel(_sub(scape.labels[0]))
        ax.set_ylabel(_sub(scape.labels[1]))
        heading = _("{title}: loss contours over {first}, {second}").format(
            title=title, first=_sub(scape.labels[0]), second=_sub(scape.labels[1]))
    ax.grid(alpha=0.3)
    ax.set_title(heading, wrap=True)
    # under the axes, clear of the contours and the path; the layout makes room for it
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=4, frameon=False,
              fontsize=9)
    if scape.held:
        fig.supxlabel(_("others held at their final values: {values}").format(values=scape.held),
                      fontsize=8, color="0.3", wrap=True)
    return fig


def contour_levels(loss: np.ndarray) -> np.ndarray:
    """Levels at quantiles of the loss on the grid: each ring holds a fair share of the grid's
    points, so the innermost one is several cells wide and drawn smooth, and a loss spanning
    decades gets rings in every decade (rather than levels evenly spaced in value, which
    crowd the steep walls and leave the floor empty, or in its logarithm, which draw rings
    around the minimum finer than the grid)."""
    finite = loss[np.isfinite(loss)]
    if finite.size == 0:
        return np.linspace(0, 1, 11)
    levels = []
    for level in np.quantile(finite, np.linspace(0.04, 0.97, 18)):
        # strictly increasing, with room between: contouring refuses levels that round equal
        if not levels or level - levels[-1] > 1e-9 * max(abs(level), abs(levels[-1])):
            levels.append(float(level))
    levels = np.array(levels)
    if levels.size < 3:
        low, high = float(finite.min()), float(finite.max())
        levels = np.linspace(low, high if high > low else low + 1, 11)
    return levels


def _descent(per: str) -> str:
    return _("gradient descent, per step") if per == "step" else _("gradient descent, per epoch")


def _loss_label(reduce: str) -> str:
    return _("loss (mean)") if reduce == "mean" else _("loss (sum)")


def _title(model, lang: str) -> str:
    """The model's title in the plot's language (English when no CJK font was found)."""
    if lang == current_language():
        return model.title
    if model.lesson is not None:
        return model.lesson.narrative.get(lang, {}).get("title", model.lesson.title)
    with speaking(lang):
        return _("Your loss") if model.name == "expression" else model.title


def plot_training(path: str, model, history, view, scape, *, with_note: bool = False):
    """Draw the figures; returns the files written (and, ``with_note``, a note for the user
    or "": labels in Chinese need a CJK font; without one they are drawn in English)."""
    import logging

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lang, rc, note = plot_language()
    title = _title(model, lang)
    # a font with one weight makes matplotlib log "failed to find font weight bold"
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    # a loss that ran off towards the largest float has no sensible ticks: matplotlib's own
    # arithmetic overflows while it places them, and the curve is drawn as far as it goes
    with speaking(lang), matplotlib.rc_context(rc), np.errstate(all="ignore"):
        written = _draw(plt, path, history, view, scape, title)
    return (written, note) if with_note else written


def _draw(plt, path, history, view, scape, title) -> list[str]:
    figures = [_loss_figure(plt, history, title)]
    if view is not None:
        figures.append(_fit_figure(plt, view, title))
    else:
        figures.append(None)
    figures.append(_landscape_figure(plt, scape, title, history.settings.reduce) if scape else None)
    written = []
    try:
        if path.lower().endswith(".pdf"):
            from matplotlib.backends.backend_pdf import PdfPages

            with atomic_path(path) as tmp, PdfPages(tmp) as pdf:
                for fig in figures:
                    if fig is not None:
                        pdf.savefig(fig, bbox_inches="tight")
            written.append(path)
        else:
            # the loss, fit and landscape figures are replaced together or not at all; a
            # companion this run has no figure for (no landscape for three parameters) would be
            # left from an earlier run, and the set would be mixed: it goes with them
            pairs = [(fig, target) for target, fig in zip(plot_paths(path), figures)
                     if fig is not None]
            save_figures(pairs, remove=[target for target, fig in zip(plot_paths(path), figures)
                                        if fig is None])
            written.extend(target for _, target in pairs)
    finally:
        for fig in figures:
            if fig is not None:
                plt.close(fig)
    return written

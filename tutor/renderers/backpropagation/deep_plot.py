"""The figure of ``tutor backprop deep``: per layer, the activations' variance and the size of
the weights' gradient, on log axes, one line per run (activation and initialisation).

Nothing here computes: every number comes from a :class:`~tutor.backpropagation.deep.DeepRun`.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from tutor.backpropagation.deep import ACTIVATIONS
from tutor.i18n import _, speaking
from tutor.renderers.figures import save_figure
from tutor.renderers.fonts import plot_language

#: one colour per initialisation, one line style per activation
COLOURS = {"normal": "tab:red", "xavier": "tab:blue", "he": "tab:green"}
STYLES = {"sigmoid": "-", "tanh": "--", "relu": "-."}
MARKERS = {"sigmoid": "o", "tanh": "s", "relu": "^"}
INIT_NAMES = {"normal": "normal", "xavier": "Xavier", "he": "He"}


def run_label(run) -> str:
    """'σ, Xavier' or 'ReLU, normal (std 0.5)'."""
    name = INIT_NAMES[run.init]
    if run.init == "normal" and run.std != 1.0:
        name += f" (std {run.std:g})"
    return f"{ACTIVATIONS[run.activation].shown}, {name}"


def plot_deep(runs, path: str) -> str:
    """Draw the runs to ``path``; returns a note for the user or "" (see ``plot_language``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lang, rc, note = plot_language()
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with speaking(lang), matplotlib.rc_context(rc), np.errstate(all="ignore"):
        fig = deep_figure(plt, runs)
        try:
            save_figure(fig, path)
        finally:
            plt.close(fig)
    return note


def deep_figure(plt, runs):
    """The figure (two panels side by side, the legend under them)."""
    first = runs[0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.6), sharex=True)
    layers = np.arange(1, first.layers + 1)
    marker_every = max(1, first.layers // 20)
    shown = {left: [], right: []}
    for run in runs:
        shown[left].append(_positive(run.variance))
        shown[right].append(_positive(run.delta_norm))
        style = dict(color=COLOURS[run.init], ls=STYLES[run.activation],
                     marker=MARKERS[run.activation], ms=4, markevery=marker_every, lw=1.6,
                     label=run_label(run))
        left.plot(layers, _positive(run.variance), **style)
        right.plot(layers, _positive(run.delta_norm), **style)
    if len(runs) == 1:
        shown[right].append(_positive(first.bound))
        right.plot(layers, _positive(first.bound), color="0.45", ls=":", lw=1.4,
                   label=_("bound: {bound}").format(bound=bound_text(first)))
    for ax in (left, right):
        ax.set_yscale("log")
        _limits(ax, np.concatenate(shown[ax]), 2)
        ax.set_xlabel(_("layer (1 = first, next to the input)"))
        ax.grid(alpha=0.3)
        ax.set_xlim(0.5, first.layers + 0.5)
        if first.layers <= 20:
            ax.set_xticks(layers)
    left.set_title(_("activation variance Var(hₗ)"))
    right.set_title(_("gradient flowing down ‖δₗ‖ = ‖∂L/∂zₗ‖"))
    fig.suptitle(_("{layers} layers of {width} units, a batch of {batch}").format(
        layers=first.layers, width=first.width, batch=first.batch))
    handles, labels = right.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(handles), 4), frameon=False)
    rows = math.ceil(len(handles) / 4)
    fig.tight_layout(rect=(0, 0.06 * rows + 0.02, 1, 1))
    return fig


def _limits(ax, values: np.ndarray, decades: float) -> None:
    """Log-axis limits from whole powers of ten around the values (matplotlib's own margin
    overflows for values near the largest float), at least ``decades`` wide so that a change
    by a few percent does not fill the panel like a change by a million."""
    values = values[np.isfinite(values)]
    if not values.size:
        return
    low = math.floor(math.log10(values.min()))
    high = math.ceil(math.log10(values.max()))
    if high - low < decades:
        middle = (low + high) / 2
        low, high = math.floor(middle - decades / 2), math.ceil(middle + decades / 2)
    low, high = max(low, -300), min(high, 300)
    ax.set_ylim(10.0 ** low, 10.0 ** high)
    if high - low > 12:
        # matplotlib's own log ticks for a span of hundreds of decades run past the largest
        # float; about eight decades, evenly spaced, are placed here instead
        from matplotlib.ticker import FixedLocator, NullLocator

        step = next(k for k in (2, 5, 10, 20, 25, 50, 100) if (high - low) / k <= 8)
        low = low // step * step
        ax.yaxis.set_major_locator(FixedLocator([10.0 ** k for k in range(low, high + 1, step)]))
        ax.yaxis.set_minor_locator(NullLocator())


def bound_text(run) -> str:
    """(¼)ᴸ⁻ˡ⁺¹·∏‖Wₖ‖₂·‖g‖/B, or without the factor for a largest slope of 1."""
    s = ACTIVATIONS[run.activation].max_slope
    factor = "" if s == 1.0 else ("(¼)ᴸ⁻ˡ⁺¹·" if s == 0.25 else f"({s:g})ᴸ⁻ˡ⁺¹·")
    return factor + "∏‖Wₖ‖₂·‖g‖/B"


def _positive(values) -> np.ndarray:
    """Values for a log axis: what is 0 or not finite is left out of the line."""
    v = np.asarray(values, dtype=float).copy()
    v[~(np.isfinite(v) & (v > 0))] = np.nan
    return v

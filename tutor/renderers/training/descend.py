"""``tutor descend``: the function and its gradient, the first steps of every optimiser side by
side, how each ended; the paths on one contour figure, and as an animation.

Everything shown is computed by :mod:`tutor.training.descend`; this module only lays it out.
"""

from __future__ import annotations

import json

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tutor.i18n import N_, _, speaking
from tutor.renderers.notation import text as math_text
from tutor.renderers.prose import Prose
from tutor.renderers.training.json import _plain
from tutor.renderers.training.text import _grid, fmt
from tutor.calculus.tokens import GREEK_LETTERS
from tutor.training.optimizers import HYPERS

LABELS = {"function": N_("function"), "gradient": N_("gradient"), "start": N_("start"),
          "minimum": N_("minimum"), "optimizers": N_("optimizers")}


def _point(v, digits: int = 4) -> str:
    v = np.atleast_1d(np.asarray(v, dtype=np.float64))
    if v.size == 1:
        return fmt(v[0], digits)
    return "(" + ", ".join(fmt(x, digits) for x in v) + ")"


def _column(v) -> str:
    """A vector as a column, one component per line (the first steps' table)."""
    return "\n".join(fmt(x) for x in np.atleast_1d(np.asarray(v, dtype=np.float64)))


def _state(sym: str, v) -> str:
    lines = _column(v).split("\n")
    pad = " " * (len(sym) + 3)
    return "\n".join([f"{sym} = {lines[0]}"] + [pad + line for line in lines[1:]])


def _name(prob) -> str:
    return ", ".join(v.name for v in prob.variables)


def _hypers(run) -> str:
    parts = [f"η = {fmt(run.lr)}"]
    parts += [f"{HYPERS[k].symbol} = " + f"{v:g}".replace("-", "−") for k, v in run.hypers.items()
              if k != "weight_decay" or v]
    return ", ".join(parts)


def header(console: Console, prob, runs) -> None:
    t = _grid()
    args = _name(prob)
    formula = f"f({args}) = {math_text(prob.written)}"
    if prob.constants:
        formula += "   " + _("with {values}").format(values=", ".join(
            f"{GREEK_LETTERS.get(k, k)} = {fmt(v)}" for k, v in prob.constants.items()))
    title = prob.title + (f"   ({prob.name})" if prob.name != "expression" else "")
    rows = [("function", title), ("", formula)]
    for k, (v, d) in enumerate(prob.partials):
        rows.append(("gradient" if k == 0 else "", f"∂f/∂{v.name} = {math_text(d)}"))
    first = runs[0]
    where = f"({args})" if len(prob.variables) > 1 else args
    rows.append(("start", f"{where} = {_point(prob.start)}   f = {fmt(first.values[0])}"))
    for k, m in enumerate(prob.minima):
        rows.append(("minimum" if k == 0 else "", _point(m)))
    rows.append(("optimizers", Prose(";  ".join(f"{r.optimizer}: {_hypers(r)}" for r in runs))))
    for label, value in rows:
        t.add_row(_(LABELS[label]) if label else "", value)
    console.print(t)
    if prob.about:
        console.print(Prose(prob.about, style="dim"))


def first_steps(console: Console, runs) -> None:
    """The first steps of every optimiser, side by side: step by step, one row each."""
    shown = max((len(r.first) for r in runs), default=0)
    if not shown:
        return
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column(_("step|a step of gradient descent").split("|")[0], justify="right")
    t.add_column(_("optimizer"), no_wrap=True)
    t.add_column(_("gradient g"), justify="right", no_wrap=True)
    t.add_column(_("state after the step|of an optimizer").split("|")[0], justify="left",
                 no_wrap=True)
    t.add_column(_("update Δ"), justify="right", no_wrap=True)
    t.add_column(_("new point"), justify="right", no_wrap=True)
    for k in range(shown):
        for j, r in enumerate(runs):
            if k >= len(r.first):
                continue
            s = r.first[k]
            state = "\n".join(_state(sym, v) for sym, v in s.state.items()) or "—"
            t.add_row(str(s.t) if j == 0 or k >= len(runs[0].first) else "", r.optimizer,
                      _column(s.gradient), state, _column(s.update), _column(s.point),
                      end_section=True)
    console.print(Text(_("the first steps, side by side"), style="bold"))
    console.print(t)


def _outcome(r, tol: float) -> str:
    if r.status == "converged":
        said = _("‖∇f‖ < {tol} after {steps} steps").format(tol=f"{tol:g}".replace("-", "−"),
                                                            steps=r.reached)
        if r.kind == "minimum":
            return said + _(": a minimum")
        if r.kind == "saddle":
            return said + _(": a saddle point, not a minimum (the Hessian's eigenvalues {values} "
                            "have both signs)").format(
                values=", ".join(fmt(v) for v in r.eigenvalues))
        if r.kind == "maximum":
            return said + _(": a maximum")
        return said
    if r.status == "diverged" and r.undefined:
        return _("stopped after step {step}: the next point is where f has no value (outside "
                 "its domain)").format(step=r.steps)
    if r.status == "diverged":
        return _("diverged at step {step}: the point ran off (or f has no value there)").format(
            step=r.steps + 1 if len(r.path) == r.steps + 1 else r.steps)
    if r.status == "diverging":
        return _("diverging: f rose in each of the last steps, to {value}, above where it "
                 "started").format(value=fmt(r.values[-1]))
    return _("not within {steps} steps").format(steps=r.steps)


def results(console: Console, prob, runs, tol: float) -> None:
    """Where each run ended, then how, one line each."""
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column(_("optimizer"), no_wrap=True)
    t.add_column(_("steps|taken").split("|")[0], justify="right")
    t.add_column(_("final point"), justify="right", no_wrap=True)
    t.add_column("f", justify="right", no_wrap=True)
    t.add_column("‖∇f‖", justify="right", no_wrap=True)
    if prob.minima:
        # the distance to the nearest known minimum x*
        t.add_column("‖x − x*‖", justify="right", no_wrap=True)
    for r in runs:
        cells = [r.optimizer, str(r.steps), _point(r.final), fmt(r.values[-1]),
                 fmt(r.gradient_norm)]
        if prob.minima:
            cells.append(fmt(r.to_minimum) if r.to_minimum is not None else "—")
        t.add_row(*cells)
    console.print(t)
    g = _grid()
    for r in runs:
        bad = r.status in ("diverged", "diverging")
        g.add_row(r.optimizer, Prose(_outcome(r, tol), style="red" if bad else None))
    console.print(g)


def race_text(console: Console, race) -> None:
    """A race as the terminal shows it: the function, the first steps, how each run ended."""
    header(console, race.problem, race.runs)
    first_steps(console, race.runs)
    results(console, race.problem, race.runs, race.tol)


def as_json(prob, runs, tol: float, *, max_path: int = 1000) -> str:
    out = {
        "function": prob.name,
        "title": prob.title,
        "expression": str(prob.written),
        "variables": [v.name for v in prob.variables],
        "constants": prob.constants,
        "gradient": {v.name: str(d) for v, d in prob.partials},
        "start": prob.start,
        "minima": prob.minima,
        "tolerance": tol,
        "runs": [{
            "optimizer": r.optimizer, "lr": r.lr, "hyperparameters": r.hypers,
            "status": r.status, "steps": r.steps, "reached_tolerance_after": r.reached,
            "final": r.final, "f": r.values[-1], "gradient_norm": r.gradient_norm,
            "stationary_point": r.kind, "hessian_eigenvalues": r.eigenvalues,
            "to_minimum": r.to_minimum,
            "first_steps": [{"step": s.t, "gradient": s.gradient, "state": s.state,
                             "update": s.update, "point": s.point} for s in r.first],
            # the whole path when it is short enough to read (steps + 1 points)
            "path": r.path if len(r.path) <= max_path + 1 else None,
        } for r in runs],
    }
    return json.dumps(_plain(out), indent=2, ensure_ascii=False)


# -- figures --------------------------------------------------------------------------------
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]


def _setup():
    import logging

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return plt


def _background(plt, pic, title: str, runs):
    """The figure with the function drawn and the start and minima marked (no paths yet)."""
    fig, ax = plt.subplots(figsize=(7.6, 7.4))
    if pic.y is None:
        ax.plot(pic.x, pic.f, color="0.35", lw=1.5, zorder=1)
        ax.set_xlabel(pic.variables[0])
        ax.set_ylabel(f"f({pic.variables[0]})")
        ax.set_xlim(pic.x[0], pic.x[-1])
        finite = pic.f[np.isfinite(pic.f)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            pad = 0.08 * (hi - lo or 1.0)
            ax.set_ylim(lo - pad, hi + pad)
        for k, m in enumerate(pic.minima):
            ax.plot([m[0]], [float(np.interp(m[0], pic.x, pic.f))], marker="*", ms=15,
                    color="gold", mec="black", zorder=5, ls="none",
                    label=_("minimum") if k == 0 else None)
        ax.plot([pic.start[0]], [float(np.interp(pic.start[0], pic.x, pic.f))], marker="o",
                ms=8, color="black", zorder=6, ls="none", label=_("start"))
    else:
        X, Y = np.meshgrid(pic.x, pic.y)
        Z = np.where(np.isfinite(pic.f), pic.f, np.nan)
        import matplotlib.colors as mcolors
        from matplotlib import colormaps

        cmap = colormaps["Blues"]
        # one shade per band between two levels, whatever their spacing (even in log f or in f)
        norm = mcolors.BoundaryNorm(pic.levels, ncolors=cmap.N, extend="both")
        ax.contourf(X, Y, Z, levels=pic.levels, cmap=cmap, norm=norm, alpha=0.4, extend="both")
        ax.contour(X, Y, Z, levels=pic.levels, colors="0.45", linewidths=0.6)
        ax.set_xlabel(pic.variables[0])
        ax.set_ylabel(pic.variables[1])
        ax.set_xlim(pic.x[0], pic.x[-1])
        ax.set_ylim(pic.y[0], pic.y[-1])
        for k, m in enumerate(pic.minima):
            ax.plot([m[0]], [m[1]], marker="*", ms=16, color="gold", mec="black", zorder=5,
                    ls="none", label=_("minimum") if k == 0 else None)
        start = pic.start
        ax.plot([start[0]], [start[1]], marker="o", ms=8, color="black", zorder=6, ls="none",
                label=_("start"))
    note = ("" if pic.y is None else
            _("contours spaced evenly in log(f − min f)") if pic.spacing == "log" else
            _("contours spaced evenly in √(f − min f)") if pic.spacing == "sqrt" else
            _("contours spaced evenly in f"))
    ax.set_title(title + (f"\n{note}" if note else ""), fontsize=11)
    ax.grid(alpha=0.25)
    return fig, ax


def _xy(pic, points, values):
    if pic.y is None:
        return points[:, 0], values
    return points[:, 0], points[:, 1]


def _legend(ax):
    # under the axes, off the contours, without narrowing them
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), borderaxespad=0.0, frameon=False,
              fontsize=9, ncol=2)


def _width(k: int, count: int) -> float:
    """Paths drawn first are wider, so one that runs under another still shows at its edges."""
    return 1.4 + 1.1 * (count - 1 - k)


def plot_race(path: str, pic, runs, title: str, *, with_note: bool = False):
    """All the paths on one figure (contours for two variables, the curve for one)."""
    from tutor.renderers.figures import save_figure
    from tutor.renderers.fonts import plot_language

    plt = _setup()
    import matplotlib

    lang, rc, note = plot_language()
    with speaking(lang), matplotlib.rc_context(rc), np.errstate(all="ignore"):
        fig, ax = _background(plt, pic, title, runs)
        try:
            for k, ((name, points, values), r) in enumerate(zip(pic.paths, runs)):
                x, y = _xy(pic, points, values)
                dense = len(points) > 200
                ax.plot(x, y, color=COLOURS[k % len(COLOURS)], lw=_width(k, len(runs)), alpha=0.85,
                        marker=None if dense else "o", ms=3.5, zorder=3 + k * 0.01,
                        label=f"{name} ({_hypers(r)})")
                ax.plot([x[-1]], [y[-1]], marker="X", ms=9, color=COLOURS[k % len(COLOURS)],
                        mec="white", zorder=7, ls="none")
            _legend(ax)
            fig.tight_layout()
            save_figure(fig, path)
        finally:
            plt.close(fig)
    return note if with_note else None


def animate_race(path: str, pic, runs, title: str, *, fps: int = 12) -> None:
    """The paths growing step by step, as a GIF (matplotlib's Pillow writer)."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    from tutor.files import atomic_path
    from tutor.renderers.fonts import plot_language

    plt = _setup()
    import matplotlib

    lang, rc, _note = plot_language()
    with speaking(lang), matplotlib.rc_context(rc), np.errstate(all="ignore"):
        fig, ax = _background(plt, pic, title, runs)
        try:
            lines, heads = [], []
            for k, ((name, points, values), r) in enumerate(zip(pic.paths, runs)):
                colour = COLOURS[k % len(COLOURS)]
                (line,) = ax.plot([], [], color=colour, lw=_width(k, len(runs)), marker="o", ms=3,
                                  label=f"{name} ({_hypers(r)})", zorder=3)
                (head,) = ax.plot([], [], marker="o", ms=8, color=colour, mec="white",
                                  zorder=7, ls="none")
                lines.append(line)
                heads.append(head)
            counter = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=10,
                              bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
            _legend(ax)
            fig.tight_layout()

            def draw(frame):
                step = pic.frames[frame]
                for (name, points, values), line, head in zip(pic.paths, lines, heads):
                    upto = min(step, len(points) - 1)
                    x, y = _xy(pic, points[:upto + 1], values[:upto + 1])
                    line.set_data(x, y)
                    line.set_marker("" if upto > 200 else "o")
                    head.set_data([x[-1]], [y[-1]])
                counter.set_text(_("step {step}").format(step=step))
                return lines + heads + [counter]

            anim = FuncAnimation(fig, draw, frames=len(pic.frames), blit=False)
            with atomic_path(path) as tmp:
                anim.save(tmp, writer=PillowWriter(fps=fps), dpi=80)
        finally:
            plt.close(fig)

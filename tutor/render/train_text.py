"""``tutor train`` in the terminal: the update rule before, progress during, results after.

A progress bar (rich) on a terminal, plain lines when the output is piped; the loss curve as a
text chart (plotext).  Numbers come from the engine; nothing here computes mathematics.
"""

from __future__ import annotations

import re

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .notation import text as math_text

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def fmt(v: float, digits: int = 4) -> str:
    v = float(v)
    if v == 0:
        return "0"
    if not np.isfinite(v):
        return str(v)
    a = abs(v)
    s = f"{v:.{digits}g}" if (a >= 1e-3 and a < 1e5) else f"{v:.{digits - 1}e}"
    return s.replace("-", "−")


def fmt_array(v, digits: int = 4) -> str:
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 0:
        return fmt(v, digits)
    if v.ndim == 1:
        return "[" + ", ".join(fmt(x, digits) for x in v) + "]"
    return "[" + "; ".join(", ".join(fmt(x, digits) for x in row) for row in v) + "]"


def _rows(table: Table, rows):
    for label, value in rows:
        table.add_row(label, value)


def _grid() -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    return t


def linear_text(model) -> str:
    """z = w·x + b, spelled with the model's own names."""
    layer = model.layer
    C = len(layer.z)
    if layer.mode == "data":
        x, w, b = layer.x_group, layer.w_group, layer.b_group
        if C == 1:
            return f"z = {w}·{x}" + (f" + {b}" if b else "")
        return f"z = {x}·{w}" + (f" + {b}" if b else "") + f"   ({w}: features × {C} classes)"
    parts = []
    for c, (products, biases) in enumerate(layer.nodes):
        name = "z" if C == 1 else f"z{c + 1}"
        terms = [f"{math_text(p)}·{math_text(x)}" for p, x in products] + [math_text(b) for b in biases]
        parts.append(f"{name} = " + " + ".join(terms))
    return ",  ".join(parts)


def update_lines(model, reduce: str) -> list[str]:
    avg = "/ n" if reduce == "mean" else ""
    mean = "mean" if reduce == "mean" else "Σ"
    layer = model.layer
    if model.gradient_source:
        return [f"θ ← θ − η · ∂L/∂θ for every parameter θ, the gradient from {model.gradient_source}"]
    if layer is None:
        lines = []
        for s, d in model.partials:
            lines.append(f"{math_text(s)} ← {math_text(s)} − η · {mean}( {math_text(d)} )")
        return lines
    C = len(layer.z)
    lines = []
    for z, d in model.deltas:
        name = "δ" if C == 1 else "δ" + str(z)[1:].translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
        lines.append(f"{name} = ∂ℓ/∂{math_text(z)} = {math_text(d)}")
    if model.delta_note:
        lines.append(f"({model.delta_note})")
    if layer.mode == "data":
        x, w, b = layer.x_group, layer.w_group, layer.b_group
        D = "δ" if C == 1 else "Δ"
        X = x.upper() if x.islower() and len(x) == 1 else x
        lines.append(f"{w} ← {w} − η · {X}ᵀ{D} {avg}".rstrip()
                     + (f"      {b} ← {b} − η · {mean} {D}" if b else ""))
    else:
        lines.append("each weight ← weight − η · " + ("mean" if reduce == "mean" else "Σ")
                     + "(δ · its input);  each bias ← bias − η · " + mean + " δ")
    return lines


def header(console: Console, model, settings, bound, samples: int, source: str) -> None:
    t = _grid()
    loss = math_text(model.loss_shown)
    red = "mean" if settings.reduce == "mean" else "sum"
    rows = [("model", f"{model.title}   ({model.name})" if model.name != "expression" else model.title),
            ("loss", f"ℓ = {loss}   L = {red} of ℓ over a batch")]
    where = model.where
    if where and len(where) <= 4:
        rows.append(("where", ",  ".join(f"{math_text(a)} = {math_text(b)}" for a, b in where)))
    if model.layer is not None:
        rows.append(("layer", linear_text(model)))
    lines = update_lines(model, settings.reduce)
    rows.append(("update", lines[0]))
    rows += [("", line) for line in lines[1:]]
    batch = settings.batch_size or samples
    kind = ("full batch" if batch >= samples else "per-sample SGD" if batch == 1
            else f"mini-batches of {batch}")
    shuffle = ", shuffled" if settings.shuffle and batch < samples else ""
    epochs = f"{settings.epochs} epoch{'s' * (settings.epochs != 1)}"
    if source.startswith("no data"):
        rows.append(("data", f"{source}; {epochs}"))
    else:
        rows.append(("data", f"{samples} sample{'s' * (samples != 1)} from {source}; "
                             f"{kind}{shuffle}, {epochs}"))
    if bound is not None:
        mark = "✓" if settings.lr < bound.lr_max else "✗ above it: expect divergence"
        rows.append(("step size", f"η = {fmt(settings.lr)}   (largest stable η for this data: "
                                  f"2/λ_max = {fmt(bound.lr_max)}, λ_max of the Hessian of "
                                  f"{bound.of})  {mark}"))
    else:
        rows.append(("step size", f"η = {fmt(settings.lr)}"))
    _rows(t, rows)
    console.print(t)


class Progress:
    """A progress bar on a terminal; a line per epoch (at most about 20) otherwise."""

    def __init__(self, console: Console, epochs: int):
        self.console, self.epochs = console, epochs
        self.bar = None
        if console.is_terminal:
            from rich.progress import BarColumn, Progress as Bar, TaskProgressColumn, TextColumn

            self.bar = Bar(TextColumn("epoch {task.completed}/{task.total}"), BarColumn(),
                           TaskProgressColumn(), TextColumn("loss {task.fields[loss]}"),
                           console=console, transient=False)
            self.task = self.bar.add_task("train", total=epochs, loss="…")
        self.every = max(1, epochs // 20)

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def __call__(self, epoch: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=epoch, loss=fmt(loss))
        elif epoch % self.every == 0 or epoch == self.epochs or not np.isfinite(loss):
            self.console.print(f"epoch {epoch}/{self.epochs}  loss {fmt(loss)}", highlight=False)


def loss_chart(history, width: int = 64, height: int = 12) -> str | None:
    """The loss per epoch as a text chart (log scale when every loss is positive)."""
    losses = [history.initial_loss] + history.losses
    if len(losses) < 3 or not all(np.isfinite(losses)):
        return None
    import plotext as plt

    plt.clear_figure()
    epochs = list(range(len(losses)))
    plt.plot(epochs, losses, marker="braille")
    plt.plotsize(width, height)
    log = all(v > 0 for v in losses) and max(losses) / min(losses) > 50
    if log:
        plt.yscale("log")
    plt.theme("clear")
    plt.xlabel("epoch")
    plt.title("loss per epoch" + (" (log scale)" if log else ""))
    return _ANSI.sub("", plt.build()).rstrip()


def result(console: Console, model, history, comparison, bound, advice: str | None) -> None:
    if history.diverged:
        t = _grid()
        where = (f"at epoch {history.stop_epoch}, step {history.stop_step}"
                 if history.stop_step else "before the first step")
        t.add_row(Text("stopped", style="bold red"),
                  Text(f"{where}: {history.stop_reason}", style="red"))
        if advice:
            t.add_row("why", advice)
        console.print(t)
    chart = loss_chart(history)
    if chart:
        console.print(Text(chart))
    t = _grid()
    rows = []
    params = "   ".join(f"{k} = {fmt_array(v, 6)}" for k, v in history.params.items())
    rows.append(("result", params))
    red = history.settings.reduce
    over = (f"{red} over all {history.samples} samples" if history.samples > 1
            else "one sample" if model.data else "no data")
    rows.append(("loss", f"{fmt(history.initial_loss)} → {fmt(history.final_loss)}  ({over})"))
    if comparison:
        for label, errors in comparison:
            rows.append((label, "   ".join(f"{k} {fmt_array(v)}" for k, v in errors.items())))
    rows.append(("time", f"{history.steps} step{'s' * (history.steps != 1)} in "
                         f"{history.seconds:.3g} s"))
    _rows(t, rows)
    console.print(t)

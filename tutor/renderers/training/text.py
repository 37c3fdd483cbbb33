"""``tutor train`` in the terminal: the update rule before, progress during, results after.

A progress bar (rich) on a terminal, plain lines when the output is piped; the loss curve as a
text chart (plotext).  Numbers come from the engine; nothing here computes mathematics.
"""

from __future__ import annotations

import re

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tutor.training.engine import Inputs
from tutor.i18n import N_, _, current_language
from tutor.renderers.notation import text as math_text
from tutor.renderers.prose import Prose, whole

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


def _grid() -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    # Chinese has no spaces between words: a long run of it is folded at the edge (rich would
    # cut it short with an ellipsis, as it does with a single over-long English word)
    t.add_column(overflow="fold" if current_language() == "zh" else "ellipsis")
    return t


def linear_text(model) -> str:
    """z = w·x + b, spelled with the model's own names."""
    layer = model.layer
    C = len(layer.z)
    if layer.mode is Inputs.DATA:
        x, w, b = layer.x_group, layer.w_group, layer.b_group
        if C == 1:
            return f"z = {w}·{x}" + (f" + {b}" if b else "")
        return (f"z = {x}·{w}" + (f" + {b}" if b else "") + "   "
                + _("({name}: features × {count} classes)").format(name=w, count=C))
    parts = []
    for c, (products, biases) in enumerate(layer.nodes):
        name = "z" if C == 1 else f"z{c + 1}"
        terms = [f"{math_text(p)}·{math_text(x)}" for p, x in products] + [math_text(b) for b in biases]
        parts.append(f"{name} = " + " + ".join(terms))
    return ",  ".join(parts)


def plain_descent(settings) -> bool:
    """Plain gradient descent: no optimiser state, no weight decay (the rule is one line)."""
    return settings is None or (settings.optimizer == "sgd"
                                and not settings.hypers.get("weight_decay"))


def update_lines(model, reduce: str, settings=None) -> list[str]:
    """The update rule with the derived gradient in it: for plain gradient descent one line per
    parameter; for another optimiser the gradient, then its rule in θ and g."""
    avg = "/ n" if reduce == "mean" else ""
    # the mean written as mathematics, the same in every language
    mean = "(1/n)·Σ" if reduce == "mean" else "Σ"
    plain = plain_descent(settings)
    layer = model.layer
    if model.gradient_source:
        lines = [_("θ ← θ − η · ∂L/∂θ for every parameter θ, the gradient from {source}")
                 .format(source=model.gradient_source)] if plain else [
            _("∂L/∂θ for every parameter θ from {source}").format(source=model.gradient_source)]
        return lines if plain else lines + _optimizer_lines(settings)
    if layer is None and _layer_wise(model) is not None:
        lines = layer_wise_update(model, reduce, plain=plain)
        return lines if plain else lines + _optimizer_lines(settings)
    if layer is None:
        lines = []
        for s, d in model.partials:
            lines.append(f"{math_text(s)} ← {math_text(s)} − η · {mean}( {math_text(d)} )" if plain
                         else f"∂L/∂{math_text(s)} = {mean}( {math_text(d)} )")
        return lines if plain else lines + _optimizer_lines(settings)
    C = len(layer.z)
    lines = []
    for z, d in model.deltas:
        name = "δ" if C == 1 else "δ" + str(z)[1:].translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
        lines.append(f"{name} = ∂ℓ/∂{math_text(z)} = {math_text(d)}")
    if model.delta_note:
        lines.append(f"({_(model.delta_note)})")
    if layer.mode is Inputs.DATA:
        x, w, b = layer.x_group, layer.w_group, layer.b_group
        D = "δ" if C == 1 else "Δ"
        X = x.upper() if x.islower() and len(x) == 1 else x
        if plain:
            lines.append(f"{w} ← {w} − η · {X}ᵀ{D} {avg}".rstrip()
                         + (f"      {b} ← {b} − η · Σ{D} {avg}".rstrip() if b else ""))
        else:
            lines.append(f"∂L/∂{w} = {X}ᵀ{D} {avg}".rstrip()
                         + (f"      ∂L/∂{b} = Σ{D} {avg}".rstrip() if b else ""))
    elif plain:
        lines.append(_("each weight ← weight − η · {mean}(δ · its input);  "
                       "each bias ← bias − η · {mean} δ").format(mean=mean))
    else:
        lines.append(_("∂L/∂(each weight) = {mean}(δ · its input);  ∂L/∂(each bias) = {mean} δ")
                     .format(mean=mean))
    return lines if plain else lines + _optimizer_lines(settings)


def _optimizer_lines(settings) -> list[str]:
    """g (with L2 weight decay in it, or said to be decoupled), then the optimiser's rule."""
    from tutor.training.optimizers import OPTIMIZERS

    optimizer = OPTIMIZERS[settings.optimizer]
    wd = settings.hypers.get("weight_decay", 0.0)
    if wd and not optimizer.decoupled:
        g = "g = ∂L/∂θ + λ·θ   " + _("(L2 weight decay λ = {wd}: its gradient added to g)").format(
            wd=_number(wd))
    elif wd:
        g = "g = ∂L/∂θ   " + _("(decoupled weight decay λ = {wd}: θ shrinks before the step, "
                               "never through g)").format(wd=_number(wd))
    else:
        g = "g = ∂L/∂θ"
    rule = [line for line in optimizer.rule if wd or "λ" not in line]
    return [g] + rule


def _number(v: float) -> str:
    return f"{v:g}".replace("-", "−")


def _layer_wise(model):
    """The network's layer-by-layer form, when the header writes it (no linear layer, and
    gradients from the loss's own derivatives)."""
    return model.layer_wise if model.layer is None and not model.gradient_source else None


def layer_rows(form) -> list[tuple[str, str]]:
    """The forward pass a layer per line, then the backward pass from the loss down."""
    forward = ["   ".join(f"{math_text(a)} = {math_text(b)}" for a, b in row)
               for row in form.forward]
    backward = ["   ".join(_chain(c) for c in row) for row in form.backward + form.params]
    return ([("forward" if k == 0 else "", line) for k, line in enumerate(forward)]
            + [("backward" if k == 0 else "", line) for k, line in enumerate(backward)])


def _adjoint(name) -> str:
    return f"∂ℓ/∂{math_text(name)}"


def _chain(chain) -> str:
    """∂ℓ/∂h₁ = ∂ℓ/∂ŷ·v₁: each use, its upstream adjoint times the local derivative."""
    terms = []
    for upstream, local in chain.terms:
        if upstream is None:
            terms.append(math_text(local))
        elif local == 1:
            terms.append(_adjoint(upstream))
        else:
            shown = math_text(local)
            wrap = local.is_Add or shown.startswith("−")
            terms.append(f"{_adjoint(upstream)}·" + (f"({shown})" if wrap else shown))
    return f"{_adjoint(chain.name)} = " + " + ".join(terms)


def layer_wise_update(model, reduce: str, *, plain: bool = True) -> list[str]:
    """One line for every parameter: each steps against its gradient, the chain above (with
    another optimiser than plain gradient descent, the gradient its rule is given)."""
    mean = "(1/n)·Σ" if reduce == "mean" else "Σ"
    members = [s for g in model.params for s in g.members]
    named = ", ".join(math_text(s) for s in members) if len(members) <= 4 else \
        f"{math_text(members[0])}, {math_text(members[1])}, …, {math_text(members[-1])}"
    if not plain:
        return [_("∂L/∂θ = {mean} ∂ℓ/∂θ over the batch, for each of the {count} parameters "
                  "θ = {names}").format(mean=mean, count=len(members), names=named)]
    return [_("θ ← θ − η · {mean} ∂ℓ/∂θ over the batch, for each of the {count} parameters "
              "θ = {names}").format(mean=mean, count=len(members), names=named)]


#: the row labels of the header and the summary (translated where shown; a text after "|" is
#: context for the translator, to tell "where" here from "where" elsewhere, and is not shown)
LABELS = {"model": N_("model"), "loss": N_("loss"), "where": N_("where|the named parts of the loss"),
          "layer": N_("layer"),
          "forward": N_("forward|the forward pass of a network, layer by layer"),
          "backward": N_("backward|the backward pass of a network, layer by layer"),
          "update": N_("update"), "data": N_("data"), "step size": N_("step size"),
          "stopped": N_("stopped"), "why": N_("why|why training stopped"), "result": N_("result"), "time": N_("time"),
          "note": N_("note"), "optimizer": N_("optimizer"),
          "state": N_("state|what an optimizer keeps between steps"),
          "schedule": N_("schedule|of the learning rate")}
#: how the trained parameters are compared (labels made by tutor.training.model.compare)
COMPARISONS = {"error vs true": N_("error vs true"),
               "error vs true (centred)": N_("error vs true (centred)"),
               "vs least squares": N_("vs least squares")}


def _label(key: str) -> str:
    return _(LABELS[key]).split("|")[0] if key in LABELS else key


def _rows(table: Table, rows):
    for label, value in rows:
        table.add_row(_label(label) if label else label, value)


def _samples(n: int) -> str:
    return _("1 sample") if n == 1 else _("{count} samples").format(count=n)


def _epochs(n: int) -> str:
    return _("1 epoch") if n == 1 else _("{count} epochs").format(count=n)


def header(console: Console, model, settings, bound, samples: int, source: str | None) -> None:
    """The model, its loss and update rule, the data and the step size, before training.
    ``source`` says where the data come from (None: the loss has no data)."""
    t = _grid()
    loss = math_text(model.loss_shown)
    rows = [("model", f"{model.title}   ({model.name})" if model.name != "expression" else model.title),
            ("loss", f"ℓ = {loss}   " + (_("L = mean of ℓ over a batch") if settings.reduce == "mean"
                                         else _("L = sum of ℓ over a batch")))]
    where = model.where
    if _layer_wise(model) is not None:
        rows += layer_rows(_layer_wise(model))
    elif where and len(where) <= 4:
        rows.append(("where", ",  ".join(f"{math_text(a)} = {math_text(b)}" for a, b in where)))
    if model.layer is not None:
        rows.append(("layer", linear_text(model)))
    lines = update_lines(model, settings.reduce, settings)
    rows.append(("update", lines[0]))
    rows += [("", line) for line in lines[1:]]
    if not plain_descent(settings) or settings.schedule.kind != "constant":
        rows += optimizer_rows(settings)
    batch = settings.batch_size or samples
    kind = (_("full batch") if batch >= samples else _("per-sample SGD") if batch == 1
            else _("mini-batches of {size}").format(size=batch))
    shuffle = _(", shuffled") if settings.shuffle and batch < samples else ""
    epochs = _epochs(settings.epochs)
    if source is None:
        rows.append(("data", _("no data: the loss is a function of the parameters alone; {epochs}")
                     .format(epochs=epochs)))
    else:
        rows.append(("data", _("{samples} from {source}; {kind}{shuffle}, {epochs}").format(
            samples=_samples(samples), source=source, kind=kind, shuffle=shuffle, epochs=epochs)))
    if bound is not None and bound.formula != "2/λ_max":
        mark = "✓" if settings.lr < bound.lr_max else _("✗ above it: expect divergence")
        rows.append(("step size", Prose(_("η = {lr}   (largest stable η for this data and "
                                          "optimizer: {formula} = {lr_max}, λ_max of the "
                                          "Hessian of {of})  {mark}").format(
            lr=fmt(settings.lr), formula=bound.formula,
            lr_max=whole(fmt(bound.lr_max)), of=bound.of, mark=whole(mark)))))
    elif bound is None and _adaptive(settings):
        rows.append(("step size", Prose(_("η = {lr}   ({name} divides each step by a running "
                                          "size of the gradients, so no bound from λ_max of "
                                          "the Hessian applies)").format(
            lr=fmt(settings.lr), name=_optimizer_title(settings)))))
    elif bound is not None:
        mark = "✓" if settings.lr < bound.lr_max else _("✗ above it: expect divergence")
        rows.append(("step size", Prose(_("η = {lr}   (largest stable η for this data: "
                                          "2/λ_max = {lr_max}, λ_max of the Hessian of {of})  "
                                          "{mark}").format(
            lr=fmt(settings.lr),
            lr_max=whole(fmt(bound.lr_max)), of=bound.of, mark=whole(mark)))))
    else:
        rows.append(("step size", f"η = {fmt(settings.lr)}"))
    if settings.reduce == "sum" and samples and settings.mean_lr(samples) is not None:
        rows.append(("", Prose(_("the loss is a sum over each batch of {n}, so its gradient is "
                                 "{n} times the mean's: η = {lr} here takes the same steps as "
                                 "η = {mean_lr} on the mean loss").format(
            n=settings.batch_of(samples), lr=fmt(settings.lr),
            mean_lr=fmt(settings.mean_lr(samples))))))
    _rows(t, rows)
    console.print(t)


def _adaptive(settings) -> bool:
    from tutor.training.optimizers import OPTIMIZERS

    return OPTIMIZERS[settings.optimizer].bound_factor is None


def _optimizer_title(settings) -> str:
    from tutor.training.optimizers import OPTIMIZERS

    return _(OPTIMIZERS[settings.optimizer].title)


def optimizer_rows(settings) -> list[tuple[str, object]]:
    """The optimiser with its hyper-parameters, where PyTorch's form differs from the paper,
    the state it keeps, and the learning-rate schedule."""
    from tutor.training.optimizers import HYPERS, OPTIMIZERS

    optimizer = OPTIMIZERS[settings.optimizer]
    hp = settings.hypers
    values = ", ".join(f"{HYPERS[k].symbol} = {_number(v)}" for k, v in hp.items())
    rows: list[tuple[str, object]] = [
        ("optimizer", Prose(_("{title} ({values}), as {torch}; every parameter θ is updated "
                              "elementwise").format(title=_(optimizer.title), values=values,
                                                    torch=optimizer.torch)))]
    if optimizer.paper:
        rows.append(("", Prose(_(optimizer.paper), style="dim")))
    if optimizer.state:
        rows.append(("state", Prose(";  ".join(f"{sym}: {_(what)}" for sym, what in optimizer.state))))
    else:
        rows.append(("state", _("none: each step uses only the current gradient")))
    sched = settings.schedule
    if sched.kind == "step":
        runs = sched.runs(settings.lr, settings.epochs)
        shown = ", ".join(
            (_("η = {lr} in epochs {first}–{last}") if a != b else _("η = {lr} in epoch {first}"))
            .format(lr=fmt(lr), first=a, last=b) for a, b, lr in runs[:3]) + (", …" if len(runs) > 3 else "")
        rows.append(("schedule", Prose(_("step (as PyTorch's StepLR): η × {gamma} every {size} "
                                         "epochs: {shown}").format(
            gamma=_number(sched.gamma), size=sched.step_size, shown=shown))))
    elif sched.kind == "cosine":
        last = sched.lr(settings.lr, settings.epochs, settings.epochs)
        rows.append(("schedule", Prose(_("cosine (as PyTorch's CosineAnnealingLR): η in epoch k "
                                         "is η_min + (η − η_min)·(1 + cos(π(k − 1)/{epochs}))/2, "
                                         "from {lr} down to {last} in epoch {epochs} (η_min = "
                                         "{lr_min})").format(
            epochs=settings.epochs, lr=fmt(settings.lr), last=fmt(last),
            lr_min=_number(sched.lr_min)))))
    return rows


class Progress:
    """A progress bar on a terminal; a line per epoch (at most about 20) otherwise."""

    def __init__(self, console: Console, epochs: int):
        self.console, self.epochs = console, epochs
        self.bar = None
        if console.is_terminal:
            from rich.progress import BarColumn, Progress as Bar, TaskProgressColumn, TextColumn

            self.bar = Bar(TextColumn(_("epoch {task.completed}/{task.total}")), BarColumn(),
                           TaskProgressColumn(), TextColumn(_("loss {task.fields[loss]}")),
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
            self.console.print(_("epoch {epoch}/{epochs}  loss {loss}").format(
                epoch=epoch, epochs=self.epochs, loss=fmt(loss)), highlight=False)


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
    plt.xlabel(_("epoch"))
    plt.title(_("loss per epoch (log scale)") if log else _("loss per epoch"))
    return _ANSI.sub("", plt.build()).rstrip()


def sweep_table(console: Console, swept, reduce: str) -> None:
    """The loss along one parameter, its slope, and where the descent passed."""
    name = swept.name
    marks: dict[int, list[int]] = {}
    values = [v for v, _, _ in swept.rows]
    half = abs(values[1] - values[0]) / 2 if len(values) > 1 else np.inf
    for epoch, v in swept.path:
        # the descent's value at this epoch, at the nearest point of the range (if inside it)
        nearest = min(range(len(values)), key=lambda k: abs(values[k] - v))
        if abs(values[nearest] - v) <= half:
            marks.setdefault(nearest, []).append(epoch)
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column(name, justify="right")
    t.add_column("L" if reduce == "sum" else _("L (mean)"), justify="right")
    t.add_column(f"∂L/∂{name}", justify="right")
    t.add_column(_("descent"), justify="left")
    for k, (v, loss, slope) in enumerate(swept.rows):
        notes = []
        if k in marks:
            notes.append(_("epoch {epochs}").format(epochs=", ".join(map(str, marks[k]))))
        if k == swept.lowest:
            notes.append(_("← lowest"))
        t.add_row(fmt(v), fmt(loss), fmt(slope), "  ".join(notes))
    console.print(Text(_("the loss along {name}, the other parameters where training left "
                         "them").format(name=name), style="bold"))
    console.print(t)


def trace(console: Console, rows, lr: float, steps: int, plain: bool = True) -> None:
    """The first steps whole: each parameter's gradient and the update it makes,
    w ← w − η·∂L/∂w (or another optimiser's step: ``plain`` False), with the value after
    the step."""
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column(_("step|a step of gradient descent").split("|")[0], justify="right")
    names = list(rows[0][1])
    for name in names:
        t.add_column(f"∂L/∂{name}", justify="right")
        t.add_column(f"{name} ← {name} − η·∂L/∂{name}" if plain
                     else _("{name} after the step").format(name=name), justify="right")
    for step, grads, params in rows:
        cells = [str(step)]
        for name in names:
            cells += [fmt_array(grads[name]), fmt_array(params[name])]
        t.add_row(*cells)
    console.print(Text(_("the first steps, whole (η = {lr})").format(lr=fmt(lr)), style="bold"))
    console.print(t)
    if len(rows) < steps:
        console.print(Text(_("… {shown} of {steps} steps shown (--trace {shown})").format(
            shown=len(rows), steps=steps), style="dim"))


def result(console: Console, model, history, comparison, bound, advice: str | None,
           unfinished: str | None = None) -> None:
    if history.diverged:
        t = _grid()
        stop = (_("at epoch {epoch}, step {step}: {reason}").format(
                    epoch=history.stop_epoch, step=history.stop_step, reason=history.stop_reason)
                if history.stop_step else
                _("before the first step: {reason}").format(reason=history.stop_reason))
        t.add_row(Text(_label("stopped"), style="bold red"), Text(stop, style="red"))
        if advice:
            t.add_row(_label("why"), Prose(advice))
        console.print(t)
    chart = loss_chart(history)
    if chart:
        console.print(Text(chart))
    t = _grid()
    rows = []
    params = "   ".join(f"{k} = {fmt_array(v, 6)}" for k, v in history.params.items())
    rows.append(("result", params))
    red = history.settings.reduce
    over = ((_("(mean over all {count} samples)") if red == "mean"
             else _("(sum over all {count} samples)")).format(count=history.samples)
            if history.samples > 1 else _("(one sample)") if model.data else _("(no data)"))
    rows.append(("loss", f"{fmt(history.initial_loss)} → {fmt(history.final_loss)}  {over}"))
    if comparison:
        for label, errors in comparison:
            rows.append((_(COMPARISONS[label]) if label in COMPARISONS else label, "   ".join(f"{k} {fmt_array(v)}" for k, v in errors.items())))
    rows.append(("time", (_("1 step in {seconds} s") if history.steps == 1 else
                          _("{count} steps in {seconds} s")).format(
        count=history.steps, seconds=f"{history.seconds:.3g}")))
    if unfinished:
        rows.append(("note", Prose(unfinished, style="yellow")))
    _rows(t, rows)
    console.print(t)


def data_origin(session) -> str | None:
    """Where a run's data come from, in words (None: the loss has no data)."""
    from tutor.training.session import Origin

    if session.origin is Origin.SYNTHETIC:
        if session.model.kind == "regression":
            return _("synthetic data, noise {noise}").format(noise=f"{session.synthetic.noise:g}")
        return _("synthetic data")
    if session.origin is Origin.GIVEN:
        return ", ".join(d if "=" not in d else d.split("=")[0] + "=…" for d in session.given)
    return None

"""Gradient descent: full-batch, mini-batch and per-sample, on any :class:`Objective`.

The loop is NumPy only: each step slices a batch (a view, after one shuffle per epoch),
asks the objective for the gradient of the batch's reduced loss and hands it to the chosen
optimiser (:mod:`tutor.training.optimizers`; plain gradient descent moves every parameter by
−lr × the gradient).  After each epoch the loss over the whole data (same reduction) is
recorded.  In full-batch training that loss is the one the next step's forward pass computes
anyway, so the objective is asked for value and gradient together (``value_and_gradient``,
when it has one) and the data are passed over once per step; only the last epoch's loss
costs a pass of its own.  With mini-batches the whole-data loss is a different quantity from
any batch's, and costs one forward pass over all the data per epoch.  Training stops early, marked diverged, when a parameter or the loss stops being a
finite number, or when the loss has grown for ``patience`` epochs in a row past its start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from tutor.training.engine import REDUCTIONS, Objective
from tutor.training.optimizers import Schedule, get as get_optimizer
from tutor.errors import ParameterError, TutorError
from tutor.i18n import _


#: a loss this many times its starting value means the run diverged, whatever its path
FAR_ABOVE = 10.0
#: per-step parameters are kept for the path plots up to this many steps
MAX_KEPT_STEPS = 5000
#: the most steps one run may take, and the most sample-gradients it may compute (steps ×
#: batch): a run a learner watches, well under a minute; more is refused before it starts
MAX_STEPS = 1_000_000
MAX_SAMPLE_GRADIENTS = 1_000_000_000


@dataclass
class Settings:
    lr: float
    epochs: int
    #: samples per step; None means the whole data (full-batch gradient descent)
    batch_size: int | None = None
    shuffle: bool = True
    seed: int | None = None
    reduce: str = "mean"
    #: epochs of growing loss (above the starting loss) that count as diverging
    patience: int = 3
    #: the optimiser (a name in tutor.training.optimizers.OPTIMIZERS) and the
    #: hyper-parameters given for it (the others take its defaults)
    optimizer: str = "sgd"
    hyper: dict = field(default_factory=dict)
    schedule: Schedule = field(default_factory=Schedule)

    @property
    def hypers(self) -> dict[str, float]:
        """Every hyper-parameter of the optimiser, defaults filled in."""
        return get_optimizer(self.optimizer).hypers(self.hyper)

    def check(self, n: int) -> None:
        if not (self.lr > 0 and np.isfinite(self.lr)):
            raise ParameterError("lr", _("{param} must be a positive number, not {value}"),
                                 value=f"{self.lr:g}")
        if self.epochs < 1:
            raise ParameterError("epochs", _("{param} must be at least 1, not {value}"),
                                 value=self.epochs)
        if self.batch_size is not None:
            if self.batch_size < 1:
                raise ParameterError("batch_size", _("{param} must be at least 1, not {value}"),
                                     value=self.batch_size)
            if self.batch_size > n:
                raise ParameterError("batch_size", _("{param} {size} is larger than the data "
                                                     "({count} samples)"),
                                     size=self.batch_size, count=n)
        batch = n if self.batch_size is None else self.batch_size
        steps = self.epochs * -(-n // batch)
        if steps > MAX_STEPS or self.epochs * n > MAX_SAMPLE_GRADIENTS:
            raise ParameterError("epochs", _("{param} {epochs} with {count} samples means {steps} "
                                             "steps ({total} sample gradients); one run may take "
                                             "at most {max_steps} steps and {max_total} sample "
                                             "gradients"),
                                 epochs=self.epochs, count=n, steps=f"{steps:,}",
                                 total=f"{self.epochs * n:,}", max_steps=f"{MAX_STEPS:,}",
                                 max_total=f"{MAX_SAMPLE_GRADIENTS:,}")
        if self.reduce not in REDUCTIONS:
            raise ParameterError("reduce", _("{param} must be one of {names}"),
                                 names=", ".join(REDUCTIONS))
        self.hypers  # an unknown optimiser or a hyper-parameter out of range is refused here


    def mean_lr(self, n: int) -> float | None:
        """The learning rate that takes the same steps on the mean loss, for data of ``n``
        samples: a sum over a batch of b has b times the mean's gradient, so η on the sum is
        b·η on the mean; None when the batches differ in size (no one rate does it)."""
        if self.reduce != "sum":
            return self.lr
        b = self.batch_of(n)
        return self.lr * b if n % b == 0 else None

    def batch_of(self, n: int) -> int:
        """Samples per step on data of ``n`` samples."""
        return n if self.batch_size is None else min(self.batch_size, n)


@dataclass
class History:
    """What happened: the loss after each epoch, the parameters, the timings."""

    settings: Settings
    samples: int
    initial_loss: float
    #: [{"epoch": 1, "loss": …}, …]
    epochs: list[dict] = field(default_factory=list)
    #: the parameters before training and after each epoch (copies)
    path: list[dict[str, np.ndarray]] = field(default_factory=list)
    #: the parameters after every step, when there are few enough steps to keep them
    step_path: list[dict[str, np.ndarray]] = field(default_factory=list)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    steps: int = 0
    diverged: bool = False
    #: why and where it stopped, when it diverged
    stop_reason: str = ""
    stop_epoch: int | None = None
    stop_step: int | None = None
    seconds: float = 0.0

    @property
    def final_loss(self) -> float:
        return self.epochs[-1]["loss"] if self.epochs else self.initial_loss

    @property
    def losses(self) -> list[float]:
        return [e["loss"] for e in self.epochs]


def _n(data: Mapping[str, np.ndarray]) -> int:
    lengths = {a.shape[0] for a in data.values()}
    return lengths.pop() if lengths else 1


def _finite(params: Mapping[str, np.ndarray]) -> bool:
    return all(np.isfinite(v).all() for v in params.values())


def _together(objective) -> Callable:
    """``value_and_gradient`` of the objective, or its loss and gradient one after the other."""
    both = getattr(objective, "value_and_gradient", None)
    if both is not None:
        return both

    def separately(params, batch, reduce):
        return objective.loss(params, batch, reduce), objective.gradient(params, batch, reduce)

    return separately


def train(objective: Objective, data: Mapping[str, np.ndarray], settings: Settings, *,
          init: Mapping[str, object] | None = None,
          on_epoch: Callable[[int, float], None] | None = None,
          on_step: Callable[[int, dict, dict], None] | None = None,
          prepared: Mapping[str, np.ndarray] | None = None) -> History:
    """Run gradient descent; ``data`` is named after the model's symbols (see
    :meth:`Objective.prepare`), or give ``prepared`` arrays directly."""
    start = time.perf_counter()
    arrays = dict(prepared) if prepared is not None else objective.prepare(data)
    n = _n(arrays)
    settings.check(n)
    # the parameters are updated in place: arrays of their own, in float64
    params = {k: np.array(v, dtype=np.float64, copy=True)
              for k, v in objective.init_params(arrays, init or {}).items()}
    reduce = settings.reduce
    B = settings.batch_size or n
    full = B >= n
    rng = np.random.default_rng(settings.seed)
    optimizer = get_optimizer(settings.optimizer)
    hp = settings.hypers
    state = {k: optimizer.new_state(v) for k, v in params.items()}
    together = _together(objective)

    with np.errstate(all="ignore"):
        if full:
            # the first step's forward pass gives the starting loss
            initial, grads = together(params, arrays, reduce)
        else:
            initial = objective.loss(params, arrays, reduce)
    history = History(settings=settings, samples=n, initial_loss=initial)
    history.path.append({k: np.array(v, copy=True) for k, v in params.items()})
    if not np.isfinite(initial):
        history.diverged = True
        history.stop_epoch, history.stop_step = 0, 0
        history.stop_reason = _("the loss is not a finite number at the starting point")
        history.params = params
        history.seconds = time.perf_counter() - start
        return history
    growing = 0
    step = 0
    keep_steps = settings.epochs * -(-n // B) <= MAX_KEPT_STEPS
    if keep_steps:
        history.step_path.append(history.path[0])
    for epoch in range(1, settings.epochs + 1):
        lr = settings.schedule.lr(settings.lr, epoch, settings.epochs)
        if settings.shuffle and not full:
            order = rng.permutation(n)
            epoch_arrays = {k: a[order] for k, a in arrays.items()}
        else:
            epoch_arrays = arrays
        for lo in range(0, n, B):
            with np.errstate(all="ignore"):
                if not full:
                    batch = {k: a[lo:lo + B] for k, a in epoch_arrays.items()}
                    grads = objective.gradient(params, batch, reduce)
                step += 1
                for k, g in grads.items():
                    optimizer.apply(params[k], g, state[k], lr, hp, step)
            if keep_steps:
                history.step_path.append({k: np.array(v, copy=True) for k, v in params.items()})
            if on_step is not None:
                on_step(step, grads, params)
            if not _finite(params):
                history.diverged = True
                history.stop_epoch, history.stop_step = epoch, step
                history.stop_reason = _("a parameter is no longer a finite number")
                break
        if history.diverged:
            break
        with np.errstate(all="ignore"):
            if full and epoch < settings.epochs:
                # the next step's forward pass: this epoch's loss and the next gradient
                loss, grads = together(params, arrays, reduce)
            else:
                loss = objective.loss(params, arrays, reduce)
        history.epochs.append({"epoch": epoch, "loss": loss})
        history.path.append({k: np.array(v, copy=True) for k, v in params.items()})
        if on_epoch is not None:
            on_epoch(epoch, loss)
        if not np.isfinite(loss):
            history.diverged = True
            history.stop_epoch, history.stop_step = epoch, step
            history.stop_reason = _("the loss is no longer a finite number")
            break
        previous = history.epochs[-2]["loss"] if len(history.epochs) > 1 else initial
        growing = growing + 1 if loss > previous else 0
        if growing >= settings.patience and loss > initial:
            history.diverged = True
            history.stop_epoch, history.stop_step = epoch, step
            history.stop_reason = _("the loss grew for {count} epochs in a row").format(count=growing)
            break
    last = history.epochs[-1]["loss"] if history.epochs else initial
    if not history.diverged and last > FAR_ABOVE * max(initial, 1e-12) and last - initial > 1.0:
        # an oscillating run: the loss jumps up and down, never three times in a row, but
        # ends far above where it started
        history.diverged = True
        history.stop_epoch, history.stop_step = len(history.epochs), step
        history.stop_reason = _("the loss went from {start} to {now}, far above where it "
                                "started").format(start=f"{initial:.4g}", now=f"{last:.4g}")
    history.steps = step
    # a scalar parameter is updated in place as a 0-d array; it is handed back as a number
    history.params = {k: v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v
                      for k, v in params.items()}
    history.seconds = time.perf_counter() - start
    return history


def least_squares(X: np.ndarray, y: np.ndarray, *, bias: bool = True) -> tuple[np.ndarray, float]:
    """The closed-form least-squares weights (and bias) for y ≈ X w + b.

    Up to 10⁵ samples by an orthogonal factorisation of A = [X 1]; above, by the normal
    equations AᵀA θ = Aᵀy, which never build A (the features are few, so AᵀA is small)."""
    if len(X) <= 100_000:
        A = np.column_stack([X, np.ones(len(X))]) if bias else X
        sol, *_ = np.linalg.lstsq(A, y, rcond=None)
    else:
        from tutor.training.stability import _gram

        rhs = X.T @ y
        if bias:
            rhs = np.append(rhs, y.sum())
        sol, *_ = np.linalg.lstsq(_gram(X, bias), rhs, rcond=None)
    return (sol[:-1], float(sol[-1])) if bias else (sol, 0.0)


@dataclass
class Landscape:
    """The loss over a grid of one or two parameter coordinates, the others held at the
    final values, and the path training took over them."""

    labels: list[str]
    axes: list[np.ndarray]
    loss: np.ndarray
    path: list[np.ndarray]
    path_loss: np.ndarray
    #: "step" or "epoch": what one point of the path is
    per: str = "epoch"
    #: the coordinates held fixed, with their final values, as text
    held: str = ""
    #: the lowest point of the loss on the grid, when the slice has a minimum within reach
    minimum: np.ndarray | None = None


def coordinates(params: Mapping[str, np.ndarray]) -> list[tuple[str, str, tuple]]:
    """(label, parameter, index) for every number in the parameters, in order."""
    out = []
    for name, v in params.items():
        v = np.asarray(v)
        if v.ndim == 0:
            out.append((name, name, ()))
        else:
            for idx in np.ndindex(v.shape):
                out.append((f"{name}{''.join(str(i + 1) for i in idx)}", name, idx))
    return out


def landscape(objective: Objective, prepared: Mapping[str, np.ndarray], history: History,
              *, points: int = 71, max_samples: int = 20000) -> Landscape | None:
    """The loss around the path over the first one or two parameter coordinates, on a range
    that also holds the lowest point of that slice (the others held at their final values)
    with a margin, when the slice has one within reach."""
    coords = coordinates(history.params)[:2]
    if not coords:
        return None
    n = _n(prepared)
    if n > max_samples:
        sample = {k: a[:max_samples] for k, a in prepared.items()}
    else:
        sample = prepared
    reduce = history.settings.reduce
    steps = history.step_path or history.path
    path = [np.array([float(np.asarray(p[c[1]])[c[2]]) for c in coords]) for p in steps]
    P = np.array(path)

    def at(values):
        params = {k: np.array(v, copy=True) for k, v in history.params.items()}
        for (label, name, idx), value in zip(coords, values):
            if idx == ():
                params[name] = np.array(value)
            else:
                params[name][idx] = value
        with np.errstate(all="ignore"):
            return objective.loss(params, sample, reduce)

    low, high = P.min(axis=0), P.max(axis=0)
    lowest = _lowest(at, low, high)
    if lowest is not None:
        low, high = np.minimum(low, lowest), np.maximum(high, lowest)
    axes = []
    for j in range(len(coords)):
        lo, hi = low[j], high[j]
        pad = max(0.25 * (hi - lo), 0.5, 0.1 * max(abs(lo), abs(hi)))
        axes.append(np.linspace(lo - pad, hi + pad, 4 * points if len(coords) == 1 else points))
    loss = _grid(at, axes)
    minimum = None
    if lowest is not None and np.isfinite(loss).any():
        k = np.unravel_index(np.nanargmin(np.where(np.isfinite(loss), loss, np.nan)), loss.shape)
        # the grid's lowest point; its coordinates in the order of the axes
        minimum = np.array([axes[j][k[-1 - j]] for j in range(len(coords))])
    path_loss = np.array([at(p) for p in path])
    rest = coordinates(history.params)[2:]
    held = ", ".join(f"{label} = {float(np.asarray(history.params[name])[idx]):.4g}"
                     for label, name, idx in rest[:6]) + (", …" if len(rest) > 6 else "")
    return Landscape(labels=[c[0] for c in coords], axes=axes, loss=loss, path=path,
                     path_loss=path_loss, held=held, per="step" if history.step_path else "epoch",
                     minimum=minimum)


def _grid(at, axes) -> np.ndarray:
    """The loss at every point of the grid the axes span (rows: the second axis)."""
    if len(axes) == 1:
        return np.array([at([a]) for a in axes[0]])
    return np.array([[at([a, b]) for a in axes[0]] for b in axes[1]])


def _lowest(at, low: np.ndarray, high: np.ndarray, *, points: int = 11,
            widenings: int = 6) -> np.ndarray | None:
    """The lowest point of the loss on the slice, to a coarse grid's cell: search the box
    around the path, and while the lowest grid point lies on the box's edge, move the box
    that way (at most ``widenings`` times; a loss still falling there has no minimum within
    reach, and None is returned)."""
    low, high = np.array(low, dtype=float), np.array(high, dtype=float)
    span = np.maximum(high - low, np.maximum(0.5, 0.1 * np.maximum(abs(low), abs(high))))
    low, high = low - 0.25 * span, high + 0.25 * span
    for _ in range(widenings + 1):
        axes = [np.linspace(lo, hi, points) for lo, hi in zip(low, high)]
        loss = _grid(at, axes)
        if not np.isfinite(loss).any():
            return None
        k = np.unravel_index(np.nanargmin(np.where(np.isfinite(loss), loss, np.nan)), loss.shape)
        index = [k[-1 - j] for j in range(len(axes))]
        at_edge = False
        for j, i in enumerate(index):
            width = high[j] - low[j]
            if i == 0:
                low[j] -= width
                at_edge = True
            elif i == points - 1:
                high[j] += width
                at_edge = True
        if not at_edge:
            # once more on a finer grid, one coarse cell around it
            best = np.array([axes[j][i] for j, i in enumerate(index)])
            cell = (high - low) / (points - 1)
            axes = [np.linspace(b - c, b + c, points) for b, c in zip(best, cell)]
            loss = _grid(at, axes)
            k = np.unravel_index(np.nanargmin(np.where(np.isfinite(loss), loss, np.nan)),
                                 loss.shape)
            return np.array([axes[j][k[-1 - j]] for j in range(len(axes))])
    return None

"""A training run from start to finish, as one object: the data gathered and checked against
the model, the settings checked against the data, the bound on the step size, then the run and
what came of it (the comparison with the true or closed-form parameters, the advice when it
diverged, the landscape and fit for the plots)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from tutor.training import model as models
from tutor.training.data import read_data
from tutor.training.stability import StepBound, divergence_advice, for_optimizer, hessian_bound
from tutor.i18n import _
from tutor.training.train import History, Landscape, Settings, landscape, train


class Origin(enum.Enum):
    """Where a run's data come from."""

    SYNTHETIC = "synthetic"
    GIVEN = "given"
    NONE = "none"  # the loss is a function of the parameters alone


@dataclass(frozen=True)
class Synthetic:
    """Data made from known parameters: y = X·w + b + noise (or their classes)."""

    true_w: list
    true_b: list
    samples: int
    noise: float


@dataclass
class Session:
    model: models.Model
    settings: Settings
    arrays: dict[str, np.ndarray]
    prepared: dict[str, np.ndarray]
    init: dict[str, object]
    bound: StepBound | None
    origin: Origin
    #: the data as given (file names, or name=… for literal values)
    given: list[str] = field(default_factory=list)
    synthetic: Synthetic | None = None
    #: how many of the first steps to record whole (gradient and parameters after it)
    trace: int = 0

    @property
    def samples(self) -> int:
        return next(iter(self.prepared.values())).shape[0] if self.prepared else 1


@dataclass
class Outcome:
    history: History
    #: trained minus true (synthetic data) and minus closed-form parameters
    comparison: list
    #: why it diverged, in one sentence (None when it did not)
    advice: str | None
    #: why the run has not converged yet, in one sentence (None when it has, or diverged)
    unfinished: str | None = None
    #: the first steps, whole: (step, {name: gradient}, {name: value after the step})
    trace: list = field(default_factory=list)


def prepare(model: models.Model, settings: Settings, *, data: Sequence[str] = (),
            synthetic: Synthetic | None = None, init: Mapping[str, object] | None = None,
            seed: int = 0) -> Session:
    """Everything a run needs, checked before the first step: ``data`` are files or literal
    ``name=v1,v2,…`` values; ``init`` the starting values a model must have."""
    if synthetic is not None:
        raw = model.synthetic(true_w=synthetic.true_w, true_b=synthetic.true_b,
                              samples=synthetic.samples, noise=synthetic.noise, seed=seed)
        origin = Origin.SYNTHETIC
    elif data:
        raw, origin = read_data(data), Origin.GIVEN
    else:
        raw, origin = {}, Origin.NONE
    arrays = model.gather(raw)
    objective = model.objective
    prepared = objective.prepare(arrays)
    n = next(iter(prepared.values())).shape[0] if prepared else 1
    settings.check(n)
    starts = dict(init or {})
    objective.init_params(prepared, starts)  # refuses a start the model lacks, before any output
    bound = for_optimizer(hessian_bound(objective, prepared, reduce=settings.reduce,
                                        batch_size=settings.batch_size), settings)
    return Session(model, settings, arrays, prepared, starts, bound, origin, list(data),
                   synthetic)


def run(session: Session, on_epoch: Callable[[int, float], None] | None = None) -> Outcome:
    """Gradient descent with the session's settings, and what came of it."""
    trace: list = []

    def record(step, grads, params):
        if step <= session.trace:
            trace.append((step, {k: np.array(g, copy=True) for k, g in grads.items()},
                          {k: np.array(v, copy=True) for k, v in params.items()}))

    history = train(session.model.objective, session.arrays, session.settings,
                    init=session.init, on_epoch=on_epoch, prepared=session.prepared,
                    on_step=record if session.trace else None)
    truth = session.synthetic
    comparison = models.compare(session.model, history.params, session.arrays,
                                true_w=truth.true_w if truth else None,
                                true_b=truth.true_b if truth else None)
    advice = (divergence_advice(session.settings.lr, session.bound,
                                at_start=history.stop_step == 0)
              if history.diverged else None)
    unfinished = None if history.diverged else not_converged(history, comparison,
                                                             session.bound)
    return Outcome(history, comparison, advice, unfinished, trace)


#: a loss still falling by more than this share in its last epoch has not converged
STILL_FALLING = 1e-3
#: parameters further than this share of their size from the least-squares answer are not there
FAR = 1e-3


def not_converged(history: History, comparison, bound: StepBound | None) -> str | None:
    """A sentence when the run ended before it converged: the loss still falling in the last
    epoch, or the parameters still far from the least-squares answer; None otherwise."""
    losses = [history.initial_loss] + history.losses
    reasons = []
    if len(losses) >= 2 and np.isfinite(losses[-2]) and losses[-2] > 0:
        drop = (losses[-2] - losses[-1]) / losses[-2]
        if drop > STILL_FALLING:
            reasons.append(_("the loss still fell {share} in the last epoch").format(
                share=f"{100 * drop:.2g}%"))
    decay = history.settings.hypers.get("weight_decay", 0.0)
    for label, errors in comparison:
        # weight decay moves the answer away from least squares on purpose
        if label == "vs least squares" and not decay:
            size = max(1.0, max(float(np.max(np.abs(v))) for v in history.params.values()))
            gap = max(float(np.max(np.abs(e))) for e in errors.values())
            if gap > FAR * size:
                reasons.append(_("the parameters are still {gap} from the least-squares "
                                 "answer").format(gap=f"{gap:.3g}"))
    if not reasons:
        return None
    advice = (_("try more epochs, or a larger η below the bound {bound}").format(
        bound=f"{bound.lr_max:.4g}") if bound is not None and history.settings.lr < bound.lr_max
        else _("try more epochs"))
    return _("not converged: {reasons}; {advice}").format(
        reasons=_(", and ").join(reasons), advice=advice)


def pictures(session: Session, outcome: Outcome) -> tuple[Landscape | None, object]:
    """What the plots draw: the loss landscape around the path and the fitted model."""
    scape = landscape(session.model.objective, session.prepared, outcome.history)
    view = models.fit_view(session.model, outcome.history.params, session.arrays)
    return scape, view

"""``train``: gradient descent with a lesson's compiled gradients, from start to finish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from tutor.errors import ParameterError
from tutor.i18n import N_, _
from tutor.requests.source import Source, bounded, number_values, point

#: the numbers a run takes, with their ranges: (kind, test, message); the command line's
#: option types check with the same
RANGES = {
    "samples": (int, lambda v: 1 <= v <= 10_000_000,
                N_("{param} must be from 1 to 10000000, not {value}")),
    "noise": (float, lambda v: v >= 0, N_("{param} must be a number ≥ 0, not {value}")),
    "lr": (float, lambda v: v > 0, N_("{param} must be a positive number, not {value}")),
    "epochs": (int, lambda v: v >= 1, N_("{param} must be at least 1, not {value}")),
    "batch_size": (int, lambda v: v >= 1, N_("{param} must be at least 1, not {value}")),
    "trace": (int, lambda v: 1 <= v <= 1000, N_("{param} must be from 1 to 1000, not {value}")),
    "seed": (int, lambda v: 0 <= v < 2 ** 63, N_("{param} must be from 0 to 2^63 − 1, not {value}")),
}
#: a number given from Python for a hyper-parameter (its range is the optimizer's to check)
NUMBER = N_("{param} must be a number, not {value}")


@dataclass
class TrainingRun:
    """A finished run: the session it ran (model, settings, data, step bound), what came of it
    (the history, the comparison with the true parameters, advice), the loss along one
    parameter when a sweep was asked for, and what the plots draw (the landscape around the
    path and the fitted model)."""

    session: object
    outcome: object
    swept: object = None
    landscape: object = None
    fit: object = None

    @property
    def history(self):
        return self.outcome.history


def prepare_training(lesson=None, *, expr: str | None = None, params=None,
                     lesson_file: str | None = None, size: int | None = None, data=(),
                     synthetic: bool = False, true_w=None, true_b=None, samples: int = 1000,
                     noise: float = 0.01, lr: float = 0.03, epochs: int = 10,
                     trace: int | None = None, sweep: str | None = None,
                     batch_size: int | None = None, shuffle: bool = True, seed: int = 0,
                     init: Mapping[str, object] | None = None, reduce: str | None = None,
                     optimizer: str = "sgd", momentum: float | None = None,
                     alpha: float | None = None, beta1: float | None = None,
                     beta2: float | None = None, eps: float | None = None,
                     weight_decay: float | None = None, schedule: str = "constant",
                     step_size: int | None = None, gamma: float | None = None,
                     lr_min: float | None = None):
    """Everything a run needs, checked before the first step (see :func:`train`); ``sweep``
    is only checked here and drawn by :func:`run_training`."""
    source = Source(lesson, expr, lesson_file, size).require_one(
        N_("name one lesson, or give {expr} TEXT with {params}, or {lesson_file} FILE"),
        others=("expr", "params", "lesson_file"))
    numbers = {k: bounded(k, v, *RANGES[k]) for k, v in
               dict(samples=samples, noise=noise, lr=lr, epochs=epochs, seed=seed,
                    batch_size=batch_size, trace=trace).items() if v is not None}
    items = _data(data)
    _check_combination(expr, params, items, synthetic, true_w, true_b)
    starts = point(init, "init")
    if sweep is not None:
        from tutor.training.sweep import parse_range

        parse_range(sweep)
    truth = _synthetic(true_w, true_b, numbers["samples"], numbers["noise"]) if synthetic else None
    given = {k: bounded(k, v, float, lambda v: True, NUMBER) for k, v in
             dict(momentum=momentum, alpha=alpha, beta1=beta1, beta2=beta2, eps=eps,
                  weight_decay=weight_decay).items() if v is not None}

    from tutor.training import model as models
    from tutor.training.optimizers import schedule as make_schedule
    from tutor.training.session import prepare
    from tutor.training.train import Settings

    sched = make_schedule(
        schedule, epochs=numbers["epochs"], lr=numbers["lr"],
        step_size=None if step_size is None else bounded("step_size", step_size, *RANGES["epochs"]),
        gamma=None if gamma is None else bounded("gamma", gamma, float, lambda v: True, NUMBER),
        lr_min=None if lr_min is None else bounded("lr_min", lr_min, float, lambda v: True, NUMBER))

    the_model = (models.from_expression(expr, _names(params)) if expr is not None
                 else models.from_lesson(source.load(None)))
    if not synthetic and not items and the_model.data:
        raise ParameterError("data", _("give the data: {param} FILE, {param} name=v1,v2,… or "
                                       "{synthetic} (the model needs {names})"),
                             others=("synthetic",), names=", ".join(the_model.data_groups()))
    settings = Settings(lr=numbers["lr"], epochs=numbers["epochs"],
                        batch_size=numbers.get("batch_size"), shuffle=bool(shuffle),
                        seed=numbers["seed"], reduce=reduce or the_model.reduce or "mean",
                        optimizer=optimizer, hyper=given, schedule=sched)
    settings.hypers  # a hyper-parameter the optimizer does not take is refused before anything
    session = prepare(the_model, settings, data=items, synthetic=truth, init=starts,
                      seed=numbers["seed"])
    session.trace = numbers.get("trace", 0)
    return session


def run_training(session, *, sweep: str | None = None,
                 on_epoch: Callable[[int, float], None] | None = None,
                 pictures: bool = False) -> TrainingRun:
    """Run a prepared session; the loss along ``sweep`` (``"w=0:4:0.1"``) after it, and with
    ``pictures`` the landscape and the fitted model the plots draw."""
    from tutor.training.session import pictures as draw, run
    from tutor.training.sweep import parse_range, sweep as along

    span = parse_range(sweep) if sweep else None
    outcome = run(session, on_epoch=on_epoch)
    result = TrainingRun(session, outcome)
    history = outcome.history
    if span is not None and not history.diverged:
        result.swept = along(session.model.objective, session.prepared, history.params, *span,
                             session.settings.reduce, path=history.path)
    if pictures and history.epochs:
        result.landscape, result.fit = draw(session, outcome)
    return result


def train(lesson=None, *, expr: str | None = None, params=None, lesson_file: str | None = None,
          size: int | None = None, data=(), synthetic: bool = False, true_w=None, true_b=None,
          samples: int = 1000, noise: float = 0.01, lr: float = 0.03, epochs: int = 10,
          trace: int | None = None, sweep: str | None = None, batch_size: int | None = None,
          shuffle: bool = True, seed: int = 0, init: Mapping[str, object] | None = None,
          reduce: str | None = None, optimizer: str = "sgd", momentum: float | None = None,
          alpha: float | None = None, beta1: float | None = None, beta2: float | None = None,
          eps: float | None = None, weight_decay: float | None = None,
          schedule: str = "constant", step_size: int | None = None, gamma: float | None = None,
          lr_min: float | None = None) -> TrainingRun:
    """Run gradient descent with a lesson's compiled gradients.

    ``lesson`` names a lesson whose function is a loss (``"linear_regression"``), or give
    ``expr`` (a per-sample loss) with ``params`` (the names to train, ``"w,b"`` or a list), or
    ``lesson_file``.  The data: ``data`` (files, ``"x=1,2,3"`` texts, or a dict of columns), or
    ``synthetic=True`` with ``true_w`` (one weight per feature) and ``true_b``, ``samples``
    samples with ``noise``.  The descent: learning rate ``lr``, ``epochs``, ``batch_size``
    (None: the whole data; 1: SGD), ``shuffle``, ``seed``, starting values ``init`` (zeros
    otherwise), ``reduce`` ("mean" or "sum").  ``trace`` records the first steps whole;
    ``sweep="w=0:4:0.1"`` the loss along one parameter afterwards.

    The step: ``optimizer`` ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
    "adamw", as in torch.optim) with its hyper-parameters ``momentum`` μ, ``alpha`` α,
    ``beta1`` β₁, ``beta2`` β₂, ``eps`` ε, ``weight_decay`` λ (None: PyTorch's defaults); the
    learning rate per epoch by ``schedule``: "constant", "step" (times ``gamma`` every
    ``step_size`` epochs) or "cosine" (down to ``lr_min``).

    The run keeps its history (loss per epoch, parameters), the comparison with the true
    parameters, the bound on a stable step, and the landscape its picture draws.

    ``tutor.train("linear_regression", synthetic=True, true_w=[2, -3.4], true_b=4.2,
    batch_size=10, lr=0.03, epochs=3)`` is ``tutor train linear_regression --synthetic
    --true-w 2,-3.4 --true-b 4.2 --batch-size 10 --lr 0.03 --epochs 3``; add
    ``optimizer="adam", lr=0.3, schedule="cosine"`` for ``--optimizer adam --lr 0.3
    --schedule cosine``.
    """
    session = prepare_training(lesson, expr=expr, params=params, lesson_file=lesson_file,
                               size=size, data=data, synthetic=synthetic, true_w=true_w,
                               true_b=true_b, samples=samples, noise=noise, lr=lr, epochs=epochs,
                               trace=trace, sweep=sweep, batch_size=batch_size, shuffle=shuffle,
                               seed=seed, init=init, reduce=reduce, optimizer=optimizer,
                               momentum=momentum, alpha=alpha, beta1=beta1, beta2=beta2, eps=eps,
                               weight_decay=weight_decay, schedule=schedule, step_size=step_size,
                               gamma=gamma, lr_min=lr_min)
    return run_training(session, sweep=sweep, pictures=True)


def _data(data) -> list[str]:
    """The data as the command line gives them: files and ``name=v1,v2,…`` texts (a dict of
    columns is written that way, each number exactly)."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, Mapping):
        out = []
        for name, values in point(data, "data").items():
            flat = values if isinstance(values, list) else [values]
            if flat and isinstance(flat[0], list):
                raise ParameterError("data", _("{param} {name}: give one column of numbers"),
                                     name=name)
            out.append(f"{name}=" + ",".join(repr(float(v)) for v in flat))
        return out
    if not hasattr(data, "__iter__"):
        raise ParameterError("data", _("{param}: give file names, texts like \"x=1,2,3\" or a "
                                       "dict of columns, not {value}"), value=repr(data))
    return [str(d) for d in data]


def _names(params) -> list[str]:
    if params is None or isinstance(params, str):
        return [p.strip() for p in (params or "").split(",") if p.strip()]
    return [str(p) for p in params]


def _check_combination(expr, params, data, synthetic, true_w, true_b) -> None:
    if params is not None and expr is None:
        raise ParameterError("params", _("{param} goes with {expr} (a lesson names its own "
                                         "parameters)"), others=("expr",))
    if synthetic and data:
        raise ParameterError("data", _("give the data one way: {param} or {synthetic}, not both"),
                             others=("synthetic",))
    if not synthetic and (true_w is not None or true_b is not None):
        raise ParameterError("true_w", _("{param} and {true_b} go with {synthetic}"),
                             others=("true_b", "synthetic"))
    if synthetic and true_w is None:
        raise ParameterError("synthetic", _("{param} needs {true_w} (the weights to recover), "
                                            "like {true_w} 2,-3.4"), others=("true_w",))


def _synthetic(true_w, true_b, samples, noise):
    from tutor.training.session import Synthetic

    return Synthetic(true_w=number_values("true_w", true_w, rows=True),
                     true_b=number_values("true_b", true_b) if true_b is not None else [0.0],
                     samples=samples, noise=noise)

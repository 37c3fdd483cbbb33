"""The optimisers, declared once: what each keeps, how it steps, and its rule in words.

Every optimiser here follows ``torch.optim`` to the letter (the same defaults, the same order
of operations, dampening 0, no AMSGrad), so its numbers are the ones a learner meets in
PyTorch; where PyTorch's form differs from the paper that introduced the method, the entry
says how (``paper``).  Each entry holds

``state``
    the arrays it keeps per parameter, each with a sentence for the learner;
``rule``
    the update as lines of mathematics in θ and g (g is the gradient fed to it);
``hypers``
    the hyper-parameters it takes, with PyTorch's defaults;
``step``
    the update itself, on one parameter array in place: ``step(θ, g, state, lr, hp, t)``
    with the step count ``t`` starting at 1.

Weight decay λ is L2 for every optimiser but AdamW: λθ is added to the gradient (the gradient
of (λ/2)‖θ‖²) before the update; AdamW decays the parameter itself, θ ← θ − ηλθ, before its
Adam step (decoupled: the decay never enters the running averages).

The module imports no NumPy (the command line lists the optimisers without loading it): the
updates use the arrays' own operators, and ``x ** 0.5`` is NumPy's square root.

Learning-rate schedules (``SCHEDULES``) change η once per epoch, as PyTorch's ``StepLR``
and ``CosineAnnealingLR`` stepped at the end of each epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

from tutor.errors import ParameterError
from tutor.i18n import N_, _


@dataclass(frozen=True)
class Hyper:
    """A hyper-parameter: its name (as a Python keyword), its symbol, and what values it takes."""

    name: str
    symbol: str
    #: (lowest, highest, lowest allowed?, highest allowed?)
    bounds: tuple[float, float, bool, bool]

    def check(self, value: float) -> None:
        lo, hi, lo_in, hi_in = self.bounds
        ok = (math.isfinite(value) and (value > lo or (lo_in and value == lo))
              and (value < hi or (hi_in and value == hi)))
        if not ok:
            interval = ("[" if lo_in else "(") + f"{lo:g}, " + (f"{hi:g}" if math.isfinite(hi) else "∞") \
                + ("]" if hi_in else ")")
            raise ParameterError(self.name, _("{param} must be in {interval}, not {value}"),
                                 interval=interval, value=f"{value:g}")


HYPERS = {h.name: h for h in (
    Hyper("momentum", "μ", (0.0, 1.0, True, False)),
    Hyper("alpha", "α", (0.0, 1.0, True, False)),
    Hyper("beta1", "β₁", (0.0, 1.0, True, False)),
    Hyper("beta2", "β₂", (0.0, 1.0, True, False)),
    Hyper("eps", "ε", (0.0, math.inf, True, False)),
    Hyper("weight_decay", "λ", (0.0, math.inf, True, False)),
)}


@dataclass(frozen=True)
class Optimizer:
    name: str
    title: str
    #: the PyTorch class it matches
    torch: str
    #: hyper-parameter name → PyTorch's default
    defaults: Mapping[str, float]
    #: (symbol, what it is) per array kept between steps
    state: tuple[tuple[str, str], ...]
    #: the update as lines of mathematics in θ and g
    rule: tuple[str, ...]
    #: where PyTorch's form (used here) differs from the paper's, in a sentence; "" if not
    paper: str
    step: Callable
    #: True when weight decay is decoupled (applied to θ, not added to g)
    decoupled: bool = False
    #: the largest stable η on a quadratic of top curvature λ is factor(hp)·2/λ, written as
    #: ``bound_text``; None when the steps are rescaled per coordinate (no such bound)
    bound_factor: Callable[[Mapping[str, float]], float] | None = None
    bound_text: str = ""

    def new_state(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Every array it keeps for one parameter, at zero (PyTorch starts them all there)."""
        import numpy as np

        return {sym: np.zeros_like(theta, dtype=np.float64) for sym, _ in self.state
                if sym != "t"}

    def hypers(self, given: Mapping[str, float] | None = None) -> dict[str, float]:
        """Its hyper-parameters: the defaults, replaced by those ``given`` (checked; one it
        does not take is refused)."""
        given = dict(given or {})
        for name, value in given.items():
            if name not in self.defaults:
                takes = ", ".join(k.replace("_", " ") for k in self.defaults)
                raise ParameterError(name, _("{param} does not go with the optimizer {name} "
                                             "(it takes {takes})"),
                                     name=self.name, takes=takes)
            HYPERS[name].check(value)
        hp = {**self.defaults, **given}
        if self.name == "nesterov" and hp["momentum"] <= 0:
            raise ParameterError("momentum", _("{param} must be above 0 for nesterov, not "
                                               "{value}"), value=f"{hp['momentum']:g}")
        return hp

    def apply(self, theta: np.ndarray, g: np.ndarray, state: dict, lr: float,
              hp: Mapping[str, float], t: int) -> None:
        """One step on one parameter array, in place (weight decay included)."""
        wd = hp.get("weight_decay", 0.0)
        if wd:
            if self.decoupled:
                theta *= 1.0 - lr * wd
            else:
                g = g + wd * theta
        self.step(theta, g, state, lr, hp, t)


# -- the updates, in PyTorch's order of operations -------------------------------------------
def _sgd(theta, g, state, lr, hp, t):
    theta -= lr * g


def _velocity(g, state, hp, t):
    v = state["v"]
    if t == 1:
        v[...] = g  # PyTorch's buffer starts as a copy of the first gradient: μ·0 + g
    else:
        v *= hp["momentum"]
        v += g
    return v


def _momentum(theta, g, state, lr, hp, t):
    theta -= lr * _velocity(g, state, hp, t)


def _nesterov(theta, g, state, lr, hp, t):
    v = _velocity(g, state, hp, t)
    theta -= lr * (g + hp["momentum"] * v)


def _adagrad(theta, g, state, lr, hp, t):
    s = state["s"]
    s += g * g
    theta -= lr * (g / (s ** 0.5 + hp["eps"]))


def _rmsprop(theta, g, state, lr, hp, t):
    s = state["s"]
    a = hp["alpha"]
    s *= a
    s += (1.0 - a) * (g * g)
    theta -= lr * (g / (s ** 0.5 + hp["eps"]))


def _adam(theta, g, state, lr, hp, t):
    b1, b2 = hp["beta1"], hp["beta2"]
    m, v = state["m"], state["v"]
    m *= b1
    m += (1.0 - b1) * g
    v *= b2
    v += (1.0 - b2) * (g * g)
    step_size = lr / (1.0 - b1 ** t)
    denom = v ** 0.5 / math.sqrt(1.0 - b2 ** t) + hp["eps"]
    theta -= step_size * (m / denom)


_ADAM_STATE = (("m", N_("running average of the gradients g (starts at 0)")),
               ("v", N_("running average of their squares g² (starts at 0)")),
               ("t", N_("the step count, for the bias correction 1 − βᵗ of both averages")))
_ADAM_RULE = ("m ← β₁·m + (1 − β₁)·g      v ← β₂·v + (1 − β₂)·g²",
              "m̂ = m/(1 − β₁ᵗ)      v̂ = v/(1 − β₂ᵗ)",
              "θ ← θ − η·m̂/(√v̂ + ε)")

OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("sgd", N_("gradient descent"), "torch.optim.SGD",
              {"weight_decay": 0.0}, (), ("θ ← θ − η·g",), "", _sgd,
              bound_factor=lambda hp: 1.0, bound_text="2/λ_max"),
    Optimizer("momentum", N_("gradient descent with momentum"), "torch.optim.SGD(momentum=μ)",
              {"momentum": 0.9, "weight_decay": 0.0},
              (("v", N_("velocity: a decaying sum of past gradients (starts at 0)")),),
              ("v ← μ·v + g", "θ ← θ − η·v"),
              N_("PyTorch's form: Polyak's heavy ball as Sutskever et al. (2013) write it keeps η "
                 "inside the velocity, v ← μ·v − η·g, θ ← θ + v; the two take the same steps "
                 "while η is constant and differ when a schedule changes η"),
              _momentum, bound_factor=lambda hp: 1.0 + hp["momentum"],
              bound_text="2(1 + μ)/λ_max"),
    Optimizer("nesterov", N_("Nesterov's accelerated gradient"),
              "torch.optim.SGD(momentum=μ, nesterov=True)",
              {"momentum": 0.9, "weight_decay": 0.0},
              (("v", N_("velocity: a decaying sum of past gradients (starts at 0)")),),
              ("v ← μ·v + g", "θ ← θ − η·(g + μ·v)"),
              N_("PyTorch's form: Sutskever et al. (2013) take the gradient at the look-ahead "
                 "point θ + μ·v; PyTorch (and this tutor) rewrite the same method in the "
                 "parameters θ + μ·v, so the gradient is taken where θ is"),
              _nesterov,
              bound_factor=lambda hp: (1.0 + hp["momentum"]) / (1.0 + 2.0 * hp["momentum"]),
              bound_text="2(1 + μ)/((1 + 2μ)·λ_max)"),
    Optimizer("adagrad", "Adagrad", "torch.optim.Adagrad",
              {"eps": 1e-10, "weight_decay": 0.0},
              (("s", N_("the sum of all squared gradients so far (starts at 0)")),),
              ("s ← s + g²", "θ ← θ − η·g/(√s + ε)"),
              N_("as PyTorch: the sum starts at 0 and ε is added outside the square root "
                 "(Duchi et al. (2011) leave ε out of the diagonal version)"),
              _adagrad),
    Optimizer("rmsprop", "RMSprop", "torch.optim.RMSprop",
              {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0},
              (("s", N_("running average of the squared gradients (starts at 0)")),),
              ("s ← α·s + (1 − α)·g²", "θ ← θ − η·g/(√s + ε)"),
              N_("PyTorch's defaults: α = 0.99 and ε outside the square root; Hinton's lecture "
                 "used α = 0.9"),
              _rmsprop),
    Optimizer("adam", "Adam", "torch.optim.Adam",
              {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
              _ADAM_STATE, _ADAM_RULE,
              N_("Kingma and Ba's Algorithm 1 (ε added after the bias correction); their faster "
                 "variant adds ε before it, which differs slightly in the first steps"),
              _adam),
    Optimizer("adamw", "AdamW", "torch.optim.AdamW",
              {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
              _ADAM_STATE, ("θ ← θ − η·λ·θ",) + _ADAM_RULE,
              N_("PyTorch's form: the decay is η·λ per step; Loshchilov and Hutter (2019) "
                 "multiply λ by the schedule's factor alone, not by η"),
              _adam, decoupled=True),
)}


def get(name: str) -> Optimizer:
    if name not in OPTIMIZERS:
        raise ParameterError("optimizer", _("{param} must be one of {names}, not {name}"),
                             names=", ".join(OPTIMIZERS), name=name)
    return OPTIMIZERS[name]


# -- learning-rate schedules ------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """η per epoch: ``constant``; ``step`` (η·γ^⌊(k − 1)/s⌋ in epoch k, PyTorch's StepLR
    with step_size s); ``cosine`` (η_min + (η − η_min)(1 + cos(π(k − 1)/E))/2 over E epochs,
    PyTorch's CosineAnnealingLR with T_max = E)."""

    kind: str = "constant"
    step_size: int = 0
    gamma: float = 0.1
    lr_min: float = 0.0

    def lr(self, base: float, epoch: int, epochs: int) -> float:
        k = epoch - 1
        if self.kind == "step":
            return base * self.gamma ** (k // self.step_size)
        if self.kind == "cosine":
            return self.lr_min + (base - self.lr_min) * (1 + math.cos(math.pi * k / epochs)) / 2
        return base

    def runs(self, base: float, epochs: int) -> list[tuple[int, int, float]]:
        """(first epoch, last epoch, η) for each run of epochs at one learning rate."""
        out: list[tuple[int, int, float]] = []
        for epoch in range(1, epochs + 1):
            lr = self.lr(base, epoch, epochs)
            if out and out[-1][2] == lr:
                out[-1] = (out[-1][0], epoch, lr)
            else:
                out.append((epoch, epoch, lr))
        return out

    def parameters(self) -> dict[str, float]:
        if self.kind == "step":
            return {"step_size": self.step_size, "gamma": self.gamma}
        if self.kind == "cosine":
            return {"lr_min": self.lr_min}
        return {}


SCHEDULES = ("constant", "step", "cosine")


def schedule(kind: str, *, epochs: int, lr: float, step_size: int | None = None,
             gamma: float | None = None, lr_min: float | None = None) -> Schedule:
    """A checked schedule; ``step_size`` defaults to a third of the epochs (at least 1)."""
    if kind not in SCHEDULES:
        raise ParameterError("schedule", _("{param} must be one of {names}"),
                             names=", ".join(SCHEDULES))
    if kind != "step" and (step_size is not None or gamma is not None):
        raise ParameterError("step_size" if step_size is not None else "gamma",
                             _("{param} goes with the step schedule"))
    if kind != "cosine" and lr_min is not None:
        raise ParameterError("lr_min", _("{param} goes with the cosine schedule"))
    if kind == "step":
        s = step_size if step_size is not None else max(1, epochs // 3)
        if s < 1:
            raise ParameterError("step_size", _("{param} must be at least 1, not {value}"),
                                 value=s)
        g = 0.1 if gamma is None else gamma
        if not (0 < g <= 1):
            raise ParameterError("gamma", _("{param} must be in (0, 1], not {value}"),
                                 value=f"{g:g}")
        return Schedule("step", step_size=s, gamma=g)
    if kind == "cosine":
        m = 0.0 if lr_min is None else lr_min
        if not (0 <= m < lr and math.isfinite(m)):
            raise ParameterError("lr_min", _("{param} must be at least 0 and below the "
                                             "learning rate {lr}, not {value}"),
                                 lr=f"{lr:g}", value=f"{m:g}")
        return Schedule("cosine", lr_min=m)
    return Schedule()

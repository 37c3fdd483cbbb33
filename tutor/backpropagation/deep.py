"""Vanishing and exploding gradients in a deep narrow network, and what initialisation does.

A batch goes forward through L layers of the same width, zₗ = hₗ₋₁·Wₗ and hₗ = φ(zₗ) (no
biases), and backward through the tensor engine (:mod:`tutor.backpropagation.tensor`).  Per
layer the topic shows the variance of the activations hₗ, the mean slope φ′(zₗ), the size of
the gradient δₗ = ∂L/∂zₗ flowing down and of the weights' gradient ∂L/∂Wₗ = hₗ₋₁ᵀ·δₗ, and an
upper bound on ‖δₗ‖ that holds whatever the weights are:

    δₗ = φ′(zₗ) ⊙ (δₗ₊₁·Wₗ₊₁ᵀ)  so  ‖δₗ‖ ≤ s·‖Wₗ₊₁‖₂·‖δₗ₊₁‖

with s the largest slope of φ (¼ for σ: σ′ = σ(1 − σ) ≤ ¼) and ‖W‖₂ the largest factor by
which W stretches a vector.  Over the layers the bound is a product: (¼)ᴸ for sigmoid layers,
times the weights' stretches.

The gradient entering the top is a fixed random g, as if the loss were L = (1/B)·Σ g ⊙ h_L
(B samples), so every choice of activation and initialisation starts backward from the same
gradient and differs only in what its layers do to it.

Random numbers are drawn from ``numpy.random.default_rng(seed)``, in this order and all
standard normal: the batch x (B×n), then W₁ … W_L (each n×n, scaled by the initialisation's
standard deviation), then g (B×n).  Two runs with the same seed differ only in the scale of
their weights and in the activation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tutor.backpropagation.jacobian import Check, Line, Matrix, Topic, max_relative_difference
from tutor.backpropagation.tensor import tensor
from tutor.calculus.table import FUNCTIONS
from tutor.errors import ParameterError
from tutor.i18n import N_, Phrase, _


@dataclass(frozen=True)
class Activation:
    name: str
    #: the function's name as shown (σ, tanh, ReLU)
    shown: str
    #: the largest slope of the function: sup |φ′(z)|
    max_slope: float
    #: the slope's formula and its bound, shown
    slope_fact: str


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", "σ", 0.25, "σ′(z) = σ(z)(1 − σ(z)) ≤ ¼"),
    "tanh": Activation("tanh", "tanh", 1.0, "tanh′(z) = 1 − tanh²(z) ≤ 1"),
    "relu": Activation("relu", "ReLU", 1.0, "ReLU′(z) = 0 or 1"),
}
INITS = ("normal", "xavier", "he")
#: the initialisations' weight variances, as formulas
INIT_FORMULAS = {"normal": "σ² = std²", "xavier": "σ² = 2/(n_in + n_out)", "he": "σ² = 2/n_in"}
#: a gradient (a variance) this many times smaller (larger) at the first layer than at the
#: last (at the last layer than at the first) has vanished (exploded)
VANISHED, EXPLODED = 1e-2, 1e2
#: … and this many times, it shrank (grew)
SHRANK, GREW = 1e-1, 1e1
#: the most numbers a run may hold: the batch's activations and the weights, over the layers
MOST_NUMBERS = 8_000_000
MOST_LAYERS = 200


def weight_variance(init: str, n_in: int, n_out: int, std: float = 1.0) -> float:
    """The variance the initialisation gives each weight of an n_in × n_out layer."""
    if init == "xavier":
        return 2.0 / (n_in + n_out)
    if init == "he":
        return 2.0 / n_in
    return std * std


@dataclass
class DeepRun:
    """One network's forward and backward pass, layer by layer (index 0 is layer 1)."""

    activation: str
    init: str
    layers: int
    width: int
    batch: int
    seed: int
    std: float
    #: the variance of every weight
    weight_variance: float
    #: Var(x) of the batch going in
    input_variance: float
    #: Var(hₗ), over the batch and the units
    variance: np.ndarray
    #: the mean of φ′(zₗ)
    mean_slope: np.ndarray
    #: ‖δₗ‖ = ‖∂L/∂zₗ‖ (Frobenius), by the tensor engine's backward pass
    delta_norm: np.ndarray
    #: ‖∂L/∂Wₗ‖ (Frobenius), by the tensor engine's backward pass
    weight_grad_norm: np.ndarray
    #: ‖Wₗ‖₂, the largest singular value
    spectral: np.ndarray
    #: the bound sᴸ⁻ˡ⁺¹·∏ₖ₌ₗ₊₁ᴸ ‖Wₖ‖₂·‖g‖/B on ‖δₗ‖
    bound: np.ndarray
    #: ‖∂L/∂h_L‖ = ‖g‖/B, the gradient entering the top
    top_norm: float
    #: the largest relative difference between the backward pass and the recurrence by hand
    agreement: float
    #: the first layer (from 1) whose activations are not finite (they overflowed), or 0
    overflow: int = 0
    #: the highest layer whose gradient δ is not finite (it overflowed going down), or 0
    overflow_backward: int = 0

    @property
    def max_slope(self) -> float:
        return ACTIVATIONS[self.activation].max_slope

    @property
    def ratio(self) -> float:
        """‖δ₁‖ / ‖δ_L‖: how much of the gradient reaches the first layer."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(self.delta_norm[0] / self.delta_norm[-1])

    @property
    def variance_ratio(self) -> float:
        """Var(h_L) / Var(h₁)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(self.variance[-1] / self.variance[0])

    @property
    def finite(self) -> bool:
        """Every number of the run is a number (nothing overflowed)."""
        return bool(np.all(np.isfinite(np.concatenate(
            [self.variance, self.delta_norm, self.bound, self.weight_grad_norm]))))

    @property
    def within_bound(self) -> bool:
        """‖δₗ‖ ≤ the bound at every layer (with room for rounding)."""
        return self.finite and bool(np.all(self.delta_norm <= self.bound * (1 + 1e-9)))

    def as_dict(self) -> dict:
        """The numbers of the run, for scripts (lists per layer, layer 1 first)."""
        def numbers(a):
            return [float(v) if math.isfinite(v) else None for v in np.asarray(a, dtype=float)]

        return {"activation": self.activation, "init": self.init, "layers": self.layers,
                "width": self.width, "batch": self.batch, "seed": self.seed,
                "weight_variance": self.weight_variance,
                "input_variance": self.input_variance,
                "activation_variance": numbers(self.variance),
                "mean_slope": numbers(self.mean_slope),
                "delta_norm": numbers(self.delta_norm),
                "weight_gradient_norm": numbers(self.weight_grad_norm),
                "weight_spectral_norm": numbers(self.spectral),
                "delta_bound": numbers(self.bound),
                "top_gradient_norm": self.top_norm,
                "first_to_last_delta_ratio": numbers([self.ratio])[0],
                "last_to_first_variance_ratio": numbers([self.variance_ratio])[0],
                "max_relative_difference": numbers([self.agreement])[0],
                "overflow_layer": self.overflow or None,
                "gradient_overflow_layer": self.overflow_backward or None}


def _check_sizes(layers: int, width: int, batch: int, std: float, seed: int) -> None:
    if not 1 <= layers <= MOST_LAYERS:
        raise ParameterError("layers", _("{param} {value}: give 1 to {most} layers"),
                             value=layers, most=MOST_LAYERS)
    for param, value in (("width", width), ("batch", batch)):
        if value < 1:
            raise ParameterError(param, _("{param} {value}: give a whole number of at least 1"),
                                 value=value)
    if (batch + width) * width * layers > MOST_NUMBERS:
        raise ParameterError("width", _("{param} {width} with {layers} layers and a batch of "
                                        "{batch}: the network would hold more than {most} "
                                        "numbers; make it smaller"),
                             width=width, layers=layers, batch=batch,
                             most=f"{MOST_NUMBERS:,}")
    if seed < 0:
        raise ParameterError("seed", _("{param} {value}: give a whole number of at least 0"),
                             value=seed)
    if not (math.isfinite(std) and std > 0):
        raise ParameterError("std", _("{param} {value}: give a positive number"), value=std)


def run_deep(layers: int = 10, width: int = 64, activation: str = "sigmoid",
             init: str = "xavier", *, batch: int = 256, seed: int = 0,
             std: float = 1.0) -> DeepRun:
    """Forward and backward through ``layers`` layers of ``width`` units (see the module)."""
    if activation not in ACTIVATIONS:
        raise ParameterError("activation", _("{param} {name}: choose one of {names}"),
                             name=activation, names=", ".join(ACTIVATIONS))
    if init not in INITS:
        raise ParameterError("init", _("{param} {name}: choose one of {names}"),
                             name=init, names=", ".join(INITS))
    _check_sizes(layers, width, batch, std, seed)
    rng = np.random.default_rng(seed)
    variance = weight_variance(init, width, width, std)
    x = rng.standard_normal((batch, width))
    weights = [rng.standard_normal((width, width)) * math.sqrt(variance) for _ in range(layers)]
    g = rng.standard_normal((batch, width))
    function = next(f for f in FUNCTIONS if f.name == activation)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        # the tensor engine; a zero "probe" added to each zₗ has the gradient ∂L/∂zₗ = δₗ
        W = [tensor(w, name=f"W{k + 1}") for k, w in enumerate(weights)]
        probes = [tensor(np.zeros((batch, width)), name=f"probe{k + 1}") for k in range(layers)]
        h = tensor(x, requires_grad=False)
        zs, hs = [], [x]
        for Wk, probe in zip(W, probes):
            z = h @ Wk + probe
            h = getattr(z, activation)()
            zs.append(z.data)
            hs.append(h.data)
        loss = (h * g).sum() * (1.0 / batch)
        loss.backward()
        deltas = [p.grad for p in probes]
        grads = [Wk.grad for Wk in W]

        # the same gradients by the recurrence, written out
        slopes = [np.asarray(function.slope(z, hk), dtype=np.float64)
                  for z, hk in zip(zs, hs[1:])]
        by_hand = [None] * layers
        d = slopes[-1] * (g / batch)
        for k in range(layers - 1, -1, -1):
            if k < layers - 1:
                d = slopes[k] * (d @ weights[k + 1].T)
            by_hand[k] = hs[k].T @ d

        delta_norm = np.array([_norm(d) for d in deltas])
        grad_norm = np.array([_norm(d) for d in grads])
        spectral = np.array([float(np.linalg.norm(w, 2)) for w in weights])
        top = _norm(g) / batch
        s = ACTIVATIONS[activation].max_slope
        # bound on ‖δₗ‖: s·‖g‖/B at the top, then × s·‖Wₗ₊₁‖₂ per layer down
        bound = np.empty(layers)
        bound[-1] = s * top
        for k in range(layers - 2, -1, -1):
            bound[k] = bound[k + 1] * s * spectral[k + 1]
        variances = np.array([_variance(hk) for hk in hs[1:]])
        mean_slope = np.array([float(np.mean(sl)) for sl in slopes])
        # the first layer whose activations are no longer numbers, and the highest whose
        # gradient is not (the gradient overflows on its way down)
        forward = next((k + 1 for k, hk in enumerate(hs[1:])
                        if not (np.all(np.isfinite(hk)) and math.isfinite(variances[k]))), 0)
        backward = next((k + 1 for k in range(layers - 1, -1, -1)
                         if not (np.all(np.isfinite(deltas[k]))
                                 and math.isfinite(delta_norm[k]))), 0)
        agreement = max((max_relative_difference(a, b, float(np.max(np.abs(b))))
                         for a, b in zip(grads, by_hand) if np.all(np.isfinite(b))),
                        default=float("nan"))
    return DeepRun(activation, init, layers, width, batch, seed, std, variance,
                   float(np.var(x)), variances, mean_slope, delta_norm, grad_norm, spectral,
                   bound, top, agreement, forward, backward)


def _norm(a: np.ndarray) -> float:
    """The Frobenius norm, scaled by the largest entry so that squares do not overflow."""
    m = float(np.max(np.abs(a))) if a.size else 0.0
    if m == 0.0 or not math.isfinite(m):
        return m if a.size else 0.0
    return m * float(np.linalg.norm(a / m))


def _variance(a: np.ndarray) -> float:
    """The variance over every entry, scaled like :func:`_norm`."""
    m = float(np.max(np.abs(a)))
    if m == 0.0 or not math.isfinite(m):
        return 0.0 if m == 0.0 else float("nan")
    return m * m * float(np.var(a / m))


# -- the topic ---------------------------------------------------------------------------------
def _fraction(v: float) -> str:
    """1/64 for 0.015625, else four significant digits."""
    if v > 0 and abs(1 / v - round(1 / v)) < 1e-9:
        return f"1/{round(1 / v)}"
    return f"{v:.4g}"


def _sci(v: float) -> str:
    """Two significant digits: 0.41, 8.4, 2.2e−6, 1.3e13."""
    if not math.isfinite(v):
        return "∞" if v > 0 else "—"
    if 1e-2 <= abs(v) < 1e3:
        return f"{v:.2g}"
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}".replace("-", "−")


def _describe_init(run: DeepRun) -> Phrase:
    n = run.width
    if run.init == "xavier":
        return Phrase(N_("Xavier (Glorot) initialisation: {formula} = 2/({n} + {n}) = {value}"),
                      formula=INIT_FORMULAS["xavier"], n=n, value=_fraction(run.weight_variance))
    if run.init == "he":
        return Phrase(N_("He initialisation: {formula} = 2/{n} = {value}"),
                      formula=INIT_FORMULAS["he"], n=n, value=_fraction(run.weight_variance))
    return Phrase(N_("normal initialisation: {formula} = {value}, whatever the width"),
                  formula="σ² = std²", value=f"{run.weight_variance:g}")


def _verdict(run: DeepRun) -> list[Phrase]:
    """What the run measured, forward (the activations) and backward (the gradient δ)."""
    last = _subscript(run.layers)
    said = []
    if run.overflow:
        said.append(Phrase(N_("forward: from layer {layer} on, the activations are beyond the "
                              "largest float ({largest}): they exploded"),
                           layer=run.overflow, largest="1.8e308"))
    elif not math.isnan(run.variance_ratio):
        what = Phrase("Var(h{last}) / Var(h₁) = {ratio}", last=last,
                      ratio=_sci(run.variance_ratio))
        said.append(Phrase(_SIZES["forward"][_size(run.variance_ratio)], what=what,
                           layers=run.layers))
    if run.overflow_backward:
        said.append(Phrase(N_("backward: from layer {layer} down, the gradient is beyond the "
                              "largest float ({largest}): it exploded"),
                           layer=run.overflow_backward, largest="1.8e308"))
    elif not math.isnan(run.ratio):
        what = Phrase("‖δ₁‖ / ‖δ{last}‖ = {ratio}", last=last, ratio=_sci(run.ratio))
        said.append(Phrase(_SIZES["backward"][_size(run.ratio)], what=what, layers=run.layers))
    return said


def _size(ratio: float) -> str:
    if ratio < VANISHED:
        return "vanished"
    if ratio < SHRANK:
        return "shrank"
    if ratio > EXPLODED:
        return "exploded"
    if ratio > GREW:
        return "grew"
    return "kept"


_SIZES = {
    "forward": {
        "vanished": N_("forward: {what}: the activations faded away over {layers} layers"),
        "shrank": N_("forward: {what}: the activations shrank over {layers} layers, and more "
                     "layers would make them fade"),
        "kept": N_("forward: {what}: the activations kept their size (within a factor of 10) "
                   "over {layers} layers"),
        "grew": N_("forward: {what}: the activations grew over {layers} layers, and more "
                   "layers would make them explode"),
        "exploded": N_("forward: {what}: the activations exploded over {layers} layers"),
    },
    "backward": {
        "vanished": N_("backward: {what}: the gradient vanished on its way down; the first "
                       "layers barely learn"),
        "shrank": N_("backward: {what}: the gradient shrank on its way down, and more layers "
                     "would make it vanish"),
        "kept": N_("backward: {what}: the gradient kept its size (within a factor of 10) on "
                   "its way down"),
        "grew": N_("backward: {what}: the gradient grew on its way down, and more layers "
                   "would make it explode"),
        "exploded": N_("backward: {what}: the gradient exploded on its way down; a step that "
                       "suits the last layer throws the first ones far off"),
    },
}


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _why(run: DeepRun) -> list[Phrase]:
    """One or two sentences: why the gradient behaved as it did."""
    a, n = run.activation, run.width
    said = []
    if a == "sigmoid":
        said.append(Phrase(N_("why: {fact}, so each sigmoid layer multiplies the gradient by "
                              "at most ¼ times the stretch {norm} of its weights: over L layers "
                              "at most (¼)ᴸ times their product, whatever the initialisation"),
                           fact=ACTIVATIONS[a].slope_fact, norm="‖W‖₂"))
    elif a == "tanh":
        said.append(Phrase(N_("why: {fact}, with slope 1 only at z = 0: while z stays small "
                              "a tanh layer passes the gradient on at the size its weights "
                              "give, and once z grows it saturates and the slope falls"),
                           fact=ACTIVATIONS[a].slope_fact))
    else:
        said.append(Phrase(N_("why: {fact}: a ReLU layer passes the gradient of its active "
                              "units on unchanged and stops the rest, about half of them, which "
                              "halves the variance at every layer"),
                           fact=ACTIVATIONS[a].slope_fact))
    if run.init == "xavier":
        said.append(Phrase(N_("Xavier's {formula} keeps the variance of z forward and of the "
                              "gradient backward for an activation with slope 1 at 0 (tanh); "
                              "σ′ ≤ ¼ defeats it, and ReLU halves it"),
                           formula=INIT_FORMULAS["xavier"]))
    elif run.init == "he":
        said.append(Phrase(N_("He's {formula} doubles Xavier's for ReLU: half the units are "
                              "zero, and the factor 2 gives back the half of the variance they "
                              "take"), formula=INIT_FORMULAS["he"]))
    else:
        said.append(Phrase(N_("normal weights of variance {variance} ignore the width: each z "
                              "sums {n} products, so its variance is about {n} × {variance} × "
                              "the mean square of the activations below, which saturates σ and "
                              "tanh and makes "
                              "ReLU explode; Xavier and He scale the variance by the width"),
                           variance=f"{run.weight_variance:g}", n=n))
    return said


def deep_topic(runs: list[DeepRun]) -> Topic:
    """The runs as a topic: per layer a table, the check of the backward pass, the bound, why."""
    first = runs[0]
    t = Topic("deep", Phrase(N_("Vanishing and exploding gradients: {layers} layers of {width} "
                                "units"), layers=first.layers, width=first.width))
    t.runs = runs
    t.add(Line(Phrase(N_("{forward} (no biases); a batch of {batch} samples x, standard "
                         "normal; the gradient entering the top is a fixed random g: {loss}"),
                      forward="h₀ = x, zₗ = hₗ₋₁·Wₗ, hₗ = φ(zₗ)", batch=first.batch,
                      loss="L = (1/B)·Σ g ⊙ h_L"), "formula"))
    for run in runs:
        act = ACTIVATIONS[run.activation]
        t.add(Line(Phrase(N_("activation {activation}, {init}"), activation=f"φ = {act.shown}",
                          init=_describe_init(run)), "heading"))
        slope = f"{act.shown}′(z)" if act.shown != "ReLU" else "ReLU′(z)"
        columns = ["Var(h)", Phrase(N_("mean {slope}"), slope=slope), "‖δ‖ = ‖∂L/∂z‖",
                   Phrase(N_("bound on {norm}"), norm="‖δ‖"), "‖∂L/∂W‖"]
        values = np.column_stack([run.variance, run.mean_slope, run.delta_norm, run.bound,
                                  run.weight_grad_norm])
        t.add(Matrix(Phrase(N_("layer {index}"), index="l"), values, rows=[str(k + 1) for k in range(run.layers)],
                     columns=columns,
                     note=Phrase(N_("Var(x) = {variance} going in; bound = {bound}"),
                                 variance=f"{run.input_variance:.4f}",
                                 bound=_times(act.max_slope, "ᴸ⁻ˡ⁺¹")
                                 + "∏ₖ₌ₗ₊₁ᴸ ‖Wₖ‖₂ · ‖g‖/B")))
        if math.isfinite(run.agreement):
            t.add(Check("∂L/∂W", Phrase(N_("backward")),
                        "hₗ₋₁ᵀ·δₗ, δₗ = φ′(zₗ) ⊙ (δₗ₊₁·Wₗ₊₁ᵀ)", run.agreement))
        if run.finite:
            t.add(Line(Phrase(N_("{mark} at every layer {norm} ≤ the bound: {step}"),
                              mark="✓" if run.within_bound else "✗", norm="‖δₗ‖",
                              step="‖δₗ‖ ≤ " + _times(act.max_slope) + "‖Wₗ₊₁‖₂·‖δₗ₊₁‖"),
                       "formula"))
        t.add(*[Line(said, "formula") for said in _verdict(run)])
        for sentence in _why(run):
            t.add(Line(sentence, "insight"))
    return t


def _times(s: float, power: str = "") -> str:
    """The factor s (with a power) before a product, or nothing when s = 1."""
    if s == 1.0:
        return ""
    shown = "¼" if s == 0.25 else f"{s:g}"
    return f"({shown}){power} · " if power else f"{shown}·"

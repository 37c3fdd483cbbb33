"""How large a learning rate can be: 2/λ_max of the Hessian, for squared losses.

For a loss that is quadratic in the outputs z = X W + b of a linear layer, the Hessian of the
reduced loss does not depend on the parameters:

    H = (Aᵀ A / n) ⊗ C          (mean over n samples; × batch size for a sum)

where A = [X 1] (the inputs with a column of ones for the bias) and C = ∂²ℓ/∂z∂z.  Gradient
descent on a quadratic converges exactly when 0 < η < 2/λ_max(H), and the eigenvalues of a
Kronecker product are the products of the factors' eigenvalues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from tutor.training.engine import CompiledObjective, Inputs, Route
from tutor.i18n import _


@dataclass
class StepBound:
    lam_max: float
    lr_max: float
    #: what the Hessian is of, in words
    of: str
    #: how the bound follows from λ_max (plain gradient descent: 2/λ_max)
    formula: str = "2/λ_max"


def for_optimizer(bound: StepBound | None, settings) -> StepBound | None:
    """The bound for the settings' optimiser: 2/λ_max scaled by its factor (2(1 + μ)/λ_max
    for momentum), with L2 weight decay λ adding λ to every eigenvalue; None for an optimiser
    that rescales each coordinate's step (Adagrad, RMSprop, Adam), which no λ_max bounds."""
    from tutor.training.optimizers import get

    optimizer = get(settings.optimizer)
    if bound is None or optimizer.bound_factor is None:
        return None
    hp = settings.hypers
    wd = 0.0 if optimizer.decoupled else hp.get("weight_decay", 0.0)
    if optimizer.name == "sgd" and not wd:
        return bound
    lam = bound.lam_max + wd
    of = bound.of if not wd else _("{of}, plus λ = {wd} from the weight decay").format(
        of=bound.of, wd=f"{wd:g}")
    return StepBound(lam_max=lam, lr_max=2.0 * optimizer.bound_factor(hp) / lam, of=of,
                     formula=optimizer.bound_text)


def hessian_bound(objective: CompiledObjective, prepared: Mapping[str, np.ndarray], *,
                  reduce: str, batch_size: int | None) -> StepBound | None:
    """2/λ_max for a squared loss through a linear layer; None for other losses."""
    with np.errstate(all="ignore"):
        return _hessian_bound(objective, prepared, reduce=reduce, batch_size=batch_size)


def _hessian_bound(objective, prepared, *, reduce, batch_size):
    if isinstance(objective, CompiledObjective) and objective.mode is Route.DIRECT:
        return _direct_bound(objective, prepared, reduce=reduce, batch_size=batch_size)
    if not isinstance(objective, CompiledObjective) or not objective.quadratic:
        return None
    X = prepared["X"]
    n = X.shape[0]
    layer = objective.layer
    has_bias = any(b for _, b in layer.nodes)
    if layer.mode is Inputs.MEMBERS:
        # each parameter's column of ∂z/∂θ: sums of its inputs, 1 for a bias
        cols = objective._layer_inputs()
        names = [s for g in objective.params for s in g.members]
        C = len(layer.nodes)
        J = np.zeros((C, n, len(names)))
        for c, (products, biases) in enumerate(layer.nodes):
            for p, x in products:
                J[c, :, names.index(p)] += X[:, cols.index(x)]
            for p in biases:
                J[c, :, names.index(p)] += 1.0
        curv = objective.curvature()
        H = sum(curv[c, d] * J[c].T @ J[d] for c in range(C) for d in range(C)) / n
    else:
        gram = _gram(X, has_bias) / n
        curv = objective.curvature()
        H = np.kron(gram, curv)
    return _bound(H, n, reduce=reduce, batch_size=batch_size)


def _gram(X: np.ndarray, bias: bool) -> np.ndarray:
    """Aᵀ A for A = [X 1] (or X), without building A: XᵀX, the column sums, and n."""
    G = X.T @ X
    if not bias:
        return G
    k = G.shape[0]
    out = np.empty((k + 1, k + 1))
    out[:k, :k] = G
    out[:k, k] = out[k, :k] = X.sum(axis=0)
    out[k, k] = X.shape[0]
    return out


def _bound(H: np.ndarray, n: int, *, reduce: str, batch_size: int | None) -> StepBound | None:
    if not np.all(np.isfinite(H)):
        return None  # data too large to square in float64: no bound to show
    lam = float(np.linalg.eigvalsh((H + H.T) / 2)[-1])
    of = _("the loss (mean over the batch)")
    if reduce == "sum":
        B = batch_size or n
        lam *= B
        of = _("the loss (sum over a batch of {size})").format(size=B)
    if not (lam > 0 and np.isfinite(lam)):
        return None
    return StepBound(lam_max=lam, lr_max=2.0 / lam, of=of)


def _direct_bound(objective: CompiledObjective, prepared, *, reduce, batch_size):
    """The same bound for a loss computed without a linear layer, when it is quadratic in
    the parameters: every second derivative is free of them, so H is their batch average."""
    import sympy

    from tutor.training.engine import compile_functions

    theta = objective._theta
    second = [[sympy.diff(objective.loss_expr, a, b) for b in theta] for a in theta]
    if any(e.free_symbols & set(theta) for row in second for e in row):
        return None
    flat = [e for row in second for e in row]
    values = compile_functions(flat, objective._dsyms)(*[prepared[s.name] for s in objective._dsyms])
    n = next(iter(prepared.values())).shape[0] if prepared else 1
    H = np.array([float(np.mean(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))))
                  for v in values]).reshape(len(theta), len(theta))
    return _bound(H, n, reduce=reduce, batch_size=batch_size)


def divergence_advice(lr: float, bound: StepBound | None, *, at_start: bool = False) -> str:
    """Why training blew up, in one sentence."""
    if at_start:
        return _("the starting parameters sit where the loss is undefined or infinite "
                 "(like log 0); start from other values")
    if bound is not None and lr >= bound.lr_max and bound.formula != "2/λ_max":
        return _("the learning rate {lr} is above the largest stable step {formula} = "
                 "{lr_max} for this data and optimizer: the steps overshoot along the "
                 "steepest direction and grow; try η = {suggested}").format(
            lr=f"{lr:g}", formula=bound.formula, lr_max=f"{bound.lr_max:.4g}",
            suggested=f"{bound.lr_max / 2:.3g}")
    if bound is not None and lr >= bound.lr_max:
        return _("the learning rate {lr} is above the largest stable step 2/λ_max = "
                 "{lr_max} for this data: each step overshoots the minimum along the "
                 "steepest direction by more than it corrects; try η = {suggested}").format(
            lr=f"{lr:g}", lr_max=f"{bound.lr_max:.4g}", suggested=f"{bound.lr_max / 2:.3g}")
    if bound is not None:
        return _("the learning rate {lr} is below 2/λ_max = {lr_max} of the full-data "
                 "Hessian, but single batches curve more steeply than the average; try a "
                 "smaller η or larger batches").format(lr=f"{lr:g}",
                                                                 lr_max=f"{bound.lr_max:.4g}")
    return _("the learning rate {lr} is too large for this loss: the steps overshoot and "
             "grow; try a learning rate 10 times smaller").format(lr=f"{lr:g}")

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

from .engine import CompiledObjective


@dataclass
class StepBound:
    lam_max: float
    lr_max: float
    #: what the Hessian is of, in words
    of: str


def hessian_bound(objective: CompiledObjective, prepared: Mapping[str, np.ndarray], *,
                  reduce: str, batch_size: int | None) -> StepBound | None:
    """2/λ_max for a squared loss through a linear layer; None for other losses."""
    if not isinstance(objective, CompiledObjective) or not objective.quadratic:
        return None
    X = prepared["X"]
    n = X.shape[0]
    layer = objective.layer
    has_bias = any(b for _, b in layer.nodes)
    A_cols = [X, np.ones((n, 1))] if has_bias else [X]
    A = np.hstack(A_cols)
    if layer.mode == "members":
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
        gram = A.T @ A / n
        curv = objective.curvature()
        H = np.kron(gram, curv)
    lam = float(np.linalg.eigvalsh(H)[-1])
    per = "mean over the batch"
    if reduce == "sum":
        B = batch_size or n
        lam *= B
        per = f"sum over a batch of {B}"
    if lam <= 0:
        return None
    return StepBound(lam_max=lam, lr_max=2.0 / lam, of=f"the loss ({per})")


def divergence_advice(lr: float, bound: StepBound | None) -> str:
    """Why training blew up, in one sentence."""
    if bound is not None and lr >= bound.lr_max:
        return (f"the learning rate {lr:g} is above the largest stable step 2/λ_max = "
                f"{bound.lr_max:.4g} for this data: each step overshoots the minimum along the "
                f"steepest direction by more than it corrects; try --lr {bound.lr_max / 2:.3g}")
    if bound is not None:
        return (f"the learning rate {lr:g} is below 2/λ_max = {bound.lr_max:.4g} of the full-data "
                f"Hessian, but single batches curve more steeply than the average; try a "
                f"smaller --lr or a larger --batch-size")
    return (f"the learning rate {lr:g} is too large for this loss: the steps overshoot and "
            f"grow; try a learning rate 10 times smaller")

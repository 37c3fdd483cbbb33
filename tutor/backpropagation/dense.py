"""The backward pass of a dense layer Y = XW + b with any upstream gradient G = ∂L/∂Y.

The tensor engine (:mod:`tutor.backpropagation.tensor`) runs the forward pass and one backward
pass with ``Y.backward(G)``; beside each gradient it puts the textbook formula evaluated
directly with NumPy (W̄ = XᵀG, X̄ = GWᵀ, b̄ = 1ᵀG) and, for all three, central finite
differences of L = sum(G ⊙ Y), whose gradient with respect to Y is exactly G.  The layer is
the one of the matrix lesson ``dense_layer``, where the same gradients are derived rule by
rule; here they are computed on the learner's matrices.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from tutor.backpropagation.jacobian import (FD_AGREE, Check, Line, Matrix, Topic, _matrix,
                                            max_relative_difference)
from tutor.backpropagation.tensor import shape_text, tensor
from tutor.errors import ParameterError
from tutor.i18n import N_, Phrase, _

#: the example: a batch of n = 4 samples of d = 3 features into k = 2 units, and an upstream
#: gradient that is not all ones
EXAMPLE = {
    "X": [[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [2.0, 0.0, 1.0], [-1.0, 1.0, 3.0]],
    "W": [[0.5, -1.0], [1.0, 0.0], [-0.5, 2.0]],
    "b": [0.1, -0.2],
    "G": [[1.0, 0.0], [0.0, -1.0], [2.0, 1.0], [-1.0, 0.5]],
}
NAMES = ("X", "W", "b", "G")


def _draw(rng, shape) -> np.ndarray:
    """Random entries with one decimal, so that they stay readable."""
    return np.round(rng.normal(size=shape), 1)


def _vector(values: Mapping[str, object]) -> np.ndarray:
    """The bias as given: one row of numbers."""
    b = np.asarray(values["b"], dtype=np.float64)
    if b.ndim == 2 and b.shape[0] == 1:
        b = b[0]
    b = np.atleast_1d(b)
    if b.ndim != 1:
        raise ParameterError("at", _("{param} b: the bias is one row of numbers, not a {shape} "
                                     "matrix"), shape=shape_text(b.shape))
    return b


def layer_values(values: Mapping[str, object] | None = None,
                 seed: int | None = None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """X, W, b, G: the learner's where given; where not, the example when its shape fits the
    given ones (and no seed was asked for), otherwise random with one decimal.  Returns the
    arrays and, for each name, where it came from ("given", "example" or "random").  A shape
    that does not fit is refused naming both shapes."""
    values = values or {}
    rng = np.random.default_rng(0 if seed is None else seed)
    origin: dict[str, str] = {}

    def given_shape(name: str) -> tuple[int, ...]:
        """The shape of a given matrix; a flat list is one row."""
        a = np.asarray(values[name], dtype=np.float64)
        return a.shape if a.ndim == 2 else (1, a.size)

    def fetch(name: str, shape: tuple) -> np.ndarray:
        if name in values:
            origin[name] = "given"
            return _matrix(values, name, np.zeros(given_shape(name)))
        example = np.array(EXAMPLE[name])
        if seed is None and example.shape == shape:
            origin[name] = "example"
            return example
        origin[name] = "random"
        return _draw(rng, shape)

    # the sizes come from the matrices given, else from the example
    (n, d), k = np.shape(EXAMPLE["X"]), np.shape(EXAMPLE["W"])[1]
    if "X" in values:
        n, d = given_shape("X")
    elif "G" in values:
        n = given_shape("G")[0]
    if "X" not in values and "W" in values:
        d = given_shape("W")[0]
    if "W" in values:
        k = given_shape("W")[1]
    elif "G" in values:
        k = given_shape("G")[1]
    elif "b" in values:
        k = np.atleast_1d(np.asarray(values["b"], dtype=np.float64)).shape[-1]
    X = fetch("X", (n, d))
    W = fetch("W", (d, k))
    if X.shape[1] != W.shape[0]:
        raise ParameterError("at", _("{param}: X is {x} and W is {w}; XW needs as many columns "
                                     "in X as rows in W"), x=shape_text(X.shape),
                             w=shape_text(W.shape))
    k = W.shape[1]
    b = _vector(values) if "b" in values else fetch("b", (k,))
    origin.setdefault("b", "given")
    if b.shape != (k,):
        raise ParameterError("at", _("{param} b: b is added to every row of XW, which is {xw}, "
                                     "so it needs {k} entries, not {given}"),
                             xw=shape_text((n, k)), k=k, given=b.size)
    G = fetch("G", (n, k))
    if G.shape != (n, k):
        raise ParameterError("at", _("{param} G: the upstream gradient ∂L/∂Y has the shape of "
                                     "Y = XW + b, {shape}, not {given}"),
                             shape=shape_text((n, k)), given=shape_text(G.shape))
    return {"X": X, "W": W, "b": b, "G": G}, origin


def derivation(arrays: Mapping[str, np.ndarray]) -> dict:
    """The gradients of the matrix lesson ``dense_layer`` (L = sum(G ⊙ (XW + b))), derived rule
    by rule and evaluated on these matrices: name → its derivation (formula and value)."""
    from tutor.matrix.explain import explain_matrix
    from tutor.matrix.problem import load_matrix_lesson

    explained = explain_matrix(load_matrix_lesson("dense_layer"), values=arrays)
    return {d.wrt: d for d in explained.derivations}


def _scale(terms: np.ndarray) -> float:
    """The size of the terms a sum adds up: an entry that cancels to rounding noise is measured
    against it, not against itself."""
    return float(np.max(terms)) if terms.size else 0.0


def loss(X, W, b, G) -> float:
    """L = sum(G ⊙ (XW + b)), in plain NumPy."""
    return float(np.sum(G * (X @ W + b)))


def finite_differences(X, W, b, G, h: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences of L with respect to every entry of X, W and b."""
    args = {"X": X, "W": W, "b": b}
    out = {}
    for name, a in args.items():
        grad = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            step = h * max(1.0, abs(a[index]))
            up, down = dict(args), dict(args)
            up[name], down[name] = a.copy(), a.copy()
            up[name][index] += step
            down[name][index] -= step
            grad[index] = (loss(G=G, **up) - loss(G=G, **down)) / (2 * step)
        out[name] = grad
    return out


def dense_topic(values: Mapping[str, object] | None = None, seed: int | None = None) -> Topic:
    """Y = XW + b forward, then Y.backward(G): X̄, W̄, b̄ beside GWᵀ, XᵀG and 1ᵀG, with shapes."""
    arrays, origin = layer_values(values, seed)
    X0, W0, b0, G0 = (arrays[k] for k in NAMES)
    (n, d), k = X0.shape, W0.shape[1]
    s = shape_text

    t = Topic("dense", Phrase(N_("Backpropagation through a dense layer: {formula}"),
                              formula="Y = XW + b, ∂L/∂Y = G"))
    t.add(Line(Phrase(N_("{formula}: X is n×d = {x} (one row per sample), W is d×k = {w}, "
                         "b has k = {k} entries and is added to every row; Y is n×k = {y}"),
                      formula="Y = XW + b", x=s(X0.shape), w=s(W0.shape), k=k,
                      y=s((n, k))), "formula"))
    kinds = {"given": N_("given: {names}"), "example": N_("the example: {names}"),
             "random": N_("random, seed {seed}: {names}")}
    for kind, template in kinds.items():
        names = ", ".join(name for name in NAMES if origin[name] == kind)
        if names:
            t.add(Line(Phrase(template, names=names, seed=0 if seed is None else seed)))

    X, W, b = tensor(X0, name="X"), tensor(W0, name="W"), tensor(b0, name="b")
    Y = X @ W + b
    t.add(Line(Phrase(N_("forward pass")), "heading"),
          Matrix("X", X0, note=f"n×d = {s(X0.shape)}"),
          Matrix("W", W0, note=f"d×k = {s(W0.shape)}"),
          Matrix("b", b0, note=f"k = {k}"),
          Matrix("Y = XW + b", Y.data, note=f"n×k = {s(Y.shape)}"))
    Y.backward(G0)
    t.add(Line(Phrase(N_("backward: {call}, where G = ∂L/∂Y comes from the layers above; "
                         "{loss} has exactly this gradient"),
                      call="Y.backward(G)", loss="L = sum(G ⊙ Y)"), "heading"),
          Matrix("G = ∂L/∂Y", G0, note=f"n×k = {s(G0.shape)}"))

    grad_w, grad_x, grad_b = X0.T @ G0, G0 @ W0.T, np.ones(n) @ G0
    fd = finite_differences(X0, W0, b0, G0)
    t.add(Line(Phrase(N_("{formula}: ({left})·({right}) → {shape}, the shape of {name}"),
                      formula="W̄ = XᵀG", left=s((d, n)), right=s((n, k)), shape=s((d, k)),
                      name="W"), "heading"),
          Matrix(Phrase(N_("{name} (backward)"), name="W.grad"), W.grad),
          Matrix("XᵀG", grad_w),
          Check("W̄", Phrase(N_("backward")), "XᵀG",
                max_relative_difference(W.grad, grad_w, _scale(abs(X0).T @ abs(G0)))),
          Line(Phrase(N_("why XᵀG: {gradient} must have the shape of W, d×k = {dk}, and is made "
                         "of X (n×d = {nd}) and G (n×k = {nk}); the only product of the two "
                         "with that shape is Xᵀ·G, which sums over the n samples"),
                      gradient="W̄", dk=s((d, k)), nd=s((n, d)), nk=s((n, k)))))
    t.add(Line(Phrase(N_("{formula}: ({left})·({right}) → {shape}, the shape of {name}"),
                      formula="X̄ = GWᵀ", left=s((n, k)), right=s((k, d)), shape=s((n, d)),
                      name="X"), "heading"),
          Matrix(Phrase(N_("{name} (backward)"), name="X.grad"), X.grad),
          Matrix("GWᵀ", grad_x),
          Check("X̄", Phrase(N_("backward")), "GWᵀ",
                max_relative_difference(X.grad, grad_x, _scale(abs(G0) @ abs(W0).T))),
          Line(Phrase(N_("likewise {gradient} must be n×d = {nd}: from G (n×k) and W (d×k) only "
                         "G·Wᵀ has that shape"), gradient="X̄", nd=s((n, d)))))
    t.add(Line(Phrase(N_("{formula}, the column sums of G: ({left})·({right}) → {shape}, the "
                         "shape of {name}"),
                      formula="b̄ = 𝟏ᵀG", left=s((1, n)), right=s((n, k)), shape=s((k,)),
                      name="b"), "heading"),
          Matrix(Phrase(N_("{name} (backward)"), name="b.grad"), b.grad),
          Matrix("𝟏ᵀG", grad_b),
          Check("b̄", Phrase(N_("backward")), "𝟏ᵀG",
                max_relative_difference(b.grad, grad_b, _scale(abs(G0).sum(axis=0)))))
    backward = np.concatenate([X.grad.ravel(), W.grad.ravel(), b.grad.ravel()])
    numeric = np.concatenate([fd["X"].ravel(), fd["W"].ravel(), fd["b"].ravel()])
    derived = derivation(arrays)
    symbolic = np.concatenate([derived[name].gradient.ravel() for name in ("X", "W", "b")])
    t.add(Check("X̄, W̄, b̄", Phrase(N_("backward")),
                Phrase(N_("the derivation of the matrix lesson {name} ({formulas})"),
                       name="dense_layer", formulas=", ".join(
                           derived[name].text(derived[name].result) for name in ("W", "X", "b"))),
                max_relative_difference(backward, symbolic, float(np.max(np.abs(symbolic))))))
    t.add(Check("X̄, W̄, b̄", Phrase(N_("backward")),
                Phrase(N_("finite differences of {loss}"), loss="L = sum(G ⊙ Y)"),
                max_relative_difference(backward, numeric, float(np.max(np.abs(numeric)))),
                FD_AGREE),
          Line(Phrase(N_("the bias's gradient sums over the batch because b is broadcast to "
                         "every row: each of the n = {n} rows of Y adds the same b, so each "
                         "row's upstream gradient adds to {gradient}"), n=n, gradient="b̄"), "insight"))
    t.data = {
        "shapes": {name: list(a.shape) for name, a in arrays.items()},
        "values": {name: a.tolist() for name, a in arrays.items()},
        "Y": {"formula": "X @ W + b", "values": Y.data.tolist()},
        "loss": {"formula": "sum(G * (X @ W + b))", "value": loss(X0, W0, b0, G0)},
        "gradients": {
            name: {"formula": derived[name].result.code(), "shape": list(grad.shape),
                   "values": grad.tolist()}
            for name, grad in (("W", W.grad), ("X", X.grad), ("b", b.grad))},
    }
    return t

"""Lessons in matrix form: the whole batch at once through the tensor engine.

For a lesson whose model is a stack of matrix products (linear and logistic regression, the
small network ``mlp``), the samples become the rows of a matrix X and one backward pass gives
every parameter's gradient of the batch loss.  Each gradient is shown three ways and checked:
from ``backward()``, from the textbook matrix formula evaluated directly, and as the mean of
the per-sample gradients of the scalar graph (:mod:`tutor.backpropagation.graph`).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from tutor.errors import ParameterError, TutorError
from tutor.i18n import N_, Phrase, _
from tutor.backpropagation.graph import lesson_graph
from tutor.backpropagation.jacobian import Check, Line, Matrix, Topic, max_relative_difference
from tutor.explaining.lesson import Lesson
from tutor.calculus.numeric import batch
from tutor.backpropagation.tensor import tensor

MATRIX_LESSONS = ("linear_regression", "logistic_regression", "mlp")


def _values(lesson: Lesson, at: Mapping[str, object] | None, names) -> dict[str, np.ndarray]:
    values = dict(lesson.example)
    values.update(at or {})
    arrays = dict(zip(names, batch(values, names)))
    n = max((a.size for a in arrays.values()), default=1)
    return {k: np.broadcast_to(a, (n,)) if a.ndim == 0 else a for k, a in arrays.items()}


def _need(lesson: Lesson, names) -> None:
    missing = [n for n in names if n not in lesson.symbols]
    if missing:
        raise TutorError(_("lesson '{lesson}' has no variable {name}, so its matrix form does "
                           "not apply").format(lesson=lesson.name, name=missing[0]))


def _num(v: float) -> str:
    return f"{v:.6g}".replace("-", "−")


def _graph_means(lesson: Lesson, values: Mapping[str, np.ndarray], wrt,
                 reduce: str = "mean") -> dict[str, float]:
    grads = lesson_graph(lesson).gradients(values, wrt)
    combine = np.mean if reduce == "mean" else np.sum
    return {k: float(combine(v)) for k, v in grads.items()}


def _per_sample(reduce: str) -> Phrase:
    return Phrase(N_("mean of the per-sample graph gradients") if reduce == "mean" else
                  N_("sum of the per-sample graph gradients"))


def _factor(n: int, reduce: str) -> Line:
    """What the reduction does to the gradient, said once."""
    if reduce == "mean":
        return Line(Phrase(N_("with the mean over the {n} samples every gradient carries 1/n; "
                              "the sum of the samples' losses instead gives gradients {n} times "
                              "larger, so the same steps need a learning rate {n} times "
                              "smaller"), n=n), "insight")
    return Line(Phrase(N_("with the sum over the {n} samples there is no 1/n; the mean instead "
                          "gives gradients {n} times smaller, so the same steps need a learning "
                          "rate {n} times larger"), n=n), "insight")


def matrix_form(lesson: Lesson, at: Mapping[str, object] | None = None,
                reduce: str | None = None) -> Topic:
    """The lesson's batch in matrix form; ``reduce`` ("mean" or "sum", default the lesson's)
    says how the samples' losses make the batch loss."""
    if lesson.name not in MATRIX_LESSONS:
        raise TutorError(_("lesson '{lesson}' has no matrix form here; these do: {names}").format(
            lesson=lesson.name, names=", ".join(MATRIX_LESSONS)))
    reduce = reduce or lesson.reduce or "mean"
    if reduce not in ("mean", "sum"):
        raise ParameterError("reduce", _("{param} must be one of {names}"), names="mean, sum")
    if lesson.name == "mlp":
        return _mlp(lesson, at, reduce)
    return _linear_model(lesson, at, reduce)


def _linear_model(lesson: Lesson, at, reduce: str) -> Topic:
    logistic = lesson.name == "logistic_regression"
    xs, ws = lesson.families.get("x", []), lesson.families.get("w", [])
    if not xs or len(xs) != len(ws):
        raise TutorError(_("lesson '{lesson}' needs families {x} and {w} for its matrix form")
                         .format(lesson=lesson.name, x="x_k", w="w_k"))
    _need(lesson, ["b", "y"])
    names = xs + ws + ["b", "y"]
    v = _values(lesson, at, names)
    n, d = v["y"].size, len(xs)
    X0 = np.column_stack([np.broadcast_to(v[x], (n,)) for x in xs])
    w0 = np.array([float(np.ravel(v[w])[0]) for w in ws]).reshape(d, 1)
    b0 = float(np.ravel(v["b"])[0])
    y0 = np.broadcast_to(v["y"], (n,)).reshape(n, 1)

    X, y = tensor(X0, requires_grad=False), tensor(y0, requires_grad=False)
    w, b = tensor(w0), tensor(np.array(b0))
    z = X @ w + b
    mean = reduce == "mean"
    if logistic:
        losses = z.softplus() - y * z
        L = losses.mean() if mean else losses.sum()
        residual = 1.0 / (1.0 + np.exp(-(X0 @ w0 + b0))) - y0
        model = Phrase(N_("{logit},  {loss} (cross-entropy on the logit),  {mean}"),
                       logit="z = Xw + b", loss="ℓ = softplus(z) − y·z",
                       mean="L = mean ℓ" if mean else "L = Σ ℓ")
        error = "σ(Xw + b) − y"
    else:
        E = z - y
        L = ((E * E).mean() if mean else (E * E).sum()) * 0.5
        residual = X0 @ w0 + b0 - y0
        model = "ŷ = Xw + b,  " + ("L = mean ½(ŷ − y)²" if mean else "L = ½ Σ (ŷ − y)²")
        error = "ŷ − y"
    grad_text = (f"∂L/∂w = Xᵀ({error})/n,   ∂L/∂b = mean({error})" if mean else
                 f"∂L/∂w = Xᵀ({error}),   ∂L/∂b = Σ ({error})")
    L.backward()
    divide = n if mean else 1
    formula_w = X0.T @ residual / divide
    formula_b = float(residual.sum() / divide)
    graph = _graph_means(lesson, {k: v[k] for k in names}, ws + ["b"], reduce)
    graph_w = np.array([graph[k] for k in ws]).reshape(d, 1)

    t = Topic(f"{lesson.name} --matrix", Phrase(N_("{title} in matrix form: the batch as a matrix"), title=lesson.title))
    samples = _samples(n)
    ways = ["backward()", Phrase(N_("formula")),
            Phrase(N_("mean of per-sample graphs") if mean else N_("sum of per-sample graphs"))]
    t.add(Line(Phrase(N_("{count} samples as the rows of X ({rows}), the weights as a column w ({column})"), count=n, rows=f"{n}×{d}", column=f"{d}×1"), "formula"),
          Line(model, "formula"),
          Matrix("X", X0, rows=samples, columns=xs),
          Matrix("y", y0.ravel(), columns=samples),
          Matrix("w", w0.ravel(), columns=ws), Line(f"b = {_num(b0)}    L = {_num(float(L.data))}", "formula"),
          Line(Phrase(N_("backward from L: one pass gives the whole gradient")), "heading"),
          Line(grad_text, "formula"),
          Matrix(error, residual.ravel(), columns=samples),
          Matrix(f"Xᵀ({error})", (X0.T @ residual).ravel(), columns=ws),
          Matrix("∂L/∂w", np.vstack([w.grad.ravel(), formula_w.ravel(), graph_w.ravel()]),
                 rows=ways, columns=ws),
          Matrix("∂L/∂b", np.array([[float(b.grad)], [formula_b], [graph["b"]]]),
                 rows=ways, columns=["b"]),
          Check("∂L/∂w", "backward()", Phrase(N_("the matrix formula")), max_relative_difference(w.grad, formula_w)),
          Check("∂L/∂b", "backward()", Phrase(N_("the matrix formula")), max_relative_difference(b.grad, formula_b)),
          Check("∂L/∂w, ∂L/∂b", "backward()", _per_sample(reduce),
                max_relative_difference(np.append(w.grad.ravel(), float(b.grad)), np.append(graph_w.ravel(), graph["b"]))),
          Line(Phrase(N_("the loop over samples disappears into one matrix product Xᵀ(…): the per-sample "
                 "gradients (prediction error × input) summed by the product, divided by n")
                      if mean else
                      N_("the loop over samples disappears into one matrix product Xᵀ(…): the "
                         "per-sample gradients (prediction error × input) summed by the "
                         "product")),
               "insight"),
          _factor(n, reduce))
    return t


MLP_W = [["w11", "w12"], ["w21", "w22"]]


def _samples(n: int) -> list[str]:
    return [Phrase(N_("sample {number}"), number=i + 1) for i in range(n)]


def _mlp(lesson: Lesson, at, reduce: str) -> Topic:
    names = ["x1", "x2", "w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c", "y"]
    _need(lesson, names)
    v = _values(lesson, at, names)
    n = v["y"].size

    def scalar(k):
        return float(np.ravel(v[k])[0])

    X0 = np.column_stack([np.broadcast_to(v["x1"], (n,)), np.broadcast_to(v["x2"], (n,))])
    W0 = np.array([[scalar(k) for k in row] for row in MLP_W])
    b0 = np.array([scalar("b1"), scalar("b2")])
    v0 = np.array([[scalar("v1")], [scalar("v2")]])
    c0 = scalar("c")
    y0 = np.broadcast_to(v["y"], (n,)).reshape(n, 1)

    X, y = tensor(X0, requires_grad=False), tensor(y0, requires_grad=False)
    W, b, vv, c = tensor(W0), tensor(b0), tensor(v0), tensor(np.array(c0))
    H = (X @ W.T + b).tanh()
    E = H @ vv + c - y
    mean = reduce == "mean"
    L = ((E * E).mean() if mean else (E * E).sum()) * 0.5
    L.backward()

    # the textbook backward pass, written out with NumPy
    H0 = np.tanh(X0 @ W0.T + b0)
    e = (H0 @ v0 + c0 - y0) / (n if mean else 1)
    dv = H0.T @ e
    dc = float(e.sum())
    dZ = (e @ v0.T) * (1.0 - H0 * H0)
    dW = dZ.T @ X0
    db = dZ.sum(axis=0)
    params = ["w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c"]
    graph = _graph_means(lesson, {k: v[k] for k in names}, params, reduce)
    gW = np.array([[graph[k] for k in row] for row in MLP_W])

    t = Topic("mlp --matrix", Phrase(N_("{title} in matrix form: the batch as a matrix"), title=lesson.title))
    units = [Phrase(N_("unit {number}"), number=k) for k in (1, 2)]
    inputs = [Phrase(N_("from {name}"), name=x) for x in ("x1", "x2")]
    formula_word = Phrase(N_("formula"))
    t.add(Line(Phrase(N_("{count} samples as the rows of X ({rows}); hidden weights as the rows of W "
                 "({shape})"), count=n, rows=f"{n}×2", shape="2×2"), "formula"),
          Line("Z = XWᵀ + b,  H = tanh(Z),  ŷ = Hv + c,  "
               + ("L = mean ½(ŷ − y)²" if mean else "L = ½ Σ (ŷ − y)²"), "formula"),
          Matrix("X", X0, rows=_samples(n), columns=["x1", "x2"]),
          Matrix("W", W0, rows=units, columns=inputs),
          Matrix("b, v", np.vstack([b0, v0.ravel()]), rows=["b", "v"], columns=units),
          Line(f"c = {_num(c0)}    L = {_num(float(L.data))}", "formula"),
          Line(Phrase(N_("backward from L, layer by layer")), "heading"),
          Line(Phrase(N_("{steps},  {last} = column sums of {dz}"), steps=("e = (ŷ − y)/n,  " if mean else "e = ŷ − y,  ") + "∂L/∂v = Hᵀe,  ∂L/∂c = Σ e,  ∂L/∂Z = (e vᵀ) ⊙ (1 − H²),  "
                    "∂L/∂W = (∂L/∂Z)ᵀX", last="∂L/∂b", dz="∂L/∂Z"), "formula"),
          Matrix(Phrase(N_("{name} (backward)"), name="∂L/∂W"), W.grad, rows=units, columns=inputs),
          Matrix("(∂L/∂Z)ᵀX", dW, rows=units, columns=inputs),
          Matrix("∂L/∂b, ∂L/∂v", np.vstack([b.grad, vv.grad.ravel(), db, dv.ravel()]),
                 rows=["∂L/∂b backward()", "∂L/∂v backward()",
                       Phrase("{name} {way}", name="∂L/∂b", way=formula_word),
                       Phrase("{name} {way}", name="∂L/∂v", way=formula_word)],
                 columns=units),
          Matrix("∂L/∂c", np.array([[float(c.grad)], [dc]]), rows=["backward()", Phrase("{way} Σ e", way=formula_word)],
                 columns=["c"]))
    engine = np.concatenate([W.grad.ravel(), b.grad, vv.grad.ravel(), [float(c.grad)]])
    formula = np.concatenate([dW.ravel(), db, dv.ravel(), [dc]])
    per_sample = np.concatenate([gW.ravel(), [graph["b1"], graph["b2"], graph["v1"], graph["v2"],
                                              graph["c"]]])
    t.add(Check(Phrase(N_("all nine gradients")), "backward()", Phrase(N_("the layer-by-layer formulas")),
                max_relative_difference(engine, formula)),
          Check(Phrase(N_("all nine gradients")), "backward()", _per_sample(reduce),
                max_relative_difference(engine, per_sample)),
          Line(Phrase(N_("the factor {factor} is computed once and shared by W and b: the error at each "
                 "hidden unit, sent back through v and the slope of tanh"), factor="(e vᵀ) ⊙ (1 − H²)"), "insight"),
          _factor(n, reduce))
    return t

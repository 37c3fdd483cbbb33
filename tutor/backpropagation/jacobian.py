"""Backpropagation with vectors and matrices, shown on small examples.

Each topic runs the tensor engine (:mod:`tutor.backpropagation.tensor`) and puts what it computed beside an
independent second computation — the textbook formula evaluated directly with NumPy, or
finite differences — as a list of plain blocks (a matrix with labels, a sentence, a check)
that the renderers lay out.

Topics:
  ``jacobian softmax``   J as a table and as the formula diag(s) − s sᵀ; vᵀJ
  ``jacobian rowsum``    the row sums of exp(x) for a 2×3 x: a Jacobian with zero blocks
  ``matmul``             Y = A·B, L = sum(Y): ∂L/∂A = 1·Bᵀ, ∂L/∂B = Aᵀ·1
  ``dense``              Y = XW + b with any upstream G: W̄ = XᵀG, X̄ = GWᵀ, b̄ = 1ᵀG
                         (:mod:`tutor.backpropagation.dense`)
  ``accumulate``         gradients add up over backward passes until zero_grad()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from tutor.errors import ParameterError, TutorError
from tutor.i18n import N_, Phrase, _
from tutor.backpropagation.tensor import jacobian, tensor

TOPICS = ("jacobian", "matmul", "dense", "accumulate", "modes")
JACOBIANS = ("softmax", "rowsum")
#: rel. error under this counts as agreement
AGREE = 1e-9


@dataclass
class Matrix:
    label: str
    values: np.ndarray
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Line:
    text: str
    style: str = ""  # "", "formula", "heading", "insight"


@dataclass
class Check:
    """Two computations of the same numbers and their largest relative difference."""

    label: str
    first: str
    second: str
    error: float
    tolerance: float = AGREE

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.error) and self.error < self.tolerance)


@dataclass
class Topic:
    name: str
    title: str
    blocks: list = field(default_factory=list)
    #: the results for scripts, in the notation the command line reads (JSON only)
    data: dict = field(default_factory=dict)

    @property
    def checks(self) -> list[Check]:
        return [b for b in self.blocks if isinstance(b, Check)]

    def add(self, *blocks) -> None:
        self.blocks.extend(blocks)


#: finite differences with h = 1e-6 agree to about 1e-10 relative; allow for rounding
FD_AGREE = 1e-6


def max_relative_difference(a, b, scale: float = 0.0) -> float:
    """Largest entrywise relative difference; entries far below ``scale`` (sums that cancel
    to rounding noise) are measured against ``scale`` instead."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not a.size:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)),
                                                   max(scale, 1e-300))))


def _fd_jacobian(fn, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    y0 = fn(tensor(x)).data
    J = np.zeros((y0.size, x.size))
    for k in range(x.size):
        up, down = x.copy().ravel(), x.copy().ravel()
        up[k] += h
        down[k] -= h
        J[:, k] = ((fn(tensor(up.reshape(x.shape))).data - fn(tensor(down.reshape(x.shape))).data)
                   .ravel() / (2 * h))
    return J


def _names(base: str, shape) -> list[str]:
    if len(shape) == 1:
        return [f"{base}{i + 1}" for i in range(shape[0])]
    return [f"{base}{i + 1}{j + 1}" for i in range(shape[0]) for j in range(shape[1])]


def _vector(values: Mapping[str, object], name: str, default, shape=None) -> np.ndarray:
    if name not in values:
        return np.array(default, dtype=np.float64)
    v = np.atleast_1d(np.asarray(values[name], dtype=np.float64))
    if shape is not None:
        if v.size != int(np.prod(shape)):
            raise ParameterError("at", _("{param} {name}: {given} number(s) given, but {name} "
                                         "has shape {shape} ({count} numbers, row by row)"),
                                 name=name, given=v.size, shape="×".join(map(str, shape)),
                                 count=int(np.prod(shape)))
        v = v.reshape(shape)
    elif v.size < 2:
        raise ParameterError("at", _("{param} {name}: give at least two numbers, like {example}"),
                             name=name, example=f"{name}=1,2,0.5")
    return v


def _numbered(template: str, count: int) -> list[Phrase]:
    """["row 1", "row 2", …] from the template "row {number}" (translated where shown)."""
    return [Phrase(template, number=k + 1) for k in range(count)]


# -- topics ------------------------------------------------------------------------------------
def softmax_jacobian(values: Mapping[str, object] | None = None) -> Topic:
    z = _vector(values or {}, "z", [1.0, 2.0, 0.5])
    n = z.size
    t = Topic("jacobian softmax", Phrase(N_("The Jacobian of softmax, and what {call} computes"), call="backward()"))
    fn = lambda x: x.softmax()  # noqa: E731
    s, J = jacobian(fn, z)
    zs, ss = _names("z", (n,)), _names("s", (n,))
    t.add(Line(Phrase("{formula}, {count}", formula="s = softmax(z): sᵢ = e^(zᵢ) / Σⱼ e^(zⱼ)",
                      count=Phrase(N_("{outputs} outputs of {inputs} inputs"), outputs=n,
                                   inputs=n)), "formula"),
          Matrix("z", z, columns=zs), Matrix("s", s, columns=ss),
          Line(Phrase(N_("{entry}, row i from one backward pass with v = the i-th unit vector"), entry="J[i, j] = ∂sᵢ/∂zⱼ"), "heading"),
          Matrix(Phrase(N_("{name} (backward, one row per pass)"), name="J"), J, rows=ss, columns=zs))
    formula = np.diag(s) - np.outer(s, s)
    t.add(Line(Phrase(N_("as a formula: {formula}, that is {entry}"), formula="J = diag(s) − s sᵀ", entry="∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ)"), "formula"),
          Matrix("diag(s) − s sᵀ", formula, rows=ss, columns=zs),
          Check("J", Phrase(N_("backward")), "diag(s) − s sᵀ", max_relative_difference(J, formula)),
          Check("J", Phrase(N_("backward")), Phrase(N_("finite differences")),
                max_relative_difference(J, _fd_jacobian(fn, z)), FD_AGREE))
    _vjp(t, fn, z, J, zs, Phrase(N_("the outputs always sum to 1, so nudging z cannot change Σ sᵢ: "
                            "every column of J sums to 0 and vᵀJ = 0 for v = ones")))
    v = np.arange(1.0, n + 1)
    zt = tensor(z)
    fn(zt).backward(v)
    shown = "(" + ", ".join(f"{k:g}" for k in v) + ")"
    t.add(Line(Phrase(N_("with weights v = {weights}, vᵀJ is the gradient of Σ vᵢsᵢ, a weighted score"), weights=shown), "formula"),
          Matrix(f"y.backward(v = {shown})", zt.grad, columns=zs),
          Matrix("vᵀ·J", v @ J, columns=zs),
          Check("vᵀJ", "backward(v)", "vᵀ·J",
                max_relative_difference(zt.grad, v @ J, float(np.max(np.abs(v) @ np.abs(J))))))
    t.add(Line(Phrase(N_("J is symmetric: each column sums to 0 (Σ sᵢ = 1) and so does each row "
                 "(softmax(z + c) = softmax(z)). A network never builds it: backward() "
                 "computes vᵀJ = s ⊙ (v − (v·s)) directly, in O(n) instead of O(n²).")), "insight"))
    return t


def rowsum_jacobian(values: Mapping[str, object] | None = None) -> Topic:
    x = _vector(values or {}, "x", [[0.1, -0.4, 0.7], [1.2, 0.0, -2.0]], shape=(2, 3))
    t = Topic("jacobian rowsum", Phrase(N_("Row sums of exp(x) for a 2×3 x: a Jacobian with zero blocks")))
    fn = lambda a: a.exp().sum(axis=1)  # noqa: E731
    y, J = jacobian(fn, x)
    xs, ys = _names("x", x.shape), _names("y", (2,))
    t.add(Line(Phrase(N_("{formula}: two outputs, six inputs (x flattened row by row)"), formula="yᵢ = Σⱼ e^(xᵢⱼ)"), "formula"),
          Matrix("x", x, rows=_numbered(N_("row {number}"), 2),
                 columns=_numbered(N_("col {number}"), 3)),
          Matrix("y", y, columns=ys),
          Line(Phrase(N_("{entry}, row i from one backward pass with v = the i-th unit vector"), entry="J[i, (k, j)] = ∂yᵢ/∂xₖⱼ"), "heading"),
          Matrix(Phrase(N_("{name} (backward)"), name="J"), J, rows=ys, columns=xs,
                 note=Phrase(N_("y₁ does not depend on row 2 of x, nor y₂ on row 1: those blocks are 0"))))
    formula = np.zeros((2, 6))
    for i in range(2):
        formula[i, 3 * i:3 * i + 3] = np.exp(x[i])
    t.add(Line(Phrase(N_("as a formula: {formula}, the exponentials on the diagonal blocks"), formula="∂yᵢ/∂xₖⱼ = δᵢₖ e^(xₖⱼ)"), "formula"),
          Check("J", Phrase(N_("backward")), "δᵢₖ e^(xₖⱼ)", max_relative_difference(J, formula)),
          Check("J", Phrase(N_("backward")), Phrase(N_("finite differences")),
                max_relative_difference(J, _fd_jacobian(fn, x)), FD_AGREE))
    _vjp(t, fn, x, J, xs, Phrase(N_("with v = ones, vᵀJ adds the rows of J: every input gets e^(xₖⱼ)")))
    return t


def _vjp(t: Topic, fn, x: np.ndarray, J: np.ndarray, labels, why: str) -> None:
    """y.backward(v) is vᵀJ; with v = ones it is the gradient of sum(y), summing first."""
    xt = tensor(x)
    y = fn(xt)
    v = np.ones(y.shape)
    y.backward(v)
    by_backward = xt.grad.ravel()
    first = tensor(x)
    fn(first).sum().backward()
    sum_first = first.grad.ravel()
    # entries that cancel to 0 are compared on the scale of the terms that cancel
    scale = float(np.max(np.abs(v.ravel()) @ np.abs(J)))
    t.add(Line(Phrase(N_("vector-Jacobian product: when the output is not a scalar, backward(v) computes "
                 "vᵀJ without forming J")), "heading"),
          Matrix("y.backward(ones)", by_backward, columns=labels),
          Matrix("vᵀ·J, v = ones", v.ravel() @ J, columns=labels),
          Matrix("sum(y).backward()", sum_first, columns=labels,
                 note=Phrase(N_("summing the outputs first, then a scalar backward"))),
          Check("vᵀJ", "backward(v)", "vᵀ·J", max_relative_difference(by_backward, v.ravel() @ J, scale)),
          Check("v = ones", "backward(ones)", Phrase(N_("sum first")),
                max_relative_difference(by_backward, sum_first, scale)),
          Line(why, "insight"))


#: the largest matrix a topic takes from --at (rows and columns)
MAX_SIDE = 12


def _matrix(values: Mapping[str, object], name: str, default) -> np.ndarray:
    """The learner's matrix ``name`` (rows split by ';'), or the default."""
    if name not in values:
        return np.array(default, dtype=np.float64)
    m = np.asarray(values[name], dtype=np.float64)
    if m.ndim < 2:
        # a flat list as long as the default matrix fills it row by row; otherwise one row
        shape = np.shape(default)
        m = m.reshape(shape) if m.size == int(np.prod(shape)) else m.reshape(1, -1)
    if max(m.shape) > MAX_SIDE:
        raise ParameterError("at", _("{param} {name}: at most {most} rows and columns"),
                             name=name, most=MAX_SIDE)
    return m


def _shape(m: np.ndarray) -> str:
    return "×".join(map(str, m.shape))


def matmul_topic(values: Mapping[str, object] | None = None) -> Topic:
    """Y = A·B and an upstream gradient G = ∂L/∂Y (ones by default: L = sum(Y)), with the
    learner's matrices: Ā = G·Bᵀ and B̄ = Aᵀ·G, by backward and by the formula."""
    values = values or {}
    A0 = _matrix(values, "A", [[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    B0 = _matrix(values, "B", [[2.0, -1.0], [1.0, 1.0], [0.0, 4.0]])
    if A0.shape[1] != B0.shape[0]:
        raise ParameterError("at", _("{param}: A is {a} and B is {b}; A·B needs as many columns "
                                     "in A as rows in B"), a=_shape(A0), b=_shape(B0))
    m, n = A0.shape[0], B0.shape[1]
    G0 = _matrix(values, "G", np.ones((m, n)))
    if G0.shape != (m, n):
        raise ParameterError("at", _("{param} G: the upstream gradient ∂L/∂Y has the shape of "
                                     "Y = A·B, {shape}, not {given}"),
                             shape=f"{m}×{n}", given=_shape(G0))
    ones = bool(np.all(G0 == 1.0))
    t = Topic("matmul", Phrase(N_("Gradients of a matrix product: {formula}"),
                               formula="Y = A·B, L = sum(Y)" if ones else "Y = A·B, ∂L/∂Y = G"))
    A, B = tensor(A0), tensor(B0)
    Y = A @ B
    Y.backward(G0)
    row, col = N_("row {number}"), N_("col {number}")
    shapes = Phrase(N_("{product} ({a} times {b})"), product="Y = A·B", a=_shape(A0),
                    b=_shape(B0))
    upstream = (Phrase(N_("{loss}; {adjoint} is a matrix of ones"), loss="L = Σ Yᵢⱼ",
                       adjoint="Ȳ = ∂L/∂Y") if ones else
                Phrase(N_("the upstream gradient {adjoint} is G, given"), adjoint="Ȳ = ∂L/∂Y"))
    grad_a, grad_b = G0 @ B0.T, A0.T @ G0
    g = "1" if ones else "G"
    t.add(Line(shapes, "formula"), Line(upstream, "formula"),
          Matrix("A", A0, rows=_numbered(row, m), columns=_numbered(col, A0.shape[1])),
          Matrix("B", B0, rows=_numbered(row, B0.shape[0]), columns=_numbered(col, n)),
          Matrix("Y = A·B", Y.data))
    if not ones:
        t.add(Matrix("G = ∂L/∂Y", G0))
    t.add(Line(Phrase(N_("backward: {first} and {second} (the shapes only fit one way)"),
                      first="Ā = Ȳ·Bᵀ", second="B̄ = Aᵀ·Ȳ"), "heading"),
          Matrix(Phrase(N_("{name} (backward)"), name="A.grad"), A.grad),
          Matrix(f"{g}·Bᵀ", grad_a),
          Matrix(Phrase(N_("{name} (backward)"), name="B.grad"), B.grad),
          Matrix(f"Aᵀ·{g}", grad_b),
          Check("∂L/∂A", Phrase(N_("backward")), f"{g}·Bᵀ", max_relative_difference(A.grad, grad_a)),
          Check("∂L/∂B", Phrase(N_("backward")), f"Aᵀ·{g}", max_relative_difference(B.grad, grad_b)))
    if np.all(grad_a == grad_a[0]):
        t.add(Line(Phrase(N_("every row of ∂L/∂A is the same: Aᵢₖ meets row k of B in every "
                             "column of Y, each time with the same upstream weight, so its "
                             "gradient is the sum of row k of B, whatever i is")), "insight"))
    else:
        t.add(Line(Phrase(N_("row i of ∂L/∂A is row i of the upstream gradient times Bᵀ: Aᵢₖ "
                             "meets row k of B in row i of Y, each entry weighted by how much L "
                             "cares about it")), "insight"))
    return t


def accumulate_topic(values: Mapping[str, object] | None = None) -> Topic:
    """Gradients add up over backward passes until zero_grad(), on the learner's matrix inp
    (default the 4×5 identity of the seed) and upstream v (default ones)."""
    values = values or {}
    inp0 = _matrix(values, "inp", np.eye(4, 5))
    v0 = _matrix(values, "v", np.ones(inp0.T.shape))
    if v0.shape != inp0.T.shape:
        raise ParameterError("at", _("{param} v: out = ((inp + 1)²)ᵀ is {shape}, so v must be "
                                     "{shape} too, not {given}"),
                             shape=_shape(inp0.T), given=_shape(v0))
    ones = bool(np.all(v0 == 1.0))
    t = Topic("accumulate", Phrase(N_("Gradients accumulate over backward passes until you reset them")))
    inp = tensor(inp0)
    out = ((inp + 1) ** 2).T
    described = (Phrase(N_("{input} (4×5, ones on the diagonal); {output}, a 5×4 matrix"),
                        input="inp = I", output="out = ((inp + 1)²)ᵀ")
                 if "inp" not in values else
                 Phrase(N_("{input} ({shape}, given); {output}"), input="inp",
                        shape=_shape(inp0), output="out = ((inp + 1)²)ᵀ"))
    t.add(Line(described, "formula"),
          Line(Phrase(N_("out is not a scalar: backward(v) needs v, here v = ones, so each entry of "
                 "inp.grad is {gradient}"), gradient="∂(Σ out)/∂inp = 2(inp + 1)") if ones else
               Phrase(N_("out is not a scalar: backward(v) needs v, here given, so inp.grad is "
                         "{gradient}"), gradient="2(inp + 1) ⊙ vᵀ"),
               "formula"))
    if not ones:
        t.add(Matrix("v", v0))
    out.backward(v0)
    first = inp.grad.copy()
    t.add(Matrix(Phrase(N_("after the first backward")), first))
    out.backward(v0)
    second = inp.grad.copy()
    t.add(Matrix(Phrase(N_("after a second backward, no reset")), second,
                 note=Phrase(N_("the new gradient was added to the old one: twice the first"))))
    inp.zero_grad()
    out.backward(v0)
    third = inp.grad.copy()
    t.add(Matrix(Phrase(N_("after {call} and a third backward"), call="zero_grad()"), third))
    expected = 2 * (inp0 + 1) * v0.T
    formula = "2(inp + 1)" if ones else "2(inp + 1) ⊙ vᵀ"
    t.add(Check(Phrase(N_("first pass")), Phrase(N_("backward")), formula,
                max_relative_difference(first, expected)),
          Check(Phrase(N_("second pass")), Phrase(N_("backward")), f"2 × {formula}",
                max_relative_difference(second, 2 * expected)),
          Check(Phrase(N_("after reset")), Phrase(N_("backward")), formula,
                max_relative_difference(third, expected)),
          Line(Phrase(N_("why it matters: a training loop must reset the gradients (zero_grad) before "
                 "every step, or each step uses the sum of all the gradients so far. On purpose, "
                 "accumulation lets a large batch be processed in pieces.")), "insight"))
    return t


def topic(words: tuple[str, ...], values: Mapping[str, object] | None = None,
          seed: int | None = None) -> Topic:
    """The topic named by the command-line words, e.g. ("jacobian", "softmax"); ``seed`` draws
    the random matrices of ``dense``."""
    head, rest = words[0], list(words[1:])
    allowed = {"jacobian": {"x"} if rest[:1] == ["rowsum"] else {"z"}, "matmul": {"A", "B", "G"},
               "dense": {"X", "W", "b", "G"}, "accumulate": {"inp", "v"}, "modes": {"x1", "x2"}}[head]
    for name in values or {}:
        if name not in allowed:
            raise ParameterError("at", _("{param} {name}: '{topic}' takes {names}") if allowed else
                                 _("{param} {name}: '{topic}' takes no values"),
                                 name=name, topic=" ".join(words), names=", ".join(sorted(allowed)))
    if head == "jacobian":
        which = rest.pop(0) if rest else "softmax"
        if which not in JACOBIANS:
            raise TutorError(_("no Jacobian example '{name}'; there are: {names}").format(
                name=which, names=", ".join(JACOBIANS)))
        if rest:
            raise TutorError(_("unexpected '{words}' after '{topic}'").format(
                words=" ".join(rest), topic=f"jacobian {which}"))
        return softmax_jacobian(values) if which == "softmax" else rowsum_jacobian(values)
    if rest:
        raise TutorError(_("unexpected '{words}' after '{topic}'").format(
            words=" ".join(rest), topic=head))
    if head == "modes":
        from tutor.backpropagation.modes import modes_topic

        return modes_topic(values)
    if head == "dense":
        from tutor.backpropagation.dense import dense_topic

        return dense_topic(values, seed)
    return matmul_topic(values) if head == "matmul" else accumulate_topic(values)

"""Matrix derivations, step by step, each step with its shapes and checked on numbers.

The layout is said once and kept: **a gradient has the shape of its variable**, as PyTorch's
``.grad`` does (∂L/∂W of an n×d matrix W is n×d).  The derivation runs backwards from the
scalar L, as backpropagation does: each subexpression U receives ∂L/∂U from the expression
that uses it, through one named rule (the product rule for @, the transpose rule, the
elementwise chain ⊙ f′, sum as 𝟏ᵀ·, …).  A subexpression used in several places (Xw in
``softplus(Xw) - y * (Xw)``) is one node: its contributions add (linearity), and then it is
passed on once.

Every step is checked when it is made, on random matrices of small sizes: the gradient a step
claims is compared with central differences of L, changing that subexpression's entries one by
one (for a contribution through one of several paths, with differences of the one expression
that uses it, weighted by its gradient).  Nothing is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

import numpy as np

from tutor.errors import TutorError
from tutor.i18n import N_, _
from tutor.calculus.table import BY_NAME
from tutor.matrix import algebra as A
from tutor.matrix.tree import Dims, Node, evaluate, is_named, naming, shape_text, shown_shape

#: rule key -> (name, statement); names and statements are translated where they are shown
RULES: dict[str, tuple[str, str]] = {
    "start": (N_("start"), "∂L/∂L = 1"),
    "linearity": (N_("linearity"), "d(U ± V) = dU ± dV"),
    "constant": (N_("constant factor"), "d(cU) = c dU"),
    "broadcast": (N_("broadcast"), N_("a copied argument collects the sum of its copies' gradients")),
    "hadamard": (N_("elementwise product"), "d(U ⊙ V) = dU ⊙ V + U ⊙ dV"),
    "quotient": (N_("elementwise quotient"), "d(U/V) = dU/V − U ⊙ dV/V²"),
    "power": (N_("elementwise chain"), "d(Uᵖ) = pUᵖ⁻¹ ⊙ dU"),
    "chain": (N_("elementwise chain"), "d f(U) = f′(U) ⊙ dU"),
    "matmul": (N_("product rule for @"), "d(AB) = dA·B + A·dB"),
    "transpose": (N_("transpose rule"), "d(Aᵀ) = (dA)ᵀ"),
    "sum": (N_("sum as 𝟏ᵀ·"), "d sum(U) = 𝟏ᵀ dU 𝟏"),
    "mean": (N_("mean as 𝟏ᵀ·/N"), "d mean(U) = 𝟏ᵀ dU 𝟏 / N"),
    "norm": (N_("norm"), "d‖U‖ = ⟨U, dU⟩/‖U‖"),
    "trace": (N_("trace"), "d tr(A) = tr(dA) = ⟨I, dA⟩"),
    "diag": (N_("diag"), "d diag(U) = diag(dU)"),
    "inverse": (N_("inverse's differential"), "d(A⁻¹) = −A⁻¹ dA A⁻¹"),
    "det": (N_("Jacobi's formula"), "d det(A) = det(A) tr(A⁻¹ dA)"),
    "logdet": (N_("log-determinant"), "d log det(A) = tr(A⁻¹ dA)"),
    "logsumexp": (N_("log-sum-exp"), "d logsumexp(z) = softmax(z)ᵀ dz"),
    "softmax": (N_("softmax's Jacobian"), "ds = (diag(s) − s sᵀ) dz"),
    "logsoftmax": (N_("log-softmax"), "d log softmax(z) = (I − 𝟏 sᵀ) dz"),
    "paths": (N_("chain through every use"), N_("the contributions of every use add")),
}

#: ∂L/∂U must agree with central differences to this relative error
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Term:
    """One term of a step and its shape."""

    label: str
    shape: Dims

    @property
    def shown(self) -> str:
        return f"{self.label} {shown_shape(self.shape)}"

    @property
    def is_result(self) -> bool:
        return self.label == "→"


@dataclass
class MatrixStep:
    """One rule applied: the gradient of ``target`` (all of it, or the part that comes
    ``through`` one expression that uses it), with the shapes of the terms it was made from."""

    rule: str
    target: Node
    result: Node
    terms: list[Term]
    through: Node | None = None
    formula: Node | None = None
    note: str = ""
    error: float | None = None
    #: the how-many-th rule applied (the steps that add the paths to one node have none)
    number: int = 0
    #: the expression that uses ``target`` (whose rule this step applies)
    parent: Node | None = None

    @property
    def name(self) -> str:
        return RULES[self.rule][0]

    def label(self, function: str) -> str:
        """∂L/∂U, or ∂L/∂U through V for the part that comes through one use of U."""
        own = _grad_label(self.target, function)
        if self.through is None:
            return own
        return _("{gradient} through {use}").format(gradient=own, use=self.through.text())

    def shown(self, function: str, aliases: dict) -> str:
        """:meth:`label` with the subexpressions that have names shown by them."""
        with naming(aliases):
            return self.label(function)

    @property
    def statement(self) -> str:
        return RULES[self.rule][1]


@dataclass
class MatrixDerivation:
    """∂L/∂wrt for a scalar matrix expression: the steps, the result, and the check of the
    result against central differences of L on random matrices of the given sizes."""

    expression: Node
    wrt: str
    shape: Dims
    steps: list[MatrixStep]
    result: Node
    sizes: dict[str, int]
    values: dict[str, np.ndarray]
    gradient: np.ndarray
    finite_difference: np.ndarray
    max_rel_error: float
    function: str = "L"
    #: names shown for subexpressions (Z for XW + b)
    aliases: dict[Node, str] = field(default_factory=dict)
    #: the second method, when asked for: SymPy's gradient on explicit matrices (None where
    #: it was not fast enough to do), and its relative difference from :attr:`gradient`
    second: np.ndarray | None = None
    second_error: float | None = None
    second_asked: bool = False

    def text(self, node: Node) -> str:
        return node.text(self.aliases)

    def label(self, step: "MatrixStep") -> str:
        return step.shown(self.function, self.aliases)

    def latex(self, node: Node) -> str:
        return node.latex(self.aliases)

    @property
    def agrees(self) -> bool:
        return bool(np.isfinite(self.max_rel_error) and self.max_rel_error < TOLERANCE)


# -- numbers ---------------------------------------------------------------------------------
def relative_error(a, b, floor: float = 1e-6) -> float:
    """max |a − b| over the entries, relative to the larger of the two, with a floor (1e−6,
    or what the caller knows of the size of the function differenced: a gradient of 0 is
    compared with differences that are never exactly 0)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("nan")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), floor)
    return float(np.max(np.abs(a - b)) / scale)


def central_difference(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """The gradient of the scalar function f at x, entry by entry, by the five-point central
    difference (error of order h⁴, h = step·max(1, |x|))."""
    with np.errstate(all="ignore"):
        return _central_difference(f, x, step)


def _central_difference(f, x, step: float) -> np.ndarray:
    x = np.array(x, dtype=np.float64, order="C")
    out = np.zeros_like(x, order="C")
    flat = x.reshape(-1)
    grad = out.reshape(-1)
    for i in range(flat.size):
        h = step * max(1.0, abs(flat[i]))
        saved = flat[i]
        values = []
        for k in (2, 1, -1, -2):
            flat[i] = saved + k * h
            values.append(float(f(x.copy())))
        flat[i] = saved
        grad[i] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
    return out


#: the steps of the central differences tried, in turn, until one agrees: a function that
#: turns fast (sin(w/c) for a small c) needs a smaller step than rounding would like
STEPS = (1e-4, 1e-5, 1e-3, 1e-6)


def checked(claimed, f, x, floor: float) -> tuple[float, np.ndarray]:
    """The relative error of ``claimed`` against central differences of f at x, and those
    differences: the best agreement over the steps of :data:`STEPS`."""
    best = None
    for step in STEPS:
        numeric = central_difference(f, x, step)
        error = relative_error(claimed, numeric, floor)
        if best is None or error < best[0] or (best[0] != best[0] and error == error):
            best = (error, numeric)
        if error < TOLERANCE:
            break
    return best


# -- the rules ---------------------------------------------------------------------------------
def _grad_label(node: Node, function: str) -> str:
    inner = node.text()
    if node.kind not in ("var",) and not is_named(node) \
            and not (inner.startswith("(") and inner.endswith(")")):
        inner = f"({inner})"
    return f"∂{function}/∂{inner}"


def _rule(node: Node, slot: int, g: Node, function: str, glabel: str):
    """(contribution to node.args[slot], rule, terms, note) for ∂L/∂node = g."""
    k = node.kind
    a = node.args
    c = a[slot]
    G = Term(glabel, node.shape)
    arg = Term(c.text(), c.shape)
    if k in ("add", "sub", "neg"):
        part = A.neg(g) if (k == "neg" or (k == "sub" and slot == 1)) else g
        out, how = A.unbroadcast(part, c.shape)
        if how:
            return out, "broadcast", [G, arg], _broadcast_note(how, c, node)
        return out, "linearity", [G], ""
    if k == "mul":
        other = a[1 - slot]
        part = A.mul(g, other)
        out, how = A.unbroadcast(part, c.shape)
        rule = "constant" if not other.names() else "hadamard"
        note = _broadcast_note(how, c, node) if how else ""
        return out, rule, [G, Term(other.text(), other.shape)], note
    if k == "div":
        if slot == 0:
            part = A.div(g, a[1])
            rule = "constant" if not a[1].names() else "quotient"
        else:
            part = A.neg(A.div(A.mul(g, a[0]), A.power(a[1], 2)))
            rule = "quotient"
        out, how = A.unbroadcast(part, c.shape)
        return out, rule, [G, Term(a[1 - slot].text(), a[1 - slot].shape)], (
            _broadcast_note(how, c, node) if how else "")
    if k == "pow":
        p = node.value
        local = A.scale(_rational(p), A.power(c, p - 1))
        return A.mul(g, local), "power", [G, Term(local.text(), local.shape)], ""
    if k == "func":
        local = A.derivative_of(node.value, c)
        f = BY_NAME[node.value]
        note = _(f.statement) if f.statement else ""
        return A.mul(g, local), "chain", [G, Term(local.text(), local.shape)], note
    if k == "matmul":
        return _matmul(node, slot, g, G, function)
    if k == "outer":
        if slot == 0:
            return A.matmul(g, a[1]), "matmul", [G, Term(a[1].text(), a[1].shape)], ""
        return A.matmul(A.transpose(g), a[0]), "matmul", [G, Term(a[0].text(), a[0].shape)], ""
    if k == "T":
        return A.transpose(g), "transpose", [G], ""
    if k in ("sum", "mean"):
        if node.value is None:
            out = A.spread(g, c.shape)
            factor = A.count(c.shape)
        elif node.value == 0:
            out = A.outer(A.ones((c.shape[0],)), g)
            factor = A.size_symbol(c.shape[0])
        else:
            out = A.outer(g, A.ones((c.shape[1],)))
            factor = A.size_symbol(c.shape[1])
        if k == "mean":
            out = A.scale(1 / factor, out)
        return out, k, [G], ""
    if k == "norm":
        return A.mul(g, A.div(c, node)), "norm", [G, Term(node.text(), ())], ""
    if k == "trace":
        out = A.eye(c.shape[0]) if A.is_const(g, 1) else A.mul(g, A.eye(c.shape[0]))
        note = ""
        if c.kind == "matmul" and c.ndim == 2:
            p, q = c.args
            note = _("tr({pq}) = tr({qp}): the trace is cyclic, so ∂tr({pq})/∂{p} = {qt}").format(
                pq=c.text(), qp=A.matmul(q, p).text(), p=p.text(), qt=A.transpose(q).text())
        return out, "trace", [G], note
    if k == "diag":
        return A.diag(g), "diag", [G], ""
    if k in ("det", "logdet"):
        it = A.transpose(A.inv(c))
        local = it if k == "logdet" else A.mul(node, it)
        out = local if A.is_const(g, 1) else A.mul(g, local)
        return out, k, [G, Term(local.text(), local.shape)], ""
    if k == "inv":
        it = A.transpose(node)
        return A.neg(A.matmul(A.matmul(it, g), it)), "inverse", [G, Term(node.text(), node.shape)], ""
    if k == "logsumexp":
        s = A.softmax(c)
        out = A.mul(g, s) if c.ndim == 1 else A.matmul(A.diag(g), s)
        return out, "logsumexp", [G, Term(s.text(), s.shape)], ""
    if k == "softmax":
        s = node
        if c.ndim == 1:
            out = A.mul(s, A.sub(g, Node("matmul", (s, g), None, ())))
        else:
            out = A.sub(A.mul(s, g), A.matmul(A.diag(A.sum_axis(A.mul(s, g), 1)), s))
        return out, "softmax", [G, Term(s.text(), s.shape)], ""
    if k == "logsoftmax":
        s = A.softmax(c)
        if c.ndim == 1:
            out = A.sub(g, A.mul(A.sum_all(g), s))
        else:
            out = A.sub(g, A.matmul(A.diag(A.sum_axis(g, 1)), s))
        return out, "logsoftmax", [G, Term(s.text(), s.shape)], ""
    if k == "scale":
        return A.scale(node.value, g), "constant", [G], ""
    raise TutorError(_("no rule for {kind}").format(kind=k))  # pragma: no cover


def _rational(p: Fraction):
    import sympy

    return sympy.Rational(p.numerator, p.denominator)


def _broadcast_note(how: str, c: Node, node: Node) -> str:
    if how == "all":
        return _("{arg} is a scalar added to every entry of {whole}: its gradient is the sum "
                 "of the entries of the upstream gradient").format(arg=c.text(), whole=node.text())
    return _("{arg} ({shape}) is repeated down the rows of {whole}: its gradient is 𝟏ᵀ·G, "
             "the column sums").format(arg=c.text(), shape=shape_text(c.shape), whole=node.text())


def _matmul(node: Node, slot: int, g: Node, G: Term, function: str):
    a, b = node.args
    c = node.args[slot]
    other = node.args[1 - slot]
    O = Term(other.text(), other.shape)
    if a.ndim == 2 and b.ndim == 2:
        out = A.matmul(g, A.transpose(b)) if slot == 0 else A.matmul(A.transpose(a), g)
    elif a.ndim == 2:  # A b
        out = A.outer(g, b) if slot == 0 else A.matmul(A.transpose(a), g)
    elif b.ndim == 2:  # a B
        out = A.matmul(b, g) if slot == 0 else A.outer(a, g)
    else:  # aᵀb, a scalar
        out = A.mul(g, other)
    note = ""
    if c.ndim >= 1 and other.ndim >= 1 and node.ndim >= 1:
        note = _("∂{f}/∂{x} must be {shape} (the shape of {x}); from {other} ({oshape}) and "
                 "{g} ({gshape}) only {formula} has that shape").format(
            f=function, x=_bracketed(c), shape=shape_text(c.shape), other=other.text(),
            oshape=shape_text(other.shape), g=G.label, gshape=shape_text(G.shape),
            formula=_shape_formula(node, slot, G.label))
    return out, "matmul", [G, O], note


def _placeholder(label: str, shape) -> Node:
    """∂L/∂U standing for itself in the rule as applied (shown, never evaluated)."""
    return Node("raw", (), label, shape)


def _bracketed(node: Node) -> str:
    s = node.text()
    return s if node.kind == "var" or is_named(node) else f"({s})"


def _shape_formula(node: Node, slot: int, g: str) -> str:
    a, b = node.args
    at, bt = A.transpose(a).text(), A.transpose(b).text()
    if a.ndim == 2 and b.ndim == 2:
        return f"{g}·{bt}" if slot == 0 else f"{at}·{g}"
    if a.ndim == 2:
        return f"{g}·{b.text()}ᵀ" if slot == 0 else f"{at}·{g}"
    if b.ndim == 2:
        return f"{b.text()}·{g}" if slot == 0 else f"{a.text()}·{g}ᵀ"
    return f"{g}·{(b if slot == 0 else a).text()}"


# -- the derivation ------------------------------------------------------------------------------
def derive_matrix(expression: Node, wrt: str, sizes: Mapping[str, int],
                  values: Mapping[str, np.ndarray], *, function: str = "L",
                  check: bool = True, drop: frozenset[int] = frozenset(),
                  onehot: frozenset[str] = frozenset(),
                  aliases: Mapping[Node, str] | None = None) -> MatrixDerivation:
    """∂L/∂wrt, with every step checked on ``values`` (arrays of the concrete ``sizes``).

    ``drop`` leaves out the local factor of the elementwise steps of those numbers (what a
    learner who forgets σ′ writes).  The rows of the matrices named in ``onehot`` are one-hot
    labels, so their row sums are 𝟏.  The subexpressions in ``aliases`` are named in every
    step (Z for XW + b)."""
    with naming(aliases):
        derivation = _derive(expression, wrt, sizes, values, function, check, drop, onehot)
    derivation.aliases = dict(aliases or {})
    return derivation


def _derive(expression, wrt, sizes, values, function, check, drop, onehot) -> MatrixDerivation:
    if expression.shape != ():
        raise TutorError(_("the expression is {shape}, not a scalar: a gradient is taken of a "
                           "scalar, like sum(…) or mean(…)").format(shape=shape_text(expression.shape)))
    shapes = {n.value: n.shape for n in expression.walk() if n.kind == "var"}
    if wrt not in shapes:
        raise TutorError(_("'{name}' does not occur in the expression; its names are: {names}")
                         .format(name=wrt, names=", ".join(sorted(shapes))))
    order = expression.walk()
    depends: dict[Node, bool] = {}
    for n in order:
        depends[n] = (n.kind == "var" and n.value == wrt) or any(depends[x] for x in n.args)
    uses: dict[Node, int] = {}
    for n in order:
        if depends[n]:
            for c in set(n.args):
                if depends[c]:
                    uses[c] = uses.get(c, 0) + 1
    facts = {A.sum_axis(Node("var", (), name, shapes[name]), 1): A.ones((shapes[name][0],))
             for name in onehot if name in shapes and len(shapes[name]) == 2}
    values = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    forward = _forward_values(expression, values, sizes)

    # central differences of a function of size |L| are exact to about 1e−11·|L|: the floor
    floor = 1e-5 * max(1.0, abs(float(forward[expression])) if np.isfinite(forward[expression])
                       else 1.0)

    def loss_with(node: Node):
        return lambda x: evaluate(expression, values, sizes, {node: x})

    steps: list[MatrixStep] = []
    contributions: dict[Node, list[Node]] = {}
    total: dict[Node, Node] = {expression: A.const(1)}
    number = 0
    for node in reversed(order):
        if not depends[node]:
            continue
        if node is not expression and node != expression:
            parts = contributions[node]
            if len(parts) == 1:
                total[node] = parts[0]
            else:
                summed = parts[0]
                for p in parts[1:]:
                    summed = A.add(summed, p)
                total[node] = A.tidy(summed)
                step = MatrixStep("paths", node, total[node], [Term(p.text(), p.shape) for p in parts],
                                  formula=summed if summed.text() != total[node].text() else None)
                if check:
                    step.error = checked(evaluate(total[node], values, sizes), loss_with(node),
                                         forward[node], floor)[0]
                steps.append(step)
        if node.kind == "var":
            continue
        g = total[node]
        for c in dict.fromkeys(node.args):
            if not depends[c]:
                continue
            raw, rule, terms, note = None, None, None, ""
            glabel = f"∂{function}/∂{function}" if node == expression else _grad_label(node, function)
            held = _placeholder(glabel, node.shape)
            applied = None
            for slot, arg in enumerate(node.args):
                if arg != c:
                    continue
                part, rule_k, terms_k, note_k = _rule(node, slot, g, function, glabel)
                raw = part if raw is None else A.add(raw, part)
                rule, terms, note = rule_k, terms_k, note or note_k
                if not A.is_const(g, 1):
                    shown = _rule(node, slot, held, function, glabel)[0]
                    applied = shown if applied is None else A.add(applied, shown)
            number += 1
            if number in drop and rule in ("chain", "power"):
                raw = applied = g
            result = A.tidy(raw)
            if facts:
                known = A.tidy(A.rebuild(result, facts))
                if known.text() != result.text():
                    used = [k for k in facts if k in set(result.walk())]
                    note = (note + " " if note else "") + _(
                        "the rows of {name} are one-hot: {sum} = 𝟏").format(
                        name=used[0].args[0].text(), sum=used[0].text())
                    result = known
            partial = uses.get(c, 0) > 1
            step = MatrixStep(rule, c, result, terms + [Term("→", c.shape)],
                              through=node if partial else None,
                              formula=applied if applied is not None and
                              applied.text() != result.text() else None, note=note,
                              number=number, parent=node)
            if check:
                claimed = evaluate(result, values, sizes)
                if partial:
                    upstream = evaluate(g, values, sizes)
                    f = _local_function(node, c, upstream, forward, sizes)
                    local = float(np.sum(np.abs(upstream * forward[node])))
                    scale = 1e-5 * max(1.0, local) if np.isfinite(local) else floor
                else:
                    f, scale = loss_with(c), floor
                step.error = checked(claimed, f, forward[c], scale)[0]
            steps.append(step)
            contributions.setdefault(c, []).append(result)
    target = next(n for n in order if n.kind == "var" and n.value == wrt)
    result = total[target]
    gradient = np.asarray(evaluate(result, values, sizes), dtype=np.float64)
    gradient = np.broadcast_to(gradient, forward[target].shape).copy()
    error, numeric = checked(gradient, loss_with(target), forward[target], floor) if check \
        else (0.0, gradient)
    return MatrixDerivation(expression, wrt, shapes[wrt], steps, result, dict(sizes), values,
                            gradient, numeric, error, function)


def _local_function(node: Node, c: Node, upstream, forward, sizes):
    """⟨G, node⟩ as a function of the arguments of ``node`` that are ``c`` (and not of ``c``
    deeper inside its other arguments): what checks the local rule on its own."""
    names = [f"_a{k}" for k in range(len(node.args))]
    shallow = Node(node.kind, tuple(Node("var", (), name, a.shape) for name, a in
                                    zip(names, node.args)), node.value, node.shape)
    values = {name: forward[a] for name, a in zip(names, node.args)}

    def f(x):
        local = dict(values)
        for name, a in zip(names, node.args):
            if a == c:
                local[name] = x
        return float(np.sum(upstream * evaluate(shallow, local, sizes)))

    return f


def _forward_values(expression: Node, values, sizes) -> dict[Node, np.ndarray]:
    out = {}
    for n in expression.walk():
        out[n] = np.asarray(evaluate(n, values, sizes), dtype=np.float64)
    return out

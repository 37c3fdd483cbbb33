"""Backpropagation through a graph of primitive operations.

A SymPy expression is split into **nodes**, one per primitive operation (a sum, a product, a
power, σ, exp, …).  Each primitive carries, right beside its forward function, its own local
derivative ∂(node)/∂(input) — as NumPy code for the numbers and as a SymPy formula for the
reader.  SymPy is used once, to build the graph; the forward and backward passes are NumPy
only, vectorised over a batch, so the same graph can feed a training loop.

The forward pass stores every node's value.  The backward pass walks the nodes in reverse,
starting from the output's adjoint L̄ = 1, and hands every input its share
``adjoint(input) += adjoint(node) · ∂node/∂input``.  A node used twice receives two shares.
At the end the adjoint of a variable is ∂L/∂(variable); :func:`backprop` checks each one
against the symbolic derivative (``sympy.diff``) and against central finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy

from tutor.calculus.derivation import Named
from tutor.errors import TutorError
from tutor.i18n import _
from tutor.calculus.table import FUNCTIONS
from tutor.explaining.lesson import Lesson, Origin
from tutor.calculus.numeric import batch
from tutor.calculus.stable import logsumexp, numpy_logsumexp, stabilise
from tutor.calculus.cost import affordable

#: values given to the variables of a typed expression that --at does not set
DEFAULT_VALUES = (0.5, -0.2, 1.5, 0.8, -1.0, 2.0, 0.3, -0.6)


# -- primitives ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Unary:
    """A function of one input: forward, local derivative (NumPy), local derivative (SymPy).

    The local derivative may use the node's own output ``y`` (σ′ = y(1 − y)), the way a
    network reuses what it stored in the forward pass."""

    sympy_fn: Callable
    forward: Callable
    local: Callable  # (u, y) -> ∂y/∂u
    formula: Callable  # (u, y) -> SymPy expression of ∂y/∂u
    #: the one-sided slopes at the kink, if the function has one at 0: (left, right, used)
    kink: tuple | None = None
    #: how the function is shown: a name, or a pattern with · for the input (|·|)
    shown: str = ""


#: every function of the table as a node of the graph
UNARY: dict[str, Unary] = {f.op: Unary(f.sympy, f.numpy, f.slope, f.slope_formula, f.kink,
                                       f.display)
                           for f in FUNCTIONS}
_UNARY_BY_CLASS = {u.sympy_fn: name for name, u in UNARY.items()}


@dataclass
class Node:
    """One primitive operation (or a variable, ``op == "variable"``, or a number)."""

    index: int
    name: str
    op: str
    inputs: tuple[int, ...]
    #: the node's value written with its inputs' symbols, e.g. ``u1 + b`` or ``sigmoid(z)``
    formula: sympy.Expr
    #: ∂(this node)/∂(input k), written with the input symbols and this node's own symbol
    local_formulas: tuple[sympy.Expr, ...]
    #: the whole sub-expression in the original variables
    expr: sympy.Expr
    #: numbers of the operation: coefficients, exponent, a constant's value
    params: dict = field(default_factory=dict)
    role: str | None = None

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, real=True)

    @property
    def is_variable(self) -> bool:
        return self.op == "variable"

    @property
    def is_constant(self) -> bool:
        return self.op == "constant"


@dataclass
class Graph:
    nodes: list[Node]
    #: index of each output node and its name
    outputs: list[int]
    output_names: list[str]
    #: the full expression of each output, in the variables
    output_exprs: list[sympy.Expr]
    #: each output as the lesson writes it, with its named sub-expressions (L = (a − t)²/2)
    written_exprs: list[sympy.Expr] = field(default_factory=list)

    @property
    def variables(self) -> list[Node]:
        return [n for n in self.nodes if n.is_variable]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def consumers(self, index: int) -> list[tuple[int, int]]:
        """(node, input position) pairs that use node ``index``, in forward order."""
        return [(n.index, k) for n in self.nodes for k, i in enumerate(n.inputs) if i == index]

    # -- the two passes --------------------------------------------------------------------
    def forward(self, values: Mapping[str, object], *, needed: set[int] | None = None,
                check: bool = True) -> "Forward":
        """Every node's value and every local derivative, on float64 arrays (a batch).

        With ``needed`` (node indices), local derivatives are computed only on the edges
        into those nodes (the ones a backward pass will use).  With ``check``, a value or
        local derivative that is not a finite number raises :class:`TutorError` naming the
        node; without, it flows on (a training loop sees it and stops by itself)."""
        names = [n.name for n in self.variables]
        arrays = dict(zip(names, batch(values, names)))
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
        vals: list[np.ndarray] = []
        locs: list[tuple[np.ndarray, ...]] = []
        notes: list[Note] = []
        with np.errstate(all="ignore"):
            for node in self.nodes:
                ins = [vals[i] for i in node.inputs]
                if node.is_variable:
                    y = np.asarray(arrays[node.name], dtype=np.float64)
                    loc: tuple = ()
                elif node.is_constant:
                    y = np.full(shape, node.params["value"])
                    loc = ()
                else:
                    wanted = None if needed is None else [i in needed for i in node.inputs]
                    y, loc = _evaluate(node, ins, wanted)
                    y = np.broadcast_to(np.asarray(y, dtype=np.float64), shape)
                    loc = tuple(_local(v, shape) for v in loc)
                    if check:
                        notes += _kinks(self, node, ins)
                vals.append(y)
                locs.append(loc)
                if check:
                    _check_finite(self, node, y, loc, vals)
        return Forward(self, vals, locs, notes, shape)

    def backward(self, fwd: "Forward", output: int = 0, seed=1.0,
                 needed: set[int] | None = None) -> list[np.ndarray]:
        """Adjoints of every node: ∂(output)/∂(node), from the output back to the inputs
        (only into the ``needed`` nodes, when given)."""
        out = self.outputs[output]
        adj = [None] * len(self.nodes)
        adj[out] = np.broadcast_to(np.asarray(seed, dtype=np.float64), fwd.shape).copy()
        # finite values and local derivatives (the forward pass checked them) can still
        # overflow in a product or a sum near the largest float: the adjoint is then ±∞ or
        # NaN, which the check against the derivative and finite differences reports
        with np.errstate(over="ignore", invalid="ignore"):
            for node in reversed(self.nodes[:out + 1]):
                a = adj[node.index]
                if a is None:
                    continue
                for k, i in enumerate(node.inputs):
                    if needed is not None and i not in needed:
                        continue
                    local = fwd.locals[node.index][k]
                    share = a if isinstance(local, float) and local == 1.0 else a * local
                    adj[i] = share if adj[i] is None else adj[i] + share
        zero = np.zeros(fwd.shape)
        return [zero if a is None else np.broadcast_to(a, fwd.shape) for a in adj]

    def depends_on(self, names: Sequence[str]) -> set[int]:
        """The nodes computed from any of the variables ``names`` (those variables included):
        the only ones a backward pass for their gradients has to reach."""
        wanted = {self.node(n).index for n in names}
        out = set()
        for node in self.nodes:
            if node.index in wanted or any(i in out for i in node.inputs):
                out.add(node.index)
        return out

    def gradients(self, values: Mapping[str, object], wrt: Sequence[str],
                  output: int = 0) -> dict[str, np.ndarray]:
        """∂(output)/∂(each name in ``wrt``) on every sample (for training loops): local
        derivatives and adjoints only where a path leads to one of ``wrt``."""
        needed = self.depends_on(wrt)
        fwd = self.forward(values, needed=needed, check=False)
        adj = self.backward(fwd, output, needed=needed)
        return {name: adj[self.node(name).index] for name in wrt}


@dataclass
class Note:
    """A point where the backward pass had to choose: a kink hit exactly."""

    node: str
    samples: list[int]
    message: str


@dataclass
class Forward:
    graph: Graph
    values: list[np.ndarray]
    locals: list[tuple[np.ndarray, ...]]
    notes: list[Note]
    shape: tuple


# -- building the graph ----------------------------------------------------------------------
class _Builder:
    def __init__(self, names: dict, roles: Mapping[str, str], reserved: set,
                 definitions: Mapping[sympy.Symbol, sympy.Expr] | None = None):
        self.reserved = reserved
        self.definitions = dict(definitions or {})
        self.wanted: dict[sympy.Expr, str] = {}
        self.nodes: list[Node] = []
        self.memo: dict[sympy.Expr, int] = {}
        self.names = names  # expr -> name for named sub-expressions and outputs
        self.roles = roles
        self.taken: set[str] = set()
        self.counter = 0

    def fresh(self, expr) -> str:
        if expr in self.wanted and self.wanted[expr] not in self.taken:
            return self.wanted[expr]
        if expr in self.names and self.names[expr] not in self.taken:
            return self.names[expr]
        while True:
            self.counter += 1
            name = f"u{self.counter}"
            if name not in self.taken and name not in self.reserved:
                return name

    def add(self, op, inputs, formula_fn, locals_fn, expr, params=None, role=None, name=None):
        name = name or self.fresh(expr)
        self.taken.add(name)
        idx = len(self.nodes)
        in_syms = [self.nodes[i].symbol for i in inputs]
        me = sympy.Symbol(name, real=True)
        formula = formula_fn(in_syms)
        local_formulas = tuple(locals_fn(in_syms, me))
        node = Node(idx, name, op, tuple(inputs), formula, local_formulas, expr, params or {}, role)
        self.nodes.append(node)
        self.memo[expr] = idx
        return idx

    def build(self, expr: sympy.Expr, name: str | None = None) -> int:
        if expr in self.memo:
            return self.memo[expr]
        if name is not None:
            self.wanted.setdefault(expr, name)
        if isinstance(expr, sympy.Symbol) and expr in self.definitions:
            # a named sub-expression (z, a, ŷ): one node, built from its definition
            idx = self.build(self.definitions[expr], name=expr.name)
            self.memo[expr] = idx
            return idx
        if isinstance(expr, sympy.Symbol):
            return self.add("variable", [], lambda s: sympy.Symbol(expr.name, real=True),
                            lambda s, me: [], expr, role=self.roles.get(expr.name, "input"),
                            name=expr.name)
        if expr.is_number:
            value = float(expr)
            return self.add("constant", [], lambda s: expr, lambda s, me: [], expr,
                            {"value": value}, name=_number_name(value, self.taken))
        if isinstance(expr, sympy.Add):
            return self._add(expr)
        if isinstance(expr, sympy.Mul):
            return self._mul(expr)
        if isinstance(expr, sympy.Pow):
            return self._pow(expr, sympy.S.One)
        if isinstance(expr, (sympy.Max, sympy.Min)):
            return self._maxmin(expr)
        if isinstance(expr, logsumexp):
            # log Σ e^(aᵢ), shifted by the largest aᵢ: ∂/∂aᵢ = e^(aᵢ − y), the softmax
            inputs = [self.build(a) for a in expr.args]
            return self.add("logsumexp", inputs, lambda s: logsumexp(*s),
                            lambda s, me: [sympy.exp(x - me) for x in s], expr)
        op = _UNARY_BY_CLASS.get(type(expr))
        if op is None and isinstance(expr, sympy.Heaviside):
            op = "step"
        if op is not None and len(expr.args) >= 1:
            u = self.build(expr.args[0])
            spec = UNARY[op]
            # further arguments are constants of the function (Heaviside's value at 0)
            more = expr.args[1:]
            return self.add(op, [u], lambda s: expr.func(s[0], *more),
                            lambda s, me: [spec.formula(s[0], me)], expr,
                            params={"more": tuple(float(a) for a in more)} if more else None)
        raise TutorError(_("the graph has no primitive for {name} (in {expression})").format(
            name=type(expr).__name__, expression=sympy.sstr(expr)))

    def _add(self, expr):
        constant, terms = expr.as_coeff_add()
        coeffs, inputs = [], []
        for term in terms:
            c, rest = term.as_coeff_Mul()
            inputs.append(self.build(rest))
            coeffs.append(float(c))
        exact = [term.as_coeff_Mul()[0] for term in terms]
        return self.add("add", inputs,
                        lambda s: sympy.Add(constant, *[c * x for c, x in zip(exact, s)]),
                        lambda s, me: list(exact), expr,
                        {"coeffs": coeffs, "constant": float(constant)})

    def _mul(self, expr):
        c, rest = expr.as_coeff_Mul()
        factors = sympy.Mul.make_args(rest)
        if len(factors) == 1 and isinstance(factors[0], sympy.Pow) and factors[0].exp.is_number \
                and not factors[0].base.is_number:
            return self._pow(factors[0], c, expr)
        inputs = [self.build(f) for f in factors]

        def locals_fn(s, me):
            return [c * sympy.Mul(*[x for j, x in enumerate(s) if j != k]) for k in range(len(s))]

        return self.add("mul", inputs, lambda s: c * sympy.Mul(*s), locals_fn, expr,
                        {"coeff": float(c)})

    def _pow(self, expr, c, whole=None):
        base, exponent = expr.base, expr.exp
        whole = expr if whole is None else whole
        if exponent.is_number:
            u = self.build(base)
            p = exponent
            return self.add("power", [u], lambda s: c * s[0] ** p,
                            lambda s, me: [c * p * s[0] ** (p - 1)], whole,
                            {"coeff": float(c), "exponent": float(p)})
        if c != 1:
            inner = self._pow(expr, sympy.S.One)
            return self.add("mul", [inner], lambda s: c * s[0], lambda s, me: [c], whole,
                            {"coeff": float(c)})
        if base.is_number:
            u = self.build(exponent)
            return self.add("exp_base", [u], lambda s: base ** s[0],
                            lambda s, me: [me * sympy.log(base)], expr, {"base": float(base)})
        u, v = self.build(base), self.build(exponent)
        return self.add("pow", [u, v], lambda s: s[0] ** s[1],
                        lambda s, me: [s[1] * s[0] ** (s[1] - 1), me * sympy.log(s[0])], expr)

    def _maxmin(self, expr):
        if len(expr.args) != 2:
            raise TutorError(_("{function} of {count} terms: write it as nested pairs, like "
                               "{example}").format(function=type(expr).__name__.lower(),
                                                   count=len(expr.args),
                                                   example="max(max(a, b), c)"))
        fn = type(expr)
        a, b = expr.args
        ia, ib = self.build(a), self.build(b)
        sign = 1 if fn is sympy.Max else -1
        return self.add(fn.__name__.lower(), [ia, ib], lambda s: fn(s[0], s[1]),
                        lambda s, me: [sympy.Heaviside(sign * (s[0] - s[1])),
                                       sympy.Heaviside(sign * (s[1] - s[0]))], expr)


def _number_name(value: float, taken) -> str:
    name = f"{value:g}"
    while name in taken:
        name += "'"
    return name


def build_graph(outputs: Sequence[sympy.Expr], output_names: Sequence[str], *,
                named: Sequence[Named] = (), roles: Mapping[str, str] | None = None,
                written: Sequence[sympy.Expr] | None = None,
                definitions: Mapping[sympy.Symbol, sympy.Expr] | None = None) -> Graph:
    """Split each output into primitive nodes (shared sub-expressions become one node).

    Sub-expressions equal to a ``named`` one take its name (z, a, sᵢ); the outputs take theirs;
    the other intermediate nodes are called u1, u2, … in the order the forward pass meets them.
    ``written`` are the outputs as the lesson writes them, with named symbols whose
    ``definitions`` are given (so ŷ in (ŷ − y)² stays one node instead of merging into a sum);
    ``outputs`` are the same written out, used for the checks.
    """
    names: dict[sympy.Expr, str] = {}
    for n in named:
        names.setdefault(n.definition, n.symbol.name)
    for expr, name in zip(outputs, output_names):
        names[expr] = name
    variables = {s.name for e in outputs for s in e.free_symbols}
    b = _Builder(names, roles or {}, variables | set(names.values()) | {s.name for s in definitions or {}},
                 definitions)
    out_idx = []
    for expr, written_expr, name in zip(outputs, written or outputs, output_names):
        idx = b.build(written_expr, name=name)
        if b.nodes[idx].is_variable or b.nodes[idx].is_constant:
            raise TutorError(_("{equation} has no operation to backpropagate through").format(
                equation=f"{name} = {sympy.sstr(expr)}"))
        out_idx.append(idx)
    return _variables_first(Graph(b.nodes, out_idx, list(output_names), list(outputs),
                                  list(written or outputs)))


_ROLE_ORDER = {"input": 0, "parameter": 1, "target": 2}


def _variables_first(graph: Graph) -> Graph:
    """The same graph with the variables (inputs, parameters, targets) and numbers first,
    then the operations in the order they were met (still a valid forward order)."""
    leaves = sorted((n for n in graph.nodes if n.is_variable),
                    key=lambda n: (_ROLE_ORDER.get(n.role, 3), n.name))
    leaves += [n for n in graph.nodes if n.is_constant]
    order = leaves + [n for n in graph.nodes if not (n.is_variable or n.is_constant)]
    new_index = {n.index: k for k, n in enumerate(order)}
    for k, n in enumerate(order):
        n.index = k
        n.inputs = tuple(new_index[i] for i in n.inputs)
    return Graph(order, [new_index[i] for i in graph.outputs], graph.output_names,
                 graph.output_exprs, graph.written_exprs)


# -- numbers ---------------------------------------------------------------------------------
def _evaluate(node: Node, ins: list[np.ndarray], wanted: list[bool] | None = None):
    """The node's value and its local derivatives, by its primitive (``None`` for an input
    not ``wanted``)."""
    op, p = node.op, node.params
    if op == "add":
        terms = [x if c == 1.0 else c * x for c, x in zip(p["coeffs"], ins)]
        y = terms[0]
        for t in terms[1:]:
            y = y + t
        if p["constant"]:
            y = y + p["constant"]
        return y, list(p["coeffs"])
    if op == "mul":
        c = p["coeff"]
        if len(ins) == 2 and c == 1.0:
            return ins[0] * ins[1], [ins[1], ins[0]]
        y = c
        for x in ins:
            y = y * x
        locs = []
        for k in range(len(ins)):
            if wanted is not None and not wanted[k]:
                locs.append(None)
                continue
            prod = c
            for j, x in enumerate(ins):
                if j != k:
                    prod = prod * x
            locs.append(prod)
        return y, locs
    if op == "power":
        c, e = p["coeff"], p["exponent"]
        (u,) = ins
        if e == 2.0:
            return c * u * u, [2.0 * c * u]
        if e == -1.0:
            return c / u, [-c / (u * u)]
        if e == 0.5:
            r = np.sqrt(u)
            return c * r, [0.5 * c / r]
        return c * np.power(u, e), [c * e * np.power(u, e - 1.0)]
    if op == "exp_base":
        (u,) = ins
        y = np.power(p["base"], u)
        return y, [y * np.log(p["base"])]
    if op == "pow":
        u, v = ins
        y = np.power(u, v)
        return y, [v * np.power(u, v - 1.0), y * np.log(u)]
    if op == "logsumexp":
        y = numpy_logsumexp(*ins)
        return y, [np.exp(a - y) for a in ins]
    if op in ("max", "min"):
        a, b = ins
        first = (a > b) if op == "max" else (a < b)
        tie = a == b
        la = np.where(tie, 0.5, first.astype(np.float64))
        return (np.maximum(a, b) if op == "max" else np.minimum(a, b)), [la, 1.0 - la]
    spec = UNARY[op]
    (u,) = ins
    y = spec.forward(u, *p.get("more", ()))
    return y, [spec.local(u, y)]


def _local(v, shape):
    """A local derivative: a number stays a number (a sum's coefficients), an array is
    broadcast to the batch; ``None`` (not needed) stays ``None``."""
    if v is None:
        return None
    if np.ndim(v) == 0:
        return float(v)
    return np.broadcast_to(np.asarray(v, dtype=np.float64), shape)


def _kinks(graph: Graph, node: Node, ins) -> list[Note]:
    """Notes for samples where a non-differentiable point is hit exactly."""
    if node.op in ("max", "min"):
        tie = np.atleast_1d(np.asarray(ins[0] == ins[1]))
        if tie.any():
            a, b = (graph.nodes[i].name for i in node.inputs)
            return [Note(node.name, [int(k) for k in np.flatnonzero(tie)],
                         _("{node} with {tie}: no derivative there; used ½ for each input (the "
                           "one-sided values are 0 and 1)").format(
                             node=f"{node.name} = {node.op}({a}, {b})", tie=f"{a} = {b}"))]
        return []
    spec = UNARY.get(node.op)
    if spec is None or spec.kink is None:
        return []
    at_zero = np.atleast_1d(np.asarray(ins[0] == 0))
    if not at_zero.any():
        return []
    left, right, used = spec.kink
    u = graph.nodes[node.inputs[0]].name
    what = spec.shown.replace("·", u) if "·" in spec.shown else f"{spec.shown}({u})"
    if left == right:
        chosen = _("the jump has no derivative; used 0, the slope on either side")
    elif used == left:
        chosen = _("used the left-hand value {used} (from the right it is {right})").format(
            used=f"{used:g}", right=f"{right:g}")
    elif used == right:
        chosen = _("used the right-hand value {used} (from the left it is {left})").format(
            used=f"{used:g}", left=f"{left:g}")
    else:
        chosen = _("used {used}, between the one-sided values {left} and {right}").format(
            used=f"{used:g}", left=f"{left:g}", right=f"{right:g}")
    return [Note(node.name, [int(k) for k in np.flatnonzero(at_zero)],
                 _("{node} at {point} exactly: no derivative there; {chosen}").format(
                     node=f"{node.name} = {what}", point=f"{u} = 0", chosen=chosen))]


def _check_finite(graph: Graph, node: Node, y, loc, vals) -> None:
    bad = ~np.isfinite(np.atleast_1d(y))
    what = _("value")
    if not bad.any():
        for k, v in enumerate(loc):
            if v is None:
                continue
            bad = ~np.isfinite(np.atleast_1d(v))
            if bad.any():
                what = _("local derivative {derivative}").format(
                    derivative=f"∂{node.name}/∂{graph.nodes[node.inputs[k]].name}")
                break
    if not bad.any():
        return
    k = int(np.flatnonzero(bad)[0])
    inputs = ", ".join(f"{graph.nodes[i].name} = {_num(vals[i], k)}" for i in node.inputs)
    where = _(" (sample {numbers})").format(numbers=k + 1) if np.ndim(y) else ""
    raise TutorError(_("node {node}: the {what} is not a finite number at {inputs}{where}").format(
        node=f"{node.name} = {sympy.sstr(node.formula)}", what=what, inputs=inputs, where=where))


def _num(a, k) -> str:
    a = np.atleast_1d(a)
    return f"{float(a[k if a.size > 1 else 0]):.6g}"


def lesson_from_assignment(text: str) -> Lesson:
    """A one-off lesson for ``--expr``: ``L = …`` (an assignment) or a bare expression."""
    from tutor.calculus.parser import parse_assignment, parse_function

    if "=" in text:
        name, expr = parse_assignment(text)
    else:
        name, expr = "f", parse_function(text)
    if not expr.free_symbols:
        raise TutorError(_("'{text}' has no variables to backpropagate to").format(text=text))
    symbols = {s.name: s for s in sorted(expr.free_symbols, key=lambda s: s.name)}
    if name in symbols:
        raise TutorError(_("'{name}' is both the result and a variable of the expression")
                         .format(name=name))
    return Lesson(name="expression", title=_("Your expression"), summary="", function_name=name,
                  function_latex=name, expression_text=text, outputs=[expr], output_names=[name],
                  symbols=symbols, roles={n: "input" for n in symbols}, families={},
                  wrt=list(symbols.values()), example={}, named=[], assumptions=[], text={},
                  source="expression", origin=Origin.EXPRESSION)


def lesson_graph(lesson: Lesson) -> Graph:
    """The graph of a lesson's outputs, with its named sub-expressions as nodes of their own."""
    definitions: dict[sympy.Symbol, sympy.Expr] = {}
    for n in lesson.named:
        # each definition written with the names before it (h₁ = tanh(z₁), not tanh(w·x + b))
        definitions[n.symbol] = _contract(n.definition, definitions, lesson.named)
    written = [_contract(out, definitions, lesson.named) for out in lesson.outputs]
    return build_graph(lesson.outputs, lesson.output_names, named=lesson.named,
                       roles=lesson.roles, written=written, definitions=definitions)


def stable_graph(lesson: Lesson) -> Graph | None:
    """The graph of the lesson's outputs written in their numerically stable form (log σ(z) as
    −softplus(−z), log Σ e^(zᵢ) as a log-sum-exp), or None when that is the written form."""
    from tutor.calculus.derivation import expand_named

    plain = [expand_named(out, lesson.named) for out in lesson.outputs]
    stable = [stabilise(out) for out in plain]
    if all(a == b for a, b in zip(stable, plain)):
        return None
    return build_graph(plain, lesson.output_names, roles=lesson.roles, written=stable)


def _contract(expr: sympy.Expr, definitions, named: Sequence[Named]) -> sympy.Expr:
    """``expr`` with the (written-out) definitions of earlier names replaced by the names,
    latest first; the result must still expand to ``expr``."""
    out = expr
    for n in reversed([n for n in named if n.symbol in definitions]):
        if n.definition.free_symbols and n.definition != expr:
            out = out.subs(n.definition, n.symbol)
    expanded = out
    for n in reversed(named):
        expanded = expanded.xreplace({n.symbol: n.definition}) if n.symbol in definitions else expanded
    if not affordable(expanded, expr):
        return expr
    return out if sympy.expand(expanded - expr) == 0 else expr



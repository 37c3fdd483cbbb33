"""The numeric engine of training: a per-sample loss compiled once to NumPy.

SymPy runs here once, when an objective is built: it finds the linear layers
``z = w·x + b`` in the loss, differentiates the rest by ``z`` (the error signal
δ = ∂ℓ/∂z), rewrites the result in numerically stable forms and compiles it with
``lambdify`` (common sub-expressions eliminated).  Training then runs NumPy only, in matrix
form: ``Z = X @ W + b``, ``Δ = δ(Z, y)``, ``∂L/∂W = Xᵀ Δ / n``, ``∂L/∂b = mean Δ`` — the chain
rule through a linear layer, one matrix product per gradient instead of a loop over features.

The interface a trainer needs (:class:`Objective`) is small, so a loss whose gradients come
from somewhere else (a backpropagation graph, hand-written NumPy) plugs into
:func:`tutor.training.train.train` the same way:

``param_names``
    the names of the parameter arrays, in a fixed order.
``prepare(data) -> dict``
    the data (arrays of n rows, named after the model's symbols) turned into the arrays the
    objective computes with; every array's first axis is the sample axis, so the trainer can
    shuffle and slice them into batches.
``init_params(prepared, given) -> dict``
    the starting parameter arrays (zeros, or the values in ``given``).
``loss(params, batch, reduce) -> float``
    the loss over a batch, its per-sample values combined by ``"mean"`` or ``"sum"``.
``gradient(params, batch, reduce) -> dict``
    the gradient of that same reduced loss, one array per parameter, shaped like it.
"""

from __future__ import annotations

import functools
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np
import sympy

from tutor.errors import ParameterError
from tutor.training.layer import (  # noqa: F401  (re-exported: the trainer's vocabulary)
    Group, Inputs, LinearLayer, Route, find_linear_layer)
from tutor.i18n import _
from tutor.calculus.stable import logsumexp, numpy_logsumexp, stabilise  # noqa: F401
from tutor.calculus.numeric import NUMPY_NAMESPACE, PRINTED_MODULES, _printer
from tutor.calculus.cost import affordable

REDUCTIONS = ("mean", "sum")


class Objective(Protocol):
    """What the trainer needs from a model (see the module's documentation)."""

    param_names: list[str]

    def prepare(self, data: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]: ...

    def init_params(self, prepared: Mapping[str, np.ndarray],
                    given: Mapping[str, object]) -> dict[str, np.ndarray]: ...

    def loss(self, params: Mapping[str, np.ndarray], batch: Mapping[str, np.ndarray],
             reduce: str) -> float: ...

    def gradient(self, params: Mapping[str, np.ndarray], batch: Mapping[str, np.ndarray],
                 reduce: str) -> dict[str, np.ndarray]: ...


NAMESPACE = NUMPY_NAMESPACE


def compile_functions(exprs: Sequence[sympy.Expr], args: Sequence[sympy.Symbol]) -> Callable:
    """One NumPy function of ``args`` returning the list of ``exprs`` (shared CSE)."""
    fn = sympy.lambdify(list(args), list(exprs), modules=[NAMESPACE, PRINTED_MODULES],
                        printer=_printer(), cse=affordable(*exprs))

    def call(*values):
        with np.errstate(all="ignore"):
            return fn(*values)

    call.raw = fn  # without the errstate guard, for callers that already hold one
    return call


def _reduce(values: np.ndarray, reduce: str, axis=0):
    return values.sum(axis=axis) if reduce == "sum" else values.mean(axis=axis)


# -- the compiled objective ----------------------------------------------------------------
class CompiledObjective:
    """A per-sample loss ℓ(parameters, data), compiled once, evaluated in matrix form.

    ``params`` and ``data`` are the model's groups (a scalar symbol or an indexed family each).
    Data arrays are named after the groups: ``x`` of shape (n,) for a scalar, (n, m) for a
    family of m members (or m columns ``x1 … xm``).  When the loss has one linear layer whose
    input is a single data array, the number of features comes from the data, so the same
    lesson trains on 1 or 100 features.
    """

    def __init__(self, loss: sympy.Expr, params: Sequence[Group], data: Sequence[Group]):
        self.loss_expr = loss
        self.params = list(params)
        self.data_groups = list(data)
        self.param_names = [g.name for g in self.params]
        self._pgroup = {s: g for g in self.params for s in g.members}
        self._dgroup = {s: g for g in self.data_groups for s in g.members}
        psyms = set(self._pgroup)
        dsyms = set(self._dgroup)
        reduced, layer = find_linear_layer(loss, psyms, dsyms)
        if layer is not None:
            used = {s for products, biases in layer.nodes for p, x in products for s in (p, x)}
            if reduced.free_symbols & (psyms | (used & dsyms)):
                layer = None  # a parameter or layer input outside the layer: compute directly
        self.layer = layer
        if layer is None:
            self._compile_direct()
        else:
            self.reduced = stabilise(reduced)
            self._setup_layer(layer)

    # direct: every partial derivative compiled and evaluated sample by sample ------------
    def _compile_direct(self):
        self.mode = Route.DIRECT
        self._theta = [s for g in self.params for s in g.members]
        self._dsyms = [s for g in self.data_groups for s in g.members]
        loss = stabilise(self.loss_expr)
        # differentiate the stable form: d/dz softplus(z) = σ(z) stays finite where the
        # derivative of the written log(1 + e^z) would be e^z/(1 + e^z) = inf/inf
        grads = [stabilise(sympy.diff(loss, s)) for s in self._theta]
        self._loss_fn = compile_functions([loss], self._theta + self._dsyms)
        self._grad_fn = compile_functions(grads, self._theta + self._dsyms)
        self._both_exprs = [loss] + grads
        self.delta_exprs = []

    @functools.cached_property
    def _both_fn(self):
        """The loss and every partial derivative in one function (their common parts once)."""
        return compile_functions(self._both_exprs, self._theta + self._dsyms)

    # matrix form through a linear layer ---------------------------------------------------
    def _setup_layer(self, layer: LinearLayer):
        self.mode = Route.LAYER
        z = layer.z
        self.aux = sorted(self.reduced.free_symbols - set(z), key=lambda s: s.name)
        self.delta_exprs = [sympy.diff(self.reduced, zc) for zc in z]
        self._loss_fn = compile_functions([self.reduced], z + self.aux)
        self._delta_fn = compile_functions(self.delta_exprs, z + self.aux)
        self._data_mode(layer)

    def _data_mode(self, layer: LinearLayer):
        """Can X be one data array, with the number of features taken from the data?"""
        layer.mode = Inputs.MEMBERS
        nodes = layer.nodes
        inputs = {x for products, _ in nodes for _, x in products}
        groups = {self._dgroup[x].name for x in inputs}
        if len(groups) != 1:
            return
        xg = next(g for g in self.data_groups if g.name in groups)
        wgroups = {self._pgroup[p].name for products, _ in nodes for p, _ in products}
        if len(wgroups) != 1:
            return
        wg = next(g for g in self.params if g.name in wgroups)
        C = len(nodes)
        if xg.family:
            # one node: w_k · x_k for every k, in order
            if C != 1 or not wg.family or len(nodes[0][0]) != len(xg.members):
                return
            pairs = {x: p for p, x in nodes[0][0]}
            if [pairs.get(x) for x in xg.members] != wg.members:
                return
        else:
            ws = [products[0][0] if len(products) == 1 else None for products, _ in nodes]
            if None in ws:
                return
            if C == 1 and not wg.family:
                pass
            elif wg.family and len(wg.members) == C and set(ws) == set(wg.members):
                # order the nodes as the family
                order = [ws.index(m) for m in wg.members]
                layer.nodes = [nodes[i] for i in order]
                layer.z = [layer.z[i] for i in order]
                self.delta_exprs = [self.delta_exprs[i] for i in order]
                self._delta_fn = compile_functions(self.delta_exprs, layer.z + self.aux)
                nodes = layer.nodes
            else:
                return
        biases = [b for _, b in nodes]
        if all(len(b) == 0 for b in biases):
            bg = None
        elif all(len(b) == 1 for b in biases):
            bgroups = {self._pgroup[b[0]].name for b in biases}
            if len(bgroups) != 1:
                return
            bg = next(g for g in self.params if g.name in bgroups)
            if [b[0] for b in biases] != bg.members or bg is wg:
                return
        else:
            return
        if len(self.params) != 1 + (bg is not None):
            return
        layer.mode = Inputs.DATA
        layer.x_group, layer.w_group = xg.name, wg.name
        layer.b_group = bg.name if bg else None

    # the Objective interface --------------------------------------------------------------
    def prepare(self, data: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The arrays the compiled functions take, each with the samples on axis 0."""
        out: dict[str, np.ndarray] = {}
        if self.mode is Route.LAYER and self.layer.mode is Inputs.DATA:
            x = np.asarray(data[self.layer.x_group], dtype=np.float64)
            # a one-feature input given as an (n, 1) array makes w a vector of one
            self._x_was_2d = x.ndim == 2
            out["X"] = np.ascontiguousarray(x if x.ndim == 2 else x[:, None])
            needed = self.aux
        elif self.mode is Route.LAYER:
            cols = self._layer_inputs()
            out["X"] = np.column_stack([self._column(data, s) for s in cols])
            needed = self.aux
        else:
            needed = self._dsyms
        for s in needed:
            out[s.name] = self._column(data, s)
        return out

    def _layer_inputs(self) -> list[sympy.Symbol]:
        seen = []
        for products, _bias in self.layer.nodes:
            for _weight, x in products:
                if x not in seen:
                    seen.append(x)
        return seen

    def _column(self, data, s: sympy.Symbol) -> np.ndarray:
        g = self._dgroup[s]
        arr = np.asarray(data[g.name], dtype=np.float64)
        if g.family:
            return arr[:, g.members.index(s)]
        return arr if arr.ndim == 1 else arr[:, 0]

    def param_shapes(self, prepared: Mapping[str, np.ndarray]) -> dict[str, tuple]:
        shapes = {g.name: ((len(g.members),) if g.family else ()) for g in self.params}
        if self.mode is Route.LAYER and self.layer.mode is Inputs.DATA:
            K = prepared["X"].shape[1]
            C = len(self.layer.nodes)
            xg = next(g for g in self.data_groups if g.name == self.layer.x_group)
            if xg.family or K > 1 or self._x_was_2d:
                shapes[self.layer.w_group] = (K,) if C == 1 else (K, C)
        return shapes

    _x_was_2d = False

    def init_params(self, prepared, given: Mapping[str, object] | None = None) -> dict[str, np.ndarray]:
        given = dict(given or {})
        params = {}
        for name, shape in self.param_shapes(prepared).items():
            value = np.zeros(shape)
            if name in given:
                v = np.asarray(given.pop(name), dtype=np.float64)
                try:
                    if v.size == 1 or v.shape == shape:
                        value = np.broadcast_to(v, shape).copy()
                    elif v.size == value.size:
                        value = v.reshape(shape).copy()  # the entries row by row
                    else:
                        raise ValueError
                except ValueError:
                    if not shape:
                        message = _("{param} {name}: {given} values given, the parameter is "
                                    "a single number")
                    else:
                        message = _("{param} {name}: {given} values given, the parameter has "
                                    "{count} values (shape {shape})")
                    raise ParameterError("init", message, name=name, given=v.size,
                                         count=int(np.prod(shape)),
                                         shape=" × ".join(map(str, shape))) from None
            params[name] = value
        if given:
            name = next(iter(given))
            raise ParameterError("init", _("{param} {name}: the model has no parameter '{name}'; "
                                           "its parameters are {names}"),
                                 name=name, names=", ".join(self.param_names))
        return params

    def _weights(self, params):
        layer = self.layer
        C = len(layer.nodes)
        if layer.mode is Inputs.DATA:
            W = np.asarray(params[layer.w_group], dtype=np.float64)
            W = W.reshape(-1, C)
            b = (np.asarray(params[layer.b_group], dtype=np.float64).reshape(C)
                 if layer.b_group else None)
            return W, b
        cols = self._layer_inputs()
        W = np.zeros((len(cols), C))
        b = np.zeros(C)
        for c, (products, biases) in enumerate(layer.nodes):
            for p, x in products:
                W[cols.index(x), c] += self._value(params, p)
            for p in biases:
                b[c] += self._value(params, p)
        return W, b

    def _value(self, params, s):
        g = self._pgroup[s]
        v = params[g.name]
        return float(v[g.members.index(s)]) if g.family else float(v)

    def _residual_of(self):
        """t when the one output's δ = ∂ℓ/∂z is exactly z − t (a squared loss), else None.
        Decided with SymPy once, on the first step, and remembered."""
        if not hasattr(self, "_residual"):
            self._residual = None
            if len(self.delta_exprs) == 1:
                z = self.layer.z[0]
                self._residual = next((t for t in self.aux
                                       if affordable(self.delta_exprs[0])
                                       and sympy.expand(self.delta_exprs[0] - (z - t)) == 0), None)
        return self._residual

    def logits(self, params, batch) -> np.ndarray:
        """Z = X W + b, shape (n, outputs) (layer mode only); valid until the next call."""
        W, b = self._weights(params)
        X = batch["X"]
        C = W.shape[1]
        # Z goes into a buffer kept between calls: a fresh array per step would cost a
        # page-faulting allocation of n floats, as much as the product itself at n ≥ 10⁵
        key = (X.shape[0], C)
        if self._buffer is None or self._buffer.shape != key:
            # the full batch and the last, smaller one of an epoch alternate: keep both
            spare = self._spare
            self._spare = self._buffer
            self._buffer = spare if spare is not None and spare.shape == key else np.empty(key)
        Z = self._buffer
        if C == 1:
            # one output: a matrix-vector product (BLAS gemv) into the buffer's column
            z = Z.reshape(-1)
            np.matmul(X, W[:, 0], out=z)
            if b is not None:
                z += b[0]
            return Z
        np.matmul(X, W, out=Z)
        if b is not None:
            Z += b
        return Z

    _buffer: np.ndarray | None = None
    _spare: np.ndarray | None = None

    def per_sample(self, params, batch) -> np.ndarray:
        if self.mode is Route.LAYER:
            Z = self.logits(params, batch)
            args = [Z[:, c] for c in range(Z.shape[1])] + [batch[s.name] for s in self.aux]
            out = self._loss_fn(*args)[0]
            n = batch["X"].shape[0]
        else:
            args = self._theta_values(params) + [batch[s.name] for s in self._dsyms]
            out = self._loss_fn(*args)[0]
            n = len(batch[self._dsyms[0].name]) if self._dsyms else 1
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (n,))

    def loss(self, params, batch, reduce: str = "mean") -> float:
        return float(_reduce(self.per_sample(params, batch), reduce))

    def _theta_values(self, params):
        vals = []
        for g in self.params:
            v = np.asarray(params[g.name], dtype=np.float64)
            # NumPy scalars, not Python floats: 1/0 must give inf (and stop training), not raise
            vals += [np.float64(v[k]) for k in range(len(g.members))] if g.family else [np.float64(v)]
        return vals

    def gradient(self, params, batch, reduce: str = "mean") -> dict[str, np.ndarray]:
        return self._gradient(params, batch, reduce, False)[1]

    def value_and_gradient(self, params, batch, reduce: str = "mean") -> tuple[float, dict]:
        """The reduced loss and its gradient from one forward pass (Z = X W + b once)."""
        return self._gradient(params, batch, reduce, True)

    def _gradient(self, params, batch, reduce: str, value: bool):
        loss = None
        if self.mode is Route.DIRECT:
            args = self._theta_values(params) + [batch[s.name] for s in self._dsyms]
            n = len(batch[self._dsyms[0].name]) if self._dsyms else 1
            values = self._both_fn(*args) if value else self._grad_fn(*args)
            if value:
                loss = float(_reduce(np.broadcast_to(np.asarray(values[0], dtype=np.float64),
                                                     (n,)), reduce))
                values = values[1:]
            flat = [float(_reduce(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)), reduce))
                    for v in values]
            out, k = {}, 0
            for g in self.params:
                m = len(g.members)
                out[g.name] = np.array(flat[k:k + m]) if g.family else np.array(flat[k])
                k += m
            return loss, out
        X = batch["X"]
        n = X.shape[0]
        layer = self.layer
        if layer.mode is Inputs.DATA and len(layer.z) == 1:
            # the common case (one output, features from the data), with as little Python
            # and as few fresh arrays as the hand-written X.T @ (X @ w + b - y) / n
            Z = self.logits(params, batch)
            z = Z.reshape(-1)
            target = self._residual_of()
            if target is not None:
                half = value and self._half_square()
                if value and not half:
                    loss = self._layer_loss(Z, batch, reduce)
                # δ = z − y (the squared loss): computed in the buffer, no new array at all
                d = np.subtract(z, batch[target.name], out=z)
                if half:
                    # ℓ = δ²/2 exactly (checked once): the loss is one dot product more
                    loss = 0.5 * float(d @ d)
                    if reduce == "mean":
                        loss /= n
            else:
                if value:
                    loss = self._layer_loss(Z, batch, reduce)
                d = self._delta_fn.raw(z, *[batch[s.name] for s in self.aux])[0]
            if np.ndim(d) != 1:
                d = np.broadcast_to(np.asarray(d, dtype=np.float64), (n,))
            gw = X.T @ d
            gb = d.sum()
            if reduce == "mean":
                gw /= n
                gb /= n
            out = {layer.w_group: gw.reshape(np.shape(params[layer.w_group]))}
            if layer.b_group:
                out[layer.b_group] = np.asarray(gb).reshape(np.shape(params[layer.b_group]))
            return loss, out
        Z = self.logits(params, batch)
        C = Z.shape[1]
        if value:
            loss = self._layer_loss(Z, batch, reduce)
        aux = [batch[s.name] for s in self.aux]
        deltas = self._delta_fn(*([Z[:, c] for c in range(C)] + aux))
        if C == 1:
            D = np.broadcast_to(np.asarray(deltas[0], dtype=np.float64), (n,))
            G = (X.T @ D)[:, None]
            db = np.array([D.sum()])
        else:
            D = np.empty((n, C))
            for c, d in enumerate(deltas):
                D[:, c] = d
            G = X.T @ D
            db = D.sum(axis=0)
        if reduce == "mean":
            G /= n
            db /= n
        if layer.mode is Inputs.DATA:
            out = {layer.w_group: G.reshape(np.shape(params[layer.w_group]))}
            if layer.b_group:
                out[layer.b_group] = db.reshape(np.shape(params[layer.b_group]))
            return loss, out
        out = {name: np.zeros(np.shape(params[name])) for name in self.param_names}
        cols = self._layer_inputs()
        for c, (products, biases) in enumerate(layer.nodes):
            for p, x in products:
                self._add(out, p, G[cols.index(x), c])
            for p in biases:
                self._add(out, p, db[c])
        return loss, out

    def _layer_loss(self, Z, batch, reduce) -> float:
        """The reduced loss from the layer's outputs Z (already computed for the gradient)."""
        cols = [Z[:, c] for c in range(Z.shape[1])]
        out = self._loss_fn(*(cols + [batch[s.name] for s in self.aux]))[0]
        n = Z.shape[0]
        return float(_reduce(np.broadcast_to(np.asarray(out, dtype=np.float64), (n,)), reduce))

    def _half_square(self) -> bool:
        """True when ℓ is exactly δ²/2 with δ = z − t (decided once, with SymPy)."""
        if not hasattr(self, "_is_half_square"):
            t = self._residual_of()
            z = self.layer.z[0]
            self._is_half_square = (t is not None and affordable(self.reduced)
                                    and sympy.expand(self.reduced - (z - t) ** 2 / 2) == 0)
        return self._is_half_square

    def _add(self, out, s, value):
        g = self._pgroup[s]
        if g.family:
            out[g.name][g.members.index(s)] += value
        else:
            out[g.name] = out[g.name] + value

    # what the learner reads ---------------------------------------------------------------
    @functools.cached_property
    def quadratic(self) -> bool:
        """True when the loss is quadratic in the layer's outputs (squared losses)."""
        if self.mode is not Route.LAYER:
            return False
        for d in self.delta_exprs:
            for zc in self.layer.z:
                if sympy.diff(d, zc).free_symbols:
                    return False
        return True

    def curvature(self) -> np.ndarray:
        """∂²ℓ/∂z_c∂z_d for a quadratic loss (constants)."""
        C = len(self.layer.z)
        return np.array([[float(sympy.diff(self.delta_exprs[c], zd)) for zd in self.layer.z]
                         for c in range(C)])


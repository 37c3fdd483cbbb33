"""A small reverse-mode engine on NumPy arrays: backpropagation with vectors and matrices.

Each operation returns a :class:`Tensor` that remembers its inputs and a function that, given
the gradient flowing into the result, hands each input its share — the local derivative of
the operation sits right beside its forward computation.  ``y.backward(v)`` computes the
vector-Jacobian product vᵀJ of ``y`` with respect to every tensor it was computed from; for a
scalar ``y`` the default v = 1 gives the gradient.  Gradients of the leaves (the tensors you
made yourself) **accumulate** over backward passes until :meth:`Tensor.zero_grad`, as in the
big frameworks.

Shapes are checked at the door: a mismatch names both shapes.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from tutor.errors import TutorError
from tutor.i18n import _
from tutor.calculus.table import FUNCTIONS


class ShapeError(TutorError):
    """Two shapes that do not fit together."""


def shape_text(shape: Sequence[int]) -> str:
    """(2, 3) → '2×3'; () → 'a scalar'."""
    return "×".join(str(n) for n in shape) if len(shape) else "a scalar"


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


class Tensor:
    """A float64 array in a computation graph."""

    __slots__ = ("data", "grad", "requires_grad", "name", "op", "_parents", "_backward")
    #: NumPy defers to the tensor's own operators: array * tensor is a tensor, as in PyTorch
    __array_ufunc__ = None

    def __init__(self, data, *, name: str = "", requires_grad: bool = True,
                 _parents: tuple = (), _op: str = "", _backward: Callable | None = None):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self.name = name
        self.op = _op
        self._parents = _parents
        self._backward = _backward

    # -- basics ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def is_leaf(self) -> bool:
        return not self._parents

    def __repr__(self) -> str:
        label = f" {self.name}" if self.name else ""
        return f"Tensor{label}({shape_text(self.shape)}, op={self.op or 'leaf'})"

    def zero_grad(self) -> None:
        self.grad = None

    @staticmethod
    def _wrap(other) -> "Tensor":
        return other if isinstance(other, Tensor) else Tensor(other, requires_grad=False)

    def _result(self, data, parents: tuple, op: str, backward) -> "Tensor":
        needs = any(p.requires_grad for p in parents)
        return Tensor(data, requires_grad=needs, _parents=parents if needs else (), _op=op,
                      _backward=backward if needs else None)

    # -- elementwise arithmetic with broadcasting --------------------------------------------
    def _broadcast(self, other: "Tensor", verb: str) -> tuple:
        try:
            return np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            template = {"add": _("cannot add shapes {first} and {second}: they do not broadcast "
                                 "(sizes must be equal or 1, compared from the right)"),
                        "subtract": _("cannot subtract shapes {first} and {second}: they do not "
                                      "broadcast (sizes must be equal or 1, compared from the "
                                      "right)"),
                        "multiply": _("cannot multiply shapes {first} and {second}: they do not "
                                      "broadcast (sizes must be equal or 1, compared from the "
                                      "right)")}[verb]
            raise ShapeError(template.format(first=shape_text(self.shape),
                                             second=shape_text(other.shape))) from None

    def __add__(self, other) -> "Tensor":
        other = self._wrap(other)
        self._broadcast(other, "add")
        a, b = self, other

        def backward(g):
            return (_unbroadcast(g, a.shape) if a.requires_grad else None,
                    _unbroadcast(g, b.shape) if b.requires_grad else None)

        return self._result(a.data + b.data, (a, b), "add", backward)

    __radd__ = __add__

    def __neg__(self) -> "Tensor":
        return self._result(-self.data, (self,), "neg", lambda g: (-g,))

    def __sub__(self, other) -> "Tensor":
        other = self._wrap(other)
        self._broadcast(other, "subtract")
        a, b = self, other

        def backward(g):
            return (_unbroadcast(g, a.shape) if a.requires_grad else None,
                    -_unbroadcast(g, b.shape) if b.requires_grad else None)

        return self._result(a.data - b.data, (a, b), "sub", backward)

    def __rsub__(self, other) -> "Tensor":
        return self._wrap(other) - self

    def __mul__(self, other) -> "Tensor":
        other = self._wrap(other)
        self._broadcast(other, "multiply")
        a, b = self, other

        def backward(g):
            return (_unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                    _unbroadcast(g * a.data, b.shape) if b.requires_grad else None)

        return self._result(a.data * b.data, (a, b), "mul", backward)

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Tensor":
        return self * self._wrap(other) ** -1.0

    def __rtruediv__(self, other) -> "Tensor":
        return self._wrap(other) * self ** -1.0

    def __pow__(self, p: float) -> "Tensor":
        if isinstance(p, Tensor):
            raise TutorError(_("a tensor power needs a number exponent"))
        x = self.data
        p = float(p)

        def backward(g):
            if p == 0.0:
                return (np.zeros_like(g * x),)  # x⁰ = 1 everywhere, 0⁰ included: slope 0
            with np.errstate(divide="ignore", invalid="ignore"):
                return (g * (p * x ** (p - 1.0)) if p != 2.0 else g * (2.0 * x),)

        with np.errstate(divide="ignore", invalid="ignore"):
            y = x * x if p == 2.0 else x ** p
        return self._result(y, (self,), f"pow {p:g}", backward)

    def __rpow__(self, base) -> "Tensor":
        """``base ** t`` for a positive number ``base``: e^(t·ln base), slope ln(base)·base^t."""
        if isinstance(base, Tensor) or not np.all(np.asarray(base, dtype=np.float64) > 0):
            raise TutorError(_("a number raised to a tensor power needs a positive base"))
        b = np.asarray(base, dtype=np.float64)
        y = b ** self.data
        return self._result(y, (self,), "exp_base", lambda g: (g * y * np.log(b),))

    # -- linear algebra ------------------------------------------------------------------------
    def __matmul__(self, other) -> "Tensor":
        other = self._wrap(other)
        a, b = self, other
        if a.data.ndim != 2 or b.data.ndim != 2:
            raise ShapeError(_("matrix product needs two matrices, not {first} and {second} "
                               "(reshape vectors to n×1 or 1×n)").format(
                first=shape_text(a.shape), second=shape_text(b.shape)))
        if a.shape[1] != b.shape[0]:
            raise ShapeError(_("cannot multiply {first} by {second}: the inner sizes {m} and {n} "
                               "differ").format(first=shape_text(a.shape),
                                                second=shape_text(b.shape), m=a.shape[1],
                                                n=b.shape[0]))

        def backward(g):
            # Y = A·B:  Ā = Ȳ·Bᵀ,  B̄ = Aᵀ·Ȳ
            return (g @ b.data.T if a.requires_grad else None,
                    a.data.T @ g if b.requires_grad else None)

        return self._result(a.data @ b.data, (a, b), "matmul", backward)

    @property
    def T(self) -> "Tensor":
        return self._result(self.data.T, (self,), "transpose", lambda g: (g.T,))

    def reshape(self, *shape) -> "Tensor":
        old = self.shape
        try:
            data = self.data.reshape(*shape)
        except ValueError:
            raise ShapeError(_("cannot reshape {first} to {second}").format(
                first=shape_text(old), second=shape_text(shape))) from None
        return self._result(data, (self,), "reshape", lambda g: (g.reshape(old),))

    # -- reductions ----------------------------------------------------------------------------
    def sum(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        shape, nd = self.shape, self.data.ndim
        if axis is not None and not -nd <= axis < nd:
            raise ShapeError(_("axis {axis} does not exist in shape {shape}").format(
                axis=axis, shape=shape_text(shape)))

        def backward(g):
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g, shape),)

        return self._result(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum", backward)

    def mean(self, axis: int | None = None) -> "Tensor":
        n = self.data.size if axis is None else self.shape[axis]
        return self.sum(axis) * (1.0 / n)

    # -- elementwise functions -----------------------------------------------------------------
    def softmax(self, axis: int = -1) -> "Tensor":
        x = self.data
        if not -x.ndim <= axis < max(x.ndim, 1):
            raise ShapeError(_("axis {axis} does not exist in shape {shape}").format(
                axis=axis, shape=shape_text(x.shape)))
        e = np.exp(x - x.max(axis=axis, keepdims=True))  # shifted by the max: no overflow
        s = e / e.sum(axis=axis, keepdims=True)

        def backward(g):
            # vᵀJ with J = diag(s) − s sᵀ, without forming J:  s ⊙ (v − (v·s))
            return (s * (g - (g * s).sum(axis=axis, keepdims=True)),)

        return self._result(s, (self,), "softmax", backward)

    # -- the backward pass ---------------------------------------------------------------------
    def _order(self) -> list["Tensor"]:
        """Every tensor this one depends on, inputs before results (iterative DFS)."""
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            t, done = stack.pop()
            if done:
                order.append(t)
                continue
            if id(t) in seen:
                continue
            seen.add(id(t))
            stack.append((t, True))
            for p in t._parents:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
        return order

    def backward(self, v=None) -> None:
        """Add vᵀ·∂self/∂t to ``t.grad`` for every leaf t that self depends on.

        ``v`` has the shape of ``self``; it may be left out when self is a scalar (v = 1).
        """
        if not self.requires_grad:
            raise TutorError(_("{call} of a tensor that depends on nothing with a gradient")
                             .format(call="backward()"))
        if v is None:
            if self.data.size != 1:
                raise ShapeError(_("{call} of a {shape} output needs v of shape {shape} (it "
                                   "computes vᵀJ); v = 1 only for a scalar").format(
                    call="backward()", shape=shape_text(self.shape)))
            v = np.ones(self.shape)
        v = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=np.float64)
        if v.shape != self.shape:
            raise ShapeError(_("{call}: v has shape {shape} but the output has shape {output}")
                             .format(call="backward(v)", shape=shape_text(v.shape),
                                     output=shape_text(self.shape)))
        grads = {id(self): v}
        for t in reversed(self._order()):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t.is_leaf:
                t.grad = np.array(g, dtype=np.float64) if t.grad is None else t.grad + g
                continue
            for parent, share in zip(t._parents, t._backward(g)):
                if share is None or not parent.requires_grad:
                    continue
                key = id(parent)
                grads[key] = share if key not in grads else grads[key] + share


def tensor(data, name: str = "", requires_grad: bool = True) -> Tensor:
    return Tensor(data, name=name, requires_grad=requires_grad)


def zero_grad(tensors: Iterable[Tensor]) -> None:
    for t in tensors:
        t.zero_grad()


def jacobian(fn: Callable[[Tensor], Tensor], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Jacobian of ``fn`` at ``x`` by reverse mode: one backward pass per output entry,
    each with v = a one-hot vector, gives one row.  Returns (y, J) with J of shape
    (y.size, x.size) (outputs and inputs flattened row by row)."""
    xt = tensor(x)
    y = fn(xt)
    rows = []
    for i in range(y.data.size):
        v = np.zeros(y.data.size)
        v[i] = 1.0
        xt.zero_grad()
        y.backward(v.reshape(y.shape))
        rows.append(np.zeros(xt.data.size) if xt.grad is None else xt.grad.ravel().copy())
    return y.data, np.array(rows).reshape(y.data.size, xt.data.size)


def _elementwise(function):
    """A Tensor method applying ``function`` of the table elementwise, with its slope."""

    def method(self) -> "Tensor":
        x = self.data
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            y = np.asarray(function.numpy(x), dtype=np.float64)

        def backward(g):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return (g * function.slope(x, y),)

        return self._result(y, (self,), function.name, backward)

    method.__name__ = function.name
    method.__doc__ = f"{function.display}(x), elementwise; its gradient is the table's slope."
    return method


# every function of the table is a method: t.exp(), t.sigmoid(), t.gelu(), …
for _function in FUNCTIONS:
    if not hasattr(Tensor, _function.name):
        setattr(Tensor, _function.name, _elementwise(_function))

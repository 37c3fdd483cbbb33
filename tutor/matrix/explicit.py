"""A second method for a matrix gradient: SymPy on explicit matrices.

The variable becomes a matrix of symbols (every other name keeps its numbers), the expression
is built entry by entry as one SymPy expression of those symbols, and SymPy differentiates it
by each symbol.  Nothing of the derivation is used, so where the two agree the gradient is
right twice over.  It is done only where it is fast: a variable of at most
:data:`MOST_ENTRIES` entries, and within a time budget.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import sympy

from tutor.calculus.budget import BudgetError, deadline
from tutor.calculus.table import BY_NAME
from tutor.matrix.tree import Node, dim_value

#: the largest variable differentiated entry by entry by SymPy
MOST_ENTRIES = 20
#: seconds the second method may take before it is left out
SECONDS = 3.0


def _objects(a) -> np.ndarray:
    return np.asarray(a, dtype=object)


def _map(f, a):
    a = _objects(a)
    if a.ndim == 0:
        return _objects(f(a.item()))
    return np.vectorize(f, otypes=[object])(a)


def _softmax(z):
    z = _objects(z)
    if z.ndim == 1:
        e = _map(sympy.exp, z)
        return e / sum(e)
    return np.array([_softmax(row) for row in z], dtype=object)


def _logsumexp(z):
    z = _objects(z)
    if z.ndim == 1:
        return _objects(sympy.log(sum(_map(sympy.exp, z))))
    return np.array([_logsumexp(row).item() for row in z], dtype=object)


def _matrix(a) -> sympy.Matrix:
    return sympy.Matrix(_objects(a).tolist())


def _func(name, a):
    f = BY_NAME[name]
    return _map(f.make or f.sympy, a)


def _sum(a, axis):
    a = _objects(a)
    return _objects(sum(a.reshape(-1))) if axis is None else np.sum(a, axis=axis)


_EVAL = {
    "size": lambda n, a, sizes: _objects(sympy.Integer(dim_value(n.value, sizes))),
    "const": lambda n, a, sizes: _objects(sympy.Rational(n.value.numerator, n.value.denominator)),
    "ones": lambda n, a, sizes: np.full([dim_value(d, sizes) for d in n.shape], sympy.S.One,
                                        dtype=object),
    "eye": lambda n, a, sizes: _objects(np.eye(dim_value(n.shape[0], sizes), dtype=int))
    .astype(object),
    "add": lambda n, a, sizes: a[0] + a[1],
    "sub": lambda n, a, sizes: a[0] - a[1],
    "neg": lambda n, a, sizes: -a[0],
    "mul": lambda n, a, sizes: a[0] * a[1],
    "div": lambda n, a, sizes: a[0] / a[1],
    "pow": lambda n, a, sizes: _map(
        lambda x: x ** sympy.Rational(n.value.numerator, n.value.denominator), a[0]),
    "matmul": lambda n, a, sizes: _objects(np.matmul(a[0], a[1])),
    "T": lambda n, a, sizes: _objects(a[0]).T,
    "func": lambda n, a, sizes: _func(n.value, a[0]),
    "sum": lambda n, a, sizes: _sum(a[0], n.value),
    "mean": lambda n, a, sizes: _sum(a[0], n.value) / (
        _objects(a[0]).size if n.value is None else _objects(a[0]).shape[n.value]),
    "norm": lambda n, a, sizes: _objects(sympy.sqrt(sum((_objects(a[0]) ** 2).reshape(-1)))),
    "trace": lambda n, a, sizes: _objects(sum(np.diag(_objects(a[0])))),
    "det": lambda n, a, sizes: _objects(_matrix(a[0]).det()),
    "logdet": lambda n, a, sizes: _objects(sympy.log(_matrix(a[0]).det())),
    "diag": lambda n, a, sizes: _objects(np.diag(_objects(a[0]))),
    "inv": lambda n, a, sizes: np.array(_matrix(a[0]).inv().tolist(), dtype=object),
    "logsumexp": lambda n, a, sizes: _logsumexp(a[0]),
    "softmax": lambda n, a, sizes: _softmax(a[0]),
    "logsoftmax": lambda n, a, sizes: _map(sympy.log, _softmax(a[0])),
    "outer": lambda n, a, sizes: np.outer(_objects(a[0]), _objects(a[1])),
}


def sympy_gradient(expression: Node, wrt: str, sizes: Mapping[str, int],
                   values: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """∂L/∂wrt at ``values`` by SymPy on explicit matrices, or None where that is not fast
    (a large variable, a kind of node it has no form for, or past the time budget)."""
    shape = np.shape(values[wrt])
    if int(np.prod(shape)) > MOST_ENTRIES:
        return None
    symbols = np.array([sympy.Symbol(f"_e{k}", real=True) for k in range(int(np.prod(shape)))],
                       dtype=object).reshape(shape)
    known = {name: np.array([sympy.Float(float(x), 30) for x in np.ravel(v)],
                            dtype=object).reshape(np.shape(v))
             for name, v in values.items() if name != wrt}
    known[wrt] = symbols
    try:
        with deadline(SECONDS):
            memo: dict[Node, np.ndarray] = {}
            for n in expression.walk():
                if n.kind == "var":
                    memo[n] = _objects(known[n.value])
                    continue
                if n.kind not in _EVAL:
                    return None
                memo[n] = _objects(_EVAL[n.kind](n, [memo[x] for x in n.args], sizes))
            loss = memo[expression].item()
            point = {s: known_value for s, known_value in
                     zip(symbols.reshape(-1), np.ravel(values[wrt]))}
            out = [float(sympy.diff(loss, s).xreplace(point).evalf(20))
                   for s in symbols.reshape(-1)]
    except (BudgetError, TypeError, ValueError, ZeroDivisionError):
        return None
    return np.array(out, dtype=np.float64).reshape(shape)

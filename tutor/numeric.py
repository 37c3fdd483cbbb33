"""Compiling expressions to NumPy and checking derivatives against finite differences.

SymPy is used once, to turn an expression into a NumPy function (``lambdify`` with common
sub-expression elimination); everything after that is NumPy on float64 arrays.  The named
functions compile to numerically stable implementations (σ without overflow for any z,
softplus through ``logaddexp``), and the overflow-prone written-out forms 1/(1 + e^(−a)) and
log(1 + e^a) are replaced by them before compiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy
from sympy import Add, Pow, exp, log

from .errors import TutorError
from .functions import relu, sigmoid, softplus


def stable_sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    # e^(−|z|) never overflows; pick the algebraically equal form by the sign of z
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def stable_softplus(z):
    return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))


def numpy_relu(z):
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


NUMPY_FUNCTIONS = {"sigmoid": stable_sigmoid, "softplus": stable_softplus, "relu": numpy_relu}


def stable_form(expr: sympy.Expr) -> sympy.Expr:
    """Replace 1/(1 + e^(−a)) by σ(a) and log(1 + e^a) by softplus(a)."""

    def one_plus_exp(e):
        if isinstance(e, Add) and len(e.args) == 2 and sympy.S.One in e.args:
            other = e.args[0] if e.args[1] == 1 else e.args[1]
            if isinstance(other, exp):
                return other.args[0]
        return None

    def is_logistic(e):
        return isinstance(e, Pow) and e.exp == -1 and one_plus_exp(e.base) is not None

    def is_softplus(e):
        return isinstance(e, log) and one_plus_exp(e.args[0]) is not None

    expr = expr.replace(is_logistic, lambda e: sigmoid(-one_plus_exp(e.base)))
    return expr.replace(is_softplus, lambda e: softplus(one_plus_exp(e.args[0])))


def _printer():
    # A NumPy printer with an explicit namespace: lambdify's "numpy" module string would run
    # the equivalent of `from numpy import *`, which loads a dozen numpy submodules (~0.1 s).
    from sympy.printing.numpy import NumPyPrinter

    return NumPyPrinter({"fully_qualified_modules": True, "inline": True,
                         "allow_unknown_functions": True, "user_functions": {}})


def compile_expr(expr: sympy.Expr, args: Sequence[sympy.Symbol]) -> Callable:
    """A vectorised NumPy function of ``args`` (in that order) computing ``expr``."""
    fn = sympy.lambdify(list(args), stable_form(expr), modules=[NUMPY_FUNCTIONS, {"numpy": np}],
                        printer=_printer(), cse=True)

    def call(*values):
        with np.errstate(all="ignore"):
            out = fn(*values)
        shape = np.broadcast(*values).shape if values else ()
        return np.broadcast_to(np.asarray(out, dtype=np.float64), shape)

    return call


def relative_error(a, b, tiny: float = 1e-300):
    """|a − b| / max(|a|, |b|, tiny), elementwise (0 where both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), tiny)


def central_difference(fn: Callable, values: Sequence[np.ndarray], index: int):
    """∂fn/∂(argument ``index``) by central differences, with a step scaled to the value."""
    x = np.asarray(values[index], dtype=np.float64)
    h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
    # make x ± h exactly representable so the step really is 2h
    up, down = x + h, x - h
    step = up - down
    plus = list(values)
    minus = list(values)
    plus[index], minus[index] = up, down
    return (fn(*plus) - fn(*minus)) / step


def batch(values: Mapping[str, object], names: Sequence[str]) -> list[np.ndarray]:
    """float64 arrays for ``names``, broadcast to one batch shape."""
    missing = [n for n in names if n not in values]
    if missing:
        raise TutorError(f"no value for {', '.join(missing)}: give one with --at "
                         f"{missing[0]}=1.5 (or a list, --at {missing[0]}=1,2,3)")
    arrays = [np.asarray(values[n], dtype=np.float64) for n in names]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        sizes = ", ".join(f"{n}: {a.size}" for n, a in zip(names, arrays) if a.ndim)
        raise TutorError(f"values of different lengths ({sizes}); give one number or lists "
                         "of the same length") from None
    return [np.broadcast_to(a, shape) for a in arrays]


@dataclass
class NumericCheck:
    """A derivative evaluated on a batch, beside a finite-difference estimate."""

    at: dict[str, np.ndarray]
    value: np.ndarray
    derivative: np.ndarray
    finite_difference: np.ndarray

    @property
    def relative_error(self) -> np.ndarray:
        return relative_error(self.derivative, self.finite_difference)

    @property
    def max_rel_error(self) -> float:
        err = self.relative_error
        finite = err[np.isfinite(err)]
        return float(finite.max()) if finite.size else float("nan")


def check_numerically(function: sympy.Expr, derivative: sympy.Expr, wrt: sympy.Symbol,
                      symbols: Sequence[sympy.Symbol], values: Mapping[str, object]) -> NumericCheck:
    """Evaluate ``function`` and ``derivative`` at ``values`` and compare with finite differences."""
    names = [s.name for s in symbols]
    arrays = batch(values, names)
    f = compile_expr(function, symbols)
    df = compile_expr(derivative, symbols)
    index = list(symbols).index(wrt)
    return NumericCheck(
        at={n: a for n, a in zip(names, arrays)},
        value=f(*arrays),
        derivative=df(*arrays),
        finite_difference=central_difference(f, arrays, index),
    )

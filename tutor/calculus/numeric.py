"""Compiling expressions to NumPy and checking derivatives against finite differences.

SymPy is used once, to turn an expression into a NumPy function (``lambdify`` with common
sub-expression elimination); everything after that is NumPy on float64 arrays.  The named
functions compile to numerically stable implementations (σ without overflow for any z,
softplus through ``logaddexp``), and the overflow-prone written-out forms 1/(1 + e^(−a)) and
log(1 + e^a) are replaced by them before compiling.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy

from tutor.errors import ParameterError
from tutor.i18n import _
from tutor.calculus.agreement import relative_error  # noqa: F401  (re-exported)
from tutor.calculus.functions import stable_form  # noqa: F401  (re-exported)
from tutor.calculus.stable import numpy_logsumexp, stabilise
from tutor.calculus.table import (FUNCTIONS, NUMPY_EXTRAS, numpy_relu,  # noqa: F401
                                  stable_sigmoid, stable_softplus)
from tutor.calculus.cost import affordable
from tutor.calculus.extrapolation import is_steady, refined_slope


#: the NumPy forms of the functions the tutor defines itself (σ, softplus, GELU, …)
NUMPY_FUNCTIONS = {f.name: f.numpy for f in FUNCTIONS if f.custom}
#: every name compiled NumPy code may call besides NumPy's own: the functions above, the
#: slope of a jump (SymPy's Dirac delta) and the log-sum-exp of the stable forms
NUMPY_NAMESPACE = {**NUMPY_FUNCTIONS, **NUMPY_EXTRAS, "logsumexp": numpy_logsumexp}

#: the modules the printed code refers to: NumPy's printer writes max/min of several arguments
#: as ``functools.reduce(numpy.maximum, [...])``
PRINTED_MODULES = {"numpy": np, "functools": functools}


def _printer():
    # A NumPy printer with an explicit namespace: lambdify's "numpy" module string would run
    # the equivalent of `from numpy import *`, which loads a dozen numpy submodules (~0.1 s).
    from sympy.printing.numpy import NumPyPrinter
    from sympy.printing.precedence import precedence

    class Printer(NumPyPrinter):
        def _print_Add(self, expr, order=None):
            # z - y rather than SymPy's -y + z: on arrays the latter is two passes (negate,
            # then add), the former one
            terms = list(expr.args)
            first = [t for t in terms if not t.could_extract_minus_sign()]
            if not first:
                return super()._print_Add(expr, order)
            level = precedence(expr)
            out = " + ".join(self.parenthesize(t, level) for t in first)
            for t in terms:
                if t.could_extract_minus_sign():
                    out += " - " + self.parenthesize(-t, level, strict=True)
            return out

        def _print_Integer(self, expr):
            # an integer beyond float64's exact range (2^64) would be a Python int, which
            # NumPy's functions take as an object array and cannot evaluate: write a float
            if abs(expr.p) > 2**53:
                try:
                    return repr(float(expr.p))
                except OverflowError:
                    return "numpy.inf" if expr.p > 0 else "(-numpy.inf)"
            return super()._print_Integer(expr)

    return Printer({"fully_qualified_modules": True, "inline": True,
                    "allow_unknown_functions": True, "user_functions": {}})


def compile_expr(expr: sympy.Expr, args: Sequence[sympy.Symbol]) -> Callable:
    """A vectorised NumPy function of ``args`` (in that order) computing ``expr``."""
    fn = sympy.lambdify(list(args), stabilise(expr),
                        modules=[NUMPY_NAMESPACE, PRINTED_MODULES],
                        printer=_printer(), cse=affordable(expr))

    def call(*values):
        values = [np.asarray(v, dtype=np.float64) for v in values]
        with np.errstate(all="ignore"):
            out = fn(*values)
        shape = np.broadcast(*values).shape if values else ()
        return np.broadcast_to(np.asarray(out, dtype=np.float64), shape)

    return call


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


@dataclass
class Differences:
    """Finite differences of a function by one argument, elementwise over a batch."""

    central: np.ndarray
    #: (f(x + h) − f(x))/h and (f(x) − f(x − h))/h: slopes on each side, to tell kinks
    forward: np.ndarray
    backward: np.ndarray
    #: |forward − backward| again with a step 8 times smaller (a kink's gap does not shrink)
    narrow_gap: np.ndarray


def differences(fn: Callable, values: Sequence[np.ndarray], index: int) -> Differences:
    """Central and one-sided differences of ``fn`` by argument ``index`` (see
    :func:`tutor.calculus.agreement.judge`)."""
    here = np.asarray(fn(*values), dtype=np.float64)

    def sides(scale: float):
        x = np.asarray(values[index], dtype=np.float64)
        h = scale * np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
        up, down = x + h, x - h
        plus, minus = list(values), list(values)
        plus[index], minus[index] = up, down
        above = np.asarray(fn(*plus), dtype=np.float64)
        below = np.asarray(fn(*minus), dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            return (above - below) / (up - down), (above - here) / (up - x), (here - below) / (x - down)

    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        central, forward, backward = sides(1.0)
        _, narrow_forward, narrow_backward = sides(1 / 8)
        half, _, _ = sides(0.5)
        differences = Differences(central, forward, backward,
                                  np.abs(narrow_forward - narrow_backward))
        _refine_long_steps(differences, half, fn, values, index, here)
        return differences


def _refine_long_steps(diffs: Differences, half: np.ndarray, fn: Callable,
                       values: Sequence[np.ndarray], index: int, here: np.ndarray) -> None:
    """Where the central differences with steps h and h/2 differ by more than a trace, the
    function changes on a scale shorter than h: each such sample's slope is found again by
    halving the step (see :mod:`tutor.calculus.extrapolation`), and its one-sided differences
    are taken with the step found.  Such samples are rare; each is done on its own."""
    from tutor.calculus.agreement import floor

    shape = np.broadcast(*values).shape if values else ()
    central = np.broadcast_to(diffs.central, shape)
    half = np.broadcast_to(half, shape)
    here = np.broadcast_to(here, shape)
    arrays = [np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in values]
    outputs = {name: np.array(np.broadcast_to(getattr(diffs, name), shape))
               for name in ("central", "forward", "backward", "narrow_gap")}
    changed = False
    for k in np.ndindex(shape):
        value = float(here[k])
        if not np.isfinite(value) or is_steady(float(central[k]), float(half[k]), floor(value)):
            continue
        point = [float(a[k]) for a in arrays]

        def along(t: float, point=point) -> float:
            q = list(point)
            q[index] = t
            return float(np.asarray(fn(*q), dtype=np.float64))

        x = point[index]
        slope, h = refined_slope(along, x, float(np.cbrt(np.finfo(np.float64).eps))
                                 * max(1.0, abs(x)), floor(value))
        up, down = x + h, x - h
        above, below = along(up), along(down)
        narrow = (x + h / 8, x - h / 8)
        outputs["central"][k] = slope
        outputs["forward"][k] = (above - value) / (up - x)
        outputs["backward"][k] = (value - below) / (x - down)
        outputs["narrow_gap"][k] = abs((along(narrow[0]) - value) / (narrow[0] - x)
                                       - (value - along(narrow[1])) / (x - narrow[1]))
        changed = True
    if changed:
        for name, array in outputs.items():
            setattr(diffs, name, array)


def batch(values: Mapping[str, object], names: Sequence[str]) -> list[np.ndarray]:
    """float64 arrays for ``names``, broadcast to one batch shape."""
    missing = [n for n in names if n not in values]
    if missing:
        raise ParameterError("at", _("no value for {names}: give one with {param} {name}=1.5 "
                                     "(or a list, {param} {name}=1,2,3)"),
                             names=", ".join(missing), name=missing[0])
    arrays = [np.asarray(values[n], dtype=np.float64) for n in names]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        sizes = ", ".join(f"{n}: {a.size}" for n, a in zip(names, arrays) if a.ndim)
        raise ParameterError("at", _("{param}: values of different lengths ({sizes}); give one "
                                     "number or lists of the same length"), sizes=sizes) from None
    return [np.broadcast_to(a, shape) for a in arrays]

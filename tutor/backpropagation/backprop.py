"""A whole backpropagation of a lesson, checked: the forward and backward passes through its
graph (:mod:`tutor.backpropagation.graph`) on its example or the user's values, and every
gradient compared with the symbolic derivative and with finite differences, judged by the
one agreement verdict of :mod:`tutor.calculus.agreement`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import sympy

from tutor.backpropagation.graph import (DEFAULT_VALUES, Forward, Graph, Node, Note, lesson_graph,
                                        stable_graph)
from tutor.calculus.agreement import FLOOR, GOOD, Agreement, judge, overall
from tutor.calculus.numeric import Differences, batch, compile_expr, differences
from tutor.calculus.onesided import left_derivative
from tutor.errors import ParameterError, TutorError
from tutor.explaining.lesson import Lesson, Origin
from tutor.i18n import _


@dataclass
class GradientCheck:
    """∂L/∂(name) on every sample: by backpropagation, symbolically, by finite differences."""

    name: str
    backprop: np.ndarray
    symbolic: np.ndarray
    finite_difference: np.ndarray
    symbolic_expr: sympy.Expr
    #: the loss and its one-sided differences on every sample, to judge the agreement
    value: np.ndarray | None = None
    differences: Differences | None = None

    def _floor(self) -> np.ndarray:
        v = np.zeros(1) if self.value is None else np.asarray(self.value, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            return FLOOR * np.maximum(1.0, np.where(np.isfinite(v), np.abs(v), 1.0))

    def _scaled(self, other) -> np.ndarray:
        a = np.asarray(self.backprop, dtype=np.float64)
        b = np.asarray(other, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), self._floor())
            return np.where(np.isfinite(a) & np.isfinite(b), np.abs(a - b) / scale, np.nan)

    @property
    def symbolic_error(self) -> np.ndarray:
        """|backprop − symbolic| on the scale of agreement (relative, floored near 0)."""
        return self._scaled(self.symbolic)

    @property
    def fd_error(self) -> np.ndarray:
        return self._scaled(self.finite_difference)

    def verdicts(self, size: int) -> list[Agreement]:
        """Backpropagation against finite differences on each of ``size`` samples."""
        def each(a):
            return np.broadcast_to(np.asarray(a, dtype=np.float64), (size,)) if size > 1 \
                else np.ravel(np.asarray(a, dtype=np.float64))[:1]
        if self.differences is None:
            return [Agreement.AGREES if e < GOOD else Agreement.DISAGREES
                    for e in each(self.fd_error)]
        d = self.differences
        columns = [each(self.value), each(self.backprop), each(self.finite_difference),
                   each(d.forward), each(d.backward), each(d.narrow_gap)]
        return [judge(*map(float, row)) for row in zip(*columns)]


@dataclass
class Backprop:
    lesson: Lesson
    graph: Graph
    output: int
    forward: Forward
    adjoints: list[np.ndarray]
    checks: list[GradientCheck]
    #: values of the variables, broadcast to the batch
    values: dict[str, np.ndarray]
    sample: int
    reduce: str | None
    #: the variables --at did not set and were given default values (typed expressions)
    defaulted: dict[str, float] = field(default_factory=dict)
    #: the graph is the stable form of the function, the written one overflowing here
    stable_form: bool = False
    #: samples where a kink or a tie is hit exactly: the gradients there are derivatives
    #: from the left, from a forward pass
    left_samples: list[int] = field(default_factory=list)
    #: the gradients on those samples: {variable: per-sample gradient}
    left: dict[str, np.ndarray] = field(default_factory=dict)

    def from_left(self, name: str) -> float | None:
        """The gradient by ``name`` from the left on the chosen sample, when that sample is
        at a kink and it differs from what the backward pass found."""
        if self.sample not in self.left_samples or name not in self.left:
            return None
        value = self.at(self.left[name])
        return None if value == self.at(self.adjoints[self.graph.node(name).index]) else value

    @property
    def gates(self):
        """The add, max, multiply and fork patterns of the graph, with this sample's numbers
        (see ``gates``)."""
        from tutor.backpropagation.gates import gates

        return gates(self)

    @property
    def batch_size(self) -> int:
        return int(np.prod(self.forward.shape)) if self.forward.shape else 1

    def at(self, a) -> float:
        """Entry of a per-sample array for the chosen sample."""
        a = np.ravel(np.asarray(a))
        return float(a[self.sample] if a.size > 1 else a[0])

    def value(self, node: Node) -> float:
        return self.at(self.forward.values[node.index])

    def adjoint(self, node: Node) -> float:
        return self.at(self.adjoints[node.index])

    def local(self, node: Node, k: int) -> float:
        return self.at(self.forward.locals[node.index][k])

    @property
    def gradients(self) -> dict[str, float]:
        return {c.name: self.at(c.backprop) for c in self.checks}

    @property
    def batch_gradients(self) -> dict[str, float] | None:
        """Gradients of the reduced loss (mean or sum over the batch), when there is a batch."""
        if self.batch_size < 2:
            return None
        how = self.reduce or "mean"
        fn = np.mean if how == "mean" else np.sum
        return {c.name: float(fn(c.backprop)) for c in self.checks}

    @property
    def notes(self) -> list[Note]:
        return self.forward.notes

    @property
    def kink_samples(self) -> set[int]:
        """Samples where a kink is hit exactly: finite differences straddle it there."""
        return {k for note in self.notes for k in note.samples}

    @property
    def sample_verdicts(self) -> list[Agreement]:
        """On each sample, how backpropagation compares with finite differences (a kink found
        by the differences) and with the symbolic derivative (which must match away from the
        kinks the graph hit), the worst over the gradients."""
        size = self.batch_size
        kinks = self.kink_samples
        out = []
        per_check = [c.verdicts(size) for c in self.checks]
        symbolic = [np.broadcast_to(c.symbolic_error, self.forward.shape).ravel()
                    if size > 1 else np.ravel(c.symbolic_error)[:1] for c in self.checks]
        for k in range(size):
            verdicts = [v[k] for v in per_check]
            if any(not (e[k] < GOOD) and k not in kinks and np.isfinite(e[k]) for e in symbolic):
                verdicts.append(Agreement.DISAGREES)
            if any(not np.isfinite(e[k]) for e in symbolic):
                verdicts.append(Agreement.UNDEFINED)  # nothing to compare: never a tick
            out.append(overall(verdicts))
        return out

    @property
    def agreement(self) -> Agreement:
        return overall(self.sample_verdicts)

    @property
    def max_error(self) -> float:
        """The largest error of backpropagation against the symbolic derivative and finite
        differences, over the samples where they can be compared (not at a kink, not where a
        value is undefined)."""
        keep = np.array([v in (Agreement.AGREES, Agreement.DISAGREES)
                         for v in self.sample_verdicts])
        errs = [0.0]
        for c in self.checks:
            for e in (c.symbolic_error, c.fd_error):
                e = np.broadcast_to(e, self.forward.shape).ravel() if self.batch_size > 1 \
                    else np.ravel(e)[:1]
                if keep.any():
                    errs.append(float(np.nanmax(e[keep])) if np.isfinite(e[keep]).any() else 0.0)
        return max(errs)


def backprop(lesson: Lesson, *, at: Mapping[str, object] | None = None,
             wrt: Sequence[sympy.Symbol] | None = None, output: int = 0,
             sample: int = 0, graph: Graph | None = None) -> Backprop:
    """Forward and backward pass of one output of ``lesson`` on its example (or ``at``),
    every gradient checked against ``sympy.diff`` and central finite differences."""
    if not 0 <= output < len(lesson.outputs):
        raise TutorError(_("the lesson has {count} output(s): {names}").format(
            count=len(lesson.outputs), names=", ".join(lesson.output_names)))
    graph = graph or lesson_graph(lesson)
    variables = [n.name for n in graph.variables]
    values = dict(lesson.example)
    values.update(at or {})
    missing = sorted(v for v in variables if v not in values)
    defaulted = (_clean_defaults(graph.output_exprs[output], lesson, missing, values)
                 if lesson.origin is Origin.EXPRESSION and missing else {})
    values.update(defaulted)
    arrays = dict(zip(variables, batch(values, variables)))
    stable = False
    try:
        fwd = graph.forward(arrays)
    except TutorError:
        # the written form overflows here (e^1000, log 0): libraries compute the stable form
        other = stable_graph(lesson)
        if other is None:
            raise
        graph, stable = other, True
        fwd = graph.forward(arrays)
    adjoints = graph.backward(fwd, output)
    n = int(np.prod(fwd.shape)) if fwd.shape else 1
    if not 0 <= sample < n:
        raise ParameterError("sample", _("{param} {sample}: the batch has {count} sample(s)"),
                             sample=sample + 1, count=n)

    # every parameter's gradient (a lesson may explain only some of them), else the lesson's
    parameters = [lesson.symbols[n] for n in variables if lesson.roles.get(n) == "parameter"]
    chosen = list(wrt) if wrt else (parameters or list(lesson.wrt))
    expr = graph.output_exprs[output]
    symbols = [lesson.symbols.get(v, sympy.Symbol(v, real=True)) for v in variables]
    args = [arrays[v] for v in variables]
    f = compile_expr(expr, symbols)
    loss = np.asarray(f(*args), dtype=np.float64)
    kinked, left = _left_at_kinks(graph, fwd, adjoints, expr, variables, symbols, arrays,
                                  chosen)
    checks = []
    for s in chosen:
        if s.name not in variables:
            # the output does not depend on it: every number is 0
            zero = np.zeros(fwd.shape)
            checks.append(GradientCheck(s.name, zero, zero, zero, sympy.S.Zero))
            continue
        # the derivative of a jump (step, sign) is 0 away from it; SymPy writes a DiracDelta
        d = sympy.diff(expr, s).replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)
        sym = np.asarray(compile_expr(d, symbols)(*args), dtype=np.float64)
        diffs = differences(f, args, variables.index(s.name))
        checks.append(GradientCheck(s.name, left.get(s.name, adjoints[graph.node(s.name).index]),
                                    sym,
                                    diffs.central, d, value=loss, differences=diffs))
    return Backprop(lesson, graph, output, fwd, adjoints, checks, arrays, sample,
                    lesson.reduce, defaulted, stable, kinked, left)


#: scales tried on the default values, in turn, until the function is clean there
_SCALES = (1.0, 0.5, 0.1, 2.0, -1.0, 0.25)


def _clean_defaults(expr: sympy.Expr, lesson: Lesson, missing: list[str],
                    given: Mapping[str, object]) -> dict[str, float]:
    """Values for the variables of a typed expression that --at did not set: the first of a
    few candidate sets where the function and every derivative are finite real numbers and no
    kink or tie is hit (ln x is not evaluated at −0.2, ReLU(w·x + b) not at its kink)."""
    from tutor.calculus.onesided import has_kinks
    from tutor.calculus.pointwise import compile_scalar

    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    f = compile_scalar(expr, symbols)
    slopes = [compile_scalar(sympy.diff(expr, s).replace(sympy.DiracDelta,
                                                         lambda *a: sympy.S.Zero), symbols)
              for s in symbols]
    kinks = has_kinks(expr)
    first = None
    for scale in _SCALES:
        for shift in range(len(DEFAULT_VALUES)):
            candidate = {name: scale * DEFAULT_VALUES[(k + shift) % len(DEFAULT_VALUES)]
                         for k, name in enumerate(missing)}
            first = first or candidate
            point = {**given, **candidate}
            try:
                p = [float(np.ravel(np.asarray(point[s.name], dtype=np.float64))[0])
                     for s in symbols]
            except (KeyError, TypeError, ValueError):
                return first
            values = [f(*p)] + [g(*p) for g in slopes]
            if not all(np.isfinite(values)):
                continue
            if kinks:
                found = left_derivative(expr, symbols[0], dict(zip(symbols, p)))
                if found is None or found[1]:
                    continue
            return candidate
    return first


def _left_at_kinks(graph, fwd, adjoints, expr, variables, symbols, arrays,
                   chosen) -> tuple[list[int], dict[str, np.ndarray]]:
    """On the samples where a kink or a tie is hit exactly, each chosen variable's gradient is
    the derivative from the left (the tutor's convention, see ``onesided``), which a backward
    pass with one fixed slope per kink cannot always give: those samples, and the gradients
    with their entries replaced (the adjoints themselves stay as the backward pass found
    them)."""
    samples = sorted({k for note in fwd.notes for k in note.samples})
    if not samples:
        return [], {}
    size = int(np.prod(fwd.shape)) if fwd.shape else 1

    def entry(a, k):
        flat = np.ravel(np.asarray(a, dtype=np.float64))
        return float(flat[k] if flat.size > 1 else flat[0])

    left = {}
    for s in chosen:
        if s.name not in variables:
            continue
        a = np.array(np.broadcast_to(adjoints[graph.node(s.name).index], fwd.shape),
                     dtype=np.float64)
        for k in samples:
            point = {sym: entry(arrays[v], k) for sym, v in zip(symbols, variables)}
            found = left_derivative(expr, s, point)
            if found is not None:
                a.reshape(-1)[k if size > 1 else 0] = found[0]
        left[s.name] = a
    return samples, left

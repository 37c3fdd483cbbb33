"""Training with gradients from backpropagation: an objective for :func:`tutor.training.train.train`.

The compiled objective of :mod:`tutor.training.engine` computes gradients in matrix form when the loss
has a linear layer it can use; otherwise (a network with a hidden layer, like the lesson
``mlp``) it compiles every partial derivative symbolically.  :class:`BackpropObjective` keeps
that objective's data handling, parameters and loss, and takes the gradient from one forward
and one backward pass through the lesson's graph (:mod:`tutor.backpropagation.graph`) instead — the method
the lesson teaches, giving the same numbers ``tutor backprop`` shows.  No SymPy runs while
training.  The cost is measured by ``benchmarks/backprop_training.py``: on the ``mlp`` lesson
the graph's interpreted NumPy pass takes about twice the time of the compiled, CSE-optimised
partial derivatives; both are linear in the batch.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from tutor.backpropagation.graph import Graph, lesson_graph
from tutor.explaining.lesson import Lesson


class BackpropObjective:
    """A :class:`~tutor.training.engine.CompiledObjective` whose ``gradient`` is backpropagation."""

    def __init__(self, compiled, lesson: Lesson, graph: Graph | None = None):
        self.compiled = compiled
        self.lesson = lesson
        self.graph = graph or lesson_graph(lesson)
        variables = {n.name for n in self.graph.variables}
        #: per parameter group: its member names in order, and whether it is a family
        self._groups = [(g.name, [s.name for s in g.members], g.family) for g in compiled.params]
        self._wrt = [m for _, members, _ in self._groups for m in members if m in variables]
        self._data = [s.name for g in compiled.data_groups for s in g.members]

    def __getattr__(self, name):
        # everything else (prepare, init_params, loss, mode, params, …) is the compiled one's
        return getattr(self.compiled, name)

    @property
    def source(self) -> str:
        return "backpropagation"

    def init_params(self, prepared, given: Mapping[str, object] | None = None) -> dict:
        """The start: ``--init`` values, else the lesson's example values of the parameters.

        All zeros is a saddle point of a network with a hidden layer (every hidden unit gets
        the same gradient, and a zero output weight passes none back), so unlike the linear
        models, a network starts where its lesson's example puts it."""
        start = {name: self.lesson.example[name] for name, _, family in self._groups
                 if not family and name in self.lesson.example
                 and not isinstance(self.lesson.example[name], list)}
        return self.compiled.init_params(prepared, {**start, **dict(given or {})})

    def gradient(self, params: Mapping[str, np.ndarray], batch: Mapping[str, np.ndarray],
                 reduce: str = "mean") -> dict[str, np.ndarray]:
        values: dict[str, object] = {}
        for name, members, family in self._groups:
            v = np.asarray(params[name], dtype=np.float64)
            for k, m in enumerate(members):
                values[m] = float(v[k]) if family else float(v)
        for m in self._data:
            values[m] = batch[m]
        grads = self.graph.gradients(values, self._wrt)
        fn = np.sum if reduce == "sum" else np.mean
        out = {}
        for name, members, family in self._groups:
            flat = [float(fn(grads[m])) if m in grads else 0.0 for m in members]
            out[name] = np.array(flat) if family else np.array(flat[0])
        return out

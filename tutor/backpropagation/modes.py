"""Forward mode beside reverse mode: the same Jacobian, by columns or by rows.

A forward (tangent) pass pushes one direction v through the graph, input to output, and gives
J·v: with v = eⱼ, column j of the Jacobian, so n inputs take n passes.  A reverse (adjoint)
pass pulls one weighting u back, output to input, and gives uᵀ·J: with u = eᵢ, row i, so m
outputs take m passes.  A loss is one output: reverse mode gives all n gradients in one pass,
which is why backpropagation is reverse mode.  Both are computed here on the same graph of
primitive operations (:mod:`tutor.backpropagation.graph`) and compared with finite
differences.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import sympy

from tutor.backpropagation.graph import build_graph
from tutor.backpropagation.jacobian import (FD_AGREE, Check, Line, Matrix, Topic,
                                            max_relative_difference)
from tutor.errors import ParameterError
from tutor.i18n import N_, Phrase, _

x1, x2 = sympy.symbols("x1 x2", real=True)
#: the example: two inputs, three outputs
OUTPUTS = (x1 * x2, sympy.sin(x1) + x2, x1 ** 2 * x2)
NAMES = ("y1", "y2", "y3")
DEFAULT = {"x1": 1.5, "x2": -0.5}


def tangents(graph, fwd, direction: Mapping[str, float]) -> list[float]:
    """One forward-mode pass: every node's derivative along ``direction`` (an input's name →
    its component), from the inputs to the outputs, each node's tangent the sum of its local
    derivatives times its inputs' tangents."""
    t = [0.0] * len(graph.nodes)
    for node in graph.nodes:
        if node.is_variable:
            t[node.index] = float(direction.get(node.name, 0.0))
        elif node.inputs:
            t[node.index] = sum(float(np.ravel(local)[0]) * t[i]
                                for local, i in zip(fwd.locals[node.index], node.inputs))
    return t


def modes_topic(values: Mapping[str, object] | None = None) -> Topic:
    """The Jacobian of y = (x₁x₂, sin x₁ + x₂, x₁²x₂) at the learner's point, by forward mode
    (one pass per input) and by reverse mode (one pass per output)."""
    point = dict(DEFAULT)
    for name, v in (values or {}).items():
        a = np.ravel(np.asarray(v, dtype=np.float64))
        if a.size != 1:
            raise ParameterError("at", _("{param} {name}: give one number"), name=name)
        point[name] = float(a[0])
    graph = build_graph(list(OUTPUTS), list(NAMES))
    fwd = graph.forward({k: np.asarray(v) for k, v in point.items()})
    inputs = [n.name for n in graph.variables]
    out_index = {name: graph.outputs[k] for k, name in enumerate(NAMES)}

    # forward mode: one pass per input gives a column
    columns = []
    for name in inputs:
        t = tangents(graph, fwd, {name: 1.0})
        columns.append([t[out_index[o]] for o in NAMES])
    J_forward = np.array(columns).T
    # reverse mode: one pass per output gives a row
    rows = []
    for k in range(len(NAMES)):
        adj = graph.backward(fwd, k)
        rows.append([float(np.ravel(adj[graph.node(name).index])[0]) for name in inputs])
    J_reverse = np.array(rows)
    # finite differences, a third way
    J_fd = np.zeros_like(J_forward)
    for j, name in enumerate(inputs):
        h = 1e-6 * max(1.0, abs(point[name]))
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        f_up = [float(f.subs({x1: up["x1"], x2: up["x2"]})) for f in OUTPUTS]
        f_down = [float(f.subs({x1: down["x1"], x2: down["x2"]})) for f in OUTPUTS]
        J_fd[:, j] = (np.array(f_up) - np.array(f_down)) / (2 * h)

    n, m = len(inputs), len(NAMES)
    t = Topic("modes", Phrase(N_("Forward mode beside reverse mode: the same Jacobian, by "
                                 "columns or by rows")))
    shown = {k: f"{v:g}".replace("-", "−") for k, v in point.items()}
    t.add(Line("y₁ = x₁x₂,  y₂ = sin x₁ + x₂,  y₃ = x₁²x₂   "
               f"(x₁ = {shown['x1']}, x₂ = {shown['x2']})", "formula"),
          Line(Phrase(N_("forward mode: a tangent pass with v = eⱼ, inputs → outputs, gives "
                         "J·eⱼ, column j; {n} inputs, {n} passes"), n=n), "heading"),
          Matrix(Phrase(N_("J by forward mode")), J_forward, rows=list(NAMES), columns=inputs),
          Line(Phrase(N_("reverse mode: a backward pass with u = eᵢ, outputs → inputs, gives "
                         "eᵢᵀ·J, row i; {m} outputs, {m} passes"), m=m), "heading"),
          Matrix(Phrase(N_("J by reverse mode")), J_reverse, rows=list(NAMES), columns=inputs),
          Check("J", Phrase(N_("forward mode")), Phrase(N_("reverse mode")),
                max_relative_difference(J_forward, J_reverse)),
          Check("J", Phrase(N_("forward mode")), Phrase(N_("finite differences")),
                max_relative_difference(J_forward, J_fd), tolerance=FD_AGREE),
          Line(Phrase(N_("a loss is one output (m = 1): reverse mode gives every one of its n "
                         "gradients in one backward pass, forward mode needs n passes — for a "
                         "network with a million weights, one pass against a million; that is "
                         "why backpropagation runs in reverse")), "insight"))
    return t

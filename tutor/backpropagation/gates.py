"""The patterns backpropagation follows at each kind of node, found on a learner's own graph.

cs231n teaches the backward pass by its gates: an **add** gate hands its adjoint unchanged to
every input, a **max** gate routes it to the larger input only, a **multiply** gate gives each
input the adjoint times the *other* input (the inputs swap), and where a value **forks** into
several nodes the adjoints coming back add up.  :func:`gates` finds each of these in a
:class:`~tutor.backpropagation.backprop.Backprop` (its ``gates``), with the numbers of the chosen
sample; the renderers say them in a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # backprop.py asks for the gates of its own result
    from tutor.backpropagation.backprop import Backprop


@dataclass(frozen=True)
class Gate:
    """One node acting as a gate: its kind, its name, its inputs' names and the numbers."""

    #: "add", "max", "min", "multiply" or "fork"
    kind: str
    node: str
    #: the inputs (for a fork: the nodes it feeds)
    inputs: tuple[str, ...]
    #: the node's adjoint (for a fork: the shares coming back, whose sum is its adjoint)
    adjoint: float
    #: add: —; max/min: the input that is the max (min); multiply: each input's value (what
    #: the other input is multiplied by); fork: each share
    values: tuple[float, ...] = ()
    winner: str = ""


def gates(bp: "Backprop") -> list[Gate]:
    """The gates of the chosen output's graph, output first (the order of the backward pass)."""
    g = bp.graph
    needed = _needed(bp)
    out: list[Gate] = []
    for node in reversed(g.nodes):
        if node.index not in needed or node.is_constant:
            continue
        names = tuple(g.nodes[i].name for i in node.inputs)
        adjoint = bp.adjoint(node)
        if node.op == "add" and len(node.inputs) >= 2 \
                and all(c == 1.0 for c in node.params.get("coeffs", ())):
            out.append(Gate("add", node.name, names, adjoint))
        elif node.op in ("max", "min") and len(node.inputs) == 2:
            a, b = (bp.value(g.nodes[i]) for i in node.inputs)
            if a != b:  # a tie routes by the convention at kinks, not by this pattern
                first = (a > b) if node.op == "max" else (a < b)
                out.append(Gate(node.op, node.name, names, adjoint,
                                winner=names[0] if first else names[1]))
        elif node.op == "mul" and len(node.inputs) == 2 and node.params.get("coeff") == 1.0:
            out.append(Gate("multiply", node.name, names, adjoint,
                            tuple(bp.value(g.nodes[i]) for i in node.inputs)))
        users = [(c, k) for c, k in g.consumers(node.index) if c in needed]
        if len(users) >= 2:
            shares = tuple(bp.adjoint(g.nodes[c]) * bp.local(g.nodes[c], k) for c, k in users)
            out.append(Gate("fork", node.name, tuple(g.nodes[c].name for c, _ in users),
                            adjoint, shares))
    return out


def _needed(bp: "Backprop") -> set[int]:
    """The nodes the chosen output depends on."""
    g = bp.graph
    seen, stack = set(), [g.outputs[bp.output]]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(g.nodes[i].inputs)
    return seen

"""Where to draw each node of a backpropagation graph: columns by depth, rows ordered to keep
edges short.  A small layered layout, enough for the graphs of the lessons (no graph library).
"""

from __future__ import annotations

from tutor.backpropagation.backprop import Backprop
from tutor.renderers.backpropagation.text import ancestors


def layout(bp: Backprop) -> dict[int, tuple[float, float]]:
    """Node index → (column, row) for the nodes the chosen output depends on.

    A node's column is one more than its deepest input (variables in column 0).  Inside a
    column, nodes are ordered by the mean row of their inputs (and the variables by the mean
    row of the nodes that use them), a few sweeps each way, then spread evenly and centred.
    """
    g = bp.graph
    keep = ancestors(bp)
    nodes = [n for n in g.nodes if n.index in keep]
    depth: dict[int, int] = {}
    for n in nodes:  # forward order: inputs come first
        depth[n.index] = 0 if not n.inputs else 1 + max(depth[i] for i in n.inputs)
    consumers: dict[int, list[int]] = {n.index: [] for n in nodes}
    for n in nodes:
        for i in n.inputs:
            consumers[i].append(n.index)
    # a variable (or number) sits just left of its first use, so its edge crosses no column
    for n in nodes:
        if not n.inputs and consumers[n.index]:
            depth[n.index] = min(depth[j] for j in consumers[n.index]) - 1
    columns: dict[int, list[int]] = {}
    for n in nodes:
        columns.setdefault(depth[n.index], []).append(n.index)

    def rows() -> dict[int, float]:
        out = {}
        for col in columns.values():
            top = (len(col) - 1) / 2
            for k, i in enumerate(col):
                out[i] = top - k
        return out

    for _ in range(3):
        pos = rows()
        for d in sorted(columns)[1:]:
            columns[d].sort(key=lambda i: -sum(pos[j] for j in g.nodes[i].inputs)
                            / max(len(g.nodes[i].inputs), 1))
            pos = rows()
        for d in sorted(columns, reverse=True):
            def pull(i):
                users = consumers[i]
                return -sum(pos[j] for j in users) / len(users) if users else 0.0
            if d < max(columns):
                columns[d].sort(key=pull)
                pos = rows()
    pos = rows()
    return {i: (float(depth[i]), pos[i]) for i in depth}

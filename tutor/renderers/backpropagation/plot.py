"""A picture of the graph (matplotlib) and the same graph as Graphviz DOT text.

Nodes show their forward value and their gradient ∂L/∂(node); edges point the way the forward
pass goes and carry the local derivative the backward pass multiplies by.  Files are written
whole (a temporary file, then a rename).  The words follow the language (the DOT text too,
as UTF-8); a Chinese plot needs a CJK font, without one its labels are drawn in English.
"""

from __future__ import annotations

import logging

from tutor.backpropagation.backprop import Backprop
from tutor.files import write_text
from tutor.i18n import _, speaking
from tutor.renderers.backpropagation.layout import layout
from tutor.renderers.backpropagation.text import ancestors, label, operation, role
from tutor.renderers.fonts import plot_language
from tutor.renderers.notation import text
from tutor.renderers.figures import save_figure
from tutor.renderers.numbers import fmt

COLOURS = {"input": "#dbe9f6", "parameter": "#fde2c4", "target": "#e6e6e6",
           "operation": "#ffffff", "output": "#d5efd5"}


def _node_lines(bp: Backprop, node, out_name: str) -> tuple[str, list[str]]:
    if node.is_variable:
        head = f"{label(node.name)}  ({role(node.role)})"
    elif node.is_constant:
        head = label(node.name)
    else:
        head = f"{label(node.name)} = {text(node.formula)}"
    lines = [_("value {value}").format(value=fmt(bp.value(node)))]
    if not node.is_constant:
        lines.append(f"∂{label(out_name)}/∂{label(node.name)} = {fmt(bp.adjoint(node))}")
    return head, lines


def _kind(bp: Backprop, node) -> str:
    if node.index == bp.graph.outputs[bp.output]:
        return "output"
    if node.is_variable:
        return node.role or "input"
    return "operation"


def plot_graph(bp: Backprop, path: str) -> str:
    """Draw the graph to ``path``.  Returns a note for the user, or "" (labels in Chinese need
    a CJK font; without one they are drawn in English, and the note says so)."""
    import matplotlib

    matplotlib.use("Agg")

    lang, rc, note = plot_language()
    # a font with one weight makes matplotlib log "failed to find font weight bold"
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with speaking(lang), matplotlib.rc_context(rc):
        _draw_graph(bp, path)
    return note


def _draw_graph(bp: Backprop, path: str) -> None:
    import matplotlib.pyplot as plt

    g = bp.graph
    out_name = g.output_names[bp.output]
    pos = layout(bp)
    ncols = int(max(x for x, _y in pos.values())) + 1
    nrows = max(sum(1 for x, _y in pos.values() if x == c) for c in range(ncols))
    dx, dy = 3.2, 1.45
    fig, ax = plt.subplots(figsize=(max(6.0, 2.7 * ncols + 0.8), max(3.0, 1.25 * nrows + 1.2)))
    xy = {i: (x * dx, y * dy) for i, (x, y) in pos.items()}
    boxes = {}
    for i, (x, y) in xy.items():
        node = g.nodes[i]
        head, lines = _node_lines(bp, node, out_name)
        t = ax.text(x, y, head + "\n" + "\n".join(lines), ha="center", va="center", fontsize=8.5,
                    zorder=3, linespacing=1.35,
                    bbox=dict(boxstyle="round,pad=0.45", fc=COLOURS[_kind(bp, node)],
                              ec="#444444", lw=0.9))
        boxes[i] = t
    xs = [p[0] for p in xy.values()]
    ys = [p[1] for p in xy.values()]
    ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.9)
    ax.axis("off")
    # the boxes' extents in data units, known once the text is laid out
    fig.canvas.draw()
    to_data = ax.transData.inverted()
    extent = {}
    for i, t in boxes.items():
        (left, bottom), (right, top) = to_data.transform(t.get_bbox_patch().get_window_extent())
        extent[i] = (left, right, bottom, top)
    for node in g.nodes:
        if node.index not in xy:
            continue
        for k, i in enumerate(node.inputs):
            start = (extent[i][1], xy[i][1])
            end = (extent[node.index][0], xy[node.index][1])
            ax.annotate("", xy=end, xytext=start, zorder=1,
                        arrowprops=dict(arrowstyle="-|>", color="#555555", lw=0.9,
                                        shrinkA=1, shrinkB=1, mutation_scale=11))
            ax.text(start[0] + 0.5 * (end[0] - start[0]), start[1] + 0.5 * (end[1] - start[1]),
                    fmt(bp.local(node, k)), fontsize=7, color="#8a3b12", ha="center",
                    va="center", zorder=2,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))
    node_word = _("node")
    where = (_("sample {number} of {count}").format(number=bp.sample + 1, count=bp.batch_size)
             if bp.batch_size > 1 else _("one point"))
    ax.set_title(f"{label(out_name)} = {text(g.output_exprs[bp.output])}   ({where})\n"
                 + _("arrows: forward pass; numbers on arrows: local derivatives, multiplied "
                     "backward into {gradient}").format(gradient=f"∂{label(out_name)}/∂({node_word})"),
                 fontsize=9)
    try:
        save_figure(fig, path)
    finally:
        plt.close(fig)


def _dot_text(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def graph_dot(bp: Backprop) -> str:
    g = bp.graph
    out_name = g.output_names[bp.output]
    keep = ancestors(bp)
    lines = [f'digraph "{_dot_text(out_name)}" {{', "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9, fontcolor="#8a3b12"];']
    for node in g.nodes:
        if node.index not in keep:
            continue
        head, body = _node_lines(bp, node, out_name)
        text_ = "\\n".join(_dot_text(s) for s in [head, *body])
        op = operation(node.op)
        tooltip = f', tooltip="{_dot_text(op)}"' if op else ""
        lines.append(f'  n{node.index} [label="{text_}", fillcolor="{COLOURS[_kind(bp, node)]}"{tooltip}];')
    for node in g.nodes:
        if node.index not in keep:
            continue
        for k, i in enumerate(node.inputs):
            local = f"∂{label(node.name)}/∂{label(g.nodes[i].name)} = {fmt(bp.local(node, k))}"
            lines.append(f'  n{i} -> n{node.index} [label="{_dot_text(local)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_dot(bp: Backprop, path: str) -> None:
    write_text(path, graph_dot(bp))

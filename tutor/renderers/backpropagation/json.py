"""A backpropagation as JSON: the forward and backward tables, the gradients and their checks.

Formulas are plain SymPy strings; adjoints are written ``bar(z)`` for z̄ and local derivatives
``d(a)/d(z)``.  Numbers are floats (``null`` where undefined); the tables hold the chosen
sample, and ``batch`` the per-sample values when there are several.
"""

from __future__ import annotations

import json
import math

import numpy as np
import sympy

from tutor.backpropagation.backprop import Backprop
from tutor.i18n import shown
from tutor.renderers.backpropagation.text import ancestors


def _number(v) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _numbers(a) -> list:
    return [_number(v) for v in np.ravel(a)]


def backprop_dict(bp: Backprop) -> dict:
    g = bp.graph
    needed = ancestors(bp)
    out = g.nodes[g.outputs[bp.output]]
    many = bp.batch_size > 1
    forward = []
    for node in g.nodes:
        if node.index not in needed:
            continue
        row = {"node": node.name, "op": node.op,
               "formula": node.role if node.is_variable else sympy.sstr(node.formula),
               "inputs": [g.nodes[i].name for i in node.inputs],
               "value": _number(bp.value(node))}
        if many:
            row["batch"] = _numbers(np.broadcast_to(bp.forward.values[node.index], bp.forward.shape))
        forward.append(row)
    backward = [{"node": out.name, "local": None, "adjoint": "1", "value": _number(bp.adjoint(out))}]
    for node in reversed(g.nodes):
        if node.index not in needed or node is out or node.is_constant:
            continue
        local, terms, local_values = [], [], []
        for ci, k in g.consumers(node.index):
            if ci not in needed:
                continue
            c = g.nodes[ci]
            local.append(f"d({c.name})/d({node.name}) = {sympy.sstr(c.local_formulas[k])}")
            local_values.append(_number(bp.local(c, k)))
            terms.append(f"bar({c.name})*d({c.name})/d({node.name})")
        row = {"node": node.name, "local": "; ".join(local), "local_values": local_values,
               "adjoint": " + ".join(terms), "value": _number(bp.adjoint(node))}
        if many:
            row["batch"] = _numbers(np.broadcast_to(bp.adjoints[node.index], bp.forward.shape))
        backward.append(row)
    checks = {}
    for c in bp.checks:
        checks[c.name] = {"backprop": _number(bp.at(c.backprop)),
                          "symbolic": _number(bp.at(c.symbolic)),
                          "finite_difference": _number(bp.at(c.finite_difference)),
                          "symbolic_derivative": sympy.sstr(c.symbolic_expr)}
    result = {
        "lesson": bp.lesson.name,
        "output": g.output_names[bp.output],
        "expression": sympy.sstr(g.output_exprs[bp.output]),
        "at": {n: _number(bp.at(a)) for n, a in bp.values.items()},
        "sample": bp.sample + 1,
        "batch_size": bp.batch_size,
        "forward": forward,
        "backward": backward,
        "gradients": bp.gradients,
        "checks": checks,
        "max_relative_error": _number(bp.max_error),
        "agreement": bp.agreement.value,
        "agreement_at": [v.value for v in bp.sample_verdicts],
        "notes": [{"node": n.node, "samples": [k + 1 for k in n.samples], "message": n.message}
                  for n in bp.notes],
        # add, max/min, multiply and fork: what each passes back (winner: the max's input)
        "gates": [{"kind": gate.kind, "node": gate.node, "inputs": list(gate.inputs),
                   "adjoint": _number(gate.adjoint),
                   **({"winner": gate.winner} if gate.winner else {}),
                   **({"values": [_number(v) for v in gate.values]} if gate.values else {})}
                  for gate in bp.gates],
    }
    if bp.batch_gradients:
        result["batch_gradients"] = {"reduce": bp.reduce or "mean", **bp.batch_gradients}
    if bp.defaulted:
        result["defaulted"] = bp.defaulted
    if bp.stable_form:
        result["stable_form"] = True
    return result


def backprop_json(bp: Backprop) -> str:
    return json.dumps(backprop_dict(bp), indent=2, ensure_ascii=False)


def topic_dict(topic) -> dict:
    """The topic's blocks.  Sentences (title, text, notes) are in the current language; the
    labels a script reads (matrices, rows, columns, checks) stay English."""
    from tutor.backpropagation.jacobian import Check, Line, Matrix

    blocks = []
    for b in topic.blocks:
        if isinstance(b, Matrix):
            d = {"matrix": str(b.label), "values": np.vectorize(_number, otypes=[object])(
                np.asarray(b.values)).tolist()}
            if b.rows:
                d["rows"] = [str(r) for r in b.rows]
            if b.columns:
                d["columns"] = [str(c) for c in b.columns]
            if b.note:
                d["note"] = shown(b.note)
            blocks.append(d)
        elif isinstance(b, Check):
            blocks.append({"check": str(b.label), "first": str(b.first), "second": str(b.second),
                           "max_relative_difference": _number(b.error), "ok": b.ok})
        elif isinstance(b, Line):
            blocks.append({"text": shown(b.text), "kind": b.style or "text"})
    result = {"topic": topic.name, "title": shown(topic.title), "blocks": blocks}
    if getattr(topic, "data", None):
        result.update(topic.data)
    if getattr(topic, "runs", None):
        # backprop deep: each network's numbers per layer, for scripts
        result["runs"] = [run.as_dict() for run in topic.runs]
    return result


def topic_json(topic) -> str:
    return json.dumps(topic_dict(topic), indent=2, ensure_ascii=False)

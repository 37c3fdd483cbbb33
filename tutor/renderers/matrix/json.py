"""Matrix derivations and verdicts as JSON.  Every expression is given in the notation the
tutor reads (``X.T @ (X @ w - y) / n``), so a script can evaluate it with NumPy or give it back
to ``tutor matrix check``; the text and LaTeX forms are beside it."""

from __future__ import annotations

import json
import math

from tutor.matrix.check import MatrixVerdict
from tutor.matrix.derive import MatrixDerivation
from tutor.matrix.explain import MatrixExplanation


def _numbers(a):
    if isinstance(a, list):
        return [_numbers(x) for x in a]
    v = float(a)
    return v if math.isfinite(v) else None


def _error(e):
    return None if e is None or not math.isfinite(e) else e


def _expr(node) -> dict:
    if node.kind == "raw":  # an answer as typed, whose parts do not fit together
        return {"code": node.value, "text": node.value, "latex": None, "shape": None}
    return {"code": node.code(), "text": node.text({}), "latex": node.latex({}),
            "shape": list(node.shape)}


def derivation_dict(d: MatrixDerivation) -> dict:
    steps = []
    for s in d.steps:
        step = {"rule": s.rule, "label": d.label(s), "target": _expr(s.target),
                "result": _expr(s.result), "shown": d.text(s.result),
                "terms": [{"label": t.label, "shape": list(t.shape)} for t in s.terms
                          if t.label != "→"],
                "max_rel_error": _error(s.error)}
        if s.through is not None:
            step["through"] = _expr(s.through)
        if s.formula is not None:
            step["rule_applied"] = d.text(s.formula)
        if s.note:
            step["note"] = s.note
        steps.append(step)
    return {"wrt": d.wrt, "shape": list(d.shape), "result": d.result.code(),
            "text": d.result.text({}), "shown": d.text(d.result), "latex": d.result.latex({}),
            "steps": steps,
            "numeric": {"gradient": _numbers(d.gradient.tolist()),
                        "finite_difference": _numbers(d.finite_difference.tolist()),
                        "max_rel_error": _error(d.max_rel_error),
                        **({"sympy": None if d.second is None else
                            {"gradient": _numbers(d.second.tolist()),
                             "max_rel_error": _error(d.second_error)}}
                           if d.second_asked else {})}}


def matrix_json(result: MatrixExplanation) -> str:
    p = result.problem
    out = {"lesson": p.name or None, "expression": p.expression.code(),
           "function": p.function,
           "shapes": {name: list(shape) for name, shape in p.declared.shapes.items()},
           "scalars": p.scalars(),
           "names": {name: read for name, read in p.where_code()},
           "sizes": result.sizes, "seed": result.seed, "given": list(result.given),
           "layout": "a gradient has the shape of its variable",
           "values": {k: _numbers(v.tolist()) for k, v in result.values.items()},
           "derivatives": [derivation_dict(d) for d in result.derivations]}
    return json.dumps(out, ensure_ascii=False, indent=1)


def verdict_json(v: MatrixVerdict) -> str:
    out = {"correct": v.correct, "diagnosis": v.kind, "message": v.message, "wrt": v.wrt,
           "answer": _expr(v.answer), "expected": _expr(v.expected),
           "max_rel_error": _error(v.max_rel_error), "sizes": v.sizes}
    if v.entry is not None:
        out["counterexample"] = {"entry": list(v.entry), "yours": v.yours, "right": v.right}
    return json.dumps(out, ensure_ascii=False, indent=1)

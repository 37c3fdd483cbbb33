"""Explanations as JSON, for scripts and graders.

Expressions are plain SymPy strings with elementary functions only (σ written out), so any
SymPy can read them back; numbers are floats, with ``null`` where a value is undefined.
"""

from __future__ import annotations

import json
import math

import sympy

from tutor.explaining.explanation import Explanation, Item
from tutor.calculus.functions import elementary
from tutor.renderers.notation import latex
from tutor.calculus.steps import Step


def _plain(expr) -> str:
    return sympy.sstr(elementary(expr))


def _numbers(a):
    if isinstance(a, (list, tuple)):
        return [_numbers(x) for x in a]
    v = float(a)
    return v if math.isfinite(v) else None


def _step(depth: int, step: Step) -> dict:
    out = {"rule": step.rule, "depth": depth, "before": sympy.sstr(step.before),
           "after": sympy.sstr(step.after)}
    if step.wrt is not None:
        out["wrt"] = step.wrt.name
    if step.bindings:
        out["where"] = {sympy.sstr(s): sympy.sstr(e) for s, e in step.bindings}
    if step.note:
        out["note"] = step.note
    if step.paths:
        out["chain"] = [[sympy.sstr(s) for s in path] for path in step.paths]
    return out


def _item(item: Item, names) -> dict:
    d = item.derivation
    return {
        "result": _plain(item.elementary),
        "recognised": sympy.sstr(d.result),
        "latex": latex(d.result, names),
        "steps": [_step(depth, s) for depth, s in d.steps()],
    }


def explanation_dict(exp: Explanation) -> dict:
    lesson = exp.lesson
    names = {n.symbol: n.latex for n in lesson.named if n.latex}
    variables = sorted({s.name for out in lesson.outputs for s in out.free_symbols})
    out = {
        "lesson": lesson.name,
        "title": lesson.title,
        "expression": (_plain(lesson.outputs[0]) if not lesson.is_vector
                       else [_plain(e) for e in lesson.outputs]),
        "variables": variables,
        "derivatives": [],
    }
    if not lesson.is_vector:
        for item in exp.items:
            entry = {"wrt": item.derivation.wrt.name, **_item(item, names)}
            check = item.numeric
            entry["numeric"] = {
                "at": {k: _numbers(v) for k, v in check.at.items()},
                "value": _numbers(check.value),
                "derivative": _numbers(check.derivative),
                "finite_difference": _numbers(check.finite_difference),
                "max_rel_error": _numbers(check.max_rel_error),
                "agreement": check.verdict.value,
                "agreement_at": [v.value for v in check.verdicts],
            }
            if item.batch_value is not None:
                entry["numeric"][lesson.reduce] = item.batch_value
            out["derivatives"].append(entry)
        return out

    # a vector function: one entry holding the Jacobian, rows = outputs, columns = wrt
    rows = range(len(lesson.outputs))
    grid = [[exp.item(i, w) for w in exp.wrt] for i in rows]
    first = grid[0][0].numeric
    jac = {
        "wrt": [w.name for w in exp.wrt],
        "result": [[_plain(it.elementary) for it in row] for row in grid],
        "recognised": [[sympy.sstr(it.derivation.result) for it in row] for row in grid],
        "latex": [[latex(it.derivation.result, names) for it in row]
                  for row in grid],
        "steps": [[[_step(d, s) for d, s in it.derivation.steps()] for it in row] for row in grid],
        "numeric": {
            "at": {k: _numbers(v) for k, v in first.at.items()},
            "value": [_numbers(row[0].numeric.value) for row in grid],
            "derivative": [[_numbers(it.numeric.derivative) for it in row] for row in grid],
            "finite_difference": [[_numbers(it.numeric.finite_difference) for it in row]
                                  for row in grid],
            "max_rel_error": _numbers(max(it.numeric.max_rel_error for row in grid for it in row)),
            "agreement": exp.agreement.value,
        },
    }
    if lesson.general_text:
        jac["general"] = lesson.general_text
    out["derivatives"].append(jac)
    return out


def explanation_json(exp: Explanation) -> str:
    return json.dumps(explanation_dict(exp), indent=2, ensure_ascii=False)

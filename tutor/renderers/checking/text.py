"""Verdicts of ``tutor check`` for the terminal, and their JSON form.

Nothing here decides anything: the verdict, the diagnosis, the point and the hint all come
from :mod:`tutor.checking.check`; this module only lays them out.
"""

from __future__ import annotations

import json
import math

import sympy
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tutor.renderers.console import console as new_console
from tutor.checking.check import ClaimVerdict, Verdict
from tutor.calculus.functions import elementary
from tutor.i18n import N_, _
from tutor.calculus.steps import Derivation
from tutor.renderers.notation import RULE_NAMES, text
from tutor.renderers.numbers import fmt, fmt_input
from tutor.renderers.notation import HIDDEN_RULES, operand, step_lines


def _label(v: Verdict | ClaimVerdict) -> str:
    name = text(sympy.Symbol(v.name)) if v.name else "f"
    return f"∂{name}/∂{text(v.wrt)}"


#: the kinds of mistake (``Diagnosis.kind``, English in JSON) as the verdict names them
KIND_LINES = {
    "sign": N_("sign: {detail}"),
    "constant_factor": N_("constant factor: {detail}"),
    "missing_chain_factor": N_("missing chain factor: {detail}"),
    "extra_or_missing_term": N_("extra or missing term: {detail}"),
    "wrong_variable": N_("wrong variable: {detail}"),
    "other": N_("other: {detail}"),
}


def diagnosis_line(diagnosis) -> str:
    """"kind: what the mistake is", in the current language."""
    detail = diagnosis.describe(text)
    template = KIND_LINES.get(diagnosis.kind)
    if template is None:
        return f"{diagnosis.kind.replace('_', ' ')}: {detail}"
    return _(template).format(detail=detail)


def _number(v: float | None) -> str:
    if v is None:
        return _("undefined")
    return fmt(v)


def _at(at: dict) -> str:
    parts = []
    for name, value in at.items():
        shown = text(sympy.Symbol(name))
        if isinstance(value, (list, tuple)):
            parts.append(f"{shown} = [{', '.join(fmt_input(x) for x in value)}]")
        else:
            parts.append(f"{shown} = {fmt_input(value)}")
    return ", ".join(parts)


def shown_step_number(derivation: Derivation, index: int) -> int:
    """The number the step at ``index`` of ``derivation.steps()`` has in the printed
    derivation (trivial steps are not printed; a hidden one is shown by its parent)."""
    number = 0
    for k, (depth, step) in enumerate(derivation.steps()):
        if depth > 0 and step.rule in HIDDEN_RULES:
            if k == index:
                return max(number, 1)
            continue
        number += 1
        if k == index:
            return number
    return 1


def _hint_parts(v: Verdict) -> tuple[int, str, str] | None:
    """(shown step number, statement, rule name) of the verdict's hint."""
    if v.hint is None or v.derivation is None:
        return None
    step = v.hint.step
    number = shown_step_number(v.derivation, v.hint.index)
    if step.is_rewrite:
        statement = "= " + text(step.after)
    else:
        statement = f"d/d{text(step.wrt)} {operand(step.before)} = {text(step.after)}"
    return number, statement, _(RULE_NAMES.get(step.rule, step.rule))


def hint_line(v: Verdict) -> str | None:
    """"step N: statement   (rule)", the hint row of the verdict."""
    parts = _hint_parts(v)
    if parts is None:
        return None
    number, statement, rule = parts
    return _("step {number}: {statement}   ({rule})").format(number=number, statement=statement,
                                                            rule=rule)


def derivation_table(derivation: Derivation) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column(justify="right", style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(style="cyan", no_wrap=True)
    for number, indent, statement, rule, notes in step_lines(derivation.steps()):
        table.add_row(str(number), Text(indent + statement), Text(rule))
        for note in notes:
            table.add_row("", Text(indent + "  " + note, style="dim"), "")
    return table


class _Rows(Table):
    """Label and value rows; values are plain text, never rich markup ([z > 0] is math)."""

    def add_row(self, *cells, **kwargs):
        super().add_row(*[Text(c) if isinstance(c, str) else c for c in cells], **kwargs)


def render_verdict(v: Verdict, console: Console | None = None, *, reveal: bool = False,
                   hint: bool = True) -> None:
    """The verdict; ``reveal`` adds the whole derivation, ``hint=False`` leaves out the hint
    (the quiz gives hints only when asked)."""
    c = console or new_console()
    label = _label(v)
    rows = _Rows(box=None, show_header=False, pad_edge=True, padding=(0, 2, 0, 2))
    rows.add_column(no_wrap=True)
    rows.add_column(overflow="fold")
    expected = text(v.expected)
    if v.expected_elementary is not None and v.expected_elementary != v.expected:
        plain = text(v.expected_elementary)
        used = [n for n in v.named if v.expected.has(n.symbol)]
        if len(plain) <= 40 or not used:
            expected += f"   (= {plain})"
        else:
            expected += "   " + _("where {definitions}").format(definitions=", ".join(
                f"{text(n.symbol)} = {text(n.definition)}" for n in used))
    if v.correct:
        c.print(Text("✓ " + _("equal to {label}").format(label=label), style="bold green"))
        rows.add_row(_("your answer"), text(v.answer))
        rows.add_row(_("expected"), expected)
        how = (_("SymPy reduces the difference to 0, and the two agree at {points} random points")
               if v.method == "symbolic" else _("the two agree at {points} random points"))
        rows.add_row(_("checked"), how.format(points=v.points))
        c.print(rows)
    else:
        c.print(Text("✗ " + _("not equal to {label}").format(label=label), style="bold red"))
        rows.add_row(_("your answer"), text(v.answer) if v.answer is not None else v.answer_text)
        rows.add_row(_("expected"), expected)
        if v.diagnosis is not None:
            rows.add_row(_("diagnosis"), diagnosis_line(v.diagnosis))
        ce = v.counterexample
        if ce is not None:
            rows.add_row(_("where"), _("at {point}: expected {expected}, yours {answer}").format(
                point=_at(ce.at), expected=_number(ce.expected), answer=_number(ce.answer)))
        hint = hint_line(v) if hint else None
        if hint is not None and not reveal:
            rows.add_row(_("hint"), hint)
        c.print(rows)
        if reveal and v.derivation is not None:
            c.print(Text("\n" + _("the derivation of {label}:").format(label=label),
                         style="bold"))
            c.print(derivation_table(v.derivation))
        elif hint is not None:
            c.print(Text("  " + _("the whole derivation: add --reveal"), style="dim"))


def render_claim(v: ClaimVerdict, console: Console | None = None) -> None:
    c = console or new_console()
    label = _label(v)
    where = _at(v.at)
    over = ""
    if v.reduce:
        over = (_(" (mean over {count} samples)") if v.reduce == "mean" else
                _(" (sum over {count} samples)")).format(count=len(v.per_sample))
    value = f"{label} = {fmt(v.value)}{over}"
    if v.correct:
        c.print(Text("✓ " + _("{value}: your {claim} is right to the digits given").format(
            value=value, claim=v.claim_text), style="bold green"))
    else:
        c.print(Text("✗ " + _("{value}, not {claim}").format(value=value, claim=v.claim_text),
                     style="bold red"))
    rows = _Rows(box=None, show_header=False, pad_edge=True, padding=(0, 2, 0, 2))
    rows.add_column(no_wrap=True)
    rows.add_column(overflow="fold")
    rows.add_row(_("at"), where)
    if v.derivative is not None:
        rows.add_row(_("derivative"), text(v.derivative))
    if len(v.per_sample) > 1:
        shown = ", ".join(fmt(x) for x in v.per_sample[:12])
        if len(v.per_sample) > 12:
            shown += ", …"
        rows.add_row(_("per sample"), shown)
    if v.diagnosis is not None:
        rows.add_row(_("diagnosis"), diagnosis_line(v.diagnosis))
    c.print(rows)


# -- JSON ----------------------------------------------------------------------------------
def _float(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _values(v):
    if isinstance(v, (list, tuple)):
        return [_float(x) for x in v]
    return _float(v)


def verdict_dict(v: Verdict) -> dict:
    out = {
        "correct": v.correct,
        "wrt": v.wrt.name,
        "expected": sympy.sstr(v.expected_plain),
        "expected_form": sympy.sstr(elementary(v.expected_elementary)
                                    if v.expected_elementary is not None else v.expected_plain),
        "answer": sympy.sstr(v.answer) if v.answer is not None else None,
        "answer_text": v.answer_text,
        "diagnosis": None,
        "counterexample": None,
        "hint": None,
    }
    if v.correct:
        out["method"] = v.method
        out["points"] = v.points
    if v.diagnosis is not None:
        out["diagnosis"] = {"kind": v.diagnosis.kind,
                            "detail": v.diagnosis.describe(sympy.sstr)}
        if v.diagnosis.factor is not None:
            out["diagnosis"]["factor"] = sympy.sstr(v.diagnosis.factor)
    if v.counterexample is not None:
        ce = v.counterexample
        out["counterexample"] = {"at": {k: _float(x) for k, x in ce.at.items()},
                                 "expected": _float(ce.expected), "answer": _float(ce.answer)}
    if v.hint is not None and v.derivation is not None:
        step = v.hint.step
        out["hint"] = {"step": shown_step_number(v.derivation, v.hint.index), "rule": step.rule,
                       "before": sympy.sstr(step.before), "after": sympy.sstr(step.after)}
    return out


def claim_dict(v: ClaimVerdict) -> dict:
    out = {
        "correct": v.correct,
        "wrt": v.wrt.name,
        "expected": repr(v.value),
        "answer": v.claim_text,
        "value": _float(v.value),
        "claim": _float(v.claim),
        "tolerance": _float(v.tolerance),
        "at": {k: _values(x) for k, x in v.at.items()},
        "reduce": v.reduce,
        "per_sample": [_float(x) for x in v.per_sample],
        "diagnosis": None,
        "counterexample": None,
    }
    if v.diagnosis is not None:
        out["diagnosis"] = {"kind": v.diagnosis.kind, "detail": v.diagnosis.describe(sympy.sstr)}
        out["counterexample"] = {"at": out["at"], "expected": _float(v.value),
                                 "answer": _float(v.claim)}
    return out


def check_json(verdict: Verdict | None, claim: ClaimVerdict | None) -> str:
    """One JSON object: the answer's verdict (with a "claim" object when a number was claimed
    too), or the claim's verdict alone."""
    if verdict is None:
        return json.dumps(claim_dict(claim), ensure_ascii=False, indent=2)
    out = verdict_dict(verdict)
    if claim is not None:
        out["claim"] = claim_dict(claim)
        out["correct"] = verdict.correct and claim.correct
    return json.dumps(out, ensure_ascii=False, indent=2)

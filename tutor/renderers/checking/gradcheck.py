"""Reports of ``tutor gradcheck`` for the terminal and as JSON (layout only)."""

from __future__ import annotations

import json
import math

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tutor.renderers.console import console as new_console
from tutor.checking.gradcheck import GOOD, WRONG, GradReport
from tutor.i18n import N_, _
from tutor.renderers.numbers import fmt, fmt_error
from tutor.renderers.prose import Prose

_MARK = {"good": ("✓", N_("good"), "green"), "suspicious": ("?", N_("suspicious"), "yellow"),
         "wrong": ("✗", N_("wrong"), "red")}


def render_gradcheck(report: GradReport, target: str, console: Console | None = None, *,
                     worst: int = 5) -> None:
    c = console or new_console()
    head = Text()
    head.append(f"gradcheck {target}", style="bold")
    head.append("   " + _("loss = {loss}, central differences in float64")
                .format(loss=fmt(report.loss)), style="dim")
    c.print(head)
    if report.autograd:
        c.print(Prose(_("{name} is a custom autograd function: its output is not a scalar, so "
                        "it is checked through L = Σ v ⊙ forward(…) for a fixed random v, whose "
                        "gradient is backward(v), the vector-Jacobian product a backward pass "
                        "computes").format(name=report.autograd), style="dim"))
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    for col, justify in ((_("input"), "left"), (_("shape"), "left"), (_("checked"), "right"),
                         (_("max rel. error"), "right"), (_("verdict"), "left")):
        table.add_column(col, justify=justify, no_wrap=True)
    for p in report.params:
        mark, word, style = _MARK[p.status]
        checked = (_("{checked} of {total}") if p.checked == p.total
                   else _("{checked} of {total} (random)")).format(checked=p.checked,
                                                                   total=p.total)
        table.add_row(p.name, str(p.shape), checked, fmt_error(p.max_error),
                      Text(f"{mark} {_(word)}", style=style))
    c.print(table)
    kinks = [e for p in report.params for e in p.entries if e.kink and e.error < GOOD]
    for e in kinks[:3]:
        c.print(Prose(_("{entry} sits at a kink: your gradient {yours} lies between the slopes "
                        "from the left, {left}, and from the right, {right}: a valid choice "
                        "(a subgradient), not an error").format(
            entry=e.label, yours=fmt(e.analytic), left=fmt(e.left), right=fmt(e.right))))
    bad = [e for e in report.worst(worst) if e.error >= GOOD]
    if bad:
        c.print(Text(_("worst entries"), style="bold"))
        rows = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
        for col, justify in ((_("entry"), "left"), (_("your gradient"), "right"),
                             (_("finite diff."), "right"), (_("rel. error"), "right"),
                             ("", "left")):
            rows.add_column(col, justify=justify, no_wrap=True)
        for e in bad:
            rows.add_row(e.label, fmt(e.analytic), fmt(e.numeric), fmt_error(e.error),
                         _("at a kink") if e.kink else "")
        c.print(rows)
    for p in report.params:
        if p.pattern:
            c.print(Text(f"{p.name}: {p.pattern}", style="bold"))
    c.print(Prose(_("relative error |a − n| / max(|a|, |n|): below {good} good, {good} … {wrong} "
                   "suspicious, above {wrong} wrong; gradients smaller than {floor} are compared "
                   "on that scale. At a kink (ReLU at 0, max, |x|) any slope between the "
                   "one-sided differences is right. Errors up to {tolerance} pass "
                   "(--tolerance).").format(good=_e(GOOD), wrong=_e(WRONG),
                                            floor=f"{report.floor:.1e}",
                                            tolerance=f"{report.tolerance:g}"), style="dim"))


def _e(v: float) -> str:
    return f"1e{round(math.log10(v))}"


def _f(v):
    v = float(v)
    return v if math.isfinite(v) else None


def gradcheck_json(report: GradReport, target: str) -> str:
    return json.dumps({
        "target": target,
        **({"autograd": report.autograd} if report.autograd else {}),
        "ok": report.ok,
        "status": report.status,
        "loss": _f(report.loss),
        "thresholds": {"good": GOOD, "wrong": WRONG, "floor": report.floor,
                       "tolerance": report.tolerance},
        "inputs": [{
            "name": p.name, "shape": list(p.shape), "checked": p.checked, "total": p.total,
            "max_error": _f(p.max_error), "status": p.status, "pattern": p.pattern or None,
            "worst": [{"index": list(e.index), "analytic": _f(e.analytic),
                       "numeric": _f(e.numeric), "error": _f(e.error), "kink": e.kink,
                       **({"left": _f(e.left), "right": _f(e.right)} if e.kink else {})}
                      for e in sorted(p.entries, key=lambda e: -e.error)[:5]],
            "kinks": [{"index": list(e.index), "analytic": _f(e.analytic), "left": _f(e.left),
                       "right": _f(e.right), "error": _f(e.error)}
                      for e in p.entries if e.kink][:20],
        } for p in report.params],
    }, indent=2)

"""Reports of ``tutor gradcheck`` for the terminal and as JSON (layout only)."""

from __future__ import annotations

import json
import math

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..gradcheck import GOOD, WRONG, GradReport
from .text import fmt, fmt_error

_MARK = {"good": ("✓ good", "green"), "suspicious": ("? suspicious", "yellow"),
         "wrong": ("✗ wrong", "red")}


def render_gradcheck(report: GradReport, target: str, console: Console | None = None, *,
                     worst: int = 5) -> None:
    c = console or Console(highlight=False)
    head = Text()
    head.append(f"gradcheck {target}", style="bold")
    head.append(f"   loss = {fmt(report.loss)}, central differences in float64", style="dim")
    c.print(head)
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    for col, justify in (("input", "left"), ("shape", "left"), ("checked", "right"),
                         ("max rel. error", "right"), ("verdict", "left")):
        table.add_column(col, justify=justify, no_wrap=True)
    for p in report.params:
        label, style = _MARK[p.status]
        checked = f"{p.checked} of {p.total}" + ("" if p.checked == p.total else " (random)")
        table.add_row(p.name, str(p.shape), checked, fmt_error(p.max_error),
                      Text(label, style=style))
    c.print(table)
    bad = [e for e in report.worst(worst) if e.error >= GOOD]
    if bad:
        c.print(Text("worst entries", style="bold"))
        rows = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
        for col in ("entry", "your gradient", "finite diff.", "rel. error", ""):
            rows.add_column(col, justify="right" if col not in ("entry", "") else "left",
                            no_wrap=True)
        for e in bad:
            rows.add_row(e.label, fmt(e.analytic), fmt(e.numeric), fmt_error(e.error),
                         "kink nearby" if e.kink else "")
        c.print(rows)
    for p in report.params:
        if p.pattern:
            c.print(Text(f"{p.name}: {p.pattern}", style="bold"))
    c.print(Text(f"relative error |a − n| / max(|a|, |n|): below {_e(GOOD)} good, "
                 f"{_e(GOOD)} … {_e(WRONG)} suspicious, above {_e(WRONG)} wrong; gradients "
                 f"smaller than {report.floor:.1e} are compared on that scale. Near a kink "
                 "(ReLU at 0, max, |x|) finite differences are unreliable.", style="dim"))


def _e(v: float) -> str:
    return f"1e{round(math.log10(v))}"


def _f(v):
    v = float(v)
    return v if math.isfinite(v) else None


def gradcheck_json(report: GradReport, target: str) -> str:
    return json.dumps({
        "target": target,
        "ok": report.ok,
        "status": report.status,
        "loss": _f(report.loss),
        "thresholds": {"good": GOOD, "wrong": WRONG, "floor": report.floor},
        "inputs": [{
            "name": p.name, "shape": list(p.shape), "checked": p.checked, "total": p.total,
            "max_error": _f(p.max_error), "status": p.status, "pattern": p.pattern or None,
            "worst": [{"index": list(e.index), "analytic": _f(e.analytic),
                       "numeric": _f(e.numeric), "error": _f(e.error), "kink": e.kink}
                      for e in sorted(p.entries, key=lambda e: -e.error)[:5]],
        } for p in report.params],
    }, indent=2)

"""Matrix derivations as Markdown: a table of steps with their rules, shapes and checks."""

from __future__ import annotations

from tutor.i18n import _
from tutor.matrix.explain import MatrixExplanation
from tutor.renderers.notation import paragraph
from tutor.renderers.numbers import fmt_error


def _cell(s: str) -> str:
    return s.replace("|", "\\|")


def _shape(shape) -> str:
    return "×".join(shape) if shape else _("scalar")


def matrix_markdown(result: MatrixExplanation) -> str:
    p = result.problem
    lines = [f"# {p.say('title') or p.function}", "", f"`{p.function} = {p.expression.text()}`", ""]
    if p.say("intro"):
        lines += [paragraph(p.say("intro")), ""]
    shapes = ", ".join(f"{name} {_shape(shape)}" for name, shape in p.declared.shapes.items())
    sizes = ", ".join(f"{k} = {v}" for k, v in result.sizes.items())
    lines += [f"**{_('shapes')}** {shapes}; **{_('sizes')}** {sizes}", ""]
    if p.aliases:
        lines += [f"**{_('where')}** " + ", ".join(f"{n} = {b}" for n, b in p.where()), ""]
    lines += [
              _("layout: a gradient has the shape of its variable, as PyTorch's .grad; each "
                "step is checked by central differences on these matrices"), ""]
    for d in result.derivations:
        lines += [f"## ∂{d.function}/∂{d.wrt}", "",
                  f"| | {_('step')} | {_('shape')} | {_('rule')} | {_('check')} |",
                  "|---|---|---|---|---|"]
        for k, s in enumerate(d.steps, 1):
            body = f"{d.label(s)} = " + (f"{d.text(s.formula)} = " if s.formula else "") \
                + d.text(s.result)
            check = "" if s.error is None else ("✓ " if s.error < 1e-6 else "✗ ") + fmt_error(s.error)
            lines.append(f"| {k} | {_cell(body)} | {s.target.shape_label()} | {_(s.name)} | {check} |")
        lines += ["", f"**∂{d.function}/∂{d.wrt} = {_cell(d.text(d.result))}** "
                      f"({_shape(d.shape)}); `{d.result.code()}`", "",
                  _("max relative error {error}").format(error=fmt_error(d.max_rel_error)), ""]
    if p.say("insight"):
        lines += [f"**{_('insight')}** {paragraph(p.say('insight'))}", ""]
    return "\n".join(lines).rstrip() + "\n"

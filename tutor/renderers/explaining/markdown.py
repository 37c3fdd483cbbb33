"""Explanations as Markdown with ``$…$`` math (for notes, notebooks and worksheets)."""

from __future__ import annotations

from tutor.explaining.explanation import Explanation
from tutor.i18n import N_, _
from tutor.calculus.steps import Derivation, Step
from tutor.renderers.explaining.latex import latex_name, step_latex
from tutor.renderers.notation import RULE_NAMES, chain_latex, latex, paragraph, visible_steps
from tutor.renderers.numbers import agreement_sentence, numeric_rows
from tutor.renderers.prose import plain


def _step_line(depth: int, number: int, step: Step, names) -> str:
    indent = "   " * depth
    line = f"{indent}{number}. ${step_latex(step, names)}$ — *{_(RULE_NAMES.get(step.rule, step.rule))}*"
    if step.paths:
        line += f": ${chain_latex(step, names)}$"
    for sym, expr in step.bindings:
        line += "; " + _("where {binding}").format(binding=f"${latex(sym)} = {latex(expr, names)}$")
    if step.note:
        line += f" ({step.note})"
    return line


def derivation_markdown(d: Derivation, names=None) -> str:
    names = names or {}
    lines = []
    # numbered as the terminal numbers them (d/dx x = 1 and constants are not shown), so a
    # hint's "step 6" is the same line in every format
    for k, (depth, step) in enumerate(visible_steps(d), start=1):
        lines.append(_step_line(0, k, step, names) if depth == 0 else
                     _step_line(0, k, step, names).replace(f"{k}. ", f"{k}. {'↳ ' * depth}", 1))
    return "\n".join(lines)


def explanation_markdown(exp: Explanation) -> str:
    lesson = exp.lesson
    names = {n.symbol: n.latex for n in lesson.named if n.latex}
    out = [f"# {lesson.title}", ""]
    if lesson.summary:
        out += [f"*{lesson.summary}*", ""]
    if lesson.is_vector:
        out += [f"`{lesson.function_name}_i = {lesson.expression_text}`", ""]
    else:
        out += [f"$${lesson.function_latex} = {latex(lesson.outputs[0])}$$", ""]
    if lesson.text.get("intro"):
        out += [paragraph(lesson.text["intro"]), ""]
    for item in exp.items:
        d = item.derivation
        out += [f"## $\\partial {latex_name(d.name)} / \\partial {latex(d.wrt)}$", ""]
        out += [derivation_markdown(d, names), ""]
        out += [_("Result: {result}").format(result=f"${latex(d.result, names)}$"), ""]
        check = item.numeric
        cols = list(check.at)
        out.append("| " + " | ".join(cols + [_("value"), _("derivative"), _("finite diff."),
                                             _("rel. error")]) + " |")
        out.append("|" + "---:|" * (len(cols) + 4))
        for row in numeric_rows(check, cols):
            out.append("| " + " | ".join(row) + " |")
        sentence, _good = agreement_sentence(check, d.wrt.name, lambda n: f"${latex(lesson.symbols[n], names)}$")
        out += ["", plain(sentence), ""]
    if lesson.general_text:
        heading = _("General form:")
        out += [f"**{heading}** `∂{lesson.function_name}_i/∂z_j = {lesson.general_text}`"
                + (f" — {lesson.matrix_text}" if lesson.matrix_text else ""), ""]
    for key, heading in (("batch", N_("Over a batch")), ("insight", N_("Insight"))):
        if lesson.text.get(key):
            out += [f"**{_(heading)}.** " + paragraph(lesson.text[key]), ""]
    return "\n".join(out).rstrip() + "\n"


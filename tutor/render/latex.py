"""Explanations as a complete LaTeX document (compiles with pdflatex)."""

from __future__ import annotations


from ..explanation import Explanation
from ..steps import Derivation, Step
from .notation import RULE_NAMES, latex
from .text import numeric_rows


def step_latex(step: Step, names=None) -> str:
    names = names or {}
    if step.is_rewrite:
        return "= " + latex(step.after, names)
    return (rf"\frac{{d}}{{d{latex(step.wrt)}}}\left({latex(step.before, names)}\right) = "
            + latex(step.after, names))


def _escape(s: str) -> str:
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
    return "".join(table.get(ch, ch) for ch in s)


def derivation_latex(d: Derivation, names=None) -> str:
    rows = []
    for depth, step in d.steps():
        rule = _escape(RULE_NAMES.get(step.rule, step.rule))
        rows.append(rf"\hspace{{{1.5 * depth}em}} {step_latex(step, names)} && \text{{{rule}}}")
    return r"\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}"


_UNICODE = {"σ": r"$\sigma$", "−": "-", "·": r"$\cdot$", "′": "'", "²": r"$^2$", "½": r"$\frac12$",
            "¼": r"$\frac14$", "Σ": r"$\Sigma$", "δ": r"$\delta$", "ŷ": r"$\hat y$",
            "ᵀ": r"$^T$", "→": r"$\to$", "≥": r"$\ge$", "≤": r"$\le$", "∂": r"$\partial$",
            "ᵢ": r"$_i$", "ⱼ": r"$_j$", "×": r"$\times$", "η": r"$\eta$", "λ": r"$\lambda$"}


def prose(s: str) -> str:
    """Narrative text for LaTeX: special characters escaped, common math symbols mapped."""
    out = _escape(" ".join(s.split()))
    for k, v in _UNICODE.items():
        out = out.replace(k, v)
    return out


def explanation_latex(exp: Explanation) -> str:
    lesson = exp.lesson
    names = {n.symbol: n.latex for n in lesson.named if n.latex}
    out = [r"\documentclass[11pt]{article}", r"\usepackage[utf8]{inputenc}",
           r"\usepackage{amsmath,amssymb}", r"\usepackage[margin=2cm]{geometry}",
           r"\begin{document}", rf"\section*{{{prose(lesson.title)}}}"]
    if lesson.summary:
        out.append(rf"\emph{{{prose(lesson.summary)}}}")
    if not lesson.is_vector:
        out.append(rf"\[ {lesson.function_latex} = {latex(lesson.outputs[0])} \]")
    if lesson.text.get("intro"):
        out.append(prose(lesson.text["intro"]))
    for item in exp.items:
        d = item.derivation
        out.append(rf"\subsection*{{$\partial$ {prose(d.name)} / $\partial {latex(d.wrt)}$}}")
        out.append(r"\[ " + derivation_latex(d, names) + r" \]")
        check = item.numeric
        cols = list(check.at)
        out.append(r"\begin{center}\begin{tabular}{" + "r" * (len(cols) + 4) + "}")
        out.append(" & ".join([f"${latex(lesson.symbols[c])}$" for c in cols]
                              + ["value", "derivative", "finite diff.", "rel. error"]) + r" \\ \hline")
        for row in numeric_rows(check, cols):
            out.append(" & ".join(r.replace("−", "-") for r in row) + r" \\")
        out.append(r"\end{tabular}\end{center}")
    for key, heading in (("batch", "Over a batch"), ("insight", "Insight")):
        if lesson.text.get(key):
            out.append(rf"\paragraph{{{heading}.}} " + prose(lesson.text[key]))
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"

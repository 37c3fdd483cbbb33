"""Matrix derivations as a LaTeX document: each step an aligned row with its rule and shape."""

from __future__ import annotations

from tutor.i18n import _
from tutor.matrix.explain import MatrixExplanation
from tutor.renderers.notation import paragraph

_PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\begin{document}
"""


def _escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"),
                 ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("^", r"\^{}"),
                 ("~", r"\~{}")):
        s = s.replace(a, b)
    return s


def _grad(function: str, node) -> str:
    inner = node.latex()
    if node.kind != "var":
        inner = rf"\left({inner}\right)"
    return rf"\frac{{\partial {function}}}{{\partial {inner}}}"


def matrix_latex(result: MatrixExplanation) -> str:
    p = result.problem
    out = [_PREAMBLE, rf"\section*{{{_escape(p.say('title') or p.function)}}}",
           rf"\[ {p.function} = {p.expression.latex()} \]"]
    if p.say("intro"):
        out.append(_escape(paragraph(p.say("intro"))))
    out.append(r"\par\noindent " + _escape(_(
        "layout: a gradient has the shape of its variable, as PyTorch's .grad; each step is "
        "checked by central differences on these matrices")))
    for d in result.derivations:
        out.append(r"\begin{align*}")
        rows = []
        for s in d.steps:
            shape = r"\times".join(s.target.shape) if s.target.shape else r"1"
            rows.append(rf"{_grad(d.function, s.target)} &= {s.result.latex()} "
                        rf"&& \text{{{_escape(_(s.name))}}},\ {shape}")
        rows.append(rf"\frac{{\partial {d.function}}}{{\partial {d.wrt}}} &= {d.result.latex()}")
        out.append(" \\\\\n".join(rows))
        out.append(r"\end{align*}")
    if p.say("insight"):
        out.append(_escape(paragraph(p.say("insight"))))
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"

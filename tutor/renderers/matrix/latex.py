"""Matrix derivations as a LaTeX document for pdflatex: each step an aligned row with its
rule and the shape of its result, the narrative typeset as the scalar explanations' is."""

from __future__ import annotations

from tutor.i18n import _
from tutor.matrix.explain import MatrixExplanation
from tutor.renderers.explaining.latex import document, prose


def _grad(d, node) -> str:
    inner = d.latex(node)
    if node.kind != "var" and node not in d.aliases:
        inner = rf"\left({inner}\right)"
    return rf"\frac{{\partial {d.function}}}{{\partial {inner}}}"


def _shape(shape) -> str:
    return r" \times ".join(shape) if shape else r"\text{" + prose(_("scalar")) + "}"


def matrix_latex(result: MatrixExplanation) -> str:
    p = result.problem
    body = [rf"\section*{{{prose(p.say('title') or p.function)}}}"]
    if p.say("summary"):
        body.append(rf"\emph{{{prose(p.say('summary'))}}}")
    body.append(rf"\[ {p.function} = {p.expression.latex({})} \]")
    if p.aliases:
        body.append(prose(_("where") + " " + ", ".join(f"{n} = {b}" for n, b in p.where())))
    if p.say("intro"):
        body.append(prose(p.say("intro")))
    body.append(r"\par\noindent " + prose(_(
        "layout: a gradient has the shape of its variable, as PyTorch's .grad; each step is "
        "checked by central differences on these matrices")))
    for d in result.derivations:
        body.append(rf"\subsection*{{$\partial {d.function} / \partial {d.wrt}$}}")
        rows = []
        for k, s in enumerate(d.steps, 1):
            rows.append(rf"\text{{{k}}}\quad & {_grad(d, s.target)} = {d.latex(s.result)}"
                        rf" && {_shape(s.target.shape)} && \text{{{prose(_(s.name))}}}")
        rows.append(rf"& \frac{{\partial {d.function}}}{{\partial {d.wrt}}} = {d.latex(d.result)}"
                    rf" && {_shape(d.shape)} &&")
        body.append(r"\[ \fitwidth{$\displaystyle \begin{aligned}" + r" \\ ".join(rows)
                    + r"\end{aligned}$} \]")
        body.append(prose(_("max relative error {error}").format(
            error=f"{d.max_rel_error:.1e}")))
    if p.say("insight"):
        body.append(rf"\paragraph{{{prose(_('insight'))}.}} " + prose(p.say("insight")))
    return document(body)

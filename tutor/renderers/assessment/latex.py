"""Worksheets and answer keys as complete LaTeX documents (they compile with pdflatex).

A sheet in Chinese is set inside the CJK package's UTF-8 environment with its Song font, as
the lesson documents are (``tutor.renderers.explaining.latex``)."""

from __future__ import annotations

import functools

from tutor.i18n import _
from tutor.assessment.worksheet import Sheet
from tutor.renderers.explaining.latex import prose
from tutor.renderers.notation import _wide
from tutor.renderers.assessment.sheet import AnswerLine, Document, Heading, Para, Steps, Table, sheet_document
from tutor.renderers.assessment.markdown import joined_segments

PREAMBLE = [
    r"\documentclass[11pt,a4paper]{article}",
    r"\usepackage[utf8]{inputenc}",
    r"\usepackage[T1]{fontenc}",
    r"\usepackage{amsmath,amssymb}",
    r"\usepackage[margin=2cm]{geometry}",
    r"\setlength{\parindent}{0pt}",
    r"\setlength{\parskip}{0.6em}",
    r"\pagestyle{myheadings}",
]


def _segments(segments, names) -> str:
    return joined_segments(segments, names, code=lambda c: r"\texttt{" + prose(c) + "}",
                           text=_text)


@functools.lru_cache(maxsize=100_000)
def _text(s: str) -> str:
    """Plain text, keeping the spaces at its ends (prose() tidies whitespace inside)."""
    if not s.strip():
        return " " if s else ""
    lead = " " if s[:1].isspace() else ""
    trail = " " if s[-1:].isspace() else ""
    return lead + prose(s) + trail


def document_latex(doc: Document, names_of) -> str:
    out = [r"\markright{" + prose(doc.title) + "}"]
    out.append(r"\section*{" + prose(doc.title) + "}")
    before, _id, after = _("variant {id}").partition("{id}")
    out.append(r"\textbf{" + prose(doc.subtitle) + r"} \\ " + _text(before) + r"\texttt{"
               + prose(doc.variant) + "}" + _text(after))
    out.append("")
    if not doc.is_key:
        out.append(prose(_("Name:")) + r" \rule{8cm}{0.4pt}")
        out.append("")
        for label, value in doc.fields:
            out += [prose(f"{label}: ") + (prose(value) if value else r"\rule{5cm}{0.4pt}"), ""]
    for line in doc.intro:
        out += [prose(line), ""]
    for prob in doc.problems:
        names = names_of(prob.number)
        out.append(r"\subsection*{" + prose(f"{prob.number}. {prob.title}") + "}")
        for b in prob.blocks:
            if isinstance(b, Heading):
                out.append(r"\subsubsection*{" + prose(b.text) + "}")
            elif isinstance(b, Para):
                out += [_segments(b.segments, names), ""]
            elif isinstance(b, Table):
                out.append(r"\begin{center}\begin{tabular}{" + "r" * len(b.header) + "}")
                out.append(" & ".join(_segments(c, names) for c in b.header) + r" \\ \hline")
                for row in b.rows:
                    out.append(" & ".join(_segments(c, names) or r"\rule{2cm}{0.4pt}" for c in row)
                               + r" \\")
                out.append(r"\end{tabular}\end{center}")
            elif isinstance(b, Steps):
                out.append(r"\begin{enumerate}")
                for number, depth, segs, rule in b.items:
                    mark = (r" \quad\textbf{$\leftarrow$ " + prose(_("wrong")) + "}"
                            if number == b.marked else "")
                    indent = rf"\hspace*{{{1.2 * depth:.1f}em}}" if depth else ""
                    out.append(rf"\item {indent}{_segments(segs, names)} \hfill \emph{{{prose(rule)}}}{mark}")
                out.append(r"\end{enumerate}")
            elif isinstance(b, AnswerLine):
                answer = _("Answer {label}").format(label=b.label)
                out += [r"\textbf{" + prose(answer) + r"} \rule{10cm}{0.4pt}", ""]
                if doc.space:  # room to work
                    out += [rf"\vspace*{{{doc.space}\baselineskip}}", ""]
    if any(_wide(ch) for line in out for ch in line):
        # Chinese with pdflatex: the CJK package's UTF-8 environment and its Song font
        return "\n".join([*PREAMBLE, r"\usepackage{CJKutf8}", r"\begin{document}",
                          r"\begin{CJK}{UTF8}{gbsn}", *out,
                          # the last page's running head is set inside the environment too
                          r"\clearpage", r"\end{CJK}", r"\end{document}"]) + "\n"
    return "\n".join([*PREAMBLE, out[0], r"\begin{document}", *out[1:], r"\end{document}"]) + "\n"


def sheet_latex(sheet: Sheet, *, key: bool = False) -> str:
    names = {p.number: p.names for p in sheet.problems}
    return document_latex(sheet_document(sheet, key=key), lambda n: names[n])

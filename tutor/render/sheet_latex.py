"""Worksheets and answer keys as complete LaTeX documents (they compile with pdflatex)."""

from __future__ import annotations

import functools

from ..worksheet import Sheet
from .latex import prose
from .sheet import AnswerLine, Code, Document, Heading, Para, Steps, Table, sheet_document
from .sheet_markdown import segment_latex

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
    out = []
    for s in segments:
        math = segment_latex(s, names)
        if math is not None:
            out.append(f"${math}$")
        elif isinstance(s, Code):
            out.append(r"\texttt{" + prose(s.text) + "}")
        else:
            out.append(_text(s))
    return "".join(out)


@functools.lru_cache(maxsize=100_000)
def _text(s: str) -> str:
    """Plain text, keeping the spaces at its ends (prose() tidies whitespace inside)."""
    if not s.strip():
        return " " if s else ""
    lead = " " if s[:1].isspace() else ""
    trail = " " if s[-1:].isspace() else ""
    return lead + prose(s) + trail


def document_latex(doc: Document, names_of) -> str:
    out = list(PREAMBLE)
    out.append(r"\markright{" + prose(doc.title) + "}")
    out.append(r"\begin{document}")
    out.append(r"\section*{" + prose(doc.title) + "}")
    out.append(r"\textbf{" + prose(doc.subtitle) + r"} \\ variant \texttt{" + prose(doc.variant) + "}")
    out.append("")
    if not doc.is_key:
        out.append(r"Name: \rule{8cm}{0.4pt}")
        out.append("")
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
                    mark = r" \quad\textbf{$\leftarrow$ wrong}" if number == b.marked else ""
                    indent = rf"\hspace*{{{1.2 * depth:.1f}em}}" if depth else ""
                    out.append(rf"\item {indent}{_segments(segs, names)} \hfill \emph{{{prose(rule)}}}{mark}")
                out.append(r"\end{enumerate}")
            elif isinstance(b, AnswerLine):
                out += [r"\textbf{Answer " + prose(b.label) + r"} \rule{10cm}{0.4pt}", ""]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def sheet_latex(sheet: Sheet, *, key: bool = False) -> str:
    names = {p.number: p.names for p in sheet.problems}
    return document_latex(sheet_document(sheet, key=key), lambda n: names[n])

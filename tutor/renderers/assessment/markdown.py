"""Worksheets and answer keys as Markdown with ``$…$`` math."""

from __future__ import annotations

import functools

from tutor.i18n import _
from tutor.assessment.worksheet import Sheet
from tutor.renderers.notation import latex as _latex
from tutor.renderers.assessment.sheet import (AnswerLine, Code, Document, Heading, Math, Name, Num, Para, Partial, Steps, Table,
                    number_text, sheet_document)


@functools.lru_cache(maxsize=50_000)
def _latex_cached(expr, names: tuple) -> str:
    return _latex(expr, dict(names))


def latex(expr, names=None) -> str:
    """notation.latex, remembered: the same steps recur in every variant's key."""
    return _latex_cached(expr, tuple(names.items()) if names else ())


def partial_latex(p: Partial, names=None) -> str:
    return rf"\frac{{\partial {p.latex}}}{{\partial {latex(p.wrt, names)}}}"


def math_latex(m: Math, names) -> str:
    body = latex(m.expr, names)
    if m.rewrite:
        return "= " + body
    if m.lhs is None:
        return body
    lhs = (partial_latex(m.lhs, names) if isinstance(m.lhs, Partial)
           else m.lhs.latex if isinstance(m.lhs, Name) else latex(m.lhs, names))
    return f"{lhs} = {body}"


def segment_latex(s, names) -> str | None:
    """A segment's LaTeX math, or None for plain text."""
    if isinstance(s, Math):
        return math_latex(s, names)
    if isinstance(s, Partial):
        return partial_latex(s, names)
    if isinstance(s, Num):
        return number_text(s.value).replace("−", "-")
    if isinstance(s, Name):
        return s.latex
    return None


def joined_segments(segments, names, *, code, text) -> str:
    """A paragraph's segments as one string: mathematics as ``$…$`` (for Markdown and
    LaTeX alike), typed code through ``code(str)``, the rest through ``text(segment)``."""
    out = []
    for s in segments:
        math = segment_latex(s, names)
        if math is not None:
            out.append(f"${math}$")
        elif isinstance(s, Code):
            out.append(code(s.text))
        else:
            out.append(text(s))
    return "".join(out)


def _segments(segments, names) -> str:
    return joined_segments(segments, names, code=lambda c: f"`{c}`", text=_escape)


def _escape(text: str) -> str:
    for ch in "\\*_`|$[]":
        text = text.replace(ch, "\\" + ch)
    return text


def document_markdown(doc: Document, names_of) -> str:
    variant = _("variant {id}").format(id=f"`{doc.variant}`")
    out = [f"# {doc.title}", "", f"**{doc.subtitle}** · {variant}", ""]
    if not doc.is_key:
        out += [_("Name:") + " ______________________________", ""]
        for label, value in doc.fields:
            out += [f"{_escape(label)}: {_escape(value) if value else '______________'}", ""]
    for line in doc.intro:
        out += [_escape(line), ""]
    for prob in doc.problems:
        names = names_of(prob.number)
        out += [f"## {prob.number}. {prob.title}", ""]
        for b in prob.blocks:
            if isinstance(b, Heading):
                out += [f"### {b.text}", ""]
            elif isinstance(b, Para):
                out += [_segments(b.segments, names), ""]
            elif isinstance(b, Table):
                out.append("| " + " | ".join(_segments(c, names) for c in b.header) + " |")
                out.append("|" + "---:|" * len(b.header))
                for row in b.rows:
                    out.append("| " + " | ".join(_segments(c, names) or " " for c in row) + " |")
                out.append("")
            elif isinstance(b, Steps):
                for number, depth, segs, rule in b.items:
                    mark = " **← " + _("wrong") + "**" if number == b.marked else ""
                    arrow = "↳ " * depth
                    out.append(f"{number}. {arrow}{_segments(segs, names)} — *{rule}*{mark}")
                out.append("")
            elif isinstance(b, AnswerLine):
                answer = _("Answer {label}").format(label=b.label)
                out += [f"**{answer}** ______________________________", ""]
                out += ["&nbsp;", ""] * doc.space  # room to work
    return "\n".join(out).rstrip() + "\n"


def sheet_markdown(sheet: Sheet, *, key: bool = False) -> str:
    names = {p.number: p.names for p in sheet.problems}
    return document_markdown(sheet_document(sheet, key=key), lambda n: names[n])

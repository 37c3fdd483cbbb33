"""Worksheets as a Moodle question bank (Moodle XML), importable as it is.

One category per variant.  A problem with one number (a gradient's value, the number of the
wrong step) is a *numerical* question with its tolerance; one with several numbers (a
gradient-descent step, a backward pass) is an *embedded answers (cloze)* question with one
NUMERICAL field per number; a symbolic derivative is an *essay* question whose grader
information and general feedback are the worked answer.  Formulas are TeX between ``\\(`` and
``\\)``, which Moodle's MathJax filter typesets.
"""

from __future__ import annotations

import html
from xml.sax.saxutils import escape

from tutor.i18n import _
from tutor.assessment.worksheet import Sheet, Worksheets
from tutor.renderers.assessment.sheet import AnswerLine, Code, Heading, Para, Steps, Table, sheet_document
from tutor.renderers.assessment.markdown import segment_latex


def _float(value) -> str:
    """A number as a plain decimal (no exponent, which some importers misread)."""
    from decimal import Decimal

    return format(Decimal(repr(float(value))), "f")


def segments_html(segments, names) -> str:
    out = []
    for s in segments:
        math = segment_latex(s, names)
        if math is not None:
            out.append(r"\(" + html.escape(math, quote=False) + r"\)")
        elif isinstance(s, Code):
            out.append(f"<code>{html.escape(s.text)}</code>")
        else:
            out.append(html.escape(s, quote=False))
    return "".join(out)


def blocks_html(blocks, names) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"<h4>{html.escape(b.text)}</h4>")
        elif isinstance(b, Para):
            out.append(f"<p>{segments_html(b.segments, names)}</p>")
        elif isinstance(b, Table):
            rows = ["<tr>" + "".join(f"<th>{segments_html(c, names)}</th>" for c in b.header) + "</tr>"]
            for row in b.rows:
                rows.append("<tr>" + "".join(f"<td>{segments_html(c, names)}</td>" for c in row) + "</tr>")
            out.append('<table border="1" cellpadding="4">' + "".join(rows) + "</table>")
        elif isinstance(b, Steps):
            items = []
            for number, depth, segs, rule in b.items:
                pad = f' style="margin-left:{1.4 * depth:.1f}em"' if depth else ""
                mark = (" <strong>← " + html.escape(_("wrong")) + "</strong>"
                        if number == b.marked else "")
                items.append(f"<li{pad}>{segments_html(segs, names)} <em>({html.escape(rule)})</em>{mark}</li>")
            out.append("<ol>" + "".join(items) + "</ol>")
        elif isinstance(b, AnswerLine):
            continue
    return "".join(out)


def question_parts(sheet: Sheet):
    """(problem, question HTML, feedback HTML) for every problem of a sheet."""
    sheet_doc = sheet_document(sheet)
    key_doc = sheet_document(sheet, key=True)
    for p, q, k in zip(sheet.problems, sheet_doc.problems, key_doc.problems):
        statement = blocks_html(q.blocks, p.names)
        key_blocks = k.blocks[len([b for b in q.blocks if not isinstance(b, AnswerLine)]):]
        feedback = blocks_html(key_blocks, p.names)
        yield p, q.title, statement, feedback


def _text(tag: str, content: str, fmt: str = "html") -> str:
    return f'<{tag} format="{fmt}"><text>{escape(content)}</text></{tag}>'


def _cloze_field(n) -> str:
    return f"{{1:NUMERICAL:={_float(n.value)}:{_float(n.tolerance)}}}"


def moodle_xml(ws: Worksheets) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for sheet in ws.sheets:
        out.append('<question type="category"><category><text>'
                   f"$course$/tutor worksheets/seed {ws.seed}/{escape(sheet.id)}"
                   "</text></category></question>")
        for p, title, statement, feedback in question_parts(sheet):
            name = f"<name><text>{escape(f'{sheet.id} · {p.number}. {title}')}</text></name>"
            common = (_text("generalfeedback", feedback) + "<defaultgrade>1</defaultgrade>"
                      "<penalty>0.3333333</penalty><hidden>0</hidden>"
                      f"<idnumber>{escape(sheet.id)}-{p.number}</idnumber>")
            if p.answer_type in ("expression", "matrix"):
                out.append('<question type="essay">' + name + _text("questiontext", statement)
                           + common + "<responseformat>plain</responseformat>"
                           "<responserequired>1</responserequired><responsefieldlines>3</responsefieldlines>"
                           "<attachments>0</attachments><attachmentsrequired>0</attachmentsrequired>"
                           + _text("graderinfo", feedback) + _text("responsetemplate", "")
                           + "</question>")
            elif p.answer_type == "step" or len(p.numbers) == 1:
                value, tol = ((p.wrong_step, 0) if p.answer_type == "step"
                              else (p.numbers[0].value, p.numbers[0].tolerance))
                out.append('<question type="numerical">' + name + _text("questiontext", statement)
                           + common
                           + f'<answer fraction="100" format="moodle_auto_format"><text>{_float(value)}</text>'
                           + _text("feedback", _("Correct.")) + f"<tolerance>{_float(tol)}</tolerance></answer>"
                           + "<unitgradingtype>0</unitgradingtype><unitpenalty>0.1</unitpenalty>"
                           + "<showunits>3</showunits><unitsleft>0</unitsleft></question>")
            else:
                fields = "<p>" + ", ".join(
                    f"{segments_html([_label(n)], p.names)} = {_cloze_field(n)}" for n in p.numbers) + "</p>"
                out.append('<question type="cloze">' + name
                           + _text("questiontext", statement + fields) + common + "</question>")
    out.append("</quiz>")
    return "\n".join(out) + "\n"


def _label(n):
    from tutor.renderers.assessment.sheet import Math

    return Math(n.label)

"""Worksheets in GIFT, the plain-text question format Moodle (and others) import.

A number is a numerical question ``{#value:tolerance}``; a problem with several numbers becomes
one numerical question per number (GIFT has no embedded answers); a symbolic derivative is an
essay question ``{}`` with the worked answer as general feedback (``####``).  Question text is
HTML with TeX formulas between ``\\(`` and ``\\)``; GIFT's special characters are escaped.
"""

from __future__ import annotations

from tutor.i18n import _
from tutor.assessment.worksheet import Worksheets
from tutor.renderers.assessment.moodle import question_parts, segments_html
from tutor.renderers.assessment.sheet import Math

_SPECIAL = "\\~=#{}:"


def gift_escape(text: str) -> str:
    out = []
    for ch in text:
        out.append("\\" + ch if ch in _SPECIAL else ch)
    return " ".join("".join(out).split("\n"))


def _number(value) -> str:
    from tutor.renderers.assessment.moodle import _float

    return _float(value)


def gift(ws: Worksheets) -> str:
    out = []
    for sheet in ws.sheets:
        out.append(f"$CATEGORY: $course$/tutor worksheets/seed {ws.seed}/{sheet.id}")
        out.append("")
        for p, title, statement, feedback in question_parts(sheet):
            name = gift_escape(f"{sheet.id} {p.number}. {title}")
            text = "[html]" + gift_escape(statement)
            fb = "####" + gift_escape(feedback)
            if p.answer_type in ("expression", "matrix"):  # an essay, marked by the teacher
                out.append(f"::{name}::{text}{{{fb}}}")
            elif p.answer_type == "step":
                out.append(f"::{name}::{text}{{#{p.wrong_step}:0{fb}}}")
            elif len(p.numbers) == 1:
                n = p.numbers[0]
                out.append(f"::{name}::{text}{{#{_number(n.value)}:{_number(n.tolerance)}{fb}}}")
            else:
                for k, n in enumerate(p.numbers, start=1):
                    label = segments_html([Math(n.label)], p.names)
                    ask = gift_escape("<p>" + _("Give {label} (number {k} of {n}).").format(
                        label=label, k=k, n=len(p.numbers)) + "</p>")
                    if k > 1:
                        out.append("")
                    out.append(f"::{name} ({k})::{text}{ask}"
                               f"{{#{_number(n.value)}:{_number(n.tolerance)}{fb}}}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"

"""What a worksheet and its answer key say, as one document every format lays out.

:func:`sheet_document` puts a :class:`~tutor.assessment.worksheet.Sheet` together: a title, the
instructions, and for each problem the blocks its kind states it with (and, in the key, the
blocks of its solution; see :mod:`tutor.assessment.document`).  The Markdown, LaTeX, HTML and
PDF renderers each print the document their own way, so the four formats always say the same
thing.  Nothing here computes mathematics: every expression and number comes from the
worksheet.
"""

from __future__ import annotations

from dataclasses import dataclass

import functools
import re
from decimal import Decimal

import sympy

from tutor.assessment.document import (  # noqa: F401  (the formats read them from here)
    ETA, AnswerLine, Code, Document, Heading, Math, Name, Num, Para, Partial, Problem_, Steps,
    Table)
from tutor.assessment.kinds import KINDS
from tutor.assessment.worksheet import DECIMALS, Sheet, punctuation
from tutor.i18n import N_, _
from tutor.renderers.notation import RULE_NAMES, bare


# -- numbers -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=100_000)
def number_text(value: sympy.Expr, decimals: int = DECIMALS + 1) -> str:
    """An exact short decimal as it is (0.125, −3), other numbers to ``decimals`` places."""
    value = sympy.sympify(value)
    if value.is_Rational:
        d = Decimal(int(value.p)) / Decimal(int(value.q))
        text = format(d.normalize(), "f")
        if "." in text and len(text.split(".")[1]) > 8:
            text = f"{float(value):.{decimals}f}"
    else:
        text = f"{float(value):.{decimals}f}"
    if text in ("-0", "-0.0") or set(text) <= set("-0."):
        text = text.lstrip("-")
    return text.replace("-", "−")


# -- the document --------------------------------------------------------------------------
ANSWER_HELP = N_("Write your answers in a plain text file, one line per problem, numbered like "
                 "the problems (for example “3: 0.125”). Give numbers exactly or to "
                 "{decimals} decimal places; several numbers separated by commas, in the order "
                 "asked. Write expressions as you would type them, e.g. "
                 "“sigmoid(z)*(1 - sigmoid(z))” or “2*x*(w*x - y)”.")


MATRIX_HELP = N_("Write a matrix gradient on one line in NumPy notation, e.g. "
                 "“X.T @ (X @ w - y) / n”; the shapes of its terms go on the sheet.")


_DOCS: dict = {}


def sheet_document(sheet: Sheet, *, key: bool = False) -> Document:
    """The document of a sheet or its key; the last few are remembered, since every format
    lays out the same document."""
    from tutor.i18n import current_language

    where = (id(sheet), key, current_language(), PAGE[0])
    found = _DOCS.get(where)
    if found is not None and found[0] is sheet:
        return found[1]
    doc = _sheet_document(sheet, key)
    if len(_DOCS) >= 8:
        _DOCS.clear()
    _DOCS[where] = (sheet, doc)
    return doc


def _named_rules(blocks: list) -> list:
    """Steps name their rules in the current language (the kinds keep the rules' keys)."""
    for b in blocks:
        if isinstance(b, Steps):
            b.items = [(k, depth, segs, _(RULE_NAMES[rule]) if rule in RULE_NAMES else rule)
                       for k, depth, segs, rule in b.items]
    return blocks


@dataclass(frozen=True)
class Page:
    """How a teacher's sheets look: a title instead of "Worksheet <id>", header lines to fill
    (course, date, … with a value or blank) and lines of room after each problem."""

    title: str = ""
    fields: tuple = ()
    space: int = 0


def page(title: str | None = None, fields=(), space: int = 0) -> Page:
    """How the sheets look: ``title``, header lines ``fields`` ("Course" leaves a blank to
    fill, "Date=12 May" fills it) and ``space`` blank lines after each problem."""
    from tutor.errors import ParameterError

    pairs = []
    for item in [fields] if isinstance(fields, str) else fields:
        label, _sep, value = str(item).partition("=")
        if not label.strip():
            raise ParameterError("field", _("{param} {item}: write a label, like {param} Course "
                                            "or {param} \"Date=12 May\""), item=repr(item))
        pairs.append((label.strip()[:60], value.strip()[:120]))
    return Page((title or "").strip()[:120], tuple(pairs), space)


#: the page settings of the sheets being rendered (set by render_files)
PAGE = [Page()]


def _sheet_document(sheet: Sheet, key: bool) -> Document:
    titles = []
    for p in sheet.problems:
        if p.shown_lesson_title not in titles:
            titles.append(p.shown_lesson_title)
    page = PAGE[0]
    title = (_("Answer key {id}") if key else _("Worksheet {id}")).format(id=sheet.id)
    if page.title:
        title = (_("{title} — answer key") if key else "{title}").format(title=page.title)
    subtitle = punctuation(", ").join(titles)
    intro = ([_("Answers and worked steps for variant {id} (seed {seed}).")
              .format(id=sheet.id, seed=sheet.seed)] if key
             else [_(ANSWER_HELP).format(decimals=DECIMALS)])
    if not key and any(p.answer_type == "matrix" for p in sheet.problems):
        intro.append(_(MATRIX_HELP))
    problems = []
    for p in sheet.problems:
        item = Problem_(p.number, f"{p.title} — {p.shown_lesson_title}")
        kind = KINDS[p.kind]
        item.blocks += _named_rules(kind.statement(p, key))
        item.blocks += _named_rules(kind.solution(p)) if key else [AnswerLine(f"{p.number}:")]
        problems.append(item)
    return Document(title, subtitle, sheet.id, key, intro, problems,
                    fields=() if key else page.fields, space=0 if key else page.space)


@functools.lru_cache(maxsize=50_000)
def text(expr) -> str:
    """notation.text, remembered: the same steps recur in every variant's key."""
    from tutor.renderers.notation import text as to_text

    return to_text(expr)


def _plain_math(expr) -> str:
    if isinstance(expr, Partial):
        return f"∂{_indexed(expr.name)}/∂{text(expr.wrt)}"
    if isinstance(expr, Name):
        return _indexed(expr.plain)
    if isinstance(expr, sympy.Derivative):
        inner = expr.expr
        d = "∂" if len(inner.free_symbols) > 1 else "d"
        body = text(inner)
        if not bare(inner):
            body = f"({body})"
        return f"{d}/{d}{text(expr.variables[0])} {body}"
    return text(expr)


def _indexed(name: str) -> str:
    """s2 → s₂ (a function's name in plain text)."""
    import re

    m = re.fullmatch(r"(.*?[A-Za-z])(\d+)", name)
    return m.group(1) + m.group(2).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")) if m else name


def plain(segments) -> str:
    """Segments as one line of Unicode text (for formats that typeset no formulas)."""
    out = []
    for s in segments:
        if isinstance(s, str):
            out.append(s)
        elif isinstance(s, Code):
            out.append(s.text)
        elif isinstance(s, Num):
            out.append(number_text(s.value))
        elif isinstance(s, (Partial, Name)):
            out.append(_plain_math(s))
        elif isinstance(s, Math):
            body = _plain_math(s.expr)
            if s.rewrite:
                body = "= " + body
            elif s.lhs is not None:
                body = f"{_plain_math(s.lhs)} = {body}"
            out.append(body)
    return "".join(out)

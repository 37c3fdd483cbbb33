"""Worksheets and answer keys as self-contained HTML: MathML for the formulas (current
browsers render it offline, with no script), a stylesheet in the page, one sheet per printed
page.  The output is well-formed XML (XHTML syntax), so any XML parser can read it."""

from __future__ import annotations

import functools
import html
import html.entities
import re

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter

from tutor.calculus.table import FUNCTIONS
from tutor.i18n import _, current_language
from tutor.renderers.notation import bare
from tutor.assessment.worksheet import Sheet
from tutor.renderers.assessment.sheet import (AnswerLine, Code, Document, Heading, Math, Name, Num, Para, Partial, Steps,
                    Table, number_text, sheet_document)

_MATHML_NS = "http://www.w3.org/1998/Math/MathML"


#: how the functions the tutor defines are shown: σ, ReLU, GELU, …
DISPLAY = {f.name: f.display for f in FUNCTIONS if f.custom}


class _Printer(MathMLPresentationPrinter):
    """SymPy's presentation MathML with the project's functions: σ, ReLU, softplus, θ."""

    def _named(self, name: str, e):
        mrow = self.dom.createElement("mrow")
        mi = self.dom.createElement("mi")
        mi.appendChild(self.dom.createTextNode(name))
        mrow.appendChild(mi)
        mrow.appendChild(self._paren_comma_separated(e.args[0]))
        return mrow

    def _print_Function(self, e):
        declared = DISPLAY.get(type(e).__name__)
        if declared and len(e.args) == 1:
            return self._named(declared, e)
        return super()._print_Function(e)

    def _print_Heaviside(self, e):
        return self._named("θ", e)

    def _print_Derivative(self, e):
        expr = e.expr
        partial = len(expr.free_symbols) > 1
        d = "∂" if partial else "d"
        frac = self.dom.createElement("mfrac")
        top = self.dom.createElement("mo")
        top.appendChild(self.dom.createTextNode(d))
        bottom = self.dom.createElement("mrow")
        mo = self.dom.createElement("mo")
        mo.appendChild(self.dom.createTextNode(d))
        bottom.appendChild(mo)
        for v, _count in e.variable_count:
            bottom.appendChild(self._print(v))
        frac.appendChild(top)
        frac.appendChild(bottom)
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(frac)
        if bare(expr):
            mrow.appendChild(self._print(expr))
        else:
            mrow.appendChild(self._paren_comma_separated(expr))
        return mrow


_PRINTER = _Printer({})
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")


def _characters(markup: str) -> str:
    """Named entities (&InvisibleTimes;) as the characters they stand for: XML knows no
    HTML entity names, so a page full of them would not be well-formed."""
    def one(m):
        name = m.group(1)
        if name in ("lt", "gt", "amp", "quot", "apos"):
            return m.group(0)
        return html.entities.html5.get(name + ";", m.group(0))

    markup = _ENTITY.sub(one, markup)
    # a minus sign, not a hyphen; the plain e of e^x rather than a double-struck one
    markup = markup.replace("<mo>-</mo>", "<mo>−</mo>")
    # a negative number's minus is its sign, wherever it stands: z = −1, d/dz (−2)
    markup = re.sub(r"<mn>-([^<]*)</mn>", _UNARY_MINUS + r"<mn>\1</mn></mrow>", markup)
    return markup.replace("\u2147", "e")


@functools.lru_cache(maxsize=50_000)
def mathml(expr, display=()) -> str:
    """Presentation MathML of ``expr``; ``display`` replaces named symbols by what they show."""
    if display:
        expr = sympy.sympify(expr).xreplace(dict(display))
    # a minus that opens a group is a sign, not a subtraction: no operator space around it
    # (−2z, e^(−z)), as a reader writes it
    markup = _characters(_PRINTER.doprint(expr)).replace("<mrow><mo>−</mo>", _UNARY_MINUS)
    return _flat_brackets(markup)


_TALL = ("mfrac", "munderover", "munder", "mover", "mtable", "msqrt", "mroot")


def _flat_brackets(markup: str) -> str:
    """Brackets around a group of one line's height drawn as they are, not stretched: a
    browser sets a stretchy bracket from the math font's variants with room on both sides,
    tanh ( 2z − 2 ), where the reader writes tanh(2z − 2).  Around a fraction they stretch."""
    import xml.etree.ElementTree as ET

    if "<mo>(</mo>" not in markup:
        return markup
    root = ET.fromstring(f"<r>{markup}</r>")
    for row in root.iter("mrow"):
        kids = list(row)
        if (len(kids) >= 2 and kids[0].tag == kids[-1].tag == "mo"
                and (kids[0].text, kids[-1].text) == ("(", ")")
                and not any(e.tag in _TALL for k in kids[1:-1] for e in k.iter())):
            kids[0].set("stretchy", "false")
            kids[-1].set("stretchy", "false")
    return "".join(ET.tostring(e, encoding="unicode") for e in root)


_UNARY_MINUS = '<mrow><mo form="prefix" lspace="0" rspace="0">−</mo>'


def _mi(text: str) -> str:
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", text)
    if m:
        return f"<msub><mi>{m.group(1)}</mi><mn>{m.group(2)}</mn></msub>"
    return f"<mi>{html.escape(text)}</mi>"


def partial_mathml(p: Partial, display=()) -> str:
    return (f"<mfrac><mrow><mo>∂</mo>{_mi(p.name)}</mrow>"
            f"<mrow><mo>∂</mo>{mathml(p.wrt, display)}</mrow></mfrac>")


def _math(inner: str) -> str:
    return f'<math xmlns="{_MATHML_NS}"><mrow>{inner}</mrow></math>'


def segment_mathml(s, display) -> str | None:
    if isinstance(s, Partial):
        return _math(partial_mathml(s, display))
    if isinstance(s, Name):
        return _math(_mi(s.plain))
    if isinstance(s, Num):
        text = number_text(s.value)
        return _math(f"<mn>{text}</mn>" if not text.startswith("−")
                     else f"{_UNARY_MINUS}<mn>{text[1:]}</mn></mrow>")
    if isinstance(s, Math):
        body = mathml(s.expr, display)
        if s.rewrite:
            return _math("<mo>=</mo>" + body)
        if s.lhs is None:
            return _math(body)
        if isinstance(s.lhs, Partial):
            lhs = partial_mathml(s.lhs, display)
        elif isinstance(s.lhs, Name):
            lhs = _mi(s.lhs.plain)
        else:
            lhs = mathml(s.lhs, display)
        return _math(f"{lhs}<mo>=</mo>{body}")
    return None


def _segments(segments, display) -> str:
    out = []
    for s in segments:
        m = segment_mathml(s, display)
        if m is not None:
            out.append(m)
        elif isinstance(s, Code):
            out.append(f"<code>{html.escape(s.text)}</code>")
        else:
            out.append(html.escape(s))
    return "".join(out)


STYLE = """
body { font-family: "Latin Modern Roman", "Cambria", "Georgia", serif; font-size: 12pt;
       line-height: 1.45; color: #111; margin: 0; background: #fff; }
.sheet { max-width: 48em; margin: 0 auto; padding: 1.5em 2em; }
.sheet + .sheet { border-top: 2px dashed #999; }
header { border-bottom: 1.5px solid #111; margin-bottom: 1em; }
header h1 { font-size: 1.5em; margin: 0 0 0.2em 0; }
header .meta { display: flex; justify-content: space-between; gap: 1em; }
.name { margin: 0.8em 0 0.2em 0; }
.blank { display: inline-block; min-width: 18em; border-bottom: 1px solid #111; }
section.problem { margin: 1.1em 0; break-inside: avoid; page-break-inside: avoid; }
section.problem h2 { font-size: 1.1em; margin: 0 0 0.4em 0; }
table { border-collapse: collapse; margin: 0.5em 0 0.5em 1em; }
th, td { border: 1px solid #888; padding: 0.15em 0.7em; text-align: right; }
td.empty { min-width: 6em; }
ol.steps { padding-left: 2.2em; }
ol.steps li { margin: 0.25em 0; }
ol.steps .rule { color: #555; font-style: italic; margin-left: 0.8em; }
ol.steps li.wrong { background: #fde2e2; }
ol.steps .mark { color: #b00; font-weight: bold; margin-left: 0.5em; }
.answer { margin-top: 0.6em; }
math { font-size: 1.05em; }
@page { size: A4; margin: 16mm; }
@media print {
  .sheet { max-width: none; padding: 0; }
  .sheet + .sheet { border-top: none; }
  .sheet { break-after: page; page-break-after: always; }
  .sheet:last-child { break-after: auto; page-break-after: auto; }
}
"""


def _sheet_body(doc: Document, display_of, names_of) -> str:
    out = ['<div class="sheet">', "<header>", f"<h1>{html.escape(doc.title)}</h1>",
           f'<div class="meta"><span>{html.escape(doc.subtitle)}</span>'
           "<span>" + html.escape(_("variant {id}")).format(
               id=f"<code>{html.escape(doc.variant)}</code>") + "</span></div>", "</header>"]
    if not doc.is_key:
        out.append('<p class="name">' + html.escape(_("Name:"))
                   + ' <span class="blank">\u00a0</span></p>')
        for label, value in doc.fields:
            out.append('<p class="name">' + html.escape(f"{label}:") + " "
                       + (html.escape(value) if value else
                          '<span class="blank">\u00a0</span>') + "</p>")
    for line in doc.intro:
        out.append(f"<p>{html.escape(line)}</p>")
    for prob in doc.problems:
        display = display_of(prob.number)
        out.append(f'<section class="problem" id="p{prob.number}">')
        out.append(f"<h2>{prob.number}. {html.escape(prob.title)}</h2>")
        for b in prob.blocks:
            if isinstance(b, Heading):
                out.append(f"<h3>{html.escape(b.text)}</h3>")
            elif isinstance(b, Para):
                out.append(f"<p>{_segments(b.segments, display)}</p>")
            elif isinstance(b, Table):
                out.append("<table><thead><tr>"
                           + "".join(f"<th>{_segments(c, display)}</th>" for c in b.header)
                           + "</tr></thead><tbody>")
                for row in b.rows:
                    cells = []
                    for c in row:
                        inner = _segments(c, display)
                        cells.append(f"<td>{inner}</td>" if inner else '<td class="empty"></td>')
                    out.append("<tr>" + "".join(cells) + "</tr>")
                out.append("</tbody></table>")
            elif isinstance(b, Steps):
                out.append('<ol class="steps">')
                for number, depth, segs, rule in b.items:
                    wrong = number == b.marked
                    style = f' style="margin-left: {1.4 * depth:.1f}em"' if depth else ""
                    cls = ' class="wrong"' if wrong else ""
                    mark = ('<span class="mark">← ' + html.escape(_("wrong")) + "</span>"
                            if wrong else "")
                    out.append(f"<li{cls}{style}>{_segments(segs, display)}"
                               f'<span class="rule">{html.escape(rule)}</span>{mark}</li>')
                out.append("</ol>")
            elif isinstance(b, AnswerLine):
                answer = html.escape(_("Answer {label}").format(label=b.label))
                out.append(f'<p class="answer"><strong>{answer}</strong> '
                           '<span class="blank">\u00a0</span></p>')
                if doc.space:  # room to work
                    out.append(f'<div class="room" style="height: {1.5 * doc.space:g}em">'
                               "</div>")
        out.append("</section>")
    out.append("</div>")
    return "\n".join(out)


def _page(title: str, bodies: list[str]) -> str:
    return ("<!DOCTYPE html>\n"
            f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{current_language()}">\n<head>\n'
            '<meta charset="utf-8"/>\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(bodies) + "\n</body>\n</html>\n")


def _body(sheet: Sheet, key: bool) -> tuple[str, str]:
    display = {p.number: p.display for p in sheet.problems}
    names = {p.number: p.names for p in sheet.problems}
    doc = sheet_document(sheet, key=key)
    return doc.title, _sheet_body(doc, lambda n: display[n], lambda n: names[n])


def sheet_html(sheet: Sheet, *, key: bool = False) -> str:
    title, body = _body(sheet, key)
    return _page(title, [body])


def sheets_html(sheets, *, key: bool = False) -> str:
    """Every sheet in one page, each starting on a new printed page."""
    bodies = [_body(s, key)[1] for s in sheets]
    what = _("Answer keys {first} … {last}") if key else _("Worksheets {first} … {last}")
    return _page(what.format(first=sheets[0].id, last=sheets[-1].id), bodies)

"""Worksheets and answer keys as PDF, written directly (no TeX, no new dependency).

Why not matplotlib's mathtext: typesetting a page of formulas with it takes most of a second,
and a class set of keys has hundreds of pages.  A worksheet needs little of a typesetter:
lines of text in the PDF standard fonts (Times for text, Symbol for Greek and mathematical
signs, which every PDF reader has), sub- and superscripts by a baseline shift, tables and
rules.  Formulas are written in the one-line notation the terminal uses
(``∂σ/∂z = 2σ(2z + 1)·(1 − σ(2z + 1))``), wrapped at spaces.  Character widths come from the
Adobe font metrics files that matplotlib ships, so lines wrap where they should.

The output is deterministic: no dates in the document information, fixed object order, and
zlib-compressed page streams.
"""

from __future__ import annotations

import functools
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import sympy

from ..worksheet import Sheet
from .notation import text as math_text
from .sheet import (AnswerLine, Code, Document, Heading, Math, Name, Num, Para, Partial, Steps,
                    Table, number_text, sheet_document)

PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 56.0, 60.0, 56.0
WIDTH = PAGE_W - 2 * MARGIN_X
BODY = 10.5

FONTS = {"R": "Times-Roman", "B": "Times-Bold", "I": "Times-Italic", "S": "Symbol"}
_PDF_NAMES = {"R": "F1", "B": "F2", "I": "F3", "S": "F4"}

# Latin-1/Windows characters the Times fonts have: Unicode → glyph name
_LATIN = {"·": "periodcentered", "²": "twosuperior", "³": "threesuperior", "¹": "onesuperior",
          "×": "multiply", "—": "emdash", "–": "endash", "“": "quotedblleft",
          "”": "quotedblright", "‘": "quoteleft", "’": "quoteright", "…": "ellipsis",
          "ˆ": "circumflex", "½": "onehalf", "¼": "onequarter", "°": "degree", "±": "plusminus",
          "\u00a0": "space", "é": "eacute", "ü": "udieresis", "ö": "odieresis", "ä": "adieresis"}
# mathematical signs from the Symbol font: Unicode → glyph name
_SYMBOL = {"∂": "partialdiff", "−": "minus", "⋅": "dotmath", "←": "arrowleft",
           "→": "arrowright", "≥": "greaterequal", "≤": "lessequal", "≠": "notequal",
           "≈": "approxequal", "′": "minute", "√": "radical", "∞": "infinity",
           "∇": "gradient", "∈": "element", "∑": "summation", "Σ": "Sigma", "Δ": "Delta",
           "Ω": "Omega", "θ": "theta", "ϕ": "phi1"}
_SUB = {c: str(k) for k, c in enumerate("₀₁₂₃₄₅₆₇₈₉")}
_SUPER = {**{c: str(k) for k, c in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}, "⁻": "-", "⁺": "+", "ᵀ": "T",
          "ᵘ": "u"}


@functools.lru_cache(maxsize=None)
def _metrics(font: str) -> tuple[dict, dict]:
    """(code → width, glyph name → (code, width)) from the font's AFM file."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "pdfcorefonts" / f"{font}.afm"
    by_code, by_name = {}, {}
    for line in path.read_text("latin-1").splitlines():
        if not line.startswith("C "):
            continue
        fields = dict(part.strip().split(" ", 1) for part in line.split(";") if part.strip())
        code, width, name = int(fields["C"]), float(fields["WX"]), fields["N"]
        by_name[name] = (code, width)
        if code >= 0:
            by_code[code] = width
    return by_code, by_name


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, style: str) -> tuple[str, int, float, float, float]:
    """(font key, byte, width in 1/1000 em, size factor, rise in em) for one character."""
    if ch in _SUB or ch in _SUPER:
        base = _SUB.get(ch) or _SUPER[ch]
        font, byte, width, _, _ = _glyph(base, style)
        return font, byte, width * 0.7, 0.7, -0.25 if ch in _SUB else 0.38
    if ch == "·":
        ch = "⋅"
    if " " <= ch <= "~":
        font = FONTS[style]
        by_code, by_name = _metrics(font)
        if ch == "'":
            return style, 0x27, by_name["quotesingle"][1], 1.0, 0.0
        if ch == "`":
            return style, 0x60, by_name["grave"][1], 1.0, 0.0
        return style, ord(ch), by_code[ord(ch)], 1.0, 0.0
    if ch in _LATIN:
        _, by_name = _metrics(FONTS[style])
        return style, ch.encode("cp1252")[0], by_name[_LATIN[ch]][1], 1.0, 0.0
    if ch == "ℓ":
        return "I", ord("l"), _metrics(FONTS["I"])[0][ord("l")], 1.0, 0.0
    name = _SYMBOL.get(ch)
    if name is None:
        uname = unicodedata.name(ch, "")
        if uname.startswith("GREEK SMALL LETTER ") or uname.startswith("GREEK CAPITAL LETTER "):
            word = uname.split()[-1].lower().replace("lamda", "lambda")
            name = word.capitalize() if "CAPITAL" in uname else word
    if name is not None:
        by_name = _metrics("Symbol")[1]
        if name in by_name:
            code, width = by_name[name]
            return "S", code, width, 1.0, 0.0
    return _glyph("?", style)


# -- laying out text -----------------------------------------------------------------------
@dataclass
class _Run:
    x: float
    y: float
    font: str
    size: float
    data: bytes
    gray: float = 0.0


@dataclass
class _Page:
    runs: list = field(default_factory=list)
    rules: list = field(default_factory=list)  # (x1, y1, x2, y2, width)


@functools.lru_cache(maxsize=100_000)
def _decompose(text: str) -> str:
    """Letters with a circumflex (ŷ) as letter + combining circumflex, which is drawn."""
    if text.isascii():
        return text
    return "".join(unicodedata.normalize("NFD", ch) if ch not in _LATIN and
                   unicodedata.normalize("NFD", ch)[1:] == "\u0302" else ch for ch in text)


def _width(text: str, size: float, style: str = "R") -> float:
    return _em_width(text, style) * size / 1000.0


@functools.lru_cache(maxsize=100_000)
def _em_width(text: str, style: str) -> float:
    """Width of ``text`` in thousandths of the font size."""
    return sum(_glyph(ch, style)[2] for ch in _decompose(text) if ch != "\u0302")


def _place(page: _Page, text: str, x: float, y: float, size: float, style: str = "R",
           gray: float = 0.0) -> float:
    """Draw ``text`` with its left end at x on baseline y; returns the x after it."""
    pieces, width = _pieces(text, style)
    k = size / 1000.0
    for dx, font, factor, rise, data in pieces:
        page.runs.append(_Run(x + dx * k, y + rise * size, font, size * factor, data, gray))
    return x + width * k


@functools.lru_cache(maxsize=100_000)
def _pieces(text: str, style: str):
    """``text`` as runs of one font, size and baseline: (offset and width in thousandths of
    the font size, font, size factor, rise in font sizes, bytes).  Remembered: the same words
    and formulas recur on every sheet."""
    pieces = []
    x = prev_x = prev_w = 0.0
    cur = None
    for ch in _decompose(text):
        if ch == "\u0302":  # combining circumflex over the previous letter
            _, byte, w, _, _ = _glyph("ˆ", style)
            pieces.append([prev_x + (prev_w - w) / 2, style, 1.0, 0.05, bytearray([byte])])
            cur = None
            continue
        font, byte, w, factor, rise = _glyph(ch, style)
        if cur is None or cur[1] != font or cur[2] != factor or cur[3] != rise:
            cur = [x, font, factor, rise, bytearray()]
            pieces.append(cur)
        cur[4].append(byte)
        prev_x, prev_w = x, w
        x += w
    return tuple((p[0], p[1], p[2], p[3], bytes(p[4])) for p in pieces), x


def _wrap(words: list[tuple[str, str]], width: float, size: float) -> list[list[tuple[str, str]]]:
    """Greedy line filling; ``words`` are (text, style) pairs, each ending with its space."""
    lines, line, used = [], [], 0.0
    for word, style in words:
        w = _width(word.rstrip(" "), size, style)
        if line and used + w > width:
            lines.append(line)
            line, used = [], 0.0
        line.append((word, style))
        used += _width(word, size, style)
    if line:
        lines.append(line)
    return lines


def _segment_text(s, display) -> str:
    from .sheet import plain

    if isinstance(s, Math) and display:
        s = Math(_sub(s.expr, display), _sub(s.lhs, display), s.rewrite)
    return plain([s])


def _sub(expr, display):
    if expr is None or isinstance(expr, (Partial, Name)):
        return expr
    return sympy.sympify(expr).xreplace(dict(display))


def _words(segments, display, style="R") -> list[tuple[str, str]]:
    out = []
    for s in segments:
        text = s if isinstance(s, str) else _segment_text(s, display)
        st = style
        pieces = text.split(" ")
        for k, piece in enumerate(pieces):
            last = k == len(pieces) - 1
            word = piece + ("" if last else " ")
            if not word:
                continue
            if out and not out[-1][0].endswith(" ") and out[-1][1] == st:
                out[-1] = (out[-1][0] + word, st)  # glue to the previous word (no space between)
            else:
                out.append((word, st))
    return out


class _Layout:
    def __init__(self, doc: Document):
        self.doc = doc
        self.pages: list[_Page] = []
        self.new_page()

    def new_page(self):
        self.page = _Page()
        self.pages.append(self.page)
        self.y = PAGE_H - MARGIN_TOP

    def need(self, height: float):
        if self.y - height < MARGIN_BOTTOM:
            self.new_page()

    def text_lines(self, words, x0: float, width: float, size: float = BODY, leading=None,
                   gray=0.0):
        leading = leading or size * 1.38
        for line in _wrap(words, width, size):
            self.need(leading)
            self.y -= leading
            x = x0
            for word, style in line:
                x = _place(self.page, word, x, self.y, size, style, gray)

    def para(self, segments, display, x0=MARGIN_X, width=WIDTH, size=BODY):
        self.text_lines(_words(segments, display), x0, width, size)
        self.y -= 4

    def table(self, t: Table, display, size=BODY - 0.5):
        cells = [[_segment_line(c, display) for c in t.header]]
        cells += [[_segment_line(c, display) for c in row] for row in t.rows]
        cols = len(t.header)
        widths = [max(_width(r[k], size) for r in cells) + 12 for k in range(cols)]
        widths = [max(w, 40.0) for w in widths]
        total = sum(widths)
        if total > WIDTH:
            size *= WIDTH / total
            widths = [w * WIDTH / total for w in widths]
            total = WIDTH
        row_h = size * 1.6
        x0 = MARGIN_X + 12
        self.need(row_h * min(len(cells), 4) + 4)  # no heading row alone at a page's foot
        self.y -= 4
        for r, row in enumerate(cells):
            self.need(row_h)
            top = self.y
            self.y -= row_h
            x = x0
            for k, cell in enumerate(row):
                style = "B" if r == 0 else "R"
                right = x + widths[k] - 6
                _place(self.page, cell, right - _width(cell, size, style), self.y + size * 0.45,
                       size, style)
                x += widths[k]
            self.page.rules.append((x0, self.y, x0 + total, self.y, 0.4 if r else 0.8))
            if r == 0:
                self.page.rules.append((x0, top, x0 + total, top, 0.8))
        self.y -= 8

    def steps(self, s: Steps, display, size=BODY - 0.5):
        rule_w = 118.0
        for number, depth, segs, rule in s.items:
            indent = MARGIN_X + 22 + 12 * min(depth, 8)
            words = _words(segs, display)
            lines = _wrap(words, MARGIN_X + WIDTH - rule_w - indent, size)
            leading = size * 1.35
            self.need(leading * len(lines) if len(lines) < 6 else leading)
            for k, line in enumerate(lines):
                self.need(leading)
                self.y -= leading
                if k == 0:
                    label = f"{number}."
                    _place(self.page, label, MARGIN_X + 18 - _width(label, size), self.y, size,
                           "B" if number == s.marked else "R")
                    r = rule + ("  ← wrong" if number == s.marked else "")
                    _place(self.page, r, MARGIN_X + WIDTH - _width(r, size - 1, "I"), self.y,
                           size - 1, "I", 0.35)
                x = indent
                for word, style in line:
                    x = _place(self.page, word, x, self.y, size, style)
        self.y -= 4

    def answer_line(self, label: str):
        self.need(30)
        self.y -= 24
        x = _place(self.page, f"Answer {label}", MARGIN_X, self.y, BODY, "B")
        self.page.rules.append((x + 6, self.y - 2, MARGIN_X + WIDTH, self.y - 2, 0.5))
        self.y -= 6

    def heading(self, text: str, size=12.5):
        self.need(size * 1.5 + 60)  # keep a heading with what follows it
        self.y -= size * 1.7
        _place(self.page, text, MARGIN_X, self.y, size, "B")
        self.y -= 3


def _segment_line(segments, display) -> str:
    return "".join(s if isinstance(s, str) else _segment_text(s, display) for s in segments)


def _layout(doc: Document, display_of) -> list[_Page]:
    lay = _Layout(doc)
    lay.y -= 18
    _place(lay.page, doc.title, MARGIN_X, lay.y, 17, "B")
    lay.text_lines(_words([doc.subtitle], ()), MARGIN_X, WIDTH, 11)
    lay.page.rules.append((MARGIN_X, lay.y - 6, MARGIN_X + WIDTH, lay.y - 6, 1.0))
    lay.y -= 12
    if not doc.is_key:
        lay.y -= 18
        x = _place(lay.page, "Name:", MARGIN_X, lay.y, BODY + 0.5, "B")
        lay.page.rules.append((x + 6, lay.y - 2, MARGIN_X + 300, lay.y - 2, 0.5))
        lay.y -= 8
    for line in doc.intro:
        lay.para([line], ())
    for prob in doc.problems:
        display = display_of(prob.number)
        lay.heading(f"{prob.number}. {prob.title}")
        for b in prob.blocks:
            if isinstance(b, Heading):
                lay.heading(b.text, 11)
            elif isinstance(b, Para):
                lay.para(b.segments, display)
            elif isinstance(b, Table):
                lay.table(b, display)
            elif isinstance(b, Steps):
                lay.steps(b, display)
            elif isinstance(b, AnswerLine):
                lay.answer_line(b.label)
    return lay.pages


# -- writing the file ----------------------------------------------------------------------
def _content(page: _Page, footer: str) -> bytes:
    out = []
    for x1, y1, x2, y2, w in page.rules:
        out.append(f"{w:.2f} w {x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")
    out.append("BT")
    gray = None
    for run in page.runs:
        if run.gray != gray:
            gray = run.gray
            out.append(f"{gray:.2f} g")
        out.append(f"/{_PDF_NAMES[run.font]} {run.size:.2f} Tf 1 0 0 1 {run.x:.2f} {run.y:.2f} Tm "
                   f"<{run.data.hex()}> Tj")
    out.append("ET")
    foot = _Page()
    _place(foot, footer, (PAGE_W - _width(footer, 8)) / 2, MARGIN_BOTTOM - 24, 8, "R", 0.4)
    out.append("BT 0.40 g")
    for run in foot.runs:
        out.append(f"/{_PDF_NAMES[run.font]} {run.size:.2f} Tf 1 0 0 1 {run.x:.2f} {run.y:.2f} Tm "
                   f"<{run.data.hex()}> Tj")
    out.append("ET")
    return "\n".join(out).encode("ascii")


def _pdf_text(s: str) -> str:
    """A string for the document information: UTF-16 with a byte-order mark, in hex."""
    return "<feff" + s.encode("utf-16-be").hex() + ">"


def pdf_bytes(pages: list[_Page], title: str, variant: str) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled below
    pages_id = add(b"")
    font_ids = {}
    for key, name in FONTS.items():
        enc = b"" if name == "Symbol" else b" /Encoding /WinAnsiEncoding"
        font_ids[key] = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /" + name.encode() + enc + b" >>")
    fonts = " ".join(f"/{_PDF_NAMES[k]} {i} 0 R" for k, i in font_ids.items())
    kids = []
    for n, page in enumerate(pages, start=1):
        stream = zlib.compress(_content(page, f"{variant} · page {n} of {len(pages)}"), 6)
        content = add(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
                      + stream + b"\nendstream")
        kids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_W:.0f} {PAGE_H:.0f}] "
                        f"/Resources << /Font << {fonts} >> >> /Contents {content} 0 R >>".encode()))
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    objects[pages_id - 1] = (f"<< /Type /Pages /Count {len(kids)} /Kids ["
                             + " ".join(f"{k} 0 R" for k in kids) + "] >>").encode()
    info = add(f"<< /Title {_pdf_text(title)} /Producer (gradient tutor) /Creator (tutor worksheet) >>".encode())

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def sheet_pdf(sheet: Sheet, *, key: bool = False) -> bytes:
    doc = sheet_document(sheet, key=key)
    display = {p.number: p.display for p in sheet.problems}
    pages = _layout(doc, lambda n: display[n])
    return pdf_bytes(pages, f"{doc.title} — {doc.subtitle}", doc.variant)

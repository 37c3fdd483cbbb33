"""Worksheets and answer keys as PDF, laid out here and written with fpdf2.

The layout is simple and fixed (lines of text, tables, numbered steps, answer lines, rules), so
it is done here: every piece of text is placed at a measured position, and fpdf2 writes the
file.  Text is drawn in DejaVu Serif, a Unicode TrueType font that ships inside matplotlib, so
σ, ∂, ŷ, subscripts and superscripts need no new font; a character it lacks is drawn in DejaVu
Sans, and Chinese text in a CJK font found through matplotlib's font manager
(:func:`tutor.renderers.fonts.cjk_font_file`).  Formulas are written in the one-line notation the
terminal uses (``∂σ/∂z = 2σ(2z + 1)·(1 − σ(2z + 1))``), wrapped at spaces.

Loading a whole TrueType font takes a good part of a second and a class set has hundreds of
PDFs, so each font is first cut down once per process to the characters a worksheet uses
(fontTools, which fpdf2 itself uses), and every PDF embeds only the glyphs it draws.

The output is deterministic: a fixed creation date, fixed font subsets, no random ids.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import re
import io
import logging
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import sympy

from tutor.i18n import _, current_language, speaking
from tutor.assessment.worksheet import Sheet, punctuation
from tutor.renderers.assessment.sheet import (AnswerLine, Document, Heading, Math, Name, Para, Partial, Steps, Table,
                    sheet_document)

PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 56.0, 60.0, 56.0
WIDTH = PAGE_W - 2 * MARGIN_X
BODY = 10.0

#: the date written into every file, so that the same seed gives the same bytes
CREATED = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)

#: the text fonts by style (R regular, B bold, I italic) and the fallback for signs they lack
SERIF = {"R": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}
SANS = {"R": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
#: the characters kept in the Latin fonts: Latin, Greek, punctuation, sub- and superscripts,
#: letter-like symbols, arrows, mathematical operators, shapes
_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x1D00, 0x1DBF),
           (0x2000, 0x206F), (0x2070, 0x209F), (0x2100, 0x214F), (0x2190, 0x21FF),
           (0x2200, 0x22FF), (0x2300, 0x23FF), (0x25A0, 0x25FF), (0x2700, 0x27BF))
LATIN = frozenset(c for lo, hi in _RANGES for c in range(lo, hi + 1))


# -- fonts ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Face:
    path: str  # the font file (for a collection, face ``number``)
    number: int
    widths: dict  # code point → advance in thousandths of an em


@functools.lru_cache(maxsize=None)
def _font_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="tutor-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _widths(font) -> dict:
    scale = 1000.0 / font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return {cp: round(scale * metrics[g][0] + 0.001) for cp, g in font.getBestCmap().items()}


@functools.lru_cache(maxsize=None)
def _full(path: str, number: int = 0) -> _Face:
    """A font file as it is (only its character widths are read)."""
    from fontTools import ttLib

    with ttLib.TTFont(path, fontNumber=number, lazy=True) as font:
        return _Face(path, number, _widths(font))


_serial = iter(range(1, 1 << 30))


def _cut(face: _Face, unicodes, name: str) -> _Face:
    """``face`` cut down to ``unicodes``: a small font loads and subsets fast."""
    from fontTools import subset, ttLib

    quiet = logging.getLogger("fontTools")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        font = ttLib.TTFont(face.path, fontNumber=face.number, lazy=True, recalcTimestamp=False)
        options = subset.Options(notdef_outline=True, recommended_glyphs=True, hinting=False,
                                 layout_features=[], name_IDs=[0, 1, 2, 3, 4, 5, 6])
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "MATH", "FFTM", "BDF", "EBDT",
                                "EBLC", "EBSC"]
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=sorted(set(unicodes) & set(face.widths)))
        cutter.subset(font)
        if "CFF " in font:
            _quadratic(font)
        data = io.BytesIO()
        font.save(data)
        font.close()
    finally:
        quiet.setLevel(level)
    path = _font_dir() / f"{name}-{next(_serial)}.ttf"
    path.write_bytes(data.getvalue())
    with ttLib.TTFont(str(path), lazy=True) as font:
        return _Face(str(path), 0, _widths(font))


def _quadratic(font) -> None:
    """Redraw a font's cubic (CFF) outlines as TrueType quadratic ones, in place.

    A CJK font is usually an OpenType collection of CID-keyed CFF faces (Noto Sans CJK,
    Source Han Sans), which fpdf2 embeds with a code-to-CID map of its own: poppler reads the
    text back from it, but other PDF readers (pypdf among them) find no text.  As TrueType
    outlines the font is embedded like DejaVu, with the identity encoding every reader knows.
    The curves are approximated within a thousandth of an em (1 unit of 1000): no difference
    at any printed size."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    drawn = font.getGlyphSet()
    max_err = font["head"].unitsPerEm / 1000
    outlines = {}
    for name in order:
        pen = TTGlyphPen(None)
        # CFF contours run counter-clockwise, TrueType ones clockwise
        drawn[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        outlines[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, outlines
    font["glyf"], font["loca"] = glyf, newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for key in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                "maxComponentElements"):
        setattr(maxp, key, 1 if key == "maxZones" else 0)
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


@functools.lru_cache(maxsize=None)
def _latin(family: str, style: str) -> _Face:
    import matplotlib

    files = SERIF if family == "serif" else SANS
    return _full(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / files[style]))


def _is_cjk(cp: int) -> bool:
    return cp >= 0x2E80 and cp not in LATIN


@functools.lru_cache(maxsize=None)
def _chinese_characters() -> frozenset:
    """The CJK characters of the Chinese catalog and of the lessons' Chinese texts: all that a
    Chinese sheet made from the shipped lessons can need."""
    from tutor.i18n import LOCALE_DIR
    from tutor.explaining.lesson import _folder

    texts = [mo.read_bytes().decode("utf-8", "ignore")
             for mo in LOCALE_DIR.glob("*/LC_MESSAGES/*.mo")]
    texts += [entry.read_text("utf-8") for entry in _folder().iterdir()
              if entry.name.endswith(".toml")]
    found = {ord(ch) for text in texts for ch in text if _is_cjk(ord(ch))}
    return frozenset(found | {0x3000} | set(range(0x3001, 0x3020)) | set(range(0xFF01, 0xFF5F)))


def _cjk() -> _Face | None:
    """The installed CJK font (None when there is none)."""
    from tutor.renderers.fonts import cjk_font_face

    source = cjk_font_face()
    return None if source is None else _full(*source)


def _glyph_face(cp: int, style: str, cjk: bool) -> tuple[str, str]:
    """(family, style) of the font that draws code point ``cp``."""
    if cp in LATIN and cp in _latin("serif", style).widths:
        return "serif", style
    if cp in LATIN and cp in _latin("sans", style).widths:
        return "sans", style
    if cjk and _is_cjk(cp):
        return "cjk", "R"
    return "", ""


def _face(family: str, style: str) -> _Face:
    return _cjk() if family == "cjk" else _latin(family, style)


#: the characters every cut of a Latin font has: ASCII, small Greek letters and the signs
#: formulas use (few glyphs: a small font is quick to load and to subset for each PDF)
_LATIN_CUT = (frozenset(range(0x20, 0x7F)) | frozenset(range(0x3B1, 0x3CA))
              | frozenset(map(ord, "·×²³ŷ’‘“”—–…₀₁₂₃₄₅₆₇₈₉⁰¹⁴⁵⁶⁷⁸⁹⁻⁺ᵀᵘ∂−←→≤≥≠≈′√∑∞∇ℓΣΔ")))


def _embed(family: str, style: str, needed: frozenset) -> str:
    """A small font file with the characters ``needed``: the font cut down to a fixed set
    (plus ``needed`` when the set lacks some), so that the embedded font depends only on the
    document, not on the sheets made before it in the same run."""
    base = _chinese_characters() if family == "cjk" else _LATIN_CUT
    return _cut_to(family, style, base if needed <= base else base | needed).path


@functools.lru_cache(maxsize=64)
def _cut_to(family: str, style: str, chars: frozenset) -> _Face:
    return _cut(_face(family, style), chars, f"{family}{style}")


# -- laying out text -----------------------------------------------------------------------
@dataclass
class _Run:
    x: float
    y: float
    family: str
    style: str
    size: float
    text: str
    gray: float = 0.0
    end: float = 0.0  # x after the text


@dataclass
class _Page:
    runs: list = field(default_factory=list)
    rules: list = field(default_factory=list)  # (x1, y1, x2, y2, width)


@functools.lru_cache(maxsize=100_000)
def _pieces(text: str, style: str, cjk: bool):
    """``text`` as runs of one font: ((offset in thousandths of the font size, family, style,
    text), …) and the width.  Remembered: the same words and formulas recur on every sheet."""
    pieces = []
    x = 0.0
    cur = None
    for ch in unicodedata.normalize("NFC", text):
        family, st = _glyph_face(ord(ch), style, cjk)
        if not family:
            ch, (family, st) = "?", ("serif", style)
        w = _face(family, st).widths.get(ord(ch), 0)
        if cur is None or cur[1] != family or cur[2] != st:
            cur = [x, family, st, ""]
            pieces.append(cur)
        cur[3] += ch
        x += w
    return tuple(tuple(p) for p in pieces), x


class _Fonts:
    """Whether the document being laid out may draw Chinese in the CJK font."""

    cjk = False


#: an exponent is set smaller and raised: its size and its rise, as shares of the text's size
SUP_SIZE, SUP_RISE = 0.7, 0.38
_EXPONENT_TOKEN = re.compile(r"[−\-]?[\w.ᵀ′]+")


@functools.lru_cache(maxsize=100_000)
def _scripts(text: str) -> tuple[tuple[str, bool], ...]:
    """``text`` split into (part, is an exponent): e^(−2z − 2) → ("e", False), ("−2z − 2",
    True); x^2 → ("x", False), ("2", True).  The brackets of a bracketed exponent go: raised
    and smaller, it needs none."""
    parts: list[tuple[str, bool]] = []
    plain, i = "", 0
    while i < len(text):
        ch = text[i]
        if ch == "^" and i + 1 < len(text):
            if text[i + 1] == "(":
                depth, j = 0, i + 1
                while j < len(text):
                    depth += {"(": 1, ")": -1}.get(text[j], 0)
                    if depth == 0:
                        break
                    j += 1
                if depth == 0:
                    parts += [(plain, False), (text[i + 2:j], True)]
                    plain, i = "", j + 1
                    continue
            else:
                m = _EXPONENT_TOKEN.match(text, i + 1)
                if m:
                    parts += [(plain, False), (m.group(), True)]
                    plain, i = "", m.end()
                    continue
        plain += ch
        i += 1
    parts.append((plain, False))
    return tuple((t, sup) for t, sup in parts if t)


def _width(text: str, size: float, style: str = "R") -> float:
    if "^" in text and _scripts(text) != ((text, False),):
        return sum(_width(t, size * SUP_SIZE if sup else size, style)
                   for t, sup in _scripts(text))
    return _pieces(text, style, _Fonts.cjk)[1] * size / 1000.0


def _place(page: _Page, text: str, x: float, y: float, size: float, style: str = "R",
           gray: float = 0.0) -> float:
    """Draw ``text`` with its left end at x on baseline y; returns the x after it.  An
    exponent written with ^ is set as a superscript."""
    if "^" in text and _scripts(text) != ((text, False),):
        for part, sup in _scripts(text):
            x = (_place(page, part, x, y + size * SUP_RISE, size * SUP_SIZE, style, gray) if sup
                 else _place(page, part, x, y, size, style, gray))
        return x
    pieces, width = _pieces(text, style, _Fonts.cjk)
    k = size / 1000.0
    for n, (dx, family, st, chunk) in enumerate(pieces):
        start = x + dx * k
        end = x + (pieces[n + 1][0] if n + 1 < len(pieces) else width) * k
        last = page.runs[-1] if page.runs else None
        if (last is not None and abs(last.end - start) < 1e-6 and last.y == y
                and (last.family, last.style, last.size, last.gray) == (family, st, size, gray)):
            last.text += chunk  # one text operation for a row of words in the same font
            last.end = end
        elif chunk.strip():
            page.runs.append(_Run(start, y, family, st, size, chunk, gray, end))
    return x + width * k


#: punctuation that must not begin a line (Chinese typesetting keeps it with what precedes)
_NO_LINE_START = set("，。、；：？！）」』”’》〉%,.;:?!)")


def _breakable(word: str) -> list[str]:
    """A word split where a line may break: between Chinese characters (which are written
    without spaces), never before closing punctuation."""
    if word.isascii():
        return [word]
    parts: list[str] = []
    for ch in word:
        if parts and (ch in _NO_LINE_START or not (_is_cjk(ord(ch)) or _is_cjk(ord(parts[-1][-1])))):
            parts[-1] += ch
        else:
            parts.append(ch)
    return parts


def _wrap(words: list[tuple[str, str]], width: float, size: float) -> list[list[tuple[str, str]]]:
    """Greedy line filling; ``words`` are (text, style) pairs, each ending with its space."""
    lines, line, used = [], [], 0.0
    for whole, style in words:
        for word in _breakable(whole):
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
    from tutor.renderers.assessment.sheet import plain

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
        pieces = _keep_exponents(text.split(" "))
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


def _keep_exponents(pieces: list[str]) -> list[str]:
    """Words rejoined where a bracketed exponent spans spaces (e^(−2z − 2)), so that a line
    never breaks inside it."""
    out: list[str] = []
    unclosed = False
    for piece in pieces:
        if unclosed:
            out[-1] += " " + piece
        else:
            out.append(piece)
        # an exponent group not yet closed is left in a plain part by _scripts
        unclosed = "^(" in out[-1] and any("^(" in part for part, sup in _scripts(out[-1])
                                           if not sup)
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
                    r = rule + ("  ← " + _("wrong") if number == s.marked else "")
                    _place(self.page, r, MARGIN_X + WIDTH - _width(r, size - 1, "I"), self.y,
                           size - 1, "I", 0.35)
                x = indent
                for word, style in line:
                    x = _place(self.page, word, x, self.y, size, style)
        self.y -= 4

    def answer_line(self, label: str):
        self.need(30)
        self.y -= 24
        x = _place(self.page, _("Answer {label}").format(label=label), MARGIN_X, self.y, BODY,
                   "B")
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
    subtitle = doc.subtitle if doc.variant in doc.title else (
        doc.subtitle + punctuation(" · ") + _("variant {id}").format(id=doc.variant))
    lay.text_lines(_words([subtitle], ()), MARGIN_X, WIDTH, 11)
    lay.page.rules.append((MARGIN_X, lay.y - 6, MARGIN_X + WIDTH, lay.y - 6, 1.0))
    lay.y -= 12
    if not doc.is_key:
        lay.y -= 18
        x = _place(lay.page, _("Name:"), MARGIN_X, lay.y, BODY + 0.5, "B")
        lay.page.rules.append((x + 6, lay.y - 2, MARGIN_X + 300, lay.y - 2, 0.5))
        lay.y -= 8
        for label, value in doc.fields:
            lay.y -= 18
            x = _place(lay.page, f"{label}:", MARGIN_X, lay.y, BODY + 0.5, "B")
            if value:
                _place(lay.page, value, x + 6, lay.y, BODY + 0.5)
            else:
                lay.page.rules.append((x + 6, lay.y - 2, MARGIN_X + 300, lay.y - 2, 0.5))
            lay.y -= 8
    for line in doc.intro:
        lay.para([line], ())
    for prob in doc.problems:
        display = display_of(prob.number)
        # a problem that fits on a page is not split: it starts a page if it must
        trial = _Layout(doc)
        _problem(trial, prob, display)
        if len(trial.pages) == 1 and lay.y - (PAGE_H - MARGIN_TOP - trial.y) < MARGIN_BOTTOM:
            lay.new_page()
        if _problem(lay, prob, display):
            lay.y -= BODY * 1.38 * doc.space  # room to work
    return lay.pages


def _problem(lay: _Layout, prob, display) -> bool:
    """Lay out one problem, from its heading to its answer line; whether it has one."""
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
    return any(isinstance(b, AnswerLine) for b in prob.blocks)


# -- writing the file ----------------------------------------------------------------------
def pdf_bytes(pages: list[_Page], title: str, variant: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="a4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(CREATED)
    pdf.set_title(title)
    pdf.set_creator("tutor worksheet")
    pdf.set_producer("gradient tutor")
    pdf.set_lang(current_language())
    for n, page in enumerate(pages, start=1):
        footer = _("{variant} · page {page} of {pages}").format(variant=variant, page=n,
                                                                pages=len(pages))
        _place(page, footer, (PAGE_W - _width(footer, 8)) / 2, MARGIN_BOTTOM - 24, 8, "R", 0.4)
    used: dict = {}
    for page in pages:
        for run in page.runs:
            used.setdefault((run.family, run.style), set()).update(map(ord, run.text))
    for (family, style), chars in sorted(used.items()):
        st = "" if style == "R" else style
        pdf.add_font(family, st, _embed(family, style, frozenset(chars)))
        # the cut font's glyph boxes are right already: fpdf2's own subsetting need not
        # decode and re-encode every outline to recompute them
        pdf.fonts[family + st].ttfont.recalcBBoxes = False
    current = None
    for page in pages:
        pdf.add_page()
        for x1, y1, x2, y2, w in page.rules:
            pdf.set_line_width(w)
            pdf.line(x1, PAGE_H - y1, x2, PAGE_H - y2)
        gray = None
        for run in page.runs:
            if (run.family, run.style, run.size) != current:
                current = (run.family, run.style, run.size)
                pdf.set_font(run.family, "" if run.style == "R" else run.style, run.size)
            if run.gray != gray:
                gray = run.gray
                pdf.set_text_color(round(gray * 255))
            pdf.text(run.x, PAGE_H - run.y, run.text)
    return bytes(pdf.output())


def _characters(doc: Document) -> frozenset:
    """The CJK characters a document's fixed texts and titles use."""
    texts = [doc.title, doc.subtitle, *doc.intro,
             *(f"{label}: {value}" for label, value in doc.fields)]
    for prob in doc.problems:
        texts.append(prob.title)
        for b in prob.blocks:
            if isinstance(b, Heading):
                texts.append(b.text)
            elif isinstance(b, Para):
                texts += [s for s in b.segments if isinstance(s, str)]
            elif isinstance(b, Table):
                texts += [s for row in [b.header, *b.rows] for c in row for s in c
                          if isinstance(s, str)]
            elif isinstance(b, Steps):
                texts += [rule for *_, rule in b.items]
                texts += [s for _n, _d, segs, _r in b.items for s in segs if isinstance(s, str)]
    return frozenset(ord(ch) for t in texts for ch in t if _is_cjk(ord(ch)))


def pdf_language() -> tuple[str, str]:
    """(language the PDF is written in, a note for the user or ""): Chinese needs a CJK font;
    without one the PDF is written in English rather than in empty boxes."""
    from tutor.renderers.fonts import NO_CJK_NOTE, cjk_font_file

    lang = current_language()
    if lang != "zh" or cjk_font_file() is not None:
        return lang, ""
    return "en", _(NO_CJK_NOTE)


def sheet_pdf(sheet: Sheet, *, key: bool = False) -> bytes:
    lang, _note = pdf_language()
    with speaking(lang):
        doc = sheet_document(sheet, key=key)
        _Fonts.cjk = bool(_characters(doc)) and _cjk() is not None
        display = {p.number: p.display for p in sheet.problems}
        pages = _layout(doc, lambda n: display[n])
        return pdf_bytes(pages, f"{doc.title} — {doc.subtitle}", doc.variant)

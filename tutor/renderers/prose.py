"""Sentences laid out for the terminal without breaking a formula across lines.

rich wraps text at spaces.  Chinese has none between words, so a Chinese sentence is one long
"word" to rich, and the breaks fall inside the formulas around it ("z =⏎0").  Here a line may
break

* at a space of English text, except beside an operator (+ − = × · / …), so that "1 + e^z"
  and "z = 0" stay whole;
* between two Chinese characters (a closing mark such as ，。：） stays with the one before,
  an opening mark such as （ with the one after);

and never inside a formula: a part marked with :func:`whole`, or, in a sentence that has
Chinese in it, any run of non-Chinese text between Chinese characters (that is where the
mathematics sits: "在 z = 0 处").  A formula wider than a whole line gets a line of its own and
is broken at its spaces only then.

:class:`Prose` is a rich renderable that does this at whatever width it is given (a table
column or the whole terminal).
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

_MARK = re.compile("\x02([^\x03]*)\x03")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f\u2014"
_CLOSING = "，。、：；！？）」』》—"
_OPENING = "（「『《“‘"
#: binary operators and relations: a line never breaks beside one
_OPERATORS = "+−=×·/≈≤≥<>→←"
_HAS_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
# a Chinese character with the closing marks after it | a run of anything else
_CJK_PIECE = re.compile(f"[{_CJK}][{_CLOSING}]*|[^{_CJK}]+")
_WORD = re.compile(r"\S+\s*|\s+")


def whole(formula: str) -> str:
    """``formula`` marked to be kept on one line (the marks are removed when laid out)."""
    return f"\x02{formula}\x03"


def plain(marked: str) -> str:
    """``marked`` without the marks of :func:`whole`."""
    return _MARK.sub(r"\1", marked)


def _pieces(marked: str) -> list[str]:
    """The unbreakable pieces of ``marked``, in order; joining them gives the plain text."""
    cjk = bool(_HAS_CJK.search(marked))
    out: list[str] = []
    glue = False  # the next piece sticks to the one before (no space between them)
    position = 0
    for m in list(_MARK.finditer(marked)) + [None]:
        text = marked[position:m.start() if m else len(marked)]
        for piece in (_CJK_PIECE if cjk else _WORD).findall(text):
            # an opening mark （「 stays with what follows it, a closing mark with what precedes
            opened = bool(out) and out[-1].rstrip()[-1:] in _OPENING
            # in English, a formula's operator keeps its operands: "(1 + e^z)", "z = 0"
            operator = (not cjk and bool(out)
                        and (out[-1].rstrip()[-1:] in _OPERATORS or piece[:1] in _OPERATORS))
            if (glue or opened or operator or piece[0] in _CLOSING) and out:
                out[-1] += piece
            else:
                out.append(piece)
            glue = not piece[-1:].isspace() and not cjk
        if m is None:
            break
        if out and not out[-1][-1:].isspace() and not _HAS_CJK.search(out[-1][-1:]):
            out[-1] += m.group(1)  # glued to the word before it, as written
        else:
            out.append(m.group(1))
        glue = not cjk
        position = m.end()
    return out


def fit(marked: str, width: int, indent: str = "") -> str:
    """``marked`` as lines of at most ``width`` cells (see the module's docstring); lines
    after the first start with ``indent``."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(marked):
        if line.strip() and cell_len((line + piece).rstrip()) > width:
            lines.append(line.rstrip())
            line = indent + piece.lstrip()
        else:
            line += piece
        while cell_len(line.rstrip()) > width and " " in line.strip():
            # a formula wider than a line: break it at its last space that fits
            cut = max(i for i, ch in enumerate(line) if ch == " " and cell_len(line[:i]) <= width
                      and line[:i].strip()) if any(
                ch == " " and cell_len(line[:i]) <= width and line[:i].strip()
                for i, ch in enumerate(line)) else None
            if cut is None:
                break
            lines.append(line[:cut].rstrip())
            line = indent + line[cut:].lstrip()
    lines.append(line.rstrip())
    return "\n".join(lines)


class Prose:
    """A sentence (or paragraph) for rich, laid out with :func:`fit` at the width it gets."""

    def __init__(self, marked: str, style: str = "", indent: str = ""):
        self.marked, self.style, self.indent = marked, style, indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(fit(self.marked, options.max_width, self.indent), style=self.style,
                   no_wrap=True, overflow="ignore")

    def __rich_measure__(self, console: Console, options: ConsoleOptions):
        from rich.measure import Measurement

        text = plain(self.marked)
        return Measurement(min(cell_len(text), 20), cell_len(text))

"""What a worksheet says, as a small document tree every format lays out.

A problem's statement and its worked answer are blocks (headings, paragraphs, tables, numbered
steps, answer lines) made of segments (plain text, a formula, a partial-derivative symbol, a
number).  The kinds of problem (:mod:`tutor.assessment.kinds`) build them; the Markdown,
LaTeX, HTML and PDF renderers each print them their own way, so the four formats always say
the same thing.  A step's rule is kept as its key; renderers name it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import sympy

from tutor.assessment.problems import Problem, punctuation
from tutor.i18n import _


@dataclass(frozen=True)
class Math:
    """A formula; ``lhs`` (optional) is shown before an equals sign."""

    expr: object
    lhs: object = None
    rewrite: bool = False  # "= expr" (a rewrite step)


@dataclass(frozen=True)
class Partial:
    """∂f/∂w, with the function's LaTeX name and its plain name."""

    name: str
    latex: str
    wrt: sympy.Symbol


@dataclass(frozen=True)
class Name:
    """A function's name: plain (σ, ŷ, s1) and LaTeX (\\sigma, \\hat{y}, s_{1})."""

    plain: str
    latex: str


@dataclass(frozen=True)
class Num:
    value: sympy.Expr


@dataclass(frozen=True)
class Code:
    """Text to type literally (an answer line)."""

    text: str


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    segments: list


@dataclass
class Table:
    header: list
    rows: list  # each row: list of cells, each cell a list of segments


@dataclass
class Steps:
    #: (number, depth, segments, rule name)
    items: list
    #: the number of a step to mark (in the key of a "spot the mistake" problem)
    marked: int = 0


@dataclass
class AnswerLine:
    label: str


@dataclass
class Problem_:
    number: int
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    variant: str
    is_key: bool
    intro: list
    problems: list
    names: dict = field(default_factory=dict)
    #: lines of the header a teacher fills or has filled: (label, value or "" for a blank)
    fields: tuple = ()
    #: blank lines left after each problem's answer line, room to work
    space: int = 0


ETA = Name("η", r"\eta")


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, **parts) -> list:
    """A translated sentence as segments: the text between its ``{placeholders}``, and for
    each placeholder the segment (or list of segments) given for it.  The translation may put
    the placeholders in any order."""
    out: list = []
    pos = 0
    for m in PLACEHOLDER.finditer(template):
        if m.start() > pos:
            out.append(template[pos:m.start()])
        part = parts[m.group(1)]
        out += part if isinstance(part, list) else [part]
        pos = m.end()
    if pos < len(template):
        out.append(template[pos:])
    return out


def joined(items: list, sep: str | None = None) -> list:
    """Segments separated by a comma (in the current language)."""
    sep = punctuation(", ") if sep is None else sep
    out: list = []
    for k, item in enumerate(items):
        if k:
            out.append(sep)
        out += item if isinstance(item, list) else [item]
    return out


def function_segments(p: Problem) -> list:
    return [Math(p.function, lhs=Name(p.function_name, p.function_latex))]


def where_blocks(p: Problem) -> list:
    if not p.where:
        return []
    definitions = joined([Math(definition, lhs=sym) for sym, definition in p.where])
    return [Para(fill(_("where {definitions}."), definitions=definitions))]


def assume_blocks(p: Problem) -> list:
    if not p.assumptions:
        return []
    equations = joined([Math(rhs, lhs=lhs) for lhs, rhs in p.assumptions], _(" and "))
    return [Para(fill(_("Assume {equations} (the labels are one-hot)."), equations=equations))]


def given(pairs) -> list:
    return joined([Math(value, lhs=sym) for sym, value in pairs])


def partial(p: Problem, wrt) -> Partial:
    return Partial(p.function_name, p.function_latex, wrt)


def list_of(symbols) -> list:
    return joined([Math(s) for s in symbols])


def steps_block(steps, names, marked: int = 0) -> Steps:
    items = []
    for k, (depth, step) in enumerate(steps, start=1):
        segs: list = []
        if step.is_rewrite:
            segs.append(Math(step.after, rewrite=True))
        else:
            segs.append(Math(step.after, lhs=derivative_of(step.before, step.wrt)))
        for sym, expr in step.bindings:
            segs += fill(_("  where {definition}"), definition=Math(expr, lhs=sym))
        items.append((k, depth, segs, step.rule))
    return Steps(items, marked)


@functools.lru_cache(maxsize=50_000)
def derivative_of(before, wrt):
    return sympy.Derivative(before, wrt)

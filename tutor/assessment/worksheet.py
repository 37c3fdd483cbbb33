"""Worksheets: randomised problems drawn from lessons, with their answers and worked steps.

A worksheet is plain data.  :func:`make_worksheets` builds ``variants`` sheets of ``problems``
problems each; every sheet has the same kinds of problem in the same places (so sheets can be
compared and marked side by side) with its own numbers.  The numbers come from a generator
seeded by the seed, the variant and the slot, so the same seed gives the same sheets.

The kinds of problem (derive, evaluate, gd_step, backward, mistake) are a registry,
:mod:`tutor.assessment.kinds`, one module each.  Every expected answer is computed there, with
exact arithmetic where the numbers allow it; renderers only lay the problems out.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Sequence

from tutor.assessment.kinds import KINDS, matrix_gradient
from tutor.assessment.problems import (  # noqa: F401  (the worksheet's data, importable here)
    DECIMALS, MAX_GRAPH_NODES, MAX_LESSONS, MAX_PROBLEMS, MAX_VARIANTS, Node, NumberAnswer,
    Problem, Sheet, Worksheets, WorksheetError, punctuation)
from tutor.explaining.lesson import Lesson, load_lesson
from tutor.i18n import _


def check_counts(problems: int, variants: int) -> None:
    if not 1 <= problems <= MAX_PROBLEMS:
        raise WorksheetError(_("the number of problems must be from 1 to {most}, not {n}")
                             .format(most=MAX_PROBLEMS, n=problems))
    if not 1 <= variants <= MAX_VARIANTS:
        raise WorksheetError(_("the number of variants must be from 1 to {most}, not {n}")
                             .format(most=MAX_VARIANTS, n=variants))


def variant_id(seed: int, variant: int) -> str:
    return f"s{seed}-v{variant:02d}"


def make_worksheets(lessons: Sequence[str | Lesson], *, problems: int = 6, variants: int = 1,
                    seed: int = 0, kinds: Sequence[str] | None = None,
                    common_mistakes: bool = False) -> Worksheets:
    """``variants`` sheets of ``problems`` problems drawn from ``lessons`` (names or Lessons).

    ``common_mistakes``: also make each derive problem's common mistakes, for a quiz system
    that marks symbolic answers (:mod:`tutor.assessment.slips`)."""
    check_counts(problems, variants)
    if not lessons:
        raise WorksheetError(_("name at least one lesson ('tutor list' shows them)"))
    if len(lessons) > MAX_LESSONS:
        raise WorksheetError(_("at most {n} lessons on one sheet").format(n=MAX_LESSONS))
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise WorksheetError(_("the seed must be a whole number from 0 to 2^63 − 1"))
    loaded = [_load(x) if isinstance(x, str) else x for x in lessons]
    names = [sheet_name(l) for l in loaded]
    if len(set(names)) != len(names):
        raise WorksheetError(_("a lesson is named twice"))
    wanted = tuple(kinds) if kinds else tuple(KINDS)
    for k in wanted:
        if k not in KINDS:
            raise WorksheetError(_("unknown kind of problem '{kind}'; the kinds are {kinds}")
                                 .format(kind=k, kinds=", ".join(KINDS)))
    plan = _plan(loaded, problems, wanted)
    titles = {sheet_name(l): tuple(sorted((lang, fields["title"]) for lang, fields in l.narrative.items()
                                   if fields.get("title")))
              for l in loaded}
    sheets = []
    for v in range(1, variants + 1):
        items = []
        for slot, (lesson, kind) in enumerate(plan, start=1):
            rng = random.Random(f"{seed}:{v}:{slot}:{sheet_name(lesson)}:{kind}")
            items.append(dataclasses.replace(KINDS[kind].make(lesson, rng, slot),
                                             lesson_titles=titles[sheet_name(lesson)]))
        sheets.append(Sheet(variant_id(seed, v), v, seed, tuple(names), tuple(items)))
    ws = Worksheets(seed, tuple(names), problems, tuple(sheets))
    if common_mistakes:
        from tutor.assessment.slips import with_slips

        ws = with_slips(ws)
    return ws


def _load(name: str):
    """A lesson by the name a worksheet is given: ``matrix:NAME`` for a matrix lesson."""
    if name.startswith(matrix_gradient.PREFIX):
        return matrix_gradient.load(name)
    return load_lesson(name)


def sheet_name(lesson) -> str:
    """How a worksheet and its key name a lesson: a matrix lesson as ``matrix:NAME``, apart
    from the scalar lesson of the same name."""
    if matrix_gradient.is_matrix_lesson(lesson):
        return matrix_gradient.PREFIX + lesson.name
    return lesson.name


def kinds_for(lesson: Lesson) -> list[str]:
    """The kinds of problem a lesson offers (a matrix lesson's kinds are the matrix ones)."""
    family = "matrix" if matrix_gradient.is_matrix_lesson(lesson) else "scalar"
    return [name for name, kind in KINDS.items()
            if kind.family == family and kind.offered_by(lesson)]


def _plan(lessons: list[Lesson], n: int, wanted) -> list[tuple[Lesson, str]]:
    """Which lesson and kind goes in each slot: lessons in turn, each slot taking the kind used
    least so far on the sheet among those its lesson offers (so a short sheet mixes kinds)."""
    offered = [[k for k in kinds_for(l) if k in wanted] for l in lessons]
    if not any(offered):
        if "matrix_gradient" in wanted and not any(map(matrix_gradient.is_matrix_lesson, lessons)):
            raise WorksheetError(_("matrix problems come from the matrix lessons: name them "
                                   "like matrix:{name} ('tutor matrix list' shows them)")
                                 .format(name=lessons[0].name))
        raise WorksheetError(_("none of these lessons offers the kinds of problem asked for"))
    plan = []
    order = list(KINDS)
    used = {k: 0 for k in KINDS}
    k = 0
    while len(plan) < n:
        i = k % len(lessons)
        k += 1
        if not offered[i]:
            continue
        kind = min(offered[i], key=lambda kind: (used[kind], order.index(kind)))
        used[kind] += 1
        plan.append((lessons[i], kind))
    return plan

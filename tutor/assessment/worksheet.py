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

from tutor.assessment.kinds import KINDS
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
    loaded = [load_lesson(x) if isinstance(x, str) else x for x in lessons]
    names = [l.name for l in loaded]
    if len(set(names)) != len(names):
        raise WorksheetError(_("a lesson is named twice"))
    wanted = tuple(kinds) if kinds else tuple(KINDS)
    for k in wanted:
        if k not in KINDS:
            raise WorksheetError(_("unknown kind of problem '{kind}'; the kinds are {kinds}")
                                 .format(kind=k, kinds=", ".join(KINDS)))
    plan = _plan(loaded, problems, wanted)
    titles = {l.name: tuple(sorted((lang, fields["title"]) for lang, fields in l.narrative.items()
                                   if fields.get("title")))
              for l in loaded}
    sheets = []
    for v in range(1, variants + 1):
        items = []
        for slot, (lesson, kind) in enumerate(plan, start=1):
            rng = random.Random(f"{seed}:{v}:{slot}:{lesson.name}:{kind}")
            items.append(dataclasses.replace(KINDS[kind].make(lesson, rng, slot),
                                             lesson_titles=titles[lesson.name]))
        sheets.append(Sheet(variant_id(seed, v), v, seed, tuple(names), tuple(items)))
    ws = Worksheets(seed, tuple(names), problems, tuple(sheets))
    if common_mistakes:
        from tutor.assessment.slips import with_slips

        ws = with_slips(ws)
    return ws


def kinds_for(lesson: Lesson) -> list[str]:
    """The kinds of problem a lesson offers."""
    return [name for name, kind in KINDS.items() if kind.offered_by(lesson)]


def _plan(lessons: list[Lesson], n: int, wanted) -> list[tuple[Lesson, str]]:
    """Which lesson and kind goes in each slot: lessons in turn, each slot taking the kind used
    least so far on the sheet among those its lesson offers (so a short sheet mixes kinds)."""
    offered = [[k for k in kinds_for(l) if k in wanted] for l in lessons]
    if not any(offered):
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

"""``derive``: a partial derivative, symbolically.  A single-input lesson is composed with a
random inner line a·z + c, so each variant has its own function."""

from __future__ import annotations

import random

from tutor.assessment.document import (Math, Para, assume_blocks, fill, function_segments,
                                       partial, steps_block, where_blocks)
from tutor.assessment.kinds.base import Kind
from tutor.assessment.kinds.common import (function_latex, function_name, lesson_derivation,
                                           names_latex, pick_output, variables_of,
                                           variant_function)
from tutor.assessment.problems import Problem, shown_form
from tutor.calculus.derivation import expand_named
from tutor.explaining.lesson import Lesson
from tutor.i18n import N_, _


class Derive(Kind):
    name = "derive"
    title = N_("Derive")
    short = N_("derive")
    answer = "expression"

    def make(self, lesson: Lesson, rng: random.Random, number: int) -> Problem:
        out = pick_output(lesson, rng)
        f, named, display = variant_function(lesson, rng, out)
        wrt = rng.choice(lesson.wrt)
        name = function_name(lesson, out)
        d = lesson_derivation(lesson, f, wrt, named, name)
        return Problem(number, "derive", lesson.name, lesson.title, shown_form(f, named), name,
                       variables_of(f), (wrt,), answer_type="expression",
                       expected=expand_named(d.result, named), expected_shown=d.result,
                       derivation=d, named=tuple((n.symbol, n.definition) for n in named),
                       function_latex_=function_latex(lesson, out),
                       assumptions=tuple(tuple(a) for a in lesson.assumptions),
                       names_latex=names_latex(named), display=display)

    def statement(self, p: Problem, key: bool) -> list:
        blocks = [Para(fill(_("Let {function}. Find {derivative} as an expression in the "
                              "variables."),
                            function=function_segments(p), derivative=partial(p, p.wrt[0])))]
        return blocks + where_blocks(p) + assume_blocks(p)

    def solution(self, p: Problem) -> list:
        return [Para(fill(_("Answer: {answer}."),
                          answer=Math(p.expected_shown, lhs=partial(p, p.wrt[0])))),
                Para([_("Worked steps:")]),
                steps_block(p.derivation.steps(), p.names)]


KIND = Derive()

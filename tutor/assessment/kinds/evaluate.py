"""``evaluate``: the value of a partial derivative at given numbers."""

from __future__ import annotations

import random

import sympy

from tutor.assessment.document import (Math, Num, Para, assume_blocks, fill, function_segments,
                                       given, partial, steps_block, where_blocks)
from tutor.assessment.kinds.base import Kind
from tutor.assessment.kinds.common import (clean_point, diff_of, function_latex, function_name,
                                           lesson_derivation, names_latex, nice, pick_output,
                                           tolerance_of, variables_of, variant_function)
from tutor.assessment.problems import NumberAnswer, Problem, shown_form
from tutor.calculus.derivation import expand_named
from tutor.explaining.lesson import Lesson
from tutor.i18n import N_, _


class Evaluate(Kind):
    name = "evaluate"
    title = N_("Evaluate a gradient")
    short = N_("evaluate")
    answer = "numbers"

    def make(self, lesson: Lesson, rng: random.Random, number: int) -> Problem:
        out = pick_output(lesson, rng)
        f, named, display = variant_function(lesson, rng, out)
        wrt = rng.choice(lesson.wrt)
        name = function_name(lesson, out)
        d = lesson_derivation(lesson, f, wrt, named, name)
        derivative = diff_of(f, wrt)  # a second route to the number, independent of the steps
        point, (value,) = clean_point(lesson, f, [derivative], rng)
        value = nice(value)
        label = sympy.Symbol(f"∂{name}/∂{wrt.name}")
        given = tuple((s, point[s]) for s in variables_of(f))
        return Problem(number, "evaluate", lesson.name, lesson.title, shown_form(f, named), name,
                       variables_of(f), (wrt,), given=given, answer_type="numbers",
                       expected=expand_named(d.result, named), expected_shown=d.result,
                       numbers=(NumberAnswer(label, value, tolerance_of(value)),), derivation=d,
                       named=tuple((n.symbol, n.definition) for n in named),
                       function_latex_=function_latex(lesson, out),
                       assumptions=tuple(tuple(a) for a in lesson.assumptions),
                       names_latex=names_latex(named), display=display)

    def statement(self, p: Problem, key: bool) -> list:
        blocks = [Para(fill(_("Let {function}. Evaluate {derivative} at {point}."),
                            function=function_segments(p), derivative=partial(p, p.wrt[0]),
                            point=given(p.given)))]
        return blocks + where_blocks(p) + assume_blocks(p)

    def solution(self, p: Problem) -> list:
        n = p.numbers[0]
        return [Para(fill(_("Answer: {answer}."), answer=Num(n.value))),
                Para(fill(_("The derivative is {derivative}; at {point} it is {value}."),
                          derivative=Math(p.expected_shown, lhs=partial(p, p.wrt[0])),
                          point=given(p.given), value=Num(n.value))),
                Para([_("Worked steps:")]),
                steps_block(p.derivation.steps(), p.names)]


KIND = Evaluate()

"""``mistake``: a derivation with exactly one wrong step, to be found."""

from __future__ import annotations

import functools
import random

import sympy

from tutor.assessment.document import (Math, Para, assume_blocks, derivative_of, fill,
                                       function_segments, partial, steps_block, where_blocks)
from tutor.assessment.kinds.base import Kind
from tutor.assessment.kinds.common import (function_latex, function_name, lesson_derivation,
                                           names_latex, pick_output, variables_of,
                                           variant_function)
from tutor.assessment.problems import Problem, WorksheetError, shown_form
from tutor.calculus.derivation import expand_named
from tutor.calculus.steps import Step
from tutor.calculus.verify import differ_at
from tutor.explaining.lesson import Lesson
from tutor.i18n import N_, _


_MISTAKES = ("sign", "factor", "inner")


def _mutations(step: Step):
    """Wrong versions of a derivative step: (kind, wrong expression, explanation)."""
    after = step.after
    out = [("sign", -after, N_("the sign is wrong: this line is −1 × the correct one")),
           ("factor", 2 * after,
            N_("a constant factor is wrong: this line is 2 × the correct one"))]
    if step.rule == "chain" and step.substeps:
        outer = step.substeps[0].after
        for sym, expr in step.bindings:
            outer = outer.subs(sym, expr)
        if outer != after:
            out.append(("inner", outer, N_("the chain rule's inner derivative is missing")))
    return out


@functools.lru_cache(maxsize=8192)
def _differs(a: sympy.Expr, b: sympy.Expr) -> bool:
    try:
        return differ_at(a, b) is not None
    except ValueError:
        return False


class Mistake(Kind):
    name = "mistake"
    title = N_("Spot the mistake")
    short = N_("mistake")
    answer = "step"

    def make(self, lesson: Lesson, rng: random.Random, number: int) -> Problem:
        out = pick_output(lesson, rng)
        f, named, display = variant_function(lesson, rng, out)
        wrt = rng.choice(lesson.wrt)
        name = function_name(lesson, out)
        d = lesson_derivation(lesson, f, wrt, named, name)
        steps = d.steps()
        candidates = [k for k, (_, s) in enumerate(steps)
                      if not s.is_rewrite and s.after != 0]
        # prefer a step with some substance over d/dx x = 1
        substantial = [k for k in candidates if steps[k][1].after.free_symbols]
        candidates = substantial or candidates
        if not candidates:
            raise WorksheetError(_("lesson '{lesson}': its derivation is too short for a mistake").format(lesson=lesson.name))
        choices = [(k, m) for k in candidates for m in _mutations(steps[k][1])]
        rng.shuffle(choices)
        # a mistake whose lines fit half a page, else the one with the fewest lines
        choices.sort(key=lambda c: len(_around(steps, c[0])) > MAX_SHOWN)
        for k, (kind, wrong, why) in choices:
            step = steps[k][1]
            if not _differs(step.after, wrong):
                continue
            bad = Step(step.rule, step.before, wrong, step.wrt, (), step.bindings, "")
            kept = _around(steps, k)
            shown = tuple((depth, bad if j == k else s) for j, (depth, s) in enumerate(steps)
                          if j in kept)
            position = sorted(kept).index(k) + 1
            return Problem(number, "mistake", lesson.name, lesson.title, shown_form(f, named), name,
                           variables_of(f), (wrt,), answer_type="step", wrong_step=position,
                           shown_steps=shown, correct_step=step, mistake=why, derivation=d,
                           expected=expand_named(d.result, named), expected_shown=d.result,
                           named=tuple((n.symbol, n.definition) for n in named),
                           function_latex_=function_latex(lesson, out),
                       assumptions=tuple(tuple(a) for a in lesson.assumptions),
                       names_latex=names_latex(named), display=display)
        raise WorksheetError(_("lesson '{lesson}': no mistake could be planted").format(lesson=lesson.name))

    def statement(self, p: Problem, key: bool) -> list:
        blocks = [Para(fill(_("Exactly one step of this derivation of {derivative} for "
                              "{function} is wrong. Which one? Give its number."),
                            derivative=partial(p, p.wrt[0]), function=function_segments(p)))]
        blocks += where_blocks(p) + assume_blocks(p)
        blocks.append(steps_block(p.shown_steps, p.names, marked=p.wrong_step if key else 0))
        return blocks

    def solution(self, p: Problem) -> list:
        step = p.correct_step
        correct = (Math(step.after, lhs=derivative_of(step.before, step.wrt))
                   if not step.is_rewrite else Math(step.after, rewrite=True))
        return [Para([_("Answer: step {step}. {why}.").format(
                    step=p.wrong_step, why=_sentence(p.explanation))]),
                Para(fill(_("The correct step: {step}. The result: {result}."),
                          step=correct, result=Math(p.expected_shown, lhs=partial(p, p.wrt[0]))))]


#: the most steps a spot-the-mistake problem shows (about half a printed page)
MAX_SHOWN = 12


def _around(steps: list, k: int) -> set[int]:
    """The steps worth showing around step ``k``: the path from the top down to it, and at
    each level of that path the other steps one level down, each standing for its own
    sub-derivation (which is right, so its inside need not be shown), plus the rewrites at the
    end.  A long derivation (softmax regression's forty steps) shrinks to a dozen lines with
    the mistake among them."""
    depths = [d for d, _ in steps]
    parents: list[int | None] = []
    stack: list[int] = []
    for j, d in enumerate(depths):
        while stack and depths[stack[-1]] >= d:
            stack.pop()
        parents.append(stack[-1] if stack else None)
        stack.append(j)
    path, j = set(), k
    while j is not None:
        path.add(j)
        j = parents[j]
    rewrites = {j for j, (_, s) in enumerate(steps) if s.is_rewrite}
    return {j for j in range(len(steps))
            if j in path or parents[j] is None or parents[j] in path or j in rewrites}


def _sentence(text: str) -> str:
    """The explanation as the start of a sentence (capitalised; Chinese has no capitals)."""
    return text[:1].upper() + text[1:]


KIND = Mistake()

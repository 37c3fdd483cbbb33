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
        # where each mistake is shown from: the whole derivation when it fits half a page,
        # else the largest part of it (a sub-derivation holding the mistake) that fits
        where = sum(len(sympy.sstr(n.definition)) + 8 for n in named)
        statement = _lines(len(sympy.sstr(f)) + _SENTENCE + where) + bool(lesson.assumptions)
        roots = {k: _root(steps, k, statement) for k in candidates}
        # one that fits, with enough steps to be worth checking, from the top if it can
        choices.sort(key=lambda c: (not roots[c[0]][1], roots[c[0]][2] < MIN_SHOWN,
                                    roots[c[0]][0] is not None))
        for k, (kind, wrong, why) in choices:
            step = steps[k][1]
            if not _differs(step.after, wrong):
                continue
            bad = Step(step.rule, step.before, wrong, step.wrt, (), step.bindings, "")
            root = roots[k][0]
            part = _part(steps, root)
            at = k - (root or 0)
            kept = _shown(part, at)
            top = part[0][0]
            shown = tuple((depth - top, bad if j == at else s)
                          for j, (depth, s) in enumerate(part) if j in kept)
            position = sorted(kept).index(at) + 1
            return Problem(number, "mistake", lesson.name, lesson.title, shown_form(f, named), name,
                           variables_of(f), (wrt,), answer_type="step", wrong_step=position,
                           shown_steps=shown, correct_step=step, mistake=why, derivation=d,
                           expected=expand_named(d.result, named), expected_shown=d.result,
                           named=tuple((n.symbol, n.definition) for n in named),
                           function_latex_=function_latex(lesson, out),
                           assumptions=tuple(tuple(a) for a in lesson.assumptions),
                           names_latex=names_latex(named), display=display,
                           part=None if root is None else steps[root][1])
        raise WorksheetError(_("lesson '{lesson}': no mistake could be planted").format(lesson=lesson.name))

    def statement(self, p: Problem, key: bool) -> list:
        if p.part is not None:  # a part of the derivation: the function is not needed
            return [Para(fill(_("Exactly one step of this derivation of {derivative} is "
                                "wrong. Which one? Give its number."),
                              derivative=[Math(derivative_of(p.part.before, p.part.wrt))])),
                    steps_block(p.shown_steps, p.names, marked=p.wrong_step if key else 0)]
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
        result = (Math(p.expected_shown, lhs=partial(p, p.wrt[0])) if p.part is None else
                  Math(p.part.after, lhs=derivative_of(p.part.before, p.part.wrt)))
        return [Para([_("Answer: step {step}. {why}.").format(
                    step=p.wrong_step, why=_sentence(p.explanation))]),
                Para(fill(_("The correct step: {step}. The result: {result}."),
                          step=correct, result=result))]


#: the most steps a spot-the-mistake problem shows, and the fewest worth checking (fewer
#: only when the lesson's derivation is that short)
MAX_SHOWN, MIN_SHOWN = 12, 5
#: characters of a formula that fit on one printed line of a derivation (a step's column on
#: A4 at 9.5 pt, less the rule's name), and of the statement's sentence without its formula
LINE_CHARS, _SENTENCE = 60, 90
#: the printed lines a problem's statement and derivation may take: about half a page (the
#: worksheet tests measure the problems on the PDF)
MAX_LINES = 18


def _lines(chars: int) -> int:
    return -(-chars // LINE_CHARS)


def _step_lines(step: Step) -> int:
    """The printed lines a step takes: ``∂/∂x (before) = after``, with its "where u = …"."""
    chars = len(sympy.sstr(step.after)) + (0 if step.is_rewrite else
                                           len(sympy.sstr(step.before)) + 8)
    chars += sum(len(sympy.sstr(e)) + 12 for _sym, e in step.bindings)
    return _lines(chars)


def _part(steps: list, root: int | None) -> list:
    """The steps of the sub-derivation that starts at step ``root`` (None: all of them)."""
    if root is None:
        return steps
    end = root + 1
    while end < len(steps) and steps[end][0] > steps[root][0]:
        end += 1
    return steps[root:end]


def _root(steps: list, k: int, statement: int) -> tuple[int | None, bool, int]:
    """Where to show a mistake at step ``k`` from: (None for the whole derivation, or the
    step that starts the largest sub-derivation holding it that fits :data:`MAX_LINES`;
    whether it fits; how many steps it shows).  A statement of the whole derivation takes
    ``statement`` lines."""
    parents = _parents(steps)
    path = [k]
    while parents[path[-1]] is not None:
        path.append(parents[path[-1]])
    best = (k, False, 0)
    for root in [None] + path[::-1]:
        part = _part(steps, root)
        kept = _shown(part, k - (root or 0))
        if len(kept) > MAX_SHOWN:
            continue
        head = statement if root is None else _lines(
            len(sympy.sstr(steps[root][1].before)) + _SENTENCE)
        lines = head + sum(_step_lines(s) for j, (_d, s) in enumerate(part) if j in kept)
        if lines <= MAX_LINES:
            return root, True, len(kept)
        best = (root, False, len(kept))
    return best


def _shown(steps: list, k: int) -> set[int]:
    """The steps shown of a derivation with a mistake at step ``k``: all of them when they
    are few, else those :func:`_around` it."""
    return set(range(len(steps))) if len(steps) <= MAX_SHOWN else _around(steps, k)


def _around(steps: list, k: int) -> set[int]:
    """The steps worth showing around step ``k``: the path from the top down to it, and at
    each level of that path the other steps one level down, each standing for its own
    sub-derivation (which is right, so its inside need not be shown), plus the rewrites at the
    end.  A long derivation (softmax regression's forty steps) shrinks to a dozen lines with
    the mistake among them."""
    parents = _parents(steps)
    path, j = set(), k
    while j is not None:
        path.add(j)
        j = parents[j]
    rewrites = {j for j, (_, s) in enumerate(steps) if s.is_rewrite}
    return {j for j in range(len(steps))
            if j in path or parents[j] is None or parents[j] in path or j in rewrites}


def _parents(steps: list) -> list[int | None]:
    """The step each step is part of (None for a step at the top)."""
    parents: list[int | None] = []
    stack: list[int] = []
    for j, (d, _step) in enumerate(steps):
        while stack and steps[stack[-1]][0] >= d:
            stack.pop()
        parents.append(stack[-1] if stack else None)
        stack.append(j)
    return parents


def _sentence(text: str) -> str:
    """The explanation as the start of a sentence (capitalised; Chinese has no capitals)."""
    return text[:1].upper() + text[1:]


KIND = Mistake()

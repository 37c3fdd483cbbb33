"""Marking one answer by what it is: an expression (judged by the checker of ``tutor check``,
with its diagnosis), numbers (right within the key's tolerance, with the likely slip), or the
number of a step.  The kinds of problem grade through these."""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

import sympy

from tutor.assessment.key import KeyProblem
from tutor.assessment.problems import punctuation
from tutor.calculus.derivation import Named, derive
from tutor.errors import TutorError
from tutor.i18n import _


def by_answer(problem: KeyProblem, text: str) -> tuple[float, str]:
    """A student's answer graded by what the problem asks for: an expression, numbers or the
    number of a step."""
    if problem.answer == "expression":
        return _grade_expression(problem, text)
    if problem.answer == "step":
        m = re.fullmatch(r"\s*(?:step\s*)?(\d{1,4})\s*\.?\s*", text, re.IGNORECASE)
        if not m:
            return 0.0, _("write the number of the wrong step, like 4")
        chosen = int(m.group(1))
        if chosen == problem.step:
            return 1.0, ""
        return 0.0, _("step {step} is right as written").format(step=chosen)
    return _grade_numbers(problem, text)


@functools.lru_cache(maxsize=512)
def _derivation(function, wrt, named: tuple, assumptions: tuple):
    return derive(function, wrt, named=named, assumptions=assumptions)


def _grade_expression(problem: KeyProblem, text: str) -> tuple[float, str]:
    from tutor.checking.check import check_answer

    named = tuple(Named(sympy.Symbol(name), definition) for name, definition in problem.names.items())
    function = problem.function.xreplace({sympy.Symbol(n): d for n, d in problem.names.items()})
    wrt = problem.variables[problem.wrt[0]]
    derivation = _derivation(function, wrt, named, problem.assumptions)
    verdict = check_answer(function, wrt, text, named=named, assumptions=problem.assumptions,
                           symbols=problem.variables, derivation=derivation)
    if verdict.correct:
        return 1.0, ""
    if verdict.diagnosis is None:
        return 0.0, _("not equal to the derivative")
    return 0.0, _describe(verdict.diagnosis)


def _describe(diagnosis) -> str:
    try:
        return diagnosis.describe()
    except (AttributeError, TypeError):
        return str(getattr(diagnosis, "detail", diagnosis))


def _number(text: str) -> float:
    from tutor.checking.check import claim_value

    value, _unit = claim_value(text)
    if not math.isfinite(value):
        raise TutorError(_("{text} is not a finite number").format(text=repr(text)))
    return value


def _grade_numbers(problem: KeyProblem, text: str) -> tuple[float, str]:
    items = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    wanted = problem.numbers
    if len(items) != len(wanted):
        if len(wanted) == 1 and len(items) > 1:
            return 0.0, _("one number was asked for, the answer has {n}").format(n=len(items))
        if len(items) < len(wanted):
            missing = ", ".join(n.label for n in wanted[len(items):])
            reasons = [_("{wanted} numbers were asked for ({labels}), the answer has {n}: "
                         "no value for {missing}").format(
                             wanted=len(wanted), labels=", ".join(n.label for n in wanted),
                             n=len(items), missing=missing)]
        else:
            reasons = [_("{wanted} numbers were asked for, the answer has {n}")
                       .format(wanted=len(wanted), n=len(items))]
    else:
        reasons = []
    right = 0
    for k, n in enumerate(wanted):
        if k >= len(items):
            break
        try:
            value = _number(items[k])
        except TutorError as exc:
            reasons.append(_("{label}: cannot read {text} as a number ({error})")
                           .format(label=n.label, text=repr(items[k]), error=exc))
            continue
        if abs(value - n.value) <= n.tolerance + 1e-12 * abs(n.value):
            right += 1
        else:
            reasons.append(_("{label}: {text} is wrong ({why})")
                           .format(label=n.label, text=items[k], why=_number_diagnosis(value, n)))
    score = right / len(wanted)
    if len(items) > len(wanted):
        score = min(score, (len(wanted) - 1) / len(wanted)) if len(wanted) > 1 else 0.0
    return round(score, 4), punctuation("; ").join(reasons)


def _number_diagnosis(value: float, n) -> str:
    if n.value != 0 and abs(value + n.value) <= n.tolerance:
        return _("the sign is wrong")
    if n.value != 0 and value != 0:
        for ratio in (Fraction(2), Fraction(3), Fraction(4), Fraction(1, 2), Fraction(1, 3),
                      Fraction(1, 4)):
            for r in (ratio, -ratio):
                if abs(value - float(r) * n.value) <= n.tolerance:
                    return _("it is {ratio} × the right value").format(ratio=r)
    return _("not within the tolerance of the right value")

"""``check``: is the derivative (or the number) worked out by hand right?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from tutor.checking.check import ClaimVerdict, Verdict
from tutor.errors import ParameterError
from tutor.i18n import _
from tutor.requests.source import Source, names, output_index, point


@dataclass
class Checked:
    """The answers to one check: the verdict on a derivative and the one on a number claimed
    at a point (either may be None when it was not asked for)."""

    verdict: Verdict | None
    claim: ClaimVerdict | None

    @property
    def correct(self) -> bool:
        return all(v.correct for v in (self.verdict, self.claim) if v is not None)


def check(lesson=None, answer: str | None = None, *, expr: str | None = None,
          lesson_file: str | None = None, wrt=(), of: str | None = None,
          size: int | None = None, at: Mapping[str, object] | None = None,
          reduce: str | None = None, claim: str | float | None = None) -> Checked:
    """Check a derivative worked out by hand (``answer``, typed as on a keyboard or in LaTeX),
    or a number claimed for it at a point, or both.

    ``lesson`` names the function (or give ``expr`` or ``lesson_file``); ``wrt`` the variable the
    derivative is by; ``of`` the component of a vector function (``"s2"``); ``claim`` a number
    you say the derivative has at the point ``at`` ({name: number or list}; lists are the
    columns of a batch, combined by ``reduce``, "mean" or "sum").  The verdict says whether it
    is right and, if not, what kind of mistake it is and a point where it differs.

    ``tutor.check("sigmoid", "exp(-z)/(1+exp(-z))^2")`` is ``tutor check sigmoid "…"``;
    ``.correct`` says whether everything asked was right, ``.verdict`` and ``.claim`` say more.
    """
    from tutor.checking.check import check_answer, check_claim, example_points

    if answer is None and claim is None:
        raise ParameterError("answer", _("give your answer (the derivative, in quotes) or a "
                                         "number with {claim}"), others=("claim",))
    if at and claim is None:
        raise ParameterError("at", _("{param} gives the point of a {claim}; add {claim} NUMBER"),
                             others=("claim",))
    if claim is not None and not isinstance(claim, str) and (
            isinstance(claim, bool) or not isinstance(claim, (int, float))):
        raise ParameterError("claim", _("{param} must be a number, not {value}"),
                             value=repr(claim))
    if answer is not None and not isinstance(answer, str):
        raise ParameterError("answer", _("{param} must be text (the derivative, like "
                                         "\"2*x\"), not {value}"), value=repr(answer))
    source = Source(lesson, expr, lesson_file, size).require_one()
    values = point(at)
    the_lesson, var = _lesson_and_variable(source, names(wrt, "wrt"))
    values = the_lesson.values_for(values)
    index = output_index(the_lesson.output_names, of, "of",
                         _("{param} {name}: the function's components are {names}"))
    function = the_lesson.outputs[index]
    name = the_lesson.output_names[index] if expr is None else "f"
    context = dict(named=the_lesson.named, assumptions=the_lesson.assumptions, name=name)
    verdict = claimed = None
    if answer is not None:
        verdict = check_answer(function, var, answer, symbols=the_lesson.symbols,
                               prefer=example_points(the_lesson.example),
                               budget=_budget(the_lesson), **context)
    if claim is not None:
        point_at = {**(the_lesson.example if expr is None else {}), **values}
        # a number is judged as written, to the digits it shows (as the command line's text)
        claimed = check_claim(function, var, claim if isinstance(claim, str) else repr(claim),
                              point_at, reduce=reduce or the_lesson.reduce, **context)
    return Checked(verdict, claimed)


def _lesson_and_variable(source: Source, wanted: list[str]):
    """The lesson (or one-off lesson for an expression) and the one variable to differentiate
    by."""
    from tutor.explaining.explanation import lesson_from_expression

    the_lesson = source.load(lambda text: lesson_from_expression(text, wrt=wanted))
    if source.expr is not None:
        chosen = list(the_lesson.wrt)
        if not wanted and len(chosen) > 1:
            raise ParameterError("wrt", _("say which variable with {param} (the expression has "
                                          "{names})"), names=", ".join(s.name for s in chosen))
    else:
        chosen = [s for name in wanted for s in the_lesson.names_for(name)]
        chosen = chosen or list(the_lesson.wrt)
    if len(chosen) != 1:
        raise ParameterError("wrt", _("check one derivative at a time: name one variable with "
                                      "{param} (one of {names})"),
                             names=", ".join(s.name for s in chosen))
    return the_lesson, chosen[0]


def _budget(lesson) -> float | None:
    """A time budget for deriving what the user typed (the tutor's own lessons need none)."""
    from tutor.calculus.budget import SYMBOLIC_SECONDS
    from tutor.explaining.lesson import Origin

    return None if lesson.origin is Origin.BUILT_IN else SYMBOLIC_SECONDS

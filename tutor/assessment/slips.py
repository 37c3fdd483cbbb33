"""The common mistakes of a derive problem, made ahead of time for a quiz system that marks
symbolic answers itself (STACK, on Maxima).

For each derive problem the wrong derivatives a learner is likely to write are built from the
function itself, where the diagnosis of ``tutor check`` keeps them
(:func:`tutor.checking.diagnose.likely_slips`, the same generators it matches answers
against): the derivative with its sign flipped, twice the derivative, the derivative with one
factor of the chain rule left out, and the derivative with one term missing.  Each is then
judged as if a student had typed it (:func:`tutor.checking.check.judge_answer`), and it is
kept only when the grader names it as one of those kinds, with the grader's own sentence: a
quiz system that recognises the slip says exactly what ``tutor grade`` says about it.  Slips
that are equal to one another (or to the derivative) are kept once (or not at all).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import sympy

from tutor.assessment.problems import Problem, Worksheets
from tutor.calculus.budget import BudgetError
from tutor.calculus.derivation import Named, expand_named
from tutor.checking.check import assumption_solutions, judge_answer, plain_form
from tutor.checking.diagnose import Diagnosis, likely_slips
from tutor.checking.sampling import Evaluator, random_points
from tutor.calculus.functions import elementary

#: the kinds of slip a quiz question recognises, in the order its nodes test them
SLIP_KINDS = ("sign", "constant_factor", "missing_chain_factor", "extra_or_missing_term")
#: at most this many slips of one kind, and in all, per problem
MOST_OF_A_KIND = 2
MOST = 6


@dataclass(frozen=True)
class Slip:
    """A wrong derivative and what the grader says about it."""

    kind: str
    #: the wrong derivative: elementary functions, the problem's variables, under its assumptions
    answer: sympy.Expr
    diagnosis: Diagnosis


@dataclass(frozen=True)
class CommonMistakes:
    """What a symbolic marking of a derive problem needs, beyond the problem itself."""

    #: the function with elementary functions only (its named parts written out)
    function: sympy.Expr
    #: the derivative, elementary, under the assumptions: the teacher's answer
    answer: sympy.Expr
    #: each assumption solved for one symbol, substituted into an answer before comparing
    under: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    slips: tuple[Slip, ...]


def with_slips(ws: Worksheets) -> Worksheets:
    """The worksheets with every derive problem's common mistakes made."""
    sheets = []
    for sheet in ws.sheets:
        problems = tuple(dataclasses.replace(p, common_mistakes=common_mistakes(p))
                         if p.kind == "derive" else p for p in sheet.problems)
        sheets.append(dataclasses.replace(sheet, problems=problems))
    return dataclasses.replace(ws, sheets=tuple(sheets))


def common_mistakes(p: Problem) -> CommonMistakes:
    named = tuple(Named(s, d) for s, d in p.named)
    assumptions = tuple(tuple(a) for a in p.assumptions)
    return _mistakes(expand_named(p.function, named), p.wrt[0], named, assumptions,
                     p.derivation, p.expected)


@functools.lru_cache(maxsize=1024)
def _mistakes(function, wrt, named, assumptions, derivation, expected) -> CommonMistakes:
    """Variants share their functions: the slips of one are made once."""
    under = assumption_solutions(assumptions)
    right = plain_form(expected, named, assumptions)
    f = function.subs(dict(under))
    raw = plain_form(derivation.raw, named, assumptions)
    likely = likely_slips(f, wrt, right, _terms(right, raw))
    groups = [likely[kind] for kind in SLIP_KINDS]
    symbols = sorted(elementary(function).free_symbols | {wrt}, key=lambda s: s.name)
    seen = [_fingerprint(right, symbols)]
    kept: list[Slip] = []
    for group in groups:
        tried = 0
        for candidate in group:
            if len(kept) >= MOST or tried >= MOST_OF_A_KIND:
                break
            answer = plain_form(candidate, named, assumptions)
            mark = _fingerprint(answer, symbols)
            if (mark is None or any(_same(mark, other) for other in seen)
                    or (answer.is_number and not right.is_number)):
                continue
            tried += 1
            try:
                verdict = judge_answer(function, wrt, candidate, named=named,
                                       assumptions=assumptions, derivation=derivation)
            except BudgetError:  # a slip the grader could not name in time is not offered
                continue
            d = verdict.diagnosis
            if verdict.correct or d is None or d.kind not in SLIP_KINDS:
                continue
            seen.append(mark)
            kept.append(Slip(d.kind, answer, d))
    kept.sort(key=lambda s: SLIP_KINDS.index(s.kind))
    return CommonMistakes(elementary(function), elementary(right), under, tuple(kept))


def _terms(*forms) -> list[sympy.Expr]:
    """The terms of a derivative as written (a sum's own terms, not its expansion's)."""
    out = []
    for form in forms:
        terms = sympy.Add.make_args(form)
        out += [t for t in terms if len(terms) > 1 and t not in out]
    return out


#: points a slip is evaluated at: enough that a step such as [3z − 1 > 0] is seen on both sides
FINGERPRINT_POINTS = 16


def _fingerprint(expr: sympy.Expr, symbols) -> tuple | None:
    """Values at fixed points (None where undefined), to tell slips apart; None when it
    cannot be evaluated at enough of them."""
    ev = Evaluator(expr, symbols)
    values = tuple(ev.f64(point) for point in random_points(symbols, FINGERPRINT_POINTS, seed=7))
    return values if sum(v is not None for v in values) >= FINGERPRINT_POINTS // 2 else None


def _same(a: tuple, b: tuple) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None and
                                             math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12))
               for x, y in zip(a, b))

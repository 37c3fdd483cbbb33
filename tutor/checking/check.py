"""Checking a derivative someone worked out by hand.

:func:`check_answer` takes a function, the variable, and the learner's answer as text (plain
math or LaTeX, read only by :mod:`tutor.calculus.parser`) and returns a :class:`Verdict`: correct or
not, and when not, what kind of mistake it is (:mod:`tutor.checking.diagnose`), a point where the two
differ, and the step of the correct derivation where the answer parts ways.

:func:`check_expression` does the same against a derivative that is already known (a grader's
answer key), and :func:`check_claim` checks a number someone says the derivative has at a
point, reduced over a batch when the values are columns of data.

Equality is decided in two ways.  SymPy's ``simplify`` of the difference (only for answers
small enough for it to be quick) can prove it; and the two sides are evaluated at 24 seeded
random points in float64 (where they must agree to 11 digits) and with 30 significant digits
at four of them and wherever float64 cannot tell (where they must agree to 20 digits).  The
numeric test is the one that decides: two different elementary functions agree at dozens of
random points with probability zero, and simplification may fail to reduce a true zero.  A
difference smaller than 1e-20 of the value (an added 10^-22·z², say) is below what the test
can see, unless SymPy reduces it to a constant.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping, Sequence

import sympy

from tutor.calculus.derivation import Named, derive, expand_named
from tutor.checking.diagnose import Diagnosis, diagnose, no_simple_slip
from tutor.calculus.budget import deadline
from tutor.calculus.cost import affordable
from tutor.errors import ExpressionError, ParameterError, TutorError
from tutor.calculus.functions import elementary
from tutor.i18n import N_, _
from tutor.calculus.parser import parse_expression
from tutor.checking.sampling import (DIGITS, Evaluator, as_mapping, close, close_high, random_points,
                       size_ok)
from tutor.calculus.steps import Derivation, Step

#: random points tried, and how many valid ones (both sides defined) decide equality
TRIES = 80
ENOUGH = 24
SEED = 20261123

#: the largest expected derivative and answer (SymPy operations) a slip is looked for in
SLIP_OPERATIONS = 400


@dataclass(frozen=True)
class Counterexample:
    """A point where the answer and the derivative differ; ``answer`` is None where the
    answer is undefined (or too large to compute) although the derivative is not."""

    at: dict
    expected: float
    answer: float | None


@dataclass(frozen=True)
class Hint:
    """A step of the correct derivation: ``index`` in ``derivation.steps()``."""

    index: int
    step: Step
    reason: str = ""


@dataclass
class Verdict:
    """The result of checking an answer.  ``expected`` is the derivative in its textbook form
    (with named parts such as σ(z)), ``expected_plain`` the same with elementary functions
    only; ``answer`` is the parsed answer (None when it was not an answer at all)."""

    correct: bool
    wrt: sympy.Symbol
    expected: sympy.Expr
    expected_plain: sympy.Expr
    answer: sympy.Expr | None
    answer_text: str
    diagnosis: Diagnosis | None = None
    counterexample: Counterexample | None = None
    hint: Hint | None = None
    derivation: Derivation | None = None
    function: sympy.Expr | None = None
    #: "symbolic" when SymPy reduced the difference to 0, else "numeric"
    method: str = "numeric"
    #: how many points were compared
    points: int = 0
    name: str = "f"
    #: the derivative with elementary functions only, in the tidiest such form the
    #: derivation reached (shown beside ``expected`` when that uses named parts)
    expected_elementary: sympy.Expr | None = None
    #: the named parts the expected form may use (a = σ(z) …)
    named: tuple = ()


@dataclass
class ClaimVerdict:
    """A number claimed for the derivative at a point (reduced over a batch)."""

    correct: bool
    wrt: sympy.Symbol
    claim: float
    claim_text: str
    value: float
    tolerance: float
    at: dict
    reduce: str | None = None
    per_sample: list[float] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    derivative: sympy.Expr | None = None
    name: str = "f"


# -- reading the answer --------------------------------------------------------------------
_DERIVATIVE_NOTATION = [
    (re.compile(r"\\partial|∂"), "∂"),
    (re.compile(r"\\frac\s*\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*[}\\a-zA-Z]"), "d/d…"),
    (re.compile(r"\b(?:diff|Derivative|derivative|grad|D)\s*\("), N_("a derivative function")),
    (re.compile(r"[A-Za-zσ]\s*['′’]+\s*\("), N_("a prime (f′)")),
]
_D_OVER_D = re.compile(r"(?<![A-Za-z0-9_])d\s*/\s*d")


def derivative_notation(text: str, symbols: Mapping[str, sympy.Basic]) -> str | None:
    """The derivative notation still in ``text`` (d/dz, ∂, f′, diff(…)), or None."""
    for pattern, name in _DERIVATIVE_NOTATION:
        if pattern.search(text):
            return name
    if "d" not in symbols and _D_OVER_D.search(text):
        return "d/d…"
    return None


def parse_answer(text: str, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """The answer as SymPy, read by the safe parser with only the problem's names allowed."""
    if not isinstance(text, str):
        raise TutorError(_("the answer must be text"))
    if not text.strip():
        raise ExpressionError(_("the answer is empty: type the derivative, like 2*x"), text, None)
    answer = parse_expression(text, symbols=symbols, allow_new_names=False)
    if answer.has(sympy.S.ComplexInfinity, sympy.S.NaN, sympy.S.Infinity,
                  sympy.S.NegativeInfinity):
        raise ExpressionError(_("the answer has no value: it divides by zero, or takes log 0 "
                                "or tan(π/2)"), text, None)
    return answer


def answer_symbols(function: sympy.Expr, named: Sequence[Named] = (),
                   symbols: Mapping[str, sympy.Symbol] | None = None) -> dict:
    """Names a learner may use: the function's variables, the caller's symbols, and named
    parts written as plain names (a, z, s1 …)."""
    out = {s.name: s for s in function.free_symbols}
    if symbols:
        out.update(symbols)
    for n in named:
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n.symbol.name):
            out.setdefault(n.symbol.name, n.symbol)
    return out


def _under(expr: sympy.Expr, assumptions) -> sympy.Expr:
    for target, solved in assumption_solutions(assumptions):
        expr = expr.subs(target, solved)
    return expr


def _plain(expr, named, assumptions) -> sympy.Expr:
    return _under(elementary(expand_named(expr, named)), assumptions)


def example_points(example: Mapping[str, object]) -> list[dict]:
    """A lesson's example as points {name: number}, one per sample of its batch."""
    lengths = [len(v) for v in example.values() if isinstance(v, (list, tuple))]
    n = max(lengths) if lengths else 1
    return [{k: (v[i] if isinstance(v, (list, tuple)) else v) for k, v in example.items()}
            for i in range(n)]


# -- the checks ----------------------------------------------------------------------------
def check_answer(function: sympy.Expr, wrt: sympy.Symbol, answer_text: str, *,
                 named: Sequence[Named] = (), assumptions: Sequence[tuple] = (),
                 symbols: Mapping[str, sympy.Symbol] | None = None,
                 derivation: Derivation | None = None, name: str = "f",
                 prefer: Sequence[Mapping[str, float]] = (), seed: int = SEED,
                 budget: float | None = None) -> Verdict:
    """Is ``answer_text`` the derivative of ``function`` by ``wrt``?

    ``function`` is a SymPy expression (from a lesson or :func:`tutor.parse_expression`),
    ``wrt`` one of its symbols; ``answer_text`` is what the learner typed (plain or LaTeX).
    ``named`` are the lesson's named parts (σ(z), a, s₁ …) the answer may use;
    ``assumptions`` equations (lhs, rhs) that hold (Σ yᵢ = 1); ``symbols`` extra names the
    answer may use; ``derivation`` a ready :func:`tutor.derive` result for this pair;
    ``prefer`` points ({name: value}) to show as the counterexample first, when the answer
    differs there (a lesson's example); ``budget``, seconds for deriving a function the user
    typed.  Raises :class:`~tutor.errors.TutorError` (an
    :class:`~tutor.errors.ExpressionError` with the position) when the text is not a formula.
    """
    if derivation is None:
        derivation = derive(function, wrt, named=named, assumptions=assumptions, name=name,
                            budget=budget)
    names = answer_symbols(function, named, symbols)
    expected_plain = _plain(derivation.raw, named, assumptions)
    verdict = Verdict(False, wrt, derivation.result, expected_plain, None, answer_text,
                      derivation=derivation, function=function, name=name,
                      expected_elementary=_elementary_form(derivation, named),
                      named=tuple(named))
    notation = derivative_notation(answer_text, names)
    if notation is not None:
        verdict.diagnosis = _restated(notation)
        verdict.hint = Hint(0, derivation.steps()[0][1], "start")
        return verdict
    answer = parse_answer(answer_text, names)
    verdict.answer = answer
    return _judge(verdict, _plain(answer, named, assumptions),
                  _under(function, assumptions), derivation, prefer, seed, assumptions)


def judge_answer(function: sympy.Expr, wrt: sympy.Symbol, answer: sympy.Expr, *,
                 named: Sequence[Named] = (), assumptions: Sequence[tuple] = (),
                 derivation: Derivation | None = None, name: str = "f") -> Verdict:
    """:func:`check_answer` for an answer that is already an expression (in the function's
    variables and named parts): the same verdict, and the same diagnosis, that the answer
    typed as text would get."""
    if derivation is None:
        derivation = derive(function, wrt, named=named, assumptions=assumptions, name=name)
    verdict = Verdict(False, wrt, derivation.result, _plain(derivation.raw, named, assumptions),
                      answer, sympy.sstr(answer), derivation=derivation, function=function,
                      name=name, expected_elementary=_elementary_form(derivation, named),
                      named=tuple(named))
    return _judge(verdict, _plain(answer, named, assumptions), _under(function, assumptions),
                  derivation, (), SEED, assumptions)


def plain_form(expr: sympy.Expr, named: Sequence[Named] = (),
               assumptions: Sequence[tuple] = ()) -> sympy.Expr:
    """``expr`` as the checker compares it: named parts replaced by their definitions,
    elementary functions only, and each assumption (Σ yᵢ = 1) solved for its last symbol."""
    return _plain(expr, named, assumptions)


def assumption_solutions(assumptions: Sequence[tuple]
                         ) -> tuple[tuple[sympy.Symbol, sympy.Expr], ...]:
    """Each assumption (lhs, rhs) solved for its last symbol, as the checker substitutes it:
    ((y3, 1 − y1 − y2),) for y1 + y2 + y3 = 1."""
    out = []
    for lhs, rhs in assumptions:
        solved = _solved(lhs, rhs)
        if solved is not None:
            out.append(solved)
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _solved(lhs: sympy.Expr, rhs: sympy.Expr) -> tuple[sympy.Symbol, sympy.Expr] | None:
    """lhs = rhs solved for its last symbol (every check of a lesson asks again: once)."""
    target = sorted(lhs.free_symbols, key=lambda s: s.name)[-1]
    solved = sympy.solve(sympy.Eq(lhs, rhs), target)
    return (target, solved[0]) if len(solved) == 1 else None


def check_expression(expected: sympy.Expr, answer_text: str, *,
                     symbols: Mapping[str, sympy.Symbol] | None = None,
                     function: sympy.Expr | None = None, wrt: sympy.Symbol | None = None,
                     named: Sequence[Named] = (), assumptions: Sequence[tuple] = (),
                     seed: int = SEED) -> Verdict:
    """Is ``answer_text`` equal to the known derivative ``expected``?

    For a grader with an answer key.  ``symbols`` are the names the answer may use (by default
    those of ``expected`` and ``function``).  With ``function`` and ``wrt`` the diagnosis can
    also recognise chain-rule and wrong-variable mistakes and the hint points at a step;
    without them it recognises sign, constant-factor and term mistakes."""
    if function is not None and wrt is not None:
        verdict_derivation = derive(function, wrt, named=named, assumptions=assumptions)
    else:
        verdict_derivation = None
    names = answer_symbols(expected + (function if function is not None else 0), named, symbols)
    plain_expected = _plain(expected, named, assumptions)
    x = wrt if wrt is not None else (sorted(plain_expected.free_symbols, key=lambda s: s.name)
                                     or [sympy.Symbol("x")])[0]
    verdict = Verdict(False, x, expected, plain_expected, None, answer_text,
                      derivation=verdict_derivation, function=function)
    notation = derivative_notation(answer_text, names)
    if notation is not None:
        verdict.diagnosis = _restated(notation)
        return verdict
    answer = parse_answer(answer_text, names)
    verdict.answer = answer
    f = _under(function, assumptions) if function is not None else None
    return _judge(verdict, _plain(answer, named, assumptions), f, verdict_derivation, (), seed,
                  assumptions)


def _restated(notation: str) -> Diagnosis:
    return Diagnosis("other", N_("your answer still contains the derivative ({notation}): it "
                                 "restates the question; write what the derivative equals"),
                     values=(("notation", notation),))


def _elementary_form(derivation: Derivation, named: Sequence[Named]) -> sympy.Expr:
    placeholders = {n.symbol for n in named}
    forms = [derivation.tree.after] + [r.after for r in derivation.rewrites]
    for form in reversed(forms):
        if not (form.free_symbols & placeholders):
            return form
    return elementary(expand_named(derivation.result, named))


def _simplified(difference: sympy.Expr) -> sympy.Expr | None:
    """SymPy's simplify of the difference, only when it is small enough to be quick."""
    if difference == 0:
        return sympy.S.Zero
    if not size_ok(difference, 60):
        return None
    try:
        return sympy.simplify(difference)
    except (TypeError, ValueError, NotImplementedError, RecursionError, ArithmeticError):
        return None


def _compare(ev_e: Evaluator, ev_a: Evaluator, ev_f: Evaluator | None, p) -> str:
    """'agree', 'differ' or 'skip' (the derivative or the function is undefined there)."""
    e = ev_e.f64(p)
    if e is None or (ev_f is not None and ev_f.f64(p) is None):
        return "skip"
    a = ev_a.f64(p)
    if a is None:
        return "differ"
    if e == a:
        return "agree"
    if close(e, a, 1e-11) and max(abs(e), abs(a)) > 1e-8:
        return "agree"
    # float64 cannot tell (close values, tiny values, or a clear gap worth confirming)
    eh, ah = ev_e.high(p), ev_a.high(p)
    if eh is None or ah is None:
        return "agree" if close(e, a, 1e-9, 1e-14) else "differ"
    return "agree" if close_high(eh, ah) else "differ"


def _judge(verdict: Verdict, answer: sympy.Expr, function: sympy.Expr | None,
           derivation: Derivation | None, prefer, seed, assumptions=()) -> Verdict:
    with deadline(what=_("comparing the answer with the derivative")):
        return _judged(verdict, answer, function, derivation, prefer, seed, assumptions)


def _judged(verdict: Verdict, answer: sympy.Expr, function: sympy.Expr | None,
            derivation: Derivation | None, prefer, seed, assumptions=()) -> Verdict:
    expected = verdict.expected_plain
    if answer.has(sympy.Derivative, sympy.Subs, sympy.Integral):
        verdict.diagnosis = Diagnosis("other", N_("your answer still contains a derivative: "
                                                  "it restates the question"))
        return verdict
    x = verdict.wrt
    symbols = sorted(expected.free_symbols | answer.free_symbols | {x}
                     | (function.free_symbols if function is not None else set()),
                     key=lambda s: s.name)
    ev_e, ev_a = Evaluator(expected, symbols), Evaluator(answer, symbols)
    ev_f = Evaluator(function, symbols) if function is not None else None

    valid, differing = [], []
    for p in random_points(symbols, TRIES, seed=seed):
        outcome = _compare(ev_e, ev_a, ev_f, p)
        if outcome == "skip":
            continue
        (valid if outcome == "agree" else differing).append(p)
        if differing or len(valid) >= ENOUGH:
            break
    verdict.points = len(valid) + len(differing)
    if not differing:
        if len(valid) < 3:
            raise TutorError(_("the derivative could not be evaluated at enough real points "
                               "to compare it with the answer"))
        # confirm a few points at high precision, whatever float64 said
        for p in valid[:4]:
            eh, ah = ev_e.high(p), ev_a.high(p)
            if eh is not None and ah is not None and not close_high(eh, ah):
                differing.append(p)
                break
    if not differing:
        difference = _simplified(expected - answer)
        if difference is not None and difference.is_number and difference != 0:
            # equal to 30 digits, but SymPy shows a constant apart (such as 10^-30)
            p = valid[0]
            verdict.counterexample = Counterexample(as_mapping(symbols, p), ev_e.f64(p),
                                                    ev_a.f64(p))
            verdict.diagnosis = Diagnosis("extra_or_missing_term", N_("your answer is the "
                                          "derivative plus the constant {0}"), (-difference,))
            if derivation is not None:
                verdict.hint = hint_for(derivation, verdict.diagnosis)
            return verdict
        verdict.correct = True
        verdict.method = "symbolic" if difference == 0 else "numeric"
        return verdict

    verdict.counterexample = _counterexample(ev_e, ev_a, ev_f, symbols, differing[0], prefer)

    # the same answer always gets the same diagnosis, however busy the machine (a class is
    # graded in parallel): the search is bounded by the size of what it compares, not by time
    verdict.diagnosis = (_slip(verdict, expected, answer, function, derivation, x, symbols,
                               valid, seed, assumptions, ev_e, ev_a, ev_f)
                         if _searchable(expected, answer) else no_simple_slip())
    if derivation is not None:
        verdict.hint = hint_for(derivation, verdict.diagnosis)
    return verdict


def _searchable(expected: sympy.Expr, answer: sympy.Expr) -> bool:
    return (affordable(expected, answer)
            and sympy.count_ops(expected) + sympy.count_ops(answer) <= SLIP_OPERATIONS)


def _slip(verdict, expected, answer, function, derivation, x, symbols, valid, seed,
          assumptions, ev_e, ev_a, ev_f) -> Diagnosis:
    """The kind of slip, from a few points where both sides are defined, at high precision."""
    pts, a_vals, e_vals = [], [], []
    for p in valid + random_points(symbols, TRIES, seed=seed + 1):
        eh, ah = ev_e.high_complex(p), ev_a.high_complex(p)
        if ev_f is not None and ev_f.f64(p) is None:
            continue
        if eh is not None and ah is not None:
            pts.append({s: sympy.Float(repr(v), DIGITS) for s, v in zip(symbols, p)})
            a_vals.append(ah)
            e_vals.append(eh)
        if len(pts) >= 5:
            break
    if len(pts) < 2:
        return Diagnosis("other", N_("your answer is undefined (or too large to compute) where "
                                     "the derivative is defined"), (), None, None)
    return diagnose(expected, answer, x=x, points=pts, answer_values=a_vals,
                    expected_values=e_vals, function=function,
                    raw=elementary(derivation.raw) if derivation else None,
                    forms=[_plain(r.after, verdict.named, assumptions)
                           for r in (derivation.rewrites if derivation else ())])


def _counterexample(ev_e, ev_a, ev_f, symbols, found, prefer) -> Counterexample:
    """The first preferred point (a lesson's example) where the two differ, else ``found``."""
    names = [s.name for s in symbols]
    for values in prefer:
        if all(n in values for n in names):
            p = tuple(float(values[n]) for n in names)
            if _compare(ev_e, ev_a, ev_f, p) == "differ":
                found = p
                break
    a = ev_a.f64(found)
    return Counterexample(as_mapping(symbols, found), ev_e.f64(found), a)


def hint_for(derivation: Derivation, diagnosis: Diagnosis | None) -> Hint:
    """The step of the correct derivation where an answer with this mistake parts ways: the
    derivative of the sub-expression the diagnosis names, else the first step of the rule it
    names, else the first step."""
    steps = derivation.steps()
    if diagnosis is not None and diagnosis.node is not None:
        node = diagnosis.node
        for k, (_depth, step) in enumerate(steps):
            if not step.is_rewrite and step.before == node:
                return Hint(k, step, "node")
        for k, (_depth, step) in enumerate(steps):
            if any(expr == node for _sym, expr in step.bindings):
                return Hint(k, step, "node")
    if diagnosis is not None and diagnosis.rule:
        for k, (_depth, step) in enumerate(steps):
            if step.rule == diagnosis.rule:
                return Hint(k, step, "rule")
    return Hint(0, steps[0][1], "start")


# -- a number claimed for the derivative ---------------------------------------------------
_DECIMAL = re.compile(r"\s*[+-]?(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*")


def claim_value(text: str) -> tuple[float, float]:
    """(value, tolerance) of a claimed number: a decimal is right when it is the true value
    rounded to the digits given (4.6667 for 14/3); other forms (14/3) to 1e-9 relative."""
    m = _DECIMAL.fullmatch(text)
    if m:
        value = float(text)
        decimals = len(m.group(2) or "")
        exponent = int(m.group(3) or 0)
        if abs(exponent) > 300 or not math.isfinite(value):
            raise ParameterError("claim", _("{param} {text}: not a usable number"),
                                 text=repr(text))
        return value, 0.5 * 10.0 ** (exponent - decimals) * (1 + 1e-9)
    expr = parse_expression(text, symbols={}, allow_new_names=False)
    if not expr.is_number or not expr.is_real:
        raise ParameterError("claim", _("{param} {text}: the claim must be a number"),
                             text=repr(text))
    value = float(expr)
    if not math.isfinite(value):
        raise ParameterError("claim", _("{param} {text}: not a finite number"), text=repr(text))
    return value, 1e-9 * max(abs(value), 1e-300)


def check_claim(function: sympy.Expr, wrt: sympy.Symbol, claim: str | float,
                at: Mapping[str, object], *, reduce: str | None = None,
                named: Sequence[Named] = (), assumptions: Sequence[tuple] = (),
                name: str = "f") -> ClaimVerdict:
    """Is ``claim`` the value of ∂function/∂wrt at the point ``at`` ({name: number or list})?

    When some values are lists (columns of a batch), the per-sample derivatives are combined
    by ``reduce`` ("mean" or "sum"), which is then required.  A claim given as text is right
    when it is the true value rounded to the digits it shows; a float to 1e-9 relative."""
    import numpy as np

    from tutor.calculus.numeric import batch, compile_expr

    if isinstance(claim, str):
        claimed, tol = claim_value(claim)
        claim_text = claim.strip()
    else:
        claimed, tol = float(claim), 1e-9 * max(abs(float(claim)), 1e-300)
        claim_text = repr(claimed)
    derivative = _under(expand_named(sympy.diff(function, wrt), named), assumptions)
    symbols = sorted(function.free_symbols | {wrt}, key=lambda s: s.name)
    names = [s.name for s in symbols]
    unknown = sorted(set(at) - set(names))
    if unknown:
        raise ParameterError("at", _("{param} {name}: the function has no variable '{name}'; "
                                     "it has {names}"), name=unknown[0], names=", ".join(names))
    arrays = batch(at, names)
    size = arrays[0].size if arrays else 1
    if reduce not in (None, "mean", "sum"):
        raise TutorError(_("reduce must be mean or sum, not {reduce}").format(reduce=repr(reduce)))
    if size > 1 and reduce is None:
        raise ParameterError("reduce", _("the values form a batch of {size} samples: say how "
                                         "the loss combines them, {param} mean or {param} sum"),
                             size=size)
    values = np.ravel(compile_expr(derivative, symbols)(*arrays))
    if not np.all(np.isfinite(values)):
        bad = int(np.argmin(np.isfinite(values)))
        raise TutorError(_("the derivative is undefined at sample {sample} of the values given")
                         .format(sample=bad + 1))
    if size > 1:
        value = float(values.mean() if reduce == "mean" else values.sum())
    else:
        value = float(values[0])
    correct = abs(claimed - value) <= tol + 1e-12 * abs(value)
    verdict = ClaimVerdict(correct, wrt, claimed, claim_text, value, tol,
                           {n: at[n] for n in names}, reduce if size > 1 else None,
                           [float(v) for v in values], None, derivative, name)
    if not correct:
        verdict.diagnosis = _claim_diagnosis(claimed, value, size, reduce, tol)
    return verdict


def _claim_diagnosis(claimed: float, value: float, size: int, reduce, tol) -> Diagnosis:
    if value != 0 and abs(claimed + value) <= tol + 1e-12 * abs(value):
        return Diagnosis("sign", N_("your number is −1 × the true value"))
    if value == 0 or claimed == 0:
        return Diagnosis("other", N_("no simple relation to the true value"))
    ratio = Fraction(claimed / value).limit_denominator(4)
    if abs(ratio.numerator) > 12:
        ratio = Fraction(0)
    if size > 1 and reduce == "mean" and abs(claimed - value * size) <= tol * size + 1e-9 * abs(value * size):
        return Diagnosis("constant_factor", N_("your number is {size} × the true value: the sum "
                                               "over the {size} samples, not their mean (a "
                                               "missing 1/n)"),
                         factor=sympy.Integer(size), values=(("size", size),))
    if size > 1 and reduce == "sum" and abs(claimed * size - value) <= tol * size + 1e-9 * abs(value):
        return Diagnosis("constant_factor", N_("your number is 1/{size} × the true value: the "
                                               "mean over the {size} samples, not their sum"),
                         factor=sympy.Rational(1, size), values=(("size", size),))
    if ratio not in (0, 1, -1) and abs(claimed - float(ratio) * value) <= tol + 1e-9 * abs(value):
        r = sympy.Rational(ratio.numerator, ratio.denominator)
        return Diagnosis("constant_factor", N_("your number is {0} × the true value"), (r,),
                         factor=r)
    return Diagnosis("other", N_("no simple relation (sign, factor, mean vs sum) to the true "
                                 "value"))

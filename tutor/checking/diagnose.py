"""What kind of mistake a wrong derivative is.

A wrong answer ``A`` is compared with the true derivative ``E`` of ``f`` by ``x`` through a
list of *candidate mistakes*: for each kind of slip a learner makes, the derivative that slip
would have produced is built exactly (with SymPy, from ``f`` itself) and compared with the
answer at a few points at high precision.  The first kind that matches is the diagnosis:

* ``sign`` — A = −E; or one term of E with its sign flipped; or the quotient rule's numerator
  reversed (n′·d − n·d′ written as n·d′ − n′·d), which is a sign error and is said so;
* ``wrong_variable`` — A is the derivative by another variable of f;
* ``missing_chain_factor`` — for a sub-expression n = F(h) of f, the chain rule's factor dn/dx,
  or its inner part h′, or its outer part F′(h), left out;
* ``extra_or_missing_term`` — a term of E left out, or a term too many;
* ``constant_factor`` — A = c·E for a constant c ≠ ±1;
* ``other`` — none of these (with a word on what the answer is, when it is recognisable).

The diagnosis names the sub-expression involved (``node``), so the checker can point at the
step of the correct derivation where the answer parts ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy

from tutor.calculus.functions import elementary
from tutor.i18n import N_, _
from tutor.checking.sampling import DIGITS, close, mpmath_value, size_ok

KINDS = ("sign", "constant_factor", "missing_chain_factor", "extra_or_missing_term",
         "wrong_variable", "other")

#: how many sub-expressions of f are tried as the place of a forgotten chain factor
MAX_NODES = 40


@dataclass(frozen=True)
class Diagnosis:
    """The kind of mistake and a sentence about it.

    ``detail`` is a sentence with ``{0}``, ``{1}`` … standing for ``exprs``; call
    :meth:`describe` with a printer (SymPy's ``sstr`` by default, a renderer passes its own).
    ``node`` is the sub-expression of the function where the mistake was made, if known, and
    ``rule`` the differentiation rule whose step the hint should show.  ``detail`` is the
    English template (marked for the catalog); :meth:`describe` says it in the current
    language.  ``values`` are (name, value) pairs for named placeholders that are not
    mathematics (a count, a notation's name); a text value is translated too."""

    kind: str
    detail: str
    exprs: tuple = ()
    node: sympy.Expr | None = None
    rule: str | None = None
    #: the constant c of a constant_factor diagnosis
    factor: sympy.Expr | None = None
    values: tuple = ()

    def describe(self, show: Callable = sympy.sstr) -> str:
        named = {k: (_(v) if isinstance(v, str) else v) for k, v in self.values}
        return _(self.detail).format(*[show(e) for e in self.exprs], **named)


class _Matcher:
    """Compares candidate expressions with the answer at fixed points, high precision."""

    def __init__(self, answer_values: Sequence[complex], points: Sequence[dict]):
        self.values = list(answer_values)
        self.points = list(points)

    def value(self, expr, k: int):
        quick = mpmath_value(elementary(expr), self.points[k])
        if quick is not False:
            return quick
        try:
            r = elementary(expr).evalf(DIGITS, subs=self.points[k])
        except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
            return None
        if not r.is_number or r.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        try:
            re, im = r.as_real_imag()
            return complex(float(re), float(im))
        except (TypeError, ValueError):
            return None

    def matches(self, expr) -> bool:
        if expr is None:
            return False
        for k, a in enumerate(self.values):
            v = self.value(expr, k)
            if v is None or not close(v, a, 1e-12, 1e-20):
                return False
        return True


def _nodes(f: sympy.Expr, x: sympy.Symbol) -> list[sympy.Expr]:
    seen, out = set(), []
    for n in sympy.preorder_traversal(f):
        if n is f or n == x or not isinstance(n, sympy.Expr) or not n.has(x) or n in seen:
            continue
        seen.add(n)
        out.append(n)
        if len(out) >= MAX_NODES:
            break
    return out


def _split(f, n, x):
    """(∂f/∂n, the rest of df/dx not through n), both as expressions in the original terms."""
    T = sympy.Dummy("T", real=True)
    fT = f.xreplace({n: T})
    if fT == f:
        return None
    try:
        outer = sympy.diff(fT, T).xreplace({T: n})
        direct = sympy.diff(fT, x).xreplace({T: n})
    except ValueError:  # a function SymPy cannot differentiate by T (|T| with T complex, …)
        return None
    return outer, direct


def _outer_inner(n, x):
    """For n = F(h) with one argument depending on x: (h, F′(h))."""
    if isinstance(n, sympy.Pow):
        base, e = n.args
        if base.has(x) and not e.has(x) and base != x:
            return base, e * base ** (e - 1)
        if e.has(x) and not base.has(x) and e != x:
            return e, n * sympy.log(base)
        return None
    if isinstance(n, sympy.Function) and len(n.args) == 1 and n.args[0] != x:
        h = n.args[0]
        H = sympy.Dummy("H", real=True)
        try:
            return h, sympy.diff(n.func(H), H).xreplace({H: h})
        except ValueError:  # SymPy has no derivative of this function
            return None
    return None


def _terms(*exprs) -> list[sympy.Expr]:
    out = []
    for e in exprs:
        forms = [e]
        if size_ok(e, 120):
            try:
                forms.append(sympy.expand(e))
            except (TypeError, ValueError):
                pass
        for form in forms:
            for t in sympy.Add.make_args(form):
                if t not in out and not t.is_zero:
                    out.append(t)
    return out


def _quotients(f, x):
    """Sub-expressions u/v of f with v depending on x, as (node, u, v)."""
    out = []
    for n in sympy.preorder_traversal(f):
        if not isinstance(n, sympy.Expr) or not n.has(x):
            continue
        if isinstance(n, sympy.Pow) and n.exp.is_negative and n.base.has(x):
            out.append((n, sympy.S.One, n.base ** (-n.exp)))
        elif isinstance(n, sympy.Mul):
            num, den = sympy.fraction(n)
            if den.has(x) and den != 1:
                out.append((n, num, den))
        if len(out) > 10:
            break
    return out


#: the diagnosis of a forgotten inner derivative (the chain rule's h′ for F(h))
MISSING_INNER = N_("the inner derivative d/d{0} ({1}) = {2} of {3} is missing (the chain rule "
                   "multiplies by it)")


def chain_slips(f: sympy.Expr, x: sympy.Symbol):
    """The derivatives of ``f`` by ``x`` with one factor of the chain rule left out, each with
    its diagnosis: for every sub-expression n = F(h) of f (outermost first), the whole factor
    dn/dx, its constant part, the inner derivative h′ or the outer derivative F′(h) left out.
    Written in the terms of ``f``; a slip may equal another one or the derivative itself."""
    for n in _nodes(f, x):
        split = _split(f, n, x)
        if split is None:
            continue
        outer, direct = split
        dn = sympy.diff(n, x)
        if dn != 1 and dn != 0:
            yield outer + direct, Diagnosis(
                "missing_chain_factor", N_("the chain rule's factor d/d{0} ({1}) = {2} is missing"),
                (x, n, dn), n, "chain")
        coeff, rest = dn.as_coeff_Mul()
        if coeff != 1 and rest != 1:
            yield outer * coeff + direct, Diagnosis(
                "missing_chain_factor", N_("the chain rule's factor {2} (from d/d{0} ({1}) = {3}) "
                                           "is missing"), (x, n, rest, dn), n, "chain")
        parts = _outer_inner(n, x)
        if parts is None:
            continue
        h, outer_f = parts
        dh = sympy.diff(h, x)
        if dh != 1:
            yield outer * outer_f + direct, Diagnosis("missing_chain_factor", MISSING_INNER,
                                                      (x, h, dh, n), h, "chain")
        if outer_f != 1:
            yield outer * dh + direct, Diagnosis(
                "missing_chain_factor", N_("the outer derivative {0} of {1} is missing (the chain "
                                           "rule multiplies by it)"), (outer_f, n), n, "chain")


def term_slips(expected: sympy.Expr, terms):
    """The derivative ``expected`` with one of ``terms`` left out, each with its diagnosis."""
    for t in terms:
        yield expected - t, Diagnosis("extra_or_missing_term", N_("the term {0} is missing"), (t,),
                                      None, "sum")


def likely_slips(f: sympy.Expr, x: sympy.Symbol, expected: sympy.Expr,
                 terms) -> dict[str, list[sympy.Expr]]:
    """The wrong derivatives of ``f`` by ``x`` a learner is likely to write, by the kind of
    mistake :func:`diagnose` names them (a quiz that recognises them ahead of time asks here):
    the sign flipped, twice the derivative, one factor of the chain rule left out (a forgotten
    inner derivative first), one of ``terms`` of ``expected`` left out.  Candidates only: one
    may equal another, or the derivative; :func:`diagnose` says what each one is."""
    chain = sorted(chain_slips(f, x), key=lambda c: c[1].detail != MISSING_INNER)
    return {"sign": [-expected], "constant_factor": [2 * expected],
            "missing_chain_factor": [c for c, _d in chain],
            "extra_or_missing_term": [c for c, _d in term_slips(expected, terms)]}


#: the sign diagnosis, with a note on the quotient rule's reversed numerator and on a
#: forgotten inner derivative −1 where either gives exactly the answer
_SIGN_DETAILS = {
    (False, False): N_("your answer is exactly −1 × the derivative"),
    (True, False): N_("your answer is exactly −1 × the derivative; the quotient rule's numerator "
                      "reversed for {0} gives exactly this (for n/d it is n′·d − n·d′, not n·d′ − n′·d)"),
    (False, True): N_("your answer is exactly −1 × the derivative; so does a forgotten inner "
                      "derivative d/d{0} ({1}) = −1"),
    (True, True): N_("your answer is exactly −1 × the derivative; the quotient rule's numerator "
                     "reversed for {0} gives exactly this (for n/d it is n′·d − n·d′, not n·d′ − n′·d); "
                     "so does a forgotten inner derivative d/d{1} ({2}) = −1"),
}


def diagnose(expected: sympy.Expr, answer: sympy.Expr, *, x: sympy.Symbol,
             points: Sequence[dict], answer_values: Sequence[complex],
             expected_values: Sequence[complex], function: sympy.Expr | None = None,
             raw: sympy.Expr | None = None, forms: Sequence[sympy.Expr] = ()) -> Diagnosis:
    """The kind of mistake ``answer`` makes as the derivative of ``function`` by ``x``.

    ``points`` ({symbol: Float}) are where both sides are defined; ``answer_values`` and
    ``expected_values`` their high-precision values there.  ``raw`` is the derivative as the
    rules produced it and ``forms`` other equal forms of it: their terms are tried as missing
    terms too."""
    m = _Matcher(answer_values, points)
    E = expected
    f = function

    # -- sign ------------------------------------------------------------------------------
    if all(close(a, -e, 1e-12, 1e-20) for a, e in zip(answer_values, expected_values)) \
            and any(abs(e) > 1e-15 for e in expected_values):
        exprs, node, rule = [], None, None
        quotient = inner = False
        if f is not None:
            quotient_first = False
            for q, u, v in _quotients(f, x):
                split = _split(f, q, x)
                if split is None:
                    continue
                outer, direct = split
                if m.matches(outer * -sympy.diff(q, x) + direct):
                    exprs += [q]
                    quotient = True
                    node, rule = q, "quotient"
                    quotient_first = u.has(x)
                    break
            for n in _nodes(f, x):
                if sympy.diff(n, x) == -1:
                    exprs += [x, n]
                    inner = True
                    if node is None or not quotient_first:
                        node, rule = n, "chain"
                    break
        detail = _SIGN_DETAILS[quotient, inner]
        return Diagnosis("sign", detail, tuple(exprs), node, rule)

    # -- the quotient rule's numerator reversed in one part --------------------------------
    if f is not None:
        for q, u, v in _quotients(f, x):
            split = _split(f, q, x)
            if split is None:
                continue
            outer, direct = split
            if m.matches(outer * -sympy.diff(q, x) + direct):
                return Diagnosis(
                    "sign", N_("the quotient rule's numerator is reversed for {0}: it is "
                               "n′·d − n·d′ for n/d (the numerator's derivative first), not n·d′ − n′·d "
                               "— a sign error in that part"), (q,), q, "quotient")

    # -- a missing factor of the chain rule ------------------------------------------------
    if f is not None:
        for slip, diagnosis in chain_slips(f, x):
            if m.matches(slip):
                return diagnosis

    # -- derivative by another variable ----------------------------------------------------
    if f is not None:
        for v in sorted(f.free_symbols - {x}, key=lambda s: s.name):
            d = sympy.diff(f, v)
            if d != 0 and m.matches(d):
                return Diagnosis("wrong_variable",
                                 N_("this is the derivative by {0}, not by {1}"), (v, x), None,
                                 None)

    if f is not None and m.matches(f):
        return Diagnosis("other", N_("your answer is the function {0} itself, not its "
                                     "derivative"), (f,), None, None)

    # -- a term too many, too few, or with the wrong sign ----------------------------------
    terms = _terms(*(e for e in (E, raw, *forms) if e is not None))
    for slip, diagnosis in term_slips(E, terms):
        if m.matches(slip):
            return diagnosis
    answer_terms = _terms(answer) if len(sympy.Add.make_args(answer)) > 1 or size_ok(answer, 60) else []
    for t in answer_terms:
        if len(answer_terms) > 1 and m.matches(E + t):
            return Diagnosis("extra_or_missing_term", N_("the term {0} is one too many"), (t,),
                             None, "sum")
    for t in terms:
        if len(terms) > 1 and m.matches(E - 2 * t):
            return Diagnosis("sign", N_("the term {0} has the wrong sign"), (t,), None, "sum")

    # -- off by a constant term: 3x² + 3 for d/dx (x³ + 2x) ---------------------------------
    gaps = [a - e for a, e in zip(answer_values, expected_values)]
    if len(gaps) >= 2 and all(close(g, gaps[0], 1e-10) for g in gaps) \
            and abs(gaps[0].imag) < 1e-12 and abs(gaps[0]) > 1e-9:
        c = _nice_number(gaps[0].real)
        template = (N_("your answer is the derivative plus {0}: a constant term is wrong (the "
                       "derivative of a·x is a, and of a constant 0)") if c > 0 else
                    N_("your answer is the derivative minus {0}: a constant term is wrong (the "
                       "derivative of a·x is a, and of a constant 0)"))
        return Diagnosis("extra_or_missing_term", template, (abs(c),), None, "sum")

    # -- off by a constant factor ----------------------------------------------------------
    ratios = [a / e for a, e in zip(answer_values, expected_values) if abs(e) > 1e-12]
    if len(ratios) >= 2 and all(close(r, ratios[0], 1e-10) for r in ratios) \
            and abs(ratios[0].imag) < 1e-12 and abs(ratios[0]) > 1e-12:
        nice = _nice_number(ratios[0].real)
        if nice != 1:
            return Diagnosis("constant_factor", N_("your answer is {0} × the derivative"), (nice,),
                             None, None, factor=nice)

    return no_simple_slip()


def no_simple_slip() -> Diagnosis:
    """The diagnosis when no slip the tutor knows explains the difference (or looking for one
    took longer than it is worth)."""
    return Diagnosis("other", N_("no simple slip (sign, factor, chain factor, term, variable) "
                                 "explains the difference"), (), None, None)


def _nice_number(c: float) -> sympy.Expr:
    """A short exact rational close to ``c`` (3/2), else ``c`` to 6 digits."""
    nice = sympy.nsimplify(sympy.Float(c, 20), rational=True, tolerance=1e-10)
    if not (nice.is_Rational and nice.q <= 1000 and abs(nice.p) <= 10**6):
        nice = sympy.Float(c, 6)
    return nice

"""From a function to a finished derivation: the rules' tree, then simplifying and
recognising rewrites, each one checked.

:func:`derive` is the one entry point.  The rules in :mod:`tutor.calculus.rules` give the raw
derivative with a step for every rule; then rewrite steps bring it to the form a textbook
shows: a tidier equal form ("simplify"), the same derivative written with named
sub-expressions such as σ(z) or s_i ("recognise"), and the lesson's stated assumptions such as
Σ y_i = 1 ("assume").  Each rewrite is checked for equality before it is kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import sympy
from sympy import Add, exp

from tutor.calculus.rules import Differentiator, StepCheckError
from tutor.calculus.budget import OPTIONAL_SECONDS, deadline, limited, within
from tutor.calculus.cost import affordable
from tutor.calculus.steps import Derivation, Step
from tutor.calculus.verify import same_value
from tutor.i18n import _


@dataclass(frozen=True)
class Named:
    """A named sub-expression to recognise in results: ``symbol`` stands for ``definition``."""

    symbol: sympy.Symbol
    definition: sympy.Expr
    latex: str = ""


def derive(function: sympy.Expr, wrt: sympy.Symbol, *, named: Sequence[Named] = (),
           assumptions: Sequence[tuple[sympy.Expr, sympy.Expr]] = (), name: str = "f",
           check: bool = True, budget: float | None = None) -> Derivation:
    """Differentiate ``function`` by ``wrt`` step by step.

    ``named`` sub-expressions are recognised in the result; ``assumptions`` are equations
    ``(lhs, rhs)`` (such as ``(y1 + y2 + y3, 1)``) used, and said, in a final step.
    """
    if budget is None:  # the tutor's own lessons: no time limit
        return _derive(function, wrt, named, assumptions, name, check)
    with deadline(budget, what=_("differentiating by {wrt}").format(wrt=wrt)):
        return _derive(function, wrt, named, assumptions, name, check)


def _derive(function, wrt, named, assumptions, name, check) -> Derivation:
    tree = Differentiator(wrt, check=check).derive(function)
    rewrites: list[Step] = []
    current = tree.after

    tidy = _tidy(current)
    if tidy != current:
        rewrites.append(_rewrite("simplify", current, tidy, check=check))
        current = tidy

    recognised = within(OPTIONAL_SECONDS, _recognise, current, named)
    if recognised is not None and recognised != current:
        rewrites.append(_rewrite("recognise", current, recognised, named=named, check=check))
        current = recognised

    for lhs, rhs in assumptions:
        used = within(OPTIONAL_SECONDS, _best_under, current,
                      [(lhs, rhs)] + _normaliser_constraints(named), default=current)
        if used != current:
            rewrites.append(_rewrite("assume", current, used, named=named,
                                     assumption=(lhs, rhs), check=check))
            current = used
    return Derivation(function, wrt, tree, tuple(rewrites), name)


def expand_named(expr: sympy.Expr, named: Sequence[Named]) -> sympy.Expr:
    """``expr`` with every named symbol replaced by its definition."""
    for n in named:
        expr = expr.subs(n.symbol, n.definition)
    return expr


def _rewrite(rule: str, before, after, *, named=(), assumption=None, check=True) -> Step:
    # an assumption is shown as "lhs = rhs" under the step, like the chain rule's u = …
    bindings = () if assumption is None else (tuple(assumption),)
    step = Step(rule, before, after, None, (), bindings, "")
    if check:
        lhs, rhs = expand_named(before, named), expand_named(after, named)
        if assumption is not None:
            # equal once the assumption holds: solve it for one of its symbols
            target = sorted(assumption[0].free_symbols, key=lambda s: s.name)[-1]
            solved = sympy.solve(sympy.Eq(*assumption), target)
            lhs, rhs = lhs.subs(target, solved[0]), rhs.subs(target, solved[0])
        if not same_value(lhs, rhs):
            raise StepCheckError(f"rewrite '{rule}' changed the value: {before} -> {after}")
    return step


def _size(expr) -> int:
    return sympy.count_ops(expr, visual=False)


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """The shortest of a few cheap equal forms (SymPy's full simplify is too slow here)."""
    if _size(expr) > 400 or not affordable(expr):
        return expr
    best, best_size = expr, _size(expr)
    end = time.monotonic() + OPTIONAL_SECONDS  # for all the forms together
    for transform in (sympy.factor_terms, sympy.together, sympy.cancel, _factor):
        left = end - time.monotonic()
        if left <= 0 and limited():
            break
        try:
            candidate = within(max(left, 1e-3), transform, expr)
        except (sympy.PolynomialError, TypeError, ValueError, NotImplementedError):
            continue
        if candidate is None:  # too slow to be worth it
            continue
        size = _size(candidate)
        # only a clear gain is worth a step: e^(−z)/(1 + e^(−z))² is as good as e^z/(e^z + 1)²
        if size <= best_size - 2 and size <= 0.7 * best_size:
            best, best_size = candidate, size
    return best


def _factor(expr: sympy.Expr) -> sympy.Expr:
    if not affordable(expr):
        return expr
    try:
        factored = within(OPTIONAL_SECONDS, sympy.factor, expr)
        if factored is None:
            return expr
        factored = _positive_first(factored)
    except (sympy.PolynomialError, TypeError, ValueError, NotImplementedError):
        return expr
    return factored if _size(factored) <= _size(expr) else expr


def _positive_first(expr: sympy.Expr) -> sympy.Expr:
    """Textbook signs in a product: −a·(b − 1) → a·(1 − b), (t − a)·(a − 1) → (a − t)·(1 − a).

    A sum with a negative constant is written with the constant first (1 − a); the sign this
    costs is given back by turning another sum around, or kept in front."""
    if not isinstance(expr, sympy.Mul):
        return expr
    coeff, rest = expr.as_coeff_Mul()
    factors = list(sympy.Mul.make_args(rest))
    negative = coeff < 0

    def flip(k):
        nonlocal negative
        factors[k] = -factors[k]
        negative = not negative

    def constant(f):
        return next((t for t in f.args if t.is_Number), None)

    sums = [k for k, f in enumerate(factors) if isinstance(f, Add)]
    for k in sums:
        c = constant(factors[k])
        if (c is not None and c < 0) or (c is None and factors[k].could_extract_minus_sign()):
            flip(k)
    if negative:
        plain = [k for k in sums if constant(factors[k]) is None]
        if plain:
            flip(plain[0])
    return sympy.Mul(-abs(coeff) if negative else abs(coeff), *factors)


def _simplicity(expr) -> tuple[int, int]:
    """Fewer distinct symbols first (s₁(1 − s₁) over s₁(s₂ + s₃)), then fewer operations,
    then factored over expanded (σ(1 − σ) over σ − σ²)."""
    return (len(expr.free_symbols), _size(expr), len(sympy.Add.make_args(expr)))


def _best_under(expr: sympy.Expr, constraints) -> sympy.Expr:
    """The simplest form of ``expr`` given equations such as s₁ + s₂ + s₃ = 1.

    Each constraint is used to eliminate one of its symbols; every choice is tried.
    """
    choices = [[None]]
    for lhs, rhs in constraints:
        solved = []
        for symbol in sorted(lhs.free_symbols, key=lambda s: s.name):
            if expr.has(symbol):
                solution = _solve_for(lhs, rhs, symbol)
                if solution is not None:
                    solved.append((symbol, solution))
        choices = [c + [s] for c in choices for s in [None] + solved]
        if len(choices) > 200:
            break
    # a denominator written out, (s₁ + … + sₙ)² as n(n + 1)/2 terms, is kept as the power it
    # is, so that eliminating a symbol turns it into 1 instead of a long expansion
    numerator, denominator = sympy.fraction(expr)
    if isinstance(denominator, Add) and affordable(denominator):
        expr = numerator / sympy.sqf(denominator)
    expansions = []
    for choice in choices:
        candidate = expr
        for pick in choice:
            if pick is not None:
                candidate = candidate.subs(pick[0], pick[1])
        if affordable(candidate):
            expansions.append(sympy.expand(candidate))
    best = expr
    fewest = min([len(e.free_symbols) for e in expansions] + [len(expr.free_symbols)])
    for expanded in expansions:
        if len(expanded.free_symbols) > fewest:
            continue  # factoring keeps every symbol: neither form can be the simplest
        for form in (expanded, _positive_first(sympy.factor(expanded))):
            if _simplicity(form) < _simplicity(best):
                best = form
    return best


def _solve_for(lhs: sympy.Expr, rhs: sympy.Expr, symbol: sympy.Symbol):
    """The one solution of lhs = rhs for ``symbol``, or None: directly when the equation is
    linear in it (s₁ + … + sₙ = 1, at once for any n), else by SymPy's solver."""
    coefficient = lhs.coeff(symbol)
    rest = sympy.expand(lhs - coefficient * symbol)
    if coefficient != 0 and not coefficient.has(symbol) and not rest.has(symbol):
        return (rhs - rest) / coefficient
    solution = sympy.solve(sympy.Eq(lhs, rhs), symbol)
    return solution[0] if len(solution) == 1 else None


def _normaliser_constraints(named):
    group = _normaliser_group(named)
    return [] if group is None else [(Add(*[n.symbol for n in group]), sympy.S.One)]


# -- recognising named sub-expressions -----------------------------------------------------
def _recognise(expr: sympy.Expr, named: Sequence[Named]) -> sympy.Expr | None:
    if not named:
        return None
    current = expr
    # longest definitions first, so a = σ(w·x + b) is found before z = w·x + b
    for n in sorted(named, key=lambda n: -_size(n.definition)):
        found = _by_kernel(current, n) or _by_substitution(current, n)
        if found is not None:
            current = found
    group = _by_normaliser(current, named)
    if group is not None:
        current = group
    return None if current == expr else current


def _by_substitution(expr, n: Named):
    if not expr.has(n.definition):
        return None
    return _factor(expr.subs(n.definition, n.symbol))


def _exp_atoms(expr):
    return [a for a in expr.atoms(exp)]


def _by_kernel(expr, n: Named):
    """σ-like names: one exponential kernel k = e^a in the definition, solved for k."""
    kernels = _exp_atoms(n.definition)
    if len(kernels) != 1 or not affordable(expr):
        return None
    a = kernels[0].args[0]
    K = sympy.Dummy("K", positive=True)
    replaced = {}
    for e in _exp_atoms(expr):
        ratio = sympy.cancel(e.args[0] / a)
        if not ratio.is_Rational:
            if e.args[0].has(*a.free_symbols):
                return None
            continue
        replaced[e] = K**ratio
    if not replaced:
        return None
    in_k = expr.xreplace(replaced)
    numerator = sympy.numer(sympy.together(n.definition.xreplace({kernels[0]: K}) - n.symbol))
    poly = sympy.Poly(sympy.expand(numerator), K)
    if poly.degree() != 1:
        return None
    c1, c0 = poly.all_coeffs()
    solution = -c0 / c1
    candidate = _factor(sympy.cancel(in_k.subs(K, solution)))
    if candidate.has(K) or any(candidate.has(e) for e in replaced):
        return None
    return candidate


def _normaliser_parts(named: Sequence[Named]):
    parts = []
    for n in named:
        num, den = sympy.fraction(sympy.together(n.definition))
        parts.append((n, num, den))
    if len(parts) < 2 or len({den for _, _, den in parts}) != 1:
        return None
    den = parts[0][2]
    if not isinstance(den, Add) or set(den.args) != {num for _, num, _ in parts}:
        return None
    return parts


def _normaliser_group(named: Sequence[Named]):
    parts = _normaliser_parts(named)
    return None if parts is None else [n for n, _, _ in parts]


def _by_normaliser(expr, named: Sequence[Named]):
    """softmax-like names: s_i = E_i / (E_1 + … + E_n) for the same denominator."""
    parts = _normaliser_parts(named)
    if parts is None:
        return None
    T = sympy.Dummy("T", positive=True)
    replace = {}
    for e in _exp_atoms(expr):
        for n, num, _ in parts:
            if isinstance(num, exp):
                ratio = sympy.cancel(e.args[0] / num.args[0])
                if ratio.is_Rational:
                    replace[e] = (n.symbol * T) ** ratio
                    break
    for n, num, _ in parts:
        replace.setdefault(num, n.symbol * T)
    candidate = sympy.cancel(expr.xreplace(replace))
    if candidate.has(T) or any(candidate.has(num) for _, num, _ in parts):
        return None
    return _best_under(candidate, _normaliser_constraints(named))

"""Numerically stable forms of the expressions a learner writes, for evaluation only.

The derivation shows what the learner wrote; numbers are computed from an equal expression
that cannot overflow or cancel where the written one would: 1/(1 + e^(−a)) is σ(a),
log(1 + e^a) is softplus(a), log σ(a) is −softplus(−a), 1 − σ(a) is σ(−a), e^(−a)·σ(a) is
σ(−a), log Σ e^(aᵢ) is a log-sum-exp shifted by the largest aᵢ, and e^(a)/Σ e^(aᵢ) is
e^(a − logsumexp).  With these, σ, softplus, tanh, softmax, log-sum-exp, cross-entropy and
binary cross-entropy with logits are finite and accurate for |z| up to 10⁴ and beyond.
"""

from __future__ import annotations

import math

import sympy
from sympy import Add, Function, Mul

from tutor.calculus.functions import sigmoid, softplus, stable_form
from tutor.calculus.table import np
from tutor.calculus.cost import affordable


class logsumexp(Function):
    """log(e^(a₁) + … + e^(aₙ)), computed shifted by the largest aᵢ."""

    def fdiff(self, argindex=1):
        return sympy.exp(self.args[argindex - 1] - logsumexp(*self.args))

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return sympy.log(Add(*[sympy.exp(a) for a in args]))


def numpy_logsumexp(*args):
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    top = arrays[0]
    for a in arrays[1:]:
        top = np.maximum(top, a)
    top = np.where(np.isfinite(top), top, 0.0)
    total = np.zeros_like(top)
    for a in arrays:
        total += np.exp(a - top)
    return top + np.log(total)


def scalar_logsumexp(*args: float) -> float:
    top = max(args)
    if not math.isfinite(top):
        return top
    return top + math.log(sum(math.exp(a - top) for a in args))


def _sum_of_exps(e) -> list | None:
    """[a₁, …, aₙ] when ``e`` is e^(a₁) + … + e^(aₙ) (n ≥ 2), else None."""
    if isinstance(e, Add) and len(e.args) >= 2 and all(isinstance(t, sympy.exp) for t in e.args):
        return [t.args[0] for t in e.args]
    return None


def stabilise(expr: sympy.Expr) -> sympy.Expr:
    """An equal expression that cannot overflow where the written one would (see the module's
    documentation for the forms)."""
    expr = stable_form(expr)

    def rebuild(e):
        if e.is_Atom:
            return e
        args = [rebuild(a) for a in e.args]
        e = e.func(*args) if tuple(args) != e.args else e
        if isinstance(e, sympy.log):
            (a,) = e.args
            if isinstance(a, sigmoid):
                return -softplus(-a.args[0])
            if isinstance(a, Add) and len(a.args) == 2 and 1 in a.args:
                other = a.args[0] if a.args[1] == 1 else a.args[1]
                if isinstance(other, Mul) and other.args[0] == -1 and len(other.args) == 2 \
                        and isinstance(other.args[1], sigmoid):
                    return -softplus(other.args[1].args[0])
            exps = _sum_of_exps(a)
            if exps:
                return logsumexp(*exps)
            if isinstance(a, Mul):
                # log(e^u · (Σ e^(aᵢ))^(−1)) = u − logsumexp(a)
                parts = []
                for f in a.args:
                    if isinstance(f, sympy.exp):
                        parts.append(f.args[0])
                    elif isinstance(f, sympy.Pow) and _sum_of_exps(f.base):
                        parts.append(f.exp * logsumexp(*_sum_of_exps(f.base)))
                    else:
                        parts = None
                        break
                if parts:
                    return Add(*parts)
            if isinstance(a, sympy.exp):
                return a.args[0]
        if isinstance(e, Add):
            # 1 − σ(a) = σ(−a): no cancellation where σ(a) is near 1
            for t in e.args:
                if isinstance(t, Mul) and len(t.args) == 2 and t.args[0] == -1 \
                        and isinstance(t.args[1], sigmoid) and 1 in e.args:
                    rest = [g for g in e.args if g is not t and g != 1]
                    return Add(sigmoid(-t.args[1].args[0]), *rest)
        if isinstance(e, Mul):
            folded = _fold_exp_into_sigmoid(e)
            if folded is not None:
                return folded
            # N · (Σ e^(aᵢ))^n · e^(b): every power of a sum of exponentials becomes
            # e^(n·logsumexp(a)) and joins the exponentials of N's terms, so no e^1000 is ever
            # formed (the softmax e^(a)/Σ e^(aᵢ), its square, its derivatives)
            sums = [(f, 1) if _sum_of_exps(f) else (f.base, f.exp) for f in e.args
                    if _sum_of_exps(f) or (isinstance(f, sympy.Pow) and f.exp.is_Integer
                                           and _sum_of_exps(f.base))]
            if sums:
                shift = sympy.S.Zero
                rest = []
                for f in e.args:
                    if _sum_of_exps(f):
                        shift += logsumexp(*_sum_of_exps(f))
                    elif isinstance(f, sympy.Pow) and f.exp.is_Integer and _sum_of_exps(f.base):
                        shift += f.exp * logsumexp(*_sum_of_exps(f.base))
                    else:
                        rest.append(f)
                numerator = Mul(*rest)
                # each term of the numerator is shifted on its own; one too costly to multiply
                # out is shifted whole
                terms = (Add.make_args(sympy.expand(numerator)) if affordable(numerator)
                         else [numerator])
                return Add(*[_shifted(term, shift) for term in terms])
        return e

    return rebuild(expr)


def _fold_exp_into_sigmoid(e: Mul):
    """e^(−a)·σ(a)^k = σ(−a)·σ(a)^(k−1) and e^(a)·σ(−a)^k likewise: the e^(∓a) that would
    overflow is absorbed by the σ that is small there."""
    factors = list(e.args)
    for i, f in enumerate(factors):
        if not isinstance(f, sympy.exp):
            continue
        for j, g in enumerate(factors):
            base, power = (g.base, g.exp) if isinstance(g, sympy.Pow) else (g, sympy.S.One)
            if isinstance(base, sigmoid) and power.is_Integer and power >= 1 \
                    and (f.args[0] == -base.args[0]
                         or (affordable(f.args[0], base.args[0])
                             and sympy.expand(f.args[0] + base.args[0]) == 0)):
                rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                return Mul(sigmoid(-base.args[0]), base ** (power - 1), *rest)
    return None


def _shifted(term: sympy.Expr, shift: sympy.Expr) -> sympy.Expr:
    """c·e^(b₁)·e^(b₂)… as c·e^(b₁ + b₂ + … + shift)."""
    exponent, others = shift, []
    for factor in Mul.make_args(term):
        if isinstance(factor, sympy.exp):
            exponent += factor.args[0]
        else:
            others.append(factor)
    return Mul(*others) * sympy.exp(exponent)

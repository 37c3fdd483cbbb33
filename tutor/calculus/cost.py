"""What SymPy's polynomial machinery would cost on an expression, decided before it starts.

``expand``, ``cancel``, ``together`` and ``factor`` multiply sums out: (x + y + z + w)^100 is
14 characters and 176,851 terms once expanded, and (x + y + z + w)^1000 would need gigabytes.
:func:`expanded_terms` counts those terms without building them (a multinomial count per
power, a product per product), so the tutor can leave such a form as it is instead of waiting
for it; :func:`affordable` is the test every caller of that machinery uses.
"""

from __future__ import annotations

from math import comb

import sympy

#: the most terms an expansion may reach before the tutor leaves a form unexpanded: a few
#: thousand terms expand, cancel and factor in well under a second
TERMS = 2000
#: counts are capped here; beyond it they only need to be "too many"
_CAP = 10**9


def _terms(expr: sympy.Expr) -> int:
    """The number of terms of ``expr`` multiplied out (powers of sums by the multinomial
    count), capped at ``_CAP``; a function's argument is not multiplied out."""
    if isinstance(expr, sympy.Add):
        return min(_CAP, sum(_terms(a) for a in expr.args))
    if isinstance(expr, sympy.Mul):
        out = 1
        for a in expr.args:
            out = min(_CAP, out * _terms(a))
        return out
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer:
        t, n = _terms(expr.base), abs(int(expr.exp)) if abs(expr.exp) < _CAP else _CAP
        if t <= 1:
            return 1
        if n > 10**6:  # any sum to such a power is far beyond the cap
            return _CAP
        # terms of a t-term sum to the power n: C(n + t − 1, t − 1), computed with the
        # smaller of the two sides so that it stays quick
        k = min(t - 1, n)
        if k > 60:
            return _CAP
        return min(_CAP, comb(n + t - 1, k))
    return 1


def expanded_terms(expr: sympy.Expr) -> int:
    """The largest number of terms any part of ``expr`` has once multiplied out (the
    expression itself, or a function's argument, which ``expand`` multiplies out too)."""
    if not isinstance(expr, sympy.Basic):
        return 1
    worst = _terms(expr) if isinstance(expr, sympy.Expr) else 1
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Function):
            for a in node.args:
                worst = max(worst, _terms(a))
        if worst >= _CAP:
            break
    return worst


def affordable(*exprs: sympy.Expr, terms: int = TERMS) -> bool:
    """True when multiplying out each of ``exprs`` stays within ``terms`` terms."""
    return all(expanded_terms(e) <= terms for e in exprs)


# Common-subexpression elimination (lambdify's ``cse``) rebuilds every node it touches, and
# SymPy re-evaluates a rebuilt Heaviside or Abs of a large power by multiplying it out: the
# compilers use it only on affordable expressions.

"""A derivative taken through named stages, one layer's local derivative at a time.

A network is written in stages — z₁ = w₁₁x₁ + w₁₂x₂ + b₁, h₁ = tanh(z₁), ŷ = v₁h₁ + v₂h₂ + c,
L = ½(ŷ − y)² — and backpropagation differentiates it stage by stage:
∂L/∂w₁₁ = ∂L/∂ŷ · ∂ŷ/∂h₁ · ∂h₁/∂z₁ · ∂z₁/∂w₁₁.  :func:`derive_through_stages` does the same:
it finds every path from the function to the variable through the stages, derives each local
derivative on its own (each one a checked derivation), and multiplies along each path and
adds over the paths (the multivariate chain rule).  The result is checked against the
derivative of the function written out in full, so the stages can never make it wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import sympy

from tutor.calculus.derivation import Named, derive
from tutor.calculus.rules import StepCheckError
from tutor.calculus.steps import Derivation, Step
from tutor.calculus.verify import same_value


@dataclass(frozen=True)
class Stage:
    """``symbol`` = ``definition``, written with the variables and earlier stages."""

    symbol: sympy.Symbol
    definition: sympy.Expr


def written_out(expr: sympy.Expr, stages: Sequence[Stage]) -> sympy.Expr:
    """``expr`` with every stage replaced by its definition, down to the variables."""
    definitions = {s.symbol: s.definition for s in stages}
    for _ in range(len(stages) + 1):
        if not expr.free_symbols & definitions.keys():
            break
        expr = expr.xreplace(definitions)
    return expr


def paths(function: sympy.Expr, stages: Sequence[Stage], wrt: sympy.Symbol,
          top: sympy.Symbol) -> list[tuple[sympy.Symbol, ...]]:
    """Every path from ``top`` (the function's name) to ``wrt`` through the stages, each a
    tuple of symbols (L, ŷ, h₁, z₁, w₁₁), in a stable order."""
    definitions = {s.symbol: s.definition for s in stages}
    found = []

    def walk(expr, path):
        for s in sorted(expr.free_symbols, key=lambda s: s.name):
            if s == wrt:
                found.append(path + (s,))
            elif s in definitions and written_out(s, stages).has(wrt):
                walk(definitions[s], path + (s,))

    walk(function, (top,))
    return found


def derive_through_stages(function: sympy.Expr, stages: Sequence[Stage], wrt: sympy.Symbol,
                          *, name: str = "f", budget: float | None = None) -> Derivation:
    """The derivative of ``function`` (written with the stages) by ``wrt``, as a chain of
    local derivatives: one step saying the chain, under it each local derivative's own
    derivation, and the product (or the sum of products) as its result."""
    top = sympy.Symbol(name)
    owners = {top: function, **{s.symbol: s.definition for s in stages}}
    # the latest stage first: each is written out before the earlier ones it uses, so the
    # checks of each local derivation compare expressions written out in full
    named = [Named(s.symbol, s.definition) for s in reversed(stages)]
    chains = paths(function, stages, wrt, top)
    local: dict[tuple[sympy.Symbol, sympy.Symbol], Derivation] = {}
    for chain in chains:
        for owner, var in zip(chain, chain[1:]):
            if (owner, var) not in local:
                local[(owner, var)] = derive(owners[owner], var, named=named, name=str(owner),
                                             budget=budget)
    after = sympy.Add(*[sympy.Mul(*[local[(o, v)].result for o, v in zip(c, c[1:])])
                        for c in chains])
    # the stages used, innermost last, as the chain rule's "where" lines
    used = []
    for chain in chains:
        for s in chain[1:-1]:
            if s not in used:
                used.append(s)
    substeps = []
    for derivation in local.values():
        substeps.append(derivation.tree)
        substeps.extend(derivation.rewrites)
    step = Step("stages", function, after, wrt, tuple(substeps),
                tuple((s, owners[s]) for s in used), "", tuple(chains))
    full = written_out(function, stages)
    if not same_value(sympy.diff(full, wrt), written_out(after, stages)):
        raise StepCheckError(f"the chain through the stages gives {after}, which is not "
                             f"d/d{wrt} {full}")
    return Derivation(full, wrt, step, (), name)

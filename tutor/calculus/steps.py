"""Steps and derivations: plain data, produced by the engine and read by the renderers.

A :class:`Step` is one rule applied.  A *derivative* step says ``d/d(wrt) before = after``
and may rest on sub-derivations (the chain rule's outer and inner derivative, the terms of a
sum).  A *rewrite* step says ``before = after`` (simplifying, recognising σ, using an
assumption).  Both kinds are checked with SymPy when they are built; see :mod:`tutor.calculus.derivation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import sympy


@dataclass(frozen=True)
class Step:
    rule: str
    before: sympy.Expr
    after: sympy.Expr
    wrt: sympy.Symbol | None = None
    substeps: tuple["Step", ...] = ()
    #: names introduced by this step, e.g. the chain rule's ``u = 1 + e^(−z)``
    bindings: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    #: a sentence for the learner beyond the rule itself (a kink, an assumption)
    note: str = ""
    #: for a derivative taken through named stages: each path from the function to the
    #: variable, (L, ŷ, h₁, z₁, w₁₁), read ∂L/∂ŷ · ∂ŷ/∂h₁ · ∂h₁/∂z₁ · ∂z₁/∂w₁₁
    paths: tuple[tuple[sympy.Symbol, ...], ...] = ()

    @property
    def is_rewrite(self) -> bool:
        return self.wrt is None

    def walk(self, depth: int = 0) -> Iterator[tuple[int, "Step"]]:
        """This step and every sub-step, parents before children, with their depth."""
        yield depth, self
        for sub in self.substeps:
            yield from sub.walk(depth + 1)

    def count(self) -> int:
        return sum(1 for _ in self.walk())


@dataclass(frozen=True)
class Derivation:
    """The derivative of one function by one variable, with every step that led to it."""

    function: sympy.Expr
    wrt: sympy.Symbol
    tree: Step
    rewrites: tuple[Step, ...] = ()
    #: the function's display name, e.g. "σ" or "L" or "s_1"
    name: str = "f"

    @property
    def raw(self) -> sympy.Expr:
        """The derivative as the rules produced it, before simplifying."""
        return self.tree.after

    @property
    def result(self) -> sympy.Expr:
        """The final form (after the simplifying and recognising rewrites)."""
        return self.rewrites[-1].after if self.rewrites else self.tree.after

    def steps(self) -> list[tuple[int, Step]]:
        """All steps in reading order: the derivation tree, then the rewrites."""
        return list(self.tree.walk()) + [(0, r) for r in self.rewrites]

"""A network's loss and gradients layer by layer, in the names its lesson declares.

A lesson such as ``mlp`` names its intermediate values (z₁ = w₁₁x₁ + w₁₂x₂ + b₁, h₁ = tanh(z₁),
ŷ = v₁h₁ + v₂h₂ + c).  Written out in its parameters, each partial derivative of the loss is a
long expression; written in those names it is the chain rule, one layer at a time:

    forward   z₁ = …,  h₁ = tanh(z₁),  ŷ = c + v₁h₁ + v₂h₂
    backward  ∂ℓ/∂ŷ = ŷ − y,  ∂ℓ/∂h₁ = ∂ℓ/∂ŷ·v₁,  ∂ℓ/∂z₁ = ∂ℓ/∂h₁·(1 − h₁²),  ∂ℓ/∂w₁₁ = ∂ℓ/∂z₁·x₁

:func:`layer_wise` builds that form from any lesson with named parts: the adjoint of a name is
the sum, over the names (or the loss) that use it, of their adjoint times the local
derivative, each local derivative written with the names again (1 − tanh(z₁)² as 1 − h₁²).
Every parameter's chain, multiplied out, is checked against the derivative of the loss
written out (SymPy's ``diff``) at random points before it is returned: never trusted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Sequence

import sympy

from tutor.explaining.lesson import Lesson


@dataclass
class Chain:
    """∂ℓ/∂(name) = Σ upstream·local: ``terms`` are (the name using it, or None for the loss
    itself, and the local derivative written with the names)."""

    name: sympy.Symbol
    terms: list[tuple[sympy.Symbol | None, sympy.Expr]] = field(default_factory=list)


@dataclass
class LayerWise:
    #: the named parts, a row per layer (the parts that depend on the same depth of others)
    forward: list[list[tuple[sympy.Symbol, sympy.Expr]]]
    #: the loss written with the names
    loss: sympy.Expr
    #: the adjoints of the names, from the loss down, a row per layer
    backward: list[list[Chain]]
    #: the parameters' gradients, a row per name they enter through
    params: list[list[Chain]]


def _in_names(expr: sympy.Expr, written: Sequence[tuple[sympy.Symbol, sympy.Expr]]) -> sympy.Expr:
    """``expr`` with every named part's written form replaced by its name (later parts first)."""
    for name, form in reversed(written):
        if not form.is_Symbol:
            expr = expr.subs(form, name)
    return expr


def layer_wise(lesson: Lesson, params: Sequence[sympy.Symbol]) -> LayerWise | None:
    """The layer-by-layer form of the lesson's loss and of its gradient by ``params``, or None
    when the lesson names no parts (or its chains do not reproduce the derivative)."""
    if not lesson.named or len(lesson.outputs) != 1:
        return None
    written = lesson.named_parts()
    names = [name for name, _ in written]
    loss = lesson.outputs[0]
    loss_shown = lesson.with_names(loss)
    depth: dict[sympy.Symbol, int] = {}
    for name, form in written:
        depth[name] = 1 + max((depth[s] for s in form.free_symbols if s in depth), default=0)

    def users(of: sympy.Symbol) -> list[tuple[sympy.Symbol | None, sympy.Expr]]:
        """(the name using ``of``, or None for the loss; the local derivative, in names)."""
        found = []
        for name, form in written:
            if of in form.free_symbols:
                found.append((name, _in_names(sympy.diff(form, of), written)))
        if of in loss_shown.free_symbols:
            found.append((None, _in_names(sympy.diff(loss_shown, of), written)))
        return found

    chains = {name: Chain(name, users(name)) for name in names}
    used = [name for name in names if chains[name].terms]
    if not used:
        return None
    forward = _rows([(name, form) for name, form in written], lambda item: depth[item[0]])
    backward = _rows([chains[name] for name in used], lambda c: -depth[c.name])
    grads = [Chain(p, users(p)) for p in params]
    grads = [g for g in grads if g.terms]
    # a row per name the parameters enter through, in the order of the backward pass
    place = {name: (-depth[name], k) for k, name in enumerate(names)}
    params_rows = _rows(grads, lambda g: place.get(g.terms[0][0], (-len(names) - 1, 0)))
    form = LayerWise(forward, loss_shown, backward, params_rows)
    return form if _agrees(form, lesson, loss, grads) else None


def _rows(items, key) -> list[list]:
    """Items grouped by ``key`` in order of the key, each group in the items' order."""
    groups: dict = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return [groups[k] for k in sorted(groups)]


def _agrees(form: LayerWise, lesson: Lesson, loss: sympy.Expr, grads: list[Chain]) -> bool:
    """Every parameter's chain equals ∂ℓ/∂θ (SymPy's ``diff`` of the loss written out) at three
    random points, to 1e−9 relative: the names and the adjoints evaluated forward and backward,
    in numbers."""
    rng = random.Random(0)
    symbols = sorted(loss.free_symbols, key=lambda s: s.name)
    named = [(n.symbol, n.definition) for n in lesson.named]
    chains = [c for row in form.backward for c in row]  # from the loss down
    truths = [sympy.diff(loss, g.name) for g in grads]
    for _ in range(3):
        point = {s: sympy.Float(rng.uniform(-1.5, 1.5), 30) for s in symbols}
        values = dict(point)
        for name, definition in named:
            values[name] = definition.xreplace(point)
        adjoint = {None: sympy.Integer(1)}
        for c in chains:
            adjoint[c.name] = sum((adjoint[up] * local.xreplace(values) for up, local in c.terms),
                                  sympy.Integer(0))
        for g, truth in zip(grads, truths):
            a = complex(sum((adjoint[up] * local.xreplace(values) for up, local in g.terms),
                            sympy.Integer(0)).evalf())
            b = complex(truth.xreplace(point).evalf())
            if abs(a - b) > 1e-9 * max(abs(a), abs(b), 1.0):
                return False
    return True

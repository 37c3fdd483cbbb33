"""What a loss is made of, for training: groups of symbols (a parameter, a family of them, the
data), how the gradient is computed (:class:`Route`), and the linear layer z = W·x + b found in
a loss, through which a batch's gradient is a matrix product."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sympy
from sympy import Add, Mul


@dataclass
class Group:
    """A named array of the model: a scalar symbol (``b``) or a family (``w`` = w1 … wn)."""

    name: str
    members: list[sympy.Symbol]
    family: bool = False


class Route(enum.Enum):
    """How an objective computes its gradient."""

    DIRECT = "direct"  # every partial derivative compiled and evaluated sample by sample
    LAYER = "layer"    # through a linear layer: δ = ∂ℓ/∂z once, then Xᵀδ and the sum of δ


class Inputs(enum.Enum):
    """Where a linear layer's inputs X come from."""

    DATA = "data"        # one data array, the number of features taken from the data
    MEMBERS = "members"  # one column per symbol of the loss


@dataclass
class LinearLayer:
    """z_c = Σ_k W[k, c]·x_k + b_c found in a loss: which symbols fill W, x and b."""

    #: per output c: the (parameter, input) products and the bias parameters
    nodes: list[tuple[tuple[tuple[sympy.Symbol, sympy.Symbol], ...], tuple[sympy.Symbol, ...]]]
    z: list[sympy.Symbol]
    mode: Inputs = Inputs.MEMBERS
    x_group: str | None = None
    w_group: str | None = None
    b_group: str | None = None


def _split_linear(term_args, params: set, inputs: set):
    """Sort the terms of a sum into w·x products, bias parameters, and the rest; with the sign
    (±1) the products and biases share, or None when their signs differ."""
    products, biases, rest, signs = [], [], [], set()
    for t in term_args:
        sign, factors = 1, list(t.args) if isinstance(t, Mul) else [t]
        if factors and factors[0] == -1:
            sign, factors = -1, factors[1:]
        if len(factors) == 2:
            a, b = factors
            if a in inputs and b in params:
                a, b = b, a
            if a in params and b in inputs:
                products.append((a, b))
                signs.add(sign)
                continue
        if len(factors) == 1 and factors[0] in params:
            biases.append(factors[0])
            signs.add(sign)
            continue
        rest.append(t)
    return products, biases, rest, (signs.pop() if len(signs) == 1 else None)


def find_linear_layer(loss: sympy.Expr, params: set, inputs: set):
    """The loss rewritten with z_c for each linear sub-sum ±(Σ w·x + b), and the layer found
    (None when there is none)."""
    nodes: dict = {}

    def node(products, biases):
        key = (tuple(sorted(products, key=lambda p: (p[1].name, p[0].name))),
               tuple(sorted(biases, key=lambda s: s.name)))
        if key not in nodes:
            nodes[key] = sympy.Dummy(f"z{len(nodes) + 1}", real=True)
        return nodes[key]

    def rebuild(e, in_sum=False):
        if e.is_Atom:
            return e
        args = [rebuild(a, isinstance(e, Add)) for a in e.args]
        e = e.func(*args) if tuple(args) != e.args else e
        if isinstance(e, Add):
            products, biases, rest, sign = _split_linear(e.args, params, inputs)
            if products and sign is not None:
                return Add(sign * node(products, biases), *rest)
        elif isinstance(e, Mul) and not in_sum:
            products, biases, rest, sign = _split_linear([e], params, inputs)
            if products:
                return sign * node(products, biases)
        return e

    reduced = rebuild(loss)
    if not nodes:
        return loss, None
    return reduced, LinearLayer(nodes=list(nodes), z=list(nodes.values()))

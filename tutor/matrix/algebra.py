"""Building derived matrix expressions tidily.

The constructors here build the nodes a derivation produces and apply the identities every
reader applies without comment: 𝟏 ⊙ A = A, I·A = A, (Aᵀ)ᵀ = A, a scalar factor moves out of
a matrix product (A(cB) = c·AB), diag(𝟏) = I, and AC + BC = (A + B)C.

Entry-by-entry algebra (sums, products, quotients, powers and elementwise functions of
matrices of one shape, with scalars) is a commutative ring, so it is tidied by SymPy: each
part that is not entry by entry (a matrix product, a variable) stands for one symbol, the
expression is expanded and its common factors taken out, and the tidier form is kept only
when it is no longer than the original and has the same shape.  The same translation turns
the derivative of an elementwise function, declared once in :mod:`tutor.calculus.table` as
a SymPy expression of u, into a matrix expression of U.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from tutor.calculus.table import BY_NAME, FUNCTIONS
from tutor.matrix.notation import broadcast
from tutor.matrix.tree import ELEMENTWISE, Node

_SIZE_SYMBOLS: dict[str, sympy.Symbol] = {}


def size_symbol(letter: str) -> sympy.Expr:
    if letter.isdigit():
        return sympy.Integer(int(letter))
    if letter not in _SIZE_SYMBOLS:
        _SIZE_SYMBOLS[letter] = sympy.Symbol(letter, positive=True)
    return _SIZE_SYMBOLS[letter]


def count(shape) -> sympy.Expr:
    """The number of entries of a shape, as a product of size letters."""
    return sympy.Mul(*[size_symbol(d) for d in shape])


# -- constructors ----------------------------------------------------------------------------
def const(value) -> Node:
    return Node("const", (), Fraction(value))


def is_const(node: Node, value=None) -> bool:
    return node.kind == "const" and (value is None or node.value == value)


def ones(shape) -> Node:
    return Node("ones", (), None, tuple(shape)) if shape else const(1)


def eye(dim: str) -> Node:
    return Node("eye", (), None, (dim, dim))


def scale(c, a: Node) -> Node:
    """c·A for a coefficient c made of numbers and size letters."""
    c = sympy.sympify(c)
    if c == 0:
        return zero(a.shape)
    if c == 1:
        return a
    if a.kind == "scale":
        return scale(c * a.value, a.args[0])
    if a.kind == "const":
        if c.is_Rational:
            return const(Fraction(int(c.p), int(c.q)) * a.value)
        if a.value == 1:
            return _coefficient_node(c)
        return scale(c * sympy.Rational(a.value.numerator, a.value.denominator), const(1))
    if a.kind == "neg":
        return scale(-c, a.args[0])
    return Node("scale", (a,), c, a.shape)


def _coefficient_node(c: sympy.Expr) -> Node:
    return Node("scale", (const(1),), c, ())


def zero(shape) -> Node:
    return Node("scale", (ones(shape),), sympy.Integer(0), tuple(shape)) if shape else const(0)


def is_zero(node: Node) -> bool:
    return (node.kind == "const" and node.value == 0) or (
        node.kind == "scale" and node.value == 0)


def neg(a: Node) -> Node:
    return scale(-1, a)


def add(a: Node, b: Node) -> Node:
    if is_zero(a):
        return b
    if is_zero(b):
        return a
    shape = broadcast(a.shape, b.shape)
    if a == b:
        return scale(2, a)
    if a.kind == "matmul" and b.kind == "matmul" and a.args[1] == b.args[1] \
            and a.args[0].shape == b.args[0].shape:
        return matmul(add(a.args[0], b.args[0]), a.args[1])
    if a.kind == "matmul" and b.kind == "matmul" and a.args[0] == b.args[0] \
            and a.args[1].shape == b.args[1].shape:
        return matmul(a.args[0], add(a.args[1], b.args[1]))
    if b.kind == "scale" and b.value.could_extract_minus_sign():
        return Node("sub", (a, scale(-b.value, b.args[0])), None, shape)
    if b.kind == "const" and b.value < 0:
        return Node("sub", (a, const(-b.value)), None, shape)
    return Node("add", (a, b), None, shape)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def _strip_ones(a: Node, b: Node):
    """𝟏 ⊙ B = B when B already has the product's shape."""
    shape = broadcast(a.shape, b.shape)
    if a.kind == "ones" and b.shape == shape:
        return b
    if b.kind == "ones" and a.shape == shape:
        return a
    return None


def mul(a: Node, b: Node) -> Node:
    """A ⊙ B (entry by entry, scalars and rows broadcast)."""
    if is_zero(a) or is_zero(b):
        return zero(broadcast(a.shape, b.shape))
    stripped = _strip_ones(a, b)
    if stripped is not None:
        return stripped
    if is_const(a, 1) and broadcast(a.shape, b.shape) == b.shape:
        return b
    if is_const(b, 1) and broadcast(a.shape, b.shape) == a.shape:
        return a
    if a.kind == "const":
        return scale(sympy.Rational(a.value.numerator, a.value.denominator), b)
    if b.kind == "const":
        return scale(sympy.Rational(b.value.numerator, b.value.denominator), a)
    if a.kind == "scale" and broadcast(a.shape, b.shape) == broadcast(a.args[0].shape, b.shape):
        return scale(a.value, mul(a.args[0], b))
    if b.kind == "scale" and broadcast(a.shape, b.shape) == broadcast(a.shape, b.args[0].shape):
        return scale(b.value, mul(a, b.args[0]))
    shape = broadcast(a.shape, b.shape)
    for x, y in ((a, b), (b, a)):
        # (s·𝟏) ⊙ Y = s·Y for a scalar s
        if x.kind == "mul" and y.shape == shape and x.shape == shape:
            s, o = x.args
            if s.shape == () and o.kind == "ones":
                return mul(s, y)
    if a.kind == "outer" and a.args[1].kind == "ones" and b.shape == a.shape:
        return matmul(diag(a.args[0]), b)
    if b.kind == "outer" and b.args[1].kind == "ones" and a.shape == b.shape:
        return matmul(diag(b.args[0]), a)
    if b.shape == () and a.shape:  # a scalar factor first: λw, not w·λ
        a, b = b, a
    return Node("mul", (a, b), None, broadcast(a.shape, b.shape))


def div(a: Node, b: Node) -> Node:
    if b.kind == "const":
        return scale(sympy.Rational(b.value.denominator, b.value.numerator), a)
    if b.kind == "size":
        return scale(1 / size_symbol(b.value), a)
    if b.kind == "scale" and b.args[0].kind == "const" and b.args[0].value == 1:
        return scale(1 / b.value, a)
    if b.kind == "scale":
        return scale(1 / b.value, div(a, b.args[0]))
    if a.kind == "scale":
        return scale(a.value, div(a.args[0], b))
    return Node("div", (a, b), None, broadcast(a.shape, b.shape))


def power(a: Node, p) -> Node:
    p = Fraction(p)
    if p == 1:
        return a
    if p == 0:
        return ones(a.shape)
    return Node("pow", (a,), p, a.shape)


def transpose(a: Node) -> Node:
    if a.ndim < 2:
        return a
    if a.kind == "T":
        return a.args[0]
    if a.kind in ("scale",):
        return scale(a.value, transpose(a.args[0]))
    if a.kind in ("eye", "diag"):
        return a
    if a.kind == "ones":
        return ones(a.shape[::-1])
    if a.kind == "outer":  # (abᵀ)ᵀ = baᵀ
        return outer(a.args[1], a.args[0])
    plain = Node("T", (a,), None, a.shape[::-1])
    if a.kind == "matmul" and a.args[0].ndim == 2 and a.args[1].ndim == 2:
        # (AB)ᵀ = BᵀAᵀ, when that writes fewer transposes
        swapped = matmul(transpose(a.args[1]), transpose(a.args[0]))
        if _transposes(swapped) < _transposes(plain):
            return swapped
    return plain


def _transposes(node: Node) -> int:
    return sum(1 for n in node.walk() if n.kind == "T")


def matmul(a: Node, b: Node) -> Node:
    if a.kind == "scale":
        return scale(a.value, matmul(a.args[0], b))
    if b.kind == "scale":
        return scale(b.value, matmul(a, b.args[0]))
    if a.kind == "eye":
        return b
    if b.kind == "eye":
        return a
    if a.ndim == 1 and b.ndim == 2:
        # a row times a matrix is the matrix transposed times the column: aB = Bᵀa
        return matmul(transpose(b), a)
    if a.ndim == 1 and b.ndim == 1 and b.kind != "ones" and a.kind == "ones":
        return Node("sum", (b,), None, ())
    shape = a.shape[:-1] + b.shape[1:]
    return Node("matmul", (a, b), None, shape)


def outer(a: Node, b: Node) -> Node:
    if a.kind == "scale":
        return scale(a.value, outer(a.args[0], b))
    if b.kind == "scale":
        return scale(b.value, outer(a, b.args[0]))
    if a.kind == "ones" and b.kind == "ones":
        return ones((a.shape[0], b.shape[0]))
    return Node("outer", (a, b), None, (a.shape[0], b.shape[0]))


def diag(a: Node) -> Node:
    if a.kind == "scale":
        return scale(a.value, diag(a.args[0]))
    if a.kind == "eye":
        return ones((a.shape[0],))
    if a.kind == "ones" and a.ndim == 1:
        return eye(a.shape[0])
    if a.kind == "diag":
        return Node("diag", (a,), None, (a.shape[0], a.shape[0]) if a.ndim == 1 else (a.shape[0],))
    out = (a.shape[0], a.shape[0]) if a.ndim == 1 else (a.shape[0],)
    return Node("diag", (a,), None, out)


def inv(a: Node) -> Node:
    return Node("inv", (a,), None, a.shape)


def func(name: str, a: Node) -> Node:
    return Node("func", (a,), name, a.shape)


def sum_all(a: Node) -> Node:
    if a.kind == "scale":
        return scale(a.value, sum_all(a.args[0]))
    if a.kind == "ones":
        return scale(count(a.shape), const(1))
    return Node("sum", (a,), None, ())


def sum_axis(a: Node, axis: int) -> Node:
    if a.kind == "scale":
        return scale(a.value, sum_axis(a.args[0], axis))
    return Node("sum", (a,), axis, (a.shape[1],) if axis == 0 else (a.shape[0],))


def softmax(a: Node) -> Node:
    return Node("softmax", (a,), None, a.shape)


def norm(a: Node) -> Node:
    return Node("norm", (a,), None, ())


def spread(g: Node, shape) -> Node:
    """A scalar g given to every entry of a shape: g·𝟏."""
    if not shape:
        return g
    return mul(g, ones(shape)) if not (is_const(g, 1)) else ones(shape)


def unbroadcast(g: Node, shape) -> tuple[Node, str]:
    """The gradient of an argument that broadcasting stretched: the entries it was copied to
    add up.  Returns the node and how (``""`` when the shapes already agree, ``"all"`` for a
    scalar, ``"rows"`` for a row repeated down the rows)."""
    if g.shape == tuple(shape):
        return g, ""
    if not shape:
        if g.kind == "ones":
            return scale(count(g.shape), const(1)), "all"
        if g.kind == "scale" and g.args[0].kind == "ones":
            return scale(g.value * count(g.args[0].shape), const(1)), "all"
        return sum_all(g), "all"
    if g.kind == "ones":
        return scale(size_symbol(g.shape[0]), ones(shape)), "rows"
    return sum_axis(g, 0), "rows"


# -- entry-by-entry algebra through SymPy ---------------------------------------------------------
_BY_CLASS = {}
for _f in FUNCTIONS:
    _BY_CLASS.setdefault(_f.sympy, _f.name)
_BY_CLASS[sympy.Heaviside] = "heaviside"


class _Translation:
    def __init__(self):
        self.leaves: dict[Node, sympy.Symbol] = {}
        self.back: dict[sympy.Symbol, Node] = {}

    def leaf(self, node: Node) -> sympy.Symbol:
        if node not in self.leaves:
            s = sympy.Symbol(f"_m{len(self.leaves)}", real=True)
            self.leaves[node] = s
            self.back[s] = node
        return self.leaves[node]

    def to_sympy(self, node: Node) -> sympy.Expr:
        k = node.kind
        if k == "const":
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if k == "size":
            return size_symbol(node.value)
        if k == "scale":
            return node.value * self.to_sympy(node.args[0])
        if k == "ones":
            return sympy.S.One
        a = [self.to_sympy(x) for x in node.args] if k in ELEMENTWISE else None
        if k == "add":
            return a[0] + a[1]
        if k == "sub":
            return a[0] - a[1]
        if k == "neg":
            return -a[0]
        if k == "mul":
            return a[0] * a[1]
        if k == "div":
            return a[0] / a[1]
        if k == "pow":
            return a[0] ** sympy.Rational(node.value.numerator, node.value.denominator)
        if k == "func":
            f = BY_NAME[node.value]
            return (f.make or f.sympy)(a[0])
        return self.leaf(node)

    def to_node(self, e: sympy.Expr, shape_hint) -> Node:
        if e in self.back:
            return self.back[e]
        if e.is_Rational:
            return const(Fraction(int(e.p), int(e.q)))
        if e.is_Symbol:
            return Node("size", (), e.name, ())
        if e.is_Add:
            terms = sorted(e.args, key=lambda t: (t.could_extract_minus_sign(), sympy.default_sort_key(t)))
            out = self.to_node(terms[0], shape_hint)
            for t in terms[1:]:
                out = add(out, self.to_node(t, shape_hint))
            return out
        if e.is_Mul:
            coeff, rest = sympy.S.One, []
            for factor in e.args:
                if factor.is_Rational or (factor.free_symbols and all(
                        s in _SIZE_SYMBOLS.values() for s in factor.free_symbols)
                        and (factor.is_Symbol or factor.is_Pow and factor.base.is_Symbol)):
                    coeff *= factor
                else:
                    rest.append(factor)
            num, den = [], []
            rest.sort(key=lambda f: (f.is_Add, sympy.default_sort_key(f)))
            for factor in rest:
                base, exp = factor.as_base_exp()
                if exp.is_Rational and exp < 0:
                    den.append(base ** -exp)
                else:
                    num.append(factor)
            out = None
            for factor in num:
                node = self.to_node(factor, shape_hint)
                out = node if out is None else mul(out, node)
            if out is None:
                out = const(1)
            for factor in den:
                out = div(out, self.to_node(factor, shape_hint))
            return scale(coeff, out)
        if e.is_Pow:
            base, exp = e.as_base_exp()
            if exp.is_Rational:
                if exp < 0:
                    return div(const(1), self.to_node(base ** -exp, shape_hint))
                return power(self.to_node(base, shape_hint), Fraction(int(exp.p), int(exp.q)))
        if isinstance(e, sympy.Function) and type(e) in _BY_CLASS and len(e.args) >= 1:
            return func(_BY_CLASS[type(e)], self.to_node(e.args[0], shape_hint))
        if e.func is sympy.Heaviside:
            return func("heaviside", self.to_node(e.args[0], shape_hint))
        raise ValueError(f"no matrix form for {e}")


def derivative_of(name: str, u: Node) -> Node:
    """f′(U) entry by entry, from the derivative the function table declares."""
    f = BY_NAME[name]
    x = sympy.Symbol("_u", real=True)
    t = _Translation()
    t.leaves[u] = x
    t.back[x] = u
    return t.to_node(f.outer(x), u.shape)


def rebuild(node: Node, replace: dict[Node, Node] | None = None) -> Node:
    """The node built again, bottom up, through the constructors above (so that their
    identities apply everywhere), with the subexpressions in ``replace`` replaced."""
    replace = replace or {}
    memo: dict[Node, Node] = {}
    for n in node.walk():
        if n in replace:
            memo[n] = replace[n]
            continue
        a = [memo[x] for x in n.args]
        memo[n] = _REBUILD.get(n.kind, _same)(n, a)
    return memo[node]


def _same(n: Node, a: list[Node]) -> Node:
    if all(x is y for x, y in zip(a, n.args)):
        return n
    return Node(n.kind, tuple(a), n.value, n.shape)


_REBUILD = {
    "add": lambda n, a: add(a[0], a[1]),
    "sub": lambda n, a: sub(a[0], a[1]),
    "neg": lambda n, a: neg(a[0]),
    "mul": lambda n, a: mul(a[0], a[1]),
    "div": lambda n, a: div(a[0], a[1]),
    "pow": lambda n, a: power(a[0], n.value),
    "T": lambda n, a: transpose(a[0]),
    "matmul": lambda n, a: matmul(a[0], a[1]),
    "outer": lambda n, a: outer(a[0], a[1]),
    "diag": lambda n, a: diag(a[0]),
    "scale": lambda n, a: scale(n.value, a[0]),
    "sum": lambda n, a: sum_all(a[0]) if n.value is None else sum_axis(a[0], n.value),
}


def operations(node: Node) -> int:
    """How many entry-by-entry operations the expression has, counting each use (what the
    tidying makes fewer); anything else is one symbol."""
    if node.kind not in ELEMENTWISE:
        return 0
    return 1 + sum(operations(a) for a in node.args)


def canonical(node: Node) -> Node:
    """The node as the tidying writes it back (its terms and factors in SymPy's order), for
    recognising a subexpression however a derivation ordered it."""
    node = rebuild(node)
    if node.kind not in ELEMENTWISE:
        return Node(node.kind, tuple(canonical(a) for a in node.args), node.value, node.shape)
    t = _Translation()
    try:
        return t.to_node(t.to_sympy(node), node.shape)
    except (ValueError, TypeError):
        return node


def tidy(node: Node) -> Node:
    """The same expression with its entry-by-entry algebra expanded and common factors taken
    out, when that takes fewer operations; otherwise the node with only the identities of
    the constructors applied."""
    node = rebuild(node)
    if node.kind not in ELEMENTWISE:
        return node
    t = _Translation()
    try:
        e = t.to_sympy(node)
        expanded = sympy.expand(e)
        candidates = [t.to_node(form, node.shape) for form in (
            sympy.factor_terms(expanded), sympy.factor_terms(e), e, expanded)]
    except (ValueError, TypeError):
        return node
    best, fewest = node, operations(node)
    for c in candidates:
        if c.shape == node.shape and (operations(c), len(c.text())) < (fewest, len(best.text())) \
                and operations(c) < operations(node):
            best, fewest = c, operations(c)
    return best

"""Matrix expressions as a small tree of their own, every node knowing its shape.

A shape is a tuple of size letters (``("n", "d")`` for an n×d matrix, ``("d",)`` for a vector
of d entries, ``()`` for a scalar); a size may also be a plain number (``"3"``).  Shapes follow
NumPy's rules: ``*``, ``/``, ``+`` and ``-`` work entry by entry with a scalar or a row vector
broadcast, ``@`` is NumPy's matmul (a vector on the left is a row, on the right a column) and
the transpose of a vector is the vector itself.

Each node prints itself three ways: as mathematics (``Xᵀ(Xw − y)/n``), as the notation a user
types and the parser reads back (``X.T @ (X @ w - y) / n``) and as LaTeX.  Evaluating a node on
NumPy arrays uses the stable forms of :mod:`tutor.calculus.table`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction
from typing import Mapping

import sympy

from tutor.calculus.table import BY_NAME, FUNCTIONS

Dims = tuple[str, ...]

#: kinds whose node is computed entry by entry from arguments of the same (broadcast) shape
ELEMENTWISE = frozenset({"add", "sub", "neg", "mul", "div", "pow", "func", "scale"})
#: functions of a matrix that the parser knows, beside the elementwise ones of the table
MATRIX_FUNCTIONS = ("sum", "mean", "norm", "trace", "det", "logdet", "diag", "inv", "logsumexp",
                    "softmax", "outer", "ones", "eye")
ELEMENTWISE_FUNCTIONS = {name: f.name for f in FUNCTIONS for name in f.typed}


class Node:
    """One node: ``kind``, its arguments, a ``value`` (a name, a number, a function's name, an
    axis, a coefficient) and its ``shape``.  Equal trees are equal nodes (and hash alike), so a
    subexpression written twice is one node of the derivation."""

    __slots__ = ("kind", "args", "value", "shape", "start", "end", "_hash")

    def __init__(self, kind: str, args: tuple = (), value=None, shape: Dims = (),
                 start: int = 0, end: int = 0):
        self.kind = kind
        self.args = tuple(args)
        self.value = value
        self.shape = tuple(shape)
        self.start, self.end = start, end
        self._hash = None

    # -- identity ------------------------------------------------------------------------
    def _key(self):
        return (self.kind, self.value, self.shape, self.args)

    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, Node) or hash(self) != hash(other):
            return False
        return self._key() == other._key()

    def __hash__(self):
        if self._hash is None:
            self._hash = hash((self.kind, str(self.value), self.shape, self.args))
        return self._hash

    def __repr__(self):  # pragma: no cover - debugging aid
        return f"Node({self.code()})"

    # -- structure -------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    def walk(self):
        """Every node of the tree, each distinct one once, children before parents."""
        seen, order, stack = set(), [], [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args))
        return order

    def names(self) -> set[str]:
        return {n.value for n in self.walk() if n.kind == "var"}

    def has(self, name: str) -> bool:
        return name in self.names()

    def size(self) -> int:
        return len(self.walk())

    # -- printing --------------------------------------------------------------------------
    def shape_label(self) -> str:
        """n×d, d, or 'scalar' in the current language."""
        return shown_shape(self.shape)

    def text(self, aliases: Mapping["Node", str] | None = None) -> str:
        """As mathematics; a subexpression with a name in ``aliases`` (by default the names
        in force, see :func:`naming`) is shown by its name."""
        return _Text(_ALIASES.get() if aliases is None else aliases).show(self)[0]

    def code(self) -> str:
        return _Code().show(self)[0]

    def latex(self, aliases: Mapping["Node", str] | None = None) -> str:
        return _Latex(_ALIASES.get() if aliases is None else aliases).show(self)[0]


_ALIASES: ContextVar[Mapping[Node, str]] = ContextVar("aliases", default={})


def is_named(node: Node) -> bool:
    """Whether the node is shown by a name (see :func:`naming`)."""
    return node in _ALIASES.get()


@contextmanager
def naming(aliases: Mapping[Node, str] | None):
    """Show the subexpressions in ``aliases`` by their names inside the block."""
    token = _ALIASES.set(dict(aliases or {}))
    try:
        yield
    finally:
        _ALIASES.reset(token)


def shape_text(shape: Dims) -> str:
    """('n', 'd') → 'n×d'; ('d',) → 'd'; () → 'scalar'."""
    return "×".join(shape) if shape else "1"


def shown_shape(shape: Dims) -> str:
    from tutor.i18n import _

    return "×".join(shape) if shape else _("scalar")


def shape_bracket(shape: Dims) -> str:
    """The shape as an error line shows it: (n×d), (d), (scalar)."""
    return "(" + "×".join(shape) + ")" if shape else "(scalar)"


# -- numbers -------------------------------------------------------------------------------
def number_text(value, *, code: bool = False) -> str:
    if isinstance(value, Fraction):
        den = value.denominator
        while den % 10 == 0:
            den //= 10
        if value.denominator == 1:
            s = str(value.numerator)
        elif den == 1:
            s = f"{float(value):g}" if abs(value) < Fraction(1, 10000) else str(float(value))
        else:
            s = f"{value.numerator}/{value.denominator}"
    else:
        s = repr(float(value)) if code else f"{float(value):g}"
    return s if code else s.replace("-", "−")


def _coef_parts(c: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    num, den = sympy.fraction(sympy.together(c))
    return num, den


def _coef_text(c: sympy.Expr, *, code: bool) -> str:
    """A positive monomial of numbers and size letters: 2, n, 2n (code: 2 * n)."""
    coeff, rest = c.as_coeff_Mul()
    parts = []
    if coeff != 1 or rest == 1:
        parts.append(str(coeff))
    if rest != 1:
        for factor in sympy.Mul.make_args(rest):
            base, exp = factor.as_base_exp()
            if exp == sympy.Rational(1, 2):
                parts.append(f"sqrt({base})" if code else f"√{base}")
            else:
                parts.append(str(base) + ("" if exp == 1 else (f" ** {exp}" if code else _sup(exp))))
    return " * ".join(parts) if code else "".join(parts)


_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _sup(n) -> str:
    return str(n).translate(_SUP)


# -- the three printers --------------------------------------------------------------------
# Each returns (text, precedence): 1 sums, 2 products, 3 a sign in front, 4 powers, 5 atoms.


class _Printer:
    def __init__(self, aliases: Mapping[Node, str] | None = None):
        self.aliases = aliases or {}

    def wrap(self, pair, below: int) -> str:
        s, p = pair
        return self.paren(s) if p < below else s

    def paren(self, s: str) -> str:
        return f"({s})"

    def show(self, node: Node):
        if node in self.aliases:
            return self.alias(self.aliases[node]), 5
        return getattr(self, "k_" + node.kind)(node)

    def alias(self, name: str) -> str:
        return name


class _Text(_Printer):
    def k_var(self, n):
        return n.value, 5

    def k_size(self, n):
        return n.value, 5

    def k_const(self, n):
        s = number_text(n.value)
        return s, 3 if s.startswith("−") else (2 if "/" in s else 5)

    def k_ones(self, n):
        return "𝟏", 5

    def k_eye(self, n):
        return "I", 5

    def k_add(self, n):
        return f"{self.wrap(self.show(n.args[0]), 1)} + {self.wrap(self.show(n.args[1]), 1)}", 1

    def k_sub(self, n):
        return f"{self.wrap(self.show(n.args[0]), 1)} − {self.wrap(self.show(n.args[1]), 2)}", 1

    def k_neg(self, n):
        return "−" + self.wrap(self.show(n.args[0]), 2), 3

    def k_mul(self, n):
        a, b = n.args
        sa, sb = self.show(a), self.show(b)
        if a.kind in ("const", "size") and a.shape == () and sb[1] >= 4:
            return f"{self.wrap(sa, 5)}{sb[0]}", 2
        sign = "·" if (a.shape == () or b.shape == ()) else " ⊙ "
        # ⊙ is associative: U ⊙ (V ⊙ W) is written U ⊙ V ⊙ W
        right = 2 if b.kind == "mul" and b not in self.aliases and " ⊙ " in sb[0] else 3
        return f"{self.wrap(sa, 2)}{sign}{self.wrap(sb, right)}", 2

    def k_div(self, n):
        return f"{self.wrap(self.show(n.args[0]), 2)}/{self.wrap(self.show(n.args[1]), 4)}", 2

    def k_matmul(self, n):
        a, b = n.args
        pa, pb = self.show(a), self.show(b)
        grouped_a = a not in self.aliases and (
            pa[1] < 2 or a.kind == "scale" or a.kind in ELEMENTWISE - {"func", "pow"})
        grouped_b = b not in self.aliases and (
            pb[1] < 2 or b.kind in ("scale", "matmul") or b.kind in ELEMENTWISE - {"func", "pow"})
        sa = self.paren(pa[0]) if grouped_a else pa[0]
        sb = self.paren(pb[0]) if grouped_b else pb[0]
        if a.ndim == 1 and b.ndim == 1 and a.kind in ("var", "ones", "func", "softmax"):
            sa = sa + "ᵀ"
        joint = "·" if (sa[-1:].isascii() and sa[-1:].isalnum() and sb[:1].isalpha()
                        and (len(_edge(a, self.aliases, -1)) > 1
                             or len(_edge(b, self.aliases, 0)) > 1)) else ""
        if "raw" in (a.kind, b.kind) or sb.startswith("∂"):
            joint = "·"
        return f"{sa}{joint}{sb}", 2

    def k_outer(self, n):
        a, b = n.args
        sb = self.show(Node("T", (b,), shape=(b.shape[0], "1")))
        return self.show(Node("matmul", (a, Node("raw", (), sb[0])), shape=n.shape))

    def k_raw(self, n):
        return n.value, 5


    def k_pow(self, n):
        p = n.value
        base = self.wrap(self.show(n.args[0]), 5)
        if isinstance(p, Fraction) and p == Fraction(1, 2):
            return f"√{base}" if base.startswith("(") or len(base) == 1 else f"√({base})", 4
        if isinstance(p, Fraction) and p.denominator == 1:
            return base + _sup(p.numerator), 4
        return f"{base}^{self.wrap((number_text(p), 5 if '/' not in str(p) else 2), 5)}", 4

    def k_T(self, n):
        a = n.args[0]
        if a.kind == "inv":
            return self.wrap(self.show(a.args[0]), 5) + "⁻ᵀ", 4
        return self.wrap(self.show(a), 5) + "ᵀ", 4

    def k_inv(self, n):
        return self.wrap(self.show(n.args[0]), 5) + "⁻¹", 4

    def k_func(self, n):
        f = BY_NAME[n.value]
        inner = self.show(n.args[0])[0]
        if f.name == "abs":
            return f"|{inner}|", 5
        return f"{f.display}({inner})", 5

    def k_sum(self, n):
        a = self.show(n.args[0])
        if n.value == 0:
            return f"𝟏ᵀ{self.wrap(a, 5)}", 2
        if n.value == 1:
            return f"{self.wrap(a, 5)}𝟏", 2
        return f"sum({a[0]})", 5

    def k_mean(self, n):
        a = self.show(n.args[0])[0]
        return (f"mean({a})" if n.value is None else f"mean({a}, {n.value})"), 5

    def k_norm(self, n):
        return f"‖{self.show(n.args[0])[0]}‖", 5

    def k_trace(self, n):
        return f"tr({self.show(n.args[0])[0]})", 5

    def k_det(self, n):
        return f"det({self.show(n.args[0])[0]})", 5

    def k_logdet(self, n):
        return f"log det({self.show(n.args[0])[0]})", 5

    def k_call(self, name, n):
        return f"{name}({', '.join(self.show(a)[0] for a in n.args)})", 5

    def k_diag(self, n):
        return self.k_call("diag", n)

    def k_logsumexp(self, n):
        return self.k_call("logsumexp", n)

    def k_softmax(self, n):
        return self.k_call("softmax", n)

    def k_logsoftmax(self, n):
        return f"log(softmax({self.show(n.args[0])[0]}))", 5

    def k_scale(self, n):
        num, den = _coef_parts(n.value)
        core = self.show(n.args[0])
        sign = ""
        if num.could_extract_minus_sign():
            sign, num = "−", -num
        prefix = "" if num == 1 else _coef_text(num, code=False)
        body = self.wrap(core, 2 if (prefix or den != 1) else 1)
        if prefix and body[:1].isalpha() and not prefix[-1:].isdigit():
            prefix += "·"
        if prefix and body[:1].isdigit():
            prefix += "·"
        out = sign + prefix + body
        if den != 1:
            d = _coef_text(den, code=False)
            out += "/" + (d if len(sympy.Mul.make_args(den)) == 1 and (
                den.is_Integer or den.is_Symbol or den.is_Pow) else f"({d})")
        return out, 3 if sign else 2


def _edge(node: Node, aliases, side: int) -> str:
    """The name at the left (side 0) or right (side −1) end of a product as printed."""
    while node not in aliases and node.kind == "matmul":
        node = node.args[side]
    if node in aliases:
        return aliases[node]
    return node.value if node.kind in ("var", "size") else ""


class _Code(_Printer):
    """The notation the parser reads: Python's precedence (``@`` binds like ``*``; ``-a ** b``
    is ``-(a ** b)``)."""

    def k_raw(self, n):
        return n.value, 5

    def k_var(self, n):
        return n.value, 5

    k_size = k_var

    def k_const(self, n):
        s = number_text(n.value, code=True)
        return s, 3 if s.startswith("-") else (2 if "/" in s else 5)

    def k_ones(self, n):
        return f"ones({', '.join(n.shape)})", 5

    def k_eye(self, n):
        return f"eye({n.shape[0]})", 5

    def k_add(self, n):
        return f"{self.wrap(self.show(n.args[0]), 1)} + {self.wrap(self.show(n.args[1]), 2)}", 1

    def k_sub(self, n):
        return f"{self.wrap(self.show(n.args[0]), 1)} - {self.wrap(self.show(n.args[1]), 2)}", 1

    def k_neg(self, n):
        return "-" + self.wrap(self.show(n.args[0]), 3), 3

    def _binary(self, n, op):
        return f"{self.wrap(self.show(n.args[0]), 2)} {op} {self.wrap(self.show(n.args[1]), 3)}", 2

    def k_mul(self, n):
        return self._binary(n, "*")

    def k_div(self, n):
        return self._binary(n, "/")

    def k_matmul(self, n):
        return self._binary(n, "@")

    def k_pow(self, n):
        if n.value == Fraction(1, 2):
            return f"sqrt({self.show(n.args[0])[0]})", 5
        p = number_text(n.value, code=True)
        return f"{self.wrap(self.show(n.args[0]), 5)} ** {p if p.isdigit() else self.paren(p)}", 4

    def k_T(self, n):
        return self.wrap(self.show(n.args[0]), 5) + ".T", 5

    def k_func(self, n):
        return f"{n.value}({self.show(n.args[0])[0]})", 5

    def _call(self, name, n, extra=None):
        args = [self.show(a)[0] for a in n.args] + ([str(extra)] if extra is not None else [])
        return f"{name}({', '.join(args)})", 5

    def k_sum(self, n):
        return self._call("sum", n, n.value)

    def k_mean(self, n):
        return self._call("mean", n, n.value)

    def k_norm(self, n):
        return self._call("norm", n)

    def k_trace(self, n):
        return self._call("trace", n)

    def k_det(self, n):
        return self._call("det", n)

    def k_logdet(self, n):
        return self._call("logdet", n)

    def k_diag(self, n):
        return self._call("diag", n)

    def k_inv(self, n):
        return self._call("inv", n)

    def k_logsumexp(self, n):
        return self._call("logsumexp", n)

    def k_softmax(self, n):
        return self._call("softmax", n)

    def k_logsoftmax(self, n):
        return f"log(softmax({self.show(n.args[0])[0]}))", 5

    def k_outer(self, n):
        return self._call("outer", n)

    def k_scale(self, n):
        num, den = _coef_parts(n.value)
        out = self.wrap(self.show(n.args[0]), 2)
        if num != 1:
            sign = "-" if num.could_extract_minus_sign() else ""
            num = -num if sign else num
            if num != 1:
                out = f"{_coef_text(num, code=True)} * {self.wrap(self.show(n.args[0]), 3)}"
            out = sign + (f"({out})" if sign and num != 1 else out)
        if den != 1:
            d = _coef_text(den, code=True)
            out = f"{self.paren(out) if out.startswith('-') else out} / {d if d.isalnum() else self.paren(d)}"
        return out, 2


class _Latex(_Printer):
    def alias(self, name: str) -> str:
        return self.k_var(Node("var", (), name))[0]

    def k_raw(self, n):
        return rf"\text{{{n.value}}}", 5

    def paren(self, s):
        return rf"\left({s}\right)"

    def k_var(self, n):
        name = n.value
        head, _, sub = name.partition("_")
        if not sub and len(head) > 1 and head[-1].isdigit():
            k = len(head.rstrip("0123456789"))
            head, sub = head[:k], head[k:]
        head = head if len(head) == 1 else rf"\mathrm{{{head}}}"
        return (f"{head}_{{{sub}}}" if sub else head), 5

    k_size = k_var

    def k_const(self, n):
        v = n.value
        if isinstance(v, Fraction) and v.denominator != 1:
            s = rf"\tfrac{{{abs(v.numerator)}}}{{{v.denominator}}}"
            return ("-" + s, 3) if v < 0 else (s, 5)
        s = number_text(v, code=True)
        return s, 3 if s.startswith("-") else 5

    def k_ones(self, n):
        return r"\mathbf{1}", 5

    def k_eye(self, n):
        return "I", 5

    def k_add(self, n):
        return f"{self.wrap(self.show(n.args[0]), 1)} + {self.wrap(self.show(n.args[1]), 1)}", 1

    def k_sub(self, n):
        return f"{self.wrap(self.show(n.args[0]), 1)} - {self.wrap(self.show(n.args[1]), 2)}", 1

    def k_neg(self, n):
        return "-" + self.wrap(self.show(n.args[0]), 2), 3

    def k_mul(self, n):
        a, b = n.args
        op = r" \cdot " if (a.shape == () or b.shape == ()) else r" \odot "
        return f"{self.wrap(self.show(a), 2)}{op}{self.wrap(self.show(b), 3)}", 2

    def k_div(self, n):
        return rf"\frac{{{self.show(n.args[0])[0]}}}{{{self.show(n.args[1])[0]}}}", 5

    def k_matmul(self, n):
        a, b = n.args
        sa, sb = self.wrap(self.show(a), 2), self.wrap(self.show(b), 2)
        if b.kind == "matmul" or b.kind in ELEMENTWISE - {"func", "pow"}:
            sb = self.paren(sb) if not sb.startswith(r"\left(") else sb
        if a.kind in ELEMENTWISE - {"func", "pow"} and not sa.startswith(r"\left("):
            sa = self.paren(sa)
        return f"{sa} {sb}", 2

    def k_outer(self, n):
        a, b = n.args
        return f"{self.wrap(self.show(a), 5)} {self.wrap(self.show(b), 5)}^\\top", 2

    def k_pow(self, n):
        p = n.value
        base = self.wrap(self.show(n.args[0]), 5)
        if p == Fraction(1, 2):
            return rf"\sqrt{{{self.show(n.args[0])[0]}}}", 5
        return f"{base}^{{{number_text(p, code=True)}}}", 4

    def k_T(self, n):
        a = n.args[0]
        if a.kind == "inv":
            return self.wrap(self.show(a.args[0]), 5) + r"^{-\top}", 4
        return self.wrap(self.show(a), 5) + r"^\top", 4

    def k_inv(self, n):
        return self.wrap(self.show(n.args[0]), 5) + "^{-1}", 4

    def k_func(self, n):
        inner = self.show(n.args[0])[0]
        names = {"sigmoid": r"\sigma", "exp": r"\exp", "log": r"\log", "tanh": r"\tanh",
                 "relu": r"\operatorname{ReLU}", "heaviside": r"\operatorname{step}"}
        if n.value == "abs":
            return rf"\left\lvert {inner} \right\rvert", 5
        name = names.get(n.value, rf"\operatorname{{{n.value}}}")
        return rf"{name}\left({inner}\right)", 5

    def k_sum(self, n):
        a = self.show(n.args[0])
        if n.value == 0:
            return r"\mathbf{1}^\top " + self.wrap(a, 5), 2
        if n.value == 1:
            return self.wrap(a, 5) + r" \mathbf{1}", 2
        return rf"\operatorname{{sum}}\left({a[0]}\right)", 5

    def _call(self, name, n):
        return rf"\operatorname{{{name}}}\left({', '.join(self.show(a)[0] for a in n.args)}\right)", 5

    def k_mean(self, n):
        return self._call("mean", n)

    def k_norm(self, n):
        return rf"\left\lVert {self.show(n.args[0])[0]} \right\rVert", 5

    def k_trace(self, n):
        return self._call("tr", n)

    def k_det(self, n):
        return rf"\det\left({self.show(n.args[0])[0]}\right)", 5

    def k_logdet(self, n):
        return rf"\log\det\left({self.show(n.args[0])[0]}\right)", 5

    def k_diag(self, n):
        return self._call("diag", n)

    def k_logsumexp(self, n):
        return self._call("logsumexp", n)

    def k_softmax(self, n):
        return self._call("softmax", n)

    def k_logsoftmax(self, n):
        return rf"\log \operatorname{{softmax}}\left({self.show(n.args[0])[0]}\right)", 5

    def k_scale(self, n):
        num, den = _coef_parts(n.value)
        sign = ""
        if num.could_extract_minus_sign():
            sign, num = "-", -num
        core = self.wrap(self.show(n.args[0]), 2)
        if den != 1:
            return sign + rf"\frac{{{sympy.latex(num)}}}{{{sympy.latex(den)}}} {core}", 3 if sign else 2
        return sign + ("" if num == 1 else sympy.latex(num) + " ") + core, 3 if sign else 2


# -- evaluating on arrays ------------------------------------------------------------------
def evaluate(node: Node, values: Mapping[str, object], sizes: Mapping[str, int],
             override: Mapping[Node, object] | None = None):
    """The node's value as a float64 NumPy array, with ``values`` for the names and
    ``override`` replacing any subexpression by a given array (for finite differences of one
    step).  Every distinct subexpression is computed once."""
    import numpy as np

    memo: dict[Node, object] = dict(override or {})
    with np.errstate(all="ignore"):  # a value that is not finite is shown as such, not warned
        for n in node.walk():
            if n in memo:
                continue
            a = [memo[x] for x in n.args]
            memo[n] = _EVAL[n.kind](n, a, values, sizes, np)
    return memo[node]


def dim_value(dim: str, sizes: Mapping[str, int]) -> int:
    return int(dim) if dim.isdigit() else sizes[dim]


def _ev_func(n, a, values, sizes, np):
    with np.errstate(all="ignore"):
        return np.asarray(BY_NAME[n.value].numpy(a[0]), dtype=np.float64)


def _softmax(z, np):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def _logsumexp(z, np):
    z = np.asarray(z, dtype=np.float64)
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def _inverse(a, np):
    """A⁻¹, or a matrix of NaN (no value) for a singular or non-finite A."""
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        return np.full(a.shape, np.nan)
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.full(a.shape, np.nan)


def _logdet(a, np):
    if not np.all(np.isfinite(a)):
        return np.nan
    sign, value = np.linalg.slogdet(a)
    return value if sign > 0 else np.nan


def _power(x, p, np):
    with np.errstate(all="ignore"):
        return np.power(x, float(p))


def _mean(n, a, np):
    return np.mean(a[0]) if n.value is None else np.mean(a[0], axis=n.value)


def _scale(n, a, sizes):
    return float(n.value.subs({sympy.Symbol(k, positive=True): v for k, v in sizes.items()})) * a[0]


def _ev_diag(n, a, values, sizes, np):
    return np.diag(a[0]).astype(np.float64)


_EVAL = {
    "var": lambda n, a, values, sizes, np: np.asarray(values[n.value], dtype=np.float64),
    "size": lambda n, a, values, sizes, np: np.float64(dim_value(n.value, sizes)),
    "const": lambda n, a, values, sizes, np: np.float64(float(n.value)),
    "ones": lambda n, a, values, sizes, np: np.ones([dim_value(d, sizes) for d in n.shape]),
    "eye": lambda n, a, values, sizes, np: np.eye(dim_value(n.shape[0], sizes)),
    "add": lambda n, a, values, sizes, np: a[0] + a[1],
    "sub": lambda n, a, values, sizes, np: a[0] - a[1],
    "neg": lambda n, a, values, sizes, np: -a[0],
    "mul": lambda n, a, values, sizes, np: a[0] * a[1],
    "div": lambda n, a, values, sizes, np: a[0] / a[1],
    "pow": lambda n, a, values, sizes, np: _power(a[0], n.value, np),
    "matmul": lambda n, a, values, sizes, np: np.matmul(a[0], a[1]),
    "T": lambda n, a, values, sizes, np: np.transpose(a[0]),
    "func": _ev_func,
    "sum": lambda n, a, values, sizes, np: np.sum(a[0]) if n.value is None else np.sum(a[0], axis=n.value),
    "mean": lambda n, a, values, sizes, np: _mean(n, a, np),
    "norm": lambda n, a, values, sizes, np: np.sqrt(np.sum(a[0] * a[0])),
    "trace": lambda n, a, values, sizes, np: np.trace(a[0]),
    "det": lambda n, a, values, sizes, np: np.linalg.det(a[0]) if np.all(np.isfinite(a[0]))
    else np.nan,
    "logdet": lambda n, a, values, sizes, np: _logdet(a[0], np),
    "diag": _ev_diag,
    "inv": lambda n, a, values, sizes, np: _inverse(a[0], np),
    "logsumexp": lambda n, a, values, sizes, np: _logsumexp(a[0], np),
    "softmax": lambda n, a, values, sizes, np: _softmax(a[0], np),
    "logsoftmax": lambda n, a, values, sizes, np: np.asarray(a[0]) - _logsumexp(a[0], np)[..., None],
    "outer": lambda n, a, values, sizes, np: np.outer(a[0], a[1]),
    "scale": lambda n, a, values, sizes, np: _scale(n, a, sizes),
}

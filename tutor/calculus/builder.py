"""The parser's third stage: the tree made into SymPy objects, without recursion, every
number's size checked before it exists.  See :mod:`tutor.calculus.parser`."""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from tutor.errors import ExpressionError
from tutor.i18n import _
from tutor.calculus.grammar import ParseNode
from tutor.calculus.sizes import (Bound, Info, MAX_CONSTANT_NESTING, MAX_CONSTANT_OPERATIONS,
                                  MAX_MAGNITUDE, MAX_MINMAX_ARGUMENTS, MAX_TRIG_ARGUMENT,
                                  number_size, pow10, show_digits, show_number,
                                  show_power_of_ten)
from tutor.calculus.table import FUNCTIONS
from tutor.calculus.tokens import KNOWN_FUNCTIONS, MAX_EXPONENT, MAX_POWER_DIGITS, MAX_TOTAL_DIGITS

#: how large and how small each function of the table may be, by every name it is called by
SIZES = {name: f.size for f in FUNCTIONS for name in f.typed if f.size is not None}
#: the functions that reduce a constant argument modulo 2π (sin(10^2000) is refused)
PERIODIC = frozenset(name for f in FUNCTIONS if f.rule == "trig" for name in f.typed)


# ---------------------------------------------------------------------------------------------
# Building SymPy objects
# ---------------------------------------------------------------------------------------------


def _postorder(root: ParseNode) -> list[ParseNode]:
    """The nodes of the tree, children before parents, without recursion."""
    order: list[ParseNode] = []
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        for child in reversed(node.args):
            stack.append((child, False))
    return order


def _rational(value: Fraction) -> sympy.Rational:
    if value.denominator == 1:
        return sympy.Integer(value.numerator)
    return sympy.Rational(value.numerator, value.denominator)


#: a constant power p^(a/q) is kept exact (√2, 8^(1/3)) up to this root, a float beyond
MAX_EXACT_ROOT = 12


class Builder:
    """Checks each node of a tree and makes its SymPy object, children first."""

    def __init__(self, text: str):
        self.text = text
        self.constant_operations = 0
        self.minmax_arguments = 0
        self._numeric: dict[sympy.Basic, bool] = {}

    def _fail(self, message: str, pos: int):
        raise ExpressionError(message, self.text, pos)

    def build(self, root: ParseNode) -> sympy.Expr:
        done: dict[int, tuple[sympy.Basic, Info]] = {}
        for node in _postorder(root):
            parts = [done.pop(id(child)) for child in node.args]
            exprs = [p[0] for p in parts]
            info = self._check(node, [p[1] for p in parts], exprs)
            try:
                expr = self._make(node, exprs)
            except ExpressionError:
                raise
            except RecursionError:
                self._fail(_("expression nested too deeply"), node.pos)
            except Exception as exc:  # SymPy refusing something: the user's problem to fix
                first = str(exc).splitlines()[0][:80] if str(exc) else ""
                raise ExpressionError(_("cannot compute this part: {problem}")
                    .format(problem=first or type(exc).__name__),
                                      self.text, node.pos) from exc
            done[id(node)] = (expr, info)
        return done[id(root)][0]

    # -- facts about SymPy objects already built -------------------------------------------

    def _is_number(self, expr: sympy.Basic) -> bool:
        """True when ``expr`` has no symbols (memoised: each subtree is looked at once)."""
        known = self._numeric.get(expr)
        if known is None:
            if not expr.args:
                known = bool(expr.is_number)
            else:
                known = all(self._is_number(a) for a in expr.args)
            self._numeric[expr] = known
        return known

    @staticmethod
    def _exact(info: Info, expr: sympy.Basic) -> Fraction | None:
        """The node's exact rational value: computed here, or seen in SymPy's result."""
        if info.value is not None:
            return info.value
        if isinstance(expr, sympy.Rational):
            return Fraction(int(expr.p), int(expr.q))
        return None

    # -- the checks --------------------------------------------------------------------------

    def _check(self, node: ParseNode, kids: list[Info], exprs: list[sympy.Basic]) -> Info:
        kind = node.kind
        if kind == "num":
            p, q = number_size(node.value)
            info = Info(node.value, p, q, p, q)
        elif kind == "sym":
            size = 0.5 if self._is_number(node.value) else 0.0  # e and π, not symbols
            info = Info(None, 0.0, 0.0, size, 0.0)
        elif kind == "neg":
            (k,) = kids
            value = -k.value if k.value is not None else None
            info = Info(value, k.p, k.q, k.mag, k.tiny, k.depth, k.power)
        elif kind == "add":
            info = self._check_add(node, kids)
        elif kind == "mul":
            info = self._check_mul(node, kids)
        elif kind == "pow":
            info = self._check_power(node, kids, exprs)
        else:
            info = self._check_call(node, kids, exprs)
        self._check_total(info.p, info.q, node.pos)
        if info.value is not None:
            info.p, info.q = number_size(info.value)
            info.mag, info.tiny = info.p - info.q, info.q - info.p
            info.mag, info.tiny = max(info.mag, 0.0), max(info.tiny, 0.0)
        return info

    def _check_total(self, p: float, q: float, pos: int):
        if p + q > MAX_TOTAL_DIGITS:
            self._fail(_("numbers too large: {digits}, limit {limit}")
                .format(digits=show_digits(p + q), limit=MAX_TOTAL_DIGITS), pos)

    def _check_add(self, node: ParseNode, kids: list[Info]) -> Info:
        q = sum(k.q for k in kids)
        p = max(k.p + q - k.q for k in kids) + math.log10(len(kids))
        self._check_total(p, q, node.pos)
        value = None
        if all(k.value is not None for k in kids):
            value = sum((k.value for k in kids), Fraction(0))
        mag = max(k.mag for k in kids) + math.log10(len(kids))
        # a sum may cancel to something small; how small is bounded by the digits involved
        tiny = max(k.tiny for k in kids) + p + q + 1
        return Info(value, p, q, mag, tiny, max(k.depth for k in kids))

    def _check_mul(self, node: ParseNode, kids: list[Info]) -> Info:
        p = q = mag = tiny = 0.0
        value: Fraction | None = Fraction(1)
        for k, divisor, child in zip(kids, node.value, node.args):
            kp, kq, km, kt, kv = k.p, k.q, k.mag, k.tiny, k.value
            if divisor:
                if kv is not None and kv == 0:
                    self._fail(_("division by zero"), child.pos)
                kp, kq, km, kt = kq, kp, kt, km
                kv = 1 / kv if kv is not None else None
            p, q, mag, tiny = p + kp, q + kq, mag + km, tiny + kt
            self._check_total(p, q, node.pos)  # before the product below is computed
            value = value * kv if value is not None and kv is not None else None
        return Info(value, p, q, mag, tiny, max(k.depth for k in kids),
                     max(k.power for k in kids))

    def _check_power(self, node: ParseNode, kids: list[Info], exprs: list[sympy.Basic]) -> Info:
        base, exponent = kids
        base_expr, exp_expr = exprs
        exp_node = node.args[1]
        c = self._exact(exponent, exp_expr)
        b = self._exact(base, base_expr)
        if c is not None:
            # an exact rational exponent: the rule of the project, |c| <= 1000
            if abs(c) > MAX_EXPONENT:
                self._fail(_("exponent {exponent} too large: limit {limit}")
                    .format(exponent=show_number(c), limit=MAX_EXPONENT),
                           exp_node.pos)
            if b is not None and b == 0 and c < 0:
                self._fail(_("division by zero (0 to a negative power)"), node.pos)
            # a root (non-integer c) may pull out perfect powers, never more than the base
            scale = float(abs(c)) if c.denominator == 1 else max(float(abs(c)), 1.0)
            p, q, mag, tiny = (base.p * scale, base.q * scale, base.mag * scale,
                               base.tiny * scale)
            if c < 0:
                p, q, mag, tiny = q, p, tiny, mag
        else:
            # the exponent may still turn into a number of size up to 10^mag
            bound = pow10(exponent.mag)
            if self._is_number(exp_expr) and bound > MAX_EXPONENT:
                self._fail(_("exponent too large: it may reach about 10^{magnitude:.0f}, limit "
                             "{limit}")
                    .format(magnitude=exponent.mag, limit=MAX_EXPONENT), exp_node.pos)
            m = max(base.p, base.q)
            p = q = m * bound if m > 0 else 0.0
            m = max(base.mag, base.tiny)
            mag = tiny = m * bound if m > 0 else 0.0
        if p + q > MAX_POWER_DIGITS:
            self._fail(_("number too large: this power would have {digits}, limit {limit}")
                .format(digits=show_digits(p + q), limit=MAX_POWER_DIGITS), node.pos)
        if c is not None:
            power = base.power + (math.log10(abs(c)) if c else 0.0)
        else:
            power = base.power + exponent.mag
        if base.power > 0 and power > math.log10(MAX_EXPONENT) + 1e-9:
            self._fail(_("exponent too large: a power of a power multiplies the exponents, "
                         "reaching {size}, limit {limit}")
                .format(size=show_power_of_ten(power), limit=MAX_EXPONENT), node.pos)
        value = None
        if b is not None and c is not None and c.denominator == 1:
            value = b ** int(c)
        depth = max(base.depth, exponent.depth)
        if value is None and self._is_number(base_expr) and self._is_number(exp_expr):
            depth = self._constant_operation(depth, node.pos)
            self._check_magnitude(mag, tiny, node.pos)
        return Info(value, p, q, mag, tiny, depth, max(power, 0.0))

    def _check_call(self, node: ParseNode, kids: list[Info], exprs: list[sympy.Basic]) -> Info:
        name = node.value
        if name in ("max", "min"):
            self.minmax_arguments += len(kids)
            if self.minmax_arguments > MAX_MINMAX_ARGUMENTS:
                self._fail(_("too many arguments of max and min: more than {limit} in all")
                    .format(limit=MAX_MINMAX_ARGUMENTS), node.pos)
        m = sum(max(k.p, k.q) for k in kids)
        signs = [None if v is None else (v > 0) - (v < 0)
                 for v in (self._exact(k, e) for k, e in zip(kids, exprs))]
        mag, tiny = self._call_size(name, kids, signs)
        depth = max(k.depth for k in kids)
        numeric = all(self._is_number(e) for e in exprs)
        if numeric:
            if name in PERIODIC and max(k.mag for k in kids) > MAX_TRIG_ARGUMENT:
                self._fail(_("the argument of {name} is too large: it may reach {value}")
                    .format(name=name, value=show_power_of_ten(max((k.mag for k in kids)))),
                            node.pos)
            if not all(isinstance(e, sympy.Rational) for e in exprs):
                depth = self._constant_operation(depth, node.pos)
            self._check_magnitude(mag, tiny, node.pos)
        return Info(None, m, m, mag, tiny, depth)

    @staticmethod
    def _call_size(name: str, kids: list[Info], signs: list[int | None]) -> tuple[float, float]:
        """Bounds (mag, tiny) for a function of arguments with the given bounds (and signs,
        where they are exact numbers): the table's ``size`` of each function."""
        a = max(k.mag for k in kids)
        t = max(k.tiny for k in kids)
        if name in ("max", "min"):
            return a, t
        if name == "sqrt":
            return a / 2, t / 2
        size = SIZES.get(name)
        if size is None:
            return sum(k.mag for k in kids), sum(k.tiny for k in kids)
        sizes = [size(Bound(k.mag, k.tiny, k.p + k.q, sign)) for k, sign in zip(kids, signs)]
        if len(sizes) == 2:  # log(x, b) = log(x) / log(b)
            (m1, t1), (m2, t2) = sizes
            return m1 + t2, t1 + m2
        return sizes[0]

    def _constant_operation(self, depth: int, pos: int) -> int:
        """Counts one function or power of non-rational constants; its nesting depth."""
        self.constant_operations += 1
        if self.constant_operations > MAX_CONSTANT_OPERATIONS:
            self._fail(_("too many functions of constants: more than {limit}")
                .format(limit=MAX_CONSTANT_OPERATIONS),
                       pos)
        depth += 1
        if depth > MAX_CONSTANT_NESTING:
            self._fail(_("functions of constants nested too deeply: more than {limit} levels")
                .format(limit=MAX_CONSTANT_NESTING), pos)
        return depth

    def _check_magnitude(self, mag: float, tiny: float, pos: int):
        if mag > MAX_MAGNITUDE:
            self._fail(_("number too large: it may reach {size}, limit 10^{limit}")
                .format(size=show_power_of_ten(mag), limit=MAX_MAGNITUDE), pos)
        if tiny > MAX_MAGNITUDE:
            self._fail(_("number too close to zero: it may be as small as 1/({size}), limit "
                         "10^-{limit}")
                .format(size=show_power_of_ten(tiny), limit=MAX_MAGNITUDE), pos)

    # -- making the objects ------------------------------------------------------------------

    @staticmethod
    def _make(node: ParseNode, args: list[sympy.Basic]) -> sympy.Basic:
        kind = node.kind
        if kind == "num":
            return _rational(node.value)
        if kind == "sym":
            return node.value
        if kind == "neg":
            return sympy.Mul(sympy.S.NegativeOne, args[0])
        if kind == "add":
            return sympy.Add(*args)
        if kind == "mul":
            return sympy.Mul(*[sympy.Pow(a, sympy.S.NegativeOne) if divisor else a
                               for a, divisor in zip(args, node.value)])
        if kind == "pow":
            base, exponent = args
            if (base.is_Rational and exponent.is_Rational and not exponent.is_Integer
                    and exponent.q > MAX_EXACT_ROOT):
                # 4.34^1.140379 is a number with decimals, not a 1000000th root to find
                # exactly (SymPy would search for perfect powers for minutes)
                return sympy.Float(base, 15) ** sympy.Float(exponent, 15)
            return sympy.Pow(base, exponent)
        return KNOWN_FUNCTIONS[node.value][0](*args)

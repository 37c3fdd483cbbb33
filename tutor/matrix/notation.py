"""Reading the notation NumPy and PyTorch users type, with the shape of every part.

The text never reaches ``eval`` or SymPy's parser: a tokenizer that knows each character it
accepts, a recursive-descent parser with Python's precedence, and a builder that gives each
node its shape and refuses a shape that does not fit with one line naming both shapes and the
operator, the caret under the operator::

    expression := term (('+' | '-') term)*
    term       := unary (('*' | '/' | '@') unary)*
    unary      := ('+' | '-') unary | power
    power      := postfix ('**' unary)?            -- also '^'; -a**2 is -(a**2)
    postfix    := primary ('.T')*
    primary    := number | name | call | '(' expression ')'
    call       := function '(' expression (',' expression)* ')'

Names are the variables whose shapes the caller gives, the size letters (a size used as a
number: ``/ n``) and, when the caller allows it, new names, which are scalars.  Functions:
the elementwise ones of :mod:`tutor.calculus.table` (exp, log, tanh, sigmoid, relu, softplus,
abs, …), ``sqrt`` (the power ½), and ``sum``, ``mean`` (with an optional axis 0 or 1),
``norm``, ``trace``, ``det``, ``logdet`` (``log(det(X))``), ``diag``, ``inv``, ``logsumexp`` and
``softmax`` (row by row on a matrix),
``outer``, ``ones`` and ``eye``.  A power is a number: ``U ** 2`` is entry by entry.

Limits: 2000 characters, 1000 tokens, 100 levels of nesting, exponents within ±1000.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Mapping

from tutor.errors import ExpressionError
from tutor.i18n import _
from tutor.matrix.tree import (ELEMENTWISE_FUNCTIONS, MATRIX_FUNCTIONS, Dims, Node,
                               shape_bracket)

MAX_LENGTH = 2000
MAX_TOKENS = 1000
MAX_DEPTH = 100
MAX_EXPONENT = 1000

_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_OPERATORS = {"**": "**", "^": "**", "+": "+", "-": "-", "−": "-", "*": "*", "·": "*",
              "/": "/", "@": "@", "(": "(", ")": ")", ",": ","}
_KEYWORDS = frozenset({"and", "or", "not", "if", "else", "for", "in", "is", "lambda", "import",
                       "def", "class", "return", "None", "True", "False", "while", "with",
                       "yield", "from", "global", "del", "pass", "raise", "try", "except",
                       "finally", "assert", "async", "await", "break", "continue", "elif",
                       "nonlocal", "as"})

#: arity of each matrix function: (least, most)
_ARITY = {"sum": (1, 2), "mean": (1, 2), "norm": (1, 1), "trace": (1, 1), "det": (1, 1),
          "logdet": (1, 1), "diag": (1, 1),
          "inv": (1, 1), "logsumexp": (1, 1), "softmax": (1, 1), "outer": (2, 2),
          "ones": (1, 2), "eye": (1, 1), "sqrt": (1, 1)}


class ShapeError(ExpressionError):
    """Parts whose shapes do not fit together (the text itself reads)."""


class Tok:
    __slots__ = ("kind", "text", "pos")

    def __init__(self, kind, text, pos):
        self.kind, self.text, self.pos = kind, text, pos


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if len(out) >= MAX_TOKENS:
            raise ExpressionError(_("expression too long: more than {limit} numbers, names and "
                                    "operators").format(limit=MAX_TOKENS), text, i)
        if text.startswith(".T", i) and not (i + 2 < len(text) and (text[i + 2].isalnum()
                                                                   or text[i + 2] == "_")):
            out.append(Tok("T", ".T", i))
            i += 2
            continue
        m = _NUMBER.match(text, i)
        if m and (ch.isdigit() or ch == "."):
            if len(m.group()) > 30:
                raise ExpressionError(_("number too long: {length} characters, limit {limit}")
                                      .format(length=len(m.group()), limit=30), text, i)
            out.append(Tok("num", m.group(), i))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            if len(m.group()) > 30:
                raise ExpressionError(_("name too long: {length} characters, limit {limit}")
                                      .format(length=len(m.group()), limit=30), text, i)
            out.append(Tok("name", m.group(), i))
            i = m.end()
            continue
        two = text[i:i + 2]
        if two == "**":
            out.append(Tok("op", "**", i))
            i += 2
            continue
        if ch in _OPERATORS:
            out.append(Tok("op", _OPERATORS[ch], i))
            i += 1
            continue
        if ch == ".":
            raise ExpressionError(_("'.' is only read in '.T' (the transpose) and in numbers"),
                                  text, i)
        raise ExpressionError(_("unexpected character '{char}'").format(char=ch), text, i)
    out.append(Tok("end", "", len(text)))
    return out


def broadcast(a: Dims, b: Dims) -> Dims | None:
    """The shape of an entry-by-entry operation of shapes a and b, or None when they do not
    fit: equal shapes, a scalar with anything, a row vector (k) with an n×k matrix."""
    if a == b or not b:
        return a
    if not a:
        return b
    if len(a) == 2 and len(b) == 1 and b[0] == a[1]:
        return a
    if len(b) == 2 and len(a) == 1 and a[0] == b[1]:
        return b
    return None


def matmul_shape(a: Dims, b: Dims) -> Dims | None:
    if not a or not b or len(a) > 2 or len(b) > 2:
        return None
    inner_a = a[-1]
    inner_b = b[0]
    if inner_a != inner_b:
        return None
    return a[:-1] + b[1:]


class Reader:
    """Parses one text against the caller's shapes."""

    def __init__(self, text: str, shapes: Mapping[str, Dims], sizes: frozenset[str],
                 allow_new_names: bool, repair: bool = False, choice: int = 0):
        self.text = text
        #: which fitting arrangement the first misfit takes (0: the first that fits)
        self.choice = choice
        #: with ``repair``, a product or sum whose shapes do not fit is replaced by the first of
        #: its factors swapped or transposed that fits, and the change recorded here
        self.repairs: list[tuple[str, str, Node]] | None = [] if repair else None
        self.shapes = shapes
        self.sizes = sizes
        self.allow_new_names = allow_new_names
        self.tokens: list[Tok] = []
        self.k = 0
        self.depth = 0

    def fail(self, message: str, pos: int):
        raise ExpressionError(message, self.text, pos)

    def peek(self) -> Tok:
        return self.tokens[self.k]

    def advance(self) -> Tok:
        tok = self.tokens[self.k]
        self.k += 1
        return tok

    def enter(self, pos):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(_("expression nested too deeply: more than {limit} levels")
                      .format(limit=MAX_DEPTH), pos)

    def read(self) -> Node:
        if len(self.text) > MAX_LENGTH:
            raise ExpressionError(_("expression too long: {length} characters, limit "
                                    "{max_length}").format(length=len(self.text),
                                                           max_length=MAX_LENGTH),
                                  self.text, MAX_LENGTH)
        if not self.text.strip():
            raise ExpressionError(_("empty expression"), self.text, 0)
        self.tokens = tokenize(self.text)
        node = self.expression()
        tok = self.peek()
        if tok.kind != "end":
            if tok.text == ")":
                self.fail(_("')' has no matching opening bracket"), tok.pos)
            if tok.text == ",":
                self.fail(_("',' is only allowed between the arguments of a function"), tok.pos)
            self.fail(_("missing operator before '{token}'").format(token=tok.text), tok.pos)
        return node

    # -- grammar ---------------------------------------------------------------------------
    def expression(self) -> Node:
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.advance()
            right = self.term()
            node = self.binary("add" if op.text == "+" else "sub", node, right, op)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/", "@"):
            op = self.advance()
            right = self.unary()
            kind = {"*": "mul", "/": "div", "@": "matmul"}[op.text]
            node = self.binary(kind, node, right, op)
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text in "+-":
            self.advance()
            self.enter(tok.pos)
            inner = self.unary()
            self.depth -= 1
            if tok.text == "+":
                return inner
            if inner.kind == "const":
                return Node("const", (), -inner.value, (), tok.pos, inner.end)
            return Node("neg", (inner,), None, inner.shape, tok.pos, inner.end)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        tok = self.peek()
        if tok.kind == "op" and tok.text == "**":
            self.advance()
            self.enter(tok.pos)
            exponent = self.unary()
            self.depth -= 1
            if exponent.kind != "const":
                self.fail(_("a power must be a number, like U ** 2 (entry by entry)"),
                          exponent.start)
            p = exponent.value
            if abs(p) > MAX_EXPONENT:
                self.fail(_("exponent {exponent} too large: limit {limit}")
                          .format(exponent=p, limit=MAX_EXPONENT), exponent.start)
            if base.kind == "const":
                if base.value == 0 and p < 0:
                    self.fail(_("division by zero"), tok.pos)
                if base.value and abs(float(p)) * abs(math.log10(abs(base.value))) > 300:
                    self.fail(_("a number too large or too small for a float"), base.start)
                value = base.value ** p if p.denominator == 1 else float(base.value) ** float(p)
                return Node("const", (), value if isinstance(value, Fraction) else
                            Fraction(value), (), base.start, exponent.end)
            return Node("pow", (base,), p, base.shape, base.start, exponent.end)
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while self.peek().kind == "T":
            tok = self.advance()
            shape = node.shape[::-1] if len(node.shape) == 2 else node.shape
            node = Node("T", (node,), None, shape, node.start, tok.pos + 2)
        return node

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind == "num":
            self.advance()
            try:
                value = Fraction(tok.text)
            except (ValueError, ZeroDivisionError):
                self.fail(_("'{token}' is not a number").format(token=tok.text), tok.pos)
            if value and not (1e-300 < abs(value) < 1e300):
                self.fail(_("number out of range: {token}").format(token=tok.text), tok.pos)
            return Node("const", (), value, (), tok.pos, tok.pos + len(tok.text))
        if tok.kind == "name":
            self.advance()
            if self.peek().text == "(" and self.peek().kind == "op":
                return self.call(tok)
            return self.name(tok)
        if tok.text == "(":
            self.advance()
            self.enter(tok.pos)
            if self.peek().text == ")":
                self.fail(_("empty brackets"), tok.pos)
            node = self.expression()
            self.close(tok)
            self.depth -= 1
            return Node(node.kind, node.args, node.value, node.shape, tok.pos, self.tokens[self.k - 1].pos + 1)
        if tok.kind == "end":
            if self.k == 0:
                self.fail(_("empty expression"), 0)
            self.fail(_("the expression ends too early, after '{previous}'")
                      .format(previous=self.tokens[self.k - 1].text), tok.pos)
        if tok.kind == "T":
            self.fail(_("'.T' must follow what it transposes"), tok.pos)
        if self.k == 0:
            self.fail(_("the expression cannot start with '{token}'").format(token=tok.text),
                      tok.pos)
        self.fail(_("'{token}' cannot follow '{previous}'")
                  .format(token=tok.text, previous=self.tokens[self.k - 1].text), tok.pos)

    def close(self, opening: Tok):
        tok = self.peek()
        if tok.text == ")" and tok.kind == "op":
            self.advance()
            return
        if tok.kind == "end":
            self.fail(_("'(' is never closed"), opening.pos)
        if tok.text == ",":
            self.fail(_("',' is only allowed between the arguments of a function"), tok.pos)
        self.fail(_("missing operator before '{token}'").format(token=tok.text), tok.pos)

    def name(self, tok: Tok) -> Node:
        name = tok.text
        end = tok.pos + len(name)
        if name in self.shapes:
            return Node("var", (), name, self.shapes[name], tok.pos, end)
        if name in self.sizes:
            return Node("size", (), name, (), tok.pos, end)
        if name in _KEYWORDS:
            self.fail(_("'{name}' is a Python keyword, not a name").format(name=name), tok.pos)
        if name in ELEMENTWISE_FUNCTIONS or name in MATRIX_FUNCTIONS or name == "sqrt":
            self.fail(_("'{token}' is a function: write {token}(…)").format(token=name), tok.pos)
        if self.allow_new_names:
            return Node("var", (), name, (), tok.pos, end)
        known = sorted(set(self.shapes) | self.sizes)
        self.fail(_("unknown name '{name}' — known names: {shown}")
                  .format(name=name, shown=", ".join(known)), tok.pos)

    def call(self, tok: Tok) -> Node:
        fname = tok.text
        if fname not in ELEMENTWISE_FUNCTIONS and fname not in _ARITY:
            if fname in self.shapes or fname in self.sizes:
                self.fail(_("'{token}' is not a function; write {token} * ( … ) for a product")
                          .format(token=fname), tok.pos)
            known = ", ".join(sorted({*ELEMENTWISE_FUNCTIONS, *_ARITY} - {"sig", "logistic", "σ"}))
            self.fail(_("unknown function '{name}' — known: {known}")
                      .format(name=fname, known=known), tok.pos)
        opening = self.advance()
        self.enter(opening.pos)
        args = []
        if self.peek().text == ")":
            self.fail(_("{shown} needs its argument in brackets, like {shown}(x)")
                      .format(shown=fname), tok.pos)
        while True:
            if self.peek().text in (",", ")") and self.peek().kind == "op":
                self.fail(_("empty argument"), self.peek().pos)
            args.append(self.expression())
            if self.peek().text != "," or self.peek().kind != "op":
                break
            self.advance()
        self.close(opening)
        self.depth -= 1
        end = self.tokens[self.k - 1].pos + 1
        least, most = _ARITY.get(fname, (1, 1))
        if not least <= len(args) <= most:
            wanted = str(least) if least == most else f"{least} or {most}"
            self.fail(_("{shown} takes {count} arguments, got {got}")
                      .format(shown=fname, count=wanted, got=len(args)), tok.pos)
        return self.function(fname, args, tok.pos, end)

    # -- shapes ----------------------------------------------------------------------------
    def binary(self, kind: str, left: Node, right: Node, op: Tok) -> Node:
        start, end = left.start, right.end
        if kind == "matmul":
            shape = matmul_shape(left.shape, right.shape)
            if shape is None:
                fixed = self.repaired(kind, left, right, op)
                if fixed is not None:
                    return fixed
                self.shape_error("@", left, right, op)
            return Node("matmul", (left, right), None, shape, start, end)
        if left.kind == "const" and right.kind == "const":
            return self.fold(kind, left, right, op)
        shape = broadcast(left.shape, right.shape)
        if shape is None:
            fixed = self.repaired(kind, left, right, op)
            if fixed is not None:
                return fixed
            self.shape_error(op.text, left, right, op)
        if kind == "div" and right.kind == "const" and right.value == 0:
            self.fail(_("division by zero"), op.pos)
        return Node(kind, (left, right), None, shape, start, end)

    def repaired(self, kind: str, left: Node, right: Node, op: Tok) -> Node | None:
        """In repair mode, the first arrangement of the two parts that fits: for @ the factors
        in the other order ("order") or one or both transposed ("transposed"); for an entry-by-
        entry operation one part transposed."""
        if self.repairs is None:
            return None

        def t(node: Node) -> Node:
            return Node("T", (node,), None, node.shape[::-1], node.start, node.end) \
                if node.ndim == 2 else node

        if kind == "matmul":
            tries = [("order", right, left), ("transposed", t(left), right),
                     ("transposed", left, t(right)), ("order", t(right), t(left)),
                     ("transposed", t(left), t(right))]
            fits = lambda a, b: matmul_shape(a.shape, b.shape)  # noqa: E731
        else:
            tries = [("transposed", left, t(right)), ("transposed", t(left), right)]
            fits = lambda a, b: broadcast(a.shape, b.shape)  # noqa: E731
        fitting = [(how, a, b) for how, a, b in tries if fits(a, b) is not None]
        if not self.repairs and fitting:
            fitting = fitting[self.choice:] if self.choice < len(fitting) else []
        for how, a, b in fitting:
            shape = fits(a, b)
            if shape is not None and (a is not left or b is not right):
                node = Node(kind, (a, b), None, shape, left.start, right.end)
                where = f"{self.text[left.start:left.end]} {op.text} {self.text[right.start:right.end]}"
                shapes = f"{shape_bracket(left.shape)} {op.text} {shape_bracket(right.shape)}"
                self.repairs.append((how, f"{where}: {shapes}", node))
                return node
        return None

    def fold(self, kind, left, right, op) -> Node:
        a, b = left.value, right.value
        if kind == "div" and b == 0:
            self.fail(_("division by zero"), op.pos)
        value = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                 "div": lambda: a / b}[kind]()
        self.in_range(value, left.start)
        return Node("const", (), value, (), left.start, right.end)

    def in_range(self, value: Fraction, pos: int) -> None:
        """A constant must be a float: at most about 1e300 in size, 0 or at least 1e−300."""
        if value and not (Fraction(1, 10 ** 300) < abs(value) < 10 ** 300):
            self.fail(_("a number too large or too small for a float"), pos)

    def shape_error(self, op: str, left: Node, right: Node, tok: Tok):
        where = f"{self.text[left.start:left.end]} {op} {self.text[right.start:right.end]}"
        shapes = f"{shape_bracket(left.shape)} {op} {shape_bracket(right.shape)}"
        if op == "@":
            if not left.shape or not right.shape:
                why = _("@ needs a vector or a matrix on both sides; a scalar multiplies with *")
            elif len(left.shape) > 2 or len(right.shape) > 2:
                why = _("@ takes vectors and matrices")
            else:
                why = _("the inner sizes {a} and {b} differ").format(a=left.shape[-1],
                                                                     b=right.shape[0])
        else:
            why = _("the shapes differ, and neither is a scalar or a row that repeats down the "
                    "rows")
        raise ShapeError(f"{where}: {shapes} — {why}", self.text, tok.pos)

    def function(self, fname: str, args: list[Node], pos: int, end: int) -> Node:
        a = args[0]
        shape = a.shape

        def need(ok: bool, message: str):
            if not ok:
                raise ShapeError(message.format(f=fname, shape=shape_bracket(shape)), self.text,
                                 pos)

        if fname == "sqrt":
            return Node("pow", (a,), Fraction(1, 2), shape, pos, end)
        if fname in ELEMENTWISE_FUNCTIONS:
            target = ELEMENTWISE_FUNCTIONS[fname]
            if target == "log" and a.kind == "softmax":
                return Node("logsoftmax", a.args, None, shape, pos, end)
            if target == "log" and a.kind == "det":
                return Node("logdet", a.args, None, (), pos, end)
            return Node("func", (a,), target, shape, pos, end)
        if fname in ("sum", "mean"):
            axis = None
            if len(args) == 2:
                b = args[1]
                if b.kind != "const" or b.value not in (0, 1):
                    self.fail(_("{f}(U, axis): the axis is 0 (down the columns) or 1 (along "
                                "the rows)").format(f=fname), b.start)
                need(len(shape) == 2, _("{f}(U, axis) takes a matrix, not {shape}"))
                axis = int(b.value)
                out = (shape[1],) if axis == 0 else (shape[0],)
            else:
                out = ()
            return Node(fname, (a,), axis, out, pos, end)
        if fname == "norm":
            return Node("norm", (a,), None, (), pos, end)
        if fname in ("trace", "inv", "det", "logdet"):
            need(len(shape) == 2 and shape[0] == shape[1],
                 _("{f} takes a square matrix, not {shape}"))
            return Node(fname, (a,), None, shape if fname == "inv" else (), pos, end)
        if fname == "diag":
            need(len(shape) == 1 or (len(shape) == 2 and shape[0] == shape[1]),
                 _("diag takes a vector or a square matrix, not {shape}"))
            out = (shape[0], shape[0]) if len(shape) == 1 else (shape[0],)
            return Node("diag", (a,), None, out, pos, end)
        if fname in ("logsumexp", "softmax"):
            need(len(shape) in (1, 2), _("{f} takes a vector or a matrix (row by row), not {shape}"))
            out = shape if fname == "softmax" else shape[:-1]
            return Node(fname, (a,), None, out, pos, end)
        if fname == "outer":
            b = args[1]
            if len(shape) != 1 or len(b.shape) != 1:
                raise ShapeError(_("outer takes two vectors, not {a} and {b}")
                                 .format(a=shape_bracket(shape), b=shape_bracket(b.shape)),
                                 self.text, pos)
            return Node("outer", (a, b), None, (shape[0], b.shape[0]), pos, end)
        # ones(n[, d]) and eye(n): sizes
        dims = []
        for b in args:
            if b.kind == "size":
                dims.append(b.value)
            elif b.kind == "const" and b.value.denominator == 1 and 1 <= b.value <= 1000:
                dims.append(str(b.value))
            else:
                self.fail(_("{f} takes sizes, like {f}(n)").format(f=fname), b.start)
        if fname == "eye":
            return Node("eye", (), None, (dims[0], dims[0]), pos, end)
        return Node("ones", (), None, tuple(dims), pos, end)


def read_matrix_expression(text: str, shapes: Mapping[str, Dims], *,
                           allow_new_names: bool = True) -> Node:
    """The tree of ``text``, every node shaped; raises ExpressionError (one line, a
    position) for anything else, a ShapeError for parts whose shapes do not fit.  ``shapes``
    maps names to shapes; the letters in those shapes are the sizes."""
    return _reader(text, shapes, allow_new_names, False).read()


def read_repaired(text: str, shapes: Mapping[str, Dims], *, allow_new_names: bool = False,
                  choice: int = 0) -> tuple[Node, list[tuple[str, str, Node]]]:
    """``text`` read with every product or sum whose shapes do not fit rearranged to the first
    arrangement that fits (for the first misfit, the ``choice``-th): (the tree, [(how, the
    part as written with its shapes, the part as rearranged)]).  Raises a ShapeError when no
    arrangement fits."""
    reader = _reader(text, shapes, allow_new_names, True, choice)
    node = reader.read()
    return node, reader.repairs


def _reader(text, shapes, allow_new_names, repair, choice=0):
    if not isinstance(text, str):
        raise TypeError(f"expected the expression as a str, got {type(text).__name__}")
    sizes = frozenset(d for shape in shapes.values() for d in shape if not d.isdigit())
    return _Guarded(text, shapes, sizes, allow_new_names, repair, choice)


class _Guarded(Reader):
    def read(self) -> Node:
        try:
            return super().read()
        except RecursionError:
            raise ExpressionError(_("expression nested too deeply"), self.text, 0) from None

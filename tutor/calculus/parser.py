"""Reading the mathematics a learner types, safely.

The text never reaches ``eval``, ``exec``, ``sympify`` or any other path that turns a string
into code.  It goes through three stages written here:

1. a **tokenizer** that knows every character it accepts and refuses the rest by name;
2. a **recursive-descent parser** that builds a small tree of its own (:class:`ParseNode`);
3. a **builder** that walks the tree without recursion, checks the size of every number
   *before* it exists, and only then makes SymPy objects directly (``sympy.Integer``,
   ``sympy.Rational``, ``sympy.Symbol``, ``sympy.Add``, ``sympy.Mul``, ``sympy.Pow`` and the
   function classes of :data:`KNOWN_FUNCTIONS`).

Every problem raises :class:`~tutor.errors.ExpressionError` with a one-line message and the
0-based position in the text; nothing else escapes for any string.

Grammar (plain text)
--------------------
::

    equation   := expression '=' expression
    expression := term (('+' | '-') term)*
    term       := factor (('*' | '/') factor | implicit factor)*
    factor     := ('+' | '-')* power             -- so -x^2 is -(x^2)
    power      := postfix ('^' ('+' | '-')* postfix)*   -- right-associative: 2^3^2 = 2^9
    postfix    := primary superscript*           -- x², x⁻¹
    primary    := number | name | call | '(' expression ')' | '[' expression ']'
    call       := function '(' expression (',' expression)* ')'

* Numbers: ``3``, ``3.25``, ``.5``, ``1e-3``, ``2.5E+4``.  All are exact: ``0.1`` is 1/10.
* Names: ``[A-Za-z][A-Za-z0-9_]*``; Greek letters (α → ``alpha``, λ → ``lambda``, …) may be
  followed by the same characters (θ_0 → ``theta_0``).  ``e`` is Euler's number and ``pi``/π
  is π unless the caller passes symbols of those names.  σ is the sigmoid when called, the
  name ``sigma`` otherwise.  Python keywords and names with a leading ``_`` or a ``__`` are
  refused (a caller's own symbol of such a name is accepted).
* ``^`` and ``**`` are both powers; ``−`` (U+2212) is minus, ``·``, ``⋅`` and ``×`` multiply,
  ``÷`` divides, superscript digits (with ``⁻``) are powers.
* Implicit products, and only these: a number before a name or a bracket (``2x``,
  ``2(x+1)``, ``3 x``), a closing bracket or a superscript before a name or a bracket
  (``(x+1)(x-1)``, ``(a+b)c``, ``x²y``).  ``x y``, ``x(y)`` (x is not a function), ``x 2``,
  ``(x)2`` and ``2 3`` are refused with a message that shows the ``*`` to write.

LaTeX
-----
Text containing ``\\``, ``{`` or ``}`` is read as LaTeX by the same tokenizer (commands become
ordinary tokens; no text is rewritten): ``\\frac{a}{b}`` (also ``\\dfrac``, ``\\tfrac``),
``\\sqrt{x}``, ``\\sqrt[n]{x}``, braces as grouping, ``\\left(``/``\\right)`` (the size commands
are dropped), ``\\cdot``, ``\\times``, ``\\div``, functions ``\\exp \\ln \\log \\sin`` …
``\\tanh``, ``\\arcsin`` …, ``\\max``, ``\\min``, ``\\log_{b}``, ``\\operatorname{softplus}``,
``\\mathrm{…}``/``\\text{…}``, Greek letters (``\\sigma`` is the sigmoid when followed by
``(``, otherwise the name ``sigma``), spacing ``\\, \\; \\: \\! \\quad``.  Subscripts join the
name: ``w_1`` and ``w_{1}`` become ``w1`` if the caller has a symbol ``w1``, else ``w_1``
(in plain text too: ``w_1`` is the caller's ``w1`` when only that one exists).
As in LaTeX, ``^`` and ``_`` without braces take one character, so ``x^23`` is refused with a
hint to write ``x^{23}``.  A LaTeX function command may also take a bare argument when
nothing else follows it (``\\ln x``, ``\\ln x^2`` = ln(x²)); ``\\sin 2x`` is refused as
ambiguous.

In LaTeX any two adjacent factors multiply (``x y``, ``2x``, ``\\sigma(z)(1-\\sigma(z))``,
``\\frac{1}{2}x^{2}``), except two numbers.  A run of letters is one name only if it is
a symbol the caller passed or a function name (``exp``, ``sigmoid``, …); otherwise it is a
product of single letters, as LaTeX typesets it: ``xy`` is x·y, ``loss`` is l·o·s·s.

Limits
------
Checked before anything can grow: text longer than ``max_length`` (default 2000) is refused
before it is read; at most ``max_tokens`` (default 1000) tokens; nesting (brackets, calls,
runs of signs and chains of powers together) at most 100 deep, so the parser's own recursion
stays small; numbers and names at most 30 characters.

Every exponent that is an exact constant is computed with Python integers and fractions and
must lie within ±1000 (``9^9^9^9`` fails at its innermost 9^9 = 387420489); a power of
numbers may not reach more than about 1000 digits (``999^999``), nor any number 5000 digits.
SymPy evaluates as it builds, so the builder also bounds what that evaluation could produce
if symbols cancelled (``2*x/x`` is the number 2 to SymPy): the size of numbers SymPy may
multiply out (``(3^(1000y))^(1000/y)``), exponents merged by powers of powers
(``(x^100)^100`` = x^10000), the magnitude of constants (``exp(exp(exp(exp(2))))``), the
argument of a trigonometric function of a constant (``sin(e^(10^9))``), functions of
non-rational constants (at most 4 inside each other, 40 in all: SymPy's checks on
``log(log(log(…(2))))`` grow steeply) and the arguments of max and min (12 in all: SymPy
compares them pairwise).  Exponents with symbols in them are otherwise free (``x^y``,
``0.9^(100 t)``, ``exp(-1000 x)``).
"""

from __future__ import annotations

import keyword
from typing import Mapping

import sympy

from tutor.errors import ExpressionError
from tutor.i18n import _
from tutor.calculus.budget import BudgetError, deadline
from tutor.calculus.builder import Builder
from tutor.calculus.grammar import Parser
from tutor.calculus.tokens import (EQ, is_space, KNOWN_FUNCTIONS, MAX_LENGTH, MAX_TOKENS, NAME,
                                   Tokenizer)

__all__ = [
    "KNOWN_FUNCTIONS",
    "parse_expression",
    "parse_equation",
    "parse_assignment",
]

# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def _prepare(text, symbols, max_length: int) -> dict:
    """Checks done before reading: types (a caller's mistake: TypeError), length, emptiness."""
    if not isinstance(text, str):
        raise TypeError(f"expected the expression as a str, got {type(text).__name__}")
    own = dict(symbols) if symbols is not None else {}
    for name, value in own.items():
        if not isinstance(name, str) or not isinstance(value, sympy.Basic):
            raise TypeError("symbols must map names (str) to SymPy objects")
    if len(text) > max_length:
        raise ExpressionError(_("expression too long: {length} characters, limit {max_length}")
            .format(length=len(text), max_length=max_length),
                              text, max_length)
    if all(is_space(ch) for ch in text):
        raise ExpressionError(_("empty expression"), text, 0)
    return own


def _guarded(text: str, work):
    """Runs ``work()`` within the time budget, turning anything unexpected into an
    ExpressionError."""
    try:
        with deadline(what=_("reading the expression")):
            return work()
    except BudgetError as exc:
        raise ExpressionError(str(exc), text, None) from None
    except ExpressionError:
        raise
    except RecursionError:
        raise ExpressionError(_("expression nested too deeply"), text, 0) from None
    except Exception as exc:
        raise ExpressionError(_("cannot read this expression ({problem})")
            .format(problem=type(exc).__name__),
                              text, 0) from exc


def _read(text, symbols, allow_new_names, max_length, max_tokens, sides) -> list[sympy.Expr]:
    own = _prepare(text, symbols, max_length)

    def work():
        latex = any(ch in text for ch in "\\{}")
        tokens = Tokenizer(text, own, latex, max_tokens).run()
        parser = Parser(text, tokens, own, allow_new_names, latex)
        builder = Builder(text)
        return [builder.build(node) for node in parser.parse(sides)]

    return _guarded(text, work)


def parse_expression(text: str, *, symbols: Mapping[str, sympy.Symbol] | None = None,
                     allow_new_names: bool = True, max_length: int = MAX_LENGTH,
                     max_tokens: int = MAX_TOKENS) -> sympy.Expr:
    """The SymPy expression for ``text``; raises ExpressionError for anything else.

    ``symbols`` are the caller's names, used as the very same objects.  Other names become
    ``Symbol(name, real=True)`` when ``allow_new_names`` is true and are refused otherwise.
    """
    return _read(text, symbols, allow_new_names, max_length, max_tokens, 1)[0]


def parse_function(text: str, **options) -> sympy.Expr:
    """A function the user typed (``--expr``, a lesson file's expression): read like
    :func:`parse_expression`, and refused when it has no value at all (it divides by zero,
    takes log 0 or tan(π/2)), since there would be nothing to differentiate."""
    expr = parse_expression(text, **options)
    if expr.has(sympy.S.ComplexInfinity, sympy.S.NaN, sympy.S.Infinity,
                sympy.S.NegativeInfinity):
        raise ExpressionError(_("the expression has no value: it divides by zero, or takes "
                                "log 0 or tan(π/2)"), text, None)
    return expr


def parse_equation(text: str, *, symbols: Mapping[str, sympy.Symbol] | None = None,
                   allow_new_names: bool = True, max_length: int = MAX_LENGTH,
                   max_tokens: int = MAX_TOKENS) -> tuple[sympy.Expr, sympy.Expr]:
    """The two sides of ``lhs = rhs`` (exactly one '=' outside any brackets)."""
    lhs, rhs = _read(text, symbols, allow_new_names, max_length, max_tokens, 2)
    return lhs, rhs


def parse_assignment(text: str, *, symbols: Mapping[str, sympy.Symbol] | None = None,
                     allow_new_names: bool = True, max_length: int = MAX_LENGTH,
                     max_tokens: int = MAX_TOKENS) -> tuple[str, sympy.Expr]:
    """``name = expression`` as the name and the expression.

    The name on the left is new by nature, so ``allow_new_names`` applies only to the right
    side.  It may not be a function name, a Python keyword or the constants ``e`` and ``pi``
    (unless those are among ``symbols``).
    """
    own = _prepare(text, symbols, max_length)

    def work():
        latex = any(ch in text for ch in "\\{}")
        tokens = Tokenizer(text, own, latex, max_tokens).run()
        parser = Parser(text, tokens, own, allow_new_names, latex)
        first = parser._peek()
        if first.kind != NAME:
            parser._fail(_("an assignment starts with a name, like 'L = (y - t)^2'"), first.pos)
        eq = parser._peek(1)
        if eq.kind != EQ:
            parser._fail(_("expected '=' after the name '{name}'").format(name=first.text), eq.pos)
        name = first.value
        if name not in own:
            if first.typed and keyword.iskeyword(name):
                parser._fail(_("'{name}' is a Python keyword, not a name")
                    .format(name=name), first.pos)
            if first.typed and name in KNOWN_FUNCTIONS:
                parser._fail(_("'{name}' is the name of a function").format(name=name), first.pos)
            if name in ("e", "pi"):
                parser._fail(_("'{name}' is a constant and cannot be given a value")
                    .format(name=name), first.pos)
        parser._advance()
        parser._advance()
        (node,) = parser.parse(1)
        return name, Builder(text).build(node)

    return _guarded(text, work)

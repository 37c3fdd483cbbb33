"""Reading the mathematics a learner types, safely.

The text never reaches ``eval``, ``exec``, ``sympify`` or any other path that turns a string
into code.  It goes through three stages written here:

1. a **tokenizer** that knows every character it accepts and refuses the rest by name;
2. a **recursive-descent parser** that builds a small tree of its own (:class:`_Node`);
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
import math
import re
import unicodedata
from fractions import Fraction
from typing import Callable, Mapping

import sympy

from tutor.errors import ExpressionError
from tutor.calculus.table import FUNCTIONS
from tutor.i18n import _

__all__ = [
    "KNOWN_FUNCTIONS",
    "parse_expression",
    "parse_equation",
    "parse_assignment",
]

# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------

MAX_LENGTH = 2000  # characters, unless the caller says otherwise
MAX_TOKENS = 1000
MAX_DEPTH = 100
MAX_NAME_LENGTH = 30
MAX_NUMBER_LENGTH = 30  # characters of one number literal
MAX_EXPONENT = 1000  # |exponent| of a constant power, and |e| in 1e…
MAX_POWER_DIGITS = 1000  # digits a power of numbers may produce
MAX_TOTAL_DIGITS = 5000  # digits any number in the expression may reach
_LOG10_2 = math.log10(2)

# ---------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------


def _log(x, base=None):
    """log(x) is the natural logarithm; log(x, b) is the logarithm to base b."""
    return sympy.log(x) if base is None else sympy.log(x, base)


#: An arity is an exact count, or ``(least, most)`` where ``most`` may be ``None``.
Arity = int | tuple[int, int | None]

#: Every function name a learner may call: name -> (builder, arity).  Aliases share builders.
KNOWN_FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], Arity]] = {
    **{name: (f.make or f.sympy, 1) for f in FUNCTIONS for name in f.typed},
    "log": (_log, (1, 2)),
    "sqrt": (sympy.sqrt, 1),
    "max": (sympy.Max, (2, None)),
    "min": (sympy.Min, (2, None)),
}

# The names listed when an unknown function is called (aliases left out to keep it short).
_SHOWN_FUNCTIONS = ", ".join(
    [f.name for f in FUNCTIONS if f.name not in ("sign", "heaviside")]
    + ["ln", "sqrt", "max", "min", "heaviside", "sign"])

# ---------------------------------------------------------------------------------------------
# Characters and LaTeX commands
# ---------------------------------------------------------------------------------------------

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

_NUMBER = re.compile(r"(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?")
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NAME_TAIL = re.compile(r"[A-Za-z0-9_]*")
_LATEX_RUN = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_LATEX_LETTERS = re.compile(r"[A-Za-z]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_BRACED_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi",
    "ρ": "rho", "ϱ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi",
    "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
    "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}
_GREEK_COMMANDS = {name: name for name in set(_GREEK.values())} | {
    "varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
}

_SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4",
    "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-",
}
_TIMES_SIGNS = frozenset("·⋅×")
_MATCHING = {"(": ")", "[": "]", "{": "}"}

_LATEX_SPACING = frozenset({",", ";", ":", "!", " ", "quad", "qquad"})
_LATEX_SIZES = frozenset({"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr"})
_LATEX_TIMES = frozenset({"cdot", "times", "ast"})
_LATEX_FRACS = frozenset({"frac", "dfrac", "tfrac"})
_LATEX_FUNCTIONS = {
    name: name
    for name in ("exp", "ln", "log", "sin", "cos", "tan", "sec", "csc", "cot", "arcsin",
                 "arccos", "arctan", "sinh", "cosh", "tanh", "max", "min")
}
_LATEX_NAMED = frozenset({"operatorname", "mathrm", "text", "textrm", "mathit"})

# Hints for characters that are refused.
_CHAR_HINTS = {
    "'": "quotes have no meaning in a formula",
    '"': "quotes have no meaning in a formula",
    "|": "write abs(x) for an absolute value",
    "!": "factorials are not supported",
    "√": "write sqrt(x)",
    "∞": "infinity is not a number you can use here",
}

# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------

# token kinds
_NUM, _NAME, _FUNC, _OP, _OPEN, _CLOSE, _COMMA, _EQ = "num name func op open close comma eq".split()
_SUP, _SUB, _FRAC, _SQRT, _END, _ERROR = "sup sub frac sqrt end error".split()

# tokens that can begin a factor (and so may follow another factor in an implicit product)
_FACTOR_START = frozenset({_NUM, _NAME, _FUNC, _OPEN, _FRAC, _SQRT})


class _Tok:
    """One token.  ``text`` is its source text, ``pos`` where that starts."""

    __slots__ = ("kind", "pos", "text", "value", "call_as", "typed")

    def __init__(self, kind, pos, text, value=None, call_as=None, typed=False):
        self.kind = kind
        self.pos = pos
        self.text = text
        #: number (Fraction), name, operator ('+', '-', '*', '/', '^'), bracket, function
        #: name, superscript exponent (int), or the ExpressionError of an _ERROR token
        self.value = value
        #: for a name: the function it calls when followed by '(' (σ → sigmoid), else None
        self.call_as = call_as
        #: for a name: typed as ASCII letters (so a Python keyword is refused)
        self.typed = typed

    def __repr__(self):  # pragma: no cover - debugging aid
        return f"_Tok({self.kind}, {self.pos}, {self.text!r}, {self.value!r})"


def _describe_char(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or not ch.isprintable():
        return f"control character U+{ord(ch):04X}"
    return f"character '{ch}'"


class _Tokenizer:
    """Splits the text into tokens.

    The tokenizer never raises: at the first problem it appends an ``_ERROR`` token holding
    the error and stops, so the parser reports problems in reading order (the unknown
    function in ``Symbol('x')`` before the quote after it).
    """

    def __init__(self, text: str, symbols: Mapping[str, sympy.Basic], latex: bool,
                 max_tokens: int):
        self.text = text
        self.symbols = symbols
        self.latex = latex
        self.max_tokens = max_tokens
        self.tokens: list[_Tok] = []
        self.i = 0

    def run(self) -> list[_Tok]:
        try:
            self._scan()
        except ExpressionError as err:
            pos = err.position if err.position is not None else 0
            self.tokens.append(_Tok(_ERROR, pos, "", err))
        else:
            self.tokens.append(_Tok(_END, len(self.text), "end"))
        return self.tokens

    # -- helpers ---------------------------------------------------------------------------

    def _fail(self, message: str, pos: int):
        raise ExpressionError(message, self.text, pos)

    def _emit(self, tok: _Tok) -> _Tok:
        if len(self.tokens) >= self.max_tokens:
            self._fail(_("expression too long: more than {limit} numbers, names and operators "
                         "(limit {limit})")
                .format(limit=self.max_tokens), tok.pos)
        self.tokens.append(tok)
        return tok

    def _skip_spaces(self, j: int) -> int:
        text = self.text
        while j < len(text) and _is_space(text[j]):
            j += 1
        return j

    # -- the main loop ---------------------------------------------------------------------

    def _scan(self):
        text = self.text
        n = len(text)
        while self.i < n:
            ch = text[self.i]
            start = self.i
            if _is_space(ch):
                self.i += 1
            elif ch in _DIGITS or (ch == "." and start + 1 < n and text[start + 1] in _DIGITS):
                self._number()
            elif ch in _LETTERS:
                if self.latex:
                    self._latex_letters()
                else:
                    self._plain_name()
            elif ch in _GREEK:
                self._greek()
            elif ch == "\\" and self.latex:
                self._command()
            elif ch == "_":
                if not self.latex:
                    self._fail(_("names cannot start with '_'"), start)
                self._emit(_Tok(_SUB, start, "_"))
                self.i += 1
            elif ch == "*":
                if start + 1 < n and text[start + 1] == "*":
                    self._emit(_Tok(_OP, start, "**", "^"))
                    self.i += 2
                else:
                    self._emit(_Tok(_OP, start, "*", "*"))
                    self.i += 1
            elif ch in "+-/^":
                self._emit(_Tok(_OP, start, ch, ch))
                self.i += 1
            elif ch == "\u2212":  # the minus sign −
                self._emit(_Tok(_OP, start, ch, "-"))
                self.i += 1
            elif ch in _TIMES_SIGNS:
                self._emit(_Tok(_OP, start, ch, "*"))
                self.i += 1
            elif ch == "÷":
                self._emit(_Tok(_OP, start, ch, "/"))
                self.i += 1
            elif ch in _SUPERSCRIPTS:
                self._superscript()
            elif ch in "([" or (self.latex and ch == "{"):
                self._emit(_Tok(_OPEN, start, ch, ch))
                self.i += 1
            elif ch in ")]" or (self.latex and ch == "}"):
                self._emit(_Tok(_CLOSE, start, ch, ch))
                self.i += 1
            elif ch == ",":
                self._emit(_Tok(_COMMA, start, ","))
                self.i += 1
            elif ch == "=":
                if start + 1 < n and text[start + 1] == "=":
                    self._fail(_("unexpected '==': write a single '=' for an equation"), start)
                self._emit(_Tok(_EQ, start, "="))
                self.i += 1
            else:
                hint = _CHAR_HINTS.get(ch)
                message = f"unexpected {_describe_char(ch)}"
                self._fail(f"{message}: {hint}" if hint else message, start)

    # -- numbers ---------------------------------------------------------------------------

    def _number(self):
        start = self.i
        m = _NUMBER.match(self.text, start)
        literal = m.group()
        if len(literal) > MAX_NUMBER_LENGTH:
            self._fail(_("number too long: {length} characters, limit {limit}")
                .format(length=len(literal), limit=MAX_NUMBER_LENGTH),
                       start)
        previous = self.tokens[-1] if self.tokens else None
        if (self.latex and len(literal) > 1 and previous is not None
                and (previous.kind == _SUB or (previous.kind == _OP and previous.value == "^"))):
            mark = "_" if previous.kind == _SUB else "^"
            self._fail(_("in LaTeX '{mark}' takes one character: write {mark}{{{literal}}}")
                .format(mark=mark, literal=literal), start)
        whole, frac, frac_only, exp_text = m.groups()
        if whole is None:
            whole, frac = "", frac_only
        frac = frac or ""
        exponent = int(exp_text) if exp_text else 0
        if abs(exponent) > MAX_EXPONENT:
            self._fail(_("exponent in the number {literal} too large: limit {limit}")
                .format(literal=literal, limit=MAX_EXPONENT), start)
        mantissa = int(whole + frac)
        scale = exponent - len(frac)
        value = Fraction(mantissa * 10**scale) if scale >= 0 else Fraction(mantissa, 10**-scale)
        digits = _digits(value)
        if digits > MAX_POWER_DIGITS:
            self._fail(_("number too large: {literal} has about {digits:.0f} digits, limit "
                         "{limit}")
                .format(literal=literal, digits=digits, limit=MAX_POWER_DIGITS), start)
        self._emit(_Tok(_NUM, start, literal, value))
        self.i = m.end()

    def _superscript(self):
        start = j = self.i
        text = self.text
        while j < len(text) and text[j] in _SUPERSCRIPTS:
            j += 1
        chars = "".join(_SUPERSCRIPTS[c] for c in text[start:j])
        negative = chars.startswith("-")
        digits = chars[1:] if negative else chars
        if not digits or "-" in digits:
            self._fail(_("a superscript needs digits, like x² or x⁻¹"), start)
        if len(digits) > MAX_NUMBER_LENGTH:
            self._fail(_("superscript too long: limit {limit} digits")
                .format(limit=MAX_NUMBER_LENGTH), start)
        value = -int(digits) if negative else int(digits)
        self._emit(_Tok(_SUP, start, text[start:j], value))
        self.i = j

    # -- names -----------------------------------------------------------------------------

    def _check_name(self, name: str, pos: int):
        if name.startswith("_"):
            self._fail(_("names cannot start with '_'"), pos)
        if "__" in name:
            self._fail(_("names cannot contain '__'"), pos)
        if len(name) > MAX_NAME_LENGTH and name not in self.symbols:
            self._fail(_("name too long: {length} characters, limit {limit}")
                .format(length=len(name), limit=MAX_NAME_LENGTH), pos)

    def _callers_spelling(self, name: str) -> str:
        """``w_1`` means the caller's ``w1`` when the caller has ``w1`` but no ``w_1``."""
        if name in self.symbols or name.count("_") != 1 or name.endswith("_"):
            return name
        joined = name.replace("_", "")
        return joined if joined in self.symbols else name

    def _plain_name(self):
        start = self.i
        m = _PLAIN_NAME.match(self.text, start)
        name = m.group()
        self._check_name(name, start)
        name = self._callers_spelling(name)
        call_as = name if name in KNOWN_FUNCTIONS else None
        self._emit(_Tok(_NAME, start, name, name, call_as=call_as, typed=True))
        self.i = m.end()

    def _greek(self):
        start = self.i
        ch = self.text[start]
        base = _GREEK[ch]
        if self.latex:
            tok = _Tok(_NAME, start, ch, base, call_as="sigmoid" if ch == "σ" else None)
            self.i = start + 1
            self._emit(self._subscript(tok))
            return
        # plain text: a Greek letter may be followed by the characters of a name (θ_0)
        tail = _NAME_TAIL.match(self.text, start + 1).group()
        name = base + tail
        self._check_name(name, start)
        name = self._callers_spelling(name)
        call_as = "sigmoid" if ch == "σ" and not tail else None
        self._emit(_Tok(_NAME, start, ch + tail, name, call_as=call_as))
        self.i = start + 1 + len(tail)

    def _latex_known(self, name: str) -> bool:
        return name in self.symbols or name in KNOWN_FUNCTIONS

    def _latex_letters(self):
        """A run of letters in LaTeX: one name if known, otherwise one name per letter."""
        start = self.i
        run = _LATEX_RUN.match(self.text, start).group()
        if self._latex_known(run):
            pieces = [run]
        else:
            letters = _LATEX_LETTERS.match(self.text, start).group()
            if len(letters) == 1 or self._latex_known(letters):
                pieces = [letters]
            else:
                if keyword.iskeyword(letters):
                    self._fail(f"'{letters}' is a Python keyword, not a name"
                               + (" (for the Greek letter write \\lambda)"
                                  if letters == "lambda" else ""), start)
                pieces = list(letters)
        pos = start
        for k, piece in enumerate(pieces):
            call_as = piece if piece in KNOWN_FUNCTIONS else None
            tok = _Tok(_NAME, pos, piece, piece, call_as=call_as, typed=True)
            pos += len(piece)
            self.i = pos
            if k == len(pieces) - 1 and call_as is None:
                tok = self._subscript(tok)
            self._emit(tok)

    def _subscript(self, tok: _Tok) -> _Tok:
        """Joins a LaTeX subscript to the name ``tok`` (``w_1``, ``w_{1}`` → w1 or w_1)."""
        text = self.text
        j = self._skip_spaces(self.i)
        if j >= len(text) or text[j] != "_":
            return tok
        k = self._skip_spaces(j + 1)
        if k < len(text) and text[k] == "{":
            close = text.find("}", k + 1)
            if close < 0:
                self._fail(_("the '{' of this subscript is never closed"), k)
            content = text[k + 1:close].strip()
            if not _ALNUM.fullmatch(content):
                self._fail(_("a subscript may contain only letters and digits"), k)
            end = close + 1
        elif k < len(text) and (text[k] in _LETTERS or text[k] in _DIGITS):
            content = text[k]
            end = k + 1
            if text[k] in _DIGITS and end < len(text) and text[end] in _DIGITS:
                run = re.match(r"[0-9]+", text[k:]).group()
                self._fail(_("in LaTeX '_' takes one character: write _{{{run}}}")
                    .format(run=run), k)
        else:
            self._fail(_("'_' must be followed by a subscript, like x_1 or x_{12}"), j)
        base = tok.value
        joined = base + content
        name = joined if joined in self.symbols else f"{base}_{content}"
        self._check_name(name, tok.pos)
        self.i = end
        return _Tok(_NAME, tok.pos, name, name, typed=tok.typed)

    # -- LaTeX commands --------------------------------------------------------------------

    def _command(self):
        text = self.text
        start = self.i
        j = start + 1
        if j >= len(text):
            self._fail(_("a backslash must be followed by a command name"), start)
        if text[j] in _LETTERS:
            name = _LATEX_LETTERS.match(text, j).group()
        else:
            name = text[j]
            if name != " " and (name.isspace() or not name.isprintable()):
                self._fail(_("a backslash must be followed by a command name"), start)
        end = j + len(name)
        self.i = end
        source = text[start:end]
        if name in _LATEX_SPACING:
            return
        if name in _LATEX_SIZES:
            k = self._skip_spaces(end)
            if k >= len(text) or text[k] not in "()[]":
                self._fail(_("{source} must be followed by a bracket: ( ) [ ]")
                    .format(source=source), start)
            return
        if name in _LATEX_TIMES:
            self._emit(_Tok(_OP, start, source, "*"))
        elif name == "div":
            self._emit(_Tok(_OP, start, source, "/"))
        elif name in _LATEX_FRACS:
            self._emit(_Tok(_FRAC, start, source))
        elif name == "sqrt":
            self._emit(_Tok(_SQRT, start, source))
        elif name in _LATEX_FUNCTIONS:
            self._emit(_Tok(_FUNC, start, source, _LATEX_FUNCTIONS[name]))
        elif name in _LATEX_NAMED:
            self._braced_name(name, start)
        elif name in _GREEK_COMMANDS:
            tok = _Tok(_NAME, start, source, _GREEK_COMMANDS[name],
                       call_as="sigmoid" if name == "sigma" else None)
            self._emit(self._subscript(tok))
        else:
            self._fail(_("unknown LaTeX command '{source}'").format(source=source), start)

    def _braced_name(self, command: str, start: int):
        """``\\operatorname{softplus}``, ``\\mathrm{e}``: a function or a name in braces."""
        text = self.text
        k = self._skip_spaces(self.i)
        close = text.find("}", k + 1) if k < len(text) and text[k] == "{" else -1
        if close < 0:
            self._fail(_("\\{command} must be followed by a name in braces, like "
                         "\\{command}{{softplus}}")
                .format(command=command), start)
        name = text[k + 1:close].strip()
        if not _BRACED_NAME.fullmatch(name):
            self._fail(_("\\{command}{{…}} must contain a name made of letters and digits")
                .format(command=command), k)
        self.i = close + 1
        source = f"\\{command}{{{name}}}"  # as shown in messages
        if name in KNOWN_FUNCTIONS:
            self._emit(_Tok(_FUNC, start, source, name))
        elif command == "operatorname":
            self._fail(_("unknown function '{name}' — known: {known}")
                .format(name=name, known=_SHOWN_FUNCTIONS), start)
        else:
            self._check_name(name, start)
            tok = _Tok(_NAME, start, source, name, typed=True)
            self._emit(self._subscript(tok))


def _is_space(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


# ---------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------


class _Node:
    """A node of the parse tree.

    kinds: ``num`` (value: Fraction), ``sym`` (value: a SymPy Symbol or constant), ``neg``,
    ``add``, ``mul`` (value: a tuple of flags, True for a divisor), ``pow`` (base, exponent),
    ``call`` (value: a key of KNOWN_FUNCTIONS).
    """

    __slots__ = ("kind", "pos", "args", "value")

    def __init__(self, kind, pos, args=(), value=None):
        self.kind = kind
        self.pos = pos
        self.args = args
        self.value = value


# ---------------------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list.

    Recursion happens only where the text nests (brackets, calls, \\frac, \\sqrt), and each
    such level is counted by :meth:`_enter` before the recursive call, together with runs of
    signs and chains of powers (which are parsed with loops).  At most about four Python
    frames are used per level, so the depth limit keeps far from Python's recursion limit.
    """

    def __init__(self, text, tokens, symbols, allow_new_names, latex, start=0, last=None):
        self.text = text
        self.tokens = tokens
        self.symbols = symbols
        self.allow_new_names = allow_new_names
        self.latex = latex
        self.k = start
        self.last: _Tok | None = last  # the token consumed most recently
        self.depth = 0

    # -- token access ----------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> _Tok:
        tok = self.tokens[min(self.k + ahead, len(self.tokens) - 1)]
        if tok.kind == _ERROR:
            raise tok.value
        return tok

    def _advance(self) -> _Tok:
        tok = self._peek()
        self.k += 1
        self.last = tok
        return tok

    def _fail(self, message: str, pos: int):
        raise ExpressionError(message, self.text, pos)

    def _enter(self, pos: int):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._fail(_("expression nested too deeply: more than {limit} levels")
                .format(limit=MAX_DEPTH), pos)

    def _leave(self, levels: int = 1):
        self.depth -= levels

    # -- top level -------------------------------------------------------------------------

    def parse(self, sides: int) -> list[_Node]:
        """One expression (``sides=1``) or the two sides of an equation (``sides=2``)."""
        result = [self._expression()]
        while True:
            tok = self._peek()
            if tok.kind == _END:
                break
            if tok.kind == _EQ:
                if sides == 1:
                    self._fail(_("'=' is not allowed in an expression"), tok.pos)
                if len(result) == sides:
                    self._fail(_("only one '=' is allowed in an equation"), tok.pos)
                self._advance()
                result.append(self._expression())
                continue
            self._fail_after_expression(tok)
        if len(result) < sides:
            self._fail(_("expected an equation with one '=', like 'y = 2*x'"), len(self.text))
        return result

    def _fail_after_expression(self, tok: _Tok):
        if tok.kind == _CLOSE:
            self._fail(_("'{token}' has no matching opening bracket")
                .format(token=tok.text), tok.pos)
        if tok.kind == _COMMA:
            self._fail(_("',' is only allowed between the arguments of a function"), tok.pos)
        if tok.kind == _SUB:
            self._fail(_("a subscript '_' must follow a name"), tok.pos)
        self._fail(_("unexpected '{token}'").format(token=tok.text), tok.pos)

    # -- sums, products, signs, powers -----------------------------------------------------

    def _expression(self) -> _Node:
        first = self._term()
        terms = [first]
        while True:
            tok = self._peek()
            if tok.kind != _OP or tok.value not in "+-":
                break
            self._advance()
            term = self._term()
            terms.append(_Node("neg", tok.pos, (term,)) if tok.value == "-" else term)
        return first if len(terms) == 1 else _Node("add", first.pos, tuple(terms))

    def _term(self) -> _Node:
        first = self._factor()
        factors, divisors = [first], [False]
        while True:
            tok = self._peek()
            if tok.kind == _OP and tok.value in "*/":
                self._advance()
                factors.append(self._factor())
                divisors.append(tok.value == "/")
            elif tok.kind in _FACTOR_START:
                self._check_implicit(tok)
                factors.append(self._factor())
                divisors.append(False)
            else:
                break
        if len(factors) == 1:
            return first
        return _Node("mul", first.pos, tuple(factors), tuple(divisors))

    def _check_implicit(self, nxt: _Tok):
        """Refuses two adjacent factors unless this pair may be read as a product."""
        last = self.last
        lk, nk = last.kind, nxt.kind
        a, b = last.text, nxt.text
        if self.latex:
            if lk == _NUM and nk == _NUM:
                self._fail(_("two numbers side by side: write {a}*{b}").format(a=a, b=b), nxt.pos)
            return
        if nk in (_NAME, _OPEN) and lk in (_NUM, _CLOSE, _SUP):
            return
        if lk == _NAME and nk == _NAME:
            self._fail(_("two names side by side: write {a}*{b}").format(a=a, b=b), nxt.pos)
        if nk == _NUM:
            if lk == _NUM:
                self._fail(_("two numbers side by side: write {a}*{b}").format(a=a, b=b), nxt.pos)
            if lk == _NAME:
                self._fail(_("a number right after a name: write {a}*{b}")
                    .format(a=a, b=b), nxt.pos)
            self._fail(_("a number right after '{a}': write {a}*{b}").format(a=a, b=b), nxt.pos)
        self._fail(_("missing operator between '{a}' and '{b}'").format(a=a, b=b), nxt.pos)

    def _signs(self) -> list[_Tok]:
        signs = []
        while True:
            tok = self._peek()
            if tok.kind != _OP or tok.value not in "+-":
                return signs
            self._advance()
            self._enter(tok.pos)
            signs.append(tok)

    @staticmethod
    def _apply_signs(signs: list[_Tok], node: _Node) -> _Node:
        minus = [s for s in signs if s.value == "-"]
        return _Node("neg", minus[0].pos, (node,)) if len(minus) % 2 else node

    def _factor(self) -> _Node:
        signs = self._signs()
        node = self._apply_signs(signs, self._power())
        self._leave(len(signs))
        return node

    def _power(self) -> _Node:
        """``a ^ b ^ c`` read with a loop and folded from the right."""
        base = self._postfix()
        tok = self._peek()
        if tok.kind != _OP or tok.value != "^":
            return base
        operands, signs_of = [base], []
        entered = 0
        while True:
            tok = self._peek()
            if tok.kind != _OP or tok.value != "^":
                break
            self._advance()
            self._enter(tok.pos)
            signs = self._signs()
            entered += 1 + len(signs)
            operands.append(self._postfix())
            signs_of.append(signs)
        node = operands[-1]
        for i in range(len(operands) - 1, 0, -1):
            node = self._apply_signs(signs_of[i - 1], node)
            node = _Node("pow", operands[i - 1].pos, (operands[i - 1], node))
        self._leave(entered)
        return node

    def _postfix(self) -> _Node:
        node = self._primary()
        while self._peek().kind == _SUP:
            tok = self._advance()
            exponent = _Node("num", tok.pos, (), Fraction(tok.value))
            node = _Node("pow", node.pos, (node, exponent))
        return node

    # -- atoms -----------------------------------------------------------------------------

    def _primary(self) -> _Node:
        tok = self._peek()
        kind = tok.kind
        if kind == _NUM:
            self._advance()
            return _Node("num", tok.pos, (), tok.value)
        if kind == _NAME:
            return self._name()
        if kind == _FUNC:
            self._advance()
            return self._call(tok, tok.value)
        if kind == _OPEN:
            return self._group()
        if kind == _FRAC:
            self._advance()
            self._enter(tok.pos)
            numerator = self._braced(tok, f"{tok.text}{{a}}{{b}}")
            denominator = self._braced(tok, f"{tok.text}{{a}}{{b}}")
            self._leave()
            return _Node("mul", tok.pos, (numerator, denominator), (False, True))
        if kind == _SQRT:
            self._advance()
            self._enter(tok.pos)
            index = None
            nxt = self._peek()
            if nxt.kind == _OPEN and nxt.value == "[":
                index = self._group()
            radicand = self._braced(tok, "\\sqrt{x}")
            self._leave()
            if index is None:
                return _Node("call", tok.pos, (radicand,), "sqrt")
            one = _Node("num", index.pos, (), Fraction(1))
            reciprocal = _Node("mul", index.pos, (one, index), (False, True))
            return _Node("pow", tok.pos, (radicand, reciprocal))
        self._fail_operand(tok)

    def _fail_operand(self, tok: _Tok):
        """Explains why ``tok`` cannot begin the factor the parser expects here."""
        last = self.last
        kind = tok.kind
        if kind == _END:
            if last is None:
                self._fail(_("empty expression"), 0)
            if last.kind == _OPEN:
                self._fail(_("'{previous}' is never closed").format(previous=last.text), last.pos)
            self._fail(_("the expression ends too early, after '{previous}'")
                .format(previous=last.text), tok.pos)
        if kind == _CLOSE:
            if last is not None and last.kind == _OPEN:
                self._fail(_("empty brackets"), last.pos)
            if last is None:
                self._fail(_("'{token}' has no matching opening bracket")
                    .format(token=tok.text), tok.pos)
            self._fail(_("something is missing between '{previous}' and '{token}'")
                .format(previous=last.text, token=tok.text), tok.pos)
        if kind == _COMMA:
            if last is not None and last.kind in (_OPEN, _COMMA):
                self._fail(_("empty argument"), tok.pos)
            self._fail(_("',' is only allowed between the arguments of a function"), tok.pos)
        if kind == _EQ:
            if last is None:
                self._fail(_("nothing before '='"), tok.pos)
            self._fail(_("'=' cannot follow '{previous}'").format(previous=last.text), tok.pos)
        if kind == _SUB:
            self._fail(_("a subscript '_' must follow a name"), tok.pos)
        if kind == _SUP:
            self._fail(_("superscript '{token}' must follow what it raises to a power")
                .format(token=tok.text), tok.pos)
        if last is None:
            self._fail(_("the expression cannot start with '{token}'")
                .format(token=tok.text), tok.pos)
        self._fail(_("'{token}' cannot follow '{previous}'")
            .format(token=tok.text, previous=last.text), tok.pos)

    def _name(self) -> _Node:
        tok = self._advance()
        name = tok.value
        own = name in self.symbols
        if tok.typed and not own and keyword.iskeyword(name):
            hint = " (for the Greek letter write λ)" if name == "lambda" else ""
            self._fail(_("'{name}' is a Python keyword, not a name{hint}")
                .format(name=name, hint=hint), tok.pos)
        nxt = self._peek()
        opens = nxt.kind == _OPEN
        if tok.call_as and opens and nxt.value == "(":
            return self._call(tok, tok.call_as)
        if tok.call_as and name in KNOWN_FUNCTIONS and not own:
            self._fail(_("'{token}' is a function: write {token}(…)")
                .format(token=tok.text), tok.pos)
        if opens and not self.latex:
            if tok.call_as:
                self._fail(_("write {token}( … ) with round brackets")
                    .format(token=tok.text), nxt.pos)
            if tok.typed and len(name) > 1 and not own and name != "pi":
                self._fail(_("unknown function '{name}' — known: {known}")
                    .format(name=name, known=_SHOWN_FUNCTIONS), tok.pos)
            close = _MATCHING[nxt.value]
            self._fail(_("'{token}' is not a function; write {token}*{following} … {close} for a "
                         "product")
                .format(token=tok.text, following=nxt.value, close=close), tok.pos)
        return _Node("sym", tok.pos, (), self._resolve(name, tok.pos))

    def _resolve(self, name: str, pos: int) -> sympy.Basic:
        if name in self.symbols:
            return self.symbols[name]
        if name == "e":
            return sympy.E
        if name == "pi":
            return sympy.pi
        if self.allow_new_names:
            return sympy.Symbol(name, real=True)
        known = sorted(self.symbols)
        if not known:
            self._fail(_("unknown name '{name}' — no names are defined here")
                .format(name=name), pos)
        shown = ", ".join(known[:20]) + (", …" if len(known) > 20 else "")
        self._fail(_("unknown name '{name}' — known names: {shown}")
            .format(name=name, shown=shown), pos)

    def _call(self, tok: _Tok, fname: str) -> _Node:
        """A call of a known function; ``tok`` (its name) has been consumed."""
        arity = KNOWN_FUNCTIONS[fname][1]
        shown = tok.text
        base = None
        if fname == "log" and self._peek().kind == _SUB:  # \log_{b}(x)
            sub = self._advance()
            self._enter(sub.pos)
            base = self._primary()
            self._leave()
        nxt = self._peek()
        if nxt.kind == _OPEN and (nxt.value == "(" or tok.kind == _FUNC):
            args = self._arguments()
        elif tok.kind == _FUNC and nxt.kind in _FACTOR_START and nxt.kind != _OPEN:
            # a LaTeX function with a bare argument: \ln x, \ln x^2
            self._enter(nxt.pos)
            args = [self._power()]
            self._leave()
            if self._peek().kind in _FACTOR_START:
                self._fail(_("put the argument of {shown} in brackets: {shown}( … )")
                    .format(shown=shown), tok.pos)
        else:
            self._fail(_("{shown} needs its argument in brackets, like {shown}(x)")
                .format(shown=shown), tok.pos)
        count = len(args)
        if base is not None:
            if count != 1:
                self._fail(_("{shown} with a base takes 1 argument, got {count}")
                    .format(shown=shown, count=count), tok.pos)
            args = [args[0], base]
        elif not _arity_ok(arity, count):
            self._fail(_("{shown} takes {arguments}, got {count}")
                .format(shown=shown, arguments=_arity_text(arity), count=count), tok.pos)
        return _Node("call", tok.pos, tuple(args), fname)

    def _arguments(self) -> list[_Node]:
        opening = self._advance()
        self._enter(opening.pos)
        args: list[_Node] = []
        if self._peek().kind != _CLOSE:
            while True:
                tok = self._peek()
                if tok.kind == _COMMA:
                    self._fail(_("empty argument"), tok.pos)
                if tok.kind == _CLOSE:
                    self._fail(_("empty argument after ','"), tok.pos)
                args.append(self._expression())
                if self._peek().kind != _COMMA:
                    break
                self._advance()
        self._close(opening)
        self._leave()
        return args

    def _group(self) -> _Node:
        opening = self._advance()
        self._enter(opening.pos)
        if self._peek().kind == _CLOSE:
            self._fail(_("empty brackets"), opening.pos)
        node = self._expression()
        self._close(opening)
        self._leave()
        node.pos = opening.pos  # problems with the group point at its bracket
        return node

    def _braced(self, command: _Tok, example: str) -> _Node:
        nxt = self._peek()
        if nxt.kind != _OPEN or nxt.value != "{":
            self._fail(_("{command} needs braces, like {example}")
                .format(command=command.text, example=example), nxt.pos)
        return self._group()

    def _close(self, opening: _Tok):
        tok = self._peek()
        want = _MATCHING[opening.value]
        if tok.kind == _CLOSE:
            if tok.value == want:
                self._advance()
                return
            self._fail(_("'{opening}' at column {column} is closed by '{token}'; expected "
                         "'{want}'")
                .format(opening=opening.text, column=opening.pos + 1, token=tok.text, want=want),
                        tok.pos)
        if tok.kind == _END:
            self._fail(_("'{opening}' is never closed").format(opening=opening.text), opening.pos)
        if tok.kind == _COMMA:
            self._fail(_("',' is only allowed between the arguments of a function"), tok.pos)
        if tok.kind == _EQ:
            self._fail(_("'=' is not allowed inside brackets"), tok.pos)
        self._fail_after_expression(tok)


def _arity_ok(arity: Arity, count: int) -> bool:
    if isinstance(arity, int):
        return count == arity
    least, most = arity
    return count >= least and (most is None or count <= most)


def _arity_text(arity: Arity) -> str:
    if isinstance(arity, int):
        return f"{arity} argument" + ("" if arity == 1 else "s")
    least, most = arity
    if most is None:
        return f"at least {least} arguments"
    return f"{least} or {most} arguments" if most == least + 1 else f"{least} to {most} arguments"


# ---------------------------------------------------------------------------------------------
# Sizes of numbers
# ---------------------------------------------------------------------------------------------
#
# SymPy evaluates as it builds: it multiplies out powers of numbers, cancels x/x, and decides
# questions such as "is this constant positive?" by computing it.  The builder therefore
# knows, before each SymPy object is made, bounds that hold even if symbols cancel (a symbol
# counts as a number of size 1):
#
# * P and Q: log10 of the largest numerator and denominator of any rational number SymPy could
#   form from the node (this keeps powers such as 999^999 from being computed);
# * mag and tiny: log10 of the largest |value| and of the largest 1/|value| (this keeps
#   exp(exp(exp(exp(2)))) and sin(e^(10^9)) from being evaluated);
# * depth: how deeply functions and powers of non-rational constants nest (SymPy's numeric
#   checks on nested constants such as log(log(log(…(2)))) grow steeply with depth);
# * power: log10 of the exponent SymPy may form by merging (x^a)^b into x^(ab).
#
# Exact rational constants are also carried as Fractions, computed only after their size
# bound has been checked.  The numeric limits apply where SymPy would actually see numbers:
# the builder looks at the SymPy arguments already built, so 2*x/x counts as the number 2.

_LOG10_E = math.log10(math.e)
MAX_MAGNITUDE = 10_000  # log10 of the largest |value| (or 1/|value|) of a constant
MAX_TRIG_ARGUMENT = 1000  # log10 of the largest constant argument of sin, cos, …
MAX_CONSTANT_NESTING = 4  # functions/powers of non-rational constants inside each other
MAX_CONSTANT_OPERATIONS = 40  # functions/powers of non-rational constants in all
MAX_MINMAX_ARGUMENTS = 12  # arguments of max and min in all (SymPy compares them pairwise)

_GROWING = {"exp": "exp", "cosh": "cosh", "sinh": "sinh", "sigmoid": "sigmoid",
            "sig": "sigmoid", "logistic": "sigmoid", "σ": "sigmoid", "softplus": "softplus",
            "tanh": "tanh"}
_TRIG = frozenset({"sin", "cos", "tan", "sec", "csc", "cot"})
_INVERSE = frozenset({"asin", "arcsin", "acos", "arccos", "atan", "arctan",
                      "asinh", "acosh", "atanh"})
_SAME_SIZE = frozenset({"abs", "relu", "ReLU", "max", "min"})
_UNIT = frozenset({"sign", "heaviside"})


def _log10(n: int) -> float:
    """log10(|n|) (an upper bound for huge n); 0 for 0 and ±1."""
    n = abs(n)
    if n <= 1:
        return 0.0
    bits = n.bit_length()
    return math.log10(n) if bits < 1000 else bits * _LOG10_2


def _size(value: Fraction) -> tuple[float, float]:
    return _log10(value.numerator), _log10(value.denominator)


def _digits(value: Fraction) -> float:
    p, q = _size(value)
    return p + q


def _pow10(p: float) -> float:
    return math.inf if p > 300 else 10.0**p


def _show_number(value: Fraction) -> str:
    """A number for a message, short even when the number is huge."""
    p, q = _size(value)
    if p < 20 and q < 20:
        return str(value)
    return f"of about 10^{p - q:.0f}"


def _show_digits(d: float) -> str:
    return f"about {d + 1:.0f} digits" if math.isfinite(d) else "an astronomical number of digits"


def _show_power_of_ten(m: float) -> str:
    return f"about 10^{m:.0f}" if math.isfinite(m) and m < 1e15 else "an astronomical size"


class _Info:
    """What the builder knows about a node (see the comment above)."""

    __slots__ = ("value", "p", "q", "mag", "tiny", "depth", "power")

    def __init__(self, value=None, p=0.0, q=0.0, mag=0.0, tiny=0.0, depth=0, power=0.0):
        self.value: Fraction | None = value
        self.p = p
        self.q = q
        self.mag = mag
        self.tiny = tiny
        self.depth = depth
        #: log10 of the exponent SymPy may make by merging powers of powers, (x^a)^b = x^(ab)
        self.power = power


# ---------------------------------------------------------------------------------------------
# Building SymPy objects
# ---------------------------------------------------------------------------------------------


def _postorder(root: _Node) -> list[_Node]:
    """The nodes of the tree, children before parents, without recursion."""
    order: list[_Node] = []
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


class _Builder:
    """Checks each node of a tree and makes its SymPy object, children first."""

    def __init__(self, text: str):
        self.text = text
        self.constant_operations = 0
        self.minmax_arguments = 0
        self._numeric: dict[sympy.Basic, bool] = {}

    def _fail(self, message: str, pos: int):
        raise ExpressionError(message, self.text, pos)

    def build(self, root: _Node) -> sympy.Expr:
        done: dict[int, tuple[sympy.Basic, _Info]] = {}
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
    def _exact(info: _Info, expr: sympy.Basic) -> Fraction | None:
        """The node's exact rational value: computed here, or seen in SymPy's result."""
        if info.value is not None:
            return info.value
        if isinstance(expr, sympy.Rational):
            return Fraction(int(expr.p), int(expr.q))
        return None

    # -- the checks --------------------------------------------------------------------------

    def _check(self, node: _Node, kids: list[_Info], exprs: list[sympy.Basic]) -> _Info:
        kind = node.kind
        if kind == "num":
            p, q = _size(node.value)
            info = _Info(node.value, p, q, p, q)
        elif kind == "sym":
            size = 0.5 if self._is_number(node.value) else 0.0  # e and π, not symbols
            info = _Info(None, 0.0, 0.0, size, 0.0)
        elif kind == "neg":
            (k,) = kids
            value = -k.value if k.value is not None else None
            info = _Info(value, k.p, k.q, k.mag, k.tiny, k.depth, k.power)
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
            info.p, info.q = _size(info.value)
            info.mag, info.tiny = info.p - info.q, info.q - info.p
            info.mag, info.tiny = max(info.mag, 0.0), max(info.tiny, 0.0)
        return info

    def _check_total(self, p: float, q: float, pos: int):
        if p + q > MAX_TOTAL_DIGITS:
            self._fail(_("numbers too large: {digits}, limit {limit}")
                .format(digits=_show_digits(p + q), limit=MAX_TOTAL_DIGITS), pos)

    def _check_add(self, node: _Node, kids: list[_Info]) -> _Info:
        q = sum(k.q for k in kids)
        p = max(k.p + q - k.q for k in kids) + math.log10(len(kids))
        self._check_total(p, q, node.pos)
        value = None
        if all(k.value is not None for k in kids):
            value = sum((k.value for k in kids), Fraction(0))
        mag = max(k.mag for k in kids) + math.log10(len(kids))
        # a sum may cancel to something small; how small is bounded by the digits involved
        tiny = max(k.tiny for k in kids) + p + q + 1
        return _Info(value, p, q, mag, tiny, max(k.depth for k in kids))

    def _check_mul(self, node: _Node, kids: list[_Info]) -> _Info:
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
        return _Info(value, p, q, mag, tiny, max(k.depth for k in kids),
                     max(k.power for k in kids))

    def _check_power(self, node: _Node, kids: list[_Info], exprs: list[sympy.Basic]) -> _Info:
        base, exponent = kids
        base_expr, exp_expr = exprs
        exp_node = node.args[1]
        c = self._exact(exponent, exp_expr)
        b = self._exact(base, base_expr)
        if c is not None:
            # an exact rational exponent: the rule of the project, |c| <= 1000
            if abs(c) > MAX_EXPONENT:
                self._fail(_("exponent {exponent} too large: limit {limit}")
                    .format(exponent=_show_number(c), limit=MAX_EXPONENT),
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
            bound = _pow10(exponent.mag)
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
                .format(digits=_show_digits(p + q), limit=MAX_POWER_DIGITS), node.pos)
        if c is not None:
            power = base.power + (math.log10(abs(c)) if c else 0.0)
        else:
            power = base.power + exponent.mag
        if base.power > 0 and power > math.log10(MAX_EXPONENT) + 1e-9:
            self._fail(_("exponent too large: a power of a power multiplies the exponents, "
                         "reaching {size}, limit {limit}")
                .format(size=_show_power_of_ten(power), limit=MAX_EXPONENT), node.pos)
        value = None
        if b is not None and c is not None and c.denominator == 1:
            value = b ** int(c)
        depth = max(base.depth, exponent.depth)
        if value is None and self._is_number(base_expr) and self._is_number(exp_expr):
            depth = self._constant_operation(depth, node.pos)
            self._check_magnitude(mag, tiny, node.pos)
        return _Info(value, p, q, mag, tiny, depth, max(power, 0.0))

    def _check_call(self, node: _Node, kids: list[_Info], exprs: list[sympy.Basic]) -> _Info:
        name = node.value
        if name in ("max", "min"):
            self.minmax_arguments += len(kids)
            if self.minmax_arguments > MAX_MINMAX_ARGUMENTS:
                self._fail(_("too many arguments of max and min: more than {limit} in all")
                    .format(limit=MAX_MINMAX_ARGUMENTS), node.pos)
        m = sum(max(k.p, k.q) for k in kids)
        mag, tiny = self._call_size(name, kids)
        depth = max(k.depth for k in kids)
        numeric = all(self._is_number(e) for e in exprs)
        if numeric:
            if name in _TRIG and max(k.mag for k in kids) > MAX_TRIG_ARGUMENT:
                self._fail(_("the argument of {name} is too large: it may reach {value}")
                    .format(name=name, value=_show_power_of_ten(max((k.mag for k in kids)))),
                            node.pos)
            if not all(isinstance(e, sympy.Rational) for e in exprs):
                depth = self._constant_operation(depth, node.pos)
            self._check_magnitude(mag, tiny, node.pos)
        return _Info(None, m, m, mag, tiny, depth)

    @staticmethod
    def _call_size(name: str, kids: list[_Info]) -> tuple[float, float]:
        """Bounds (mag, tiny) for a function of arguments with the given bounds."""
        a = max(k.mag for k in kids)
        t = max(k.tiny for k in kids)
        family = _GROWING.get(name)
        if family is not None:
            grown = _pow10(a) * _LOG10_E  # log10 of e^|argument|
            return {"exp": (grown, grown), "cosh": (grown, 0.0), "sinh": (grown, t),
                    "sigmoid": (0.0, grown), "softplus": (a + 1, grown),
                    "tanh": (0.0, t + 1)}[family]
        if name in ("log", "ln"):
            sizes = []
            for k in kids:
                near_one = k.tiny + k.mag + k.p + k.q + 1  # log(1 + small) is small
                sizes.append((math.log10(max(k.mag, k.tiny) * 2.31 + 1) + 0.5, near_one))
            if len(sizes) == 2:  # log(x, b) = log(x) / log(b)
                (m1, t1), (m2, t2) = sizes
                return m1 + t2, t1 + m2
            return sizes[0]
        if name == "sqrt":
            return a / 2, t / 2
        if name in _SAME_SIZE:
            return a, t
        if name in _UNIT:
            return 0.0, 0.0
        if name in _TRIG:
            near_zero = a + t + 1
            return (0.0, near_zero) if name in ("sin", "cos") else (near_zero, near_zero)
        if name in _INVERSE:
            return math.log10(max(a, t) * 2.31 + 2) + 1, t + 1
        return sum(k.mag for k in kids), sum(k.tiny for k in kids)

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
                .format(size=_show_power_of_ten(mag), limit=MAX_MAGNITUDE), pos)
        if tiny > MAX_MAGNITUDE:
            self._fail(_("number too close to zero: it may be as small as 1/({size}), limit "
                         "10^-{limit}")
                .format(size=_show_power_of_ten(tiny), limit=MAX_MAGNITUDE), pos)

    # -- making the objects ------------------------------------------------------------------

    @staticmethod
    def _make(node: _Node, args: list[sympy.Basic]) -> sympy.Basic:
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
            return sympy.Pow(args[0], args[1])
        return KNOWN_FUNCTIONS[node.value][0](*args)


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
    if all(_is_space(ch) for ch in text):
        raise ExpressionError(_("empty expression"), text, 0)
    return own


def _guarded(text: str, work):
    """Runs ``work()``, turning anything unexpected into an ExpressionError."""
    try:
        return work()
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
        tokens = _Tokenizer(text, own, latex, max_tokens).run()
        parser = _Parser(text, tokens, own, allow_new_names, latex)
        builder = _Builder(text)
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
        tokens = _Tokenizer(text, own, latex, max_tokens).run()
        parser = _Parser(text, tokens, own, allow_new_names, latex)
        first = parser._peek()
        if first.kind != _NAME:
            parser._fail(_("an assignment starts with a name, like 'L = (y - t)^2'"), first.pos)
        eq = parser._peek(1)
        if eq.kind != _EQ:
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
        return name, _Builder(text).build(node)

    return _guarded(text, work)

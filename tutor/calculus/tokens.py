"""The parser's first stage and its limits: every character it accepts becomes a token, the
rest is refused by name (a number literal already by its size, see
:mod:`tutor.calculus.sizes`).  See :mod:`tutor.calculus.parser` for the language read."""

from __future__ import annotations

import keyword
import re
import unicodedata
from fractions import Fraction
from typing import Callable, Mapping

import sympy

from tutor.errors import ExpressionError
from tutor.calculus.sizes import digits as number_digits
from tutor.calculus.table import FUNCTIONS
from tutor.i18n import _


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
SHOWN_FUNCTIONS = ", ".join(
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
#: how a variable named after a Greek letter is written for people (kappa → κ), the first
#: letter of each name above; σ and π are left out: σ(…) reads as the sigmoid, π as the number
GREEK_LETTERS = {name: letter for letter, name in reversed(_GREEK.items())
                 if name not in ("sigma", "Sigma", "pi", "Pi")}
_GREEK_COMMANDS = {name: name for name in set(_GREEK.values())} | {
    "varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
}

_SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4",
    "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-",
}
_TIMES_SIGNS = frozenset("·⋅×")
_SUBSCRIPT_DIGITS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6",
                     "₇": "7", "₈": "8", "₉": "9"}
_COMPARISONS = {"≥": ">=", "≤": "<=", ">": ">", "<": "<"}
MATCHING = {"(": ")", "[": "]", "{": "}"}

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
NUM, NAME, FUNC, OP, OPEN, CLOSE, COMMA, EQ = "num name func op open close comma eq".split()
SUP, SUB, FRAC, SQRT, END, ERROR = "sup sub frac sqrt end error".split()
#: a comparison, allowed only inside an Iverson bracket [z > 0]
CMP = "cmp"

# tokens that can begin a factor (and so may follow another factor in an implicit product)
FACTOR_START = frozenset({NUM, NAME, FUNC, OPEN, FRAC, SQRT})


class Tok:
    """One token.  ``text`` is its source text, ``pos`` where that starts."""

    __slots__ = ("kind", "pos", "text", "value", "call_as", "typed")

    def __init__(self, kind, pos, text, value=None, call_as=None, typed=False):
        self.kind = kind
        self.pos = pos
        self.text = text
        #: number (Fraction), name, operator ('+', '-', '*', '/', '^'), bracket, function
        #: name, superscript exponent (int), or the ExpressionError of an ERROR token
        self.value = value
        #: for a name: the function it calls when followed by '(' (σ → sigmoid), else None
        self.call_as = call_as
        #: for a name: typed as ASCII letters (so a Python keyword is refused)
        self.typed = typed

    def __repr__(self):  # pragma: no cover - debugging aid
        return f"Tok({self.kind}, {self.pos}, {self.text!r}, {self.value!r})"


def _describe_char(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or not ch.isprintable():
        return f"control character U+{ord(ch):04X}"
    return f"character '{ch}'"


class Tokenizer:
    """Splits the text into tokens.

    The tokenizer never raises: at the first problem it appends an ``ERROR`` token holding
    the error and stops, so the parser reports problems in reading order (the unknown
    function in ``Symbol('x')`` before the quote after it).
    """

    def __init__(self, text: str, symbols: Mapping[str, sympy.Basic], latex: bool,
                 max_tokens: int):
        self.text = text
        self.symbols = symbols
        self.latex = latex
        self.max_tokens = max_tokens
        self.tokens: list[Tok] = []
        self.i = 0

    def run(self) -> list[Tok]:
        try:
            self._scan()
        except ExpressionError as err:
            pos = err.position if err.position is not None else 0
            self.tokens.append(Tok(ERROR, pos, "", err))
        else:
            self.tokens.append(Tok(END, len(self.text), "end"))
        return self.tokens

    # -- helpers ---------------------------------------------------------------------------

    def _fail(self, message: str, pos: int):
        raise ExpressionError(message, self.text, pos)

    def _emit(self, tok: Tok) -> Tok:
        if len(self.tokens) >= self.max_tokens:
            self._fail(_("expression too long: more than {limit} numbers, names and operators "
                         "(limit {limit})")
                .format(limit=self.max_tokens), tok.pos)
        self.tokens.append(tok)
        return tok

    def _skip_spaces(self, j: int) -> int:
        text = self.text
        while j < len(text) and is_space(text[j]):
            j += 1
        return j

    # -- the main loop ---------------------------------------------------------------------

    def _scan(self):
        text = self.text
        n = len(text)
        while self.i < n:
            ch = text[self.i]
            start = self.i
            if is_space(ch):
                self.i += 1
            elif ch in _DIGITS or (ch == "." and start + 1 < n and text[start + 1] in _DIGITS):
                self._number()
            elif _is_hatted(ch):
                self._hatted()
            elif ch in _COMPARISONS:
                self._comparison()
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
                self._emit(Tok(SUB, start, "_"))
                self.i += 1
            elif ch == "*":
                if start + 1 < n and text[start + 1] == "*":
                    self._emit(Tok(OP, start, "**", "^"))
                    self.i += 2
                else:
                    self._emit(Tok(OP, start, "*", "*"))
                    self.i += 1
            elif ch in "+-/^":
                self._emit(Tok(OP, start, ch, ch))
                self.i += 1
            elif ch == "\u2212":  # the minus sign −
                self._emit(Tok(OP, start, ch, "-"))
                self.i += 1
            elif ch in _TIMES_SIGNS:
                self._emit(Tok(OP, start, ch, "*"))
                self.i += 1
            elif ch == "÷":
                self._emit(Tok(OP, start, ch, "/"))
                self.i += 1
            elif ch in _SUPERSCRIPTS:
                self._superscript()
            elif ch in "([" or (self.latex and ch == "{"):
                self._emit(Tok(OPEN, start, ch, ch))
                self.i += 1
            elif ch in ")]" or (self.latex and ch == "}"):
                self._emit(Tok(CLOSE, start, ch, ch))
                self.i += 1
            elif ch == ",":
                self._emit(Tok(COMMA, start, ","))
                self.i += 1
            elif ch == "=":
                if start + 1 < n and text[start + 1] == "=":
                    self._fail(_("unexpected '==': write a single '=' for an equation"), start)
                self._emit(Tok(EQ, start, "="))
                self.i += 1
            else:
                hint = _CHAR_HINTS.get(ch)
                message = f"unexpected {_describe_char(ch)}"
                self._fail(f"{message}: {hint}" if hint else message, start)

    def _comparison(self):
        """``>``, ``≥``, ``>=``, ``<``, ``≤``, ``<=``: only inside an Iverson bracket [z > 0]."""
        text, start = self.text, self.i
        ch = text[start]
        if ch in "<>" and start + 1 < len(text) and text[start + 1] == "=":
            value, self.i = ch + "=", start + 2
        else:
            value, self.i = _COMPARISONS.get(ch, ch), start + 1
        self._emit(Tok(CMP, start, text[start:self.i], value))

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
                and (previous.kind == SUB or (previous.kind == OP and previous.value == "^"))):
            mark = "_" if previous.kind == SUB else "^"
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
        digits = number_digits(value)
        if digits > MAX_POWER_DIGITS:
            self._fail(_("number too large: {literal} has about {digits:.0f} digits, limit "
                         "{limit}")
                .format(literal=literal, digits=digits, limit=MAX_POWER_DIGITS), start)
        self._emit(Tok(NUM, start, literal, value))
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
        self._emit(Tok(SUP, start, text[start:j], value))
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
        name, end = self._marks(m.group(), m.end())
        self._check_name(name, start)
        name = self._callers_spelling(name)
        call_as = name if name in KNOWN_FUNCTIONS else None
        self._emit(Tok(NAME, start, self.text[start:end], name, call_as=call_as, typed=True))
        self.i = end

    def _marks(self, name: str, end: int) -> tuple[str, int]:
        """The marks the tutor prints after a name, read back: a hat (ŷ, y + U+0302 → yhat)
        and subscript digits (x₁ → x1)."""
        text = self.text
        if len(name) == 1 and end < len(text) and text[end] == "\u0302":
            name, end = name + "hat", end + 1
        digits = ""
        while end < len(text) and text[end] in _SUBSCRIPT_DIGITS:
            digits += _SUBSCRIPT_DIGITS[text[end]]
            end += 1
        return name + digits, end

    def _hatted(self):
        """A letter with a hat written as one character (ŷ): the name ``yhat``."""
        start = self.i
        base = unicodedata.normalize("NFD", self.text[start])[0]
        name, end = self._marks(base + "hat", start + 1)
        self._check_name(name, start)
        self._emit(Tok(NAME, start, self.text[start:end], self._callers_spelling(name),
                       typed=True))
        self.i = end

    def _greek(self):
        start = self.i
        ch = self.text[start]
        base = _GREEK[ch]
        if self.latex:
            tok = Tok(NAME, start, ch, base, call_as="sigmoid" if ch == "σ" else None)
            self.i = start + 1
            self._emit(self._subscript(tok))
            return
        # plain text: a Greek letter may be followed by the characters of a name (θ_0)
        tail = _NAME_TAIL.match(self.text, start + 1).group()
        name = base + tail
        self._check_name(name, start)
        name = self._callers_spelling(name)
        call_as = "sigmoid" if ch == "σ" and not tail else None
        self._emit(Tok(NAME, start, ch + tail, name, call_as=call_as))
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
            tok = Tok(NAME, pos, piece, piece, call_as=call_as, typed=True)
            pos += len(piece)
            self.i = pos
            if k == len(pieces) - 1 and call_as is None:
                tok = self._subscript(tok)
            self._emit(tok)

    def _subscript(self, tok: Tok) -> Tok:
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
        return Tok(NAME, tok.pos, name, name, typed=tok.typed)

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
            if text.startswith(("\\lvert", "\\rvert"), k):  # \left\lvert z \right\rvert
                return
            if k >= len(text) or text[k] not in "()[]":
                self._fail(_("{source} must be followed by a bracket: ( ) [ ]")
                    .format(source=source), start)
            return
        if name in _LATEX_TIMES:
            self._emit(Tok(OP, start, source, "*"))
        elif name == "div":
            self._emit(Tok(OP, start, source, "/"))
        elif name in _LATEX_FRACS:
            self._emit(Tok(FRAC, start, source))
        elif name == "sqrt":
            self._emit(Tok(SQRT, start, source))
        elif name == "lvert":  # |z| as the tutor prints it: \lvert z \rvert is abs(z)
            self._emit(Tok(FUNC, start, source, "abs"))
            self._emit(Tok(OPEN, start, source, "("))
        elif name == "rvert":
            self._emit(Tok(CLOSE, start, source, ")"))
        elif name == "hat":
            self._hat_command(start)
        elif name in ("geq", "ge", "leq", "le", "gt", "lt"):
            value = {"geq": ">=", "ge": ">=", "leq": "<=", "le": "<=", "gt": ">", "lt": "<"}[name]
            self._emit(Tok(CMP, start, source, value))
        elif name in _LATEX_FUNCTIONS:
            self._emit(Tok(FUNC, start, source, _LATEX_FUNCTIONS[name]))
        elif name in _LATEX_NAMED:
            self._braced_name(name, start)
        elif name in _GREEK_COMMANDS:
            tok = Tok(NAME, start, source, _GREEK_COMMANDS[name],
                       call_as="sigmoid" if name == "sigma" else None)
            self._emit(self._subscript(tok))
        else:
            self._fail(_("unknown LaTeX command '{source}'").format(source=source), start)

    def _hat_command(self, start: int):
        """``\\hat{y}`` (or ``\\hat y``): the name ``yhat``, as the tutor prints ŷ."""
        text = self.text
        k = self._skip_spaces(self.i)
        if k + 2 < len(text) and text[k] == "{" and text[k + 1] in _LETTERS and text[k + 2] == "}":
            letter, end = text[k + 1], k + 3
        elif k < len(text) and text[k] in _LETTERS:
            letter, end = text[k], k + 1
        else:
            self._fail(_("\\hat takes one letter, like \\hat{y}"), start)
        self.i = end
        name = letter + "hat"
        self._check_name(name, start)
        self._emit(self._subscript(Tok(NAME, start, text[start:end], name, typed=True)))

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
            self._emit(Tok(FUNC, start, source, name))
        elif command == "operatorname":
            self._fail(_("unknown function '{name}' — known: {known}")
                .format(name=name, known=SHOWN_FUNCTIONS), start)
        else:
            self._check_name(name, start)
            tok = Tok(NAME, start, source, name, typed=True)
            self._emit(self._subscript(tok))


def _is_hatted(ch: str) -> bool:
    decomposed = unicodedata.normalize("NFD", ch)
    return len(decomposed) == 2 and decomposed[0] in _LETTERS and decomposed[1] == "\u0302"


def is_space(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"

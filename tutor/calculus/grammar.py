"""The parser's second stage: a recursive-descent parser of the tokens into a small tree of
its own (:class:`ParseNode`).  See :mod:`tutor.calculus.parser` for the grammar."""

from __future__ import annotations

import keyword
from fractions import Fraction

import sympy

from tutor.errors import ExpressionError
from tutor.i18n import _
from tutor.calculus.tokens import (Arity, CLOSE, CMP, COMMA, END, EQ, ERROR, FACTOR_START, FRAC, FUNC,
                                   KNOWN_FUNCTIONS, MATCHING, MAX_DEPTH, NAME, NUM, OP, OPEN,
                                   SHOWN_FUNCTIONS, SQRT, SUB, SUP, Tok)


# ---------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------


class ParseNode:
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


class Parser:
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
        self.last: Tok | None = last  # the token consumed most recently
        self.depth = 0

    # -- token access ----------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> Tok:
        tok = self.tokens[min(self.k + ahead, len(self.tokens) - 1)]
        if tok.kind == ERROR:
            raise tok.value
        return tok

    def _advance(self) -> Tok:
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

    def parse(self, sides: int) -> list[ParseNode]:
        """One expression (``sides=1``) or the two sides of an equation (``sides=2``)."""
        result = [self._expression()]
        while True:
            tok = self._peek()
            if tok.kind == END:
                break
            if tok.kind == EQ:
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

    def _fail_after_expression(self, tok: Tok):
        if tok.kind == CLOSE:
            self._fail(_("'{token}' has no matching opening bracket")
                .format(token=tok.text), tok.pos)
        if tok.kind == COMMA:
            self._fail(_("',' is only allowed between the arguments of a function"), tok.pos)
        if tok.kind == SUB:
            self._fail(_("a subscript '_' must follow a name"), tok.pos)
        self._fail(_("unexpected '{token}'").format(token=tok.text), tok.pos)

    # -- sums, products, signs, powers -----------------------------------------------------

    def _expression(self) -> ParseNode:
        first = self._term()
        terms = [first]
        while True:
            tok = self._peek()
            if tok.kind != OP or tok.value not in "+-":
                break
            self._advance()
            term = self._term()
            terms.append(ParseNode("neg", tok.pos, (term,)) if tok.value == "-" else term)
        return first if len(terms) == 1 else ParseNode("add", first.pos, tuple(terms))

    def _term(self) -> ParseNode:
        first = self._factor()
        factors, divisors = [first], [False]
        while True:
            tok = self._peek()
            if tok.kind == OP and tok.value in "*/":
                self._advance()
                factors.append(self._factor())
                divisors.append(tok.value == "/")
            elif tok.kind in FACTOR_START:
                self._check_implicit(tok)
                factors.append(self._factor())
                divisors.append(False)
            else:
                break
        if len(factors) == 1:
            return first
        return ParseNode("mul", first.pos, tuple(factors), tuple(divisors))

    def _check_implicit(self, nxt: Tok):
        """Refuses two adjacent factors unless this pair may be read as a product."""
        last = self.last
        lk, nk = last.kind, nxt.kind
        a, b = last.text, nxt.text
        if self.latex:
            if lk == NUM and nk == NUM:
                self._fail(_("two numbers side by side: write {a}*{b}").format(a=a, b=b), nxt.pos)
            return
        if nk in (NAME, OPEN) and lk in (NUM, CLOSE, SUP):
            return
        if lk == NAME and nk == NAME:
            self._fail(_("two names side by side: write {a}*{b}").format(a=a, b=b), nxt.pos)
        if nk == NUM:
            if lk == NUM:
                self._fail(_("two numbers side by side: write {a}*{b}").format(a=a, b=b), nxt.pos)
            if lk == NAME:
                self._fail(_("a number right after a name: write {a}*{b}")
                    .format(a=a, b=b), nxt.pos)
            self._fail(_("a number right after '{a}': write {a}*{b}").format(a=a, b=b), nxt.pos)
        self._fail(_("missing operator between '{a}' and '{b}'").format(a=a, b=b), nxt.pos)

    def _signs(self) -> list[Tok]:
        signs = []
        while True:
            tok = self._peek()
            if tok.kind != OP or tok.value not in "+-":
                return signs
            self._advance()
            self._enter(tok.pos)
            signs.append(tok)

    @staticmethod
    def _apply_signs(signs: list[Tok], node: ParseNode) -> ParseNode:
        minus = [s for s in signs if s.value == "-"]
        return ParseNode("neg", minus[0].pos, (node,)) if len(minus) % 2 else node

    def _factor(self) -> ParseNode:
        signs = self._signs()
        node = self._apply_signs(signs, self._power())
        self._leave(len(signs))
        return node

    def _power(self) -> ParseNode:
        """``a ^ b ^ c`` read with a loop and folded from the right."""
        base = self._postfix()
        tok = self._peek()
        if tok.kind != OP or tok.value != "^":
            return base
        operands, signs_of = [base], []
        entered = 0
        while True:
            tok = self._peek()
            if tok.kind != OP or tok.value != "^":
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
            node = ParseNode("pow", operands[i - 1].pos, (operands[i - 1], node))
        self._leave(entered)
        return node

    def _postfix(self) -> ParseNode:
        node = self._primary()
        while self._peek().kind == SUP:
            tok = self._advance()
            exponent = ParseNode("num", tok.pos, (), Fraction(tok.value))
            node = ParseNode("pow", node.pos, (node, exponent))
        return node

    # -- atoms -----------------------------------------------------------------------------

    def _primary(self) -> ParseNode:
        tok = self._peek()
        kind = tok.kind
        if kind == NUM:
            self._advance()
            return ParseNode("num", tok.pos, (), tok.value)
        if kind == NAME:
            return self._name()
        if kind == FUNC:
            self._advance()
            return self._call(tok, tok.value)
        if kind == OPEN:
            return self._group()
        if kind == FRAC:
            self._advance()
            self._enter(tok.pos)
            numerator = self._braced(tok, f"{tok.text}{{a}}{{b}}")
            denominator = self._braced(tok, f"{tok.text}{{a}}{{b}}")
            self._leave()
            return ParseNode("mul", tok.pos, (numerator, denominator), (False, True))
        if kind == SQRT:
            self._advance()
            self._enter(tok.pos)
            index = None
            nxt = self._peek()
            if nxt.kind == OPEN and nxt.value == "[":
                index = self._group()
            radicand = self._braced(tok, "\\sqrt{x}")
            self._leave()
            if index is None:
                return ParseNode("call", tok.pos, (radicand,), "sqrt")
            one = ParseNode("num", index.pos, (), Fraction(1))
            reciprocal = ParseNode("mul", index.pos, (one, index), (False, True))
            return ParseNode("pow", tok.pos, (radicand, reciprocal))
        self._fail_operand(tok)

    def _fail_operand(self, tok: Tok):
        """Explains why ``tok`` cannot begin the factor the parser expects here."""
        last = self.last
        kind = tok.kind
        if kind == END:
            if last is None:
                self._fail(_("empty expression"), 0)
            if last.kind == OPEN:
                self._fail(_("'{previous}' is never closed").format(previous=last.text), last.pos)
            self._fail(_("the expression ends too early, after '{previous}'")
                .format(previous=last.text), tok.pos)
        if kind == CLOSE:
            if last is not None and last.kind == OPEN:
                self._fail(_("empty brackets"), last.pos)
            if last is None:
                self._fail(_("'{token}' has no matching opening bracket")
                    .format(token=tok.text), tok.pos)
            self._fail(_("something is missing between '{previous}' and '{token}'")
                .format(previous=last.text, token=tok.text), tok.pos)
        if kind == COMMA:
            if last is not None and last.kind in (OPEN, COMMA):
                self._fail(_("empty argument"), tok.pos)
            self._fail(_("',' is only allowed between the arguments of a function"), tok.pos)
        if kind == EQ:
            if last is None:
                self._fail(_("nothing before '='"), tok.pos)
            self._fail(_("'=' cannot follow '{previous}'").format(previous=last.text), tok.pos)
        if kind == CMP:
            self._fail(_("a comparison is written in square brackets, like [z > 0] "
                         "(1 where it holds, 0 elsewhere)"), tok.pos)
        if kind == SUB:
            self._fail(_("a subscript '_' must follow a name"), tok.pos)
        if kind == SUP:
            self._fail(_("superscript '{token}' must follow what it raises to a power")
                .format(token=tok.text), tok.pos)
        if last is None:
            self._fail(_("the expression cannot start with '{token}'")
                .format(token=tok.text), tok.pos)
        self._fail(_("'{token}' cannot follow '{previous}'")
            .format(token=tok.text, previous=last.text), tok.pos)

    def _name(self) -> ParseNode:
        tok = self._advance()
        name = tok.value
        own = name in self.symbols
        if tok.typed and not own and keyword.iskeyword(name):
            hint = " (for the Greek letter write λ)" if name == "lambda" else ""
            self._fail(_("'{name}' is a Python keyword, not a name{hint}")
                .format(name=name, hint=hint), tok.pos)
        nxt = self._peek()
        opens = nxt.kind == OPEN
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
                    .format(name=name, known=SHOWN_FUNCTIONS), tok.pos)
            close = MATCHING[nxt.value]
            self._fail(_("'{token}' is not a function; write {token}*{following} … {close} for a "
                         "product")
                .format(token=tok.text, following=nxt.value, close=close), tok.pos)
        return ParseNode("sym", tok.pos, (), self._resolve(name, tok.pos))

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

    def _call(self, tok: Tok, fname: str) -> ParseNode:
        """A call of a known function; ``tok`` (its name) has been consumed."""
        arity = KNOWN_FUNCTIONS[fname][1]
        shown = tok.text
        base = None
        if fname == "log" and self._peek().kind == SUB:  # \log_{b}(x)
            sub = self._advance()
            self._enter(sub.pos)
            base = self._primary()
            self._leave()
        power = None
        if tok.kind == FUNC and self._peek().kind == OP and self._peek().value == "^":
            # \tanh^2(z), \tanh^{2}{\left(z\right)}: the power of the function's value, as
            # LaTeX writes it (and as the tutor prints it)
            hat = self._advance()
            self._enter(hat.pos)
            power = self._postfix()
            self._leave()
            if power.kind != "num" or power.value <= 0:
                self._fail(_("{shown}^… takes a positive number as its power, like {shown}^2(x) "
                             "(write the inverse function by its name, like \\arcsin)")
                           .format(shown=shown), hat.pos)
        nxt = self._peek()
        if nxt.kind == OPEN and (nxt.value == "(" or tok.kind == FUNC):
            args = self._arguments()
        elif tok.kind == FUNC and nxt.kind in FACTOR_START and nxt.kind != OPEN:
            # a LaTeX function with a bare argument: \ln x, \ln x^2
            self._enter(nxt.pos)
            args = [self._power()]
            self._leave()
            if self._peek().kind in FACTOR_START:
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
        call = ParseNode("call", tok.pos, tuple(args), fname)
        return call if power is None else ParseNode("pow", tok.pos, (call, power))

    def _arguments(self) -> list[ParseNode]:
        opening = self._advance()
        self._enter(opening.pos)
        args: list[ParseNode] = []
        if self._peek().kind != CLOSE:
            while True:
                tok = self._peek()
                if tok.kind == COMMA:
                    self._fail(_("empty argument"), tok.pos)
                if tok.kind == CLOSE:
                    self._fail(_("empty argument after ','"), tok.pos)
                args.append(self._expression())
                if self._peek().kind != COMMA:
                    break
                self._advance()
        self._close(opening)
        self._leave()
        return args

    def _group(self) -> ParseNode:
        opening = self._advance()
        self._enter(opening.pos)
        if self._peek().kind == CLOSE:
            self._fail(_("empty brackets"), opening.pos)
        node = self._expression()
        if self._peek().kind == CMP:
            if opening.value != "[":
                self._fail(_("a comparison is written in square brackets, like [z > 0] "
                             "(1 where it holds, 0 elsewhere)"), self._peek().pos)
            node = self._iverson(node)
        self._close(opening)
        self._leave()
        node.pos = opening.pos  # problems with the group point at its bracket
        return node

    def _iverson(self, left: ParseNode) -> ParseNode:
        """[a > b] is the step H(a − b) with the value 0 at a = b (as the tutor prints the
        derivative of ReLU); [a ≥ b] = 1 − [b > a] takes 1 there; < and ≤ likewise."""
        cmp = self._advance()
        right = self._expression()
        pos = cmp.pos
        if cmp.value in ("<", "<="):
            left, right = right, left

        def step(a, b):
            difference = ParseNode("add", pos, (a, ParseNode("neg", pos, (b,))))
            return ParseNode("call", pos, (difference,), "heaviside")

        if cmp.value in (">", "<"):
            return step(left, right)
        one = ParseNode("num", pos, (), Fraction(1))
        return ParseNode("add", pos, (one, ParseNode("neg", pos, (step(right, left),))))

    def _braced(self, command: Tok, example: str) -> ParseNode:
        nxt = self._peek()
        if nxt.kind != OPEN or nxt.value != "{":
            self._fail(_("{command} needs braces, like {example}")
                .format(command=command.text, example=example), nxt.pos)
        return self._group()

    def _close(self, opening: Tok):
        tok = self._peek()
        want = MATCHING[opening.value]
        if tok.kind == CLOSE:
            if tok.value == want:
                self._advance()
                return
            self._fail(_("'{opening}' at column {column} is closed by '{token}'; expected "
                         "'{want}'")
                .format(opening=opening.text, column=opening.pos + 1, token=tok.text, want=want),
                        tok.pos)
        if tok.kind == END:
            self._fail(_("'{opening}' is never closed").format(opening=opening.text), opening.pos)
        if tok.kind == COMMA:
            self._fail(_("',' is only allowed between the arguments of a function"), tok.pos)
        if tok.kind == EQ:
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

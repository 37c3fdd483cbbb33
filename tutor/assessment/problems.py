"""The data of a worksheet: problems, sheets and a run of sheets, with the limits of a request.

A problem is plain data: the kinds of problem (:mod:`tutor.assessment.kinds`) make them, the
renderers lay them out, the key and the grader read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from tutor.calculus.derivation import Named
from tutor.calculus.steps import Derivation, Step
from tutor.errors import TutorError
from tutor.i18n import _, current_language

#: list punctuation of the languages that do not use the Latin ", " and "; "
_PUNCTUATION = {"zh": {", ": "，", "; ": "；"}}


def punctuation(mark: str) -> str:
    """``mark`` (", " or "; ") as the current language writes it between items."""
    return _PUNCTUATION.get(current_language(), {}).get(mark, mark)


MAX_PROBLEMS = 40


MAX_VARIANTS = 500


MAX_LESSONS = 20


#: largest computation graph offered as a backward-pass problem (nodes, variables included)
MAX_GRAPH_NODES = 12


#: number of decimals a student is asked for; the tolerance follows from it
DECIMALS = 3


class WorksheetError(TutorError):
    """A worksheet request that cannot be met (bad count, unknown lesson, …)."""


@dataclass(frozen=True)
class NumberAnswer:
    """One number in an answer: a label (``w₁`` or ``v3``), its value and the tolerance."""

    label: sympy.Expr
    value: sympy.Expr  # exact (Rational) or a Float
    tolerance: float

    @property
    def exact(self) -> bool:
        return self.value.is_Rational

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Node:
    """One node of a computation graph: ``symbol = expression`` (over earlier nodes)."""

    symbol: sympy.Symbol
    expression: sympy.Expr | None  # None for a variable
    value: sympy.Expr
    adjoint: sympy.Expr


@dataclass(frozen=True)
class Problem:
    number: int
    kind: str
    lesson: str
    lesson_title: str
    #: the function the problem is about, as shown (named sub-expressions kept)
    function: sympy.Expr
    #: how the function is called on the sheet, e.g. "σ", "L", "s1"
    function_name: str
    #: the variables of the function (shown, and allowed in a typed answer)
    variables: tuple[sympy.Symbol, ...]
    wrt: tuple[sympy.Symbol, ...]
    #: numbers given in the problem: (symbol, value) in the order shown
    given: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    #: parameters a gradient step does not train, with their values (the same on every row)
    fixed: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    #: a batch for gradient descent: one tuple of values per sample, columns = batch_symbols
    batch_symbols: tuple[sympy.Symbol, ...] = ()
    batch: tuple[tuple[sympy.Expr, ...], ...] = ()
    learning_rate: sympy.Expr | None = None
    #: "expression", "numbers" or "step"
    answer_type: str = "expression"
    #: the expected expression, written with the function's variables only (for checking)
    expected: sympy.Expr | None = None
    #: the expected expression as a textbook shows it (σ(z), s₁ …), for people
    expected_shown: sympy.Expr | None = None
    numbers: tuple[NumberAnswer, ...] = ()
    #: the wrong step's number (mistake problems)
    wrong_step: int = 0
    #: the steps shown in a mistake problem (one of them wrong) and the correct one
    shown_steps: tuple[tuple[int, Step], ...] = ()
    correct_step: Step | None = None
    mistake: str = ""
    #: the step whose sub-derivation a mistake problem shows, when not the whole derivation
    #: (a long one does not fit half a page)
    part: Step | None = None
    derivation: Derivation | None = None
    nodes: tuple[Node, ...] = ()
    #: named sub-expressions (symbol → definition) the function or answer may use
    named: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    #: LaTeX for the named symbols (σ(2z + 1) → \sigma(2 z + 1))
    names_latex: tuple[tuple[sympy.Symbol, str], ...] = ()
    #: how named symbols are displayed as function applications (σ(2z + 1)), for MathML
    display: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    #: definitions of the named symbols the function uses (a = σ(z), z = w·x + b)
    where: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    #: worked lines for numeric problems: (parameter, its derivative, its batch mean)
    working: tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr], ...] = ()
    #: equations the lesson assumes (Σ yᵢ = 1), stated on the sheet
    assumptions: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    #: the function's name in LaTeX (\sigma, \hat{y}, s_{1})
    function_latex_: str = ""
    #: the lesson's title in each language its file has: (language, title)
    lesson_titles: tuple[tuple[str, str], ...] = ()
    #: the common mistakes of a derive problem, for a quiz system that marks symbolically
    #: (a :class:`tutor.assessment.slips.CommonMistakes`, made only when asked for)
    common_mistakes: object | None = None
    #: a matrix problem's expression, shapes and answer (a ``matrix_gradient`` MatrixItem)
    matrix: object | None = None

    def __post_init__(self):
        if not self.where and self.named:
            named = [Named(s, d) for s, d in self.named]
            object.__setattr__(self, "where", definitions(self.function, named))

    @property
    def title(self) -> str:
        """The kind of problem, in the current language."""
        from tutor.assessment.kinds import KINDS

        return _(KINDS[self.kind].title)

    @property
    def shown_lesson_title(self) -> str:
        """The lesson's title in the current language (English where the lesson has none)."""
        titles = dict(self.lesson_titles)
        return titles.get(current_language()) or titles.get("en") or self.lesson_title

    @property
    def explanation(self) -> str:
        """What is wrong in the planted mistake, in the current language."""
        return _(self.mistake) if self.mistake else ""

    @property
    def names(self) -> dict:
        return dict(self.names_latex)

    @property
    def function_latex(self) -> str:
        return self.function_latex_ or self.function_name


@dataclass(frozen=True)
class Sheet:
    id: str
    variant: int
    seed: int
    lessons: tuple[str, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Worksheets:
    seed: int
    lessons: tuple[str, ...]
    problems: int
    sheets: tuple[Sheet, ...] = field(default_factory=tuple)


def shown_form(expr: sympy.Expr, named) -> sympy.Expr:
    """The function as a textbook writes it: named sub-expressions folded back in (but not
    the function itself: softmax's s₁ is shown as its definition)."""
    for n in sorted(named, key=lambda n: -sympy.count_ops(n.definition)):
        if n.definition != expr:
            expr = expr.subs(n.definition, n.symbol)
    return expr


def definitions(shown: sympy.Expr, named) -> tuple:
    """Definitions of the named symbols a shown expression uses (and those they use)."""
    out, todo, seen = [], [shown], set()
    by_symbol = {n.symbol: n for n in named}
    while todo:
        e = todo.pop(0)
        for sym in sorted(e.free_symbols & set(by_symbol) - seen, key=lambda s: s.name):
            seen.add(sym)
            definition = shown_form(by_symbol[sym].definition,
                                [n for n in named if n.symbol != sym])
            out.append((sym, definition))
            todo.append(definition)
    return tuple(out)

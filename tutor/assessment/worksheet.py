"""Worksheets: randomised problems drawn from lessons, with their answers and worked steps.

A worksheet is plain data.  :func:`make_worksheets` builds ``variants`` sheets of ``problems``
problems each; every sheet has the same kinds of problem in the same places (so sheets can be
compared and marked side by side) with its own numbers.  The numbers come from a generator
seeded by the seed, the variant and the slot, so the same seed gives the same sheets.

Kinds of problem:

``derive``    a partial derivative, symbolically (a single-input lesson is composed with a
              random inner line a·z + c, so each variant has its own function);
``evaluate``  the value of a partial derivative at given numbers;
``gd_step``   one step of gradient descent by hand (lessons with parameters and a target);
``backward``  a backward pass through the function's computation graph: the adjoint
              ∂f/∂v of every node v, given the forward values;
``mistake``   a derivation with exactly one wrong step, to be found.

Every expected answer is computed here, with exact arithmetic where the numbers allow it;
renderers only lay the problems out.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import random
from dataclasses import dataclass, field
from typing import Sequence

import sympy

from tutor.calculus.derivation import Named, derive, expand_named
from tutor.errors import TutorError
from tutor.i18n import N_, _, current_language
from tutor.explaining.lesson import Lesson, load_lesson
from tutor.calculus.steps import Derivation, Step
from tutor.calculus.verify import differ_at

KINDS = ("derive", "evaluate", "gd_step", "backward", "mistake")
KIND_TITLES = {
    "derive": N_("Derive"),
    "evaluate": N_("Evaluate a gradient"),
    "gd_step": N_("One step of gradient descent"),
    "backward": N_("Backward pass"),
    "mistake": N_("Spot the mistake"),
}
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


# -- data ----------------------------------------------------------------------------------
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

    def __post_init__(self):
        if not self.where and self.named:
            named = [Named(s, d) for s, d in self.named]
            object.__setattr__(self, "where", _where(self.function, named))

    @property
    def title(self) -> str:
        """The kind of problem, in the current language."""
        return _(KIND_TITLES[self.kind])

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


# -- entry point ---------------------------------------------------------------------------
def check_counts(problems: int, variants: int) -> None:
    if not 1 <= problems <= MAX_PROBLEMS:
        raise WorksheetError(_("the number of problems must be from 1 to {most}, not {n}")
                             .format(most=MAX_PROBLEMS, n=problems))
    if not 1 <= variants <= MAX_VARIANTS:
        raise WorksheetError(_("the number of variants must be from 1 to {most}, not {n}")
                             .format(most=MAX_VARIANTS, n=variants))


def variant_id(seed: int, variant: int) -> str:
    return f"s{seed}-v{variant:02d}"


def make_worksheets(lessons: Sequence[str | Lesson], *, problems: int = 6, variants: int = 1,
                    seed: int = 0, kinds: Sequence[str] | None = None) -> Worksheets:
    """``variants`` sheets of ``problems`` problems drawn from ``lessons`` (names or Lessons)."""
    check_counts(problems, variants)
    if not lessons:
        raise WorksheetError(_("name at least one lesson ('tutor list' shows them)"))
    if len(lessons) > MAX_LESSONS:
        raise WorksheetError(_("at most {n} lessons on one sheet").format(n=MAX_LESSONS))
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise WorksheetError(_("the seed must be a whole number from 0 to 2^63 − 1"))
    loaded = [load_lesson(x) if isinstance(x, str) else x for x in lessons]
    names = [l.name for l in loaded]
    if len(set(names)) != len(names):
        raise WorksheetError(_("a lesson is named twice"))
    wanted = tuple(kinds) if kinds else KINDS
    for k in wanted:
        if k not in KINDS:
            raise WorksheetError(_("unknown kind of problem '{kind}'; the kinds are {kinds}")
                                 .format(kind=k, kinds=", ".join(KINDS)))
    plan = _plan(loaded, problems, wanted)
    titles = {l.name: tuple(sorted((lang, fields["title"]) for lang, fields in l.narrative.items()
                                   if fields.get("title")))
              for l in loaded}
    sheets = []
    for v in range(1, variants + 1):
        items = []
        for slot, (lesson, kind) in enumerate(plan, start=1):
            rng = random.Random(f"{seed}:{v}:{slot}:{lesson.name}:{kind}")
            items.append(dataclasses.replace(_MAKERS[kind](lesson, rng, slot),
                                             lesson_titles=titles[lesson.name]))
        sheets.append(Sheet(variant_id(seed, v), v, seed, tuple(names), tuple(items)))
    return Worksheets(seed, tuple(names), problems, tuple(sheets))


def kinds_for(lesson: Lesson) -> list[str]:
    """The kinds of problem a lesson offers."""
    out = ["derive", "evaluate"]
    if _gd_parameters(lesson):
        out.append("gd_step")
    if not lesson.is_vector and _graph_size(_variant_function(lesson, None)[0]) <= MAX_GRAPH_NODES:
        out.append("backward")
    out.append("mistake")
    return out


def _plan(lessons: list[Lesson], n: int, wanted) -> list[tuple[Lesson, str]]:
    """Which lesson and kind goes in each slot: lessons in turn, each slot taking the kind used
    least so far on the sheet among those its lesson offers (so a short sheet mixes kinds)."""
    offered = [[k for k in kinds_for(l) if k in wanted] for l in lessons]
    if not any(offered):
        raise WorksheetError(_("none of these lessons offers the kinds of problem asked for"))
    plan = []
    used = {k: 0 for k in KINDS}
    k = 0
    while len(plan) < n:
        i = k % len(lessons)
        k += 1
        if not offered[i]:
            continue
        kind = min(offered[i], key=lambda kind: (used[kind], KINDS.index(kind)))
        used[kind] += 1
        plan.append((lessons[i], kind))
    return plan


# -- shared pieces -------------------------------------------------------------------------
def _single_input(lesson: Lesson) -> sympy.Symbol | None:
    """The one input of a lesson differentiated by a single input variable (σ, tanh, ReLU …)."""
    if lesson.is_vector or len(lesson.wrt) != 1:
        return None
    z = lesson.wrt[0]
    return z if lesson.roles.get(z.name) == "input" else None


_INNER = [(a, c) for a in (-3, -2, 2, 3) for c in (-2, -1, 0, 1, 2)]


def _variant_function(lesson: Lesson, rng: random.Random | None, output: int = 0):
    """The function for one problem, its named sub-expressions, and how to display them.

    A single-input lesson f(z) becomes f(a·z + c) with a random line (rng None: a = 2, c = 1)."""
    z = _single_input(lesson)
    if z is None:
        a, c = 1, 0
    else:
        a, c = (2, 1) if rng is None else rng.choice(_INNER)
    key = (lesson.source, lesson.name, output, a, c)
    if key not in _COMPOSED:
        _COMPOSED[key] = _composed(lesson, output, z, a, c)
    return _COMPOSED[key]


_COMPOSED: dict = {}


def _composed(lesson: Lesson, output: int, z, a: int, c: int):
    f = lesson.outputs[output]
    subs = {} if z is None else {z: a * z + c}
    named, display = [], []
    for n in lesson.named:
        m = re.fullmatch(r"([^()]+)\(([A-Za-z]\w*)\)", n.symbol.name)
        if m and m.group(2) in lesson.symbols:
            arg = lesson.symbols[m.group(2)].xreplace(subs)
            shown = sympy.Symbol(f"{m.group(1)}({sympy.sstr(arg)})")
            latex = (n.latex.replace(f"({m.group(2)})", "(" + sympy.latex(arg) + ")")
                     if n.latex else "")
            display.append((shown, sympy.Function(m.group(1))(arg)))
        else:
            shown, latex = n.symbol, n.latex
        named.append(Named(shown, n.definition.xreplace(subs), latex))
    return f.xreplace(subs), tuple(named), tuple(display)


@functools.lru_cache(maxsize=4096)
def _derivation(function: sympy.Expr, wrt: sympy.Symbol, named: tuple, assumptions: tuple,
                name: str) -> Derivation:
    return derive(function, wrt, named=named, assumptions=assumptions, name=name)


def _lesson_derivation(lesson: Lesson, function, wrt, named, name) -> Derivation:
    """Derivations repeat across variants (the same function, another number): derived once."""
    assumptions = tuple(tuple(a) for a in lesson.assumptions)
    return _derivation(function, wrt, tuple(named), assumptions, name)


@functools.lru_cache(maxsize=8192)
def _diff(f: sympy.Expr, s: sympy.Symbol) -> sympy.Expr:
    """sympy.diff, remembered: variants share their functions and differ in numbers."""
    return sympy.diff(f, s)


def _names_latex(named) -> tuple:
    return tuple((n.symbol, _sub(n.latex)) for n in named if n.latex)


def _sub(latex: str) -> str:
    """s1 → s_{1} (a family member named by the lesson)."""
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", latex)
    return f"{m.group(1)}_{{{m.group(2)}}}" if m else latex


def _function_name(lesson: Lesson, output: int) -> str:
    """The function's name on the sheet: the lesson's (σ, ℓ, s2), or f for a one-input
    lesson composed with a line, which is no longer the lesson's own function."""
    return "f" if _single_input(lesson) is not None else lesson.output_names[output]


def _function_latex(lesson: Lesson, output: int) -> str:
    if _single_input(lesson) is not None:
        return "f"
    base = lesson.function_latex
    return f"{base}_{{{output + 1}}}" if lesson.is_vector else base


def _shown(expr: sympy.Expr, named) -> sympy.Expr:
    """The function as a textbook writes it: named sub-expressions folded back in (but not
    the function itself: softmax's s₁ is shown as its definition)."""
    for n in sorted(named, key=lambda n: -sympy.count_ops(n.definition)):
        if n.definition != expr:
            expr = expr.subs(n.definition, n.symbol)
    return expr


def _where(shown: sympy.Expr, named) -> tuple:
    """Definitions of the named symbols a shown expression uses (and those they use)."""
    out, todo, seen = [], [shown], set()
    by_symbol = {n.symbol: n for n in named}
    while todo:
        e = todo.pop(0)
        for sym in sorted(e.free_symbols & set(by_symbol) - seen, key=lambda s: s.name):
            seen.add(sym)
            definition = _shown(by_symbol[sym].definition,
                                [n for n in named if n.symbol != sym])
            out.append((sym, definition))
            todo.append(definition)
    return tuple(out)


def _pick_output(lesson: Lesson, rng) -> int:
    return rng.randrange(len(lesson.outputs)) if lesson.is_vector else 0


def _variables(f: sympy.Expr) -> tuple[sympy.Symbol, ...]:
    return tuple(sorted(f.free_symbols, key=lambda s: (s.name.rstrip("0123456789"), len(s.name), s.name)))


def _nice(value: sympy.Expr) -> sympy.Expr:
    """An exact value if it is a decimal of at most 6 places, otherwise a 15-digit float."""
    value = sympy.sympify(value)
    if value.is_Rational and _decimals(value) <= 6:
        return value
    return sympy.Float(value.evalf(20), 15)


def _num(value: sympy.Expr) -> sympy.Expr:
    """An exact number stays exact; anything else becomes a 25-digit float at once, so that
    sums and products of it stay cheap."""
    if value.is_Rational:
        return value
    return sympy.Float(value.evalf(25), 25)


def _tolerance(value: sympy.Expr) -> float:
    if value.is_Rational and _decimals(value) <= DECIMALS:
        return 1e-9 * max(1.0, abs(float(value)))
    return 10 ** -DECIMALS * max(1.0, abs(float(value)))


def _decimals(value: sympy.Rational) -> int:
    """Decimal places of a rational number (99 when it has no finite decimal form)."""
    q = int(value.q)
    twos = fives = 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    return max(twos, fives) if q == 1 else 99


def _one_hot_targets(lesson: Lesson) -> list[str]:
    """Target families the lesson assumes sum to 1 (one-hot labels for cross-entropy)."""
    out = []
    for lhs, rhs in lesson.assumptions:
        names = {s.name for s in lhs.free_symbols}
        for base, members in lesson.families.items():
            if set(members) == names and rhs == 1 and lesson.roles.get(members[0]) == "target":
                out.append(base)
    return out


def _probability_targets(lesson: Lesson) -> bool:
    """Targets are labels 0/1 when the loss takes a log or a sigmoid."""
    return any(o.has(sympy.log) or any(f.func.__name__ == "sigmoid" for f in o.atoms(sympy.Function))
               for o in lesson.outputs)


def _point_values(lesson: Lesson, variables, rng, low=-3, high=3):
    """Small integers (and some halves for inputs) for every variable; targets that are
    labels get 0 or 1, and a one-hot family gets exactly one 1."""
    point = {}
    labels = _probability_targets(lesson)
    for s in variables:
        role = lesson.roles.get(s.name, "input")
        if role == "target" and labels:
            v = sympy.Integer(rng.randint(0, 1))
        else:
            v = sympy.Integer(rng.randint(low, high))
            if role == "input" and rng.random() < 0.3:
                v = v + sympy.Rational(1, 2) * rng.choice((-1, 1))
        point[s] = v
    for base in _one_hot_targets(lesson):
        members = lesson.families[base]
        hot = rng.randrange(len(members))
        for k, m in enumerate(members):
            sym = lesson.symbols[m]
            if sym in point:
                point[sym] = sympy.Integer(1 if k == hot else 0)
    return point


def _finite(value) -> bool:
    try:
        f = complex(value)
    except (TypeError, ValueError):
        return False
    return f.imag == 0 and abs(f.real) < 1e6 and f.real == f.real


def _clean_point(lesson, f, exprs, rng, attempts=60, limit=1e6, **kw):
    """A point where ``exprs`` are all defined, away from kinks, with moderate values, and
    (while the attempts last) not all zero."""
    variables = _variables(f)
    kinks = [a.args[0] for a in f.atoms(sympy.Function)
             if a.func.__name__ in ("relu", "Abs", "Max", "Min", "Heaviside")]
    for attempt in range(attempts):
        point = _point_values(lesson, variables, rng, **kw)
        if any(k.xreplace(point) == 0 for k in kinks):
            continue
        values = [e.xreplace(point) for e in exprs]
        numbers = [v.evalf(20) for v in values]
        if not all(_finite(v) and abs(float(v)) <= limit for v in numbers):
            continue
        # small values (a saturated σ) make a poor exercise: 0.000 would pass at 3 decimals
        if attempt < attempts - 10 and all(abs(float(v)) < 0.02 for v in numbers):
            continue
        return point, values
    raise WorksheetError(_("lesson '{lesson}': no clean numbers found for a problem").format(lesson=lesson.name))


# -- the kinds -----------------------------------------------------------------------------
def _make_derive(lesson: Lesson, rng: random.Random, number: int) -> Problem:
    out = _pick_output(lesson, rng)
    f, named, display = _variant_function(lesson, rng, out)
    wrt = rng.choice(lesson.wrt)
    name = _function_name(lesson, out)
    d = _lesson_derivation(lesson, f, wrt, named, name)
    return Problem(number, "derive", lesson.name, lesson.title, _shown(f, named), name,
                   _variables(f), (wrt,), answer_type="expression",
                   expected=expand_named(d.result, named), expected_shown=d.result,
                   derivation=d, named=tuple((n.symbol, n.definition) for n in named),
                   function_latex_=_function_latex(lesson, out),
                   assumptions=tuple(tuple(a) for a in lesson.assumptions),
                   names_latex=_names_latex(named), display=display)


def _make_evaluate(lesson: Lesson, rng: random.Random, number: int) -> Problem:
    out = _pick_output(lesson, rng)
    f, named, display = _variant_function(lesson, rng, out)
    wrt = rng.choice(lesson.wrt)
    name = _function_name(lesson, out)
    d = _lesson_derivation(lesson, f, wrt, named, name)
    derivative = _diff(f, wrt)  # a second route to the number, independent of the steps
    point, (value,) = _clean_point(lesson, f, [derivative], rng)
    value = _nice(value)
    label = sympy.Symbol(f"∂{name}/∂{wrt.name}")
    given = tuple((s, point[s]) for s in _variables(f))
    return Problem(number, "evaluate", lesson.name, lesson.title, _shown(f, named), name,
                   _variables(f), (wrt,), given=given, answer_type="numbers",
                   expected=expand_named(d.result, named), expected_shown=d.result,
                   numbers=(NumberAnswer(label, value, _tolerance(value)),), derivation=d,
                   named=tuple((n.symbol, n.definition) for n in named),
                   function_latex_=_function_latex(lesson, out),
                   assumptions=tuple(tuple(a) for a in lesson.assumptions),
                   names_latex=_names_latex(named), display=display)


def _gd_parameters(lesson: Lesson) -> list[sympy.Symbol]:
    if lesson.is_vector or "target" not in lesson.roles.values():
        return []
    return [s for s in lesson.wrt if lesson.roles.get(s.name) == "parameter"]


_RATES = (sympy.Rational(1, 10), sympy.Rational(1, 20), sympy.Rational(1, 5), sympy.Rational(1, 2))


def _make_gd_step(lesson: Lesson, rng: random.Random, number: int) -> Problem:
    f = lesson.outputs[0]
    params = _gd_parameters(lesson)
    if not params:
        raise WorksheetError(_("lesson '{lesson}' has no parameters to train").format(lesson=lesson.name))
    data_syms = tuple(s for s in _variables(f) if s not in params)
    samples = 2 if lesson.reduce == "mean" else 1
    grads = [_diff(f, p) for p in params]
    for _try in range(80):
        start = {p: sympy.Integer(rng.randint(-2, 2)) for p in params}
        rows = []
        for _sample in range(samples):
            values = _point_values(lesson, data_syms, rng)
            rows.append(tuple(values[s] for s in data_syms))
        lr = rng.choice(_RATES)
        per_sample = []
        ok = True
        for row in rows:
            point = {**start, **dict(zip(data_syms, row))}
            gs = [_num(g.xreplace(point)) for g in grads]
            if not all(_finite(g.evalf(20)) for g in gs):
                ok = False
            per_sample.append(gs)
        if not ok:
            continue
        mean = [sum(col, sympy.S.Zero) / samples for col in zip(*per_sample)]
        if any(abs(float(lr * m)) < 1e-3 for m in mean):
            continue  # a step that changes nothing teaches nothing
        new = [_nice(start[p] - lr * m) for p, m in zip(params, mean)]
        if all(abs(float(v)) < 50 for v in new):
            break
    else:
        raise WorksheetError(_("lesson '{lesson}': no clean numbers found for a step").format(lesson=lesson.name))
    numbers = tuple(NumberAnswer(p, v, _tolerance(v)) for p, v in zip(params, new))
    working = tuple((p, _shown(_diff(f, p), lesson.named), _nice(m))
                    for p, m in zip(params, mean))
    return Problem(number, "gd_step", lesson.name, lesson.title, _shown(f, lesson.named),
                   lesson.output_names[0], _variables(f), tuple(params),
                   given=tuple((p, start[p]) for p in params), batch_symbols=data_syms,
                   batch=tuple(rows), learning_rate=lr, answer_type="numbers",
                   numbers=numbers, working=working,
                   named=tuple((n.symbol, n.definition) for n in lesson.named),
                   function_latex_=_function_latex(lesson, 0),
                   names_latex=_names_latex(lesson.named),
                   display=_variant_function(lesson, None)[2] if _single_input(lesson) is None else ())


# backward pass: the expression tree as a graph of nodes v1, v2, …
def _graph(f: sympy.Expr) -> list[sympy.Expr]:
    """The distinct sub-expressions of ``f`` that are not numbers, children before parents."""
    order: list[sympy.Expr] = []
    seen = set()

    def visit(e):
        if e in seen or e.is_Number or e.is_NumberSymbol:
            return
        for a in e.args:
            visit(a)
        seen.add(e)
        order.append(e)

    visit(f)
    return order


@functools.lru_cache(maxsize=1024)
def _graph_size(f: sympy.Expr) -> int:
    return len(_graph(f))


@functools.lru_cache(maxsize=1024)
def _graph_plan(f: sympy.Expr):
    """The graph's nodes and, for each inner node, the local derivative by each argument
    that is a node: made once per function, evaluated at each variant's numbers."""
    order = _graph(f)
    nodes = set(order)
    local = {e: [(arg, _local_derivative(e, k)) for k, arg in enumerate(e.args) if arg in nodes]
             for e in order if not e.is_Symbol}
    return order, local


def _local_derivative(node: sympy.Expr, k: int) -> sympy.Expr:
    """∂node/∂(its k-th argument), as an expression in the arguments."""
    u = sympy.Dummy("u")
    args = list(node.args)
    original = args[k]
    args[k] = u
    return sympy.diff(node.func(*args), u).subs(u, original)


def _make_backward(lesson: Lesson, rng: random.Random, number: int) -> Problem:
    f, named, display = _variant_function(lesson, rng, 0)
    order, local_of = _graph_plan(f)
    point, _values = _clean_point(lesson, f, [_diff(f, s) for s in _variables(f)], rng, limit=20)
    symbols = {}
    variables = [e for e in order if e.is_Symbol]
    inner = [e for e in order if not e.is_Symbol]
    for e in variables:
        symbols[e] = e
    for k, e in enumerate(inner, start=1):
        symbols[e] = sympy.Symbol(f"v{k}")
    adjoint = {e: sympy.S.Zero for e in order}
    adjoint[f] = sympy.S.One
    for e in reversed(order):
        if e.is_Symbol:
            continue
        for arg, local in local_of[e]:
            adjoint[arg] = adjoint[arg] + adjoint[e] * _num(local.xreplace(point))
    nodes = []
    for e in variables + inner:
        label = None if e.is_Symbol else e.func(*[symbols.get(a, a) for a in e.args], evaluate=False)
        nodes.append(Node(symbols[e], label, _nice(e.xreplace(point)), _nice(adjoint[e])))
    numbers = tuple(NumberAnswer(n.symbol, n.adjoint, _tolerance(n.adjoint)) for n in nodes)
    given = tuple((s, point[s]) for s in _variables(f))
    return Problem(number, "backward", lesson.name, lesson.title, _shown(f, named),
                   _function_name(lesson, 0), _variables(f), tuple(variables), given=given,
                   answer_type="numbers", numbers=numbers, nodes=tuple(nodes),
                   named=tuple((n.symbol, n.definition) for n in named),
                   function_latex_=_function_latex(lesson, 0),
                   names_latex=_names_latex(named), display=display)


_MISTAKES = ("sign", "factor", "inner")


def _mutations(step: Step):
    """Wrong versions of a derivative step: (kind, wrong expression, explanation)."""
    after = step.after
    out = [("sign", -after, N_("the sign is wrong: this line is −1 × the correct one")),
           ("factor", 2 * after,
            N_("a constant factor is wrong: this line is 2 × the correct one"))]
    if step.rule == "chain" and step.substeps:
        outer = step.substeps[0].after
        for sym, expr in step.bindings:
            outer = outer.subs(sym, expr)
        if outer != after:
            out.append(("inner", outer, N_("the chain rule's inner derivative is missing")))
    return out


def _make_mistake(lesson: Lesson, rng: random.Random, number: int) -> Problem:
    out = _pick_output(lesson, rng)
    f, named, display = _variant_function(lesson, rng, out)
    wrt = rng.choice(lesson.wrt)
    name = _function_name(lesson, out)
    d = _lesson_derivation(lesson, f, wrt, named, name)
    steps = d.steps()
    candidates = [k for k, (_, s) in enumerate(steps)
                  if not s.is_rewrite and s.after != 0]
    # prefer a step with some substance over d/dx x = 1
    substantial = [k for k in candidates if steps[k][1].after.free_symbols]
    candidates = substantial or candidates
    if not candidates:
        raise WorksheetError(_("lesson '{lesson}': its derivation is too short for a mistake").format(lesson=lesson.name))
    choices = [(k, m) for k in candidates for m in _mutations(steps[k][1])]
    rng.shuffle(choices)
    for k, (kind, wrong, why) in choices:
        step = steps[k][1]
        if not _differs(step.after, wrong):
            continue
        bad = Step(step.rule, step.before, wrong, step.wrt, (), step.bindings, "")
        shown = tuple((depth, bad if j == k else s) for j, (depth, s) in enumerate(steps))
        return Problem(number, "mistake", lesson.name, lesson.title, _shown(f, named), name,
                       _variables(f), (wrt,), answer_type="step", wrong_step=k + 1,
                       shown_steps=shown, correct_step=step, mistake=why, derivation=d,
                       expected=expand_named(d.result, named), expected_shown=d.result,
                       named=tuple((n.symbol, n.definition) for n in named),
                       function_latex_=_function_latex(lesson, out),
                   assumptions=tuple(tuple(a) for a in lesson.assumptions),
                   names_latex=_names_latex(named), display=display)
    raise WorksheetError(_("lesson '{lesson}': no mistake could be planted").format(lesson=lesson.name))


@functools.lru_cache(maxsize=8192)
def _differs(a: sympy.Expr, b: sympy.Expr) -> bool:
    try:
        return differ_at(a, b) is not None
    except ValueError:
        return False


_MAKERS = {"derive": _make_derive, "evaluate": _make_evaluate, "gd_step": _make_gd_step,
           "backward": _make_backward, "mistake": _make_mistake}

"""What the kinds of problem share: the function of a problem (a lesson's, composed with a
random inner line for a single-input lesson), its derivation, names and display, and points where
its numbers are clean."""

from __future__ import annotations

import functools
import random
import re

import sympy

from tutor.assessment.problems import DECIMALS, WorksheetError
from tutor.calculus.derivation import Named, derive
from tutor.calculus.steps import Derivation
from tutor.explaining.lesson import Lesson
from tutor.i18n import _


def single_input(lesson: Lesson) -> sympy.Symbol | None:
    """The one input of a lesson differentiated by a single input variable (σ, tanh, ReLU …)."""
    if lesson.is_vector or len(lesson.wrt) != 1:
        return None
    z = lesson.wrt[0]
    return z if lesson.roles.get(z.name) == "input" else None


INNER = [(a, c) for a in (-3, -2, 2, 3) for c in (-2, -1, 0, 1, 2)]


def variant_function(lesson: Lesson, rng: random.Random | None, output: int = 0):
    """The function for one problem, its named sub-expressions, and how to display them.

    A single-input lesson f(z) becomes f(a·z + c) with a random line (rng None: a = 2, c = 1)."""
    z = single_input(lesson)
    if z is None:
        a, c = 1, 0
    else:
        a, c = (2, 1) if rng is None else rng.choice(INNER)
    key = (lesson.source, lesson.name, output, a, c)
    if key not in COMPOSED:
        COMPOSED[key] = composed(lesson, output, z, a, c)
    return COMPOSED[key]


COMPOSED: dict = {}


def composed(lesson: Lesson, output: int, z, a: int, c: int):
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
def derivation_of(function: sympy.Expr, wrt: sympy.Symbol, named: tuple, assumptions: tuple,
                name: str) -> Derivation:
    return derive(function, wrt, named=named, assumptions=assumptions, name=name)


def lesson_derivation(lesson: Lesson, function, wrt, named, name) -> Derivation:
    """Derivations repeat across variants (the same function, another number): derived once."""
    assumptions = tuple(tuple(a) for a in lesson.assumptions)
    return derivation_of(function, wrt, tuple(named), assumptions, name)


@functools.lru_cache(maxsize=8192)
def diff_of(f: sympy.Expr, s: sympy.Symbol) -> sympy.Expr:
    """sympy.diff, remembered: variants share their functions and differ in numbers."""
    return sympy.diff(f, s)


def names_latex(named) -> tuple:
    return tuple((n.symbol, subscript(n.latex)) for n in named if n.latex)


def subscript(latex: str) -> str:
    """s1 → s_{1} (a family member named by the lesson)."""
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", latex)
    return f"{m.group(1)}_{{{m.group(2)}}}" if m else latex


def function_name(lesson: Lesson, output: int) -> str:
    """The function's name on the sheet: the lesson's (σ, ℓ, s2), or f for a one-input
    lesson composed with a line, which is no longer the lesson's own function."""
    return "f" if single_input(lesson) is not None else lesson.output_names[output]


def function_latex(lesson: Lesson, output: int) -> str:
    if single_input(lesson) is not None:
        return "f"
    base = lesson.function_latex
    return f"{base}_{{{output + 1}}}" if lesson.is_vector else base


def pick_output(lesson: Lesson, rng) -> int:
    return rng.randrange(len(lesson.outputs)) if lesson.is_vector else 0


def variables_of(f: sympy.Expr) -> tuple[sympy.Symbol, ...]:
    return tuple(sorted(f.free_symbols, key=lambda s: (s.name.rstrip("0123456789"), len(s.name), s.name)))


def nice(value: sympy.Expr) -> sympy.Expr:
    """An exact value if it is a decimal of at most 6 places, otherwise a 15-digit float."""
    value = sympy.sympify(value)
    if value.is_Rational and decimals_of(value) <= 6:
        return value
    return sympy.Float(value.evalf(20), 15)


def num(value: sympy.Expr) -> sympy.Expr:
    """An exact number stays exact; anything else becomes a 25-digit float at once, so that
    sums and products of it stay cheap."""
    if value.is_Rational:
        return value
    return sympy.Float(value.evalf(25), 25)


def tolerance_of(value: sympy.Expr) -> float:
    if value.is_Rational and decimals_of(value) <= DECIMALS:
        return 1e-9 * max(1.0, abs(float(value)))
    return 10 ** -DECIMALS * max(1.0, abs(float(value)))


def decimals_of(value: sympy.Rational) -> int:
    """Decimal places of a rational number (99 when it has no finite decimal form)."""
    q = int(value.q)
    twos = fives = 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    return max(twos, fives) if q == 1 else 99


def one_hot_targets(lesson: Lesson) -> list[str]:
    """Target families the lesson assumes sum to 1 (one-hot labels for cross-entropy)."""
    out = []
    for lhs, rhs in lesson.assumptions:
        names = {s.name for s in lhs.free_symbols}
        for base, members in lesson.families.items():
            if set(members) == names and rhs == 1 and lesson.roles.get(members[0]) == "target":
                out.append(base)
    return out


def probability_targets(lesson: Lesson) -> bool:
    """Targets are labels 0/1 when the loss takes a log or a sigmoid."""
    return any(o.has(sympy.log) or any(f.func.__name__ == "sigmoid" for f in o.atoms(sympy.Function))
               for o in lesson.outputs)


def point_values(lesson: Lesson, variables, rng, low=-3, high=3):
    """Small integers (and some halves for inputs) for every variable; targets that are
    labels get 0 or 1, and a one-hot family gets exactly one 1."""
    point = {}
    labels = probability_targets(lesson)
    for s in variables:
        role = lesson.roles.get(s.name, "input")
        if role == "target" and labels:
            v = sympy.Integer(rng.randint(0, 1))
        else:
            v = sympy.Integer(rng.randint(low, high))
            if role == "input" and rng.random() < 0.3:
                v = v + sympy.Rational(1, 2) * rng.choice((-1, 1))
        point[s] = v
    for base in one_hot_targets(lesson):
        members = lesson.families[base]
        hot = rng.randrange(len(members))
        for k, m in enumerate(members):
            sym = lesson.symbols[m]
            if sym in point:
                point[sym] = sympy.Integer(1 if k == hot else 0)
    return point


def finite(value) -> bool:
    try:
        f = complex(value)
    except (TypeError, ValueError):
        return False
    return f.imag == 0 and abs(f.real) < 1e6 and f.real == f.real


def clean_point(lesson, f, exprs, rng, attempts=60, limit=1e6, **kw):
    """A point where ``exprs`` are all defined, away from kinks, with moderate values, and
    (while the attempts last) not all zero."""
    variables = variables_of(f)
    kinks = [a.args[0] for a in f.atoms(sympy.Function)
             if a.func.__name__ in ("relu", "Abs", "Max", "Min", "Heaviside")]
    for attempt in range(attempts):
        point = point_values(lesson, variables, rng, **kw)
        if any(k.xreplace(point) == 0 for k in kinks):
            continue
        values = [e.xreplace(point) for e in exprs]
        numbers = [v.evalf(20) for v in values]
        if not all(finite(v) and abs(float(v)) <= limit for v in numbers):
            continue
        # small values (a saturated σ) make a poor exercise: 0.000 would pass at 3 decimals
        if attempt < attempts - 10 and all(abs(float(v)) < 0.02 for v in numbers):
            continue
        return point, values
    raise WorksheetError(_("lesson '{lesson}': no clean numbers found for a problem").format(lesson=lesson.name))

"""Putting a lesson, its derivations and their numbers together for the renderers."""

from __future__ import annotations

import math

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import sympy

from tutor.calculus.derivation import Named, derive, expand_named
from tutor.errors import LessonError, ParameterError, TutorError
from tutor.calculus.functions import elementary, sigmoid, stable_form
from tutor.calculus.table import NAMED
from tutor.i18n import _
from tutor.calculus.agreement import Agreement, overall
from tutor.calculus.budget import SYMBOLIC_SECONDS, deadline
from tutor.calculus.stages import derive_through_stages
from tutor.explaining.lesson import Lesson, Origin
from tutor.calculus.pointwise import NumericCheck, check_numerically
from tutor.calculus.parser import parse_expression, parse_function
from tutor.calculus.rules import StepCheckError
from tutor.calculus.steps import Derivation
from tutor.calculus.verify import same_value

#: numbers used for an expression typed with --expr when no --at is given
#: the most derivatives one explanation derives (each is derived and checked step by step)
MAX_DERIVATIVES = 25
DEFAULT_POINTS = [-1.0, 0.5, 2.0]
DEFAULT_OTHERS = 1.0


@dataclass
class Item:
    """One derivative: the derivation, its plain elementary form, and its numbers."""

    output: int
    derivation: Derivation
    elementary: sympy.Expr
    numeric: NumericCheck
    #: the lesson's general form for this entry, checked equal to the result
    general: sympy.Expr | None = None
    #: the derivative reduced over the batch (mean or sum), when the lesson has a reduction
    batch_value: float | None = None


@dataclass
class Explanation:
    lesson: Lesson
    items: list[Item]
    wrt: list[sympy.Symbol]
    values: dict[str, object] = field(default_factory=dict)
    #: the variables whose values the tutor chose (a typed expression without --at for them)
    chosen: tuple[str, ...] = ()
    #: the variables whose values the user gave (``at``), in place of the lesson's example
    given: tuple[str, ...] = ()

    def item(self, output: int, wrt: sympy.Symbol) -> Item:
        for it in self.items:
            if it.output == output and it.derivation.wrt == wrt:
                return it
        raise KeyError((output, wrt))

    @property
    def agreement(self) -> Agreement:
        """How every derivative compares with finite differences, in one verdict."""
        return overall(it.numeric.verdict for it in self.items)


def plain_form(derivation: Derivation, lesson: Lesson) -> sympy.Expr:
    """The derivative with elementary functions only, in the last such form of the steps."""
    placeholders = {n.symbol for n in lesson.named}
    forms = [derivation.tree.after] + [r.after for r in derivation.rewrites]
    for form in reversed(forms):
        if not (form.free_symbols & placeholders) and not form.has(*NAMED):
            return form
    return elementary(expand_named(derivation.result, lesson.named))


def explain(lesson: Lesson, *, wrt: Sequence[sympy.Symbol] | None = None,
            at: Mapping[str, object] | None = None) -> Explanation:
    """Derive every output of ``lesson`` by each variable in ``wrt`` and check the numbers."""
    wrt = list(wrt) if wrt else list(lesson.wrt)
    count = len(lesson.outputs) * len(wrt)
    if count > MAX_DERIVATIVES:
        raise ParameterError("wrt", _("that is {count} derivatives ({outputs} outputs × {inputs} "
                                      "variables); one explanation shows at most {most}: choose "
                                      "some with {param} (like {param} {example})"),
                             count=count, outputs=len(lesson.outputs), inputs=len(wrt),
                             most=MAX_DERIVATIVES, example=wrt[0].name)
    values = dict(lesson.example)
    values.update(at or {})
    # what a user typed (an expression, a teacher's lesson file) works under a time budget
    budget = None if lesson.origin is Origin.BUILT_IN else SYMBOLIC_SECONDS
    symbols = sorted({s for out in lesson.outputs for s in out.free_symbols} | set(wrt),
                     key=lambda s: s.name)
    items = []
    # the numbers too: one deadline over the whole explanation of typed input
    with (nullcontext() if budget is None else
          deadline(budget, what=_("explaining {name}").format(name=lesson.function_name))):
        for oi, output, oname, w in [(oi, output, oname, w) for oi, (output, oname)
                                     in enumerate(zip(lesson.outputs, lesson.output_names))
                                     for w in wrt]:
            if lesson.stages:  # one stage at a time, as the backward pass goes
                d = derive_through_stages(lesson.staged_outputs[oi], lesson.stages, w,
                                          name=oname, budget=budget)
            else:
                d = derive(output, w, named=lesson.named, assumptions=lesson.assumptions,
                           name=oname, budget=budget)
            plain = plain_form(d, lesson)
            numeric = check_numerically(output, plain, w, symbols, values)
            general = lesson.general.get((oi, lesson.wrt.index(w))) if w in lesson.wrt else None
            if general is not None:
                # the lesson's general formula must be this very entry
                target = expand_named(d.result, lesson.named)
                if not same_value(_under(expand_named(general, lesson.named), lesson),
                                  _under(target, lesson)):
                    if lesson.origin is Origin.BUILT_IN:  # a shipped lesson: a bug
                        raise StepCheckError(f"the lesson's general form {lesson.general_text} "
                                             f"does not match entry {oname} by {w}: {d.result}")
                    raise LessonError(_("{source}: general.entry: {entry} is not the derivative "
                                        "of {name} by {wrt}, which is {result}").format(
                        source=lesson.source, entry=lesson.general_text, name=oname, wrt=w,
                        result=sympy.sstr(d.result)))
            batch_value = None
            if lesson.reduce and len(numeric) > 1:
                total = sum(numeric.derivative)
                batch_value = total / len(numeric) if lesson.reduce == "mean" else total
            items.append(Item(oi, d, plain, numeric, general, batch_value))
    chosen = (tuple(n for n in lesson.example if n not in (at or {}))
              if lesson.origin is Origin.EXPRESSION else ())
    return Explanation(lesson, items, wrt, values, chosen, tuple(at or {}))


def _under(expr, lesson: Lesson):
    """``expr`` with the lesson's assumptions used to eliminate one symbol each."""
    for lhs, rhs in lesson.assumptions:
        target = sorted(lhs.free_symbols, key=lambda s: s.name)[-1]
        expr = expr.subs(target, sympy.solve(sympy.Eq(lhs, rhs), target)[0])
    return expr


#: values tried for the variable differentiated by, and for the others, in this order
POINT_CANDIDATES = (-1.0, 0.5, 2.0, 1.5, 3.0, 0.25, -0.5, 1.0, 2.5, -2.0, 0.75, 4.0)
OTHER_CANDIDATES = (1.0, 0.5, 2.0, 1.5, 0.75, 3.0, -1.0)


def clean_points(expr: sympy.Expr, symbols: dict, chosen: Sequence[sympy.Symbol]) -> dict:
    """Example values for a typed expression: three points of the first chosen variable and
    one value of each other, where the function is defined and finite and every derivative
    asked for agrees with finite differences — inside the domain, away from kinks and poles
    (not x = −1 for ln x, nor w·x + b = 0 for ReLU(w·x + b))."""
    main = chosen[0]
    for other in OTHER_CANDIDATES:
        values = {n: (list(POINT_CANDIDATES) if s == main else other) for n, s in symbols.items()}
        ordered = list(symbols.values())
        good = None
        for w in chosen:
            check = check_numerically(expr, sympy.diff(expr, w), w, ordered, values,
                                      from_left=False)
            here = {k for k, v in enumerate(check.verdicts)
                    if v is Agreement.AGREES and math.isfinite(check.value[k])}
            good = here if good is None else good & here
        picked = sorted(POINT_CANDIDATES[k] for k in sorted(good)[:3])
        if len(picked) == 3:
            return {n: (picked if s == main else other) for n, s in symbols.items()}
    return {n: (list(DEFAULT_POINTS) if s == main else DEFAULT_OTHERS) for n, s in symbols.items()}


def lesson_from_expression(text: str, *, wrt: Sequence[str] = ()) -> Lesson:
    """A one-off lesson for an expression typed with ``--expr``."""
    expr = parse_function(text)
    if not expr.free_symbols:
        if not wrt:
            raise ParameterError("wrt", _("'{text}' is a constant: name the variable with "
                                          "{param} (its derivative by any variable is 0)"),
                                 text=text)
        # a constant's derivative is 0 by the constant rule, whatever the variable
        symbols = {name: parse_expression(name) for name in dict.fromkeys(wrt)}
        if not all(isinstance(s, sympy.Symbol) for s in symbols.values()):
            raise ParameterError("wrt", _("{param}: '{names}' is not a variable's name"),
                                 names=", ".join(wrt))
    else:
        symbols = {s.name: s for s in sorted(expr.free_symbols, key=lambda s: s.name)}
    chosen = []
    for name in wrt:
        if name not in symbols:
            raise ParameterError("wrt", _("{param} {name}: the expression has no variable "
                                          "'{name}'; it has {names}"),
                                 name=name, names=", ".join(symbols))
        chosen.append(symbols[name])
    if not chosen:
        chosen = list(symbols.values())
    with deadline(what=_("choosing points for {expression}").format(expression=text)):
        example = clean_points(expr, symbols, chosen)
    # a written-out logistic 1/(1 + e^(−a)) is recognised as σ(a) in the results
    named = []
    for sub in sorted(stable_form(expr).atoms(sigmoid), key=sympy.default_sort_key):
        definition = 1 / (1 + sympy.exp(-sub.args[0]))
        if expr.has(definition):
            named.append(Named(sympy.Symbol(f"σ({sympy.sstr(sub.args[0])})"), definition,
                               rf"\sigma\left({sympy.latex(sub.args[0])}\right)"))
    return Lesson(name="expression", title=_("Your expression"), summary="",
                  function_name="f", function_latex="f", expression_text=text,
                  outputs=[expr], output_names=["f"], symbols=symbols,
                  roles={n: "input" for n in symbols}, families={}, wrt=chosen,
                  example=example, named=named, assumptions=[], text={}, source="expression",
                  origin=Origin.EXPRESSION,
                  narrative={"en": {"title": "Your expression"}})


@dataclass
class Curve:
    """f and ∂f/∂x on a grid of x, other variables held at the point's first values."""

    label: str
    wrt: str
    x: "object"
    value: "object"
    derivative: "object"
    points_x: "object"
    points_value: "object"
    points_derivative: "object"
    #: the other variables and the values they are held at
    held: dict = field(default_factory=dict)


def curves(exp: Explanation, *, samples: int = 400) -> list[Curve]:
    """Grids for plotting each derivative of the explanation against its variable."""
    import numpy as np

    from tutor.calculus.numeric import compile_expr

    lesson = exp.lesson
    out = []
    seen = set()
    for item in exp.items:
        w = item.derivation.wrt
        key = (item.output, w)
        if key in seen or (lesson.is_vector and w != exp.wrt[0]):
            continue
        seen.add(key)
        check = item.numeric
        names = list(check.at)
        xs = np.ravel(check.at[w.name])
        lo, hi = float(xs.min()), float(xs.max())
        span = max(hi - lo, 2.0)
        grid = np.linspace(lo - 0.5 * span, hi + 0.5 * span, samples)
        symbols = [lesson.symbols[n] for n in names]
        args = []
        for n in names:
            args.append(grid if n == w.name else np.full_like(grid, float(np.ravel(check.at[n])[0])))
        f = compile_expr(lesson.outputs[item.output], symbols)
        df = compile_expr(item.elementary, symbols)
        # the marked points: where the other variables equal the values held fixed
        held = np.ones(xs.shape, dtype=bool)
        for n in names:
            if n != w.name:
                a = np.ravel(check.at[n])
                held &= np.isclose(a, a[0])
        fixed = {n: float(np.ravel(check.at[n])[0]) for n in names if n != w.name}
        out.append(Curve(lesson.output_names[item.output], w.name, grid, f(*args), df(*args),
                         xs[held], np.ravel(check.value)[held], np.ravel(check.derivative)[held],
                         fixed))
    return out

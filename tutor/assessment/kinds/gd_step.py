"""``gd_step``: one step of gradient descent by hand, for lessons with parameters and a target."""

from __future__ import annotations

import random

import sympy

from tutor.assessment.document import (ETA, Math, Num, Para, Table, fill, function_segments,
                                       given, joined, list_of, where_blocks)
from tutor.assessment.kinds.base import Kind
from tutor.assessment.kinds.common import (diff_of, finite, function_latex, names_latex, nice,
                                           num, point_values, single_input, tolerance_of,
                                           variables_of, variant_function)
from tutor.assessment.problems import NumberAnswer, Problem, WorksheetError, shown_form
from tutor.explaining.lesson import Lesson
from tutor.i18n import N_, _


def gd_parameters(lesson: Lesson) -> list[sympy.Symbol]:
    if lesson.is_vector or "target" not in lesson.roles.values():
        return []
    return [s for s in lesson.wrt if lesson.roles.get(s.name) == "parameter"]


_RATES = (sympy.Rational(1, 10), sympy.Rational(1, 20), sympy.Rational(1, 5), sympy.Rational(1, 2))


class GradientStep(Kind):
    name = "gd_step"
    title = N_("One step of gradient descent")
    short = N_("gd_step")
    answer = "numbers"

    def offered_by(self, lesson: Lesson) -> bool:
        return bool(gd_parameters(lesson))

    def make(self, lesson: Lesson, rng: random.Random, number: int) -> Problem:
        f = lesson.outputs[0]
        params = gd_parameters(lesson)
        if not params:
            raise WorksheetError(_("lesson '{lesson}' has no parameters to train").format(lesson=lesson.name))
        # parameters the step does not train keep one value on every row: they are not data
        kept = tuple(s for s in variables_of(f)
                     if lesson.roles.get(s.name) == "parameter" and s not in params)
        data_syms = tuple(s for s in variables_of(f) if s not in params and s not in kept)
        samples = 2 if lesson.reduce == "mean" else 1
        grads = [diff_of(f, p) for p in params]
        for _try in range(80):
            start = {p: sympy.Integer(rng.randint(-2, 2)) for p in params}
            fixed = {s: sympy.Rational(rng.randint(-4, 4), 2) for s in kept}
            rows = []
            for _sample in range(samples):
                values = point_values(lesson, data_syms, rng)
                rows.append(tuple(values[s] for s in data_syms))
            lr = rng.choice(_RATES)
            per_sample = []
            ok = True
            for row in rows:
                point = {**start, **fixed, **dict(zip(data_syms, row))}
                gs = [num(g.xreplace(point)) for g in grads]
                if not all(finite(g.evalf(20)) for g in gs):
                    ok = False
                per_sample.append(gs)
            if not ok:
                continue
            mean = [sum(col, sympy.S.Zero) / samples for col in zip(*per_sample)]
            if any(abs(float(lr * m)) < 1e-3 for m in mean):
                continue  # a step that changes nothing teaches nothing
            new = [nice(start[p] - lr * m) for p, m in zip(params, mean)]
            if all(abs(float(v)) < 50 for v in new):
                break
        else:
            raise WorksheetError(_("lesson '{lesson}': no clean numbers found for a step").format(lesson=lesson.name))
        numbers = tuple(NumberAnswer(p, v, tolerance_of(v)) for p, v in zip(params, new))
        working = tuple((p, shown_form(diff_of(f, p), lesson.named), nice(m))
                        for p, m in zip(params, mean))
        return Problem(number, "gd_step", lesson.name, lesson.title, shown_form(f, lesson.named),
                       lesson.output_names[0], variables_of(f), tuple(params),
                       given=tuple((p, start[p]) for p in params), fixed=tuple(fixed.items()),
                   batch_symbols=data_syms,
                       batch=tuple(rows), learning_rate=lr, answer_type="numbers",
                       numbers=numbers, working=working,
                       named=tuple((n.symbol, n.definition) for n in lesson.named),
                       function_latex_=function_latex(lesson, 0),
                       names_latex=names_latex(lesson.named),
                       display=variant_function(lesson, None)[2] if single_input(lesson) is None else ())

    def statement(self, p: Problem, key: bool) -> list:
        blocks = [Para(fill(_("The loss of one sample is {function}."),
                            function=function_segments(p)))]
        blocks += where_blocks(p)
        n = len(p.batch)
        template = (_("Start from {start}. Take one step of gradient descent with learning rate "
                      "{rate} on the loss of this sample. Give the new {parameters}, in this "
                      "order.") if n == 1 else
                    _("Start from {start}. Take one step of gradient descent with learning rate "
                      "{rate} on the mean loss over these {n} samples. Give the new "
                      "{parameters}, in this order."))
        blocks.append(Para(fill(template.replace("{n}", str(n)), start=given(p.given),
                                rate=Math(p.learning_rate, lhs=ETA),
                                parameters=list_of(p.wrt))))
        if p.fixed:
            blocks.append(Para(fill(_("The other parameters stay as they are: {fixed}."),
                                    fixed=given(p.fixed))))
        blocks.append(Table([[Math(s)] for s in p.batch_symbols],
                            [[[Num(v)] for v in row] for row in p.batch]))
        return blocks

    def solution(self, p: Problem) -> list:
        answer = joined([Num(n.value) for n in p.numbers])
        blocks = [Para(fill(_("Answer: {answer}."), answer=answer))]
        rows = []
        for (param, derivative, mean), n, (_sym, start) in zip(p.working, p.numbers, p.given):
            rows.append([[Math(param)], [Math(derivative)], [Num(mean)], [Num(start)],
                         [Num(n.value)]])
        mean = _("the gradient") if len(p.batch) == 1 else _("mean gradient")
        blocks.append(Para(fill(_("Each parameter moves against its gradient: new = old − "
                                  "{eta} × {gradient}."), eta=ETA, gradient=mean)))
        blocks.append(Table([[_("parameter")], [_("derivative of the loss")], [mean], [_("old")],
                             [_("new")]], rows))
        return blocks


KIND = GradientStep()

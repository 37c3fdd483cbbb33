"""The kinds of worksheet problem are one registry: every kind a sheet uses is a module of
tutor.assessment.kinds, its key entry given back as a student's answer earns full marks and a
wrong answer does not, and a kind registered in a test appears on sheets with nothing else
changed."""

import json
import random

import pytest
import sympy

from tutor.assessment import grade as grading
from tutor.assessment.key import dumps, read_key, worksheets_key
from tutor.assessment.kinds import KINDS, Kind
from tutor.assessment.worksheet import kinds_for, make_worksheets
from tutor.explaining.lesson import lesson_names, load_lesson

pytestmark = pytest.mark.slow


def test_the_registry_is_what_the_command_line_offers():
    from tutor.cli import worksheet as command

    assert tuple(KINDS) == command.KINDS
    assert all(isinstance(k, Kind) and k.name == name for name, k in KINDS.items())
    assert {k.answer for k in KINDS.values()} == {"expression", "numbers", "step", "matrix"}


def _key_for(tmp_path, lessons, kinds, seed):
    ws = make_worksheets(lessons, problems=len(kinds) * len(lessons), seed=seed, kinds=kinds)
    path = tmp_path / f"key-{seed}.json"
    path.write_text(dumps(worksheets_key(ws)), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    return ws, read_key(path), data


def _right_answer(entry: dict) -> str:
    """The answer written from the machine key's entry, as a student would type it."""
    if "expected" in entry:
        return entry["expected"]
    if "numbers" in entry:
        return ", ".join(repr(n["value"]) for n in entry["numbers"])
    return str(entry["step"])


def _wrong_answer(entry: dict) -> str:
    if "expected" in entry:
        return f"({entry['expected']}) + 1"
    if "numbers" in entry:
        return ", ".join(repr(n["value"] + 1 + 10 * n["tolerance"]) for n in entry["numbers"])
    return str(entry["step"] % 3 + 1 if entry["step"] != 1 else 2)


@pytest.mark.parametrize("lesson", lesson_names())
def test_every_kind_grades_its_own_key_right_and_a_wrong_answer_wrong(lesson, tmp_path):
    offered = kinds_for(load_lesson(lesson))
    assert "derive" in offered and "mistake" in offered
    for seed in range(3):
        ws, keys, data = _key_for(tmp_path, [lesson], offered, seed)
        variant = data["variants"][0]
        key = keys[variant["id"]]
        assert [p["kind"] for p in variant["problems"]] == [p.kind for p in ws.sheets[0].problems]
        right = {p["number"]: _right_answer(p) for p in variant["problems"]}
        graded = grading.grade(key, grading.Answers("ada", key.id, right, {}))
        assert [m.score for m in graded.marks] == [1.0] * len(right), graded.marks
        wrong = {p["number"]: _wrong_answer(p) for p in variant["problems"]}
        graded = grading.grade(key, grading.Answers("bo", key.id, wrong, {}))
        assert all(m.score < 1.0 for m in graded.marks), graded.marks


def test_a_new_kind_needs_only_its_registration(monkeypatch):
    """A kind asking for f at a point, added in one place, is made, stated, keyed and graded."""
    from tutor.assessment.document import Num, Para, fill, function_segments, given
    from tutor.assessment.problems import NumberAnswer, Problem
    from tutor.renderers.assessment.markdown import sheet_markdown

    class Value(Kind):
        name, title, short, answer = "value", "Evaluate the function", "value", "numbers"

        def make(self, lesson, rng, number):
            z = lesson.wrt[0]
            point = sympy.Integer(rng.randint(-2, 2))
            value = sympy.Float(lesson.outputs[0].subs(z, point).evalf(20), 15)
            return Problem(number, self.name, lesson.name, lesson.title, lesson.outputs[0],
                           lesson.output_names[0], (z,), (z,), given=((z, point),),
                           answer_type="numbers",
                           numbers=(NumberAnswer(sympy.Symbol("f"), value, 1e-3),))

        def statement(self, p, key):
            return [Para(fill("Let {function}. Evaluate it at {point}.",
                              function=function_segments(p), point=given(p.given)))]

        def solution(self, p):
            return [Para(fill("Answer: {answer}.", answer=Num(p.numbers[0].value)))]

    monkeypatch.setitem(KINDS, "value", Value())
    ws = make_worksheets(["sigmoid"], problems=2, seed=1, kinds=["value"])
    problem = ws.sheets[0].problems[0]
    assert problem.kind == "value" and problem.title == "Evaluate the function"
    z = problem.given[0][1]
    assert float(problem.numbers[0].value) == pytest.approx(1 / (1 + 2.718281828459045 ** -float(z)))
    assert "Evaluate it at" in sheet_markdown(ws.sheets[0])
    data = worksheets_key(ws)
    entry = data["variants"][0]["problems"][0]
    assert entry["kind"] == "value" and "numbers" in entry


def test_kinds_offered_follow_each_kinds_own_rule():
    # gd_step needs parameters and a target; backward a small scalar graph
    assert "gd_step" in kinds_for(load_lesson("linear_regression"))
    assert "gd_step" not in kinds_for(load_lesson("sigmoid"))
    assert "backward" not in kinds_for(load_lesson("softmax"))
    assert "backward" in kinds_for(load_lesson("sigmoid"))
    rng = random.Random(0)
    assert KINDS["derive"].make(load_lesson("tanh"), rng, 1).kind == "derive"


@pytest.mark.parametrize("lesson", ["mlp", "linear_regression", "logistic_regression", "neuron"])
def test_a_gradient_step_solved_from_its_statement_alone(lesson):
    """The numbers a student sees (start, fixed parameters, the rows, η) give the key's answer
    by an independent route: the loss written out and differentiated by finite differences."""
    from tutor.calculus.derivation import expand_named
    from tutor.calculus.functions import elementary

    the_lesson = load_lesson(lesson)
    # written out with exp and log only, so that the independent route shares no code
    loss = elementary(expand_named(the_lesson.outputs[0], the_lesson.named))
    for seed in range(5):
        ws = make_worksheets([lesson], problems=1, seed=seed, kinds=["gd_step"])
        p = ws.sheets[0].problems[0]
        shown = {s: float(v) for s, v in p.given + p.fixed}
        # every parameter of the lesson is either trained (given) or fixed, never a data column
        parameters = {s for s in loss.free_symbols if the_lesson.roles.get(s.name) == "parameter"}
        assert parameters == set(shown) and not parameters & set(p.batch_symbols)
        f = sympy.lambdify(sorted(loss.free_symbols, key=str), loss)
        order = sorted(loss.free_symbols, key=str)

        def mean_loss(point):
            total = 0.0
            for row in p.batch:
                values = {**point, **{s: float(v) for s, v in zip(p.batch_symbols, row)}}
                total += f(*[values[s] for s in order])
            return total / len(p.batch) if the_lesson.reduce == "mean" else total

        lr = float(p.learning_rate)
        for (param, start), number in zip(p.given, p.numbers):
            h = 1e-6
            up, down = dict(shown), dict(shown)
            up[param] += h
            down[param] -= h
            slope = (mean_loss(up) - mean_loss(down)) / (2 * h)
            assert float(number.value) == pytest.approx(float(start) - lr * slope, abs=1e-6)


def test_spot_the_mistake_fits_half_a_page_and_its_answer_is_the_planted_step():
    import random

    from tutor.assessment.kinds import KINDS
    from tutor.assessment.kinds.mistake import MAX_SHOWN
    from tutor.calculus.verify import differ_at
    from tutor.explaining.lesson import lesson_names, load_lesson

    for name in lesson_names():
        lesson = load_lesson(name)
        for seed in range(3):
            try:
                p = KINDS["mistake"].make(lesson, random.Random(seed), 1)
            except Exception as exc:  # a lesson too short for a mistake says so
                assert "too short" in str(exc) or "no mistake" in str(exc), (name, exc)
                continue
            assert len(p.shown_steps) <= MAX_SHOWN, (name, seed, len(p.shown_steps))
            shown = p.shown_steps[p.wrong_step - 1][1]
            # the numbered step is the one planted: same statement, a different result
            assert shown.before == p.correct_step.before
            assert differ_at(shown.after, p.correct_step.after) is not None, (name, seed)

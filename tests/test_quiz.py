"""tutor quiz, driven end to end through its standard input."""

import os
import subprocess
import sys

from click.testing import CliRunner

from tutor import cli
from tutor.explaining.lesson import load_lesson
from tutor.assessment.quiz import MAX_TRIES, Quiz, questions_for


def _quiz(args, lines):
    return CliRunner().invoke(cli.main, ["quiz", *args], input="".join(l + "\n" for l in lines))


def test_right_answer_first_try():
    r = _quiz(["sigmoid"], ["sigmoid(z)*(1-sigmoid(z))"])
    assert r.exit_code == 0, r.output
    assert "✓" in r.output
    assert "score: 1 of 1 right (1 at the first try without a hint)" in r.output


def test_wrong_then_hint_then_right():
    r = _quiz(["sigmoid"], ["-exp(-z)/(1+exp(-z))^2", "h", "h", "exp(-z)/(1+exp(-z))^2"])
    assert r.exit_code == 0, r.output
    out = r.output
    # the diagnosis of the wrong answer, and a counterexample at the lesson's example z = −2
    assert "sign" in out and "at z = −2: expected 0.1050, yours −0.1050" in out
    # two hints, one step each, in the derivation's order
    assert "step 1 of" in out and "step 2 of" in out and "step 3 of" not in out
    assert "score: 1 of 1 right (0 at the first try without a hint), 2 hints used" in out


def test_unreadable_answer_is_not_the_end():
    r = _quiz(["tanh"], ["1 - tanh(z", "1 - tanh(z)^2"])
    assert r.exit_code == 0
    assert "can't read that" in r.output
    assert "score: 1 of 1 right" in r.output


def test_quit_and_end_of_input():
    r = _quiz(["linear"], ["q"])
    assert r.exit_code == 0
    assert "score: no questions tried" in r.output
    r = _quiz(["linear"], ["x1", "x3"])  # the input ends during question 2
    assert r.exit_code == 0 and "score: 1 of 2 right" in r.output
    assert "question 3" not in r.output


def test_skip_shows_the_answer_and_goes_on():
    r = _quiz(["linear"], ["s", "x2"])
    assert "the answer: x₁" in r.output
    assert "question 2 of" in r.output
    assert "score: 1 of 2 right (1 at the first try without a hint)" in r.output


def test_too_many_tries_show_the_answer():
    r = _quiz(["squared_loss"], ["y"] * MAX_TRIES)
    assert f"{MAX_TRIES} tries: the answer: \u0177 − y" in r.output
    assert "score: 0 of 1 right" in r.output


def test_all_lessons_shuffled_and_counted():
    r = _quiz(["--count", "3", "--seed", "1"], ["s", "s", "s"])
    assert r.exit_code == 0
    assert r.output.count("question ") == 3 and "question 3 of 3" in r.output


def test_bad_input():
    r = _quiz(["nosuchlesson"], [])
    assert r.exit_code == 2 and r.output.startswith("error: ")
    r = _quiz(["--count", "0"], [])
    assert r.exit_code == 2


def test_library_state_machine():
    quiz = Quiz(questions_for([load_lesson("squared_loss")]))
    assert quiz.respond("y - yhat").kind == "wrong"
    assert quiz.respond("h").hint is not None
    r = quiz.respond("yhat - y")
    assert r.kind == "right" and r.advanced and quiz.current is None
    assert quiz.score.right == 1 and quiz.score.first_try == 0 and quiz.score.hints == 1


def test_piped_through_a_real_process(tmp_path):
    r = subprocess.run([sys.executable, "-m", "tutor", "quiz", "relu"], input="z\nheaviside(z)\n",
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert r.returncode == 0, r.stderr
    assert "> z" in r.stdout and "✗" in r.stdout and "✓" in r.stdout
    assert "score: 1 of 1 right" in r.stdout


def _all_hints(lesson: str, lang: str = "en") -> str:
    r = CliRunner().invoke(cli.main, ["quiz", lesson, "--lang", lang], input="h\n" * 40 + "q\n")
    assert r.exit_code == 0, r.output
    return r.output


def test_hints_never_state_the_whole_answer():
    import sympy

    from tutor.explaining.lesson import lesson_names

    for name in lesson_names():
        lesson = load_lesson(name)
        for q in questions_for([lesson]):
            hints = q.hints()
            assert hints and not hints[0].shows_result  # the first names a rule, no result
            truth = sympy.diff(q.function, q.wrt)
            for h in hints:
                if h.shows_result:
                    # a shown result is always of a part, never of the whole function
                    assert h.step.before != q.function, (name, h.step)
                    assert h.step is not q.derivation.tree
            # every piece that is shown was first planned or is a leaf: the whole tree is
            # covered once the hints run out, except the last combination
            shown = {id(h.step) for h in hints if h.shows_result}
            assert id(q.derivation.tree) not in shown
            assert sympy.simplify(q.derivation.tree.after - truth) == 0


def test_sigmoid_hints_go_from_the_rule_to_the_parts():
    out = " ".join(_all_hints("sigmoid").split())
    # the first hint: the rule for the whole function and the inner function it introduces
    first = out.index("step 1 of")
    assert "chain rule, with u = 1 + e^(−z)" in out[first:first + 120]
    # the outer derivative, then the inner one planned, then its parts, then the inner result
    order = ["d/du 1/u = −1/u²", "d/dz (1 + e^(−z)) — use the sum rule",
             "d/dv e^v = e^v", "d/dz (−z) = −1", "d/dz e^(−z) = −e^(−z)",
             "d/dz (1 + e^(−z)) = −e^(−z)"]
    positions = [out.index(s) for s in order]
    assert positions == sorted(positions)
    # the answer itself, e^(−z)/(1 + e^(−z))² or σ(z)(1 − σ(z)), only after s
    assert "e^(−z)/(1 + e^(−z))²" not in out and "σ(z)·(1 − σ(z))" not in out
    assert "no more hints" in out


def test_a_hint_never_breaks_a_formula_across_lines():
    for lang in ("en", "zh"):
        r = CliRunner().invoke(cli.main, ["quiz", "neuron", "--lang", lang],
                               input="h\nh\nh\nq\n", env={"COLUMNS": "60"})
        lines = r.output.splitlines()
        from rich.cells import cell_len

        assert max(cell_len(line) for line in lines) <= 60
        for formula in ("u = σ(b + w·x) − t", "d/dw (σ(b + w·x) − t)²"):
            assert any(formula in line for line in lines), (lang, formula, r.output)

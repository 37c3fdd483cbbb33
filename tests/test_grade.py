"""Grading: a key's own answers get full marks for every variant, a mutated copy is flagged on
exactly the mutated problems, equivalent forms are accepted, and nothing a student writes
crashes the grader."""

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from tutor.cli import main
from tutor.assessment.grade import grade, key_answers, parse_answers
from tutor.assessment.key import read_key
from tutor.explaining.lesson import lesson_names

LESSONS = lesson_names()  # every shipped lesson


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def key_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("g") / "sheets"
    r = run("worksheet", *LESSONS, "-n", "12", "-k", "4", "--seed", "21", "--format", "md",
            "--out", str(out))
    assert r.exit_code == 0, r.output
    return out / "key.json"


@pytest.fixture(scope="module")
def keys(key_path):
    return read_key(key_path)


@pytest.mark.slow
def test_own_key_gets_full_marks_for_every_variant(keys):
    assert len(keys) == 4
    for variant in keys.values():
        result = grade(variant, parse_answers(key_answers(variant)))
        assert result.score == result.out_of == 12, [(m.number, m.reason) for m in result.marks]


def _mutate(variant, number, answer):
    kind = variant.problems[number - 1].answer
    if kind == "expression":
        return f"-({answer})" if number % 2 else f"3*({answer})"
    if kind == "step":
        return str(int(answer) % 5 + 1) if int(answer) != 1 else "2"
    first, *rest = [a.strip() for a in answer.split(",")]
    return ", ".join([repr(float(first) + 1.0)] + rest)


@pytest.mark.slow
def test_mutated_copy_flags_exactly_the_mutated_problems(keys):
    for v, variant in enumerate(keys.values()):
        mutated = {2 + v, 5 + v, 9}
        lines = []
        for line in key_answers(variant).splitlines():
            m = re.fullmatch(r"(\d+): (.*)", line)
            if m and int(m.group(1)) in mutated:
                line = f"{m.group(1)}: {_mutate(variant, int(m.group(1)), m.group(2))}"
            lines.append(line)
        result = grade(variant, parse_answers("\n".join(lines)))
        flagged = {m.number for m in result.marks if m.score < 1}
        assert flagged == mutated, [(m.number, m.answer, m.reason) for m in result.marks]
        for m in result.marks:
            if m.number in mutated:
                assert m.reason  # every flagged answer says why


def test_equivalent_forms_and_named_parts_are_accepted(tmp_path):
    out = tmp_path / "s"
    assert run("worksheet", "sigmoid", "neuron", "softmax", "-n", "3", "--kind", "derive",
               "--seed", "4", "--format", "md", "--out", str(out)).exit_code == 0
    variant = next(iter(read_key(out / "key.json").values()))
    sig, neuron, soft = variant.problems
    # the sigmoid answer written with sigmoid() instead of exponentials
    (a, c) = _inner(sig.function)
    typed = {1: f"{a}*sigmoid({a}*z + {c})*(1 - sigmoid({a}*z + {c}))"}
    # the neuron's answer written with its named parts a and z
    wrt = neuron.wrt[0]
    typed[2] = {"w": "(a - t)*a*(1 - a)*x", "b": "(a - t)*a*(1 - a)"}[wrt]
    i = int(re.search(r"exp\(z(\d)\)/", str(soft.function)).group(1))
    j = int(soft.wrt[0][1:])
    typed[3] = f"s{i}*(1 - s{i})" if i == j else f"-s{i}*s{j}"
    text = "\n".join(f"{k}: {v}" for k, v in typed.items())
    result = grade(variant, parse_answers(text))
    assert [m.score for m in result.marks] == [1, 1, 1], [m.reason for m in result.marks]


def _inner(function):
    """(a, c) of the sigmoid 1/(1 + exp(-(a z + c))) in a key's function."""
    import sympy

    z = sympy.Symbol("z", real=True)
    e = [x for x in function.atoms(sympy.exp)][0].args[0]
    a = -e.diff(z)
    c = -(e + a * z)
    return int(a), int(sympy.expand(c))


def test_bad_answers_are_wrong_with_a_reason_never_a_crash(keys):
    variant = next(iter(keys.values()))
    hostile = ["exp(", "1/0", "x" * 5000, "__import__('os')", "2**99999999", "⊕", ";;;", "nan",
               "1e999", "d/dz sigmoid(z)", "(" * 500]
    text = "\n".join(f"{k + 1}: {h}" for k, h in enumerate(hostile))
    result = grade(variant, parse_answers(text))
    assert len(result.marks) == 12
    for m in result.marks:
        assert m.score == 0 and m.reason, (m.number, m.answer[:30])
    # too few lines: the rest are missing, and the reason says how many were given
    result = grade(variant, parse_answers(f"variant: {variant.id}\n1: 0\n"))
    assert result.marks[5].status == "missing" and "answers 1 of 12" in result.marks[5].reason


@pytest.mark.slow
def test_cli_one_student_and_a_class(key_path, keys, tmp_path):
    variants = list(keys.values())
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.txt").write_text(key_answers(variants[0]))
    wrong = key_answers(variants[1]).replace("\n1: ", "\n1: 0*")
    (folder / "bob.txt").write_text(wrong)
    (folder / "cy.txt").write_bytes(b"\xff\xfe garbage")
    (folder / "notes.md").write_text("not an answers file")
    r = run("grade", str(key_path), str(folder / "ada.txt"))
    assert r.exit_code == 0 and "12 / 12" in r.output, r.output
    r = run("grade", str(key_path), str(folder / "bob.txt"), "--format", "json")
    data = json.loads(r.output)
    assert data["score"] == 11 and data["marks"][0]["status"] == "wrong"
    r = run("grade", str(key_path), str(folder))
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [row["file"] for row in rows] == ["ada.txt", "bob.txt", "cy.txt"]
    assert rows[0]["score"] == "12" and rows[1]["score"] == "11" and rows[1]["p1"] == "0"
    assert rows[2]["score"] == "0" and "UTF-8" in rows[2]["notes"]
    target = tmp_path / "scores.csv"
    r = run("grade", str(key_path), str(folder), "--csv", str(target))
    assert r.exit_code == 0 and target.exists()
    r = run("grade", str(key_path), str(folder), "--csv", str(target))
    assert r.exit_code == 2 and "--force" in r.output


def test_cli_refusals(key_path, tmp_path):
    r = run("grade", str(tmp_path / "nope.json"), str(tmp_path))
    assert r.exit_code == 2 and "no such file" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = run("grade", str(bad), str(tmp_path))
    assert r.exit_code == 2 and "not a worksheet key" in r.output
    r = run("grade", str(key_path), str(tmp_path / "missing.txt"))
    assert r.exit_code == 2 and "no such file" in r.output
    lonely = tmp_path / "lonely.txt"
    lonely.write_text("1: 0\n")
    r = run("grade", str(key_path), str(lonely))
    assert r.exit_code == 2 and "which variant" in r.output
    lonely.write_text("variant: s99-v01\n1: 0\n")
    r = run("grade", str(key_path), str(lonely))
    assert r.exit_code == 2 and "not in the key" in r.output
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("grade", str(key_path), str(empty))
    assert r.exit_code == 2 and "no .txt answer files" in r.output


@pytest.mark.slow
def test_installed_command_end_to_end(tmp_path):
    """The real command in a child process: sheets, a class folder with a hostile file, CSV."""
    import os
    import shutil
    import subprocess
    import sys

    tutor = shutil.which("tutor")
    cmd = [tutor] if tutor else [sys.executable, "-m", "tutor"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def call(*args):
        return subprocess.run([*cmd, *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, env=env)

    r = call("worksheet", "tanh", "linear_regression", "-n", "4", "-k", "2", "--seed", "3",
             "--format", "pdf", "--out", "s")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s" / "variant-02.pdf").read_bytes().startswith(b"%PDF")
    keys = read_key(tmp_path / "s" / "key.json")
    (tmp_path / "c").mkdir()
    for k, v in enumerate(keys.values()):
        (tmp_path / "c" / f"st{k}.txt").write_text(key_answers(v))
    (tmp_path / "c" / "evil.txt").write_bytes(b"variant: s3-v01\n1: " + b"(" * 100000 + b"\n2: \x00")
    r = call("grade", "s/key.json", "c", "--csv", "scores.csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(tmp_path / "scores.csv", encoding="utf-8")))
    assert {row["file"]: row["score"] for row in rows} == {"evil.txt": "0", "st0.txt": "4",
                                                           "st1.txt": "4"}
    r = call("worksheet", "tanh", "--out", "s")
    assert r.returncode == 2 and r.stderr.startswith("error:") and "Traceback" not in r.stderr


FORMS = ["{n}: {a}", "{n}. {a}", "{n}) {a}", "({n}) {a}", "Q{n}: {a}", "q{n} {a}",
         "Problem {n}: {a}", "problem {n} - {a}", "第{n}题：{a}", "第 {n} 题: {a}",
         "（{n}）{a}", "Exercise {n}. {a}"]


def _answer_lines(variant):
    """The key's own answers, {number: answer text}."""
    lines = key_answers(variant).splitlines()[2:]
    return {int(line.split(":", 1)[0]): line.split(":", 1)[1].strip() for line in lines}


def test_every_numbering_students_write_is_read(keys):
    variant = next(iter(keys.values()))
    answers = _answer_lines(variant)
    for k, form in enumerate(FORMS):
        # the answers in shuffled order, each numbered in this form
        order = sorted(answers, key=lambda n: (n * 7 + k) % len(answers))
        text = f"variant: {variant.id.upper()}\n" + "\n".join(
            form.format(n=n, a=answers[n]) for n in order)
        result = grade(variant, parse_answers(text))
        assert result.score == result.out_of == len(answers), (form, result.problem)
        assert result.problem == ""


def test_an_answer_that_names_no_problem_or_a_missing_one_is_reported_not_moved(keys, key_path,
                                                                                tmp_path):
    variant = next(iter(keys.values()))
    answers = _answer_lines(variant)
    last = max(answers)
    # problem 3 is answered by a line with no number, and a "Q{last + 1}" answers a problem
    # the sheet lacks; problem 1 is answered twice
    lines = [f"variant: {variant.id}"] + [f"{n}: {answers[n]}" for n in answers if n != 3]
    lines += [answers[3], f"Q{last + 1}: 0.137", "1: 12345"]
    (tmp_path / "ada.txt").write_text("\n".join(lines) + "\n")
    result = grade(variant, parse_answers("\n".join(lines)))
    marks = {m.number: m for m in result.marks}
    assert marks[3].status == "missing" and marks[3].score == 0
    assert all(marks[n].score == 1 for n in answers if n != 3)
    assert f"problems the sheet does not have: {last + 1}" in result.problem
    assert "lines with no problem number, not graded" in result.problem
    assert "answered twice" in marks[1].reason
    # and the class CSV says so in its notes
    r = run("grade", str(key_path), str(tmp_path))
    row = next(csv.DictReader(io.StringIO(r.output)))
    assert "lines with no problem number" in row["notes"] and str(last + 1) in row["notes"]



def _class_folder(keys, folder, students=24):
    """Students' files: each variant's key answers, with some answers changed."""
    import random

    folder.mkdir()
    rng = random.Random(4)
    variants = list(keys.values())
    changed = {}
    for i in range(students):
        v = variants[i % len(variants)]
        lines = key_answers(v).splitlines()
        out = [lines[0], f"name: student {i:02d}"]
        changed[f"student {i:02d}"] = 0
        for line in lines[2:]:
            n, a = line.split(":", 1)
            keep = rng.random() < 0.9
            changed[f"student {i:02d}"] += not keep
            out.append(f"{n}: {a.strip() if keep else '2*(' + a.strip() + ') + 1'}")
        (folder / f"s{i:02d}.txt").write_text("\n".join(out) + "\n")
    return folder, changed


def test_a_class_graded_on_two_processes_gets_the_same_csv_as_on_one(keys, key_path, tmp_path):
    folder, changed = _class_folder(keys, tmp_path / "class")
    one = run("grade", str(key_path), str(folder), "--jobs", "1").output
    two = run("grade", str(key_path), str(folder), "--jobs", "2").output
    assert one == two
    rows = list(csv.DictReader(io.StringIO(one)))
    assert [r["student"] for r in rows] == [f"student {i:02d}" for i in range(24)]
    # full marks exactly for the students whose answers are all the key's own
    assert {r["student"] for r in rows if float(r["score"]) == float(r["out_of"])} == \
        {name for name, count in changed.items() if count == 0}
    assert 0 < sum(1 for c in changed.values() if c == 0) < 24


@pytest.mark.slow
def test_the_installed_command_grades_a_class_in_parallel(keys, key_path, tmp_path):
    import os
    import subprocess
    import sys

    folder, _ = _class_folder(keys, tmp_path / "class", students=16)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    outs = [subprocess.run([sys.executable, "-m", "tutor", "grade", str(key_path), str(folder),
                            "--jobs", jobs], capture_output=True, text=True, env=env,
                           timeout=300)
            for jobs in ("1", "2")]
    assert all(o.returncode == 0 for o in outs), outs[0].stderr
    assert outs[0].stdout == outs[1].stdout and outs[0].stderr == outs[1].stderr == ""

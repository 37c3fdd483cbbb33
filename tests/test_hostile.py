"""Hostile and faulty input, the cases decided so far: answers with no value, a student's file
that tries terminal markup or spreadsheet formulas, a long literal taken for a file name, and a
run whose loss oscillates upward.  Each gets a verdict or one clear line, never a traceback."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from tutor.cli import main


def _run(args, **kw):
    return CliRunner().invoke(main, args + ["--lang", "en"], **kw)


@pytest.mark.parametrize("answer", ["1/(z-z)", "log(0)", "tan(pi/2)", "cot(-pi)", r"\frac{1}{z-z}"])
def test_an_answer_with_no_value_is_one_line(answer):
    r = _run(["check", "sigmoid", answer])
    assert r.exit_code == 2 and r.output.startswith("error: the answer has no value")
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_one_bad_file_never_stops_a_class_and_the_csv_is_safe(tmp_path):
    sheets = tmp_path / "sheets"
    assert _run(["worksheet", "sigmoid", "--seed", "7", "--out", str(sheets),
                 "--format", "md"]).exit_code == 0
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.txt").write_text("variant: s7-v01\nname: Ada [/b]\n1: 1/(z-z)\n2: 0.1\n")
    (folder / "b.txt").write_text('variant: s7-v01\nname: =HYPERLINK("x")\n1: log(0)\n')
    (folder / "c.txt").write_text("variant: s7-v01\nname: Cy\n1: sigmoid(2*z + 1)\n")
    r = _run(["grade", str(sheets / "key.json"), str(folder)])
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.output)))
    assert [row[0] for row in rows[1:]] == ["Ada [/b]", "'=HYPERLINK(\"x\")", "Cy"]
    # one student's table shows the markup-like name as it is
    single = _run(["grade", str(sheets / "key.json"), str(folder / "a.txt")])
    assert single.exit_code == 0 and "Ada [/b]" in single.output


def test_a_long_literal_is_not_taken_for_a_file_name():
    xs = ",".join(["1"] * 300)
    r = _run(["train", "--expr", "(w*x - y)^2", "--params", "w", "--data", f"x={xs}",
              "--data", f"y={xs}", "--epochs", "1", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["samples"] == 300


@pytest.mark.parametrize("lesson,extra", [
    ("logistic_regression", ["--true-w", "2,-1", "--true-b", "0", "--lr", "1000"]),
    ("logistic_regression", ["--true-w", "2,-1", "--true-b", "0", "--lr", "1e10"]),
    ("softmax_regression", ["--size", "3", "--true-w", "1,2,3;4,5,6", "--lr", "1000"]),
])
def test_an_oscillating_run_that_ends_far_above_its_start_is_divergence(lesson, extra):
    r = CliRunner().invoke(main, ["train", lesson, "--synthetic", *extra, "--format", "json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["diverged"] is True


@pytest.mark.slow
@pytest.mark.parametrize("expr", ["(x+y+z+w)^1000", "(x+1)^999*(x-1)^999", "(x+y+z)^300"])
def test_symbolic_work_on_typed_input_has_a_budget(expr):
    r = _run(["explain", "--expr", expr, "--wrt", "x"])
    assert r.exit_code == 2 and "of symbolic work" in r.output and r.output.count("\n") == 1


@pytest.mark.parametrize("expr,value", [
    ("x*3.812^0.000000000000000000001", 3.812 ** 1e-21),
    ("x*sqrt(4.34^1.140379)", (4.34 ** 1.140379) ** 0.5),
])
def test_a_constant_power_with_decimals_is_a_number_not_a_root_to_find(expr, value):
    r = _run(["explain", "--expr", expr, "--wrt", "x", "--at", "x=1", "--format", "json"])
    assert r.exit_code == 0, r.output
    numeric = json.loads(r.output)["derivatives"][0]["numeric"]
    assert numeric["derivative"] == [pytest.approx(value, rel=1e-12)]


def test_too_many_derivatives_are_refused_before_any_work():
    r = _run(["explain", "softmax", "--size", "12"])
    assert r.exit_code == 2
    assert r.output.startswith("error: that is 144 derivatives") and "--wrt" in r.output

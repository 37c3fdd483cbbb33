"""Bad input: one clear line, exit code 2, no traceback, nothing executed, nothing written."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tutor import cli

HANG_GUARD = 60  # seconds: a guard against hanging, not a performance target

EXPRESSIONS = {
    "malformed": "x +",
    "unknown function": "foo(x)",
    "empty": "",
    "import": "__import__('os').system('touch PWNED')",
    "exec": "exec('1')",
    "class": "().__class__",
    "lambda": "lambda: 0",
    "dunder attribute": "x.__dict__",
    "symbol injection": "Symbol('x) + __import__(\"os\").system(\"touch PWNED\") + (x')",
    "tower": "9**9**9**9",
    "huge exponent": "x**(10**100)",
    "long": "x+" * 50_000,
    "deep": "(" * 10_000 + "x" + ")" * 10_000,
    "nul": "x\x00+1",
}


def _cli(args, cwd):
    return subprocess.run([sys.executable, "-m", "tutor", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=HANG_GUARD,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def _one_clear_error(result):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: ")
    # the message, and at most the expression with a caret under it
    assert len(lines) <= 3
    assert len(lines[0]) < 300
    assert result.stdout == ""


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXPRESSIONS), ids=list(EXPRESSIONS))
def test_bad_expressions(tmp_path, name):
    text = EXPRESSIONS[name]
    if "\x00" in text:
        # a NUL cannot travel in argv: the library is tested directly instead
        from tutor.errors import ExpressionError
        from tutor.explaining.explanation import lesson_from_expression

        with pytest.raises(ExpressionError):
            lesson_from_expression(text)
        return
    r = _cli(["explain", "--expr", text], tmp_path)
    _one_clear_error(r)
    assert not (tmp_path / "PWNED").exists()
    assert list(tmp_path.iterdir()) == []


def test_unknown_lesson_suggests(tmp_path):
    r = _cli(["explain", "sigmod"], tmp_path)
    _one_clear_error(r)
    assert "sigmoid" in r.stderr


def test_unknown_format(tmp_path):
    r = _cli(["explain", "sigmoid", "--format", "yaml"], tmp_path)
    _one_clear_error(r)
    assert "yaml" in r.stderr


def test_plot_in_missing_directory(tmp_path):
    r = _cli(["explain", "sigmoid", "--plot", str(tmp_path / "nope" / "s.png")], tmp_path)
    _one_clear_error(r)
    assert "does not exist" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("args,needle", [
    (["explain", "sigmoid", "--at", "z=abc"], "not a number"),
    (["explain", "sigmoid", "--at", "z=nan"], "finite"),
    (["explain", "sigmoid", "--at", "q=1"], "no variable 'q'"),
    (["explain", "sigmoid", "--wrt", "q"], "no variable 'q'"),
    (["explain", "--expr", "x^2", "--wrt", "y"], "no variable 'y'"),
    (["explain"], "name one lesson"),
    (["explain", "sigmoid", "--expr", "x"], "name one lesson"),
    (["explain", "softmax", "--size", "1"], "size"),
    (["explain", "sigmoid", "--size", "3"], "size"),
    (["explain", "sigmoid", "--plot", "out.txt"], ".png"),
    (["explain", "--lesson-file", "missing.toml"], "no such file"),
    (["explain", "--expr", "x(y+1)"], "not a function"),
])
def test_other_bad_options(tmp_path, args, needle):
    r = _cli(args, tmp_path)
    _one_clear_error(r)
    assert needle in r.stderr


def test_caret_points_at_the_unknown_function():
    r = CliRunner().invoke(cli.main, ["explain", "--expr", "2*x + foo(x)"])
    assert r.exit_code == 2
    lines = r.output.splitlines()
    assert "foo" in lines[0]
    expr_line, caret_line = lines[1], lines[2]
    assert expr_line[caret_line.index("^"):].startswith("foo")

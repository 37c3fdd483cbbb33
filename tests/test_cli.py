"""The command line, through Click's CliRunner and through the installed ``tutor`` command."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from tutor import cli

runner = CliRunner()


def run(*args):
    return runner.invoke(cli.main, list(args))


def test_help_lists_commands():
    r = run("--help")
    assert r.exit_code == 0
    assert "explain" in r.output and "list" in r.output


def test_list_shows_every_lesson():
    from tutor.explaining.lesson import lesson_names

    r = run("list")
    assert r.exit_code == 0
    for name in lesson_names():
        assert name in r.output


def test_explain_sigmoid_text():
    r = run("explain", "sigmoid")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "σ(z)·(1 − σ(z))" in out
    assert "chain rule" in out and "recognise" in out
    # σ'(0) = 1/4 printed from the computation
    assert "0.2500" in out
    assert "✓" in out


def test_explain_expr_with_wrt_and_at():
    r = run("explain", "--expr", "tanh(w*x + b)", "--wrt", "w", "--at", "w=0.5,1", "--at", "x=2",
            "--at", "b=0", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)["derivatives"][0]
    assert d["wrt"] == "w"
    # d/dw tanh(wx + b) = x (1 − tanh²(wx + b)), by hand
    expected = [2 * (1 - np.tanh(2 * w) ** 2) for w in (0.5, 1.0)]
    assert d["numeric"]["derivative"] == pytest.approx(expected, rel=1e-12)


def test_explain_x_caret_and_double_star_agree():
    a = json.loads(run("explain", "--expr", "x^3", "--format", "json").output)
    b = json.loads(run("explain", "--expr", "x**3", "--format", "json").output)
    assert a["derivatives"][0]["result"] == b["derivatives"][0]["result"] == "3*x**2"


@pytest.mark.parametrize("fmt,marker", [("markdown", "# Sigmoid"), ("latex", r"\documentclass")])
def test_other_formats(fmt, marker):
    r = run("explain", "sigmoid", "--format", fmt)
    assert r.exit_code == 0, r.output
    assert marker in r.output


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_plot_formats(tmp_path, suffix, magic):
    path = tmp_path / ("sigmoid" + suffix)
    r = run("explain", "sigmoid", "--plot", str(path))
    assert r.exit_code == 0, r.output
    assert path.read_bytes().startswith(magic)
    # no temporary files left beside it
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_plot_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "p.png"
    path.write_bytes(b"keep")
    r = run("explain", "sigmoid", "--plot", str(path))
    assert r.exit_code == 2
    assert path.read_bytes() == b"keep"
    r = run("explain", "sigmoid", "--plot", str(path), "--force")
    assert r.exit_code == 0
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_softmax_size_option():
    r = run("explain", "softmax", "--size", "4", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)["derivatives"][0]
    assert len(d["result"]) == 4 and all(len(row) == 4 for row in d["result"])
    # one point: every number is a list over the points, here of length 1
    z = np.array([d["numeric"]["at"][f"z{k}"][0] for k in range(1, 5)], float)
    s = np.exp(z) / np.exp(z).sum()
    jac = np.array([[entry[0] for entry in row] for row in d["numeric"]["derivative"]], float)
    assert jac == pytest.approx(np.diag(s) - np.outer(s, s), rel=1e-9)


def test_lesson_file(tmp_path):
    path = tmp_path / "cube.toml"
    path.write_text('name = "cube"\ntitle = "Cube"\nwrt = ["x"]\n[function]\nname = "f"\n'
                    'expression = "x^3 + 2x"\n[symbols]\nx = "input"\n[example]\nx = [1.0, 2.0]\n')
    r = run("explain", "--lesson-file", str(path), "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)["derivatives"][0]
    assert d["numeric"]["derivative"] == [3 * 1 + 2, 3 * 4 + 2]


@pytest.mark.parametrize("body,field", [
    ('title = "T"\nwrt = ["x"]\n[function]\nexpression = "x"\n[symbols]\nx = "input"\n', "name"),
    ('name = "t"\ntitle = "T"\nwrt = ["x"]\n[function]\nexpression = "x +"\n[symbols]\nx = "input"\n',
     "function.expression"),
    ('name = "t"\ntitle = "T"\nwrt = ["x"]\n[function]\nexpression = "x*q"\n[symbols]\nx = "input"\n',
     "function.expression"),
    ('name = "t"\ntitle = "T"\nwrt = ["y"]\n[function]\nexpression = "x"\n[symbols]\nx = "input"\n', "wrt"),
    ('name = "t"\ntitle = "T"\nwrt = ["x"]\n[function]\nexpression = "x"\n[symbols]\nx = "inptu"\n',
     "symbols.x"),
    ('name = "t"\ntitle = "T"\nwrt = ["x"]\n[functon]\nexpression = "x"\n[symbols]\nx = "input"\n',
     "functon"),
    ('name = "t"\ntitle = "T"\nwrt = ["x"]\n[function]\nexpression = "x"\n[symbols]\nx = "input"\n'
     '[example]\nx = "one"\n', "example.x"),
    ('name = "t"\ntitle = \n', "not valid TOML"),
])
def test_malformed_lesson_file_names_the_field(tmp_path, body, field):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    r = run("explain", "--lesson-file", str(path))
    assert r.exit_code == 2
    assert field in r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) <= 3


def test_installed_command_runs_from_elsewhere(tmp_path):
    exe = shutil.which("tutor")
    if exe is None:
        pytest.skip("the tutor command is not installed (pip install . first)")
    r = subprocess.run([exe, "explain", "sigmoid", "--format", "json"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)["derivatives"][0]
    assert d["numeric"]["derivative"][1] == pytest.approx(0.25, rel=1e-12)
    r = subprocess.run([exe, "explain", "nosuchlesson"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.parametrize("lesson", ["sigmoid", "softmax", "cross_entropy", "linear_regression",
                                    "relu", "mlp"])
def test_latex_compiles_with_pdflatex(tmp_path, lesson):
    """The document compiles, nothing runs past the margin (a whole network's derivation is
    scaled to the page), and its text has no caret (exponents are raised) and no dash where
    the source had |z| (a bar in pdflatex's text font)."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    r = run("explain", lesson, "--format", "latex")
    assert r.exit_code == 0, r.output
    (tmp_path / "doc.tex").write_text(r.output, encoding="utf-8")
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")
    assert "Overfull \\hbox" not in (tmp_path / "doc.log").read_text("latin-1")
    pypdf = pytest.importorskip("pypdf")
    printed = "".join(p.extract_text() for p in pypdf.PdfReader(str(tmp_path / "doc.pdf")).pages)
    # (ˆ is how a reader extracts the hat of ŷ, so the source is checked for a literal caret)
    assert not set("^—–¡¿") & set(printed) and "\\^{}" not in r.output, printed


def test_every_character_of_the_lessons_and_the_catalog_has_a_latex_form():
    """No character of a lesson's text or of a message prints as the "?" of an unknown one."""
    from tutor.i18n import LOCALE_DIR
    from tutor.explaining.lesson import _folder
    from tutor.renderers.explaining.latex import _char
    from tutor.renderers.notation import _wide

    texts = [e.read_text("utf-8") for e in _folder().iterdir() if e.name.endswith(".toml")]
    texts.append((LOCALE_DIR / "zh" / "LC_MESSAGES" / "tutor.po").read_text("utf-8"))
    unknown = {ch for t in texts for ch in t
               if not ch.isascii() and not _wide(ch) and _char(ch) == "?"}
    assert not unknown, sorted(unknown)


def test_latex_prose_sets_exponents_bars_and_signs_as_mathematics():
    from tutor.renderers.explaining.latex import prose

    assert prose("e^(−2z − 2) and x^2") == "e$^{-2z - 2}$ and x$^{2}$"
    assert prose("for large |z|: 1 − σ") == r"for large $\lvert$z$\rvert$: 1 $-$ $\sigma$"
    assert prose('z < 0, a "dead" unit') == "z $<$ 0, a ``dead'' unit"
    assert prose("tutor backprop mlp --matrix") == "tutor backprop mlp -{}-matrix"
    assert "\\^{}" not in run("explain", "sigmoid", "--format", "latex").output


def test_latex_steps_show_their_inner_functions_and_notes_unnumbered_under_them():
    """The terminal's "u = 1 + e^(−z)" lines and a kink's note, in the LaTeX derivation as
    rows without a number, under their step."""
    import re

    from tutor.renderers.explaining.latex import derivation_latex
    from tutor.explaining.explanation import explain
    from tutor.explaining.lesson import load_lesson

    for name, inner in (("sigmoid", ["u = 1 + e^{- z}", "v = - z"]), ("relu", [])):
        d = explain(load_lesson(name)).items[0].derivation
        rows = derivation_latex(d).removeprefix(r"\begin{aligned}").removesuffix(
            r"\end{aligned}").split(r"\\ ")
        numbered = [k for k, row in enumerate(rows) if re.match(r"\\text\{\d+\.\}", row)]
        under = [row for k, row in enumerate(rows) if k not in numbered]
        assert [b for b in inner if any(b in row and "where" in row for row in under)] == inner
        if name == "relu":  # the kink's note, under step 1
            assert rows[1].startswith("& ") and "not differentiable" in rows[1]


def test_an_answer_starting_with_minus_h_is_an_answer_not_the_help():
    wrong = run("check", "tanh", "-tanh(z)^2")
    assert wrong.exit_code == 1 and "Usage" not in wrong.output
    assert "1 − tanh(z)²" in wrong.output  # the expected derivative is shown
    assert run("check", "-h").exit_code == 0 and "Usage" in run("check", "-h").output


def test_an_unknown_at_name_with_expr_speaks_of_the_expression():
    r = run("explain", "--expr", "x^2", "--at", "q=1")
    assert r.exit_code == 2
    assert "the expression has no variable 'q'; its variables are x" in r.output


@pytest.mark.parametrize("args, line", [
    (["explain", "sigmoid", "--at", "z=1,a"], "error: --at z: 'a' is not a number"),
    (["explain", "sigmoid", "--at", "z=nan"], "error: --at z: 'nan' is not a finite number"),
    (["train", "--expr", "(w-3)^2", "--params", "w", "--init", "w=x"],
     "error: --init w: 'x' is not a number"),
    (["train", "--expr", "(w-3)^2", "--params", "w", "--init", "w"],
     "error: --init 'w': write name=value or name=v1,v2,… (like --init z=-2,0,2)"),
    (["train", "linear_regression", "--data", "x=1,b", "--data", "y=1,2"],
     "error: --data x: 'b' is not a number"),
])
def test_typed_number_lists_name_the_option_they_came_with(args, line):
    r = run(*args)
    assert r.exit_code == 2 and r.output.strip() == line

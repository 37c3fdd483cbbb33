"""Derivatives taken one stage at a time (explain mlp), against the written-out derivative."""

import json
import math

import pytest
import sympy
from click.testing import CliRunner

from tutor.calculus.stages import Stage, derive_through_stages, paths
from tutor.cli import main

x = sympy.Symbol("x", real=True)
u, v = sympy.symbols("u v")


def test_two_paths_add_by_the_multivariate_chain_rule():
    # f = u·v with u = x², v = sin x: by hand f′ = 2x·sin x + x²·cos x
    stages = [Stage(u, x ** 2), Stage(v, sympy.sin(x))]
    d = derive_through_stages(u * v, stages, x, name="f")
    f = sympy.Symbol("f")
    assert d.tree.paths == ((f, u, x), (f, v, x))
    written = d.tree.after.xreplace({u: x ** 2, v: sympy.sin(x)})
    for point in (-1.3, 0.4, 2.0):
        by_hand = 2 * point * math.sin(point) + point ** 2 * math.cos(point)
        assert float(written.subs(x, point)) == pytest.approx(by_hand, rel=1e-12)
    # each local derivative is a derivation of its own under the step
    assert [s.wrt for s in d.tree.substeps if not s.is_rewrite] == [u, x, v, x]


def test_a_variable_reached_by_no_stage_has_no_path():
    stages = [Stage(u, x ** 2)]
    assert paths(u * v, stages, sympy.Symbol("y"), sympy.Symbol("f")) == []


def test_explain_mlp_goes_layer_by_layer():
    r = CliRunner().invoke(main, ["explain", "mlp", "--format", "json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    first = data["derivatives"][0]
    top = first["steps"][0]
    assert top["chain"] == [["L", "yhat", "h1", "z1", "w11"]]
    # the result, written out, is SymPy's derivative of the whole network by w11
    s = {n: sympy.Symbol(n, real=True) for n in
         "x1 x2 w11 w12 w21 w22 b1 b2 v1 v2 c y".split()}
    h1 = sympy.tanh(s["w11"] * s["x1"] + s["w12"] * s["x2"] + s["b1"])
    h2 = sympy.tanh(s["w21"] * s["x1"] + s["w22"] * s["x2"] + s["b2"])
    loss = (s["v1"] * h1 + s["v2"] * h2 + s["c"] - s["y"]) ** 2 / 2
    point = {s["x1"]: 0.5, s["x2"]: 1.0, s["y"]: 1.0, s["w11"]: 0.5, s["w12"]: -0.3,
             s["w21"]: 0.8, s["w22"]: 0.2, s["b1"]: 0.1, s["b2"]: -0.1, s["v1"]: 1.0,
             s["v2"]: -0.7, s["c"]: 0.2}
    expected = float(sympy.diff(loss, s["w11"]).subs(point))
    assert first["numeric"]["derivative"][0] == pytest.approx(expected, rel=1e-12)


def test_the_terminal_shows_the_chain_and_each_layers_local_derivative():
    r = CliRunner().invoke(main, ["explain", "mlp", "--lang", "en"], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    assert "∂L/∂w₁₁ = ∂L/∂ŷ·∂ŷ/∂h₁·∂h₁/∂z₁·∂z₁/∂w₁₁" in r.output
    assert "d/dz₁ tanh(z₁) = 1 − tanh(z₁)²" in r.output
    assert "…" not in r.output.split("mean over the batch")[0].split("rel. error")[1]


def test_stages_in_a_lesson_file_must_be_a_boolean(tmp_path):
    lesson = tmp_path / "s.toml"
    lesson.write_text('name = "s"\ntitle = "S"\nsummary = "s"\nstages = "yes"\nwrt = ["x"]\n'
                      '[function]\nexpression = "u^2"\n[symbols]\nx = "input"\n'
                      '[[named]]\nname = "u"\nexpression = "3*x"\n')
    r = CliRunner().invoke(main, ["explain", "--lesson-file", str(lesson)])
    assert r.exit_code == 2 and "stages" in r.output and r.output.count("\n") == 1
    lesson.write_text(lesson.read_text().replace('"yes"', "true"))
    r = CliRunner().invoke(main, ["explain", "--lesson-file", str(lesson), "--format", "json",
                                  "--at", "x=-1,0.5,2"])
    assert r.exit_code == 0, r.output
    # by hand: d/dx (3x)² = 18x
    d = json.loads(r.output)["derivatives"][0]
    for xv, dv in zip(d["numeric"]["at"]["x"], d["numeric"]["derivative"]):
        assert dv == pytest.approx(18 * xv)


@pytest.mark.parametrize("lesson", ["sigmoid", "mlp", "linear_regression", "softmax"])
def test_at_120_columns_no_number_is_cut(lesson):
    # side by side only where the numbers fit whole; otherwise under the steps
    r = CliRunner().invoke(main, ["explain", lesson, "--lang", "en"], env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    for line in r.output.splitlines():
        assert len(line) <= 120
        if "rel. error" in line and "max rel. error" not in line:  # the numbers' header: every label whole
            assert "finite diff." in line, line
        assert "…" not in line.replace("x₁ …", "").replace("z₁ …", ""), line
    if lesson == "sigmoid":  # a narrow table stands beside the steps
        assert "│" in r.output
    if lesson == "mlp":  # nine inputs do not fit beside them
        assert "│" not in r.output


def test_the_heading_says_whose_points_they_are():
    # the lesson's example batch, or the points the user gave with --at
    own = CliRunner().invoke(main, ["explain", "sigmoid", "--lang", "en"],
                             env={"COLUMNS": "120"}).output
    given = CliRunner().invoke(main, ["explain", "sigmoid", "--at", "z=1,3", "--lang", "en"],
                               env={"COLUMNS": "120"}).output
    assert "on the example batch" in own and "at these points" not in own
    assert "at these points" in given and "on the example batch" not in given


@pytest.mark.parametrize("lang,expected", [("en", "error: lesson file"), ("zh", "错误：课程文件")])
def test_a_folder_given_as_a_lesson_file_is_one_line_in_the_users_language(tmp_path, lang,
                                                                            expected):
    r = CliRunner().invoke(main, ["explain", "--lesson-file", str(tmp_path), "--lang", lang])
    assert r.exit_code == 2 and r.output.startswith(expected) and r.output.count("\n") == 1

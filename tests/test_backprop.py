"""Backpropagation through a graph of primitives, checked by independent means: high-precision
symbolic derivatives, high-precision finite differences, and hand-worked numbers."""

import json
import math
import random
import shutil
import subprocess

import pytest
import sympy
from click.testing import CliRunner

from tutor import cli
from tutor.backpropagation.backprop import backprop
from tutor.backpropagation.graph import build_graph, lesson_from_assignment, lesson_graph
from tutor.explaining.lesson import lesson_names, load_lesson

DIGITS = 40


def run(*args):
    return CliRunner().invoke(cli.main, list(args))


def _exact(expr, point):
    return float(expr.evalf(DIGITS, subs=point))


def _finite_difference(expr, point, s):
    """Central difference in 40-digit arithmetic: truncation error ~h², no rounding at h=1e-12."""
    h = sympy.Float("1e-12", DIGITS)
    up = dict(point)
    down = dict(point)
    up[s] = point[s] + h
    down[s] = point[s] - h
    return float((expr.evalf(DIGITS, subs=up) - expr.evalf(DIGITS, subs=down)) / (2 * h))


def _rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


def _random_point(variables, rng):
    return {s: sympy.Float(repr(round(rng.uniform(-2, 2), 6) or 0.3), DIGITS) for s in variables}


LESSONS = lesson_names()


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_backward_pass_equals_symbolic_and_finite_differences(name):
    lesson = load_lesson(name)
    graph = lesson_graph(lesson)
    rng = random.Random(sum(map(ord, name)))
    variables = sorted({s for e in lesson.outputs for s in e.free_symbols}, key=lambda s: s.name)
    for _ in range(3):
        point = _random_point(variables, rng)
        at = {s.name: float(v) for s, v in point.items()}
        for out in range(len(lesson.outputs)):
            grads = graph.gradients(at, [s.name for s in variables], output=out)
            expr = lesson.outputs[out]
            for s in variables:
                expected = _exact(sympy.diff(expr, s), point)
                fd = _finite_difference(expr, point, s)
                got = float(grads[s.name])
                assert _rel(got, expected) < 1e-9, (name, out, s, got, expected)
                assert _rel(got, fd) < 1e-9, (name, out, s, got, fd)


def test_sigmoid_slope_at_zero_is_a_quarter():
    bp = backprop(lesson_from_assignment("s = sigmoid(z)"), at={"z": 0.0})
    assert bp.gradients["z"] == 0.25
    # the lesson writes σ out as 1/(1 + e^(−z)): the same number through five nodes
    bp = backprop(load_lesson("sigmoid"), at={"z": 0.0})
    assert bp.gradients["z"] == pytest.approx(0.25, rel=1e-15)


def test_neuron_reproduces_the_classic_derivation():
    # z = w·x + b, y = σ(z), L = ½(y − t)²; ȳ = y − t, z̄ = ȳ·σ'(z), w̄ = z̄·x, b̄ = z̄
    w, b, x, t = 0.8, -0.2, 2.0, 1.0
    z = w * x + b
    y = 1 / (1 + math.exp(-z))
    y_bar = y - t
    z_bar = y_bar * y * (1 - y)
    bp = backprop(load_lesson("neuron"), at={"w": w, "b": b, "x": x, "t": t})
    g = bp.graph
    assert bp.value(g.node("z")) == pytest.approx(z, rel=1e-15)
    assert bp.value(g.node("a")) == pytest.approx(y, rel=1e-15)
    assert bp.adjoint(g.node("a")) == pytest.approx(y_bar, rel=1e-14)
    assert bp.adjoint(g.node("z")) == pytest.approx(z_bar, rel=1e-14)
    assert bp.gradients == pytest.approx({"w": z_bar * x, "b": z_bar}, rel=1e-14)


def test_a_node_used_twice_receives_both_shares():
    # f = x·y + x: x̄ = ȳ-share from the product (y) plus 1 from the sum
    bp = backprop(lesson_from_assignment("f = x*y + x"), at={"x": 3.0, "y": -2.0})
    assert bp.gradients == {"x": -1.0, "y": 3.0}


def test_batch_gradient_is_the_mean_of_the_per_sample_ones():
    lesson = load_lesson("linear_regression")
    bp = backprop(lesson)
    xs, w, b, ys = ([[1.0, 2.0], [2.0, -1.0], [0.5, 0.5], [-1.0, 3.0]], [1.5, -2.0], 1.0,
                    [-1.0, 9.0, 4.0, -6.0])
    errors = [w[0] * x[0] + w[1] * x[1] + b - y for x, y in zip(xs, ys)]
    n = len(ys)
    expected = {"w1": sum(e * x[0] for e, x in zip(errors, xs)) / n,
                "w2": sum(e * x[1] for e, x in zip(errors, xs)) / n, "b": sum(errors) / n}
    assert bp.batch_gradients == pytest.approx(expected, rel=1e-14)


def test_relu_at_zero_says_which_one_sided_value_it_used():
    bp = backprop(load_lesson("relu"), at={"z": [0.0, 1.0]})
    assert bp.gradients["z"] == 0.0
    (note,) = bp.notes
    assert note.samples == [0]
    assert "left-hand value 0" in note.message and "right it is 1" in note.message
    r = run("backprop", "relu", "--at", "z=0")
    assert r.exit_code == 0
    flat = " ".join(r.output.split())
    assert "left-hand value 0" in flat and "at a kink" in flat


def test_primitives_local_derivatives_are_the_derivatives_of_their_formulas():
    expr = lesson_from_assignment(
        "f = tanh(x)*softplus(y) + relu(x - y)^3 + abs(y)/exp(x) + 2^x + x^y + log(y^2) "
        "+ max(x, y) + sin(x)*cos(y) + atan(x) + sec(x) + csc(y) + cot(x*y) + sign(x)*y "
        "+ heaviside(y)*x + asinh(x) + acosh(y^2 + 2) + atanh(x/3) + asin(x/2) + acos(y/3) "
        "+ sinh(x) + cosh(y) + tan(x) + sqrt(y^2 + 1) + min(x, 2*y)").outputs[0]
    g = build_graph([expr], ["f"])
    for node in g.nodes:
        me = node.symbol
        for k, i in enumerate(node.inputs):
            inp = g.nodes[i].symbol
            expected = sympy.diff(node.formula, inp)
            got = node.local_formulas[k].subs(me, node.formula)
            point = {inp: sympy.Float("0.7"), **{s: sympy.Float("1.3") for s in
                                                 node.formula.free_symbols if s != inp}}
            # (acosh at 0.7 is complex: the identity holds there too)
            assert abs(complex((expected - got).evalf(30, subs=point))) < 1e-20, (node.name, k)


def test_every_function_of_the_parser_backpropagates():
    text = ("f = tanh(x)*softplus(y) + relu(x - y)^3 + abs(y)/exp(x) + 2^x + x^y + log(y^2) "
            "+ max(x, y) + sin(x)*cos(y) + atan(x) + sec(x) + csc(y) + cot(x*y) + sign(x)*y "
            "+ heaviside(y)*x + asinh(x) + acosh(y^2 + 2) + atanh(x/3) + asin(x/2) + acos(y/3) "
            "+ sinh(x) + cosh(y) + tan(x) + sqrt(y^2 + 1) + min(x, 2*y) + sigmoid(x*y)")
    lesson = lesson_from_assignment(text)
    expr = lesson.outputs[0]
    point = {s: sympy.Float(v, DIGITS) for s, v in
             zip(sorted(expr.free_symbols, key=lambda s: s.name), ("0.7", "1.3"))}
    bp = backprop(lesson, at={s.name: float(v) for s, v in point.items()})
    for s in point:
        expected = _exact(sympy.diff(expr, s).replace(sympy.DiracDelta, lambda *a: 0), point)
        assert _rel(bp.gradients[s.name], expected) < 1e-9, s
        assert _rel(bp.gradients[s.name], _finite_difference(expr, point, s)) < 1e-9, s


def test_a_jump_hit_exactly_is_noted():
    bp = backprop(lesson_from_assignment("f = heaviside(x)*y + sign(x)"), at={"x": 0.0, "y": 2.0})
    # heaviside(x) as typed is [x > 0], 0 at x = 0: ∂f/∂y = [x > 0] = 0 there, as the finite
    # difference in y of the expression itself says
    x, y = sympy.symbols("x y", real=True)
    expr = sympy.Heaviside(x, 0) * y + sympy.sign(x)
    assert _finite_difference(expr, {x: 0, y: sympy.Float(2, DIGITS)}, y) == 0.0
    assert bp.gradients == {"x": 0.0, "y": 0.0}
    assert len(bp.notes) == 2 and all("no derivative there" in n.message for n in bp.notes)


def test_json_has_the_forward_and_backward_tables():
    r = run("backprop", "neuron", "--format", "json", "--at", "x=2", "--at", "t=1")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    forward = {row["node"]: row for row in d["forward"]}
    assert forward["z"]["formula"] == "b + u1" and forward["a"]["formula"] == "sigmoid(z)"
    z = 0.8 * 2 - 0.2
    y = 1 / (1 + math.exp(-z))
    assert forward["a"]["value"] == pytest.approx(y, rel=1e-15)
    backward = {row["node"]: row for row in d["backward"]}
    assert backward["L"]["value"] == 1.0
    assert backward["z"]["local"] == "d(a)/d(z) = a*(1 - a)"
    assert backward["z"]["adjoint"] == "bar(a)*d(a)/d(z)"
    assert backward["z"]["value"] == pytest.approx((y - 1) * y * (1 - y), rel=1e-14)
    assert d["gradients"]["w"] == pytest.approx((y - 1) * y * (1 - y) * 2, rel=1e-14)
    assert set(d["gradients"]) == {"w", "b"}
    assert d["checks"]["b"]["symbolic"] == pytest.approx(d["gradients"]["b"], rel=1e-12)


def test_text_shows_both_passes_with_bars():
    r = run("backprop", "--expr", "L = (sigmoid(w*x + b) - t)**2/2",
            "--at", "w=0.5", "--at", "x=1", "--at", "b=0", "--at", "t=1")
    assert r.exit_code == 0, r.output
    assert "forward pass" in r.output and "backward pass" in r.output
    # ū written as u + combining macron (U+0304)
    assert "u\u0304₃ = u\u0304₄·∂u₄/∂u₃" in r.output
    assert "✓" in r.output
    assert "values chosen for you" not in r.output


@pytest.mark.parametrize("args, words", [
    (["backprop", "nosuch"], "no lesson named"),
    (["backprop"], "name one lesson"),
    (["backprop", "neuron", "--at", "w=abc"], "not a number"),
    (["backprop", "neuron", "--at", "q=1"], "no variable 'q'"),
    (["backprop", "neuron", "--sample", "9"], "the batch has 3 sample"),
    (["backprop", "neuron", "--sample", "0"], "numbered from 1"),
    (["backprop", "--expr", "L = log(x)", "--at", "x=-1"], "node L = log(x)"),
    (["backprop", "--expr", "L = (x"], "error:"),
    (["backprop", "softmax", "--output", "s9"], "the outputs are s1, s2, s3"),
    (["backprop", "neuron", "--plot", "graph.txt"], "must end in"),
    (["backprop", "neuron", "--dot", "graph.png"], "must end in .dot"),
])
def test_bad_input_is_one_line_and_exit_2(args, words):
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert words in r.output
    assert "Traceback" not in r.output


def test_installed_backprop_command(tmp_path):
    exe = shutil.which("tutor")
    if exe is None:
        pytest.skip("the tutor command is not installed (pip install . first)")
    r = subprocess.run([exe, "backprop", "--expr", "s = sigmoid(z)", "--at", "z=0", "--format",
                        "json"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["gradients"] == {"z": 0.25}


def test_plot_and_dot_files(tmp_path):
    png, dot = tmp_path / "g.png", tmp_path / "g.dot"
    r = run("backprop", "neuron", "--plot", str(png), "--dot", str(dot))
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = dot.read_text("utf-8")
    assert text.startswith('digraph "L" {') and text.rstrip().endswith("}")
    # nine nodes (x, b, w, t, u1, z, a, u2, L) and eight edges, each labelled with its local
    # derivative: ∂a/∂z = σ'(0.2) at the first sample
    assert text.count("[label=") == 9 + 8
    s = 1 / (1 + math.exp(-0.2))
    assert f"∂a/∂z = {s * (1 - s):.4f}" in text
    r = run("backprop", "neuron", "--dot", str(dot))
    assert r.exit_code == 2 and "add --force" in r.output
    assert dot.read_text("utf-8") == text
    r = run("backprop", "neuron", "--dot", str(dot), "--force", "--at", "x=1")
    assert r.exit_code == 0 and dot.read_text("utf-8") != text
    graphviz = shutil.which("dot")
    if graphviz:
        out = subprocess.run([graphviz, "-Tsvg", str(dot)], capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr


def test_plot_refuses_a_missing_folder(tmp_path):
    r = run("backprop", "neuron", "--plot", str(tmp_path / "nope" / "g.png"))
    assert r.exit_code == 2 and "does not exist" in r.output


HOSTILE = {
    "malformed": "L = x +",
    "unknown function": "L = foo(x)",
    "empty": "",
    "only a name": "L =",
    "import": "L = __import__('os').system('touch PWNED')",
    "dunder attribute": "L = x.__dict__",
    "tower": "L = 9**9**9**9",
    "huge exponent": "L = x**(10**100)",
    "long": "L = " + "x+" * 50_000 + "x",
    "deep": "L = " + "(" * 10_000 + "x" + ")" * 10_000,
    "function as result": "exp = x + 1",
    "overflow": "L = exp(exp(x))",
}


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_expressions_are_one_clear_error(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli.main, ["backprop", "--expr", HOSTILE[name], "--at", "x=30",
                                      "--plot", "g.png", "--dot", "g.dot"])
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("error: ") and len(lines) <= 3 and len(lines[0]) < 300
    assert "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing executed


def test_hostile_expression_through_a_real_process(tmp_path):
    import os
    import sys

    r = subprocess.run([sys.executable, "-m", "tutor", "backprop", "--expr", HOSTILE["deep"]],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert r.returncode == 2 and r.stderr.startswith("error: ") and r.stdout == ""
    assert "Traceback" not in r.stderr


def test_a_teachers_lesson_file(tmp_path):
    path = tmp_path / "cube.toml"
    path.write_text('name = "cube"\ntitle = "A cube"\nwrt = ["w"]\n[function]\nname = "L"\n'
                    'expression = "(w*x)^3"\n[symbols]\nw = "parameter"\nx = "input"\n'
                    '[example]\nw = 2.0\nx = 0.5\n', "utf-8")
    r = run("backprop", "--lesson-file", str(path), "--format", "json")
    assert r.exit_code == 0, r.output
    # L = (w x)³: ∂L/∂w = 3 (w x)² x = 3 · 1 · 0.5
    assert json.loads(r.output)["gradients"] == {"w": 1.5}


def _matrix_blocks(*args):
    import json

    from click.testing import CliRunner

    from tutor.cli import main

    r = CliRunner().invoke(main, ["backprop", *args, "--matrix", "--format", "json",
                                  "--lang", "en"])
    assert r.exit_code == 0, r.output
    return {b["matrix"]: b for b in json.loads(r.output)["blocks"] if "matrix" in b}


def test_the_matrix_form_shows_the_residual_and_takes_the_seeds_summed_loss():
    # the seed's manual backprop for linear regression: one feature, L = ½ Σ (ŷ − y)²,
    # ∂L/∂w = Xᵀ(ŷ − y), worked here with plain Python on the lesson's example batch
    import numpy as np

    from tutor.explaining.lesson import load_lesson

    lesson = load_lesson("linear_regression", size=1)
    ex = lesson.example
    xs, ys = list(ex["x1"]), list(ex["y"])
    w, b = float(np.ravel(ex["w1"])[0]), float(np.ravel(ex["b"])[0])
    residual = [w * x + b - y for x, y in zip(xs, ys)]
    blocks = _matrix_blocks("linear_regression", "--size", "1", "--reduce", "sum")
    assert blocks["ŷ − y"]["values"] == pytest.approx(residual)
    assert blocks["Xᵀ(ŷ − y)"]["values"] == pytest.approx([sum(r * x for r, x in zip(residual, xs))])
    grad_w = blocks["∂L/∂w"]["values"]
    assert all(row == pytest.approx([sum(r * x for r, x in zip(residual, xs))]) for row in grad_w)
    # the mean divides every gradient by n
    mean = _matrix_blocks("linear_regression", "--size", "1")
    n = len(xs)
    assert mean["∂L/∂w"]["values"][0] == pytest.approx([grad_w[0][0] / n])

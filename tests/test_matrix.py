"""Matrix calculus with shapes: every derived gradient against central differences of the loss
written again here in plain NumPy (and against the textbook formula), every step checked, shape
errors as one line, the parser reading and never evaluating, JSON that reads back, and the
diagnoses of hand-written vectorised gradients."""

import builtins
import json
import random

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from tutor.cli import main
from tutor.errors import ExpressionError, TutorError
from tutor.matrix.check import check_matrix
from tutor.matrix.derive import derive_matrix
from tutor.matrix.explain import explain_matrix
from tutor.matrix.notation import read_matrix_expression
from tutor.matrix.problem import (load_matrix_lesson, matrix_lesson_names, parse_matrix_lesson,
                                  problem_from_expression)
from tutor.matrix.shapes import sample
from tutor.matrix.tree import evaluate


def numeric_gradient(f, x, h=1e-5):
    """Central differences, one entry at a time, in a plain loop."""
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        g[idx] = (f(up) - f(down)) / (2 * h)
    return g


def sig(z):
    return 1 / (1 + np.exp(-z))


def softmax_rows(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# each lesson's loss written again in NumPy, from its own names
LOSSES = {
    "dense_layer": lambda v: np.sum(v["G"] * (v["X"] @ v["W"] + v["b"])),
    "linear_regression": lambda v: np.sum((v["X"] @ v["w"] + v["b"] - v["y"]) ** 2) / (2 * len(v["y"])),
    "logistic_regression": lambda v: np.mean(
        -v["y"] * np.log(sig(v["X"] @ v["w"] + v["b"]))
        - (1 - v["y"]) * np.log(1 - sig(v["X"] @ v["w"] + v["b"]))),
    "softmax_regression": lambda v: -np.sum(v["Y"] * np.log(softmax_rows(v["X"] @ v["W"] + v["b"])))
    / len(v["Y"]),
    "mlp": lambda v: np.sum((np.tanh(v["X"] @ v["W1"] + v["b1"]) @ v["w2"] + v["c"] - v["y"]) ** 2)
    / (2 * len(v["y"])),
    "ridge": lambda v: np.sum((v["X"] @ v["w"] - v["y"]) ** 2) / (2 * len(v["y"]))
    + v["lam"] * np.sum(v["w"] ** 2) / 2,
    "quadratic_form": lambda v: v["x"] @ v["A"] @ v["x"],
    "least_squares": lambda v: np.linalg.norm(v["A"] @ v["x"] - v["b"]) ** 2,
    "layer_norm": lambda v: np.sum(v["g"] * (v["x"] - v["x"].mean())
                                   / np.sqrt(((v["x"] - v["x"].mean()) ** 2).mean() + 1e-5)),
    "attention": lambda v: np.sum(v["G"] * (softmax_rows(v["Q"] @ v["K"].T / np.sqrt(v["Q"].shape[1]))
                                            @ v["V"])),
}


def test_every_matrix_lesson_has_its_loss_written_again_here():
    assert sorted(LOSSES) == matrix_lesson_names()


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_each_lesson_gradient_agrees_with_a_plain_numpy_loop(name):
    problem = load_matrix_lesson(name)
    result = explain_matrix(problem, seed=3)
    values = result.values
    for d in result.derivations:
        assert all(s.error is not None and s.error < 1e-6 for s in d.steps), (name, d.wrt)

        def loss(x, wrt=d.wrt):
            return LOSSES[name]({**values, wrt: x})

        numeric = numeric_gradient(loss, values[d.wrt])
        scale = max(np.abs(numeric).max(), 1e-6)
        assert d.gradient.shape == values[d.wrt].shape  # the layout: the variable's shape
        assert np.abs(d.gradient - numeric).max() / scale < 1e-7, (name, d.wrt)


@pytest.mark.parametrize("seed", range(4))
def test_textbook_formulas_on_random_sizes(seed):
    rng = np.random.default_rng(seed)
    n, d, k = (int(v) for v in rng.integers(2, 8, 3))
    sizes = f"n={n},d={d},k={k}"
    problem = load_matrix_lesson("softmax_regression")
    result = explain_matrix(problem, sizes=dict(n=n, d=d, k=k), seed=seed)
    v = result.values
    S = softmax_rows(v["X"] @ v["W"] + v["b"])
    by = {x.wrt: x for x in result.derivations}
    assert np.allclose(by["W"].gradient, v["X"].T @ (S - v["Y"]) / n, rtol=1e-10, atol=1e-12), sizes
    assert np.allclose(by["b"].gradient, (S - v["Y"]).sum(axis=0) / n, rtol=1e-10, atol=1e-12)
    dense = explain_matrix(load_matrix_lesson("dense_layer"), sizes=dict(n=n, d=d, k=k), seed=seed)
    v = dense.values
    by = {x.wrt: x.gradient for x in dense.derivations}
    assert np.allclose(by["W"], v["X"].T @ v["G"]) and np.allclose(by["X"], v["G"] @ v["W"].T)
    assert np.allclose(by["b"], v["G"].sum(axis=0))


# matrix expressions of the Matrix Cookbook (Petersen & Pedersen), with their gradients as the
# cookbook states them, computed here in NumPy
COOKBOOK = [
    ("trace(A @ X)", ["A=d,n", "X=n,d"], "X", lambda v: v["A"].T),
    ("trace(X.T @ A)", ["X=n,d", "A=n,d"], "X", lambda v: v["A"]),
    ("trace(A @ X @ B)", ["A=m,n", "X=n,d", "B=d,m"], "X", lambda v: v["A"].T @ v["B"].T),
    ("a @ X @ b", ["a=n", "X=n,d", "b=d"], "X", lambda v: np.outer(v["a"], v["b"])),
    ("trace(inv(X) @ A)", ["X=d,d:spd", "A=d,d"], "X",
     lambda v: -np.linalg.inv(v["X"]).T @ v["A"].T @ np.linalg.inv(v["X"]).T),
    ("x @ B @ x", ["x=d", "B=d,d"], "x", lambda v: (v["B"] + v["B"].T) @ v["x"]),
    ("norm(X)**2", ["X=n,d"], "X", lambda v: 2 * v["X"]),
    ("trace(X @ X.T)", ["X=n,d"], "X", lambda v: 2 * v["X"]),
    ("sum((A @ x - b)**2)", ["A=n,d", "x=d", "b=n"], "x", lambda v: 2 * v["A"].T @ (v["A"] @ v["x"] - v["b"])),
    ("logsumexp(x)", ["x=d"], "x", lambda v: softmax_rows(v["x"])),
    ("sum(log(sigmoid(X @ w)))", ["X=n,d", "w=d"], "w", lambda v: v["X"].T @ (1 - sig(v["X"] @ v["w"]))),
    ("sum(exp(X @ w))", ["X=n,d", "w=d"], "w", lambda v: v["X"].T @ np.exp(v["X"] @ v["w"])),
    ("trace(A @ X.T @ B @ X)", ["A=d,d", "X=n,d", "B=n,n"], "X",
     lambda v: v["B"].T @ v["X"] @ v["A"].T + v["B"] @ v["X"] @ v["A"]),
    ("log(det(X))", ["X=d,d:spd"], "X", lambda v: np.linalg.inv(v["X"]).T),
    ("det(X)", ["X=d,d"], "X", lambda v: np.linalg.det(v["X"]) * np.linalg.inv(v["X"]).T),
    ("det(A @ X @ B)", ["A=d,d", "X=d,d", "B=d,d"], "X",
     lambda v: np.linalg.det(v["A"] @ v["X"] @ v["B"]) * np.linalg.inv(v["X"]).T),
    ("logdet(X.T @ X)", ["X=n,d"], "X", lambda v: 2 * v["X"] @ np.linalg.inv(v["X"].T @ v["X"])),
    ("mean(relu(X @ W) * V)", ["X=n,d", "W=d,k", "V=n,k"], "W",
     lambda v: v["X"].T @ ((v["X"] @ v["W"] > 0) * v["V"]) / v["V"].size),
]


@pytest.mark.parametrize("expr,shapes,wrt,formula", COOKBOOK, ids=[c[0] for c in COOKBOOK])
def test_matrix_cookbook_gradients(expr, shapes, wrt, formula):
    problem = problem_from_expression(expr, shapes, [wrt])
    for seed in (0, 1):
        result = explain_matrix(problem, seed=seed)
        (d,) = result.derivations
        assert d.agrees and all(s.error < 1e-6 for s in d.steps)
        expected = formula(result.values)
        assert np.allclose(d.gradient, expected, rtol=1e-9, atol=1e-11), (expr, d.result.text())
        # the JSON result reads back and evaluates to the same numbers
        again = read_matrix_expression(d.result.code(), problem.declared.shapes)
        assert np.allclose(np.broadcast_to(evaluate(again, result.values, result.sizes), expected.shape),
                           expected)


def test_the_layout_is_the_variables_shape_and_said_once():
    out = CliRunner().invoke(main, ["matrix", "explain", "dense_layer", "--lang", "en"],
                             env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    assert out.output.count("the shape of its variable") == 1
    assert "∂L/∂W = XᵀG" in out.output and "∂L/∂X = GWᵀ" in out.output and "∂L/∂b = 𝟏ᵀG" in out.output


def test_named_rules_and_shapes_appear_on_the_steps():
    problem = problem_from_expression("sum((X @ w + b - y)**2) / (2*n)",
                                      ["X=n,d", "w=d", "y=n", "b="], ["w"])
    (d,) = explain_matrix(problem).derivations
    rules = [s.rule for s in d.steps]
    assert rules == ["constant", "sum", "power", "linearity", "linearity", "matmul"]
    assert d.result.text() == "Xᵀ(Xw + b − y)/n"
    last = d.steps[-1]
    assert [t.shape for t in last.terms] == [("n",), ("n", "d"), ("d",)]
    assert "only Xᵀ·∂L/∂(Xw) has that shape" in last.note


# -- the parser ----------------------------------------------------------------------------------
SHAPES = {"X": ("n", "d"), "y": ("n",), "w": ("d",), "W": ("d", "k")}


@pytest.mark.parametrize("text,message,column", [
    ("X @ y", "X @ y: (n×d) @ (n) — the inner sizes d and n differ", 3),
    ("X + W", "X + W: (n×d) + (d×k) — the shapes differ", 3),
    ("X @ 2", "@ needs a vector or a matrix on both sides", 3),
    ("trace(X)", "trace takes a square matrix, not (n×d)", 1),
    ("sum(X, 2)", "the axis is 0", 8),
    ("X ** w", "a power must be a number", 6),
    ("foo(X)", "unknown function 'foo'", 1),
    ("X @@ w", "'@' cannot follow '@'", 4),
    ("(X @ w", "'(' is never closed", 1),
    ("X.shape", "'.' is only read in '.T'", 2),
    ("X @ w'", "unexpected character", 6),
])
def test_bad_expressions_are_one_line_with_a_position(text, message, column):
    with pytest.raises(ExpressionError) as info:
        read_matrix_expression(text, SHAPES, allow_new_names=False)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert info.value.position == column - 1


def test_a_shape_error_on_the_command_line_is_one_line_with_a_caret_and_exit_2():
    out = CliRunner().invoke(main, ["matrix", "explain", "--expr", "sum(X @ y)", "--shape", "X=n,d",
                                    "--shape", "y=n"])
    assert out.exit_code == 2
    lines = out.output.splitlines()
    assert lines[0].startswith("error: X @ y: (n×d) @ (n) — the inner sizes d and n differ")
    assert lines[1] == "  sum(X @ y)" and lines[2] == "        ^"
    assert "Traceback" not in out.output


def test_the_parser_never_evaluates_the_text(monkeypatch):
    import sympy

    def refuse(*args, **kwargs):
        raise AssertionError("evaluated")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(sympy, "sympify", refuse)
    node = read_matrix_expression("mean((X @ w - y)**2) + sum(W.T @ W)", SHAPES)
    assert node.shape == ()
    for hostile in ("__import__('os').system('true')", "X.__class__", "lambda: 1", "X; y",
                    "w" * 31, "(" * 200 + "w" + ")" * 200, "x" * 2001):
        with pytest.raises(ExpressionError):
            read_matrix_expression(hostile, SHAPES)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="XwyWnd()@.T*+-/^2,0 sumeanlogtrcinvx", max_size=40))
def test_any_text_is_read_or_refused_in_one_line(text):
    try:
        node = read_matrix_expression(text, SHAPES, allow_new_names=False)
    except ExpressionError as exc:
        assert "\n" not in str(exc)
    else:
        assert node.code() and node.text()


def test_the_code_form_reads_back_to_the_same_tree():
    for text in ("X.T @ (X @ w - y) / n", "-sum(Y * log(softmax(X @ W)))", "norm(A @ x - b) ** 2",
                 "trace(inv(A) @ B)", "outer(x, b) - diag(x)"):
        shapes = {"X": ("n", "d"), "w": ("d",), "y": ("n",), "Y": ("n", "k"), "W": ("d", "k"),
                  "A": ("d", "d"), "B": ("d", "d"), "x": ("d",), "b": ("d",)}
        node = read_matrix_expression(text, shapes)
        assert read_matrix_expression(node.code(), shapes) == node


# -- checking hand-written gradients -------------------------------------------------------------
SOFTMAX = problem_from_expression("-sum(Y * log(softmax(X @ W))) / n",
                                  ["X=n,d", "W=d,k", "Y=n,k:onehot"])
TANH = problem_from_expression("sum(V * tanh(X @ W))", ["X=n,d", "W=d,k", "V=n,k"])
SQUARE = problem_from_expression("sum(V * (A @ B))", ["A=d,d", "B=d,d", "V=d,d"])
LOGISTIC = problem_from_expression("mean(softplus(X @ w) - y * (X @ w))", ["X=n,d", "w=d", "y=n:binary"])

HELD_OUT = [
    (SOFTMAX, "W", "X.T @ (softmax(X @ W) - Y) / n", "right"),
    (SOFTMAX, "W", "(softmax(X @ W).T @ X - Y.T @ X).T / n", "right"),
    (SOFTMAX, "W", "(softmax(X @ W) - Y).T @ X / n", "transposed"),
    (SOFTMAX, "W", "X.T @ (softmax(X @ W) - Y)", "size_factor"),
    (SOFTMAX, "W", "X.T @ (Y - softmax(X @ W)) / n", "sign"),
    (SOFTMAX, "W", "X.T @ (softmax(X @ W) - Y) / (2*n)", "factor"),
    (SOFTMAX, "W", "X.T @ softmax(X @ W) / n", "different"),
    (LOGISTIC, "w", "(sigmoid(X @ w) - y) @ X / n", "right"),
    (LOGISTIC, "w", "X.T @ (sigmoid(X @ w) - y)", "size_factor"),
    (LOGISTIC, "w", "X.T @ (sigmoid(X @ w) - y) / d", "size_factor"),
    (LOGISTIC, "w", "sum(sigmoid(X @ w) - y) / n", "shape"),
    (TANH, "W", "X.T @ (V * (1 - tanh(X @ W)**2))", "right"),
    (TANH, "W", "X.T @ V", "missing_factor"),
    (TANH, "W", "V.T @ X", "shape"),
    (SQUARE, "A", "V @ B.T", "right"),
    (SQUARE, "A", "B.T @ V", "order"),
    (SQUARE, "A", "B @ V.T", "transposed"),
    # products whose sizes do not fit: the arrangement that fits, and whether it is right
    (LOGISTIC, "w", "X @ (sigmoid(X @ w) - y) / n", "order"),
    (LOGISTIC, "w", "(sigmoid(X @ w) - y) @ X.T / n", "order"),
    (SOFTMAX, "W", "X @ (softmax(X @ W) - Y) / n", "transposed"),
    (SOFTMAX, "W", "(softmax(X @ W) - Y) @ X / n", "transposed"),
    (LOGISTIC, "w", "X @ (sigmoid(X @ w) - y)", "shape"),
]


@pytest.mark.parametrize("problem,wrt,answer,kind", HELD_OUT, ids=[h[2] for h in HELD_OUT])
def test_check_gives_the_verdict_and_diagnosis(problem, wrt, answer, kind):
    v = check_matrix(problem, wrt, answer)
    assert v.kind == kind, v.message
    assert v.correct == (kind == "right")
    if kind in ("sign", "factor", "size_factor", "different", "missing_factor") or (
            kind == "order" and "does not fit" not in v.message):
        assert v.entry is not None and v.yours != pytest.approx(v.right)


def test_a_missing_mean_is_named():
    v = check_matrix(SOFTMAX, "W", "X.T @ (softmax(X @ W) - Y)")
    assert "a 1/n is missing" in v.message


def test_check_on_the_command_line():
    runner = CliRunner()
    ok = runner.invoke(main, ["matrix", "check", "softmax_regression", "--wrt", "W",
                              "X.T @ (softmax(X @ W + b) - Y) / n"])
    assert ok.exit_code == 0 and "✓" in ok.output
    wrong = runner.invoke(main, ["matrix", "check", "linear_regression", "--wrt", "w",
                                 "-X.T @ (X @ w + b - y) / n", "--format", "json"])
    assert wrong.exit_code == 1
    data = json.loads(wrong.output)
    assert data["diagnosis"] == "sign" and data["expected"]["code"] == "X.T @ (X @ w + b - y) / n"
    misfit = runner.invoke(main, ["matrix", "check", "linear_regression", "--wrt", "w", "X @ y"])
    assert misfit.exit_code == 1 and "(n×d) @ (n)" in misfit.output
    bad = runner.invoke(main, ["matrix", "check", "linear_regression", "--wrt", "w", "X @@ y"])
    assert bad.exit_code == 2 and len(bad.output.splitlines()) == 3  # the line and a caret


# -- the command ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "markdown", "latex"])
def test_formats(fmt):
    out = CliRunner().invoke(main, ["matrix", "explain", "linear_regression", "--format", fmt])
    assert out.exit_code == 0, out.output
    if fmt == "json":
        data = json.loads(out.output)
        w = data["derivatives"][0]
        assert w["result"] == "X.T @ (X @ w + b - y) / n" and w["numeric"]["max_rel_error"] < 1e-7
        # the values in the JSON and the result read back give the gradient in the JSON
        values = {k: np.array(v) for k, v in data["values"].items()}
        node = read_matrix_expression(w["result"], {k: tuple(s) for k, s in data["shapes"].items()})
        assert np.allclose(evaluate(node, values, data["sizes"]), w["numeric"]["gradient"])
    elif fmt == "markdown":
        assert "| 6 | ∂L/∂w = " in out.output
    else:
        assert out.output.startswith("\\documentclass") and "\\end{document}" in out.output


def test_sizes_and_seed_are_taken_and_refused_at_the_door():
    runner = CliRunner()
    out = runner.invoke(main, ["matrix", "explain", "linear_regression", "--size", "n=7,d=2",
                               "--format", "json"])
    assert json.loads(out.output)["sizes"] == {"n": 7, "d": 2}
    for args, message in [(["--size", "q=3"], "--size q: not a size"),
                          (["--size", "n=0"], "a size is from 1 to 20"),
                          (["--shape", "X=n,d"], "--shape goes with --expr")]:
        bad = runner.invoke(main, ["matrix", "explain", "linear_regression", *args])
        assert bad.exit_code == 2 and message in bad.output and len(bad.output.splitlines()) == 1
    bad = runner.invoke(main, ["matrix", "explain", "--expr", "X @ w", "--shape", "X=n,d",
                               "--shape", "w=d"])
    assert bad.exit_code == 2 and "not a scalar" in bad.output


def test_list_and_chinese():
    runner = CliRunner()
    out = runner.invoke(main, ["matrix", "list"])
    assert out.exit_code == 0 and all(name in out.output for name in matrix_lesson_names())
    zh = runner.invoke(main, ["matrix", "explain", "softmax_regression", "--lang", "zh"],
                       env={"COLUMNS": "100"})
    assert zh.exit_code == 0 and "梯度的形状与其变量相同" in zh.output
    assert "Xᵀ(S − Y)/n" in zh.output and "softmax(Z)" in zh.output


def test_a_bad_lesson_names_its_field():
    good = """name = "t"\ntitle = "T"\nexpression = "sum(X @ w)"\n[shapes]\nX = { role = "input", shape = ["n", "d"] }\nw = { role = "parameter", shape = ["d"] }\n"""
    assert parse_matrix_lesson(good).wrt == ["w"]
    with pytest.raises(TutorError, match="expression"):
        parse_matrix_lesson(good.replace("sum(X @ w)", "sum(w @ X @ X)"))
    with pytest.raises(TutorError, match="shapes.X"):
        parse_matrix_lesson(good.replace('role = "input"', 'role = "output"'))


def test_values_follow_their_kind():
    problem = problem_from_expression("sum(Y * X) + trace(inv(A))", ["Y=n,k:onehot", "X=n,k", "A=k,k:spd"])
    v = sample(problem.declared, problem.sizes_for(), 5)
    assert np.all(v["Y"].sum(axis=1) == 1) and set(np.unique(v["Y"])) <= {0.0, 1.0}
    assert np.allclose(v["A"], v["A"].T) and np.all(np.linalg.eigvalsh(v["A"]) > 0)


# -- random expressions ----------------------------------------------------------------------
# a generator of well-shaped scalar expressions over these names, each derived and checked:
# the final gradient against central differences, every step, and the derived gradient given
# back to the check as an answer (it must be right)
RANDOM_SHAPES = {"X": ("n","d"), "W": ("d","k"), "w": ("d",), "y": ("n",), "V": ("n","k"), "b": ("k",), "A": ("d","d"), "c": ()}
FUN = ["exp", "tanh", "sigmoid", "softplus", "sin", "abs"]
def gen(shape, depth, r):
    """A random expression of this shape."""
    cands = [n for n, s in RANDOM_SHAPES.items() if s == shape]
    BASE = {("d","n"): "X.T", ("k","d"): "W.T", ("k","n"): "V.T", (): "c", ("k",): "b"}
    if depth <= 0 or r.random() < 0.25:
        if cands: return r.choice(cands)
        if depth <= -2: return BASE[shape]
    if shape == ():
        ch = r.choice(["sum", "mean", "norm", "num", "dot", "tr", "lse"])
        if ch == "sum": return f"sum({gen(r.choice([('n',),('n','k'),('d',)]), depth-1, r)})"
        if ch == "mean": return f"mean({gen(r.choice([('n',),('n','k')]), depth-1, r)})"
        if ch == "norm": return f"norm({gen(('d',), depth-1, r)})"
        if ch == "dot": return f"({gen(('d',), depth-1, r)}) @ ({gen(('d',), depth-1, r)})"
        if ch == "tr": return f"trace({gen(('d','d'), depth-1, r)})"
        if ch == "lse": return f"logsumexp({gen(('k',), depth-1, r)})"
        return str(r.choice([2, 3, 0.5]))
    ch = r.choice(["add", "sub", "mul", "fun", "pow", "matmul", "scale", "T", "softmax"])
    if ch in ("add", "sub", "mul"):
        op = {"add": "+", "sub": "-", "mul": "*"}[ch]
        return f"({gen(shape, depth-1, r)} {op} {gen(shape, depth-1, r)})"
    if ch == "fun": return f"{r.choice(FUN)}({gen(shape, depth-1, r)})"
    if ch == "pow": return f"({gen(shape, depth-1, r)})**2"
    if ch == "scale": return f"({gen(shape, depth-1, r)}) / {r.choice(['n', '2', 'c'])}"
    if ch == "softmax" and len(shape) in (1, 2): return f"softmax({gen(shape, depth-1, r)})"
    if ch == "T" and len(shape) == 2: return f"({gen(shape[::-1], depth-1, r)}).T"
    if ch == "matmul":
        if shape == ("n","k"): return f"({gen(('n','d'), depth-1, r)}) @ ({gen(('d','k'), depth-1, r)})"
        if shape == ("n",): return f"({gen(('n','d'), depth-1, r)}) @ ({gen(('d',), depth-1, r)})"
        if shape == ("d",): return f"({gen(('d','d'), depth-1, r)}) @ ({gen(('d',), depth-1, r)})"
        if shape == ("d","d"): return f"({gen(('d','n'), depth-1, r)}) @ ({gen(('n','d'), depth-1, r)})"
        if shape == ("k",): return f"({gen(('d',), depth-1, r)}) @ ({gen(('d','k'), depth-1, r)})"
    c = [n for n, s in RANDOM_SHAPES.items() if s == shape]
    if c: return r.choice(c)
    if shape == ("d","n"): return f"X.T"
    if shape == ("k","d"): return "W.T"
    if shape == ("k","n"): return "V.T"
    return f"({gen(shape, depth-1, r)})"


def _random_case(seed):
    import re

    r = random.Random(seed)
    text = gen((), 5, r)
    names = [n for n in RANDOM_SHAPES if n in re.findall(r"[A-Za-z]+", text)]
    return text, [f"{n}={','.join(RANDOM_SHAPES[n])}" for n in names]


def _derive_and_check(seed) -> bool:
    text, shapes = _random_case(seed)
    try:
        problem = problem_from_expression(text, shapes)
    except ExpressionError as exc:
        assert "the shapes differ" in str(exc)  # the generator's own slip, refused as such
        return False
    try:
        result = explain_matrix(problem, seed=seed)
    except TutorError as exc:
        assert "no finite value" in str(exc)  # exp(exp(exp(…))) overflows: refused as such
        return False
    for d in result.derivations:
        if not np.all(np.isfinite(d.gradient)):
            continue  # a point where it has no derivative (the norm of w − w)
        assert d.agrees and all(s.error < 1e-6 for s in d.steps), (text, d.wrt)
        verdict = check_matrix(problem, d.wrt, d.result.code())
        assert verdict.kind in ("right", "not_computable"), (text, d.wrt, verdict.message)
    return True


def test_random_expressions():
    assert sum(_derive_and_check(seed) for seed in range(40)) >= 35


@pytest.mark.slow
def test_many_random_expressions():
    assert sum(_derive_and_check(seed) for seed in range(40, 400)) >= 320


def test_given_values_fix_the_sizes_and_give_the_textbook_numbers():
    runner = CliRunner()
    out = runner.invoke(main, ["matrix", "explain", "dense_layer", "--at", "X=1,2;3,4;5,6",
                               "--at", "G=1,0;0,1;1,1", "--wrt", "W", "--format", "json"])
    data = json.loads(out.output)
    assert data["sizes"]["n"] == 3 and data["sizes"]["d"] == 2 and data["given"] == ["X", "G"]
    # XᵀG by hand: [[1 + 5, 3 + 5], [2 + 6, 4 + 6]]
    assert data["derivatives"][0]["numeric"]["gradient"] == [[6.0, 8.0], [8.0, 10.0]]
    for args, message in [(["--at", "X=1,2,3"], "give rows of numbers"),
                          (["--at", "X=1,2;3,4", "--at", "G=1,2,3;4,5,6;7,8,9"],
                           "3 entries where the size n is 2"),
                          (["--at", "q=1"], "--at q: no such name here")]:
        bad = runner.invoke(main, ["matrix", "explain", "dense_layer", *args])
        assert bad.exit_code == 2 and message in bad.output and len(bad.output.splitlines()) == 1


def test_check_speaks_chinese():
    out = CliRunner().invoke(main, ["matrix", "check", "linear_regression", "--wrt", "w",
                                    "X.T @ (X @ w + b - y)", "--lang", "zh"])
    assert out.exit_code == 1 and "少了一个 1/n" in out.output


def test_explain_and_check_take_shapes_too():
    runner = CliRunner()
    shapes = ["--shape", "X=n,d", "--shape", "w=d", "--shape", "y=n"]
    out = runner.invoke(main, ["explain", "--expr", "mean((X @ w - y)**2)", *shapes, "--wrt", "w",
                               "--format", "json"])
    assert json.loads(out.output)["derivatives"][0]["result"] == "2 * (X.T @ (X @ w - y)) / n"
    ok = runner.invoke(main, ["check", "--expr", "mean((X @ w - y)**2)", *shapes, "--wrt", "w",
                              "X.T @ (X @ w - y) * 2 / n"])
    assert ok.exit_code == 0
    half = runner.invoke(main, ["check", "--expr", "mean((X @ w - y)**2)", *shapes, "--wrt", "w",
                                "X.T @ (X @ w - y) / n", "--format", "json"])
    assert half.exit_code == 1 and json.loads(half.output)["diagnosis"] == "factor"
    bad = runner.invoke(main, ["explain", "sigmoid", "--shape", "X=n"])
    assert bad.exit_code == 2 and "--shape goes with --expr" in bad.output
    plot = runner.invoke(main, ["explain", "--expr", "sum(X)", "--shape", "X=n,d", "--plot", "p.png"])
    assert plot.exit_code == 2 and "only --wrt and --format apply" in plot.output


# -- every quantitative sentence of a matrix lesson, computed -------------------------------------
def _lesson_gradients(name, seed=2, **sizes):
    result = explain_matrix(load_matrix_lesson(name), seed=seed, sizes=sizes or None)
    return result.values, {d.wrt: d.gradient for d in result.derivations}, result.sizes


def test_linear_regression_sentences():
    v, g, s = _lesson_gradients("linear_regression")
    r = v["X"] @ v["w"] + v["b"] - v["y"]
    assert np.allclose(g["w"], v["X"].T @ r / s["n"]) and np.isclose(g["b"], r.mean())


def test_logistic_regression_sentences():
    v, g, s = _lesson_gradients("logistic_regression")
    z = v["X"] @ v["w"] + v["b"]
    # softplus(z) − yz is the binary cross-entropy, and the gradient is prediction − label
    bce = -v["y"] * np.log(sig(z)) - (1 - v["y"]) * np.log(1 - sig(z))
    assert np.allclose(np.logaddexp(0, z) - v["y"] * z, bce)
    assert np.allclose(g["w"], v["X"].T @ (sig(z) - v["y"]) / s["n"])


def test_ridge_sentences():
    v, g, s = _lesson_gradients("ridge")
    X, y, lam, n = v["X"], v["y"], v["lam"], s["n"]
    assert np.allclose(g["w"], X.T @ (X @ v["w"] - y) / n + lam * v["w"])
    # (XᵀX/n + λI)w = Xᵀy/n has one solution, where the derived gradient is 0
    w = np.linalg.solve(X.T @ X / n + lam * np.eye(len(v["w"])), X.T @ y / n)
    problem = load_matrix_lesson("ridge")
    at_minimum = explain_matrix(problem, values={**v, "w": w}).derivations[0].gradient
    assert np.abs(at_minimum).max() < 1e-12


def test_least_squares_and_quadratic_form_sentences():
    v, g, s = _lesson_gradients("least_squares")
    assert np.allclose(g["x"], 2 * v["A"].T @ (v["A"] @ v["x"] - v["b"]))
    x = np.linalg.lstsq(v["A"], v["b"], rcond=None)[0]  # the normal equations' solution
    at = explain_matrix(load_matrix_lesson("least_squares"), values={**v, "x": x})
    assert np.abs(at.derivations[0].gradient).max() < 1e-10
    v, g, s = _lesson_gradients("quadratic_form")
    A, x = v["A"], v["x"]
    assert np.allclose(g["x"], (A + A.T) @ x) and not np.allclose(g["x"], 2 * A @ x)
    assert np.allclose(g["A"], np.outer(x, x))
    sym = (A + A.T) / 2
    symmetric = explain_matrix(load_matrix_lesson("quadratic_form"), values={"A": sym, "x": x})
    assert np.allclose(symmetric.derivations[0].gradient, 2 * sym @ x)


def test_layer_norm_gradient_sums_to_zero():
    for seed in range(5):
        v, g, s = _lesson_gradients("layer_norm", seed=seed)
        assert abs(g["x"].sum()) < 1e-9 * max(1.0, np.abs(g["x"]).max())
        assert not np.allclose(g["x"], v["g"] / np.sqrt(v["x"].var() + 1e-5))


def test_attention_and_mlp_sentences():
    v, g, s = _lesson_gradients("attention")
    A = softmax_rows(v["Q"] @ v["K"].T / np.sqrt(s["d"]))
    assert np.allclose(g["V"], A.T @ v["G"])
    GVt = v["G"] @ v["V"].T
    scores = A * GVt - np.diag((A * GVt).sum(axis=1)) @ A
    assert np.allclose(g["Q"], scores @ v["K"] / np.sqrt(s["d"]))
    assert np.allclose(g["K"], scores.T @ v["Q"] / np.sqrt(s["d"]))
    v, g, s = _lesson_gradients("mlp")
    H = np.tanh(v["X"] @ v["W1"] + v["b1"])
    r = H @ v["w2"] + v["c"] - v["y"]
    assert np.allclose(g["w2"], H.T @ r / s["n"])  # linear regression on H
    assert np.allclose(g["W1"], v["X"].T @ (np.outer(r, v["w2"]) * (1 - H ** 2)) / s["n"])


def test_a_teachers_own_matrix_lesson_file(tmp_path):
    own = tmp_path / "mine.toml"
    own.write_text('name = "mine"\ntitle = "Mine"\nexpression = "sum((A @ x - b)**2)"\n'
                   '[shapes]\nA = { role = "input", shape = ["n", "d"] }\n'
                   'x = { role = "parameter", shape = ["d"] }\n'
                   'b = { role = "target", shape = ["n"] }\n', encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(main, ["matrix", "explain", "--lesson-file", str(own), "--format", "json"])
    assert json.loads(out.output)["derivatives"][0]["result"] == "2 * (A.T @ (A @ x - b))"
    ok = runner.invoke(main, ["matrix", "check", "--lesson-file", str(own),
                              "2 * A.T @ (A @ x - b)"])
    assert ok.exit_code == 0
    missing = runner.invoke(main, ["matrix", "explain", "--lesson-file", str(tmp_path / "no.toml")])
    assert missing.exit_code == 2 and "no such file" in missing.output


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_each_lesson_in_chinese_and_as_json(name):
    runner = CliRunner()
    zh = runner.invoke(main, ["matrix", "explain", name, "--lang", "zh"], env={"COLUMNS": "100"})
    assert zh.exit_code == 0 and "布局" in zh.output
    title = load_matrix_lesson(name).narrative["zh"]["title"]
    assert title in zh.output
    data = json.loads(runner.invoke(main, ["matrix", "explain", name, "--format", "json"]).output)
    values = {k: np.array(v) for k, v in data["values"].items()}
    shapes = {k: tuple(s) for k, s in data["shapes"].items()}
    for d in data["derivatives"]:
        node = read_matrix_expression(d["result"], shapes)
        got = np.broadcast_to(evaluate(node, values, data["sizes"]), np.shape(d["numeric"]["gradient"]))
        assert np.allclose(got, d["numeric"]["finite_difference"], rtol=1e-6, atol=1e-9), (name, d["wrt"])


@pytest.mark.parametrize("expr,message", [
    ("10**1000 * sum(X)", "too large or too small for a float"),
    ("sum(log(X))", "no finite value"),
    ("sum(1/(X - X))", "no finite value"),
    ("trace(inv(X.T @ X - X.T @ X))", "no finite value"),  # the zero matrix has no inverse
])
def test_expressions_without_a_value_are_refused_in_one_line(expr, message):
    out = CliRunner().invoke(main, ["matrix", "explain", "--expr", expr, "--shape", "X=n,d"])
    assert out.exit_code == 2 and message in out.output and "Traceback" not in out.output


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_sympy_on_explicit_matrices_agrees_with_every_lesson(name):
    result = explain_matrix(load_matrix_lesson(name), seed=1, second_method=True)
    for d in result.derivations:
        if d.gradient.size <= 20:  # the second method's limit
            assert d.second is not None and d.second_error < 1e-9, (name, d.wrt)


@pytest.mark.parametrize("expr,shapes,wrt,formula", COOKBOOK[:8], ids=[c[0] for c in COOKBOOK[:8]])
def test_sympy_on_explicit_matrices_for_the_cookbook(expr, shapes, wrt, formula):
    (d,) = explain_matrix(problem_from_expression(expr, shapes, [wrt]), second_method=True).derivations
    assert d.second is not None and np.allclose(d.second, d.gradient, rtol=1e-10, atol=1e-12)

"""Every lesson's derivatives against SymPy at random points and against hand-written NumPy
formulas from the textbooks (independent of the derivation engine)."""

import json
import random

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

from tutor import cli
from tutor.explaining.explanation import explain
from tutor.calculus.functions import elementary
from tutor.explaining.lesson import lesson_names, load_lesson
from tutor.calculus.numeric import compile_expr

ALL = lesson_names()
REQUIRED = {"linear", "squared_loss", "linear_regression", "sigmoid", "softmax", "relu",
            "tanh", "cross_entropy", "bce_logits", "neuron"}


def test_required_lessons_exist():
    assert REQUIRED <= set(ALL)


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _point(lesson, rng):
    values = {}
    for name, sym in lesson.symbols.items():
        v = rng.uniform(-2, 2)
        if lesson.roles[name] == "target":
            v = rng.uniform(0, 1)
        values[name] = v
    return values


# hand-coded textbook derivatives: (lesson, output index, wrt name) -> value at the point
def hand(lesson, out, wrt, v):
    name = lesson.name
    if name == "sigmoid":
        s = _sig(v["z"])
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(v["z"]) ** 2
    if name == "relu":
        return 1.0 if v["z"] > 0 else 0.0
    if name == "squared_loss":
        return v["yhat"] - v["y"]
    if name == "linear":
        return 1.0 if wrt == "b" else v["x" + wrt[1:]]
    if name == "linear_regression":
        n = lesson.size
        err = sum(v[f"w{k}"] * v[f"x{k}"] for k in range(1, n + 1)) + v["b"] - v["y"]
        return err if wrt == "b" else err * v["x" + wrt[1:]]
    if name == "neuron":
        a = _sig(v["w"] * v["x"] + v["b"])
        g = (a - v["t"]) * a * (1 - a)
        return g * v["x"] if wrt == "w" else g
    if name == "bce_logits":
        return _sig(v["z"]) - v["y"]
    if name == "logistic_regression":
        n = lesson.size
        err = _sig(sum(v[f"w{k}"] * v[f"x{k}"] for k in range(1, n + 1)) + v["b"]) - v["y"]
        return err if wrt == "b" else err * v["x" + wrt[1:]]
    if name == "softmax_regression":
        n = lesson.size
        z = np.array([v[f"w{k}"] * v["x"] + v[f"b{k}"] for k in range(1, n + 1)])
        s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        y = np.array([v[f"y{k}"] for k in range(1, n + 1)])
        j = int(wrt[1:]) - 1
        # s·Σy − y per class (s − y for one-hot targets), times x for a weight
        g = s[j] * y.sum() - y[j]
        return g * v["x"] if wrt.startswith("w") else g
    if name in ("softmax", "cross_entropy"):
        n = lesson.size
        z = np.array([v[f"z{k}"] for k in range(1, n + 1)])
        s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        j = int(wrt[1:]) - 1
        if name == "softmax":
            jac = np.diag(s) - np.outer(s, s)
            return jac[out, j]
        y = np.array([v[f"y{k}"] for k in range(1, n + 1)])
        # the general form s·Σy − y, which is s − y for targets that sum to 1
        return s[j] * y.sum() - y[j]
    if name == "mlp":
        h = [np.tanh(v[f"w{j}1"] * v["x1"] + v[f"w{j}2"] * v["x2"] + v[f"b{j}"]) for j in (1, 2)]
        err = v["v1"] * h[0] + v["v2"] * h[1] + v["c"] - v["y"]
        if wrt == "c":
            return err
        if wrt[0] == "v":
            return err * h[int(wrt[1]) - 1]
        j = int(wrt[1])
        back = err * v[f"v{j}"] * (1 - h[j - 1] ** 2)
        return back if wrt[0] == "b" else back * v[f"x{wrt[2]}"]
    raise AssertionError(f"no hand formula for {name}")


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_derivatives_match_sympy_and_hand_formulas(name):
    lesson = load_lesson(name)
    rng = random.Random(hash(name) % 1000)
    exp = explain(lesson)
    symbols = sorted(lesson.symbols.values(), key=lambda s: s.name)
    for item in exp.items:
        d = item.derivation
        truth = sympy.diff(lesson.outputs[item.output], d.wrt)
        ours = compile_expr(item.elementary, symbols)
        for _ in range(5):
            v = _point(lesson, rng)
            args = [np.float64(v[s.name]) for s in symbols]
            got = float(ours(*args))
            exact = float(sympy.N(truth.subs({lesson.symbols[k]: val for k, val in v.items()}), 30))
            assert got == pytest.approx(exact, rel=1e-9, abs=1e-12)
            assert got == pytest.approx(hand(lesson, item.output, d.wrt.name, v), rel=1e-9, abs=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_json_for_every_lesson(name):
    result = CliRunner().invoke(cli.main, ["explain", name, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["lesson"] == name
    assert data["derivatives"]
    lesson = load_lesson(name)
    for entry in data["derivatives"]:
        # results are plain SymPy strings: parse them back and compare with sympy.diff
        results = entry["result"]
        wrts = entry["wrt"] if isinstance(entry["wrt"], list) else [entry["wrt"]]
        rows = results if isinstance(results, list) else [[results]]
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                parsed = sympy.sympify(text, locals={s: lesson.symbols[s] for s in lesson.symbols})
                truth = sympy.diff(lesson.outputs[i], lesson.symbols[wrts[j]])
                point = {s: sympy.Rational(k + 3, 7) for k, s in enumerate(lesson.symbols.values())}
                assert float(parsed.subs(point)) == pytest.approx(float(truth.subs(point)), rel=1e-9)
        assert entry["numeric"]["max_rel_error"] < 1e-6
        assert entry["steps"]


def test_sigmoid_reference_numbers():
    """σ'(0) = 1/4 and σ'(±2) = e^-2/(1+e^-2)^2, worked by hand."""
    data = json.loads(CliRunner().invoke(cli.main, ["explain", "sigmoid", "--format", "json"]).output)
    d = data["derivatives"][0]
    assert d["numeric"]["at"]["z"] == [-2.0, 0.0, 2.0]
    e2 = np.exp(-2.0)
    expected = [e2 / (1 + e2) ** 2, 0.25, e2 / (1 + e2) ** 2]
    assert d["numeric"]["derivative"] == pytest.approx(expected, rel=1e-12)
    assert [s["rule"] for s in d["steps"]][-1] == "recognise"
    assert d["recognised"] in ("σ(z)*(1 - σ(z))", "(1 - σ(z))*σ(z)")


@pytest.mark.slow
def test_softmax_any_size_and_general_form():
    lesson = load_lesson("softmax", size=5)
    exp = explain(lesson)
    assert len(exp.items) == 25
    s = [n.symbol for n in lesson.named]
    for item in exp.items:
        i, j = item.output, lesson.wrt.index(item.derivation.wrt)
        expected = s[i] * (1 - s[i]) if i == j else -s[i] * s[j]
        assert sympy.expand(item.derivation.result - expected) == 0


def test_cross_entropy_is_s_minus_y():
    lesson = load_lesson("cross_entropy")
    exp = explain(lesson)
    s = {n.symbol.name: n.symbol for n in lesson.named}
    for k, item in enumerate(exp.items, start=1):
        assert item.derivation.rewrites[-1].rule == "assume"
        assert sympy.expand(item.derivation.result - (s[f"s{k}"] - lesson.symbols[f"y{k}"])) == 0


def test_linear_regression_batch_mean_is_matrix_form():
    """The mean of per-sample gradients equals Xᵀ(Xw + b − y)/n, computed here with NumPy."""
    lesson = load_lesson("linear_regression")
    exp = explain(lesson)
    ex = lesson.example
    X = np.column_stack([ex["x1"], ex["x2"]])
    w = np.array([ex["w1"], ex["w2"]])
    y = np.array(ex["y"])
    residual = X @ w + ex["b"] - y
    grad_w = X.T @ residual / len(y)
    by = {it.derivation.wrt.name: it.batch_value for it in exp.items}
    assert by["w1"] == pytest.approx(grad_w[0], rel=1e-12)
    assert by["w2"] == pytest.approx(grad_w[1], rel=1e-12)
    assert by["b"] == pytest.approx(residual.mean(), rel=1e-12)


@pytest.mark.slow
def test_plain_form_has_no_named_functions():
    for name in ALL:
        lesson = load_lesson(name)
        for item in explain(lesson).items:
            assert item.elementary == elementary(item.elementary)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_pointwise_and_numpy_engines_agree(name):
    """explain's float-by-float evaluation and the NumPy batch engine: two ways, one answer."""
    lesson = load_lesson(name)
    exp = explain(lesson)
    for item in exp.items:
        check = item.numeric
        names = list(check.at)
        symbols = [lesson.symbols[n] for n in names]
        arrays = [np.array(check.at[n]) for n in names]
        f = compile_expr(lesson.outputs[item.output], symbols)
        df = compile_expr(item.elementary, symbols)
        assert np.asarray(check.value) == pytest.approx(f(*arrays), rel=1e-13, abs=1e-300)
        assert np.asarray(check.derivative) == pytest.approx(df(*arrays), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("size", [3, 7, 12])
def test_softmax_derivatives_are_recognised_at_every_size(size):
    # by hand: ∂s₁/∂z₁ = s₁(1 − s₁) and ∂sᵢ/∂z₁ = −s₁sᵢ for i ≠ 1, whatever the size (a
    # written-out denominator (s₁ + … + sₙ)² once hid the first at size 12)
    r = CliRunner().invoke(cli.main, ["explain", "softmax", "--size", str(size), "--wrt", "z1",
                                      "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)["derivatives"][0]
    s = sympy.symbols(f"s1:{size + 1}")
    recognised = [sympy.sympify(row[0], locals={f"s{k + 1}": v for k, v in enumerate(s)})
                  for row in data["recognised"]]
    assert sympy.expand(recognised[0] - s[0] * (1 - s[0])) == 0
    for i, r_i in enumerate(recognised[1:], start=1):
        assert sympy.expand(r_i + s[0] * s[i]) == 0

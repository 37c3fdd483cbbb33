"""One declaration per function: GELU (tanh approximation), SiLU/swish and softsign, added to
tutor/calculus/table.py alone, work in explain, check, backprop, train and the tensor engine.
Every expected number comes from the formulas written out here with NumPy and from central
finite differences of those formulas, not from the code under test."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from tutor.cli import main

K, C = math.sqrt(2 / math.pi), 0.044715


def gelu(z):
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * z * (1 + np.tanh(K * (z + C * z ** 3)))


def silu(z):
    z = np.asarray(z, dtype=np.float64)
    return z / (1 + np.exp(-z))


def softsign(z):
    z = np.asarray(z, dtype=np.float64)
    return z / (1 + np.abs(z))


HAND = {"gelu": gelu, "silu": silu, "softsign": softsign}
POINTS = np.array([-3.0, -1.0, -0.2, 0.3, 1.0, 2.5])


def slope(f, z, h=1e-6):
    """Central finite difference of a hand-written formula."""
    return (f(z + h) - f(z - h)) / (2 * h)


def _run(args):
    result = CliRunner().invoke(main, args + ["--lang", "en"])
    assert result.exit_code in (0, 1), result.output
    return result


@pytest.mark.parametrize("name", sorted(HAND))
def test_explain_values_and_derivatives_match_the_formulas(name):
    at = ",".join(f"{v:g}" for v in POINTS)
    out = _run(["explain", "--expr", f"{name}(z)", "--at", f"z={at}", "--format", "json"]).output
    numeric = json.loads(out)["derivatives"][0]["numeric"]
    assert numeric["value"] == pytest.approx(HAND[name](POINTS), rel=1e-12, abs=1e-15)
    assert numeric["derivative"] == pytest.approx(slope(HAND[name], POINTS), rel=1e-7)
    assert numeric["agreement"] == "agrees"


GELU_SLOPE_BY_HAND = ("(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))/2 + x/2*(1 - tanh(sqrt(2/pi)"
                      "*(x + 0.044715*x^3))^2)*sqrt(2/pi)*(1 + 3*0.044715*x^2)")


@pytest.mark.parametrize("name,answer", [
    ("gelu", GELU_SLOPE_BY_HAND),
    ("silu", "sigmoid(x)*(1 + x*(1 - sigmoid(x)))"),
    ("swish", "1/(1+exp(-x)) + x*exp(-x)/(1+exp(-x))^2"),
    ("softsign", "1/(1 + abs(x))^2"),
])
def test_check_accepts_a_hand_derived_derivative(name, answer):
    assert _run(["check", "--expr", f"{name}(x)", answer]).exit_code == 0
    assert _run(["check", "--expr", f"{name}(x)", "1"]).exit_code == 1


@pytest.mark.parametrize("name", sorted(HAND))
def test_backprop_gradient_matches_finite_differences_of_the_formula(name):
    w, x, b = 0.7, 1.3, -0.4
    out = _run(["backprop", "--expr", f"L = {name}(w*x + b)", "--at", f"w={w}", "--at", f"x={x}",
                "--at", f"b={b}", "--wrt", "w", "--format", "json"]).output
    grad = json.loads(out)["gradients"]["w"]
    assert grad == pytest.approx(x * slope(HAND[name], w * x + b), rel=1e-7)


@pytest.mark.parametrize("name", sorted(HAND))
def test_tensor_engine_forward_and_backward(name):
    from tutor.backpropagation.tensor import tensor

    t = tensor(POINTS.copy())
    y = getattr(t, name)()
    assert np.allclose(y.data, HAND[name](POINTS), rtol=1e-12, atol=1e-15)
    y.sum().backward()
    assert np.allclose(t.grad, slope(HAND[name], POINTS), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(HAND))
def test_large_inputs_stay_finite(name):
    from tutor.backpropagation.tensor import tensor

    z = np.array([-1e4, -800.0, 800.0, 1e4])
    t = tensor(z)
    y = getattr(t, name)()
    y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(t.grad))
    # far out the functions are (nearly) linear or flat: their limits by hand
    expected = {"gelu": [0.0, 0.0, 800.0, 1e4], "silu": [0.0, 0.0, 800.0, 1e4],
                "softsign": z / (1 + np.abs(z))}[name]
    assert np.allclose(y.data, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", sorted(HAND))
def test_one_step_of_training_through_the_function(name):
    # L = mean (f(w·x) − y)²; one full-batch step from w = 0.5 with η = 0.1, by hand
    f = HAND[name]
    x, y, w0, lr = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.0]), 0.5, 0.1
    grad = np.mean(2 * (f(w0 * x) - y) * x * slope(f, w0 * x))
    out = _run(["train", "--expr", f"({name}(w*x) - y)**2", "--params", "w", "--data", "x=1,2,3",
                "--data", "y=0.5,1,2", "--init", "w=0.5", "--lr", "0.1", "--epochs", "1",
                "--format", "json"]).output
    assert json.loads(out)["params"]["w"] == pytest.approx(w0 - lr * grad, rel=1e-7)


@pytest.mark.parametrize("name", sorted(HAND))
def test_check_weighs_a_claimed_number_against_the_formula(name):
    # ∂/∂w f(w·x) = x·f′(w·x), per sample and as the mean over the batch
    w, x = 0.5, np.array([1.0, -2.0, 3.0])
    per_sample = x * slope(HAND[name], w * x)
    args = ["check", "--expr", f"{name}(w*x)", "--wrt", "w", "--at", f"w={w}", "--at",
            "x=1,-2,3", "--reduce", "mean", "--format", "json"]
    right = _run(args + ["--claim", f"{per_sample.mean():.6f}"])
    assert right.exit_code == 0
    data = json.loads(right.output)
    assert data["correct"] is True
    assert data["value"] == pytest.approx(per_sample.mean(), rel=1e-7)
    assert data["per_sample"] == pytest.approx(per_sample, rel=1e-7)
    wrong = _run(args + ["--claim", f"{per_sample.mean() * 1.2 + 0.1:.6f}"])
    assert wrong.exit_code == 1 and json.loads(wrong.output)["correct"] is False


@pytest.mark.parametrize("name", sorted(HAND))
def test_explain_in_words_shows_the_numbers(name):
    out = _run(["explain", "--expr", f"{name}(z)", "--at", "z=-1.5,0.5,2"]).output
    assert out.count("✓ agrees with finite differences") == 1
    for z in (-1.5, 0.5, 2.0):
        row = next(line.split() for line in out.splitlines()
                   if line.split()[:1] == [f"{z:g}".replace("-", "−")])
        value, derivative = (float(v.replace("−", "-")) for v in row[1:3])
        assert value == pytest.approx(float(HAND[name](z)), abs=5e-5)
        assert derivative == pytest.approx(float(slope(HAND[name], z)), abs=5e-5)


def test_numeric_forms_are_quiet_and_finite_far_out():
    # far out the functions are linear (z > 0) or vanish (z < 0) and so are their slopes;
    # softsign tends to ±1 with slope 1/(1 + |z|)²
    from tutor.calculus.numeric import NUMPY_FUNCTIONS
    from tutor.calculus.pointwise import SCALAR_FUNCTIONS
    from tutor.calculus.table import BY_NAME

    z = np.array([-1e4, -1e3, -50.0, 50.0, 1e3, 1e4])
    expected = {
        "gelu": (np.where(z > 0, z, 0.0), np.where(z > 0, 1.0, 0.0)),
        "silu": (np.where(z > 0, z, -np.abs(z) * np.exp(-np.abs(z))),
                 np.where(z > 0, 1.0, 0.0)),
        "softsign": (z / (1 + np.abs(z)), 1 / (1 + np.abs(z)) ** 2),
    }
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for name, (values, slopes) in expected.items():
            y = NUMPY_FUNCTIONS[name](z)
            assert np.allclose(y, values, rtol=1e-12, atol=1e-15), name
            assert np.allclose(BY_NAME[name].slope(z, y), slopes, rtol=1e-12, atol=1e-15), name
            scalar = [SCALAR_FUNCTIONS[name](float(v)) for v in z]
            assert np.allclose(scalar, values, rtol=1e-12, atol=1e-15), name


@pytest.mark.parametrize("name", sorted(HAND))
def test_explain_far_out(name):
    z = np.array([-1e4, 1e4])
    out = _run(["explain", "--expr", f"{name}(z)", "--at", "z=-10000,10000",
                "--format", "json"]).output
    numeric = json.loads(out)["derivatives"][0]["numeric"]
    values = {"gelu": [0.0, 1e4], "silu": [0.0, 1e4], "softsign": z / (1 + np.abs(z))}[name]
    slopes = {"gelu": [0.0, 1.0], "silu": [0.0, 1.0], "softsign": 1 / (1 + np.abs(z)) ** 2}[name]
    assert numeric["value"] == pytest.approx(values, rel=1e-12, abs=1e-15)
    assert numeric["derivative"] == pytest.approx(slopes, rel=1e-9, abs=1e-15)


def test_every_engine_builds_its_map_from_the_one_table():
    from tutor.backpropagation.graph import UNARY
    from tutor.backpropagation.tensor import Tensor
    from tutor.calculus.numeric import NUMPY_FUNCTIONS
    from tutor.calculus.parser import KNOWN_FUNCTIONS
    from tutor.calculus.pointwise import SCALAR_FUNCTIONS
    from tutor.calculus.rules import OUTER
    from tutor.calculus.table import FUNCTIONS

    from tutor.calculus.builder import PERIODIC, SIZES
    from tutor.renderers.assessment.html import DISPLAY as MATHML_NAMES
    from tutor.renderers.backpropagation.text import OPERATIONS
    from tutor.renderers.explaining.latex import RULE_LATEX
    from tutor.renderers.notation import DISPLAY, RULE_NAMES

    typed = {name for f in FUNCTIONS for name in f.typed}
    custom = {f.name for f in FUNCTIONS if f.custom}
    assert {"gelu", "silu", "swish", "softsign", "GELU", "SiLU"} <= typed
    assert {"gelu", "silu", "softsign", "sigmoid", "softplus", "relu"} <= custom
    assert len(typed) == sum(len(f.typed) for f in FUNCTIONS)  # no name declared twice
    # exactly the table's functions in each engine's map
    assert set(OUTER) == {f.sympy for f in FUNCTIONS}
    assert set(UNARY) == {f.op for f in FUNCTIONS}
    assert set(NUMPY_FUNCTIONS) == custom
    assert set(SCALAR_FUNCTIONS) == {f.name for f in FUNCTIONS if f.scalar is not None} >= custom
    # the parser knows the table's names, and besides them only sqrt, max, min (and log with a
    # base, which is the table's log)
    assert set(KNOWN_FUNCTIONS) == typed | {"sqrt", "max", "min"}
    assert set(SIZES) == typed and all(f.size is not None for f in FUNCTIONS)
    assert PERIODIC == {"sin", "cos", "tan", "sec", "csc", "cot"}
    # every one of them a method of the tensor engine made from its entry
    for f in FUNCTIONS:
        assert getattr(Tensor, f.name).__qualname__.startswith("_elementwise"), f.name
    # shown by the printers as the entry says, its rule named and stated
    assert DISPLAY == MATHML_NAMES == {f.name: f.display for f in FUNCTIONS if f.custom}
    assert all(f.op in OPERATIONS for f in FUNCTIONS)
    assert all(f.rule in RULE_NAMES for f in FUNCTIONS)
    assert all(RULE_NAMES[f.rule] == f.statement for f in FUNCTIONS if f.statement)
    assert all(RULE_LATEX[f.rule] == f.statement_latex for f in FUNCTIONS if f.statement_latex)
    # the new functions are named nowhere else in the package
    import pathlib

    import tutor

    root = pathlib.Path(tutor.__file__).parent
    mentions = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
                if "softsign" in p.read_text(encoding="utf-8")]
    # (the package's front door lists it among the public names it re-exports)
    assert sorted(mentions) == ["__init__.py", "calculus/table.py"]


# -- what the table declares besides the values: kinks, exact evaluation, sizes --------------
def test_a_kink_note_is_written_from_the_table(monkeypatch):
    import dataclasses

    import sympy

    from tutor.backpropagation import graph as g
    from tutor.calculus.functions import relu

    u = sympy.Symbol("u", real=True)
    forward = g.build_graph([relu(u) + sympy.Abs(u)], ["L"]).forward({"u": np.array([0.0, 2.0])})
    messages = sorted(note.message for note in forward.notes)
    assert [note.samples for note in forward.notes] == [[0], [0]]
    assert "used 0, between the one-sided values -1 and 1" in messages[0]
    assert "used the left-hand value 0 (from the right it is 1)" in messages[1]
    # a function declared to take the right-hand slope at its kink is described as such,
    # with no name of an operation anywhere but in its entry
    monkeypatch.setitem(g.UNARY, "relu", dataclasses.replace(g.UNARY["relu"], kink=(0.0, 1.0, 1.0)))
    (note,) = g.build_graph([relu(u)], ["L"]).forward({"u": np.array([0.0])}).notes
    assert "= ReLU(u) at u = 0 exactly" in note.message
    assert "used the right-hand value 1 (from the left it is 0)" in note.message


def test_gelu_keeps_every_digit_far_to_the_left():
    import mpmath
    import sympy

    from tutor.calculus.table import gelu as GELU

    # ½u(1 + tanh a) at u = −30 is about 10^−857: the hand formula needs 900 digits of tanh
    with mpmath.workdps(1200):
        u = mpmath.mpf(-30)
        a = mpmath.sqrt(2 / mpmath.pi) * (u + mpmath.mpf(44715) / 10 ** 6 * u ** 3)
        exact = u / 2 * (1 + mpmath.tanh(a))
        log_exact = mpmath.log(-exact)
    value = sympy.N(GELU(-30), 30)
    assert value < 0
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(str(value)) / exact - 1) < 1e-25
    # SymPy decides "is it zero?" by evaluating: log(−GELU(−30)) is a number, not zoo
    logged = sympy.log(-GELU(-30))
    assert logged.is_finite is not False and logged != sympy.zoo
    assert float(sympy.N(logged, 20)) == pytest.approx(float(log_exact), rel=1e-15)


@pytest.mark.parametrize("text,refused", [
    ("gelu(100)*z", False), ("gelu(-40)*z", False), ("gelu(-100)*z", True),
    ("silu(700)*z", False), ("silu(-700)*z", False), ("silu(-10^5)*z", True),
    ("softsign(-10^999)*z", False),
    # the reciprocal of a tiny constant is huge: sin of it would take SymPy forever
    ("sin(1/gelu(-10^4))*z", True), ("sin(1/silu(-10^4))*z", True),
    ("sin(1/gelu(-40))*z", True), ("sin(1/silu(-2000))*z", False),
])
def test_the_parser_bounds_the_new_functions_from_their_declared_sizes(text, refused):
    from tutor.calculus.parser import parse_expression
    from tutor.errors import ExpressionError

    if refused:
        with pytest.raises(ExpressionError):
            parse_expression(text)
    else:
        parse_expression(text)


def test_the_declared_sizes_are_true_bounds():
    # log10 |f(u)| ≤ mag and log10 1/|f(u)| ≤ tiny for u of the declared size and sign,
    # at points where the hand formulas can be evaluated in floating point (or in mpmath)
    import mpmath

    from tutor.calculus.table import BY_NAME, Bound

    for name in HAND:
        for u in (-700.0, -30.0, -3.0, -0.01, 0.01, 2.0, 40.0, 1e3):
            with mpmath.workdps(50):
                x = mpmath.mpf(u)
                exact = {"gelu": x / (1 + mpmath.exp(-2 * K * (x + C * x ** 3))),
                         "silu": x / (1 + mpmath.exp(-x)),
                         "softsign": x / (1 + abs(x))}[name]
                size = float(mpmath.log10(abs(exact)))
            mag, tiny = BY_NAME[name].size(Bound(max(math.log10(abs(u)), 0.0),
                                                 max(-math.log10(abs(u)), 0.0), 0.0,
                                                 1 if u > 0 else -1))
            assert size <= mag + 1e-9 and -size <= tiny + 1e-9, (name, u)


@pytest.mark.parametrize("name", [f.name for f in __import__("tutor.calculus.table",
                                                             fromlist=["FUNCTIONS"]).FUNCTIONS])
def test_explain_runs_every_function_of_the_table(name):
    # points chosen by explain itself: inside the domain, away from kinks and jumps
    out = _run(["explain", "--expr", f"{name}(z)", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["derivatives"][0]["numeric"]["agreement"] == "agrees"


@pytest.mark.parametrize("name,sides", [("heaviside", (0.0, 1.0)), ("sign", (-1.0, 1.0))])
def test_a_jump_has_slope_zero_beside_it_in_explain_check_and_train(name, sides):
    # SymPy writes the derivative of a jump as a Dirac delta; as a number it is 0 beside the
    # jump, and at the jump the finite difference is (right − left)/(2h) for a step of size h
    out = _run(["explain", "--expr", f"{name}(z)", "--at", "z=-1,0,2", "--format", "json"])
    numeric = json.loads(out.output)["derivatives"][0]["numeric"]
    assert numeric["derivative"] == [0.0, 0.0, 0.0]
    assert numeric["value"][0] == sides[0] and numeric["value"][2] == sides[1]
    beside = _run(["explain", "--expr", f"{name}(z)", "--at", "z=-1,2", "--format", "json"])
    assert json.loads(beside.output)["derivatives"][0]["numeric"]["agreement"] == "agrees"
    assert _run(["check", "--expr", f"{name}(x)*x", f"{name}(x)"]).exit_code == 0
    assert _run(["check", "--expr", f"{name}(x)*x", "1"]).exit_code == 1
    # (step(w·x) − y)²: its slope in w is 0 wherever w·x ≠ 0, so a step leaves w where it is
    out = _run(["train", "--expr", f"({name}(w*x) - y)**2", "--params", "w", "--data", "x=1,2",
                "--data", "y=0,1", "--init", "w=0.5", "--lr", "0.1", "--epochs", "1",
                "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["params"]["w"] == 0.5


@pytest.mark.parametrize("name", [
    "heaviside",
    # sign(0) = 0 lies halfway up its jump: both one-sided differences are 1/h, so the jump
    # looks like a steep slope that 0 disagrees with; telling them apart needs a second step
    pytest.param("sign", marks=pytest.mark.xfail(strict=True, reason="a jump whose value is "
                                                  "halfway up reads as a steep slope")),
])
def test_at_a_jump_the_verdict_is_a_kink(name):
    out = _run(["explain", "--expr", f"{name}(z)", "--at", "z=0", "--format", "json"])
    assert json.loads(out.output)["derivatives"][0]["numeric"]["agreement"] == "kink"


def test_backprop_keeps_the_value_a_step_has_at_its_jump():
    # heaviside(z) as typed is [z > 0]: 0 at z = 0, like the expression evaluated directly,
    # so L = w·[z > 0] is 0 there and ∂L/∂w = [z > 0] = 0
    out = _run(["backprop", "--expr", "L = heaviside(z)*w", "--at", "z=0", "--at", "w=1",
                "--format", "json"])
    data = json.loads(out.output)
    values = {row["node"]: row["value"] for row in data["forward"]}
    assert values["L"] == 0.0 and data["gradients"]["w"] == 0.0
    assert any(row.get("formula") == "Heaviside(z, 0)" for row in data["forward"])
    out = _run(["backprop", "--expr", "L = heaviside(z)*w", "--at", "z=0.5", "--at", "w=1",
                "--format", "json"])
    assert json.loads(out.output)["gradients"]["w"] == 1.0


def test_the_tensor_engine_reads_heaviside_as_typed():
    from tutor.backpropagation.tensor import tensor

    t = tensor(np.array([-1.0, 0.0, 1.0]))
    y = t.heaviside()
    assert y.data.tolist() == [0.0, 0.0, 1.0]  # [z > 0]
    y.sum().backward()
    assert t.grad.tolist() == [0.0, 0.0, 0.0]

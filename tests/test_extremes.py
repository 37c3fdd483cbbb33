"""Numbers at the extremes: σ, softplus, tanh, softmax, log-sum-exp, cross-entropy and binary
cross-entropy with logits, and their derivatives, are finite and accurate for |z| up to 10⁴ in
every engine that evaluates them (explain's plain floats, compile_expr's NumPy, the tensor
engine, training), compared with 50-digit mpmath."""

import json
import math

import mpmath
import numpy as np
import pytest
import sympy
from click.testing import CliRunner

from tutor import compile_expr
from tutor.calculus.parser import parse_expression
from tutor.calculus.pointwise import compile_scalar
from tutor.cli import main

mpmath.mp.dps = 50
Z = [-1e4, -800.0, -710.0, -40.0, -1.0, 0.0, 1.5, 40.0, 710.0, 800.0, 1e4]
z = sympy.Symbol("z", real=True)
y = sympy.Symbol("y", real=True)


def m_sigmoid(v):
    return 1 / (1 + mpmath.exp(-v))


# (typed expression, its value, its derivative by z) with mpmath, at z and y = 1
CASES = {
    "sigmoid(z)": (m_sigmoid, lambda v: m_sigmoid(v) * (1 - m_sigmoid(v))),
    "softplus(z)": (lambda v: mpmath.log(1 + mpmath.exp(v)), m_sigmoid),
    "tanh(z)": (mpmath.tanh, lambda v: 1 - mpmath.tanh(v) ** 2),
    "1/(1 + exp(-z))": (m_sigmoid, lambda v: m_sigmoid(v) * (1 - m_sigmoid(v))),
    "log(1 + exp(z))": (lambda v: mpmath.log(1 + mpmath.exp(v)), m_sigmoid),
    # binary cross-entropy with logits, label y = 1 and y = 0
    "-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))":
        (lambda v: -mpmath.log(m_sigmoid(v)), lambda v: m_sigmoid(v) - 1),
    # log-sum-exp of three scores and the softmax of the first
    "log(exp(z) + exp(2) + exp(-z))":
        (lambda v: mpmath.log(mpmath.exp(v) + mpmath.exp(2) + mpmath.exp(-v)),
         lambda v: (mpmath.exp(v) - mpmath.exp(-v)) / (mpmath.exp(v) + mpmath.exp(2) + mpmath.exp(-v))),
    "exp(z)/(exp(z) + exp(2) + exp(-z))":
        (lambda v: mpmath.exp(v) / (mpmath.exp(v) + mpmath.exp(2) + mpmath.exp(-v)), None),
}


def close(got: float, truth, scale: float = 0.0) -> bool:
    """Within 1e-12 relative, or below the smallest normal float where float64 cannot follow;
    ``scale`` is the size of the terms a difference cancels (σ(z) − 1 near z = 40)."""
    truth = float(truth)
    return math.isfinite(got) and abs(got - truth) <= 1e-12 * max(abs(truth), scale) + 1e-300


def _expected(name, v, derivative=False):
    value, slope = CASES[name]
    f = slope if derivative else value
    return f(mpmath.mpf(v))


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_derivatives_in_plain_floats_and_numpy(name):
    expr = parse_expression(name, symbols={"z": z, "y": y}).subs(y, 1)
    d = sympy.diff(expr, z)
    scalar_f, scalar_d = compile_scalar(expr, [z]), compile_scalar(d, [z])
    numpy_f, numpy_d = compile_expr(expr, [z]), compile_expr(d, [z])
    values = np.array(Z)
    vec_f, vec_d = numpy_f(values), numpy_d(values)
    for k, v in enumerate(Z):
        truth = _expected(name, v)
        assert close(scalar_f(v), truth, 1.0) and close(float(vec_f[k]), truth, 1.0), (name, v)
        if CASES[name][1] is not None:
            slope = _expected(name, v, derivative=True)
            assert close(scalar_d(v), slope, 1.0), (name, v, scalar_d(v), slope)
            assert close(float(vec_d[k]), slope, 1.0), (name, v, vec_d[k], slope)


def test_explain_shows_finite_numbers_and_never_ticks_what_it_cannot_compute():
    at = ",".join(f"{v:g}" for v in Z)
    out = CliRunner().invoke(main, ["explain", "sigmoid", "--at", f"z={at}", "--format", "json"]).output
    numeric = json.loads(out)["derivatives"][0]["numeric"]
    assert all(v is not None for v in numeric["derivative"] + numeric["value"])
    for v, d in zip(Z, numeric["derivative"]):
        assert close(d, _expected("sigmoid(z)", v, derivative=True), 1.0)
    text = CliRunner().invoke(main, ["explain", "sigmoid", "--at", "z=-710,-800"]).output
    assert "✓ agrees" in text and "∞" not in text


def test_softmax_lesson_at_scores_a_thousand_apart():
    out = CliRunner().invoke(main, ["explain", "softmax", "--at", "z=1000,-1000,0",
                                    "--format", "json"]).output
    numeric = json.loads(out)["derivatives"][0]["numeric"]
    s = [row[0] for row in numeric["value"]]
    assert s == pytest.approx([1.0, 0.0, 0.0], abs=1e-300)
    assert all(x is not None for row in numeric["derivative"] for x in sum(row, []))


def test_the_tensor_engine_and_training_stay_finite():
    from tutor.backpropagation.tensor import tensor

    t = tensor(np.array(Z))
    for op in ("sigmoid", "softplus", "tanh"):
        out = getattr(t, op)()
        out.sum().backward()
        assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(t.grad))
        t.zero_grad()
    softmax = tensor(np.array([[1000.0, -1000.0, 0.0]])).softmax()
    assert np.allclose(softmax.data, [[1.0, 0.0, 0.0]])
    out = CliRunner().invoke(main, ["train", "--expr", "softplus(-y*w*x)", "--params", "w",
                                    "--data", "x=800,-800,1e4", "--data", "y=1,-1,1",
                                    "--init", "w=-1", "--epochs", "2", "--format", "json"]).output
    data = json.loads(out)
    assert all(math.isfinite(e["loss"]) for e in data["history"])


@pytest.mark.parametrize("args,gradient", [
    (["bce_logits", "--at", "z=-1e4", "--at", "y=1"], ("z", -1.0)),
    (["bce_logits", "--at", "z=1e4", "--at", "y=0"], ("z", 1.0)),
    (["cross_entropy", "--at", "z1=1000", "--at", "z2=-1000", "--at", "z3=0"], ("z2", -1.0)),
])
def test_backprop_switches_to_the_stable_form_where_the_written_one_overflows(args, gradient):
    out = CliRunner().invoke(main, ["backprop", *args, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    name, value = gradient
    assert data["stable_form"] is True and data["agreement"] == "agrees"
    assert data["gradients"][name] == pytest.approx(value)
    assert all(row["value"] is not None for row in data["forward"])

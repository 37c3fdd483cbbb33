"""tutor check: equal answers in other forms, each kind of mistake diagnosed, numeric claims,
the command line's exit codes and JSON, and hostile answers."""

import json
import math
import os
import random
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor import cli
from tutor.checking.check import check_answer, check_claim, check_expression
from tutor.calculus.derivation import derive
from tutor.errors import TutorError
from tutor.explaining.lesson import lesson_names, load_lesson

_S1 = "exp(z1)/(exp(z1)+exp(z2)+exp(z3))"

# lesson: (variable, right answers in different forms, [(wrong answer, diagnosis kind)])
_S1 = "exp(w1*x+b1)/(exp(w1*x+b1)+exp(w2*x+b2)+exp(w3*x+b3))"

TABLE = {
    "sigmoid": ("z", ["sigmoid(z)*(1-sigmoid(z))", r"\frac{e^{-z}}{(1+e^{-z})^2}",
                      "(1-tanh(z/2)^2)/4", r"\sigma(z)(1-\sigma(z))", "exp(z)/(1+exp(z))^2"],
                [("-exp(-z)/(1+exp(-z))^2", "sign"),
                 ("2*sigmoid(z)*(1-sigmoid(z))", "constant_factor"),
                 ("-1/(1+exp(-z))^2", "missing_chain_factor"),
                 ("exp(-z)/(1+exp(-z))^2 + 1", "extra_or_missing_term"),
                 ("sigmoid(z)", "other")]),
    "tanh": ("z", ["1-tanh(z)^2", "1/cosh(z)^2", "4/(exp(z)+exp(-z))^2"],
             [("tanh(z)^2-1", "sign"), ("2*(1-tanh(z)^2)", "constant_factor"),
              ("1+tanh(z)^2", "sign"), ("-tanh(z)^2", "extra_or_missing_term"),
              ("1 - tanh(z)", "other")]),
    "relu": ("z", ["heaviside(z)", "(sign(z)+1)/2"],
             [("-heaviside(z)", "sign"), ("2*heaviside(z)", "constant_factor"),
              ("heaviside(z)+1", "extra_or_missing_term"), ("relu(z)", "other")]),
    "squared_loss": ("yhat", ["yhat - y", "-(y - yhat)", "(2*yhat - 2*y)/2"],
                     [("y - yhat", "sign"), ("2*(yhat-y)", "constant_factor"),
                      ("yhat", "extra_or_missing_term"), ("yhat - y + 1", "extra_or_missing_term"),
                      ("(yhat-y)^2", "other")]),
    "bce_logits": ("z", ["sigmoid(z) - y", "1/(1+exp(-z)) - y", r"\sigma(z) - y"],
                   [("y - sigmoid(z)", "sign"), ("sigmoid(z)", "extra_or_missing_term"),
                    ("2*(sigmoid(z)-y)", "constant_factor"), ("-y", "extra_or_missing_term"),
                    ("sigmoid(z)*(1-sigmoid(z)) - y", "extra_or_missing_term")]),
    "linear": ("w1", ["x1", "x_1", "x_{1}"],
               [("-x1", "sign"), ("w1", "wrong_variable"), ("2*x1", "constant_factor"),
                ("x1 + 1", "extra_or_missing_term"), ("x1*w1", "other")]),
    "linear_regression": ("w1", ["(w1*x1 + w2*x2 + b - y)*x1", "x1*(w_1*x_1 + w_2*x_2 + b - y)"],
                          [("(y - w1*x1 - w2*x2 - b)*x1", "sign"),
                           ("w1*x1 + w2*x2 + b - y", "missing_chain_factor"),
                           ("2*(w1*x1 + w2*x2 + b - y)*x1", "constant_factor"),
                           ("(w1*x1 + w2*x2 + b - y)*x1 + x1", "extra_or_missing_term"),
                           ("(w1*x1 + w2*x2 + b - y)*w1", "wrong_variable")]),
    "neuron": ("w", ["(a-t)*a*(1-a)*x",
                     "(sigmoid(w*x+b)-t)*sigmoid(w*x+b)*(1-sigmoid(w*x+b))*x"],
               [("(t-a)*a*(1-a)*x", "sign"), ("(a-t)*a*(1-a)", "missing_chain_factor"),
                ("(a-t)*x", "missing_chain_factor"), ("2*(a-t)*a*(1-a)*x", "constant_factor"),
                ("(a-t)*a*(1-a)*w", "wrong_variable")]),
    "softmax": ("z2", ["-s1*s2", "-exp(z1)*exp(z2)/(exp(z1)+exp(z2)+exp(z3))^2",
                       r"-\frac{e^{z_1+z_2}}{(e^{z_1}+e^{z_2}+e^{z_3})^2}"],
                [("s1*s2", "sign"), ("-2*s1*s2", "constant_factor"),
                 ("-s1*s2 + s1", "extra_or_missing_term"),
                 ("-exp(z1)*exp(z2)/(exp(z1)+exp(z2)+exp(z3))", "other")]),
    "cross_entropy": ("z1", ["s1 - y1", "exp(z1)/(exp(z1)+exp(z2)+exp(z3)) - y1",
                             "s1*(y1+y2+y3) - y1"],
                      [("y1 - s1", "sign"), ("s1", "extra_or_missing_term"),
                       ("2*(s1-y1)", "constant_factor"),
                       ("s1 - y1 + 1", "extra_or_missing_term"), ("s1*(1-s1)", "other")]),
    "mlp": ("v1", ["(yhat - y)*h1", "(v1*tanh(z1) + v2*tanh(z2) + c - y)*tanh(z1)"],
            # four kinds only: each diagnosis on this larger function takes seconds
            [("(y - yhat)*h1", "sign"), ("2*(yhat-y)*h1", "constant_factor"),
             ("yhat - y", "missing_chain_factor"), ("(yhat - y)*h2", "wrong_variable")]),
    "logistic_regression": ("w1", ["(sigmoid(z) - y)*x1", "x1*(1/(1+exp(-(w1*x1+w2*x2+b))) - y)"],
                            [("(y - sigmoid(z))*x1", "sign"),
                             ("sigmoid(z) - y", "missing_chain_factor"),
                             ("2*(sigmoid(z)-y)*x1", "constant_factor"),
                             ("(sigmoid(z)-y)*w1", "wrong_variable"),
                             ("sigmoid(z)*x1", "extra_or_missing_term")]),
    "softmax_regression": ("w1", [f"({_S1} - y1)*x", f"x*{_S1} - x*y1"],
                           [(f"(y1 - {_S1})*x", "sign"), (f"{_S1} - y1", "missing_chain_factor"),
                            (f"2*x*({_S1} - y1)", "constant_factor"),
                            (f"x*{_S1}", "extra_or_missing_term"),
                            (f"({_S1} - y1)*w1", "other")]),
}

_DERIVATIONS = {}


def _setup(name):
    lesson = load_lesson(name)
    var = lesson.symbol(TABLE[name][0])
    if name not in _DERIVATIONS:
        _DERIVATIONS[name] = derive(lesson.outputs[0], var, named=lesson.named,
                                    assumptions=lesson.assumptions)
    return lesson, var, _DERIVATIONS[name]


def _check(name, text):
    lesson, var, d = _setup(name)
    return check_answer(lesson.outputs[0], var, text, named=lesson.named,
                        assumptions=lesson.assumptions, symbols=lesson.symbols, derivation=d)


def _finite_difference(lesson, var, at):
    """Central difference of the lesson's function, in plain floats (independent of tutor)."""
    expr = lesson.outputs[0]
    for lhs, rhs in lesson.assumptions:  # the point leaves out the symbol the assumption fixes
        target = sorted(lhs.free_symbols, key=lambda s: s.name)[-1]
        expr = expr.subs(target, sympy.solve(sympy.Eq(lhs, rhs), target)[0])
    f = sympy.lambdify([lesson.symbols[n] for n in at],
                       expr.rewrite(sympy.exp).replace(
                           lambda e: e.func.__name__ == "relu", lambda e: sympy.Max(0, e.args[0])),
                       "math")
    names = list(at)
    h = 1e-6
    up = [at[n] + (h if n == var.name else 0) for n in names]
    down = [at[n] - (h if n == var.name else 0) for n in names]
    return (f(*up) - f(*down)) / (2 * h)


def test_every_lesson_is_in_the_table():
    assert set(TABLE) == set(lesson_names())
    for name, (_, rights, wrongs) in TABLE.items():
        assert len(rights) >= 2 and len(wrongs) >= 4, name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TABLE))
def test_right_answers_in_several_forms(name):
    for text in TABLE[name][1]:
        v = _check(name, text)
        assert v.correct, (name, text, v.diagnosis)
        assert v.diagnosis is None and v.counterexample is None


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TABLE))
def test_wrong_answers_and_their_diagnosis(name):
    lesson, var, _ = _setup(name)
    for text, kind in TABLE[name][2]:
        v = _check(name, text)
        assert not v.correct, (name, text)
        assert v.diagnosis.kind == kind, (name, text, v.diagnosis.describe())
        ce = v.counterexample
        assert ce is not None and ce.answer is not None
        # the expected value at the counterexample is the derivative: finite differences agree
        fd = _finite_difference(lesson, var, ce.at)
        assert math.isclose(ce.expected, fd, rel_tol=1e-5, abs_tol=1e-7), (name, ce, fd)
        assert not math.isclose(ce.expected, ce.answer, rel_tol=1e-9, abs_tol=1e-12)


def test_counterexample_values_by_hand():
    # σ'(z) at the lesson's example z = −2: e^2/(1+e^2)^2 = 0.104993585…
    v = _check("sigmoid", "-exp(-z)/(1+exp(-z))^2")
    assert v.counterexample.at == {"z": pytest.approx(v.counterexample.at["z"])}
    z = v.counterexample.at["z"]
    s = 1 / (1 + math.exp(-z))
    assert v.counterexample.expected == pytest.approx(s * (1 - s), rel=1e-12)
    assert v.counterexample.answer == pytest.approx(-s * (1 - s), rel=1e-12)


def test_constant_factor_names_the_factor_and_chain_names_the_factor():
    v = _check("squared_loss", "2*(yhat-y)")
    assert v.diagnosis.factor == 2
    v = check_answer(sympy.sin(3 * sympy.Symbol("x", real=True)), sympy.Symbol("x", real=True),
                     "cos(3x)")
    assert v.diagnosis.kind == "missing_chain_factor"
    assert "3" in v.diagnosis.describe()


def test_quotient_rule_reversed_is_a_sign_error_said_so():
    x = sympy.Symbol("x", real=True)
    f = (x**2 + 1) / (x + 2)
    # (u'v - uv')/v^2 is right; (uv' - u'v)/v^2 is the reversed numerator
    v = check_answer(f, x, "((x^2+1) - 2*x*(x+2))/(x+2)^2")
    assert v.diagnosis.kind == "sign"
    assert "quotient rule" in v.diagnosis.describe()
    # inside a sum, only that part flips
    g = x**3 + (x**2 + 1) / (x + 2)
    v = check_answer(g, x, "3*x^2 + ((x^2+1) - 2*x*(x+2))/(x+2)^2")
    assert v.diagnosis.kind == "sign" and "quotient rule" in v.diagnosis.describe()


def test_hint_points_at_the_step_where_the_answer_parts_ways():
    v = _check("neuron", "(a-t)*a*(1-a)")
    assert v.hint.step.before == sympy.Symbol("b", real=True) + sympy.Symbol("w", real=True) * \
        sympy.Symbol("x", real=True)
    v = _check("sigmoid", "-1/(1+exp(-z))^2")
    z = sympy.Symbol("z", real=True)
    assert v.hint.step.before == 1 + sympy.exp(-z)


@pytest.mark.parametrize("text", ["d/dz sigmoid(z)", r"\frac{d}{dz}\sigma(z)", "sigma'(z)",
                                  r"\partial z", "diff(sigmoid(z), z)", "σ′(z)"])
def test_restating_the_question_is_not_an_answer(text):
    v = _check("sigmoid", text)
    assert not v.correct and v.diagnosis.kind == "other"
    assert "derivative" in v.diagnosis.describe()


def test_check_expression_against_a_known_derivative():
    x = sympy.Symbol("x", real=True)
    v = check_expression(2 * x * sympy.cos(x**2), "2x*cos(x^2)")
    assert v.correct
    v = check_expression(2 * x * sympy.cos(x**2), "-2x*cos(x^2)")
    assert v.diagnosis.kind == "sign"
    v = check_expression(2 * x * sympy.cos(x**2), "cos(x^2)", function=sympy.sin(x**2), wrt=x)
    assert v.diagnosis.kind == "missing_chain_factor"


def test_domains_log_and_sqrt():
    x = sympy.Symbol("x", real=True)
    assert check_answer(sympy.log(x), x, "1/x").correct
    assert check_answer(sympy.sqrt(x), x, "1/(2*sqrt(x))").correct
    assert check_answer(sympy.sqrt(x), x, "x^(-1/2)/2").correct
    assert not check_answer(sympy.sqrt(x), x, "1/sqrt(x)").correct
    assert check_answer(sympy.log(x**2 + 1), x, "2x/(x^2+1)").correct


# -- 200+ generated pairs --------------------------------------------------------------------
# (function of u, its derivative by u): the chain rule then multiplies by du/dx
OUTER = [
    ("exp({u})", "exp({u})"), ("sin({u})", "cos({u})"), ("cos({u})", "-sin({u})"),
    ("tanh({u})", "(1 - tanh({u})^2)"), ("sigmoid({u})", "sigmoid({u})*(1-sigmoid({u}))"),
    ("({u})^3", "3*({u})^2"), ("log(1 + ({u})^2)", "2*({u})/(1 + ({u})^2)"),
    ("softplus({u})", "sigmoid({u})"), ("1/(1 + ({u})^2)", "-2*({u})/(1 + ({u})^2)^2"),
    ("sqrt(4 + ({u})^2)", "({u})/sqrt(4 + ({u})^2)"),
]
# (inner u(x), du/dx), never a constant ±1 derivative
INNER = [("{a}*x + {b}", "{a}"), ("x^2 + {b}", "2*x"), ("{a}*x^2", "2*{a}*x"),
         ("x*y + {b}", "y"), ("exp({a}*x)", "{a}*exp({a}*x)"), ("sin(x) + {b}", "cos(x)")]


def _pairs():
    rng = random.Random(7)
    out = []
    for outer, douter in OUTER:
        for inner, dinner in INNER:
            a = rng.choice([2, 3, -2, 5])
            b = rng.choice([1, -1, 3])
            u = inner.format(a=a, b=b)
            du = dinner.format(a=a, b=b)
            f = outer.format(u=u)
            right = f"({du})*({douter.format(u=u)})"
            c = rng.choice([2, 3, -3, "1/2"])
            out.append((f, right, True, None))
            out.append((f, f"-({du})*({douter.format(u=u)})", False, {"sign"}))
            out.append((f, f"{c}*({du})*({douter.format(u=u)})", False,
                        # 1/2·(2…) may also be a dropped factor 2 of the chain rule
                        {"constant_factor", "sign", "missing_chain_factor"}))
            out.append((f, douter.format(u=u), False,
                        {"missing_chain_factor", "constant_factor", "other", "dropped"}))
    return out


PAIRS = _pairs()


def test_enough_generated_pairs():
    assert len(PAIRS) >= 200


@pytest.mark.slow
def test_generated_pairs_right_and_wrong():
    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    from tutor.calculus.parser import parse_expression

    derivations = {}
    wrong_as_right = []
    right_as_wrong = []
    kinds = []
    for f_text, answer, right, expected_kinds in PAIRS:
        f = parse_expression(f_text, symbols={"x": x, "y": y})
        if f_text not in derivations:
            derivations[f_text] = derive(f, x)
        v = check_answer(f, x, answer, symbols={"x": x, "y": y}, derivation=derivations[f_text])
        if right and not v.correct:
            right_as_wrong.append((f_text, answer))
        if not right and v.correct:
            wrong_as_right.append((f_text, answer))
        if not right and not v.correct:
            kinds.append((f_text, answer, v.diagnosis.kind, expected_kinds))
    assert not right_as_wrong
    assert not wrong_as_right
    misdiagnosed = [k for k in kinds if k[2] not in k[3]]
    assert not misdiagnosed, misdiagnosed[:5]
    # the dropped chain factor is named as such in most cases
    dropped = [k for k in kinds if "dropped" in k[3]]
    named = [k for k in dropped if k[2] == "missing_chain_factor"]
    assert len(named) >= 0.8 * len(dropped), [k for k in dropped if k not in named]


# -- numeric claims --------------------------------------------------------------------------
def _linear_loss():
    w, b, x, y = sympy.symbols("w b x y", real=True)
    return (w * x + b - y) ** 2 / 2, w


AT = {"w": 2.0, "b": 1.0, "x": [1.0, 2.0, 3.0], "y": [6.0, 9.0, 12.0]}


def test_claim_mean_by_hand():
    f, w = _linear_loss()
    # per sample (w x + b − y)·x: (3−6)·1 = −3, (5−9)·2 = −8, (7−12)·3 = −15; mean −26/3
    v = check_claim(f, w, "-8.6667", AT, reduce="mean")
    assert v.correct
    assert v.value == pytest.approx(-26 / 3)
    assert v.per_sample == pytest.approx([-3.0, -8.0, -15.0])
    v = check_claim(f, w, "-8.7", AT, reduce="mean")
    assert v.correct  # right to the digits given
    v = check_claim(f, w, "-8.6", AT, reduce="mean")
    assert not v.correct


def test_claim_mistakes():
    f, w = _linear_loss()
    v = check_claim(f, w, "-26", AT, reduce="mean")
    assert not v.correct and v.diagnosis.kind == "constant_factor"
    assert "mean" in v.diagnosis.describe()
    assert check_claim(f, w, "-26", AT, reduce="sum").correct
    v = check_claim(f, w, "8.667", AT, reduce="mean")
    assert v.diagnosis.kind == "sign"
    with pytest.raises(TutorError, match="combines them, reduce mean or reduce sum"):
        check_claim(f, w, "1", AT)


# -- the command line ------------------------------------------------------------------------
def test_cli_exit_codes_and_text():
    runner = CliRunner()
    r = runner.invoke(cli.main, ["check", "sigmoid", "--wrt", "z", "exp(-z)/(1+exp(-z))^2"])
    assert r.exit_code == 0, r.output
    assert "✓" in r.output
    r = runner.invoke(cli.main, ["check", "sigmoid", "--wrt", "z", "-exp(-z)/(1+exp(-z))^2"])
    assert r.exit_code == 1
    assert "sign" in r.output and "−0.1050" in r.output and "hint" in r.output
    r = runner.invoke(cli.main, ["check", "sigmoid", "x +"])
    assert r.exit_code == 2
    r = runner.invoke(cli.main, ["check", "sigmoid", "-1/(1+exp(-z))^2", "--reveal"])
    assert r.exit_code == 1 and "recognise" in r.output


def test_cli_component_of_a_vector_function():
    runner = CliRunner()
    r = runner.invoke(cli.main, ["check", "softmax", "--of", "s2", "--wrt", "z2", "s2*(1-s2)"])
    assert r.exit_code == 0, r.output
    assert "∂s₂/∂z₂" in r.output
    r = runner.invoke(cli.main, ["check", "softmax", "--of", "s2", "--wrt", "z2", "-s1*s2"])
    assert r.exit_code == 1
    r = runner.invoke(cli.main, ["check", "softmax", "--of", "s9", "--wrt", "z2", "s2"])
    assert r.exit_code == 2 and "s1, s2, s3" in r.output


def test_cli_json():
    runner = CliRunner()
    r = runner.invoke(cli.main, ["check", "--expr", "x^2*sin(x)", "--wrt", "x",
                                 "2x*sin(x) - x^2*cos(x)", "--format", "json"])
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["correct"] is False
    assert data["diagnosis"]["kind"] == "sign"
    ce = data["counterexample"]
    x = ce["at"]["x"]
    assert ce["expected"] == pytest.approx(2 * x * math.sin(x) + x * x * math.cos(x))
    assert ce["answer"] == pytest.approx(2 * x * math.sin(x) - x * x * math.cos(x))
    assert set(data) >= {"correct", "expected", "answer", "diagnosis", "counterexample"}


def test_cli_claim():
    runner = CliRunner()
    args = ["check", "--expr", "(w*x + b - y)^2/2", "--wrt", "w", "--at", "w=2", "--at", "b=1",
            "--at", "x=1,2,3", "--at", "y=6,9,12", "--reduce", "mean"]
    r = runner.invoke(cli.main, args + ["--claim", "-8.6667"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli.main, args + ["--claim", "4.6667", "--format", "json"])
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["value"] == pytest.approx(-26 / 3)
    r = runner.invoke(cli.main, args[:-2] + ["--claim", "1"])
    assert r.exit_code == 2 and "--reduce" in r.output


@pytest.mark.parametrize("args", [
    ["check"], ["check", "sigmoid"], ["check", "nosuchlesson", "x"],
    ["check", "sigmoid", "--wrt", "q", "1"], ["check", "--expr", "x*y", "1"],
    ["check", "sigmoid", "a", "b"], ["check", "linear", "x1"],
    ["check", "--expr", "x^2", "--at", "x=1", "2x"], ["check", "sigmoid", "--bogus", "1"],
])
def test_cli_bad_input(args):
    r = CliRunner().invoke(cli.main, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output


# -- hostile answers ---------------------------------------------------------------------------
HOSTILE = {
    "import": "__import__('os').system('touch PWNED')",
    "class": "().__class__",
    "lambda": "lambda: 0",
    "dunder": "z.__dict__",
    "exec": "exec('1')",
    "symbol injection": "Symbol('z) + __import__(\"os\").system(\"touch PWNED\") + (z')",
    "tower": "9**9**9**9",
    "huge exponent": "z**(10**100)",
    "long": "z+" * 50_000 + "z",
    "deep": "(" * 10_000 + "z" + ")" * 10_000,
    "nul": "z\x00+1",
    "exp tower": "exp(exp(exp(exp(z))))",
    "power tower": "z^z^z^z^z",
}


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_answers(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    try:
        v = _check("sigmoid", HOSTILE[name])
        assert not v.correct
    except TutorError as exc:
        assert str(exc).strip()
    assert time.monotonic() - start < 2.0
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.slow
def test_hostile_answers_through_the_installed_command(tmp_path):
    for name in ("import", "symbol injection", "tower"):
        r = subprocess.run([sys.executable, "-m", "tutor", "check", "sigmoid", HOSTILE[name]],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    assert not (tmp_path / "PWNED").exists()


_X = sympy.Symbol("x", real=True)
_F = sympy.sin(_X) * _X
_D = derive(_F, _X)
_ALPHABET = "x+-*/^()0123456789.e sincoexplgqrt\\{}_σ,'"


@pytest.mark.slow
@settings(max_examples=10_000, deadline=timedelta(seconds=2), derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=40), st.text(alphabet=_ALPHABET, max_size=30)))
def test_fuzz_answers_are_decided_or_refused(text):
    try:
        v = check_answer(_F, _X, text, derivation=_D)
    except TutorError as exc:
        assert str(exc).strip()
    else:
        assert v.correct in (True, False)


def test_a_tiny_constant_apart_is_not_equal():
    # equal to 30 digits everywhere, yet 10^-30 apart: SymPy sees the constant
    v = _check("sigmoid", "exp(-z)/(1+exp(-z))^2 * (1 + 10^-18*z)")
    assert not v.correct
    v = _check("squared_loss", "yhat - y + 10^-30")
    assert not v.correct and v.diagnosis.kind == "extra_or_missing_term"


def test_a_constant_term_off_is_named_not_other():
    from tutor.checking.check import check_answer

    x = sympy.Symbol("x", real=True)
    v = check_answer(x ** 3 + 2 * x, x, "3*x**2 + 3")
    assert not v.correct and v.diagnosis.kind == "extra_or_missing_term"
    assert "plus 1" in v.diagnosis.describe()
    v = check_answer(x ** 3 + 2 * x, x, "3*x**2 + 1/2")
    assert "minus 3/2" in v.diagnosis.describe()


def test_a_constant_has_derivative_zero_by_the_constant_rule():
    import json

    from click.testing import CliRunner

    from tutor.cli import main

    out = CliRunner().invoke(main, ["explain", "--expr", "5", "--wrt", "x", "--format", "json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)["derivatives"][0]
    assert d["result"] == "0" and set(d["numeric"]["derivative"]) == {0.0}
    out = CliRunner().invoke(main, ["explain", "--expr", "5"])
    assert out.exit_code == 2 and "constant" in out.output

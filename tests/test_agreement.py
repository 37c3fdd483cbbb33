"""The one relative error, for scalars (no NumPy) and arrays alike, with hand-worked values."""

import math
import subprocess
import sys

import numpy as np

from tutor import relative_error


def test_hand_worked_scalars():
    assert relative_error(1.0, 1.1) == abs(1.0 - 1.1) / 1.1
    assert relative_error(-2.0, 2.0) == 2.0  # 4 / 2
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(0.0, 1e-9) == 1.0
    assert math.isnan(relative_error(math.nan, 1.0))
    assert math.isnan(relative_error(math.inf, math.inf))


def test_arrays_elementwise_agree_with_a_plain_loop():
    a = [1.0, -2.0, 0.0, 3.5, math.inf, math.nan]
    b = [1.1, 2.0, 0.0, 3.5000001, 1.0, 2.0]
    got = relative_error(np.array(a), np.array(b))
    for x, y, g in zip(a, b, got):
        if not (math.isfinite(x) and math.isfinite(y)):
            assert math.isnan(g)
        else:
            assert g == (abs(x - y) / max(abs(x), abs(y)) if (x or y) else 0.0)


def test_scalars_never_load_numpy():
    code = ("import sys\nfrom tutor.calculus.agreement import relative_error\n"
            "print(relative_error(3.0, 4.0), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.25", "False"]


# -- the agreement verdict: hand-worked points -------------------------------------------------
import pytest  # noqa: E402
import sympy  # noqa: E402

from tutor.calculus.agreement import Agreement, judge  # noqa: E402
from tutor.calculus.functions import relu  # noqa: E402
from tutor.calculus.pointwise import check_numerically  # noqa: E402

x = sympy.Symbol("x", real=True)


def _verdicts(f, at, derivative=None):
    d = sympy.diff(f, x) if derivative is None else derivative
    return check_numerically(f, d, x, [x], {"x": at}, from_left=derivative is None).verdicts


@pytest.mark.parametrize("f,at,expected", [
    # smooth points where the derivative is 0: compared against the floor, they agree
    ((x + 1) ** 2, -1.0, Agreement.AGREES),
    (x ** 2, 0.0, Agreement.AGREES),
    (sympy.cos(x), 0.0, Agreement.AGREES),
    (x ** 3, 0.0, Agreement.AGREES),
    # a steep but smooth point is not a kink: tanh(50x) at 0 has slope 50, f'' = 0 there
    (sympy.tanh(50 * x), 0.0, Agreement.AGREES),
    (sympy.exp(30 * x), 1.0, Agreement.AGREES),
    # true kinks: the left and right slopes differ (0 and 1; −1 and 1)
    (relu(x), 0.0, Agreement.AT_KINK),
    (sympy.Abs(x), 0.0, Agreement.AT_KINK),
    (sympy.Max(x, 2 - x), 1.0, Agreement.AT_KINK),
    # and away from them, ordinary agreement
    (relu(x), 0.5, Agreement.AGREES),
    (sympy.Abs(x), -2.0, Agreement.AGREES),
])
def test_verdicts_at_hand_picked_points(f, at, expected):
    assert _verdicts(f, at) == [expected]


def test_a_wrong_derivative_disagrees_even_where_the_slope_is_zero():
    # d/dx (x+1)² at −1 is 0; a claimed 1e-3 is well above the floor
    assert _verdicts((x + 1) ** 2, -1.0, derivative=sympy.Float(1e-3)) == [Agreement.DISAGREES]
    assert _verdicts(x ** 2, 3.0, derivative=2 * x + 1e-3) == [Agreement.DISAGREES]


def test_at_a_kink_any_slope_between_the_sides_is_valid_and_outside_it_is_not():
    # |x| at 0: one-sided slopes −1 and 1; 0, 0.5 and 1 are subgradients, 2 is not
    for claimed in (0, 0.5, 1, -1):
        assert _verdicts(sympy.Abs(x), 0.0, derivative=sympy.Float(claimed)) == [Agreement.AT_KINK]
    assert _verdicts(sympy.Abs(x), 0.0, derivative=sympy.Float(2)) == [Agreement.DISAGREES]


def test_undefined_values_are_never_agreement():
    import math

    assert judge(math.nan, 0.0, 0.0, 0.0, 0.0) is Agreement.UNDEFINED
    assert judge(1.0, math.inf, 0.0, 0.0, 0.0) is Agreement.UNDEFINED
    assert judge(1.0, 0.0, math.nan, 0.0, 0.0) is Agreement.UNDEFINED
    # log at 0 and −1: outside the domain, undefined
    assert _verdicts(sympy.log(x), [0.0, -1.0]) == [Agreement.UNDEFINED] * 2


def test_explain_never_marks_an_undefined_value_with_a_tick():
    from click.testing import CliRunner

    from tutor.cli import main

    out = CliRunner().invoke(main, ["explain", "--expr", "log(x)", "--at", "x=0,-1,2",
                                    "--lang", "en"]).output
    assert "✓" not in out
    out = CliRunner().invoke(main, ["explain", "relu", "--at", "z=0", "--lang", "en"]).output
    assert "✓" not in out and "at a kink" in out
    out = CliRunner().invoke(main, ["explain", "--expr", "(x + 1)^2", "--at", "x=-1",
                                    "--lang", "en"]).output
    assert "✓ agrees" in out and "disagree" not in out


def test_json_carries_the_verdict_per_point():
    import json

    from click.testing import CliRunner

    from tutor.cli import main

    out = CliRunner().invoke(main, ["explain", "relu", "--at", "z=-1,0,2", "--format", "json"]).output
    numeric = json.loads(out)["derivatives"][0]["numeric"]
    assert numeric["agreement"] == "kink"
    assert numeric["agreement_at"] == ["agrees", "kink", "agrees"]


@pytest.mark.parametrize("expr,bad", [
    ("relu(w*x + b)", lambda v: v["w"] * v["x"] + v["b"] == 0),
    ("(x - 1)/(x + 1)^3", lambda v: v["x"] == -1),
    ("log(x)", lambda v: v["x"] <= 0),
    ("sqrt(x)", lambda v: v["x"] <= 0),
    ("x^x", lambda v: v["x"] <= 0),
    ("abs(x - 0.5)", lambda v: v["x"] == 0.5),
])
def test_points_chosen_for_a_typed_expression_avoid_kinks_poles_and_the_domains_edge(expr, bad):
    from tutor.explaining.explanation import lesson_from_expression

    example = lesson_from_expression(expr).example
    columns = {n: (v if isinstance(v, list) else [v] * 3) for n, v in example.items()}
    points = [{n: columns[n][k] for n in columns} for k in range(3)]
    assert not any(bad(p) for p in points), points


def test_a_derivative_is_not_shown_where_the_function_is_undefined():
    import json

    from click.testing import CliRunner

    from tutor.cli import main

    out = CliRunner().invoke(main, ["explain", "--expr", "log(x)", "--at", "x=-1,2",
                                    "--format", "json"]).output
    numeric = json.loads(out)["derivatives"][0]["numeric"]
    assert numeric["value"][0] is None and numeric["derivative"][0] is None
    assert numeric["derivative"][1] == 0.5


def test_one_convention_at_ties_in_explain_and_backprop():
    """At a kink or a tie both engines give the derivative from the left; the Huber loss
    written with min and max then has its true slope ±1 at x = ±1 in both."""
    import json

    from click.testing import CliRunner

    from tutor.cli import main

    huber = "min(abs(x), 1)^2/2 + max(abs(x) - 1, 0)"
    # by hand: x²/2 inside [−1, 1], |x| − 1/2 outside; both one-sided slopes at ±1 are ±1
    at = [-1.0, 1.0, 0.5, 2.0]
    truth = [-1.0, 1.0, 0.5, 1.0]
    out = CliRunner().invoke(main, ["explain", "--expr", huber, "--at", "x=-1,1,0.5,2",
                                    "--format", "json"]).output
    numeric = json.loads(out)["derivatives"][0]["numeric"]
    assert numeric["derivative"] == pytest.approx(truth) and numeric["agreement"] == "agrees"
    for x, slope in zip(at, truth):
        out = CliRunner().invoke(main, ["backprop", "--expr", f"L = {huber}", "--at", f"x={x}",
                                        "--format", "json"]).output
        assert json.loads(out)["gradients"]["x"] == pytest.approx(slope)


@pytest.mark.parametrize("expr,f,point", [
    ("relu(x)", lambda x: max(x, 0.0), 0.0),
    ("max(0, x)", lambda x: max(0.0, x), 0.0),
    ("relu(-x)", lambda x: max(-x, 0.0), 0.0),
    ("abs(x)", abs, 0.0),
    ("3*abs(2 - x)", lambda x: 3 * abs(2 - x), 2.0),
    ("max(x, 2 - x)", lambda x: max(x, 2 - x), 1.0),
    ("min(x, 2 - x)", lambda x: min(x, 2 - x), 1.0),
    ("max(x, 1)", lambda x: max(x, 1.0), 1.0),
    ("relu(x)^2 + abs(x - 1)", lambda x: max(x, 0.0) ** 2 + abs(x - 1), 1.0),
    ("max(relu(x), -x)", lambda x: max(max(x, 0.0), -x), 0.0),
])
def test_at_kinks_and_ties_every_engine_gives_the_derivative_from_the_left(expr, f, point):
    """The slope of the piece just left of the point, by a one-sided difference of the plain
    Python function, in explain and backprop alike (relu(z) and max(0, z) agree)."""
    import json

    from click.testing import CliRunner

    from tutor.cli import main

    h = 1e-7
    left = (f(point) - f(point - h)) / h
    out = CliRunner().invoke(main, ["explain", "--expr", expr, "--wrt", "x", "--at",
                                    f"x={point}", "--format", "json"]).output
    assert json.loads(out)["derivatives"][0]["numeric"]["derivative"][0] == \
        pytest.approx(left, abs=1e-6)
    out = CliRunner().invoke(main, ["backprop", "--expr", f"L = {expr}", "--at", f"x={point}",
                                    "--format", "json"]).output
    assert json.loads(out)["gradients"]["x"] == pytest.approx(left, abs=1e-6)


# -- a function that changes on a scale shorter than the default step ------------------------
w, z = sympy.symbols("w z", real=True)
#: (w + 3z)^1000 at w = 1000, z = −333: w + 3z = 1, so ∂/∂w = 1000·1^999 = 1000 and
#: ∂/∂z = 3000 (by hand), while the default step in w (6·10⁻³) multiplies the power by e⁶
POWER = (w + 3 * z) ** 1000


def test_a_short_scale_is_not_an_alarm_and_the_slope_is_found():
    check = check_numerically(POWER, sympy.diff(POWER, w), w, [w, z], {"w": 1000.0, "z": -333.0})
    assert check.verdicts == [Agreement.AGREES]
    assert check.finite_difference[0] == pytest.approx(1000.0, rel=1e-8)
    # the plain central difference with the default step is far off (what was shown before)
    h = sys.float_info.epsilon ** (1 / 3) * 1000
    plain = ((1 + h) ** 1000 - (1 - h) ** 1000) / (2 * h)
    assert plain > 30000


def test_a_wrong_slope_on_a_short_scale_still_disagrees():
    check = check_numerically(POWER, sympy.Float(999.0), w, [w, z], {"w": 1000.0, "z": -333.0},
                              from_left=False)
    assert check.verdicts == [Agreement.DISAGREES]


def test_a_kink_far_from_zero_is_still_a_kink():
    # |x − 1000| at 1000: one-sided slopes −1 and 1 at every step; the average 0 is no slope
    check = check_numerically(sympy.Abs(x - 1000), sympy.Float(0.5), x, [x], {"x": 1000.0},
                              from_left=False)
    assert check.verdicts == [Agreement.AT_KINK]
    check = check_numerically(sympy.Abs(x - 1000), sympy.Float(3.0), x, [x], {"x": 1000.0},
                              from_left=False)
    assert check.verdicts == [Agreement.DISAGREES]


def test_refined_slope_of_a_fast_exponential():
    from tutor.calculus.extrapolation import refined_slope

    # g(t) = exp(500·(t − 1000)) at t = 1000: slope 500 (by hand); the default step is 6e-3
    slope, step = refined_slope(lambda t: math.exp(500 * (t - 1000)), 1000.0, 6e-3, 1e-3)
    assert slope == pytest.approx(500.0, rel=1e-7)
    assert step < 1e-4


def test_backprop_checks_the_short_scale_without_an_alarm():
    from click.testing import CliRunner

    from tutor.cli import main

    result = CliRunner().invoke(main, ["backprop", "--expr", "f = (w + 3*z)^1000", "--at",
                                       "w=1000", "--at", "z=-333", "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    assert data["agreement"] == "agrees"
    assert data["checks"]["w"]["finite_difference"] == pytest.approx(1000.0, rel=1e-8)
    assert data["checks"]["z"]["finite_difference"] == pytest.approx(3000.0, rel=1e-8)

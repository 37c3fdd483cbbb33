"""tutor descend: d2l's gradient-descent and momentum numbers from plain loops written here,
the test functions' claims (minima, a saddle's eigenvalues, a stability bound) computed
independently, and the command: tables, plots, an animation, bad input."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from tutor import cli
from tutor.training.descend import picture, problem, race, surface_names


def run(args):
    return CliRunner().invoke(cli.main, ["descend", *args, "--lang", "en"],
                              catch_exceptions=False)


# -- d2l, section "Gradient Descent" -----------------------------------------------------------
def test_x_squared_from_10_with_eta_0_2_is_10_times_0_6_to_the_10th():
    (r,) = race(problem(surface="square"), ["sgd"], lr=[0.2], steps=10)
    assert 10 * 0.6 ** 10 == pytest.approx(0.0604661760)
    assert float(r.final[0]) == pytest.approx(10 * 0.6 ** 10, rel=1e-12)
    assert round(float(r.final[0]), 4) == 0.0605
    x = 10.0
    for k in range(10):  # each step by hand: x ← x − η·2x
        x -= 0.2 * 2 * x
        assert float(r.path[k + 1][0]) == pytest.approx(x, rel=1e-12)


def test_x_squared_with_eta_1_1_diverges():
    (r,) = race(problem(surface="square"), ["sgd"], lr=[1.1], steps=10)
    assert r.status == "diverging"
    assert float(r.final[0]) == pytest.approx(10 * 1.2 ** 10, rel=1e-12)  # 61.917…
    out = " ".join(run(["square", "--optimizer", "sgd", "--lr", "1.1"]).output.split())
    assert "diverging: f rose in each of the last steps" in out and "Traceback" not in out


def test_x_cos_cx_settles_in_the_nearest_valley():
    c = 0.15 * math.pi
    x = 10.0
    for _ in range(10):
        x -= 2 * (math.cos(c * x) - c * x * math.sin(c * x))
    (r,) = race(problem(surface="xcos"), ["sgd"], steps=10)
    assert float(r.final[0]) == pytest.approx(x, rel=1e-12)
    assert round(x, 2) == -1.53  # d2l prints −1.528165 (computed in float32)


# -- d2l, section "Momentum": f = 0.1x₁² + 2x₂² from (−5, −2) ---------------------------------
def d2l_loop(eta, beta, steps=20):
    x1, x2, v1, v2 = -5.0, -2.0, 0.0, 0.0
    for _ in range(steps):
        v1 = beta * v1 + 0.2 * x1
        v2 = beta * v2 + 4 * x2
        x1, x2 = x1 - eta * v1, x2 - eta * v2
    return x1, x2


def test_the_ill_conditioned_lesson_is_d2l_s_momentum_example():
    prob = problem(surface="ill_conditioned")
    gd04, gd06, mom = race(prob, ["sgd", "momentum", "nesterov"], lr=[0.4, 0.6, 0.6],
                           hypers={"momentum": 0.5})[:1] + race(
        prob, ["sgd", "momentum"], lr=[0.6, 0.6], hypers={"momentum": 0.5})
    assert tuple(gd04.final) == pytest.approx(d2l_loop(0.4, 0.0), rel=1e-12)
    assert tuple(gd04.final) == pytest.approx((-0.943467, -0.000073), abs=1e-6)  # d2l's print
    # η = 0.6 > 2/4: x₂ is multiplied by 1 − 0.6·4 = −1.4 each step
    assert gd06.final[1] == pytest.approx(-2 * 1.4 ** 20, rel=1e-12)
    assert gd06.status == "diverging"
    assert tuple(mom.final) == pytest.approx(d2l_loop(0.6, 0.5), rel=1e-12)
    assert tuple(mom.final) == pytest.approx((0.007188, 0.002553), abs=1e-6)  # d2l's print
    assert mom.status != "diverging"


def test_stable_below_two_over_a_kappa_and_not_above():
    prob = problem(surface="ill_conditioned", constants={"kappa": 20})
    below, above = race(prob, ["sgd", "momentum"], lr=[0.49, 0.51], steps=200,
                        hypers={"momentum": 0.0})
    assert below.status in ("converged", "stopped") and abs(below.final[1]) < 1e-3
    assert above.status == "diverging" or abs(above.final[1]) > 2


# -- the functions' claims -------------------------------------------------------------------
def test_every_function_loads_and_its_minima_are_stationary_with_f_zero():
    assert surface_names() == ["beale", "himmelblau", "ill_conditioned", "rosenbrock", "saddle",
                               "square", "xcos"]
    for name in surface_names():
        prob = problem(surface=name)
        for m in prob.minima:
            g = np.array(prob.grad(*m), dtype=float)
            assert np.linalg.norm(g) < 1e-4, (name, m, g)
            assert float(prob.f(*m)) == pytest.approx(0, abs=1e-9)


def test_himmelblau_has_a_local_maximum_near_minus_0_27_minus_0_92():
    # ∇f = 0 solved by Newton's method from the stated point, by hand formulas
    x, y = -0.27, -0.92
    for _ in range(20):
        gx = 4 * x * (x * x + y - 11) + 2 * (x + y * y - 7)
        gy = 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)
        H = np.array([[12 * x * x + 4 * y - 42, 4 * x + 4 * y], [4 * x + 4 * y, 4 * x + 12 * y * y - 26]])
        dx, dy = np.linalg.solve(H, [gx, gy])
        x, y = x - dx, y - dy
    assert (round(x, 2), round(y, 2)) == (-0.27, -0.92)
    assert np.all(np.linalg.eigvalsh(H) < 0)


def test_rosenbrock_top_curvature_at_the_minimum():
    H = np.array([[2 + 1200 * 1 - 400 * 1, -400.0], [-400.0, 200.0]])  # a = 1, b = 100 at (1, 1)
    top = np.linalg.eigvalsh(H)[-1]
    assert round(top, 1) == 1001.6 and round(2 / top, 3) == 0.002


def test_a_saddle_reached_exactly_is_named_a_saddle():
    (r,) = race(problem(surface="saddle", start=[1, 0]), ["sgd"], steps=200)
    assert r.status == "converged" and r.kind == "saddle"
    assert sorted(r.eigenvalues) == pytest.approx([-2, 2])
    # a thousandth off the line, y grows by 1 + 2η per step: it escapes
    (r,) = race(problem(surface="saddle"), ["sgd"], steps=40)
    assert r.final[1] == pytest.approx(0.001 * 1.2 ** 40, rel=1e-12)


def test_adam_first_steps_are_the_textbook_formula():
    prob = problem(surface="rosenbrock")
    (r,) = race(prob, ["adam"], lr=[0.05], steps=3, show=3)
    x, y, m, v = -1.5, 2.0, [0.0, 0.0], [0.0, 0.0]
    for t in range(1, 4):
        g = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
        m = [0.9 * a + 0.1 * b for a, b in zip(m, g)]
        v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g)]
        step = [0.05 * (a / (1 - 0.9 ** t)) / (math.sqrt(b / (1 - 0.999 ** t)) + 1e-8)
                for a, b in zip(m, v)]
        x, y = x - step[0], y - step[1]
        s = r.first[t - 1]
        assert list(s.gradient) == pytest.approx(g, rel=1e-12)
        assert list(s.state["m"]) == pytest.approx(m, rel=1e-12)
        assert list(s.state["v"]) == pytest.approx(v, rel=1e-12)
        assert list(s.update) == pytest.approx([-step[0], -step[1]], rel=1e-9)
        assert list(s.point) == pytest.approx([x, y], rel=1e-12)


def test_a_typed_expression_with_a_constant():
    prob = problem(expr="x*cos(c*x)", constants={"c": 0.15 * math.pi}, start=[10])
    (r,) = race(prob, ["sgd"], lr=[2], steps=10)
    (s,) = race(problem(surface="xcos"), ["sgd"], steps=10)
    assert float(r.final[0]) == pytest.approx(float(s.final[0]), rel=1e-12)


# -- the command -------------------------------------------------------------------------------
def test_the_table_shows_the_first_steps_side_by_side_and_the_outcomes():
    r = run(["ill_conditioned", "--optimizer", "sgd,momentum", "--lr", "0.4,0.6",
             "--momentum", "0.5"])
    assert r.exit_code == 0, r.output
    text = r.output
    for words in ("the first steps, side by side", "gradient g",
                  "update Δ", "new point", "v = −1", "(−0.9435, −7.312e−05)",
                  "(0.007188, 0.002553)", "∂f/∂x = a·x"):
        assert words in text, words


def test_json_has_every_run():
    d = json.loads(run(["square", "--optimizer", "sgd,momentum", "--lr", "0.2",
                        "--format", "json"]).stdout)
    sgd, mom = d["runs"]
    assert sgd["final"][0] == pytest.approx(10 * 0.6 ** 10, rel=1e-12)
    assert len(sgd["path"]) == 11 and sgd["status"] == "stopped"
    # momentum μ = 0.9 on x² from 10 with η = 0.2: 10 → 6 → 0 by hand (v = 20, then 30)
    assert mom["first_steps"][1]["state"]["v"] == [30.0] and mom["final"] == [0.0]
    assert mom["status"] == "converged" and mom["stationary_point"] == "minimum"


@pytest.mark.parametrize("args,words", [
    ([], "name one function"),
    (["nope"], "no function named 'nope'"),
    (["rosenbrock", "--set", "q=1"], "--set q: rosenbrock has no constant 'q'"),
    (["rosenbrock", "--start", "1"], "--start: give 2 numbers"),
    (["rosenbrock", "--optimizer", "sgd,foo"], "--optimizer must be one of"),
    (["rosenbrock", "--lr", "1,2"], "--lr: give one learning rate, or one per optimizer (3)"),
    (["rosenbrock", "--optimizer", "sgd", "--beta1", "0.5"], "--beta1 goes with none"),
    (["--expr", "x*y*z"], "3 variables"),
    (["--expr", "log(x)", "--start", "-1"], "--start: f or its gradient has no value"),
    (["rosenbrock", "--steps", "0"], "--steps must be from 1"),
    (["rosenbrock", "--animate", "a.png"], "--animate a.png: the file name must end in .gif"),
])
def test_bad_input_is_one_line(args, words):
    r = run(args)
    assert r.exit_code == 2 and words in r.output and r.output.count("\n") == 1, r.output


def test_a_run_off_the_domain_or_to_infinity_is_one_line_each():
    text = " ".join(run(["--expr", "log(x) + x^2", "--start", "2", "--lr", "0.6",
                         "--optimizer", "adam"]).output.split())
    assert "the next point is where f has no value" in text
    text = " ".join(run(["square", "--optimizer", "sgd", "--lr", "10", "--steps", "1000"]).output.split())
    assert "diverged at step" in text and "Traceback" not in text and "Warning" not in text


def test_the_window_holds_start_minimum_and_paths_with_room():
    prob = problem(surface="rosenbrock")
    runs = race(prob, ["sgd", "momentum", "adam"])
    pic = picture(prob, runs)
    for point in [prob.start] + prob.minima:
        for k, axis in enumerate((pic.x, pic.y)):
            width = axis[-1] - axis[0]
            assert axis[0] + 0.1 * width <= point[k] <= axis[-1] - 0.1 * width
    assert pic.spacing == "log" and len(pic.frames) == 60


@pytest.mark.slow
def test_plot_and_animation_are_written(tmp_path):
    from PIL import Image

    png, gif = tmp_path / "p.png", tmp_path / "p.gif"
    r = run(["rosenbrock", "--optimizer", "sgd,momentum,adam", "--plot", str(png),
             "--animate", str(gif)])
    assert r.exit_code == 0, r.output
    assert Image.open(png).size[0] > 500
    im = Image.open(gif)
    assert im.n_frames == 60
    again = run(["rosenbrock", "--plot", str(png)])
    assert again.exit_code == 2 and "--force" in again.output

"""tutor train: the reference runs against plain Python loops, compiled gradients against
hand-written NumPy and finite differences, the stability bound against its formula, and the
command line (including bad input)."""

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from tutor import cli
from tutor.training import model as models
from tutor.training.data import synthetic
from tutor.training.engine import Route
from tutor.explaining.lesson import lesson_names, load_lesson
from tutor.calculus.numeric import compile_expr
from tutor.training.stability import hessian_bound
from tutor.training.train import Settings, train


def run(args):
    return CliRunner().invoke(cli.main, ["train", *args], catch_exceptions=False)


# -- the reference runs --------------------------------------------------------------------
def sgd_loop(epochs):
    w, grads = 1.0, []
    for _ in range(epochs):
        for x, y in zip([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]):
            g = 2 * (w * x - y) * x
            grads.append(g)
            w -= 0.01 * g
    return w, grads


def test_per_sample_sgd_matches_a_plain_loop():
    m = models.from_expression("(w*x - y)**2", ["w"])
    seen = []
    h = train(m.objective, m.gather({"x": np.array([1.0, 2, 3]), "y": np.array([2.0, 4, 6])}),
              Settings(lr=0.01, epochs=10, batch_size=1, shuffle=False), init={"w": 1},
              on_step=lambda step, g, p: seen.append(float(g["w"])))
    w, grads = sgd_loop(10)
    assert seen[:3] == pytest.approx([-2.0, -7.84, -16.2288], abs=1e-12)
    assert seen == pytest.approx(grads, abs=1e-12)
    assert float(h.params["w"]) * 4 == pytest.approx(w * 4, abs=1e-12)


def test_per_sample_sgd_from_the_command_line():
    r = run(["--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data", "y=2,4,6",
             "--init", "w=1", "--lr", "0.01", "--epochs", "10", "--batch-size", "1",
             "--no-shuffle", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    w, _ = sgd_loop(10)
    assert out["params"]["w"] * 4 == pytest.approx(w * 4, abs=1e-12)
    assert [e["epoch"] for e in out["history"]] == list(range(1, 11))
    # the loss after each epoch: mean of (w·x − y)² over the whole data, from the loop
    w_e = 1.0
    for epoch in out["history"]:
        for x, y in zip([1, 2, 3], [2, 4, 6]):
            w_e -= 0.01 * 2 * (w_e * x - y) * x
        expected = sum((w_e * x - y) ** 2 for x, y in zip([1, 2, 3], [2, 4, 6])) / 3
        assert epoch["loss"] == pytest.approx(expected, rel=1e-12)


def full_batch_loop():
    w, b = 0.5, 0.0
    xs, ys = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
    for _ in range(100):
        gw = sum((w * x + b - y) * x for x, y in zip(xs, ys))
        gb = sum((w * x + b - y) for x, y in zip(xs, ys))
        w, b = w - 0.01 * gw, b - 0.01 * gb
    return w, b


def test_full_batch_sum_matches_a_plain_loop(tmp_path):
    w, b = full_batch_loop()
    m = models.from_expression("(w*x + b - y)**2/2", ["w", "b"])
    data = {"x": np.array([[1.0], [2.0], [3.0]]), "y": np.array([[2.0], [4.0], [6.0]])}
    h = train(m.objective, m.gather(data), Settings(lr=0.01, epochs=100, reduce="sum"),
              init={"w": 0.5, "b": 0})
    assert float(np.ravel(h.params["w"])[0]) == pytest.approx(w, abs=1e-12)
    assert float(h.params["b"]) == pytest.approx(b, abs=1e-12)
    # the same from a .npz file on the command line
    np.savez(tmp_path / "d.npz", **data)
    r = run(["--expr", "(w*x + b - y)**2/2", "--params", "w,b", "--data", str(tmp_path / "d.npz"),
             "--init", "w=0.5", "--init", "b=0", "--lr", "0.01", "--epochs", "100",
             "--reduce", "sum", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["params"]["w"][0] == pytest.approx(w, abs=1e-12)
    assert out["params"]["b"] == pytest.approx(b, abs=1e-12)


def test_from_scratch_linear_regression():
    r = run(["linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b", "4.2",
             "--samples", "1000", "--noise", "0.01", "--batch-size", "10", "--lr", "0.03",
             "--epochs", "3", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["history"][-1]["loss"] < 1e-4
    assert out["params"]["w"] == pytest.approx([2, -3.4], abs=5e-3)
    assert out["params"]["b"] == pytest.approx(4.2, abs=5e-3)
    # the final loss is the mean of ½(ŷ − y)² over the data, recomputed here
    data = synthetic("regression", true_w=np.array([2, -3.4]), true_b=4.2, samples=1000,
                     noise=0.01, seed=0)
    pred = data["x"] @ np.array(out["params"]["w"]) + out["params"]["b"]
    assert out["history"][-1]["loss"] == pytest.approx(np.mean((pred - data["y"]) ** 2) / 2, rel=1e-9)


def test_same_seed_same_numbers_other_seed_other_order():
    args = ["linear_regression", "--synthetic", "--true-w", "1,2", "--samples", "200",
            "--batch-size", "7", "--epochs", "2", "--format", "json"]
    a, b = run(args + ["--seed", "3"]), run(args + ["--seed", "3"])
    c = run(args + ["--seed", "4"])
    assert json.loads(a.stdout)["params"] == json.loads(b.stdout)["params"]
    assert json.loads(a.stdout)["params"] != json.loads(c.stdout)["params"]


# -- compiled gradients against hand-written NumPy -------------------------------------------
def _sig(z):
    return 1 / (1 + np.exp(-z))


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


HAND = {  # ∂f/∂(wrt) per lesson, written by hand with NumPy, from the textbook formulas
    "sigmoid": lambda v, wrt: _sig(v["z"]) * (1 - _sig(v["z"])),
    "tanh": lambda v, wrt: 1 - np.tanh(v[wrt]) ** 2,
    "relu": lambda v, wrt: (v["z"] > 0).astype(float),
    "squared_loss": lambda v, wrt: v["yhat"] - v["y"],
    "linear": lambda v, wrt: np.ones_like(v["x1"]) if wrt == "b" else v["x" + wrt[1:]],
    "bce_logits": lambda v, wrt: _sig(v["z"]) - v["y"],
}


def _random_point(lesson, rng, n=50):
    return {name: rng.normal(size=n) for name in lesson.symbols}


@pytest.mark.parametrize("name", lesson_names())
def test_compiled_derivatives_of_every_lesson(name):
    """Every lesson's derivative, compiled, equals a hand-written NumPy formula (where there is
    one for it) and central differences of the compiled function itself."""
    from sympy import diff

    lesson = load_lesson(name)
    rng = np.random.default_rng(7)
    v = _random_point(lesson, rng)
    for name_y in [s for s in lesson.symbols if s.startswith("y")]:
        v[name_y] = rng.random(50)
    args = list(lesson.symbols.values())
    values = [v[s.name] for s in args]
    for k, out in enumerate(lesson.outputs):
        f = compile_expr(out, args)
        for wrt in lesson.wrt:
            if name == "relu" and np.any(np.abs(v[wrt.name]) < 1e-6):
                continue
            g = compile_expr(diff(out, wrt), args)(*values)
            i = args.index(wrt)
            h = 1e-6 * np.maximum(1, np.abs(values[i]))
            up, down = list(values), list(values)
            up[i], down[i] = values[i] + h, values[i] - h
            fd = (f(*up) - f(*down)) / (up[i] - down[i])
            assert np.allclose(g, fd, rtol=1e-6, atol=1e-7), (name, str(wrt))
            hand = HAND.get(name)
            if hand is not None:
                assert np.allclose(g, hand(v, wrt.name), rtol=1e-9, atol=1e-12), (name, str(wrt))
    if name in ("softmax", "cross_entropy"):
        Z = np.column_stack([v[f"z{i}"] for i in (1, 2, 3)])
        S = _softmax(Z)
        for i in range(3):
            for j in range(3):
                g = compile_expr(diff(lesson.outputs[i if name == "softmax" else 0],
                                      lesson.symbols[f"z{j + 1}"]), args)(*values)
                if name == "softmax":
                    hand = S[:, i] * ((i == j) - S[:, j])
                else:
                    Y = np.column_stack([v[f"y{i}"] for i in (1, 2, 3)])
                    hand = S[:, j] * Y.sum(axis=1) - Y[:, j]
                assert np.allclose(g, hand, rtol=1e-9, atol=1e-12)
            if name == "cross_entropy":
                break


def _hand_gradients(name, X, y, p):
    n = len(X)
    if name == "linear_regression":
        r = X @ p["w"] + p["b"] - y
        return {"w": X.T @ r / n, "b": r.mean()}
    if name == "logistic_regression":
        r = _sig(X @ p["w"] + p["b"]) - y
        return {"w": X.T @ r / n, "b": r.mean()}
    if name == "softmax_regression":
        R = _softmax(X @ p["w"] + p["b"]) - y
        return {"w": X.T @ R / n, "b": R.mean(axis=0)}
    if name == "neuron":
        a = _sig(X[:, 0] * p["w"] + p["b"])
        r = (a - y) * a * (1 - a)
        return {"w": np.mean(r * X[:, 0]), "b": r.mean()}


@pytest.mark.parametrize("name,features", [("linear_regression", 2), ("linear_regression", 5),
                                           ("logistic_regression", 3), ("softmax_regression", 4),
                                           ("neuron", 1)])
def test_training_gradients_equal_hand_written_numpy(name, features):
    m = models.load(name)
    rng = np.random.default_rng(1)
    n = 300
    X = rng.normal(size=(n, features))
    target = m.targets[0].name
    if name == "softmax_regression":
        y = np.eye(3)[rng.integers(0, 3, n)]
        params = {"w": rng.normal(size=(features, 3)), "b": rng.normal(size=3)}
    elif name == "neuron":
        y = rng.random(n)
        params = {"w": rng.normal(), "b": rng.normal()}
        X = X[:, :1]
    else:
        y = rng.random(n) if name != "linear_regression" else rng.normal(size=n)
        params = {"w": rng.normal(size=features), "b": rng.normal()}
    data = m.gather({m.feature_name: X if name != "neuron" else X[:, 0], target: y})
    prep = m.objective.prepare(data)
    got = m.objective.gradient(params, prep, "mean")
    hand = _hand_gradients(name, X, y, params)
    for k in hand:
        assert np.allclose(got[k], hand[k], rtol=1e-9, atol=1e-12), k
    # and against central differences of the compiled loss
    for k, v in params.items():
        flat = np.array(v, dtype=float).ravel()
        for i in range(flat.size):
            h = 1e-6 * max(1, abs(flat[i]))
            up, down = flat.copy(), flat.copy()
            up[i] += h
            down[i] -= h
            lu = m.objective.loss({**params, k: up.reshape(np.shape(v))}, prep, "mean")
            ld = m.objective.loss({**params, k: down.reshape(np.shape(v))}, prep, "mean")
            assert np.ravel(got[k])[i] == pytest.approx((lu - ld) / (up[i] - down[i]), rel=1e-5, abs=1e-8)


def test_stable_at_huge_logits():
    for name in ("logistic_regression", "softmax_regression", "neuron"):
        m = models.load(name)
        C = 3 if name == "softmax_regression" else None
        X = np.array([[1.0], [-1.0]])
        y = np.array([[1.0, 0, 0], [0, 0, 1.0]]) if C else np.array([0.0, 1.0])
        data = m.gather({m.feature_name: X if name != "neuron" else X[:, 0], m.targets[0].name: y})
        prep = m.objective.prepare(data)
        w = np.full((1, 3), 1000.0) * np.array([1, 0, -1]) if C else (np.array([1000.0]) if name != "neuron" else 1000.0)
        params = {"w": w, "b": np.zeros(3) if C else 0.0}
        loss = m.objective.loss(params, prep, "mean")
        grads = m.objective.gradient(params, prep, "mean")
        assert np.isfinite(loss) and all(np.isfinite(g).all() for g in grads.values()), name
    # the wrong-way logistic loss at |z| = 1000 is 1000 (softplus), not inf
    m = models.load("logistic_regression")
    prep = m.objective.prepare(m.gather({"x": np.array([[1.0], [-1.0]]), "y": np.array([0.0, 1.0])}))
    assert m.objective.loss({"w": np.array([1000.0]), "b": 0.0}, prep, "mean") == pytest.approx(1000.0)


def test_largest_stable_step_is_two_over_the_top_eigenvalue():
    # one feature, mean ½(wx + b − y)²: H = [[mean x², mean x], [mean x, 1]]
    rng = np.random.default_rng(2)
    x = rng.normal(1.0, 2.0, size=400)
    y = 3 * x + rng.normal(size=400)
    m = models.from_expression("(w*x + b - y)**2/2", ["w", "b"])
    prep = m.objective.prepare(m.gather({"x": x, "y": y}))
    a, c = np.mean(x * x), np.mean(x)
    lam = (a + 1) / 2 + math.sqrt(((a - 1) / 2) ** 2 + c * c)
    bound = hessian_bound(m.objective, prep, reduce="mean", batch_size=None)
    assert bound.lr_max == pytest.approx(2 / lam, rel=1e-10)
    ok = train(m.objective, prep, Settings(lr=0.95 * bound.lr_max, epochs=400), prepared=prep)
    bad = train(m.objective, prep, Settings(lr=1.05 * bound.lr_max, epochs=400), prepared=prep)
    assert not ok.diverged and ok.final_loss < ok.initial_loss
    assert bad.diverged


def test_divergence_stops_with_exit_code_1_and_says_why():
    r = run(["linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b", "4.2",
             "--lr", "2.5", "--epochs", "50"])
    assert r.exit_code == 1
    assert "stopped" in r.stdout and "2/λ_max" in r.stdout and "above" in r.stdout
    r = run(["linear_regression", "--synthetic", "--true-w", "2,-3.4", "--lr", "50",
             "--epochs", "50", "--format", "json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["diverged"] and out["stopped"]["epoch"] < 50


# -- data ----------------------------------------------------------------------------------
def test_csv_with_feature_columns(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 2))
    y = X @ [1.5, -0.5] + 0.25
    path = tmp_path / "d.csv"
    path.write_text("x1,x2,y\n" + "".join(f"{float(a)!r},{float(b)!r},{float(c)!r}\n" for (a, b), c in zip(X, y)))
    r = run(["linear_regression", "--data", str(path), "--lr", "0.5", "--epochs", "200",
             "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["params"]["w"] == pytest.approx([1.5, -0.5], abs=1e-6)
    assert out["error_vs_least_squares"]["b"] == pytest.approx(0, abs=1e-6)


def test_softmax_regression_learns_labels(tmp_path):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 2))
    labels = np.argmax(X @ np.array([[3.0, -3, 0], [0, 3, -3]]), axis=1)
    np.savez(tmp_path / "c.npz", x=X, y=labels)
    r = run(["softmax_regression", "--data", str(tmp_path / "c.npz"), "--lr", "1",
             "--epochs", "100", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    W, b = np.array(out["params"]["w"]), np.array(out["params"]["b"])
    assert W.shape == (2, 3)
    assert np.mean(np.argmax(X @ W + b, axis=1) == labels) > 0.95


# -- plots ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_plots_one_file_per_figure_or_one_pdf(tmp_path):
    base = ["--expr", "(w*x + b - y)**2", "--params", "w,b", "--data", "x=1,2,3,4",
            "--data", "y=3,5,7,9.5", "--lr", "0.02", "--epochs", "30"]
    r = run(base + ["--plot", str(tmp_path / "t.png")])
    assert r.exit_code == 0, r.output
    for name in ("t.png", "t-fit.png", "t-landscape.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    r = run(base + ["--plot", str(tmp_path / "t.png")])
    assert r.exit_code == 2 and "exists" in r.output
    r = run(base + ["--plot", str(tmp_path / "t.pdf")])
    assert r.exit_code == 0
    assert (tmp_path / "t.pdf").read_bytes().count(b"/Type /Page\n") + \
        (tmp_path / "t.pdf").read_bytes().count(b"/Type /Page ") >= 2 or \
        (tmp_path / "t.pdf").read_bytes().count(b"/Page") >= 3


# -- bad input -----------------------------------------------------------------------------
BAD = [
    (["linear_regression", "--data", "missing.csv"], "no such file"),
    (["linear_regression", "--data", "x=1,2,3", "--data", "y=1,2"], "different lengths"),
    (["linear_regression", "--data", "x=1,2,a"], "not a number"),
    (["linear_regression", "--synthetic", "--true-w", "1,2", "--lr", "0"], "--lr"),
    (["linear_regression", "--synthetic", "--true-w", "1,2", "--lr", "-1"], "--lr"),
    (["linear_regression", "--synthetic", "--true-w", "1,2", "--batch-size", "0"], "--batch-size"),
    (["linear_regression", "--synthetic", "--true-w", "1,2", "--samples", "10", "--batch-size", "11"],
     "larger than the data"),
    (["linear_regression", "--synthetic", "--true-w", "1,2", "--epochs", "0"], "--epochs"),
    (["linear_regression", "--synthetic", "--true-w", "1,2", "--init", "q=1"], "no parameter 'q'"),
    (["--expr", "(w*x - y)**2", "--params", "v", "--data", "x=1", "--data", "y=1"], "no variable 'v'"),
    (["--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2", "--data", "y=1,nan"], "finite"),
    (["--expr", "(w*x - y", "--params", "w", "--data", "x=1"], "error"),
    (["linear_regression"], "give the data"),
]


@pytest.mark.parametrize("args,words", BAD)
def test_bad_input_is_one_line_exit_2(args, words):
    r = run(args)
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error: ") and words in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("content,words", [
    ("x,y\n1,2\n3\n", "ragged"),
    ("x,y\n1,2\n3,zz\n", "not a number"),
    ("x,y\n1,2\n3,inf\n", "not a finite number"),
    ("x,y\n", "no data rows"),
    ("", "empty"),
    ("1,2\n3,4\n", "header"),
])
def test_bad_csv_files(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    r = run(["--expr", "(w*x - y)**2", "--params", "w", "--data", str(path)])
    assert r.exit_code == 2 and words in r.output, r.output


def test_bad_npz_and_unreadable(tmp_path):
    np.savez(tmp_path / "n.npz", x=np.array([1.0, np.nan]), y=np.array([1.0, 2.0]))
    r = run(["--expr", "(w*x - y)**2", "--params", "w", "--data", str(tmp_path / "n.npz")])
    assert r.exit_code == 2 and "finite" in r.output
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    r = run(["--expr", "(w*x - y)**2", "--params", "w", "--data", str(tmp_path / "junk.npz")])
    assert r.exit_code == 2 and "not a readable" in r.output
    r = run(["--expr", "(w*x - y)**2", "--params", "w", "--data", str(tmp_path)])
    assert r.exit_code == 2 and "folder" in r.output


@pytest.mark.skipif(shutil.which("tutor") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "tutor")), reason="tutor is not installed")
def test_installed_command_reproduces_the_sgd_run():
    exe = shutil.which("tutor") or os.path.join(os.path.dirname(sys.executable), "tutor")
    out = subprocess.run([exe, "train", "--expr", "(w*x - y)**2", "--params", "w", "--data",
                          "x=1,2,3", "--data", "y=2,4,6", "--init", "w=1", "--lr", "0.01",
                          "--epochs", "10", "--batch-size", "1", "--no-shuffle", "--format", "json"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"})
    assert out.returncode == 0, out.stderr
    w, _ = sgd_loop(10)
    assert json.loads(out.stdout)["params"]["w"] == pytest.approx(w, abs=1e-12)


# -- losses without a linear layer, and without data -----------------------------------------
def test_direct_gradients_and_their_bound():
    """w·x² is no linear layer, and a ridge term puts w outside one: both are differentiated
    directly; the gradient is checked against a hand formula, the bound against 2/λ_max of
    the Hessian written out by hand."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 5.0, 7.0])
    m = models.from_expression("(w*x + b - y)^2 + 0.1*w^2", ["w", "b"])
    assert m.objective.mode is Route.DIRECT
    prep = m.objective.prepare(m.gather({"x": x, "y": y}))
    g = m.objective.gradient({"w": 0.5, "b": -1.0}, prep, "mean")
    r = 0.5 * x - 1.0 - y
    assert float(g["w"]) == pytest.approx(np.mean(2 * r * x) + 0.2 * 0.5, rel=1e-12)
    assert float(g["b"]) == pytest.approx(np.mean(2 * r), rel=1e-12)
    H = np.array([[np.mean(2 * x * x) + 0.2, np.mean(2 * x)], [np.mean(2 * x), 2.0]])
    bound = hessian_bound(m.objective, prep, reduce="mean", batch_size=None)
    assert bound.lr_max == pytest.approx(2 / np.linalg.eigvalsh(H)[-1], rel=1e-12)
    m2 = models.from_expression("(w*x^2 - y)^2", ["w"])
    prep2 = m2.objective.prepare(m2.gather({"x": x, "y": y}))
    g2 = m2.objective.gradient({"w": 0.7}, prep2, "sum")
    assert float(g2["w"]) == pytest.approx(np.sum(2 * (0.7 * x ** 2 - y) * x ** 2), rel=1e-12)


def test_a_loss_without_data_is_minimised():
    r = run(["--expr", "(w - 3)^2", "--params", "w", "--lr", "0.1", "--epochs", "30",
             "--format", "json"])
    assert r.exit_code == 0, r.output
    w = 0.0
    for _ in range(30):
        w -= 0.1 * 2 * (w - 3)
    assert json.loads(r.stdout)["params"]["w"] == pytest.approx(w, abs=1e-12)
    r = run(["--expr", "(w - 3)^2", "--params", "w", "--lr", "1.1", "--epochs", "30"])
    assert r.exit_code == 1 and "2/λ_max = 1 " in r.stdout


def test_piped_output_is_plain_lines():
    r = run(["linear_regression", "--synthetic", "--true-w", "1,2", "--epochs", "3", "--lr", "0.5"])
    assert r.exit_code == 0
    assert "epoch 1/3  loss" in r.stdout and "epoch 3/3  loss" in r.stdout
    assert "\x1b[" not in r.stdout and "━" not in r.stdout
    assert "loss per epoch" in r.stdout  # the text chart


@pytest.mark.parametrize("args,words", [
    (["linear", "--data", "x=1,2"], "no target"),
    (["squared_loss", "--data", "x=1,2"], "no parameters"),
    (["softmax", "--data", "z=1,2"], "not a loss"),
    (["softmax_regression", "--data", "x=1,2", "--data", "y=0,3"], "class labels 0 … 2"),
    (["linear_regression", "--data", "x1=1,2", "--data", "x2=1,2", "--data", "y=1,2",
      "--init", "w=1,2,3"], "3 values given"),
    (["--expr", "(w*x-y)^2", "--params", "w", "--data", "x=1,2", "--data", "y=1,2",
      "--synthetic", "--true-w", "1"], "not both"),
])
def test_more_refusals(args, words):
    r = run(args)
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, r.output


def test_a_start_where_the_loss_is_infinite_stops_at_once():
    r = run(["--expr", "log(w)", "--params", "w", "--epochs", "5"])
    assert r.exit_code == 1 and "before the first step" in r.stdout and "start from other values" in r.stdout


# -- another source of gradients -----------------------------------------------------------
class HandObjective:
    """The Objective interface written by hand (as a backpropagation engine would supply it):
    the neuron's loss ½(σ(w·x + b) − t)² with its gradient coded in NumPy."""

    param_names = ["w", "b"]

    def prepare(self, data):
        return {"x": np.asarray(data["x"], float), "t": np.asarray(data["t"], float)}

    def init_params(self, prepared, given):
        unknown = set(given) - {"w", "b"}
        if unknown:
            from tutor.errors import TutorError
            raise TutorError(f"--init {unknown.pop()}: no such parameter")
        return {"w": np.float64(given.get("w", 0.0)), "b": np.float64(given.get("b", 0.0))}

    def loss(self, params, batch, reduce):
        a = _sig(params["w"] * batch["x"] + params["b"])
        per = (a - batch["t"]) ** 2 / 2
        return float(per.mean() if reduce == "mean" else per.sum())

    def gradient(self, params, batch, reduce):
        a = _sig(params["w"] * batch["x"] + params["b"])
        g = (a - batch["t"]) * a * (1 - a)
        red = np.mean if reduce == "mean" else np.sum
        return {"w": red(g * batch["x"]), "b": red(g)}


def test_a_hand_written_objective_trains_like_a_compiled_one():
    data = {"x": np.array([0.5, 1.0, 2.0, -1.0]), "t": np.array([0.0, 1.0, 1.0, 0.0])}
    s = Settings(lr=0.5, epochs=20, batch_size=2, seed=3)
    ours = train(HandObjective(), data, s, init={"w": 0.8, "b": -0.2})
    m = models.load("neuron")
    compiled = train(m.objective, m.gather(data), Settings(lr=0.5, epochs=20, batch_size=2, seed=3),
                     init={"w": 0.8, "b": -0.2})
    assert float(ours.params["w"]) == pytest.approx(float(compiled.params["w"]), rel=1e-12)
    assert ours.losses == pytest.approx(compiled.losses, rel=1e-12)


def test_a_registered_gradient_source_is_used_by_the_command():
    models.register_gradient_source("neuron", lambda lesson: HandObjective(), "hand-written NumPy")
    try:
        r = run(["neuron", "--data", "x=0.5,1,2,-1", "--data", "t=0,1,1,0", "--init", "w=0.8",
                 "--init", "b=-0.2", "--lr", "0.5", "--epochs", "5"])
    finally:
        models.GRADIENT_SOURCES.pop("neuron")
    assert r.exit_code == 0, r.output
    assert "the gradient from hand-written NumPy" in " ".join(r.stdout.split())
    w, b = 0.8, -0.2
    x, t = np.array([0.5, 1.0, 2.0, -1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    for _ in range(5):
        a = _sig(w * x + b)
        g = (a - t) * a * (1 - a)
        w, b = w - 0.5 * np.mean(g * x), b - 0.5 * np.mean(g)
    assert f"w = {w:.6g}".replace("-", "−") in r.stdout


@pytest.mark.parametrize("text", [
    "-(y*log(sigmoid(w*x)) + (1 - y)*log(1 - sigmoid(w*x)))",
    "-(y*log(1/(1 + exp(-w*x))) + (1 - y)*log(1 - 1/(1 + exp(-w*x))))",
    "log(1 + exp(w*x)) - y*w*x",
])
def test_naive_cross_entropy_typed_by_a_user_is_computed_stably(text):
    """At w·x = ±1000 the written form overflows or takes log(0); the compiled one gives the
    exact loss: |w·x| for a wrong confident prediction, 0 for a right one."""
    m = models.from_expression(text, ["w"])
    prep = m.objective.prepare(m.gather({"x": np.array([1.0, -1.0, 1.0]), "y": np.array([0.0, 0.0, 1.0])}))
    per = m.objective.per_sample({"w": np.float64(1000.0)}, prep)
    assert per == pytest.approx([1000.0, 0.0, 0.0], abs=1e-9)
    g = m.objective.gradient({"w": np.float64(1000.0)}, prep, "sum")
    assert float(g["w"]) == pytest.approx(1.0, abs=1e-9)  # σ(1000)·1 − 0 + σ(−1000)·(−1) + 0


def test_compile_expr_handles_max_min_abs_and_lists():
    """max/min of several arguments print as functools.reduce(numpy.maximum, …), which needs
    functools in the compiled code's namespace; abs of a list needs an array."""
    from tutor.calculus.parser import parse_expression

    e = parse_expression("max(x, 0, y) + min(x, 1) + abs(x)")
    x, y = sorted(e.free_symbols, key=lambda s: s.name)
    got = compile_expr(e, [x, y])([-2.0, 0.5, 3.0], [1.0, -1.0, 0.0])
    expected = [max(a, 0, b) + min(a, 1) + abs(a) for a, b in zip([-2.0, 0.5, 3.0], [1.0, -1.0, 0.0])]
    assert list(got) == pytest.approx(expected)
    # and a loss with max trains (hinge loss: the gradient is −y·x where y·w·x < 1)
    m = models.from_expression("max(0, 1 - y*w*x)", ["w"])
    prep = m.objective.prepare(m.gather({"x": np.array([1.0, 2.0, -1.0]), "y": np.array([1.0, 1.0, 1.0])}))
    g = m.objective.gradient({"w": np.float64(0.25)}, prep, "mean")
    assert float(g["w"]) == pytest.approx(np.mean([-1.0, -2.0, 1.0]))


def test_least_squares_on_many_samples_matches_the_factorised_answer():
    from tutor.training.train import least_squares

    rng = np.random.default_rng(11)
    X = rng.normal(size=(150_000, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.7 + rng.normal(size=len(X))
    w, b = least_squares(X, y)
    A = np.column_stack([X, np.ones(len(X))])
    ref = np.linalg.lstsq(A, y, rcond=None)[0]
    assert np.allclose(np.append(w, b), ref, rtol=0, atol=1e-10)


def test_progress_bar_on_a_terminal():
    import io

    from rich.console import Console

    from tutor.renderers.training.text import Progress

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80)
    with Progress(console, 3) as progress:
        for epoch, loss in enumerate([0.5, 0.25, 0.125], start=1):
            progress(epoch, loss)
    out = buf.getvalue()
    assert "━" in out and "epoch 3/3" in out and "0.125" in out


def test_a_sum_loss_states_the_mean_learning_rate_that_takes_the_same_steps():
    main = cli.main
    base = ["train", "linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b", "4.2",
            "--samples", "100", "--batch-size", "20", "--epochs", "3", "--seed", "5", "--lang",
            "en"]
    text = CliRunner().invoke(main, base + ["--reduce", "sum", "--lr", "0.003"]).output
    flat = " ".join(text.split())
    assert "sum over each batch of 20" in flat and "same steps as η = 0.06 on the mean loss" in flat
    # the sentence is true: both runs end at the same parameters
    runs = [json.loads(CliRunner().invoke(main, base + ["--reduce", how, "--lr", lr,
                                                         "--format", "json"]).output)
            for how, lr in (("sum", "0.003"), ("mean", "0.06"))]
    for name, value in runs[0]["params"].items():
        assert value == pytest.approx(runs[1]["params"][name], rel=1e-9)


def test_a_run_that_stopped_before_converging_says_so_and_a_converged_one_does_not():
    import json

    main = cli.main
    base = ["train", "linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b",
            "4.2", "--format", "json"]
    short = json.loads(CliRunner().invoke(main, base).stdout)
    losses = [short["initial_loss"]] + [e["loss"] for e in short["history"]]
    drop = (losses[-2] - losses[-1]) / losses[-2]
    assert drop > 1e-3 and short["not_converged"].startswith("not converged")
    assert f"{100 * drop:.2g}%" in short["not_converged"]
    done = json.loads(CliRunner().invoke(main, base + ["--lr", "0.5", "--epochs", "50"]).stdout)
    assert done["not_converged"] is None
    # and the parameters really are at the least-squares answer then
    assert abs(done["params"]["w"][0] - 2) < 0.01 and abs(done["params"]["b"] - 4.2) < 0.01


def test_trace_prints_the_first_steps_of_per_sample_descent_as_the_seed_works_them():
    import json

    xs, ys, w, lr = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 1.0, 0.01
    # per-sample SGD on (w·x − y)², by hand: the seed's grad 2.0·x·(w·x − y) … −2, −7.84, …
    expected = []
    for epoch in range(2):
        for x, y in zip(xs, ys):
            g = 2 * x * (w * x - y)
            w -= lr * g
            expected.append((g, w))
    r = CliRunner().invoke(cli.main, [
        "train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data",
        "y=2,4,6", "--init", "w=1", "--lr", "0.01", "--epochs", "2", "--batch-size", "1",
        "--no-shuffle", "--trace", "4", "--format", "json"])
    trace = json.loads(r.stdout)["trace"]
    assert [t["step"] for t in trace] == [1, 2, 3, 4]
    for t, (g, after) in zip(trace, expected):
        assert t["gradient"]["w"] == pytest.approx(g, rel=1e-12)
        assert t["after"]["w"] == pytest.approx(after, rel=1e-12)
    assert trace[1]["gradient"]["w"] == pytest.approx(-7.84)
    text = CliRunner().invoke(cli.main, [
        "train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data",
        "y=2,4,6", "--init", "w=1", "--lr", "0.01", "--epochs", "2", "--batch-size", "1",
        "--no-shuffle", "--trace", "4", "--lang", "en"]).output
    assert "4 of 6 steps shown (--trace 4)" in text and "−7.84" in text


def test_the_loss_swept_along_w_with_the_descent_on_it():
    import json

    # L(w) = mean (w·x − y)² = (14/3)(w − 2)² for x = 1, 2, 3 and y = 2x: by hand
    args = ["train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data",
            "y=2,4,6", "--init", "w=0", "--lr", "0.02", "--epochs", "8", "--sweep", "w=0:4:0.25"]
    d = json.loads(CliRunner().invoke(cli.main, args + ["--format", "json"]).stdout)["sweep"]
    assert len(d["points"]) == 17 and d["lowest"] == 2.0
    for p in d["points"]:
        assert p["loss"] == pytest.approx(14 / 3 * (p["value"] - 2) ** 2, abs=1e-12)
        assert p["slope"] == pytest.approx(28 / 3 * (p["value"] - 2), abs=1e-12)
    assert [q["epoch"] for q in d["path"]] == list(range(9)) and d["path"][0]["value"] == 0
    text = " ".join(CliRunner().invoke(cli.main, args + ["--lang", "en"]).output.split())
    assert "the loss along w" in text and "← lowest" in text and "epoch 0" in text
    bad = CliRunner().invoke(cli.main, args[:-1] + ["w=0:4:0"])
    assert bad.exit_code == 2 and "--sweep" in bad.output and bad.output.count("\n") == 1

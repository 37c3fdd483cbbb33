"""The mlp lesson: backpropagation (scalar graph, tensor engine, training objective) against
an independent backpropagation written by hand with NumPy in this file."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tutor import cli
from tutor.backpropagation.graph import lesson_graph
from tutor.explaining.lesson import load_lesson
from tutor.backpropagation.matrix_form import matrix_form
from tutor.training.model import from_lesson
from tutor.backpropagation.tensor import tensor

PARAMS = ["w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c"]


def hand_backprop(X, y, p):
    """Mean squared loss of a 2-2-1 tanh network and its gradient, by hand."""
    W = np.array([[p["w11"], p["w12"]], [p["w21"], p["w22"]]])
    b = np.array([p["b1"], p["b2"]])
    v = np.array([p["v1"], p["v2"]])
    n = len(y)
    Z = X @ W.T + b              # (n, 2)
    H = np.tanh(Z)
    yhat = H @ v + p["c"]
    r = yhat - y                 # (n,)
    loss = 0.5 * np.mean(r ** 2)
    d_yhat = r / n
    d_v = H.T @ d_yhat
    d_c = d_yhat.sum()
    d_H = np.outer(d_yhat, v)
    d_Z = d_H * (1 - H ** 2)
    d_W = d_Z.T @ X
    d_b = d_Z.sum(axis=0)
    grads = {"w11": d_W[0, 0], "w12": d_W[0, 1], "w21": d_W[1, 0], "w22": d_W[1, 1],
             "b1": d_b[0], "b2": d_b[1], "v1": d_v[0], "v2": d_v[1], "c": d_c}
    return loss, grads


def _random_case(seed, n=7):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 2))
    y = rng.uniform(-1, 1, n)
    p = {k: float(rng.uniform(-1.5, 1.5)) for k in PARAMS}
    return X, y, p


def _rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_graph_gradients_equal_hand_written_backprop(seed):
    X, y, p = _random_case(seed)
    _, expected = hand_backprop(X, y, p)
    graph = lesson_graph(load_lesson("mlp"))
    per_sample = graph.gradients({"x1": X[:, 0], "x2": X[:, 1], "y": y, **p}, PARAMS)
    for k in PARAMS:
        assert _rel(float(np.mean(per_sample[k])), expected[k]) < 1e-9, k


@pytest.mark.parametrize("seed", [4, 5])
def test_tensor_engine_and_matrix_form_equal_hand_written_backprop(seed):
    X, y, p = _random_case(seed)
    loss, expected = hand_backprop(X, y, p)
    W = tensor([[p["w11"], p["w12"]], [p["w21"], p["w22"]]])
    b, v, c = tensor([p["b1"], p["b2"]]), tensor([[p["v1"]], [p["v2"]]]), tensor(p["c"])
    E = (tensor(X, requires_grad=False) @ W.T + b).tanh() @ v + c - tensor(y[:, None], requires_grad=False)
    L = (E * E).mean() * 0.5
    L.backward()
    assert _rel(float(L.data), loss) < 1e-12
    got = {"w11": W.grad[0, 0], "w12": W.grad[0, 1], "w21": W.grad[1, 0], "w22": W.grad[1, 1],
           "b1": b.grad[0], "b2": b.grad[1], "v1": v.grad[0, 0], "v2": v.grad[1, 0], "c": c.grad}
    for k in PARAMS:
        assert _rel(float(got[k]), expected[k]) < 1e-9, k
    # the --matrix view at the same numbers: every check passes
    at = {"x1": list(X[:, 0]), "x2": list(X[:, 1]), "y": list(y), **p}
    topic = matrix_form(load_lesson("mlp"), at)
    assert topic.checks and all(chk.ok for chk in topic.checks)


def test_training_objective_gradient_is_backprop_and_equals_hand_written():
    X, y, p = _random_case(6)
    model = from_lesson(load_lesson("mlp"))
    objective = model.objective
    assert getattr(objective, "source", "") == "backpropagation"
    data = model.gather({"x1": X[:, 0], "x2": X[:, 1], "y": y})
    prepared = objective.prepare(data)
    params = objective.init_params(prepared, p)
    _, expected = hand_backprop(X, y, p)
    for reduce, scale in (("mean", 1.0), ("sum", len(y))):
        grads = objective.gradient(params, prepared, reduce)
        for k in PARAMS:
            assert _rel(float(grads[k]), scale * expected[k]) < 1e-9, (reduce, k)
    loss, _ = hand_backprop(X, y, p)
    assert _rel(objective.loss(params, prepared, "mean"), loss) < 1e-12


def test_tutor_train_mlp_matches_plain_gradient_descent():
    X, y, p = _random_case(7, n=5)
    args = ["train", "mlp", "--format", "json", "--lr", "0.1", "--epochs", "20",
            "--data", "x1=" + ",".join(repr(float(a)) for a in X[:, 0]),
            "--data", "x2=" + ",".join(repr(float(a)) for a in X[:, 1]),
            "--data", "y=" + ",".join(repr(float(a)) for a in y)]
    for k, val in p.items():
        args += ["--init", f"{k}={val!r}"]
    r = CliRunner().invoke(cli.main, args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    ref = dict(p)
    for _ in range(20):  # full-batch gradient descent, by hand
        _, g = hand_backprop(X, y, ref)
        ref = {k: ref[k] - 0.1 * g[k] for k in PARAMS}
    params = out["params"]
    for k in PARAMS:
        assert _rel(float(np.ravel(params[k])[0]), ref[k]) < 1e-9, k


def test_backprop_matrix_for_the_regressions():
    for name in ("linear_regression", "logistic_regression"):
        r = CliRunner().invoke(cli.main, ["backprop", name, "--matrix", "--format", "json"])
        assert r.exit_code == 0, r.output
        checks = [b for b in json.loads(r.output)["blocks"] if "check" in b]
        assert len(checks) == 3 and all(c["ok"] for c in checks)
    r = CliRunner().invoke(cli.main, ["backprop", "neuron", "--matrix"])
    assert r.exit_code == 2 and "no matrix form" in r.output
    r = CliRunner().invoke(cli.main, ["backprop", "mlp", "--matrix", "--sample", "2"])
    assert r.exit_code == 2 and "does not go with --matrix" in r.output


def test_without_init_a_network_starts_from_its_lesson_example_and_learns():
    import tomllib
    from pathlib import Path

    raw = tomllib.loads((Path(__file__).parent.parent / "lessons" / "mlp.toml").read_text("utf-8"))
    start = {k: raw["example"][k] for k in PARAMS}
    assert len(set(start.values())) > 2  # not all equal: the symmetry is broken
    X, y, _ = _random_case(8, n=5)
    args = ["train", "mlp", "--format", "json", "--lr", "0.1", "--epochs", "20",
            "--data", "x1=" + ",".join(repr(float(a)) for a in X[:, 0]),
            "--data", "x2=" + ",".join(repr(float(a)) for a in X[:, 1]),
            "--data", "y=" + ",".join(repr(float(a)) for a in y), "--init", "c=0.5"]
    r = CliRunner().invoke(cli.main, args)
    assert r.exit_code == 0, r.output
    ref = {**start, "c": 0.5}
    for _ in range(20):  # the same descent by hand, from the lesson's numbers
        _, g = hand_backprop(X, y, ref)
        ref = {k: ref[k] - 0.1 * g[k] for k in PARAMS}
    params = json.loads(r.stdout)["params"]
    for k in PARAMS:
        assert _rel(float(np.ravel(params[k])[0]), ref[k]) < 1e-9, k

"""tutor train --optimizer: every optimiser's trajectory against the textbook formula written
here in plain Python (lists of floats, math.sqrt), on linear regression and on Rosenbrock; the
schedules against their formulas; the stability bounds against the spectral radius of the
iteration; one pass over the data per full-batch step; the header and JSON."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from tutor import cli
from tutor.training import model as models
from tutor.training.optimizers import OPTIMIZERS, schedule
from tutor.training.train import Settings, train

TOL = 1e-12


def run(args):
    return CliRunner().invoke(cli.main, ["train", *args], catch_exceptions=False)


# -- the textbook updates, one number at a time -------------------------------------------------
def textbook(name, hp):
    """A function step(theta, g, state, lr, t) -> new theta for one coordinate, written from
    the formulas as PyTorch documents them (torch.optim's pseudo-code)."""
    mu = hp.get("momentum")
    wd = hp.get("weight_decay", 0.0)

    def step(theta, g, st, lr, t):
        if name == "adamw":
            theta = theta - lr * wd * theta
        elif wd:
            g = g + wd * theta
        if name == "sgd":
            return theta - lr * g
        if name in ("momentum", "nesterov"):
            st["b"] = g if t == 1 else mu * st["b"] + g
            return theta - lr * (st["b"] if name == "momentum" else g + mu * st["b"])
        if name == "adagrad":
            st["s"] = st.get("s", 0.0) + g * g
            return theta - lr * g / (math.sqrt(st["s"]) + hp["eps"])
        if name == "rmsprop":
            st["s"] = hp["alpha"] * st.get("s", 0.0) + (1 - hp["alpha"]) * g * g
            return theta - lr * g / (math.sqrt(st["s"]) + hp["eps"])
        b1, b2 = hp["beta1"], hp["beta2"]
        st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
        st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
        m_hat = st["m"] / (1 - b1 ** t)
        v_hat = st["v"] / (1 - b2 ** t)
        return theta - lr * m_hat / (math.sqrt(v_hat) + hp["eps"])

    return step


DEFAULTS = {"sgd": {}, "momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9},
            "adagrad": {"eps": 1e-10}, "rmsprop": {"alpha": 0.99, "eps": 1e-8},
            "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
            "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}}


def close(a, b):
    return abs(a - b) <= TOL * max(abs(a), abs(b), 1e-300)


DATA = ([[1.0, 2.0], [2.0, -1.0], [0.5, 0.5], [-1.0, 3.0], [1.5, 0.0]],
        [-1.0, 9.0, 4.0, -6.0, 2.5])


def regression_by_hand(name, hp, lr_of, epochs):
    """Full-batch descent on L = mean (w·x + b − y)²/2, one float at a time."""
    X, y = DATA
    theta = [0.0, 0.0, 0.0]  # w1, w2, b
    states = [{}, {}, {}]
    step = textbook(name, hp)
    path, losses = [], []

    def loss(th):
        return sum((th[0] * a + th[1] * c + th[2] - t) ** 2 / 2 for (a, c), t in zip(X, y)) / len(y)

    for epoch in range(1, epochs + 1):
        r = [theta[0] * a + theta[1] * c + theta[2] - t for (a, c), t in zip(X, y)]
        grads = [sum(ri * row[0] for ri, row in zip(r, X)) / len(y),
                 sum(ri * row[1] for ri, row in zip(r, X)) / len(y), sum(r) / len(y)]
        lr = lr_of(epoch)
        theta = [step(th, g, st, lr, epoch) for th, g, st in zip(theta, grads, states)]
        path.append(list(theta))
        losses.append(loss(theta))
    return path, losses


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("decay", [None, 0.05])
def test_each_optimizer_on_linear_regression_is_the_textbook_formula(name, decay):
    lr, epochs = 0.05, 25
    hyper = {} if decay is None else {"weight_decay": decay}
    hp = {**DEFAULTS[name], **hyper}
    m = models.load("linear_regression")
    X, y = DATA
    h = train(m.objective, {"x": np.array(X), "y": np.array(y)},
              Settings(lr=lr, epochs=epochs, optimizer=name, hyper=hyper))
    path, losses = regression_by_hand(name, hp, lambda epoch: lr, epochs)
    for epoch, expected in enumerate(path, start=1):
        got = list(h.path[epoch]["w"]) + [float(h.path[epoch]["b"])]
        assert all(close(a, b) for a, b in zip(got, expected)), (epoch, got, expected)
    assert all(close(a, b) for a, b in zip(h.losses, losses))
    assert not h.diverged


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("kind", ["step", "cosine"])
def test_schedules_are_their_formulas(name, kind):
    lr, epochs = 0.1, 12
    sched = schedule(kind, epochs=epochs, lr=lr, **({"step_size": 5, "gamma": 0.5} if kind == "step"
                                                    else {"lr_min": 0.01}))

    def lr_of(k):  # StepLR and CosineAnnealingLR (T_max = epochs) as PyTorch documents them
        if kind == "step":
            return lr * 0.5 ** ((k - 1) // 5)
        return 0.01 + (lr - 0.01) * (1 + math.cos(math.pi * (k - 1) / epochs)) / 2

    assert [lr_of(k) for k in (1, 5, 7, 11)] == pytest.approx(
        [0.1, 0.1, 0.05, 0.025] if kind == "step"
        else [0.1, 0.01 + 0.09 * (1 + math.cos(math.pi / 3)) / 2, 0.055, lr_of(11)])
    m = models.load("linear_regression")
    X, y = DATA
    h = train(m.objective, {"x": np.array(X), "y": np.array(y)},
              Settings(lr=lr, epochs=epochs, optimizer=name, schedule=sched))
    path, _ = regression_by_hand(name, DEFAULTS[name], lr_of, epochs)
    got = list(h.params["w"]) + [float(h.params["b"])]
    assert all(close(a, b) for a, b in zip(got, path[-1]))


ROSENBROCK_LR = {"sgd": 0.001, "momentum": 0.0005, "nesterov": 0.0005, "adagrad": 0.3,
                 "rmsprop": 0.003, "adam": 0.05, "adamw": 0.05}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_on_rosenbrock_is_the_textbook_formula(name):
    lr, steps = ROSENBROCK_LR[name], 200
    m = models.from_expression("(1 - x)^2 + 100*(y - x^2)^2", ["x", "y"])
    h = train(m.objective, {}, Settings(lr=lr, epochs=steps, optimizer=name),
              init={"x": -1.5, "y": 2.0})
    step = textbook(name, DEFAULTS[name])
    x, y, sx, sy = -1.5, 2.0, {}, {}
    for t in range(1, steps + 1):
        gx = -2 * (1 - x) - 400 * x * (y - x * x)
        gy = 200 * (y - x * x)
        x, y = step(x, gx, sx, lr, t), step(y, gy, sy, lr, t)
        assert close(float(h.path[t]["x"]), x) and close(float(h.path[t]["y"]), y), (t, name)
    # and every one of them went downhill from f(−1.5, 2) = 12.5
    assert h.final_loss < 12.5


def test_per_sample_momentum_follows_the_textbook_order():
    # per-sample SGD with momentum on (w·x − y)², x = 1, 2, 3, y = 2x, w from 1: by hand
    m = models.from_expression("(w*x - y)**2", ["w"])
    h = train(m.objective, m.gather({"x": np.array([1.0, 2, 3]), "y": np.array([2.0, 4, 6])}),
              Settings(lr=0.01, epochs=4, batch_size=1, shuffle=False, optimizer="momentum",
                       hyper={"momentum": 0.5}), init={"w": 1})
    w, v, t = 1.0, 0.0, 0
    for _ in range(4):
        for x, y in ((1, 2), (2, 4), (3, 6)):
            t += 1
            g = 2 * (w * x - y) * x
            v = g if t == 1 else 0.5 * v + g
            w -= 0.01 * v
    assert close(float(h.params["w"]), w)


# -- the bounds ---------------------------------------------------------------------------------
def spectral_radius(name, a, mu):
    """Of one step on f = λθ²/2 with ηλ = a, as a linear map of (θ, η·v)."""
    if name == "momentum":   # θ' = θ − aθ − μ·ηv,  ηv' = μ·ηv + aθ
        M = [[1 - a, -mu], [a, mu]]
    else:                    # θ' = θ − aθ − μ(μ·ηv + aθ)
        M = [[1 - a - mu * a, -mu * mu], [a, mu]]
    return max(abs(np.linalg.eigvals(np.array(M))))


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
@pytest.mark.parametrize("mu", [0.3, 0.9])
def test_momentum_bounds_are_where_the_iteration_stops_contracting(name, mu):
    # f = (w − 3)² has λ = 2; the bound printed is factor·2/λ
    r = run(["--expr", "(w - 3)^2", "--params", "w", "--optimizer", name, "--momentum", str(mu),
             "--format", "json", "--epochs", "1"])
    lr_max = json.loads(r.stdout)["largest_stable_lr"]
    a_max = lr_max * 2
    assert spectral_radius(name, a_max * 0.999, mu) < 1 < spectral_radius(name, a_max * 1.001, mu)


def test_adaptive_optimizers_have_no_lambda_bound_and_say_so():
    r = run(["linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b", "4.2",
             "--optimizer", "adam", "--epochs", "3", "--lang", "en"])
    text = " ".join(r.output.split())
    assert "no bound from λ_max" in text
    d = json.loads(run(["linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b",
                        "4.2", "--optimizer", "rmsprop", "--format", "json"]).stdout)
    assert d["largest_stable_lr"] is None


# -- one pass per step ------------------------------------------------------------------------
class Counting:
    """The linear-regression objective, counting the passes over the data it makes."""

    def __init__(self, objective):
        self.inner, self.passes = objective, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def loss(self, params, batch, reduce="mean"):
        self.passes += 1
        return self.inner.loss(params, batch, reduce)

    def gradient(self, params, batch, reduce="mean"):
        self.passes += 1
        return self.inner.gradient(params, batch, reduce)

    def value_and_gradient(self, params, batch, reduce="mean"):
        self.passes += 1
        return self.inner.value_and_gradient(params, batch, reduce)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_full_batch_passes_over_the_data_once_per_step_and_once_more_at_the_end(name):
    m = models.load("linear_regression")
    X, y = DATA
    obj = Counting(m.objective)
    h = train(obj, {"x": np.array(X), "y": np.array(y)}, Settings(lr=0.05, epochs=7,
                                                                   optimizer=name))
    assert obj.passes == 7 + 1
    # the losses recorded are the loss at the parameters after each epoch, by hand
    _, losses = regression_by_hand(name, DEFAULTS[name], lambda k: 0.05, 7)
    assert all(close(a, b) for a, b in zip(h.losses, losses))
    assert close(h.initial_loss, sum(t * t / 2 for t in y) / len(y))
    # mini-batches: a gradient per batch, and the whole data's loss after each epoch
    obj.passes = 0
    train(obj, {"x": np.array(X), "y": np.array(y)}, Settings(lr=0.05, epochs=3, batch_size=2,
                                                               optimizer=name))
    assert obj.passes == 1 + 3 * (3 + 1)


@pytest.mark.parametrize("expr,params", [("(w*x + b - y)^2", "w,b"),
                                         ("log(1 + exp(-y*(w*x + b)))", "w,b"),
                                         ("(w*x - y)^2 + w^4", "w")])
def test_value_and_gradient_together_equal_each_alone(expr, params):
    m = models.from_expression(expr, params.split(","))
    data = m.gather({"x": np.array([1.0, -2.0, 0.5]), "y": np.array([1.0, -1.0, 1.0])})
    prep = m.objective.prepare(data)
    p = m.objective.init_params(prep, {n: 0.3 for n in params.split(",")})
    for reduce in ("mean", "sum"):
        value, grads = m.objective.value_and_gradient(p, prep, reduce)
        assert value == pytest.approx(m.objective.loss(p, prep, reduce), rel=1e-14)
        for k, g in m.objective.gradient(p, prep, reduce).items():
            assert np.allclose(grads[k], g, rtol=1e-14, atol=0)


# -- what the learner reads -----------------------------------------------------------------
def test_the_header_writes_the_rule_with_the_gradient_and_names_the_state():
    r = run(["linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b", "4.2",
             "--optimizer", "adam", "--epochs", "2", "--lang", "en"])
    assert r.exit_code == 0, r.output
    text = r.output
    for line in ("∂L/∂w = Xᵀδ / n", "m ← β₁·m + (1 − β₁)·g", "θ ← θ − η·m̂/(√v̂ + ε)",
                 "v̂ = v/(1 − β₂ᵗ)"):
        assert line in text, line
    flat = " ".join(text.split())
    assert "β₁ = 0.9, β₂ = 0.999, ε = 1e−08" in flat and "torch.optim.Adam" in flat
    assert "bias correction" in flat and "running average" in flat
    mom = " ".join(run(["linear_regression", "--synthetic", "--true-w", "2", "--optimizer",
                        "momentum", "--epochs", "2", "--lang", "en"]).output.split())
    assert "v ← μ·v + g" in mom and "velocity" in mom and "Sutskever" in mom
    assert "2(1 + μ)/λ_max" in mom


def test_weight_decay_says_which_kind():
    base = ["linear_regression", "--synthetic", "--true-w", "2", "--epochs", "2", "--lang", "en"]
    l2 = " ".join(run(base + ["--optimizer", "adam", "--weight-decay", "0.1"]).output.split())
    assert "g = ∂L/∂θ + λ·θ" in l2 and "L2 weight decay λ = 0.1" in l2
    dec = " ".join(run(base + ["--optimizer", "adamw"]).output.split())
    assert "θ ← θ − η·λ·θ" in dec and "decoupled weight decay λ = 0.01" in dec
    d = json.loads(run(base + ["--optimizer", "adamw", "--format", "json"]).stdout)
    assert d["settings"]["optimizer"] == "adamw" and d["settings"]["weight_decay"] == "decoupled"
    assert d["settings"]["hyperparameters"] == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                                "weight_decay": 0.01}
    sched = json.loads(run(base + ["--schedule", "step", "--step-size", "1", "--gamma", "0.5",
                                   "--format", "json"]).stdout)["settings"]["schedule"]
    assert sched == {"kind": "step", "step_size": 1, "gamma": 0.5}


@pytest.mark.parametrize("args,words", [
    (["--optimizer", "momentum", "--beta1", "0.5"], "--beta1 does not go with the optimizer momentum"),
    (["--optimizer", "adam", "--beta2", "1"], "--beta2 must be in [0, 1)"),
    (["--optimizer", "nesterov", "--momentum", "0"], "--momentum must be above 0"),
    (["--eps", "0.1"], "--eps does not go with the optimizer sgd"),
    (["--weight-decay", "-1"], "--weight-decay must be in [0, ∞)"),
    (["--gamma", "0.5"], "--gamma goes with the step schedule"),
    (["--schedule", "cosine", "--lr-min", "1"], "--lr-min must be at least 0 and below"),
    (["--schedule", "step", "--step-size", "0"], "--step-size must be at least 1"),
    (["--optimizer", "adamax"], "--optimizer"),
])
def test_bad_hyper_parameters_are_one_line(args, words):
    r = CliRunner().invoke(cli.main, ["train", "linear_regression", "--synthetic", "--true-w",
                                      "2", "--lang", "en", *args])
    assert r.exit_code == 2 and words in r.output and r.output.count("\n") == 1, r.output

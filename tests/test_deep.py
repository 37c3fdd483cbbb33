"""`tutor backprop deep`: vanishing and exploding gradients and initialisation.

The per-layer numbers are compared with a forward and backward pass written out here in plain
NumPy (the same random draws, in the documented order), the bound with the textbook argument
σ′ ≤ ¼, and He's promise with the Gaussian formula Var(ReLU(z)) = Var(z)·(½ − 1/(2π))."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from tutor.backpropagation.deep import run_deep
from tutor.cli import main


def by_hand(layers, width, activation, init, batch, seed, std=1.0):
    """The network written out: per layer Var(h), mean slope, ‖δ‖, ‖∂L/∂W‖, and ‖W‖₂."""
    rng = np.random.default_rng(seed)
    variance = {"normal": std ** 2, "xavier": 2 / (width + width), "he": 2 / width}[init]
    x = rng.standard_normal((batch, width))
    Ws = [rng.standard_normal((width, width)) * math.sqrt(variance) for _ in range(layers)]
    g = rng.standard_normal((batch, width))
    if activation == "sigmoid":
        f = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
        df = lambda z: f(z) * (1 - f(z))  # noqa: E731
    elif activation == "tanh":
        f, df = np.tanh, lambda z: 1 / np.cosh(z) ** 2
    else:
        f, df = (lambda z: np.maximum(z, 0)), (lambda z: (z > 0) * 1.0)
    hs, zs = [x], []
    for W in Ws:
        zs.append(hs[-1] @ W)
        hs.append(f(zs[-1]))
    # L = Σ g ⊙ h_L / B: ∂L/∂h_L = g/B
    upstream = g / batch
    deltas, grads = [None] * layers, [None] * layers
    for k in reversed(range(layers)):
        deltas[k] = upstream * df(zs[k])
        grads[k] = hs[k].T @ deltas[k]
        upstream = deltas[k] @ Ws[k].T
    return {
        "variance": [np.var(h) for h in hs[1:]],
        "slope": [np.mean(df(z)) for z in zs],
        "delta": [np.sqrt(np.sum(d ** 2)) for d in deltas],
        "grad": [np.sqrt(np.sum(G ** 2)) for G in grads],
        "spectral": [np.linalg.svd(W, compute_uv=False)[0] for W in Ws],
        "top": np.sqrt(np.sum(g ** 2)) / batch,
    }


@pytest.mark.parametrize("activation, init", [("sigmoid", "xavier"), ("tanh", "normal"),
                                              ("relu", "he"), ("relu", "normal")])
def test_each_layers_numbers_equal_a_forward_and_backward_pass_by_hand(activation, init):
    run = run_deep(6, 24, activation, init, batch=40, seed=3)
    hand = by_hand(6, 24, activation, init, 40, 3)
    np.testing.assert_allclose(run.variance, hand["variance"], rtol=1e-10)
    np.testing.assert_allclose(run.mean_slope, hand["slope"], rtol=1e-10)
    np.testing.assert_allclose(run.delta_norm, hand["delta"], rtol=1e-10)
    np.testing.assert_allclose(run.weight_grad_norm, hand["grad"], rtol=1e-10)
    np.testing.assert_allclose(run.spectral, hand["spectral"], rtol=1e-10)
    assert run.top_norm == pytest.approx(hand["top"], rel=1e-12)
    assert run.agreement < 1e-12


def test_a_sigmoid_stack_keeps_under_the_quarter_to_the_power_of_the_depth():
    L = 12
    run = run_deep(L, 32, "sigmoid", "xavier", batch=64, seed=1)
    hand = by_hand(L, 32, "sigmoid", "xavier", 64, 1)
    # σ′ = σ(1 − σ) ≤ ¼ at every unit, so its mean too
    assert all(s <= 0.25 for s in hand["slope"])
    assert np.all(run.mean_slope <= 0.25)
    # ‖δₗ‖ ≤ (¼)^(L−l+1) · ∏ₖ₌ₗ₊₁ᴸ ‖Wₖ‖₂ · ‖g‖/B, layer l counted from 1
    for l in range(1, L + 1):
        product = np.prod(hand["spectral"][l:])
        bound = 0.25 ** (L - l + 1) * product * hand["top"]
        assert hand["delta"][l - 1] <= bound
        assert run.bound[l - 1] == pytest.approx(bound, rel=1e-10)
    assert run.within_bound
    # the gradient shrinks at least as fast as (¼ · the largest stretch) per layer
    worst = 0.25 * max(hand["spectral"])
    assert hand["delta"][0] / hand["delta"][-1] <= worst ** (L - 1)
    assert run.ratio < 1e-5


def test_he_keeps_relu_activation_variance_constant_over_the_layers():
    # wide layers: the variance fluctuates by about √(2/width) per layer around the theory
    run = run_deep(10, 512, "relu", "he", batch=512, seed=0)
    # Var(z) = n · (2/n) · E[h²] = 2 E[h²]; E[h²] = Var(z)/2 for ReLU of a centred Gaussian,
    # so E[z²] stays 2 and Var(h) = 2 · (½ − 1/(2π)) at every layer
    expected = 2 * (0.5 - 1 / (2 * math.pi))
    # one draw of the weights moves each layer's factor by a few percent (a random walk in
    # the logarithm); the walk has no drift: about 1 per layer on average
    assert np.all(np.abs(run.variance / expected - 1) < 0.25), run.variance
    per_layer = (run.variance[-1] / run.variance[0]) ** (1 / 9)
    assert abs(per_layer - 1) < 0.03, per_layer
    # Xavier's variance 2/(n + n) = 1/n is half of He's: ReLU then halves the variance per layer
    xavier = run_deep(10, 512, "relu", "xavier", batch=512, seed=0)
    halving = xavier.variance[1:] / xavier.variance[:-1]
    assert np.all(np.abs(halving - 0.5) < 0.1), halving
    assert abs((xavier.variance[-1] / xavier.variance[0]) ** (1 / 9) - 0.5) < 0.03


def test_relu_with_unit_normal_weights_explodes_by_about_half_the_width_per_layer():
    run = run_deep(8, 256, "relu", "normal", batch=256, seed=2)
    growth = run.variance[1:] / run.variance[:-1]
    # E[z²] grows by n · 1 · ½ per layer: each layer within a third of it, on average closer
    assert np.all(np.abs(growth / 128 - 1) < 0.35), growth
    assert abs((run.variance[-1] / run.variance[0]) ** (1 / 7) / 128 - 1) < 0.15


def test_the_max_slopes_declared_are_the_functions_largest_slopes():
    from tutor.backpropagation.deep import ACTIVATIONS
    from tutor.calculus.table import FUNCTIONS

    z = np.linspace(-20, 20, 400001)
    for name, activation in ACTIVATIONS.items():
        f = next(f for f in FUNCTIONS if f.name == name)
        slopes = f.slope(z, f.numpy(z))
        assert np.max(slopes) == pytest.approx(activation.max_slope, abs=1e-9)


def test_the_command_shows_the_table_the_measured_ratio_and_why():
    result = CliRunner().invoke(main, ["backprop", "deep", "--layers", "5", "--width", "16",
                                       "--batch", "32", "--seed", "4"])
    assert result.exit_code == 0, result.output
    hand = by_hand(5, 16, "sigmoid", "xavier", 32, 4)
    ratio = hand["delta"][0] / hand["delta"][-1]
    assert ratio < 1e-2
    mantissa, exponent = f"{ratio:.1e}".split("e")
    assert f"‖δ₁‖ / ‖δ₅‖ = {mantissa}e−{-int(exponent)}: the gradient vanished" in result.output
    lines = [line.split() for line in result.output.splitlines()]
    rows = [row for row in lines if row and row[0] in {"1", "2", "3", "4", "5"} and len(row) == 6]
    assert len(rows) == 5
    for row, var in zip(rows, hand["variance"]):
        assert row[1] == f"{var:.4f}"
    assert "≤ ¼" in result.output and "2/(n_in + n_out)" in result.output


def test_several_initialisations_are_compared_and_json_carries_every_layer(tmp_path):
    out = tmp_path / "deep.png"
    result = CliRunner().invoke(main, ["backprop", "deep", "--activation", "relu", "--init",
                                       "normal,xavier,he", "--layers", "4", "--width", "32",
                                       "--format", "json", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["init"] for r in data["runs"]] == ["normal", "xavier", "he"]
    hand = by_hand(4, 32, "relu", "he", 256, 0)
    np.testing.assert_allclose(data["runs"][2]["delta_norm"], hand["delta"], rtol=1e-10)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, words", [
    (["--layers", "0"], "--layers 0"),
    (["--activation", "softmax"], "--activation softmax"),
    (["--init", "he,zeros"], "--init zeros"),
    (["--std", "2", "--init", "he"], "--std"),
    (["--width", "100000"], "--width 100000"),
    (["--seed", "-3"], "--seed -3"),
    (["--at", "x=1"], "--at"),
    (["--matrix"], "--matrix"),
])
def test_bad_options_are_refused_in_one_line(args, words):
    result = CliRunner().invoke(main, ["backprop", "deep", *args])
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_deep_options_belong_to_deep_only():
    result = CliRunner().invoke(main, ["backprop", "neuron", "--activation", "relu"])
    assert result.exit_code == 2 and "--activation" in result.output


def test_numbers_beyond_the_largest_float_are_said_not_shown_as_a_check(tmp_path):
    run = run_deep(100, 64, "relu", "normal", batch=64, seed=0, std=100.0)
    assert run.overflow > 1
    result = CliRunner().invoke(main, ["backprop", "deep", "--activation", "relu", "--init",
                                       "normal", "--std", "100", "--layers", "100",
                                       "--batch", "64", "--plot", str(tmp_path / "d.png")])
    assert result.exit_code == 0, result.output
    assert f"from layer {run.overflow} on" in result.output
    assert "≤ the bound" not in result.output


def test_with_normal_weights_z_has_about_n_times_the_mean_square_below():
    """The sentence for --init normal: Var(z) ≈ n · σ² · mean(h²) of the layer below."""
    n, B = 256, 256
    rng = np.random.default_rng(7)
    h = 1 / (1 + np.exp(-rng.standard_normal((B, n))))
    for _ in range(4):
        W = rng.standard_normal((n, n))  # σ² = 1
        z = h @ W
        assert np.var(z) / (n * np.mean(h ** 2)) == pytest.approx(1, abs=0.15)
        h = 1 / (1 + np.exp(-z))
    result = CliRunner().invoke(main, ["backprop", "deep", "--init", "normal", "--width", "256",
                                       "--layers", "3"])
    assert "256 × 1 × the mean square of the activations below" in result.output

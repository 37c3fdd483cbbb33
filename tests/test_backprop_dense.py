"""``tutor backprop dense``: Y = XW + b with any upstream gradient G.

Every number is compared with a computation written here: plain NumPy products, plain loops,
and central differences of L = sum(G ⊙ Y) written out entry by entry."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tutor import cli

X = [[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]]
W = [[2.0, 1.0], [-1.0, 0.0], [0.5, 4.0]]
B = [0.25, -1.0]
G = [[1.0, -1.0], [3.0, 0.5]]
AT = ["--at", "X=1,-2,0.5;0,3,1", "--at", "W=2,1;-1,0;0.5,4", "--at", "b=0.25,-1",
      "--at", "G=1,-1;3,0.5"]


def _run(*args, lang=None):
    extra = ["--lang", lang] if lang else []
    return CliRunner().invoke(cli.main, ["backprop", "dense", *args, *extra])


def _json(*args):
    r = _run(*args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _matrix(d, label):
    [m] = [b["values"] for b in d["blocks"] if b.get("matrix") == label]
    return np.array(m, dtype=float)


def test_given_matrices_every_gradient_equals_plain_numpy():
    d = _json(*AT)
    x, w, b, g = (np.array(a) for a in (X, W, B, G))
    assert np.allclose(_matrix(d, "Y = XW + b"), x @ w + b)
    assert np.allclose(_matrix(d, "W.grad (backward)"), x.T @ g)
    assert np.allclose(_matrix(d, "X.grad (backward)"), g @ w.T)
    assert np.allclose(_matrix(d, "b.grad (backward)"), g.sum(axis=0))
    assert np.allclose(d["gradients"]["W"]["values"], x.T @ g)
    assert np.allclose(d["gradients"]["X"]["values"], g @ w.T)
    assert np.allclose(d["gradients"]["b"]["values"], g.sum(axis=0))
    assert d["loss"]["value"] == pytest.approx(float(np.sum(g * (x @ w + b))))
    checks = [b for b in d["blocks"] if "check" in b]
    assert len(checks) == 5 and all(c["ok"] for c in checks)


def test_hand_worked_entries():
    d = _json(*AT)
    # W̄₁₁ = Σᵢ Xᵢ₁ Gᵢ₁ = 1·1 + 0·3 = 1;  W̄₂₂ = (−2)(−1) + 3·0.5 = 3.5
    gw = np.array(d["gradients"]["W"]["values"])
    assert gw[0, 0] == 1.0 and gw[1, 1] == 3.5
    # X̄₂₃ = Σⱼ G₂ⱼ W₃ⱼ = 3·0.5 + 0.5·4 = 3.5;  b̄ = column sums of G = (4, −0.5)
    assert np.array(d["gradients"]["X"]["values"])[1, 2] == 3.5
    assert d["gradients"]["b"]["values"] == [4.0, -0.5]


def test_gradients_agree_with_finite_differences_of_the_loss():
    d = _json(*AT)
    x, w, b, g = (np.array(a) for a in (X, W, B, G))

    def loss(x, w, b):
        total = 0.0
        for i in range(len(x)):
            for j in range(len(b)):
                total += g[i][j] * (sum(x[i][m] * w[m][j] for m in range(len(w))) + b[j])
        return total

    args = {"x": x, "w": w, "b": b}
    for name, key in (("x", "X"), ("w", "W"), ("b", "b")):
        a = args[name]
        numeric = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            up, down = a.copy(), a.copy()
            up[index] += 1e-5
            down[index] -= 1e-5
            numeric[index] = (loss(**{**args, name: up}) - loss(**{**args, name: down})) / 2e-5
        assert np.allclose(d["gradients"][key]["values"], numeric, atol=1e-8)


def test_shapes_and_formulas_in_the_notation_typed():
    d = _json(*AT)
    assert d["shapes"] == {"X": [2, 3], "W": [3, 2], "b": [2], "G": [2, 2]}
    assert {k: (v["formula"], v["shape"]) for k, v in d["gradients"].items()} == {
        "W": ("X.T @ G", [3, 2]), "X": ("G @ W.T", [2, 3]), "b": ("sum(G, 0)", [2])}
    # each gradient has the shape of its variable
    for name, v in d["gradients"].items():
        assert np.shape(v["values"]) == tuple(d["shapes"][name])


def test_text_shows_the_shape_of_each_product_and_the_dimension_argument():
    r = _run(*AT)
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert "W̄ = XᵀG: (3×2)·(2×2) → 3×2, the shape of W" in flat
    assert "X̄ = GWᵀ: (2×2)·(2×3) → 2×3, the shape of X" in flat
    assert "b̄ = 𝟏ᵀG, the column sums of G: (1×2)·(2×2) → 2, the shape of b" in flat
    assert "the only product of the two with that shape is Xᵀ·G" in flat
    assert "because b is broadcast to every row" in flat
    assert "✗" not in r.output
    assert 'tutor matrix explain dense_layer --at "X=1,-2,0.5;0,3,1" --at "G=1,-1;3,0.5"' in flat


def test_the_default_example_is_small_readable_and_not_all_ones():
    d = _json()
    g = np.array(d["values"]["G"])
    assert d["shapes"] == {"X": [4, 3], "W": [3, 2], "b": [2], "G": [4, 2]}
    assert not np.all(g == 1.0)
    x, w = np.array(d["values"]["X"]), np.array(d["values"]["W"])
    assert np.allclose(d["gradients"]["W"]["values"], x.T @ g)
    assert np.allclose(d["gradients"]["X"]["values"], g @ w.T)


def test_a_seed_draws_what_is_not_given_and_the_sizes_follow_the_given():
    d = _json("--seed", "5", "--at", "G=1,2,3;4,5,6")
    assert d["shapes"] == {"X": [2, 3], "W": [3, 3], "b": [3], "G": [2, 3]}
    again = _json("--seed", "5", "--at", "G=1,2,3;4,5,6")
    assert again["values"] == d["values"]
    other = _json("--seed", "6", "--at", "G=1,2,3;4,5,6")
    assert other["values"]["X"] != d["values"]["X"]
    x, w = (np.array(d["values"][k]) for k in ("X", "W"))
    g = np.array([[1.0, 2, 3], [4, 5, 6]])
    assert np.allclose(d["gradients"]["W"]["values"], x.T @ g)
    assert np.allclose(d["gradients"]["X"]["values"], g @ w.T)
    assert d["gradients"]["b"]["values"] == [5.0, 7.0, 9.0]
    # one decimal: readable
    assert np.allclose(x, np.round(x, 1))


@pytest.mark.parametrize("args, words", [
    (["--at", "X=1,2;3,4", "--at", "W=1,2;3,4;5,6"],
     "X is 2×2 and W is 3×2; XW needs as many columns in X as rows in W"),
    (["--at", "G=1,2;3,4;5,6;7,8;9,10", "--at", "X=1,2,3;4,5,6"],
     "has the shape of Y = XW + b, 2×2, not 5×2"),
    (["--at", "W=1,2;3,4;5,6", "--at", "b=1,2,3"],
     "b is added to every row of XW, which is 4×2, so it needs 2 entries, not 3"),
    (["--at", "b=1,2;3,4"], "the bias is one row of numbers, not a 2×2 matrix"),
    (["--at", "Z=1"], "'dense' takes G, W, X, b"),
    (["--at", "X=" + ",".join(["1"] * 13)], "at most 12 rows and columns"),
    (["--layers", "3"], "--layers goes with 'backprop deep'"),
    (["--plot", "a.png"], "--plot goes with a lesson"),
])
def test_bad_input_is_one_line_exit_2(args, words):
    r = _run(*args)
    assert r.exit_code == 2, r.output
    assert words in " ".join(r.output.split()) and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_seed_with_another_topic_is_refused():
    r = CliRunner().invoke(cli.main, ["backprop", "matmul", "--seed", "3"])
    assert r.exit_code == 2 and "--seed goes with 'backprop deep'" in r.output


def test_chinese():
    r = _run(*AT, lang="zh")
    assert r.exit_code == 0, r.output
    flat = "".join(r.output.split())
    assert "全连接层的反向传播" in flat
    assert "W̄=XᵀG：(3×2)·(2×2)→3×2，即W的形状" in flat
    assert "两者之积中只有Xᵀ·G是这个形状" in flat
    assert "偏置的梯度要对整批求和，因为b被广播到每一行" in flat
    r = _run("--at", "X=1,2,3", "--at", "G=1,2;3,4", lang="zh")
    assert r.exit_code == 2 and "上游梯度" in r.output and "1×2" in r.output and "2×2" in r.output


def test_the_closing_command_runs_on_the_same_matrices():
    r = _run(*AT)
    closing = " ".join(r.output.split()).split("derived rule by rule: tutor ")[1]
    assert closing == 'matrix explain dense_layer --at "X=1,-2,0.5;0,3,1" --at "G=1,-1;3,0.5"'
    import shlex

    explained = CliRunner().invoke(cli.main, [*shlex.split(closing), "--format", "json"])
    assert explained.exit_code == 0, explained.output
    d = json.loads(explained.output)
    x, g = np.array(X), np.array(G)
    [w] = [e for e in d["derivatives"] if e["wrt"] == "W"]
    assert np.allclose(w["numeric"]["gradient"], x.T @ g)
    # one row is not a matrix for the lesson: it is left out rather than refused there
    r = _run("--at", "X=1,2", "--at", "G=1,0")
    assert r.output.rstrip().endswith("rule by rule: tutor matrix explain dense_layer")


def test_a_column_of_g_that_cancels_is_still_checked_on_the_scale_of_its_terms():
    # 0.1 + 0.2 − 0.3 is rounding noise, not 0, and may differ with the order of the sum
    d = _json("--at", "X=1,0.7;1,-0.1;1,0.3", "--at", "W=1;2", "--at", "b=0",
              "--at", "G=0.1;0.2;-0.3")
    assert abs(d["gradients"]["b"]["values"][0]) < 1e-15
    assert all(b["ok"] for b in d["blocks"] if "check" in b)

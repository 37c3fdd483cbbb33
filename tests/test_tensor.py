"""The tensor engine: classic worked numbers, every operation against finite differences,
Jacobians against their textbook formulas written out with plain loops."""

import math

import numpy as np
import pytest

from tutor.errors import TutorError
from tutor.backpropagation.tensor import ShapeError, jacobian, tensor


def test_classic_accumulation_example():
    # inp = I(4×5); out = ((inp + 1)²)ᵀ; backward with ones: d/dinp = 2(inp + 1)
    inp = tensor(np.eye(4, 5))
    out = ((inp + 1) ** 2).T
    ones = np.ones(out.shape)
    out.backward(ones)
    expected = np.full((4, 5), 2.0)
    for i in range(4):
        expected[i, i] = 4.0
    assert np.array_equal(inp.grad, expected)
    out.backward(ones)  # no reset: the second pass adds to the first
    assert np.array_equal(inp.grad, 2 * expected)
    assert inp.grad[0, 0] == 8.0 and inp.grad[0, 1] == 4.0
    inp.zero_grad()
    out.backward(ones)
    assert np.array_equal(inp.grad, expected)


def _numeric_grad(f, x, v, h=1e-6):
    """vᵀJ by central differences, one input entry at a time."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        g[idx] = np.sum(v * (f(up) - f(down))) / (2 * h)
    return g


OPS = {
    "add broadcast": (lambda a, b: a + b, (3, 4), (4,)),
    "sub broadcast": (lambda a, b: a - b, (3, 1), (1, 4)),
    "mul broadcast": (lambda a, b: a * b, (3, 4), (3, 1)),
    "div": (lambda a, b: a / (b * b + 1.0), (3, 4), (3, 4)),
    "matmul": (lambda a, b: a @ b, (3, 4), (4, 2)),
    "transpose": (lambda a, b: a.T @ b, (4, 3), (4, 2)),
    "pow": (lambda a, b: (a * a + 1.0) ** 1.5 + b ** 3, (2, 3), (2, 3)),
    "sum axis": (lambda a, b: a.sum(axis=0) * b.sum(axis=1, keepdims=True), (3, 4), (2, 5)),
    "mean": (lambda a, b: a.mean(axis=1) + b.mean(), (3, 4), (2,)),
    "exp log": (lambda a, b: (a.exp() + b * b + 1.0).log(), (3, 4), (3, 4)),
    "tanh sigmoid": (lambda a, b: a.tanh() * b.sigmoid(), (3, 4), (3, 4)),
    "softplus relu": (lambda a, b: a.softplus() + (b + 0.05).relu(), (3, 4), (3, 4)),
    "softmax": (lambda a, b: a.softmax(axis=1) * b, (3, 4), (3, 4)),
    "softmax axis 0": (lambda a, b: a.softmax(axis=0) + b, (3, 4), (1, 4)),
    "reshape": (lambda a, b: a.reshape(2, 6) @ b, (3, 4), (6, 2)),
    "negate, reuse": (lambda a, b: -a * a + a * b, (3, 4), (3, 4)),
}


@pytest.mark.parametrize("name", OPS)
def test_every_operation_against_finite_differences(name):
    fn, sa, sb = OPS[name]
    rng = np.random.default_rng(len(name))
    a0, b0 = rng.uniform(-1.5, 1.5, sa), rng.uniform(-1.5, 1.5, sb)
    a, b = tensor(a0), tensor(b0)
    y = fn(a, b)
    v = rng.standard_normal(y.shape)
    y.backward(v)
    ga = _numeric_grad(lambda x: fn(tensor(x), tensor(b0)).data, a0, v)
    gb = _numeric_grad(lambda x: fn(tensor(a0), tensor(x)).data, b0, v)
    assert a.grad.shape == a0.shape and b.grad.shape == b0.shape
    assert np.allclose(a.grad, ga, rtol=1e-7, atol=1e-8)
    assert np.allclose(b.grad, gb, rtol=1e-7, atol=1e-8)


def test_softmax_jacobian_is_diag_s_minus_s_s_transposed():
    z = [1.0, 2.0, 0.5]
    total = sum(math.exp(v) for v in z)
    s = [math.exp(v) / total for v in z]
    _, J = jacobian(lambda t: t.softmax(), np.array(z))
    for i in range(3):
        for j in range(3):
            expected = s[i] * ((1.0 if i == j else 0.0) - s[j])
            assert J[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # a huge score does not overflow: the engine shifts by the max
    big, _ = jacobian(lambda t: t.softmax(), np.array([1000.0, 0.0]))
    assert np.allclose(big, [1.0, 0.0])


def test_row_sums_of_exp_have_a_jacobian_with_zero_blocks():
    x = np.array([[0.1, -0.4, 0.7], [1.2, 0.0, -2.0]])
    y, J = jacobian(lambda t: t.exp().sum(axis=1), x)
    assert J.shape == (2, 6)
    for i in range(2):
        for k in range(2):
            for j in range(3):
                expected = math.exp(x[k, j]) if i == k else 0.0
                assert J[i, 3 * k + j] == pytest.approx(expected, rel=1e-15)
    # vᵀJ with v = ones is the gradient of the sum of the outputs (summing first)
    t = tensor(x)
    out = t.exp().sum(axis=1)
    out.backward(np.ones(2))
    s = tensor(x)
    s.exp().sum(axis=1).sum().backward()
    assert np.array_equal(t.grad, s.grad)
    assert np.allclose(t.grad.ravel(), np.ones(2) @ J)


def test_matrix_product_gradients_under_sum():
    A0 = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    B0 = np.array([[2.0, -1.0], [1.0, 1.0], [0.0, 4.0]])
    A, B = tensor(A0), tensor(B0)
    (A @ B).sum().backward()
    # ∂L/∂A[i,k] = Σ_j B[k,j] (a row sum of B), ∂L/∂B[k,j] = Σ_i A[i,k] (a column sum of A)
    for i in range(2):
        for k in range(3):
            assert A.grad[i, k] == sum(B0[k, j] for j in range(2))
    for k in range(3):
        for j in range(2):
            assert B.grad[k, j] == sum(A0[i, k] for i in range(2))


def test_gradients_reach_only_what_needs_them():
    x = tensor(np.ones((2, 2)), requires_grad=False)
    w = tensor(np.ones((2, 1)))
    (x @ w).sum().backward()
    assert x.grad is None and np.array_equal(w.grad, [[2.0], [2.0]])


@pytest.mark.parametrize("make, words", [
    (lambda: tensor(np.ones((2, 3))) @ tensor(np.ones((4, 5))), ["2×3", "4×5", "3 and 4"]),
    (lambda: tensor(np.ones((2, 3))) + tensor(np.ones(4)), ["2×3", " 4", "broadcast"]),
    (lambda: tensor(np.ones(3)) @ tensor(np.ones(3)), ["two matrices"]),
    (lambda: tensor(np.ones((2, 3))).exp().backward(), ["needs v of shape 2×3"]),
    (lambda: tensor(np.ones((2, 3))).exp().backward(np.ones(3)), ["v has shape 3", "2×3"]),
    (lambda: tensor(np.ones((2, 3))).reshape(4, 2), ["cannot reshape 2×3 to 4×2"]),
    (lambda: tensor(np.ones((2, 3))).sum(axis=2), ["axis 2", "2×3"]),
])
def test_shape_mismatches_name_both_shapes(make, words):
    with pytest.raises(TutorError) as info:
        make()
    assert isinstance(info.value, (ShapeError, TutorError))
    for w in words:
        assert w in str(info.value)


# -- the topics of `tutor backprop`, through the command line ----------------------------------
import json  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from tutor import cli  # noqa: E402


def _topic(*args):
    r = CliRunner().invoke(cli.main, ["backprop", *args, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _matrix(d, label):
    return np.array([b["values"] for b in d["blocks"] if b.get("matrix") == label][0], dtype=float)


def test_cli_accumulate_shows_4_2_then_8_4():
    d = _topic("accumulate")
    first, second = _matrix(d, "after the first backward"), _matrix(d, "after a second backward, no reset")
    assert first[0, 0] == 4 and first[0, 1] == 2 and first[3, 3] == 4 and first[3, 4] == 2
    assert second[0, 0] == 8 and second[0, 1] == 4
    assert all(b["ok"] for b in d["blocks"] if "check" in b)


def test_cli_softmax_jacobian_at_given_scores():
    d = _topic("jacobian", "softmax", "--at", "z=0,0")
    J = _matrix(d, "J (backward, one row per pass)")
    # two equal scores: s = (½, ½), J = [[¼, −¼], [−¼, ¼]]
    assert np.allclose(J, [[0.25, -0.25], [-0.25, 0.25]], rtol=1e-15)
    assert all(b["ok"] for b in d["blocks"] if "check" in b)


def test_cli_rowsum_and_matmul_checks_pass():
    d = _topic("jacobian", "rowsum")
    J = _matrix(d, "J (backward)")
    assert J.shape == (2, 6) and np.all(J[0, 3:] == 0) and np.all(J[1, :3] == 0)
    assert all(b["ok"] for b in d["blocks"] if "check" in b)
    d = _topic("matmul", "--at", "A=1,0,0,0,1,0", "--at", "B=1,2,3,4,5,6")
    assert np.array_equal(_matrix(d, "A.grad (backward)"), [[3, 7, 11], [3, 7, 11]])
    assert np.array_equal(_matrix(d, "B.grad (backward)"), [[1, 1], [1, 1], [0, 0]])


@pytest.mark.parametrize("args, words", [
    (["jacobian", "nosuch"], "there are: softmax, rowsum"),
    (["matmul", "--at", "A=1,2"], "A is 1×2 and B is 3×2"),
    (["matmul", "--at", "G=1,2"], "has the shape of Y = A·B, 2×2, not 1×2"),
    (["accumulate", "--at", "v=1,2"], "so v must be 5×4 too, not 1×2"),
    (["jacobian", "softmax", "--at", "x=1,2"], "takes z"),
    (["accumulate", "--plot", "a.png"], "--plot goes with a lesson"),
    (["matmul", "extra"], "unexpected 'extra'"),
])
def test_cli_topic_bad_input(args, words):
    r = CliRunner().invoke(cli.main, ["backprop", *args])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output


# -- a tensor behaves like the arrays it wraps (numbers and arrays on either side) -----------
def test_numbers_and_arrays_on_the_left():
    from tutor.backpropagation.tensor import Tensor, tensor

    x = np.array([1.0, 2.0, 0.5])
    t = tensor(x)
    y = 2.0 / t + 3.0 ** t + np.array([1.0, -1.0, 2.0]) * t
    assert isinstance(y, Tensor)
    # by hand: 2/x + 3^x + c·x
    c = np.array([1.0, -1.0, 2.0])
    assert np.allclose(y.data, 2 / x + 3 ** x + c * x)
    y.sum().backward()
    assert np.allclose(t.grad, -2 / x ** 2 + np.log(3) * 3 ** x + c)
    assert isinstance(np.array([1.0, 2.0, 3.0]) + t, Tensor)
    assert isinstance(np.array([1.0, 2.0, 3.0]) - t, Tensor)


def test_the_power_zero_has_slope_zero_even_at_zero():
    from tutor.backpropagation.tensor import tensor

    t = tensor(np.array([0.0, -1.5, 3.0]))
    y = t ** 0
    y.sum().backward()
    assert np.array_equal(y.data, [1.0, 1.0, 1.0]) and np.array_equal(t.grad, [0.0, 0.0, 0.0])


def test_a_non_positive_base_is_refused_in_one_line():
    from tutor.backpropagation.tensor import tensor
    from tutor.errors import TutorError

    with pytest.raises(TutorError, match="positive base"):
        (-2.0) ** tensor([1.0])


def test_matmul_takes_the_learners_matrices_and_upstream_gradient():
    # Y = A·B with A 2×2, B 2×3 and an upstream G: Ā = G·Bᵀ and B̄ = Aᵀ·G, by plain loops
    A = [[1.0, 2.0], [3.0, 4.0]]
    B = [[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]
    G = [[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]]
    d = _topic("matmul", "--at", "A=1,2;3,4", "--at", "B=1,0,2;0,1,1", "--at", "G=1,0,0;0,2,1")
    grad_a = [[sum(G[i][j] * B[k][j] for j in range(3)) for k in range(2)] for i in range(2)]
    grad_b = [[sum(A[i][k] * G[i][j] for i in range(2)) for j in range(3)] for k in range(2)]
    assert np.array_equal(_matrix(d, "A.grad (backward)"), grad_a)
    assert np.array_equal(_matrix(d, "B.grad (backward)"), grad_b)
    assert all(b["ok"] for b in d["blocks"] if "check" in b)
    # rows of Ā differ here, so the "every row is the same" sentence is not said
    insight = " ".join(b.get("text", "") for b in d["blocks"])
    assert "is the same" not in insight and "row i of the upstream gradient" in insight


def test_accumulate_takes_the_learners_matrix_and_v():
    inp = [[1.0, -1.0], [0.5, 2.0]]
    v = [[1.0, 2.0], [0.0, 3.0]]  # the shape of out = ((inp + 1)²)ᵀ, 2×2
    d = _topic("accumulate", "--at", "inp=1,-1;0.5,2", "--at", "v=1,2;0,3")
    first = [[2 * (inp[i][j] + 1) * v[j][i] for j in range(2)] for i in range(2)]
    assert np.allclose(_matrix(d, "after the first backward"), first)
    assert np.allclose(_matrix(d, "after a second backward, no reset"), 2 * np.array(first))


def test_forward_mode_gives_columns_and_reverse_mode_rows_of_the_same_jacobian():
    import math

    # y = (x₁x₂, sin x₁ + x₂, x₁²x₂) at (2, −0.5), differentiated by hand
    x1, x2 = 2.0, -0.5
    J = [[x2, x1], [math.cos(x1), 1.0], [2 * x1 * x2, x1 * x1]]
    d = _topic("modes", "--at", "x1=2", "--at", "x2=-0.5")
    assert np.allclose(_matrix(d, "J by forward mode"), J, rtol=1e-12)
    assert np.allclose(_matrix(d, "J by reverse mode"), J, rtol=1e-12)
    assert all(b["ok"] for b in d["blocks"] if "check" in b)
    text = " ".join(b.get("text", "") for b in d["blocks"])
    assert "2 inputs, 2 passes" in text and "3 outputs, 3 passes" in text

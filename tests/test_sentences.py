"""Every quantitative sentence a learner reads in a lesson or a topic, computed.

Each test takes a claim from the text (in English and in Chinese) and checks it against a
computation made here, independently of the code that prints it: if the mathematics and the
sentence disagree, one of them is wrong."""

import numpy as np
import sympy

from tutor import load_lesson
from tutor.backpropagation.graph import lesson_graph
from tutor.backpropagation.jacobian import Matrix, Line, matmul_topic, softmax_jacobian
from tutor.i18n import shown, speaking


def _texts(name: str) -> dict[str, str]:
    lesson = load_lesson(name)
    return {lang: " ".join(" ".join(str(v) for v in lesson.narrative[lang].values()).split())
            for lang in ("en", "zh")}


def _expanded(lesson):
    expr = lesson.outputs[0]
    for named in reversed(lesson.named):
        expr = expr.subs(named.symbol, named.definition)
    return expr


def test_mlp_loss_is_half_the_squared_error_as_its_text_says():
    lesson = load_lesson("mlp")
    s = lesson.symbols
    z = [s[f"b{j}"] + s[f"w{j}1"] * s["x1"] + s[f"w{j}2"] * s["x2"] for j in (1, 2)]
    yhat = s["v1"] * sympy.tanh(z[0]) + s["v2"] * sympy.tanh(z[1]) + s["c"]
    assert sympy.simplify(_expanded(lesson) - (yhat - s["y"]) ** 2 / 2) == 0
    for text in _texts("mlp").values():
        assert "½(ŷ − y)²" in text and "½(ŷ − y)." not in text


def test_mlp_backward_costs_a_small_constant_factor_of_forward():
    # backward does, per edge of the graph, one local derivative and one multiply-add; the
    # forward pass one operation per node.  The text says "about two to three times".
    graph = lesson_graph(load_lesson("mlp"))
    operations = [n for n in graph.nodes if n.inputs]
    edges = sum(len(n.inputs) for n in operations)
    ratio = 2 * edges / len(operations)
    assert 2 <= ratio <= 4, ratio
    en, zh = _texts("mlp").values()
    assert "about two to three times" in en and "about as much as" not in en
    assert "约 2～3 倍" in zh and "相当" not in zh


def test_neuron_reads_left_to_right_as_backpropagation():
    # the factors of ∂L/∂w in the order the text writes them: (a − t)·a(1 − a)·x
    w, x, b, t = sympy.symbols("w x b t", real=True)
    z = w * x + b
    a = 1 / (1 + sympy.exp(-z))
    A, Z = sympy.symbols("A Z")
    loss = (A - t) ** 2 / 2
    # the backward pass meets the local derivatives from the loss inwards: ∂L/∂a, ∂a/∂z, ∂z/∂w
    backward_order = [sympy.diff(loss, A).subs(A, a),
                      sympy.diff(1 / (1 + sympy.exp(-Z)), Z).subs(Z, z),
                      sympy.diff(z, w)]
    written = [a - t, a * (1 - a), x]
    for met, factor in zip(backward_order, written):
        assert sympy.simplify(met - factor) == 0
    en, zh = _texts("neuron").values()
    assert "∂L/∂w = (a − t)·a(1 − a)·x" in en and "Read left to right" in en
    assert "从左往右读" in zh and "从右往左" not in zh


def _matrices(topic) -> dict[str, np.ndarray]:
    return {b.label: np.asarray(b.values, dtype=float) for b in topic.blocks if isinstance(b, Matrix)}


def test_softmax_jacobian_rows_and_columns_sum_to_zero_for_the_reasons_given():
    rng = np.random.default_rng(7)
    for _ in range(20):
        z = rng.normal(scale=3, size=5)
        s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        J = np.diag(s) - np.outer(s, s)
        assert np.allclose(J.sum(axis=0), 0, atol=1e-15)  # Σᵢ ∂sᵢ/∂zⱼ = ∂(Σ sᵢ)/∂zⱼ = 0
        assert np.allclose(J.sum(axis=1), 0, atol=1e-15)  # shifting every z leaves s alone
        c = rng.normal()
        shifted = np.exp(z + c - (z + c).max()) / np.exp(z + c - (z + c).max()).sum()
        assert np.allclose(shifted, s, rtol=1e-14)
    en, zh = _texts("softmax").values()
    assert "every column sums to 0" in en and "every row sums to 0 too" in en
    assert "softmax(z + c) = softmax(z)" in en and "softmax(z + c) = softmax(z)" in zh
    assert "每一列的和都是 0" in zh and "每一行的和" in zh
    for lang in ("en", "zh"):
        with speaking(lang):
            topic = softmax_jacobian()
        J = [m for label, m in _matrices(topic).items() if "diag" in label][0]
        assert np.allclose(J.sum(axis=0), 0) and np.allclose(J.sum(axis=1), 0)
        closing = [b.text for b in topic.blocks if isinstance(b, Line) and b.style == "insight"][-1]
        assert "softmax(z + c) = softmax(z)" in closing and "Σ sᵢ = 1" in closing


def test_matmul_every_row_of_the_gradient_is_the_same_and_holds_row_sums_of_b():
    topic = matmul_topic()
    m = _matrices(topic)
    A, B = m["A"], m["B"]
    grad = [v for label, v in m.items() if label.startswith("A.grad")][0]
    # by hand: L = Σᵢⱼ Σₖ Aᵢₖ Bₖⱼ, so ∂L/∂Aᵢₖ = Σⱼ Bₖⱼ, the same for every i
    by_hand = np.array([[B[k].sum() for k in range(B.shape[0])] for _ in range(A.shape[0])])
    assert np.allclose(grad, by_hand)
    assert all(np.array_equal(grad[0], row) for row in grad)
    closing = [b.text for b in topic.blocks if isinstance(b, Line) and b.style == "insight"][-1]
    assert closing.startswith("every row of ∂L/∂A is the same")
    with speaking("zh"):
        zh = [shown(b.text) for b in matmul_topic().blocks if isinstance(b, Line) and b.style == "insight"][-1]
    assert "∂L/∂A 的每一行都相同" in zh

"""tutor backprop in Chinese: the tables, the vector/matrix topics, the matrix forms, the
notes, the errors and the graph plot speak Chinese with --lang zh (or a Chinese locale), with
the same mathematics and numbers; the English output does not change."""

import json
import math
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tutor.cli import main
from tutor.i18n import speaking

CJK = re.compile(r"[\u4e00-\u9fff]")
#: numbers as the tables print them (four decimals, or a relative error like 3.3e−10)
NUMBERS = re.compile(r"[−-]?\d+\.\d+(?:e[−-]\d+)?")


def run(*args, env=None):
    """``tutor backprop ARGS`` on a wide terminal (no sentence is wrapped)."""
    return CliRunner().invoke(main, ["backprop", *args], env={"COLUMNS": "200", **(env or {})})


def both(*args):
    en = run(*args, "--lang", "en")
    zh = run(*args, "--lang", "zh")
    assert en.exit_code == 0, en.output
    assert zh.exit_code == 0, zh.output
    return en.output, zh.output


def sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


# -- the forward and backward tables ---------------------------------------------------------
def test_neuron_tables_in_chinese_with_the_same_numbers():
    en, zh = both("neuron")
    for words in ("反向传播", "前向传播：从输入到输出", "伴随值（即 ∂L/∂节点，也叫上游梯度）= 上游伴随值 × 局部导数", "节点",
                  "局部导数", "伴随值", "梯度及其验证", "符号求导", "有限差分", "相对误差",
                  "✓ 反向传播与符号导数、有限差分的结果一致", "前向传播与反向传播对比",
                  "链式法则，每条边一个局部导数", "第 1 个样本（共 3 个）", "3 个样本的平均",
                  "画出计算图：tutor backprop neuron --plot graph.png", "参数", "目标值"):
        assert words in zh, words
    assert not CJK.search(en)
    assert NUMBERS.findall(en) == NUMBERS.findall(zh)
    # the first sample x = 0.5, b = −0.2, w = 0.8, t = 0, worked by hand:
    # L = (σ(wx + b) − t)²/2, ∂L/∂w = (a − t)·a(1 − a)·x, ∂L/∂b = (a − t)·a(1 − a)
    assert "x = 0.5, b = −0.2, w = 0.8, t = 0" in zh
    a = sigmoid(0.8 * 0.5 - 0.2)
    dw, db = (a - 0) * a * (1 - a) * 0.5, (a - 0) * a * (1 - a)
    row_w = next(line for line in zh.splitlines() if "∂L/∂w = w̄" in line)
    row_b = next(line for line in zh.splitlines() if "∂L/∂b = b̄" in line)
    assert row_w.split()[3:6] == [f"{dw:.4f}"] * 3
    assert row_b.split()[3:6] == [f"{db:.4f}"] * 3


def test_a_kink_note_and_defaulted_values_in_chinese():
    en, zh = both("--expr", "relu(x)*w", "--at", "x=0")
    assert "注意  u1 = ReLU(x) 恰好在 x = 0 处：这里不可导；取左导数 0（右导数是 1）" in zh
    assert "note  u1 = ReLU(x) at x = 0 exactly: no derivative there; used the left-hand value 0" in en
    assert "替你选的取值：w = 0.5" in zh
    en, zh = both("--expr", "max(x, y)", "--at", "x=1", "--at", "y=1")
    assert "f = max(x, y) 在 x = y 处不可导；两个输入各取 ½" in zh
    assert "每个点都落在折点上" in zh


def test_json_keeps_its_keys_and_numbers_and_translates_only_the_notes():
    en = json.loads(run("--expr", "abs(x)*w", "--at", "x=0,1", "--format", "json").output)
    zh = json.loads(run("--expr", "abs(x)*w", "--at", "x=0,1", "--format", "json",
                        "--lang", "zh").output)
    assert CJK.search(zh["notes"][0]["message"]) and not CJK.search(en["notes"][0]["message"])
    for d in (en, zh):
        d.pop("notes")
    assert en == zh  # the tables, formulas, values and checks are the same data


def test_the_other_outputs_of_a_vector_lesson_are_named_in_chinese():
    _, zh = both("softmax", "--output", "s2")
    assert "（用 --output NAME 选择）；所有输出一起看：tutor backprop jacobian softmax" in zh


# -- the vector and matrix topics --------------------------------------------------------------
@pytest.mark.parametrize("topic, words", [
    (["jacobian", "softmax"], ["softmax 的雅可比矩阵", "向量-雅可比积", "J = diag(s) − s sᵀ",
                               "每一列之和都是 0"]),
    (["jacobian", "rowsum"], ["带零块的雅可比矩阵", "第 2 行", "第 3 列", "这两块都是 0"]),
    (["matmul"], ["矩阵乘积的梯度", "全 1 矩阵", "A.grad（反向传播）", "Ā = Ȳ·Bᵀ"]),
    (["accumulate"], ["梯度会累加", "清零", "第二次反向传播之后（未清零）", "zero_grad()"]),
    (["mlp", "--matrix"], ["矩阵形式", "样本 1", "单元 2", "来自 x1", "逐层推出的公式"]),
    (["linear_regression", "--matrix"], ["一次就得到全部梯度", "矩阵公式", "各样本计算图的平均"]),
])
def test_topics_in_chinese_with_the_same_numbers_and_every_check_passing(topic, words):
    en, zh = both(*topic)
    for w in words:
        assert w in zh, w
    assert not CJK.search(en)
    assert NUMBERS.findall(en) == NUMBERS.findall(zh)
    # every check agrees, in both languages, and as many of them
    assert zh.count("✓") == en.count("✓") >= 2 and "✗" not in zh
    assert "（最大相对差" in zh


def test_accumulated_gradients_by_hand_in_chinese():
    # out = ((inp + 1)²)ᵀ with inp = I (4×5), v = ones: one pass gives 2(inp + 1), two give twice
    _, zh = both("accumulate")
    expected = 2 * (np.eye(4, 5) + 1)
    grids = [[int(c) for c in re.findall(r"│ (\d) ", line)] for line in zh.splitlines()
             if line.count("│") == 6]
    assert grids[0:4] == expected.astype(int).tolist()
    assert grids[4:8] == (2 * expected).astype(int).tolist()
    assert grids[8:12] == expected.astype(int).tolist()


def test_topic_json_keeps_english_labels_and_translates_the_sentences():
    for args in (["jacobian", "softmax"], ["matmul"], ["accumulate"], ["mlp", "--matrix"]):
        en = json.loads(run(*args, "--format", "json").output)
        zh = json.loads(run(*args, "--format", "json", "--lang", "zh").output)
        assert CJK.search(zh["title"]) and not CJK.search(json.dumps(en, ensure_ascii=False))
        assert len(en["blocks"]) == len(zh["blocks"])
        for e, z in zip(en["blocks"], zh["blocks"]):
            assert e.keys() == z.keys()
            for key in ("matrix", "rows", "columns", "values", "check", "first", "second",
                        "ok", "max_relative_difference", "kind"):
                assert e.get(key) == z.get(key), (args, key)


# -- English does not change; the locale decides without --lang -------------------------------
@pytest.mark.parametrize("args", [["neuron"], ["jacobian", "rowsum"], ["matmul"],
                                  ["logistic_regression", "--matrix"], ["jacobian", "nope"]])
def test_english_output_is_the_same_whatever_the_locale(args):
    plain = run(*args, env={"LANG": "C"})
    chosen = run(*args, "--lang", "en", env={"LANG": "zh_CN.UTF-8"})
    from_locale = run(*args, env={"LANG": "zh_CN.UTF-8"})
    assert plain.output == chosen.output and plain.exit_code == chosen.exit_code
    assert not CJK.search(plain.output) and CJK.search(from_locale.output)


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args, start", [
    (["jacobian", "nope"], "错误：没有名为 'nope' 的雅可比矩阵示例；现有的是：softmax, rowsum"),
    (["jacobian", "softmax", "extra"], "错误：'jacobian softmax' 后面多出了 'extra'"),
    (["jacobian", "rowsum", "--at", "x=1,2"], "错误：--at x：给了 2 个数，但 x 的形状是 2×3"),
    (["jacobian", "softmax", "--at", "z=1"], "错误：--at z：至少要给两个数"),
    (["matmul", "--at", "z=1"], "错误：--at z：'matmul' 只接受 A, B"),
    (["accumulate", "--at", "z=1"], "错误：--at z：'accumulate' 只接受 inp, v"),
    (["matmul", "--plot", "m.png"], "错误：--plot 只用于课程，不能用于 'backprop matmul'"),
    (["neuron", "mlp"], "错误：一次只能讲一个课程"),
    ([], "错误：请指定一个课程"),
    (["neuron", "--sample", "0"], "错误：--sample 0：样本从 1 开始编号"),
    (["neuron", "--sample", "99"], "错误：--sample 99：这批数据只有 3 个样本"),
    (["neuron", "--output", "q"], "错误：--output q：可选的输出是 L"),
    (["sigmoid", "--matrix"], "错误：课程 'sigmoid' 在这里没有矩阵形式"),
    (["mlp", "--matrix", "--wrt", "w11"], "错误：--wrt 不能与 --matrix 一起用"),
    (["--expr", "x"], "错误：f = x 里没有任何运算"),
    (["--expr", "x = x + 1"], "错误：'x' 既是结果，又是表达式里的变量"),
    (["--expr", "1/x", "--at", "x=0"], "错误：节点 f = 1/x：在 x = 0 处，值不是有限的数"),
    (["--expr", "max(a, b, c)"], "错误：max 有 3 项：请写成两两嵌套的形式"),
    (["neuron", "--plot", "g.png", "--dot", "g.png"], "错误：--dot g.png：文件名必须以"),
])
def test_errors_in_chinese_are_one_line_with_exit_code_2(args, start):
    result = run(*args, "--lang", "zh")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), lines
    assert "Traceback" not in result.output


def test_plot_and_dot_on_the_same_file_in_chinese(tmp_path):
    same = str(tmp_path / "g.dot")
    result = run("neuron", "--plot", same, "--dot", same, "--lang", "zh")
    # the suffix is checked first; a .dot plot is refused before the names are compared
    assert result.exit_code == 2 and result.output.startswith("错误：")
    assert not (tmp_path / "g.dot").exists()


def test_tensor_errors_in_chinese():
    from tutor.errors import TutorError
    from tutor.backpropagation.tensor import tensor

    with speaking("zh"):
        with pytest.raises(TutorError, match="不能乘以.*内侧维数 3 和 2 不相等"):
            tensor(np.ones((2, 3))) @ tensor(np.ones((2, 3)))
        with pytest.raises(TutorError, match="不能相加：无法广播"):
            tensor(np.ones(3)) + tensor(np.ones(2))
        with pytest.raises(TutorError, match="需要给出形状为 2×2 的 v"):
            (tensor(np.ones((2, 2))) * 2).backward()
    with pytest.raises(TutorError, match="cannot multiply 2×3 by 2×3: the inner sizes 3 and 2 differ"):
        tensor(np.ones((2, 3))) @ tensor(np.ones((2, 3)))


# -- the graph as a picture and as DOT ---------------------------------------------------------
def _svg_texts(path: Path) -> str:
    """The texts drawn in a matplotlib SVG (it writes each one as a comment beside its glyphs)."""
    return "\n".join(re.findall(r"<!-- (.*?) -->", path.read_text("utf-8")))


def test_chinese_graph_plot_has_every_glyph(tmp_path):
    from tutor.renderers.fonts import cjk_font

    if cjk_font() is None:
        pytest.skip("no CJK font installed (e.g. Debian's fonts-noto-cjk or fonts-wqy-zenhei)")
    from tutor.backpropagation.backprop import backprop
    from tutor.explaining.lesson import load_lesson
    from tutor.renderers.backpropagation.plot import plot_graph

    with speaking("zh"):
        bp = backprop(load_lesson("mlp"))
        png, svg = tmp_path / "mlp.png", tmp_path / "mlp.svg"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
            assert plot_graph(bp, str(png)) == ""
            assert plot_graph(bp, str(svg)) == ""
    assert png.stat().st_size > 10_000
    texts = _svg_texts(svg)
    for words in ("箭头：前向传播方向", "局部导数", "∂L/∂(节点)", "(参数)", "(输入)", "值 "):
        assert words in texts, words


def test_chinese_graph_plot_without_a_cjk_font_draws_english_and_says_so_once(tmp_path,
                                                                               monkeypatch):
    from tutor.renderers import fonts

    monkeypatch.setattr(fonts, "cjk_font", lambda sample=fonts.SAMPLE: None)
    svg = tmp_path / "g.svg"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no boxes: every label is drawn in English
        result = CliRunner().invoke(main, ["backprop", "neuron", "--plot", str(svg), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert result.output.count("fonts-noto-cjk") == 1
    texts = _svg_texts(svg)
    assert "arrows: forward pass" in texts and "value 0.5000" in texts
    assert not CJK.search(texts)
    # the terminal text is still Chinese
    assert "前向传播" in result.output and "图已保存到" in result.output


def test_dot_captions_follow_the_language(tmp_path):
    en, zh = tmp_path / "en.dot", tmp_path / "zh.dot"
    assert run("neuron", "--dot", str(en)).exit_code == 0
    result = run("neuron", "--dot", str(zh), "--lang", "zh")
    assert result.exit_code == 0 and f"DOT 文件已保存到 {zh}" in result.output
    en_text, zh_text = en.read_text("utf-8"), zh.read_text("utf-8")
    assert 'label="x  (input)\\nvalue 0.5000\\n∂L/∂x = 0.1089"' in en_text
    assert 'label="x  (输入)\\n值 0.5000\\n∂L/∂x = 0.1089"' in zh_text
    # the same graph: the same nodes, edges and numbers
    assert NUMBERS.findall(en_text) == NUMBERS.findall(zh_text)
    assert re.findall(r"n\d+ -> n\d+", en_text) == re.findall(r"n\d+ -> n\d+", zh_text)


# -- the installed command ---------------------------------------------------------------------
@pytest.mark.slow
def test_installed_command_speaks_the_chinese_locale(tmp_path):
    exe = shutil.which("tutor") or str(Path(sys.executable).parent / "tutor")
    if not Path(exe).exists():
        pytest.skip("the tutor command is not installed (pip install . first)")
    env = {"PATH": "/usr/bin:/bin", "LANG": "zh_CN.UTF-8", "COLUMNS": "120"}
    r = subprocess.run([exe, "backprop", "jacobian", "softmax"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "softmax 的雅可比矩阵" in r.stdout and "✗" not in r.stdout
    r = subprocess.run([exe, "backprop", "jacobian", "nope"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("错误：") and "Traceback" not in r.stderr


def test_a_topic_is_computed_once_and_translated_when_shown(monkeypatch):
    """The topic holds English phrases; Chinese JSON asks for no second, English topic."""
    from click.testing import CliRunner

    from tutor.backpropagation import jacobian
    from tutor.cli import main

    made = []
    real = jacobian.softmax_jacobian
    monkeypatch.setattr(jacobian, "softmax_jacobian", lambda *a: made.append(1) or real(*a))
    result = CliRunner().invoke(main, ["backprop", "jacobian", "softmax", "--format", "json",
                                       "--lang", "zh"])
    assert result.exit_code == 0 and len(made) == 1
    data = json.loads(result.output)
    assert "雅可比" in data["title"]
    matrices = [b["matrix"] for b in data["blocks"] if "matrix" in b]
    assert "J (backward, one row per pass)" in matrices

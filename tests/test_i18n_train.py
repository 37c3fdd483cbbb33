"""``tutor train`` in Chinese: the same numbers as in English, the header, progress, summary,
divergence advice and errors in Chinese, plots labelled in Chinese with a CJK font (or in
English with a note when there is none), and the English output unchanged."""

import json
import os
import re
import shutil
import subprocess
import sys
import warnings

import matplotlib.text
import pytest
from click.testing import CliRunner

from tutor import cli
from tutor.i18n import set_language

CJK = re.compile(r"[\u4e00-\u9fff]")
#: the numbers of an output (Unicode minus or ASCII), as they are printed
NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[−+-]\d+)?")
#: the row that says how long training took (the only thing that differs between two runs)
TIME = re.compile(r"^(time|用时) .*$", re.M)

SYNTHETIC = ["linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b", "4.2",
             "--samples", "1000", "--batch-size", "10", "--lr", "0.03", "--epochs", "3"]
#: ℓ = (w − 3)², no data: the Hessian is 2, so the largest stable step is 2/2 = 1; with
#: η = 5 each step maps w to w − 5·2(w − 3) = 30 − 9w: 0 → 30 → −240 → 2190, and the loss
#: (w − 3)² grows 9 → 729 → 59049 → 4782969 until the run stops after 3 growing epochs
DIVERGES = ["--expr", "(w - 3)**2", "--params", "w", "--epochs", "30", "--lr", "5"]


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    set_language("en")


def train(*args, env=None):
    return CliRunner().invoke(cli.main, ["train", *args], env=env)


def squash(text: str) -> str:
    """The text without white space (a long line is wrapped, Chinese at any character)."""
    return re.sub(r"\s+", "", text)


def numbers(text: str) -> list[str]:
    return NUMBER.findall(TIME.sub("", text).replace("−", "-"))


def test_train_in_chinese_reads_chinese_with_the_same_numbers():
    en = train(*SYNTHETIC, "--lang", "en")
    zh = train(*SYNTHETIC, "--lang", "zh")
    assert en.exit_code == zh.exit_code == 0, zh.output
    for words in ("模型", "线性回归", "损失", "一批样本上 ℓ 的平均值", "1000 个样本", "合成数据",
                  "小批量，每批 10 个样本", "每轮打乱顺序", "共 3 轮", "学习率",
                  "海森矩阵的最大特征值", "第 1/3 轮", "每轮结束时的损失", "结果",
                  "全部 1000 个样本的平均值", "与真实值之差", "与最小二乘解之差", "用时"):
        assert squash(words) in squash(zh.stdout), words
    assert not CJK.search(en.stdout)
    # the mathematics is not translated, and every number is the same, in the same order
    for math in ("ℓ = (b + w₁·x₁ + w₂·x₂ − y)²/2", "δ = ∂ℓ/∂z = z − y", "2/λ_max = 1.894"):
        assert math in en.stdout and math in zh.stdout, math
    assert numbers(zh.stdout) == numbers(en.stdout)
    assert len(numbers(en.stdout)) > 40


def test_divergence_is_explained_in_chinese():
    zh = train(*DIVERGES, "--lang", "zh")
    assert zh.exit_code == 1
    out, flat = zh.stdout, squash(zh.stdout)
    assert "✗超过了上限：训练很可能发散" in flat
    assert "已停止" in out and "第3轮第3步：损失连续3轮上升" in flat
    # 2/λ_max = 2/2 = 1, and the advice halves it; w after three steps: 2190 (hand-worked)
    assert "学习率5大于这组数据允许的最大学习率2/λ_max=1：" in flat
    assert "试试η=0.5" in flat
    assert "w = 2190" in out and "9 → 4.783e+06" in out
    assert "第 2/30 轮  损失 5.905e+04" in out  # 59049
    # rich folds the long Chinese sentence instead of cutting it short with an ellipsis
    assert "…" not in out.split("已停止")[1].split("结果")[0]


def test_json_keeps_its_keys_and_says_the_reason_in_chinese():
    zh = train(*DIVERGES, "--format", "json", "--lang", "zh")
    en = train(*DIVERGES, "--format", "json", "--lang", "en")
    assert zh.exit_code == en.exit_code == 1
    a, b = json.loads(en.stdout), json.loads(zh.stdout)
    assert a.keys() == b.keys() and a["stopped"].keys() == b["stopped"].keys()
    assert a["params"] == b["params"] == {"w": 2190.0}
    assert [e["loss"] for e in b["history"]] == [729.0, 59049.0, 4782969.0]
    assert a["stopped"]["reason"] == "the loss grew for 3 epochs in a row"
    assert b["stopped"]["reason"] == "损失连续 3 轮上升"
    assert "试试 η = 0.5" in b["stopped"]["why"]
    lines = zh.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：训练在第 3 轮第 3 步发散：学习率 5")


def test_english_output_does_not_depend_on_the_locale_when_lang_is_en():
    plain = train(*SYNTHETIC, env={"LANG": "C", "LC_ALL": "", "LC_MESSAGES": ""})
    chosen = train(*SYNTHETIC, "--lang", "en",
                   env={"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    from_locale = train(*SYNTHETIC, env={"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert plain.exit_code == chosen.exit_code == from_locale.exit_code == 0
    assert TIME.sub("", plain.output) == TIME.sub("", chosen.output)
    assert "model      Linear regression   (linear_regression)" in plain.stdout
    assert "3 epochs" in plain.stdout and "vs least squares" in plain.stdout
    assert "海森矩阵" in from_locale.stdout  # no --lang: the locale decides


@pytest.mark.parametrize("args, start", [
    (["linear_regression", "--data", "no-such-file.csv"], "错误：数据文件 no-such-file.csv：文件不存在"),
    (["linear_regression", "--lr", "-1"], "错误：--lr（学习率）必须是正数，而不是 -1"),
    (["linear_regression", "--epochs", "0"], "错误：--epochs 至少为 1，而不是 0"),
    (["linear_regression", "--data", "x=1,2", "--data", "y=1,2,3"],
     "错误：数据：各列的长度不一样（x: 2, y: 3）"),
    (["linear_regression", "--data", "x=1,a", "--data", "y=1,2"], "错误：--data x：'a' 不是数字"),
    (["linear_regression", "--data", "x=1,2", "--data", "y=1,2", "--batch-size", "5"],
     "错误：--batch-size 5 比数据还多（数据只有 2 个样本）"),
    (["linear_regression", "--data", "x=1,2", "--data", "y=1,2", "--init", "q=1"],
     "错误：--init q：模型没有参数 'q'；它的参数是 w, b"),
    (["linear_regression"], "错误：请给出数据：--data 文件"),
    (["--expr", "(w*x-y)**2"], "错误：训练一个表达式需要 --params"),
    (["--expr", "(w*x-y)**2", "--params", "q"], "错误：--params q：表达式里没有变量 'q'；它含有的变量是 w, x, y"),
    (["sigmoid"], "错误：课程 'sigmoid' 没有目标值"),
    (["linear_regression", "--synthetic", "--true-w", "1,x"], "错误：--true-w：'x' 不是数字"),
])
def test_bad_input_in_chinese_is_one_line_with_exit_code_2(args, start):
    result = train(*args, "--lang", "zh")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), lines
    assert "Traceback" not in result.output


def test_a_ragged_csv_in_chinese(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n3\n", encoding="utf-8")
    result = train("linear_regression", "--data", str(path), "--lang", "zh")
    assert result.exit_code == 2
    assert result.output.strip() == (f"错误：数据文件 {path}：第 3 行有 1 个值，而表头有 2 列"
                                     "（各行长短不齐）")


def _capture_labels(monkeypatch):
    """Record every text drawn on the figures the train plot saves."""
    from tutor.renderers import figures

    seen = []
    original = figures.draw_to

    def draw(fig, tmp, path):
        for text in fig.findobj(matplotlib.text.Text):
            if text.get_text().strip():
                seen.append((text.get_text(), text.get_fontfamily()))
        original(fig, tmp, path)

    monkeypatch.setattr(figures, "draw_to", draw)
    return seen


def test_chinese_train_plot_has_every_glyph(tmp_path, monkeypatch):
    from tutor.renderers.fonts import cjk_font

    if cjk_font() is None:
        pytest.skip("no CJK font installed (e.g. Debian's fonts-noto-cjk or fonts-wqy-zenhei)")
    seen = _capture_labels(monkeypatch)
    plot = tmp_path / "fit.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        result = CliRunner().invoke(cli.main, [
            "train", "logistic_regression", "--synthetic", "--true-w", "2,-1", "--true-b", "0.5",
            "--samples", "300", "--epochs", "5", "--lr", "0.5", "--plot", str(plot), "--lang", "zh"])
    assert result.exception is None, result.exception
    assert result.exit_code == 0, result.output
    written = [plot, tmp_path / "fit-fit.png", tmp_path / "fit-landscape.png"]
    assert all(p.stat().st_size > 10_000 for p in written)
    assert "图已保存到" in result.stdout and "fonts-noto-cjk" not in result.output
    texts = [t for t, _ in seen]
    for label in ("逻辑回归：每轮的损失，η = 0.5", "轮次（0 = 训练前）", "损失（全部 300 个样本的平均值）",
                  "逻辑回归：数据与决策区域", "预测为 1 的概率", "梯度下降的路径（每步一点）", "起点"):
        assert label in texts, (label, texts)
    # Chinese labels are drawn with the CJK font behind DejaVu Sans (for Latin and math)
    family = dict(seen)["起点"]
    assert family[0] == "DejaVu Sans" and cjk_font() in family


def test_chinese_train_plot_without_a_cjk_font_is_english_with_one_note(tmp_path, monkeypatch):
    from tutor.renderers import fonts

    monkeypatch.setattr(fonts, "cjk_font", lambda sample=fonts.SAMPLE: None)
    seen = _capture_labels(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no boxes: every label is drawn in English
        result = CliRunner().invoke(cli.main, [
            "train", "linear_regression", "--synthetic", "--true-w", "2", "--true-b", "1",
            "--samples", "200", "--epochs", "4", "--lr", "0.1",
            "--plot", str(tmp_path / "p.png"), "--lang", "zh"])
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    assert result.stderr.count("fonts-noto-cjk") == 1 and CJK.search(result.stderr)
    texts = [t for t, _ in seen]
    for label in ("Linear regression: loss per epoch, η = 0.1", "epoch (0 = before training)",
                  "Linear regression: data and fit", "fitted line", "data"):
        assert label in texts, (label, texts)
    assert not any(CJK.search(t) for t in texts)
    # the terminal output itself stays Chinese
    assert "线性回归" in result.stdout and "每轮结束时的损失" in result.stdout


def test_plot_labels_in_english_stay_as_they_were(tmp_path, monkeypatch):
    seen = _capture_labels(monkeypatch)
    result = CliRunner().invoke(cli.main, [
        "train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data",
        "y=2,4,6", "--epochs", "3", "--lr", "0.01", "--plot", str(tmp_path / "e.png"),
        "--lang", "en"])
    assert result.exit_code == 0, result.output
    texts = [t for t, _ in seen]
    for label in ("Your loss: loss per epoch, η = 0.01", "epoch (0 = before training)",
                  "loss (mean over all 3 samples)", "Your loss: the loss against w", "loss (mean)",
                  "gradient descent, per step", "start"):
        assert label in texts, (label, texts)
    assert "plots written to" in result.stdout


@pytest.mark.skipif(shutil.which("tutor") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "tutor")), reason="tutor is not installed")
def test_installed_tutor_train_follows_the_locale():
    exe = shutil.which("tutor") or os.path.join(os.path.dirname(sys.executable), "tutor")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env["LANG"] = "zh_CN.UTF-8"
    out = subprocess.run([exe, "train", "--expr", "(w - 3)**2", "--params", "w", "--epochs", "20",
                          "--lr", "0.1"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "你的损失函数" in out.stdout and "共 20 轮" in out.stdout
    assert "（全部" not in out.stdout and "（没有数据）" in out.stdout


def test_progress_bar_on_a_terminal_in_chinese():
    import io

    from rich.console import Console

    from tutor.renderers.training.text import Progress

    set_language("zh")
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80)
    with Progress(console, 4) as progress:
        for epoch, loss in enumerate([0.5, 0.25, 0.125, 0.0625], start=1):
            progress(epoch, loss)
    out = buf.getvalue()
    assert "━" in out and "第 4/4 轮" in out and "损失 0.0625" in out
    assert "epoch" not in out and "loss" not in out


def test_every_error_raised_by_train_is_marked_for_translation():
    """An error message written as a bare string or an f-string would stay English in Chinese:
    every raise in train's modules (and train's section of cli.py) goes through _()."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "tutor" / "training").glob("*.py"))
    assert len(files) >= 5
    sources = {f.name: f.read_text("utf-8") for f in files}
    command = root / "tutor" / "cli" / "train.py"
    if command.exists():
        sources["cli/train.py"] = command.read_text("utf-8")
    else:
        text = (root / "tutor" / "cli" / "app.py").read_text("utf-8")
        sources["cli (train)"] = text[text.index("# -- train:"):text.index("# -- check:")]
    bare = []
    for name, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                # a ParameterError's first argument is the parameter's name, its message second
                named = getattr(node.exc.func, "id", "") == "ParameterError"
                first = node.exc.args[1 if named else 0]
                if isinstance(first, (ast.JoinedStr, ast.Constant)):
                    bare.append(f"{name}:{node.lineno}")
    assert not bare, bare

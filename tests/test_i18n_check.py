"""tutor check, gradcheck and quiz in Chinese: the verdicts, diagnoses, hints, tables, quiz
lines and errors read Chinese with --lang zh (or a Chinese locale), the numbers and the
mathematics are the same as in English, JSON keeps its English keys and kinds, and the
English output does not depend on the locale once --lang en is given."""

import json
import math
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tutor import cli
from tutor.checking.check import check_answer, check_claim
from tutor.i18n import speaking
from tutor.explaining.lesson import load_lesson
from tutor.calculus.parser import parse_expression
from tutor.assessment.quiz import Quiz, questions_for

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"[−-]?\d+\.\d+(?:e[−+-]?\d+)?")
CLAIM = ["check", "--expr", "(w*x + b - y)^2/2", "--wrt", "w", "--at", "w=2", "--at", "b=1",
         "--at", "x=1,2,3", "--at", "y=6,9,12", "--reduce", "mean"]

MODEL = '''
import numpy as np

def inputs():
    rng = np.random.default_rng(3)
    return {"w": rng.normal(size=4), "X": rng.normal(size=(5, 4)), "y": rng.normal(size=5)}

def right(w, X, y):
    # L = (1/2n) |Xw - y|^2, dL/dw = X^T (Xw - y) / n
    r = X @ w - y
    return 0.5 * r @ r / len(y), {"w": X.T @ r / len(y)}

def summed(w, X, y):
    r = X @ w - y
    return 0.5 * r @ r / len(y), {"w": X.T @ r}

def flipped(w, X, y):
    r = X @ w - y
    g = X.T @ r / len(y)
    g[2] = -g[2]
    return 0.5 * r @ r / len(y), {"w": g}

def wrong_shape(w, X, y):
    return 1.0, {"w": np.zeros(3)}
'''


def run(args, lang=None, env=None, input=None):
    extra = ["--lang", lang] if lang else []
    return CliRunner().invoke(cli.main, [*args, *extra], env=env, input=input)


def sigmoid_prime(z):
    """σ'(z) = e^(−z) / (1 + e^(−z))², by hand."""
    return math.exp(-z) / (1 + math.exp(-z)) ** 2


def numbers(text):
    return NUMBER.findall(text)


def flat(text):
    """The text without any white space: a sentence the terminal wrapped reads whole again."""
    return re.sub(r"\s+", "", text)


# -- tutor check ---------------------------------------------------------------------------
def test_a_wrong_answer_in_chinese_with_the_same_numbers():
    args = ["check", "sigmoid", "--wrt", "z", "-exp(-z)/(1+exp(-z))^2"]
    en, zh = run(args, "en"), run(args, "zh")
    assert en.exit_code == zh.exit_code == 1
    out = zh.output
    for words in ("✗ 不对，不等于 ∂σ/∂z", "你的答案", "正确答案",
                  "符号错误：你的答案恰好是导数的 −1 倍", "反例", "提示", "第 ",
                  "想看完整推导：加上 --reveal"):
        assert words in out, (words, out)
    # the counterexample at the lesson's example z = −2, by hand
    v = f"{sigmoid_prime(-2):.4f}"
    assert f"在 z = −2 处：应为 {v}，你的是 −{v}" in out
    assert f"at z = −2: expected {v}, yours −{v}" in en.output
    assert numbers(en.output) == numbers(zh.output)
    assert "e^(−z)/(1 + e^(−z))²" in out  # the mathematics is untouched
    for english in ("your answer", "expected", "diagnosis", "hint", "not equal", "derivation"):
        assert english not in out
    assert not CJK.search(en.output)


def test_a_right_answer_and_the_revealed_derivation_in_chinese():
    zh = run(["check", "sigmoid", "sigmoid(z)*(1-sigmoid(z))"], "zh")
    assert zh.exit_code == 0
    assert "✓ 正确，等于 ∂σ/∂z" in zh.output and "个随机点上取值相同" in zh.output
    zh = run(["check", "sigmoid", "-1/(1+exp(-z))^2", "--reveal"], "zh")
    assert zh.exit_code == 1
    assert "∂σ/∂z 的推导过程：" in zh.output and "链式法则" in zh.output
    assert "代回" in zh.output  # the rule names come from the core catalog


@pytest.mark.slow
@pytest.mark.parametrize("lesson, wrt, answer, kind, words", [
    ("sigmoid", "z", "-exp(-z)/(1+exp(-z))^2", "sign", "符号错误：你的答案恰好是导数的 −1 倍"),
    ("sigmoid", "z", "2*sigmoid(z)*(1-sigmoid(z))", "constant_factor",
     "差一个常数倍：你的答案是导数的 2 倍"),
    ("neuron", "w", "(a-t)*a*(1-a)", "missing_chain_factor", "链式法则：漏了"),
    ("squared_loss", "yhat", "yhat", "extra_or_missing_term", "多了或漏了一项：漏了 −y 这一项"),
    ("sigmoid", "z", "exp(-z)/(1+exp(-z))^2 + 1", "extra_or_missing_term",
     "多了或漏了一项：多了 1 这一项"),
    ("linear", "w1", "w1", "wrong_variable", "求导变量不对：这是对 x₁ 求的导数，而题目要对 w₁ 求导"),
    ("relu", "z", "relu(z)", "other", "其他错误：你的答案是函数 ReLU(z) 本身，而不是它的导数"),
    ("tanh", "z", "1+tanh(z)^2", "sign", "符号错误：−tanh(z)² 这一项的符号错了"),
])
def test_each_kind_of_mistake_is_said_in_chinese_and_json_keeps_the_kind(lesson, wrt, answer,
                                                                          kind, words):
    args = ["check", lesson, "--wrt", wrt, answer]
    zh = run(args, "zh")
    assert zh.exit_code == 1
    assert flat(words) in flat(zh.output), zh.output
    en_json = json.loads(run([*args, "--format", "json"], "en").output)
    zh_json = json.loads(run([*args, "--format", "json"], "zh").output)
    assert en_json["diagnosis"]["kind"] == zh_json["diagnosis"]["kind"] == kind
    assert CJK.search(zh_json["diagnosis"]["detail"])
    assert not CJK.search(en_json["diagnosis"]["detail"])
    # everything but the sentence is the same data: keys, values, numbers
    en_json["diagnosis"].pop("detail"), zh_json["diagnosis"].pop("detail")
    assert en_json == zh_json


def test_a_quotient_rule_sign_error_is_explained_in_chinese():
    args = ["check", "--expr", "x/(1+x^2)", "--wrt", "x", "(2*x^2-(1+x^2))/(1+x^2)^2"]
    zh = run(args, "zh")
    assert flat("对 x/(x² + 1) 用商法则时把分子写反，正好得到这个结果") in flat(zh.output)
    # the numerator and denominator are named (n/d) before the formula uses them
    assert flat("对 n/d 应是 n′·d − n·d′，而不是 n·d′ − n′·d") in flat(zh.output)


def test_a_claim_in_chinese_by_hand():
    # x·(w·x + b − y) at w = 2, b = 1 over x = 1, 2, 3 and y = 6, 9, 12: −3, −8, −15
    per_sample = [x * (2 * x + 1 - y) for x, y in ((1, 6), (2, 9), (3, 12))]
    mean = sum(per_sample) / 3
    shown = f"{mean:.4f}".replace("-", "−")
    right = run([*CLAIM, "--claim", f"{mean:.4f}"], "zh")
    assert right.exit_code == 0
    assert f"∂f/∂w = {shown}（3 个样本取平均）：你给出的" in right.output
    assert "在所写的位数内是对的" in right.output
    summed = run([*CLAIM, "--claim", str(sum(per_sample))], "zh")
    assert summed.exit_code == 1
    assert "不是 -26" in summed.output and "取值点" in summed.output and "逐个样本" in summed.output
    assert flat("你的数是正确值的 3 倍，这是 3 个样本的和，而不是平均值（漏了 1/n）") in \
        flat(summed.output)
    en = run([*CLAIM, "--claim", str(sum(per_sample))], "en")
    assert numbers(en.output) == numbers(summed.output)


def test_diagnoses_are_said_in_the_language_of_the_moment():
    lesson = load_lesson("sigmoid")
    v = check_answer(lesson.outputs[0], lesson.symbol("z"), "2*sigmoid(z)*(1-sigmoid(z))",
                     named=lesson.named, symbols=lesson.symbols)
    assert v.diagnosis.describe() == "your answer is 2 × the derivative"
    with speaking("zh"):
        assert v.diagnosis.describe() == "你的答案是导数的 2 倍"
    assert v.diagnosis.detail == "your answer is {0} × the derivative"  # the template stays
    x, = sorted(parse_expression("x").free_symbols, key=str)
    claim = check_claim(x ** 2, x, "-4", {"x": 2.0})
    with speaking("zh"):
        assert claim.diagnosis.describe() == "你的数是正确值的 −1 倍"
    assert claim.diagnosis.describe() == "your number is −1 × the true value"


# -- the locale and --lang -----------------------------------------------------------------
@pytest.mark.parametrize("args, stdin", [
    (["check", "sigmoid", "-1/(1+exp(-z))^2"], None),
    (["check", "sigmoid", "-1/(1+exp(-z))^2", "--reveal"], None),
    (["check", "sigmoid", "sigmoid(z)*(1-sigmoid(z))"], None),
    ([*CLAIM, "--claim", "-26"], None),
    (["check", "nosuchlesson", "x"], None),
    (["quiz", "linear"], "h\nw1\nx1\ns\nq\n"),
])
def test_english_without_lang_equals_lang_en_under_a_chinese_locale(args, stdin):
    plain = run(args, env={"LANG": "C"}, input=stdin)
    chosen = run(args, "en", env={"LANG": "zh_CN.UTF-8"}, input=stdin)
    assert plain.exit_code == chosen.exit_code
    assert plain.output == chosen.output
    assert not CJK.search(plain.output)
    from_locale = run(args, env={"LANG": "zh_CN.UTF-8"}, input=stdin)
    assert CJK.search(from_locale.output)
    assert numbers(from_locale.output) == numbers(plain.output)


def test_gradcheck_english_is_the_same_under_a_chinese_locale(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    for fn in ("right", "summed", "flipped"):
        args = ["gradcheck", f"{path}:{fn}"]
        plain = run(args, env={"LANG": "C"})
        chosen = run(args, "en", env={"LANG": "zh_CN.UTF-8"})
        assert plain.output == chosen.output and not CJK.search(plain.output)


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["check"], "请指定一个课程"),
    (["check", "nosuchlesson", "x"], "没有名为 'nosuchlesson' 的课程"),
    (["check", "sigmoid", "a", "b"], "参数太多：'b'"),
    (["check", "sigmoid", "--bogus", "1"], "没有这个选项：--bogus"),
    (["check", "sigmoid"], "请给出你的答案"),
    (["check", "--expr", "x*y", "1"], "请用 --wrt 指定变量（表达式里有 x, y）"),
    (["check", "--expr", "x^2", "--at", "x=1", "2x"], "--at 给出的是 --claim 数值所在的点"),
    (["check", "softmax", "--of", "s9", "--wrt", "z2", "s2"], "--of s9：这个函数的分量是 s1, s2, s3"),
    (["check", "linear", "x1"], "一次只能核对一个导数"),
    ([*CLAIM[:-2], "--claim", "1"], "这些值构成一批 3 个样本"),
    ([*CLAIM, "--claim", "1e999"], "--claim '1e999'：不是一个可用的数"),
    (["check", "sigmoid", " "], "答案是空的"),
    (["quiz", "--size", "3"], "--size 只能和某一个带下标的课程一起用"),
    (["quiz", "nosuchlesson"], "没有名为 'nosuchlesson' 的课程"),
])
def test_bad_input_in_chinese_is_one_line_with_exit_code_2(args, words):
    r = run(args, "zh")
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("错误："), r.output
    assert words in lines[0], r.output
    assert "Traceback" not in r.output
    assert len(lines) == 1 or all(l.startswith("  ") for l in lines[1:])  # a caret at most


def test_an_unreadable_answer_points_at_the_column_in_chinese():
    r = run(["check", "sigmoid", "z +"], "zh")
    assert r.exit_code == 2
    lines = r.output.splitlines()
    assert lines[0].startswith("错误：") and lines[0].endswith("（第 4 列）")
    assert lines[1:3] == ["  z +", "     ^"]
    en = run(["check", "sigmoid", "z +"], "en")
    assert en.output.splitlines()[0].endswith(" (at column 4)")


@pytest.mark.parametrize("fn, words", [
    ("wrong_shape", "'w' 的梯度形状是 (3,)，而 w 的形状是 (4,)"),
    ("nosuch", "里没有函数 'nosuch'（它定义的有 flipped, inputs, right, summed, wrong_shape）"),
])
def test_gradcheck_bad_code_in_chinese(tmp_path, fn, words):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    r = run(["gradcheck", f"{path}:{fn}"], "zh")
    assert r.exit_code == 2
    assert r.output.startswith("错误：") and words in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = run(["gradcheck", f"{tmp_path / 'none.py'}:f"], "zh")
    assert r.exit_code == 2 and r.output.strip().endswith("none.py：文件不存在")


# -- tutor gradcheck -----------------------------------------------------------------------
def test_gradcheck_in_chinese(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    good = run(["gradcheck", f"{path}:right"], "zh")
    assert good.exit_code == 0
    for words in ("损失 = ", "用 float64 中心差分检验", "输入", "形状", "已检查", "结论",
                  "4 / 4 项", "✓ 正确", "低于 1e-7 为正确", "介于两侧单边差分之间的任何斜率都算对"):
        assert flat(words) in flat(good.output), words
    # the loss, by hand: (1/2n)|Xw − y|²
    import numpy as np

    rng = np.random.default_rng(3)
    w, X, y = rng.normal(size=4), rng.normal(size=(5, 4)), rng.normal(size=5)
    r = X @ w - y
    assert flat(f"损失 = {0.5 * r @ r / 5:.4f}") in flat(good.output)

    summed = run(["gradcheck", f"{path}:summed"], "zh")
    en = run(["gradcheck", f"{path}:summed"], "en")
    assert summed.exit_code == en.exit_code == 1
    # the gradient is n = 5 times too large: a sum where the mean belongs
    assert flat("w: 每一项都是有限差分的 5 倍（是不是漏了 1/5，比如把取平均写成了求和？）") in \
        flat(summed.output)
    assert "✗ 错误" in summed.output and "误差最大的几项" in summed.output
    assert "你的梯度" in summed.output
    assert numbers(en.output) == numbers(summed.output)

    flipped = run(["gradcheck", f"{path}:flipped"], "zh")
    assert "w: 检查的 4 项中有 1 项错误：w[2]" in flipped.output

    en_json = json.loads(run(["gradcheck", f"{path}:summed", "--format", "json"], "en").output)
    zh_json = json.loads(run(["gradcheck", f"{path}:summed", "--format", "json"], "zh").output)
    assert zh_json["status"] == "wrong" and zh_json["inputs"][0]["status"] == "wrong"
    assert CJK.search(zh_json["inputs"][0]["pattern"])
    for data in (en_json, zh_json):
        data["inputs"][0].pop("pattern")
        data.pop("target")
    assert en_json == zh_json


# -- tutor quiz ----------------------------------------------------------------------------
def test_quiz_in_chinese_with_the_english_keywords():
    r = run(["quiz", "sigmoid"], "zh", input="-sigmoid(z)\nh\nsigmoid(z)*(1-sigmoid(z))\n")
    assert r.exit_code == 0
    out = r.output
    for words in ("第 1 题（共 1 题）— Sigmoid 函数", "（h：提示，s：看答案，q：退出）",
                  "可以简写：用 σ(z) 表示 1/(1 + e^(−z))", "✗ 不对", "再试一次",
                  "提示 第 1 步（共", "——用链式法则，其中 u = 1 + e^(−z)", "✓ 正确",
                  "得分：共 1 题，答对 1 题（不看提示、一次答对的有 0 题），用了 1 次提示"):
        assert words in out, (words, out)
    r = run(["quiz", "linear"], "zh", input="s\nq\n")
    assert "答案：x₁" in r.output and "第 2 题（共 4 题）" in r.output
    assert "得分：共 1 题，答对 0 题，用了 0 次提示" in r.output
    r = run(["quiz", "squared_loss"], "zh", input="y\ny\ny\n")
    assert "3 次都没答对。答案：\u0177 − y" in r.output


def test_quiz_understands_chinese_keywords():
    r = run(["quiz", "linear"], "zh", input="提示\n跳过\n退出\n")
    assert r.exit_code == 0
    assert "提示 第 1 步" in r.output and "答案：x₁" in r.output
    assert "第 3 题" not in r.output
    assert "得分：共 1 题，答对 0 题，用了 1 次提示" in r.output
    # in English too, and in the library whatever the language
    quiz = Quiz(questions_for([load_lesson("squared_loss")]))
    assert quiz.respond("？").kind == "hint"
    assert quiz.respond("答案").kind == "reveal"
    quiz = Quiz(questions_for([load_lesson("squared_loss")]))
    assert quiz.respond("退出").kind == "quit"


def test_quiz_empty_line_and_unreadable_answer_in_chinese():
    r = run(["quiz", "tanh"], "zh", input="\n1 - tanh(z\nq\n")
    assert "请输入你的答案，或输入 h 看提示" in r.output
    assert "看不懂这个输入：" in r.output and "（第 " in r.output
    assert "得分：共 1 题，答对 0 题" in r.output
    r = run(["quiz", "tanh"], "zh", input="")
    assert "得分：一道题也没做" in r.output


@pytest.mark.slow
def test_a_chinese_locale_speaks_chinese_through_a_real_process(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "LANG": "zh_CN.UTF-8"}
    r = subprocess.run([sys.executable, "-m", "tutor", "check", "sigmoid", "z +"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2
    assert r.stderr.startswith("错误：") and "（第 4 列）" in r.stderr
    r = subprocess.run([sys.executable, "-m", "tutor", "quiz", "relu"], input="提示\nheaviside(z)\n",
                       cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "提示 第 1 步" in r.stdout and "✓ 正确，等于" in r.stdout
    assert "得分：共 1 题，答对 1 题" in r.stdout

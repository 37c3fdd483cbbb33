"""Worksheets in Chinese: `tutor worksheet … --lang zh` writes every format in Chinese with the
same mathematics as in English, the PDF embeds a CJK font when one is installed (and is written
in English, with one note, when none is), the Chinese LaTeX compiles, a Chinese run's key
grades its own answers with full marks, and the English output does not change."""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from tutor.cli import main
from tutor.assessment.grade import key_answers
from tutor.i18n import speaking
from tutor.assessment.key import read_key
from tutor.explaining.lesson import load_lesson

LESSONS = ["sigmoid", "softmax", "linear_regression", "neuron"]
ARGS = [*LESSONS, "-n", "10", "-k", "2", "--seed", "7", "--export", "moodle", "--export", "gift"]
CJK = re.compile(r"[\u4e00-\u9fff]")
NS = {"h": "http://www.w3.org/1999/xhtml", "m": "http://www.w3.org/1998/Math/MathML"}


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)


def files_of(folder):
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def zh(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh") / "sheets"
    r = run("worksheet", *ARGS, "--out", str(out), "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert "已生成 2 份练习卷（每份 10 题），共 4 种格式" in r.output
    assert "评分命令：tutor grade" in r.output
    return out


@pytest.fixture(scope="module")
def en(tmp_path_factory):
    out = tmp_path_factory.mktemp("en") / "sheets"
    r = run("worksheet", *ARGS, "--out", str(out), "--lang", "en")
    assert r.exit_code == 0, r.output
    return out


def chinese_titles():
    with speaking("zh"):
        return [load_lesson(name).title for name in LESSONS]


@pytest.mark.slow
def test_markdown_reads_chinese_with_the_same_mathematics(zh, en):
    sheet = (zh / "variant-01.md").read_text("utf-8")
    key = (zh / "answers" / "variant-01.md").read_text("utf-8")
    assert sheet.startswith("# 练习卷 s7-v01\n") and key.startswith("# 答案卷 s7-v01\n")
    assert "姓名：" in sheet and "请把答案写在一个纯文本文件里" in sheet
    assert "解题步骤：" in key and "答案：" in key
    for title in chinese_titles():  # the lessons' own [translations.zh] titles
        assert CJK.search(title) and title in sheet
    assert "Worksheet" not in sheet and "Answer" not in key
    # the formulas are the very same (Chinese word order may put some in another place)
    for name in ("variant-01.md", "answers/variant-01.md", "answers/variant-02.md"):
        maths = [sorted(re.findall(r"\$[^$]+\$", (f / name).read_text("utf-8")))
                 for f in (zh, en)]
        assert len(maths[0]) > 20 and maths[0] == maths[1], name


def test_html_parses_and_is_marked_chinese(zh, en):
    for name in ("variant-01.html", "answers/variant-02.html", "sheets.html"):
        text = (zh / name).read_text("utf-8")
        root = ET.fromstring(text.split("\n", 1)[1])  # after the doctype
        assert root.get("lang") == "zh"
        assert CJK.search("".join(root.itertext()))
        english = ET.fromstring((en / name).read_text("utf-8").split("\n", 1)[1])
        assert english.get("lang") == "en"
        mathml = [sorted(_formula(m) for m in r.findall(".//m:math", NS)) for r in (root, english)]
        assert len(mathml[0]) > 10 and mathml[0] == mathml[1]
    assert "答案卷 s7-v01" in (zh / "answers" / "variant-01.html").read_text("utf-8")


def _formula(element) -> bytes:
    element.tail = None  # the text after the formula is not part of it
    return ET.tostring(element)


def test_quiz_exports_ask_in_chinese(zh):
    quiz = ET.parse(zh / "quiz.xml").getroot()
    texts = [q.findtext("questiontext/text") for q in quiz.findall("question")
             if q.get("type") != "category"]
    assert len(texts) == 20 and all(CJK.search(t) for t in texts)
    assert any("求" in t for t in texts)
    gift = (zh / "quiz.gift").read_text("utf-8")
    assert "::s7-v01 1. 求导数 — " in gift and "请给出" in gift


def test_the_key_does_not_depend_on_the_language(zh, en):
    assert (zh / "key.json").read_bytes() == (en / "key.json").read_bytes()


def test_grading_a_chinese_sheets_key_gives_full_marks(zh, tmp_path):
    keys = read_key(zh / "key.json")
    for variant in keys.values():
        answers = tmp_path / f"{variant.id}.txt"
        answers.write_text(key_answers(variant), "utf-8")
        r = run("grade", str(zh / "key.json"), str(answers), "--lang", "zh")
        assert r.exit_code == 0, r.output
        n = len(variant.problems)
        assert f"版本 {variant.id}   得分 {n} / {n}" in r.output
        assert "题目" in r.output and "说明" in r.output


def test_grading_explains_a_wrong_answer_in_chinese(zh, tmp_path):
    variant = read_key(zh / "key.json")["s7-v01"]
    lines = key_answers(variant).splitlines()
    # problem 1 asks for a derivative: answer 0 instead
    lines = [("1: 0" if line.startswith("1:") else line) for line in lines]
    answers = tmp_path / "ada.txt"
    answers.write_text("\n".join(lines) + "\n", "utf-8")
    r = run("grade", str(zh / "key.json"), str(answers), "--lang", "zh", "--format", "json")
    assert r.exit_code == 0, r.output
    import json

    result = json.loads(r.output)
    assert result["score"] == len(variant.problems) - 1
    wrong = [m for m in result["marks"] if m["score"] < 1]
    assert [m["problem"] for m in wrong] == [1] and wrong[0]["status"] == "wrong"
    assert CJK.search(wrong[0]["reason"])


def test_pdf_has_chinese_text_when_a_cjk_font_is_installed(zh):
    pypdf = pytest.importorskip("pypdf")
    from tutor.renderers.fonts import cjk_font_file

    if cjk_font_file() is None:
        pytest.skip("no CJK font installed: the Chinese PDF is written in English")
    for name, heading in (("variant-01.pdf", "练习卷"), ("answers/variant-01.pdf", "答案卷")):
        reader = pypdf.PdfReader(str(zh / name))
        text = "".join(page.extract_text() for page in reader.pages)
        assert heading in text and "s7-v01" in text
        assert "σ" in text or "∂" in text  # the mathematics drawn in the embedded DejaVu font
        assert "第 1 页，共" in text
        assert len(reader.pages) >= 2


def test_without_a_cjk_font_the_pdf_is_english_and_one_note_says_what_to_install(
        tmp_path, monkeypatch):
    pypdf = pytest.importorskip("pypdf")
    import tutor.renderers.fonts as fonts

    monkeypatch.setattr(fonts, "cjk_font_face", lambda sample=fonts.SAMPLE: None)
    out = tmp_path / "sheets"
    r = run("worksheet", *LESSONS, "-n", "6", "-k", "2", "--seed", "7", "--format", "pdf",
            "--format", "md", "--out", str(out), "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert r.output.count("fonts-noto-cjk") == 1
    text = "".join(p.extract_text() for p in pypdf.PdfReader(str(out / "variant-01.pdf")).pages)
    assert "Worksheet s7-v01" in text and not CJK.search(text)
    assert (out / "variant-01.md").read_text("utf-8").startswith("# 练习卷 s7-v01")


@pytest.mark.parametrize("name", ["variant-01.tex", "answers/variant-01.tex"])
def test_chinese_latex_compiles_with_pdflatex(zh, tmp_path, name, chinese_pdflatex):
    pdflatex = chinese_pdflatex
    tex = (zh / name).read_text("utf-8")
    assert r"\usepackage{CJKutf8}" in tex and r"\begin{CJK}{UTF8}{gbsn}" in tex
    shutil.copy(zh / name, tmp_path / "doc.tex")
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")


def test_english_output_does_not_change(tmp_path):
    """Without --lang under LANG=C, and with --lang en under a Chinese locale: the same bytes."""
    plain, forced = tmp_path / "plain", tmp_path / "forced"
    a = run("worksheet", *ARGS, "--out", str(plain), env={"LANG": "C", "LC_ALL": "",
                                                          "LC_MESSAGES": ""})
    b = run("worksheet", *ARGS, "--out", str(forced), "--lang", "en",
            env={"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert a.exit_code == b.exit_code == 0
    assert a.output.startswith("wrote 2 sheets × 10 problems in 4 formats (md, tex, html, pdf) "
                               "+ 2 answer keys + key.json")
    assert a.output.replace(str(plain), "OUT") == b.output.replace(str(forced), "OUT")
    assert files_of(plain) == files_of(forced)
    assert (plain / "variant-01.md").read_text("utf-8").startswith("# Worksheet s7-v01")
    assert 'lang="en"' in (plain / "variant-01.html").read_text("utf-8")
    # and a Chinese locale alone gives Chinese
    c = run("worksheet", *LESSONS, "-n", "2", "--format", "md", "--out", str(tmp_path / "c"),
            env={"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert c.exit_code == 0 and "已生成 1 份练习卷" in c.output


def test_bad_input_in_chinese_is_one_line(tmp_path):
    r = CliRunner().invoke(main, ["worksheet", "sigmoid", "-n", "99", "--out",
                                  str(tmp_path / "x"), "--lang", "zh"])
    assert r.exit_code == 2
    assert r.output.strip() == "错误：题目数必须在 1 到 40 之间，而不是 99"
    r = CliRunner().invoke(main, ["grade", str(tmp_path / "nokey.json"), str(tmp_path),
                                  "--lang", "zh"])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：答案卷 ") and "文件不存在" in lines[0]


_PDF_BYTES = """
import hashlib, sys
from tutor.renderers.assessment import pdf as sheet_pdf
from tutor.assessment.worksheet import make_worksheets
ws = make_worksheets(["softmax", "neuron", "cross_entropy"], problems=8, variants=2, seed=5)
if sys.argv[1] == "after-others":
    sheet_pdf.sheet_pdf(ws.sheets[1], key=True)
    for style in ("R", "B", "I"):  # fonts already cut for characters this sheet lacks
        sheet_pdf._embed("serif", style, frozenset(map(ord, "ΩЖ")))
print(hashlib.sha256(sheet_pdf.sheet_pdf(ws.sheets[0], key=True)).hexdigest())
"""


@pytest.mark.slow
def test_a_pdf_does_not_depend_on_what_the_process_made_before():
    digests = set()
    for how, seed in (("first", "0"), ("after-others", "0"), ("first", "123")):
        done = subprocess.run([sys.executable, "-c", _PDF_BYTES, how], capture_output=True,
                              text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout.strip())
    assert len(digests) == 1

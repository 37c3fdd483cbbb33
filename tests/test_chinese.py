"""Chinese a teacher would write, checked as text: full-width punctuation inside Chinese
sentences, formulas never broken across lines, and tables whose labels and numbers are never
cut off."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor.cli import main
from tutor.explaining.lesson import lesson_names
from tutor.renderers.prose import fit

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "tutor" / "locale" / "zh" / "LC_MESSAGES" / "tutor.po"
CJK = "\u3400-\u9fff"
#: a half-width colon, semicolon or comma right after a Chinese character, or half-width
#: brackets around Chinese text
HALF_WIDTH = re.compile(f"[{CJK}][:;,]|\\([{CJK}]|[{CJK}]\\)")


def _catalog() -> dict[str, str]:
    text = PO.read_text(encoding="utf-8")
    entries = re.findall(r'msgid ((?:"(?:[^"\\]|\\.)*"\n)+)msgstr ((?:"(?:[^"\\]|\\.)*"\n)+)', text)

    def unquote(block):
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)).replace('\\"', '"')

    return {unquote(i): unquote(s) for i, s in entries if unquote(i)}


def _lesson_texts() -> list[str]:
    """Every Chinese text of every lesson (title, summary, intro, insight …)."""
    from tutor.explaining.lesson import load_lesson

    return [text for name in lesson_names()
            for text in load_lesson(name).narrative.get("zh", {}).values() if text]


def test_the_check_can_fail():
    assert HALF_WIDTH.search("注意:这里") and HALF_WIDTH.search("见(下文)")
    assert not HALF_WIDTH.search("注意：这里（下文）与 backward(v) 相同")


def test_chinese_sentences_use_full_width_punctuation():
    bad = [s for s in list(_catalog().values()) + _lesson_texts() if HALF_WIDTH.search(s)]
    assert not bad, bad


def _breaks_inside_a_formula(text: str, width: int) -> list[str]:
    """Line breaks of ``fit`` with no Chinese character on either side, inside a run of
    non-Chinese text that would have fitted on a line."""
    lines = fit(text, width).split("\n")
    bad = []
    for above, below in zip(lines, lines[1:]):
        left, right = above.rstrip()[-1:], below.lstrip()[:1]
        if re.match(f"[{CJK}，。；：、）」]", left) or re.match(f"[{CJK}（「]", right):
            continue
        run = re.findall(f"[^{CJK}]+$", above)[0].lstrip() + " " + re.findall(f"^[^{CJK}]+", below.lstrip())[0]
        if len(run) <= width:
            bad.append(f"{above!r} / {below!r}")
    return bad


@pytest.mark.parametrize("width", [40, 60, 80])
def test_chinese_prose_never_breaks_inside_a_formula(width):
    texts = [t for t in list(_catalog().values()) + _lesson_texts()
             if re.search(f"[{CJK}]", t) and len(t) > width]
    assert len(texts) > 30
    bad = [b for t in texts for b in _breaks_inside_a_formula(" ".join(t.split()), width)]
    assert not bad, bad[:10]


_CUT = re.compile(r"\S…|…( *$| {2,})")


@pytest.mark.slow
@pytest.mark.parametrize("columns", ["60", "80"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_label_or_number_is_cut_off(columns, lang):
    cut = []
    for name in lesson_names():
        out = CliRunner().invoke(main, ["explain", name, "--lang", lang],
                                 env={"COLUMNS": columns}).output
        cut += [f"{name}: {line}" for line in out.splitlines() if _CUT.search(line)]
    assert not cut, cut[:10]


@pytest.mark.parametrize("width", [40, 60, 80])
def test_english_prose_never_breaks_beside_an_operator(width):
    """"(1 +⏎e^(−z))" or "z =⏎0" would split a formula: a break never sits beside + − = × ·."""
    from tutor.explaining.lesson import load_lesson

    texts = [t for name in lesson_names() for t in load_lesson(name).narrative.get("en", {}).values()
             if t and len(t) > width]
    assert len(texts) > 20
    bad = []
    for t in texts:
        lines = fit(" ".join(t.split()), width).split("\n")
        for above, below in zip(lines, lines[1:]):
            if above.rstrip()[-1:] in "+−=×·" or below.lstrip()[:1] in "+−=×·":
                bad.append(f"{above!r} / {below!r}")
    assert not bad, bad[:10]

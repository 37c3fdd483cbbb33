"""Chinese beside English: every lesson and every catalog entry has its Chinese text, the
language follows --lang and the locale, and nothing in the English output changes."""

import ast
import gettext
import re
import string
import warnings
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner

from tutor.cli import main
from tutor.i18n import LOCALE_DIR, language_from_environment, set_language, speaking, _
from tutor.explaining.lesson import lesson_names, load_lesson, parse_lesson
from tutor.renderers.notation import paragraph

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
#: catalog entries that are mathematics only, the same in every language
MATH_ONLY = {"d/dx x = 1", "d/du eᵘ = eᵘ", "d/du log u = 1/u", "σ′ = σ(1 − σ)", "softplus′ = σ",
             "SiLU′ = σ(u)(1 + u(1 − σ(u)))", "softsign′ = 1/(1 + |u|)²",
             "true/false"}


def marked_messages() -> set[str]:
    """Every text the code marks with _() or N_(), read from the source by Python's own ast
    (independently of the tool that writes the catalog)."""
    found = set()
    files = [ROOT / "cli.py", *sorted((ROOT / "tutor").rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr from a .po file (single-line and continued strings)."""
    entries, key, current = {}, None, None
    for line in path.read_text("utf-8").splitlines() + [""]:
        m = re.match(r'(msgid|msgstr) "(.*)"$', line)
        if m:
            key = m.group(1)
            current = {"msgid": "", "msgstr": ""} if key == "msgid" else current
            current[key] = _unquote(m.group(2))
        elif line.startswith('"') and current is not None:
            current[key] += _unquote(line[1:-1])
        elif not line.strip() and current is not None:
            if current["msgid"]:
                entries[current["msgid"]] = current["msgstr"]
            current = None
    return entries


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def fields(template: str) -> set[str]:
    """The placeholders of a str.format template (a text with a lone brace is no template)."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError:
        return set(re.findall(r"[{}]", template))


@pytest.fixture(scope="module")
def catalog():
    with open(LOCALE_DIR / "zh" / "LC_MESSAGES" / "tutor.mo", "rb") as f:
        return gettext.GNUTranslations(f)


def test_every_marked_text_has_chinese_in_the_shipped_catalog(catalog):
    messages = marked_messages()
    assert len(messages) > 150
    missing = [m for m in messages if catalog.gettext(m) == m and m not in MATH_ONLY]
    assert not missing, missing
    for m in messages - MATH_ONLY:
        zh = catalog.gettext(m)
        assert CJK.search(zh) or m in MATH_ONLY, (m, zh)
        assert fields(zh) == fields(m), (m, zh)  # the same placeholders, nothing lost


def test_po_source_and_compiled_catalog_agree(catalog):
    po = po_entries(LOCALE_DIR / "zh" / "LC_MESSAGES" / "tutor.po")
    assert set(po) >= marked_messages()
    for msgid, msgstr in po.items():
        assert msgstr, msgid
        assert catalog.gettext(msgid) == msgstr


@pytest.mark.parametrize("name", lesson_names())
def test_every_lesson_has_its_narrative_in_chinese(name):
    raw = tomllib.loads((ROOT / "lessons" / f"{name}.toml").read_text("utf-8"))
    zh = raw["translations"]["zh"]
    english = {"title": raw["title"], "summary": raw.get("summary"), **raw.get("text", {})}
    for key, text in english.items():
        if text:
            assert CJK.search(zh.get(key, "")), (name, key)
    set_language("zh")
    lesson = load_lesson(name)
    assert lesson.title == zh["title"] and lesson.text["insight"] == zh["insight"]


@pytest.mark.parametrize("environ, lang", [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "zh_TW"}, "zh"), ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "en"), ({"LANG": "C"}, "en"), ({}, "en"),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN", "LANG": "en_US"}, "zh"),
    ({"LC_ALL": "", "LANG": "zh_CN.UTF-8"}, "zh"),
])
def test_language_from_the_locale(environ, lang):
    assert language_from_environment(environ) == lang


def test_explain_in_chinese_reads_chinese_and_keeps_the_numbers():
    en = CliRunner().invoke(main, ["explain", "sigmoid", "--lang", "en"])
    zh = CliRunner().invoke(main, ["explain", "sigmoid", "--lang", "zh"])
    assert en.exit_code == zh.exit_code == 0
    for words in ("Sigmoid 函数", "链式法则", "有限差分", "与有限差分一致", "要点", "画图："):
        assert words in zh.output, words
    assert not CJK.search(en.output)
    # the mathematics and the numbers are the same
    numbers = re.compile(r"[−-]?\d+\.\d{4}")
    assert numbers.findall(en.output) == numbers.findall(zh.output)
    assert "σ(z)·(1 − σ(z))" in zh.output


def test_locale_decides_without_lang_and_english_output_does_not_change():
    runner = CliRunner()
    plain = runner.invoke(main, ["explain", "linear_regression"], env={"LANG": "C.UTF-8"})
    chosen = runner.invoke(main, ["explain", "linear_regression", "--lang", "en"],
                           env={"LANG": "zh_CN.UTF-8"})
    from_locale = runner.invoke(main, ["explain", "linear_regression"], env={"LANG": "zh_CN.UTF-8"})
    assert plain.output == chosen.output
    assert "线性回归" in from_locale.output and "整批取平均" in from_locale.output


def test_errors_in_chinese_are_one_line_with_exit_code_2():
    result = CliRunner().invoke(main, ["explain", "sigmod", "--lang", "zh"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：没有名为 'sigmod' 的课程")
    assert "'sigmoid'" in lines[0]
    bad = CliRunner().invoke(main, ["explain", "--expr", "2 +* x", "--lang", "zh"])
    assert bad.exit_code == 2 and bad.output.startswith("错误：")


def test_list_in_chinese():
    result = CliRunner().invoke(main, ["list", "--lang", "zh"])
    assert result.exit_code == 0
    assert "平方损失" in result.output and "讲解某一课" in result.output


def test_a_lesson_missing_a_language_falls_back_to_english_field_by_field():
    text = (ROOT / "lessons" / "sigmoid.toml").read_text("utf-8")
    text = text[:text.index("[translations.zh]")] + '[translations.zh]\ntitle = "我的课"\n'
    set_language("zh")
    lesson = parse_lesson(text)
    assert lesson.title == "我的课"
    assert lesson.text["intro"].strip().startswith("The sigmoid")  # English, no error
    # a language the program has no catalog for is fine in a lesson file
    parse_lesson(text + '[translations.fr]\ntitle = "Sigmoïde"\n')


def test_a_bad_translations_table_is_refused_naming_the_field():
    text = (ROOT / "lessons" / "relu.toml").read_text("utf-8") + '\n[translations.Chinese]\ntitle = "x"\n'
    with pytest.raises(Exception, match="translations.Chinese: must be a language code"):
        parse_lesson(text)
    text = (ROOT / "lessons" / "relu.toml").read_text("utf-8").replace(
        "[translations.zh]", "[translations.zh]\nheadline = \"x\"")
    with pytest.raises(Exception, match="translations.zh.headline: unknown field"):
        parse_lesson(text)


def test_paragraphs_join_lines_with_spaces_except_beside_chinese():
    assert paragraph("one line\n  and the next ") == "one line and the next"
    assert paragraph("第一行，\n第二行") == "第一行，第二行"
    assert paragraph("σ(z)，\nz = 0 时") == "σ(z)，z = 0 时"
    assert paragraph("用 ŷ\n做预测") == "用 ŷ做预测"


def test_speaking_restores_the_language():
    set_language("zh")
    with speaking("en"):
        assert _("chain rule") == "chain rule"
    assert _("chain rule") == "链式法则"


def test_chinese_plot_has_every_glyph(tmp_path):
    from tutor.renderers.fonts import cjk_font

    if cjk_font() is None:
        pytest.skip("no CJK font installed (e.g. Debian's fonts-noto-cjk or fonts-wqy-zenhei)")
    from tutor.explaining.explanation import curves, explain
    from tutor.renderers.explaining.plot import plot_explanation

    set_language("zh")
    path = tmp_path / "neuron.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        exp = explain(load_lesson("neuron"))
        note = plot_explanation(exp, curves(exp), str(path))
    assert note == "" and path.stat().st_size > 10_000


def test_chinese_plot_without_a_cjk_font_says_so_and_draws_english(tmp_path, monkeypatch):
    from tutor.renderers import fonts
    from tutor.explaining.explanation import curves, explain
    from tutor.renderers.explaining.plot import plot_explanation

    monkeypatch.setattr(fonts, "cjk_font", lambda sample=fonts.SAMPLE: None)
    set_language("zh")
    lesson = load_lesson("sigmoid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no boxes: every label is drawn in English
        exp = explain(lesson)
        note = plot_explanation(exp, curves(exp), str(tmp_path / "s.png"))
    assert "fonts-noto-cjk" in note and CJK.search(note)


@pytest.mark.parametrize("lesson", ["sigmoid", "softmax", "linear_regression"])
def test_chinese_latex_compiles_with_pdflatex(tmp_path, lesson, chinese_pdflatex):
    import subprocess

    pdflatex = chinese_pdflatex
    r = CliRunner().invoke(main, ["explain", lesson, "--format", "latex", "--lang", "zh"])
    assert r.exit_code == 0 and CJK.search(r.output)
    (tmp_path / "doc.tex").write_text(r.output, encoding="utf-8")
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")

"""Which CJK font the tutor picks for Chinese: a Simplified Chinese face in a regular weight,
and a font installed after matplotlib's cache was built is found."""

import os
import time
from types import SimpleNamespace

from tutor.renderers import fonts


def _entry(name, weight=400, style="normal"):
    return SimpleNamespace(name=name, weight=weight, style=style, fname=f"/fonts/{name}.ttc")


def test_the_simplified_regular_face_comes_first():
    entries = [_entry("Noto Sans CJK HK", 700), _entry("Noto Sans CJK JP"),
               _entry("Noto Sans CJK SC", 700), _entry("Noto Sans CJK SC", "normal"),
               _entry("Noto Sans CJK TC"), _entry("DejaVu Sans"),
               _entry("Noto Sans CJK SC", 400, "italic")]
    ranked = sorted(entries, key=fonts.rank)
    assert (ranked[0].name, ranked[0].weight, ranked[0].style) == ("Noto Sans CJK SC", "normal",
                                                                   "normal")
    assert ranked[1].name == "Noto Sans CJK SC" and ranked[1].style == "italic"
    assert ranked[2].weight == 700 and ranked[2].name == "Noto Sans CJK SC"
    assert ranked[-1].name == "DejaVu Sans"


def test_the_font_cache_is_rebuilt_only_when_a_font_folder_changed(tmp_path, monkeypatch):
    import matplotlib
    from matplotlib import font_manager

    cache, folder = tmp_path / "cache", tmp_path / "fonts"
    cache.mkdir()
    (folder / "noto").mkdir(parents=True)
    (cache / "fontlist-v1.json").write_text("{}")
    monkeypatch.setattr(matplotlib, "get_cachedir", lambda: str(cache))
    monkeypatch.setattr(font_manager, "X11FontDirectories", [str(folder)])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    past = time.time() - 3600
    for path in (folder, folder / "noto"):
        os.utime(path, (past, past))
    os.utime(cache / "fontlist-v1.json", (past + 60, past + 60))
    assert not fonts._fonts_newer_than_cache()
    # a font installed into a sub-folder after the cache was written
    (folder / "noto" / "NotoSansCJK.ttc").write_bytes(b"")
    assert fonts._fonts_newer_than_cache()


def test_a_chinese_pdf_embeds_a_simplified_face_in_its_regular_weight(tmp_path):
    """On this machine's fonts: the font embedded for the Chinese text of a PDF sheet is a
    Simplified Chinese face (its name says SC, CN or GB when the family has several) of weight
    400, upright, and the text reads back as Chinese."""
    import io
    import re

    import pytest

    pypdf = pytest.importorskip("pypdf")
    from click.testing import CliRunner
    from fontTools import ttLib

    from tutor.cli import main

    if fonts.cjk_font_face() is None:
        pytest.skip("no CJK font installed (e.g. Debian's fonts-noto-cjk)")
    out = tmp_path / "zh"
    r = CliRunner().invoke(main, ["worksheet", "sigmoid", "--lang", "zh", "--seed", "1",
                                  "--format", "pdf", "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = pypdf.PdfReader(str(out / "variant-01.pdf")).pages[0]
    assert "练习卷" in page.extract_text()
    chinese = []
    for font in page["/Resources"]["/Font"].values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        data = descriptor.get_object()["/FontFile2"].get_object().get_data()
        face = ttLib.TTFont(io.BytesIO(data))
        if any(0x4E00 <= cp <= 0x9FFF for cp in face.getBestCmap()):
            chinese.append(face)
    assert len(chinese) == 1
    face = chinese[0]
    assert face["OS/2"].usWeightClass == 400
    assert not face["head"].macStyle & 0b11 and not face["OS/2"].fsSelection & 0b100001
    family = face["name"].getDebugName(1)
    path = fonts.cjk_font_face()[0]
    if path.lower().endswith((".ttc", ".otc")) and len(ttLib.TTCollection(path).fonts) > 1:
        # a collection of regional faces (SC, TC, HK, JP, KR): the Simplified one
        assert re.search(r"\b(SC|CN|GB)\b|Simplified", family), family


def test_a_cjk_font_missing_from_a_stale_font_cache_is_found(tmp_path):
    """matplotlib's font cache written before the CJK fonts were installed (the fonts removed
    from a real cache, the cache dated before the font's folder changed): the tutor rebuilds the
    cache and writes the PDF in Chinese.  The same cache dated after every font folder is believed,
    and the note asks for a font: the rebuild is what finds it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    pypdf = pytest.importorskip("pypdf")
    face = fonts.cjk_font_face()
    if face is None:
        pytest.skip("no CJK font installed (e.g. Debian's fonts-noto-cjk)")
    config = tmp_path / "mpl"
    env = {**os.environ, "MPLCONFIGDIR": str(config), "PYTHONPATH": str(Path.cwd())}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   check=True)
    (cache,) = config.glob("fontlist-*.json")
    listing = json.loads(cache.read_text())
    # every font the tutor would take for Chinese is left out of the cache
    listing["ttflist"] = [e for e in listing["ttflist"] if fonts.rank(SimpleNamespace(
        **{k: v for k, v in e.items() if k != "__class__"}))[0] == len(fonts.CJK_NAMES)]
    stale = json.dumps(listing)
    folder = os.path.getmtime(os.path.dirname(face[0]))

    def pdf_text(cache_time):
        cache.write_text(stale)
        os.utime(cache, (cache_time, cache_time))
        out = tmp_path / f"zh-{int(cache_time)}"
        done = subprocess.run([sys.executable, "-m", "tutor", "worksheet", "sigmoid", "--lang",
                               "zh", "--format", "pdf", "--out", str(out)], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        pages = pypdf.PdfReader(str(out / "variant-01.pdf")).pages
        return pages[0].extract_text(), done.stdout + done.stderr

    text, said = pdf_text(folder - 3600)
    assert text.startswith("练习卷") and "fonts-noto-cjk" not in said
    text, said = pdf_text(time.time() + 3600)  # newer than every font folder
    assert text.startswith("Worksheet") and "fonts-noto-cjk" in said

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

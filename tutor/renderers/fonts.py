"""A font for plot labels in Chinese, found among the fonts matplotlib knows.

matplotlib's default font (DejaVu Sans) has no Chinese characters: labels in Chinese come out
as boxes.  :func:`plot_language` looks for an installed CJK font through matplotlib's own font
manager — by its name first, then by checking that it really has the characters — and when
there is none, says which package to install and lets the plot speak English.
"""

from __future__ import annotations

from tutor.i18n import N_, _, current_language

#: parts of the names of fonts that cover Chinese on Linux, macOS and Windows, best first
#: (the first ones have a bold weight; the last ones are fallbacks with a single weight)
CJK_NAMES = ("Noto Sans CJK", "Source Han Sans", "Noto Sans SC", "WenQuanYi", "Microsoft YaHei",
             "PingFang", "Hiragino Sans GB", "SimHei", "Heiti", "CJK", "Source Han",
             "Noto Serif SC", "WQY", "SimSun", "Songti", "Arial Unicode", "AR PL",
             "Droid Sans Fallback")
#: characters a font must have to count as Chinese (common in this program's labels)
SAMPLE = "导数函数示例点其他变量固定为与和"

#: said once when Chinese output needs a CJK font and none is installed
NO_CJK_NOTE = N_("no font with Chinese characters was found, so pictures and PDF pages are "
                 "labelled in English; install one, e.g. 'fonts-noto-cjk' (Debian, Ubuntu) or "
                 "'google-noto-sans-cjk-fonts' (Fedora)")

_found: dict[str, str | None] = {}
#: the file and face index of the font cjk_font found, for writers that embed it (PDF)
_faces: dict[str, tuple[str, int]] = {}


def cjk_font(sample: str = SAMPLE) -> str | None:
    """The family name of an installed font with every character of ``sample``, or None."""
    if sample in _found:
        return _found[sample]
    from matplotlib import font_manager

    name = _search(font_manager.fontManager.ttflist, sample)
    if name is None and not _refreshed and _fonts_newer_than_cache():
        # a font installed after matplotlib built its cache is not in it yet: rebuild the
        # cache once and look again, rather than ask for a font the user already has
        _refreshed.append(True)
        try:
            font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        except Exception:  # a private function of matplotlib: without it, no second look
            pass
        else:
            name = _search(font_manager.fontManager.ttflist, sample)
    _found[sample] = name
    return name


_refreshed: list = []


def _fonts_newer_than_cache() -> bool:
    """Whether a font folder changed after matplotlib wrote its font cache (a font was
    installed since): only then is the cache worth rebuilding."""
    import glob
    import os

    import matplotlib
    from matplotlib import font_manager

    caches = glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json"))
    if not caches:
        return True
    written = max(os.path.getmtime(c) for c in caches)
    folders = list(getattr(font_manager, "X11FontDirectories", [])) + [
        os.path.expanduser("~/.local/share/fonts"), os.path.expanduser("~/.fonts")]
    for top in folders:
        for folder, _dirs, _files in os.walk(top):
            try:
                if os.path.getmtime(folder) > written:
                    return True
            except OSError:
                continue
    return False
#: parts of the names of the Simplified Chinese faces of font families that have several
_SIMPLIFIED = (" sc", " cn", " gb", "simplified", "simhei", "simsun", "yahei", "pingfang sc")


def rank(entry) -> tuple:
    """How good a CJK font is for Chinese text, smaller first: a known family, then its
    Simplified Chinese face (Noto Sans CJK SC, not JP or HK), then the regular weight and an
    upright style (body text is not set in bold)."""
    name = entry.name.lower()
    hits = [k for k, hint in enumerate(CJK_NAMES) if hint.lower() in name]
    weight = entry.weight if isinstance(entry.weight, (int, float)) else \
        {"normal": 400, "regular": 400, "book": 400, "medium": 500}.get(str(entry.weight), 700)
    return (hits[0] if hits else len(CJK_NAMES),
            0 if any(part in name + " " for part in _SIMPLIFIED) else 1,
            abs(weight - 400), entry.style != "normal", entry.name, entry.fname)


def _search(entries, sample: str) -> str | None:
    from matplotlib import ft2font

    for entry in sorted(entries, key=rank):
        if rank(entry)[0] == len(CJK_NAMES):
            break
        try:
            charmap = ft2font.FT2Font(entry.fname).get_charmap()
        except (OSError, RuntimeError, ValueError):
            continue
        if all(ord(ch) in charmap for ch in sample):
            _faces[sample] = (entry.fname, getattr(entry, "index", 0) or 0)
            return entry.name
    return None


def plot_language() -> tuple[str, dict, str]:
    """(language for the labels, matplotlib rc settings, a note for the user or "").

    English needs nothing.  Chinese needs a CJK font: DejaVu Sans stays first, for Latin
    letters and mathematical signs, and matplotlib falls back to the CJK font glyph by glyph.
    Without one, the labels are drawn in English and the note says what to install."""
    lang = current_language()
    if lang != "zh":
        return lang, {}, ""
    font = cjk_font()
    if font is None:
        return "en", {}, _(NO_CJK_NOTE)
    return lang, {"font.family": ["DejaVu Sans", font]}, ""


def cjk_font_face(sample: str = SAMPLE) -> tuple[str, int] | None:
    """(file, face index in a collection) of the font :func:`cjk_font` finds, or None."""
    if cjk_font(sample) is None:
        return None
    return _faces.get(sample)


def cjk_font_file(sample: str = SAMPLE) -> str | None:
    """The path of the font file :func:`cjk_font` finds (a .ttf, .otf or .ttc), or None."""
    face = cjk_font_face(sample)
    return face[0] if face else None

import os

import pytest

# plots in tests never need a screen
os.environ.setdefault("MPLBACKEND", "Agg")

# the program speaks the locale's language: the tests expect English unless they ask
for _var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
    os.environ.pop(_var, None)
os.environ["LANG"] = "C.UTF-8"


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    from tutor.i18n import set_language

    set_language("en")


class _MoveStopper:
    """Stops a set of files half-way through its move into place: the journal is written, one
    file is moved, and the next move raises KeyboardInterrupt, as if the process stopped."""

    def __init__(self, monkeypatch):
        self.monkeypatch, self.real, self.moved = monkeypatch, os.replace, []

    def _replace(self, src, dst):
        from tutor.files import JOURNAL

        if str(src).endswith(JOURNAL + ".tmp"):
            return self.real(src, dst)
        if self.moved:
            raise KeyboardInterrupt  # the process stops here
        self.moved.append(dst)
        return self.real(src, dst)

    def arm(self):
        self.monkeypatch.setattr(os, "replace", self._replace)

    def disarm(self):
        self.monkeypatch.setattr(os, "replace", self.real)


@pytest.fixture
def stop_the_move(monkeypatch):
    return _MoveStopper(monkeypatch)


@pytest.fixture
def chinese_pdflatex():
    """The path of pdflatex when it can set Chinese (the CJK package and its Song font, which
    Debian ships apart from the package), or the test is skipped saying what is missing."""
    import shutil
    import subprocess

    pdflatex, kpsewhich = shutil.which("pdflatex"), shutil.which("kpsewhich")
    if pdflatex is None or kpsewhich is None:
        pytest.skip("pdflatex is not installed")
    for needed, package in (("CJKutf8.sty", "latex-cjk-chinese"),
                            ("gbsnu80.tfm", "latex-cjk-chinese-arphic-gbsn00lp")):
        found = subprocess.run([kpsewhich, needed], capture_output=True, text=True)
        if not found.stdout.strip():
            pytest.skip(f"LaTeX cannot set Chinese: {needed} is missing (Debian: {package})")
    return pdflatex

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

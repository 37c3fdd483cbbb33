"""The language the program speaks: English, or Chinese from a gettext catalog.

Fixed texts (rule names, table headings, verdicts, error messages) are written in English in
the code and marked ``_("…")``; :func:`_` looks them up in the catalog of the current language
(``tutor/locale/<lang>/LC_MESSAGES/tutor.mo``, compiled from the ``.po`` beside it) and falls
back to the English text when the catalog has no entry.  Lessons carry their own narrative in
each language (see ``lessons/README.md``).  Mathematics and numbers are never translated.

The current language is process-wide: the command line sets it once, from ``--lang`` or from
the user's locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), before anything is said.
"""

from __future__ import annotations

import gettext
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Mapping

#: the languages with a complete catalog; English is the source language
LANGUAGES = ("en", "zh")
DOMAIN = "tutor"
LOCALE_DIR = Path(__file__).parent / "locale"

_state = {"lang": "en", "catalog": gettext.NullTranslations()}


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language named by the locale variables, as POSIX ranks them; English if unknown."""
    environ = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def set_language(lang: str | None) -> str:
    """Speak ``lang`` from now on (``None``: as the environment says).  Returns the language."""
    lang = language_from_environment() if lang is None else lang
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    _state["lang"] = lang
    _state["catalog"] = (gettext.NullTranslations() if lang == "en" else
                         gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True))
    return lang


def current_language() -> str:
    return _state["lang"]


@contextmanager
def speaking(lang: str):
    """Speak ``lang`` inside the block, then the language before it again."""
    before = _state["lang"]
    set_language(lang)
    try:
        yield
    finally:
        set_language(before)


def _(message: str) -> str:
    """``message`` in the current language (the English text when there is no translation)."""
    return _state["catalog"].gettext(message)


def N_(message: str) -> str:
    """Marks a text for the catalog where it is defined (a table); translated where it is used."""
    return message



class Phrase(str):
    """A text kept in English together with what fills it, translated only when it is shown.

    As a ``str`` it is the English text (what JSON and scripts read); :func:`shown` gives it in
    the current language.  The template is marked ``N_`` where the phrase is made, and values
    that are phrases themselves are translated with it::

        Phrase(N_("{name} (backward)"), name="J")
    """

    template: str
    values: dict

    def __new__(cls, template: str, **values):
        phrase = super().__new__(cls, template.format(**values) if values else template)
        phrase.template, phrase.values = template, values
        return phrase

    def translated(self) -> str:
        values = {k: shown(v) for k, v in self.values.items()}
        return _(self.template).format(**values) if values else _(self.template)


def shown(text):
    """``text`` in the current language: a :class:`Phrase` translated, anything else as it is."""
    return text.translated() if isinstance(text, Phrase) else text

"""The tutor from Python: one function per command, keyword for option.

    >>> import tutor
    >>> e = tutor.explain("sigmoid", at={"z": [-2, 0, 2]})    # tutor explain sigmoid --at z=-2,0,2
    >>> v = tutor.check("sigmoid", "exp(-z)/(1+exp(-z))^2")  # tutor check sigmoid "…"
    >>> bp = tutor.backprop("neuron")                        # tutor backprop neuron
    >>> J = tutor.jacobian("softmax")                        # tutor backprop jacobian softmax
    >>> run = tutor.train("linear_regression", synthetic=True, true_w=[2, -3.4], true_b=4.2,
    ...                   batch_size=10, lr=0.03, epochs=3)
    >>> race = tutor.descend("rosenbrock", optimizer="sgd,momentum,adam")
    >>> ws = tutor.worksheet("sigmoid", "softmax", variants=3, seed=7)
    >>> print(tutor.render(e, "markdown"))                   # text, markdown, latex, json, html

Each returns the object the command renders; in a notebook it shows itself (HTML with MathML
and inline pictures).  Bad input raises :class:`tutor.TutorError` with the line the command
line prints, naming the parameter where the command line names its option.
``tutor.set_language("zh")`` speaks Chinese from then on.
"""

from __future__ import annotations

from tutor.requests.backprop import backprop, jacobian
from tutor.requests.check import check
from tutor.requests.descend import descend
from tutor.requests.explain import explain
from tutor.requests.train import train

__all__ = ["explain", "check", "backprop", "jacobian", "train", "descend", "worksheet",
           "render", "set_language"]


def worksheet(*lessons, problems: int = 6, variants: int = 1, seed: int = 0, kinds=None,
              out: str | None = None, formats=(), exports=(), title: str | None = None,
              fields=(), space: int = 0, force: bool = False):
    """Exercise sheets from lessons, each variant with its own numbers, with answer keys.

    ``lessons`` are lessons' names (``"sigmoid", "softmax"``); ``problems`` per sheet (1 to 40);
    ``variants`` different sheets (1 to 500); the same ``seed`` gives the same sheets; ``kinds``
    keeps only these kinds of problem ("derive", "evaluate", "gd_step", "backward",
    "mistake").  With ``out`` (a folder) the files are written as ``tutor worksheet --out``
    writes them: ``formats`` ("md", "tex", "html", "pdf"; default all), ``exports``
    ("moodle", "gift", or "stack": STACK questions marked by Maxima), the sheets' ``title``,
    header ``fields`` ("Course", "Date=12 May"), ``space`` lines after each problem; ``force``
    replaces an earlier run's files.
    """
    from tutor.assessment.worksheet import check_counts
    from tutor.requests.worksheet import worksheet as make

    folder = None
    if out is not None:
        from tutor.renderers.assessment.files import check_folder

        check_counts(problems, variants)
        folder = check_folder(out, force=force)
    wanted = tuple(dict.fromkeys([exports] if isinstance(exports, str) else exports))
    ws = make(*lessons, problems=problems, variants=variants, seed=seed, kinds=kinds,
              common_mistakes="stack" in wanted)
    if folder is not None:
        from tutor.renderers.assessment.files import FORMATS, render_files, write_files
        from tutor.renderers.assessment.sheet import page

        chosen = tuple(dict.fromkeys([formats] if isinstance(formats, str) else formats)) or FORMATS
        files = render_files(ws, chosen, wanted, page(title, fields, space))
        write_files(folder, files, force=force)
    return ws


def render(obj, fmt: str = "text") -> str:
    """Any result as a string: ``fmt`` is "text" (as the terminal shows it), "markdown",
    "latex", "json" (as ``--format json`` prints it) or "html" (as a notebook shows it).
    Not every result has every format: an explanation has all five, a training run and a
    race of optimizers text, json and html."""
    from tutor.renderers.formats import render as draw

    return draw(obj, fmt)


def set_language(lang: str | None = None) -> str:
    """Speak ``lang`` ("en" or "zh") from now on: messages, tables and lessons' narrative;
    ``None`` takes the language of the locale (LANG, LC_ALL).  Returns the language."""
    from tutor.errors import ParameterError
    from tutor.i18n import LANGUAGES, _, set_language as choose

    if lang is not None and lang not in LANGUAGES:
        raise ParameterError("lang", _("{param} {value}: the languages are {names}"),
                             value=repr(lang), names=", ".join(LANGUAGES))
    return choose(lang)

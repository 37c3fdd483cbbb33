"""Any result in any of its formats, as a string: the one table of which renderer writes
which kind of result in which format (text, markdown, latex, json, html).  The Python API's
``tutor.render`` and a notebook's display both read it."""

from __future__ import annotations

import io

from tutor.errors import ParameterError
from tutor.i18n import _

FORMATS = ("text", "markdown", "latex", "json", "html")
#: the width of the text a notebook shows (as the README shows the terminal)
TEXT_WIDTH = 100


def _console():
    from rich.console import Console

    from tutor.renderers.console import _Trimmed

    buffer = io.StringIO()

    class Into(_Trimmed):
        @property
        def stream(self):
            return buffer

        def isatty(self) -> bool:
            return False

        def fileno(self) -> int:
            raise OSError("not a file")

    return Console(file=Into(), width=TEXT_WIDTH, highlight=False, force_jupyter=False,
                   force_terminal=False, color_system=None), buffer


def _text(draw):
    def render(obj) -> str:
        console, buffer = _console()
        draw(console, obj)
        console.file.flush()
        return buffer.getvalue()

    return render


# -- each kind of result, its formats ------------------------------------------------------
def _explanation():
    from tutor.renderers import html
    from tutor.renderers.explaining import json, latex, markdown
    from tutor.renderers.explaining.text import TextRenderer

    return {"text": _text(lambda c, e: TextRenderer(c).render(e)),
            "markdown": markdown.explanation_markdown, "latex": latex.explanation_latex,
            "json": json.explanation_json, "html": html.explanation_html}


def _derivation():
    from tutor.renderers import html
    from tutor.renderers.checking.text import derivation_table
    from tutor.renderers.explaining import latex, markdown

    return {"text": _text(lambda c, d: c.print(derivation_table(d))),
            "markdown": markdown.derivation_markdown,
            "latex": lambda d: "$$" + latex.derivation_latex(d) + "$$",
            "html": html.derivation_fragment}


def _checked():
    from tutor.renderers import html
    from tutor.renderers.checking.text import check_json, render_claim, render_verdict

    def text(c, checked):
        if checked.verdict is not None:
            render_verdict(checked.verdict, c)
        if checked.claim is not None:
            if checked.verdict is not None:
                c.print()
            render_claim(checked.claim, c)

    return {"text": _text(text), "json": lambda k: check_json(k.verdict, k.claim),
            "html": html.checked_html}


def _backprop():
    from tutor.renderers import html
    from tutor.renderers.backpropagation.json import backprop_json
    from tutor.renderers.backpropagation.text import BackpropRenderer

    return {"text": _text(lambda c, bp: BackpropRenderer(c).render(bp)), "json": backprop_json,
            "html": html.backprop_html}


def _topic():
    from tutor.renderers import html
    from tutor.renderers.backpropagation.json import topic_json
    from tutor.renderers.backpropagation.text import TopicRenderer

    return {"text": _text(lambda c, t: TopicRenderer(c).render(t)), "json": topic_json,
            "html": html.topic_html}


def training_text(console, run) -> None:
    """A finished run as the terminal shows it: header, loss chart, result, sweep."""
    from tutor.renderers.training import text as train_text

    s, outcome = run.session, run.outcome
    train_text.header(console, s.model, s.settings, s.bound, s.samples,
                      train_text.data_origin(s))
    if outcome.trace:
        train_text.trace(console, outcome.trace, s.settings.lr, outcome.history.steps,
                         plain=train_text.plain_descent(s.settings))
    train_text.result(console, s.model, outcome.history, outcome.comparison, s.bound,
                      outcome.advice, outcome.unfinished)
    if run.swept is not None:
        train_text.sweep_table(console, run.swept, s.settings.reduce)


def _training():
    from tutor.renderers import html
    from tutor.renderers.training.json import history_json

    def json(run) -> str:
        s, o = run.session, run.outcome
        return history_json(s.model, o.history, o.comparison, s.bound, o.advice, o.unfinished,
                            o.trace, run.swept)

    return {"text": _text(training_text), "json": json, "html": html.training_html}


def _race():
    from tutor.renderers import html
    from tutor.renderers.training.descend import as_json, race_text

    return {"text": _text(race_text), "json": lambda r: as_json(r.problem, r.runs, r.tol),
            "html": html.race_html}


def _worksheets():
    from tutor.assessment.key import dumps, worksheets_key
    from tutor.renderers import html
    from tutor.renderers.assessment.latex import sheet_latex
    from tutor.renderers.assessment.markdown import sheet_markdown

    def every(render):
        return lambda ws: "\n".join(render(sheet) for sheet in ws.sheets)

    return {"text": every(sheet_markdown), "markdown": every(sheet_markdown),
            "latex": lambda ws: sheet_latex(ws.sheets[0]), "json": lambda ws: dumps(worksheets_key(ws)),
            "html": html.worksheets_html}


#: each kind of result by the module and name of its class, and its formats
KINDS = {
    ("tutor.explaining.explanation", "Explanation"): _explanation,
    ("tutor.calculus.steps", "Derivation"): _derivation,
    ("tutor.requests.check", "Checked"): _checked,
    ("tutor.backpropagation.backprop", "Backprop"): _backprop,
    ("tutor.backpropagation.jacobian", "Topic"): _topic,
    ("tutor.requests.train", "TrainingRun"): _training,
    ("tutor.requests.descend", "Race"): _race,
    ("tutor.assessment.problems", "Worksheets"): _worksheets,
}


def formats_of(obj) -> dict:
    """The formats ``obj`` can be rendered in, each with its renderer ({} for none)."""
    for cls in type(obj).__mro__:
        make = KINDS.get((cls.__module__, cls.__name__))
        if make is not None:
            return make()
    return {}


def render(obj, fmt: str = "text") -> str:
    """``obj`` (a result of explain, check, backprop, jacobian, train, descend or worksheet) as a
    string in the format ``fmt``."""
    available = formats_of(obj)
    if not available:
        raise ParameterError("obj", _("{param}: a {kind} is not a result the tutor renders"),
                             kind=type(obj).__name__)
    if fmt not in available:
        raise ParameterError("fmt", _("{param} {format}: a {kind} is rendered as {formats}"),
                             format=repr(fmt), kind=type(obj).__name__,
                             formats=", ".join(f for f in FORMATS if f in available))
    return available[fmt](obj)

"""Every result as an HTML fragment, for a notebook cell: self-contained (a style in the
fragment, pictures as inline SVG, mathematics as MathML), no script, in the current language.

The colours follow the page: text and rules are ``currentColor`` (or inherit), so the same
fragment reads in a light and a dark theme; only the marks ✓ and ✗ have a colour of their own,
one that reads on both.  The tables and sentences are the ones the terminal shows: the text
renderers lay them out for a recording console, and each is written here as HTML, so a
notebook says what the terminal says, in the same words.
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from tutor.i18n import _, current_language
from tutor.renderers.prose import Prose, plain

STYLE = """
.tutor-result { color: inherit; font-family: inherit; line-height: 1.45; max-width: 72rem; }
.tutor-result h3, .tutor-result h4 { margin: 0.8em 0 0.3em; }
.tutor-result table { border-collapse: collapse; margin: 0.3em 0 0.6em; color: inherit;
  background: transparent; }
.tutor-result th, .tutor-result td { padding: 0.15em 0.7em; border: none; text-align: left;
  color: inherit; background: transparent; }
.tutor-result thead th { border-bottom: 1px solid currentColor; }
.tutor-result td.num, .tutor-result th.num { text-align: right;
  font-variant-numeric: tabular-nums; }
.tutor-result .dim { opacity: 0.7; }
.tutor-result .ok { color: #2f9e44; font-weight: bold; }
.tutor-result .bad { color: #e03131; font-weight: bold; }
.tutor-result .note { color: #d9480f; }
.tutor-result .side { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.tutor-result ol.steps { margin: 0.2em 0; padding-left: 2.2em; }
.tutor-result ol.steps li { margin: 0.25em 0; }
.tutor-result .rule { opacity: 0.75; font-style: italic; margin-left: 0.8em; }
.tutor-result figure { margin: 0.5em 0; }
.tutor-result figure svg { max-width: 100%; height: auto; border-radius: 4px; }
.tutor-result .side figure { flex: 1 1 24em; max-width: 34em; }
.tutor-result .side figure svg { width: 100%; }
.tutor-result .gap { height: 0.6em; }
.tutor-result .meta span + span { margin-left: 1.5em; }
.tutor-result pre { color: inherit; background: transparent; }
.tutor-result div.line, .tutor-result td { white-space: pre-wrap; }
.tutor-result math { font-size: 1.15em; }
"""

_MARKS = {"green": "ok", "red": "bad", "yellow": "note", "dim": "dim"}


def fragment(body: str) -> str:
    """``body`` in the result's frame: one block with its style, in the current language."""
    return (f'<div class="tutor-result" lang="{current_language()}">'
            f"<style>{STYLE}</style>{body}</div>")


# -- what the terminal shows, as HTML -------------------------------------------------------
class Recorder(Console):
    """A console that keeps what the text renderers print, to be written as HTML."""

    def __init__(self, width: int = 100):
        super().__init__(file=io.StringIO(), width=width, highlight=False, force_jupyter=False,
                         force_terminal=False, color_system=None)
        self.printed: list = []

    def print(self, *objects, **kwargs):  # noqa: A003 (rich's name)
        self.printed.extend(objects if objects else [Text("")])


def _classes(style) -> str:
    words = str(style or "").split()
    found = [_MARKS[w] for w in words if w in _MARKS]
    return " ".join(dict.fromkeys(found))


def _text(t: Text) -> str:
    """A rich Text: its spans with their marks (bold, green ✓, red ✗, dim)."""
    out = []
    pieces = t.divide(sorted({s.start for s in t.spans} | {s.end for s in t.spans}))
    for piece in pieces:
        content = html.escape(piece.plain)
        styles = " ".join(str(s.style) for s in piece.spans) + " " + str(t.style or "")
        if not content:
            continue
        cls = _classes(styles)
        if "bold" in styles.split():
            content = f"<strong>{content}</strong>"
        if "italic" in styles.split():
            content = f"<em>{content}</em>"
        out.append(f'<span class="{cls}">{content}</span>' if cls else content)
    return "".join(out).replace("\n", "<br/>")


def _cell(value) -> str:
    if isinstance(value, Text):
        return _text(value)
    if isinstance(value, str):
        return html.escape(value)
    return piece(value)


_NUMBER = re.compile(r"^[−\-+]?[\d.,]+(e[−\-+]?\d+)?$|^—$|^∞$|^−∞$")


def _table(t: Table) -> str:
    columns = t.columns
    rows = max((len(c._cells) for c in columns), default=0)
    # a table the terminal shows under a title of its own (printed before it) has that title
    # as ``title_text``; rich's own title is written here
    title = t.title if isinstance(t.title, str) else None
    out = []
    if title:
        out.append(f"<h4>{html.escape(str(title))}</h4>")
    out.append("<table>")
    if t.show_header and any(_cell(c.header) for c in columns):
        out.append("<thead><tr>" + "".join(
            f'<th class="{"num" if c.justify == "right" else ""}">{_cell(c.header)}</th>'
            for c in columns) + "</tr></thead>")
    out.append("<tbody>")
    for r in range(rows):
        cells = []
        for c in columns:
            value = c._cells[r] if r < len(c._cells) else ""
            shown = _cell(value)
            plain_value = value.plain if isinstance(value, Text) else str(value)
            right = c.justify == "right" or _NUMBER.match(plain_value.strip() or "x")
            cls = " ".join(x for x in ("num" if right else "", _classes(c.style)) if x)
            cells.append(f'<td class="{cls}">{shown}</td>' if cls else f"<td>{shown}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def piece(obj) -> str:
    """One thing a text renderer printed, as HTML."""
    if isinstance(obj, Table):
        return _table(obj)
    if isinstance(obj, Text):
        if not obj.plain.strip():
            return '<div class="gap"></div>'  # an empty line between parts
        return f'<div class="line">{_text(obj)}</div>'
    if isinstance(obj, Prose):
        return f'<p class="{_classes(obj.style)}">{html.escape(plain(obj.marked))}</p>'
    if isinstance(obj, Group):
        return "".join(piece(r) for r in obj.renderables)
    if isinstance(obj, str):
        return f"<div>{html.escape(obj)}</div>" if obj.strip() else ""
    return f"<pre>{html.escape(str(obj))}</pre>"


def recorded(draw, *, leave_out=()) -> str:
    """What ``draw(console)`` prints, as HTML (but the texts in ``leave_out``, shown another
    way)."""
    console = Recorder()
    draw(console)
    return "".join(piece(p) for p in console.printed
                   if not (isinstance(p, Text) and p.plain in leave_out))


# -- mathematics as MathML ------------------------------------------------------------------
def math(expr) -> str:
    """``expr`` as inline MathML."""
    from tutor.renderers.assessment.html import mathml

    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{mathml(expr)}</math>'


def _step_math(step) -> str:
    from tutor.renderers.assessment.html import mathml

    after = mathml(step.after)
    if step.is_rewrite:
        body = f"<mo>=</mo>{after}"
    else:
        import sympy

        before = mathml(sympy.Derivative(step.before, step.wrt, evaluate=False))
        body = f"{before}<mo>=</mo>{after}"
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def derivation_html(d) -> str:
    """A derivation as numbered steps (sub-steps indented under their step), each with its
    rule, as the terminal numbers them."""
    from tutor.renderers.notation import RULE_NAMES, visible_steps

    rows = []
    for depth, step in visible_steps(d):
        where = "".join("; " + html.escape(_("where {binding}")).format(
            binding=math_pair(sym, expr)) for sym, expr in step.bindings)
        note = f' <span class="dim">({html.escape(step.note)})</span>' if step.note else ""
        rule = html.escape(_(RULE_NAMES.get(step.rule, step.rule)))
        rows.append(f'<li style="margin-left:{1.6 * depth:.1f}em">{_step_math(step)}'
                    f'<span class="rule">{rule}</span>{where}{note}</li>')
    return '<ol class="steps">' + "".join(rows) + "</ol>"


def math_pair(sym, expr) -> str:
    from tutor.renderers.assessment.html import mathml

    return (f'<math xmlns="http://www.w3.org/1998/Math/MathML">{mathml(sym)}<mo>=</mo>'
            f"{mathml(expr)}</math>")


def derivation_fragment(d) -> str:
    return fragment(derivation_html(d))


def _partial(d) -> str:
    from tutor.renderers.assessment.html import mathml
    from tutor.renderers.notation import display_name

    top = f"<mrow><mo>∂</mo><mi>{html.escape(display_name(d.name))}</mi></mrow>"
    return (f'<math xmlns="http://www.w3.org/1998/Math/MathML"><mfrac>{top}'
            f"<mrow><mo>∂</mo>{mathml(d.wrt)}</mrow></mfrac></math>")


def explanation_html(exp) -> str:
    """An explanation: each derivative's steps beside its numbers, with the mathematics in
    MathML, and the verdict against finite differences."""
    from tutor.renderers.explaining.text import TextRenderer
    from tutor.renderers.notation import paragraph
    from tutor.renderers.numbers import agreement_sentence, numeric_rows

    lesson = exp.lesson
    out = [f"<h3>{html.escape(lesson.title)}</h3>"]
    if lesson.is_vector:
        out.append(f"<p><code>{html.escape(lesson.function_name)}_i = "
                   f"{html.escape(lesson.expression_text)}</code></p>")
    else:
        from tutor.renderers.notation import function_label

        out.append(f"<p>{html.escape(function_label(lesson))} = {math(lesson.outputs[0])}</p>")
    if lesson.summary:
        out.append(f"<p><em>{html.escape(lesson.summary)}</em></p>")
    if exp.chosen:
        chosen = _("values chosen for you, where the function is defined and smooth (no kink, "
                   "no pole): {names}").format(names=", ".join(exp.chosen))
        out.append(f'<p class="dim">{html.escape(chosen)}</p>')
    if lesson.text.get("intro"):
        out.append(f"<p>{html.escape(paragraph(lesson.text['intro']))}</p>")
    for item in TextRenderer(Recorder()).items_to_show(exp):
        d = item.derivation
        check = item.numeric
        cols = list(check.at)
        head = "".join(f'<th class="num">{html.escape(c)}</th>' for c in cols) + "".join(
            f'<th class="num">{html.escape(h)}</th>' for h in
            (_("value"), _("derivative"), _("finite diff."), _("rel. error")))
        body = "".join("<tr>" + "".join(f'<td class="num">{html.escape(v)}</td>' for v in row)
                       + "</tr>" for row in numeric_rows(check, cols))
        sentence, good = agreement_sentence(check, d.wrt.name, lambda n: n)
        mark = "ok" if good else "bad"
        out.append(f"<h4>{_partial(d)}</h4>")
        out.append('<div class="side"><div>' + derivation_html(d)
                   + f"<p>{html.escape(_('Result: {result}')).format(result=math(d.result))}</p>"
                   + f"</div><div><table><thead><tr>{head}</tr></thead><tbody>{body}"
                   f'</tbody></table><p class="{mark}">{html.escape(plain(sentence))}</p>'
                   "</div></div>")
    if lesson.is_vector or len(exp.items) > len(TextRenderer(Recorder()).items_to_show(exp)):
        out.append(recorded(lambda c: c.print(TextRenderer(c).summary_table(exp))))
    if lesson.general_text:
        out.append(f"<p><strong>{html.escape(_('general form'))}</strong> "
                   f"<code>∂{html.escape(lesson.function_name)}_i/∂z_j = "
                   f"{html.escape(lesson.general_text)}</code>"
                   + (f" — {html.escape(lesson.matrix_text)}" if lesson.matrix_text else "")
                   + "</p>")
    for key, heading in (("batch", _("over a batch")), ("insight", _("insight"))):
        if lesson.text.get(key):
            out.append(f"<p><strong>{html.escape(heading)}</strong> "
                       f"{html.escape(paragraph(lesson.text[key]))}</p>")
    return fragment("".join(out))


# -- checking -------------------------------------------------------------------------------
def checked_html(checked) -> str:
    """A check's verdicts with their diagnosis, as the terminal words them, and the expected
    derivative in MathML."""
    from tutor.renderers.checking.text import render_claim, render_verdict

    out = []
    if checked.verdict is not None:
        v = checked.verdict
        out.append(recorded(lambda c: render_verdict(v, c)))
        out.append(f"<p>{html.escape(_('expected'))}: {math(v.expected)}</p>")
    if checked.claim is not None:
        out.append(recorded(lambda c: render_claim(checked.claim, c)))
    return fragment("".join(out))


# -- backpropagation ------------------------------------------------------------------------
def svg_of(draw, suffix: str = ".svg") -> list[str]:
    """The SVG pictures ``draw(path)`` writes (it returns the paths it wrote, or None for
    ``path`` alone), read back without their XML prologue, ready to be inlined."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "picture" + suffix)
        written = draw(path) or [path]
        pictures = []
        for p in written:
            if os.path.exists(p):
                with open(p, encoding="utf-8") as f:
                    svg = f.read()
                svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg[svg.index("<svg"):],
                             flags=re.S)
                pictures.append(svg)
    return pictures


def backprop_html(bp) -> str:
    """A backward pass: the forward and backward tables, the gradients checked, and the graph
    as an inline SVG."""
    from tutor.renderers.backpropagation.plot import plot_graph
    from tutor.renderers.backpropagation.text import BackpropRenderer

    tables = recorded(lambda c: BackpropRenderer(c).render(bp))
    pictures = svg_of(lambda path: (plot_graph(bp, path), None)[1])
    figure = "".join(f"<figure>{p}</figure>" for p in pictures)
    return fragment(tables + figure)


def topic_html(topic) -> str:
    """A vector or matrix topic: matrices as tables, sentences and checks; a deep network's
    runs also as their picture (the gradient's size layer by layer), an inline SVG."""
    from tutor.renderers.backpropagation.text import TopicRenderer

    body = recorded(lambda c: TopicRenderer(c).render(topic))
    runs = getattr(topic, "runs", None)
    if runs:
        from tutor.renderers.backpropagation.deep_plot import plot_deep

        pictures = svg_of(lambda path: (plot_deep(runs, path), None)[1])
        body += "".join(f"<figure>{p}</figure>" for p in pictures)
    return fragment(body)


# -- training -------------------------------------------------------------------------------
def training_html(run) -> str:
    """A training run: its summary, the loss curve and the landscape with the descent's path
    as inline SVG."""
    from tutor.renderers.training import text as train_text
    from tutor.renderers.training.plot import plot_training

    s, outcome = run.session, run.outcome

    def summary(c):
        train_text.header(c, s.model, s.settings, s.bound, s.samples, train_text.data_origin(s))
        train_text.result(c, s.model, outcome.history, outcome.comparison, s.bound,
                          outcome.advice, outcome.unfinished)
        if run.swept is not None:
            train_text.sweep_table(c, run.swept, s.settings.reduce)

    # the loss per epoch is drawn below; the terminal's text chart of it is left out
    body = recorded(summary, leave_out={train_text.loss_chart(outcome.history)})
    if outcome.history.epochs:
        pictures = svg_of(lambda path: plot_training(path, s.model, outcome.history, run.fit,
                                                     run.landscape))
        body += '<div class="side">' + "".join(f"<figure>{p}</figure>" for p in pictures) + "</div>"
    return fragment(body)


def race_html(race) -> str:
    """A race of optimisers: the function, the first steps, how each run ended, and every path
    on one figure as an inline SVG (when the race holds its picture)."""
    from tutor.renderers.training.descend import plot_race, race_text

    body = recorded(lambda c: race_text(c, race))
    if race.picture is not None:
        pictures = svg_of(lambda path: (plot_race(path, race.picture, race.runs,
                                                  race.problem.title), None)[1])
        body += "".join(f"<figure>{p}</figure>" for p in pictures)
    return fragment(body)


# -- worksheets -----------------------------------------------------------------------------
def worksheets_html(ws) -> str:
    """The first variant's sheet (the others differ in their numbers)."""
    from tutor.renderers.assessment.html import _body

    sheet = ws.sheets[0]
    _title, body = _body(sheet, False)
    return fragment(body)


def explanation_plot_html(exp, data) -> str:
    """An explanation with its plot (f and each derivative, its points marked) as an inline
    SVG; ``data`` are the curves ``tutor.explaining.explanation.curves`` computed."""
    from tutor.renderers.explaining.plot import plot_explanation

    pictures = svg_of(lambda path: (plot_explanation(exp, data, path), None)[1])
    figure = "".join(f"<figure>{p}</figure>" for p in pictures)
    body = explanation_html(exp)
    return body[:-len("</div>")] + figure + "</div>"

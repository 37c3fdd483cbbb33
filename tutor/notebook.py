"""The tutor in IPython and Jupyter: every result shows itself (HTML with MathML and inline
pictures), and ``%load_ext tutor`` gives ``%tutor explain sigmoid --at z=1,2``: the command
line's own syntax, run by the command line itself, in the notebook's language.

A command that computes a result (explain, check, backprop, train, descend, worksheet) shows
it as the notebook shows every result: HTML with MathML and inline pictures, in the language
the command spoke.  With ``--format`` (json, markdown, latex), with files to write (``--plot``,
``--dot``, ``--animate``, a worksheet's folder), and for the other commands, the text the
terminal would show is printed.  Bad input is one line on standard error, as on the
command line, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import sys


class Shown:
    """What a ``%tutor`` line computed, drawn in the language its command spoke: ``result``
    is the object (the same a Python call returns), shown as HTML and as text."""

    def __init__(self, result, bundle: dict):
        self.result, self._bundle = result, bundle

    def _repr_mimebundle_(self, include=None, exclude=None):
        return dict(self._bundle)

    def __repr__(self) -> str:
        return self._bundle.get("text/plain", "")


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:  # an unclosed quote
        raise SystemExit(_refuse(str(exc)))


def _refuse(problem: str) -> int:
    from tutor.i18n import _

    print(_("error: {message}").format(message=problem), file=sys.stderr)
    return 2


def run_line(line: str):
    """Run one ``%tutor`` line; returns what the cell shows (or None)."""
    from tutor.cli import main
    from tutor.cli.base import LAST
    from tutor.i18n import current_language, set_language, speaking

    try:
        args = _words(line)
    except SystemExit:
        return None
    before = current_language()
    args = args or ["--help"]
    if args[0] in main.commands and not any(a.split("=")[0] == "--lang" for a in args):
        args = [args[0], "--lang", before, *args[1:]]  # the notebook's language
    # a format asked for, help, or files written (a plot, sheets): the terminal's text, which
    # says where the files went
    wants_text = args[:1] == ["worksheet"] or any(
        a.split("=")[0] in ("--format", "-h", "--help", "--plot", "--dot", "--animate")
        for a in args)
    LAST[0] = None
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            main.main(args, prog_name="tutor", standalone_mode=False)
    except SystemExit:
        pass  # the command said what was wrong (one line on standard error) or how it ended
    finally:
        spoken = current_language()
        set_language(before)
    result, LAST[0] = LAST[0], None
    if result is None or wants_text:
        sys.stdout.write(out.getvalue())
        return None
    from tutor.renderers.formats import formats_of

    formats = formats_of(result)
    with speaking(spoken):
        bundle = {"text/plain": out.getvalue().rstrip("\n") or repr(result)}
        if "html" in formats:
            bundle["text/html"] = formats["html"](result)
    return Shown(result, bundle)


def show_in_notebooks(ip=None) -> None:
    """In IPython/Jupyter, show every result as HTML (MathML, inline SVG), with LaTeX for a
    derivation and Markdown for an explanation where a front end prefers them, and as the
    terminal's text in a plain console.

    Registered by the classes' names, so nothing heavy is imported until a result is
    displayed; the data classes stay free of any display code (:mod:`tutor.renderers.formats`
    holds which renderer draws what)."""
    if ip is None:
        try:
            ip = sys.modules["IPython"].get_ipython()
        except (KeyError, AttributeError):
            return
    if ip is None:
        return
    from tutor.renderers.formats import KINDS

    formatters = ip.display_formatter.formatters
    for (module, name), _kind in KINDS.items():
        formatters["text/html"].for_type_by_name(module, name, _drawing("html"))
        formatters["text/plain"].for_type_by_name(module, name, _pretty)
    formatters["text/latex"].for_type_by_name("tutor.calculus.steps", "Derivation",
                                              _drawing("latex"))
    formatters["text/markdown"].for_type_by_name("tutor.explaining.explanation", "Explanation",
                                                 _drawing("markdown"))


def _drawing(fmt: str):
    def draw(obj):
        from tutor.renderers.formats import render

        return render(obj, fmt)

    return draw


def _pretty(obj, p, cycle) -> None:
    from tutor.renderers.formats import render

    p.text(render(obj, "text").rstrip("\n"))


def load_ipython_extension(ip) -> None:
    """``%load_ext tutor``: the ``%tutor`` line magic, and every result shown as HTML."""
    def tutor(line):
        """Run a tutor command in the cell: ``%tutor explain sigmoid --at z=1,2``
        (the command line's syntax; ``%tutor --help`` lists the commands)."""
        return run_line(line)

    show_in_notebooks(ip)
    ip.register_magic_function(tutor, magic_kind="line", magic_name="tutor")

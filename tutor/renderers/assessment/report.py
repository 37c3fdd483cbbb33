"""What ``tutor worksheet`` and ``tutor grade`` say in the terminal: the files written, one
student's marks as a table or JSON, a class's scores."""

from __future__ import annotations

import json
import os

import click
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tutor.renderers.console import console as new_console
from tutor.assessment.kinds import KINDS
from tutor.i18n import _


#: how each status of a mark is shown
MARKS = {"right": "[green]✓[/green]", "partly": "[yellow]½[/yellow]",
         "wrong": "[red]✗[/red]", "missing": "[red]–[/red]"}


def written_summary(out: str, ws, formats: tuple[str, ...], files) -> None:
    """The sheets, keys and exports just written to ``out``, and how to grade them."""
    variants, problems = len(ws.sheets), ws.problems
    first, last = ws.sheets[0], ws.sheets[-1]
    width = max(2, len(str(variants)))

    def stem(s):
        return f"variant-{s.variant:0{width}d}"

    fmt = formats[0]
    sheets = (_("{n} sheets") if variants > 1 else _("{n} sheet")).format(n=variants)
    keys = (_("{n} answer keys") if variants > 1 else _("{n} answer key")).format(n=variants)
    in_formats = (_("{n} formats") if len(formats) > 1 else _("{n} format")).format(n=len(formats))
    click.echo(_("wrote {sheets} × {problems} problems in {formats} ({names}) + {keys} + key.json")
               .format(sheets=sheets, problems=problems, formats=in_formats,
                       names=", ".join(formats), keys=keys))
    shown = os.path.join(out, f"{stem(first)}.{fmt}")
    if variants > 1:
        shown += f" … {stem(last)}.{fmt}"
    click.echo(f"{shown}   {os.path.join(out, 'answers', stem(first) + '.' + fmt)} …")
    for name, what in (("quiz.xml", "Moodle XML"), ("quiz.gift", "GIFT"),
                       ("stack.xml", "STACK (Moodle XML)")):
        if name in files:
            click.echo(_("{format} for import: {path}").format(format=what,
                                                               path=os.path.join(out, name)))
    click.echo(_("grade with: {command}").format(
        command=f"tutor grade {os.path.join(out, 'key.json')} ANSWERS"))


def graded_json(result) -> str:
    """One student's grading for a script to read."""
    return json.dumps({"student": result.student, "variant": result.variant,
                       "score": result.score, "out_of": result.out_of,
                       "marks": [{"problem": m.number, "kind": m.kind, "score": m.score,
                                  "status": m.status, "answer": m.answer,
                                  "reason": m.reason} for m in result.marks]},
                      ensure_ascii=False, indent=1)


def render_graded(result) -> None:
    """One student's grading: the score, then a row per problem with the reason."""
    console = new_console()
    console.print(_("{student}   variant {variant}   score {score}").format(
        student=f"[bold]{escape(result.student)}[/bold]", variant=escape(result.variant),
        score=f"[bold]{result.score:g} / {result.out_of}[/bold]"))
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("", overflow="fold")
    table.add_column(_("problem"), overflow="fold")
    table.add_column(_("answer"), overflow="fold")
    table.add_column(_("why"), overflow="fold")
    for m in result.marks:
        partly = f" ({m.score:g})" if m.status == "partly" else ""
        kind = _(KINDS[m.kind].short) if m.kind in KINDS else m.kind
        table.add_row(MARKS[m.status], Text(f"{m.number}. {kind}{partly}"),
                      Text(m.answer or "—"), Text(m.reason))
    console.print(table)
    if result.problem:
        click.echo(_("note: {note}").format(note=result.problem))


def class_summary(results, path: str) -> None:
    """A line per student after the class's scores were written to ``path``."""
    for r in results:
        state = r.problem if not r.marks else f"{r.score:g} / {r.out_of}"
        click.echo(f"{r.student:<24} {r.variant:<12} {state}")
    click.echo(_("scores of {n} students written to {path}").format(n=len(results), path=path))


class GradingProgress:
    """A progress bar over a class's answer files, on a terminal only (nothing when the
    output is piped or in CI): ``with GradingProgress(n) as done: … done(result)``."""

    def __init__(self, total: int):
        self.total, self.bar, self.task = total, None, None

    def __enter__(self):
        console = new_console(stderr=True)
        if console.is_terminal and self.total > 1:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            # the bar writes through the console itself: no redirection of sys.stderr, which
            # the console's own file follows
            self.bar = Progress(TextColumn(_("grading")), BarColumn(), MofNCompleteColumn(),
                                console=console, transient=True, redirect_stdout=False,
                                redirect_stderr=False)
            self.bar.start()
            self.task = self.bar.add_task("grade", total=self.total)
        return self.advance

    def advance(self, _result=None) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

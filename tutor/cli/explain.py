"""``tutor explain`` and ``tutor list``: derivations step by step, beside their numbers."""

from __future__ import annotations

import click

from tutor.cli.base import command, keep
from tutor.cli.matrix import explain_shaped, shape_option
from tutor.cli.options import (FormatChoice, Source, check_output_path, command_line,
                               expr_option, lesson_file_option, parse_at, size_option)
from tutor.i18n import _

FORMATS = ("text", "markdown", "latex", "json")


@command("list")
def list_lessons():
    """List the lessons."""
    from tutor.explaining.lesson import lesson_names, load_lesson
    from tutor.renderers.explaining.text import render_lesson_list

    render_lesson_list([load_lesson(name) for name in lesson_names()])


@command()
@click.argument("lesson", required=False)
@expr_option("Explain this expression instead of a lesson.")
@lesson_file_option("Explain a lesson from your own TOML file.")
@click.option("--wrt", multiple=True, metavar="NAME",
              help="Differentiate by NAME (repeatable; a family like w means w₁ … wₙ).")
@click.option("--at", "at", multiple=True, metavar="NAME=V[,V…]",
              help="Evaluate at these values instead of the example (repeatable).")
@size_option()
@click.option("--format", "fmt", type=FormatChoice(FORMATS), default="text", show_default=True)
@click.option("--plot", metavar="FILE", help="Plot f and its derivative to FILE (.png, .svg, .pdf).")
@click.option("--force", is_flag=True, help="Replace the --plot file if it exists.")
@click.option("--all-steps", is_flag=True, help="Also show trivial steps (constants, d/dx x = 1).")
@shape_option
def explain(lesson, expr, lesson_file, wrt, at, size, fmt, plot, force, all_steps, shapes):
    """Derive a lesson's derivatives step by step, beside their values on numbers.

    \b
    tutor explain sigmoid
    tutor explain softmax --size 4
    tutor explain linear --wrt b --at x=1,2,3
    tutor explain --expr "tanh(w*x + b)" --wrt w --plot tanh.png
    tutor explain --expr "mean((X @ w - y)**2)" --shape X=n,d --shape w=d --shape y=n --wrt w
    """
    if shapes:
        return explain_shaped(lesson, expr, shapes, wrt, at, fmt, (lesson_file, size, plot))
    source = Source(lesson, expr, lesson_file, size).require_one()
    check_output_path(plot, force=force)
    from tutor.requests.explain import explain as run

    result = keep(run(lesson, expr=expr, lesson_file=lesson_file, wrt=wrt, at=parse_at(at),
                      size=size))
    footer = "" if plot else _("plot it: {command}").format(
        command=f"tutor {command_line(source, 'explain')} --plot {lesson or 'plot'}.png")
    _show(result, fmt, all_steps=all_steps, footer=footer)
    if plot:
        from tutor.explaining.explanation import curves
        from tutor.renderers.explaining.plot import plot_explanation

        note = plot_explanation(result, curves(result), plot)
        if note:
            click.echo(note, err=True)
        click.echo(_("plot written to {path}").format(path=plot), err=fmt == "json")


def _show(result, fmt: str, *, all_steps: bool, footer: str) -> None:
    if fmt == "text":
        from tutor.renderers.explaining.text import TextRenderer

        TextRenderer(all_steps=all_steps).render(result, footer=footer)
        return
    from tutor.renderers.formats import render

    click.echo(render(result, fmt))

"""``tutor check``: is the derivative (or the number) you worked out by hand right?"""

from __future__ import annotations

import sys

import click

from tutor.cli.base import UserError, command, keep
from tutor.cli.matrix import check_shaped, shape_option
from tutor.cli.options import expr_option, lesson_file_option, parse_at, size_option
from tutor.i18n import _


# an answer may start with a minus sign, and "-h" inside "-heaviside(z)" or "-tanh(z)" must not
# be read as the help option: only a lone -h asks for help here
@command(context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("args", nargs=-1, metavar="[LESSON] [ANSWER]")
@expr_option("Check a derivative of this expression.")
@lesson_file_option()
@click.option("--wrt", multiple=True, metavar="NAME", help="The variable the derivative is by.")
@click.option("--of", "output", metavar="NAME",
              help="For a vector function (softmax): the component, like s2 (default the first).")
@size_option()
@click.option("--at", "at", multiple=True, metavar="NAME=V[,V…]",
              help="The point of a --claim (lists are columns of a batch).")
@click.option("--reduce", type=click.Choice(["mean", "sum"]),
              help="How a batch's per-sample derivatives combine for --claim.")
@click.option("--claim", metavar="NUMBER",
              help="A number you say the derivative has at the --at point.")
@click.option("--reveal", is_flag=True, help="Show the whole correct derivation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@shape_option
def check(args, expr, lesson_file, wrt, output, size, at, reduce, claim, reveal, fmt, shapes):
    """Check a derivative you worked out by hand (or a number you computed).

    \b
    tutor check sigmoid --wrt z "exp(-z)/(1+exp(-z))^2"
    tutor check sigmoid "\\sigma(z)(1-\\sigma(z))"          (LaTeX works too)
    tutor check --expr "tanh(w*x + b)" --wrt w "x*(1 - tanh(w*x+b)^2)"
    tutor check --expr "(w*x + b - y)^2/2" --wrt w --at w=2 --at b=1 \\
        --at x=1,2,3 --at y=6,9,12 --reduce mean --claim -8.6667

    \b
    A wrong answer gets a diagnosis (sign, constant factor, missing chain factor,
    extra or missing term, wrong variable, other), a point where it differs, and the
    step of the correct derivation where it parts ways.
    Exit code: 0 correct, 1 not correct, 2 bad input.
    With --shape, --expr is matrices, checked as by 'tutor matrix check'.
    """
    if shapes:
        return check_shaped(list(args), expr, shapes, wrt, fmt,
                            (lesson_file, output, size, at, reduce, claim))
    lesson, answer = _arguments(list(args), expr is None and lesson_file is None)
    from tutor.requests.check import check as run

    checked = keep(run(lesson, answer, expr=expr, lesson_file=lesson_file, wrt=wrt, of=output,
                  size=size, at=parse_at(at), reduce=reduce, claim=claim))
    _show(checked.verdict, checked.claim, fmt, reveal)
    if not checked.correct:
        sys.exit(1)


def _arguments(args: list[str], lesson_first: bool) -> tuple[str | None, str | None]:
    """[LESSON] [ANSWER] from the arguments, with ``-h`` alone asking for help."""
    if "-h" in args:
        ctx = click.get_current_context()
        click.echo(ctx.get_help())
        ctx.exit(0)
    for a in args:
        if a.startswith("--"):
            raise UserError(_("no such option: {option} (see tutor check --help)")
                            .format(option=a))
    lesson = None
    if lesson_first:
        if not args:
            raise UserError(_("name a lesson (see 'tutor list') or give --expr TEXT"))
        lesson = args.pop(0)
    if len(args) > 1:
        raise UserError(_("too many arguments: {extra} (quote the answer: \"2*x + 1\")")
                        .format(extra=repr(" ".join(args[1:]))))
    return lesson, (args[0] if args else None)


def _show(verdict, claim_verdict, fmt: str, reveal: bool) -> None:
    if fmt == "json":
        from tutor.renderers.checking.text import check_json

        click.echo(check_json(verdict, claim_verdict))
        return
    from tutor.renderers.checking.text import render_claim, render_verdict

    if verdict is not None:
        render_verdict(verdict, reveal=reveal)
    if claim_verdict is not None:
        if verdict is not None:
            click.echo()
        render_claim(claim_verdict)

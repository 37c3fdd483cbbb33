"""``tutor check``: is the derivative (or the number) you worked out by hand right?"""

from __future__ import annotations

import sys

import click

from tutor.cli.base import UserError, command
from tutor.cli.matrix import check_shaped, shape_option
from tutor.cli.options import (Source, expr_option, lesson_file_option,
                               output_index, parse_at, size_option)
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
    if answer is None and claim is None:
        raise UserError(_("give your answer (the derivative, in quotes) or a number with "
                          "--claim"))
    if at and claim is None:
        raise UserError(_("--at gives the point of a --claim; add --claim NUMBER"))
    values = parse_at(at)

    from tutor.checking.check import check_answer, check_claim, example_points

    the_lesson, var = _load(Source(lesson, expr, lesson_file, size).require_one(), wrt)
    values = the_lesson.values_for(values)
    index = output_index(the_lesson.output_names, output, "--of",
                         _("--of {output}: the function's components are {names}"))
    function = the_lesson.outputs[index]
    name = the_lesson.output_names[index] if expr is None else "f"
    context = dict(named=the_lesson.named, assumptions=the_lesson.assumptions, name=name)
    verdict = claim_verdict = None
    if answer is not None:
        verdict = check_answer(function, var, answer, symbols=the_lesson.symbols,
                               prefer=example_points(the_lesson.example),
                               budget=_budget(the_lesson), **context)
    if claim is not None:
        point = {**(the_lesson.example if expr is None else {}), **values}
        claim_verdict = check_claim(function, var, claim, point,
                                    reduce=reduce or the_lesson.reduce, **context)
    _show(verdict, claim_verdict, fmt, reveal)
    if not all(v.correct for v in (verdict, claim_verdict) if v is not None):
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


def _load(source: Source, wrt_names):
    """The lesson (or one-off lesson for --expr) and the one variable to differentiate by."""
    from tutor.explaining.explanation import lesson_from_expression

    the_lesson = source.load(lambda text: lesson_from_expression(text, wrt=wrt_names))
    if source.expr is not None:
        chosen = list(the_lesson.wrt)
        if not wrt_names and len(chosen) > 1:
            raise UserError(_("say which variable with --wrt (the expression has {names})")
                            .format(names=", ".join(s.name for s in chosen)))
    else:
        chosen = [s for name in wrt_names for s in the_lesson.names_for(name)]
        chosen = chosen or list(the_lesson.wrt)
    if len(chosen) != 1:
        raise UserError(_("check one derivative at a time: name one variable with --wrt "
                          "(one of {names})").format(names=", ".join(s.name for s in chosen)))
    return the_lesson, chosen[0]


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


def _budget(lesson) -> float | None:
    """A time budget for deriving what the user typed (the tutor's own lessons need none)."""
    from tutor.calculus.budget import SYMBOLIC_SECONDS
    from tutor.explaining.lesson import Origin

    return None if lesson.origin is Origin.BUILT_IN else SYMBOLIC_SECONDS

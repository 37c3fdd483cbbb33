"""``tutor descend``: optimisers racing down a test function or one you type."""

from __future__ import annotations

import click

from tutor.cli.base import command, keep
from tutor.cli.options import Bounded, check_output_path, parse_at
from tutor.i18n import _
from tutor.requests.descend import RANGES

STEPS, POSITIVE, SHOW = (Bounded(*RANGES[name]) for name in ("steps", "tol", "show"))


@command()
@click.argument("function", required=False)
@click.option("--expr", metavar="TEXT", help="Descend this function of one or two variables instead.")
@click.option("--set", "constants", multiple=True, metavar="NAME=V",
              help="A constant's value (repeatable), like kappa=100; with --expr, a letter that is not a variable.")
@click.option("--optimizer", "optimizers", default="sgd,momentum,adam", show_default=True,
              metavar="NAMES", help="Optimizers to race from the same start, comma-separated "
                                    "(sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw).")
@click.option("--start", metavar="X[,Y]", help="The starting point (default: the function's own).")
@click.option("--lr", metavar="η[,η…]", help="Learning rate: one for all, or one per optimizer.")
@click.option("--steps", type=STEPS, help="Steps per optimizer (default: the function's own).")
@click.option("--tol", type=POSITIVE, default=1e-6, show_default=True,
              help="Stop when the gradient's norm ‖∇f‖ falls below this.")
@click.option("--momentum", type=float, metavar="μ", help="momentum, nesterov (default 0.9).")
@click.option("--alpha", type=float, metavar="α", help="rmsprop (default 0.99).")
@click.option("--beta1", type=float, metavar="β₁", help="adam, adamw (default 0.9).")
@click.option("--beta2", type=float, metavar="β₂", help="adam, adamw (default 0.999).")
@click.option("--eps", type=float, metavar="ε", help="adagrad, rmsprop, adam, adamw.")
@click.option("--weight-decay", type=float, metavar="λ", help="L2 (adamw: decoupled).")
@click.option("--show", type=SHOW, default=3, show_default=True,
              help="How many first steps to print whole.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--plot", metavar="FILE", help="Every path on one figure (.png, .svg, .pdf).")
@click.option("--animate", metavar="FILE.gif", help="The paths growing step by step, as a GIF.")
@click.option("--force", is_flag=True, help="Replace existing files.")
def descend(function, expr, constants, optimizers, start, lr, steps, tol, momentum, alpha, beta1,
            beta2, eps, weight_decay, show, fmt, plot, animate, force):
    """Race optimizers down a test function, step by step.

    \b
    tutor descend rosenbrock --optimizer sgd,momentum,adam --plot race.png
    tutor descend square --optimizer sgd --lr 0.2 --steps 10
    tutor descend ill_conditioned --optimizer sgd,momentum --lr 0.4,0.6 --momentum 0.5
    tutor descend --expr "x^4 - 3*x^2 + y^2" --start 0.1,1 --lr 0.05
    Functions: square, xcos, ill_conditioned, rosenbrock, beale, himmelblau, saddle.
    """
    check_output_path(plot, force=force)
    check_output_path(animate, force=force, suffixes=(".gif",), option="--animate")
    from tutor.requests.descend import descend as run

    result = keep(run(function, expr=expr, set=parse_at(constants, option="--set"),
                      optimizer=optimizers, start=start, lr=lr, steps=steps, tol=tol,
                      momentum=momentum, alpha=alpha, beta1=beta1, beta2=beta2, eps=eps,
                      weight_decay=weight_decay, show=show, pictures=bool(plot or animate)))
    prob, runs = result.problem, result.runs
    from tutor.renderers.training import descend as view

    if fmt == "json":
        click.echo(view.as_json(prob, runs, tol))
    else:
        from tutor.renderers.console import console as make_console

        view.race_text(make_console(), result)
    if plot:
        note = view.plot_race(plot, result.picture, runs, prob.title, with_note=True)
        if note:
            click.echo(note, err=True)
        click.echo(_("plot written to {path}").format(path=plot), err=fmt == "json")
    if animate:
        view.animate_race(animate, result.picture, runs, prob.title)
        click.echo(_("animation written to {path}").format(path=animate), err=fmt == "json")

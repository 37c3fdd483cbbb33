"""``tutor gradcheck``: NumPy gradient code checked against finite differences."""

from __future__ import annotations

import sys

import click

from tutor.cli.base import command
from tutor.cli.options import Bounded
from tutor.i18n import N_

#: the default tolerance is gradcheck's GOOD (written here so that --help loads no NumPy)
GOOD = 1e-7
SECONDS = Bounded(float, lambda v: 0 < v <= 86400, N_("{param} must be from 0 to 86400 seconds, "
                                                      "not {value}"))
TOLERANCE = Bounded(float, lambda v: 0 < v < 1, N_("{param} must be between 0 and 1, not {value}"))


@command()
@click.argument("target", metavar="FILE.py:FUNCTION")
@click.option("--inputs", "inputs_name", default="inputs", show_default=True, metavar="NAME",
              help="The function (or dict) in FILE.py giving the arrays to check at.")
@click.option("--wrt", multiple=True, metavar="NAME", help="Check only these inputs (repeatable).")
@click.option("--samples", type=click.IntRange(1, 1_000_000), default=200, show_default=True,
              help="Entries checked per array; bigger arrays get a random subset.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of that subset.")
@click.option("--timeout", type=SECONDS, default=60.0, show_default=True, metavar="SECONDS",
              help="How long the code may run; it runs in a child process.")
@click.option("--tolerance", type=TOLERANCE, default=GOOD, show_default=True,
              help="The largest relative error that passes (raise it to let suspicious "
                   "entries pass, e.g. 1e-4).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def gradcheck(target, inputs_name, wrt, samples, seed, timeout, tolerance, fmt):
    """Check NumPy gradient code you wrote against finite differences.

    \b
    FILE.py defines either
      FUNCTION(**inputs) -> (loss, grads)            tutor gradcheck model.py:loss_and_grad
    or a pair
      LOSS(**inputs) -> loss, GRAD(**inputs) -> grads
                                                     tutor gradcheck model.py:loss,grad
    or a class with forward and backward (a custom autograd function, checked
    through L = Σ v ⊙ forward(…), whose gradient is backward(v))
                                                     tutor gradcheck relu.py:MyReLU
    and inputs() returning a dict {name: array} (or a dict INPUTS).
    grads is a dict {name: array} or a tuple in the order of the inputs.

    \b
    Central finite differences in float64; relative error per entry
    |a − n| / max(|a|, |n|): below 1e-7 good, 1e-7 … 1e-4 suspicious, above 1e-4
    wrong. At a kink (ReLU at 0, max, |x|) any slope between the one-sided
    differences is right.
    The file runs in a child process with a time limit (--timeout) and a 2 GB memory
    limit. Exit code: 0 every error at most --tolerance (default: only good entries pass),
    1 a gradient is suspicious or wrong, 2 the file cannot be used (or exceeds a limit).
    """
    from tutor.checking.leash import check_file

    report = check_file(target, inputs_name=inputs_name, wrt=wrt, samples=samples, seed=seed,
                        tolerance=tolerance, timeout=timeout)
    if fmt == "json":
        from tutor.renderers.checking.gradcheck import gradcheck_json

        click.echo(gradcheck_json(report, target))
    else:
        from tutor.renderers.checking.gradcheck import render_gradcheck

        render_gradcheck(report, target)
    if not report.ok:
        sys.exit(1)

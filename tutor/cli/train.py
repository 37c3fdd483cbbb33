"""``tutor train``: gradient descent with a lesson's compiled gradients."""

from __future__ import annotations

import sys

import click

from tutor.cli.base import command, keep
from tutor.cli.options import Bounded, check_output_path, lesson_file_option, parse_at, size_option
from tutor.i18n import _
from tutor.requests.train import RANGES
from tutor.training.optimizers import OPTIMIZERS, SCHEDULES

SAMPLES, NOISE, RATE, EPOCHS, BATCH = (Bounded(*RANGES[name]) for name in
                                       ("samples", "noise", "lr", "epochs", "batch_size"))


@command()
@click.argument("lesson", required=False)
@click.option("--expr", metavar="TEXT", help="Train this per-sample loss instead of a lesson.")
@click.option("--params", metavar="NAMES", help="With --expr: the names to train, like w,b.")
@lesson_file_option("Train a lesson from your own TOML file.")
@size_option("Classes (or members) of an indexed lesson.")
@click.option("--data", "data", multiple=True, metavar="FILE|NAME=V,…",
              help="A .csv (header row) or .npz file, or literal values like x=1,2,3 (repeatable).")
@click.option("--synthetic", is_flag=True, help="Make data from --true-w and --true-b.")
@click.option("--true-w", metavar="W", help="True weights, one per feature (classes: rows;…).")
@click.option("--true-b", metavar="B", help="True bias (classes: one per class).")
@click.option("--samples", type=SAMPLES, default=1000, show_default=True,
              help="Synthetic samples.")
@click.option("--noise", type=NOISE, default=0.01, show_default=True,
              help="Standard deviation of the synthetic noise.")
@click.option("--lr", type=RATE, default=0.03, show_default=True, help="Learning rate η.")
@click.option("--epochs", type=EPOCHS, default=10, show_default=True)
@click.option("--optimizer", type=click.Choice(list(OPTIMIZERS)), default="sgd",
              show_default=True, help="How the gradient moves the parameters (as torch.optim).")
@click.option("--momentum", type=float, metavar="μ",
              help="momentum, nesterov: the velocity's decay (default 0.9).")
@click.option("--alpha", type=float, metavar="α",
              help="rmsprop: the squared gradients' decay (default 0.99).")
@click.option("--beta1", type=float, metavar="β₁",
              help="adam, adamw: the gradients' decay (default 0.9).")
@click.option("--beta2", type=float, metavar="β₂",
              help="adam, adamw: the squared gradients' decay (default 0.999).")
@click.option("--eps", type=float, metavar="ε",
              help="adagrad, rmsprop, adam, adamw: added to the root (defaults 1e-10, 1e-8).")
@click.option("--weight-decay", type=float, metavar="λ",
              help="L2: λ·θ added to the gradient; adamw: θ shrunk by η·λ·θ (default 0, adamw 0.01).")
@click.option("--schedule", type=click.Choice(list(SCHEDULES)), default="constant",
              show_default=True, help="The learning rate per epoch.")
@click.option("--step-size", type=int, metavar="N",
              help="step schedule: epochs between drops (default a third of the epochs).")
@click.option("--gamma", type=float, help="step schedule: the factor at each drop (default 0.1).")
@click.option("--lr-min", type=float, help="cosine schedule: the last learning rate (default 0).")
@click.option("--trace", type=click.IntRange(1, 1000), default=None, metavar="N",
              help="Print the first N steps whole: each gradient and the update it makes.")
@click.option("--sweep", metavar="NAME=A:B:STEP",
              help="After training, the loss and its slope along one parameter from A to B, "
                   "with the descent's path marked (like w=0:4:0.1).")
@click.option("--batch-size", type=BATCH, metavar="N",
              help="Samples per step: all (default, full-batch), fewer (mini-batch), 1 (SGD).")
@click.option("--shuffle/--no-shuffle", default=True, show_default=True,
              help="Shuffle the samples every epoch (mini-batch and SGD).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for data and shuffling.")
@click.option("--init", "init", multiple=True, metavar="NAME=V[,V…]",
              help="Starting value of a parameter (repeatable); zeros otherwise.")
@click.option("--reduce", type=click.Choice(["mean", "sum"]),
              help="Combine per-sample losses by mean or sum (default: the lesson's, else mean).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--plot", metavar="FILE", help="Plots: loss, fit, landscape (.png, .svg, .pdf).")
@click.option("--force", is_flag=True, help="Replace existing plot files.")
def train(lesson, expr, params, lesson_file, size, data, synthetic, true_w, true_b, samples,
          noise, lr, epochs, optimizer, momentum, alpha, beta1, beta2, eps, weight_decay,
          schedule, step_size, gamma, lr_min, trace, sweep, batch_size, shuffle, seed, init, reduce, fmt, plot, force):
    """Run gradient descent with a lesson's compiled gradients.

    \b
    tutor train linear_regression --synthetic --true-w 2,-3.4 --true-b 4.2 --samples 1000
            --batch-size 10 --lr 0.03 --epochs 3
    tutor train --expr "(w*x - y)**2" --params w --data x=1,2,3 --data y=2,4,6
            --init w=1 --lr 0.01 --epochs 10 --batch-size 1 --no-shuffle --trace 6
    tutor train logistic_regression --data points.csv --plot fit.png
    tutor train linear_regression --synthetic --true-w 2,-3.4 --true-b 4.2
            --optimizer adam --lr 0.3 --epochs 150 --schedule cosine
    """
    _check_plots(plot, force)
    from tutor.requests.train import prepare_training, run_training

    session = prepare_training(
        lesson, expr=expr, params=params, lesson_file=lesson_file, size=size, data=data,
        synthetic=synthetic, true_w=true_w, true_b=true_b, samples=samples, noise=noise, lr=lr,
        epochs=epochs, trace=trace, sweep=sweep, batch_size=batch_size, shuffle=shuffle, seed=seed,
        init=parse_at(init, option="--init"), reduce=reduce, optimizer=optimizer,
        momentum=momentum, alpha=alpha, beta1=beta1, beta2=beta2, eps=eps,
        weight_decay=weight_decay, schedule=schedule, step_size=step_size, gamma=gamma,
        lr_min=lr_min)
    run = _run_and_show(session, fmt, sweep, pictures=bool(plot))
    if plot and run.history.epochs:
        _plot(run, plot, fmt)
    if run.history.diverged:
        _diverged(run.outcome, fmt)


def _check_plots(plot, force) -> None:
    if plot:
        from tutor.renderers.training.plot import plot_paths

        for path in plot_paths(plot):
            check_output_path(path, force=force)


def _run_and_show(session, fmt, sweep, *, pictures: bool):
    from tutor.renderers.console import console as make_console
    from tutor.renderers.training import text as train_text
    from tutor.requests.train import run_training

    console = make_console(stderr=fmt == "json")
    if fmt == "json":
        from tutor.renderers.training.json import history_json

        run = keep(run_training(session, sweep=sweep, pictures=pictures))
        outcome = run.outcome
        click.echo(history_json(session.model, outcome.history, outcome.comparison,
                                session.bound, outcome.advice, outcome.unfinished,
                                outcome.trace, run.swept))
        return run
    train_text.header(console, session.model, session.settings, session.bound, session.samples,
                      train_text.data_origin(session))
    with train_text.Progress(console, session.settings.epochs) as progress:
        run = keep(run_training(session, sweep=sweep, on_epoch=progress, pictures=pictures))
    outcome = run.outcome
    if outcome.trace:
        train_text.trace(console, outcome.trace, session.settings.lr, outcome.history.steps,
                         plain=train_text.plain_descent(session.settings))
    train_text.result(console, session.model, outcome.history, outcome.comparison,
                      session.bound, outcome.advice, outcome.unfinished)
    if run.swept is not None:
        train_text.sweep_table(console, run.swept, session.settings.reduce)
    return run


def _plot(run, plot, fmt) -> None:
    from tutor.renderers.training.plot import plot_training

    written, note = plot_training(plot, run.session.model, run.history, run.fit, run.landscape,
                                  with_note=True)
    if note:
        click.echo(note, err=True)
    click.echo(_("plots written to {paths}").format(paths=", ".join(written)), err=fmt == "json")


def _diverged(outcome, fmt) -> None:
    history = outcome.history
    if fmt == "json":
        line = (_("error: training diverged at epoch {epoch}, step {step}: {advice}")
                .format(epoch=history.stop_epoch, step=history.stop_step, advice=outcome.advice)
                if history.stop_step else
                _("error: training stopped before the first step: {advice}")
                .format(advice=outcome.advice))
        click.echo(line, err=True)
    sys.exit(1)  # the run finished its report; exit code 1 says it diverged

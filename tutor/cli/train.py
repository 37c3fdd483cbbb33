"""``tutor train``: gradient descent with a lesson's compiled gradients."""

from __future__ import annotations

import sys

import click

from tutor.cli.base import UserError, command
from tutor.cli.options import (Bounded, Source, check_output_path, lesson_file_option, numbers,
                               parse_at, size_option)
from tutor.i18n import N_, _
from tutor.training.optimizers import OPTIMIZERS, SCHEDULES

SAMPLES = Bounded(int, lambda v: 1 <= v <= 10_000_000,
                  N_("{param} must be from 1 to 10000000, not {value}"))
NOISE = Bounded(float, lambda v: v >= 0, N_("{param} must be a number ≥ 0, not {value}"))
RATE = Bounded(float, lambda v: v > 0, N_("{param} must be a positive number, not {value}"))
EPOCHS = Bounded(int, lambda v: v >= 1, N_("{param} must be at least 1, not {value}"))
BATCH = Bounded(int, lambda v: v >= 1, N_("{param} must be at least 1, not {value}"))


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
    source = Source(lesson, expr, lesson_file, size).require_one(
        _("name one lesson, or give --expr TEXT with --params, or --lesson-file FILE"))
    _check_combination(expr, params, data, synthetic, true_w, true_b)
    _check_plots(plot, force)
    starts = parse_at(init, option="--init")
    truth = _synthetic(true_w, true_b, samples, noise) if synthetic else None

    from tutor.training import model as models
    from tutor.training.optimizers import schedule as make_schedule
    from tutor.training.session import prepare
    from tutor.training.train import Settings

    given = {k: v for k, v in (("momentum", momentum), ("alpha", alpha), ("beta1", beta1),
                               ("beta2", beta2), ("eps", eps), ("weight_decay", weight_decay))
             if v is not None}
    sched = make_schedule(schedule, epochs=epochs, lr=lr, step_size=step_size, gamma=gamma,
                          lr_min=lr_min)

    names = [p.strip() for p in (params or "").split(",") if p.strip()]
    the_model = (models.from_expression(expr, names) if expr is not None
                 else models.from_lesson(source.load(None)))
    if not synthetic and not data and the_model.data:
        raise UserError(_("give the data: --data FILE, --data name=v1,v2,… or --synthetic "
                          "(the model needs {names})")
                        .format(names=", ".join(the_model.data_groups())))
    settings = Settings(lr=lr, epochs=epochs, batch_size=batch_size, shuffle=shuffle, seed=seed,
                        reduce=reduce or the_model.reduce or "mean", optimizer=optimizer,
                        hyper=given, schedule=sched)
    settings.hypers  # a hyper-parameter the optimizer does not take is refused before anything
    along = _sweep_range(sweep)
    session = prepare(the_model, settings, data=data, synthetic=truth, init=starts, seed=seed)
    session.trace = trace or 0
    outcome = _run_and_show(session, fmt, along)
    if plot and outcome.history.epochs:
        _plot(session, outcome, plot, fmt)
    if outcome.history.diverged:
        _diverged(outcome, fmt)


def _check_combination(expr, params, data, synthetic, true_w, true_b) -> None:
    if params is not None and expr is None:
        raise UserError(_("--params goes with --expr (a lesson names its own parameters)"))
    if synthetic and data:
        raise UserError(_("give the data one way: --data or --synthetic, not both"))
    if not synthetic and (true_w or true_b):
        raise UserError(_("--true-w and --true-b go with --synthetic"))
    if synthetic and not true_w:
        raise UserError(_("--synthetic needs --true-w (the weights to recover), like --true-w 2,-3.4"))


def _check_plots(plot, force) -> None:
    if plot:
        from tutor.renderers.training.plot import plot_paths

        for path in plot_paths(plot):
            check_output_path(path, force=force)


def _synthetic(true_w, true_b, samples, noise):
    from tutor.training.session import Synthetic

    return Synthetic(true_w=numbers("--true-w", true_w, rows=True),
                     true_b=numbers("--true-b", true_b) if true_b else [0.0],
                     samples=samples, noise=noise)


def _sweep_range(text):
    from tutor.training.sweep import parse_range

    return parse_range(text) if text else None


def _run_and_show(session, fmt, along=None):
    from tutor.renderers.console import console as make_console
    from tutor.renderers.training import text as train_text
    from tutor.training.session import run

    console = make_console(stderr=fmt == "json")
    if fmt == "json":
        from tutor.renderers.training.json import history_json

        outcome = run(session)
        click.echo(history_json(session.model, outcome.history, outcome.comparison,
                                session.bound, outcome.advice, outcome.unfinished,
                                outcome.trace, _swept(session, outcome, along)))
        return outcome
    train_text.header(console, session.model, session.settings, session.bound, session.samples,
                      train_text.data_origin(session))
    with train_text.Progress(console, session.settings.epochs) as progress:
        outcome = run(session, on_epoch=progress)
    if outcome.trace:
        train_text.trace(console, outcome.trace, session.settings.lr, outcome.history.steps,
                         plain=session.settings.optimizer == "sgd"
                         and not session.settings.hypers.get("weight_decay"))
    train_text.result(console, session.model, outcome.history, outcome.comparison,
                      session.bound, outcome.advice, outcome.unfinished)
    swept = _swept(session, outcome, along)
    if swept is not None:
        train_text.sweep_table(console, swept, session.settings.reduce)
    return outcome


def _swept(session, outcome, along):
    """The --sweep after the run (the other parameters where training left them)."""
    if along is None or outcome.history.diverged:
        return None
    from tutor.training.sweep import sweep

    return sweep(session.model.objective, session.prepared, outcome.history.params, *along,
                 session.settings.reduce, path=outcome.history.path)


def _plot(session, outcome, plot, fmt) -> None:
    from tutor.renderers.training.plot import plot_training
    from tutor.training.session import pictures

    scape, view = pictures(session, outcome)
    written, note = plot_training(plot, session.model, outcome.history, view, scape,
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

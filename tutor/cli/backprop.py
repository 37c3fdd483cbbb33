"""``tutor backprop``: forward and backward passes, Jacobians, the batch in matrix form."""

from __future__ import annotations

import os

import click

from tutor.cli.base import UserError, command, keep
from tutor.cli.options import (Source, check_output_path, command_line, lesson_file_option,
                               parse_at, size_option)
from tutor.requests.source import refuse
from tutor.i18n import _

FORMATS = ("text", "json")


@command()
@click.argument("what", nargs=-1, metavar="[LESSON | TOPIC …]")
@click.option("--expr", "expr", metavar="TEXT",
              help='Backpropagate through your own composition, e.g. "L = (sigmoid(w*x + b) - t)**2/2".')
@lesson_file_option()
@click.option("--at", "at", multiple=True, metavar="NAME=V[,V…]",
              help="Values of the variables instead of the example (repeatable).")
@click.option("--wrt", multiple=True, metavar="NAME",
              help="Report and check the gradient of these variables (default: the parameters).")
@click.option("--sample", type=int, default=1, show_default=True, metavar="N",
              help="Which sample of a batch the tables show.")
@click.option("--output", "output_name", metavar="NAME", help="Which output of a vector lesson (e.g. s2).")
@size_option()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--plot", metavar="FILE", help="Draw the graph with values and gradients (.png, .svg, .pdf).")
@click.option("--dot", metavar="FILE", help="Write the graph as Graphviz DOT text (.dot, .gv).")
@click.option("--force", is_flag=True, help="Replace the --plot/--dot files if they exist.")
@click.option("--matrix", is_flag=True,
              help="The whole batch in matrix form through the tensor engine "
                   "(linear_regression, logistic_regression, mlp).")
@click.option("--reduce", type=click.Choice(("mean", "sum")), default=None,
              help="With --matrix: the batch loss as the mean (default) or the sum of the "
                   "samples' losses.")
@click.option("--layers", type=int, default=None, metavar="L",
              help="With deep: the number of layers (default 10).")
@click.option("--width", type=int, default=None, metavar="N",
              help="With deep: the units per layer (default 64).")
@click.option("--batch", type=int, default=None, metavar="B",
              help="With deep: the samples in the batch (default 256).")
@click.option("--activation", default=None, metavar="sigmoid|tanh|relu[,…]",
              help="With deep: the activation of every layer; several, comma-separated, "
                   "are compared (default sigmoid).")
@click.option("--init", "init", default=None, metavar="normal|xavier|he[,…]",
              help="With deep: how the weights are drawn; several, comma-separated, are "
                   "compared (default xavier).")
@click.option("--std", type=float, default=None, metavar="S",
              help="With deep and --init normal: the weights' standard deviation (default 1).")
@click.option("--seed", type=int, default=None, metavar="N",
              help="With deep: the seed of the random batch and weights (default 0); with "
                   "dense: draw every matrix not given at random.")
def backprop(what, expr, lesson_file, at, wrt, sample, output_name, size, fmt, plot, dot, force,
             matrix, reduce, layers, width, batch, activation, init, std, seed):
    """Forward and backward pass through a graph of primitive operations.

    \b
    tutor backprop neuron                       forward and backward tables, checked
    tutor backprop neuron --at x=2 --at t=1 --plot neuron.png --dot neuron.dot
    tutor backprop --expr "L = (sigmoid(w*x + b) - t)**2/2" --at w=0.5
    tutor backprop mlp --matrix                 the batch as a matrix: one backward pass
    tutor backprop linear_regression --matrix --reduce sum --size 1
    \b
    With vectors and matrices (TOPIC):
    tutor backprop jacobian softmax             J as a table and as diag(s) − s sᵀ; vᵀJ
    tutor backprop jacobian rowsum              row sums of exp(x), 2×3: zero blocks
    tutor backprop matmul                       Y = A·B, L = sum(Y): 1·Bᵀ and Aᵀ·1
    tutor backprop dense --at "G=1,0;0,1;1,1;0,2"   Y = XW + b: XᵀG, GWᵀ, 𝟏ᵀG
    tutor backprop accumulate                   gradients add up until zero_grad()
    tutor backprop modes --at x1=2              forward mode (columns) beside reverse (rows)
    \b
    Vanishing and exploding gradients (deep):
    tutor backprop deep                         10 sigmoid layers: the gradient vanishes
    tutor backprop deep --activation relu --init normal,xavier,he --plot deep-relu.png --force
    """
    from tutor.requests.backprop import WITH_A_LESSON, backprop as run, is_topic

    deep = {"layers": layers, "width": width, "batch": batch, "activation": activation,
            "init": init, "std": std, "seed": seed}
    if what and what[0] == "deep":
        refuse({"dot": dot}, _(WITH_A_LESSON), topic="backprop deep")
        check_output_path(plot, force=force)
        topic = keep(run(*what, expr=expr, lesson_file=lesson_file, at=parse_at(at), wrt=wrt,
                         sample=sample, output=output_name, size=size, matrix=matrix,
                         reduce=reduce, **deep))
        return _deep(topic, deep, fmt, plot)
    if is_topic(what):
        refuse({"plot": plot, "dot": dot}, _(WITH_A_LESSON), topic=f"backprop {what[0]}")
    elif matrix:
        refuse({"plot": plot, "dot": dot}, _("{param} does not go with {matrix} (it shows the "
                                             "whole batch)"), others=("matrix",))
    else:
        _check_outputs(plot, dot, force)
    result = keep(run(*what, expr=expr, lesson_file=lesson_file, at=parse_at(at), wrt=wrt,
                 sample=sample, output=output_name, size=size, matrix=matrix, reduce=reduce,
                 **deep))
    if is_topic(what) or matrix:
        dense = what[0] == "dense" and len(what) == 1 if what else False
        _show_topic(result, fmt, _dense_footer(at) if dense else "")
    else:
        _graph(result, Source(what[0] if what else None, expr, lesson_file), fmt, plot, dot)


def _dense_footer(at: tuple[str, ...]) -> str:
    """Where the dense layer's gradients are derived, with the learner's X and G (the matrix
    lesson reads a matrix as rows split by ;)."""
    given = " ".join(f'--at "{item}"' for item in at
                     if item.split("=")[0].strip() in ("X", "G") and ";" in item)
    return _("the same gradients derived rule by rule: {command}").format(
        command=" ".join(filter(None, ["tutor matrix explain dense_layer", given])))


def _check_outputs(plot, dot, force) -> None:
    check_output_path(plot, force=force)
    check_output_path(dot, force=force, suffixes=(".dot", ".gv"), option="--dot")
    if plot and dot and os.path.abspath(plot) == os.path.abspath(dot):
        raise UserError(_("--plot and --dot name the same file"))


def _graph(result, source, fmt, plot, dot) -> None:
    """The forward and backward tables of one sample, and the graph drawn or written."""
    if fmt == "json":
        from tutor.renderers.backpropagation.json import backprop_json

        click.echo(backprop_json(result))
    else:
        from tutor.renderers.backpropagation.text import BackpropRenderer

        footer = "" if plot or dot else _("draw the graph: {command}   (or {dot})").format(
            command=f"tutor {command_line(source, 'backprop')} --plot graph.png",
            dot="--dot graph.dot")
        BackpropRenderer().render(result, footer=footer)
    if dot:
        from tutor.renderers.backpropagation.plot import write_dot

        write_dot(result, dot)
        click.echo(_("DOT written to {path}").format(path=dot), err=fmt == "json")
    if plot:
        from tutor.renderers.backpropagation.plot import plot_graph

        note = plot_graph(result, plot)
        if note:
            click.echo(note, err=True)
        click.echo(_("plot written to {path}").format(path=plot), err=fmt == "json")


def _deep(topic, given: dict, fmt: str, plot: str | None) -> None:
    """``backprop deep``: the runs' table, their JSON or their picture."""
    footer = ""
    if not plot:
        options = " ".join(f"--{name} {value}" for name, value in given.items()
                           if value is not None)
        footer = _("plot it: {command}").format(
            command=" ".join(filter(None, ["tutor backprop deep", options, "--plot deep.png"])))
    _show_topic(topic, fmt, footer=footer)
    if plot:
        from tutor.renderers.backpropagation.deep_plot import plot_deep

        note = plot_deep(topic.runs, plot)
        if note:
            click.echo(note, err=True)
        click.echo(_("plot written to {path}").format(path=plot), err=fmt == "json")


def _show_topic(topic, fmt: str, footer: str = "") -> None:
    """A vector/matrix topic (or a lesson's matrix form) as text or JSON."""
    if fmt == "json":
        from tutor.renderers.backpropagation.json import topic_json

        click.echo(topic_json(topic))
    else:
        from tutor.renderers.backpropagation.text import TopicRenderer

        TopicRenderer().render(topic, footer=footer)

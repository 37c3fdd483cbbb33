"""The ``tutor`` command line.

Commands only turn options into calls of the ``tutor`` library and hand the results to a
renderer.  Everything heavy (SymPy, NumPy, rich, matplotlib) is imported inside the commands,
so ``tutor --help`` answers at once.  A problem with the user's input is shown as one line on
standard error, with exit code 2 and no traceback.
"""

from __future__ import annotations

import math
import os
import sys

import click

from tutor.i18n import LANGUAGES, _, set_language

FORMATS = ("text", "markdown", "latex", "json")
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


class UserError(click.ClickException):
    """Bad input: one line (plus a caret under an expression), exit code 2."""

    exit_code = 2

    def __init__(self, message: str, detail: list[str] | None = None):
        super().__init__(message)
        self.detail = detail or []

    def show(self, file=None):
        file = file or sys.stderr
        click.echo(_("error: {message}").format(message=self.format_message()), file=file)
        for line in self.detail:
            click.echo(line, file=file)


def _user_errors(fn):
    """Turn the library's TutorError into a UserError (imported lazily, like the library)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from tutor.errors import TutorError

        try:
            return fn(*args, **kwargs)
        except TutorError as exc:
            raise UserError(str(exc), exc.detail_lines()) from None

    return wrapper


class TutorGroup(click.Group):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        set_language(None)  # the locale's language until a command's --lang says otherwise
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except UserError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            # Click's own usage errors, on one line as well
            where = f" ({exc.ctx.command_path})" if exc.ctx else ""
            click.echo(_("error: {message}{where}; see --help").format(
                message=exc.format_message(), where=where), err=True)
            sys.exit(2)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo(_("aborted"), err=True)
            sys.exit(1)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            sys.exit(130)
        except RecursionError:
            click.echo(_("error: the input is nested too deeply"), err=True)
            sys.exit(2)


@click.group(cls=TutorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gradient-tutor", prog_name="tutor")
def main():
    """A tutor for the mathematics of gradients.

    \b
    tutor list                       the lessons
    tutor explain sigmoid            every rule used to get dσ/dz, beside the numbers
    tutor explain --expr "tanh(w*x + b)" --wrt w
    """


# -- shared option parsing -----------------------------------------------------------------
def parse_at(values: tuple[str, ...]) -> dict[str, object]:
    """``--at name=1.5`` or ``--at name=1,2,3`` → {name: 1.5 or [1, 2, 3]}."""
    import re

    out: dict[str, object] = {}
    for item in values:
        name, sep, numbers = item.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", name):
            raise UserError(_("--at {item}: write name=value or name=v1,v2,… (like --at z=-2,0,2)")
                            .format(item=repr(item)))
        parts = [p.strip() for p in numbers.split(",")]
        if len(parts) > 100_000:
            raise UserError(_("--at {name}: at most 100000 values").format(name=name))
        nums = []
        for p in parts:
            try:
                v = float(p)
            except ValueError:
                raise UserError(_("--at {name}: {value} is not a number")
                                .format(name=name, value=repr(p))) from None
            if not math.isfinite(v):
                raise UserError(_("--at {name}: {value} is not a finite number")
                                .format(name=name, value=repr(p)))
            nums.append(v)
        if name in out:
            raise UserError(_("--at {name} given twice").format(name=name))
        out[name] = nums[0] if len(nums) == 1 else nums
    return out


def check_output_path(path: str | None, *, force: bool, suffixes=PLOT_SUFFIXES,
                      option: str = "--plot") -> None:
    """Refuse an output path before any work is done: wrong suffix, missing folder, or an
    existing file without --force."""
    if path is None:
        return
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in suffixes:
        raise UserError(_("{option} {path}: the file name must end in {suffixes} (the suffix "
                          "picks the format)").format(option=option, path=path,
                                                      suffixes=", ".join(suffixes)))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(_("{option} {path}: the folder {folder} does not exist").format(
            option=option, path=path, folder=os.path.dirname(path) or "."))
    if os.path.isdir(path):
        raise UserError(_("{option} {path}: is a folder").format(option=option, path=path))
    if os.path.exists(path) and not force:
        raise UserError(_("{option} {path}: the file exists; add --force to replace it")
                        .format(option=option, path=path))
    if not os.access(folder, os.W_OK):
        raise UserError(_("{option} {path}: the folder is not writable")
                        .format(option=option, path=path))


def _choose_language(ctx, param, value):
    set_language(value)  # None: from LC_ALL / LC_MESSAGES / LANG, English when unknown
    return value


def language_option(command):
    """``--lang zh|en`` on a command; without it, the user's locale decides."""
    return click.option("--lang", type=click.Choice(LANGUAGES), default=None, is_eager=True,
                        expose_value=False, callback=_choose_language,
                        help="Language of the text (default: from LANG / LC_ALL).")(command)


# -- commands ------------------------------------------------------------------------------
@main.command("list")
@language_option
@_user_errors
def list_lessons():
    """List the lessons."""
    from rich.console import Console
    from rich.table import Table

    from tutor.lesson import lesson_names, load_lesson

    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column(_("lesson"), style="bold", no_wrap=True)
    table.add_column(_("about"))
    for name in lesson_names():
        lesson = load_lesson(name)
        table.add_row(name, f"{lesson.title} — {lesson.summary}" if lesson.summary else lesson.title)
    Console(highlight=False).print(table)
    click.echo("\n" + _("explain one with: tutor explain LESSON"))


@main.command()
@click.argument("lesson", required=False)
@click.option("--expr", "expr", metavar="TEXT", help="Explain this expression instead of a lesson.")
@click.option("--lesson-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Explain a lesson from your own TOML file.")
@click.option("--wrt", multiple=True, metavar="NAME",
              help="Differentiate by NAME (repeatable; a family like w means w₁ … wₙ).")
@click.option("--at", "at", multiple=True, metavar="NAME=V[,V…]",
              help="Evaluate at these values instead of the example (repeatable).")
@click.option("--size", type=int, metavar="N", help="Number of classes/features for indexed lessons.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--plot", metavar="FILE", help="Plot f and its derivative to FILE (.png, .svg, .pdf).")
@click.option("--force", is_flag=True, help="Replace the --plot file if it exists.")
@click.option("--all-steps", is_flag=True, help="Also show trivial steps (constants, d/dx x = 1).")
@language_option
@_user_errors
def explain(lesson, expr, lesson_file, wrt, at, size, fmt, plot, force, all_steps):
    """Derive a lesson's derivatives step by step, beside their values on numbers.

    \b
    tutor explain sigmoid
    tutor explain softmax --size 4
    tutor explain linear --wrt b --at x=1,2,3
    tutor explain --expr "tanh(w*x + b)" --wrt w --plot tanh.png
    """
    sources = [s for s in (lesson, expr, lesson_file) if s is not None]
    if len(sources) != 1:
        raise UserError(_("name one lesson, or give --expr TEXT, or --lesson-file FILE "
                          "(see 'tutor list')"))
    check_output_path(plot, force=force)
    values = parse_at(at)

    from tutor.explanation import explain as run, lesson_from_expression
    from tutor.lesson import load_lesson, load_lesson_file

    if expr is not None:
        if size is not None:
            raise UserError(_("--size goes with an indexed lesson, not with --expr"))
        the_lesson = lesson_from_expression(expr, wrt=wrt)
        chosen = the_lesson.wrt
    else:
        the_lesson = (load_lesson(lesson, size=size) if lesson is not None
                      else load_lesson_file(lesson_file, size=size))
        chosen = [s for name in wrt for s in the_lesson.names_for(name)]
    for name in values:
        the_lesson.symbol(name)
    result = run(the_lesson, wrt=chosen or None, at=values)

    if fmt == "json":
        from tutor.render.json import explanation_json

        click.echo(explanation_json(result))
    elif fmt == "markdown":
        from tutor.render.markdown import explanation_markdown

        click.echo(explanation_markdown(result))
    elif fmt == "latex":
        from tutor.render.latex import explanation_latex

        click.echo(explanation_latex(result))
    else:
        from tutor.render.text import TextRenderer

        footer = ""
        if not plot:
            target = f"explain {lesson}" if lesson else "explain --expr …" if expr else "explain --lesson-file …"
            footer = _("plot it: {command}").format(
                command=f"tutor {target} --plot {lesson or 'plot'}.png")
        TextRenderer(all_steps=all_steps).render(result, footer=footer)
    if plot:
        from tutor.render.plot import plot_explanation

        note = plot_explanation(result, plot)
        if note:
            click.echo(note, err=True)
        click.echo(_("plot written to {path}").format(path=plot), err=fmt == "json")


# -- train: gradient descent (tutor train) --------------------------------------------------


# -- check: hand-derived gradients (tutor check, gradcheck, quiz) -------------------------


# -- backprop: graphs, forward/backward tables, Jacobians (tutor backprop) ---------------
BACKPROP_FORMATS = ("text", "json")


@main.command()
@click.argument("what", nargs=-1, metavar="[LESSON | TOPIC …]")
@click.option("--expr", "expr", metavar="TEXT",
              help='Backpropagate through your own composition, e.g. "L = (sigmoid(w*x + b) - t)**2/2".')
@click.option("--lesson-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Use a lesson from your own TOML file.")
@click.option("--at", "at", multiple=True, metavar="NAME=V[,V…]",
              help="Values of the variables instead of the example (repeatable).")
@click.option("--wrt", multiple=True, metavar="NAME",
              help="Report and check the gradient of these variables (default: the parameters).")
@click.option("--sample", type=int, default=1, show_default=True, metavar="N",
              help="Which sample of a batch the tables show.")
@click.option("--output", "output_name", metavar="NAME", help="Which output of a vector lesson (e.g. s2).")
@click.option("--size", type=int, metavar="N", help="Number of classes/features for indexed lessons.")
@click.option("--format", "fmt", type=click.Choice(BACKPROP_FORMATS), default="text", show_default=True)
@click.option("--plot", metavar="FILE", help="Draw the graph with values and gradients (.png, .svg, .pdf).")
@click.option("--dot", metavar="FILE", help="Write the graph as Graphviz DOT text (.dot, .gv).")
@click.option("--force", is_flag=True, help="Replace the --plot/--dot files if they exist.")
@_user_errors
def backprop(what, expr, lesson_file, at, wrt, sample, output_name, size, fmt, plot, dot, force):
    """Forward and backward pass through a graph of primitive operations.

    \b
    tutor backprop neuron                       forward and backward tables, checked
    tutor backprop neuron --at x=2 --at t=1 --plot neuron.png --dot neuron.dot
    tutor backprop --expr "L = (sigmoid(w*x + b) - t)**2/2" --at w=0.5
    \b
    With vectors and matrices (TOPIC):
    tutor backprop jacobian softmax             J as a table and as diag(s) − s sᵀ; vᵀJ
    tutor backprop jacobian rowsum              row sums of exp(x), 2×3: zero blocks
    tutor backprop matmul                       Y = A·B, L = sum(Y): 1·Bᵀ and Aᵀ·1
    tutor backprop accumulate                   gradients add up until zero_grad()
    """
    from tutor.jacobian import TOPICS

    if what and what[0] in TOPICS:
        extra = [opt for opt, v in (("--expr", expr), ("--lesson-file", lesson_file),
                                    ("--wrt", wrt), ("--output", output_name), ("--size", size),
                                    ("--sample", sample != 1), ("--plot", plot), ("--dot", dot))
                 if v]
        if extra:
            raise UserError(f"{extra[0]} goes with a lesson, not with 'backprop {what[0]}'")
        from tutor.jacobian import topic

        result = topic(tuple(what), parse_at(at))
        if fmt == "json":
            from tutor.render.backprop_json import topic_json

            click.echo(topic_json(result))
        else:
            from tutor.render.backprop_text import TopicRenderer

            TopicRenderer().render(result)
        return
    lesson = what[0] if what else None
    if len(what) > 1:
        raise UserError(f"one lesson at a time, not {len(what)} ({' '.join(what)})")
    sources = [s for s in (lesson, expr, lesson_file) if s is not None]
    if len(sources) != 1:
        raise UserError("name one lesson, or give --expr TEXT, or --lesson-file FILE "
                        "(see 'tutor list')")
    check_output_path(plot, force=force)
    check_output_path(dot, force=force, suffixes=(".dot", ".gv"), option="--dot")
    if plot and dot and os.path.abspath(plot) == os.path.abspath(dot):
        raise UserError("--plot and --dot name the same file")
    values = parse_at(at)
    if sample < 1:
        raise UserError(f"--sample {sample}: samples are numbered from 1")

    from tutor.graph import backprop as run, lesson_from_assignment
    from tutor.lesson import load_lesson, load_lesson_file

    if expr is not None:
        if size is not None:
            raise UserError("--size goes with an indexed lesson, not with --expr")
        the_lesson = lesson_from_assignment(expr)
    else:
        the_lesson = (load_lesson(lesson, size=size) if lesson is not None
                      else load_lesson_file(lesson_file, size=size))
    for name in values:
        the_lesson.symbol(name)
    chosen = [s for name in wrt for s in the_lesson.names_for(name)]
    output = 0
    if output_name is not None:
        if output_name not in the_lesson.output_names:
            raise UserError(f"--output {output_name}: the outputs are "
                            f"{', '.join(the_lesson.output_names)}")
        output = the_lesson.output_names.index(output_name)
    result = run(the_lesson, at=values, wrt=chosen or None, output=output, sample=sample - 1)

    if fmt == "json":
        from tutor.render.backprop_json import backprop_json

        click.echo(backprop_json(result))
    else:
        from tutor.render.backprop_text import BackpropRenderer

        footer = ""
        if not plot and not dot:
            target = f"backprop {lesson}" if lesson else "backprop --expr …" if expr else "backprop --lesson-file …"
            footer = f"draw the graph: tutor {target} --plot graph.png   (or --dot graph.dot)"
        BackpropRenderer().render(result, footer=footer)
    if dot:
        from tutor.render.backprop_plot import write_dot

        write_dot(result, dot)
        click.echo(f"DOT written to {dot}", err=fmt == "json")
    if plot:
        from tutor.render.backprop_plot import plot_graph

        plot_graph(result, plot)
        click.echo(f"plot written to {plot}", err=fmt == "json")



# -- worksheets (tutor worksheet, grade, export) -------------------------------------------


if __name__ == "__main__":
    main()

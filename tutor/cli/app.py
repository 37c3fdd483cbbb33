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
from tutor.files import write_text

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
    tutor check sigmoid "exp(-z)/(1+exp(-z))^2"   is the derivative you worked out right?
    tutor train linear_regression --synthetic --true-w 2,-3.4 --true-b 4.2
    tutor backprop neuron            forward and backward pass, node by node
    tutor worksheet sigmoid softmax --variants 30 --seed 7 --out sheets
    Every command takes --help, and --lang zh for Chinese.
    """


# -- shared option parsing -----------------------------------------------------------------
def parse_at(values: tuple[str, ...], option: str = "--at") -> dict[str, object]:
    """``--at name=1.5`` or ``--at name=1,2,3`` → {name: 1.5 or [1, 2, 3]}; ``option`` names
    the option in messages (``--init`` reads the same syntax)."""
    import re

    from tutor.errors import TutorError
    from tutor.numbers import number_list

    out: dict[str, object] = {}
    for item in values:
        name, sep, numbers = item.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", name):
            raise UserError(_("{option} {item}: write name=value or name=v1,v2,… (like {option} "
                              "z=-2,0,2)").format(option=option, item=repr(item)))
        if numbers.count(",") >= 100_000:
            raise UserError(_("{option} {name}: at most 100000 values")
                            .format(option=option, name=name))
        try:
            nums = number_list(numbers, f"{option} {name}")
        except TutorError as exc:
            raise UserError(str(exc)) from None
        if name in out:
            raise UserError(_("{option} {name} given twice").format(option=option, name=name))
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

    from tutor.explaining.lesson import lesson_names, load_lesson

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

    from tutor.explaining.explanation import explain as run, lesson_from_expression
    from tutor.explaining.lesson import load_lesson, load_lesson_file

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
        from tutor.renderers.explaining.json import explanation_json

        click.echo(explanation_json(result))
    elif fmt == "markdown":
        from tutor.renderers.explaining.markdown import explanation_markdown

        click.echo(explanation_markdown(result))
    elif fmt == "latex":
        from tutor.renderers.explaining.latex import explanation_latex

        click.echo(explanation_latex(result))
    else:
        from tutor.renderers.explaining.text import TextRenderer

        footer = ""
        if not plot:
            target = f"explain {lesson}" if lesson else "explain --expr …" if expr else "explain --lesson-file …"
            footer = _("plot it: {command}").format(
                command=f"tutor {target} --plot {lesson or 'plot'}.png")
        TextRenderer(all_steps=all_steps).render(result, footer=footer)
    if plot:
        from tutor.explaining.explanation import curves
        from tutor.renderers.explaining.plot import plot_explanation

        note = plot_explanation(result, curves(result), plot)
        if note:
            click.echo(note, err=True)
        click.echo(_("plot written to {path}").format(path=plot), err=fmt == "json")


# -- train: gradient descent (tutor train) --------------------------------------------------

def _numbers(option: str, text: str, *, rows: bool = False):
    """``2,-3.4`` → [2.0, -3.4]; with rows, ``1,2;3,4`` → [[1, 2], [3, 4]]."""
    out = []
    for row in text.split(";") if rows else [text]:
        values = []
        for p in row.split(","):
            try:
                v = float(p)
            except ValueError:
                raise UserError(_("{option}: {value} is not a number")
                                .format(option=option, value=repr(p.strip()))) from None
            if not math.isfinite(v):
                raise UserError(_("{option}: {value} is not a finite number")
                                .format(option=option, value=repr(p.strip())))
            values.append(v)
        out.append(values)
    if rows and ";" in text:
        if len({len(r) for r in out}) != 1:
            raise UserError(_("{option}: every row (between ;) needs the same number of values")
                            .format(option=option))
        return out
    return out[0]


@main.command()
@click.argument("lesson", required=False)
@click.option("--expr", metavar="TEXT", help="Train this per-sample loss instead of a lesson.")
@click.option("--params", metavar="NAMES", help="With --expr: the names to train, like w,b.")
@click.option("--lesson-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Train a lesson from your own TOML file.")
@click.option("--size", type=int, metavar="N", help="Classes (or members) of an indexed lesson.")
@click.option("--data", "data", multiple=True, metavar="FILE|NAME=V,…",
              help="A .csv (header row) or .npz file, or literal values like x=1,2,3 (repeatable).")
@click.option("--synthetic", is_flag=True, help="Make data from --true-w and --true-b.")
@click.option("--true-w", metavar="W", help="True weights, one per feature (classes: rows;…).")
@click.option("--true-b", metavar="B", help="True bias (classes: one per class).")
@click.option("--samples", type=int, default=1000, show_default=True, help="Synthetic samples.")
@click.option("--noise", type=float, default=0.01, show_default=True,
              help="Standard deviation of the synthetic noise.")
@click.option("--lr", type=float, default=0.03, show_default=True, help="Learning rate η.")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--batch-size", type=int, metavar="N",
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
@language_option
@_user_errors
def train(lesson, expr, params, lesson_file, size, data, synthetic, true_w, true_b, samples,
          noise, lr, epochs, batch_size, shuffle, seed, init, reduce, fmt, plot, force):
    """Run gradient descent with a lesson's compiled gradients.

    \b
    tutor train linear_regression --synthetic --true-w 2,-3.4 --true-b 4.2 --samples 1000
            --batch-size 10 --lr 0.03 --epochs 3
    tutor train --expr "(w*x - y)**2" --params w --data x=1,2,3 --data y=2,4,6
            --init w=1 --lr 0.01 --epochs 10 --batch-size 1 --no-shuffle
    tutor train logistic_regression --data points.csv --plot fit.png
    """
    sources = [s for s in (lesson, expr, lesson_file) if s is not None]
    if len(sources) != 1:
        raise UserError(_("name one lesson, or give --expr TEXT with --params, or --lesson-file FILE"))
    if params is not None and expr is None:
        raise UserError(_("--params goes with --expr (a lesson names its own parameters)"))
    if synthetic and data:
        raise UserError(_("give the data one way: --data or --synthetic, not both"))
    if not synthetic and (true_w or true_b):
        raise UserError(_("--true-w and --true-b go with --synthetic"))
    if synthetic and not true_w:
        raise UserError(_("--synthetic needs --true-w (the weights to recover), like --true-w 2,-3.4"))
    if not 1 <= samples <= 10_000_000:
        raise UserError(_("--samples must be from 1 to 10000000, not {value}").format(value=samples))
    if not (math.isfinite(noise) and noise >= 0):
        raise UserError(_("--noise must be a number ≥ 0, not {value}").format(value=noise))
    if not (math.isfinite(lr) and lr > 0):
        raise UserError(_("--lr must be a positive number, not {value}").format(value=f"{lr:g}"))
    if epochs < 1:
        raise UserError(_("--epochs must be at least 1, not {value}").format(value=epochs))
    if batch_size is not None and batch_size < 1:
        raise UserError(_("--batch-size must be at least 1, not {value}").format(value=batch_size))
    if plot:
        from tutor.renderers.training.plot import plot_paths

        for path in plot_paths(plot):
            check_output_path(path, force=force)
    starts = parse_at(init, option="--init")
    tw = _numbers("--true-w", true_w, rows=True) if true_w else None
    tb = _numbers("--true-b", true_b) if true_b else [0.0]

    from tutor.training import model as models
    from tutor.training.data import read_data
    from tutor.training.stability import divergence_advice, hessian_bound
    from tutor.training.train import Settings, train as run

    if expr is not None:
        if size is not None:
            raise UserError(_("--size goes with an indexed lesson, not with --expr"))
        names = [p.strip() for p in (params or "").split(",") if p.strip()]
        the_model = models.from_expression(expr, names)
    else:
        the_model = models.load(lesson, lesson_file=lesson_file, size=size)
    if not synthetic and not data and the_model.data:
        raise UserError(_("give the data: --data FILE, --data name=v1,v2,… or --synthetic "
                          "(the model needs {names})")
                        .format(names=", ".join(the_model.data_groups())))
    if synthetic:
        raw = the_model.synthetic(true_w=tw, true_b=tb, samples=samples, noise=noise, seed=seed)
        where = (_("synthetic data, noise {noise}").format(noise=f"{noise:g}")
                 if the_model.kind == "regression" else _("synthetic data"))
    elif data:
        raw = read_data(data)
        where = ", ".join(d if "=" not in d else d.split("=")[0] + "=…" for d in data)
    else:
        raw, where = {}, None  # no data: the loss is a function of the parameters alone
    arrays = the_model.gather(raw)
    settings = Settings(lr=lr, epochs=epochs, batch_size=batch_size, shuffle=shuffle, seed=seed,
                        reduce=reduce or the_model.reduce or "mean")
    objective = the_model.objective
    prepared = objective.prepare(arrays)
    n = next(iter(prepared.values())).shape[0] if prepared else 1
    settings.check(n)
    objective.init_params(prepared, starts)  # refuses an --init the model lacks, before output
    bound = hessian_bound(objective, prepared, reduce=settings.reduce, batch_size=batch_size)

    from rich.console import Console

    console = Console(highlight=False, stderr=fmt == "json")
    from tutor.renderers.training import text as train_text

    if fmt == "text":
        train_text.header(console, the_model, settings, bound, n, where)
        with train_text.Progress(console, epochs) as progress:
            history = run(objective, arrays, settings, init=starts, on_epoch=progress,
                          prepared=prepared)
    else:
        history = run(objective, arrays, settings, init=starts, prepared=prepared)
    comparison = models.compare(the_model, history.params, arrays,
                                true_w=tw if synthetic else None, true_b=tb if synthetic else None)
    advice = (divergence_advice(lr, bound, at_start=history.stop_step == 0)
              if history.diverged else None)
    if fmt == "json":
        from tutor.renderers.training.json import history_json

        click.echo(history_json(the_model, history, comparison, bound, advice))
    else:
        train_text.result(console, the_model, history, comparison, bound, advice)
    if plot and history.epochs:
        from tutor.renderers.training.plot import plot_training
        from tutor.training.train import landscape

        scape = landscape(objective, prepared, history)
        view = models.fit_view(the_model, history.params, arrays)
        written, note = plot_training(plot, the_model, history, view, scape, with_note=True)
        if note:
            click.echo(note, err=True)
        click.echo(_("plots written to {paths}").format(paths=", ".join(written)),
                   err=fmt == "json")
    if history.diverged:
        if fmt == "json":
            line = (_("error: training diverged at epoch {epoch}, step {step}: {advice}")
                    .format(epoch=history.stop_epoch, step=history.stop_step, advice=advice)
                    if history.stop_step else
                    _("error: training stopped before the first step: {advice}")
                    .format(advice=advice))
            click.echo(line, err=True)
        sys.exit(1)  # the run finished its report; exit code 1 says it diverged



# -- check: hand-derived gradients (tutor check, gradcheck, quiz) -------------------------
def _load_for_check(lesson, expr, lesson_file, size, wrt_names):
    """The lesson (or one-off lesson for --expr) and the one variable to differentiate by."""
    from tutor.explaining.explanation import lesson_from_expression
    from tutor.explaining.lesson import load_lesson, load_lesson_file

    sources = [s for s in (lesson, expr, lesson_file) if s is not None]
    if len(sources) != 1:
        raise UserError(_("name one lesson, or give --expr TEXT, or --lesson-file FILE "
                          "(see 'tutor list')"))
    if expr is not None:
        if size is not None:
            raise UserError(_("--size goes with an indexed lesson, not with --expr"))
        the_lesson = lesson_from_expression(expr, wrt=wrt_names)
        chosen = list(the_lesson.wrt)
        if not wrt_names and len(chosen) > 1:
            raise UserError(_("say which variable with --wrt (the expression has {names})")
                            .format(names=", ".join(s.name for s in chosen)))
    else:
        the_lesson = (load_lesson(lesson, size=size) if lesson is not None
                      else load_lesson_file(lesson_file, size=size))
        chosen = [s for name in wrt_names for s in the_lesson.names_for(name)]
        if not chosen:
            chosen = list(the_lesson.wrt)
    if len(chosen) != 1:
        names = ", ".join(s.name for s in chosen)
        raise UserError(_("check one derivative at a time: name one variable with --wrt "
                          "(one of {names})").format(names=names))
    return the_lesson, chosen[0]


# an answer may start with a minus sign, and "-h" inside "-heaviside(z)" or "-tanh(z)" must not
# be read as the help option: only a lone -h asks for help here
@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("args", nargs=-1, metavar="[LESSON] [ANSWER]")
@click.option("--expr", "expr", metavar="TEXT", help="Check a derivative of this expression.")
@click.option("--lesson-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Use a lesson from your own TOML file.")
@click.option("--wrt", multiple=True, metavar="NAME", help="The variable the derivative is by.")
@click.option("--of", "output", metavar="NAME",
              help="For a vector function (softmax): the component, like s2 (default the first).")
@click.option("--size", type=int, metavar="N", help="Number of classes/features for indexed lessons.")
@click.option("--at", "at", multiple=True, metavar="NAME=V[,V…]",
              help="The point of a --claim (lists are columns of a batch).")
@click.option("--reduce", type=click.Choice(["mean", "sum"]),
              help="How a batch's per-sample derivatives combine for --claim.")
@click.option("--claim", metavar="NUMBER",
              help="A number you say the derivative has at the --at point.")
@click.option("--reveal", is_flag=True, help="Show the whole correct derivation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@language_option
@_user_errors
def check(args, expr, lesson_file, wrt, output, size, at, reduce, claim, reveal, fmt):
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
    """
    args = list(args)
    if "-h" in args:
        ctx = click.get_current_context()
        click.echo(ctx.get_help())
        ctx.exit(0)
    for a in args:
        if a.startswith("--"):
            raise UserError(_("no such option: {option} (see tutor check --help)")
                            .format(option=a))
    lesson = None
    if expr is None and lesson_file is None:
        if not args:
            raise UserError(_("name a lesson (see 'tutor list') or give --expr TEXT"))
        lesson = args.pop(0)
    if len(args) > 1:
        raise UserError(_("too many arguments: {extra} (quote the answer: \"2*x + 1\")")
                        .format(extra=repr(" ".join(args[1:]))))
    answer = args[0] if args else None
    if answer is None and claim is None:
        raise UserError(_("give your answer (the derivative, in quotes) or a number with "
                          "--claim"))
    if at and claim is None:
        raise UserError(_("--at gives the point of a --claim; add --claim NUMBER"))
    values = parse_at(at)

    from tutor.checking.check import check_answer, check_claim, example_points

    the_lesson, var = _load_for_check(lesson, expr, lesson_file, size, wrt)
    for name in values:
        the_lesson.symbol(name)
    index = 0
    if output is not None:
        names = the_lesson.output_names
        if output not in names:
            raise UserError(_("--of {output}: the function's components are {names}")
                            .format(output=output, names=", ".join(names)))
        index = names.index(output)
    function = the_lesson.outputs[index]
    name = the_lesson.output_names[index] if expr is None else "f"
    verdict = claim_verdict = None
    if answer is not None:
        verdict = check_answer(function, var, answer, named=the_lesson.named,
                               assumptions=the_lesson.assumptions,
                               symbols=the_lesson.symbols, name=name,
                               prefer=example_points(the_lesson.example))
    if claim is not None:
        point = dict(the_lesson.example) if expr is None else {}
        point.update(values)
        claim_verdict = check_claim(function, var, claim, point,
                                    reduce=reduce or the_lesson.reduce,
                                    named=the_lesson.named, assumptions=the_lesson.assumptions,
                                    name=name)
    if fmt == "json":
        from tutor.renderers.checking.text import check_json

        click.echo(check_json(verdict, claim_verdict))
    else:
        from tutor.renderers.checking.text import render_claim, render_verdict

        if verdict is not None:
            render_verdict(verdict, reveal=reveal)
        if claim_verdict is not None:
            if verdict is not None:
                click.echo()
            render_claim(claim_verdict)
    ok = all(v.correct for v in (verdict, claim_verdict) if v is not None)
    if not ok:
        sys.exit(1)




@main.command()
@click.argument("target", metavar="FILE.py:FUNCTION")
@click.option("--inputs", "inputs_name", default="inputs", show_default=True, metavar="NAME",
              help="The function (or dict) in FILE.py giving the arrays to check at.")
@click.option("--wrt", multiple=True, metavar="NAME", help="Check only these inputs (repeatable).")
@click.option("--samples", type=click.IntRange(1, 1_000_000), default=200, show_default=True,
              help="Entries checked per array; bigger arrays get a random subset.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of that subset.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@language_option
@_user_errors
def gradcheck(target, inputs_name, wrt, samples, seed, fmt):
    """Check NumPy gradient code you wrote against finite differences.

    \b
    FILE.py defines either
      FUNCTION(**inputs) -> (loss, grads)            tutor gradcheck model.py:loss_and_grad
    or a pair
      LOSS(**inputs) -> loss, GRAD(**inputs) -> grads
                                                     tutor gradcheck model.py:loss,grad
    and inputs() returning a dict {name: array} (or a dict INPUTS).
    grads is a dict {name: array} or a tuple in the order of the inputs.

    \b
    Central finite differences in float64; relative error per entry
    |a − n| / max(|a|, |n|): below 1e-7 good, 1e-7 … 1e-4 suspicious, above 1e-4
    wrong. Near a kink (ReLU at 0, max, |x|) finite differences are unreliable.
    Exit code: 0 no wrong entry, 1 a wrong gradient, 2 the file cannot be used.
    """
    from tutor.checking.gradcheck import check_gradient, load_target

    t = load_target(target, inputs_name=inputs_name)
    report = check_gradient(t.fn, t.inputs, grad_fn=t.grad_fn, wrt=list(wrt) or None,
                            samples=samples, seed=seed, path=t.path, name=t.name)
    if fmt == "json":
        from tutor.renderers.checking.gradcheck import gradcheck_json

        click.echo(gradcheck_json(report, target))
    else:
        from tutor.renderers.checking.gradcheck import render_gradcheck

        render_gradcheck(report, target)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("lesson", required=False)
@click.option("--count", type=click.IntRange(1, 100), metavar="N", help="Ask at most N questions.")
@click.option("--seed", type=int, help="Shuffle the questions with this seed.")
@click.option("--size", type=int, metavar="N", help="Number of classes/features for indexed lessons.")
@language_option
@_user_errors
def quiz(lesson, count, seed, size):
    """Practise: type the derivatives of a lesson (or of all lessons) and get them checked.

    \b
    tutor quiz sigmoid
    tutor quiz --count 5 --seed 1
    printf 'sigmoid(z)*(1-sigmoid(z))\\n' | tutor quiz sigmoid

    \b
    Each answer is checked like 'tutor check' does; a wrong one gets a diagnosis.
    h  one more step of the derivation as a hint       (also: hint, ?, 提示)
    s  show the answer and go on                       (also: skip, 跳过, 答案)
    q  quit (the end of the input quits too)           (also: quit, 退出)
    Answers are read line by line from standard input, so a pipe works.
    """
    from tutor.explaining.lesson import lesson_names, load_lesson
    from tutor.assessment.quiz import Quiz, questions_for
    from tutor.renderers.assessment.quiz import run_quiz

    if lesson is None:
        if size is not None:
            raise UserError(_("--size goes with one indexed lesson"))
        lessons = [load_lesson(n) for n in lesson_names()]
    else:
        lessons = [load_lesson(lesson, size=size)]
    the_quiz = Quiz(questions_for(lessons, count=count, seed=seed))
    stdin = sys.stdin
    interactive = stdin.isatty()

    def read_line():
        if interactive:
            try:
                return click.prompt(">", prompt_suffix=" ", default="", show_default=False)
            except (EOFError, click.exceptions.Abort):
                return None
        line = stdin.readline()
        return line if line else None

    run_quiz(the_quiz, read_line, echo=not interactive)


# -- backprop: graphs, forward/backward tables, Jacobians (tutor backprop) ---------------
BACKPROP_FORMATS = ("text", "json")


def _show_topic(make, fmt: str) -> None:
    """A vector/matrix topic (or a lesson's matrix form) as text or JSON.  ``make()`` builds
    the topic; for JSON in another language it is built once more in English, so that the
    labels a script reads (matrices, rows, columns, checks) stay English."""
    from tutor.i18n import current_language, speaking

    topic = make()
    if fmt == "json":
        from tutor.renderers.backpropagation.json import topic_json

        english = None
        if current_language() != "en":
            with speaking("en"):
                english = make()
        click.echo(topic_json(topic, english=english))
    else:
        from tutor.renderers.backpropagation.text import TopicRenderer

        TopicRenderer().render(topic)


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
@click.option("--matrix", is_flag=True,
              help="The whole batch in matrix form through the tensor engine "
                   "(linear_regression, logistic_regression, mlp).")
@language_option
@_user_errors
def backprop(what, expr, lesson_file, at, wrt, sample, output_name, size, fmt, plot, dot, force,
             matrix):
    """Forward and backward pass through a graph of primitive operations.

    \b
    tutor backprop neuron                       forward and backward tables, checked
    tutor backprop neuron --at x=2 --at t=1 --plot neuron.png --dot neuron.dot
    tutor backprop --expr "L = (sigmoid(w*x + b) - t)**2/2" --at w=0.5
    tutor backprop mlp --matrix                 the batch as a matrix: one backward pass
    \b
    With vectors and matrices (TOPIC):
    tutor backprop jacobian softmax             J as a table and as diag(s) − s sᵀ; vᵀJ
    tutor backprop jacobian rowsum              row sums of exp(x), 2×3: zero blocks
    tutor backprop matmul                       Y = A·B, L = sum(Y): 1·Bᵀ and Aᵀ·1
    tutor backprop accumulate                   gradients add up until zero_grad()
    """
    from tutor.backpropagation.jacobian import TOPICS

    if what and what[0] in TOPICS:
        extra = [opt for opt, v in (("--expr", expr), ("--lesson-file", lesson_file),
                                    ("--wrt", wrt), ("--output", output_name), ("--size", size),
                                    ("--sample", sample != 1), ("--plot", plot), ("--dot", dot),
                                    ("--matrix", matrix))
                 if v]
        if extra:
            raise UserError(_("{option} goes with a lesson, not with '{command}'").format(
                option=extra[0], command=f"backprop {what[0]}"))
        from tutor.backpropagation.jacobian import topic

        values = parse_at(at)
        _show_topic(lambda: topic(tuple(what), values), fmt)
        return
    lesson = what[0] if what else None
    if len(what) > 1:
        raise UserError(_("one lesson at a time, not {count} ({names})").format(
            count=len(what), names=" ".join(what)))
    sources = [s for s in (lesson, expr, lesson_file) if s is not None]
    if len(sources) != 1:
        raise UserError(_("name one lesson, or give --expr TEXT, or --lesson-file FILE "
                          "(see 'tutor list')"))
    check_output_path(plot, force=force)
    check_output_path(dot, force=force, suffixes=(".dot", ".gv"), option="--dot")
    if plot and dot and os.path.abspath(plot) == os.path.abspath(dot):
        raise UserError(_("--plot and --dot name the same file"))
    values = parse_at(at)
    if sample < 1:
        raise UserError(_("--sample {sample}: samples are numbered from 1").format(sample=sample))

    from tutor.backpropagation.graph import backprop as run, lesson_from_assignment
    from tutor.explaining.lesson import load_lesson, load_lesson_file

    if expr is not None:
        if size is not None:
            raise UserError(_("--size goes with an indexed lesson, not with --expr"))
        the_lesson = lesson_from_assignment(expr)
    else:
        the_lesson = (load_lesson(lesson, size=size) if lesson is not None
                      else load_lesson_file(lesson_file, size=size))
    for name in values:
        the_lesson.symbol(name)
    if matrix:
        extra = [opt for opt, v in (("--expr", expr), ("--wrt", wrt), ("--output", output_name),
                                    ("--sample", sample != 1), ("--plot", plot), ("--dot", dot))
                 if v]
        if extra:
            raise UserError(_("{option} does not go with --matrix (it shows the whole batch)")
                            .format(option=extra[0]))
        from tutor.backpropagation.matrix_form import matrix_form

        _show_topic(lambda: matrix_form(the_lesson, values), fmt)
        return
    chosen = [s for name in wrt for s in the_lesson.names_for(name)]
    output = 0
    if output_name is not None:
        if output_name not in the_lesson.output_names:
            raise UserError(_("--output {name}: the outputs are {names}").format(
                name=output_name, names=", ".join(the_lesson.output_names)))
        output = the_lesson.output_names.index(output_name)
    result = run(the_lesson, at=values, wrt=chosen or None, output=output, sample=sample - 1)

    if fmt == "json":
        from tutor.renderers.backpropagation.json import backprop_json

        click.echo(backprop_json(result))
    else:
        from tutor.renderers.backpropagation.text import BackpropRenderer

        footer = ""
        if not plot and not dot:
            target = f"backprop {lesson}" if lesson else "backprop --expr …" if expr else "backprop --lesson-file …"
            footer = _("draw the graph: {command}   (or {dot})").format(
                command=f"tutor {target} --plot graph.png", dot="--dot graph.dot")
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



# -- worksheets (tutor worksheet, grade, export) -------------------------------------------
from tutor.i18n import N_  # noqa: E402  (the section's own import)

SHEET_FORMATS = ("md", "tex", "html", "pdf")
#: the kinds of problem as `tutor grade` names them
KIND_NAMES = {"derive": N_("derive"), "evaluate": N_("evaluate"), "gd_step": N_("gd_step"),
              "backward": N_("backward"), "mistake": N_("mistake")}


@main.command()
@click.argument("lessons", nargs=-1, required=True, metavar="LESSON...")
@click.option("--problems", "-n", type=int, default=6, show_default=True, metavar="N",
              help="Problems on each sheet (1–40).")
@click.option("--variants", "-k", type=int, default=1, show_default=True, metavar="K",
              help="How many different sheets (1–500).")
@click.option("--seed", type=int, default=0, show_default=True, metavar="S",
              help="The same seed gives the same sheets, byte for byte.")
@click.option("--out", "out", required=True, metavar="DIR",
              help="Folder for the sheets, the answer keys and key.json.")
@click.option("--format", "formats", multiple=True, type=click.Choice(SHEET_FORMATS),
              help="md, tex, html or pdf (repeatable; default: all four).")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(("derive", "evaluate", "gd_step", "backward", "mistake")),
              help="Only these kinds of problem (repeatable; default: all the lessons offer).")
@click.option("--export", "exports", multiple=True, type=click.Choice(("moodle", "gift")),
              help="Also write the problems for a quiz system: quiz.xml (Moodle XML) or "
                   "quiz.gift (GIFT). Repeatable.")
@click.option("--force", is_flag=True, help="Replace the sheets of an earlier run in DIR.")
@language_option
@_user_errors
def worksheet(lessons, problems, variants, seed, out, formats, kinds, exports, force):
    """Printable worksheets with randomised numbers, answer keys and a machine key.

    \b
    tutor worksheet sigmoid softmax --variants 30 --seed 7 --out sheets/
    tutor worksheet linear_regression neuron -n 10 -k 5 --format pdf --out week3/
    tutor grade sheets/key.json answers/
    """
    from tutor.assessment.worksheet import check_counts

    check_counts(problems, variants)
    if seed < 0:
        raise UserError(_("--seed must be 0 or more, not {seed}").format(seed=seed))
    from tutor.renderers.assessment.files import check_folder

    folder = check_folder(out, force=force)
    from tutor.renderers.assessment.files import render_files, write_files
    from tutor.assessment.worksheet import make_worksheets

    chosen = tuple(dict.fromkeys(formats)) or SHEET_FORMATS
    ws = make_worksheets(list(lessons), problems=problems, variants=variants, seed=seed,
                         kinds=kinds or None)
    files = render_files(ws, chosen, tuple(dict.fromkeys(exports)))
    write_files(folder, files, force=force)
    first, last = ws.sheets[0], ws.sheets[-1]
    width = max(2, len(str(variants)))
    stem = lambda s: f"variant-{s.variant:0{width}d}"
    fmt = chosen[0]
    sheets = (_("{n} sheets") if variants > 1 else _("{n} sheet")).format(n=variants)
    keys = (_("{n} answer keys") if variants > 1 else _("{n} answer key")).format(n=variants)
    in_formats = (_("{n} formats") if len(chosen) > 1 else _("{n} format")).format(n=len(chosen))
    click.echo(_("wrote {sheets} × {problems} problems in {formats} ({names}) + {keys} + key.json")
               .format(sheets=sheets, problems=problems, formats=in_formats,
                       names=", ".join(chosen), keys=keys))
    shown = os.path.join(out, f"{stem(first)}.{fmt}")
    if variants > 1:
        shown += f" … {stem(last)}.{fmt}"
    click.echo(f"{shown}   {os.path.join(out, 'answers', stem(first) + '.' + fmt)} …")
    for name, what in (("quiz.xml", "Moodle XML"), ("quiz.gift", "GIFT")):
        if name in files:
            click.echo(_("{format} for import: {path}").format(format=what,
                                                               path=os.path.join(out, name)))
    click.echo(_("grade with: {command}").format(
        command=f"tutor grade {os.path.join(out, 'key.json')} ANSWERS"))
    if "pdf" in chosen:
        from tutor.renderers.assessment.pdf import pdf_language

        note = pdf_language()[1]
        if note:
            click.echo(note, err=True)




@main.command()
@click.argument("key", metavar="KEY")
@click.argument("answers", metavar="ANSWERS")
@click.option("--csv", "csv_path", metavar="FILE",
              help="Write the class's scores to FILE (.csv) instead of printing them.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="How to show one student's grading.")
@click.option("--force", is_flag=True, help="Replace the --csv file if it exists.")
@language_option
@_user_errors
def grade(key, answers, csv_path, fmt, force):
    """Grade answers against a worksheet's key (key.json, or one variant's key).

    ANSWERS is one student's answers file, or a folder of them (*.txt): one answer per line,
    "3: 0.125", with a line "variant: s7-v03" naming the sheet (see the README).

    \b
    tutor grade sheets/key.json ada.txt
    tutor grade sheets/key.json answers/ --csv scores.csv
    """
    from pathlib import Path

    from tutor.assessment.grade import answer_files, grade_path, scores_csv
    from tutor.assessment.key import read_key

    check_output_path(csv_path, force=force, suffixes=(".csv",), option="--csv")
    keys = read_key(key)
    target = Path(answers)
    if not target.exists():
        raise UserError(_("answers {path}: no such file or folder").format(path=answers))
    if target.is_dir():
        results = [grade_path(keys, f, strict=False) for f in answer_files(target)]
        table = scores_csv(results)
        if csv_path:
            write_text(csv_path, table)
            for r in results:
                state = r.problem if not r.marks else f"{r.score:g} / {r.out_of}"
                click.echo(f"{r.student:<24} {r.variant:<12} {state}")
            click.echo(_("scores of {n} students written to {path}")
                       .format(n=len(results), path=csv_path))
        else:
            click.echo(table, nl=False)
        return
    if csv_path:
        result = grade_path(keys, target, strict=True)
        write_text(csv_path, scores_csv([result]))
    else:
        result = grade_path(keys, target, strict=True)
    if fmt == "json":
        import json

        click.echo(json.dumps({"student": result.student, "variant": result.variant,
                               "score": result.score, "out_of": result.out_of,
                               "marks": [{"problem": m.number, "kind": m.kind, "score": m.score,
                                          "status": m.status, "answer": m.answer,
                                          "reason": m.reason} for m in result.marks]},
                              ensure_ascii=False, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(_("{student}   variant {variant}   score {score}").format(
        student=f"[bold]{result.student}[/bold]", variant=result.variant,
        score=f"[bold]{result.score:g} / {result.out_of}[/bold]"))
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("", overflow="fold")
    table.add_column(_("problem"), overflow="fold")
    table.add_column(_("answer"), overflow="fold")
    table.add_column(_("why"), overflow="fold")
    marks = {"right": "[green]✓[/green]", "partly": "[yellow]½[/yellow]",
             "wrong": "[red]✗[/red]", "missing": "[red]–[/red]"}
    for m in result.marks:
        partly = f" ({m.score:g})" if m.status == "partly" else ""
        kind = _(KIND_NAMES[m.kind]) if m.kind in KIND_NAMES else m.kind
        table.add_row(marks[m.status], f"{m.number}. {kind}{partly}", m.answer or "—",
                      m.reason)
    console.print(table)
    if result.problem:
        click.echo(_("note: {note}").format(note=result.problem))

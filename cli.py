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


# -- worksheets (tutor worksheet, grade, export) -------------------------------------------
SHEET_FORMATS = ("md", "tex", "html", "pdf")


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
@_user_errors
def worksheet(lessons, problems, variants, seed, out, formats, kinds, exports, force):
    """Printable worksheets with randomised numbers, answer keys and a machine key.

    \b
    tutor worksheet sigmoid softmax --variants 30 --seed 7 --out sheets/
    tutor worksheet linear_regression neuron -n 10 -k 5 --format pdf --out week3/
    tutor grade sheets/key.json answers/
    """
    from tutor.worksheet import check_counts

    check_counts(problems, variants)
    if seed < 0:
        raise UserError(f"--seed must be 0 or more, not {seed}")
    from tutor.render.sheet_files import check_folder

    folder = check_folder(out, force=force)
    from tutor.render.sheet_files import render_files, write_files
    from tutor.worksheet import make_worksheets

    chosen = tuple(dict.fromkeys(formats)) or SHEET_FORMATS
    ws = make_worksheets(list(lessons), problems=problems, variants=variants, seed=seed,
                         kinds=kinds or None)
    files = render_files(ws, chosen, tuple(dict.fromkeys(exports)))
    write_files(folder, files, force=force)
    first, last = ws.sheets[0], ws.sheets[-1]
    width = max(2, len(str(variants)))
    stem = lambda s: f"variant-{s.variant:0{width}d}"
    fmt = chosen[0]
    click.echo(f"wrote {variants} sheet{'s' if variants > 1 else ''} × {problems} problems in "
               f"{len(chosen)} format{'s' if len(chosen) > 1 else ''} ({', '.join(chosen)}) + "
               f"{variants} answer key{'s' if variants > 1 else ''} + key.json")
    shown = os.path.join(out, f"{stem(first)}.{fmt}")
    if variants > 1:
        shown += f" … {stem(last)}.{fmt}"
    click.echo(f"{shown}   {os.path.join(out, 'answers', stem(first) + '.' + fmt)} …")
    for name, what in (("quiz.xml", "Moodle XML"), ("quiz.gift", "GIFT")):
        if name in files:
            click.echo(f"{what} for import: {os.path.join(out, name)}")
    click.echo(f"grade with: tutor grade {os.path.join(out, 'key.json')} ANSWERS")




@main.command()
@click.argument("key", metavar="KEY")
@click.argument("answers", metavar="ANSWERS")
@click.option("--csv", "csv_path", metavar="FILE",
              help="Write the class's scores to FILE (.csv) instead of printing them.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="How to show one student's grading.")
@click.option("--force", is_flag=True, help="Replace the --csv file if it exists.")
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

    from tutor.grade import answer_files, grade_path, scores_csv
    from tutor.key import read_key

    check_output_path(csv_path, force=force, suffixes=(".csv",), option="--csv")
    keys = read_key(key)
    target = Path(answers)
    if not target.exists():
        raise UserError(f"answers {answers}: no such file or folder")
    if target.is_dir():
        results = [grade_path(keys, f, strict=False) for f in answer_files(target)]
        table = scores_csv(results)
        if csv_path:
            _write_text(csv_path, table)
            total = results[0].out_of if results else 0
            for r in results:
                state = r.problem if not r.marks else f"{r.score:g} / {r.out_of}"
                click.echo(f"{r.student:<24} {r.variant:<12} {state}")
            click.echo(f"scores of {len(results)} students written to {csv_path}")
        else:
            click.echo(table, nl=False)
        return
    if csv_path:
        result = grade_path(keys, target, strict=True)
        _write_text(csv_path, scores_csv([result]))
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
    console.print(f"[bold]{result.student}[/bold]   variant {result.variant}   "
                  f"score [bold]{result.score:g} / {result.out_of}[/bold]")
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for col in ("", "problem", "answer", "why"):
        table.add_column(col, overflow="fold")
    marks = {"right": "[green]✓[/green]", "partly": "[yellow]½[/yellow]",
             "wrong": "[red]✗[/red]", "missing": "[red]–[/red]"}
    for m in result.marks:
        partly = f" ({m.score:g})" if m.status == "partly" else ""
        table.add_row(marks[m.status], f"{m.number}. {m.kind}{partly}", m.answer or "—",
                      m.reason)
    console.print(table)
    if result.problem:
        click.echo(f"note: {result.problem}")


def _write_text(path: str, text: str) -> None:
    """Write a file whole or not at all."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tutor-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


if __name__ == "__main__":
    main()

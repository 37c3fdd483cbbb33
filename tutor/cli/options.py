"""What several commands read the same way, said once: the lesson source (a lesson's name,
``--expr`` or ``--lesson-file``, with ``--size``), point values (``--at``, ``--init``), number
lists, output files, bounded numbers and picking an output by name."""

from __future__ import annotations

import math
import os
import re
from typing import Callable

import click

from tutor.cli.base import UserError
from tutor.i18n import _
from tutor.requests.source import Source  # noqa: F401  (the commands' lesson source)

PLOT_SUFFIXES = (".png", ".svg", ".pdf")


# -- the lesson a command works on ----------------------------------------------------------
def expr_option(help: str):
    return click.option("--expr", "expr", metavar="TEXT", help=help)


def lesson_file_option(help: str = "Use a lesson from your own TOML file."):
    return click.option("--lesson-file", type=click.Path(), metavar="FILE",
                        help=help)


def size_option(help: str = "Number of classes/features for indexed lessons."):
    return click.option("--size", type=int, metavar="N", help=help)


def command_line(source: Source, command: str) -> str:
    """The command as the user could type it again: ``explain sigmoid``,
    ``explain --expr …``."""
    if source.lesson is not None:
        return f"{command} {source.lesson}"
    return f"{command} --expr …" if source.expr is not None else f"{command} --lesson-file …"


# -- numbers typed on the command line ------------------------------------------------------
def parse_at(values: tuple[str, ...], option: str = "--at") -> dict[str, object]:
    """``--at name=1.5``, ``--at name=1,2,3`` or rows ``--at "w=1,2;3,4"`` → {name: 1.5,
    [1, 2, 3] or [[1, 2], [3, 4]]}; ``option`` names the option in messages (``--init`` reads
    the same syntax)."""
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
            rows = [number_list(row, f"{option} {name}") for row in numbers.split(";")]
        except TutorError as exc:
            raise UserError(str(exc)) from None
        if len({len(r) for r in rows}) != 1:
            raise UserError(_("{option}: every row (between ;) needs the same number of values")
                            .format(option=option))
        if name in out:
            raise UserError(_("{option} {name} given twice").format(option=option, name=name))
        out[name] = rows if len(rows) > 1 else rows[0][0] if len(rows[0]) == 1 else rows[0]
    return out


def numbers(option: str, text: str, *, rows: bool = False):
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


class Bounded(click.ParamType):
    """A finite int or float that passes ``test``; otherwise one translated line naming the
    option (Click's own range types speak English only)."""

    def __init__(self, kind: type, test: Callable[[float], bool], message: str):
        self.kind, self.test, self.message = kind, test, message
        self.name = "integer" if kind is int else "float"

    def convert(self, value, param, ctx):
        option = param.opts[0] if param is not None else ""
        if isinstance(value, self.kind):
            number = value
        else:
            try:
                number = self.kind(str(value).strip())
            except ValueError:
                raise UserError(_("{option}: {value} is not a number")
                                .format(option=option, value=repr(value))) from None
        if not (math.isfinite(number) and self.test(number)):
            shown = f"{number:g}" if isinstance(number, float) else str(number)
            raise UserError(_(self.message).format(param=option, value=shown))
        return number


# -- files a command writes -----------------------------------------------------------------
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


def written(what: str, path: str, *, to_stderr: bool) -> None:
    """The line saying a file was written (on stderr when stdout carries JSON)."""
    click.echo(what.format(path=path), err=to_stderr)


class FormatChoice(click.Choice):
    """A --format choice that also takes a format's other spelling: md or markdown, tex or
    latex, whichever the command names it."""

    ALIASES = {"md": "markdown", "markdown": "md", "tex": "latex", "latex": "tex"}

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value not in self.choices:
            other = self.ALIASES.get(value.lower(), value.lower())
            if other in self.choices:
                value = other
        return super().convert(value, param, ctx)

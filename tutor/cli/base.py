"""The application every command hangs on: the group, its error handling, ``--lang``.

A problem with the user's input is shown as one line on standard error, with exit code 2 and
no traceback.  Everything heavy (SymPy, NumPy, rich, matplotlib) is imported inside the
commands, so ``tutor --help`` answers at once.
"""

from __future__ import annotations

import functools
import sys

import click

from tutor.i18n import LANGUAGES, _, set_language


class UserError(click.ClickException):
    """Bad input: one line (plus a caret under an expression), exit code 2."""

    exit_code = 2

    def __init__(self, message: str, detail: list[str] | None = None):
        super().__init__(message)
        self.detail = detail or []

    def show(self, file=None):
        file = file or sys.stderr
        click.echo(_("error: {message}").format(message=visible(self.format_message())),
                   file=file)
        for line in self.detail:
            click.echo(visible(line), file=file)


#: what a terminal would act on instead of showing: C0 and C1 controls but the tab (a file
#: name or a key in a file may hold an escape sequence), and the bidirectional controls
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0a, 0x20),
                                        *range(0x7f, 0xa0)]}
_CONTROL.update({c: f"\\u{c:04x}" for c in [*range(0x202a, 0x202f), *range(0x2066, 0x206a)]})


def visible(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``), so a message
    quoting a file name or a file's contents is shown as it is and never acted on."""
    return text.translate(_CONTROL)


#: the result the last command computed, kept for a notebook's ``%tutor`` to show
LAST: list = [None]


def keep(result):
    """Keep ``result`` as the last command's (see :data:`LAST`); returns it."""
    LAST[0] = result
    return result


def option_for(param: str) -> str:
    """The option that gives a library parameter its value: ``batch_size`` → ``--batch-size``."""
    return "--" + param.replace("_", "-")


def user_errors(fn):
    """Turn the library's TutorError into a UserError (imported lazily, like the library); a
    parameter the library names is called by its option."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from tutor.errors import ParameterError, TutorError

        try:
            return fn(*args, **kwargs)
        except ParameterError as exc:
            raise UserError(exc.called(option_for), exc.detail_lines()) from None
        except TutorError as exc:
            raise UserError(str(exc), exc.detail_lines()) from None

    return wrapper


class TutorGroup(click.Group):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        set_language(None)  # the locale's language until a command's --lang says otherwise
        from tutor.calculus import budget

        # a real command line (not a test's CliRunner, which replaces the standard streams)
        budget.HARD_STOP = standalone_mode and sys.stderr is sys.__stderr__
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
        except MemoryError:
            click.echo(_("error: this needs more memory than the machine can give; try a "
                         "smaller input"), err=True)
            sys.exit(2)
        except OSError as exc:  # a file that cannot be written or read: the disk, a folder
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(_("error: {where}{problem}; nothing was replaced").format(
                where=where, problem=exc.strerror or exc), err=True)
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
    tutor descend rosenbrock         optimizers racing down a valley, step by step
    tutor backprop neuron            forward and backward pass, node by node
    tutor worksheet sigmoid softmax --variants 30 --seed 7 --out sheets
    Every command takes --help, and --lang zh for Chinese.
    """


def _choose_language(ctx, param, value):
    set_language(value)  # None: from LC_ALL / LC_MESSAGES / LANG, English when unknown
    return value


def language_option(command):
    """``--lang zh|en`` on a command; without it, the user's locale decides."""
    return click.option("--lang", type=click.Choice(LANGUAGES), default=None, is_eager=True,
                        expose_value=False, callback=_choose_language,
                        help="Language of the text (default: from LANG / LC_ALL).")(command)


def command(*args, **kwargs):
    """``@command()``: a subcommand of ``tutor`` that takes ``--lang`` and shows the library's
    errors as one line.  Options are declared between this decorator and the function."""

    def decorate(fn):
        wrapped = user_errors(fn)
        # --lang is listed last in --help, after the command's own options
        lang = language_option(lambda: None).__click_params__
        wrapped.__click_params__ = lang + getattr(wrapped, "__click_params__", [])
        return main.command(*args, **kwargs)(wrapped)

    return decorate

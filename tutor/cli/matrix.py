"""``tutor matrix``: matrix calculus with the shape of every term.

A command of its own, beside ``tutor explain`` and ``tutor check``, because its input differs:
names have shapes (``--shape X=n,d``) and ``--size`` gives the sizes' letters values
(``--size n=4,d=3``), where the scalar commands' ``--size`` is one number of an indexed
lesson; and its lessons are a separate set (``tutor matrix list``).
"""

from __future__ import annotations

import sys

import click

from tutor.cli.base import UserError, language_option, main, user_errors
from tutor.cli.options import Bounded, FormatChoice, lesson_file_option, parse_at
from tutor.i18n import N_, _

SEED = Bounded(int, lambda v: 0 <= v < 2**31, N_("{param} must be a whole number from 0 to "
                                                 "2147483647, not {value}"))

FORMATS = ("text", "markdown", "latex", "json")


@main.group("matrix", context_settings={"help_option_names": ["-h", "--help"]})
def matrix():
    """Matrix calculus step by step, with the shape of every term.

    \b
    tutor matrix list
    tutor matrix explain linear_regression
    tutor matrix explain --expr "mean((X @ w - y)**2)" --shape X=n,d --shape w=d --shape y=n
    tutor matrix check softmax_regression --wrt W "X.T @ (softmax(X @ W + b) - Y) / n"
    """


def subcommand(*args, **kwargs):
    """A subcommand of ``tutor matrix`` with ``--lang`` and the library's errors as one line."""

    def decorate(fn):
        wrapped = user_errors(fn)
        lang = language_option(lambda: None).__click_params__
        wrapped.__click_params__ = lang + getattr(wrapped, "__click_params__", [])
        return matrix.command(*args, **kwargs)(wrapped)

    return decorate


def _shape_options(fn):
    fn = click.option("--seed", type=SEED, default=0, show_default=True,
                      help="Seed of the random matrices the steps are checked on.")(fn)
    fn = click.option("--size", "sizes", multiple=True, metavar="n=4,d=3",
                      help="Values of the sizes' letters (default: distinct small sizes).")(fn)
    fn = click.option("--shape", "shapes", multiple=True, metavar="NAME=SIZES[:KIND]",
                      help="The shape of a name in --expr: X=n,d (matrix), w=d (vector), b= "
                           "(scalar); KIND: positive, prob, binary, onehot, spd.")(fn)
    fn = click.option("--expr", metavar="TEXT", help="A scalar expression in NumPy notation "
                                                     "(@, .T, *, sum, mean, …).")(fn)
    fn = lesson_file_option("A matrix lesson from your own TOML file (format: "
                            "lessons/README.md).")(fn)
    return fn


def _problem(lesson, expr, shapes, wrt, lesson_file=None):
    from tutor.matrix.problem import (load_matrix_lesson, load_matrix_lesson_file,
                                      problem_from_expression)

    if [lesson, expr, lesson_file].count(None) != 2:
        raise UserError(_("name one matrix lesson, or give --expr TEXT with --shape (see "
                          "'tutor matrix list')"))
    if lesson is not None or lesson_file is not None:
        if shapes:
            raise UserError(_("--shape goes with --expr; a lesson declares its shapes"))
        return load_matrix_lesson(lesson) if lesson else load_matrix_lesson_file(lesson_file)
    if not shapes:
        raise UserError(_("--expr needs the shapes of its names: --shape X=n,d --shape w=d …"))
    return problem_from_expression(expr, shapes, wrt)


@subcommand("list")
def list_matrix_lessons():
    """List the matrix lessons."""
    from tutor.matrix.problem import load_matrix_lesson, matrix_lesson_names
    from tutor.renderers.matrix.text import render_matrix_list

    render_matrix_list([load_matrix_lesson(name) for name in matrix_lesson_names()])


@subcommand("explain")
@click.argument("lesson", required=False)
@_shape_options
@click.option("--wrt", multiple=True, metavar="NAME", help="The gradient by NAME (repeatable).")
@click.option("--at", "at", multiple=True, metavar="NAME=ROWS",
              help="Values for NAME instead of random ones: w=1,2,3; a matrix's rows separated "
                   "by ; (X=1,2;3,4); they fix the sizes (repeatable).")
@click.option("--sympy", "second", is_flag=True,
              help="Also differentiate by SymPy on explicit matrices (a second method).")
@click.option("--format", "fmt", type=FormatChoice(FORMATS), default="text", show_default=True)
def matrix_explain(lesson, lesson_file, expr, shapes, sizes, seed, wrt, at, fmt, second=False):
    """Derive the gradients of a matrix expression step by step, with shapes.

    Each step names its rule, shows the shape of every term and is checked by central
    differences on random matrices of the small sizes; the gradient has the shape of its
    variable, as PyTorch's .grad.

    \b
    tutor matrix explain linear_regression
    tutor matrix explain --expr "mean((X @ w - y)**2)" --shape X=n,d --shape w=d --shape y=n --wrt w
    tutor matrix explain --expr "trace(inv(A) @ B)" --shape A=d,d:spd --shape B=d,d --size d=3
    tutor matrix explain dense_layer --at "X=1,2;3,4;5,6" --at "G=1,0;0,1;1,1"
    """
    from tutor.matrix.explain import explain_matrix

    problem = _problem(lesson, expr, shapes, wrt, lesson_file)
    result = explain_matrix(problem, wrt=list(wrt) or None, sizes=_given_sizes(problem, sizes),
                            seed=seed, values=_matrix_values(at), second_method=second)
    if fmt == "text":
        from tutor.renderers.matrix.text import render_matrix_explanation

        render_matrix_explanation(result)
        return
    if fmt == "json":
        from tutor.renderers.matrix.json import matrix_json as render
    elif fmt == "markdown":
        from tutor.renderers.matrix.markdown import matrix_markdown as render
    else:
        from tutor.renderers.matrix.latex import matrix_latex as render
    click.echo(render(result))


def _matrix_values(at):
    """--at values, a matrix's rows always a list of lists (X=1,2,3;4,5,6)."""
    values = parse_at(at)
    for text in at:
        name, _sep, numbers = text.partition("=")
        if ";" in numbers and not isinstance(values[name.strip()][0], list):
            values[name.strip()] = [values[name.strip()]]
    return values


def _given_sizes(problem, sizes):
    from tutor.errors import ParameterError
    from tutor.matrix.shapes import parse_sizes

    if not sizes:
        return None
    try:
        merged = parse_sizes(sizes, problem.declared.letters, "--size")
    except ParameterError as exc:
        raise UserError(exc.naming("--size")) from None
    named = {item.partition("=")[0].strip() for text in sizes for item in text.split(",")}
    return {k: v for k, v in merged.items() if k in named}


# an answer may start with a minus sign: only a lone -h asks for help
@subcommand("check", context_settings={"ignore_unknown_options": True,
                                       "help_option_names": ["--help"]})
@click.argument("args", nargs=-1, metavar="[LESSON] ANSWER")
@_shape_options
@click.option("--wrt", metavar="NAME", help="The variable of the gradient (needed when there "
                                            "are several).")
@click.option("--reveal", is_flag=True, help="Show the whole derivation of the gradient.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def matrix_check(args, lesson_file, expr, shapes, sizes, seed, wrt, fmt, reveal=False):
    """Check a vectorised gradient you wrote by hand, like X.T @ (X @ w - y) / n.

    \b
    tutor matrix check linear_regression --wrt w "X.T @ (X @ w + b - y) / n"
    tutor matrix check --expr "sum(V * tanh(X @ W))" --shape X=n,d --shape W=d,k --shape V=n,k \\
        --wrt W "X.T @ V"

    \b
    Any arrangement with the same numbers is right.  A wrong answer gets a diagnosis
    (a shape that cannot be the gradient, transposed, a sign, a constant factor, a missing
    or extra 1/n, factors in the wrong order, a missing elementwise factor) and the entry
    where it differs most.  Exit code: 0 right, 1 not right, 2 bad input.
    """
    problem, wrt, answer = _check_target(list(args), expr, shapes, wrt, lesson_file)

    from tutor.matrix.check import check_matrix

    verdict = check_matrix(problem, wrt, answer, sizes=_given_sizes(problem, sizes), seed=seed)
    if fmt == "json":
        from tutor.renderers.matrix.json import verdict_json

        click.echo(verdict_json(verdict))
    else:
        from tutor.renderers.matrix.text import render_matrix_verdict

        revealed = None
        if reveal:
            from tutor.matrix.explain import explain_matrix

            revealed = explain_matrix(problem, wrt=[wrt], sizes=verdict.sizes, seed=seed)
        render_matrix_verdict(verdict, revealed)
    if not verdict.correct:
        sys.exit(1)


def _check_target(args, expr, shapes, wrt, lesson_file=None):
    """(the problem, the variable, the answer) from [LESSON] ANSWER, --expr and --wrt."""
    one = expr is not None or lesson_file is not None
    if len(args) > 2 or not args or (one and len(args) != 1):
        raise UserError(_("give the lesson (or --expr and --shape) and your answer in quotes"))
    unknown = [a for a in args if a.startswith("--")]
    if unknown:
        raise UserError(_("unknown option {option}; see --help").format(option=unknown[0]))
    lesson, answer = (args[0], args[1]) if len(args) == 2 else (None, args[0])
    problem = _problem(lesson, expr, shapes, [wrt] if wrt else [], lesson_file)
    if wrt is None:
        if len(problem.wrt) != 1:
            raise UserError(_("--wrt: say which gradient this is: {names}")
                            .format(names=", ".join(problem.wrt)))
        wrt = problem.wrt[0]
    elif wrt not in problem.expression.names():
        raise UserError(_("--wrt {name}: not a name with a shape here ({names})")
                        .format(name=wrt, names=", ".join(sorted(problem.expression.names()))))
    return problem, wrt, answer


# -- the same from tutor explain and tutor check, when --expr comes with --shape ----------------
def shape_option(fn):
    """``--shape`` on ``tutor explain`` and ``tutor check``: the expression is then read as
    matrices, exactly as ``tutor matrix explain`` / ``tutor matrix check`` read it."""
    return click.option("--shape", "shapes", multiple=True, metavar="NAME=SIZES",
                        help="With --expr: the shape of a name (X=n,d, w=d, b=); the "
                             "expression is then read as matrices (see the matrix command)."
                        )(fn)


def _only_expr(lesson, expr, others):
    if lesson is not None or expr is None:
        raise UserError(_("--shape goes with --expr (a matrix lesson: tutor matrix explain "
                          "LESSON)"))
    if any(v not in (None, (), False) for v in others):
        raise UserError(_("with --shape only --wrt and --format apply (and --at to explain); "
                          "for sizes: tutor matrix explain --size n=4,d=3"))


def explain_shaped(lesson, expr, shapes, wrt, at, fmt, others=()):
    """``tutor explain --expr … --shape …``: the matrix explanation."""
    _only_expr(lesson, expr, others)
    matrix_explain.callback.__wrapped__(None, None, expr, shapes, (), 0, wrt, at, fmt)


def check_shaped(args, expr, shapes, wrt, fmt, others=()):
    """``tutor check --expr … --shape … ANSWER``: the matrix check."""
    _only_expr(None, expr, others)
    if len(wrt) > 1:
        raise UserError(_("check one gradient at a time: name one variable with --wrt"))
    matrix_check.callback.__wrapped__(args, None, expr, shapes, (), 0, wrt[0] if wrt else None,
                                      fmt)

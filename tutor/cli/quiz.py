"""``tutor quiz``: type the derivatives of a lesson and get them checked, with hints."""

from __future__ import annotations

import sys

import click

from tutor.cli.base import UserError, command
from tutor.cli.options import size_option
from tutor.i18n import _


@command()
@click.argument("lesson", required=False)
@click.option("--count", type=click.IntRange(1, 100), metavar="N", help="Ask at most N questions.")
@click.option("--seed", type=int, help="Shuffle the questions with this seed.")
@size_option()
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
    from tutor.assessment.quiz import Quiz, questions_for
    from tutor.explaining.lesson import lesson_names, load_lesson
    from tutor.renderers.assessment.quiz import run_quiz

    if lesson is None:
        if size is not None:
            raise UserError(_("--size goes with one indexed lesson"))
        lessons = [load_lesson(n) for n in lesson_names()]
    else:
        lessons = [load_lesson(lesson, size=size)]
    the_quiz = Quiz(questions_for(lessons, count=count, seed=seed))
    run_quiz(the_quiz, _reader(sys.stdin), echo=not sys.stdin.isatty())


def _reader(stdin):
    """A function giving the next answer line, or None at the end of the input."""
    interactive = stdin.isatty()

    def read_line():
        if interactive:
            try:
                return click.prompt(">", prompt_suffix=" ", default="", show_default=False)
            except (EOFError, click.exceptions.Abort):
                return None
        line = stdin.readline()
        return line if line else None

    return read_line

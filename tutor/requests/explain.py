"""``explain``: a lesson's derivatives step by step, beside their values on numbers."""

from __future__ import annotations

from typing import Mapping

from tutor.explaining.explanation import Explanation
from tutor.requests.source import Source, names, point


def explain(lesson=None, *, expr: str | None = None, lesson_file: str | None = None,
            wrt=(), at: Mapping[str, object] | None = None,
            size: int | None = None) -> Explanation:
    """Derive a lesson's derivatives step by step and evaluate them on numbers.

    ``lesson`` is a lesson's name (``"sigmoid"``; ``tutor.lesson_names()`` lists them) or a
    loaded Lesson; instead of one, give ``expr="tanh(w*x + b)"`` or ``lesson_file="my.toml"``.
    ``wrt`` names the variables to differentiate by (one name or several; a family such as
    ``"w"`` means w1 … wn); ``at`` gives values instead of the lesson's example, by name: a
    number, a list (a batch), or rows for a family (``{"x": [[1, 2], [3, 4]]}``); ``size`` is
    the number of classes or features of an indexed lesson (softmax, linear).

    ``tutor.explain("sigmoid", at={"z": [-2, 0, 2]})`` is ``tutor explain sigmoid --at
    z=-2,0,2``; the Explanation it returns holds each derivative's steps and numbers
    (``.items``) and shows itself in a notebook.
    """
    from tutor.explaining.explanation import explain as run, lesson_from_expression

    source = Source(lesson, expr, lesson_file, size).require_one()
    wanted = names(wrt, "wrt")
    values = point(at)
    the_lesson = source.load(lambda text: lesson_from_expression(text, wrt=wanted))
    chosen = (the_lesson.wrt if expr is not None
              else [s for name in wanted for s in the_lesson.names_for(name)])
    return run(the_lesson, wrt=chosen or None, at=the_lesson.values_for(values))

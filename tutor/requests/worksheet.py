"""``worksheet``: exercise sheets with randomised numbers and their keys."""

from __future__ import annotations

from tutor.i18n import N_
from tutor.requests.source import bounded

#: the seed's range; the command line's option type checks with the same
SEED = (int, lambda v: v >= 0, N_("{param} must be 0 or more, not {value}"))


def worksheet(*lessons, problems: int = 6, variants: int = 1, seed: int = 0, kinds=None,
              common_mistakes: bool = False):
    """Exercise sheets from lessons, each variant with its own numbers, with answer keys.

    ``lessons`` are lessons' names (``"sigmoid", "softmax"``, and ``"matrix:dense_layer"`` for a
    matrix lesson); ``problems`` per sheet (1 to 40); ``variants`` different sheets (1 to 500);
    the same ``seed`` gives the same sheets; ``kinds`` keeps only these kinds of problem
    ("derive", "evaluate", "gd_step", "backward", "mistake", "matrix_gradient").  Every answer is solved again from the printed statement when it is made.
    ``common_mistakes`` also keeps, with each derive problem, the slips the grader would name
    (what an export to STACK turns into its response tree's nodes).
    """
    from tutor.assessment.worksheet import check_counts, make_worksheets

    if len(lessons) == 1 and isinstance(lessons[0], (list, tuple)):
        lessons = tuple(lessons[0])
    seed = bounded("seed", seed, *SEED)
    problems, variants = (bounded(name, value, int, lambda v: True,
                                  N_("{param} must be a whole number, not {value}"))
                          for name, value in (("problems", problems), ("variants", variants)))
    check_counts(problems, variants)
    if isinstance(kinds, str):
        kinds = [kinds]
    return make_worksheets(list(lessons), problems=problems, variants=variants, seed=seed,
                           kinds=list(kinds) if kinds else None,
                           common_mistakes=bool(common_mistakes))

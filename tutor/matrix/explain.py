"""Explaining a matrix problem: the derivation of each gradient on one set of random (or given)
matrices of the problem's small sizes."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from tutor.calculus.budget import deadline
from tutor.errors import TutorError
from tutor.i18n import _
from tutor.matrix.tree import evaluate

from tutor.matrix.derive import MatrixDerivation, derive_matrix, relative_error
from tutor.matrix.problem import MatrixProblem
from tutor.matrix.shapes import given_values, sample


@dataclass
class MatrixExplanation:
    problem: MatrixProblem
    sizes: dict[str, int]
    seed: int
    values: dict[str, np.ndarray]
    derivations: list[MatrixDerivation]
    #: the names whose values were given rather than drawn
    given: tuple[str, ...] = ()


def require_value(problem: MatrixProblem, values, sizes) -> None:
    """Refuse an expression with no finite value at these values: there is nothing to
    differentiate or check there."""
    if not np.all(np.isfinite(evaluate(problem.expression, values, sizes))):
        raise TutorError(_("the expression has no finite value on these matrices (a log or a "
                           "square root of a number ≤ 0, a division by zero, a singular "
                           "matrix or an overflow); a variable under a log or a square root "
                           "can be declared positive"))


def explain_matrix(problem: MatrixProblem, *, wrt: list[str] | None = None,
                   sizes: Mapping[str, int] | None = None, seed: int = 0,
                   values: Mapping[str, object] | None = None,
                   second_method: bool = False) -> MatrixExplanation:
    """Every gradient of the problem (or those named in ``wrt``), each step checked on random
    matrices drawn with ``seed``, or on the ``values`` given (whose shapes fix their sizes);
    with ``second_method``, each gradient also by SymPy on explicit matrices."""
    fixed, given = given_values(values or {}, problem.declared, problem.scalars(), sizes)
    sizes = problem.sizes_for(fixed)
    drawn = sample(problem.declared, sizes, seed, problem.scalars())
    drawn.update(given)
    require_value(problem, drawn, sizes)
    # a typed expression gets the time budget of typed input; the lessons run without one
    budget = deadline(what=_("deriving the matrix expression")) if not problem.name \
        else contextlib.nullcontext()
    with budget:
        derivations = [derive_matrix(problem.expression, name, sizes, drawn,
                                     function=problem.function, onehot=problem.onehot,
                                     aliases=problem.aliases)
                       for name in (wrt or problem.wrt)]
    if second_method:
        from tutor.matrix.explicit import sympy_gradient

        for d in derivations:
            d.second_asked = True
            d.second = sympy_gradient(problem.expression, d.wrt, sizes, drawn)
            if d.second is not None:
                d.second_error = relative_error(d.gradient, d.second)
    return MatrixExplanation(problem, sizes, seed, drawn, derivations, tuple(given))

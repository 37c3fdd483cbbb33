"""``descend``: optimisers racing down a test function, or one typed, from the same start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from tutor.errors import ParameterError
from tutor.i18n import N_, _
from tutor.requests.source import bounded, names, number_values, point

#: the numbers a race takes, with their ranges; the command line's option types check with the
#: same
RANGES = {
    "steps": (int, lambda v: 1 <= v <= 100_000,
              N_("{param} must be from 1 to 100000, not {value}")),
    "tol": (float, lambda v: v > 0, N_("{param} must be a positive number, not {value}")),
    "show": (int, lambda v: 0 <= v <= 50, N_("{param} must be from 0 to 50, not {value}")),
}
NUMBER = N_("{param} must be a number, not {value}")


@dataclass
class Race:
    """A finished race: the function (compiled, with its start and known minima), one run per
    optimiser (its path, first steps whole, how it ended), the tolerance on ‖∇f‖, and what the
    picture draws (the function over the window, the paths), when it was asked for."""

    problem: object
    runs: list
    tol: float
    picture: object = None


def descend(function: str | None = None, *, expr: str | None = None,
            set: Mapping[str, float] | None = None,  # noqa: A002 (the option's name)
            optimizer="sgd,momentum,adam", start=None, lr=None, steps: int | None = None,
            tol: float = 1e-6, momentum: float | None = None, alpha: float | None = None,
            beta1: float | None = None, beta2: float | None = None, eps: float | None = None,
            weight_decay: float | None = None, show: int = 3, pictures: bool = True) -> Race:
    """Race optimisers down a test function, step by step, from the same start.

    ``function`` names a test function ("square", "xcos", "ill_conditioned", "rosenbrock",
    "beale", "himmelblau", "saddle"), or give ``expr`` (a function of one or two variables);
    ``set`` gives constants' values ({"kappa": 100}; with ``expr``, letters that are not
    variables).  ``optimizer`` names the racers ("sgd,momentum,adam" or a list), ``start``
    the starting point, ``lr`` one learning rate for all or one per optimizer, ``steps`` per
    optimizer (default: the function's own), ``tol`` the gradient norm that counts as
    arrived; ``momentum``, ``alpha``, ``beta1``, ``beta2``, ``eps``, ``weight_decay`` as for
    :func:`tutor.train`; ``show`` the first steps kept whole.  With ``pictures`` the race
    also holds what its figure draws.

    ``tutor.descend("rosenbrock", optimizer="sgd,momentum,adam")`` is ``tutor descend
    rosenbrock --optimizer sgd,momentum,adam``.
    """
    from tutor.i18n import current_language
    from tutor.training.descend import picture, problem, race, surface_names

    if (function is None) == (expr is None):
        raise ParameterError("function", _("name one function ({names}) or give {expr} TEXT"),
                             others=("expr",), names=", ".join(surface_names()))
    for param, value in (("function", function), ("expr", expr)):
        if value is not None and not isinstance(value, str):
            raise ParameterError(param, _("{param} must be text, not {value}"),
                                 value=type(value).__name__)
    counts = {k: bounded(k, v, *RANGES[k]) for k, v in
              dict(steps=steps, tol=tol, show=show).items() if v is not None}
    constants = {}
    for name, value in point(set, "set").items():
        if isinstance(value, list):
            raise ParameterError("set", _("{param} {name}: give one number"), name=name)
        constants[name] = float(value)
    prob = problem(surface=function, expr=expr, constants=constants,
                   start=number_values("start", start) if start is not None else None,
                   lang=current_language())
    given = {k: bounded(k, v, float, lambda v: True, NUMBER) for k, v in
             dict(momentum=momentum, alpha=alpha, beta1=beta1, beta2=beta2, eps=eps,
                  weight_decay=weight_decay).items() if v is not None}
    runners = ([n.strip() for n in optimizer.split(",") if n.strip()]
               if isinstance(optimizer, str) else names(optimizer, "optimizer"))
    runs = race(prob, runners, lr=number_values("lr", lr) if lr is not None else None,
                steps=counts.get("steps"), tol=counts["tol"], hypers=given, show=counts["show"])
    return Race(prob, runs, counts["tol"], picture(prob, runs) if pictures else None)

"""The loss against one parameter, swept over a range, with the descent's path on it.

The seeds sweep w from 0 to 4 by 0.1 printing the mean squared error, then descend: the loss
is a curve in w, its slope is the gradient, and gradient descent walks down it.  :func:`sweep`
computes that curve for any one parameter of a trained model (the others held where training
left them), with the slope at every point, and marks where the descent passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from tutor.errors import ParameterError
from tutor.i18n import _

#: the most points a sweep may have
MAX_POINTS = 1000


@dataclass
class Sweep:
    name: str
    #: (value, loss, ∂L/∂name) at each point of the range
    rows: list[tuple[float, float, float]] = field(default_factory=list)
    #: (epoch, value) of the parameter on the descent's path, 0 = the start
    path: list[tuple[int, float]] = field(default_factory=list)
    #: the point of the range with the least loss
    lowest: int = 0


def parse_range(text: str) -> tuple[str, np.ndarray]:
    """``w=0:4:0.1`` → ("w", [0, 0.1, …, 4])."""
    name, sep, spec = text.partition("=")
    parts = spec.split(":")
    try:
        start, stop, step = (float(p) for p in parts) if len(parts) == 3 else (None,) * 3
    except ValueError:
        start = None
    if not sep or not name.strip() or start is None or not np.isfinite([start, stop, step]).all():
        raise ParameterError("sweep", _("{param} {text}: write NAME=START:STOP:STEP, like "
                                        "{param} w=0:4:0.1"), text=repr(text))
    count = (stop - start) / step if step else -1
    if step == 0 or count < 0 or count + 1 > MAX_POINTS:
        raise ParameterError("sweep", _("{param} {text}: from START to STOP in steps of STEP "
                                        "gives {count} points; a sweep takes 1 to {most}"),
                             text=repr(text), count=max(0, int(count) + 1), most=MAX_POINTS)
    values = start + step * np.arange(int(np.floor(count + 1e-9)) + 1)
    return name.strip(), values


def sweep(objective, prepared: Mapping[str, np.ndarray], params: Mapping[str, np.ndarray],
          name: str, values: np.ndarray, reduce: str, path=()) -> Sweep:
    """The loss and its slope along ``name`` over ``values``, the other parameters at
    ``params``; ``path`` is the descent's parameters after each epoch (the start first)."""
    if name not in params:
        raise ParameterError("sweep", _("{param}: the model has no parameter '{name}'; it has "
                                        "{names}"), name=name, names=", ".join(params))
    if np.size(params[name]) != 1:
        raise ParameterError("sweep", _("{param}: '{name}' has {count} entries; a sweep follows "
                                        "one number"), name=name, count=np.size(params[name]))
    out = Sweep(name)
    shape = np.shape(params[name])
    with np.errstate(all="ignore"):
        for v in values:
            here = dict(params)
            here[name] = np.full(shape, float(v))
            loss = float(objective.loss(here, prepared, reduce))
            slope = float(np.ravel(objective.gradient(here, prepared, reduce)[name])[0])
            out.rows.append((float(v), loss, slope))
    losses = [loss if np.isfinite(loss) else np.inf for _, loss, _ in out.rows]
    out.lowest = int(np.argmin(losses))
    out.path = [(k, float(np.ravel(p[name])[0])) for k, p in enumerate(path)]
    return out

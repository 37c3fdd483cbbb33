"""A custom autograd function, checked like any gradient code.

A learner writes an operation with its own backward, the way ``torch.autograd.Function`` asks
for it, in NumPy::

    class MyReLU:
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.maximum(x, 0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * (x > 0)

(or with ordinary methods ``forward(self, x)`` and ``backward(self, grad_output)``).  Its
output is not a scalar, so it is checked through a scalar it determines: L = Σ v ⊙ forward(x)
for a fixed random v, whose gradient is backward(v) — a vector-Jacobian product, exactly what
a backward pass is asked for.
"""

from __future__ import annotations

import inspect
from typing import Callable, Sequence

import numpy as np

from tutor.i18n import _


class Context:
    """What ``forward`` may keep for ``backward``: ``save_for_backward(*arrays)`` and
    ``saved_tensors``, and any attribute set on it."""

    def __init__(self):
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *arrays) -> None:
        self.saved_tensors = tuple(arrays)


def is_autograd_function(obj) -> bool:
    """A class with ``forward`` and ``backward``."""
    return inspect.isclass(obj) and callable(getattr(obj, "forward", None)) \
        and callable(getattr(obj, "backward", None))


def _static(cls, name: str) -> bool:
    return isinstance(inspect.getattr_static(cls, name), (staticmethod, classmethod))


def as_loss_and_grad(cls, names: Sequence[str], seed: int = 0) -> Callable:
    """FUNCTION(**inputs) -> (loss, grads) for the class: loss = Σ v ⊙ forward(inputs…) with
    v drawn once (seeded) for the output's shape, grads = backward(v) in the inputs' order."""
    upstream: dict = {}

    def run(**inputs):
        args = [inputs[n] for n in names]
        if _static(cls, "forward"):
            ctx = Context()
            out = cls.forward(ctx, *args)
            call_backward = lambda v: cls.backward(ctx, v)  # noqa: E731
        else:
            obj = cls()
            out = obj.forward(*args)
            call_backward = obj.backward
        out = np.asarray(out, dtype=np.float64)
        if "v" not in upstream or upstream["v"].shape != out.shape:
            upstream["v"] = np.random.default_rng(seed).uniform(-1.0, 1.0, out.shape)
        v = upstream["v"]
        grads = call_backward(v.copy())
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(names):
            raise ValueError(_("backward returned {count} gradient(s) for {inputs} input(s)")
                             .format(count=len(grads), inputs=len(names)))
        return float(np.sum(v * out)), {n: g for n, g in zip(names, grads)}

    return run

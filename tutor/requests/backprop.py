"""``backprop``: forward and backward passes, Jacobians, the batch in matrix form."""

from __future__ import annotations

from typing import Mapping

from tutor.errors import ParameterError, TutorError
from tutor.i18n import N_, _
from tutor.requests.source import Source, bounded, names, output_index, point, refuse

#: a topic's refusal of what goes with a lesson ({param}, {topic})
WITH_A_LESSON = N_("{param} goes with a lesson, not with '{topic}'")
#: the deep network's sizes when they are not given
DEEP_DEFAULTS = {"layers": 10, "width": 64, "batch": 256, "seed": 0, "std": 1.0}


def is_topic(what) -> bool:
    from tutor.backpropagation.jacobian import TOPICS

    return bool(what) and isinstance(what[0], str) and what[0] in TOPICS


def backprop(*what, expr: str | None = None, lesson_file: str | None = None,
             at: Mapping[str, object] | None = None, wrt=(), sample: int = 1,
             output: str | None = None, size: int | None = None, matrix: bool = False,
             reduce: str | None = None, layers: int | None = None, width: int | None = None,
             batch: int | None = None, activation=None, init=None, std: float | None = None,
             seed: int | None = None):
    """A forward and backward pass through a graph of primitive operations, node by node.

    ``backprop("neuron")`` gives the forward and backward tables of one sample of a lesson
    (``sample``, from 1), checked against the symbolic derivative and finite differences;
    ``expr="L = (sigmoid(w*x + b) - t)**2/2"`` or ``lesson_file`` instead of a lesson;
    ``at`` values by name; ``wrt`` the variables whose gradient is reported; ``output`` the
    output of a vector lesson (``"s2"``); ``matrix=True`` the whole batch in matrix form
    through the tensor engine (with ``reduce``, "mean" or "sum").

    With vectors and matrices, name a topic: ``backprop("jacobian", "softmax")``,
    ``backprop("jacobian", "rowsum")``, ``backprop("matmul")``, ``backprop("accumulate")``,
    ``backprop("modes")``, and ``backprop("dense")``: Y = XW + b with ``at`` any of X, W, b
    and the upstream gradient G; what is not given is the example, or random with ``seed``.

    Vanishing and exploding gradients: ``backprop("deep")`` sends a batch through ``layers``
    layers of ``width`` units (``batch`` samples, drawn with ``seed``) and back, layer by
    layer; ``activation`` ("sigmoid", "tanh", "relu") and ``init`` ("normal", "xavier", "he";
    ``std`` for normal) may each name several (a list, or "relu,tanh") to be compared.

    ``tutor.backprop("neuron", at={"x": 2, "t": 1})`` is ``tutor backprop neuron --at x=2
    --at t=1``; ``tutor.backprop("deep", activation="relu", init=["normal", "he"])`` is
    ``tutor backprop deep --activation relu --init normal,he``.
    """
    deep = {"layers": layers, "width": width, "batch": batch, "activation": activation,
            "init": init, "std": std, "seed": seed}
    if what and what[0] == "deep":
        refuse({"expr": expr, "lesson_file": lesson_file, "wrt": wrt, "output": output,
                "size": size is not None, "sample": sample != 1, "matrix": matrix},
               _(WITH_A_LESSON), topic="backprop deep")
        refuse({"at": at, "reduce": reduce}, _("{param} does not go with '{topic}'"),
               topic="backprop deep")
        if len(what) > 1:
            raise TutorError(_("unexpected '{words}' after '{topic}'").format(
                words=" ".join(map(str, what[1:])), topic="deep"))
        return deep_network(**deep)
    dense = bool(what) and what[0] == "dense"
    refuse({k: v is not None for k, v in deep.items() if not (dense and k == "seed")},
           _("{param} goes with '{topic}'"), topic="backprop deep")
    if is_topic(what):
        refuse({"expr": expr, "lesson_file": lesson_file, "wrt": wrt, "output": output,
                "size": size, "sample": sample != 1, "matrix": matrix}, _(WITH_A_LESSON),
               topic=f"backprop {what[0]}")
        from tutor.backpropagation.jacobian import topic

        if seed is not None:
            seed = bounded("seed", seed, int, lambda v: v >= 0,
                           N_("{param} {value}: give a whole number of at least 0"))
        return topic(tuple(what), point(at), seed)
    if len(what) > 1:
        raise TutorError(_("one lesson at a time, not {count} ({names})").format(
            count=len(what), names=" ".join(map(str, what))))
    source = Source(what[0] if what else None, expr, lesson_file, size).require_one()
    values = point(at)
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
        from tutor.errors import ParameterError

        raise ParameterError("sample", _("{param} {sample}: samples are numbered from 1"),
                             sample=sample)
    from tutor.backpropagation.graph import lesson_from_assignment

    the_lesson = source.load(lesson_from_assignment)
    values = the_lesson.values_for(values)
    if matrix:
        refuse({"expr": expr, "wrt": wrt, "output": output, "sample": sample != 1},
               _("{param} does not go with {matrix} (it shows the whole batch)"),
               others=("matrix",))
        from tutor.backpropagation.matrix_form import matrix_form

        return matrix_form(the_lesson, values, reduce)
    refuse({"reduce": reduce}, _("{param} goes with {matrix} (a batch loss)"), others=("matrix",))
    from tutor.backpropagation.backprop import backprop as run

    chosen = [s for name in names(wrt, "wrt") for s in the_lesson.names_for(name)]
    index = output_index(the_lesson.output_names, output, "output",
                         _("{param} {name}: the outputs are {names}"))
    return run(the_lesson, at=values, wrt=chosen or None, output=index, sample=sample - 1)


def jacobian(which: str = "softmax", *, at: Mapping[str, object] | None = None):
    """A Jacobian worked through: ``"softmax"`` (J as a table and as diag(s) − s sᵀ, and what
    ``backward(v)`` computes, vᵀJ) or ``"rowsum"`` (row sums of exp(x), its zero blocks);
    ``at`` the input (``{"z": [1, 2, 3]}``, ``{"x": [[…], […]]}``)."""
    return backprop("jacobian", which, at=at)


def deep_network(*, layers: int | None = None, width: int | None = None,
                 batch: int | None = None, activation=None, init=None, std: float | None = None,
                 seed: int | None = None):
    """``backprop deep``: one run per activation and initialisation asked for, as a topic (its
    runs in ``.runs``, for the picture)."""
    from tutor.backpropagation.deep import ACTIVATIONS, INITS, deep_topic, run_deep

    activations = _choices(activation or "sigmoid", "activation", list(ACTIVATIONS))
    inits = _choices(init or "xavier", "init", list(INITS))
    if std is not None and "normal" not in inits:
        raise ParameterError("std", _("{param} goes with {init} normal (Xavier and He set the "
                                      "variance from the width)"), others=("init",))
    sizes = {name: default if value is None else bounded(name, value, type(default),
                                                           lambda v: True, WHOLE if name != "std"
                                                           else NUMBER)
             for (name, default), value in zip(DEEP_DEFAULTS.items(),
                                               (layers, width, batch, seed, std))}
    runs = [run_deep(activation=a, init=i, **sizes) for a in activations for i in inits]
    return deep_topic(runs)


WHOLE = N_("{param} must be a whole number, not {value}")
NUMBER = N_("{param} must be a number, not {value}")


def _choices(given, param: str, known: list[str]) -> list[str]:
    """'sigmoid,relu' or ["sigmoid", "relu"] → ['sigmoid', 'relu'], each once, in the order
    given."""
    words = given.split(",") if isinstance(given, str) else list(given) if hasattr(
        given, "__iter__") else [given]
    chosen = []
    for word in words:
        word = word.strip() if isinstance(word, str) else word
        if word not in known:
            raise ParameterError(param, _("{param} {name}: choose from {names}"),
                                 name=word if isinstance(word, str) and word else repr(word),
                                 names=", ".join(known))
        if word not in chosen:
            chosen.append(word)
    return chosen

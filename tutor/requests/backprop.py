"""``backprop``: forward and backward passes, Jacobians, the batch in matrix form."""

from __future__ import annotations

from typing import Mapping

from tutor.errors import TutorError
from tutor.i18n import N_, _
from tutor.requests.source import Source, names, output_index, point, refuse

#: a topic's refusal of what goes with a lesson ({param}, {topic})
WITH_A_LESSON = N_("{param} goes with a lesson, not with '{topic}'")


def is_topic(what) -> bool:
    from tutor.backpropagation.jacobian import TOPICS

    return bool(what) and isinstance(what[0], str) and what[0] in TOPICS


def backprop(*what, expr: str | None = None, lesson_file: str | None = None,
             at: Mapping[str, object] | None = None, wrt=(), sample: int = 1,
             output: str | None = None, size: int | None = None, matrix: bool = False,
             reduce: str | None = None):
    """A forward and backward pass through a graph of primitive operations, node by node.

    ``backprop("neuron")`` gives the forward and backward tables of one sample of a lesson
    (``sample``, from 1), checked against the symbolic derivative and finite differences;
    ``expr="L = (sigmoid(w*x + b) - t)**2/2"`` or ``lesson_file`` instead of a lesson;
    ``at`` values by name; ``wrt`` the variables whose gradient is reported; ``output`` the
    output of a vector lesson (``"s2"``); ``matrix=True`` the whole batch in matrix form
    through the tensor engine (with ``reduce``, "mean" or "sum").

    With vectors and matrices, name a topic: ``backprop("jacobian", "softmax")``,
    ``backprop("jacobian", "rowsum")``, ``backprop("matmul")``, ``backprop("accumulate")``,
    ``backprop("modes")``.

    ``tutor.backprop("neuron", at={"x": 2, "t": 1})`` is ``tutor backprop neuron --at x=2
    --at t=1``.
    """
    if is_topic(what):
        refuse({"expr": expr, "lesson_file": lesson_file, "wrt": wrt, "output": output,
                "size": size, "sample": sample != 1, "matrix": matrix}, _(WITH_A_LESSON),
               topic=f"backprop {what[0]}")
        from tutor.backpropagation.jacobian import topic

        return topic(tuple(what), point(at))
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

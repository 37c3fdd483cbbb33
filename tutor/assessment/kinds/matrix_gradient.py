"""``matrix_gradient``: the gradient of a matrix lesson's expression by one of its variables,
written in NumPy notation (``X.T @ (X @ w - y) / n``), with the shape of each term.

The problems come from the matrix lessons (``lessons/matrix/``), named on a worksheet as
``matrix:NAME`` so that they do not clash with the scalar lessons of the same name.  Each
variant differentiates by one of the lesson's variables (:func:`choices`).  The key holds the expression with the
shapes of its names and the tutor's gradient, all in the notation typed, read back by the matrix
parser; a student's answer is judged by the checker of ``tutor matrix check``: any arrangement
that gives the same numbers is right, and a wrong one gets its diagnosis (transposed, factors
in the wrong order, a missing 1/n, a sign, a missing elementwise factor, a shape that cannot be
the gradient).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy

from tutor.assessment.document import Code, Para, Steps, Table, fill
from tutor.assessment.kinds.base import Kind
from tutor.assessment.problems import Problem, WorksheetError
from tutor.i18n import N_, _

#: how the worksheet names a matrix lesson, beside the scalar lessons
PREFIX = "matrix:"
#: the most terms of the answer the key lists with their shapes, and the longest listed (a
#: longer one would not fit a table's cell; the answer's own shape is stated beside it)
MAX_TERMS, MAX_TERM_CHARS = 12, 60


@dataclass(frozen=True)
class MatrixItem:
    """What a matrix problem states and answers, as text in the notation typed."""

    expression: str
    #: (name, role, shape, kind of entries) in the lesson's order
    names: tuple[tuple[str, str, tuple[str, ...], str], ...]
    wrt: str
    function: str
    expected: str
    shape: tuple[str, ...]
    #: (term, its shape) for the terms of the answer, innermost first
    terms: tuple[tuple[str, tuple[str, ...]], ...]
    #: (label, result, shape, rule name) of each step of the derivation
    steps: tuple[tuple[str, str, tuple[str, ...], str], ...]
    #: the sizes of the lesson's letters the answer is checked on
    sizes: tuple[tuple[str, int], ...]


def is_matrix_lesson(lesson) -> bool:
    from tutor.matrix.problem import MatrixProblem

    return isinstance(lesson, MatrixProblem)


def load(name: str):
    """The matrix lesson a worksheet names ``matrix:NAME``."""
    from tutor.matrix.problem import load_matrix_lesson

    return load_matrix_lesson(name[len(PREFIX):])


def shape_of(dims) -> str:
    return "×".join(dims) if dims else _("scalar")


def _label(function: str, node) -> str:
    """∂L/∂W, or ∂L/∂(X @ W) for a subexpression, in the notation typed."""
    inner = node.code()
    return f"∂{function}/∂{inner}" if node.kind == "var" else f"∂{function}/∂({inner})"


def _terms(result) -> tuple:
    """The terms of the answer worth giving a shape: every subexpression but names and
    numbers (a transposed name counts) that fits a table's cell, innermost first."""
    out = []
    for node in result.walk():
        if node.kind in ("var", "const", "size") or not node.args and node.kind != "ones":
            continue
        code = node.code()
        if len(code) <= MAX_TERM_CHARS:
            out.append((code, tuple(node.shape)))
    return tuple(out[-MAX_TERMS:])


def item_of(lesson, wrt: str) -> MatrixItem:
    from tutor.matrix.derive import derive_matrix
    from tutor.matrix.shapes import sample

    sizes = lesson.sizes_for()
    values = sample(lesson.declared, sizes, 0, lesson.scalars())
    # every step and the result checked by central differences of the stated expression
    d = derive_matrix(lesson.expression, wrt, sizes, values, function=lesson.function,
                      check=True, onehot=lesson.onehot)
    if not d.agrees:
        raise WorksheetError(_("lesson '{lesson}': the gradient by {wrt} does not agree with "
                               "finite differences").format(lesson=lesson.name, wrt=wrt))
    names = tuple((n, lesson.roles.get(n, "input"), tuple(s), lesson.declared.kinds.get(n, "normal"))
                  for n, s in lesson.declared.shapes.items())
    steps = []
    for step in d.steps:
        label = _label(d.function, step.target)
        if step.through is not None:
            label = _("{gradient} through {use}").format(gradient=label, use=step.through.code())
        steps.append((label, step.result.code(), tuple(step.target.shape), step.rule))
    return MatrixItem(lesson.expression.code(), names, wrt, d.function, d.result.code(),
                      tuple(d.shape), _terms(d.result), tuple(steps), tuple(sorted(sizes.items())))


def choices(lesson) -> list[str]:
    """The variables a problem may ask the gradient by: the lesson's own; a lesson with one
    adds its other vectors and matrices of real entries (‖Ax − b‖² by A as well as by x),
    so that its variants differ."""
    if len(lesson.wrt) > 1:
        return list(lesson.wrt)
    others = [n for n, dims in lesson.declared.shapes.items()
              if dims and n not in lesson.wrt
              and lesson.declared.kinds.get(n, "normal") in ("normal", "positive")]
    return list(lesson.wrt) + others


_ROLES = {"input": N_("input"), "parameter": N_("parameter"), "target": N_("target")}


class MatrixGradient(Kind):
    name = "matrix_gradient"
    title = N_("Matrix gradient")
    short = N_("matrix gradient")
    answer = "matrix"
    family = "matrix"

    def offered_by(self, lesson) -> bool:
        return is_matrix_lesson(lesson)

    def make(self, lesson, rng: random.Random, number: int) -> Problem:
        wrt = rng.choice(choices(lesson))
        item = _ITEMS.get((lesson.source, lesson.name, wrt))
        if item is None:
            item = _ITEMS[(lesson.source, lesson.name, wrt)] = item_of(lesson, wrt)
        symbols = tuple(sympy.Symbol(n) for n, *_rest in item.names)
        return Problem(number, self.name, PREFIX + lesson.name, lesson.say("title"),
                       sympy.Symbol(item.function), item.function, symbols,
                       (sympy.Symbol(wrt),), answer_type="matrix", matrix=item)

    def statement(self, p: Problem, key: bool) -> list:
        m = p.matrix
        rows = [[[Code(name)], [_(_ROLES.get(role, role))], [shape_of(dims)]]
                for name, role, dims, _kind in m.names]
        gradient = f"∂{m.function}/∂{m.wrt}"
        return [Para(fill(_("Let {function} = {expression}, in NumPy notation (@ is the matrix "
                            "product, .T the transpose; *, /, + and − work entry by entry, a "
                            "scalar or a row broadcast). The shapes of its names:"),
                          function=m.function, expression=Code(m.expression))),
                Table([[_word("name|a name in a matrix expression")],
                       [_word("role|what a name is in a lesson: input, parameter, target")],
                       [_("shape")]], rows),
                Para(fill(_("Find the gradient {gradient} in NumPy notation; it has the shape "
                            "of {wrt}. Give the shape of each term of your answer."),
                          gradient=gradient, wrt=Code(m.wrt)))]

    def solution(self, p: Problem) -> list:
        m = p.matrix
        gradient = f"∂{m.function}/∂{m.wrt}"
        sentence = (_("Answer: {gradient} = {answer}, of shape {shape} (the shape of {wrt}).")
                    if m.shape else _("Answer: {gradient} = {answer}, a scalar, as {wrt} is."))
        blocks = [Para(fill(sentence, gradient=gradient, answer=Code(m.expected),
                            shape=shape_of(m.shape), wrt=Code(m.wrt)))]
        if m.terms:
            blocks += [Para([_("The shapes of its terms:")]),
                       Table([[_word("term|a part of an expression")], [_("shape")]],
                             [[[Code(term)], [shape_of(dims)]] for term, dims in m.terms])]
        items = [(k, 0, [label + " = ", Code(result), "   " + shape_of(dims)], _(_rule_name(rule)).replace("𝟏", "1"))
                 for k, (label, result, dims, rule) in enumerate(m.steps, start=1)]
        return blocks + [Para([_("Worked steps, backwards from {function}:")
                               .format(function=m.function)]), Steps(items)]

    def key_entry(self, p: Problem) -> dict:
        m = p.matrix
        return {"function": m.expression,
                "shapes": {name: list(dims) for name, _role, dims, _kind in m.names},
                "entries": {name: kind for name, _role, _dims, kind in m.names
                            if kind != "normal"},
                "sizes": dict(m.sizes), "function_name": m.function,
                "expected": m.expected, "shape": list(m.shape)}

    def read_key(self, data: dict):
        """The matrix problem a key entry describes, every text read by the matrix parser
        (a ValueError or an ExpressionError when it does not read)."""
        return read_entry(data)

    def grade(self, problem, text: str) -> tuple[float, str]:
        verdict = verdict_of(problem, text)
        return (1.0, "") if verdict.correct else (0.0, verdict.message)


_ITEMS: dict = {}


def _word(msgid: str) -> str:
    """A word translated with its context ("name|…"), without the context."""
    return _(msgid).split("|")[0]


def _rule_name(rule: str) -> str:
    from tutor.matrix.derive import RULES

    return RULES[rule][0] if rule in RULES else rule


@dataclass(frozen=True)
class KeyMatrix:
    """A matrix problem read back from a key: the problem and the gradient's variable."""

    problem: object
    wrt: str
    expected: object
    #: the gradient as the key writes it
    expected_text: str = ""


def read_entry(data: dict) -> KeyMatrix:
    from tutor.matrix.notation import read_matrix_expression
    from tutor.matrix.problem import MatrixProblem
    from tutor.matrix.shapes import MAX_SIZE, Declared

    shapes, entries, sizes = data.get("shapes"), data.get("entries", {}), data.get("sizes", {})
    if not isinstance(shapes, dict) or not isinstance(entries, dict) or not isinstance(sizes, dict):
        raise ValueError
    declared = Declared()
    for name, dims in shapes.items():
        if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
            raise ValueError
        declared.add(name, tuple(dims), entries.get(name, "normal"))
    if not all(k in declared.letters and isinstance(v, int) and not isinstance(v, bool)
               and 1 <= v <= MAX_SIZE for k, v in sizes.items()):
        raise ValueError
    wrt = data.get("wrt")
    if not (isinstance(wrt, list) and len(wrt) == 1 and wrt[0] in declared.shapes):
        raise ValueError
    expression = read_matrix_expression(str(data["function"]), declared.shapes,
                                        allow_new_names=False)
    function = str(data.get("function_name", "L"))
    problem = MatrixProblem(str(data["function"]), expression, declared, [wrt[0]], function,
                            sizes=dict(sizes))
    scalars = {**declared.shapes, **{n: () for n in problem.scalars()}}
    expected = read_matrix_expression(str(data["expected"]), scalars, allow_new_names=False)
    return KeyMatrix(problem, wrt[0], expected, str(data["expected"]))


def verdict_of(problem, text: str):
    """The matrix checker's verdict on a student's answer to a problem of the key."""
    from tutor.matrix.check import check_matrix

    m = problem.matrix
    return check_matrix(m.problem, m.wrt, text)


KIND = MatrixGradient()

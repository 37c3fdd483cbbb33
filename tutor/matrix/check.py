"""Checking a vectorised gradient written by hand (``X.T @ (S - Y) / n``).

The answer is read by the same parser with the problem's shapes, so a product whose sizes do
not fit is refused with both shapes.  Its shape must be the variable's (the layout of the
whole tutor).  Then it is compared on numbers: on three random draws of the problem's sizes
and one draw of other sizes (so that a factor n cannot pass for a constant), against the
derived gradient.  Any arrangement that gives the same numbers is right (``(S - Y).T @ X``
transposed, ``r @ X`` for ``X.T @ r``).  A wrong answer is diagnosed by what would make it
right: transposing it, a sign, a constant or a size factor (a missing 1/n), the product's
factors in the other order, or the elementwise factor of one step of the derivation (σ′,
1 − tanh²) put back; with the entry where it differs most as a counterexample.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import numpy as np

from tutor.calculus.budget import deadline
from tutor.i18n import _
from tutor.matrix import algebra as A
from tutor.matrix.explain import require_value
from tutor.matrix.derive import TOLERANCE, MatrixDerivation, derive_matrix, relative_error
from tutor.matrix.notation import ShapeError, matmul_shape, read_matrix_expression, read_repaired
from tutor.matrix.problem import MatrixProblem
from tutor.matrix.shapes import sample
from tutor.matrix.tree import Node, evaluate, shape_text

KINDS = ("right", "shape", "transposed", "sign", "factor", "size_factor", "order",
         "missing_factor", "different", "not_computable")


@dataclass
class MatrixVerdict:
    correct: bool
    kind: str
    message: str
    wrt: str
    answer: Node
    expected: Node
    max_rel_error: float
    sizes: dict[str, int]
    entry: tuple[int, ...] | None = None
    yours: float | None = None
    right: float | None = None
    function: str = "L"


def _draws(problem: MatrixProblem, sizes: Mapping[str, int], seed: int):
    other = {k: v + 1 for k, v in sizes.items()}
    for k, (s, shift) in enumerate([(sizes, 0), (sizes, 1), (sizes, 2), (other, 3)]):
        yield dict(s), sample(problem.declared, s, seed + shift, problem.scalars())


def check_matrix(problem: MatrixProblem, wrt: str, answer_text: str, *,
                 sizes: Mapping[str, int] | None = None, seed: int = 0) -> MatrixVerdict:
    """The verdict on ``answer_text`` as ∂L/∂wrt, within the time budget of typed input."""
    with deadline(what=_("deriving the matrix expression")):
        return _check(problem, wrt, answer_text, sizes, seed)


def _check(problem, wrt, answer_text, sizes, seed) -> MatrixVerdict:
    sizes = problem.sizes_for(sizes)
    shapes = dict(problem.declared.shapes)
    shapes.update({name: () for name in problem.scalars()})
    repairs = []
    try:
        answer = read_matrix_expression(answer_text, shapes, allow_new_names=False)
    except ShapeError as exc:
        # a product whose sizes do not fit: the answer as it would fit, and what was wrong
        try:
            answer, repairs = read_repaired(answer_text, shapes)
        except ShapeError:
            answer = None
        misfit = exc
    base = sample(problem.declared, sizes, seed, problem.scalars())
    require_value(problem, base, sizes)
    derivation = derive_matrix(problem.expression, wrt, sizes, base, function=problem.function,
                               check=False, onehot=problem.onehot)
    expected = derivation.result
    want = derivation.shape
    draws = list(_draws(problem, sizes, seed))
    label = f"∂{problem.function}/∂{wrt}"

    def values(node: Node, shape=None):
        out = []
        for s, v in draws:
            with np.errstate(all="ignore"):
                a = np.asarray(evaluate(node, v, s), dtype=np.float64)
            full = tuple(int(d) if d.isdigit() else s[d] for d in (shape or node.shape))
            out.append(np.broadcast_to(a, full) if a.shape != full and a.size == 1 else a)
        return out

    right = values(expected, want)
    if repairs or answer is None:
        return _misfit(problem, wrt, answer_text, misfit, answer, repairs, expected, label,
                       sizes, seed)

    def verdict(correct, kind, message, mine=None):
        error = float("nan")
        entry = yours = rightv = None
        if mine is not None and mine[0].shape == right[0].shape:
            error = max(relative_error(a, b) for a, b in zip(mine, right))
            diff = np.abs(mine[0] - right[0])
            if diff.size and np.all(np.isfinite(diff)):
                entry = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
                yours, rightv = float(mine[0][entry]), float(right[0][entry])
        return MatrixVerdict(correct, kind, message, wrt, answer, expected, error, sizes, entry,
                             yours, rightv, problem.function)

    def same(mine) -> bool:
        return all(a.shape == b.shape and relative_error(a, b) < TOLERANCE
                   for a, b in zip(mine, right))

    if answer.shape != want:
        if answer.shape == want[::-1] and len(want) == 2:
            if same([a.T for a in values(answer)]):
                return verdict(False, "transposed", _(
                    "your answer is {yours}, the transpose of the gradient: {label} has the shape "
                    "of {wrt}, {shape}; transpose your answer").format(
                    yours=shape_text(answer.shape), label=label, wrt=wrt,
                    shape=shape_text(want)))
        return verdict(False, "shape", _(
            "your answer is {yours}, but {label} has the shape of {wrt}: {shape}").format(
            yours=shape_text(answer.shape) if answer.shape else _("a scalar"), label=label,
            wrt=wrt, shape=shape_text(want)))
    mine = values(answer, want)
    if not all(np.all(np.isfinite(a)) for a in mine):
        return verdict(False, "not_computable", _(
            "your answer has no finite value on these matrices (it divides by zero or takes "
            "the log of a number ≤ 0)"))
    if same(mine):
        return verdict(True, "right", _("right: your answer equals {label} = {result} on "
                                        "random matrices of two sets of sizes").format(
            label=label, result=expected.text()), mine)
    # a factor?
    ratios = []
    for a, b in zip(mine, right):
        denom = float(np.sum(b * b))
        r = float(np.sum(a * b)) / denom if denom > 0 else float("nan")
        ratios.append(r if relative_error(a, r * b) < TOLERANCE else None)
    if all(r is not None and np.isfinite(r) for r in ratios):
        if all(abs(r + 1) < 1e-6 for r in ratios):
            return verdict(False, "sign", _("the sign is wrong: your answer is −{label}")
                           .format(label=label), mine)
        if all(abs(r - ratios[0]) < 1e-6 * abs(ratios[0]) for r in ratios):
            factor = _fraction(ratios[0])
            return verdict(False, "factor", _("your answer is {factor} times {label}: a "
                                              "constant factor is wrong").format(
                factor=factor, label=label), mine)
        found = _size_factor(ratios, [s for s, _v in draws])
        if found is not None:
            return verdict(False, "size_factor", _size_message(found, label), mine)
    if len(want) == 2 and want[0] == want[1] and same([a.T for a in mine]):
        return verdict(False, "transposed", _("your answer is the transpose of {label}")
                       .format(label=label), mine)
    for fixed in _reordered(answer):
        if fixed.shape == want and same(values(fixed, want)):
            return verdict(False, "order", _(
                "the factors of a product are in the wrong order or transposed: {fixed} is "
                "right").format(fixed=fixed.code()), mine)
    missing = _missing_factor(problem, wrt, derivation, base, sizes, draws, mine)
    if missing is not None:
        return verdict(False, "missing_factor", missing, mine)
    return verdict(False, "different", _("your answer differs from {label} = {result}")
                   .format(label=label, result=expected.text()), mine)


def _misfit(problem, wrt, answer_text, misfit, answer, repairs, expected, label, sizes,
            seed) -> MatrixVerdict:
    """The verdict on an answer with a product or a sum whose shapes do not fit: which
    arrangement would fit, and whether it is then right."""
    written = Node("raw", (), answer_text, ())
    if answer is None:
        return MatrixVerdict(False, "shape", _("your answer does not fit together: {problem}")
                             .format(problem=misfit.message), wrt, written, expected,
                             float("nan"), dict(sizes), function=problem.function)
    shapes = {**problem.declared.shapes, **{name: () for name in problem.scalars()}}
    # the arrangements of the first misfit that fit, in turn, until one is right
    choice, first = 0, None
    while True:
        how, part, fixed = repairs[0]
        again = _check(problem, wrt, answer.code(), sizes, seed)
        first = first or (answer, repairs, again)
        if again.correct:
            break
        choice += 1
        try:
            answer, repairs = read_repaired(answer_text, shapes, choice=choice)
        except ShapeError:
            answer, repairs, again = first
            how, part, fixed = repairs[0]
            break
        if not repairs:
            answer, repairs, again = first
            how, part, fixed = repairs[0]
            break
    if again.correct:
        kind = "order" if how == "order" else "transposed"
        message = (_("{part} does not fit; with the factors in the other order, {fixed} is "
                     "right") if kind == "order" else
                   _("{part} does not fit; with a transpose, {fixed} is right")).format(
            part=part, fixed=answer.code())
    else:
        kind = "transposed" if again.kind == "transposed" else "shape"
        message = _("{part} does not fit; {fixed} would, but it is not right either: "
                    "{diagnosis}").format(part=part, fixed=answer.code(),
                                          diagnosis=again.message)
    if again.correct:  # no number to show: as written it has none, as arranged it is right
        return MatrixVerdict(False, kind, message, wrt, written, expected, float("nan"),
                             dict(sizes), function=problem.function)
    return MatrixVerdict(False, kind, message, wrt, written, expected, again.max_rel_error,
                         dict(sizes), again.entry, again.yours, again.right, problem.function)


def _fraction(r: float) -> str:
    f = Fraction(r).limit_denominator(100)
    if abs(float(f) - r) < 1e-9 * max(1.0, abs(r)):
        return str(f).replace("-", "−")
    return f"{r:.6g}".replace("-", "−")


def _size_factor(ratios, sizes_list):
    """A ratio that is c times a product of sizes (each to a power from −2 to 2, at most two
    in all) on every draw: (c, {letter: power})."""
    letters = sorted(sizes_list[0])
    candidates = [{a: p} for a in letters for p in (1, -1, 2, -2)]
    candidates += [{a: p, b: q} for i, a in enumerate(letters) for b in letters[i + 1:]
                   for p in (1, -1) for q in (1, -1)]
    for powers in candidates:
        values = [float(np.prod([float(s[x]) ** p for x, p in powers.items()]))
                  for s in sizes_list]
        c = ratios[0] / values[0]
        if all(abs(r - c * v) < 1e-6 * abs(r) for r, v in zip(ratios, values)):
            return Fraction(c).limit_denominator(100), powers
    return None


def _size_message(found, label: str) -> str:
    c, powers = found
    up = "".join(x + ("²" if p == 2 else "") for x, p in powers.items() if p > 0)
    down = "".join(x + ("²" if p == -2 else "") for x, p in powers.items() if p < 0)
    if c == 1 and up and not down:
        return _("your answer is {m} times {label}: a 1/{m} is missing (a mean divides by "
                 "the number of entries)").format(m=up, label=label)
    if c == 1 and down and not up:
        return _("your answer is {label} divided by {m}: there is a 1/{m} too many")\
            .format(m=down, label=label)
    shown = (str(c) if c != 1 else "") + (up or ("1" if c == 1 else "")) + (f"/{down}" if down else "")
    return _("your answer is {factor} times {label}: a factor is wrong").format(
        factor=shown.replace("-", "−"), label=label)


def _reordered(answer: Node):
    """The answer with the factors of one of its products swapped or transposed."""
    for node in answer.walk():
        if node.kind != "matmul":
            continue
        a, b = node.args
        ta, tb = A.transpose(a), A.transpose(b)
        for x, y in ((b, a), (tb, ta), (ta, b), (a, tb), (ta, tb), (tb, a), (b, ta)):
            shape = matmul_shape(x.shape, y.shape)
            if shape != node.shape:
                continue
            yield A.rebuild(answer, {node: Node("matmul", (x, y), None, shape)})


def _missing_factor(problem, wrt, derivation: MatrixDerivation, base, sizes, draws, answer):
    for step in derivation.steps:
        if step.rule not in ("chain", "power") or not step.number:
            continue
        variant = derive_matrix(problem.expression, wrt, sizes, base, function=problem.function,
                                check=False, drop=frozenset({step.number}),
                                onehot=problem.onehot)
        hit = True
        for (s, v), theirs in zip(draws, answer):
            with np.errstate(all="ignore"):
                a = np.asarray(evaluate(variant.result, v, s), dtype=np.float64)
            hit = hit and a.shape == theirs.shape and relative_error(a, theirs) < TOLERANCE
        if hit:
            local = step.terms[1].label if len(step.terms) > 1 else ""
            return _("a factor is missing: the elementwise chain through {inner} multiplies by "
                     "{local}").format(inner=step.parent.text(), local=local)
    return None

"""Worksheets of matrix problems (matrix:NAME, kind matrix_gradient): the key's gradient agrees
with central differences of the loss written by hand in NumPy, on the shapes the sheet states;
every name's shape is stated; the key's own answer earns full marks and the usual slips get
their diagnosis and no marks; and the command line makes the sheets and grades them."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tutor.assessment.grade import grade, parse_answers
from tutor.assessment.key import dumps, read_key, worksheets_key
from tutor.assessment.kinds import KINDS
from tutor.assessment.kinds.matrix_gradient import choices, verdict_of
from tutor.assessment.worksheet import WorksheetError, kinds_for, make_worksheets
from tutor.cli import main
from tutor.explaining.lesson import load_lesson
from tutor.matrix.notation import read_matrix_expression
from tutor.matrix.problem import load_matrix_lesson, matrix_lesson_names
from tutor.matrix.tree import evaluate
from tutor.renderers.assessment.markdown import sheet_markdown

ENV = {"COLUMNS": "100", "LANG": "en_US.UTF-8", "TUTOR_LANG": "en"}


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softplus(z):
    return np.logaddexp(0.0, z)


#: each lesson's loss written by hand in NumPy, from the lesson's formula (not from its file)
LOSSES = {
    "attention": lambda v, s: np.sum(v["G"] * (_softmax_rows(v["Q"] @ v["K"].T / np.sqrt(s["d"]))
                                              @ v["V"])),
    "dense_layer": lambda v, s: np.sum(v["G"] * (v["X"] @ v["W"] + v["b"])),
    "layer_norm": lambda v, s: np.sum(v["g"] * (v["x"] - v["x"].mean())
                                      / np.sqrt(np.mean((v["x"] - v["x"].mean()) ** 2) + 1e-5)),
    "least_squares": lambda v, s: np.linalg.norm(v["A"] @ v["x"] - v["b"]) ** 2,
    "linear_regression": lambda v, s: np.sum((v["X"] @ v["w"] + v["b"] - v["y"]) ** 2) / (2 * s["n"]),
    "logistic_regression": lambda v, s: np.mean(_softplus(v["X"] @ v["w"] + v["b"])
                                                - v["y"] * (v["X"] @ v["w"] + v["b"])),
    "mlp": lambda v, s: np.sum((np.tanh(v["X"] @ v["W1"] + v["b1"]) @ v["w2"] + v["c"] - v["y"]) ** 2)
    / (2 * s["n"]),
    "quadratic_form": lambda v, s: v["x"] @ v["A"] @ v["x"],
    "ridge": lambda v, s: np.sum((v["X"] @ v["w"] - v["y"]) ** 2) / (2 * s["n"])
    + v["lam"] * np.sum(v["w"] ** 2) / 2,
    "softmax_regression": lambda v, s: -np.sum(v["Y"] * np.log(_softmax_rows(v["X"] @ v["W"] + v["b"])))
    / s["n"],
}

#: lessons whose loss is divided by n, so that a gradient times n is "a missing 1/n"
MEANS = {"linear_regression", "logistic_regression", "mlp", "softmax_regression"}


def _draw(shapes: dict, entries: dict, sizes: dict, rng) -> dict:
    """Random values of the shapes the key states, the kind of entries respected."""
    out = {}
    for name, dims in shapes.items():
        shape = tuple(sizes[d] for d in dims)
        kind = entries.get(name, "normal")
        if kind == "onehot":
            a = np.zeros(shape)
            a[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = 1.0
        elif kind == "binary":
            a = rng.integers(0, 2, shape).astype(float)
        elif kind == "positive":
            a = rng.uniform(0.5, 2.0, shape)
        else:
            a = rng.normal(size=shape)
        out[name] = a
    return out


def _finite_difference(loss, values, sizes, wrt, h=1e-6):
    """∂loss/∂wrt entry by entry: a plain central-difference loop."""
    x = np.array(values[wrt], dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape) if x.shape else [()]:
        up, down = dict(values), dict(values)
        xu, xd = x.copy(), x.copy()
        xu[index] += h
        xd[index] -= h
        up[wrt], down[wrt] = xu, xd
        grad[index] = (loss(up, sizes) - loss(down, sizes)) / (2 * h)
    return grad


def _key(tmp_path, lessons, seed, variants=3):
    ws = make_worksheets(lessons, problems=len(lessons) * 2, variants=variants, seed=seed,
                         kinds=["matrix_gradient"])
    path = tmp_path / f"key-{seed}.json"
    path.write_text(dumps(worksheets_key(ws)), encoding="utf-8")
    return ws, read_key(path), json.loads(path.read_text(encoding="utf-8"))


def test_every_matrix_lesson_has_a_hand_written_loss():
    assert set(LOSSES) == set(matrix_lesson_names())


@pytest.mark.parametrize("lesson", matrix_lesson_names())
def test_the_keys_gradient_agrees_with_finite_differences_on_the_stated_shapes(lesson, tmp_path):
    seen = set()
    for seed in range(3):
        _ws, _keys, data = _key(tmp_path, [f"matrix:{lesson}"], seed)
        for variant in data["variants"]:
            for entry in variant["problems"]:
                assert entry["kind"] == "matrix_gradient" and entry["lesson"] == f"matrix:{lesson}"
                wrt = entry["wrt"][0]
                seen.add(wrt)
                shapes = {n: tuple(d) for n, d in entry["shapes"].items()}
                sizes = entry["sizes"]
                rng = np.random.default_rng(seed + 11)
                values = _draw(shapes, entry["entries"], sizes, rng)
                # the stated expression is the lesson's loss
                expression = read_matrix_expression(entry["function"], shapes)
                assert float(evaluate(expression, values, sizes)) == pytest.approx(
                    LOSSES[lesson](values, sizes), rel=1e-10)
                # the key's gradient, read back by the matrix parser, against the loop
                scalars = {**shapes, **{n: () for n in expression.names() - set(shapes)}}
                gradient = read_matrix_expression(entry["expected"], scalars)
                assert list(gradient.shape) == entry["shape"] == list(shapes[wrt])
                mine = np.broadcast_to(np.asarray(evaluate(gradient, values, sizes), float),
                                       tuple(sizes[d] for d in shapes[wrt]))
                loop = _finite_difference(LOSSES[lesson], values, sizes, wrt)
                scale = max(1.0, float(np.max(np.abs(loop))))
                assert np.max(np.abs(mine - loop)) / scale < 1e-6, (lesson, wrt, entry["expected"])
    # the variants draw the variable: several show up over the seeds, the lesson's first
    offered = choices(load_matrix_lesson(lesson))
    assert seen <= set(offered) and len(offered) >= 2 and len(seen) >= 2
    assert offered[:len(load_matrix_lesson(lesson).wrt)] == load_matrix_lesson(lesson).wrt


@pytest.mark.parametrize("lesson", matrix_lesson_names())
def test_the_statement_gives_every_names_shape(lesson):
    ws = make_worksheets([f"matrix:{lesson}"], problems=1, seed=5, kinds=["matrix_gradient"])
    text = sheet_markdown(ws.sheets[0])
    problem = load_matrix_lesson(lesson)
    for name, dims in problem.declared.shapes.items():
        shown = "×".join(dims) if dims else "scalar"
        role = problem.roles[name]
        assert f"| `{name}` | {role} | {shown} |" in text
    wrt = ws.sheets[0].problems[0].wrt[0].name
    assert f"∂{problem.function}/∂{wrt} in NumPy notation" in text
    assert "Give the shape of each term" in text


def _answers(variant_id, lines):
    return parse_answers(f"variant: {variant_id}\n" + "".join(f"{k}: {a}\n" for k, a in lines))


@pytest.mark.parametrize("lesson", matrix_lesson_names())
def test_the_keys_answer_earns_full_marks_and_slips_get_their_diagnosis(lesson, tmp_path):
    for seed in range(2):
        _ws, keys, data = _key(tmp_path, [f"matrix:{lesson}"], seed, variants=2)
        for variant in data["variants"]:
            key = keys[variant["id"]]
            right = [(e["number"], e["expected"]) for e in variant["problems"]]
            graded = grade(key, _answers(variant["id"], right))
            assert [m.score for m in graded.marks] == [1.0] * len(right), graded.marks
            for entry, problem in zip(variant["problems"], key.problems):
                expected, shape = entry["expected"], entry["shape"]
                slips = [(f"-({expected})", "sign")]
                if len(shape) == 2 and shape[0] != shape[1]:
                    slips.append((f"({expected}).T", "transposed"))
                if lesson in MEANS:
                    slips.append((f"({expected}) * n", "size_factor"))
                for answer, kind in slips:
                    verdict = verdict_of(problem, answer)
                    assert not verdict.correct and verdict.kind == kind, (answer, verdict.message)
                    score, reason = KINDS["matrix_gradient"].grade(problem, answer)
                    assert score == 0 and reason == verdict.message


def test_hand_worked_diagnoses_on_a_dense_layer_and_softmax_regression(tmp_path):
    _ws, keys, data = _key(tmp_path, ["matrix:dense_layer", "matrix:softmax_regression"], 0,
                           variants=6)
    by_wrt = {}
    for variant in data["variants"]:
        for entry, problem in zip(variant["problems"], keys[variant["id"]].problems):
            by_wrt[(entry["lesson"], entry["wrt"][0])] = problem
    W = by_wrt[("matrix:dense_layer", "W")]
    assert verdict_of(W, "X.T @ G").correct
    assert verdict_of(W, "(G.T @ X).T").correct  # any arrangement with the same numbers
    assert verdict_of(W, "G.T @ X").kind == "transposed"
    misfit = verdict_of(W, "X @ G")  # n×d @ n×k does not fit; with Xᵀ it does, and is right
    assert misfit.kind == "transposed" and "does not fit" in misfit.message
    assert verdict_of(W, "G").kind == "shape"  # n×k cannot be the gradient of a d×k W
    S = by_wrt[("matrix:softmax_regression", "W")]
    assert verdict_of(S, "X.T @ (softmax(X @ W + b) - Y) / n").correct
    assert verdict_of(S, "X.T @ (softmax(X @ W + b) - Y)").kind == "size_factor"
    assert verdict_of(S, "X.T @ (Y - softmax(X @ W + b)) / n").kind == "sign"


def test_matrix_lessons_are_named_apart_from_the_scalar_ones():
    ws = make_worksheets(["linear_regression", "matrix:linear_regression"], problems=4, seed=1)
    kinds = [(p.lesson, p.kind) for p in ws.sheets[0].problems]
    assert {lesson for lesson, _kind in kinds} == {"linear_regression", "matrix:linear_regression"}
    assert all((kind == "matrix_gradient") == lesson.startswith("matrix:") for lesson, kind in kinds)
    assert kinds_for(load_matrix_lesson("dense_layer")) == ["matrix_gradient"]
    assert "matrix_gradient" not in kinds_for(load_lesson("linear_regression"))
    with pytest.raises(WorksheetError, match="matrix:linear_regression"):
        make_worksheets(["linear_regression"], kinds=["matrix_gradient"])


def test_the_same_seed_gives_the_same_matrix_sheets():
    a = make_worksheets(["matrix:mlp", "matrix:attention"], problems=4, variants=3, seed=9)
    b = make_worksheets(["matrix:mlp", "matrix:attention"], problems=4, variants=3, seed=9)
    assert worksheets_key(a) == worksheets_key(b)


def test_worksheet_then_grade_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    made = runner.invoke(main, ["worksheet", "matrix:dense_layer", "matrix:softmax_regression",
                                "-n", "2", "--seed", "3", "--out", "sheets", "--export", "gift",
                                "--export", "moodle", "--export", "stack"], env=ENV)
    assert made.exit_code == 0, made.output
    assert "grade with: tutor grade sheets/key.json ANSWERS" in made.output
    for name in ("variant-01.md", "variant-01.tex", "variant-01.html", "variant-01.pdf",
                 "answers/variant-01.md", "quiz.gift", "quiz.xml"):
        assert (tmp_path / "sheets" / name).stat().st_size > 0
    assert (tmp_path / "sheets" / "variant-01.pdf").read_bytes().startswith(b"%PDF")
    key = json.loads((tmp_path / "sheets" / "key.json").read_text("utf-8"))
    problems = key["variants"][0]["problems"]
    right, wrong = [], []
    for e in problems:
        right.append(f"{e['number']}: {e['expected']}")
        wrong.append(f"{e['number']}: -({e['expected']})")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ann.txt").write_text("name: Ann\n" + "\n".join(right) + "\n")
    (tmp_path / "class" / "ben.txt").write_text("name: Ben\n" + "\n".join(wrong) + "\n")
    graded = runner.invoke(main, ["grade", "sheets/key.json", "class/"], env=ENV)
    assert graded.exit_code == 0, graded.output
    rows = {line.split(",")[0]: line for line in graded.output.splitlines()[1:]}
    assert rows["Ann"].startswith("Ann,ann.txt,s3-v01,2,2,1,1")
    assert rows["Ben"].startswith("Ben,ben.txt,s3-v01,0,2,0,0")
    assert "the sign is wrong" in rows["Ben"]
    one = runner.invoke(main, ["grade", "sheets/key.json", "class/ben.txt", "--lang", "zh"],
                        env=ENV)
    assert one.exit_code in (0, 1) and "矩阵梯度" in one.output


def test_a_tampered_matrix_key_is_refused_in_one_line(tmp_path):
    _ws, _keys, data = _key(tmp_path, ["matrix:dense_layer"], 0, variants=1)
    data["variants"][0]["problems"][0]["expected"] = "X.T @@ G"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    runner = CliRunner()
    (tmp_path / "a.txt").write_text("1: X.T @ G\n")
    result = runner.invoke(main, ["grade", str(path), str(tmp_path / "a.txt")], env=ENV)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "problem 1" in result.output

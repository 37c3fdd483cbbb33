"""``tutor worksheet --export stack``: STACK questions in Moodle XML, and Maxima's word on them.

The XML is read back as Moodle's importer reads it (question type ``stack``, question
variables, inputs, potential response trees, question tests) and every derive question is
handed to Maxima, the computer algebra system STACK marks with, in one batch:

* Maxima's own ``diff`` of the question's function, put through the tree as a student's
  answer, stops at node 0 (right), as do the tutor's derivative and, for a lesson with σ, the
  answer typed with ``sigma(u)``;
* each mistake node's expression differs from the right answer at some point and, typed as an
  answer, stops at that node and no earlier one;
* what each node's feedback says is true: a sign (the answer is −1 × Maxima's derivative), a
  factor c (c ×), a missing term t (the derivative minus t), a missing chain-rule factor
  d/dx h = h′ (Maxima's derivative of h is h′);
* the function in the question variables has the lesson's values at random points.

Maxima is the Debian package ``maxima``; without it these tests skip.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from tutor import cli
from tutor.assessment.slips import SLIP_KINDS
from tutor.assessment.worksheet import kinds_for, make_worksheets
from tutor.calculus.derivation import Named, expand_named
from tutor.calculus.functions import elementary, sigmoid
from tutor.calculus.table import FUNCTIONS
from tutor.assessment.key import dumps, read_key, worksheets_key
from tutor.assessment.marking import by_answer
from tutor.checking.diagnose import MISSING_INNER
from tutor.errors import TutorError
from tutor.explaining.lesson import lesson_names, load_lesson, parse_lesson
from tutor.i18n import speaking
from tutor.renderers.assessment.moodle import segments_html
from tutor.renderers.assessment.sheet import Math
from tutor.renderers.assessment.stack import stack_xml
from tutor.renderers.maxima import maxima

MAXIMA = shutil.which("maxima")
needs_maxima = pytest.mark.skipif(
    MAXIMA is None, reason="Maxima is not installed (Debian package maxima)")

#: cheap lessons for the quick tests: a σ, a step, a sum of terms, a hyperbolic function
QUICK = ("sigmoid", "relu", "squared_loss", "tanh")


def _export(lessons, lang="en", variants=2, seed=3):
    """(worksheets, parsed XML): for each lesson, sheets with every kind it offers (the
    lessons' sheets one after the other, lesson k with seed ``seed + k``)."""
    with speaking(lang):
        parts = [make_worksheets([name], problems=len(kinds_for(load_lesson(name))),
                                 variants=variants, seed=seed + k, common_mistakes=True)
                 for k, name in enumerate(lessons)]
        ws = dataclasses.replace(parts[0], sheets=tuple(s for w in parts for s in w.sheets))
        text = stack_xml(ws)
    return ws, ET.fromstring(text.encode("utf-8"))


def _questions(ws, root):
    """(problem, <question>) pairs, in order."""
    questions = [q for q in root.findall("question") if q.get("type") == "stack"]
    problems = [p for sheet in ws.sheets for p in sheet.problems]
    assert len(questions) == len(problems)
    return list(zip(problems, questions))


def _variables(q) -> dict[str, str]:
    out = {}
    for line in q.findtext("questionvariables/text").splitlines():
        name, _, value = line.partition(":")
        assert value.rstrip().endswith(";"), line
        out[name.strip()] = value.strip()[:-1]
    return out


# -- structure --------------------------------------------------------------------------------
def _check_structure(p, q):
    assert re.fullmatch(rf"s\d+-v\d+ · {p.number}\. .+ — .+", q.findtext("name/text"))
    text = q.findtext("questiontext/text")
    inputs = q.findall("input")
    prts = q.findall("prt")
    variables = _variables(q)
    assert inputs and len(inputs) == len(prts)
    for k, (inp, prt) in enumerate(zip(inputs, prts), start=1):
        name = inp.findtext("name")
        assert name == f"ans{k}"
        assert f"[[input:{name}]]" in text and f"[[validation:{name}]]" in text
        assert f"[[feedback:{prt.findtext('name')}]]" in q.findtext("specificfeedback/text")
        assert inp.findtext("tans") in variables
        nodes = prt.findall("node")
        assert [n.findtext("name") for n in nodes] == [str(j) for j in range(len(nodes))]
        for j, node in enumerate(nodes):
            # a right answer scores 1 at node 0; a recognised mistake scores 0 with feedback
            assert float(node.findtext("truescore")) == (1.0 if j == 0 else 0.0)
            assert node.findtext("truenextnode") == "-1"
            assert node.findtext("falsenextnode") == (str(j + 1) if j + 1 < len(nodes) else "-1")
            assert node.findtext("trueanswernote") == f"{prt.findtext('name')}-{j}-T"
            assert (j == 0) == (not node.findtext("truefeedback/text"))
            tans = node.findtext("tans").lstrip("-")
            assert tans in variables
        assert nodes[0].findtext("tans") == inp.findtext("tans")
    if p.answer_type == "expression":
        (inp,), (prt,) = inputs, prts
        assert inp.findtext("type") == "algebraic"
        nodes = prt.findall("node")
        assert {n.findtext("answertest") for n in nodes} == {"AlgEquiv"}
        slips = p.common_mistakes.slips
        assert len(nodes) == 1 + len(slips)
        # question tests: the teacher's answer is right, each slip stops at its own node
        cases = [(t.findtext("testinput/value"), t.findtext("expected/expectedanswernote"),
                  float(t.findtext("expected/expectedscore"))) for t in q.findall("qtest")]
        assert cases == [(n.findtext("tans"), f"prt1-{j}-T", 1.0 if j == 0 else 0.0)
                         for j, n in enumerate(nodes)]
    else:
        cases = q.findall("qtest")
        right = {e.findtext("name"): e.findtext("expectedanswernote")
                 for e in cases[0].findall("expected")}
        assert right == {prt.findtext("name"): prt.findtext("name") + "-0-T" for prt in prts}
        flipped = ({e.findtext("name"): e.findtext("expectedanswernote")
                    for e in cases[1].findall("expected")} if len(cases) > 1 else {})
        for prt, n in zip(prts, p.numbers):
            # −v is wrong, and met by the sign node, exactly when it is outside the tolerance
            wrong = 2 * abs(float(n.value)) > n.tolerance
            assert len(prt.findall("node")) == (2 if wrong else 1)
            if flipped:
                assert flipped[prt.findtext("name")] == prt.findtext("name") + (
                    "-1-T" if wrong else "-0-T")
        for inp, prt, n in zip(inputs, prts, p.numbers or [None]):
            assert inp.findtext("type") == "numerical"
            first = prt.find("node")
            value = float(_variables(q)[inp.findtext("tans")])
            if n is None:  # the number of the wrong step
                assert first.findtext("answertest") == "AlgEquiv" and value == p.wrong_step
                continue
            # the key's value and tolerance, as an absolute tolerance
            assert first.findtext("answertest") == "NumAbsolute"
            assert value == pytest.approx(float(n.value), rel=1e-12, abs=1e-300)
            assert float(first.findtext("testoptions")) == pytest.approx(n.tolerance, rel=1e-5)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_problem_is_a_stack_question(lang):
    ws, root = _export(QUICK, lang)
    categories = [q for q in root.findall("question") if q.get("type") == "category"]
    assert len(categories) == len(ws.sheets)
    pairs = _questions(ws, root)
    assert {p.kind for p, _q in pairs} == {"derive", "evaluate", "backward", "mistake"}
    assert {p.lesson for p, _q in pairs if p.kind == "derive"} == set(QUICK)
    for p, q in pairs:
        _check_structure(p, q)


def _typed(maxima_text: str) -> str:
    """A slip as a student types it for `tutor grade` (Maxima's step and sign renamed)."""
    text = re.sub(r"charfun\((.*?) > 0\)", r"heaviside(\1)", maxima_text)
    return text.replace("signum(", "sign(")


def _graders_sentences(lessons, lang, tmp_path):
    """Each mistake node's feedback is what `tutor grade` says about that answer, from the key
    file read back, in the sheet's language; returns the kinds of mistake seen."""
    ws, root = _export(lessons, lang)
    path = tmp_path / f"key-{lang}.json"
    path.write_text(dumps(worksheets_key(ws)), "utf-8")
    keys = read_key(path)
    seen = set()
    for p, q in _questions(ws, root):
        if p.kind != "derive":
            continue
        key = next(k for k in keys[q.findtext("idnumber").rsplit("-", 1)[0]].problems
                   if k.number == p.number)
        variables = _variables(q)
        nodes = q.find("prt").findall("node")[1:]
        for node, slip in zip(nodes, p.common_mistakes.slips):
            with speaking(lang):
                score, reason = by_answer(key, _typed(variables[node.findtext("tans")]))
                sentence = slip.diagnosis.describe()
                html = slip.diagnosis.describe(lambda e: segments_html([Math(e)], p.names))
            assert score == 0 and reason == sentence, (p.lesson, node.findtext("tans"))
            assert node.findtext("truefeedback/text") == f"<p>{html}</p>"
            seen.add(slip.kind)
    return seen, ET.tostring(root, encoding="unicode")


def test_feedback_is_the_graders_sentence_in_the_sheets_language(tmp_path):
    for lang, word in (("en", "derivative"), ("zh", "导数")):
        seen, text = _graders_sentences(("sigmoid", "squared_loss", "tanh"), lang, tmp_path)
        assert seen == set(SLIP_KINDS)
        assert word in text


@pytest.mark.slow
def test_every_lessons_feedback_is_the_graders_sentence(tmp_path):
    _graders_sentences(tuple(lesson_names()), "en", tmp_path)


def test_cli_writes_stack_xml(tmp_path):
    out = tmp_path / "sheets"
    r = CliRunner().invoke(cli.main, ["worksheet", "sigmoid", "--out", str(out), "--format",
                                      "md", "--export", "stack", "-n", "2", "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert f"STACK (Moodle XML)" in r.output and str(out / "stack.xml") in r.output
    root = ET.parse(out / "stack.xml").getroot()
    types = [q.get("type") for q in root.findall("question")]
    assert types == ["category", "stack", "stack"]
    assert "导数" in (out / "stack.xml").read_text("utf-8")
    # the folder is recognised as an earlier run's
    r = CliRunner().invoke(cli.main, ["worksheet", "sigmoid", "--out", str(out), "--format", "md"])
    assert r.exit_code == 2


def test_maxima_printer_by_hand():
    z, w = sympy.symbols("z w")
    assert maxima(sigmoid(2 * z)) == "1/(1 + exp(-2*z))"
    assert maxima(sympy.Heaviside(3 * z - 1, 0)) == "charfun(-1 + 3*z > 0)"
    assert maxima(sympy.Abs(z) + sympy.sign(w)) == "abs(z) + signum(w)"
    assert maxima(sympy.E ** z * sympy.pi) == "%pi*exp(z)"
    assert maxima(1 / (1 + z) ** 2) == "1/((1 + z)^2)"
    assert maxima(z ** sympy.Rational(1, 3)) == "z^(1/3)"


def test_a_name_maxima_reserves_is_refused():
    """A teacher's lesson whose variable is a Maxima keyword cannot become a STACK question."""
    text = (load_lesson_text("tanh").replace('"tanh(z)"', '"tanh(step)"')
            .replace('wrt = ["z"]', 'wrt = ["step"]').replace("\nz = ", "\nstep = "))
    lesson = parse_lesson(text, source="a teacher's lesson")
    ws = make_worksheets([lesson], problems=1, kinds=["derive"], common_mistakes=True)
    with pytest.raises(TutorError, match="the name 'step' cannot be written for Maxima"):
        stack_xml(ws)


def load_lesson_text(name: str) -> str:
    return (Path(__file__).resolve().parent.parent / "lessons" / f"{name}.toml").read_text("utf-8")


# -- Maxima ------------------------------------------------------------------------------------
_PRELUDE = r"""
linel: 100000$ display2d: false$
/* (names of parameters end in _, as no lesson's variable does: Maxima's scope is dynamic) */
/* a = b: ratsimp says 0, or they agree to 1e-9 at every point (for a step, a max, a tanh) */
val(e_, p_) := block([v_: errcatch(float(ev(subst(p_, e_), nouns)))],
  if v_ # [] and numberp(first(v_)) then first(v_) else false)$
near(a_, b_, p_) := block([x_: val(a_, p_), y_: val(b_, p_)],
  x_ # false and y_ # false and abs(x_ - y_) <= 1e-9 * (1 + abs(x_) + abs(y_)))$
far(a_, b_, p_) := block([x_: val(a_, p_), y_: val(b_, p_)],
  x_ # false and y_ # false and abs(x_ - y_) > 1e-6 * (1 + abs(x_) + abs(y_)))$
zero(e_) := block([r_: errcatch(ratsimp(e_))], if r_ = [] then false else is(first(r_) = 0))$
same(a_, b_, ps_) := zero(a_ - b_) or every(lambda([p_], near(a_, b_, p_)), ps_)$
differs(a_, b_, ps_) := not zero(a_ - b_) and some(lambda([p_], far(a_, b_, p_)), ps_)$
say(k_, l_, v_) := print(sconcat("@|", k_, "|", l_, "|", v_))$
/* the derivative, with max(a, b) written as (a + b + |a − b|)/2 so that Maxima has one */
dmax(e_, x_) := diff(subst(max = lambda([a_, b_], (a_ + b_ + abs(a_ - b_))/2), e_), x_)$
"""


def _points(names, rng, count=12):
    """Points with coordinates in [−3, 3]: enough of them that a step [2z + 2 > 0] is seen on
    both sides."""
    return [{n: round(rng.uniform(-3, 3), 3) or 0.5 for n in names} for _ in range(count)]


def _maxima_points(points) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{n} = {v}" for n, v in p.items()) + "]"
                           for p in points) + "]"


def _derive_script(key, p, q, rng):
    """Maxima statements checking one derive question; each prints '@ key label true/false'."""
    variables = _variables(q)
    prt = q.find("prt")
    nodes = [n.findtext("tans") for n in prt.findall("node")]
    (f_name,) = set(variables) - set(nodes)
    sans = prt.find("node").findtext("sans")
    student = prt.findtext("feedbackvariables/text")  # sa: subst([...], ans1);
    wrt = p.wrt[0].name
    names = sorted({s.name for s in p.variables} | {wrt})
    pts = _maxima_points(_points(names, rng))
    lines = [f"remvalue(all)$ pts_: {pts}$"]
    lines += [f"{name}: {value}$" for name, value in variables.items()]
    lines.append(f"dq_: dmax({f_name}, {wrt})$")
    # dq_s: the same with the lesson's assumptions applied, as to a student's answer
    lines.append(f"ans1: dq_$ {student} dq_s: {sans}$")

    def as_answer(label, expression, node):
        """The answer ``expression`` goes through the tree and stops at ``node``."""
        out = [f"ans1: {expression}$ {student}"]
        for j, tans in enumerate(nodes):
            test = "same" if j == node else "differs"
            out.append(f"say(\"{key}\", \"{label} at node {j}\", {test}({sans}, {tans}, pts_))$")
        return out

    lines += as_answer("maxima diff", "dq_", 0)
    lines += as_answer("tutor", maxima(p.expected), 0)
    shown = p.expected_shown.subs(dict(p.display))
    named = tuple(Named(s, d) for s, d in p.named)
    shown = expand_named(shown, named)
    if shown.has(sigmoid):
        typed = sympy.sstr(shown).replace("sigmoid(", "sigma(").replace("**", "^")
        lines += as_answer("typed with sigma", typed, 0)
    for j, slip in enumerate(p.common_mistakes.slips, start=1):
        lines += as_answer(f"slip {j}", nodes[j], j)
        lines += _claim(key, j, slip, nodes[j], wrt, student, sans)
    # the printed function is the lesson's, at the same points
    function = elementary(expand_named(p.function, named))
    for k, point in enumerate(_points(names, rng, 3)):
        value = float(function.evalf(30, subs={s: point[s.name] for s in function.free_symbols}))
        lines.append(f"say(\"{key}\", \"function at point {k}\", "
                     f"near({f_name}, {value!r}, {_maxima_points([point])[1:-1]}))$")
    return lines


def _claim(key, j, slip, tans, wrt, student, sans):
    """What node j's feedback says, checked by Maxima."""
    d = slip.diagnosis
    label = f"slip {j} claim ({slip.kind})"

    def through(expression):  # an expression of the lesson's variables, assumptions applied
        return f"ans1: {expression}$ {student} rhs_: {sans}$"

    if slip.kind == "sign":
        return [f"say(\"{key}\", \"{label}\", same({tans}, -dq_s, pts_))$"]
    if slip.kind == "constant_factor":
        return [f"say(\"{key}\", \"{label}\", same({tans}, ({maxima(d.factor)})*dq_s, pts_))$"]
    if slip.kind == "extra_or_missing_term":
        (t,) = d.exprs
        return [through(maxima(t)),
                f"say(\"{key}\", \"{label}\", same({tans}, dq_s - rhs_, pts_) or "
                f"same({tans}, dq_s + rhs_, pts_))$"]
    # a chain-rule factor: the derivative the sentence names is the derivative
    x = sympy.Symbol(wrt)
    e = d.exprs
    if d.detail == MISSING_INNER:
        inner, said = e[1], e[2]
    elif len(e) >= 3 and e[0] == x:
        inner, said = e[1], e[-1]
    else:  # the outer derivative F′(h) of F(h): F′ is named, not a derivative by x
        return []
    return [f"say(\"{key}\", \"{label}\", same(diff({maxima(inner)}, {wrt}), "
            f"{maxima(said)}, pts_))$"]


def _run_maxima(lines) -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "checks.mac")
        with open(path, "w", encoding="utf-8") as f:
            f.write(_PRELUDE + "\n".join(lines) + "\n")
        r = subprocess.run([MAXIMA, "--very-quiet", f"--batch-string=batchload(\"{path}\")$"],
                           capture_output=True, text=True, timeout=900)
    said = [line.rstrip().split("|")[1:] for line in r.stdout.splitlines()
            if line.startswith("@|")]
    assert said, r.stdout[-2000:] + r.stderr[-2000:]
    return said


def _maxima_checks(lessons, *, variants=2, seed=3):
    ws, root = _export(lessons, "en", variants=variants, seed=seed)
    rng = random.Random(seed)
    lines, expected = [], 0
    for p, q in _questions(ws, root):
        key = q.findtext("idnumber") + ":" + p.lesson
        if p.kind == "derive":
            body = _derive_script(key, p, q, rng)
            lines += body
            expected += sum(l.count("say(") for l in body)
        elif p.kind == "evaluate":
            # the key's number is Maxima's derivative at the given point, within its tolerance
            named = tuple(Named(s, d) for s, d in p.named)
            f = maxima(expand_named(p.function, named))
            given = ", ".join(f"{s.name} = {maxima(v)}" for s, v in p.given)
            (n,) = p.numbers
            lines.append(f"say(\"{key}\", \"evaluate\", is(abs(float(subst([{given}], "
                         f"dmax({f}, {p.wrt[0].name}))) - ({float(n.value)!r})) <= "
                         f"{n.tolerance!r}))$")
            expected += 1
    # a check that fails with an error says nothing; it is then missing from what Maxima said
    lines = [f"errcatch({line[:-1]})$" if line.startswith("say(") else line for line in lines]
    said = _run_maxima(lines)
    assert len(said) == expected, "Maxima said less than was asked: " + repr(said[-3:])
    wrong = [(key, label, value) for key, label, value in said if value != "true"]
    assert not wrong, wrong[:10]
    return ws


@needs_maxima
def test_every_function_of_the_table_means_the_same_to_maxima():
    """Each function as the printer writes it, evaluated by Maxima, has NumPy's values."""
    u = sympy.Symbol("u", real=True)
    lines, expected = [], []
    for f in FUNCTIONS:
        points = (1.3, 1.7) if f.name == "acosh" else (0.3, 0.7) if f.name == "log" else (
            -0.4, 0.3, 0.7)
        form = maxima(f.make(u) if f.make else f.sympy(u))
        for x in points:
            value = float(f.numpy(x))
            lines.append(f"errcatch(say(\"{f.name}\", \"{x}\", near({form}, {value!r}, "
                         f"[u = {x}])))$")
            expected.append([f.name, str(x), "true"])
    assert _run_maxima(lines) == expected


@needs_maxima
def test_maxima_confirms_quick_lessons():
    ws = _maxima_checks(QUICK)
    kinds = {s.kind for sheet in ws.sheets for p in sheet.problems if p.kind == "derive"
             for s in p.common_mistakes.slips}
    assert kinds == set(SLIP_KINDS)


@needs_maxima
@pytest.mark.slow
def test_maxima_confirms_every_lesson():
    """Every shipped lesson, three variants each, in one Maxima run."""
    ws = _maxima_checks(tuple(lesson_names()), variants=3, seed=11)
    derived = {p.lesson for sheet in ws.sheets for p in sheet.problems if p.kind == "derive"}
    assert derived == set(lesson_names())


@pytest.mark.slow
def test_chinese_questions_carry_the_same_mathematics():
    """--lang zh changes the words, not a variable, a node's test or a tolerance."""
    for name in lesson_names():
        _ws, en = _export((name,), "en", variants=1)
        _ws, zh = _export((name,), "zh", variants=1)
        for a, b in zip(en.iter("question"), zh.iter("question")):
            for tag in ("questionvariables/text", "idnumber"):
                assert a.findtext(tag) == b.findtext(tag)
            for x, y in zip(a.iter("node"), b.iter("node")):
                for tag in ("answertest", "sans", "tans", "testoptions"):
                    assert x.findtext(tag) == y.findtext(tag)
                if x.findtext("truefeedback/text"):
                    assert re.search("[\u4e00-\u9fff]", y.findtext("truefeedback/text"))

"""Worksheets: every expected answer checked by a second, independent route (finite
differences in plain floats, a hand-written gradient-descent loop), the four formats checked
structurally (XML parse, pdflatex, a PDF reader, a headless browser when installed), and the
command line's refusals."""

import json
import math
import os
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import sympy
from click.testing import CliRunner

from tutor.cli import main
from tutor.explaining.lesson import lesson_names
from tutor.assessment.worksheet import MAX_PROBLEMS, MAX_VARIANTS, make_worksheets

ALL = lesson_names()


@pytest.fixture(scope="module")
def sheets():
    return make_worksheets(ALL, problems=30, variants=3, seed=11)


def problems(ws, kind):
    return [p for s in ws.sheets for p in s.problems if p.kind == kind]


def as_float_function(expr, symbols):
    """A plain-float function of ``expr`` (SymPy evaluates it; no code under test involved)."""
    expr = expr.rewrite(sympy.exp) if expr.has(sympy.Function) else expr

    def f(values):
        return float(sympy.N(expr.subs(dict(zip(symbols, values))), 30))

    return f


def central(f, values, k, h=1e-6):
    up, down = list(values), list(values)
    up[k] += h
    down[k] -= h
    return (f(up) - f(down)) / (2 * h)


def close(a, b, tol=1e-5):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@pytest.mark.slow
def test_every_kind_appears_and_sheets_share_their_plan(sheets):
    kinds = {p.kind for s in sheets.sheets for p in s.problems}
    assert kinds == {"derive", "evaluate", "gd_step", "backward", "mistake"}
    plans = [[(p.lesson, p.kind) for p in s.problems] for s in sheets.sheets]
    assert plans[0] == plans[1] == plans[2]
    # the numbers differ between variants
    assert [p.given for p in sheets.sheets[0].problems] != [p.given for p in sheets.sheets[1].problems]


def test_evaluate_answers_match_finite_differences(sheets):
    for p in problems(sheets, "evaluate"):
        symbols = [s for s, _ in p.given]
        values = [float(v) for _, v in p.given]
        f = as_float_function(p.function.subs([(s, d) for s, d in p.named][::-1])
                              if p.named else p.function, symbols)
        k = symbols.index(p.wrt[0])
        fd = central(f, values, k)
        value = float(p.numbers[0].value)
        assert close(value, fd, 1e-5), (p.lesson, value, fd)
        assert math.isfinite(value)


@pytest.mark.slow
def test_derive_answers_match_finite_differences(sheets):
    rng = random.Random(3)
    for p in problems(sheets, "derive"):
        f_expr = p.function
        for s, d in reversed(p.named):
            f_expr = f_expr.subs(s, d)
        symbols = sorted(f_expr.free_symbols | p.expected.free_symbols, key=lambda s: s.name)
        f = as_float_function(f_expr, symbols)
        g = as_float_function(p.expected, symbols)
        k = symbols.index(p.wrt[0])
        for _ in range(3):
            point = [rng.uniform(-1.5, 1.5) for _ in symbols]
            if p.lesson == "relu":  # away from the kink
                point = [v if abs(v) > 0.3 else 0.7 for v in point]
            for lhs, rhs in p.assumptions:  # y1 + y2 + y3 = 1: solve for the last one
                last = sorted(lhs.free_symbols, key=lambda s: s.name)[-1]
                others = {s: point[symbols.index(s)] for s in lhs.free_symbols if s != last}
                point[symbols.index(last)] = float(rhs - lhs.subs(last, 0).subs(others))
            assert close(g(point), central(f, point, k), 1e-5), (p.lesson, p.expected)


def test_backward_adjoints_are_the_gradient(sheets):
    for p in problems(sheets, "backward"):
        f_expr = p.function
        for s, d in reversed(p.named):
            f_expr = f_expr.subs(s, d)
        symbols = [s for s, _ in p.given]
        values = [float(v) for _, v in p.given]
        f = as_float_function(f_expr, symbols)
        nodes = {n.symbol: n for n in p.nodes}
        # the output's adjoint is 1 and its value is f
        last = p.nodes[-1]
        assert float(last.adjoint) == 1.0
        assert close(float(last.value), f(values), 1e-9)
        for k, s in enumerate(symbols):
            assert close(float(nodes[s].adjoint), central(f, values, k), 1e-5), (p.lesson, s)
        # every inner node's value follows from its children's values
        env = {n.symbol: n.value for n in p.nodes}
        for n in p.nodes:
            if n.expression is not None:
                got = float(n.expression.subs(env).doit())
                assert close(got, float(n.value), 1e-9), (p.lesson, n)


@pytest.mark.slow
def test_gradient_descent_step_by_hand(sheets):
    for p in problems(sheets, "gd_step"):
        f_expr = p.function
        for s, d in reversed(p.named):
            f_expr = f_expr.subs(s, d)
        params = [s for s, _ in p.given]
        start = [float(v) for _, v in p.given]
        data = list(p.batch_symbols)
        f = as_float_function(f_expr, params + data)
        lr = float(p.learning_rate)
        grads = [0.0] * len(params)
        for row in p.batch:  # the loop a student does on paper
            for k in range(len(params)):
                grads[k] += central(lambda v: f(v + [float(x) for x in row]), start, k)
        grads = [g / len(p.batch) for g in grads]
        new = [w - lr * g for w, g in zip(start, grads)]
        assert all(close(float(n.value), w, 1e-6) for n, w in zip(p.numbers, new)), (p.lesson, new)


def test_mistake_is_exactly_one_wrong_step(sheets):
    for p in problems(sheets, "mistake"):
        wrong = []
        for k, (_, step) in enumerate(p.shown_steps, start=1):
            if step.is_rewrite:
                continue
            truth = sympy.diff(step.before, step.wrt)
            pt = {s: sympy.Rational(7, 10) + sympy.Rational(i, 13)
                  for i, s in enumerate(sorted(truth.free_symbols | step.after.free_symbols,
                                               key=lambda s: s.name))}
            a, b = complex(sympy.N(truth.subs(pt), 20)), complex(sympy.N(step.after.subs(pt), 20))
            if abs(a - b) > 1e-9 * max(1, abs(a)):
                wrong.append(k)
        assert wrong == [p.wrong_step], (p.lesson, wrong, p.wrong_step)


def test_numbers_are_clean(sheets):
    for s in sheets.sheets:
        for p in s.problems:
            for _, v in p.given:
                assert (2 * v).is_Integer and abs(v) <= 3.5  # integers and halves
            if p.learning_rate is not None:
                assert p.learning_rate in (sympy.Rational(1, 10), sympy.Rational(1, 20),
                                           sympy.Rational(1, 5), sympy.Rational(1, 2))


# -- the command line ----------------------------------------------------------------------
def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("sheets") / "week1"
    r = run("worksheet", "sigmoid", "softmax", "linear_regression", "neuron", "-n", "10",
            "-k", "3", "--seed", "7", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "wrote 3 sheets × 10 problems in 4 formats" in r.output
    return out


def test_files_written(folder):
    for k in (1, 2, 3):
        for fmt in ("md", "tex", "html", "pdf"):
            assert (folder / f"variant-0{k}.{fmt}").stat().st_size > 500
            assert (folder / "answers" / f"variant-0{k}.{fmt}").stat().st_size > 500
        assert json.loads((folder / "answers" / f"variant-0{k}.json").read_text())["id"] == f"s7-v0{k}"
    key = json.loads((folder / "key.json").read_text())
    assert [v["id"] for v in key["variants"]] == ["s7-v01", "s7-v02", "s7-v03"]
    # each sheet carries its variant's id
    for fmt in ("md", "tex", "html"):
        assert "s7-v02" in (folder / f"variant-02.{fmt}").read_text()
    assert not [p for p in folder.iterdir() if p.name.startswith(".tutor")]


@pytest.mark.slow
def test_same_seed_same_bytes(folder, tmp_path):
    again = tmp_path / "again"
    r = run("worksheet", "sigmoid", "softmax", "linear_regression", "neuron", "-n", "10",
            "-k", "3", "--seed", "7", "--out", str(again))
    assert r.exit_code == 0, r.output
    files = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (folder / rel).read_bytes() == (again / rel).read_bytes(), rel
    other = tmp_path / "other"
    run("worksheet", "sigmoid", "softmax", "linear_regression", "neuron", "-n", "10",
        "-k", "3", "--seed", "8", "--out", str(other))
    assert (other / "key.json").read_bytes() != (folder / "key.json").read_bytes()


def test_html_is_well_formed_mathml_without_script(folder):
    ns = {"h": "http://www.w3.org/1999/xhtml", "m": "http://www.w3.org/1998/Math/MathML"}
    for path in [folder / "variant-01.html", folder / "answers" / "variant-01.html",
                 folder / "sheets.html"]:
        text = path.read_text("utf-8")
        root = ET.fromstring(text.split("\n", 1)[1])  # after the doctype
        assert "<script" not in text.lower() and "http://" not in text.replace(
            ns["h"], "").replace(ns["m"], "").replace("http://www.w3.org", "")
        assert len(root.findall(".//m:math", ns)) > 10
        assert len(root.findall(".//h:section", ns)) >= 10
    sheets = ET.fromstring((folder / "sheets.html").read_text("utf-8").split("\n", 1)[1])
    assert len(sheets.findall(".//h:div[@class='sheet']", ns)) == 3
    assert "break-after: page" in (folder / "sheets.html").read_text()


def test_pdf_opens_and_has_text(folder):
    pypdf = pytest.importorskip("pypdf")
    for path in (folder / "variant-01.pdf", folder / "answers" / "variant-01.pdf"):
        reader = pypdf.PdfReader(str(path))
        assert len(reader.pages) > 0
        text = "".join(page.extract_text() for page in reader.pages)
        assert "s7-v01" in text and "Sigmoid" in text and "Problem" not in text[:0]
        assert "10. " in text


def test_markdown_has_math(folder):
    md = (folder / "answers" / "variant-01.md").read_text("utf-8")
    assert md.count("$") > 40 and "## 10." in md


@pytest.mark.parametrize("name", ["variant-01.tex", "answers/variant-01.tex"])
def test_latex_compiles_with_pdflatex(folder, tmp_path, name):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    shutil.copy(folder / name, tmp_path / "doc.tex")
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")


def test_html_renders_in_a_headless_browser(folder, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no chromium installed for the screenshot test")
    shot = tmp_path / "page.png"
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                           "--window-size=900,1200", f"--screenshot={shot}",
                           (folder / "answers" / "variant-01.html").as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), done.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))
    dark = (pixels[:, :, :3].mean(axis=2) < 0.5).mean()
    assert 0.005 < dark < 0.3  # text on a white page, not a blank or black one


def test_bad_input(tmp_path):
    out = str(tmp_path / "x")
    r = run("worksheet", "sigmod", "--out", out)
    assert r.exit_code == 2 and "no lesson named 'sigmod'" in r.output
    for opt, value, limit in (("-n", "0", MAX_PROBLEMS), ("-n", "1000", MAX_PROBLEMS),
                              ("-k", "0", MAX_VARIANTS), ("-k", "100000", MAX_VARIANTS)):
        r = run("worksheet", "sigmoid", opt, value, "--out", out)
        assert r.exit_code == 2 and f"from 1 to {limit}" in r.output, r.output
    r = run("worksheet", "sigmoid", "--seed", "-1", "--out", out)
    assert r.exit_code == 2
    assert not os.path.exists(out)
    (tmp_path / "afile").write_text("x")
    r = run("worksheet", "sigmoid", "--out", str(tmp_path / "afile"))
    assert r.exit_code == 2 and "is a file" in r.output
    r = run("worksheet", "sigmoid", "--out", str(tmp_path / "no" / "such" / "dir"))
    assert r.exit_code == 2 and "does not exist" in r.output


def test_earlier_sheets_need_force(tmp_path):
    out = tmp_path / "class"
    assert run("worksheet", "tanh", "-n", "2", "-k", "3", "--format", "md", "--out", str(out)).exit_code == 0
    before = (out / "key.json").read_bytes()
    r = run("worksheet", "tanh", "-n", "2", "-k", "1", "--format", "md", "--out", str(out))
    assert r.exit_code == 2 and "earlier sheets" in r.output and "--force" in r.output
    assert (out / "key.json").read_bytes() == before
    r = run("worksheet", "tanh", "-n", "2", "-k", "1", "--format", "md", "--out", str(out), "--force")
    assert r.exit_code == 0, r.output
    # the earlier run's extra variants are gone, so the folder matches key.json
    assert sorted(p.name for p in out.glob("variant-*")) == ["variant-01.md"]
    assert sorted(p.name for p in (out / "answers").iterdir()) == ["variant-01.json", "variant-01.md"]


# -- exports -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("quiz") / "q"
    r = run("worksheet", "sigmoid", "linear_regression", "neuron", "softmax", "-n", "8", "-k", "2",
            "--seed", "5", "--format", "md", "--export", "moodle", "--export", "gift",
            "--out", str(out))
    assert r.exit_code == 0, r.output
    return out, json.loads((out / "key.json").read_text())


def test_moodle_xml_has_the_question_types(exported):
    out, key = exported
    root = ET.parse(out / "quiz.xml").getroot()
    assert root.tag == "quiz"
    questions = [q for q in root if q.get("type") != "category"]
    assert len(questions) == 16
    assert len([q for q in root if q.get("type") == "category"]) == 2
    by_id = {q.findtext("idnumber"): q for q in questions}
    for variant in key["variants"]:
        for item in variant["problems"]:
            q = by_id[f"{variant['id']}-{item['number']}"]
            assert q.findtext("questiontext/text").strip()
            assert q.findtext("generalfeedback/text").strip()
            if item["answer"] == "expression":
                assert q.get("type") == "essay" and q.findtext("graderinfo/text")
            elif item["answer"] == "step":
                assert q.get("type") == "numerical"
                assert float(q.findtext("answer/text")) == item["step"]
            elif len(item["numbers"]) == 1:
                assert q.get("type") == "numerical"
                assert float(q.findtext("answer/text")) == pytest.approx(item["numbers"][0]["value"])
                assert float(q.findtext("answer/tolerance")) == pytest.approx(item["numbers"][0]["tolerance"])
            else:
                assert q.get("type") == "cloze"
                text = q.findtext("questiontext/text")
                import re
                fields = re.findall(r"\{1:NUMERICAL:=([-0-9.]+):([0-9.]+)\}", text)
                assert [float(v) for v, _ in fields] == pytest.approx([n["value"] for n in item["numbers"]])


def test_gift_questions_and_answers(exported):
    import re

    out, key = exported
    text = (out / "quiz.gift").read_text("utf-8")
    blocks = [b for b in text.split("\n\n") if b.strip()]
    questions = [b.strip() for b in blocks if b.strip().startswith("::")]
    numbers = [n for v in key["variants"] for item in v["problems"]
               for n in (item.get("numbers") or [None])]
    assert len(questions) == len(numbers)
    for q in questions:
        assert "\n" not in q.strip()
        body = q.split("::", 2)[2]
        # the answer is the last unescaped {…}
        m = re.search(r"(?<!\\)\{(.*)(?<!\\)\}$", body)
        assert m, q[:200]
        answer = m.group(1)
        assert answer.startswith("####") or re.match(r"#-?[0-9.]+:[0-9.]+####", answer), answer[:80]
    values = [float(v) for v in re.findall(r"(?<!\\)\{#(-?[0-9.]+):", text)]
    expected = [n["value"] for n in numbers if n is not None]
    steps = [float(item["step"]) for v in key["variants"] for item in v["problems"] if item["answer"] == "step"]
    assert sorted(values) == pytest.approx(sorted(expected + steps))


@pytest.mark.slow
def test_same_bytes_in_separate_processes(tmp_path):
    """Set and dict order must not leak into the files: two processes with different hash
    seeds write the same bytes."""
    import sys

    outs = []
    for hashseed in ("1", "2"):
        out = tmp_path / f"h{hashseed}"
        env = {**os.environ, "PYTHONHASHSEED": hashseed,
               "PYTHONPATH": os.pathsep.join(sys.path)}
        done = subprocess.run([sys.executable, "-m", "tutor", "worksheet", "softmax", "neuron",
                               "cross_entropy", "-n", "5", "-k", "2", "--seed", "4", "--out",
                               str(out), "--export", "gift"], capture_output=True, text=True,
                              env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert len(files) > 10
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_printed_html_starts_each_sheet_on_a_new_page(folder, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no chromium installed for the print test")
    pypdf = pytest.importorskip("pypdf")
    printed = tmp_path / "printed.pdf"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={printed}",
                    (folder / "sheets.html").as_uri()],
                   capture_output=True, text=True, timeout=120)
    assert printed.exists()
    pages = [p.extract_text() for p in pypdf.PdfReader(str(printed)).pages]
    starts = [k for k, text in enumerate(pages) if text.lstrip().startswith("Worksheet s7-v0")]
    assert len(starts) == 3 and starts[0] == 0
    # each sheet's first page begins with its own title, and no page holds two sheets
    for k, start in enumerate(starts, start=1):
        assert pages[start].lstrip().startswith(f"Worksheet s7-v0{k}")
    assert all(text.count("Worksheet s7-v0") <= 1 for text in pages)


_M = "{http://www.w3.org/1998/Math/MathML}"


def _minus_signs(root):
    """(is a sign, set as a sign) for every − of a MathML tree: a sign where it opens its row
    or follows an operator that is not a closing bracket (z = −3, (−2)); a subtraction between
    two operands."""
    out = []
    for row in root.iter():
        children = list(row)
        for k, child in enumerate(children):
            if child.tag == f"{_M}mo" and child.text == "−":
                before = children[k - 1] if k else None
                sign = before is None or (before.tag == f"{_M}mo"
                                          and before.text not in (")", "]", "|"))
                set_as_sign = (child.get("form"), child.get("lspace"), child.get("rspace")) == (
                    "prefix", "0", "0")
                out.append((sign, set_as_sign))
    return out


def test_a_minus_in_mathml_is_a_sign_without_operator_space_where_it_is_one():
    import sympy

    from tutor.renderers.assessment.html import mathml

    z = sympy.Symbol("z", real=True)
    cases = (-2 * z, 1 / (1 + sympy.exp(-2 * z)), -sympy.tanh(3 * z - 1), z - 1,
             sympy.Derivative(sympy.Integer(-2), z), sympy.Derivative(sympy.Rational(-1, 2), z),
             sympy.Eq(z, -3, evaluate=False), sympy.Float(-0.5) * z ** 2 - 3 * z)
    for expr in cases:
        root = ET.fromstring(f'<math xmlns="http://www.w3.org/1998/Math/MathML">'
                             f"{mathml(expr)}</math>")
        found = _minus_signs(root)
        assert found and all(sign == set_as_sign for sign, set_as_sign in found), (expr, found)
    # d/dz (−2): the negative constant in parentheses
    root = ET.fromstring(f'<math xmlns="http://www.w3.org/1998/Math/MathML">'
                         f"{mathml(sympy.Derivative(sympy.Integer(-2), z))}</math>")
    texts = [e.text for e in root.iter() if e.text and e.text.strip()]
    assert texts == ["d", "d", "z", "(", "−", "2", ")"]


def test_every_minus_of_every_lessons_html_sheet_is_set_as_what_it_is(tmp_path):
    out = tmp_path / "sheets"
    r = CliRunner().invoke(main, ["worksheet", *ALL, "-n", "30", "--seed", "3", "--format",
                                  "html", "--out", str(out)])
    assert r.exit_code == 0, r.output
    for path in (out / "variant-01.html", out / "answers" / "variant-01.html"):
        root = ET.fromstring(path.read_text("utf-8").split("\n", 1)[1])
        found = _minus_signs(root)
        assert sum(sign for sign, _ in found) > 5 and sum(not sign for sign, _ in found) > 5
        assert all(sign == set_as_sign for sign, set_as_sign in found)


def test_exponents_are_superscripts_in_the_pdf(tmp_path):
    import shutil
    import subprocess

    from tutor.renderers.assessment.pdf import _scripts

    assert _scripts("1/(1 + e^(−2z − 2))") == (("1/(1 + e", False), ("−2z − 2", True),
                                               (")", False))
    assert _scripts("x^2 + e^z₁") == (("x", False), ("2", True), (" + e", False), ("z₁", True))
    assert _scripts("no exponent") == (("no exponent", False),)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler) is not installed")
    out = tmp_path / "sheets"
    r = CliRunner().invoke(main, ["worksheet", "sigmoid", "softmax", "--seed", "0",
                                      "--format", "pdf", "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = subprocess.run(["pdftotext", str(out / "variant-01.pdf"), "-"],
                          capture_output=True, text=True).stdout
    assert "1/(1 + e" in text and "^" not in text


def test_a_teacher_sets_the_title_the_header_lines_and_room_to_work(tmp_path):
    out = tmp_path / "week3"
    r = CliRunner().invoke(main, ["worksheet", "sigmoid", "tanh", "-n", "2", "--title",
                                  "Week 3", "--field", "Course", "--field", "Date=12 May",
                                  "--space", "5", "--format", "md", "--format", "html",
                                  "--format", "tex", "--out", str(out)])
    assert r.exit_code == 0, r.output
    md = (out / "variant-01.md").read_text()
    assert md.startswith("# Week 3\n") and "Course: ______________" in md
    assert "Date: 12 May" in md and md.count("&nbsp;") == 2 * 5  # 5 lines after each of 2
    html_text = (out / "variant-01.html").read_text()
    assert html_text.count('class="room" style="height: 7.5em"') == 2
    tex = (out / "variant-01.tex").read_text()
    assert tex.count(r"\vspace*{5\baselineskip}") == 2
    # the answer key keeps its own title and no blanks
    key_md = (out / "answers" / "variant-01.md").read_text()
    assert key_md.startswith("# Week 3 — answer key") and "Course:" not in key_md
    bad = CliRunner().invoke(main, ["worksheet", "sigmoid", "--field", "=x", "--out",
                                    str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--field '=x': write a label" in bad.output


def _problem_heights(pdf: bytes) -> dict[int, tuple[int, int, float]]:
    """Each problem of a PDF sheet as the PDF has it: number → (page of its heading, page of
    its answer line, height in points from the top of its heading to its answer line), read
    from where the text is drawn (a heading is the bold 12.5 pt "n. …")."""
    import io

    pypdf = pytest.importorskip("pypdf")
    lines: dict = {}  # (page, baseline) → [(x, size, text)]: the runs of one printed line
    for n, page in enumerate(pypdf.PdfReader(io.BytesIO(pdf)).pages):
        page.extract_text(visitor_text=lambda text, cm, tm, font, size, n=n: lines.setdefault(
            (n, round(tm[5], 2)), []).append((tm[4], size, text)) if text.strip() else None)
    from tutor.i18n import _

    label = _("Answer {label}").split("{", 1)[0]
    heads, answers = {}, {}
    for (page, y), runs in lines.items():
        runs.sort()
        text, size = "".join(t for _x, _s, t in runs), runs[0][1]
        number = text.split(".", 1)[0]
        if abs(size - 12.5) < 0.01 and number.isdigit():
            heads[int(number)] = (page, y + size)
        elif text.startswith(label) and text[len(label):].rstrip(": ").isdigit():
            answers[int(text[len(label):].rstrip(": "))] = (page, y)
    assert heads and heads.keys() == answers.keys()
    return {k: (heads[k][0], answers[k][0], heads[k][1] - answers[k][1]) for k in heads}


def _sheets_fit(seeds):
    """Every lesson's sheet with every kind it offers, twice, for each seed: each problem on
    one page and no taller than half the page's text area."""
    from tutor.renderers.assessment import pdf
    from tutor.assessment.worksheet import kinds_for
    from tutor.explaining.lesson import load_lesson

    half = (pdf.PAGE_H - pdf.MARGIN_TOP - pdf.MARGIN_BOTTOM) / 2
    tallest = {}
    for name in ALL:
        kinds = kinds_for(load_lesson(name))
        for seed in seeds:
            sheet = make_worksheets([name], problems=2 * len(kinds), seed=seed).sheets[0]
            for number, (first, last, height) in _problem_heights(pdf.sheet_pdf(sheet)).items():
                kind = sheet.problems[number - 1].kind
                assert first == last, (name, seed, number, kind)
                tallest[name, kind] = max(tallest.get((name, kind), 0), height)
    too_tall = {k: round(h) for k, h in tallest.items() if h > half}
    assert not too_tall, (half, too_tall)
    assert len(tallest) >= 3 * len(ALL)  # every kind of every lesson was measured


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_problem_fits_half_a_page_of_the_pdf(lang):
    from tutor.i18n import speaking

    with speaking(lang):  # Chinese when a CJK font is installed, else the English PDF
        _sheets_fit(range(1))


@pytest.mark.slow
def test_every_problem_fits_half_a_page_of_the_pdf_for_20_seeds():
    _sheets_fit(range(1, 21))


def test_mathml_brackets_hug_one_line_groups_and_stretch_around_fractions():
    """tanh(2z − 2), not tanh ( 2z − 2 ): a stretchy bracket is drawn from the math font's
    variants with room inside, so only brackets around a fraction stretch."""
    import sympy

    from tutor.renderers.assessment.html import mathml

    z = sympy.Symbol("z", real=True)
    for expr, stretchy in ((sympy.tanh(2 * z - 2), "false"), (2 * (1 - sympy.exp(z)) * z, "false"),
                           (sympy.Derivative(1 / (1 + sympy.exp(-z)), z), None)):
        root = ET.fromstring(f'<math xmlns="http://www.w3.org/1998/Math/MathML">'
                             f"{mathml(expr)}</math>")
        brackets = [e for e in root.iter(f"{_M}mo") if e.text in ("(", ")")]
        assert brackets and all(e.get("stretchy") == stretchy for e in brackets), expr

"""The tutor reads back what it prints: every derivative and every step of every lesson, in
the terminal's notation (σ(z)·(1 − σ(z)), x₁, ŷ, [z > 0]) and in its LaTeX (\\tanh^{2},
\\hat{y}, \\left[z > 0\\right]), parses to an equal expression, so a learner may paste it
back as an answer."""

import pytest
import sympy

from tutor.calculus.derivation import expand_named
from tutor.calculus.functions import elementary
from tutor.calculus.parser import parse_expression
from tutor.calculus.verify import same_value
from tutor.explaining.explanation import explain
from tutor.explaining.lesson import lesson_names, load_lesson
from tutor.renderers.notation import latex, text


def _forms(lesson):
    exp = explain(lesson)
    for item in exp.items:
        yield item.derivation.result
        yield item.elementary
        for _depth, step in item.derivation.steps():
            yield step.after


@pytest.mark.slow
@pytest.mark.parametrize("name", lesson_names())
def test_every_printed_form_reads_back_equal(name):
    lesson = load_lesson(name)
    symbols = dict(lesson.symbols) | {n.symbol.name: n.symbol for n in lesson.named}
    names = {n.symbol: n.latex for n in lesson.named if n.latex}
    checked = 0
    for form in _forms(lesson):
        if form.has(sympy.Derivative):
            continue
        truth = elementary(expand_named(form, lesson.named))
        # a step's own placeholders (the chain rule's u₁) are names the reader knows too
        known = symbols | {s.name: s for s in form.free_symbols}
        for shown in (text(form), latex(form, names)):
            back = elementary(expand_named(parse_expression(shown, symbols=known), lesson.named))
            assert same_value(back, truth), (shown, back, truth)
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("typed,expected", [
    (r"1 - \tanh^{2}{\left(z \right)}", "1 - tanh(z)**2"),
    (r"\cosh^2(z)", "cosh(z)**2"),
    (r"\tanh^2\left(\frac{z}{2}\right)", "tanh(z/2)**2"),
    ("x₁ + 2x₂", "x1 + 2*x2"),
    ("ŷ − y", "yhat - y"),
    ("y\u0302 − y", "yhat - y"),
    (r"\hat{y} - y", "yhat - y"),
    ("[z > 0]·w", "heaviside(z)*w"),
])
def test_the_tutors_own_notation_is_accepted(typed, expected):
    z, w, y, yhat, x1, x2 = sympy.symbols("z w y yhat x1 x2", real=True)
    symbols = {s.name: s for s in (z, w, y, yhat, x1, x2)}
    assert same_value(parse_expression(typed, symbols=symbols),
                      parse_expression(expected, symbols=symbols))


def test_iverson_brackets_take_the_value_at_zero_that_they_say():
    z = sympy.Symbol("z", real=True)
    gt = parse_expression("[z > 0]", symbols={"z": z})
    ge = parse_expression("[z ≥ 0]", symbols={"z": z})
    lt = parse_expression("[z < 1]", symbols={"z": z})
    assert (gt.subs(z, 0), ge.subs(z, 0), gt.subs(z, 2), ge.subs(z, -1)) == (0, 1, 1, 0)
    assert (lt.subs(z, 0), lt.subs(z, 1), lt.subs(z, 3)) == (1, 0, 0)


def test_absolute_values_print_as_lvert_and_read_back():
    import sympy

    from tutor.calculus.parser import parse_expression
    from tutor.renderers.notation import latex

    z, x = sympy.symbols("z x", real=True)
    for expr in (sympy.Abs(z), sympy.Abs(z) ** 3 * 3, sympy.Abs(x - sympy.Abs(z)) + 1):
        printed = latex(expr)
        assert r"\lvert" in printed and "|" not in printed
        assert sympy.simplify(parse_expression(printed, symbols={"z": z, "x": x}) - expr) == 0


def test_a_negative_constant_is_differentiated_in_parentheses():
    from click.testing import CliRunner

    from tutor.cli import main

    out = CliRunner().invoke(main, ["explain", "--expr", "3*x - 8", "--wrt", "x",
                                    "--all-steps", "--lang", "en"]).output
    assert "d/dx (−8) = 0" in out and "d/dx −8" not in out


def test_step_numbers_are_the_same_line_in_text_markdown_and_latex():
    import re

    from click.testing import CliRunner

    from tutor.cli import main
    from tutor.explaining.lesson import lesson_names

    for name in lesson_names():
        if name == "mlp":
            continue  # long: the numbering rule is the same for every lesson
        out = {fmt: CliRunner().invoke(main, ["explain", name, "--format", fmt, "--lang",
                                              "en"]).output
               for fmt in ("text", "markdown", "latex")}
        # every numbered step, in order (the numbers restart with each derivative)
        text = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+(?:d/d|= )", out["text"],
                                                     re.M)]
        md = [int(m.group(1)) for m in re.finditer(r"^(\d+)\. ", out["markdown"], re.M)]
        tex = [int(m.group(1)) for m in re.finditer(r"\\text\{(\d+)\.\}", out["latex"])]
        # Markdown and LaTeX number alike; the terminal may show fewer derivatives (the others
        # follow the same way), each numbered as in the others
        assert md and md == tex, (name, md, tex)
        assert text and text == md[:len(text)], (name, text, md)
        # and the same step under each number: its rule, as the terminal and Markdown name it
        # and as LaTeX does where it names it in words
        text_rules = re.findall(r"^\s*\d+\s+(?:d/d|= ).*?\s{2,}(\S.*?)\s*$", out["text"], re.M)
        md_rules = re.findall(r"^\d+\. .* — \*(.+?)\*", out["markdown"], re.M)
        tex_rules = re.findall(r"\\text\{\d+\.\}.*?&& (.*?)(?:\\\\ |\\end\{aligned\})",
                               out["latex"])
        assert len(md_rules) == len(md) and len(tex_rules) == len(tex), name
        first = md.index(1, 1) if md.count(1) > 1 else len(md)  # the first derivative's steps
        assert text_rules[:first] == md_rules[:first], (name, text_rules, md_rules)
        for md_rule, tex_rule in zip(md_rules, tex_rules):
            if tex_rule.startswith(r"\text{"):
                assert tex_rule == rf"\text{{{md_rule}}}", (name, md_rule, tex_rule)


def test_a_variable_named_after_a_greek_letter_is_written_as_the_letter_and_read_back():
    from tutor.calculus.parser import parse_function
    from tutor.renderers.notation import text

    for name, letter in (("kappa", "κ"), ("theta", "θ"), ("mu", "μ"), ("epsilon", "ε")):
        f = parse_function(f"{name}*y^2 + x")
        shown = text(f)
        assert letter in shown and name not in shown, shown
        assert parse_function(shown) == f
    # σ stays the sigmoid's and π the number's: a variable 'sigma' keeps its name
    assert "sigma" in text(parse_function("sigma*x"))

"""Fuzzing: expressions built from the tutor's own grammar, and mutations of every expression
the tutor ships, through the parser, the derivation and the command line.

Each input must be decided: a value, a verdict or one clear line (exit code 2), never a
traceback, never anything written outside the output path.  The generators are seeded, so a
failure names its input and reproduces."""

from __future__ import annotations

import random
import re
import warnings
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from tutor.calculus.derivation import derive
from tutor.calculus.parser import parse_expression, parse_function
from tutor.calculus.tokens import KNOWN_FUNCTIONS
from tutor.cli import main
from tutor.errors import TutorError

ROOT = Path(__file__).resolve().parents[1]

ONE_ARGUMENT = sorted(f for f in KNOWN_FUNCTIONS if f not in ("max", "min"))
NUMBERS = ["0", "1", "2", "0.5", "3.812", "1e300", "1e-300", "10^-21", "0.000000000000000000001",
           "999", "1.000001", "pi", "e", "-1", "4.34", "2^64", "1e308"]
VARIABLES = ["x", "y", "z", "w"]
POWERS = ["2", "3", "-1", "0.5", "12", "99", "1000", "(1/3)", "x", "-0.5", "1.140379"]


def grammar(rng: random.Random, depth: int) -> str:
    """A random expression of the tutor's grammar: functions, operators, powers of sums,
    max/min ties, tiny and huge numbers, LaTeX and Unicode forms."""
    if depth <= 0 or rng.random() < 0.2:
        return rng.choice(VARIABLES + VARIABLES + NUMBERS)
    a = grammar(rng, depth - 1)
    k = rng.randrange(12)
    if k == 0:
        return f"{rng.choice(ONE_ARGUMENT)}({a})"
    if k == 1:
        return f"({a}) {rng.choice('+-*/')} ({grammar(rng, depth - 1)})"
    if k == 2:
        return f"({a})^{rng.choice(POWERS)}"
    if k == 3:
        return f"{rng.choice(['max', 'min'])}({a}, {grammar(rng, depth - 1)})"
    if k == 4:
        return f"{a} + {grammar(rng, depth - 1)}"
    if k == 5:
        return f"{a}*{grammar(rng, depth - 1)}"
    if k == 6:  # a power of a sum: huge once multiplied out
        terms = "+".join(rng.choice(VARIABLES) for _ in range(rng.randrange(2, 6)))
        return f"({terms})^{rng.choice(['5', '30', '300', '1000'])}"
    if k == 7:
        return f"{rng.choice(ONE_ARGUMENT)}({a})^{rng.choice(['2', '3'])}"
    if k == 8:
        return rf"\frac{{{a}}}{{{grammar(rng, depth - 1)}}}"
    if k == 9:
        return rf"\sqrt{{{a}}}" if rng.random() < 0.5 else rf"\tanh^{{2}}\left({a}\right)"
    if k == 10:
        return f"σ({a})·{grammar(rng, depth - 1)}²"
    return f"{a}/({grammar(rng, depth - 1)})"


def shipped_expressions() -> list[str]:
    """Every expression string in the shipped lessons and every --expr of the README."""
    found = set()
    for lesson in sorted((ROOT / "lessons").glob("*.toml")):
        found.update(re.findall(r'(?:expression|entry)\s*=\s*"([^"]+)"', lesson.read_text()))
    found.update(re.findall(r'--expr "([^"]+)"', (ROOT / "README.md").read_text()))
    return sorted(found)


MUTATION_ALPHABET = list("xyzw0123456789+-*/^().,_ eσ\\{}[]=·²−") + ["exp(", "sum_i(", "**",
                                                                        r"\left(", "9^9^9"]


def mutate(rng: random.Random, text: str) -> str:
    """One to three random edits: delete, insert, duplicate or swap a piece."""
    for _ in range(rng.randrange(1, 4)):
        if not text:
            text = rng.choice(MUTATION_ALPHABET)
            continue
        i = rng.randrange(len(text))
        j = min(len(text), i + rng.randrange(1, 6))
        k = rng.randrange(4)
        if k == 0:
            text = text[:i] + text[j:]
        elif k == 1:
            text = text[:i] + rng.choice(MUTATION_ALPHABET) + text[i:]
        elif k == 2:
            text = text[:i] + text[i:j] * rng.randrange(2, 5) + text[i:]
        else:
            text = text[:i] + text[j:] + text[i:j]
    return text


def _decided(text: str) -> None:
    """Parse ``text``: an expression or an ExpressionError, nothing else."""
    try:
        parse_expression(text)
    except TutorError as exc:
        assert str(exc).strip()


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(10))
def test_grammar_and_mutations_through_the_parser(chunk):
    # 10 chunks × (700 grammar + 500 mutated) = 12,000 strings
    rng = random.Random(1000 + chunk)
    shipped = shipped_expressions()
    for _ in range(700):
        _decided(grammar(rng, rng.randrange(1, 6)))
    for _ in range(500):
        _decided(mutate(rng, rng.choice(shipped)))


def test_the_shipped_expressions_are_found():
    # the mutation seeds: the lessons' expressions and the README's --expr examples
    shipped = shipped_expressions()
    assert len(shipped) >= 20 and "exp(z_i) / sum_j(exp(z_j))" in shipped


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(4))
def test_grammar_expressions_are_derived_or_refused(chunk):
    # 4 × 75 typed functions through the safe parser and the checked derivation (every step
    # verified by SymPy as it is made): a derivative or one clear refusal
    rng = random.Random(2000 + chunk)
    for _ in range(75):
        text = grammar(rng, rng.randrange(1, 5))
        try:
            f = parse_function(text)
            symbols = sorted(f.free_symbols, key=lambda s: s.name)
            if not symbols:
                continue
            d = derive(f, symbols[0], budget=10.0)
        except TutorError as exc:
            assert str(exc).strip()
            continue
        assert isinstance(d.result, sympy.Expr)


def _cli_call(rng: random.Random, out: Path) -> list[str]:
    text = grammar(rng, rng.randrange(1, 4))
    names = [v for v in VARIABLES if v in text] or ["x"]
    wrt = rng.choice(names)
    k = rng.randrange(7)
    if k == 0:
        return ["explain", "--expr", text, "--wrt", wrt]
    if k == 1:
        return ["explain", "--expr", text, "--wrt", wrt, "--at", f"{wrt}=0,1e300,-710",
                "--format", "json"]
    if k == 2:
        return ["check", "--expr", text, "--wrt", wrt, grammar(rng, 2)]
    if k == 3:
        return ["check", "sigmoid", mutate(rng, "exp(-z)/(1+exp(-z))^2")]
    if k == 4:
        return ["backprop", "--expr", text]
    if k == 5:
        return ["train", "--expr", f"({text} - y)^2", "--params", wrt, "--data", "y=1,2,3",
                *[a for v in names if v != wrt for a in ("--data", f"{v}=0.5,1,2")],
                "--epochs", "3", "--format", rng.choice(["text", "json"])]
    return ["explain", "--expr", text, "--wrt", wrt, "--plot", str(out / "plot.png"), "--force"]


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(10))
def test_fuzzed_command_lines_end_in_an_answer_or_one_line(chunk, tmp_path, monkeypatch):
    # 10 × 30 = 300 command lines; each runs in an empty folder and may write only its --plot
    rng = random.Random(3000 + chunk)
    work, out = tmp_path / "cwd", tmp_path / "out"
    work.mkdir()
    out.mkdir()
    monkeypatch.chdir(work)
    runner = CliRunner()
    for _ in range(30):
        args = _cli_call(rng, out)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = runner.invoke(main, args + ["--lang", "en"])
        where = f"tutor {' '.join(args)}"
        # NumPy's overflow and invalid-value warnings would print on the terminal
        leaked = [w for w in caught if issubclass(w.category, RuntimeWarning)]
        assert not leaked, f"{where}: {leaked[0].message} ({leaked[0].filename}:{leaked[0].lineno})"
        assert r.exception is None or isinstance(r.exception, SystemExit), \
            f"{where}: {r.exception!r}"
        assert r.exit_code in (0, 1, 2), where
        assert "Traceback" not in r.output, where
        if r.exit_code == 2:
            assert r.output.startswith("error: "), where
        assert not any(work.iterdir()), f"{where} wrote into the working folder"
        assert {p.name for p in out.iterdir()} <= {"plot.png"}, where

"""The quiz in the terminal: questions, responses and the score (layout only)."""

from __future__ import annotations

from typing import Callable

from rich.console import Console
from rich.text import Text

from ..quiz import MAX_TRIES, Quiz, Response
from .check_text import render_verdict
from .notation import RULE_NAMES, text
from .text import function_label, operand


def _question(quiz: Quiz, c: Console) -> None:
    q = quiz.current
    lesson = q.lesson
    c.print()
    c.print(Text(f"question {quiz.position + 1} of {len(quiz.questions)} — {lesson.title}",
                 style="bold"))
    label = function_label(lesson) if not lesson.is_vector else text(sympy_symbol(q.name))
    shown = text(q.shown_function)
    c.print(Text(f"  {label} = {shown}" if shown != label else f"  {label}"))
    used = [n for n in lesson.named
            if q.shown_function.has(n.symbol) or q.derivation.result.has(n.symbol)]
    if used:
        c.print(Text("  you may write " + ", ".join(
            f"{text(n.symbol)} for {text(n.definition)}" for n in used), style="dim"))
    for lhs, rhs in lesson.assumptions:
        c.print(Text(f"  assuming {text(lhs)} = {text(rhs)}", style="dim"))
    c.print(Text(f"  ∂{text(sympy_symbol(q.name))}/∂{text(q.wrt)} = ?", style="bold"))
    c.print(Text("  (h: a hint, s: show the answer, q: quit)", style="dim"))


def sympy_symbol(name: str):
    import sympy

    return sympy.Symbol(name)


def _step_line(r: Response) -> str:
    step = r.step
    if step.is_rewrite:
        statement = "= " + text(step.after)
    else:
        statement = f"d/d{text(step.wrt)} {operand(step.before)} = {text(step.after)}"
    return f"step {r.number} of {r.total}: {statement}   ({RULE_NAMES.get(step.rule, step.rule)})"


def _answer(r: Response) -> str:
    d = r.question.derivation
    return f"the answer: {text(d.result)}"


def show(r: Response, c: Console, quiz: Quiz) -> None:
    if r.kind == "empty":
        c.print(Text("  type your answer, or h for a hint", style="dim"))
    elif r.kind == "unreadable":
        c.print(Text(f"  can't read that: {r.message}", style="yellow"))
        for line in r.detail:
            c.print(Text(line, style="yellow"))
    elif r.kind == "hint":
        if r.step is None:
            c.print(Text(f"  no more hints: all {r.total} steps shown", style="dim"))
        else:
            c.print(Text("  hint " + "  " * r.depth + _step_line(r), style="cyan"))
    elif r.kind == "reveal":
        c.print(Text("  " + _answer(r), style="bold"))
    elif r.kind == "right":
        render_verdict(r.verdict, c, hint=False)
    elif r.kind == "wrong":
        render_verdict(r.verdict, c, hint=False)
        if r.advanced:
            c.print(Text(f"  {MAX_TRIES} tries: " + _answer(r), style="bold"))
        else:
            c.print(Text("  try again (h: a hint, s: show the answer)", style="dim"))


def run_quiz(quiz: Quiz, read_line: Callable[[], str | None], console: Console | None = None,
             *, echo: bool = False) -> None:
    """Ask until the questions run out, ``q`` is typed or the input ends (None)."""
    c = console or Console(highlight=False)
    shown = -1
    while quiz.current is not None:
        if shown != quiz.position:
            _question(quiz, c)
            shown = quiz.position
        line = read_line()
        if line is None:
            break
        if echo:
            c.print(Text(f"> {line.rstrip()}", style="dim"))
        r = quiz.respond(line)
        show(r, c, quiz)
        if r.kind == "quit":
            break
    s = quiz.score
    c.print()
    if s.asked == 0:
        c.print(Text("score: no questions tried", style="bold"))
        return
    c.print(Text(f"score: {s.right} of {s.asked} right"
                 + (f" ({s.first_try} at the first try without a hint)" if s.right else "")
                 + f", {s.hints} hint{'s' if s.hints != 1 else ''} used", style="bold"))

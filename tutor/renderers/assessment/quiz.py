"""The quiz in the terminal: questions, responses and the score (layout only)."""

from __future__ import annotations

from typing import Callable

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tutor.renderers.console import console as new_console
from tutor.i18n import N_, _
from tutor.assessment.quiz import MAX_TRIES, Quiz, Response
from tutor.renderers.checking.text import render_verdict
from tutor.renderers.notation import RULE_NAMES, text
from tutor.renderers.notation import function_label, operand
from tutor.renderers.prose import fit, whole


def _question(quiz: Quiz, c: Console) -> None:
    q = quiz.current
    lesson = q.lesson
    c.print()
    c.print(Text(_("question {number} of {total} — {title}").format(
        number=quiz.position + 1, total=len(quiz.questions), title=lesson.title), style="bold"))
    label = function_label(lesson) if not lesson.is_vector else text(sympy_symbol(q.name))
    shown = text(q.shown_function)
    c.print(Text(f"  {label} = {shown}" if shown != label else f"  {label}"))
    used = [n for n in lesson.named
            if q.shown_function.has(n.symbol) or q.derivation.result.has(n.symbol)]
    if used:
        c.print(Text("  " + _("you may write {names}").format(names=", ".join(
            _("{symbol} for {definition}").format(symbol=text(n.symbol),
                                                  definition=text(n.definition))
            for n in used)), style="dim"))
    for lhs, rhs in lesson.assumptions:
        c.print(Text("  " + _("assuming {equation}").format(equation=f"{text(lhs)} = {text(rhs)}"),
                     style="dim"))
    c.print(Text(f"  ∂{text(sympy_symbol(q.name))}/∂{text(q.wrt)} = ?", style="bold"))
    c.print(Text("  " + _("(h: a hint, s: show the answer, q: quit)"), style="dim"))


def sympy_symbol(name: str):
    import sympy

    return sympy.Symbol(name)


def _hint_line(r: Response) -> str:
    step = r.hint.step
    rule = _(RULE_NAMES.get(step.rule, step.rule))
    if r.hint.shows_result:
        statement = whole(f"d/d{text(step.wrt)} {operand(step.before)} = {text(step.after)}")
        return _("step {number} of {total}: {statement}   ({rule})").format(
            number=r.number, total=r.total, statement=statement, rule=rule)
    if step.is_rewrite:
        return _("step {number} of {total}: last, rewrite the result ({rule})").format(
            number=r.number, total=r.total, rule=rule)
    line = _("step {number} of {total}: {derivative} — use the {rule}").format(
        number=r.number, total=r.total, rule=rule,
        derivative=whole(f"d/d{text(step.wrt)} {operand(step.before)}"))
    if step.bindings:
        line += _(", with {names}").format(names=", ".join(
            whole(f"{text(name)} = {text(value)}") for name, value in step.bindings))
    return line


def _answer(r: Response) -> str:
    d = r.question.derivation
    return _("the answer: {answer}").format(answer=text(d.result))


def show(r: Response, c: Console, quiz: Quiz) -> None:
    if r.kind == "empty":
        c.print(Text("  " + _("type your answer, or h for a hint"), style="dim"))
    elif r.kind == "unreadable":
        c.print(Text("  " + _("can't read that: {message}").format(message=r.message),
                     style="yellow"))
        for line in r.detail:
            c.print(Text(line, style="yellow"))
    elif r.kind == "hint":
        if r.hint is None:
            c.print(Text("  " + _("no more hints: all {total} given; s shows the answer").format(total=r.total),
                         style="dim"))
        else:
            lead = "  " + _("hint") + " " + "  " * r.hint.depth
            c.print(Text(fit(lead + _hint_line(r), c.width, " " * (cell_len(lead) + 2)), style="cyan"),
                    soft_wrap=True)
    elif r.kind == "reveal":
        c.print(Text("  " + _answer(r), style="bold"))
    elif r.kind == "right":
        render_verdict(r.verdict, c, hint=False)
    elif r.kind == "wrong":
        render_verdict(r.verdict, c, hint=False)
        if r.advanced:
            c.print(Text("  " + _("{tries} tries: {answer}").format(tries=MAX_TRIES,
                                                                     answer=_answer(r)),
                         style="bold"))
        else:
            c.print(Text("  " + _("try again (h: a hint, s: show the answer)"), style="dim"))


def run_quiz(quiz: Quiz, read_line: Callable[[], str | None], console: Console | None = None,
             *, echo: bool = False) -> None:
    """Ask until the questions run out, ``q`` is typed or the input ends (None)."""
    c = console or new_console()
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
        c.print(Text(_("score: no questions tried"), style="bold"))
        return
    c.print(Text(_(SCORE_LINES[bool(s.right), s.hints == 1]).format(
        right=s.right, asked=s.asked, first=s.first_try, hints=s.hints), style="bold"))


#: the score line: (any right?, exactly one hint?) → template
SCORE_LINES = {
    (True, False): N_("score: {right} of {asked} right ({first} at the first try without a "
                      "hint), {hints} hints used"),
    (True, True): N_("score: {right} of {asked} right ({first} at the first try without a "
                     "hint), {hints} hint used"),
    (False, False): N_("score: {right} of {asked} right, {hints} hints used"),
    (False, True): N_("score: {right} of {asked} right, {hints} hint used"),
}

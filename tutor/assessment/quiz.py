"""Practice in the terminal: ask for a derivative, check each typed answer, hint on request.

The quiz is a small state machine with no input or output of its own: :meth:`Quiz.respond`
takes one line the learner typed and returns a :class:`Response`; the command line reads the
lines (from a terminal or a pipe) and a renderer shows the responses.

Lines that are not answers: ``h`` (or ``hint``, ``?``) shows one more hint, ``s`` (``skip``) shows the answer and moves on, ``q`` (``quit``) stops.  After
:data:`MAX_TRIES` wrong answers the answer is shown and the quiz moves on.  The same words work
in every language; Chinese ones are understood too (提示, 跳过, 退出 …).

Hints teach rather than tell: the first names the rule to use on the whole function (and the
inner function it introduces), then each sub-derivative is first planned (its rule) and shown
only once its own parts were, one sub-step at a time.  No hint states the final derivative:
that needs ``s``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy

from tutor.checking.check import Verdict, check_answer, example_points
from tutor.calculus.derivation import derive
from tutor.errors import TutorError
from tutor.i18n import _
from tutor.explaining.lesson import Lesson
from tutor.calculus.steps import Derivation, Step

MAX_TRIES = 3
HIDDEN = {"constant", "variable"}
QUIT = {"q", "quit", "exit", "退出", "结束"}
HINT = {"h", "hint", "?", "？", "提示"}
SKIP = {"s", "skip", "show", "跳过", "答案", "看答案"}


@dataclass
class Question:
    lesson: Lesson
    output: int
    wrt: sympy.Symbol
    _derivation: Derivation | None = None

    @property
    def function(self) -> sympy.Expr:
        return self.lesson.outputs[self.output]

    @property
    def name(self) -> str:
        return self.lesson.output_names[self.output]

    @property
    def derivation(self) -> Derivation:
        if self._derivation is None:
            self._derivation = derive(self.function, self.wrt, named=self.lesson.named,
                                      assumptions=self.lesson.assumptions, name=self.name)
        return self._derivation

    @property
    def shown_function(self) -> sympy.Expr:
        """The function written with the lesson's named parts (a, s₁ …), longest first."""
        expr = self.function
        for n in sorted(self.lesson.named, key=lambda n: -sympy.count_ops(n.definition)):
            if n.definition != self.function:  # σ(z) = σ(z) would say nothing
                expr = expr.subs(n.definition, n.symbol)
        return expr

    def hints(self) -> list["Hint"]:
        """The hints in the order they are given (see the module's docstring)."""
        out: list[Hint] = []

        def visit(step: Step, depth: int, root: bool) -> None:
            parts = [sub for sub in step.substeps if sub.rule not in HIDDEN]
            if root or parts:
                out.append(Hint(step, depth, shows_result=False))
            for sub in parts:
                visit(sub, depth + 1, False)
            if not root:
                out.append(Hint(step, depth, shows_result=True))

        visit(self.derivation.tree, 0, True)
        out += [Hint(r, 0, shows_result=False) for r in self.derivation.rewrites]
        return out


@dataclass(frozen=True)
class Hint:
    """One hint: a step of the derivation, either planned (its rule and the names it
    introduces, not its result) or shown whole (``d/dx … = …``)."""

    step: Step
    depth: int
    shows_result: bool


def questions_for(lessons: list[Lesson], *, count: int | None = None,
                  seed: int | None = None) -> list[Question]:
    """For one lesson, each of its derivatives (for a vector function, a diagonal and an
    off-diagonal entry); for several, one derivative of each, in a shuffled order."""
    out: list[Question] = []
    for lesson in lessons:
        if lesson.is_vector:
            picks = [(0, lesson.wrt[0])] + ([(0, lesson.wrt[1])] if len(lesson.wrt) > 1 else [])
        else:
            picks = [(0, w) for w in lesson.wrt]
        if len(lessons) > 1:
            picks = picks[:1]
        out += [Question(lesson, o, w) for o, w in picks]
    if seed is not None or len(lessons) > 1:
        random.Random(seed).shuffle(out)
    if count is not None:
        out = out[:count]
    return out


@dataclass
class Response:
    """What the quiz says back to one line.

    kind: "right", "wrong", "unreadable" (not a formula: ``message``), "hint" (``hint``,
    ``number`` of ``total``, or none left), "reveal" (the answer, after ``s`` or too many
    tries), "empty", "quit"."""

    kind: str
    question: Question
    verdict: Verdict | None = None
    message: str = ""
    detail: list[str] = field(default_factory=list)
    hint: Hint | None = None
    number: int = 0
    total: int = 0
    #: the quiz moved on to the next question (or ended) after this response
    advanced: bool = False


@dataclass
class Score:
    asked: int = 0
    right: int = 0
    first_try: int = 0
    hints: int = 0
    revealed: int = 0


class Quiz:
    def __init__(self, questions: list[Question]):
        if not questions:
            raise TutorError(_("no questions to ask"))
        self.questions = questions
        self.position = 0
        self.tries = 0
        self.hints_shown = 0
        self.score = Score()
        self.finished = False
        self._asked_current = False

    @property
    def current(self) -> Question | None:
        if self.finished or self.position >= len(self.questions):
            return None
        return self.questions[self.position]

    def _attempted(self) -> None:
        """Count the current question as asked once the learner did something with it."""
        if not self._asked_current:
            self._asked_current = True
            self.score.asked += 1

    def _advance(self) -> None:
        self.position += 1
        self.tries = 0
        self.hints_shown = 0
        self._asked_current = False
        if self.position >= len(self.questions):
            self.finished = True

    def respond(self, line: str) -> Response:
        q = self.current
        if q is None:
            raise TutorError(_("the quiz is over"))
        text = line.strip()
        word = text.lower()
        if not text:
            return Response("empty", q)
        if word in QUIT:
            self.finished = True  # a question shown but not tried does not count
            return Response("quit", q, advanced=True)
        self._attempted()
        if word in HINT:
            hints = q.hints()
            if self.hints_shown >= len(hints):
                return Response("hint", q, total=len(hints))
            hint = hints[self.hints_shown]
            self.hints_shown += 1
            self.score.hints += 1
            return Response("hint", q, hint=hint, number=self.hints_shown, total=len(hints))
        if word in SKIP:
            self.score.revealed += 1
            self._advance()
            return Response("reveal", q, advanced=True)
        try:
            verdict = check_answer(q.function, q.wrt, text, named=q.lesson.named,
                                   assumptions=q.lesson.assumptions, symbols=q.lesson.symbols,
                                   derivation=q.derivation, name=q.name,
                                   prefer=example_points(q.lesson.example))
        except TutorError as exc:
            return Response("unreadable", q, message=str(exc), detail=exc.detail_lines())
        self.tries += 1
        if verdict.correct:
            self.score.right += 1
            if self.tries == 1 and self.hints_shown == 0:
                self.score.first_try += 1
            self._advance()
            return Response("right", q, verdict, advanced=True)
        if self.tries >= MAX_TRIES:
            self.score.revealed += 1
            self._advance()
            return Response("wrong", q, verdict, advanced=True)
        return Response("wrong", q, verdict)

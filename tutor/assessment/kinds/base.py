"""What a kind of problem supplies: its names, which lessons offer it, how it makes a problem,
how the problem is stated and answered on the sheet, its entry in the machine key, and how a
student's answer to it is graded."""

from __future__ import annotations

import random

from tutor.assessment.problems import Problem
from tutor.explaining.lesson import Lesson


class Kind:
    """One kind of worksheet problem; a module of :mod:`tutor.assessment.kinds` defines one."""

    #: the name in key files, in ``--kind`` and in JSON (never translated)
    name: str = ""
    #: the title over a problem on the sheet, e.g. "Spot the mistake" (marked N_)
    title: str = ""
    #: the short name in the grader's table, e.g. "mistake" (marked N_)
    short: str = ""
    #: what the student answers: "expression", "numbers" or "step"
    answer: str = "expression"
    #: the lessons it draws on: "scalar" (lessons/*.toml) or "matrix" (lessons/matrix/)
    family: str = "scalar"

    def offered_by(self, lesson: Lesson) -> bool:
        """Can this lesson give a problem of this kind?"""
        return True

    def make(self, lesson: Lesson, rng: random.Random, number: int) -> Problem:
        raise NotImplementedError

    def statement(self, problem: Problem, key: bool) -> list:
        """The problem as the sheet states it (blocks of :mod:`tutor.assessment.document`);
        ``key``: as the answer key shows it (a table's answers filled in)."""
        raise NotImplementedError

    def solution(self, problem: Problem) -> list:
        """The answer and its working, as the answer key shows them."""
        raise NotImplementedError

    def key_entry(self, problem: Problem) -> dict:
        """The problem's fields in the machine key, beyond those every problem has."""
        from tutor.assessment.key import answer_entry

        return answer_entry(problem)

    def grade(self, problem, text: str) -> tuple[float, str]:
        """A student's answer to a problem of the key: the score (0 … 1) and why."""
        from tutor.assessment import marking

        return marking.by_answer(problem, text)

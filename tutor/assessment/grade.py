"""Grading students' answers against a worksheet's machine key.

An answers file is plain text, one answer per problem::

    # lines starting with # are comments; blank lines are ignored
    variant: s7-v03          which sheet the student had (needed when the key has several)
    name: Ada Lovelace       optional; otherwise the file's name is the student's name
    1: sigmoid(2*z + 1)*(1 - sigmoid(2*z + 1))*2
    2: -0.053
    3: 0.978, 1.015          several numbers: separated by commas, in the order asked
    4: 7                     the number of the wrong step

Lines may also leave out the number (``-0.053``); they then answer the problems in turn.
A derivative is judged by the same checker as ``tutor check`` (:func:`tutor.checking.check.check_answer`):
any equal form is right, and a wrong one gets its diagnosis (a sign, a factor, a forgotten
inner derivative …).  Numbers are right within the key's tolerance.  Nothing in a student's
file stops the grading: a missing, unreadable or nonsensical answer is marked wrong with the
reason.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from tutor.errors import TutorError
from tutor.i18n import _
from tutor.assessment import marking
from tutor.assessment.key import KeyProblem, VariantKey
from tutor.assessment.kinds import KINDS
from tutor.assessment.worksheet import punctuation

#: an answers file larger than this is not read
MAX_ANSWERS_BYTES = 1_000_000
#: the most answer files in one class folder
MAX_FILES = 2000
#: how students number answers: "1:", "1.", "1)", "(1)", "Q1:", "q1 …", "Problem 1 -",
#: "Exercise 1.", "第1题：", "第 1 题 …" (a "." only before a space, so "1.5" is an answer, and
#: a bare "1 - x" is an answer too)
_NUMBERED = re.compile(
    r"\s*(?:"
    r"(?:q|question|problem|exercise|ex|no)\.?\s*\(?\s*(?P<a>\d{1,3})\s*\)?"
    r"(?:\s*[:)：、）]\s*|\.(?=\s|$)\s*|\s+-\s+|\s+|$)"
    r"|第\s*(?P<b>\d{1,3})\s*题\s*[:：、）)]?\s*"
    r"|[（(]\s*(?P<c>\d{1,3})\s*[)）]\s*[:：]?\s*"
    r"|(?P<d>\d{1,3})\s*(?:[:)：、）]|\.(?=\s|$))\s*"
    r")(?P<answer>.*)", re.IGNORECASE)
_HEADER = re.compile(r"\s*(variant|name|student)\s*:\s*(.*)", re.IGNORECASE)


class AnswersError(TutorError):
    """An answers file that cannot be graded at all (unreadable, or no variant to grade)."""


@dataclass
class Mark:
    number: int
    kind: str
    score: float
    answer: str
    reason: str = ""

    @property
    def status(self) -> str:
        if not self.answer.strip():
            return "missing"
        return "right" if self.score == 1 else "partly" if self.score > 0 else "wrong"


@dataclass
class Graded:
    student: str
    path: str
    variant: str
    marks: list[Mark] = field(default_factory=list)
    problem: str = ""  # why the whole file could not be graded

    @property
    def score(self) -> float:
        return round(sum(m.score for m in self.marks), 4)

    @property
    def out_of(self) -> int:
        return len(self.marks)


@dataclass
class Answers:
    student: str
    variant: str | None
    answers: dict[int, str]
    notes: dict[int, str]
    #: lines that name no problem in a file whose other answers are numbered: never guessed
    unassigned: list[str] = field(default_factory=list)


# -- reading an answers file ---------------------------------------------------------------
def read_answers(path: str | Path) -> Answers:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ANSWERS_BYTES:
            raise AnswersError(_("answers {path}: larger than 1 MB; not an answers file")
                               .format(path=path))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AnswersError(_("answers {path}: no such file").format(path=path)) from None
    except IsADirectoryError:
        raise AnswersError(_("answers {path}: is a folder").format(path=path)) from None
    except OSError as exc:
        raise AnswersError(_("answers {path}: cannot be read ({error})")
                           .format(path=path, error=exc.__class__.__name__)) from None
    if b"\x00" in raw:
        raise AnswersError(_("answers {path}: not a text file").format(path=path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnswersError(_("answers {path}: not UTF-8 text").format(path=path)) from None
    return parse_answers(text, default_name=path.stem)


def numbered(line: str) -> tuple[int, str] | None:
    """(problem number, answer) when ``line`` starts with a problem's number in any of the
    ways students write it, else None."""
    m = _NUMBERED.fullmatch(line)
    if not m:
        return None
    number = next(m.group(g) for g in "abcd" if m.group(g) is not None)
    return int(number), m.group("answer").strip()


def parse_answers(text: str, *, default_name: str = "student") -> Answers:
    """A student's answers: header lines (variant:, name:), then one answer per line, each
    numbered (any usual form) or, in a file with no numbers at all, in the order of the
    problems.  A line without a number among numbered ones, and a second answer to a problem,
    are kept as notes: never given to a problem they may not belong to."""
    student, variant = default_name, None
    lines = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        header = _HEADER.fullmatch(line)
        if header:
            what, value = header.group(1).lower(), header.group(2).strip()
            if what == "variant":
                variant = value
            elif value:
                student = value
            continue
        lines.append((line.strip(), numbered(line)))
    in_order = not any(n is not None for _, n in lines)
    answers: dict[int, str] = {}
    notes: dict[int, str] = {}
    unassigned: list[str] = []
    for k, (line, found) in enumerate(lines, start=1):
        if found is None and not in_order:
            unassigned.append(line)
            continue
        number, answer = found if found is not None else (k, line)
        if number in answers:
            notes[number] = (_("answered twice (line “{line}”); the first answer is graded")
                             .format(line=answer[:40]))
        else:
            answers[number] = answer
    return Answers(student, variant, answers, notes, unassigned)


# -- grading -------------------------------------------------------------------------------
def pick_variant(keys: dict[str, VariantKey], answers: Answers, where: str) -> VariantKey:
    if answers.variant is None:
        if len(keys) == 1:
            return next(iter(keys.values()))
        raise AnswersError(_("{where}: say which variant the student had, with a line like "
                             "'variant: {id}'").format(where=where, id=next(iter(keys))))
    if answers.variant not in keys:
        # variant ids in any case: S7-V01 is s7-v01
        same = [k for k in keys if k.lower() == answers.variant.lower()]
        if len(same) == 1:
            return keys[same[0]]
        some = ", ".join(list(keys)[:3])
        raise AnswersError(_("{where}: variant {variant} is not in the key (it has {some})")
                           .format(where=where, variant=repr(answers.variant),
                                   some=some + (" …" if len(keys) > 3 else "")))
    return keys[answers.variant]


def grade(variant: VariantKey, answers: Answers, *, path: str = "") -> Graded:
    result = Graded(answers.student, path, variant.id)
    given = len(answers.answers)
    for problem in variant.problems:
        text = answers.answers.get(problem.number, "")
        if not text.strip():
            reason = (_("no answer") if given >= len(variant.problems)
                      else _("no answer (the file answers {given} of {n} problems)")
                      .format(given=given, n=len(variant.problems)))
            result.marks.append(Mark(problem.number, problem.kind, 0.0, "", reason))
            continue
        try:
            score, reason = _grade_one(problem, text)
        except TutorError as exc:
            score, reason = 0.0, _("cannot read this answer: {error}").format(error=exc)
        except (RecursionError, MemoryError, OverflowError, ValueError, TypeError, ArithmeticError):
            score, reason = 0.0, _("cannot read this answer as mathematics")
        note = answers.notes.get(problem.number)
        if note:
            reason = reason + punctuation("; ") + note if reason else note
        result.marks.append(Mark(problem.number, problem.kind, score, text, reason))
    extra = sorted(n for n in answers.answers if n not in {p.number for p in variant.problems})
    problems = []
    if extra:
        problems.append(_("answers to problems the sheet does not have: {numbers}")
                        .format(numbers=", ".join(map(str, extra))))
    if answers.unassigned:
        problems.append(_("lines with no problem number, not graded: {lines}").format(
            lines=", ".join(f"“{line[:40]}”" for line in answers.unassigned[:5])
            + (" …" if len(answers.unassigned) > 5 else "")))
    result.problem = punctuation("; ").join(problems)
    return result


# -- a class folder ------------------------------------------------------------------------
def answer_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".txt"
                   and not p.name.startswith("."))
    if not files:
        raise AnswersError(_("answers {path}: the folder holds no .txt answer files")
                           .format(path=folder))
    if len(files) > MAX_FILES:
        raise AnswersError(_("answers {path}: more than {n} answer files")
                           .format(path=folder, n=MAX_FILES))
    return files


def grade_path(keys: dict[str, VariantKey], path: Path, *, strict: bool) -> Graded:
    """Grade one file.  ``strict``: an ungradable file raises; otherwise it gets a row with
    the reason and no marks."""
    try:
        answers = read_answers(path)
        variant = pick_variant(keys, answers, _("answers {path}").format(path=path))
    except AnswersError as exc:
        if strict:
            raise
        return Graded(path.stem, str(path), "", [], str(exc))
    return grade(variant, answers, path=str(path))


def scores_csv(results: list[Graded]) -> str:
    problems = max((r.out_of for r in results), default=0)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", "file", "variant", "score", "out_of"]
                    + [f"p{k}" for k in range(1, problems + 1)] + ["notes"])
    for r in results:
        marks = {m.number: m for m in r.marks}
        notes = [r.problem] if r.problem else []
        notes += [f"{m.number}: {m.reason}" for m in r.marks if m.score < 1 and m.reason]
        writer.writerow([_cell(r.student), _cell(Path(r.path).name), _cell(r.variant),
                         _fmt(r.score), r.out_of]
                        + [_fmt(marks[k].score) if k in marks else "" for k in range(1, problems + 1)]
                        + [_cell(" | ".join(notes))])
    return buf.getvalue()


def _cell(text: str) -> str:
    """Text from a student's file as a CSV cell a spreadsheet shows as text: a cell starting
    with = + - @ (or a tab or carriage return) would be read as a formula, so it gets a '."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _fmt(x: float) -> str:
    return f"{x:g}"


def key_answers(variant: VariantKey, expressions: dict[int, str] | None = None) -> str:
    """An answers file with the key's own answers (for checking a key, and as an example)."""
    from tutor.assessment.key import expression_text

    lines = [f"variant: {variant.id}", "name: answer key"]
    for p in variant.problems:
        if p.answer == "expression":
            answer = (expressions or {}).get(p.number) or expression_text(p.expected)
        elif p.answer == "matrix":
            answer = (expressions or {}).get(p.number) or p.matrix.expected_text
        elif p.answer == "step":
            answer = str(p.step)
        else:
            answer = ", ".join(repr(n.value) for n in p.numbers)
        lines.append(f"{p.number}: {answer}")
    return "\n".join(lines) + "\n"


def _grade_one(problem: KeyProblem, text: str) -> tuple[float, str]:
    """A student's answer to one problem, graded by its kind (by its answer type for a kind
    this version does not know)."""
    kind = KINDS.get(problem.kind)
    return kind.grade(problem, text) if kind is not None else marking.by_answer(problem, text)

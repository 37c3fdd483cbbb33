"""Every shipped lesson file, mutated a line at a time (a key removed, a value of the wrong
kind), read as a teacher's lesson file: a lesson or one line naming the field, never a
traceback."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor.cli import main

LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("*.toml"))
WRONG_VALUES = ["5", '"x"', "[]", "true", "{}", '["?"]', "-3", '"z_q"']
#: every STRIDE-th mutant is run (a fixed share, the same every time): the whole set takes
#: minutes, a quarter of it under a minute (4 is prime to the 9 mutants of a line, so
#: every kind of mutation is tried on some line)
STRIDE = 4
_ASSIGNMENT = re.compile(r"^([A-Za-z_][\w.]*)\s*=\s*(.+)$")


def mutants(text: str):
    """(what, mutated text) for each line that assigns a value: removed, or given each wrong
    value (only the first line of a multi-line value is replaced, the rest removed)."""
    lines = text.splitlines()
    for k, line in enumerate(lines):
        m = _ASSIGNMENT.match(line)
        if not m or m.group(2).startswith('"""'):
            continue
        yield f"line {k + 1} removed", "\n".join(lines[:k] + lines[k + 1:])
        for value in WRONG_VALUES:
            yield (f"line {k + 1}: {m.group(1)} = {value}",
                   "\n".join(lines[:k] + [f"{m.group(1)} = {value}"] + lines[k + 1:]))


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_a_mutated_lesson_file_is_a_lesson_or_one_line(lesson, tmp_path):
    runner = CliRunner()
    target = tmp_path / lesson.name
    problems = []
    for what, text in list(mutants(lesson.read_text(encoding="utf-8")))[::STRIDE]:
        target.write_text(text, encoding="utf-8")
        r = runner.invoke(main, ["explain", "--lesson-file", str(target), "--lang", "en"])
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            problems.append(f"{lesson.name}, {what}: {r.exception!r}")
        elif r.exit_code == 2 and not r.output.startswith("error: "):
            problems.append(f"{lesson.name}, {what}: {r.output[:200]!r}")
        elif r.exit_code not in (0, 2):
            problems.append(f"{lesson.name}, {what}: exit {r.exit_code}")
    assert not problems, "\n".join(problems[:20])

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
_TABLE = re.compile(r"^\[\[?[\w.]+\]\]?$")


def mutants(text: str):
    """(what, mutated text) for each line that assigns a value: removed, or given each wrong
    value (only the first line of a multi-line value is replaced, the rest removed); and for
    each table's header: removed."""
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if _TABLE.match(line):
            # its keys fall into the table before it (or the top level)
            yield f"line {k + 1} removed", "\n".join(lines[:k] + lines[k + 1:])
            continue
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


def _explain(path):
    return CliRunner().invoke(main, ["explain", "--lesson-file", str(path), "--lang", "en"])


def test_a_lesson_file_that_cannot_be_a_lesson_is_refused_before_it_is_parsed(tmp_path):
    import os

    huge = tmp_path / "huge.toml"
    huge.write_bytes(LESSONS[0].read_bytes() + b"# " + b"x" * 2_000_000 + b"\n")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('title = "Régression"\n'.encode("latin-1"))
    cases = {huge: "is larger than 1,000,000 bytes", latin: "is not text in UTF-8"}
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.toml")  # read, it would wait for a writer for ever
        cases[tmp_path / "pipe.toml"] = "is not a regular file"
    for path, words in cases.items():
        r = _explain(path)
        assert r.exit_code == 2 and r.output.count("\n") == 1, r.output
        assert r.output.startswith(f"error: lesson file {path}: {words}"), r.output


def test_an_escape_sequence_in_a_key_is_shown_not_acted_on(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(LESSONS[0].read_text(encoding="utf-8") + '\n"\\u001b[2Jcolour" = 1\n',
                    encoding="utf-8")
    r = _explain(path)
    assert r.exit_code == 2 and "\x1b" not in r.output
    assert ".\\x1b[2Jcolour: unknown field" in r.output  # in the last table, [translations.zh]

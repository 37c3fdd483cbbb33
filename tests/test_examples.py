"""Every example runs: each command shown in the README (``$ tutor …`` in a code block) and
each example line of every command's ``--help`` is run, and exits as documented; the README's
shown output is what the command prints (every line shown, up to a ``…``).

The files the examples use are shown in the README too (a code block whose first line is
``# NAME``), so a reader can run them as well; the test writes them out the same way.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: commands whose exit code 1 is a verdict (not right, a wrong gradient, training diverged)
VERDICT_COMMANDS = {"check", "gradcheck", "train"}
ENV = {"COLUMNS": "100", "LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}

pytestmark = pytest.mark.slow


def _blocks(text: str) -> list[list[str]]:
    blocks, current = [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def readme_examples() -> list[tuple[str, list[str]]]:
    """(command line, the output shown under it) for every ``$ …`` line, in README order."""
    examples = []
    for block in _blocks(README.read_text(encoding="utf-8")):
        current = None
        for line in block:
            if line.startswith("$ "):
                current = [line[2:], []]
                examples.append(current)
            elif current is not None:
                if current[0].endswith("\\") and not current[1]:
                    current[0] = current[0][:-1].rstrip() + " " + line.strip()
                else:
                    current[1].append(line)
    return [(cmd, shown) for cmd, shown in examples]


def readme_files() -> dict[str, str]:
    """The files shown in the README: code blocks whose first line is ``# NAME``."""
    files = {}
    for block in _blocks(README.read_text(encoding="utf-8")):
        m = re.fullmatch(r"# ([\w./-]+\.\w+)", block[0].strip()) if block else None
        if m:
            files[m.group(1)] = "\n".join(block) + "\n"
    return files


_CJK = "\u3000-\u9fff\uff00-\uffef"


def _flat(text: str) -> str:
    """Whitespace as one space, and none where a line broke beside a Chinese character (the
    terminal's width decides where lines break)."""
    text = re.sub(f"(?<=[{_CJK}])[ \\t]*\\n\\s*|[ \\t]*\\n\\s*(?=[{_CJK}])", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _run(command: str):
    """Run ``tutor …`` (or ``printf '…' | tutor …``) in the current folder."""
    stdin = None
    if command.startswith("printf "):
        left, _, command = command.partition("|")
        stdin = shlex.split(left)[1].encode().decode("unicode_escape").encode("latin-1").decode()
    args = shlex.split(command.strip())
    assert args[0] == "tutor", command
    return args, CliRunner().invoke(main, args[1:], input=stdin, env=ENV)


def expected_code(args: list[str], shown: list[str]) -> int:
    text = "\n".join(shown)
    if any(line.startswith(("error:", "错误：")) for line in shown):
        return 2
    verb = args[2] if args[1] == "matrix" and len(args) > 2 else args[1]
    return 1 if verb in VERDICT_COMMANDS and "✗" in text else 0


def _write_files(folder: Path) -> None:
    for name, text in readme_files().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_readme_shows_its_files():
    assert {"model.py", "class/ada.txt", "class/bo.txt"} <= set(readme_files())


def test_every_readme_command_runs_and_prints_what_the_readme_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write_files(tmp_path)
    examples = [(c, s) for c, s in readme_examples() if "tutor " in c]
    assert len(examples) >= 20
    problems = []
    for command, shown in examples:
        args, result = _run(command)
        code = expected_code(args, shown)
        if result.exit_code != code or result.exception and not isinstance(result.exception, SystemExit):
            problems.append(f"{command}: exit {result.exit_code}, expected {code}\n{result.output}")
            continue
        actual = _flat(result.output)
        for line in shown:
            want = _flat(line.split("…")[0])
            if want and not line.lstrip().startswith(("{", "}", "\"", "[", "]")) and want not in actual:
                problems.append(f"{command}: does not print {want!r}")
                break
    assert not problems, "\n\n".join(problems)


def help_examples() -> list[tuple[str, str]]:
    """(command, example) for each line of a --help text that runs ``tutor``."""
    out = []
    names = [""] + sorted(main.commands)
    # the commands of a group (tutor matrix explain) have --help texts of their own
    names += [f"{name} {sub}" for name in sorted(main.commands)
              for sub in sorted(getattr(main.commands[name], "commands", {}))]
    for name in names:
        text = CliRunner().invoke(main, [*name.split(), "--help"] if name else ["--help"],
                                  env=ENV).output
        lines = text.splitlines()
        for k, line in enumerate(lines):
            stripped = line.strip()
            if not (stripped.startswith("tutor ") or re.match(r"printf .*\| tutor ", stripped)):
                continue
            example = re.split(r"\s{3,}", stripped)[0]
            # continuation lines: a trailing backslash, or an indented line of options
            j = k + 1
            while j < len(lines) and (example.endswith("\\") or
                                      re.match(r"\s{8,}--", lines[j])):
                example = example.rstrip("\\").rstrip() + " " + lines[j].strip()
                j += 1
            out.append((name or shlex.split(example.split("|")[-1])[1], example))
    return out


def test_every_help_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write_files(tmp_path)
    (tmp_path / "points.csv").write_text(
        "x1,x2,y\n0.5,1.0,1\n-1.0,0.5,0\n2.0,-0.5,1\n0.0,1.5,0\n1.0,0.0,1\n-0.5,2.0,0\n")
    examples = help_examples()
    assert len(examples) >= 20
    # the grading examples need the sheets and answers the worksheet examples make
    examples.sort(key=lambda e: e[0] == "grade")
    problems, seen = [], set()
    for name, example in examples:
        key = tuple(a.rstrip("/") for a in shlex.split(example))
        if key in seen:
            continue  # the same example in two --help texts: a second run would find its files
        seen.add(key)
        args, result = _run(example)
        allowed = {0, 1} if name.split(" ")[-1] in VERDICT_COMMANDS else {0}
        crashed = result.exception and not isinstance(result.exception, SystemExit)
        if result.exit_code not in allowed or crashed:
            problems.append(f"{example}: exit {result.exit_code}\n{result.output}")
    assert not problems, "\n\n".join(problems)

"""The command line's own rules, checked over every command: each command is a thin function,
the rules several commands share are said once and answered the same way everywhere, and the
options with a range refuse a value outside it with one translated line."""

import ast
import pathlib

import pytest
from click.testing import CliRunner

import tutor.cli
from tutor.cli import main

CLI = pathlib.Path(tutor.cli.__file__).parent
#: the longest a command function may be, docstring and decorators excluded
MOST_LINES = 40


def _command_functions():
    """(module, function) for every function decorated with @command(...) in tutor/cli (or
    @subcommand(...), a command of a group such as ``tutor matrix``)."""
    for path in sorted(CLI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and getattr(d.func, "id", None) in ("command",
                                                                               "subcommand")
                    for d in node.decorator_list):
                yield path.name, node


def _registered(group):
    """The function behind every command, the commands of a group included."""
    for cmd in group.commands.values():
        if hasattr(cmd, "commands"):
            yield from _registered(cmd)
        else:
            yield cmd.callback.__wrapped__.__name__


def _body_lines(fn: ast.FunctionDef) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring is the command's --help, not its logic
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def test_every_command_of_the_application_is_a_module_function_here():
    found = {fn.name for _, fn in _command_functions()}
    registered = set(_registered(main))
    assert registered == found
    assert set(main.commands) == {"list", "explain", "check", "gradcheck", "quiz", "train", "descend",
                                  "backprop", "worksheet", "grade", "matrix"}


@pytest.mark.parametrize("module,fn", list(_command_functions()), ids=lambda x: getattr(x, "name", x))
def test_every_command_is_thin(module, fn):
    assert _body_lines(fn) <= MOST_LINES, f"{module}:{fn.name} has {_body_lines(fn)} lines"


def test_the_length_check_can_fail():
    source = "@command()\ndef fat():\n    '''doc'''\n" + "    x = 1\n" * (MOST_LINES + 1)
    fn = ast.parse(source).body[0]
    assert _body_lines(fn) == MOST_LINES + 1


def _run(args):
    result = CliRunner().invoke(main, args + ["--lang", "en"])
    return result.exit_code, result.output.strip()


# Each command that takes a lesson refuses two sources, and --size with --expr, with the same
# sentence: the rule is written once (tutor.cli.options.Source).
TWO_SOURCES = {
    "explain": ["explain", "sigmoid", "--expr", "x**2"],
    "check": ["check", "--expr", "x**2", "--lesson-file", "a.toml", "2*x"],
    "backprop": ["backprop", "neuron", "--expr", "L = x**2"],
    "train": ["train", "linear_regression", "--expr", "(w - 1)**2", "--params", "w"],
}
SIZE_WITH_EXPR = {
    "explain": ["explain", "--expr", "x**2", "--size", "3"],
    "check": ["check", "--expr", "x**2", "--size", "3", "2*x"],
    "backprop": ["backprop", "--expr", "L = x**2", "--size", "3"],
    "train": ["train", "--expr", "(w - 1)**2", "--params", "w", "--size", "3"],
}


def test_one_lesson_source_is_one_rule():
    answers = {name: _run(args) for name, args in TWO_SOURCES.items()}
    for name, (code, out) in answers.items():
        assert code == 2 and out.count("\n") == 0 and out.startswith("error: name one lesson"), (name, out)
    # train adds --params to the sentence; the others say exactly the same thing
    assert len({out for name, (_, out) in answers.items() if name != "train"}) == 1


def test_size_goes_with_an_indexed_lesson_everywhere():
    outs = {name: _run(args) for name, args in SIZE_WITH_EXPR.items()}
    assert {out for _, out in outs.values()} == {
        "error: --size goes with an indexed lesson, not with --expr"}
    assert {code for code, _ in outs.values()} == {2}


@pytest.mark.parametrize("args,shown", [
    (["train", "linear_regression", "--lr", "0"], "--lr must be a positive number, not 0"),
    (["train", "linear_regression", "--lr", "inf"], "--lr must be a positive number, not inf"),
    (["train", "linear_regression", "--epochs", "0"], "--epochs must be at least 1, not 0"),
    (["train", "linear_regression", "--batch-size", "-2"], "--batch-size must be at least 1, not -2"),
    (["train", "linear_regression", "--noise", "-0.5"], "--noise must be a number ≥ 0, not -0.5"),
    (["train", "linear_regression", "--samples", "10000001"],
     "--samples must be from 1 to 10000000, not 10000001"),
    (["train", "linear_regression", "--lr", "fast"], "--lr: 'fast' is not a number"),
    (["worksheet", "sigmoid", "--out", "x", "--seed", "-1"], "--seed must be 0 or more, not -1"),
])
def test_ranges_are_checked_by_the_option_types_with_one_line(args, shown):
    code, out = _run(args)
    assert (code, out) == (2, "error: " + shown)


def test_range_messages_are_translated():
    result = CliRunner().invoke(main, ["train", "linear_regression", "--lr", "-1", "--lang", "zh"])
    assert result.exit_code == 2
    assert "学习率" in result.output and "error" not in result.output


@pytest.mark.parametrize("args,option", [
    (["check", "softmax", "--size", "3", "--wrt", "z1", "--of", "s9", "s1"], "--of s9"),
    (["backprop", "softmax", "--size", "3", "--output", "s9"], "--output s9"),
])
def test_an_output_is_found_by_name_the_same_way(args, option):
    code, out = _run(args)
    assert code == 2 and out.startswith(f"error: {option}: ") and "s1, s2, s3" in out


# -- the library names its parameters; the command line calls them by their options ---------
def test_library_errors_name_the_parameter_not_an_option():
    from tutor.errors import ParameterError
    from tutor.training.train import Settings

    with pytest.raises(ParameterError) as caught:
        Settings(lr=0.1, epochs=1, batch_size=5).check(3)
    assert str(caught.value) == "batch_size 5 is larger than the data (3 samples)"
    assert caught.value.naming("--batch-size").startswith("--batch-size 5 is larger")


def test_the_command_line_maps_the_parameter_to_its_option():
    code, out = _run(["train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2",
                      "--data", "y=1,2", "--batch-size", "5"])
    assert (code, out) == (2, "error: --batch-size 5 is larger than the data (2 samples)")


def test_no_library_message_names_a_command_line_option():
    import re

    package = CLI.parent
    found = []
    for path in sorted(package.rglob("*.py")):
        part = path.relative_to(package).parts[0]
        if part in ("cli", "renderers"):
            continue
        # a message opening with an option, or any error message naming one
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'_\(\s*"(--[a-z][a-z-]*)', text):
            found.append(f"{path.relative_to(package)}: {m.group(1)}")
        for m in re.finditer(r'(?:Error|raise)[^\n]*\n?[^\n]*_\(\s*"[^"]*(--[a-z][a-z-]*)', text):
            found.append(f"{path.relative_to(package)}: {m.group(1)}")
    assert not found, found


def test_gradcheck_default_tolerance_is_the_librarys_good():
    from tutor.checking import gradcheck as library
    from tutor.cli import gradcheck as command

    assert command.GOOD == library.GOOD


@pytest.mark.parametrize("args", [
    ["explain", "sigmoid"], ["explain", "softmax", "--lang", "zh"], ["backprop", "neuron"],
    ["backprop", "jacobian", "softmax"], ["check", "sigmoid", "1"], ["list"],
    ["train", "linear_regression", "--synthetic", "--true-w", "1,2", "--epochs", "2"],
])
def test_piped_output_has_no_trailing_spaces(args):
    output = CliRunner().invoke(main, args, env={"COLUMNS": "100"}).output
    assert output.strip()
    assert [line for line in output.splitlines() if line != line.rstrip()] == []

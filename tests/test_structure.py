"""The flow of the design, checked: the engine never imports the CLI or a renderer, the
command line loads nothing heavy for --help, and explain needs no NumPy."""

import ast
import pathlib
import subprocess
import sys

import tutor

PACKAGE = pathlib.Path(tutor.__file__).parent


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
    return names


def test_engine_never_imports_cli_or_renderers():
    for path in PACKAGE.glob("*.py"):
        for name in _imports(path):
            assert name != "cli" and not name.startswith("cli."), path.name
            assert "render" not in name or path.name == "__init__.py", (path.name, name)


def test_renderers_do_not_differentiate():
    for path in (PACKAGE / "render").glob("*.py"):
        source = path.read_text("utf-8")
        assert "diff(" not in source and "derive(" not in source, path.name


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return set(out.split())


def test_help_imports_nothing_heavy():
    mods = _modules_after("from tutor import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass")
    assert not {"sympy", "numpy", "matplotlib", "rich"} & mods


def test_explain_does_not_need_numpy():
    mods = _modules_after("from tutor import cli\ntry:\n    cli.main(['explain', 'sigmoid'])\nexcept SystemExit:\n    pass")
    assert "sympy" in mods and "numpy" not in mods and "matplotlib" not in mods


def test_notebooks_show_derivations_as_latex():
    globalipapp = __import__("pytest").importorskip("IPython.testing.globalipapp")
    ip = globalipapp.start_ipython()
    import importlib

    importlib.reload(tutor)  # registers with the running shell
    from tutor import explain, load_lesson

    exp = explain(load_lesson("sigmoid"))
    latex = ip.display_formatter.formatters["text/latex"].lookup(exp.items[0].derivation)
    shown = latex(exp.items[0].derivation)
    assert shown.startswith("$$") and r"\frac{d}{dz}" in shown
    markdown = ip.display_formatter.formatters["text/markdown"].lookup(exp)(exp)
    assert markdown.startswith("# Sigmoid")


def test_public_api_names_are_the_functions():
    code = ("from tutor import load_lesson, derive, explain, compile_expr\n"
            "import tutor.calculus.derivation, tutor.explaining.explanation\n"
            "from tutor import derive, explain\n"
            "assert callable(derive) and callable(explain)\n"
            "lesson = load_lesson('sigmoid')\n"
            "d = derive(lesson.outputs[0], lesson.symbol('z'), named=lesson.named)\n"
            "print(d.result)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in ("σ(z)*(1 - σ(z))", "(1 - σ(z))*σ(z)")

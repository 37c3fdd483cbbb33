"""The flow of the design, checked: a layering contract over every module (the library never
imports the CLI or a renderer, renderers compute no mathematics, lower layers never import
higher ones), the command line loads nothing heavy for --help, and explain needs no NumPy."""

import ast
import pathlib
import subprocess
import sys

import tutor

PACKAGE = pathlib.Path(tutor.__file__).parent


# -- the layering contract -------------------------------------------------------------------
# Each part of the package has a rank; a module may import its own part and parts of lower
# rank, never a higher one.  Parts of equal rank are siblings and do not import each other.
RANKS = {
    "tutor.i18n": 0,
    "tutor.errors": 1, "tutor.files": 1,
    "tutor.numbers": 2,
    "tutor.calculus": 3,
    "tutor.explaining": 4, "tutor.checking": 4, "tutor.matrix": 4,
    "tutor.backpropagation": 5,
    "tutor.training": 6, "tutor.assessment": 6,
    # what each command asks of the library, as one call (the command line and the Python API
    # both call these)
    "tutor.requests": 7,
    "tutor.renderers": 8,
    "tutor.cli": 9, "tutor.api": 9,
    "tutor.__main__": 10,
    # notebook display and the %tutor magic (which runs the command line)
    "tutor.notebook": 10, "tutor.widgets": 10,
    # the package's front door loads the public API lazily and registers notebook display
    "tutor": 11,
}
LIBRARY = {part for part, rank in RANKS.items() if rank < RANKS["tutor.renderers"]}
# what a renderer may take from the mathematics: data classes (CamelCase), CONSTANTS, and
# helpers that shape or describe data without computing a derivative or a number
SHAPING = {"elementary", "punctuation", "sheet_key", "worksheets_key", "dumps", "_folder",
           "N_", "_", "shown", "current_language", "speaking", "atomic_path", "file_set", "recover",
           "write_text"}
# calls that compute mathematics, which a renderer must receive already done
COMPUTING_CALLS = {"diff", "derive", "curves", "lambdify", "compile_expr", "central_difference",
                   "simplify", "integrate", "explain", "backprop", "check_gradient", "doit"}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def _imports(module: str, source: str, is_package: bool) -> list[tuple[str, str]]:
    """(module imported, name taken from it or "") for every import, at any depth."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out += [(target, a.name) for a in node.names]
    return out


def violations(modules: dict[str, tuple[str, bool]]) -> list[str]:
    """Every break of the house rules in ``modules`` (name -> (source, is_package))."""
    found = []
    for module, (source, is_package) in modules.items():
        part = _part(module)
        if part not in RANKS:
            found.append(f"{module}: part {part} has no rank in the contract")
            continue
        for target, name in _imports(module, source, is_package):
            if not target.startswith("tutor"):
                continue
            other = _part(target)
            if other == part:
                continue
            if other not in RANKS:
                found.append(f"{module} imports {target}, a part with no rank")
            elif RANKS[other] >= RANKS[part]:
                found.append(f"{module} (rank {RANKS[part]}) imports {target} (rank {RANKS[other]})")
            elif part == "tutor.renderers" and other in LIBRARY and name and not (
                    name[:1].isupper() or name in SHAPING):
                found.append(f"{module} takes {name} from {target}: renderers receive computed values")
        if part == "tutor.renderers":
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Call):
                    f = node.func
                    called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                    if called in COMPUTING_CALLS:
                        found.append(f"{module} calls {called}(): renderers compute no mathematics")
    return found


def _package_modules() -> dict[str, tuple[str, bool]]:
    return {_module_name(p): (p.read_text("utf-8"), p.name == "__init__.py")
            for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_keeps_the_layering_contract():
    modules = _package_modules()
    assert len(modules) > 60 and any(m.startswith("tutor.renderers.") for m in modules)
    assert violations(modules) == []


def test_every_part_of_the_package_has_a_rank():
    parts = {_part(m) for m in _package_modules()}
    assert parts == set(RANKS)


def test_the_contract_catches_a_renderer_that_differentiates():
    fake = {"tutor.renderers.explaining.fake": (
        "from tutor.calculus.derivation import derive\nimport sympy\n"
        "def show(e, x):\n    return sympy.diff(e, x)\n", False)}
    found = violations(fake)
    assert any("takes derive" in f for f in found) and any("calls diff()" in f for f in found)


def test_the_contract_catches_the_library_importing_the_cli_or_a_renderer():
    fake = {"tutor.calculus.fake": ("from tutor.cli import main\n", False),
            "tutor.training.fake": ("def f():\n    from tutor.renderers.training import text\n", False),
            "tutor.checking.fake": ("from ..explaining import lesson\n", False)}
    found = violations(fake)
    assert len(found) == 3, found
    assert any("tutor.calculus.fake" in f and "tutor.cli" in f for f in found)
    assert any("tutor.training.fake" in f and "tutor.renderers" in f for f in found)
    assert any("tutor.checking.fake" in f and "tutor.explaining" in f for f in found)


def test_the_contract_allows_a_renderer_its_data():
    ok = {"tutor.renderers.explaining.fine": (
        "from tutor.explaining.explanation import Explanation\nfrom tutor.i18n import _\n"
        "from . import text\n", False)}
    assert violations(ok) == []


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
    globalipapp.start_ipython()  # once per process (another test may have started it)
    ip = globalipapp.get_ipython()
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

"""How the tutor is installed and run, and how it writes files.

The console script points into the package (no bare ``cli`` module in site-packages);
``tutor``, ``python -m tutor`` and the checkout's ``cli.py`` run the same application; every
file the tutor writes (plots, DOT, CSV, worksheets) gets the permissions the umask gives and
is written whole or not at all."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor import cli

ROOT = Path(__file__).resolve().parent.parent
DIST = "gradient-tutor"


def test_console_script_points_into_the_package():
    scripts = [e for e in importlib.metadata.entry_points(group="console_scripts")
               if e.name == "tutor" and e.dist is not None and e.dist.name == DIST]
    assert [e.value for e in scripts] == ["tutor.cli:main"]


def test_no_bare_cli_module_is_installed():
    # the installed copies (a RECORD lists what pip put in site-packages); a source tree's
    # egg-info lists the checkout instead, where cli.py rightly is
    installed = [d for d in importlib.metadata.distributions()
                 if d.metadata["Name"] == DIST and d.read_text("RECORD") is not None]
    assert installed, "the tutor is not installed"
    for dist in installed:
        top_level = {line.split(",")[0].split("/")[0] for line in dist.read_text("RECORD").splitlines()}
        assert "cli.py" not in top_level and "cli" not in top_level, sorted(top_level)
        names = dist.read_text("top_level.txt")
        if names is not None:
            assert set(names.split()) <= {"tutor"}


def _run(args, cwd):
    env = {**os.environ, "COLUMNS": "100", "LANG": "C.UTF-8"}
    out = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "cli.py").exists(), reason="needs the source checkout")
def test_three_ways_to_run_the_same_application(tmp_path):
    from_checkout = _run([sys.executable, "cli.py", "explain", "sigmoid"], ROOT)
    as_module = _run([sys.executable, "-m", "tutor", "explain", "sigmoid"], tmp_path)
    assert "σ(z)·(1 − σ(z))" in from_checkout and "✓" in from_checkout
    assert as_module == from_checkout
    script = shutil.which("tutor") or str(Path(sys.executable).parent / "tutor")
    if os.path.exists(script):
        assert _run([script, "explain", "sigmoid"], tmp_path) == from_checkout
    usage = _run([sys.executable, "cli.py", "--help"], ROOT)
    assert usage.startswith("Usage: tutor ")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _invoke(*args):
    result = CliRunner().invoke(cli.main, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
def test_plots_and_dot_files_follow_the_umask(tmp_path, umask_022, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _invoke("explain", "sigmoid", "--plot", "sigmoid.png")
    _invoke("backprop", "neuron", "--plot", "graph.svg", "--dot", "graph.dot")
    _invoke("train", "linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b", "4.2",
            "--epochs", "2", "--plot", "run.pdf")
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["graph.dot", "graph.svg", "run.pdf", "sigmoid.png"]
    for name in written:
        assert _mode(tmp_path / name) == 0o644, name


def test_worksheets_and_grading_csv_follow_the_umask(tmp_path, umask_022):
    out = tmp_path / "sheets"
    _invoke("worksheet", "sigmoid", "--variants", "2", "--seed", "3", "--out", str(out))
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 8
    for path in files:
        assert _mode(path) == 0o644, path
    answers = tmp_path / "class"
    answers.mkdir()
    (answers / "ada.txt").write_text("variant: s3-v01\n1: 0\n", "utf-8")
    csv = tmp_path / "marks.csv"
    _invoke("grade", str(out / "key.json"), str(answers), "--csv", str(csv))
    assert csv.read_text("utf-8").startswith("student,")
    assert _mode(csv) == 0o644


def test_a_failed_plot_leaves_nothing_behind(tmp_path, monkeypatch):
    import matplotlib.figure

    def broken(self, *args, **kwargs):
        Path(args[0]).write_bytes(b"half a picture")
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.main, ["explain", "sigmoid", "--plot", "sigmoid.png"])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_wheel_holds_the_package_and_its_lessons_but_no_bare_cli(tmp_path):
    """Built from a copy of the checkout, so the check holds whatever kind of install runs
    the tests (an editable one lists no files)."""
    try:  # setuptools 70.1 and later build wheels by themselves
        import setuptools.command.bdist_wheel  # noqa: F401
    except ImportError:
        pytest.importorskip("wheel", reason="building a wheel needs setuptools >= 70.1 or wheel")
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "cli.py"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("tutor", "lessons"):
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if (ROOT / "LICENSE").exists():
        shutil.copy(ROOT / "LICENSE", src / "LICENSE")
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "--quiet", "-w", str(tmp_path / "dist"), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert "cli.py" not in top
    assert {t for t in top if not t.endswith(".dist-info")} == {"tutor"}
    assert "tutor/lessons/sigmoid.toml" in names and "tutor/cli/__init__.py" in names
    assert "tutor/lessons/matrix/softmax_regression.toml" in names
    assert "tutor/lessons/landscapes/rosenbrock.toml" in names
    assert "tutor/locale/zh/LC_MESSAGES/tutor.mo" in names
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    on_disk = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "tutor").rglob("__init__.py")}
    assert on_disk <= packages, on_disk - packages


# -- packaging: one version, a licence file, every imported package declared ----------------

def _setup_cfg():
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg


def _requirement_names(block: str) -> set[str]:
    import re

    names = set()
    for line in block.splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(re.split(r"[<>=!~;\[ ]", line)[0].lower().replace("_", "-"))
    return names


def _third_party_imports(folder: Path) -> set[str]:
    import ast

    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "tutor"}


def _declared_distribution(module: str, declared: set[str]) -> bool:
    dists = importlib.metadata.packages_distributions().get(module, [])
    return any(d.lower().replace("_", "-") in declared for d in dists)


def test_every_package_the_library_imports_is_declared():
    cfg = _setup_cfg()
    declared = _requirement_names(cfg["options"]["install_requires"])
    imported = _third_party_imports(ROOT / "tutor")
    assert {"sympy", "numpy", "click", "fontTools"} <= imported
    # what only the notebook's sliders use comes with the notebook extra
    optional = _requirement_names(cfg["options.extras_require"]["notebook"])
    assert "ipywidgets" in optional and not _third_party_imports(ROOT / "tutor" / "renderers") & {
        "ipywidgets", "IPython"}
    missing = {m for m in imported - {"tomli"}
               if not _declared_distribution(m, declared | optional)}
    assert not missing, f"imported but not in install_requires: {sorted(missing)}"
    assert "tomli" in declared  # only for Python 3.10, where tomllib is missing


def test_every_package_the_tests_import_is_declared():
    cfg = _setup_cfg()
    declared = (_requirement_names(cfg["options"]["install_requires"])
                | _requirement_names(cfg["options.extras_require"]["test"]))
    imported = _third_party_imports(ROOT / "tests")
    missing = {m for m in imported if not _declared_distribution(m, declared)}
    assert not missing, f"the tests import undeclared packages: {sorted(missing)}"


def test_the_version_is_said_once_and_the_licence_file_matches():
    import tutor

    cfg = _setup_cfg()
    assert cfg["metadata"]["version"].strip() == "attr: tutor.__version__"
    assert importlib.metadata.version(DIST) == tutor.__version__
    assert cfg["metadata"]["license"].strip() == "MIT"
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License")

"""Sets of files written as one (tutor.files.file_set): a training run's plots, like a run of
worksheets, are staged and moved into place under a journal, so an interrupted, failed or
killed run leaves the folder with the whole earlier set or the whole new one, never a mix and
never a stray staging folder."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor import files
from tutor.cli import main

ROOT = Path(__file__).resolve().parents[1]
#: a run with a loss, a fit and a landscape figure (t.png, t-fit.png, t-landscape.png)
THREE = ["train", "linear_regression", "--synthetic", "--true-w", "2", "--true-b", "1",
         "--epochs", "2", "--seed", "3"]
#: a run of a typed loss: no fit figure, so its set is t.png and t-landscape.png
TWO = ["train", "--expr", "(w*w*x - y)^2", "--params", "w", "--data", "x=1,2,3",
       "--data", "y=2,4,7", "--epochs", "3"]


def _run(args):
    return CliRunner().invoke(main, args + ["--lang", "en"])


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """Each run's set of files, written alone into a folder of its own."""
    out = {}
    for name, args in {"three": THREE, "two": TWO}.items():
        folder = tmp_path_factory.mktemp(name)
        assert _run(args + ["--plot", str(folder / "t.png")]).exit_code == 0
        out[name] = _contents(folder)
    assert set(out["three"]) == {"t.png", "t-fit.png", "t-landscape.png"}
    assert set(out["two"]) == {"t.png", "t-landscape.png"}
    return out


def test_a_set_replaces_an_earlier_one_whole_and_removes_the_companion_it_lacks(tmp_path,
                                                                              references):
    target = str(tmp_path / "t.png")
    assert _run(THREE + ["--plot", target]).exit_code == 0
    assert _contents(tmp_path) == references["three"]
    r = _run(TWO + ["--plot", target, "--force"])
    assert r.exit_code == 0, r.output
    # the earlier run's t-fit.png would pair an old fit with a new loss curve: it is gone
    assert _contents(tmp_path) == references["two"]


def test_a_run_stopped_half_way_through_the_move_is_finished_by_the_next(tmp_path, stop_the_move,
                                                                        references):
    target = str(tmp_path / "t.png")
    assert _run(THREE + ["--plot", target]).exit_code == 0
    stop_the_move.arm()
    _run(TWO + ["--plot", target, "--force"])
    stop_the_move.disarm()
    assert stop_the_move.moved and (tmp_path / files.JOURNAL).exists()  # the journal remains
    # the next set written to the folder, here an unrelated plot, first finishes the move
    assert _run(["explain", "sigmoid", "--plot", str(tmp_path / "other.png")]).exit_code == 0
    left = _contents(tmp_path)
    assert left.pop("other.png")
    assert left == references["two"]


def test_a_journal_that_names_a_path_outside_the_folder_is_never_followed(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (folder / files.JOURNAL).write_text(json.dumps(
        {"stage": ".tutor-stage-abcdefgh", "move": [], "remove": ["../victim.txt"]}))
    files.recover(folder)
    assert victim.read_text() == "keep me"
    assert list(folder.iterdir()) == []


def test_a_stage_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    stage = tmp_path / (files.STAGE_PREFIX + "k1ll3d_x")
    (stage / "answers").mkdir(parents=True)
    (stage / "answers" / "half.md").write_text("half")
    mine = tmp_path / ".tutor-stage-of-someone-else"  # not a name this module makes
    mine.mkdir()
    with files.file_set(tmp_path, ["a.txt", "sub/b.txt"]) as staged:
        for path in staged.values():
            Path(path).write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "a.txt", "sub"]
    assert (tmp_path / "sub" / "b.txt").read_text() == "new"


def _tutor(args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tutor", *args, "--lang", "en"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 0.9, 1.1, 1.3, 1.5, 1.8])
def test_a_plot_run_killed_at_any_moment_leaves_one_whole_set(tmp_path, references, delay):
    """Killed (SIGKILL) at some moment of writing over an earlier set, then the next run's
    recovery: the folder holds the whole earlier set or the whole new one."""
    target = str(tmp_path / "t.png")
    assert _run(THREE + ["--plot", target]).exit_code == 0
    child = _tutor(TWO + ["--plot", target, "--force"])
    time.sleep(delay)
    if child.poll() is None:
        os.kill(child.pid, signal.SIGKILL)
    child.wait()
    files.recover(tmp_path)
    assert _contents(tmp_path) in (references["three"], references["two"])


@pytest.mark.slow
def test_runs_writing_one_set_at_once_take_turns(tmp_path, references):
    """Four runs write the same plots at the same moment: the folder ends with one whole
    set, and no run fails for another's staging folder."""
    target = str(tmp_path / "t.png")
    runs = [_tutor((THREE if k % 2 else TWO) + ["--plot", target, "--force"]) for k in range(4)]
    assert [child.wait(timeout=120) for child in runs] == [0, 0, 0, 0]
    assert _contents(tmp_path) in (references["three"], references["two"])


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_every_file_and_folder_written_follows_the_umask(tmp_path, mask):
    """What ``open()`` and ``mkdir`` would give: 0666 and 0777 less the umask, for every kind of
    output, though each is made in a private temporary place first."""
    import stat

    out = tmp_path / "out"
    out.mkdir()
    commands = [
        ["backprop", "neuron", "--plot", str(out / "graph.svg"), "--dot", str(out / "graph.dot")],
        ["train", "linear_regression", "--synthetic", "--true-w", "2", "--epochs", "1",
         "--plot", str(out / "run.pdf")],
        THREE + ["--plot", str(out / "t.png")],
        ["worksheet", "sigmoid", "--seed", "7", "--variants", "2", "--out", str(out / "sheets"),
         "--format", "md"],
    ]
    old = os.umask(mask)
    try:
        for args in commands:
            assert _run(args).exit_code == 0, args
        (out / "a.txt").write_text("variant: s7-v01\n1: 0\n")
        assert _run(["grade", str(out / "sheets" / "key.json"), str(out / "a.txt"), "--csv",
                     str(out / "scores.csv")]).exit_code in (0, 1)
    finally:
        os.umask(old)
    found = {}
    for path in out.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        found[str(path.relative_to(out))] = (mode, (0o777 if path.is_dir() else 0o666) & ~mask)
    assert {"graph.svg", "graph.dot", "run.pdf", "t-fit.png", "sheets/answers/variant-01.json",
            "sheets/key.json", "scores.csv"} <= set(found)
    assert {name: modes for name, modes in found.items() if modes[0] != modes[1]} == {}
    assert not [name for name in found if ".tutor" in name]


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_run_waiting_for_its_turn_removes_a_companion_written_while_it_waited(tmp_path):
    """A run of TWO figures waits for the folder while another writes a fit figure: when its
    turn comes, it still removes that fit (what it has no figure for is decided in its turn),
    so the folder is its whole set and not a mix."""
    import fcntl

    target = tmp_path / "t.png"
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the other run's turn
    try:
        child = _tutor(TWO + ["--plot", str(target), "--force"])
        deadline = time.monotonic() + 120
        while f"-> FLOCK  ADVISORY  WRITE {child.pid} " not in Path("/proc/locks").read_text():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        # the child now waits for the folder; the other run writes its set meanwhile
        for name in ("t.png", "t-fit.png", "t-landscape.png"):
            (tmp_path / name).write_bytes(b"other run")
    finally:
        os.close(fd)
    assert child.wait(timeout=120) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t-landscape.png", "t.png"]
    assert all((tmp_path / n).read_bytes().startswith(b"\x89PNG") for n in ("t.png", "t-landscape.png"))

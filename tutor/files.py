"""Writing output files whole or not at all, with the permissions the user's umask gives.

Every file the tutor writes (plots, CSV, DOT, worksheets, keys) goes through here: the data
goes to a hidden temporary file beside the target, which is renamed over the target only when
it is complete, so an interrupted run never leaves half a file.  ``tempfile`` makes that
temporary file private (0600); it is opened up to what ``open()`` would have given (0666 less
the umask) before the rename, so a plot is as readable as any other file the user makes.

A set of files that belong together (a run of worksheets and its keys, a training run's loss,
fit and landscape plots) is written with :func:`file_set`: staged in a hidden folder, then
moved into place under a journal, so the set is replaced whole even if the run is killed.

Files the user gives (data, lessons) are judged by :func:`unreadable` before they are opened:
a folder, a pipe or a device is refused, not read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from tutor.i18n import _


def unreadable(path: str | os.PathLike, where: str) -> str | None:
    """None when ``path`` is a regular file, else why it cannot be read as one, after
    ``where`` (like "data file x.csv"): no such file, a folder, a pipe or a device (which would
    be read without end, or wait for a writer for ever), or what the system says (a name too
    long, no permission)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return _("{where}: no such file").format(where=where)
    except (OSError, ValueError) as exc:
        return cannot_read(where, exc)
    if stat.S_ISDIR(mode):
        return _("{where}: is a folder, not a file").format(where=where)
    if not stat.S_ISREG(mode):
        return _("{where}: is not a regular file").format(where=where)
    return None


def cannot_read(where: str, exc: BaseException) -> str:
    """``where`` cannot be read, and what the system says about it."""
    return _("{where}: cannot be read ({problem})").format(
        where=where, problem=getattr(exc, "strerror", None) or exc)


def read_lesson_text(path: str | os.PathLike, source: str, most: int, *,
                     error: type[Exception]) -> str:
    """The text of a teacher's lesson file, judged before it is read (:func:`unreadable`), at
    most ``most`` bytes, in UTF-8; anything else is one ``error`` (the caller's lesson error)
    naming ``source``."""
    problem = unreadable(path, source)
    if problem:
        raise error(problem)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(most + 1)
        if len(raw) > most:
            raise error(_("{source}: is larger than {most} bytes; a lesson is a few "
                          "kilobytes").format(source=source, most=f"{most:,}"))
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(_("{source}: is not text in UTF-8").format(source=source)) from None
    except OSError as exc:
        raise error(cannot_read(source, exc)) from None


def umask_mode(base: int = 0o666) -> int:
    """``base`` less the process's umask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """A temporary path beside ``path`` (same suffix) to write to; moved onto ``path`` when
    the block ends without an exception, removed otherwise.  A set of files a killed run was
    moving into the folder is finished first (:func:`recover`)."""
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    recover(folder)
    fd, tmp = tempfile.mkstemp(suffix=os.path.splitext(target)[1], dir=folder, prefix=".tutor-")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, umask_mode())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 (newlines as given) to ``path`` whole or not at all."""
    write_bytes(path, text.encode("utf-8"))


#: the journal of a set of files being moved into a folder: its stage and what to move/remove
JOURNAL = ".tutor-commit.json"
#: a set of files is made in a hidden folder of this name (and 8 random characters) first
STAGE_PREFIX = ".tutor-stage-"


@contextmanager
def file_set(folder: str | os.PathLike, names: Sequence[str], *,
             remove: Sequence[str] | Callable[[], Sequence[str]] = ()
             ) -> Iterator[dict[str, str]]:
    """Write a set of files into ``folder`` as one: yields, for each of ``names`` (paths inside
    the folder, like ``answers/variant-01.md``), a path in a hidden staging folder to write it
    to.  When the block ends without an exception, a journal naming the staged files (and the
    files in ``remove``, an earlier set's that this one has no place for) is written, then the
    files are moved into place; on an exception the stage is removed and the folder keeps the
    earlier set.  Killed while staging, the next set written to the folder removes the stage;
    killed while moving, the next one finishes the move from the journal (:func:`recover`).
    So the folder holds the whole earlier set or the whole new one, never a mix.  Writers of
    sets in one folder take turns (a lock on the folder, where the system has one); ``remove``
    may be a function, called in this set's turn, when what it names depends on what the
    folder holds then (a run that wrote while this one waited)."""
    folder = Path(folder)
    with _turn(folder):
        _recover(folder)
        if callable(remove):
            remove = remove()
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=folder))
        try:
            staged = {}
            for rel in names:
                path = stage / _inside(rel)
                path.parent.mkdir(parents=True, exist_ok=True)
                staged[rel] = str(path)
            yield dict(staged)
            mode = umask_mode()
            for path in staged.values():
                os.chmod(path, mode)
            journal = {"stage": stage.name, "move": sorted(staged), "remove": sorted(remove)}
            tmp = folder / (JOURNAL + ".tmp")
            tmp.write_text(json.dumps(journal), encoding="utf-8")
            os.replace(tmp, folder / JOURNAL)  # from here on the new set is the one that counts
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            (folder / (JOURNAL + ".tmp")).unlink(missing_ok=True)
            raise
        _recover(folder)


def recover(folder: str | os.PathLike) -> None:
    """Finish a set of files that was moving into ``folder`` when its run stopped, and remove
    the stages of runs that never got that far."""
    folder = Path(folder)
    with _turn(folder):
        _recover(folder)


def _recover(folder: Path) -> None:
    journal_path = folder / JOURNAL
    if journal_path.exists():
        journal = _read_journal(journal_path)
        if journal is not None:
            stage = folder / journal["stage"]
            for rel in journal["remove"]:
                (folder / rel).unlink(missing_ok=True)
            for rel in journal["move"]:
                if (stage / rel).exists():
                    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(stage / rel, folder / rel)
        journal_path.unlink()
    for leftover in folder.glob(STAGE_PREFIX + "*"):
        if _STAGE.fullmatch(leftover.name):
            shutil.rmtree(leftover, ignore_errors=True)
    if (folder / (JOURNAL + ".tmp")).exists():
        (folder / (JOURNAL + ".tmp")).unlink()


_STAGE = re.compile(re.escape(STAGE_PREFIX) + r"[a-z0-9_]{8}")


def _read_journal(path: Path) -> dict | None:
    """The journal at ``path``, or None when there is none, or when it is not one this module
    wrote (it names a path outside the folder, or is not a journal at all): such a file is
    never followed."""
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        assert _STAGE.fullmatch(journal["stage"])
        for rel in journal["move"] + journal["remove"]:
            _inside(rel)
        return journal
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return None


def _inside(rel: str) -> str:
    """``rel`` when it names a path inside a folder (relative, without ..); ValueError if not."""
    if not isinstance(rel, str) or not rel or Path(rel).is_absolute() \
            or ".." in Path(rel).parts:
        raise ValueError(rel)
    return rel


@contextmanager
def _turn(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock (an advisory lock on the folder itself, released by the system
    if the process dies; without one, as on Windows, writers are not kept apart)."""
    try:
        import fcntl
        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)

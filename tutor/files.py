"""Writing output files whole or not at all, with the permissions the user's umask gives.

Every file the tutor writes (plots, CSV, DOT, worksheets, keys) goes through here: the data
goes to a hidden temporary file beside the target, which is renamed over the target only when
it is complete, so an interrupted run never leaves half a file.  ``tempfile`` makes that
temporary file private (0600); it is opened up to what ``open()`` would have given (0666 less
the umask) before the rename, so a plot is as readable as any other file the user makes.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence


def umask_mode(base: int = 0o666) -> int:
    """``base`` less the process's umask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """A temporary path beside ``path`` (same suffix) to write to; moved onto ``path`` when
    the block ends without an exception, removed otherwise."""
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
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


#: a temporary file of ours older than this, left by a run that was killed, is removed
STALE_SECONDS = 600


@contextmanager
def atomic_paths(paths: Sequence[str | os.PathLike]) -> Iterator[list[str]]:
    """Temporary paths beside each of ``paths``, all moved onto their targets together when
    the block ends without an exception, none of them otherwise: a set of files (a plot and its
    -fit and -landscape companions) is replaced as one, never left half old and half new by a
    failure.  Temporary files a killed run left beside the targets are removed first."""
    targets = [os.path.abspath(os.fspath(p)) for p in paths]
    for target in targets:
        _remove_stale(target)
    temps: list[str] = []
    try:
        for target in targets:
            fd, tmp = tempfile.mkstemp(suffix=os.path.splitext(target)[1],
                                       dir=os.path.dirname(target),
                                       prefix=_prefix(target))
            os.close(fd)
            temps.append(tmp)
        yield list(temps)
        mode = umask_mode()
        for tmp in temps:
            os.chmod(tmp, mode)
        for tmp, target in zip(temps, targets):
            os.replace(tmp, target)
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _prefix(target: str) -> str:
    return f".tutor-{os.path.basename(target)}-"


def _remove_stale(target: str) -> None:
    folder, prefix = os.path.dirname(target), _prefix(target)
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if time.time() - os.path.getmtime(path) > STALE_SECONDS:
                os.unlink(path)
        except OSError:
            pass

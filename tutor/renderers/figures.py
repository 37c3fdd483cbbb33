"""Saving matplotlib figures: whole or not at all, in the format each suffix names, one file or
a set of files replaced together."""

from __future__ import annotations

import os
from typing import Sequence

from tutor.files import atomic_path, file_set


def draw_to(fig, tmp: str, path: str) -> None:
    """Draw ``fig`` into the file ``tmp`` in the format ``path``'s suffix names."""
    fig.savefig(tmp, format=os.path.splitext(path)[1][1:].lower(), bbox_inches="tight")


def save_figure(fig, path: str) -> None:
    """Write ``fig`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        draw_to(fig, tmp, path)


def save_figures(pairs: Sequence[tuple[object, str]], *, remove: Sequence[str] = ()) -> None:
    """Write each (figure, path), all in one folder, as one set (:func:`tutor.files.file_set`):
    the files are replaced together or not at all, and the files in ``remove`` (an earlier
    set's that this one has no figure for) go with them."""
    folder = os.path.dirname(os.path.abspath(pairs[0][1]))
    names = [os.path.basename(path) for _, path in pairs]
    # every companion this set has no figure for is named, whether it is there now or not:
    # another run may write one while this one waits for its turn in the folder
    gone = [os.path.basename(path) for path in remove]
    with file_set(folder, names, remove=gone) as staged:
        for (fig, path), name in zip(pairs, names):
            draw_to(fig, staged[name], path)

"""Saving matplotlib figures: whole or not at all, in the format each suffix names, one file or
a set of files replaced together."""

from __future__ import annotations

import os
from typing import Sequence

from tutor.files import atomic_path, atomic_paths


def draw_to(fig, tmp: str, path: str) -> None:
    """Draw ``fig`` into the file ``tmp`` in the format ``path``'s suffix names."""
    fig.savefig(tmp, format=os.path.splitext(path)[1][1:].lower(), bbox_inches="tight")


def save_figure(fig, path: str) -> None:
    """Write ``fig`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        draw_to(fig, tmp, path)


def save_figures(pairs: Sequence[tuple[object, str]]) -> None:
    """Write each (figure, path) so that the files are replaced together, or none is."""
    with atomic_paths([path for _, path in pairs]) as temps:
        for (fig, path), tmp in zip(pairs, temps):
            draw_to(fig, tmp, path)

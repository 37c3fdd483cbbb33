"""Saving a matplotlib figure: whole or not at all, in the format its suffix names."""

from __future__ import annotations

import os

from tutor.files import atomic_path


def save_figure(fig, path: str) -> None:
    """Write ``fig`` to ``path`` atomically, in the format the suffix names."""
    suffix = os.path.splitext(path)[1]
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix[1:].lower(), bbox_inches="tight")

"""The terminal every text renderer writes to: rich's Console, with trailing spaces trimmed.

rich pads table cells to their column's width; on a screen the padding is invisible, but piped
into a file every line would end in spaces.  Complete lines lose their trailing spaces on the
way out; a partial line (a prompt) is written as it is when the output is flushed.
"""

from __future__ import annotations

import io
import sys

from rich.console import Console


class _Trimmed(io.TextIOBase):
    """Writes to the current ``sys.stdout`` (or ``sys.stderr``), each line's end trimmed."""

    def __init__(self, stderr: bool = False):
        self.stderr = stderr
        self.pending = ""

    @property
    def stream(self):
        return sys.stderr if self.stderr else sys.stdout

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.stream.write(line.rstrip(" ") + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.stream.write(self.pending)
            self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")


def console(*, stderr: bool = False) -> Console:
    """A Console for the renderers' output (standard error with ``stderr``)."""
    # in a notebook too it writes text (rich would show HTML of its own there)
    return Console(highlight=False, file=_Trimmed(stderr), force_jupyter=False)

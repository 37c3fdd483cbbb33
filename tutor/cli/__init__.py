"""The ``tutor`` command line: one module per command, each a thin function that turns its
options into a call of the library and hands the result to a renderer.

:mod:`tutor.cli.base` holds the group and its error handling, :mod:`tutor.cli.options` what
several commands read the same way; importing this package registers every command.
"""

from tutor.cli.base import main
from tutor.cli import (backprop, check, descend, explain, gradcheck, grade, matrix,  # noqa: F401
                       quiz, train, worksheet)

__all__ = ["main"]

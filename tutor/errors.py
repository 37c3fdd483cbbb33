"""Errors that are the user's to fix.

Everything a user types or points at (an expression, a lesson file, a number, a path) is
checked at the door.  A problem there raises :class:`TutorError`; the command line shows its
message as one line and exits with code 2.  Anything else escaping the engine is a bug.
"""

from __future__ import annotations

from tutor.i18n import _


class TutorError(Exception):
    """A problem with the user's input, worded for the user."""

    def detail_lines(self) -> list[str]:
        """Extra lines shown under the message (a caret under an expression, say)."""
        return []


class ExpressionError(TutorError):
    """An expression that cannot be read; knows where in the text the problem is."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.message = message
        self.text = text
        self.position = position
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return self.message + _(" (at column {column})").format(column=self.position + 1)

    def detail_lines(self) -> list[str]:
        if self.position is None or not self.text or len(self.text) > 200 or "\n" in self.text:
            return []
        return ["  " + self.text, "  " + " " * self.position + "^"]


class LessonError(TutorError):
    """A lesson that cannot be found or whose file is malformed."""


class ParameterError(TutorError):
    """A value given for one parameter is wrong.

    The message is a template with ``{param}`` where the parameter is named, so that each front
    end names it in its own way: a Python caller reads the parameter (``batch_size``), the
    command line its option (``--batch-size``).

    A message may name other parameters too: each of ``others`` is a field of the template
    (``{expr}``), filled with that parameter's name as the front end calls it.
    """

    def __init__(self, param: str, template: str, *, others: tuple[str, ...] = (), **values):
        self.param, self.template, self.values, self.others = param, template, values, others
        super().__init__(str(self))

    def naming(self, name: str) -> str:
        """The message with the parameter called ``name`` (the others by their own names)."""
        return self.called(lambda p: name if p == self.param else p)

    def called(self, how) -> str:
        """The message with every parameter it names called ``how(parameter)``."""
        names = {other: how(other) for other in self.others}
        return self.template.format(param=how(self.param), **names, **self.values)

    def __str__(self) -> str:
        return self.called(lambda p: p)

"""What several requests read alike, said once: the lesson's source (a lesson's name, an
expression or a lesson file, with a size), values at a point, one output picked by name, and
parameters that do not go together."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from tutor.errors import ParameterError
from tutor.i18n import N_, _
from tutor.numbers import number_list

ONE_SOURCE = N_("name one lesson, or give {expr} TEXT, or {lesson_file} FILE (see 'tutor list')")


@dataclass(frozen=True)
class Source:
    """Where a request's lesson comes from: exactly one of a lesson (its name, or a Lesson
    already loaded), an expression and a lesson file; ``size`` only with an indexed lesson."""

    lesson: Any
    expr: str | None
    lesson_file: str | None
    size: int | None = None

    def require_one(self, template: str = ONE_SOURCE, others=("expr", "lesson_file")) -> "Source":
        given = [s for s in (self.lesson, self.expr, self.lesson_file) if s is not None]
        if len(given) != 1:
            raise ParameterError("lesson", _(template), others=others)
        if self.expr is not None and self.size is not None:
            raise ParameterError("size", _("{param} goes with an indexed lesson, not with {expr}"),
                                 others=("expr",))
        for param in ("expr", "lesson_file"):
            value = getattr(self, param)
            if value is not None and not isinstance(value, str):
                raise ParameterError(param, _("{param} must be text, not {value}"),
                                     value=type(value).__name__)
        if self.size is not None and (isinstance(self.size, bool) or not isinstance(self.size, int)):
            raise ParameterError("size", _("{param} must be a whole number, not {value}"),
                                 value=repr(self.size))
        return self

    def load(self, from_expression: Callable[[str], object] | None):
        """The lesson: built from the expression by ``from_expression``, or loaded by name or
        from a file (at ``size``)."""
        from tutor.explaining.lesson import Lesson, load_lesson, load_lesson_file

        if self.expr is not None and from_expression is not None:
            return from_expression(self.expr)
        if isinstance(self.lesson, Lesson):
            return self.lesson
        if self.lesson is not None:
            if not isinstance(self.lesson, str):
                raise ParameterError("lesson", _("{param} must be a lesson's name, not {value}"),
                                     value=type(self.lesson).__name__)
            return load_lesson(self.lesson, size=self.size)
        return load_lesson_file(self.lesson_file, size=self.size)


def names(value, param: str) -> list[str]:
    """One name or several (``"w"``, ``["w", "b"]``; symbols are taken by their names)."""
    if value is None:
        return []
    if isinstance(value, str) or hasattr(value, "name"):
        items = [value]
    elif hasattr(value, "__iter__"):
        items = list(value)
    else:
        raise ParameterError(param, _("{param}: {value} is not a name"), value=repr(value))
    out = []
    for item in items:
        name = getattr(item, "name", item)
        if not isinstance(name, str):
            raise ParameterError(param, _("{param}: {value} is not a name"), value=repr(item))
        out.append(name)
    return out


def output_index(output_names: list[str], name: str | None, param: str, template: str) -> int:
    """The position of the output called ``name`` (0 without one); ``template`` has {param},
    {name} and {names}."""
    if name is None:
        return 0
    if name not in output_names:
        raise ParameterError(param, template, name=name, names=", ".join(output_names))
    return output_names.index(name)


def refuse(given: Mapping[str, object], template: str, *, others=(), **values) -> None:
    """One line naming the first of the ``given`` parameters that has a value, when any has."""
    for param, value in given.items():
        if value:
            raise ParameterError(param, template, others=others, **values)


# -- values given from Python ----------------------------------------------------------------
def _number(value, param: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise ParameterError(param, _("{param} {name}: {value} is not a number"), name=name,
                             value=repr(value))
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError(param, _("{param} {name}: {value} is not a finite number"),
                             name=name, value=repr(value))
    return v


def point(values: Mapping[str, object] | None, param: str = "at") -> dict[str, object]:
    """Values by name, as a Python caller gives them: a number, a list of numbers (a batch) or
    rows of numbers (a family's members, one row per sample); arrays are read as lists.  The
    shape the command line's ``name=1,2;3,4`` gives."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ParameterError(param, _("{param}: give a dict of names and values, like "
                                      "{param}={example}"), example="{'z': [-2, 0, 2]}")
    out: dict[str, object] = {}
    for name, value in values.items():
        if not isinstance(name, str):
            raise ParameterError(param, _("{param}: {value} is not a name"), value=repr(name))
        if hasattr(value, "tolist"):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            if not value:
                raise ParameterError(param, _("{param} {name}: no values"), name=name)
            if all(isinstance(v, (list, tuple)) or hasattr(v, "tolist") for v in value):
                rows = [[_number(x, param, name) for x in (r.tolist() if hasattr(r, "tolist") else r)]
                        for r in value]
                if len({len(r) for r in rows}) != 1:
                    raise ParameterError(param, _("{param} {name}: every row needs the same "
                                                  "number of values"), name=name)
                out[name] = rows if len(rows) > 1 else rows[0]
            else:
                numbers = [_number(v, param, name) for v in value]
                out[name] = numbers[0] if len(numbers) == 1 else numbers
        else:
            out[name] = _number(value, param, name)
    return out


def bounded(param: str, value, kind: type, test: Callable[[float], bool], template: str):
    """``value`` as ``kind`` when it is finite and passes ``test``; otherwise one line from
    ``template`` ({param}, {value}).  The command line's option types check with the same."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            number = kind(str(value).strip())
        except ValueError:
            raise ParameterError(param, _("{param}: {value} is not a number"),
                                 value=repr(value)) from None
    else:
        number = value
    if kind is int and isinstance(number, float):
        if not number.is_integer():
            raise ParameterError(param, _("{param} must be a whole number, not {value}"),
                                 value=repr(value))
        number = int(number)
    number = kind(number) if math.isfinite(number) else number
    if not (math.isfinite(number) and test(number)):
        shown = f"{number:g}" if isinstance(number, float) else str(number)
        raise ParameterError(param, _(template), value=shown)
    return number


def number_values(param: str, value, *, rows: bool = False):
    """``"2,-3.4"`` or [2, -3.4] → [2.0, -3.4]; with rows, ``"1,2;3,4"`` or [[1, 2], [3, 4]]."""
    if isinstance(value, str):
        parts = [number_list(row, "{param}", param=param) for row in value.split(";")]
        if rows and ";" in value:
            if len({len(r) for r in parts}) != 1:
                raise ParameterError(param, _("{param}: every row (between ;) needs the same "
                                              "number of values"))
            return parts
        if ";" in value:
            raise ParameterError(param, _("{param}: {value} is not a number"), value=repr(value))
        return parts[0]
    got = point({param: value}, param)[param]
    return got if isinstance(got, list) else [got]

"""Lists of numbers typed on the command line, such as ``1,2,3`` after ``--at x=`` or
``--data x=``: each one a finite float, or one clear error naming where it was typed.
Light on purpose (no NumPy): ``tutor explain`` reads its ``--at`` values with it."""

from __future__ import annotations

import math

from tutor.errors import ParameterError, TutorError
from tutor.i18n import _


def number_list(text: str, where: str, *, param: str | None = None) -> list[float]:
    """The comma-separated numbers of ``text``; ``where`` (``--at x``) starts any message.  With
    ``param``, ``where`` may name it as ``{param}`` and a problem is a :class:`ParameterError`."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        try:
            v = float(part)
        except ValueError:
            _refuse(_("{where}: {value} is not a number"), where, param, repr(part))
        if not math.isfinite(v):
            _refuse(_("{where}: {value} is not a finite number"), where, param, repr(part))
        values.append(v)
    return values


def _refuse(template: str, where: str, param: str | None, value: str):
    if param is None:
        raise TutorError(template.format(where=where, value=value)) from None
    raise ParameterError(param, template.replace("{where}", where), value=value) from None

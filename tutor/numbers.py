"""Lists of numbers typed on the command line, such as ``1,2,3`` after ``--at x=`` or
``--data x=``: each one a finite float, or one clear error naming where it was typed.
Light on purpose (no NumPy): ``tutor explain`` reads its ``--at`` values with it."""

from __future__ import annotations

import math

from tutor.errors import TutorError
from tutor.i18n import _


def number_list(text: str, where: str) -> list[float]:
    """The comma-separated numbers of ``text``; ``where`` (``--at x``) starts any message."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        try:
            v = float(part)
        except ValueError:
            raise TutorError(_("{where}: {value} is not a number")
                             .format(where=where, value=repr(part))) from None
        if not math.isfinite(v):
            raise TutorError(_("{where}: {value} is not a finite number")
                             .format(where=where, value=repr(part)))
        values.append(v)
    return values

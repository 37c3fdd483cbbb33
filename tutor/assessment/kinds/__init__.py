"""The kinds of worksheet problem, one module each, in the order a sheet mixes them.

Each module defines a :class:`~tutor.assessment.kinds.base.Kind` (``KIND``): its names, the
lessons that offer it, how it makes a problem, states it, answers it in the key and grades a
student's answer.  Adding a kind is adding a module here and its name to ``_MODULES``; the
worksheet, the key, the grader, the renderers and ``tutor worksheet --kind`` take it from
:data:`KINDS`.
"""

from tutor.assessment.kinds import (backward, derive, evaluate, gd_step, matrix_gradient,
                                    mistake)
from tutor.assessment.kinds.base import Kind

_MODULES = (derive, evaluate, gd_step, backward, mistake, matrix_gradient)

#: every kind by name, in the order used to mix kinds on a sheet
KINDS: dict[str, Kind] = {m.KIND.name: m.KIND for m in _MODULES}

__all__ = ["KINDS", "Kind"]

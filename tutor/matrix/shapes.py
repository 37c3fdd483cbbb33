"""Shapes, sizes and the random matrices every step is checked on.

A shape is written ``n,d`` (an n×d matrix), ``d`` (a vector) or nothing (a scalar); a size is
a letter with a small concrete value for the checks (``n=4,d=3``).  Sizes not given get
distinct small defaults, so that a transposed or misplaced factor cannot hide behind two equal
sizes.  A variable may say what its entries are: ``normal`` (the default), ``positive`` (for a
log or a square root), ``prob`` (between 0 and 1), ``binary`` (0 or 1), ``onehot`` (rows of
one-hot labels) or ``spd`` (a symmetric positive definite matrix, for an inverse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from tutor.errors import ParameterError, TutorError
from tutor.i18n import _
from tutor.matrix.tree import Dims, shape_text

KINDS = ("normal", "positive", "prob", "binary", "onehot", "spd")
#: the defaults: distinct, small, and the usual letters where one expects them
DEFAULT_SIZES = {"n": 5, "d": 3, "k": 4, "m": 2, "h": 6, "p": 7, "q": 8}
MAX_SIZE = 20
_LETTER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")


@dataclass
class Declared:
    """The names of a problem with their shapes and the kind of their entries."""

    shapes: dict[str, Dims] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def letters(self) -> list[str]:
        seen = []
        for shape in self.shapes.values():
            for d in shape:
                if not d.isdigit() and d not in seen:
                    seen.append(d)
        return seen

    def add(self, name: str, shape: Dims, kind: str = "normal", *, param: str = "shape"):
        if not _LETTER.fullmatch(name):
            raise ParameterError(param, _("{param} {name}: a name is a letter followed by "
                                          "letters, digits or _"), name=name)
        if name in self.shapes:
            raise ParameterError(param, _("{param} {name} is given twice"), name=name)
        if len(shape) > 2:
            raise ParameterError(param, _("{param} {name}: at most two sizes (a matrix)"), name=name)
        for d in shape:
            if not (_LETTER.fullmatch(d) or (d.isdigit() and 1 <= int(d) <= MAX_SIZE)):
                raise ParameterError(param, _("{param} {name}: '{size}' is not a size; write "
                                              "letters like n,d or numbers from 1 to {most}"), name=name, size=d, most=MAX_SIZE)
        if kind not in KINDS:
            raise ParameterError(param, _("{param} {name}: unknown kind '{kind}'; known: "
                                          "{kinds}"), name=name, kind=kind,
                                                            kinds=", ".join(KINDS))
        if kind == "onehot" and len(shape) != 2:
            raise ParameterError(param, _("{param} {name}: one-hot labels are a matrix "
                                          "(samples × classes)"), name=name)
        if kind == "spd" and (len(shape) != 2 or shape[0] != shape[1]):
            raise ParameterError(param, _("{param} {name}: a symmetric positive definite "
                                          "matrix is square"), name=name)
        self.shapes[name] = tuple(shape)
        self.kinds[name] = kind
        clash = set(self.shapes) & set(self.letters)
        if clash:
            raise ParameterError(param, _("{param}: '{name}' is both a name and a size"), name=sorted(clash)[0])


def parse_shape(text: str, declared: Declared, param: str = "shape") -> None:
    """``X=n,d``, ``w=d``, ``b=`` (a scalar), ``Y=n,k:onehot`` → declared."""
    name, sep, rest = text.partition("=")
    if not sep:
        raise ParameterError(param, _("{param} {item}: write NAME=SIZES, like X=n,d (or b= "
                                      "for a scalar)"), item=repr(text))
    dims, _colon, kind = rest.partition(":")
    shape = tuple(d.strip() for d in dims.split(",")) if dims.strip() else ()
    if any(not d for d in shape):
        raise ParameterError(param, _("{param} {item}: an empty size"), item=repr(text))
    declared.add(name.strip(), shape, kind.strip() or "normal", param=param)


def parse_sizes(texts: Iterable[str], letters: list[str], param: str = "size") -> dict[str, int]:
    """``n=4,d=3`` (one or several) → {n: 4, d: 3}; every letter of the shapes gets a value,
    distinct defaults for the rest."""
    given: dict[str, int] = {}
    for text in texts:
        for item in text.split(","):
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or not value.strip().isdigit():
                raise ParameterError(param, _("{param} {item}: write LETTER=NUMBER, like "
                                              "n=4,d=3"), item=repr(item.strip()))
            if name not in letters:
                shown = ", ".join(letters) if letters else "—"
                raise ParameterError(param, _("{param} {name}: not a size of these shapes "
                                              "(sizes: {letters})"), name=name,
                                                                          letters=shown)
            if name in given:
                raise ParameterError(param, _("{param} {name} is given twice"), name=name)
            number = int(value)
            if not 1 <= number <= MAX_SIZE:
                raise ParameterError(param, _("{param} {name}={value}: a size is from 1 to "
                                              "{most}"), name=name, value=number,
                                                               most=MAX_SIZE)
            given[name] = number
    return default_sizes(letters, given)


def default_sizes(letters: Iterable[str], given: Mapping[str, int] | None = None) -> dict[str, int]:
    sizes = dict(given or {})
    used = set(sizes.values())
    for letter in letters:
        if letter in sizes:
            continue
        value = DEFAULT_SIZES.get(letter)
        if value is None or value in used:
            value = next(v for v in range(2, 100) if v not in used)
        sizes[letter] = value
        used.add(value)
    return sizes


def concrete(shape: Dims, sizes: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(int(d) if d.isdigit() else sizes[d] for d in shape)


def sample(declared: Declared, sizes: Mapping[str, int], seed: int = 0,
           scalars: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Random entries of every declared name (and of the scalars named), by their kind."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(set(declared.shapes) | set(scalars)):
        shape = concrete(declared.shapes.get(name, ()), sizes)
        kind = declared.kinds.get(name, "normal")
        out[name] = _draw(rng, kind, shape)
    return out


def _draw(rng, kind: str, shape) -> np.ndarray:
    if kind == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "prob":
        return rng.uniform(0.1, 0.9, shape)
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(np.float64)
    if kind == "onehot":
        out = np.zeros(shape)
        out[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = 1.0
        return out
    if kind == "spd":
        m = rng.normal(size=shape)
        return m @ m.T / shape[0] + np.eye(shape[0])
    return rng.normal(size=shape)


def describe(declared: Declared) -> str:
    """X n×d, w d, b scalar: the shapes as one line."""
    return ", ".join(f"{name} {shape_text(shape) if shape else _('scalar')}"
                     for name, shape in declared.shapes.items())


def given_values(values: Mapping[str, object], declared: Declared, scalars: Iterable[str],
                 sizes: Mapping[str, int] | None = None,
                 param: str = "at") -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Numbers given for some names: checked against their shapes, and the sizes they fix
    (a given X of 4 rows makes n = 4).  Returns (sizes fixed, arrays)."""
    fixed = dict(sizes or {})
    scalars = set(scalars)
    out = {}
    for name, v in values.items():
        if name not in declared.shapes and name not in scalars:
            raise ParameterError(param, _("{param} {name}: no such name here"), name=name)
        a = np.asarray(v, dtype=np.float64)
        shape = declared.shapes.get(name, ())
        if a.ndim != len(shape):
            raise ParameterError(param, _("{param} {name}: {name} is {shape}; give {count} "
                                          "(the rows of a matrix separated by ;)"), name=name,
                                 shape=shape_text(shape) if shape else _("scalar"),
                                 count=[_("one number"), _("a list of numbers"),
                                        _("rows of numbers")][len(shape)])
        for dim, got in zip(shape, a.shape):
            want = int(dim) if dim.isdigit() else fixed.get(dim)
            if want is not None and want != got:
                raise ParameterError(param, _("{param} {name}: {got} entries where the size "
                                              "{dim} is {want}"), name=name, got=got, dim=dim,
                                     want=want)
            if not dim.isdigit():
                if not 1 <= got <= MAX_SIZE:
                    raise ParameterError(param, _("{param} {name}: a size is from 1 to {most}"),
                                         name=name, most=MAX_SIZE)
                fixed[dim] = got
        out[name] = a
    return fixed, out

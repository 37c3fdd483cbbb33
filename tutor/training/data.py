"""Training data: a CSV file with a header row, a NumPy .npz archive, literal columns typed
on the command line (``x=1,2,3``), or synthetic data from known true parameters.

Every array is float64, checked finite, with the samples on the first axis.  Columns are
named after the model's symbols: ``x`` for one feature (or an (n, m) array in a .npz),
``x1 … xm`` (or ``x_1 … x_m``) for several, ``y`` for the target.
"""

from __future__ import annotations

import csv
import math
import re
import zipfile
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from tutor.errors import ParameterError, TutorError
from tutor.files import cannot_read, unreadable
from tutor.i18n import _
from tutor.numbers import number_list

MAX_LITERAL_VALUES = 100_000
#: the most numbers a data file may hold (80 MB as float64), like synthetic data
MAX_FILE_VALUES = 10_000_000
#: the longest line of a CSV file, in characters (a line of 10⁸ columns is refused at once)
MAX_LINE = 1_000_000
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")


class DataError(TutorError):
    """A problem with the training data."""


def _finite(name: str, arr: np.ndarray, where: str) -> np.ndarray:
    if arr.size == 0:
        raise DataError(_("{where}: '{name}' has no values").format(where=where, name=name))
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(_("{where}: '{name}' has a value that is not a finite number "
                          "(NaN or infinity) at row {row}").format(where=where, name=name,
                                                                   row=row + 1))
    return arr


def parse_literal(item: str) -> tuple[str, np.ndarray]:
    """``x=1,2,3`` → ("x", array([1., 2., 3.]))."""
    name, _sep, numbers = item.partition("=")
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise ParameterError("data", _("{param} {item}: write name=v1,v2,… (like {param} "
                                       "x=1,2,3) or a file name"), item=repr(item))
    if numbers.count(",") >= MAX_LITERAL_VALUES:
        raise ParameterError("data", _("{param} {name}: at most {count} values; use a file for "
                                       "more"), name=name, count=MAX_LITERAL_VALUES)
    return name, np.array(number_list(numbers, "{param} " + name, param="data"))


def _lines(fh, where: str):
    """The file's lines, each at most MAX_LINE characters (refused past it, before it is read
    whole) and free of NUL bytes, and at most MAX_FILE_VALUES cells in all."""
    cells = 0
    for k in range(1, 1 << 62):
        line = fh.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE:
            raise DataError(_("{where}: line {line} is longer than {most} characters")
                            .format(where=where, line=k, most=f"{MAX_LINE:,}"))
        if "\0" in line:
            raise DataError(_("{where}: line {line} holds a NUL byte; a data file is text (is it "
                              "a binary file?)").format(where=where, line=k))
        cells += line.count(",") + 1
        if cells > MAX_FILE_VALUES:
            raise DataError(_("{where}: more than {most} values; a data file holds at most that "
                              "many").format(where=where, most=f"{MAX_FILE_VALUES:,}"))
        yield line


#: the data rows are converted this many characters at a time, so memory stays near the size
#: of the numbers themselves
CHUNK = 1 << 20


def read_csv(path: Path) -> dict[str, np.ndarray]:
    where = _("data file {path}").format(path=path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # a spreadsheet's BOM is fine
            lines = _lines(fh, where)
            header, first = _header(lines, where)
            blocks = []
            for number, chunk in _chunks(lines, first + 1):
                blocks.append(_numbers(chunk, number, header, where))
    except UnicodeDecodeError:
        raise DataError(_("{where}: is not text in UTF-8 (a binary file, or another encoding)")
                        .format(where=where)) from None
    except (OSError, csv.Error) as exc:
        raise DataError(cannot_read(where, exc)) from None
    values = np.concatenate(blocks) if blocks else np.empty((0, len(header)))
    if not len(values):
        raise DataError(_("{where}: has a header but no data rows").format(where=where))
    return {h: values[:, j].copy() for j, h in enumerate(header)}


def _header(lines, where: str) -> tuple[list[str], int]:
    """The names in the first row that is not blank, and its line number."""
    for number, line in enumerate(lines, start=1):
        row = next(csv.reader([line]), [])
        if not any(c.strip() for c in row):
            continue
        header = [h.strip() for h in row]
        for h in header:
            if not _NAME.fullmatch(h):
                raise DataError(_("{where}: header {name} is not a column name; the first row "
                                  "must name the columns (like x1,x2,y)").format(where=where,
                                                                                 name=repr(h)))
        if len(set(header)) != len(header):
            raise DataError(_("{where}: a column name appears twice in the header")
                            .format(where=where))
        return header, number
    raise DataError(_("{where}: is empty; it needs a header row naming the columns")
                    .format(where=where))


def _chunks(lines, number: int):
    """(line number of the first, lines) for the lines in pieces of about CHUNK characters."""
    chunk, size = [], 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size >= CHUNK:
            yield number, chunk
            number, chunk, size = number + len(chunk), [], 0
    if chunk:
        yield number, chunk


def _numbers(chunk: list[str], number: int, header: list[str], where: str) -> np.ndarray:
    """The rows of ``chunk`` (its first line is line ``number``) as an array of finite numbers:
    NumPy's reader first; where it objects, or finds a value that is not finite, the rows are
    read again one cell at a time to say which line and column is wrong."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a chunk of blank lines: no data, no warning
            values = np.loadtxt(chunk, delimiter=",", comments=None, ndmin=2, dtype=np.float64)
        if values.shape[1:] == (len(header),) and np.isfinite(values).all():
            return values
    except ValueError:
        pass
    return _numbers_by_cell(chunk, number, header, where)


def _numbers_by_cell(chunk, number, header, where) -> np.ndarray:
    rows = []
    reader = csv.reader(chunk)
    for row in reader:
        line = number + reader.line_num - 1
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(_("{where}: line {line} has {count} values, the header has "
                              "{expected} (a ragged file)").format(where=where, line=line,
                                                                   count=len(row),
                                                                   expected=len(header)))
        values = []
        for cell, column in zip(row, header):
            try:
                value = float(cell)
            except ValueError:
                raise DataError(_("{where}: line {line}, column '{column}': {value} "
                                  "is not a number").format(where=where, line=line, column=column,
                                                            value=repr(cell.strip()))) from None
            if not math.isfinite(value):
                raise DataError(_("{where}: line {line}, column '{column}': {value} "
                                  "is not a finite number").format(where=where, line=line,
                                                                   column=column,
                                                                   value=repr(cell.strip())))
            values.append(value)
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(header))


#: the most arrays a .npz data file may hold, and the largest its zip directory may be
MAX_ARRAYS = 1000
MAX_DIRECTORY = 1 << 20


def _check_directory(path: Path, where: str) -> None:
    """Before the zip directory is read: the end of the archive says how many members it has
    and how large its directory is; an archive of more than MAX_ARRAYS members, or one that
    needs the 64-bit extension (beyond 4 GB or 65,535 members), is refused from these few
    bytes (otherwise a file of a million empty members takes seconds and a gigabyte to list)."""
    import struct

    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - (22 + 65535)))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return  # not a zip archive: zipfile says so
    _sig, _disk, _first, _here, members, directory, _offset, _note = struct.unpack(
        "<4s4H2LH", tail[at:at + 22])
    zip64 = at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07"
    if zip64 or members > MAX_ARRAYS or directory > MAX_DIRECTORY:
        raise DataError(_("{where}: holds more than {most} arrays; a data file holds at most "
                          "that many").format(where=where, most=f"{MAX_ARRAYS:,}"))


def _check_archive(path: Path, where: str) -> None:
    """Before NumPy reads anything: a real zip whose members are .npy arrays of numbers, none
    claiming or unpacking to more than MAX_FILE_VALUES numbers (8 bytes each) in all (a header
    that claims 10¹⁰ elements, or a zip bomb, is refused from the archive's directory and the
    headers)."""
    from numpy.lib import format as npy

    _check_directory(path, where)
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > 8 * MAX_FILE_VALUES + 4096 * len(members):
            raise DataError(_("{where}: unpacks to more than {most} numbers; a data file "
                              "holds at most that many").format(
                where=where, most=f"{MAX_FILE_VALUES:,}"))
        total = size = 0
        for m in members:
            if not m.filename.endswith(".npy"):
                raise DataError(_("{where}: member '{name}' is not a NumPy array (.npy)")
                                .format(where=where, name=m.filename))
            name = m.filename[:-4]
            with archive.open(m) as fh:
                version = npy.read_magic(fh)
                read_header = (npy.read_array_header_1_0 if version == (1, 0) else
                               npy.read_array_header_2_0)
                shape, _fortran, dtype = read_header(fh)
                start = fh.tell()
            if dtype.hasobject:
                raise DataError(_("{where}: array '{name}' holds Python objects, which are "
                                  "never loaded").format(where=where, name=name))
            if dtype.kind not in "biuf":
                raise DataError(_("{where}: array '{name}' is not numeric ({dtype})")
                                .format(where=where, name=name, dtype=dtype))
            count = int(np.prod(shape, dtype=np.float64))
            total += count
            size += count * dtype.itemsize
            if total > MAX_FILE_VALUES or size > 8 * MAX_FILE_VALUES:
                raise DataError(_("{where}: more than {most} values; a data file holds at "
                                  "most that many").format(
                    where=where, most=f"{MAX_FILE_VALUES:,}"))
            if m.file_size < start + count * dtype.itemsize:
                raise DataError(_("{where}: array '{name}' is shorter than its header says "
                                  "(a damaged file)").format(where=where, name=name))


def _archive_problem(exc: BaseException) -> str:
    """What went wrong reading an archive, in a few words."""
    import zlib

    if isinstance(exc, NotImplementedError):
        return _("compressed by a method that cannot be read")
    if isinstance(exc, RuntimeError):
        return _("encrypted")
    if isinstance(exc, MemoryError):
        return _("too large for memory")
    if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile) and exc.strerror:
        return exc.strerror
    if isinstance(exc, zipfile.BadZipFile) and "not a zip file" in str(exc):
        return _("not a zip archive")
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError)):
        return _("damaged")
    return exc.__class__.__name__


def read_npz(path: Path) -> dict[str, np.ndarray]:
    import zlib

    where = _("data file {path}").format(path=path)
    try:
        _check_archive(path, where)
        with np.load(path, allow_pickle=False) as archive:
            out = {}
            for name in archive.files:
                arr = archive[name]
                if arr.ndim not in (1, 2):
                    raise DataError(_("{where}: array '{name}' has {count} dimensions; "
                                      "give 1-D columns or 2-D (samples × features) arrays")
                                    .format(where=where, name=name, count=arr.ndim))
                out[name] = _finite(name, arr.astype(np.float64), where)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, RuntimeError, MemoryError) as exc:
        raise DataError(_("{where}: not a readable .npz archive ({problem})")
                        .format(where=where, problem=_archive_problem(exc))) from None
    if not out:
        raise DataError(_("{where}: holds no arrays").format(where=where))
    return out


def read_file(text: str) -> dict[str, np.ndarray]:
    path = Path(text)
    problem = unreadable(path, _("data file {path}").format(path=text))
    if problem:
        raise DataError(problem)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".npz":
        return read_npz(path)
    raise DataError(_("data file {path}: the name must end in .csv or .npz").format(path=text))


def read_data(items: Sequence[str]) -> dict[str, np.ndarray]:
    """The ``--data`` options, each a file (.csv, .npz) or literal values ``name=v1,v2,…``."""
    data: dict[str, np.ndarray] = {}
    for item in items:
        literal = "=" in item and not _is_file(item)
        new = dict([parse_literal(item)]) if literal else read_file(item)
        for name, arr in new.items():
            if name in data:
                raise ParameterError("data", _("{param}: '{name}' is given twice"), name=name)
            data[name] = arr
    return data


def gather(data: Mapping[str, np.ndarray], groups: Mapping[str, int | None],
           *, optional: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """The arrays a model needs, by group name, with the sample counts checked equal.

    ``groups`` maps a name to its number of members (None for a scalar symbol, whose data
    may still be a 2-D array of features).  A family ``x`` may come as an array ``x`` or as
    columns ``x1 … xm`` / ``x_1 … x_m``.  Names the model does not use are refused.
    """
    out: dict[str, np.ndarray] = {}
    used: set[str] = set()
    for name, members in groups.items():
        if name in data:
            out[name] = np.asarray(data[name], dtype=np.float64)
            used.add(name)
            continue
        pattern = re.compile(rf"{re.escape(name)}_?([0-9]+)")
        cols = sorted(((int(m.group(1)), key) for key in data
                       if (m := pattern.fullmatch(key))), key=lambda t: t[0])
        if cols:
            numbers = [k for k, _ in cols]
            if numbers != list(range(1, len(cols) + 1)):
                raise DataError(_("data: columns {columns} must be numbered from 1 without gaps "
                                  "({name}1, {name}2, …)")
                                .format(columns=", ".join(k for _n, k in cols), name=name))
            if any(np.asarray(data[k]).ndim != 1 for _n, k in cols):
                raise DataError(_("data: the columns {name}1, {name}2, … must be 1-D")
                                .format(name=name))
            out[name] = np.column_stack([np.asarray(data[k], dtype=np.float64) for _, k in cols])
            used.update(k for _, k in cols)
            continue
        if name in optional:
            continue
        have = ", ".join(sorted(data)) or _("nothing")
        raise DataError(_("data: no values for '{name}' (the model needs {names}; the data "
                          "has {have})").format(name=name, names=", ".join(groups), have=have))
    extra = sorted(set(data) - used)
    if extra:
        raise DataError(_("data: the model has no variable '{name}'; it needs {names}")
                        .format(name=extra[0], names=", ".join(groups)))
    lengths = {name: arr.shape[0] for name, arr in out.items()}
    if len(set(lengths.values())) > 1:
        sizes = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise DataError(_("data: the columns have different lengths ({sizes})").format(sizes=sizes))
    for name, arr in out.items():
        _finite(name, arr, _("data"))
        if arr.ndim > 2:
            raise DataError(_("data: '{name}' must be 1-D or 2-D (samples × features)")
                            .format(name=name))
    return out


def synthetic(kind: str, *, true_w: np.ndarray, true_b: np.ndarray, samples: int, noise: float,
              seed: int | None) -> dict[str, np.ndarray]:
    """Samples with features x ~ N(0, 1) from known parameters.

    ``regression``: y = x·w + b + N(0, noise²).  ``binary``: y ~ Bernoulli(σ(x·w + b + noise·ε)).
    ``classes``: y = the class drawn from softmax(x·W + b) (W features × classes)."""
    rng = np.random.default_rng(seed)
    K = true_w.shape[0]
    X = rng.normal(size=(samples, K))
    if kind == "regression":
        y = X @ true_w + true_b + noise * rng.normal(size=samples)
        return {"x": X, "y": y}
    Z = X @ true_w + true_b
    if kind == "binary":
        z = Z + noise * rng.normal(size=samples)
        p = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
        return {"x": X, "y": (rng.random(samples) < p).astype(np.float64)}
    Z = Z + noise * rng.normal(size=Z.shape)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    labels = (P.cumsum(axis=1) < rng.random((samples, 1))).sum(axis=1)
    return {"x": X, "y": np.eye(Z.shape[1])[np.minimum(labels, Z.shape[1] - 1)]}


def _is_file(item: str) -> bool:
    """Does ``item`` name an existing file?  A long literal like x=1,2,… is no file name (the
    system refuses to look it up)."""
    try:
        return Path(item).exists()
    except (OSError, ValueError):
        return False

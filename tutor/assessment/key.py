"""The machine key of a worksheet: JSON a program (``tutor grade``) reads back.

One key describes one variant: for every problem its kind, the variables a typed answer may
use, and the expected answer (an expression written so that the project's own parser reads
it, a list of numbers with tolerances, or a step number).  ``key.json`` holds the keys of all
variants of a run.  Reading a key goes through the safe parser like any other input.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import sympy
from sympy.printing.str import StrPrinter

from tutor.i18n import N_, _
from tutor.errors import ExpressionError, TutorError
from tutor.calculus.parser import parse_equation, parse_expression
from tutor.assessment.kinds import KINDS
from tutor.assessment.problems import Sheet, Worksheets

FORMAT = "tutor-worksheet-key"
VERSION = 1
#: a key file larger than this is refused before it is read
MAX_KEY_BYTES = 20_000_000


_KIND_WORDS = {int: N_("a whole number"), str: N_("text"), list: N_("a list")}


class KeyFileError(TutorError):
    """A key file that cannot be read."""


class _KeyPrinter(StrPrinter):
    """Expressions as text the project's parser reads back (heaviside, e, sigmoid …)."""

    def _print_Heaviside(self, expr):
        return f"heaviside({self._print(expr.args[0])})"

    def _print_Exp1(self, expr):
        return "e"

    def _print_Symbol(self, expr):
        return expr.name


_PRINTER = _KeyPrinter({"order": None})


@functools.lru_cache(maxsize=50_000)
def expression_text(expr: sympy.Expr) -> str:
    return _PRINTER.doprint(expr)


def _number(value: sympy.Expr) -> dict:
    out = {"value": float(value)}
    if value.is_Rational:
        out["exact"] = str(value)
    return out


def answer_entry(p) -> dict:
    """What the key holds of a problem's answer, by its type: the expression, the numbers
    with their tolerances, or the wrong step."""
    if p.answer_type == "expression":
        return {"expected": expression_text(p.expected)}
    if p.answer_type == "numbers":
        return {"numbers": [{"label": str(n.label), **_number(n.value), "tolerance": n.tolerance}
                            for n in p.numbers]}
    return {"step": p.wrong_step, "mistake": p.mistake}


def sheet_key(sheet: Sheet) -> dict:
    problems = []
    for p in sheet.problems:
        item = {"number": p.number, "kind": p.kind, "lesson": p.lesson,
                "function": expression_text(p.function), "answer": p.answer_type,
                "variables": [s.name for s in p.variables], "wrt": [s.name for s in p.wrt]}
        names = {s.name: expression_text(d) for s, d in p.named if s.name.isidentifier()}
        if names:
            item["names"] = names
        item.update(KINDS[p.kind].key_entry(p))
        if p.assumptions:
            item["assume"] = [f"{expression_text(l)} = {expression_text(r)}" for l, r in p.assumptions]
        if p.expected is not None and p.answer_type != "expression":
            item["derivative"] = expression_text(p.expected)
        problems.append(item)
    return {"format": FORMAT, "version": VERSION, "id": sheet.id, "seed": sheet.seed,
            "variant": sheet.variant, "lessons": list(sheet.lessons), "problems": problems}


def worksheets_key(ws: Worksheets) -> dict:
    return {"format": FORMAT + "s", "version": VERSION, "seed": ws.seed,
            "lessons": list(ws.lessons), "problems": ws.problems,
            "variants": [sheet_key(s) for s in ws.sheets]}


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


# -- reading a key back --------------------------------------------------------------------
@dataclass(frozen=True)
class KeyNumber:
    label: str
    value: float
    tolerance: float


@dataclass(frozen=True)
class KeyProblem:
    number: int
    kind: str
    lesson: str
    answer: str
    variables: dict[str, sympy.Symbol]
    names: dict[str, sympy.Expr]
    expected: sympy.Expr | None = None
    numbers: tuple[KeyNumber, ...] = ()
    step: int = 0
    wrt: tuple[str, ...] = ()
    function: sympy.Expr | None = None
    assumptions: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    #: a matrix problem (its kind reads it: the expression, the shapes, the gradient)
    matrix: object | None = None


@dataclass(frozen=True)
class VariantKey:
    id: str
    problems: tuple[KeyProblem, ...]


def read_key(path: str | Path) -> dict[str, VariantKey]:
    """Every variant in a key file (a single variant's key or a whole run's key.json)."""
    path = Path(path)
    where = _("key {path}").format(path=path)
    try:
        if path.stat().st_size > MAX_KEY_BYTES:
            raise KeyFileError(_("{where}: larger than {n} MB; not a key")
                               .format(where=where, n=MAX_KEY_BYTES // 1_000_000))
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise KeyFileError(_("{where}: no such file").format(where=where)) from None
    except IsADirectoryError:
        raise KeyFileError(_("{where}: is a folder; give the key.json file")
                           .format(where=where)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(_("{where}: cannot be read ({error})")
                           .format(where=where, error=exc.__class__.__name__)) from None
    except json.JSONDecodeError as exc:
        raise KeyFileError(_("{where}: not valid JSON (line {line}, column {column})")
                           .format(where=where, line=exc.lineno, column=exc.colno)) from None
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, FORMAT + "s"):
        raise KeyFileError(_("{where}: not a worksheet key (made by 'tutor worksheet')")
                           .format(where=where))
    if data.get("version") != VERSION:
        raise KeyFileError(_("{where}: key version {found}; this tutor reads version {version}")
                           .format(where=where, found=repr(data.get("version")), version=VERSION))
    variants = data.get("variants") if data["format"] == FORMAT + "s" else [data]
    if not isinstance(variants, list) or not variants:
        raise KeyFileError(_("{where}: has no variants").format(where=where))
    out: dict[str, VariantKey] = {}
    for k, v in enumerate(variants):
        key = _variant(v, _("{where}: variant {n}").format(where=where, n=k + 1))
        out[key.id] = key
    return out


def _variant(data, where) -> VariantKey:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise KeyFileError(_("{where}: missing its id").format(where=where))
    problems = data.get("problems")
    if not isinstance(problems, list) or not problems:
        raise KeyFileError(_("{where}: has no problems").format(where=where))
    return VariantKey(data["id"], tuple(_problem(p, _("{where}, problem {n}")
                                                 .format(where=where, n=k + 1))
                                        for k, p in enumerate(problems)))


def _problem(data, where) -> KeyProblem:
    if not isinstance(data, dict):
        raise KeyFileError(_("{where}: malformed (edit the key only through 'tutor worksheet')")
                           .format(where=where))
    # the fields a grading needs, each named when it is missing or wrong
    required = {"number": int, "kind": str, "answer": str}
    if data.get("answer") in ("expression", "matrix"):
        required.update({"function": str, "expected": str, "wrt": list})
    elif data.get("answer") == "numbers":
        required["numbers"] = list
    for field, kind in required.items():
        value = data.get(field)
        if not isinstance(value, kind) or isinstance(value, bool) or (kind in (str, list)
                                                                     and not value):
            raise KeyFileError(_("{where}: the field '{field}' is missing, empty or not {kind}")
                               .format(where=where, field=field, kind=_(_KIND_WORDS[kind])))
    for n in data.get("numbers") or []:
        if not isinstance(n, dict) or not all(
                isinstance(n.get(f), (int, float)) and not isinstance(n.get(f), bool)
                and math.isfinite(n[f]) and abs(n[f]) < 1e300 for f in ("value", "tolerance")):
            raise KeyFileError(_("{where}: the field 'numbers' holds a value that is not a "
                                 "finite number").format(where=where))
    if data["answer"] == "matrix":
        return _matrix_problem(data, where)
    try:
        number, kind, answer = int(data["number"]), str(data["kind"]), str(data["answer"])
        names = data.get("variables", [])
        if not all(isinstance(n, str) and n.isidentifier() for n in names):
            raise ValueError
        variables = {n: sympy.Symbol(n, real=True) for n in names}
        defs = {}
        for name, text in (data.get("names") or {}).items():
            if not name.isidentifier() or name in variables:
                raise ValueError
            defs[name] = _parse(text, variables, where)
        expected, numbers, step = None, (), 0
        if answer == "expression":
            expected = _parse(data["expected"], variables, where)
        elif answer == "numbers":
            numbers = tuple(KeyNumber(str(n["label"]), float(n["value"]), float(n["tolerance"]))
                            for n in data["numbers"])
            if not numbers or not all(math.isfinite(n.value) and n.tolerance >= 0 for n in numbers):
                raise ValueError
        elif answer == "step":
            step = int(data["step"])
        else:
            raise ValueError
        function = _parse(data["function"], {**variables, **{n: sympy.Symbol(n) for n in defs}},
                          where) if "function" in data else None
        wrt = tuple(str(w) for w in data.get("wrt", []))
        if not all(w in variables for w in wrt):
            raise ValueError
        assumptions = []
        for text in data.get("assume", []):
            if not isinstance(text, str):
                raise ValueError
            try:
                assumptions.append(parse_equation(text, symbols=variables, allow_new_names=False))
            except ExpressionError as exc:
                raise KeyFileError(f"{where}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise KeyFileError(_("{where}: malformed (edit the key only through 'tutor worksheet')")
                           .format(where=where)) from None
    return KeyProblem(number, kind, str(data.get("lesson", "")), answer, variables, defs,
                      expected, numbers, step, wrt, function, tuple(assumptions))


def _matrix_problem(data: dict, where: str) -> KeyProblem:
    """A matrix problem of the key, read by its kind through the matrix parser."""
    kind = KINDS.get(str(data["kind"]))
    try:
        if kind is None or kind.answer != "matrix":
            raise ValueError
        matrix = kind.read_key(data)
    except ExpressionError as exc:
        raise KeyFileError(f"{where}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, TutorError):
        raise KeyFileError(_("{where}: malformed (edit the key only through 'tutor worksheet')")
                           .format(where=where)) from None
    names = {n: sympy.Symbol(n) for n in data["shapes"]}
    return KeyProblem(int(data["number"]), str(data["kind"]), str(data.get("lesson", "")),
                      "matrix", names, {}, wrt=(matrix.wrt,), matrix=matrix)


def _parse(text, variables, where) -> sympy.Expr:
    if not isinstance(text, str):
        raise ValueError
    try:
        return parse_expression(text, symbols=variables, allow_new_names=False)
    except ExpressionError as exc:
        raise KeyFileError(f"{where}: {exc}") from None

"""Lessons: data files a teacher writes, read into SymPy expressions and checked.

A lesson is a TOML file (``lessons/<name>.toml``, shipped inside the package as
``tutor.lessons``).  The format, field by field, is documented in ``lessons/README.md``.
Every expression in it goes through the project's safe parser with only the lesson's
declared names allowed, so a typo in a lesson is caught when it loads, with the field named.

Indexed families: a symbol declared as ``z_i`` stands for ``z1 … zn`` (n is the lesson's
``size``, changeable by the user).  Expressions may use ``z_i``, ``z_j``, ``z_k`` with the index
bound by ``sum_j( … )`` or by the function's own component index, and ``delta_ij`` (1 when the
two indices are equal).  The expansion happens here, on the text, before parsing.
"""

from __future__ import annotations

import difflib
import enum
import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import sympy

from tutor.calculus.derivation import Named
from tutor.calculus.stages import Stage
from tutor.errors import ExpressionError, LessonError, ParameterError
from tutor.files import read_lesson_text
from tutor.i18n import N_, _, current_language
from tutor.calculus.parser import parse_equation, parse_function

ROLES = ("input", "parameter", "target")
INDEX_LETTERS = "ijk"
MAX_SIZE = 12
#: the largest lesson file read (the shipped ones are a few kilobytes)
MAX_FILE_BYTES = 1_000_000
#: the most samples an [example] batch may have (the explanation shows every one)
MAX_EXAMPLE_BATCH = 100
_TEXT_FIELDS = ("intro", "insight", "batch")
_TOP_FIELDS = {"name", "title", "summary", "size", "min_size", "wrt", "assume", "function",
               "symbols", "example", "named", "text", "general", "reduce", "translations",
               "stages"}
REDUCTIONS = ("mean", "sum")
_FUNCTION_FIELDS = {"name", "latex", "expression", "index"}
_NAMED_FIELDS = {"name", "display", "latex", "expression"}
_GENERAL_FIELDS = {"entry", "matrix"}


class Origin(enum.Enum):
    """Where a lesson comes from."""

    BUILT_IN = "built-in"      # shipped with the tutor, loaded by name
    FILE = "file"              # a teacher's own TOML file
    EXPRESSION = "expression"  # made on the spot from an expression the user typed


@dataclass
class Lesson:
    """One lesson, with its expressions parsed and its families expanded to size ``size``."""

    name: str
    title: str
    summary: str
    function_name: str
    function_latex: str
    expression_text: str
    #: the function's components, with every named sub-expression written out
    outputs: list[sympy.Expr]
    output_names: list[str]
    symbols: dict[str, sympy.Symbol]
    roles: dict[str, str]
    families: dict[str, list[str]]
    wrt: list[sympy.Symbol]
    example: dict[str, Any]
    named: list[Named]
    assumptions: list[tuple[sympy.Expr, sympy.Expr]]
    text: dict[str, str]
    #: the general entry of the derivative, e.g. ``s_i*(delta_ij - s_j)``, by (output, wrt)
    general: dict[tuple[int, int], sympy.Expr] = field(default_factory=dict)
    general_text: str = ""
    matrix_text: str = ""
    size: int | None = None
    #: the lesson's origin in words, for messages ("lesson 'sigmoid'", "lesson file a.toml")
    source: str = ""
    origin: Origin = Origin.BUILT_IN
    #: how per-sample values combine over a batch ("mean" or "sum"), if the lesson says
    reduce: str | None = None
    #: the narrative (title, summary, intro, insight, batch) in every language the file has
    narrative: dict[str, dict[str, str]] = field(default_factory=dict)
    #: with ``stages = true``: the named sub-expressions as stages (each written with the
    #: ones before it), and the function written with them; derivatives are then taken one
    #: stage at a time (:mod:`tutor.calculus.stages`)
    stages: list = field(default_factory=list)
    staged_outputs: list[sympy.Expr] = field(default_factory=list)

    @property
    def is_vector(self) -> bool:
        return len(self.outputs) > 1

    def with_names(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` written with the named sub-expressions (z, a, …) where they occur."""
        for n in reversed(self.named):
            expr = expr.subs(n.definition, n.symbol)
        return expr

    def named_parts(self) -> list[tuple[sympy.Symbol, sympy.Expr]]:
        """Each named sub-expression, written with the ones before it (h₁ = tanh(z₁))."""
        out, earlier = [], []
        for n in self.named:
            shown = n.definition
            for prev in reversed(earlier):
                shown = shown.subs(prev.definition, prev.symbol)
            out.append((n.symbol, shown))
            earlier.append(n)
        return out

    def symbol(self, name: str) -> sympy.Symbol:
        try:
            return self.symbols[name]
        except KeyError:
            template = (_("the expression has no variable '{name}'{suggestion}; its variables "
                          "are {names}") if self.origin is Origin.EXPRESSION else
                        _("lesson '{lesson}' has no variable '{name}'{suggestion}; its variables "
                          "are {names}"))
            raise LessonError(template.format(lesson=self.name, name=name,
                                              suggestion=_suggest(name, self.symbols),
                                              names=", ".join(self.symbols))) from None

    def values_for(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values named by the user, with a family's values spread over its members.

        A variable takes one number or a list (a batch).  A family such as ``x`` (x1 … xn)
        takes n numbers, one per member (``x=1,2,3``), or rows of n numbers, one row per
        sample (``x=[[1, 2, 3], [4, 5, 6]]``, typed ``x=1,2,3;4,5,6``).
        """
        out: dict[str, Any] = {}
        for name, value in values.items():
            rows = isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple))
            if name not in self.symbols and name in self.families:
                members = self.families[name]
                table = value if rows else [value if isinstance(value, (list, tuple)) else [value]]
                if any(len(row) != len(members) for row in table):
                    raise ParameterError("at", _("{param} {name}: give {count} numbers, one for "
                                                 "each of {members} (rows of {count} separated "
                                                 "by ';' for a batch)"),
                                         name=name, count=len(members), members=", ".join(members))
                spread = {m: [row[k] for row in table] for k, m in enumerate(members)}
                spread = {m: (v[0] if len(v) == 1 else v) for m, v in spread.items()}
            else:
                self.symbol(name)  # an unknown name is refused here, with a suggestion
                if rows:
                    raise ParameterError("at", _("{param} {name}: rows (;) are for a family like "
                                                 "{family}; {name} takes one number or a list"),
                                         name=name, family=next(iter(self.families), "w"))
                spread = {name: value}
            for member, v in spread.items():
                if member in out:
                    raise ParameterError("at", _("{param} {name}: given twice"), name=member)
                out[member] = v
        return out

    def names_for(self, text: str) -> list[sympy.Symbol]:
        """Symbols named by a user's ``--wrt`` value: a name, or a family such as ``w``."""
        if text in self.families:
            return [self.symbols[n] for n in self.families[text]]
        base = text[:-2] if re.fullmatch(r"[A-Za-z]\w*_[ijk]", text) else None
        if base in self.families:
            return [self.symbols[n] for n in self.families[base]]
        return [self.symbol(text)]


# -- finding lessons -----------------------------------------------------------------------
def _folder():
    """The shipped lessons: ``tutor.lessons`` when installed, ``lessons/`` in a checkout."""
    try:
        return resources.files("tutor.lessons")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "lessons"


def lesson_names() -> list[str]:
    """Names of the lessons shipped with the package, sorted."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".toml"))


def load_lesson(name: str, *, size: int | None = None) -> Lesson:
    """A shipped lesson by name; an unknown name suggests the closest ones."""
    if name not in lesson_names():
        raise LessonError(_("no lesson named '{name}'{suggestion}; 'tutor list' shows them "
                            "all").format(name=name, suggestion=_suggest(name, lesson_names())))
    text = _folder().joinpath(name + ".toml").read_text("utf-8")
    return parse_lesson(text, source=_("lesson '{name}'").format(name=name), size=size)


def load_lesson_file(path: str | Path, *, size: int | None = None) -> Lesson:
    """A teacher's own lesson file."""
    source = _("lesson file {path}").format(path=Path(path))
    text = read_lesson_text(path, source, MAX_FILE_BYTES, error=LessonError)
    return parse_lesson(text, source=source, size=size, origin=Origin.FILE)


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.5)
    return (_(" (did you mean {names}?)").format(names=_(" or ").join(repr(c) for c in close))
            if close else "")


# -- reading and checking a lesson file ----------------------------------------------------
class _Reader:
    """Reads fields from the parsed TOML, raising LessonError that names the field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, problem: str):
        raise LessonError(f"{self.source}: {where}: {problem}")

    def table(self, data: dict, key: str, where: str, required=True) -> dict:
        if key not in data:
            if required:
                self.fail(where + key, _("missing (a table is required here)"))
            return {}
        if not isinstance(data[key], dict):
            self.fail(where + key, _("must be a table, not {kind}").format(kind=_kind(data[key])))
        return data[key]

    def string(self, data: dict, key: str, where: str, required=True, default="") -> str:
        if key not in data:
            if required:
                self.fail(where + key, _("missing"))
            return default
        value = data[key]
        if isinstance(value, str) and required and not value.strip():
            self.fail(where + key, _("must not be empty"))
        if not isinstance(value, str):
            self.fail(where + key, _("must be a non-empty string, not {kind}")
                      .format(kind=_kind(value)))
        control = _CONTROL.search(value)
        if control:
            self.fail(where + key, _("holds the control character U+{code}; write plain text")
                      .format(code=f"{ord(control.group()):04X}"))
        return value

    def known_keys(self, data: dict, allowed: set, where: str):
        for key in data:
            if key not in allowed:
                self.fail(where + key, _("unknown field{suggestion}; allowed: {names}").format(
                    suggestion=_suggest(key, allowed), names=", ".join(sorted(allowed))))


#: characters a terminal would act on rather than show (escape sequences, a bell, a backspace)
#: or that reorder the text around them (bidirectional controls); newlines and tabs are text
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _kind(value) -> str:
    kinds = {dict: N_("a table"), list: N_("a list"), str: N_("a string"), bool: N_("true/false"),
             int: N_("a number"), float: N_("a number")}
    return _(kinds[type(value)]) if type(value) in kinds else type(value).__name__


def parse_lesson(text: str, *, source: str = "lesson", size: int | None = None,
                 origin: Origin = Origin.BUILT_IN) -> Lesson:
    """Read a lesson from TOML text; every problem raises :class:`LessonError`."""
    r = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(_("{source}: not valid TOML: {problem}").format(source=source, problem=exc)) from None
    r.known_keys(data, _TOP_FIELDS, "")
    name = r.string(data, "name", "")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        r.fail("name", _("must be lower-case letters, digits and _ (like 'sigmoid')"))
    title = r.string(data, "title", "")
    summary = r.string(data, "summary", "", required=False)

    default_size = data.get("size")
    if default_size is not None and (not isinstance(default_size, int) or isinstance(default_size, bool)
                                     or not 1 <= default_size <= MAX_SIZE):
        r.fail("size", _("must be a whole number from 1 to {limit}").format(limit=MAX_SIZE))
    smallest = data.get("min_size", 1)
    if not isinstance(smallest, int) or isinstance(smallest, bool) \
            or not 1 <= smallest <= (default_size or MAX_SIZE):
        r.fail("min_size", _("must be a whole number from 1 to the lesson's size"))
    if size is not None:
        if default_size is None:
            raise LessonError(_("{source} has no indexed variables, so it takes no size")
                              .format(source=source))
        if not smallest <= size <= MAX_SIZE:
            raise LessonError(_("size must be from {smallest} to {limit}, not {size}").format(
                smallest=smallest, limit=MAX_SIZE, size=size))
    n = size if size is not None else default_size

    # symbols and roles
    sym_table = r.table(data, "symbols", "")
    if not sym_table:
        r.fail("symbols", _("declare at least one variable, e.g. z = \"input\""))
    symbols: dict[str, sympy.Symbol] = {}
    roles: dict[str, str] = {}
    families: dict[str, list[str]] = {}
    for key, role in sym_table.items():
        where = f"symbols.{key}"
        if role not in ROLES:
            r.fail(where, _("role must be one of {names}, not {role}").format(names=", ".join(ROLES),
                                                                             role=repr(role)))
        m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)(?:_([ijk]))?", key)
        if not m:
            r.fail(where, _("a variable is a letter followed by letters or digits, optionally _i "
                            "for an indexed family"))
        base, index = m.groups()
        if index:
            if n is None:
                r.fail(where, _("an indexed family needs the lesson's 'size'"))
            families[base] = [f"{base}{k}" for k in range(1, n + 1)]
            for member in families[base]:
                symbols[member] = sympy.Symbol(member, real=True)
                roles[member] = role
        else:
            symbols[base] = sympy.Symbol(base, real=True)
            roles[base] = role

    expand = _Expander(families, n, r)

    # named sub-expressions, each may use the ones before it
    named: list[Named] = []
    definitions: dict[sympy.Symbol, sympy.Expr] = {}
    stages: list[Stage] = []
    named_list = data.get("named", [])
    if not isinstance(named_list, list):
        r.fail("named", _("must be a list of tables ([[named]])"))
    shown_names: set[str] = set()
    for k, entry in enumerate(named_list):
        where = f"named[{k + 1}]."
        if not isinstance(entry, dict):
            r.fail(where[:-1], _("must be a table"))
        r.known_keys(entry, _NAMED_FIELDS, where)
        nm = r.string(entry, "name", where)
        m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)(?:_([ijk]))?", nm)
        if not m or m.group(1) in symbols or m.group(1) in families:
            r.fail(where + "name", _("must be a new name (a letter and letters/digits, optionally "
                                     "_i), not one of the variables"))
        display = r.string(entry, "display", where, required=False, default=nm)
        latex = r.string(entry, "latex", where, required=False, default="")
        expr_text = r.string(entry, "expression", where)
        members = [(None, nm)]
        if m.group(2):
            members = [(v, f"{m.group(1)}{v}") for v in range(1, n + 1)]
            families[m.group(1)] = [name for _, name in members]
        for value, member in members:
            bound = {m.group(2): value} if value is not None else {}
            expr = _parse(r, where + "expression", expand(expr_text, bound, where + "expression"),
                          {**symbols, **{s.name: s for s in definitions}})
            sym = sympy.Symbol(member)
            shown = expand.display(display, bound)
            if shown != member and (shown in symbols or shown in shown_names):
                r.fail(where + "display", _("{shown} would name two things; each member needs "
                                            "its own display, different from the variables' "
                                            "names (use the index, like {example})").format(
                    shown=repr(shown), example=f"{m.group(1)}_{m.group(2)}" if m.group(2)
                    else m.group(1)))
            shown_names.add(shown)
            named.append(Named(sympy.Symbol(shown) if shown != member else sym,
                               expr.xreplace(definitions), expand.display(latex, bound)))
            stages.append(Stage(sym, expr))
            definitions[sym] = expr.xreplace(definitions)
    by_name = {s.name: s for s in definitions}

    # the function
    fn = r.table(data, "function", "")
    r.known_keys(fn, _FUNCTION_FIELDS, "function.")
    fname = r.string(fn, "name", "function.", required=False, default="f")
    flatex = r.string(fn, "latex", "function.", required=False, default=fname)
    ftext = r.string(fn, "expression", "function.")
    index = fn.get("index")
    outputs, output_names = [], []
    if index is not None:
        if not isinstance(index, str) or len(index) != 1 or index not in INDEX_LETTERS \
                or n is None:
            r.fail("function.index", _("must be one of i, j, k, in a lesson with a 'size'"))
        for v in range(1, n + 1):
            e = _parse(r, "function.expression", expand(ftext, {index: v}, "function.expression"),
                       {**symbols, **by_name})
            outputs.append(e.xreplace(definitions))
            output_names.append(f"{fname}{v}")
    else:
        e = _parse(r, "function.expression", expand(ftext, {}, "function.expression"),
                   {**symbols, **by_name})
        outputs.append(e.xreplace(definitions))
        output_names.append(fname)
    staged_outputs = [e]

    # derivatives taken one stage at a time, as a backward pass takes them
    staged = data.get("stages", False)
    if not isinstance(staged, bool):
        r.fail("stages", _("must be true or false"))
    if staged and (not stages or index is not None
                   or any(n.symbol != s.symbol for n, s in zip(named, stages))):
        r.fail("stages", _("needs [[named]] sub-expressions without an index or a display "
                           "name, and a function with no index"))

    # which variables to differentiate by
    wrt_raw = data.get("wrt")
    if not isinstance(wrt_raw, list) or not wrt_raw or not all(isinstance(w, str) for w in wrt_raw):
        r.fail("wrt", _("must be a non-empty list of variable names, e.g. wrt = [\"z\"]"))
    wrt: list[sympy.Symbol] = []
    for w in wrt_raw:
        base = w[:-2] if re.fullmatch(r"[A-Za-z]\w*_[ijk]", w) else w
        if base in families and base not in by_name:
            wrt += [symbols[m] for m in families[base]]
        elif w in symbols:
            wrt.append(symbols[w])
        else:
            r.fail("wrt", _("'{name}' is not a declared variable{suggestion}").format(
                name=w, suggestion=_suggest(w, list(symbols) + list(families))))

    # assumptions such as sum_i(y_i) = 1
    assumptions = []
    assume = data.get("assume", [])
    if not isinstance(assume, list) or not all(isinstance(a, str) for a in assume):
        r.fail("assume", _("must be a list of equations written as strings"))
    for a in assume:
        try:
            lhs, rhs = parse_equation(expand(a, {}, "assume"), symbols=symbols, allow_new_names=False)
        except ExpressionError as exc:
            r.fail("assume", str(exc))
        _solvable(r, a, lhs, rhs)
        assumptions.append((lhs, rhs))

    example = _read_example(r, data, symbols, families, n, resized=size is not None)
    reduce = data.get("reduce")
    if reduce is not None and reduce not in REDUCTIONS:
        r.fail("reduce", _("must be one of {names}, not {value}").format(
            names=", ".join(REDUCTIONS), value=repr(reduce)))

    text = r.table(data, "text", "", required=False)
    r.known_keys(text, set(_TEXT_FIELDS), "text.")
    texts = {k: r.string(text, k, "text.", required=False) for k in _TEXT_FIELDS}
    narrative = {"en": {"title": title, "summary": summary, **texts}}
    narrative.update(_read_translations(r, data))
    # the narrative in the current language, field by field, English where it is missing
    lang = current_language()
    title, summary, texts = (pick_field(narrative, lang, "title"),
                             pick_field(narrative, lang, "summary"),
                             {k: pick_field(narrative, lang, k) for k in _TEXT_FIELDS})

    # the general form of the derivative, checked against every entry when derived
    general_tbl = r.table(data, "general", "", required=False)
    r.known_keys(general_tbl, _GENERAL_FIELDS, "general.")
    general: dict[tuple[int, int], sympy.Expr] = {}
    general_text = r.string(general_tbl, "entry", "general.", required=False)
    if general_text:
        out_index = index or "i"
        wrt_letter = "j" if out_index != "j" else "k"
        for oi in range(len(outputs)):
            for wi in range(len(wrt)):
                bound = {out_index: oi + 1, wrt_letter: _family_position(wrt[wi], families)}
                if bound[wrt_letter] is None:
                    continue
                e = _parse(r, "general.entry", expand(general_text, bound, "general.entry"),
                           {**symbols, **by_name})
                general[(oi, wi)] = e

    return Lesson(name=name, title=title, summary=summary, function_name=fname,
                  function_latex=flatex, expression_text=ftext, outputs=outputs,
                  output_names=output_names, symbols=symbols, roles=roles, families=families,
                  wrt=wrt, example=example, named=named, assumptions=assumptions, text=texts,
                  general=general, general_text=general_text,
                  matrix_text=r.string(general_tbl, "matrix", "general.", required=False),
                  size=n, source=source, origin=origin, reduce=reduce,
                  narrative=narrative, stages=stages if staged else [],
                  staged_outputs=staged_outputs if staged else [])


_NARRATIVE_FIELDS = {"title", "summary", *_TEXT_FIELDS}


def _read_translations(r: _Reader, data: dict) -> dict[str, dict[str, str]]:
    """``[translations.zh]`` tables: the narrative fields in another language."""
    out = {}
    table = r.table(data, "translations", "", required=False)
    for lang, fields in table.items():
        where = f"translations.{lang}"
        if not re.fullmatch(r"[a-z]{2,3}", lang):
            r.fail(where, _("must be a language code such as zh or fr"))
        if not isinstance(fields, dict):
            r.fail(where, _("must be a table, not {kind}").format(kind=_kind(fields)))
        r.known_keys(fields, _NARRATIVE_FIELDS, where + ".")
        out[lang] = {k: r.string(fields, k, where + ".", required=False) for k in fields}
    return out


def pick_field(narrative: dict[str, dict[str, str]], lang: str, key: str) -> str:
    """A narrative field in ``lang``, or in English when that language does not have it."""
    return narrative.get(lang, {}).get(key) or narrative["en"].get(key, "")


def _family_position(symbol: sympy.Symbol, families) -> int | None:
    for members in families.values():
        if symbol.name in members:
            return members.index(symbol.name) + 1
    return None


def _parse(r: _Reader, where: str, text: str, symbols: dict) -> sympy.Expr:
    try:
        return parse_function(text, symbols=symbols, allow_new_names=False,
                              max_length=EXPANDED_LENGTH)
    except ExpressionError as exc:
        r.fail(where, str(exc))


def _resize(row: list, n: int) -> list:
    """An example vector stretched or cut to n entries (when the user changes the size)."""
    return [row[k % len(row)] + 0.25 * (k // len(row)) for k in range(n)]


def _read_example(r: _Reader, data, symbols, families, n, resized=False) -> dict[str, Any]:
    """Example values: a number, a list (a batch), and for a family a list of n numbers (one
    point) or a list of such lists (a batch)."""
    table = r.table(data, "example", "", required=False)
    example: dict[str, Any] = {}
    for key, value in table.items():
        where = f"example.{key}"
        base = key[:-2] if re.fullmatch(r"[A-Za-z]\w*_[ijk]", key) else key
        if base in families:
            rows = value if isinstance(value, list) and value and isinstance(value[0], list) else [value]
            if resized and all(isinstance(row, list) and row for row in rows):
                rows = [_resize(row, n) for row in rows]
            if not isinstance(value, list) or not all(
                    isinstance(row, list) and len(row) == n and all(_is_number(v) for v in row)
                    for row in rows):
                r.fail(where, _("must be a list of {n} numbers, or a list of such lists").format(n=n))
            for k, member in enumerate(families[base]):
                column = [float(row[k]) for row in rows]
                example[member] = column if len(rows) > 1 or isinstance(value[0], list) else column[0]
        elif key in symbols:
            if _is_number(value):
                example[key] = float(value)
            elif isinstance(value, list) and value and all(_is_number(v) for v in value):
                example[key] = [float(v) for v in value]
            else:
                r.fail(where, _("must be a number or a non-empty list of numbers"))
        else:
            r.fail(where, _("'{name}' is not a declared variable{suggestion}").format(
                name=key, suggestion=_suggest(key, list(symbols) + list(families))))
    lengths = {len(v) for v in example.values() if isinstance(v, list)}
    if len(lengths) > 1:
        r.fail("example", _("batches of different lengths {lengths}").format(lengths=sorted(lengths)))
    if lengths and max(lengths) > MAX_EXAMPLE_BATCH:
        r.fail("example", _("a batch of {count} samples; an example shows at most {most}")
               .format(count=max(lengths), most=MAX_EXAMPLE_BATCH))
    return example


def _solvable(r: "_Reader", text: str, lhs: sympy.Expr, rhs: sympy.Expr) -> None:
    """An assumption is used by solving it for the last of its variables (by name): it must
    have one, and exactly one solution for it."""
    names = sorted(lhs.free_symbols | rhs.free_symbols, key=lambda s: s.name)
    if not names:
        r.fail("assume", _("{equation} has no variable to use").format(equation=repr(text)))
    target = sorted(lhs.free_symbols, key=lambda s: s.name)[-1] if lhs.free_symbols else None
    try:
        solutions = sympy.solve(sympy.Eq(lhs, rhs), target) if target is not None else []
    except (NotImplementedError, ValueError, TypeError):
        solutions = []
    if len(solutions) != 1:
        r.fail("assume", _("{equation} cannot be solved for {name} with one solution; write an "
                           "equation linear in its last variable, like {example}").format(
            equation=repr(text), name=target or names[-1], example='"sum_i(y_i) = 1"'))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


#: the longest a lesson's expression may grow once its sums are written out, in characters
EXPANDED_LENGTH = 20000


class _Expander:
    """Expands index templates (``z_i``, ``sum_j(…)``, ``delta_ij``) in lesson text."""

    _SUM = re.compile(r"\bsum_([ijk])\s*\(")
    _INDEXED = re.compile(r"\b([A-Za-z][A-Za-z0-9]*)_([ijk])\b")
    _DELTA = re.compile(r"\bdelta_([ijk])([ijk])\b")

    def __init__(self, families, n, reader: _Reader):
        self.families, self.n, self.r = families, n, reader

    def __call__(self, text: str, bound: dict, where: str) -> str:
        text = self._sums(text, bound, where)

        def delta(m):
            a, b = m.groups()
            if a not in bound or b not in bound:
                self.r.fail(where, _("delta_{pair} needs both indices bound").format(pair=a + b))
            return "1" if bound[a] == bound[b] else "0"

        text = self._DELTA.sub(delta, text)

        def indexed(m):
            base, letter = m.groups()
            if letter not in bound:
                if base in self.families or self.n is not None:
                    self.r.fail(where, _("index '{letter}' in {term} is not bound (use "
                                         "sum_{letter}( … ) or the function's index)").format(
                                             letter=letter, term=m.group(0)))
                return m.group(0)
            return f"{base}{bound[letter]}"

        return self._INDEXED.sub(indexed, text)

    def _sums(self, text: str, bound: dict, where: str) -> str:
        m = self._SUM.search(text)
        if not m:
            return text
        if self.n is None:
            self.r.fail(where, _("sum_j( … ) needs the lesson's 'size'"))
        letter = m.group(1)
        start = m.end()
        depth, pos = 1, start
        while pos < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[pos], 0)
            pos += 1
        if depth:
            self.r.fail(where, _("unbalanced parentheses after sum_{letter}").format(letter=letter))
        body = text[start:pos - 1]
        pieces, length = [], len(text)
        for v in range(1, self.n + 1):
            pieces.append("(" + self(body, {**bound, letter: v}, where) + ")")
            length += len(pieces[-1]) + 3
            if length > EXPANDED_LENGTH:  # nested sums grow as size^depth: stop early
                self.r.fail(where, _("written out for size {n}, the sums are longer than "
                                     "{limit} characters; use fewer nested sums or a smaller "
                                     "size").format(n=self.n, limit=EXPANDED_LENGTH))
        terms = " + ".join(pieces)
        return text[:m.start()] + "(" + terms + ")" + self._sums(text[pos:], bound, where)

    def display(self, text: str, bound: dict) -> str:
        if not text:
            return text
        return self._INDEXED.sub(
            lambda m: f"{m.group(1)}{bound[m.group(2)]}" if m.group(2) in bound else m.group(0),
            text)

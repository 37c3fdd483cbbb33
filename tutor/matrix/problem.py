"""A matrix problem: an expression with the shapes of its names, from a lesson file or typed.

Matrix lessons are TOML files in ``lessons/matrix/`` (format in ``lessons/README.md``)::

    name = "linear_regression"
    title = "Linear regression"
    expression = "sum((X @ w + b - y)**2) / (2*n)"
    wrt = ["w", "b"]

    [shapes]
    X = { role = "input", shape = ["n", "d"] }
    w = { role = "parameter", shape = ["d"] }
    b = { role = "parameter", shape = [] }
    y = { role = "target", shape = ["n"] }
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

from tutor.errors import ExpressionError, LessonError, TutorError
from tutor.files import read_lesson_text
from tutor.i18n import _, current_language
from tutor.matrix.algebra import canonical
from tutor.matrix.notation import read_matrix_expression
from tutor.matrix.shapes import KINDS, MAX_SIZE, Declared, default_sizes, parse_shape
from tutor.matrix.tree import Node

ROLES = ("input", "parameter", "target")
_TOP = {"name", "title", "summary", "function", "expression", "wrt", "shapes", "sizes", "names",
        "text", "translations"}
_TEXT = ("intro", "insight")
MAX_BYTES = 100_000


@dataclass
class MatrixProblem:
    """The expression, its names' shapes and roles, the variables to differentiate by."""

    source: str
    expression: Node
    declared: Declared
    wrt: list[str]
    function: str = "L"
    name: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    narrative: dict[str, dict[str, str]] = field(default_factory=dict)
    #: names shown for subexpressions in the steps (Z for XW + b), in the order declared
    aliases: dict[Node, str] = field(default_factory=dict)

    def where_code(self) -> list[tuple[str, str]]:
        """(name, its expression in the notation typed), once each."""
        out = {}
        for node, name in self.aliases.items():
            out.setdefault(name, node.code())
        return list(out.items())

    def where(self) -> list[tuple[str, str]]:
        """(name, what it stands for) for each named subexpression."""
        out, seen = [], set()
        for node, name in self.aliases.items():
            if name in seen:
                continue
            seen.add(name)
            others = {k: v for k, v in self.aliases.items() if v != name}
            out.append((name, node.text(others)))
        return out

    def say(self, key: str) -> str:
        """A narrative field (title, summary, intro, insight) in the current language, English
        where it has none."""
        for lang in (current_language(), "en"):
            text = self.narrative.get(lang, {}).get(key, "")
            if text.strip():
                return text.strip()
        return ""

    @property
    def onehot(self) -> frozenset[str]:
        return frozenset(n for n, k in self.declared.kinds.items() if k == "onehot")

    def scalars(self) -> list[str]:
        """Names in the expression without a declared shape: scalars."""
        return sorted(self.expression.names() - set(self.declared.shapes))

    def sizes_for(self, given: Mapping[str, int] | None = None) -> dict[str, int]:
        merged = dict(self.sizes)
        merged.update(given or {})
        return default_sizes(self.declared.letters, merged)


def problem_from_expression(text: str, shapes: Iterable[str], wrt: Iterable[str] = ()) -> MatrixProblem:
    """``--expr`` with ``--shape NAME=SIZES``: names without a shape are scalars; without
    ``wrt`` the gradient is taken by every name with a shape."""
    declared = Declared()
    for item in shapes:
        parse_shape(item, declared)
    expression = read_matrix_expression(text, declared.shapes)
    names = expression.names()
    unused = [n for n in declared.shapes if n not in names]
    if unused:
        raise TutorError(_("'{name}' has a shape but does not occur in the expression")
                         .format(name=unused[0]))
    chosen = list(dict.fromkeys(wrt)) or [n for n in declared.shapes]
    for name in chosen:
        if name not in names:
            raise TutorError(_("'{name}' does not occur in the expression; its names are: "
                               "{names}").format(name=name, names=", ".join(sorted(names))))
    return MatrixProblem(text, expression, declared, chosen)


# -- lessons ------------------------------------------------------------------------------------
def _folder():
    try:
        return resources.files("tutor.lessons").joinpath("matrix")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "lessons" / "matrix"


def matrix_lesson_names() -> list[str]:
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".toml"))


def load_matrix_lesson(name: str) -> MatrixProblem:
    names = matrix_lesson_names()
    if name not in names:
        raise LessonError(_("no matrix lesson named '{name}'; the matrix lessons are: {names}")
                          .format(name=name, names=", ".join(names)))
    text = _folder().joinpath(name + ".toml").read_text("utf-8")
    return parse_matrix_lesson(text, source=_("matrix lesson '{name}'").format(name=name))


def load_matrix_lesson_file(path: str | Path) -> MatrixProblem:
    """A teacher's own matrix lesson file, judged as every lesson file is before it is read."""
    source = _("lesson file {path}").format(path=Path(path))
    return parse_matrix_lesson(read_lesson_text(path, source, MAX_BYTES, error=LessonError), source=source)


def parse_matrix_lesson(text: str, *, source: str = "lesson") -> MatrixProblem:
    """A matrix lesson from TOML text; every problem is a LessonError naming the field."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    def fail(where: str, message: str):
        raise LessonError(f"{source}: {where}: {message}")

    if len(text.encode("utf-8")) > MAX_BYTES:
        raise LessonError(_("{source}: is larger than {most} bytes; a lesson is a few kilobytes")
                          .format(source=source, most=MAX_BYTES))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(_("{source}: not valid TOML: {problem}").format(source=source,
                                                                          problem=exc)) from None
    for key in data:
        if key not in _TOP:
            fail(key, _("unknown field; known: {known}").format(known=", ".join(sorted(_TOP))))

    def string(table, key, where, required=True) -> str:
        v = table.get(key, "")
        if not isinstance(v, str) or (required and not v.strip()):
            fail(where, _("must be a text"))
        return v

    name = string(data, "name", "name")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        fail("name", _("must be lower-case letters, digits and _ (like 'sigmoid')"))
    function = data.get("function", "L")
    if not isinstance(function, str) or not re.fullmatch(r"[A-Za-zℓ][A-Za-z0-9_]{0,10}", function):
        fail("function", _("must be a short name, like L"))
    shapes = data.get("shapes")
    if not isinstance(shapes, dict) or not shapes:
        fail("shapes", _("declare the names and their shapes, like X = {{ role = \"input\", "
                         "shape = [\"n\", \"d\"] }}"))
    declared = Declared()
    roles = {}
    for key, entry in shapes.items():
        where = f"shapes.{key}"
        if not isinstance(entry, dict):
            fail(where, _("must be a table with role and shape"))
        unknown = set(entry) - {"role", "shape", "values"}
        if unknown:
            fail(where, _("unknown field '{key}'").format(key=sorted(unknown)[0]))
        role = entry.get("role", "input")
        if role not in ROLES:
            fail(where, _("the role is one of {roles}").format(roles=", ".join(ROLES)))
        shape = entry.get("shape", [])
        if not isinstance(shape, list) or not all(isinstance(d, (str, int)) and
                                                 not isinstance(d, bool) for d in shape):
            fail(where, _("the shape is a list of sizes, like [\"n\", \"d\"]"))
        kind = entry.get("values", "normal")
        if kind not in KINDS:
            fail(where, _("values is one of {kinds}").format(kinds=", ".join(KINDS)))
        try:
            declared.add(key, tuple(str(d) for d in shape), kind)
        except TutorError as exc:
            fail(where, str(exc))
        roles[key] = role
    expression_text = string(data, "expression", "expression")
    try:
        expression = read_matrix_expression(expression_text, declared.shapes,
                                            allow_new_names=False)
    except ExpressionError as exc:
        fail("expression", str(exc))
    aliases: dict[Node, str] = {}
    names = data.get("names", {})
    if not isinstance(names, dict):
        fail("names", _("must be a table"))
    for alias, text_ in names.items():
        where = f"names.{alias}"
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,3}", alias) or alias in declared.shapes \
                or alias in declared.letters:
            fail(where, _("a name is one to four letters or digits, not a name of the "
                          "expression or a size"))
        if not isinstance(text_, str):
            fail(where, _("must be a text"))
        try:
            node = read_matrix_expression(text_, declared.shapes, allow_new_names=False)
        except ExpressionError as exc:
            fail(where, str(exc))
        aliases[node] = alias
        # the same in the order a derivation writes it (1e−5 + v for v + 1e−5)
        aliases.setdefault(canonical(node), alias)
    wrt = data.get("wrt", [n for n, r in roles.items() if r == "parameter"])
    if not isinstance(wrt, list) or not wrt or not all(w in declared.shapes for w in wrt):
        fail("wrt", _("a list of names with a shape, like [\"w\"]"))
    sizes = data.get("sizes", {})
    if not isinstance(sizes, dict) or not all(
            k in declared.letters and isinstance(v, int) and not isinstance(v, bool)
            and 1 <= v <= MAX_SIZE for k, v in sizes.items()):
        fail("sizes", _("sizes of the shapes' letters, from 1 to {most}, like n = 5")
             .format(most=MAX_SIZE))
    narrative = {"en": {"title": string(data, "title", "title"),
                        "summary": string(data, "summary", "summary", required=False)}}
    body = data.get("text", {})
    if not isinstance(body, dict):
        fail("text", _("must be a table"))
    for key in _TEXT:
        narrative["en"][key] = string(body, key, f"text.{key}", required=False)
    translations = data.get("translations", {})
    if not isinstance(translations, dict):
        fail("translations", _("must be a table"))
    for lang, fields in translations.items():
        if not isinstance(fields, dict):
            fail(f"translations.{lang}", _("must be a table"))
        narrative[lang] = {k: string(fields, k, f"translations.{lang}.{k}", required=False)
                           for k in ("title", "summary", *_TEXT) if k in fields}
    return MatrixProblem(expression_text, expression, declared, list(wrt), function, name,
                         roles, dict(sizes), narrative, aliases)

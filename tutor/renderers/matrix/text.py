"""Matrix derivations and verdicts in the terminal: each step with its rule, the shape of its
result and of the terms it was made from, and its numerical check.  Nothing here computes:
every expression prints itself and every number comes from the derivation."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from tutor.i18n import _
from tutor.matrix.derive import MatrixDerivation
from tutor.matrix.explain import MatrixExplanation
from tutor.matrix.check import MatrixVerdict
from tutor.renderers.console import console as new_console
from tutor.renderers.notation import paragraph
from tutor.renderers.numbers import fmt, fmt_error
from tutor.renderers.prose import Prose

#: entries of a gradient shown in its table; the rest are counted
SHOWN_ENTRIES = 6


def _check_mark(error) -> Text:
    if error is None:
        return Text("")
    if error != error:  # NaN
        return Text(_("not computable"), style="yellow")
    good = error < 1e-6
    return Text(("✓ " if good else "✗ ") + fmt_error(error), style="green" if good else "red")


def steps_table(d: MatrixDerivation) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False,
                  padding=(0, 1))
    table.add_column("", justify="right", style="dim", no_wrap=True)
    table.add_column(_("step|a rule applied in a derivation").split("|")[0], overflow="fold")
    table.add_column(_("shape"), no_wrap=True)
    table.add_column(_("rule"), style="cyan")
    table.add_column(_("check"), no_wrap=True)
    for k, step in enumerate(d.steps, 1):
        statement = f"{d.label(step)} = "
        if step.formula is not None:
            statement += f"{d.text(step.formula)} = "
        statement += d.text(step.result)
        table.add_row(str(k), Text(statement), step.target.shape_label(), Text(_(step.name)),
                      _check_mark(step.error))
        if step.rule == "paths":
            terms = " + ".join(t.label for t in step.terms)
            table.add_row("", Text("  " + _("the uses add: {terms}").format(terms=terms),
                                   style="dim"), "", "", "")
        else:
            shapes = ", ".join(t.shown for t in step.terms if t.label != "→")
            table.add_row("", Text(f"  {shapes} → {step.target.shape_label()};  "
                                   f"{_(step.statement)}", style="dim"), "", "", "")
        if step.note:
            table.add_row("", Text("  " + step.note, style="dim"), "", "", "")
    return table


def _entries(d: MatrixDerivation) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column(_("entry"), justify="right", no_wrap=True)
    table.add_column(f"∂{d.function}/∂{d.wrt}", justify="right", no_wrap=True)
    table.add_column(_("finite diff."), justify="right", no_wrap=True)
    flat = list(zip(d.gradient.reshape(-1).tolist(), d.finite_difference.reshape(-1).tolist()))
    shape = d.gradient.shape
    for k, (a, b) in enumerate(flat[:SHOWN_ENTRIES]):
        index = _index(k, shape)
        table.add_row(index, fmt(a), fmt(b))
    if len(flat) > SHOWN_ENTRIES:
        table.add_row("…", _("{count} entries in all").format(count=len(flat)), "")
    return table


def _index(k: int, shape) -> str:
    if len(shape) == 2:
        return f"({k // shape[1] + 1}, {k % shape[1] + 1})"
    if len(shape) == 1:
        return str(k + 1)
    return "—"


def render_derivation(c, d: MatrixDerivation) -> None:
    c.print(Text(f" ∂{d.function}/∂{d.wrt} ", style="bold reverse"))
    c.print(steps_table(d))
    c.print(Text.assemble((f"∂{d.function}/∂{d.wrt} = ", "bold"), (d.text(d.result), "bold"),
                          ("   " + _("shape {shape}, the shape of {name}").format(
                              shape=_shape(d.shape), name=d.wrt), "dim")))
    c.print(_entries(d))
    if d.agrees:
        c.print(Text(_("max relative error {error}  ✓ agrees with finite differences")
                     .format(error=fmt_error(d.max_rel_error)), style="green"))
    else:
        c.print(Text(_("max relative error {error}  ✗ does not agree with finite differences")
                     .format(error=fmt_error(d.max_rel_error)), style="red"))
    if d.second_asked:
        if d.second_error is None:
            c.print(Text(_("SymPy on explicit matrices: not done (more than {most} entries, or "
                           "too slow)").format(most=20), style="dim"))
        else:
            good = d.second_error < 1e-9
            c.print(Text(_("SymPy on explicit matrices: max relative error {error}  {mark}")
                         .format(error=fmt_error(d.second_error), mark="✓" if good else "✗"),
                         style="green" if good else "red"))


def _shape(shape) -> str:
    return "×".join(shape) if shape else _("scalar")


def render_matrix_explanation(result: MatrixExplanation) -> None:
    c = new_console()
    p = result.problem
    head = Text()
    title = p.say("title")
    if title:
        head.append(title, style="bold")
        head.append("   ")
    head.append(f"{p.function} = {p.expression.text()}")
    head.append("      " + (_("matrix lesson: {name}").format(name=p.name) if p.name
                            else "--expr"), style="dim")
    c.print(head)
    if p.say("summary"):
        c.print(Text(p.say("summary"), style="italic"))
    if p.say("intro"):
        c.print()
        c.print(Prose(paragraph(p.say("intro"))))
    c.print()
    shapes = ", ".join(f"{name} {_shape(shape)}" for name, shape in p.declared.shapes.items())
    scalars = p.scalars()
    if scalars:
        shapes += ", " + ", ".join(f"{name} {_('scalar')}" for name in scalars)
    sizes = ", ".join(f"{k} = {v}" for k, v in result.sizes.items())
    c.print(Text.assemble((_("shapes") + "  ", "bold"), shapes, "    ", (_("sizes") + "  ", "bold"),
                          sizes, ("    " + _random_note(result), "dim")))
    if p.aliases:
        c.print(Text.assemble((_("where") + "  ", "bold"),
                              ", ".join(f"{name} = {body}" for name, body in p.where())))
    c.print(Prose(_("layout: a gradient has the shape of its variable, as PyTorch's .grad; each "
                    "step is checked by central differences on these matrices"), style="dim"))
    for d in result.derivations:
        c.print()
        render_derivation(c, d)
    if p.say("insight"):
        c.print()
        c.print(Text(_("insight"), style="bold"))
        c.print(Prose(paragraph(p.say("insight"))))


def _random_note(result: MatrixExplanation) -> str:
    if result.given:
        return _("values given for {names}; the rest random, seed {seed}").format(
            names=", ".join(result.given), seed=result.seed)
    return _("random matrices, seed {seed}").format(seed=result.seed)


def render_matrix_list(problems) -> None:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column(_("lesson"), style="bold", no_wrap=True)
    table.add_column(_("expression"))
    for p in problems:
        table.add_row(p.name, Text(f"{p.say('title')}   {p.function} = {p.expression.text()}"))
    c = new_console()
    c.print(table)
    c.print("\n" + _("explain one with: tutor matrix explain LESSON"), markup=False)


def render_matrix_verdict(v: MatrixVerdict, revealed: MatrixExplanation | None = None) -> None:
    """The verdict; with ``revealed``, the derivation of the gradient under it."""
    c = new_console()
    mark = "✓ " if v.correct else "✗ "
    c.print(Text(mark + v.message, style="green" if v.correct else "red"))
    shape = "" if v.answer.kind == "raw" else "   " + _shape(v.answer.shape)
    c.print(Text.assemble((_("your answer") + "  ", "bold"), v.answer.text(), (shape, "dim")))
    if not v.correct:
        c.print(Text.assemble((_("the gradient") + "  ", "bold"), v.expected.text()))
    if not v.correct and v.entry is not None:
        where = ", ".join(str(i + 1) for i in v.entry)
        sizes = ", ".join(f"{k} = {n}" for k, n in v.sizes.items())
        c.print(Text(_("for example, entry ({entry}) with {sizes}: yours {yours}, the "
                       "gradient {right}").format(entry=where, sizes=sizes, yours=fmt(v.yours),
                                                  right=fmt(v.right)), style="dim"))
    if revealed is not None:
        for d in revealed.derivations:
            c.print()
            render_derivation(c, d)

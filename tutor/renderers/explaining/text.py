"""The terminal renderer: derivation steps beside their numbers, laid out with rich.

Wide terminals get the steps and the numbers side by side; narrow ones and pipes get them one
under the other.  Nothing here computes mathematics: every number comes from the explanation.
"""

from __future__ import annotations


from rich import box
from rich.console import Console, Group
from rich.measure import Measurement
from rich.table import Table
from rich.cells import cell_len
from rich.text import Text

from tutor.renderers.console import console as new_console
from tutor.explaining.explanation import Explanation, Item
from tutor.explaining.lesson import Origin
from tutor.i18n import _
from tutor.renderers.notation import display_name, function_label, paragraph, step_lines, text
from tutor.renderers.prose import Prose
from tutor.renderers.numbers import agreement_sentence, fmt, fmt_error, fmt_input, numeric_rows

#: below this many columns the numbers go under the steps instead of beside them
SIDE_BY_SIDE_WIDTH = 120
#: the fewest columns the steps keep beside the numbers
STEPS_ROOM = 48


class TextRenderer:
    def __init__(self, console: Console | None = None, *, all_steps: bool = False):
        self.console = console or new_console()
        self.all_steps = all_steps

    # -- pieces ----------------------------------------------------------------------------
    def steps_table(self, item: Item) -> Table:
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
        table.add_column(justify="right", style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        table.add_column(style="cyan", no_wrap=True)
        for number, indent, statement, rule, notes in step_lines(
                item.derivation.steps(), all_steps=self.all_steps):
            table.add_row(str(number), Text(indent + statement), Text(rule))
            for note in notes:
                table.add_row("", Text(indent + "  " + note, style="dim"), "")
        return table

    def numbers_table(self, exp: Explanation, item: Item) -> Group:
        lesson = exp.lesson
        check = item.numeric
        varying = [n for n, a in check.at.items() if any(v != a[0] for v in a)]
        wrt = item.derivation.wrt.name
        if wrt not in varying:
            varying.insert(0, wrt)
        fixed = [n for n in check.at if n not in varying]
        fname = lesson.output_names[item.output]
        headers = ([text(lesson.symbols[n]) for n in varying]
                   + [display_name(fname), f"∂{display_name(fname)}/∂{text(item.derivation.wrt)}",
                      _("finite diff."), _("rel. error")])
        rows = [list(row) for row in numeric_rows(check, varying)]
        widths = [max(cell_len(str(c)) for c in column) for column in zip(headers, *rows)]
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
        for k, (header, width) in enumerate(zip(headers, widths)):
            table.add_column(header, justify="right", no_wrap=True, min_width=width,
                             style="dim" if k == len(headers) - 1 else "")
        for row in rows:
            table.add_row(*row)
        needed = Measurement.get(self.console, self.console.options, table).maximum
        if needed > self.console.width - 2:
            # too many columns for the terminal: one row per quantity, one column per point,
            # so that no number is cut
            table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), show_header=False)
            table.add_column(style="bold", no_wrap=True)
            for _point in rows:
                table.add_column(justify="right", no_wrap=True)
            for k, header in enumerate(headers):
                table.add_row(header, *[row[k] for row in rows])
        parts = []
        if fixed:
            at = ", ".join(f"{text(lesson.symbols[n])} = {fmt_input(check.at[n][0])}"
                           for n in fixed)
            parts.append(Text(_("at {values}").format(values=at), style="dim"))
        parts.append(table)
        if item.batch_value is not None:
            reduced = (_("mean over the batch: {derivative} = {value}") if lesson.reduce == "mean"
                       else _("sum over the batch: {derivative} = {value}"))
            parts.append(Text(reduced.format(
                derivative=f"∂{display_name(fname)}/∂{text(item.derivation.wrt)}",
                value=fmt(item.batch_value)), style="bold"))
        sentence, good = agreement_sentence(check, wrt, lambda n: text(lesson.symbols[n]))
        parts.append(Prose(sentence, style="green" if good else "yellow"))
        return Group(*parts)

    # -- the whole explanation -------------------------------------------------------------
    def render(self, exp: Explanation, *, footer: str = "") -> None:
        c = self.console
        lesson = exp.lesson
        head = Text()
        head.append(lesson.title, style="bold")
        head.append("   ")
        if lesson.is_vector:
            head.append(f"{lesson.function_name}_i = {lesson.expression_text}")
        else:
            label, body = function_label(lesson), text(lesson.outputs[0])
            head.append(label if label == body else f"{label} = {body}")
        head.append("      " + ("--expr" if lesson.origin is Origin.EXPRESSION
                                 else _("lesson: {name}").format(name=lesson.name)), style="dim")
        c.print(head)
        if exp.chosen:
            c.print(Prose(_("values chosen for you, where the function is defined and smooth "
                            "(no kink, no pole): {names}; set them with --at name=value")
                          .format(names=", ".join(exp.chosen)), style="dim"))
        if lesson.summary:
            c.print(Text(lesson.summary, style="italic"))
        if lesson.text.get("intro"):
            c.print()
            c.print(_paragraph(lesson.text["intro"]))
        for item in self.items_to_show(exp):
            c.print()
            self.render_item(exp, item)
        if lesson.is_vector or len(exp.items) > len(self.items_to_show(exp)):
            c.print()
            c.print(self.summary_table(exp))
        if lesson.general_text:
            c.print(Text.assemble((_("general form") + "  ", "bold"),
                                  f"∂{lesson.function_name}_i/∂{_family_of(exp)}_j = "
                                  f"{_pretty_template(lesson.general_text)}",
                                  ("   " + _("(checked against every entry above)"), "dim")))
            if lesson.matrix_text:
                c.print(Text.assemble((_("as a matrix") + "   ", "bold"), lesson.matrix_text))
        for key in ("batch", "insight"):
            if lesson.text.get(key):
                c.print()
                c.print(Text(_("insight") if key == "insight" else _("over a batch"), style="bold"))
                c.print(_paragraph(lesson.text[key]))
        if footer:
            c.print()
            c.print(Text(footer, style="dim"))

    def items_to_show(self, exp: Explanation) -> list[Item]:
        """Full steps for each scalar derivative; for a family (w₁ … wₙ) or a vector function,
        the first member and, for a Jacobian, one entry off the diagonal."""
        lesson = exp.lesson
        shown, seen_families = [], set()
        for item in exp.items:
            family = _family(lesson, item.derivation.wrt.name)
            if lesson.is_vector:
                if item.output == 0 and exp.wrt.index(item.derivation.wrt) in (0, 1):
                    shown.append(item)
                continue
            if family is None:
                shown.append(item)
            elif family not in seen_families:
                seen_families.add(family)
                shown.append(item)
        return shown

    def render_item(self, exp: Explanation, item: Item) -> None:
        d = item.derivation
        title = Text(f" ∂{display_name(d.name)}/∂{text(d.wrt)} ", style="bold reverse")
        steps = self.steps_table(item)
        numbers = self.numbers_table(exp, item)
        c = self.console
        # side by side when the numbers' table keeps its whole width there and leaves the
        # steps room to read (STEPS_ROOM columns, within the grid's borders and padding); a
        # wider table goes under the steps instead of being cut
        wide = max(Measurement.get(c, c.options, part).maximum
                   for part in numbers.renderables if isinstance(part, Table))
        if c.width >= SIDE_BY_SIDE_WIDTH and wide <= c.width - 7 - STEPS_ROOM:
            grid = Table(box=box.SQUARE, show_header=True, header_style="bold", expand=False)
            grid.add_column(title, ratio=3)
            grid.add_column(_("on the example batch") if exp.lesson.origin is not Origin.EXPRESSION
                            and not exp.given
                            else _("at these points"), ratio=2)
            grid.add_row(steps, numbers)
            c.print(grid)
        else:
            c.print(title)
            c.print(steps)
            c.print()
            c.print(numbers)

    def summary_table(self, exp: Explanation) -> Table:
        table = Table(title=_("all the derivatives"), box=box.SIMPLE_HEAD, title_justify="left",
                      title_style="bold", pad_edge=False)
        table.add_column(_("derivative"))
        table.add_column(_("result"))
        table.add_column(_("max rel. error"), justify="right", style="dim")
        for item in exp.items:
            d = item.derivation
            table.add_row(f"∂{display_name(d.name)}/∂{text(d.wrt)}", Text(text(d.result)),
                          fmt_error(item.numeric.max_rel_error))
        return table


def _family(lesson, name: str):
    for base, members in lesson.families.items():
        if name in members:
            return base
    return None


def _family_of(exp: Explanation) -> str:
    return _family(exp.lesson, exp.wrt[0].name) or exp.wrt[0].name


def _pretty_template(s: str) -> str:
    return (s.replace("delta_ij", "δ_ij").replace("*", "·").replace("-", "−"))


def _paragraph(s: str) -> Prose:
    return Prose(paragraph(s))


def render_lesson_list(lessons) -> None:
    """``tutor list``: each lesson's name beside its title and summary."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column(_("lesson"), style="bold", no_wrap=True)
    table.add_column(_("about"))
    for lesson in lessons:
        table.add_row(lesson.name, f"{lesson.title} — {lesson.summary}" if lesson.summary
                      else lesson.title)
    new_console().print(table)
    new_console().print("\n" + _("explain one with: tutor explain LESSON"),
                                   markup=False)

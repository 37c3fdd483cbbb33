"""Forward and backward pass tables for the terminal (rich).

Adjoints are written with bars, as in the classic derivation: z̄ = ∂L/∂z.  Nothing here
computes mathematics: every formula and number comes from the :class:`~tutor.backpropagation.graph.Backprop`.
"""

from __future__ import annotations

import math
import unicodedata

import sympy
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tutor.calculus.table import FUNCTIONS
from tutor.renderers.console import console as new_console
from tutor.backpropagation.backprop import Backprop
from tutor.calculus.agreement import Agreement
from tutor.explaining.lesson import Origin
from tutor.i18n import N_, _, shown
from tutor.renderers.prose import Prose
from tutor.renderers.notation import text
from tutor.renderers.numbers import fmt, fmt_error, fmt_input


OPERATIONS = {
    "variable": "", "constant": N_("number"), "add": N_("sum"), "mul": N_("product"),
    "power": N_("power"), "exp_base": N_("power"), "pow": N_("power"), "max": "max", "min": "min",
    # every function of the table by its shown name (σ, ReLU, GELU, …)
    **{f.op: f.display for f in FUNCTIONS},
    "step": N_("step"), "sign": N_("sign"),
}
#: the roles of a graph's variables, as shown
ROLES = {"input": N_("input"), "parameter": N_("parameter"), "target": N_("target")}

#: the classic comparison of the two passes
FORWARD_VS_BACKWARD = [
    (N_("computes"), N_("the prediction and the loss"), N_("the gradient of the loss")),
    (N_("direction"), N_("inputs → output"), N_("output → inputs")),
    (N_("parameters"), N_("uses them"), N_("gives the gradients that update them")),
    (N_("follows"), N_("the structure of the model"),
     N_("the chain rule, one local derivative per edge")),
]


def operation(op: str) -> str:
    """A node's operation, as shown (the names of functions stay as they are)."""
    shown = OPERATIONS.get(op, op)
    return _(shown) if shown else ""


def role(name: str | None) -> str:
    """A variable's role, as shown: input, parameter or target."""
    name = name or "input"
    return _(ROLES[name]) if name in ROLES else name


def label(name: str) -> str:
    """A node's name as printed: u1 → u₁, yhat → ŷ."""
    return text(sympy.Symbol(name))


def bar(name: str) -> str:
    """The adjoint's name: z → z̄, u1 → ū₁, ReLU → R̅e̅L̅U̅."""
    shown = label(name)
    letters = [ch for ch in shown if not unicodedata.combining(ch) and not ch.isdigit()
               and unicodedata.category(ch) != "No"]
    if len(letters) == 1:
        return shown[0] + "\u0304" + shown[1:]
    return "".join(ch + "\u0305" if ch.isalpha() else ch for ch in shown)


def partial(top: str, bottom: str) -> str:
    return f"∂{label(top)}/∂{label(bottom)}"


def _num(v: float) -> str:
    return fmt(v) if not math.isfinite(v) or v != int(v) or abs(v) >= 1e5 else fmt_input(v)


def forward_rows(bp: Backprop):
    """(node, operation, formula, value) for each node the output depends on."""
    rows = []
    needed = ancestors(bp)
    for node in bp.graph.nodes:
        if node.index not in needed:
            continue
        if node.is_variable:
            formula = role(node.role)
        elif node.is_constant:
            formula = _("number")
        else:
            formula = f"{label(node.name)} = {text(node.formula)}"
        rows.append((node, operation(node.op), formula, bp.value(node)))
    return rows


def ancestors(bp: Backprop) -> set[int]:
    out = bp.graph.outputs[bp.output]
    seen, todo = set(), [out]
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        todo.extend(bp.graph.nodes[i].inputs)
    return seen


def backward_rows(bp: Backprop):
    """(node, [local derivative lines], adjoint formula, value), output first."""
    g = bp.graph
    needed = ancestors(bp)
    out = g.nodes[g.outputs[bp.output]]
    start = _("(start: {derivative})").format(derivative=f"∂{label(out.name)}/∂{label(out.name)}")
    rows = [(out, ["—"], f"{bar(out.name)} = 1   {start}", bp.adjoint(out))]
    for node in reversed(g.nodes):
        if node.index not in needed or node is out or node.is_constant:
            continue
        locals_, terms, numbers = [], [], []
        for ci, k in g.consumers(node.index):
            if ci not in needed:
                continue
            c = g.nodes[ci]
            formula = c.local_formulas[k]
            value = bp.local(c, k)
            shown = text(formula)
            line = f"{partial(c.name, node.name)} = {shown}"
            if shown != _num(value):
                line += f"\n   = {_num(value)}"
            locals_.append(line)
            terms.append(f"{bar(c.name)}·{partial(c.name, node.name)}")
            numbers.append(f"{_factor(bp.adjoint(c))} × {_factor(value)}")
        # one term per line when the node feeds several others (their shares add up)
        head = f"{bar(node.name)} = "
        pad = " " * len(label(node.name))
        lines = [head + terms[0]] + [f"{pad} + {t}" for t in terms[1:]]
        lines += [f"{pad} = {numbers[0]}"] + [f"{pad} + {n}" for n in numbers[1:]]
        value = bp.adjoint(node)
        left = bp.from_left(node.name)
        if left is not None:
            # at a kink the gradient is the derivative from the left (a forward pass)
            lines.append(f"{pad} → {_num(left)}  " + _("from the left"))
            value = left
        adjoint = "\n".join(lines)
        rows.append((node, locals_, adjoint, value))
    return rows


class BackpropRenderer:
    def __init__(self, console: Console | None = None):
        self.console = console or new_console()

    def render(self, bp: Backprop, *, footer: str = "") -> None:
        c = self.console
        lesson = bp.lesson
        out_name = bp.graph.output_names[bp.output]
        head = Text()
        head.append(_("Backpropagation"), style="bold")
        full = text(bp.graph.output_exprs[bp.output])
        written = (text(bp.graph.written_exprs[bp.output]) if bp.graph.written_exprs else full)
        shown = full if written == full else (f"{written} = {full}" if len(full) < 60 else written)
        head.append(f"   {label(out_name)} = {shown}")
        head.append("      " + ("--expr" if lesson.origin is Origin.EXPRESSION else
                                 _("lesson: {name}").format(name=lesson.name)), style="dim")
        c.print(head)
        if lesson.is_vector:
            c.print(Text(_("output {name} of {names} (choose with {option}); all of them "
                           "together: {command}").format(
                name=label(out_name), names=", ".join(label(n) for n in lesson.output_names),
                option="--output NAME", command="tutor backprop jacobian softmax"), style="dim"))
        c.print(self.where(bp))
        if bp.stable_form:
            c.print(Prose(_("at these values the function as written overflows (e^1000, log 0), "
                            "so the graph is its stable form, the one libraries compute: "
                            "log σ(z) = −softplus(−z), log Σ e^(zᵢ) = logsumexp(z)"), style="dim"))
        if bp.defaulted:
            c.print(Text(_("values chosen for you: {values}   (set them with {option})").format(
                values=", ".join(f"{label(n)} = {fmt_input(v)}" for n, v in bp.defaulted.items()),
                option="--at name=value"), style="dim"))
        c.print()
        self.show(self.forward_table(bp))
        self.show(self.backward_table(bp))
        for note in bp.notes:
            c.print(Text(_("note") + "  " + note.message + _samples(bp, note.samples),
                         style="yellow"))
        lines = gate_lines(bp)
        if lines:
            c.print(Text(_("the gates"), style="bold"))
            for line in lines:
                c.print(Prose("· " + line, indent="  "))
            c.print()
        if any(bp.from_left(n.name) is not None for n in bp.graph.variables):
            c.print(Prose(_("at a kink the tutor gives the derivative from the left, the slope "
                            "of the piece just left of the point, found by a forward pass along "
                            "each variable: a backward pass with one fixed slope per kink cannot "
                            "always give a one-sided derivative of the whole function"),
                          style="yellow"))
        self.show(self.gradient_table(bp))
        c.print(self.verdict(bp))
        batch = bp.batch_gradients
        if batch:
            how = bp.reduce or "mean"
            c.print(Text.assemble(
                ((_("mean over the {count} samples") if how == "mean" else
                  _("sum over the {count} samples")).format(count=bp.batch_size) + "  ", "bold"),
                "   ".join(f"{partial(out_name, n)} = {fmt(v)}" for n, v in batch.items())))
        c.print()
        self.show(self.comparison())
        if footer:
            c.print(Text(footer, style="dim"))

    def show(self, table: Table) -> None:
        """A table under its title in bold (a rich table title would wrap to the table)."""
        self.console.print(Text(table.title_text, style="bold"))
        self.console.print(table)

    def where(self, bp: Backprop) -> Text:
        names = [n.name for n in bp.graph.variables if n.index in ancestors(bp)]
        at = ", ".join(f"{label(n)} = {fmt_input(bp.at(bp.values[n]))}" for n in names)
        if bp.batch_size > 1:
            return Text(_("sample {number} of {count}:  {values}   (another with {option})").format(
                number=bp.sample + 1, count=bp.batch_size, values=at, option="--sample N"),
                style="dim")
        return Text(_("at {values}").format(values=at), style="dim")

    def forward_table(self, bp: Backprop) -> Table:
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        t.title_text = _("forward pass: inputs → output, each node's value stored")
        t.add_column(_("node"), style="bold")
        t.add_column(_("operation"), style="cyan")
        t.add_column(_("formula"))
        t.add_column(_("value"), justify="right")
        for node, op, formula, value in forward_rows(bp):
            t.add_row(label(node.name), op, Text(formula, style="dim" if node.is_variable else ""),
                      fmt(value))
        return t

    def backward_table(self, bp: Backprop) -> Table:
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        t.title_text = _("backward pass: output → inputs, adjoint = upstream adjoint × local "
                         "derivative")
        t.add_column(_("node"), style="bold")
        t.add_column(_("local derivative"))
        t.add_column(_("adjoint"), no_wrap=True)
        t.add_column(_("value"), justify="right")
        for node, locals_, adjoint, value in backward_rows(bp):
            t.add_row(label(node.name), Text("\n".join(locals_)), Text(adjoint), fmt(value))
        return t

    def gradient_table(self, bp: Backprop) -> Table:
        out_name = bp.graph.output_names[bp.output]
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        t.title_text = _("gradients, checked")
        t.add_column(_("gradient"))
        t.add_column(_("backprop"), justify="right")
        t.add_column(_("symbolic"), justify="right")
        t.add_column(_("finite diff."), justify="right")
        t.add_column(_("rel. error"), justify="right", style="dim")
        for check in bp.checks:
            err = max(bp.at(check.symbolic_error), bp.at(check.fd_error))
            verdict = check.verdicts(bp.batch_size)[bp.sample if bp.batch_size > 1 else 0]
            shown = (_("at a kink") if verdict is Agreement.AT_KINK
                     else _("undefined") if verdict is Agreement.UNDEFINED else fmt_error(err))
            t.add_row(f"{partial(out_name, check.name)} = {bar(check.name)}",
                      fmt(bp.at(check.backprop)), fmt(bp.at(check.symbolic)),
                      fmt(bp.at(check.finite_difference)), shown)
        return t

    def verdict(self, bp: Backprop) -> Text:
        err = bp.max_error
        where = _("the whole batch") if bp.batch_size > 1 else _("this point")
        verdicts = bp.sample_verdicts
        agreement = bp.agreement
        if agreement is Agreement.DISAGREES:
            return Text(_("max relative error on {where} {error}: the methods disagree").format(
                where=where, error=fmt_error(err)), style="red")
        if agreement is Agreement.UNDEFINED:
            return Text(_("a value is not a finite number on {count} of {size} samples: "
                          "nothing to compare there, and nothing checked").format(
                count=verdicts.count(Agreement.UNDEFINED), size=len(verdicts)), style="yellow")
        if all(v is Agreement.AT_KINK for v in verdicts):
            return Text(_("every point is at a kink: the slopes left and right differ, the "
                          "finite difference is their average, and backpropagation gives one of "
                          "them, as the symbolic derivative does"), style="yellow")
        extra = _(" (away from the kink)") if Agreement.AT_KINK in verdicts else ""
        return Text(_("max relative error on {where} {error}{extra}  ✓ backpropagation "
                      "agrees with the symbolic derivative and finite differences").format(
                          where=where, error=fmt_error(err), extra=extra), style="green")

    def comparison(self) -> Table:
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        t.title_text = _("forward vs backward")
        t.add_column("")
        t.add_column(_("forward pass"))
        t.add_column(_("backward pass"))
        for row in FORWARD_VS_BACKWARD:
            t.add_row(*[_(cell) for cell in row])
        return t


def gate_lines(bp: Backprop) -> list[str]:
    """One sentence per gate of the graph, on this sample's numbers (add, max, multiply,
    fork: the patterns of the backward pass)."""
    lines = []
    for gate in bp.gates:
        node, ins = label(gate.node), [label(i) for i in gate.inputs]
        if gate.kind == "add":
            lines.append(_("{node} is an add gate: it passes its adjoint {adjoint} unchanged to "
                           "each input ({inputs})").format(
                node=node, adjoint=f"{bar(gate.node)} = {_num(gate.adjoint)}",
                inputs=", ".join(ins)))
        elif gate.kind in ("max", "min"):
            loser = next(i for i in gate.inputs if i != gate.winner)
            message = (_("{node} is a max gate: it routes its adjoint {adjoint} to the larger "
                         "input {winner} only; {loser} gets 0") if gate.kind == "max" else
                       _("{node} is a min gate: it routes its adjoint {adjoint} to the smaller "
                         "input {winner} only; {loser} gets 0"))
            lines.append(message.format(node=node, adjoint=f"{bar(gate.node)} = "
                                        f"{_num(gate.adjoint)}", winner=label(gate.winner),
                                        loser=label(loser)))
        elif gate.kind == "multiply":
            (a, b), (va, vb) = gate.inputs, gate.values
            lines.append(_("{node} is a multiply gate: each input gets the adjoint times the "
                           "other input, {first} and {second}: the inputs swap").format(
                node=node,
                first=f"{bar(a)} ← {bar(gate.node)}·{label(b)} = {_factor(gate.adjoint)} × "
                      f"{_factor(vb)}",
                second=f"{bar(b)} ← {bar(gate.node)}·{label(a)} = {_factor(gate.adjoint)} × "
                       f"{_factor(va)}"))
        else:
            lines.append(_("{node} feeds {count} nodes ({users}): the adjoints coming back add "
                           "up, {sum}").format(
                node=node, count=len(gate.inputs), users=", ".join(ins),
                sum=f"{bar(gate.node)} = " + " + ".join(_factor(v) for v in gate.values)
                    + f" = {_num(gate.adjoint)}"))
    return lines


def _factor(v: float) -> str:
    s = _num(v)
    return f"({s})" if s.startswith("−") else s


def _samples(bp: Backprop, samples) -> str:
    if bp.batch_size < 2:
        return ""
    return _(" (sample {numbers})").format(numbers=", ".join(str(k + 1) for k in samples))


# -- vectors and matrices --------------------------------------------------------------------
class TopicRenderer:
    """Lays out a :class:`~tutor.backpropagation.jacobian.Topic`: matrices as tables, sentences, checks."""

    def __init__(self, console: Console | None = None):
        self.console = console or new_console()

    def render(self, topic, *, footer: str = "") -> None:
        from tutor.backpropagation.jacobian import Check, Line, Matrix

        c = self.console
        c.print(Text(shown(topic.title), style="bold"))
        for block in topic.blocks:
            if isinstance(block, Matrix):
                c.print(self.matrix(block))
            elif isinstance(block, Check):
                c.print(self.check(block))
            elif isinstance(block, Line):
                if block.style == "heading":
                    c.print()
                style = {"heading": "bold", "insight": "italic", "formula": ""}.get(block.style, "")
                c.print(Text(shown(block.text), style=style))
        if footer:
            c.print()
            c.print(Text(footer, style="dim"))

    def matrix(self, m):
        import numpy as np

        values = np.atleast_2d(m.values)
        if m.columns:
            t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
            t.add_column(Text(shown(m.label), style="bold"), no_wrap=True)
            for name in m.columns:
                t.add_column(_heading(name), justify="right")
            for i, row in enumerate(values):
                t.add_row(_heading(m.rows[i]) if m.rows else "", *[_cell(v) for v in row])
        else:
            inner = Table(box=box.SQUARE, show_header=False, pad_edge=True)
            for _column in range(values.shape[1]):
                inner.add_column(justify="right")
            for row in values:
                inner.add_row(*[_cell(v) for v in row])
            t = Table.grid(padding=(0, 2))
            t.add_column(no_wrap=True, vertical="middle")
            t.add_column()
            t.add_row(Text(shown(m.label), style="bold"), inner)
        if not m.note:
            return t
        g = Table.grid()
        g.add_column()
        g.add_row(t)
        g.add_row(Text(shown(m.note), style="dim"))
        return g

    def check(self, chk) -> Text:
        mark, style = ("✓", "green") if chk.ok else ("✗", "red")
        return Text(f"{mark} {shown(chk.label)}: {shown(chk.first)} = {shown(chk.second)}   "
                    + _("(max relative difference {error})").format(error=fmt_error(chk.error)),
                    style=style)


def _heading(name: str) -> str:
    return shown(name) if " " in name else label(name)


def _cell(v: float) -> str:
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e5:
        return fmt_input(float(v))
    return fmt(float(v))

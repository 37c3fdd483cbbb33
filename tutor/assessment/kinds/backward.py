"""``backward``: a backward pass through the function's computation graph: the adjoint
∂f/∂v of every node v, given the forward values."""

from __future__ import annotations

import functools
import random

import sympy

from tutor.assessment.document import (Math, Num, Para, Partial, Table, fill, function_segments,
                                       given, joined, where_blocks)
from tutor.assessment.kinds.base import Kind
from tutor.assessment.kinds.common import (clean_point, diff_of, function_latex, function_name,
                                           names_latex, nice, num, tolerance_of, variables_of,
                                           variant_function)
from tutor.assessment.problems import (MAX_GRAPH_NODES, Node, NumberAnswer, Problem,
                                       shown_form)
from tutor.explaining.lesson import Lesson
from tutor.i18n import N_, _


# backward pass: the expression tree as a graph of nodes v1, v2, …
def _graph(f: sympy.Expr) -> list[sympy.Expr]:
    """The distinct sub-expressions of ``f`` that are not numbers, children before parents."""
    order: list[sympy.Expr] = []
    seen = set()

    def visit(e):
        if e in seen or e.is_Number or e.is_NumberSymbol:
            return
        for a in e.args:
            visit(a)
        seen.add(e)
        order.append(e)

    visit(f)
    return order


@functools.lru_cache(maxsize=1024)
def graph_size(f: sympy.Expr) -> int:
    return len(_graph(f))


@functools.lru_cache(maxsize=1024)
def _graph_plan(f: sympy.Expr):
    """The graph's nodes and, for each inner node, the local derivative by each argument
    that is a node: made once per function, evaluated at each variant's numbers."""
    order = _graph(f)
    nodes = set(order)
    local = {e: [(arg, _local_derivative(e, k)) for k, arg in enumerate(e.args) if arg in nodes]
             for e in order if not e.is_Symbol}
    return order, local


def _local_derivative(node: sympy.Expr, k: int) -> sympy.Expr:
    """∂node/∂(its k-th argument), as an expression in the arguments."""
    u = sympy.Dummy("u")
    args = list(node.args)
    original = args[k]
    args[k] = u
    return sympy.diff(node.func(*args), u).subs(u, original)


class Backward(Kind):
    name = "backward"
    title = N_("Backward pass")
    short = N_("backward")
    answer = "numbers"

    def offered_by(self, lesson: Lesson) -> bool:
        return (not lesson.is_vector
                and graph_size(variant_function(lesson, None)[0]) <= MAX_GRAPH_NODES)

    def make(self, lesson: Lesson, rng: random.Random, number: int) -> Problem:
        f, named, display = variant_function(lesson, rng, 0)
        order, local_of = _graph_plan(f)
        point, _values = clean_point(lesson, f, [diff_of(f, s) for s in variables_of(f)], rng, limit=20)
        symbols = {}
        variables = [e for e in order if e.is_Symbol]
        inner = [e for e in order if not e.is_Symbol]
        for e in variables:
            symbols[e] = e
        for k, e in enumerate(inner, start=1):
            symbols[e] = sympy.Symbol(f"v{k}")
        adjoint = {e: sympy.S.Zero for e in order}
        adjoint[f] = sympy.S.One
        for e in reversed(order):
            if e.is_Symbol:
                continue
            for arg, local in local_of[e]:
                adjoint[arg] = adjoint[arg] + adjoint[e] * num(local.xreplace(point))
        nodes = []
        for e in variables + inner:
            label = None if e.is_Symbol else e.func(*[symbols.get(a, a) for a in e.args], evaluate=False)
            nodes.append(Node(symbols[e], label, nice(e.xreplace(point)), nice(adjoint[e])))
        numbers = tuple(NumberAnswer(n.symbol, n.adjoint, tolerance_of(n.adjoint)) for n in nodes)
        given = tuple((s, point[s]) for s in variables_of(f))
        return Problem(number, "backward", lesson.name, lesson.title, shown_form(f, named),
                       function_name(lesson, 0), variables_of(f), tuple(variables), given=given,
                       answer_type="numbers", numbers=numbers, nodes=tuple(nodes),
                       named=tuple((n.symbol, n.definition) for n in named),
                       function_latex_=function_latex(lesson, 0),
                       names_latex=names_latex(named), display=display)

    def statement(self, p: Problem, key: bool) -> list:
        blocks = [Para(fill(
            _("The computation graph of {function} at {point} is below, with the value of every "
              "node. Fill in the adjoint {adjoint} of every node, from the output back to the "
              "variables. Give the adjoints in the table’s order, separated by commas."),
            function=function_segments(p), point=given(p.given),
            adjoint=Partial(p.function_name, p.function_latex, sympy.Symbol("v"))))]
        blocks += where_blocks(p)
        rows = []
        for node in p.nodes:
            definition = ([Math(node.expression)] if node.expression is not None
                          else [_("variable")])
            adjoint = [Num(node.adjoint)] if key else [""]
            rows.append([[Math(node.symbol)], definition, [Num(node.value)], adjoint])
        blocks.append(Table([[_("node")], [_("is")], [_("value")], [_("adjoint")]], rows))
        return blocks

    def solution(self, p: Problem) -> list:
        answer = joined([Num(n.value) for n in p.numbers])
        return [Para(fill(_("Answer: {answer}."), answer=answer)),
                Para([_("The output’s adjoint is 1. Going backwards, each node’s adjoint "
                        "is the sum, over the nodes that use it, of their adjoint times "
                        "their local derivative; the variables’ adjoints are the "
                        "gradient.")])]


KIND = Backward()

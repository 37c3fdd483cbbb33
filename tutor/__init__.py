"""tutor: a tutor for the mathematics of gradients.

One function per command, keyword for option (see :mod:`tutor.api`)::

    explain, check, backprop, jacobian, train, descend, worksheet   the commands' results
    render(result, "text"|"markdown"|"latex"|"json"|"html")          any result as a string
    set_language("zh")                                              Chinese from now on
    learning_rate_slider, point_slider                              sliders (with ipywidgets)

In IPython or Jupyter every result shows itself (HTML with MathML and inline pictures);
``%load_ext tutor`` adds ``%tutor explain sigmoid --at z=1,2``.

The library underneath, importable from ``tutor`` directly::

    load_lesson, load_lesson_file, lesson_names, parse_lesson   lessons (tutor.explaining.lesson)
    parse_expression                                             the safe parser
    derive, Derivation, Step                                     step-by-step derivatives
    lesson_from_expression, Explanation                          derivatives with numbers
    compile_expr, central_difference, relative_error             NumPy side
    build_graph, Tensor                                          forward/backward passes
    TutorError                                                   bad input
    check_answer, check_expression, check_claim, Verdict         checking hand derivations
    check_gradient, assert_gradient                              checking NumPy gradient code

Names are loaded on first use, so ``import tutor`` stays cheap.
"""

import sys
from importlib import import_module

__version__ = "0.1.0"

_WHERE = {
    "load_lesson": "explaining.lesson", "load_lesson_file": "explaining.lesson", "lesson_names": "explaining.lesson",
    "parse_lesson": "explaining.lesson", "Lesson": "explaining.lesson",
    "parse_expression": "calculus.parser",
    "derive": "calculus.derivation", "Named": "calculus.derivation",
    "Derivation": "calculus.steps", "Step": "calculus.steps",
    "explain": "api", "check": "api", "backprop": "api", "jacobian": "api", "train": "api",
    "descend": "api", "worksheet": "api", "render": "api", "set_language": "api",
    "learning_rate_slider": "widgets", "point_slider": "widgets",
    "lesson_from_expression": "explaining.explanation", "Explanation": "explaining.explanation",
    "compile_expr": "calculus.numeric", "central_difference": "calculus.numeric", "relative_error": "calculus.agreement",
    "TutorError": "errors", "ExpressionError": "errors", "LessonError": "errors",
    "sigmoid": "calculus.functions", "softplus": "calculus.functions", "relu": "calculus.functions",
    "gelu": "calculus.table", "silu": "calculus.table", "softsign": "calculus.table",
    "build_graph": "backpropagation.graph", "Tensor": "backpropagation.tensor",
    "check_answer": "checking.check", "check_expression": "checking.check", "check_claim": "checking.check",
    "Verdict": "checking.check", "ClaimVerdict": "checking.check", "Diagnosis": "checking.diagnose",
    "check_gradient": "checking.gradcheck", "assert_gradient": "checking.gradcheck",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        _show_in_notebooks()  # a shell started since ``import tutor`` shows results too
        return value
    raise AttributeError(f"module 'tutor' has no attribute {name!r}")


def load_ipython_extension(ip) -> None:
    """``%load_ext tutor``: ``%tutor explain sigmoid`` in a cell (see :mod:`tutor.notebook`)."""
    from tutor.notebook import load_ipython_extension as load

    load(ip)


def _show_in_notebooks() -> None:
    from tutor.notebook import show_in_notebooks

    show_in_notebooks()


_show_in_notebooks()

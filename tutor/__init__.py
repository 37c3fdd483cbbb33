"""tutor: a tutor for the mathematics of gradients.

The public API, importable from ``tutor`` directly::

    load_lesson, load_lesson_file, lesson_names, parse_lesson   lessons (tutor.explaining.lesson)
    parse_expression                                             the safe parser
    derive, Derivation, Step                                     step-by-step derivatives
    explain, lesson_from_expression                              derivatives with numbers
    compile_expr, central_difference, relative_error             NumPy side
    backprop, build_graph, Tensor                                forward/backward passes
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
    "explain": "explaining.explanation", "lesson_from_expression": "explaining.explanation", "Explanation": "explaining.explanation",
    "compile_expr": "calculus.numeric", "central_difference": "calculus.numeric", "relative_error": "calculus.agreement",
    "TutorError": "errors", "ExpressionError": "errors", "LessonError": "errors",
    "sigmoid": "calculus.functions", "softplus": "calculus.functions", "relu": "calculus.functions",
    "gelu": "calculus.table", "silu": "calculus.table", "softsign": "calculus.table",
    "backprop": "backpropagation.backprop", "build_graph": "backpropagation.graph", "Tensor": "backpropagation.tensor",
    "check_answer": "checking.check", "check_expression": "checking.check", "check_claim": "checking.check",
    "Verdict": "checking.check", "ClaimVerdict": "checking.check", "Diagnosis": "checking.diagnose",
    "check_gradient": "checking.gradcheck", "assert_gradient": "checking.gradcheck",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tutor' has no attribute {name!r}")


def _show_in_notebooks() -> None:
    """In IPython/Jupyter, show derivations as LaTeX and explanations as Markdown.

    Registered by name, so nothing heavy is imported until an object is displayed; the
    engine's data classes stay free of any rendering code."""
    try:
        ip = sys.modules["IPython"].get_ipython()
    except (KeyError, AttributeError):
        return
    if ip is None:
        return

    def derivation_latex(d):
        from tutor.renderers.explaining.latex import derivation_latex as render

        return "$$" + render(d) + "$$"

    def explanation_markdown(e):
        from tutor.renderers.explaining.markdown import explanation_markdown as render

        return render(e)

    formatters = ip.display_formatter.formatters
    formatters["text/latex"].for_type_by_name("tutor.calculus.steps", "Derivation", derivation_latex)
    formatters["text/markdown"].for_type_by_name("tutor.explaining.explanation", "Explanation",
                                                 explanation_markdown)


_show_in_notebooks()

"""tutor: a tutor for the mathematics of gradients.

The public API, importable from ``tutor`` directly::

    load_lesson, load_lesson_file, lesson_names, parse_lesson   lessons (tutor.lesson)
    parse_expression                                             the safe parser
    derive, Derivation, Step                                     step-by-step derivatives
    explain, lesson_from_expression                              derivatives with numbers
    compile_expr, central_difference, relative_error             NumPy side
    TutorError                                                   bad input

Names are loaded on first use, so ``import tutor`` stays cheap.
"""

from importlib import import_module

__version__ = "0.1.0"

_WHERE = {
    "load_lesson": "lesson", "load_lesson_file": "lesson", "lesson_names": "lesson",
    "parse_lesson": "lesson", "Lesson": "lesson",
    "parse_expression": "parser",
    "derive": "derive", "Named": "derive",
    "Derivation": "steps", "Step": "steps",
    "explain": "explain", "lesson_from_expression": "explain", "Explanation": "explain",
    "compile_expr": "numeric", "central_difference": "numeric", "relative_error": "numeric",
    "TutorError": "errors", "ExpressionError": "errors", "LessonError": "errors",
    "sigmoid": "functions", "softplus": "functions", "relu": "functions",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tutor' has no attribute {name!r}")

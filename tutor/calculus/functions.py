"""Named functions of machine learning as SymPy functions.

SymPy has exp, log, tanh, Max and Heaviside, but not the names a learner meets: σ (the
logistic sigmoid), softplus and ReLU.  Each class here knows its own derivative, how to
rewrite itself with elementary functions (``expr.rewrite(sympy.exp)``), and how to print.
"""

from __future__ import annotations

import sympy
from sympy import Add, Function, Heaviside, Pow, S, exp, log


class sigmoid(Function):
    """σ(z) = 1 / (1 + e^(−z)), the logistic function."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return S.Half

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + exp(-arg))

    def _eval_is_positive(self):
        return self.args[0].is_extended_real

    def _latex(self, printer, exp=None):
        body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


class softplus(Function):
    """softplus(z) = log(1 + e^z), a smooth ReLU."""

    nargs = 1
    is_real = True

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return log(1 + exp(arg))

    _eval_rewrite_as_log = _eval_rewrite_as_exp

    def _eval_evalf(self, prec):
        # mpmath has no softplus: evaluate the written-out form at the requested precision
        return log(1 + exp(self.args[0]))._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        body = r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


class relu(Function):
    """ReLU(z) = max(0, z); its derivative jumps at 0, where this project uses 0."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_extended_real:
            return sympy.Max(0, arg)

    def fdiff(self, argindex=1):
        return Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, arg, **kwargs):
        return sympy.Max(0, arg)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sympy.Max(0, arg)

    def _latex(self, printer, exp=None):
        body = r"\operatorname{ReLU}\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


def named_function(name: str, *, written, derivative=None, evaluated=None,
                   latex: str = "") -> type:
    """A SymPy function ``name(u)`` defined by its elementary form ``written(u)``, with the
    derivative ``derivative(u)`` (default: the derivative of the written form).  The class
    carries both as ``.written`` and ``.derivative``; see :mod:`tutor.calculus.table`.
    ``evaluated(u)``, if given, is an equal form evaluated to a number instead of the written
    one, for a written form that loses every digit to cancellation somewhere."""
    evaluated = evaluated or written
    if derivative is None:
        u = sympy.Dummy("u", real=True)
        slope = sympy.diff(written(u), u)

        def derivative(arg):
            return slope.xreplace({u: arg})

    def eval(cls, arg):
        if arg.is_zero:
            return S.Zero

    def fdiff(self, argindex=1):
        return derivative(self.args[0])

    def rewrite(self, arg, **kwargs):
        return written(arg)

    def evalf(self, prec):
        return evaluated(self.args[0])._eval_evalf(prec)

    def to_latex(self, printer, exp=None):
        body = r"%s\left(%s\right)" % (latex or r"\operatorname{%s}" % name,
                                        printer._print(self.args[0]))
        return body if exp is None else r"%s^{%s}" % (body, exp)

    return type(name, (Function,), {
        "__module__": __name__, "__doc__": f"{name}(u), written out as {written(sympy.Symbol('u'))}",
        "nargs": 1, "is_real": True, "eval": classmethod(eval), "fdiff": fdiff,
        "_eval_rewrite_as_exp": rewrite, "_eval_evalf": evalf, "_latex": to_latex,
        "written": staticmethod(written), "derivative": staticmethod(derivative)})


def _named():
    from tutor.calculus.table import NAMED

    return NAMED


def elementary(expr: sympy.Expr) -> sympy.Expr:
    """The same expression with the named functions written out (σ → 1/(1+e^(−z)), …)."""
    NAMED = _named()
    if not expr.has(*NAMED):
        return expr
    # only the named function itself is rewritten: e.rewrite(exp) would also turn a sin or
    # tanh in its argument into complex exponentials
    return expr.replace(
        lambda e: isinstance(e, NAMED), lambda e: e._eval_rewrite_as_exp(*e.args)
    )


def stable_form(expr: sympy.Expr) -> sympy.Expr:
    """Replace 1/(1 + e^(−a)) by σ(a) and log(1 + e^a) by softplus(a)."""

    def one_plus_exp(e):
        if isinstance(e, Add) and len(e.args) == 2 and sympy.S.One in e.args:
            other = e.args[0] if e.args[1] == 1 else e.args[1]
            if isinstance(other, exp):
                return other.args[0]
        return None

    def is_logistic(e):
        # (1 + e^(−a))^(−n) = σ(a)^n, for n = 1, 2, …
        return (isinstance(e, Pow) and e.exp.is_Integer and e.exp < 0
                and one_plus_exp(e.base) is not None)

    def is_softplus(e):
        return isinstance(e, log) and one_plus_exp(e.args[0]) is not None

    expr = expr.replace(is_logistic, lambda e: sigmoid(-one_plus_exp(e.base)) ** -e.exp)
    return expr.replace(is_softplus, lambda e: softplus(one_plus_exp(e.args[0])))

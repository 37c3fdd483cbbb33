"""Every elementwise function of the tutor, each declared once.

One :class:`Function` entry holds everything the engines need to know about f: the names a
learner types, its SymPy form, its derivative as a differentiation rule (with the rule's
statement), its numerically stable NumPy form and local derivative (for batches, the graph of
backpropagation and the tensor engine), a plain-float form where Python's ``math`` has none,
its kink, and how it is displayed (text, LaTeX, MathML).  Each engine builds its own map from
:data:`FUNCTIONS`: ``rules.OUTER``, ``graph.UNARY``, the ``Tensor`` methods,
``numeric.NUMPY_FUNCTIONS``, ``pointwise.SCALAR_FUNCTIONS``, the parser's names and the
renderers' printers.  Adding a function is adding an entry here.

NumPy is imported only when a NumPy form is called: ``tutor explain`` never needs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import sympy
from sympy import (
    Abs, Heaviside, S, acos, acosh, asin, asinh, atan, atanh, cos, cosh, cot, csc, exp, log,
    sec, sign, sin, sinh, sqrt, tan, tanh,
)

from tutor.calculus.functions import named_function, relu, sigmoid, softplus
from tutor.calculus.sizes import Bound, LOG10_E, pow10
from tutor.i18n import N_


class _LazyNumpy:
    """``np.exp`` and friends, importing NumPy on first use."""

    def __getattr__(self, name):
        import numpy

        return getattr(numpy, name)


np = _LazyNumpy()

#: the note of a rule whose function has a kink at 0
KINK = N_("not differentiable where {u} = 0; at such a point the tutor shows the derivative "
         "from the left")
STEP = N_("a step: 0 everywhere except the jump at {u} = 0")


@dataclass(frozen=True)
class Function:
    """One elementwise function f(u) and everything the engines need to know about it."""

    #: the name a learner types, and the graph's and the tensor engine's name for it
    name: str
    #: the SymPy function (a class, or a builder of expressions)
    sympy: Callable
    #: d/du f(u), the outer derivative of the chain rule (a SymPy expression of u)
    outer: Callable[[sympy.Expr], sympy.Expr]
    #: the differentiation rule's key (shown by its statement in derivation steps)
    rule: str
    #: f on NumPy arrays, stable for large |u|; a function with further constant arguments
    #: takes them too (Heaviside's value at 0, by default 0: [u > 0], as typed)
    numpy: Callable
    #: the local derivative on arrays, from the input u and the output y = f(u)
    slope: Callable
    #: the same as a SymPy expression of u and y (shown in the backward table)
    slope_formula: Callable
    #: other spellings the parser accepts
    aliases: tuple[str, ...] = ()
    #: how the parser builds it (default: ``sympy``)
    make: Callable | None = None
    #: f on one float, when Python's ``math`` has no function of that name
    scalar: Callable | None = None
    #: the rule's statement, when the rule is this function's own
    statement: str = ""
    #: the rule's statement in LaTeX
    statement_latex: str = ""
    #: a sentence under the rule (a kink, a step)
    note: str = ""
    #: (slope on the left, on the right, slope used) at u = 0, for a function with a kink
    kink: tuple[float, float, float] | None = None
    #: the name in the graph, when it differs from ``name``
    node: str = ""
    #: shown in text and MathML (default: ``name``)
    shown: str = ""
    #: how large and how small f may be, from what is known of its argument (see :class:`Bound`)
    size: Callable[["Bound"], tuple[float, float]] | None = field(default=None, compare=False)
    #: an elementary form, for a function the tutor defines itself (see ``custom``)
    written: Callable | None = field(default=None, compare=False)
    #: how Maxima (the algebra behind STACK quizzes) writes f(u), as a format of the argument
    #: (default: ``name({0})``); a function the tutor defines itself is written out first
    maxima: str = ""

    @property
    def custom(self) -> bool:
        """A function SymPy does not have (σ, softplus, ReLU, GELU, …)."""
        return not getattr(self.sympy, "__module__", "").startswith("sympy")

    @property
    def op(self) -> str:
        return self.node or self.name

    @property
    def display(self) -> str:
        return self.shown or self.name

    @property
    def maxima_form(self) -> str:
        return self.maxima or self.name + "({0})"

    @property
    def typed(self) -> tuple[str, ...]:
        return (self.name,) + self.aliases


# -- sizes, for the parser's limits ------------------------------------------------------------
def _e_to(b: float) -> float:
    """log10 of e^(10^b), the largest e^|u| when |u| ≤ 10^b."""
    return pow10(b) * LOG10_E


def _same(b: Bound) -> tuple[float, float]:
    return b.mag, b.tiny


def _unit(b: Bound) -> tuple[float, float]:
    return 0.0, 0.0


def _periodic(b: Bound) -> tuple[float, float]:
    # sin and cos: at most 1, and as small as the distance of the argument to a zero
    return 0.0, b.mag + b.tiny + 1


def _periodic_poles(b: Bound) -> tuple[float, float]:
    return b.mag + b.tiny + 1, b.mag + b.tiny + 1


def _inverse(b: Bound) -> tuple[float, float]:
    return math.log10(max(b.mag, b.tiny) * 2.31 + 2) + 1, b.tiny + 1


def _log_size(b: Bound) -> tuple[float, float]:
    # log(1 + small) is small: as small as the digits of the argument allow
    return math.log10(max(b.mag, b.tiny) * 2.31 + 1) + 0.5, b.tiny + b.mag + b.digits + 1


def _gated_size(gate_exponent: Callable[[float], float]):
    """u·g(u) with a gate g between 0 and 1 that is at least ½ for u > 0 (SiLU, GELU): no
    larger than u; for u < 0 as small as |u|·e^(−gate_exponent), where the gate closes."""

    def size(b: Bound) -> tuple[float, float]:
        if b.sign is not None and b.sign > 0:
            return b.mag, b.tiny + 1
        return b.mag, b.tiny + 1 + gate_exponent(b.mag)

    return size


# -- stable NumPy forms -----------------------------------------------------------------------
def stable_sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    # e^(−|z|) never overflows; pick the algebraically equal form by the sign of z
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def stable_softplus(z):
    return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))


def numpy_relu(z):
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


#: GELU's tanh approximation: ½u(1 + tanh(√(2/π)(u + 0.044715u³)))
GELU_K = sympy.sqrt(2 / sympy.pi)
GELU_C = sympy.Rational(44715, 1000000)
_K, _C = math.sqrt(2 / math.pi), 0.044715


def _gelu_inner(u):
    return GELU_K * (u + GELU_C * u ** 3)


def _numpy_gelu(u):
    u = np.asarray(u, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return 0.5 * u * (1.0 + np.tanh(_K * (u + _C * u ** 3)))


def _numpy_gelu_slope(u, y):
    u = np.asarray(u, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.tanh(_K * (u + _C * u ** 3))
        # ½(1 + t) + ½u(1 − t²)·k(1 + 3c u²); where t = ±1 the second term is 0
        second = np.where(np.abs(t) < 1.0, 0.5 * u * (1.0 - t * t) * _K * (1.0 + 3 * _C * u * u), 0.0)
    return 0.5 * (1.0 + t) + second


def _scalar_sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _scalar_gelu(u: float) -> float:
    inner = _K * (u + _C * u ** 3) if abs(u) < 1e100 else math.copysign(math.inf, u)
    return 0.5 * u * (1.0 + math.tanh(inner))


def _sech2(u, y):
    return 1.0 - y * y


# SymPy differentiates a jump (sign, heaviside) into a Dirac delta.  As a number the engines
# use the slope on either side of the jump, 0, and 0 at the jump itself, as the kinks of sign
# and heaviside declare: these join the NumPy and the plain-float namespaces.
def _numpy_no_slope(u, *order):
    return np.zeros_like(np.asarray(u, dtype=np.float64))


NUMPY_EXTRAS = {"DiracDelta": _numpy_no_slope}
SCALAR_EXTRAS = {"DiracDelta": lambda u, *order: 0.0}


# -- the functions the tutor defines itself ------------------------------------------------------
# ½(1 + tanh a) = 1/(1 + e^(−2a)): the written form loses every digit to 1 + tanh a far left
# (GELU(−100) would be 0, and log(−GELU(−100)) infinite), the second keeps them
gelu = named_function(
    "gelu", written=lambda u: u / 2 * (1 + tanh(_gelu_inner(u))),
    evaluated=lambda u: u / (1 + exp(-2 * _gelu_inner(u))),
    latex=r"\operatorname{GELU}")
silu = named_function(
    "silu", written=lambda u: u / (1 + exp(-u)),
    derivative=lambda u: sigmoid(u) * (1 + u * (1 - sigmoid(u))),
    latex=r"\operatorname{SiLU}")
softsign = named_function(
    "softsign", written=lambda u: u / (1 + Abs(u)),
    derivative=lambda u: 1 / (1 + Abs(u)) ** 2,
    latex=r"\operatorname{softsign}")


def _trig(f, d, np_f, np_slope, formula):
    return Function(f.__name__, f, d, "trig", np_f, np_slope, formula)


FUNCTIONS: tuple[Function, ...] = (
    Function("exp", exp, lambda u: exp(u), "exp", lambda u: np.exp(u), lambda u, y: y,
             lambda u, y: y, statement=N_("d/du eᵘ = eᵘ"),
             statement_latex=r"\tfrac{d}{du} e^u = e^u",
             size=lambda b: (_e_to(b.mag), _e_to(b.mag))),
    Function("log", log, lambda u: 1 / u, "log",
             lambda u: np.log(u), lambda u, y: 1.0 / u, lambda u, y: 1 / u, aliases=("ln",),
             statement=N_("d/du log u = 1/u"), statement_latex=r"\tfrac{d}{du} \log u = 1/u",
             size=_log_size),
    Function("sin", sin, lambda u: cos(u), "trig", lambda u: np.sin(u),
             lambda u, y: np.cos(u), lambda u, y: cos(u), size=_periodic),
    Function("cos", cos, lambda u: -sin(u), "trig", lambda u: np.cos(u),
             lambda u, y: -np.sin(u), lambda u, y: -sin(u), size=_periodic),
    Function("tan", tan, lambda u: 1 + tan(u) ** 2, "trig", lambda u: np.tan(u),
             lambda u, y: 1.0 + y * y, lambda u, y: 1 + y ** 2, size=_periodic_poles),
    Function("sec", sec, lambda u: sec(u) * tan(u), "trig", lambda u: 1.0 / np.cos(u),
             lambda u, y: y * np.tan(u), lambda u, y: y * tan(u), size=_periodic_poles),
    Function("csc", csc, lambda u: -csc(u) * cot(u), "trig", lambda u: 1.0 / np.sin(u),
             lambda u, y: -y / np.tan(u), lambda u, y: -y * cot(u), size=_periodic_poles),
    Function("cot", cot, lambda u: -1 - cot(u) ** 2, "trig", lambda u: 1.0 / np.tan(u),
             lambda u, y: -1.0 - y * y, lambda u, y: -1 - y ** 2, size=_periodic_poles),
    Function("asin", asin, lambda u: 1 / sqrt(1 - u ** 2), "inverse trig",
             lambda u: np.arcsin(u), lambda u, y: 1.0 / np.sqrt(1.0 - u * u),
             lambda u, y: 1 / sqrt(1 - u ** 2), aliases=("arcsin",), size=_inverse),
    Function("acos", acos, lambda u: -1 / sqrt(1 - u ** 2), "inverse trig",
             lambda u: np.arccos(u), lambda u, y: -1.0 / np.sqrt(1.0 - u * u),
             lambda u, y: -1 / sqrt(1 - u ** 2), aliases=("arccos",), size=_inverse),
    Function("atan", atan, lambda u: 1 / (1 + u ** 2), "inverse trig",
             lambda u: np.arctan(u), lambda u, y: 1.0 / (1.0 + u * u),
             lambda u, y: 1 / (1 + u ** 2), aliases=("arctan",), size=_inverse),
    Function("sinh", sinh, lambda u: cosh(u), "hyperbolic", lambda u: np.sinh(u),
             lambda u, y: np.cosh(u), lambda u, y: cosh(u), size=lambda b: (_e_to(b.mag), b.tiny)),
    Function("cosh", cosh, lambda u: sinh(u), "hyperbolic", lambda u: np.cosh(u),
             lambda u, y: np.sinh(u), lambda u, y: sinh(u), size=lambda b: (_e_to(b.mag), 0.0)),
    Function("tanh", tanh, lambda u: 1 - tanh(u) ** 2, "hyperbolic", lambda u: np.tanh(u),
             _sech2, lambda u, y: 1 - y ** 2, size=lambda b: (0.0, b.tiny + 1)),
    Function("asinh", asinh, lambda u: 1 / sqrt(u ** 2 + 1), "inverse hyperbolic",
             lambda u: np.arcsinh(u), lambda u, y: 1.0 / np.sqrt(u * u + 1.0),
             lambda u, y: 1 / sqrt(u ** 2 + 1), size=_inverse),
    # written as 1/(√(u−1)·√(u+1)), not 1/√(u²−1): the two agree on acosh's real domain
    # u > 1, but only the first is the derivative of the principal branch everywhere
    Function("acosh", acosh, lambda u: 1 / (sqrt(u - 1) * sqrt(u + 1)), "inverse hyperbolic",
             lambda u: np.arccosh(u), lambda u, y: 1.0 / np.sqrt(u * u - 1.0),
             lambda u, y: 1 / sqrt(u ** 2 - 1), size=_inverse),
    Function("atanh", atanh, lambda u: 1 / (1 - u ** 2), "inverse hyperbolic",
             lambda u: np.arctanh(u), lambda u, y: 1.0 / (1.0 - u * u),
             lambda u, y: 1 / (1 - u ** 2), size=_inverse),
    Function("sigmoid", sigmoid, lambda u: sigmoid(u) * (1 - sigmoid(u)), "sigmoid",
             stable_sigmoid, lambda u, y: y * (1.0 - y), lambda u, y: y * (1 - y),
             aliases=("sig", "logistic", "σ"), scalar=_scalar_sigmoid,
             statement=N_("σ′ = σ(1 − σ)"), statement_latex=r"\sigma' = \sigma(1 - \sigma)",
             shown="σ", size=lambda b: (0.0, _e_to(b.mag))),
    Function("softplus", softplus, lambda u: sigmoid(u), "softplus", stable_softplus,
             lambda u, y: stable_sigmoid(u), lambda u, y: sigmoid(u),
             scalar=lambda z: max(z, 0.0) + math.log1p(math.exp(-abs(z))),
             statement=N_("softplus′ = σ"),
             statement_latex=r"\operatorname{softplus}' = \sigma",
             size=lambda b: (b.mag + 1, _e_to(b.mag))),
    Function("relu", relu, lambda u: Heaviside(u, 0), "relu", numpy_relu,
             lambda u, y: (np.asarray(u) > 0).astype(np.float64),
             lambda u, y: Heaviside(u, 0), aliases=("ReLU",), scalar=lambda z: max(z, 0.0),
             statement=N_("ReLU (kink at 0)"), note=KINK, kink=(0.0, 1.0, 0.0), shown="ReLU",
             size=_same),
    Function("gelu", gelu, gelu.derivative, "gelu", _numpy_gelu, _numpy_gelu_slope,
             lambda u, y: gelu.derivative(u), aliases=("GELU",), scalar=_scalar_gelu,
             statement=N_("GELU′, from ½u(1 + tanh a), a = √(2/π)(u + 0.044715u³)"),
             statement_latex=r"\operatorname{GELU}'", shown="GELU",
             size=_gated_size(lambda m: 2 * _K * LOG10_E * (pow10(m) + _C * pow10(3 * m)))),
    Function("silu", silu, silu.derivative, "silu",
             lambda u: np.asarray(u, dtype=np.float64) * stable_sigmoid(u),
             lambda u, y: stable_sigmoid(u) * (1.0 + u * (1.0 - stable_sigmoid(u))),
             lambda u, y: sigmoid(u) * (1 + u * (1 - sigmoid(u))),
             aliases=("swish", "SiLU"), scalar=lambda z: z * _scalar_sigmoid(z),
             statement=N_("SiLU′ = σ(u)(1 + u(1 − σ(u)))"),
             statement_latex=r"\operatorname{SiLU}' = \sigma(u)(1 + u(1 - \sigma(u)))",
             shown="SiLU", size=_gated_size(_e_to)),
    Function("softsign", softsign, softsign.derivative, "softsign",
             lambda u: np.asarray(u, dtype=np.float64) / (1.0 + np.abs(u)),
             lambda u, y: 1.0 / (1.0 + np.abs(u)) ** 2, lambda u, y: 1 / (1 + Abs(u)) ** 2,
             scalar=lambda z: z / (1.0 + abs(z)),
             statement=N_("softsign′ = 1/(1 + |u|)²"),
             statement_latex=r"\operatorname{softsign}' = 1/(1 + \lvert u\rvert)^2",
             size=lambda b: (0.0, b.tiny + 1)),
    Function("abs", Abs, lambda u: sign(u), "abs", lambda u: np.abs(u),
             lambda u, y: np.sign(u), lambda u, y: sign(u), note=KINK, kink=(-1.0, 1.0, 0.0),
             statement=N_("|u|′ = sign u (kink)"),
             statement_latex=r"\lvert u\rvert' = \operatorname{sign} u", shown="|·|", size=_same),
    Function("sign", sign, lambda u: S.Zero, "step", lambda u: np.sign(u),
             lambda u, y: np.zeros_like(u), lambda u, y: S.Zero, note=STEP,
             kink=(0.0, 0.0, 0.0), size=_unit, maxima="signum({0})"),
    Function("heaviside", Heaviside, lambda u: S.Zero, "step",
             lambda u, at_zero=0.0: np.heaviside(u, at_zero), lambda u, y: np.zeros_like(u),
             lambda u, y: S.Zero, make=lambda u: Heaviside(u, 0), note=STEP,
             kink=(0.0, 0.0, 0.0), node="step", shown="step", size=_unit,
             maxima="charfun({0} > 0)"),
)

BY_NAME: dict[str, Function] = {f.name: f for f in FUNCTIONS}
#: the functions the tutor defines itself, which a rewrite turns into elementary ones
NAMED: tuple[type, ...] = tuple(f.sympy for f in FUNCTIONS if f.custom)

"""Sizes of numbers, for the parser's limits: what the builder knows of every node before
SymPy sees it.  See :mod:`tutor.calculus.builder` and each function's ``size`` in
:mod:`tutor.calculus.table`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

# SymPy evaluates as it builds: it multiplies out powers of numbers, cancels x/x, and decides
# questions such as "is this constant positive?" by computing it.  The builder therefore
# knows, before each SymPy object is made, bounds that hold even if symbols cancel (a symbol
# counts as a number of size 1):
#
# * P and Q: log10 of the largest numerator and denominator of any rational number SymPy could
#   form from the node (this keeps powers such as 999^999 from being computed);
# * mag and tiny: log10 of the largest |value| and of the largest 1/|value| (this keeps
#   exp(exp(exp(exp(2)))) and sin(e^(10^9)) from being evaluated);
# * depth: how deeply functions and powers of non-rational constants nest (SymPy's numeric
#   checks on nested constants such as log(log(log(…(2)))) grow steeply with depth);
# * power: log10 of the exponent SymPy may form by merging (x^a)^b into x^(ab).
#
# Exact rational constants are also carried as Fractions, computed only after their size
# bound has been checked.  The numeric limits apply where SymPy would actually see numbers:
# the builder looks at the SymPy arguments already built, so 2*x/x counts as the number 2.

LOG10_E = math.log10(math.e)
_LOG10_2 = math.log10(2)
MAX_MAGNITUDE = 10_000  # log10 of the largest |value| (or 1/|value|) of a constant
MAX_TRIG_ARGUMENT = 1000  # log10 of the largest constant argument of sin, cos, …
MAX_CONSTANT_NESTING = 4  # functions/powers of non-rational constants inside each other
MAX_CONSTANT_OPERATIONS = 40  # functions/powers of non-rational constants in all
MAX_MINMAX_ARGUMENTS = 12  # arguments of max and min in all (SymPy compares them pairwise)


def _log10(n: int) -> float:
    """log10(|n|) (an upper bound for huge n); 0 for 0 and ±1."""
    n = abs(n)
    if n <= 1:
        return 0.0
    bits = n.bit_length()
    return math.log10(n) if bits < 1000 else bits * _LOG10_2


def number_size(value: Fraction) -> tuple[float, float]:
    return _log10(value.numerator), _log10(value.denominator)


def digits(value: Fraction) -> float:
    """log10 of the numerator plus log10 of the denominator."""
    p, q = number_size(value)
    return p + q


def pow10(p: float) -> float:
    return math.inf if p > 300 else 10.0**p


def show_number(value: Fraction) -> str:
    """A number for a message, short even when the number is huge."""
    p, q = number_size(value)
    if p < 20 and q < 20:
        return str(value)
    return f"of about 10^{p - q:.0f}"


def show_digits(d: float) -> str:
    return f"about {d + 1:.0f} digits" if math.isfinite(d) else "an astronomical number of digits"


def show_power_of_ten(m: float) -> str:
    return f"about 10^{m:.0f}" if math.isfinite(m) and m < 1e15 else "an astronomical size"


class Info:
    """What the builder knows about a node (see the comment above)."""

    __slots__ = ("value", "p", "q", "mag", "tiny", "depth", "power")

    def __init__(self, value=None, p=0.0, q=0.0, mag=0.0, tiny=0.0, depth=0, power=0.0):
        self.value: Fraction | None = value
        self.p = p
        self.q = q
        self.mag = mag
        self.tiny = tiny
        self.depth = depth
        #: log10 of the exponent SymPy may make by merging powers of powers, (x^a)^b = x^(ab)
        self.power = power


@dataclass(frozen=True)
class Bound:
    """What the parser knows of a constant argument before SymPy evaluates anything: log10 of
    the largest |value| it may have (``mag``) and of the largest 1/|value| (``tiny``), the
    digits of the rational numbers in it, and its sign when it is an exact number.  A
    function's ``size`` turns this into the same two bounds for f(argument), so that the
    parser refuses e^(e^(e^9)) or sin(1/σ(−10⁴)) before SymPy tries to compute them."""

    mag: float
    tiny: float
    digits: float = 0.0
    sign: int | None = None

"""The cost of multiplying an expression out, counted before any of it is done, against the
number of terms SymPy's expand really gives on small cases."""

import pytest
import sympy

from tutor.calculus.cost import TERMS, affordable, expanded_terms

x, y, z, w = sympy.symbols("x y z w")


@pytest.mark.parametrize("expr", [
    (x + y) ** 5, (x + y + z) ** 4, (x + y + z + w) ** 6, (x + 1) * (y + 2) * (z + 3),
    (x + y) ** 3 * (z + w) ** 2, x * y * z, (x + y + z) ** 2 + (x - w) ** 3,
])
def test_the_count_is_the_number_of_terms_expand_gives_at_most(expr):
    actual = len(sympy.Add.make_args(sympy.expand(expr)))
    counted = expanded_terms(expr)
    assert counted >= actual
    # with distinct symbols and no cancellation the count is exact
    if expr in ((x + y) ** 5, (x + y + z) ** 4, (x + y + z + w) ** 6, (x + 1) * (y + 2) * (z + 3)):
        assert counted == actual


def test_a_function_argument_is_counted_too():
    assert expanded_terms(sympy.exp((x + y + z + w) ** 50)) > TERMS
    assert not affordable(sympy.sin((x + y) ** 5000))
    assert affordable(sympy.exp((x + y) ** 3) * x)


def test_huge_powers_are_beyond_the_cap_without_computing_them():
    # C(1003, 3) = 167,668,501, the terms of (x + y + z + w)^1000
    assert expanded_terms((x + y + z + w) ** 1000) == 1003 * 1002 * 1001 // 6
    assert not affordable((x + y + z + w) ** 1000)
    assert not affordable((x + 1) ** 999 * (x - 1) ** 999)
    assert not affordable(sympy.Pow(x + y, 10**12, evaluate=False))
    assert affordable((x + 1) ** 999)  # a binomial power of degree 999: 1000 terms

"""The one relative error, for scalars (no NumPy) and arrays alike, with hand-worked values."""

import math
import subprocess
import sys

import numpy as np

from tutor import relative_error


def test_hand_worked_scalars():
    assert relative_error(1.0, 1.1) == abs(1.0 - 1.1) / 1.1
    assert relative_error(-2.0, 2.0) == 2.0  # 4 / 2
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(0.0, 1e-9) == 1.0
    assert math.isnan(relative_error(math.nan, 1.0))
    assert math.isnan(relative_error(math.inf, math.inf))


def test_arrays_elementwise_agree_with_a_plain_loop():
    a = [1.0, -2.0, 0.0, 3.5, math.inf, math.nan]
    b = [1.1, 2.0, 0.0, 3.5000001, 1.0, 2.0]
    got = relative_error(np.array(a), np.array(b))
    for x, y, g in zip(a, b, got):
        if not (math.isfinite(x) and math.isfinite(y)):
            assert math.isnan(g)
        else:
            assert g == (abs(x - y) / max(abs(x), abs(y)) if (x or y) else 0.0)


def test_scalars_never_load_numpy():
    code = ("import sys\nfrom tutor.calculus.agreement import relative_error\n"
            "print(relative_error(3.0, 4.0), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.25", "False"]

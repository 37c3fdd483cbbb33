"""tutor gradcheck: planted bugs in NumPy gradient code are found, the right code passes,
and a file that cannot be used is one clear line with exit code 2."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

from tutor import cli
from tutor.checking.gradcheck import assert_gradient, check_gradient

MODEL = '''
import numpy as np

def inputs():
    rng = np.random.default_rng(1)
    return {"W": rng.normal(size=(3, 3)), "b": rng.normal(size=3),
            "X": rng.normal(size=(6, 3)), "y": rng.normal(size=(6, 3))}

def loss_and_grad(W, b, X, y):
    # L = (1/2n) sum (XW + b - y)^2, worked out by hand: dL/dW = X^T r / n, dL/db = mean r
    n = X.shape[0]
    r = X @ W + b - y
    return 0.5 * np.sum(r ** 2) / n, {"W": X.T @ r / n, "b": r.sum(axis=0) / n}

def transposed(W, b, X, y):
    n = X.shape[0]
    r = X @ W + b - y
    return 0.5 * np.sum(r ** 2) / n, {"W": (X.T @ r / n).T, "b": r.sum(axis=0) / n}

def no_mean(W, b, X, y):
    n = X.shape[0]
    r = X @ W + b - y
    return 0.5 * np.sum(r ** 2) / n, {"W": X.T @ r, "b": r.sum(axis=0) / n}

def one_sign(W, b, X, y):
    n = X.shape[0]
    r = X @ W + b - y
    gb = r.sum(axis=0) / n
    gb[1] = -gb[1]
    return 0.5 * np.sum(r ** 2) / n, {"W": X.T @ r / n, "b": gb}

def loss(W, b, X, y):
    return loss_and_grad(W, b, X, y)[0]

def grad(W, b, X, y):
    g = loss_and_grad(W, b, X, y)[1]
    return (g["W"], g["b"])
'''


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return str(path)


def _run(*args):
    return CliRunner().invoke(cli.main, ["gradcheck", *args])


def test_right_gradient_passes(model):
    r = _run(f"{model}:loss_and_grad")
    assert r.exit_code == 0, r.output
    assert "✓ good" in r.output and "✗" not in r.output
    r = _run(f"{model}:loss,grad")
    assert r.exit_code == 0, r.output


def test_transposed_matrix_found(model):
    r = _run(f"{model}:transposed")
    assert r.exit_code == 1
    assert "transpose" in r.output
    assert "W[" in r.output


def test_missing_one_over_n_found(model):
    r = _run(f"{model}:no_mean", "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.output)
    w = next(p for p in data["inputs"] if p["name"] == "W")
    assert w["status"] == "wrong"
    assert "6 ×" in w["pattern"] and "1/6" in w["pattern"]
    b = next(p for p in data["inputs"] if p["name"] == "b")
    assert b["status"] == "good"


def test_wrong_sign_in_one_entry_found(model):
    r = _run(f"{model}:one_sign", "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.output)
    b = next(p for p in data["inputs"] if p["name"] == "b")
    assert b["status"] == "wrong"
    assert b["worst"][0]["index"] == [1]
    assert b["worst"][0]["analytic"] == pytest.approx(-b["worst"][0]["numeric"], rel=1e-6)
    # the other entries are fine
    assert all(e["error"] < 1e-7 for e in b["worst"][1:])


def test_finite_differences_by_hand():
    # L = sum(x^3): dL/dx = 3x^2; the finite differences match the textbook formula
    x = np.array([0.5, -1.5, 2.0])
    report = check_gradient(lambda x: (np.sum(x ** 3), {"x": 3 * x ** 2}), {"x": x})
    assert report.ok and report.status == "good"
    for e in report.params[0].entries:
        assert e.numeric == pytest.approx(3 * x[e.index] ** 2, rel=1e-9)


def test_library_call_for_the_users_tests():
    W = np.arange(6.0).reshape(2, 3) / 10
    x = np.array([1.0, -2.0, 0.5])

    def fn(W, x):
        h = np.tanh(W @ x)
        return np.sum(h), {"W": np.outer(1 - h ** 2, x)}

    assert assert_gradient(fn, {"W": W, "x": x}).ok

    def wrong(W, x):
        h = np.tanh(W @ x)
        return np.sum(h), {"W": np.outer(1 - h, x)}

    with pytest.raises(AssertionError, match="W\\["):
        assert_gradient(wrong, {"W": W, "x": x})


def test_random_subset_for_big_arrays():
    x = np.linspace(-1, 1, 5000)
    report = check_gradient(lambda x: (np.sum(np.sin(x)), {"x": np.cos(x)}), {"x": x},
                            samples=50, seed=3)
    p = report.params[0]
    assert p.checked == 50 and p.total == 5000 and p.status == "good"


def test_kink_is_flagged():
    x = np.array([0.0, 1.0])
    report = check_gradient(lambda x: (np.sum(np.maximum(x, 0)), {"x": (x > 0) * 1.0}), {"x": x})
    entry = next(e for e in report.params[0].entries if e.index == (0,))
    assert entry.kink


@pytest.mark.parametrize("slope", [0.0, 0.25, 0.5, 1.0])
def test_a_correct_subgradient_at_a_kink_never_fails(slope):
    # ReLU at 0: the slopes on the two sides are 0 and 1; any value between them is valid
    x = np.array([0.0, 2.0, -1.5])

    def relu_sum(x):
        return np.sum(np.maximum(x, 0)), {"x": np.where(x > 0, 1.0, np.where(x < 0, 0.0, slope))}

    report = check_gradient(relu_sum, {"x": x})
    assert report.ok and report.params[0].max_error == 0.0
    # |x| at 0: slopes −1 and 1
    report = check_gradient(lambda x: (np.sum(np.abs(x)), {"x": np.sign(x) + (x == 0) * slope}),
                            {"x": x})
    assert report.ok


def test_a_slope_outside_the_two_sides_of_a_kink_fails():
    x = np.array([0.0, 2.0])
    report = check_gradient(lambda x: (np.sum(np.maximum(x, 0)),
                                       {"x": np.where(x > 0, 1.0, 3.0)}), {"x": x})
    assert not report.ok and report.status == "wrong"


def _off_by(relative):
    """A quadratic whose gradient is off by a given relative amount: loss = Σ x², grad 2x(1+r)."""
    return lambda x: (float(np.sum(x ** 2)), {"x": 2 * x * (1 + relative)})


def test_suspicious_fails_by_default_and_passes_when_the_tolerance_allows():
    x = np.array([1.0, -2.0, 0.5])
    report = check_gradient(_off_by(1e-6), {"x": x})
    assert report.status == "suspicious" and not report.ok
    assert check_gradient(_off_by(1e-6), {"x": x}, tolerance=1e-4).ok
    assert not check_gradient(_off_by(1e-3), {"x": x}, tolerance=1e-4).ok
    assert check_gradient(_off_by(0.0), {"x": x}).ok


def test_the_command_exits_1_on_suspicious_unless_tolerated(tmp_path):
    path = tmp_path / "near.py"
    path.write_text("import numpy as np\n"
                    "def inputs():\n    return {'x': np.array([1.0, -2.0, 0.5])}\n"
                    "def f(x):\n    return float(np.sum(x ** 2)), {'x': 2 * x * (1 + 1e-6)}\n")
    assert _run(f"{path}:f").exit_code == 1
    assert _run(f"{path}:f", "--tolerance", "1e-4").exit_code == 0
    assert _run(f"{path}:f", "--tolerance", "2").exit_code == 2


def test_pattern_lines_make_sense():
    x = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 2.5])
    # every entry slightly off by the same tiny amount: no "1 ×" factor, no "0 of 6 wrong"
    report = check_gradient(_off_by(1e-6), {"x": x})
    pattern = report.params[0].pattern
    assert "1 ×" not in pattern and "0 of" not in pattern
    # a real factor of 2 is named
    assert "2 ×" in check_gradient(_off_by(1.0), {"x": x}).params[0].pattern


BAD_FILES = {
    "syntax": ("def f(:\n", "f", "syntax error at line 1"),
    "raises on import": ("raise ValueError('boom')\n", "f", "ValueError: boom"),
    "no function": ("def inputs():\n    return {'x': 1.0}\n", "f", "no function 'f'"),
    "no inputs": ("def f(x):\n    return x, {'x': 1.0}\n", "f", "inputs()"),
    "raises inside": ("def inputs():\n    return {'x': 1.0}\ndef f(x):\n    return 1 / 0\n",
                      "f", "ZeroDivisionError"),
    "not a pair": ("def inputs():\n    return {'x': 1.0}\ndef f(x):\n    return 3.0\n",
                   "f", "(loss, grads)"),
    "array loss": ("import numpy as np\ndef inputs():\n    return {'x': np.ones(3)}\n"
                   "def f(x):\n    return x, {'x': x}\n", "f", "one real number"),
    "wrong shape": ("import numpy as np\ndef inputs():\n    return {'W': np.ones((2, 3))}\n"
                    "def f(W):\n    return W.sum(), {'W': np.ones((3, 2))}\n", "f", "transposed?"),
    "exit": ("import sys\nsys.exit(3)\n", "f", "exit"),
}


@pytest.mark.parametrize("name", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_files_one_line(tmp_path, name):
    source, fn, message = BAD_FILES[name]
    path = tmp_path / "bad.py"
    path.write_text(textwrap.dedent(source))
    r = _run(f"{path}:{fn}")
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("spec", ["nofile.py:f", "model.txt:f", "model.py", "model.py:1x"])
def test_bad_targets(tmp_path, spec):
    r = _run(str(tmp_path / spec))
    assert r.exit_code == 2 and r.output.startswith("error: ")


def test_subprocess(model, tmp_path):
    r = subprocess.run([sys.executable, "-m", "tutor", "gradcheck", f"{model}:one_sign"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert r.returncode == 1, r.stderr
    assert "b[1]" in r.stdout


LEASHED = {
    "loop": ("def f(x):\n    while True:\n        pass\n", "still running after 1 s"),
    "sys.exit": ("import sys\ndef f(x):\n    sys.exit(0)\n", "raised SystemExit"),
    "os._exit": ("import os\ndef f(x):\n    os._exit(0)\n", "ended the process (exit code 0)"),
    "BaseException": ("class Stop(BaseException):\n    pass\ndef f(x):\n    raise Stop()\n",
                      "raised Stop"),
    "huge": ("import numpy as np\ndef f(x):\n    big = np.ones((20000, 20000))\n"
             "    return float(big.sum()), {'x': 1.0}\n", "MemoryError"),
}


@pytest.mark.parametrize("case", sorted(LEASHED))
def test_user_code_runs_on_a_leash(tmp_path, case):
    body, message = LEASHED[case]
    path = tmp_path / "model.py"
    path.write_text("def inputs():\n    return {'x': 1.0}\n" + body)
    r = _run(f"{path}:f", "--timeout", "1")
    assert r.exit_code == 2 and message in r.output and r.output.count("\n") == 1, r.output


AUTOGRAD = textwrap.dedent("""
    import numpy as np


    class MyReLU:
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.maximum(x, 0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * (x > 0)


    class MySigmoid:
        def forward(self, x):
            self.y = 1 / (1 + np.exp(-x))
            return self.y

        def backward(self, grad_output):
            return grad_output * self.y * (1 - self.y)


    class ForgotAFactor(MySigmoid):
        def backward(self, grad_output):
            return grad_output * self.y


    class TwoGrads(MySigmoid):
        def backward(self, grad_output):
            return grad_output, grad_output


    def inputs():
        return {"x": np.array([[-1.5, 0.0, 2.0], [0.3, -0.2, 1.0]])}
""")


@pytest.mark.parametrize("name,code,verdict", [
    ("MyReLU", 0, "good"), ("MySigmoid", 0, "good"), ("ForgotAFactor", 1, "wrong"),
])
def test_a_custom_autograd_function_is_checked_through_its_backward(tmp_path, name, code,
                                                                    verdict):
    (tmp_path / "ops.py").write_text(AUTOGRAD)
    r = CliRunner().invoke(cli.main, ["gradcheck", f"{tmp_path / 'ops.py'}:{name}",
                                      "--format", "json", "--lang", "en"])
    assert r.exit_code == code, r.output
    d = json.loads(r.output)
    assert d["autograd"] == name and d["inputs"][0]["status"] == verdict


def test_a_custom_relu_at_its_kink_is_a_valid_subgradient_and_said_so(tmp_path):
    (tmp_path / "ops.py").write_text(AUTOGRAD)
    r = CliRunner().invoke(cli.main, ["gradcheck", f"{tmp_path / 'ops.py'}:MyReLU",
                                      "--format", "json", "--lang", "en"])
    kink = json.loads(r.output)["inputs"][0]["kinks"]
    # x[0, 1] = 0: ReLU's slope is 0 on the left and v on the right; backward gave 0
    assert [e["index"] for e in kink] == [[0, 1]]
    assert kink[0]["left"] == pytest.approx(0.0, abs=1e-9) and kink[0]["analytic"] == 0.0
    text = CliRunner().invoke(cli.main, ["gradcheck", f"{tmp_path / 'ops.py'}:MyReLU",
                                         "--lang", "en"]).output
    assert "x[0, 1] sits at a kink" in " ".join(text.split())


def test_a_backward_with_the_wrong_number_of_gradients_is_one_line(tmp_path):
    (tmp_path / "ops.py").write_text(AUTOGRAD)
    r = CliRunner().invoke(cli.main, ["gradcheck", f"{tmp_path / 'ops.py'}:TwoGrads",
                                      "--lang", "en"])
    assert r.exit_code == 2 and "returned 2 gradient(s) for 1 input(s)" in r.output
    assert r.output.count("\n") == 1

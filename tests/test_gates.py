"""The gates of the backward pass, named on the learner's own graph, with numbers worked by
hand: an add gate passes its adjoint on unchanged, a max gate routes it to the larger input, a
multiply gate swaps its inputs, a fork adds what comes back."""

import json
import math

from click.testing import CliRunner

from tutor.cli import main


def _backprop(expr, **at):
    args = ["backprop", "--expr", expr, "--format", "json", "--lang", "en"]
    for k, v in at.items():
        args += ["--at", f"{k}={v}"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_add_max_and_multiply_gates_on_cs231ns_example():
    # f = (x + y)·max(z, w) at x = 1, y = 2, z = 3, w = 1: f̄ = 1; the product's inputs are
    # x + y = 3 and max = 3, so each gets 1 × 3; the add passes 3 to x and y; the max routes
    # 3 to z (3 > 1) and 0 to w
    d = _backprop("f = (x + y)*max(z, w)", x=1, y=2, z=3, w=1)
    kinds = {g["kind"]: g for g in d["gates"]}
    assert set(kinds) == {"multiply", "add", "max"}
    assert kinds["multiply"]["values"] == [3.0, 3.0] and kinds["multiply"]["adjoint"] == 1.0
    assert set(kinds["add"]["inputs"]) == {"x", "y"} and kinds["add"]["adjoint"] == 3.0
    assert kinds["max"]["winner"] == "z" and kinds["max"]["adjoint"] == 3.0
    assert d["gradients"] == {"w": 0.0, "x": 3.0, "y": 3.0, "z": 3.0}


def test_a_fork_adds_what_comes_back():
    # f = x² + y·sin x at x = 1, y = 2: x feeds x² (sends 2x = 2) and sin x (sends y·cos x)
    d = _backprop("f = x*x + sin(x)*y", x=1, y=2)
    fork = next(g for g in d["gates"] if g["kind"] == "fork")
    assert fork["node"] == "x"
    assert sorted(fork["values"]) == sorted([2.0, 2 * math.cos(1.0)])
    assert math.isclose(fork["adjoint"], 2 + 2 * math.cos(1.0), rel_tol=1e-12)


def test_the_gates_are_said_in_text_in_both_languages():
    args = ["backprop", "--expr", "f = (x + y)*max(z, w)", "--at", "x=1", "--at", "y=2",
            "--at", "z=3", "--at", "w=1"]
    en = " ".join(CliRunner().invoke(main, args + ["--lang", "en"]).output.split())
    assert "max gate: it routes its adjoint" in en
    assert "= 3 to the larger input z only; w gets 0" in en
    assert "the inputs swap" in en and "add gate" in en
    zh = "".join(CliRunner().invoke(main, args + ["--lang", "zh"]).output.split())
    assert "max门" in zh and "两个输入互换" in zh

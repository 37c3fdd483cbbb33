"""The training header writes a network layer by layer, in the names its lesson declares; every
chain it prints multiplies out to the derivative of the loss written out."""

import math
import random

import pytest
import sympy
from click.testing import CliRunner

from tutor.cli import main
from tutor.explaining.lesson import lesson_names, load_lesson
from tutor.training import layerwise
from tutor.training.layerwise import layer_wise

MLP_DATA = ["--data", "x1=0.5,-1,2,0,1,-0.5", "--data", "x2=1,0.5,-0.5,1.5,0,2",
            "--data", "y=1,-0.5,0.5,0,0.8,-0.2"]


def _params(lesson):
    return [lesson.symbols[k] for k, role in lesson.roles.items() if role == "parameter"]


def _by_chain(form, lesson, point):
    """Each parameter's gradient at ``point``, walking the printed chains: forward values of
    the names, then adjoints from the loss down (upstream × local, summed over uses)."""
    values = dict(point)
    for n in lesson.named:
        values[n.symbol] = float(n.definition.subs(point))
    adjoint = {None: 1.0}
    for row in form.backward:
        for chain in row:
            adjoint[chain.name] = sum(adjoint[up] * float(local.subs(values))
                                      for up, local in chain.terms)
    return {chain.name: sum(adjoint[up] * float(local.subs(values)) for up, local in chain.terms)
            for row in form.params for chain in row}


LESSONS = [name for name in lesson_names()
           if load_lesson(name).named and not load_lesson(name).is_vector]


@pytest.mark.parametrize("name", LESSONS)
def test_every_lessons_chains_multiply_out_to_the_derivative_of_its_loss(name):
    lesson = load_lesson(name)
    form = layer_wise(lesson, _params(lesson))
    assert form is not None
    loss = lesson.outputs[0]
    rng = random.Random(5)
    for _ in range(2):
        point = {s: rng.uniform(-1.2, 1.2) for s in loss.free_symbols}
        by_chain = _by_chain(form, lesson, point)
        for p in _params(lesson):
            truth = float(sympy.diff(loss, p).subs(point))
            assert math.isclose(by_chain[p], truth, rel_tol=1e-9, abs_tol=1e-12), (name, p)


def test_the_mlp_chain_is_the_textbook_backward_pass():
    lesson = load_lesson("mlp")
    form = layer_wise(lesson, _params(lesson))
    chains = {c.name.name: [(u.name if u is not None else None, str(e)) for u, e in c.terms]
              for row in form.backward + form.params for c in row}
    assert chains["yhat"] == [(None, "-y + yhat")]
    assert chains["h1"] == [("yhat", "v1")]
    assert chains["z1"] == [("h1", "1 - h1**2")]
    assert chains["w11"] == [("z1", "x1")]
    assert chains["c"] == [("yhat", "1")]


def test_a_chain_that_does_not_reproduce_the_derivative_is_not_shown(monkeypatch):
    lesson = load_lesson("mlp")
    wrong = layerwise._in_names
    # a local derivative off by a factor 2 anywhere: the form is refused, not printed
    monkeypatch.setattr(layerwise, "_in_names",
                        lambda expr, written: 2 * wrong(expr, written) if expr != 1 else expr)
    assert layer_wise(lesson, _params(lesson)) is None


def test_train_mlp_prints_the_network_layer_by_layer():
    result = CliRunner().invoke(main, ["train", "mlp", *MLP_DATA, "--epochs", "3"],
                                env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("forward"))
    end = next(k for k, line in enumerate(lines) if line.startswith("update"))
    assert end - start == 9  # 3 forward rows, 6 backward rows (18 before)
    text = "\n".join(lines[start:end + 1])
    for shown in ("h₁ = tanh(z₁)", "ŷ = c + h₁·v₁ + h₂·v₂", "∂ℓ/∂ŷ = ŷ − y",
                  "∂ℓ/∂z₁ = ∂ℓ/∂h₁·(1 − h₁²)", "∂ℓ/∂w₁₂ = ∂ℓ/∂z₁·x₂", "∂ℓ/∂c = ∂ℓ/∂ŷ",
                  "for each of the 9 parameters"):
        assert shown in text
    assert "tanh(b₁" not in result.output  # nothing written out in the parameters


def test_the_neurons_delta_is_written_with_its_activation():
    result = CliRunner().invoke(main, ["train", "neuron", "--data", "x=0.5,1,2", "--data",
                                       "t=0,1,1", "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert "δ = ∂ℓ/∂z = a·(1 − a)·(a − t)" in result.output

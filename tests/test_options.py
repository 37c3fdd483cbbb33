"""Options that read like their neighbours: a family's values as one vector (``--at
x=1,2,3``) or rows (``;``) in explain, check and backprop alike, and a matrix parameter's
start (``--init "w=…;…"``) read the way ``--true-w`` reads it.  Expected numbers by hand."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from tutor.cli import main


def _json(args):
    result = CliRunner().invoke(main, args + ["--format", "json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_family_takes_one_number_per_member():
    # linear: ŷ = w·x + b with the example w = (0.5, −1, 2), b = 0.1; x = (1, 2, 3) by hand
    numeric = _json(["explain", "linear", "--wrt", "b", "--at", "x=1,2,3"])["derivatives"][0]["numeric"]
    assert numeric["at"]["x1"] == [1.0] and numeric["at"]["x3"] == [3.0]
    assert numeric["value"] == [pytest.approx(0.5 * 1 - 1.0 * 2 + 2.0 * 3 + 0.1)]


def test_softmax_takes_its_scores_as_a_vector():
    z = (1.0, 2.0, 0.5)
    total = sum(math.exp(v) for v in z)
    numeric = _json(["explain", "softmax", "--at", "z=1,2,0.5"])["derivatives"][0]["numeric"]
    assert [row[0] for row in numeric["value"]] == pytest.approx([math.exp(v) / total for v in z])


def test_rows_give_a_batch_of_vectors():
    numeric = _json(["explain", "linear", "--wrt", "b", "--at", "x=1,2,3;0,0,1"])["derivatives"][0]["numeric"]
    assert numeric["value"] == pytest.approx([4.6, 2.0 + 0.1])


def test_backprop_reads_the_family_the_same_way():
    data = _json(["backprop", "linear", "--at", "x=1,2,3"])
    assert data["at"]["x2"] == 2.0


@pytest.mark.parametrize("args,message", [
    (["explain", "linear", "--at", "x=1,2"], "--at x: give 3 numbers, one for each of x1, x2, x3"),
    (["explain", "linear", "--at", "b=1;2"], "--at b: rows (;) are for a family"),
    (["explain", "linear", "--at", "x=1,2,3", "--at", "x1=4"], "--at x1: given twice"),
    (["explain", "linear", "--at", "q=1"], "has no variable 'q'"),
])
def test_family_values_refused_with_one_line(args, message):
    result = CliRunner().invoke(main, args + ["--lang", "en"])
    assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1


def test_init_sets_a_matrix_parameter_flat_or_by_rows():
    from tutor.training import model as models

    m = models.load("softmax_regression")
    prepared = m.objective.prepare(m.gather({"x": np.array([[1.0, 2.0], [0.5, -1.0]]),
                                             "y": np.array([0, 2])}))
    by_rows = m.objective.init_params(prepared, {"w": [[1, 2, 3], [4, 5, 6]]})["w"]
    flat = m.objective.init_params(prepared, {"w": [1, 2, 3, 4, 5, 6]})["w"]
    assert by_rows.shape == (2, 3) and np.array_equal(by_rows, [[1, 2, 3], [4, 5, 6]])
    assert np.array_equal(flat, by_rows)
    from tutor.errors import ParameterError

    with pytest.raises(ParameterError, match="init w: 5 values given, the parameter has 6"):
        m.objective.init_params(prepared, {"w": [1, 2, 3, 4, 5]})


def test_true_w_with_one_feature_is_one_row():
    result = CliRunner().invoke(main, ["train", "softmax_regression", "--synthetic", "--size", "3",
                                       "--true-w", "1,-1,0", "--epochs", "1", "--format", "json"])
    assert result.exit_code == 0, result.output

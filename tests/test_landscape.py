"""The loss landscape of `tutor train --plot`: the slice's minimum inside the plotted range with
a margin, and a figure whose parts each have their own room (measured with matplotlib's
renderer: title, legend and note inside the figure, none over the axes or the colour bar)."""

import numpy as np
import pytest

from tutor.training import model as models
from tutor.training.session import pictures, prepare, run, Synthetic
from tutor.training.train import Settings

MLP_DATA = ["x1=0.5,-1,2,0,1,-0.5", "x2=1,0.5,-0.5,1.5,0,2", "y=1,-0.5,0.5,0,0.8,-0.2"]


def _run(name=None, *, expr=None, params=(), data=(), synthetic=None, init=None, lr, epochs):
    model = models.from_expression(expr, list(params)) if expr else models.load(name)
    session = prepare(model, Settings(lr=lr, epochs=epochs), data=data, synthetic=synthetic,
                      init=init)
    outcome = run(session)
    scape, view = pictures(session, outcome)
    return session, outcome, scape, view


def _inside(value, axis, margin=0.05):
    lo, hi = axis[0], axis[-1]
    return lo + margin * (hi - lo) <= value <= hi - margin * (hi - lo)


def test_linear_regression_far_from_converged_still_shows_its_minimum_inside():
    session, outcome, scape, _ = _run(
        "linear_regression", synthetic=Synthetic([2.0, -3.4], [4.2], 1000, 0.01), lr=0.03,
        epochs=20)
    # the slice over w₁, w₂ with b held at its final value: least squares by hand, the normal
    # equations XᵀX w = Xᵀ(y − b)
    X = session.arrays["x"]
    b = float(outcome.history.params["b"])
    w = np.linalg.solve(X.T @ X, X.T @ (session.arrays["y"] - b))
    path_end = scape.path[-1]
    assert np.linalg.norm(path_end - w) > 1.0  # training has not got there
    for j in range(2):
        assert _inside(w[j], scape.axes[j]), (w, scape.axes[j][[0, -1]])
        cell = scape.axes[j][1] - scape.axes[j][0]
        assert abs(scape.minimum[j] - w[j]) <= cell
    # the path stays inside too
    P = np.array(scape.path)
    assert np.all(P >= [a[0] for a in scape.axes]) and np.all(P <= [a[-1] for a in scape.axes])


def test_a_one_parameter_loss_shows_its_minimum_with_room_on_both_sides():
    _, _, scape, _ = _run(expr="(w*x - y)**2", params=["w"], data=["x=1,2,3", "y=2,4,6"],
                          init={"w": 1}, lr=0.01, epochs=10)
    # (w·x − y)² with y = 2x is least at w = 2
    assert _inside(2.0, scape.axes[0], margin=0.1)
    assert scape.minimum[0] == pytest.approx(2.0, abs=scape.axes[0][1] - scape.axes[0][0])


def test_a_loss_with_no_minimum_in_reach_marks_none():
    # e^(−w) falls for ever: no lowest point is claimed
    _, _, scape, _ = _run(expr="exp(-w)", params=["w"], init={"w": 0},
                          lr=0.1, epochs=5)
    assert scape.minimum is None


def _figure(scape, title="A small neural network"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tutor.renderers.training.plot import _landscape_figure

    fig = _landscape_figure(plt, scape, title, "mean")
    fig.canvas.draw()
    return plt, fig


def _boxes(fig):
    renderer = fig.canvas.get_renderer()
    ax, bar = fig.axes[0], fig.axes[1] if len(fig.axes) > 1 else None
    return {"figure": fig.bbox,
            "axes": ax.get_window_extent(renderer),
            "colour bar": bar.get_tightbbox(renderer) if bar is not None else None,
            "title": ax.title.get_window_extent(renderer),
            "legend": ax.get_legend().get_window_extent(renderer),
            "note": fig._supxlabel.get_window_extent(renderer) if fig._supxlabel else None,
            "x label": ax.xaxis.label.get_window_extent(renderer)}


@pytest.mark.parametrize("case", ["mlp", "linear_regression", "expr"])
def test_every_part_of_the_landscape_figure_has_its_own_room(case):
    if case == "mlp":
        _, _, scape, _ = _run("mlp", data=MLP_DATA, lr=0.2, epochs=300)
    elif case == "linear_regression":
        _, _, scape, _ = _run("linear_regression",
                              synthetic=Synthetic([2.0, -3.4], [4.2], 500, 0.01), lr=0.03,
                              epochs=20)
    else:
        _, _, scape, _ = _run(expr="(w*x + b - y)**2", params=["w", "b"],
                              data=["x=1,2,3", "y=2,4,6"], init={"w": 1}, lr=0.05, epochs=50)
    plt, fig = _figure(scape, title="A small neural network with a long name to wrap")
    try:
        boxes = _boxes(fig)
        figure = boxes["figure"]
        for name in ("title", "legend", "note", "x label", "colour bar", "axes"):
            box = boxes[name]
            if box is None:
                continue
            # inside the figure (a pixel of rounding allowed)
            assert box.x0 >= figure.x0 - 1 and box.x1 <= figure.x1 + 1, name
            assert box.y0 >= figure.y0 - 1 and box.y1 <= figure.y1 + 1, name
        others = [n for n in ("title", "legend", "note", "x label") if boxes[n] is not None]
        for name in others:
            for against in ("axes", "colour bar"):
                if boxes[against] is not None:
                    assert not boxes[name].overlaps(boxes[against]), (name, against)
        for k, first in enumerate(others):
            for second in others[k + 1:]:
                assert not boxes[first].overlaps(boxes[second]), (first, second)
        # the legend is under the axes, not over the contours
        assert boxes["legend"].y1 <= boxes["axes"].y0
    finally:
        plt.close(fig)


def test_the_innermost_contour_holds_a_share_of_the_grid_wide_enough_to_draw_smooth():
    from tutor.renderers.training.plot import contour_levels

    _, _, scape, _ = _run(expr="(w*x + b - y)**2", params=["w", "b"],
                          data=["x=1,2,3", "y=2,4,6"], init={"w": 1}, lr=0.05, epochs=50)
    loss = np.asarray(scape.loss)
    levels = contour_levels(loss)
    inside = np.count_nonzero(loss <= levels[0])
    # a narrow valley: at least 3% of the grid's points lie inside the innermost ring
    assert inside >= 0.03 * loss.size
    assert np.all(np.diff(levels) > 0)

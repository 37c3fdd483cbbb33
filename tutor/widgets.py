"""Sliders in a notebook (``pip install "gradient-tutor[notebook]"``, which brings ipywidgets):
a learning rate that runs the descent again and redraws its path down the loss, and a point
that evaluates an explanation there and redraws its plot.  Without ipywidgets everything else
works; these two say what to install."""

from __future__ import annotations

import math

from tutor.errors import TutorError
from tutor.i18n import _


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:
        raise TutorError(_("the sliders need ipywidgets: pip install \"gradient-tutor[notebook]\""))
    return ipywidgets


def learning_rate_slider(lesson=None, *, lr: float = 0.03, low: float | None = None,
                         high: float | None = None, **options):
    """A slider for the learning rate η of a training run: each value runs the descent again
    (the same data, the same start) and redraws its summary, loss curve and path down the
    loss.  ``low`` and ``high`` bound the slider (default η/10 and 10η, on a log scale); the
    other keywords are :func:`tutor.train`'s.  Past the bound on a stable step the run
    diverges, and says so.

        tutor.learning_rate_slider(expr="(w*x - y)**2", params="w",
                                   data={"x": [1, 2, 3], "y": [2, 4, 6]}, init={"w": 0},
                                   lr=0.02, epochs=8)
    """
    widgets = _ipywidgets()
    from tutor.api import render, train
    from tutor.requests.source import bounded
    from tutor.requests.train import RANGES

    lr = bounded("lr", lr, *RANGES["lr"])
    low = bounded("low", low if low is not None else lr / 10, *RANGES["lr"])
    high = bounded("high", high if high is not None else lr * 10, *RANGES["lr"])
    slider = widgets.FloatLogSlider(value=lr, base=10, min=math.log10(low), max=math.log10(high),
                                    step=0.01, description="η", readout_format=".3g",
                                    continuous_update=False)
    shown = widgets.HTML()

    def draw(change=None):
        shown.value = render(train(lesson, lr=slider.value, **options), "html")

    draw()
    slider.observe(draw, names="value")
    return widgets.VBox([slider, shown])


def point_slider(lesson=None, *, var: str | None = None, value: float = 0.0, low: float = -5.0,
                 high: float = 5.0, step: float = 0.1, **options):
    """A slider for the point where an explanation is evaluated: each value evaluates the
    derivative there (checked against finite differences) and redraws the plot of the
    function and its derivative with the point marked.  ``var`` is the variable the slider
    moves (the first to differentiate by, by default); the other keywords are
    :func:`tutor.explain`'s.

        tutor.point_slider("sigmoid", low=-6, high=6)
    """
    widgets = _ipywidgets()
    from tutor.api import explain
    from tutor.explaining.explanation import curves
    from tutor.renderers.html import explanation_plot_html

    at = dict(options.pop("at", None) or {})
    var = var or explain(lesson, at=at, **options).wrt[0].name
    slider = widgets.FloatSlider(value=value, min=low, max=high, step=step, description=var,
                                 continuous_update=False)
    shown = widgets.HTML()

    def draw(change=None):
        exp = explain(lesson, at={**at, var: slider.value}, **options)
        shown.value = explanation_plot_html(exp, curves(exp))

    draw()
    slider.observe(draw, names="value")
    return widgets.VBox([slider, shown])

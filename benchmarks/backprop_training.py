"""The gradient of the mlp lesson's batch loss, as `tutor train mlp` gets it (one forward and
one backward pass through the lesson's graph), against the compiled symbolic partial
derivatives of the train engine, in the same run.  Both are checked equal first.

Run:  python benchmarks/backprop_training.py [--samples 100000] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from tutor.explaining.lesson import load_lesson
from tutor.training.model import from_lesson


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    model = from_lesson(load_lesson("mlp"))
    graph_objective = model.objective
    compiled = graph_objective.compiled
    rng = np.random.default_rng(0)
    n = args.samples
    data = model.gather({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                         "y": rng.normal(size=n)})
    prepared = compiled.prepare(data)
    params = compiled.init_params(prepared, {k: float(rng.uniform(-1, 1))
                                             for k in compiled.param_names})
    a, b = compiled.gradient(params, prepared), graph_objective.gradient(params, prepared)
    for k in a:
        assert abs(float(a[k]) - float(b[k])) <= 1e-12 * max(1.0, abs(float(a[k]))), k
    times = {"compiled partials": [], "backprop graph": []}
    for _ in range(args.repeats):
        for label, obj in (("compiled partials", compiled), ("backprop graph", graph_objective)):
            start = time.perf_counter()
            obj.gradient(params, prepared)
            times[label].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"mlp lesson (2-2-1, tanh), batch {n}: gradient of the mean loss, median of {args.repeats}")
    for label, t in med.items():
        print(f"  {label:18s} {t * 1e3:8.2f} ms")
    print(f"  ratio backprop graph / compiled partials: "
          f"{med['backprop graph'] / med['compiled partials']:.2f}x")


if __name__ == "__main__":
    main()

"""Time to derive each matrix lesson, every step checked by central differences, against one
scalar explanation in the same run.

  baseline   explain(load_lesson("sigmoid")): the scalar tutor's derivation, its verification
             and its numbers, as `tutor explain sigmoid` computes them
  lesson     explain_matrix(load_matrix_lesson(name)): every gradient of the lesson

Each figure is the median of several repetitions, the lesson alternating with the baseline so
a busy machine slows both alike; SymPy's cache is cleared before each run.

Run:  python benchmarks/matrix.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import sympy

from tutor.explaining.explanation import explain
from tutor.explaining.lesson import load_lesson
from tutor.matrix.explain import explain_matrix
from tutor.matrix.problem import load_matrix_lesson, matrix_lesson_names

LIMIT = 2.0  # seconds a lesson may take


def _time(fn) -> float:
    sympy.core.cache.clear_cache()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scalar = load_lesson("sigmoid")
    print(f"{'lesson':<22}{'seconds':>9}{'× scalar explain':>18}{'steps':>7}")
    worst = 0.0
    for name in matrix_lesson_names():
        problem = load_matrix_lesson(name)
        base, mine = [], []
        for _ in range(args.runs):
            base.append(_time(lambda: explain(scalar)))
            mine.append(_time(lambda: explain_matrix(problem)))
        b, m = statistics.median(base), statistics.median(mine)
        steps = sum(len(d.steps) for d in explain_matrix(problem).derivations)
        worst = max(worst, m)
        print(f"{name:<22}{m:>9.3f}{m / b:>18.2f}{steps:>7}")
    print(f"slowest lesson {worst:.3f} s, {worst / LIMIT:.2f} × the {LIMIT:.0f} s allowed")


if __name__ == "__main__":
    main()

"""Cost of checking an answer and of checking gradient code, against baselines in the same run.

  check_answer       per answer (right ones, wrong ones with their diagnosis), as a ratio to
                     derive() of the same function: checking costs a few derivations at most
  check_gradient     per checked entry, as a ratio to one call of the loss: the fourth-order
                     stencil and the one-sided slopes take 7 calls per entry

Each figure is the median of several repetitions, alternating with its baseline so a noisy
machine slows both alike.

Run:  python benchmarks/check_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import sympy

from tutor.checking.check import check_answer
from tutor.calculus.derivation import derive
from tutor.checking.gradcheck import check_gradient
from tutor.explaining.lesson import load_lesson

ANSWERS = {
    "sigmoid": ("z", ["sigmoid(z)*(1-sigmoid(z))", "(1-tanh(z/2)^2)/4",
                      "-exp(-z)/(1+exp(-z))^2", "-1/(1+exp(-z))^2"]),
    "neuron": ("w", ["(a-t)*a*(1-a)*x", "(a-t)*a*(1-a)", "(a-t)*a*(1-a)*w"]),
    "cross_entropy": ("z1", ["s1 - y1", "s1", "2*(s1-y1)"]),
}


def _median(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print("check_answer per answer, as a ratio to derive() of the same function")
    for name, (w, answers) in ANSWERS.items():
        lesson = load_lesson(name)
        var = lesson.symbol(w)
        f = lesson.outputs[0]

        def base():
            sympy.core.cache.clear_cache()
            derive(f, var, named=lesson.named, assumptions=lesson.assumptions)

        for text in answers:
            def work():
                sympy.core.cache.clear_cache()
                check_answer(f, var, text, named=lesson.named, assumptions=lesson.assumptions,
                             symbols=lesson.symbols)

            b, t = _median(base, args.runs), _median(work, args.runs)
            print(f"  {name:14s} {text:34s} {t * 1000:7.1f} ms   {t / b:5.2f} × derive")

    print("check_gradient per checked entry, as a ratio to one loss call")
    rng = np.random.default_rng(0)
    inputs = {"W": rng.normal(size=(20, 10)), "X": rng.normal(size=(200, 20)),
              "y": rng.normal(size=(200, 10))}

    def fn(W, X, y):
        r = X @ W - y
        return 0.5 * np.sum(r ** 2) / len(X), {"W": X.T @ r / len(X)}

    one = _median(lambda: fn(**inputs), args.runs * 20)
    whole = _median(lambda: check_gradient(fn, inputs, samples=100), args.runs)
    print(f"  100 entries of a 20×10 W, batch 200: {whole * 1000:.1f} ms, "
          f"{whole / 100 / one:.1f} × one loss call per entry")


if __name__ == "__main__":
    main()

"""``tutor descend rosenbrock --optimizer sgd,momentum,adam --steps 10000`` against a NumPy loop
written by hand for the same three optimisers, in the same run.

    tutor         tutor.training.descend.race: the gradient derived and compiled from the
                  surface's formula, each optimiser from tutor.training.optimizers, the whole
                  path kept, the tolerance and divergence checked every step
    hand-written  the Rosenbrock gradient typed as NumPy, the three updates written out,
                  the path kept in a list

Both compute the same numbers (checked first).  The race alone (after the function is
compiled) and the command as a whole (a subprocess, start-up included, against
``tutor descend … --steps 1``) are timed; each is repeated, one of each in turn, and the
medians are printed.  The project's targets: the race ≤ 1.5× the hand loop, and under 2 s
beyond start-up.

Run:  python benchmarks/descend_race.py [--steps 10000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from tutor.training.descend import problem, race

LR = {"sgd": 0.001, "momentum": 0.001, "adam": 0.05}


def hand(steps: int):
    """Rosenbrock from (−1.5, 2), the three optimisers written out (PyTorch's defaults)."""

    def grad(p):
        x, y = p
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    out = {}
    p = np.array([-1.5, 2.0])
    path = [p.copy()]
    for _ in range(steps):
        p = p - LR["sgd"] * grad(p)
        path.append(p.copy())
    out["sgd"] = path
    p, v = np.array([-1.5, 2.0]), np.zeros(2)
    path = [p.copy()]
    for _ in range(steps):
        v = 0.9 * v + grad(p)
        p = p - LR["momentum"] * v
        path.append(p.copy())
    out["momentum"] = path
    p, m, s = np.array([-1.5, 2.0]), np.zeros(2), np.zeros(2)
    path = [p.copy()]
    for t in range(1, steps + 1):
        g = grad(p)
        m = 0.9 * m + (1 - 0.9) * g
        s = 0.999 * s + (1 - 0.999) * g * g
        p = p - LR["adam"] * (m / (1 - 0.9 ** t)) / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8)
        path.append(p.copy())
    out["adam"] = path
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    names = list(LR)
    prob = problem(surface="rosenbrock")

    def ours():
        # a tolerance no run reaches, so every optimiser takes every step
        return race(prob, names, lr=[LR[n] for n in names], steps=args.steps, tol=1e-300)

    runs, by_hand = ours(), hand(args.steps)
    for run in runs:
        # the same points; Adam circles the minimum at steps of about η for good, where
        # rounding in the last bit grows, so the paths are compared over the first 1000 steps
        assert np.allclose(run.path[:1001], np.array(by_hand[run.optimizer][:1001]), rtol=1e-9,
                           atol=1e-12), run.optimizer
    t_ours, t_hand = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        hand(args.steps)
        t_hand.append(time.perf_counter() - t)
    o, h = statistics.median(t_ours), statistics.median(t_hand)
    print(f"{args.steps:,} steps each of {', '.join(names)} on Rosenbrock (median of {args.repeats})")
    print(f"  race      {o:.3f} s   hand-written NumPy {h:.3f} s   ratio {o / h:.2f}  (target ≤ 1.5)")

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = [sys.executable, os.path.join(root, "cli.py"), "descend", "rosenbrock",
               "--optimizer", ",".join(names), "--lr", ",".join(str(LR[n]) for n in names),
               "--tol", "1e-300"]
    whole, start = [], []
    for _ in range(max(3, args.repeats // 2)):
        for steps, into in ((args.steps, whole), (1, start)):
            t = time.perf_counter()
            subprocess.run(command + ["--steps", str(steps)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            into.append(time.perf_counter() - t)
    w, s = statistics.median(whole), statistics.median(start)
    print(f"  command   {w:.3f} s with {args.steps:,} steps, {s:.3f} s with 1 step: "
          f"{w - s:.3f} s beyond start-up  (target < 2 s)")


if __name__ == "__main__":
    sys.exit(main())

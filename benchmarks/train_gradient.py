"""The compiled batch gradient of ``linear_regression`` against hand-written NumPy, same run.

For batch sizes 10³ … 10⁷ (two features), times one full-batch gradient both ways:

    compiled      the lesson's loss, compiled by tutor (Z = X@W + b, δ = z − y, Xᵀδ/n, mean δ)
    hand-written  X.T @ (X @ w + b - y) / n  and  (X @ w + b - y).mean()
    torch         autograd on CPU, when PyTorch is installed

and prints the time ratio of the fastest of many calls, made alternately one of each (a
shared, noisy machine only ever adds time, so the fastest call is the least disturbed one;
the ratio of the medians is printed too) and
the peak memory of each (the inputs plus everything allocated during one gradient, traced
with tracemalloc, which NumPy reports to) as a multiple of the input arrays' size.
The project's targets: time ratio ≤ 1.25 at n ≥ 10⁵, compiled peak memory < 3× the inputs at
n = 10⁷.

Then the seed-style run ``tutor train linear_regression --synthetic … --samples 1000
--batch-size 10 --epochs 3``, start to end as a subprocess, against ``tutor --help`` and
``tutor explain linear_regression`` (which imports the same SymPy) measured in the same run;
the target is under 1.5 s.

Run:  python benchmarks/train_gradient.py [--max-exp 7] [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

from tutor.training import model as models


def hand_gradient(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / len(y), r.mean()


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def gradients(max_exp: int, runs: int) -> None:
    m = models.load("linear_regression")
    obj = m.objective
    try:
        import torch
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    w = np.array([2.0, -3.4])
    b = 4.2
    params = {"w": w, "b": np.float64(b)}
    print(f"{'n':>10}  {'compiled':>10}  {'hand':>10}  {'ratio':>6}  {'median':>6}  "
          f"{'peak/input compiled':>20}  {'peak/input hand':>16}" + ("  torch ratio" if torch else ""))
    for e in range(3, max_exp + 1):
        n = 10 ** e
        try:
            X = rng.normal(size=(n, 2))
            y = X @ w + b + 0.01 * rng.normal(size=n)
        except MemoryError:
            print(f"{n:>10}  stopped: not enough memory for the inputs")
            break
        prepared = obj.prepare({"x": X, "y": y})
        assert prepared["X"] is X or np.shares_memory(prepared["X"], X)
        with np.errstate(all="ignore"):  # as the training loop runs it
            g = obj.gradient(params, prepared, "mean")
        hw, hb = hand_gradient(X, y, w, b)
        assert np.allclose(g["w"], hw, rtol=1e-9) and np.isclose(g["b"], hb, rtol=1e-9)
        # one call of each, alternating, timed one by one: load on a shared machine then
        # falls on both alike instead of on whichever block of calls it happens to hit
        calls = max(runs, min(3000, 3 * 10 ** 7 // n)) if n < 10 ** 7 else runs
        ours, theirs, torch_t = [], [], []
        if torch is not None:
            tX, ty = torch.from_numpy(X), torch.from_numpy(y)
            tw = torch.tensor(w, requires_grad=True)
            tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)

            def torch_grad():
                tw.grad = tb.grad = None
                loss = ((tX @ tw + tb - ty) ** 2).mean() / 2
                loss.backward()
        clock = time.perf_counter
        with np.errstate(all="ignore"):
            for _ in range(calls):
                t = clock()
                obj.gradient(params, prepared, "mean")
                ours.append(clock() - t)
                t = clock()
                hand_gradient(X, y, w, b)
                theirs.append(clock() - t)
                if torch is not None:
                    t = clock()
                    torch_grad()
                    torch_t.append(clock() - t)
        inputs = X.nbytes + y.nbytes
        obj._buffer = obj._spare = None  # count the buffer Z = X W + b that the objective keeps between steps
        peak_ours = (inputs + peak_bytes(lambda: obj.gradient(params, prepared, "mean"))) / inputs
        peak_hand = (inputs + peak_bytes(lambda: hand_gradient(X, y, w, b))) / inputs
        mo, mh = min(ours), min(theirs)
        median = statistics.median(ours) / statistics.median(theirs)
        line = (f"{n:>10}  {mo * 1e3:>8.3f}ms  {mh * 1e3:>8.3f}ms  {mo / mh:>6.2f}  {median:>6.2f}  "
                f"{peak_ours:>20.2f}  {peak_hand:>16.2f}")
        if torch is not None:
            line += f"  {min(torch_t) / mh:>11.2f}"
        print(line, flush=True)
        del X, y, prepared
    if torch is None:
        print("(PyTorch is not installed: no autograd comparison)")


def whole_run(runs: int) -> None:
    tutor = shutil.which("tutor")
    if tutor is None:
        print("install the package to time the command: pip install .")
        return
    cwd = tempfile.mkdtemp()
    run = [tutor, "train", "linear_regression", "--synthetic", "--true-w", "2,-3.4", "--true-b",
           "4.2", "--samples", "1000", "--noise", "0.01", "--batch-size", "10", "--lr", "0.03",
           "--epochs", "3"]
    baselines = {"help": [tutor, "--help"], "explain": [tutor, "explain", "linear_regression"]}
    times = {"run": [], "help": [], "explain": []}
    for _ in range(runs):
        for key, cmd in (("help", baselines["help"]), ("explain", baselines["explain"]), ("run", run)):
            t = time.perf_counter()
            subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=True)
            times[key].append(time.perf_counter() - t)
    r, h, e = (statistics.median(times[k]) for k in ("run", "help", "explain"))
    print(f"\ntutor train linear_regression (1000 samples, batch 10, 3 epochs): "
          f"{r:.3f} s median of {runs}  (target < 1.5 s)")
    print(f"tutor --help: {h:.3f} s   tutor explain linear_regression: {e:.3f} s   "
          f"ratio train/explain = {r / e:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-exp", type=int, default=7, help="largest n is 10^this")
    parser.add_argument("--runs", type=int, default=7,
                        help="runs of the whole command (and the least number of gradient calls)")
    args = parser.parse_args()
    gradients(args.max_exp, args.runs)
    whole_run(args.runs)


if __name__ == "__main__":
    sys.exit(main())

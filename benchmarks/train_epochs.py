"""What one epoch of full-batch ``tutor train linear_regression`` costs, against a NumPy loop
written by hand for the same optimiser, in the same run.

On n samples × 2 features (10⁶ by default) each optimiser of ``--optimizer`` trains for E₁
and for E₂ epochs, both ways:

    tutor         tutor.training.train.train with the lesson's compiled objective, recording
                  the loss over the whole data after every epoch (as the command does)
    hand-written  r = X @ w + b - y;  g = X.T @ r / n, r.mean();  the optimiser's update
                  written out for w and b; no loss recorded at all

The marginal cost of an epoch is (time at E₂ − time at E₁)/(E₂ − E₁): start-up (compiling the
loss, the last epoch's extra loss pass) cancels.  The four runs are made close together, so a
burst of load on a shared machine falls on all four alike, and repeated; the ratio printed is
the median of the sets' ratios (the times beside it, medians too).  The project's
targets: ≤ 1.1× for sgd, ≤ 1.25× for every optimiser.

Then mini-batches: the marginal epoch cost with batches of --batch samples, against the one
forward pass over the whole data that recording its loss adds per epoch.

Run:  python benchmarks/train_epochs.py [--samples 1000000] [--repeats 15] [--epochs 2 12]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

# one BLAS thread: on a shared machine a second thread mostly waits for a core, and the
# waiting, not the work, would decide the ratios (both sides run alike either way)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from tutor.training import model as models  # noqa: E402
from tutor.training.optimizers import OPTIMIZERS  # noqa: E402
from tutor.training.train import Settings, train  # noqa: E402

LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "rmsprop": 0.01,
      "adam": 0.01, "adamw": 0.01}


def hand(X, y, epochs, name, lr):
    """Full-batch descent written out for one optimiser (PyTorch's defaults)."""
    n = len(y)
    w = np.zeros(X.shape[1])
    b = 0.0
    mw, mb, vw, vb = np.zeros_like(w), 0.0, np.zeros_like(w), 0.0
    for t in range(1, epochs + 1):
        r = X @ w + b - y
        gw = X.T @ r / n
        gb = r.mean()
        if name == "sgd":
            w -= lr * gw
            b -= lr * gb
        elif name in ("momentum", "nesterov"):
            mw = 0.9 * mw + gw
            mb = 0.9 * mb + gb
            if name == "momentum":
                w -= lr * mw
                b -= lr * mb
            else:
                w -= lr * (gw + 0.9 * mw)
                b -= lr * (gb + 0.9 * mb)
        elif name == "adagrad":
            vw = vw + gw * gw
            vb = vb + gb * gb
            w -= lr * gw / (np.sqrt(vw) + 1e-10)
            b -= lr * gb / (math.sqrt(vb) + 1e-10)
        elif name == "rmsprop":
            vw = 0.99 * vw + 0.01 * gw * gw
            vb = 0.99 * vb + 0.01 * gb * gb
            w -= lr * gw / (np.sqrt(vw) + 1e-8)
            b -= lr * gb / (math.sqrt(vb) + 1e-8)
        else:
            if name == "adamw":
                w *= 1 - lr * 0.01
                b *= 1 - lr * 0.01
            mw = 0.9 * mw + 0.1 * gw
            mb = 0.9 * mb + 0.1 * gb
            vw = 0.999 * vw + 0.001 * gw * gw
            vb = 0.999 * vb + 0.001 * gb * gb
            c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
            w -= lr * (mw / c1) / (np.sqrt(vw / c2) + 1e-8)
            b -= lr * (mb / c1) / (math.sqrt(vb / c2) + 1e-8)
    return w, b


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--epochs", type=int, nargs=2, default=(2, 12), metavar=("E1", "E2"))
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    n, (e1, e2) = args.samples, args.epochs
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = X @ np.array([2.0, -3.4]) + 4.2 + 0.01 * rng.normal(size=n)
    m = models.load("linear_regression")
    obj = m.objective
    prepared = obj.prepare({"x": X, "y": y})

    def ours(epochs, name, batch=None):
        return train(obj, {}, Settings(lr=LR[name], epochs=epochs, optimizer=name,
                                       batch_size=batch, shuffle=False), prepared=prepared)

    print(f"full batch, {n:,} samples × 2 features; marginal cost of an epoch from "
          f"{e1} and {e2} epochs, median of {args.repeats}")
    print(f"{'optimizer':>10}  {'tutor':>9}  {'hand':>9}  {'ratio':>6}  {'target':>6}")
    for name in OPTIMIZERS:
        h = ours(e2, name)  # the same numbers both ways first
        hw, hb = hand(X, y, e2, name, LR[name])
        assert np.allclose(h.params["w"], hw, rtol=1e-9) and math.isclose(float(h.params["b"]), hb, rel_tol=1e-9)
        ratios, ours_t, hand_t = [], [], []
        for _ in range(args.repeats):
            # the four runs close together, so a burst of load on the machine falls on a
            # whole set alike; each set gives one ratio of marginal costs
            o1 = timed(lambda: ours(e1, name))
            h1 = timed(lambda: hand(X, y, e1, name, LR[name]))
            o2 = timed(lambda: ours(e2, name))
            h2 = timed(lambda: hand(X, y, e2, name, LR[name]))
            ours_t.append((o2 - o1) / (e2 - e1))
            hand_t.append((h2 - h1) / (e2 - e1))
            ratios.append((o2 - o1) / (h2 - h1))
        o, hd = statistics.median(ours_t), statistics.median(hand_t)
        target = 1.1 if name == "sgd" else 1.25
        print(f"{name:>10}  {o * 1e3:>7.3f}ms  {hd * 1e3:>7.3f}ms  {statistics.median(ratios):>6.2f}  "
              f"{target:>6.2f}", flush=True)

    # mini-batches: the whole data's loss after each epoch is one more forward pass
    b = args.batch
    epoch_times, loss_times = [], []
    for _ in range(args.repeats):
        t1 = timed(lambda: ours(1, "sgd", b))
        t2 = timed(lambda: ours(3, "sgd", b))
        epoch_times.append((t2 - t1) / 2)
        loss_times.append(timed(lambda: obj.loss({"w": np.zeros(2), "b": np.zeros(())}, prepared, "mean")))
    epoch, loss = statistics.median(epoch_times), statistics.median(loss_times)
    print(f"\nmini-batches of {b:,}: an epoch costs {epoch * 1e3:.2f} ms, of which the loss over "
          f"the whole data recorded after it takes {loss * 1e3:.2f} ms ({100 * loss / epoch:.0f}%)")


if __name__ == "__main__":
    main()

"""Forward + backward pass of a 2-layer MLP through the tensor engine, against the same pass
written by hand in NumPy, measured in the same run.

The network: X (batch × 100) → tanh(X·W₁ + b₁) (100 hidden units) → ŷ = H·W₂ + b₂ (one
output), loss L = mean ½(ŷ − y)².  Both versions compute L and ∂L/∂W₁, ∂L/∂b₁, ∂L/∂W₂, ∂L/∂b₂
and are checked equal before timing.  Prints the median time of each and the ratio
engine / hand-written (the project's target: at most 2×).

Run:  python benchmarks/backprop_mlp.py [--batch 10000] [--repeats 15] [--activation tanh|relu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from tutor.backpropagation.tensor import tensor


def by_hand(X, y, W1, b1, W2, b2, act):
    A = X @ W1 + b1
    H = np.tanh(A) if act == "tanh" else np.maximum(A, 0.0)
    E = H @ W2 + b2 - y
    loss = 0.5 * np.mean(E * E)
    dE = E / E.size
    dW2 = H.T @ dE
    db2 = dE.sum(axis=0)
    dH = dE @ W2.T
    dA = dH * (1.0 - H * H) if act == "tanh" else dH * (A > 0)
    dW1 = X.T @ dA
    db1 = dA.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def with_engine(X, y, W1, b1, W2, b2, act):
    params = [tensor(W1), tensor(b1), tensor(W2), tensor(b2)]
    w1, c1, w2, c2 = params
    x = tensor(X, requires_grad=False)
    A = x @ w1 + c1
    H = A.tanh() if act == "tanh" else A.relu()
    E = H @ w2 + c2 - tensor(y, requires_grad=False)
    loss = (E * E).mean() * 0.5
    loss.backward()
    return float(loss.data), [p.grad for p in params]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--inputs", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--activation", choices=("tanh", "relu"), default="tanh")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.batch, args.inputs))
    y = rng.standard_normal((args.batch, 1))
    W1 = rng.standard_normal((args.inputs, args.hidden)) / np.sqrt(args.inputs)
    b1 = rng.standard_normal(args.hidden) * 0.1
    W2 = rng.standard_normal((args.hidden, 1)) / np.sqrt(args.hidden)
    b2 = np.array([0.1])
    data = (X, y, W1, b1, W2, b2, args.activation)

    loss_a, grads_a = by_hand(*data)
    loss_b, grads_b = with_engine(*data)
    assert abs(loss_a - loss_b) <= 1e-12 * abs(loss_a)
    for a, b in zip(grads_a, grads_b):
        assert a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=1e-14)

    times = {"hand-written NumPy": [], "tensor engine": []}
    for _ in range(args.repeats):  # alternate, so a noisy machine slows both alike
        for label, fn in (("hand-written NumPy", by_hand), ("tensor engine", with_engine)):
            start = time.perf_counter()
            fn(*data)
            times[label].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"2-layer MLP ({args.activation}), {args.inputs} inputs, {args.hidden} hidden, "
          f"batch {args.batch}: forward + backward, median of {args.repeats}")
    for label, t in med.items():
        print(f"  {label:20s} {t * 1e3:8.2f} ms")
    ratio = med["tensor engine"] / med["hand-written NumPy"]
    print(f"  ratio engine / hand-written: {ratio:.2f}x   (target: at most 2x)")


if __name__ == "__main__":
    main()

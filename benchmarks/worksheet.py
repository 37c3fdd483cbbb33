"""Worksheet generation: a class set in every format, and the time per variant as K grows.

Each measurement is a fresh run of the installed command (``tutor worksheet``), all four
formats plus the Moodle and GIFT exports, so start-up, deriving, rendering and writing are all
counted.  Printed:

  * the wall time of 100 variants × 10 problems, and its ratio to the 30 s the project allows
    (with the run's CPU time beside it: on a busy machine the wall time includes waiting);
  * for K = 5, 20, 50, 100 the time per variant after the first, (t(K) − t(1)) / (K − 1),
    and its ratio to the K = 5 figure: flat (≈ 1 or below) means the cost grows linearly in K.
    Derivations repeat between variants and are made once, so the ratio may fall below 1;
  * the time per variant between successive K, (t(K₂) − t(K₁)) / (K₂ − K₁), and its ratio to
    the first: the steady cost of one more variant, which should not grow with K.

Run:  python benchmarks/worksheet.py [--lessons sigmoid softmax ...] [--problems 10]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(tutor: str, lessons, problems: int, variants: int, seed: int) -> float:
    out = Path(tempfile.mkdtemp()) / "sheets"
    cmd = [tutor, "worksheet", *lessons, "--problems", str(problems), "--variants", str(variants),
           "--seed", str(seed), "--out", str(out), "--export", "moodle", "--export", "gift"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU[variants] = cpu
    files = sum(1 for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out.parent)
    print(f"  K = {variants:>3}: {elapsed:6.2f} s  (CPU {cpu:6.2f} s; {files} files)", flush=True)
    return elapsed


#: CPU time (user + system) of each run: on a shared, busy machine the wall time also counts
#: the time the run waited for a core
CPU: dict[int, float] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="+",
                        default=["sigmoid", "softmax", "linear_regression", "neuron"])
    parser.add_argument("--problems", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tutor = shutil.which("tutor")
    if tutor is None:
        sys.exit("install the package first: pip install .")
    print(f"lessons {' '.join(args.lessons)}, {args.problems} problems per sheet, "
          "formats md tex html pdf + moodle + gift")
    base = timed_run(tutor, args.lessons, args.problems, 1, args.seed)
    times = {k: timed_run(tutor, args.lessons, args.problems, k, args.seed) for k in (5, 20, 50, 100)}
    print()
    print(f"100 variants × {args.problems} problems, all formats: {times[100]:.1f} s  "
          f"= {times[100] / 30:.2f} × the 30 s allowed  (CPU {CPU[100]:.1f} s "
          f"= {CPU[100] / 30:.2f} ×)")
    print(f"one variant (start-up included): {base:.2f} s")
    per = {k: (t - base) / (k - 1) for k, t in times.items()}
    print("time per further variant, and its ratio to K = 5:")
    for k, v in per.items():
        print(f"  K = {k:>3}: {v * 1000:7.1f} ms per variant   ratio {v / per[5]:.2f}")
    print("time per variant between successive K (the steady cost, once derivations are made):")
    ks = sorted(times)
    steps = {(a, b): (times[b] - times[a]) / (b - a) for a, b in zip(ks, ks[1:])}
    first = steps[(ks[0], ks[1])]
    for (a, b), v in steps.items():
        print(f"  K {a:>3} → {b:>3}: {v * 1000:7.1f} ms per variant   ratio {v / first:.2f}")


if __name__ == "__main__":
    main()

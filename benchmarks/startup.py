"""Start-up cost of the command line, measured against `python -c "import sympy"` in the same run.

Prints the median wall time of each command over several runs (alternating, so a noisy
machine slows both alike) and the ratios the project promises:
  tutor --help             well under half a second
  tutor explain sigmoid    at most 1.6 × the time to import SymPy

Run:  python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    tutor = shutil.which("tutor")
    if tutor is None:
        sys.exit("install the package first: pip install .")
    cwd = tempfile.mkdtemp()
    commands = {
        "python -c 'import sympy'": [sys.executable, "-c", "import sympy"],
        "tutor --help": [tutor, "--help"],
        "tutor explain sigmoid": [tutor, "explain", "sigmoid"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    for name, cmd in commands.items():  # warm the file cache once
        timed(cmd, cwd)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd, cwd))
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, t in med.items():
        print(f"{name:28s} median {t * 1000:7.1f} ms   (min {min(times[name]) * 1000:.1f} ms)")
    base = med["python -c 'import sympy'"]
    ratio = med["tutor explain sigmoid"] / base
    print(f"\ntutor --help: {med['tutor --help'] * 1000:.0f} ms  "
          f"(target: well under 500 ms) {'OK' if med['tutor --help'] < 0.5 else 'TOO SLOW'}")
    print(f"tutor explain sigmoid / import sympy = {ratio:.2f}  "
          f"(target ≤ 1.60) {'OK' if ratio <= 1.6 else 'TOO SLOW'}")
    os.rmdir(cwd)


if __name__ == "__main__":
    main()

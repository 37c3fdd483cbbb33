"""Grading at class scale: a class folder of answer files graded by the installed ``tutor
grade`` with one process and with two, measured in the same run.

The key: a worksheet of 10 problems over several lessons, 4 variants.  Each student answers
their variant with the key's own answers, about one in five changed (a wrong factor, a wrong
number), so right and wrong answers are both graded.  Prints the time per answer with each
number of jobs, the speed-up of ``--jobs 2`` over ``--jobs 1`` (the project's target: at least
1.7× on 2 cores) and checks that both runs give the same CSV.

Run:  python benchmarks/grade_scale.py [--students 1000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LESSONS = ["sigmoid", "linear_regression", "softmax", "squared_loss", "tanh", "neuron"]


def tutor(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("tutor")
    command = [exe] if exe else [sys.executable, "-m", "tutor"]
    return subprocess.run(command + list(args), capture_output=True, text=True, check=True)


def make_class(folder: Path, students: int) -> Path:
    from tutor.assessment.grade import key_answers
    from tutor.assessment.key import read_key

    tutor("worksheet", *LESSONS, "-n", "10", "-k", "4", "--seed", "11", "--format", "md",
          "--out", str(folder / "sheets"))
    key = folder / "sheets" / "key.json"
    keys = list(read_key(key).values())
    answers = folder / "class"
    answers.mkdir()
    rng = random.Random(1)
    for i in range(students):
        variant = keys[i % len(keys)]
        lines = key_answers(variant).splitlines()
        out = [lines[0], f"name: student {i:04d}"]
        for line in lines[2:]:
            number, answer = line.split(":", 1)
            if rng.random() < 0.2:
                answer = f"2*({answer.strip()})"
            out.append(f"{number}: {answer.strip()}")
        (answers / f"s{i:04d}.txt").write_text("\n".join(out) + "\n")
    return key


def timed(key: Path, folder: Path, jobs: int) -> tuple[float, str]:
    start = time.perf_counter()
    out = tutor("grade", str(key), str(folder), "--jobs", str(jobs)).stdout
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key = make_class(folder, args.students)
        answers = args.students * 10
        one, two = [], []
        for _ in range(args.repeats):  # interleaved, so both see the same machine load
            t1, csv1 = timed(key, folder / "class", 1)
            t2, csv2 = timed(key, folder / "class", 2)
            assert csv1 == csv2, "--jobs 1 and --jobs 2 gave different CSVs"
            one.append(t1)
            two.append(t2)
        best1, best2 = min(one), min(two)
        print(f"{args.students} students × 10 problems = {answers} answers "
              f"({os.cpu_count()} cores here)")
        print(f"--jobs 1: {best1:.2f} s, {1000 * best1 / answers:.2f} ms per answer")
        print(f"--jobs 2: {best2:.2f} s, {1000 * best2 / answers:.2f} ms per answer")
        print(f"speed-up of --jobs 2 over --jobs 1: {best1 / best2:.2f}×  (target ≥ 1.7×)")
        print("the two CSVs are identical")


if __name__ == "__main__":
    main()

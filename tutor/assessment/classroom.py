"""A class folder graded on every core, with the same results in any order.

Each answers file is graded on its own (one student never stops the others); with more than one
job the files go to a pool of processes, each holding the key once, and the results come back
in the files' order, so the scores, the CSV and every reason are the same whatever the number
of jobs.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from tutor.assessment.grade import Graded, grade_path
from tutor.assessment.key import VariantKey
from tutor.errors import ParameterError
from tutor.i18n import _, current_language, set_language

#: below this many files one process is quicker than starting a pool
POOL_FROM = 8
#: files sent to a worker at a time (fewer round trips, still a smooth progress bar)
CHUNK = 4

_keys: dict[str, VariantKey] = {}


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def grade_files(keys: dict[str, VariantKey], files: Sequence[Path], *, jobs: int | None = None,
                on_done: Callable[[Graded], None] | None = None) -> list[Graded]:
    """Every file graded (an ungradable one gets a row with its reason), in ``files``' order;
    ``jobs`` processes (default: every core); ``on_done`` is called as each result arrives."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ParameterError("jobs", _("{param} must be at least 1, not {value}"), value=jobs)
    files = list(files)
    if jobs == 1 or len(files) < POOL_FROM:
        results = []
        for f in files:
            results.append(grade_path(keys, f, strict=False))
            if on_done:
                on_done(results[-1])
        return results
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork here: each worker is given the key once
        context = multiprocessing.get_context("spawn")
    results = []
    with ProcessPoolExecutor(max_workers=min(jobs, len(files)), mp_context=context,
                             initializer=_start, initargs=(keys, current_language())) as pool:
        for result in pool.map(_grade, files, chunksize=CHUNK):
            results.append(result)
            if on_done:
                on_done(result)
    return results


def _start(keys: dict[str, VariantKey], language: str) -> None:
    global _keys
    _keys = keys
    set_language(language)


def _grade(path: Path) -> Graded:
    return grade_path(_keys, path, strict=False)

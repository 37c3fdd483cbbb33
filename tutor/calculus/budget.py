"""A time budget for symbolic work on what a user typed.

SymPy can take minutes (and gigabytes) on a short input such as (x + y + z + w)^1000 once it
starts expanding.  :func:`deadline` ends such work with a :class:`BudgetError`, one clear line,
when it runs past its time.  The time is the process's CPU time, not the clock on the wall: a
machine busy with other work slows honest work down but does not make it run out of time, and
what the tutor answers does not depend on the load (on an idle machine the two are the same).
It uses the process's profiling interval timer, so it works in the main thread of a POSIX
process (the command line); elsewhere (a notebook's worker thread, Windows) it lets the work
run.  Deadlines nest: an inner one never extends an outer one.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager

from tutor.errors import TutorError
from tutor.i18n import _

#: CPU seconds of symbolic work allowed on one typed expression (a derivation, a comparison,
#: the numbers of an explanation); the tutor's own lessons are never limited
SYMBOLIC_SECONDS = 1.5

#: the clock of every deadline: CPU seconds of the whole process (see the module's docstring)
clock = time.process_time

_active: list[float] = []  # the deadlines in force, as times of the CPU clock
#: seconds between repeated alarms once a deadline has passed
REPEAT = 0.1
#: set by the command line: a deadline passed by HARD_STOP_GRACE CPU seconds ends the process
#: (never set for a library caller, whose process is its own)
HARD_STOP = False
HARD_STOP_GRACE = 3.0
#: wall seconds between two looks of the last resort at the CPU clock
_GUARD_POLL = 0.1


def _in_callback(frame) -> bool:
    """Whether ``frame`` runs inside a finaliser or a garbage-collection or weak-reference
    callback, where an exception cannot propagate (Python prints it as "ignored")."""
    code = frame.f_code
    return code.co_name in ("__del__", "gc_callback", "remove", "_remove_dead_weakref") \
        or code.co_filename.endswith(("weakref.py", "_weakrefset.py"))


def _quiet_unraisable(original):
    """An unraisable-exception hook that drops an expired deadline's alarm (it repeats, so
    nothing is lost) and passes everything else on."""
    def hook(unraisable):
        if isinstance(unraisable.exc_value, BudgetError):
            return
        original(unraisable)
    hook.tutor_budget = True
    return hook


if not getattr(sys.unraisablehook, "tutor_budget", False):
    sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)


def _hard_stop(seconds: float, what: str) -> None:
    import os
    import sys

    message = _("this needs more than {seconds:g} s of symbolic work, the limit for one "
                "expression{what}; try a smaller expression").format(
        seconds=seconds, what=f" ({what})" if what else "")
    try:
        sys.stderr.write(_("error: {message}").format(message=message) + "\n")
        sys.stderr.flush()
    finally:
        os._exit(2)


class BudgetError(TutorError):
    """Symbolic work on the user's input ran past its time."""


def _guard(end: float, seconds: float, what: str, done: threading.Event) -> None:
    """The last resort's watch: ends the process once the deadline is passed by the grace."""
    while not done.wait(_GUARD_POLL):
        if clock() >= end + HARD_STOP_GRACE:
            _hard_stop(seconds, what)


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def deadline(seconds: float = SYMBOLIC_SECONDS, what: str = ""):
    """Run the block for at most ``seconds``; past that, raise :class:`BudgetError`."""
    if not _usable():
        yield
        return
    now = clock()
    end = min([now + seconds] + _active)
    previous = signal.getsignal(signal.SIGPROF)

    def expired(signum, frame):
        if clock() < end - 1e-3:  # an early tick: not yet
            return
        if frame is not None and _in_callback(frame):
            return  # raised there it would be "ignored" and printed; the next tick raises
        raise BudgetError(_("this needs more than {seconds:g} s of symbolic work, the limit "
                            "for one expression{what}; try a smaller expression")
                          .format(seconds=seconds, what=f" ({what})" if what else ""))

    _active.append(end)
    # the last resort of a command line: if even the repeated alarms cannot end the work
    # (a long computation inside C), the process ends with the same one line
    done = None
    if HARD_STOP and len(_active) == 1:
        done = threading.Event()
        threading.Thread(target=_guard, args=(end, seconds, what, done), daemon=True).start()
    signal.signal(signal.SIGPROF, expired)
    # the alarm repeats until the block ends: SymPy catches every exception in some places,
    # and a single alarm raised there would be swallowed and the work would go on
    signal.setitimer(signal.ITIMER_PROF, max(end - now, 1e-3), REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        if done is not None:
            done.set()
        _active.pop()
        signal.signal(signal.SIGPROF, previous)
        if _active:  # the outer deadline keeps running
            signal.setitimer(signal.ITIMER_PROF, max(_active[-1] - clock(), 1e-3), REPEAT)


#: seconds one optional tidying step (a factor, a cancel, a recognition) may take inside a
#: deadline before the tutor goes on without it
OPTIONAL_SECONDS = 0.5


def limited() -> bool:
    """True inside a deadline that is enforced (symbolic work on typed input)."""
    return _usable() and bool(_active)


def within(seconds: float, fn, *args, default=None):
    """``fn(*args)``, or ``default`` when it runs past ``seconds``.

    For work that only makes a result nicer (a shorter form of a derivative): inside a
    deadline — symbolic work on typed input — it gets a slice of the time and is given up
    quietly when the slice ends; the deadline itself still ends everything when *it* runs
    out.  Outside a deadline (the tutor's own lessons) the work always runs to its end, so
    what a lesson shows never depends on how busy the machine is."""
    if not limited():
        return fn(*args)
    outer = _active[-1]
    try:
        with deadline(seconds):
            return fn(*args)
    except BudgetError:
        if clock() >= outer - 1e-3:  # the enclosing deadline is what ran out
            raise
        return default

"""User code under a leash: ``tutor gradcheck`` runs the user's file in a child process with a
time limit and a memory limit.  An endless loop, a ``sys.exit`` or ``os._exit`` inside the
function, any exception, or arrays too large for the limit each end in one clear line, never in
a hang or a silent exit that would read as a pass."""

from __future__ import annotations

import multiprocessing

from tutor.checking.gradcheck import GOOD, GradcheckError, GradReport, check_gradient, load_target
from tutor.errors import TutorError
from tutor.i18n import _

#: seconds the user's code may run (loading, the inputs and every call together)
TIMEOUT = 60.0
#: the child's address space, in megabytes
MEMORY_MB = 2048


def check_file(spec: str, *, inputs_name: str = "inputs", wrt=None, samples: int = 200,
               seed: int = 0, tolerance: float = GOOD, timeout: float = TIMEOUT,
               memory_mb: int = MEMORY_MB) -> GradReport:
    """:func:`~tutor.checking.gradcheck.check_gradient` on ``FILE.py:FUNCTION``, run in a child
    process that may take ``timeout`` seconds and ``memory_mb`` megabytes."""
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork here: run in this process, unleashed
        return _check(spec, inputs_name, wrt, samples, seed, tolerance)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, spec, inputs_name, wrt, samples, seed,
                                                 tolerance, memory_mb), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise GradcheckError(_("{spec}: still running after {seconds:g} s, the limit (an "
                                   "endless loop? allow more with --timeout)")
                                 .format(spec=spec, seconds=timeout))
        try:
            kind, payload = receive.recv()
        except (EOFError, OSError):
            child.join(5)
            raise GradcheckError(_("{spec}: the code ended the process (exit code {code}) "
                                   "instead of returning a result")
                                 .format(spec=spec, code=child.exitcode)) from None
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receive.close()
    if kind == "error":
        raise GradcheckError(payload)
    return payload


def _check(spec, inputs_name, wrt, samples, seed, tolerance) -> GradReport:
    t = load_target(spec, inputs_name=inputs_name)
    report = check_gradient(t.fn, t.inputs, grad_fn=t.grad_fn, wrt=list(wrt) if wrt else None,
                            samples=samples, seed=seed, path=t.path, name=t.name,
                            tolerance=tolerance)
    report.autograd = t.autograd
    return report


def _child(send, spec, inputs_name, wrt, samples, seed, tolerance, memory_mb) -> None:
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    try:
        result = ("report", _check(spec, inputs_name, wrt, samples, seed, tolerance))
    except TutorError as exc:
        result = ("error", str(exc))
    except MemoryError:
        result = ("error", _("{spec}: needs more memory than the limit of {mb} MB")
                  .format(spec=spec, mb=memory_mb))
    except BaseException as exc:  # SystemExit, KeyboardInterrupt … from the user's code
        result = ("error", _("{spec}: the code raised {kind} instead of returning a result")
                  .format(spec=spec, kind=type(exc).__name__))
    try:
        send.send(result)
    finally:
        send.close()

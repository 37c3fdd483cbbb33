"""Checking gradient code someone wrote in NumPy against finite differences.

Two ways to hand over the code:

* one function ``fn(**inputs) -> (loss, grads)``;
* a pair ``loss_fn(**inputs) -> loss`` and ``grad_fn(**inputs) -> grads``.

``inputs`` is a dict of NumPy arrays (or numbers) passed as keyword arguments.  ``grads`` is a
dict {name: array} for the inputs it differentiates, or a tuple/list of arrays for the
first inputs in order (or for ``wrt``, when given).  The loss must be one finite number.

Every checked entry gets a central finite difference in float64 (the fourth-order stencil
[f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)] / 12h with h = ε^(1/5)·max(1, |x|)) and a relative
error |a − n| / max(|a|, |n|).  Entries whose gradient is below ``floor`` = 1e-5·max(1, |loss|)
on both sides are measured against that floor instead: finite differences cannot resolve
smaller numbers, and a relative error of two near-zeros is noise.  Errors below 1e-7 are
good, 1e-7 … 1e-4 suspicious, above 1e-4 wrong.  One-sided differences are taken too: when
the slopes just left and right of the point disagree, the entry sits at a kink (ReLU at 0,
max, |x|), where finite differences are not to be trusted, and it is said so.

For use in your own tests::

    from tutor.checking.gradcheck import assert_gradient
    assert_gradient(loss_and_grad, {"W": W, "b": b, "X": X, "y": y}, wrt=["W", "b"])
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from tutor.calculus.agreement import is_kink
from tutor.errors import ParameterError, TutorError
from tutor.i18n import _
from tutor.checking.autograd import as_loss_and_grad, is_autograd_function

GOOD = 1e-7
WRONG = 1e-4
FLOOR = 1e-5
DEFAULT_SAMPLES = 200
_H4 = np.finfo(np.float64).eps ** (1 / 5)
_H2 = np.finfo(np.float64).eps ** (1 / 3)


class GradcheckError(TutorError):
    """The code could not be called as the convention says (bad input, not a wrong gradient)."""


@dataclass(frozen=True)
class Entry:
    name: str
    index: tuple
    analytic: float
    numeric: float
    error: float
    kink: bool = False
    #: at a kink, the one-sided difference slopes from the left and from the right
    left: float = float("nan")
    right: float = float("nan")

    @property
    def label(self) -> str:
        if not self.index:
            return self.name
        return f"{self.name}[{', '.join(str(i) for i in self.index)}]"


@dataclass
class ParamReport:
    name: str
    shape: tuple
    checked: int
    total: int
    max_error: float
    status: str
    entries: list[Entry] = field(default_factory=list)
    #: a sentence about a pattern in the errors (a constant ratio, a transpose), or ""
    pattern: str = ""

    @property
    def kinks(self) -> int:
        return sum(e.kink for e in self.entries)


@dataclass
class GradReport:
    loss: float
    params: list[ParamReport]
    floor: float
    #: the largest error that passes (good is below GOOD; suspicious passes only if allowed)
    tolerance: float = GOOD
    #: a custom autograd function (forward and backward) was checked through
    #: L = Σ v ⊙ forward(…) with a random v: its class name
    autograd: str = ""

    @property
    def status(self) -> str:
        order = ["good", "suspicious", "wrong"]
        return max((p.status for p in self.params), key=order.index, default="good")

    @property
    def ok(self) -> bool:
        """Does every checked entry pass: an error of at most the tolerance?"""
        return all(np.isfinite(p.max_error) and p.max_error <= self.tolerance
                   for p in self.params)

    def worst(self, count: int = 5) -> list[Entry]:
        entries = [e for p in self.params for e in p.entries]
        return sorted(entries, key=lambda e: -e.error)[:count]


def status_of(error: float) -> str:
    if not np.isfinite(error) or error > WRONG:
        return "wrong"
    return "good" if error < GOOD else "suspicious"


def _where(exc: BaseException, path: str | None) -> str:
    if path is None:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) == os.path.abspath(path)]
    return _(" (line {line})").format(line=frames[-1].lineno) if frames else ""


def _call(fn: Callable, inputs: dict, what: str, path: str | None):
    try:
        with np.errstate(all="ignore"):
            return fn(**inputs)
    except TypeError as exc:
        raise GradcheckError(_("{what} could not be called with the inputs ({names}) as "
                               "keyword arguments: {problem}").format(
                                   what=what, names=", ".join(inputs), problem=exc)) from None
    except Exception as exc:  # the user's code: any failure is reported, in one line
        raise GradcheckError(_("{what} raised {error}: {problem}{where}").format(
            what=what, error=type(exc).__name__, problem=exc,
            where=_where(exc, path))) from None


def _loss_value(value, what: str) -> float:
    arr = np.asarray(value)
    if arr.size != 1 or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise GradcheckError(_("{what} must return the loss as one real number, not {kind} of "
                               "shape {shape}").format(what=what, kind=type(value).__name__,
                                                       shape=arr.shape))
    v = float(arr.reshape(()))
    if not np.isfinite(v):
        raise GradcheckError(_("{what} returned a loss that is not finite ({value})")
                             .format(what=what, value=v))
    return v


def _grads_dict(grads, names: Sequence[str], what: str) -> dict:
    if isinstance(grads, Mapping):
        unknown = [k for k in grads if k not in names]
        if unknown:
            raise GradcheckError(_("{what} returned a gradient for '{name}', which is not an "
                                   "input (inputs: {names})").format(
                                       what=what, name=unknown[0], names=", ".join(names)))
        return dict(grads)
    if isinstance(grads, np.ndarray) and len(names) >= 1:
        grads = (grads,)
    if isinstance(grads, (tuple, list)):
        if len(grads) > len(names):
            raise GradcheckError(_("{what} returned {count} gradients for {inputs} inputs")
                                 .format(what=what, count=len(grads), inputs=len(names)))
        return dict(zip(names, grads))
    raise GradcheckError(_("{what} must return the gradients as a dict {{name: array}} or a "
                           "tuple of arrays, not {kind}").format(what=what,
                                                                 kind=type(grads).__name__))


def check_gradient(fn: Callable, inputs: Mapping[str, object], *,
                   grad_fn: Callable | None = None, wrt: Sequence[str] | None = None,
                   samples: int = DEFAULT_SAMPLES, seed: int = 0, path: str | None = None,
                   name: str | None = None, tolerance: float = GOOD) -> GradReport:
    """Compare the gradients ``fn`` (or ``grad_fn``) computes with finite differences.

    ``fn(**inputs)`` returns ``(loss, grads)``, or, with ``grad_fn``, ``fn`` returns the loss
    and ``grad_fn(**inputs)`` the grads.  ``wrt`` limits the check to these inputs (default:
    every input the grads name).  Arrays with more than ``samples`` entries are checked on a
    random subset of that many entries (seeded by ``seed``).  Raises :class:`GradcheckError`
    when the code cannot be called as described; a wrong gradient is a report, not an error.
    ``name`` names ``fn`` in messages (default: "the function").  The report is ``ok`` when
    no entry's error exceeds ``tolerance`` (default: only good entries pass; at a kink any
    slope between the one-sided differences has error 0).
    """
    if name is None:
        name = _("the function")
    if samples < 1:
        raise GradcheckError(_("samples must be at least 1"))
    if not (0 < tolerance < 1):
        raise ParameterError("tolerance", _("{param} must be between 0 and 1, not {value}"),
                             value=f"{tolerance:g}")
    values = {}
    for key, v in inputs.items():
        arr = np.array(v, dtype=np.float64) if np.asarray(v).dtype.kind in "biuf" else v
        values[key] = arr
    names = list(values)

    if grad_fn is None:
        out = _call(fn, _copy(values), name, path)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise GradcheckError(_("{what} must return (loss, grads); it returned {kind}")
                                 .format(what=name, kind=type(out).__name__))
        loss, grads = out

        def loss_only(vals):
            result = _call(fn, vals, name, path)
            return _loss_value(result[0] if isinstance(result, (tuple, list)) else result, name)
    else:
        loss = _call(fn, _copy(values), name, path)
        grads = _call(grad_fn, _copy(values), _("the gradient function"), path)

        def loss_only(vals):
            return _loss_value(_call(fn, vals, name, path), name)

    loss = _loss_value(loss, name)
    order = list(wrt) if wrt else names
    for w in order:
        if w not in values:
            raise GradcheckError(_("no input named '{name}' (inputs: {names})")
                                 .format(name=w, names=", ".join(names)))
    grads = _grads_dict(grads, order, name)
    chosen = [w for w in order if w in grads] if not wrt else order
    missing = [w for w in chosen if w not in grads]
    if missing:
        raise GradcheckError(_("{what} returned no gradient for '{name}'")
                             .format(what=name, name=missing[0]))
    if not chosen:
        raise GradcheckError(_("{what} returned no gradients").format(what=name))

    floor = FLOOR * max(1.0, abs(loss))
    rng = np.random.default_rng(seed)
    reports = []
    for w in chosen:
        x = values[w]
        if not isinstance(x, np.ndarray):
            raise GradcheckError(_("input '{name}' is not numeric, so it cannot be "
                                   "differentiated").format(name=w))
        g = np.asarray(grads[w])
        if g.dtype.kind not in "biuf":
            raise GradcheckError(_("the gradient for '{name}' is not numeric ({dtype})")
                                 .format(name=w, dtype=g.dtype))
        g = g.astype(np.float64)
        if g.shape != x.shape:
            if g.size == x.size and x.ndim == 2 and g.shape == x.shape[::-1]:
                raise GradcheckError(_("the gradient for '{name}' has shape {shape} but {name} "
                                       "has shape {expected}: transposed?").format(
                                           name=w, shape=g.shape, expected=x.shape))
            raise GradcheckError(_("the gradient for '{name}' has shape {shape} but {name} has "
                                   "shape {expected}").format(name=w, shape=g.shape,
                                                              expected=x.shape))
        total = x.size
        flat_indices = (np.arange(total) if total <= samples
                        else np.sort(rng.choice(total, size=samples, replace=False)))
        entries = []
        for flat in flat_indices:
            index = np.unravel_index(int(flat), x.shape) if x.ndim else ()
            n4, forward, backward, narrow = _difference(loss_only, values, w, index)
            a = float(g[index]) if x.ndim else float(g)
            scale = max(abs(a), abs(n4), floor)
            # one-sided slopes that disagree by far more than their O(h) error, and keep
            # disagreeing with a smaller step: a kink, where any slope between them is valid
            kink = is_kink(loss, forward, backward, narrow)
            if kink:
                low, high = min(forward, backward), max(forward, backward)
                outside = max(low - a, a - high, 0.0)
                error = float(outside / max(abs(low), abs(high), floor)) if outside > \
                    1e-4 * max(abs(low), abs(high), floor) else 0.0
            else:
                error = float(abs(a - n4) / scale)
            n4 = float(n4)
            entries.append(Entry(w, tuple(int(i) for i in index), a, n4, error, kink,
                                 *((float(backward), float(forward)) if kink else ())))
        max_error = max(e.error for e in entries)
        report = ParamReport(w, tuple(x.shape), len(entries), total, max_error,
                             status_of(max_error), entries)
        report.pattern = _pattern(report, g, values, loss_only, w, floor)
        reports.append(report)
    return GradReport(loss, reports, floor, tolerance)


def _copy(values: dict) -> dict:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in values.items()}


def _difference(loss_only, values, w, index):
    x0 = values[w]
    center = float(x0[index]) if x0.ndim else float(x0)

    def at(offset):
        vals = _copy(values)
        arr = vals[w]
        if arr.ndim:
            arr[index] = center + offset
        else:
            vals[w] = np.float64(center + offset)
        return loss_only(vals)

    h = _H4 * max(1.0, abs(center))
    h = (center + h) - center  # a step that is exactly representable
    n4 = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
    h2 = _H2 * max(1.0, abs(center))
    h2 = (center + h2) - center
    base = at(0.0)
    forward = (at(h2) - base) / h2
    backward = (base - at(-h2)) / h2
    h8 = (center + h2 / 8) - center
    narrow = abs((at(h8) - base) / h8 - (base - at(-h8)) / h8)
    return n4, forward, backward, narrow


def _pattern(report: ParamReport, g, values, loss_only, w, floor) -> str:
    if report.status == "good":
        return ""
    big = [e for e in report.entries if abs(e.numeric) > floor and abs(e.analytic) > floor]
    if len(big) >= 2 or (len(big) == 1 and report.checked == 1):
        ratios = np.array([e.analytic / e.numeric for e in big])
        r = float(np.median(ratios))
        if np.allclose(ratios, r, rtol=1e-6) and len(big) == len(
                [e for e in report.entries if abs(e.numeric) > floor]):
            if abs(r + 1) < 1e-6:
                return _("every entry has the wrong sign")
            if abs(r - 1) < 1e-6:
                return ""  # the same numbers up to rounding: no factor to name
            k = round(r) if abs(r) >= 1 else round(1 / r)
            if abs(r) >= 1 and abs(r - k) < 1e-6:
                text = _("every entry is {ratio} × the finite difference (a missing 1/{k}, such "
                         "as a mean taken as a sum?)")
            elif abs(r) < 1 and abs(1 / r - k) < 1e-6:
                text = _("every entry is {ratio} × the finite difference (an extra 1/{k}?)")
            else:
                text = _("every entry is {ratio} × the finite difference")
            return text.format(ratio=f"{r:.6g}", k=k)
    x = values[w]
    if x.ndim == 2 and x.shape[0] == x.shape[1] and report.checked == report.total:
        numeric = np.zeros(x.shape)
        for e in report.entries:
            numeric[e.index] = e.numeric
        scale = max(float(np.max(np.abs(numeric))), floor)
        if np.max(np.abs(g.T - numeric)) / scale < 1e-6:
            return _("the gradient is the transpose of the right one")
    wrong = [e for e in report.entries if e.error > WRONG]
    if 1 <= len(wrong) <= 3 and len(wrong) < report.checked:
        return _("{wrong} of {checked} entries wrong: {entries}").format(
            wrong=len(wrong), checked=report.checked, entries=", ".join(e.label for e in wrong))
    if report.kinks and all(e.kink for e in wrong):
        return _("the disagreeing entries sit at kinks (ReLU at 0, max, |x|), and the gradient "
                 "given there is not between the slopes on the two sides")
    return ""


def assert_gradient(fn: Callable, inputs: Mapping[str, object], **kwargs) -> GradReport:
    """:func:`check_gradient`, raising AssertionError with the worst entries when any
    gradient's error exceeds the tolerance (``tolerance=``, default 1e-7); returns the report
    otherwise."""
    report = check_gradient(fn, inputs, **kwargs)
    if not report.ok:
        lines = [_("{entry}: analytic {analytic}, finite difference {numeric}, relative error "
                   "{error}").format(entry=e.label, analytic=f"{e.analytic:.6g}",
                                     numeric=f"{e.numeric:.6g}", error=f"{e.error:.2e}")
                 for e in report.worst(5)]
        patterns = [f"{p.name}: {p.pattern}" for p in report.params if p.pattern]
        raise AssertionError(_("gradient check failed") + "\n" + "\n".join(lines + patterns))
    return report


# -- loading a user's file -----------------------------------------------------------------
@dataclass
class Target:
    fn: Callable
    grad_fn: Callable | None
    inputs: dict
    path: str
    name: str
    #: the class, when the target is a custom autograd function (see ``autograd``)
    autograd: str = ""


def load_target(spec: str, *, inputs_name: str = "inputs") -> Target:
    """``FILE.py:FUNCTION`` (returns (loss, grads)), ``FILE.py:LOSS,GRAD`` (a pair) or
    ``FILE.py:CLASS`` (a custom autograd function with forward and backward); the file also
    defines ``inputs()`` (or another name) returning the dict of arrays, or a dict
    named ``INPUTS``."""
    path, sep, names = spec.rpartition(":")
    if not sep or not path:
        raise GradcheckError(_("{spec}: write FILE.py:FUNCTION (or FILE.py:LOSS_FN,GRAD_FN)")
                             .format(spec=spec))
    if not path.endswith(".py"):
        raise GradcheckError(_("{path}: not a Python file (the name must end in .py)")
                             .format(path=path))
    if not os.path.exists(path):
        raise GradcheckError(_("{path}: no such file").format(path=path))
    if os.path.isdir(path):
        raise GradcheckError(_("{path}: is a folder, not a file").format(path=path))
    parts = [p.strip() for p in names.split(",")]
    if len(parts) not in (1, 2) or not all(p.isidentifier() for p in parts):
        raise GradcheckError(_("{spec}: after the colon, one function name or two separated by "
                               "a comma (loss_fn,grad_fn)").format(spec=spec))
    module = _import(path)
    functions = [_function(module, p, path) for p in parts]
    provider = getattr(module, inputs_name, None)
    if provider is None and hasattr(module, "INPUTS"):
        provider = module.INPUTS
    if provider is None:
        raise GradcheckError(_("{path} defines no {inputs}() giving the arrays to check at (a "
                               "function returning a dict {{name: array}}, or a dict INPUTS)")
                             .format(path=path, inputs=inputs_name))
    if callable(provider):
        inputs = _call(provider, {}, f"{inputs_name}()", path)
    else:
        inputs = provider
    if not isinstance(inputs, Mapping) or not inputs:
        raise GradcheckError(_("{inputs} must give a non-empty dict {{name: array}}, not {kind}")
                             .format(inputs=inputs_name, kind=type(inputs).__name__))
    bad = [k for k in inputs if not isinstance(k, str) or not k.isidentifier()]
    if bad:
        raise GradcheckError(_("{inputs}: the names must be identifiers, not {name}")
                             .format(inputs=inputs_name, name=repr(bad[0])))
    if len(functions) == 1 and is_autograd_function(functions[0]):
        # forward and backward: checked through L = Σ v ⊙ forward(…), gradient backward(v)
        return Target(as_loss_and_grad(functions[0], list(inputs)), None, dict(inputs), path,
                      parts[0], autograd=parts[0])
    return Target(functions[0], functions[1] if len(functions) == 2 else None, dict(inputs),
                  path, parts[0] if len(parts) == 1 else f"{parts[0]}/{parts[1]}")


def _import(path: str):
    folder = os.path.dirname(os.path.abspath(path))
    name = "tutor_gradcheck_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise GradcheckError(_("{path}: cannot be loaded as a Python module")
                                 .format(path=path))
        module = importlib.util.module_from_spec(spec)
    except GradcheckError:
        raise
    except Exception as exc:
        raise GradcheckError(_("{path}: cannot be loaded ({error})")
                             .format(path=path, error=type(exc).__name__)) from None
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise GradcheckError(_("{path}: syntax error at line {line}: {problem}")
                             .format(path=path, line=exc.lineno, problem=exc.msg)) from None
    except Exception as exc:  # the user's module: any failure is one line
        raise GradcheckError(_("{path}: importing it raised {error}: {problem}{where}").format(
            path=path, error=type(exc).__name__, problem=exc,
            where=_where(exc, path))) from None
    except SystemExit:
        raise GradcheckError(_("{path}: importing it called exit()").format(path=path)) from None
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    return module


def _function(module, name: str, path: str):
    fn = getattr(module, name, None)
    if fn is None:
        defined = sorted(k for k, v in vars(module).items()
                         if callable(v) and not k.startswith("_")
                         and getattr(v, "__module__", None) == module.__name__)
        message = (_("{path} has no function '{name}' (it defines {names})") if defined
                   else _("{path} has no function '{name}'"))
        raise GradcheckError(message.format(path=path, name=name, names=", ".join(defined)))
    if not callable(fn):
        raise GradcheckError(_("{path}: '{name}' is not a function").format(path=path, name=name))
    return fn

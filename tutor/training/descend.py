"""Several optimisers racing down one function of one or two variables.

The function is a *surface* (a data file in ``lessons/landscapes/``: the standard test
functions, with their constants, start, learning rates and known minima) or any expression
typed by the user.  Its gradient is derived and compiled once, by the same machinery as
``tutor train`` (:func:`tutor.training.model.from_function`: SymPy, stable forms, lambdify);
each optimiser of :mod:`tutor.training.optimizers` then runs from the same start in NumPy,
keeping its whole path, the first steps whole (gradient, state, update, new point), whether
and when the gradient's norm fell below the tolerance, and whether it diverged.

Nothing here draws: :func:`picture` computes what the plots show (the window, the function
on a grid, contour levels, the frames of an animation) for a renderer to draw.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import sympy

from tutor.errors import LessonError, ParameterError, TutorError
from tutor.i18n import _
from tutor.training.optimizers import OPTIMIZERS, get as get_optimizer

#: the most steps one optimiser may take in a race
MAX_STEPS = 100_000
#: a point this far out (or a gradient this large) has run off: the run stops, diverged
RUN_OFF = 1e150


# -- surfaces: the standard test functions, as data --------------------------------------------
@dataclass
class Surface:
    name: str
    title: str
    expression: str
    variables: list[str]
    start: list[float]
    steps: int
    #: optimiser name (or "default") → learning rate
    lr: dict[str, float]
    #: name → value as text (an expression of numbers, like 0.15*pi)
    constants: dict[str, str] = field(default_factory=dict)
    #: known minima, each a list of expressions in the constants
    minima: list[list[str]] = field(default_factory=list)
    about: str = ""
    #: language → {"title": …, "about": …}
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    def text(self, key: str, lang: str) -> str:
        return self.translations.get(lang, {}).get(key) or getattr(self, key)


def _join(text: str, lang: str) -> str:
    """A paragraph's lines as one line: Chinese joined without a space, other languages with one."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return ("" if lang == "zh" else " ").join(line for line in lines if line)


def _folder():
    from tutor.explaining.lesson import _folder as lessons

    return lessons().joinpath("landscapes")


def surface_names() -> list[str]:
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".toml"))


def load_surface(name: str) -> Surface:
    if name not in surface_names():
        raise LessonError(_("no function named '{name}'; the functions are {names}")
                          .format(name=name, names=", ".join(surface_names())))
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    data = tomllib.loads(_folder().joinpath(name + ".toml").read_text("utf-8"))
    text = data.get("text", {})
    return Surface(name=data["name"], title=data["title"], expression=data["expression"],
                   variables=list(data["variables"]), start=[float(v) for v in data["start"]],
                   steps=int(data["steps"]), lr={k: float(v) for k, v in data["lr"].items()},
                   constants={k: str(v) for k, v in data.get("constants", {}).items()},
                   minima=[[str(c) for c in m] for m in data.get("minima", [])],
                   about=" ".join(text.get("about", "").split()),
                   translations={lang: {k: _join(v, lang) for k, v in t.items()}
                                 for lang, t in data.get("translations", {}).items()})


# -- the problem: a function, compiled ------------------------------------------------------
@dataclass
class Problem:
    title: str
    name: str
    #: the function with the constants put in, and as written (with their names)
    function: sympy.Expr
    written: sympy.Expr
    variables: list[sympy.Symbol]
    #: (variable, ∂f/∂variable) as derived, with the constants' names
    partials: list[tuple[sympy.Symbol, sympy.Expr]]
    constants: dict[str, float]
    start: np.ndarray
    minima: list[np.ndarray]
    steps: int
    lr: dict[str, float]
    about: str = ""
    #: compiled: f(x[, y]), the gradient's list, the Hessian's entries (row by row)
    f: object = None
    grad: object = None
    hessian: object = None


def _number(text: str, constants: Mapping[str, float], where: str) -> float:
    from tutor.calculus.parser import parse_expression

    expr = parse_expression(str(text)).subs({sympy.Symbol(k, real=True): v
                                             for k, v in constants.items()})
    if expr.free_symbols or not expr.is_number:
        raise ParameterError(where, _("{param}: {text} is not a number"), text=text)
    value = float(expr)
    if not math.isfinite(value):
        raise ParameterError(where, _("{param}: {text} is not a finite number"), text=text)
    return value


def problem(*, surface: str | None = None, expr: str | None = None,
            constants: Mapping[str, float] | None = None,
            start: Sequence[float] | None = None, lang: str = "en") -> Problem:
    """The function to descend: a surface by name (its constants changed by ``constants``), or
    an expression of one or two variables (``constants`` names the letters that are not
    variables)."""
    from tutor.calculus.parser import parse_function
    from tutor.training.engine import compile_functions
    from tutor.training import model as models

    given = dict(constants or {})
    if surface is not None:
        s = load_surface(surface)
        unknown = [k for k in given if k not in s.constants]
        if unknown:
            raise ParameterError("set", _("{param} {name}: {title} has no constant '{name}'{has}"),
                                 name=unknown[0], title=s.name,
                                 has=(_("; its constants are {names}").format(
                                     names=", ".join(s.constants)) if s.constants else ""))
        values = {k: _number(v, {}, "set") for k, v in s.constants.items()}
        values.update(given)
        written = parse_function(s.expression)
        names, title, name = s.variables, s.text("title", lang), s.name
        default_start, steps, lr = s.start, s.steps, dict(s.lr)
        minima = [np.array([_number(c, values, "set") for c in m]) for m in s.minima]
        about = s.text("about", lang)
    else:
        written = parse_function(expr)
        values = given
        names = sorted(s.name for s in written.free_symbols if s.name not in values)
        unused = [k for k in values if k not in {s.name for s in written.free_symbols}]
        if unused:
            raise ParameterError("set", _("{param} {name}: the expression has no '{name}'"),
                                 name=unused[0])
        if not 1 <= len(names) <= 2:
            raise TutorError(_("the expression has {count} variables ({names}); descend takes a "
                               "function of one or two").format(
                count=len(names), names=", ".join(names) or _("none")))
        title, name = _("Your function"), "expression"
        default_start, steps, lr, minima, about = [1.0] * len(names), 100, {"default": 0.01}, [], ""
    symbols = {s.name: s for s in written.free_symbols}
    variables = [symbols.get(n, sympy.Symbol(n, real=True)) for n in names]
    function = written.subs({symbols[k]: sympy.Float(v) if not float(v).is_integer()
                             else sympy.Integer(int(v)) for k, v in values.items() if k in symbols})
    start_point = list(start) if start is not None else list(default_start)
    if len(start_point) != len(variables):
        raise ParameterError("start", _("{param}: give {count} numbers, one per variable ({names})"),
                             count=len(variables), names=", ".join(names))
    the_model = models.from_function(function, names)
    obj = the_model.objective
    # the gradient as derived (stable forms), compiled once: f, ∇f and the Hessian
    loss_fn = obj._loss_fn.raw

    def f_fn(*values):
        return loss_fn(*values)[0]

    grad_fn = obj._grad_fn.raw
    hess = [sympy.diff(function, a, b) for a in variables for b in variables]
    hess_fn = compile_functions(hess, variables)
    partials = [(v, sympy.diff(written, v)) for v in variables]
    with np.errstate(all="ignore"):
        at_start = [f_fn(*start_point)] + list(grad_fn(*[np.float64(v) for v in start_point]))
    if not all(np.isfinite(np.asarray(v, dtype=np.float64)).all() for v in at_start):
        raise ParameterError("start", _("{param}: f or its gradient has no value at {point}; "
                                        "start elsewhere"),
                             point="(" + ", ".join(f"{v:g}" for v in start_point) + ")")
    return Problem(title=title, name=name, function=function, written=written,
                   variables=variables, partials=partials, constants=values,
                   start=np.array(start_point, dtype=np.float64), minima=minima, steps=steps,
                   lr=lr, about=about, f=f_fn, grad=grad_fn, hessian=hess_fn)


# -- the race -------------------------------------------------------------------------------
@dataclass
class Step:
    """One step of one optimiser, whole."""

    t: int
    gradient: np.ndarray
    #: the state after the step: symbol → array
    state: dict[str, np.ndarray]
    update: np.ndarray
    point: np.ndarray


@dataclass
class Run:
    optimizer: str
    lr: float
    hypers: dict[str, float]
    path: np.ndarray
    values: np.ndarray
    first: list[Step]
    steps: int
    #: "converged" (‖∇f‖ < tol), "diverged" (stopped: ran off), "diverging" (f rose in each of
    #: the last steps, above its start), or "stopped" (the steps ran out)
    status: str
    #: steps taken when ‖∇f‖ first fell below the tolerance
    reached: int | None
    gradient_norm: float
    #: at a point where the gradient vanished: "minimum", "saddle", "maximum" or "flat"
    kind: str | None = None
    eigenvalues: list[float] | None = None
    #: distance from the end to the nearest known minimum
    to_minimum: float | None = None
    #: diverged because the next point lies where f has no value (outside its domain)
    undefined: bool = False

    @property
    def final(self) -> np.ndarray:
        return self.path[-1]


def learning_rates(prob: Problem, names: Sequence[str], given: Sequence[float] | None) -> list[float]:
    """One learning rate per optimiser: the ones given (one for all, or one each), else the
    function's own for that optimiser."""
    if given:
        if len(given) == 1:
            return [float(given[0])] * len(names)
        if len(given) != len(names):
            raise ParameterError("lr", _("{param}: give one learning rate, or one per optimizer "
                                         "({count})"), count=len(names))
        return [float(v) for v in given]
    return [prob.lr.get(n, prob.lr["default"]) for n in names]


def hypers_for(names: Sequence[str], given: Mapping[str, float]) -> list[dict[str, float]]:
    """Each optimiser's hyper-parameters: the given ones it takes, its defaults otherwise; a
    given one that no optimiser of the race takes is refused."""
    for key in given:
        if not any(key in OPTIMIZERS[n].defaults for n in names):
            raise ParameterError(key, _("{param} goes with none of the optimizers {names}"),
                                 names=", ".join(names))
    return [get_optimizer(n).hypers({k: v for k, v in given.items()
                                     if k in OPTIMIZERS[n].defaults}) for n in names]


def race(prob: Problem, names: Sequence[str], *, lr: Sequence[float] | None = None,
         steps: int | None = None, tol: float = 1e-6, hypers: Mapping[str, float] | None = None,
         show: int = 3) -> list[Run]:
    """Every optimiser in ``names`` from the same start."""
    if not names:
        raise ParameterError("optimizer", _("{param}: name at least one optimizer"))
    for n in names:
        get_optimizer(n)
    if len(set(names)) != len(names):
        raise ParameterError("optimizer", _("{param}: an optimizer is named twice"))
    steps = prob.steps if steps is None else steps
    if not 1 <= steps <= MAX_STEPS:
        raise ParameterError("steps", _("{param} must be from 1 to {most}, not {value}"),
                             most=f"{MAX_STEPS:,}", value=steps)
    if not (tol > 0 and math.isfinite(tol)):
        raise ParameterError("tol", _("{param} must be a positive number, not {value}"),
                             value=f"{tol:g}")
    rates = learning_rates(prob, names, lr)
    for r in rates:
        if not (r > 0 and math.isfinite(r)):
            raise ParameterError("lr", _("{param} must be a positive number, not {value}"),
                                 value=f"{r:g}")
    hps = hypers_for(names, dict(hypers or {}))
    return [_run(prob, n, r, hp, steps, tol, show) for n, r, hp in zip(names, rates, hps)]


def _run(prob: Problem, name: str, lr: float, hp: dict, steps: int, tol: float, show: int) -> Run:
    optimizer = OPTIMIZERS[name]
    grad = prob.grad
    theta = prob.start.copy()
    state = optimizer.new_state(theta)
    path = np.empty((steps + 1, theta.size))
    path[0] = theta
    first: list[Step] = []
    tol2 = tol * tol
    status, reached, taken = "stopped", None, steps
    # without weight decay the bare update (no check for it on every step)
    update = (optimizer.step if not hp.get("weight_decay") else optimizer.apply)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            g = np.array(grad(*theta), dtype=np.float64)
            norm2 = float(g @ g)
            if norm2 < tol2:
                status, reached, taken = "converged", t - 1, t - 1
                break
            if not norm2 < RUN_OFF:  # also NaN: the point ran off, or f is undefined there
                status, taken = "diverged", t - 1
                break
            if t <= show:
                before = theta.copy()
                update(theta, g, state, lr, hp, t)
                first.append(Step(t, g, {k: v.copy() for k, v in state.items()},
                                  theta - before, theta.copy()))
            else:
                update(theta, g, state, lr, hp, t)
            path[t] = theta
        else:
            g = np.array(grad(*theta), dtype=np.float64)
            if float(g @ g) < tol2:
                status, reached = "converged", steps
        path = path[:taken + 1]
        # a point that ran off to infinity (its gradient may still be finite): stop there
        off = ~(np.abs(path) < RUN_OFF).all(axis=1)
        if off.any():
            taken = int(np.argmax(off))
            path, status, reached = path[:taken + 1], "diverged", None
        values = np.asarray(prob.f(*path.T), dtype=np.float64)
        values = np.broadcast_to(values, (len(path),)).copy()
        gnorm = float(np.sqrt(np.sum(np.asarray(grad(*path[-1]), dtype=np.float64) ** 2)))
    undefined = False
    bad = ~np.isfinite(values)
    if bad.any():
        # a step left the function's domain (log of a negative number) or ran off: the run
        # ends at the last point where f has a value
        k = int(np.argmax(bad))
        undefined = bool(np.all(np.isfinite(path[k])))
        path, values, taken, status, reached = path[:k], values[:k], k, "diverged", None
        with np.errstate(all="ignore"):
            gnorm = float(np.sqrt(np.sum(np.asarray(grad(*path[-1]), dtype=np.float64) ** 2)))
    if status == "stopped" and _rising(values):
        status = "diverging"
    run = Run(name, lr, hp, path, values, first, taken, status, reached, gnorm)
    run.undefined = undefined
    if status == "converged":
        _classify(prob, run)
    if prob.minima and np.all(np.isfinite(run.final)):
        run.to_minimum = float(min(np.linalg.norm(run.final - m) for m in prob.minima))
    return run


def _rising(values: np.ndarray, last: int = 3) -> bool:
    """f rose in each of the last steps and ended above where it started."""
    if len(values) <= last or not np.isfinite(values[-1]):
        return not np.isfinite(values[-1])
    tail = values[-last - 1:]
    return bool(np.all(np.diff(tail) > 0) and values[-1] > values[0])


def _classify(prob: Problem, run: Run) -> None:
    d = len(prob.variables)
    with np.errstate(all="ignore"):
        H = np.array([float(v) for v in prob.hessian(*run.final)], dtype=np.float64).reshape(d, d)
    if not np.all(np.isfinite(H)):
        return
    lam = np.linalg.eigvalsh((H + H.T) / 2)
    scale = max(1.0, float(np.max(np.abs(lam))))
    small = 1e-8 * scale
    run.eigenvalues = [float(v) for v in lam]
    if np.all(lam > small):
        run.kind = "minimum"
    elif np.all(lam < -small):
        run.kind = "maximum"
    elif np.any(lam > small) and np.any(lam < -small):
        run.kind = "saddle"
    else:
        run.kind = "flat"


# -- what the figures show -------------------------------------------------------------------
@dataclass
class Picture:
    """The window, the function over it, and the paths (as computed) for the plots."""

    variables: list[str]
    x: np.ndarray
    #: two variables: the y axis and f on the grid (rows along y); one: f along x
    y: np.ndarray | None
    f: np.ndarray
    levels: np.ndarray | None
    #: how the contour levels are spaced: "log" (in log(f − min)), "sqrt" or "linear"
    spacing: str
    minima: list[np.ndarray]
    start: np.ndarray
    #: per run: the points and f at them
    paths: list[tuple[str, np.ndarray, np.ndarray]]
    #: the step shown in each frame of an animation
    frames: list[int]


def picture(prob: Problem, runs: Sequence[Run], *, points: int = 301, max_frames: int = 60) -> Picture:
    d = len(prob.variables)
    inside = [prob.start[None, :]] + [m[None, :] for m in prob.minima]
    # the paths as far as they stay within 3 times the size of the start and the minima (a run
    # escaping down a slope without end is shown leaving, not followed to where it went)
    reach = 3 * max(1.0, *(float(np.linalg.norm(p)) for p in inside))
    for r in runs:
        if r.status not in ("diverged", "diverging"):
            near = np.all(np.isfinite(r.path), axis=1) & (np.linalg.norm(r.path, axis=1) <= reach)
            inside.append(r.path[near])
    P = np.concatenate(inside)
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = hi - lo
    size = float(max(span.max(), 1e-3))
    # no axis squeezed to a sliver: each at least a third of the other
    span = np.maximum(span, size / 3)
    centre = (lo + hi) / 2
    pad = 0.15 * span + 0.05 * size
    lo, hi = centre - span / 2 - pad, centre + span / 2 + pad
    x = np.linspace(lo[0], hi[0], points)
    with np.errstate(all="ignore"):
        if d == 1:
            y = None
            f = np.broadcast_to(np.asarray(prob.f(x), dtype=np.float64), x.shape).copy()
            levels, log = None, "linear"
        else:
            y = np.linspace(lo[1], hi[1], points)
            X, Y = np.meshgrid(x, y)
            f = np.broadcast_to(np.asarray(prob.f(X, Y), dtype=np.float64), X.shape).copy()
            levels, log = _levels(f)
    steps = max(len(r.path) for r in runs)
    count = min(max_frames, steps)
    frames = sorted({int(round(k)) for k in np.linspace(0, steps - 1, count)})
    paths = []
    with np.errstate(all="ignore"):
        for r in runs:
            paths.append((r.optimizer, r.path, r.values))
    return Picture(variables=[v.name for v in prob.variables], x=x, y=y, f=f, levels=levels,
                   spacing=log, minima=prob.minima, start=prob.start, paths=paths,
                   frames=frames)


def _levels(f: np.ndarray, count: int = 24) -> tuple[np.ndarray, str]:
    """Contour levels and their spacing: for a function whose least value on the grid lies
    inside it, spaced evenly in log(f − min) when f spans many orders above that value (a valley
    like Rosenbrock's), else in √(f − min) (the rings of a quadratic equally apart); evenly in f
    when the least value is on the edge (a saddle, a slope)."""
    finite = np.where(np.isfinite(f), f, np.nan)
    fmin, fmax = float(np.nanmin(finite)), float(np.nanmax(finite))
    rise = fmax - fmin
    if rise <= 0:
        return np.array([fmin - 1, fmin + 1]), "linear"
    i, j = np.unravel_index(np.nanargmin(finite), f.shape)
    if i in (0, f.shape[0] - 1) or j in (0, f.shape[1] - 1):
        return np.linspace(fmin, fmax, count + 2)[1:-1], "linear"
    q = float(np.nanquantile(finite - fmin, 0.5))
    if q > 0 and rise / q > 20:
        low = max(float(np.nanquantile(finite - fmin, 0.002)), rise * 1e-6)
        return fmin + np.geomspace(low, rise, count), "log"
    return fmin + rise * np.linspace(0, 1, count + 2)[1:-1] ** 2, "sqrt"

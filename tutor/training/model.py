"""What to train: a lesson's per-sample loss, or a loss typed with ``--expr`` and ``--params``.

A :class:`Model` holds the loss as SymPy (for the learner to read), the compiled
:class:`~tutor.training.engine.CompiledObjective` (for the numbers), and the pieces of the update rule
derived from it.  Parameters are the lesson's ``parameter`` symbols (or the names given with
``--params``); every other symbol is data, read from the data under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy

from tutor.training.data import DataError, gather, synthetic
from tutor.training.engine import CompiledObjective, Group, Inputs, Route
from tutor.errors import ParameterError, TutorError
from tutor.i18n import N_, _
from tutor.explaining.lesson import Lesson, load_lesson, load_lesson_file
from tutor.calculus.parser import parse_function

#: the most numbers synthetic inputs may hold (samples × features): 80 MB of float64,
#: so a run with its copies stays well under a gigabyte
MAX_SYNTHETIC_VALUES = 10_000_000


@dataclass
class Model:
    name: str
    title: str
    loss: sympy.Expr
    params: list[Group]
    data: list[Group]
    objective: CompiledObjective
    lesson: Lesson | None = None
    #: the lesson's own reduction, if it names one
    reduce: str | None = None
    #: per linear output: its display symbol and ∂ℓ/∂z written with it
    deltas: list[tuple[sympy.Symbol, sympy.Expr]] = field(default_factory=list)
    #: a note on how the deltas are written (e.g. "s = softmax(z), with Σ y = 1")
    delta_note: str = ""
    #: where the gradients come from, when not from this module's compiled loss
    gradient_source: str = ""
    #: per parameter symbol, ∂ℓ/∂θ (when there is no linear layer)
    partials: list[tuple[sympy.Symbol, sympy.Expr]] = field(default_factory=list)
    #: the loss and its gradient layer by layer in the lesson's named parts (when there is no
    #: linear layer and the lesson names its parts): see :mod:`tutor.training.layerwise`
    layer_wise: object = None

    @property
    def loss_shown(self) -> sympy.Expr:
        """The loss written with the lesson's named sub-expressions (z, a, …) where they occur."""
        if self.lesson is None or not self.lesson.named:
            return self.loss
        return self.lesson.with_names(self.loss)

    @property
    def where(self) -> list[tuple[sympy.Symbol, sympy.Expr]]:
        """The lesson's named sub-expressions, each written with the ones before it."""
        return [] if self.lesson is None else self.lesson.named_parts()

    @property
    def layer(self):
        return self.objective.layer if getattr(self.objective, "mode", None) is Route.LAYER else None

    @property
    def kind(self) -> str:
        """``regression`` (squared loss), ``binary`` (labels 0/1), ``classes`` (one-hot), or
        ``other`` — what synthetic data and the plots look like."""
        layer = self.layer
        if layer is None or layer.mode is not Inputs.DATA or len(self.targets) != 1:
            return "other"
        if len(layer.z) > 1:
            return "classes" if self.targets[0].family else "other"
        return "regression" if self.objective.quadratic else "binary"

    @property
    def targets(self) -> list[Group]:
        layer = self.layer
        if layer is None:
            return []
        return [g for g in self.data if g.name != layer.x_group]

    @property
    def feature_name(self) -> str | None:
        return self.layer.x_group if self.layer is not None and self.layer.mode is Inputs.DATA else None

    def data_groups(self) -> dict[str, int | None]:
        return {g.name: (len(g.members) if g.family else None) for g in self.data}

    def gather(self, raw: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The data for this model, checked; class labels 0 … C−1 become one-hot rows."""
        data = gather(raw, self.data_groups())
        for g in self.data:
            arr = data[g.name]
            if g.name == self.feature_name:
                continue  # the features: any number of columns
            if g.family:
                m = len(g.members)
                is_target = self.lesson is not None and self.lesson.roles.get(g.members[0].name) == "target"
                if arr.ndim == 1 and is_target:
                    if np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() > m - 1:
                        raise ParameterError("size", _("data: '{name}' must be class labels "
                                                       "0 … {last} or {count} one-hot columns "
                                                       "(change the classes with {param})"),
                                             name=g.name, last=m - 1, count=m)
                    data[g.name] = np.eye(m)[arr.astype(int)]
                elif arr.ndim == 1 or arr.shape[1] != m:
                    have = 1 if arr.ndim == 1 else arr.shape[1]
                    raise ParameterError("size", _("data: '{name}' needs {count} columns "
                                                   "({name}1 … {name}{count}), not {have}; for a "
                                                   "lesson, {param} changes that"),
                                         name=g.name, count=m, have=have)
            elif arr.ndim == 2 and arr.shape[1] != 1:
                raise DataError(_("data: '{name}' must be one column, not {count}")
                                .format(name=g.name, count=arr.shape[1]))
        return data

    def synthetic(self, *, true_w, true_b, samples: int, noise: float, seed) -> dict[str, np.ndarray]:
        kind = self.kind
        if kind == "other":
            raise ParameterError("synthetic", _("{param} needs a model of the form w·x + b with "
                                                "one target ({names})"),
                                 names="linear_regression, logistic_regression, "
                                       "softmax_regression, neuron")
        C = len(self.layer.z)
        w = np.asarray(true_w, dtype=np.float64)
        if kind == "classes":
            if w.ndim == 1 and w.size == C:
                w = w.reshape(1, C)  # one feature: a single row
            if w.ndim != 2 or w.shape[1] != C:
                raise ParameterError("true_w", _("{param}: give a features × {count} matrix, rows "
                                                 "separated by ';' (like {example} for 2 "
                                                 "features)"),
                                     count=C, example='"1,-1,0;0,2,-2"')
        elif w.ndim != 1:
            raise ParameterError("true_w", _("{param}: give one weight per feature, like 2,-3.4"))
        b = np.asarray(true_b, dtype=np.float64).ravel()
        if b.size not in (1, C):
            raise ParameterError("true_b", _("{param}: give one number") if C == 1 else
                                 _("{param}: give 1 or {count} numbers"), count=C)
        b = b[0] if C == 1 else np.broadcast_to(b, (C,))
        features = w.shape[0] if w.ndim == 2 else w.size
        if samples * features > MAX_SYNTHETIC_VALUES:
            raise ParameterError("samples", _("{param} {samples} × {features} features is "
                                              "{values} numbers; synthetic data holds at most "
                                              "{most}"),
                                 samples=samples, features=features,
                                 values=f"{samples * features:,}",
                                 most=f"{MAX_SYNTHETIC_VALUES:,}")
        raw = synthetic(kind, true_w=w if w.ndim == 2 else w, true_b=b, samples=samples,
                        noise=noise, seed=seed)
        return {self.layer.x_group: raw["x"], self.targets[0].name: raw["y"]}


def _groups(lesson: Lesson, role_filter) -> list[Group]:
    groups: list[Group] = []
    seen: set[str] = set()
    for name, sym in lesson.symbols.items():
        if not role_filter(lesson.roles[name]) or name in seen:
            continue
        family = next((base for base, members in lesson.families.items()
                       if name in members and all(m in lesson.symbols for m in members)), None)
        if family:
            members = lesson.families[family]
            groups.append(Group(family, [lesson.symbols[m] for m in members], True))
            seen.update(members)
        else:
            groups.append(Group(name, [sym]))
            seen.add(name)
    return groups


def _finish(model: Model) -> Model:
    obj = model.objective
    if obj.mode is Route.LAYER:
        C = len(obj.layer.z)
        shown = [sympy.Symbol("z" if C == 1 else f"z{c + 1}", real=True) for c in range(C)]
        swap = dict(zip(obj.layer.z, shown))
        model.deltas = [(shown[c], _in_named_parts(model, d.xreplace(swap), shown[c]))
                        for c, d in enumerate(obj.delta_exprs)]
        _softmax_form(model, shown)
    else:
        model.partials = [(s, sympy.diff(model.loss, s)) for g in model.params for s in g.members]
        if model.lesson is not None:
            from tutor.training.layerwise import layer_wise

            model.layer_wise = layer_wise(model.lesson,
                                          [s for g in model.params for s in g.members])
    return model


def _in_named_parts(model: Model, delta: sympy.Expr, z: sympy.Symbol) -> sympy.Expr:
    """δ written with the lesson's named parts after the linear layer (σ(z) as a in
    ``neuron``): the same expression, shorter to read."""
    if model.lesson is None:
        return delta
    by_name = {s.name: s for s in delta.free_symbols}
    for name, form in reversed(model.where):
        if name.name == z.name or form.is_Symbol:
            continue
        form = form.xreplace({s: by_name[s.name] for s in form.free_symbols if s.name in by_name})
        delta = delta.subs(form, sympy.Symbol(name.name, real=True))
    return delta


def _softmax_form(model: Model, shown: list[sympy.Symbol]) -> None:
    """Write δ_c as s_c − y_c (s = softmax(z)) when that is what it equals under the lesson's
    assumption that the targets sum to 1 (checked symbolically, for display only: the
    compiled form stays general)."""
    from tutor.calculus.stable import logsumexp

    lesson = model.lesson
    targets = model.targets
    if (lesson is None or not lesson.assumptions or len(shown) < 2 or len(targets) != 1
            or not targets[0].family or len(targets[0].members) != len(shown)):
        return
    s = [sympy.Symbol(f"s{c + 1}", real=True) for c in range(len(shown))]
    candidates = []
    for c, (z, d) in enumerate(model.deltas):
        lse = list(d.atoms(logsumexp))
        if len(lse) != 1:
            return
        probs = {sympy.exp(zc - lse[0]): s[k] for k, zc in enumerate(shown)}
        written = d.xreplace(probs)
        if written.free_symbols & set(shown):
            return
        candidate = s[c] - targets[0].members[c]
        gap = written - candidate
        for lhs, rhs in lesson.assumptions:
            last = sorted(lhs.free_symbols, key=lambda t: t.name)[-1]
            gap = gap.subs(last, sympy.solve(sympy.Eq(lhs, rhs), last)[0])
        if sympy.simplify(gap) != 0:
            return
        candidates.append((z, candidate))
    model.deltas = candidates
    model.delta_note = N_("s = softmax(z); written with Σ y = 1, as for one-hot labels")


#: Lessons whose gradients come from another engine (a backpropagation graph, say): lesson
#: name -> (factory, description).  The factory takes the Lesson and returns an object with the
#: Objective interface of tutor.training.engine (param_names, prepare, init_params, loss, gradient).
GRADIENT_SOURCES: dict[str, tuple[Callable, str]] = {}


def register_gradient_source(lesson_name: str, factory: Callable, description: str) -> None:
    """Train ``lesson_name`` with the objective ``factory(lesson)`` instead of compiling its
    loss here; ``description`` says where its gradients come from (shown before training)."""
    GRADIENT_SOURCES[lesson_name] = (factory, description)


def _plugged(lesson: Lesson, params, data) -> Model:
    factory, description = GRADIENT_SOURCES[lesson.name]
    objective = factory(lesson)
    return Model(name=lesson.name, title=lesson.title, loss=lesson.outputs[0], params=params,
                 data=data, objective=objective, lesson=lesson, reduce=lesson.reduce,
                 gradient_source=description)


def from_lesson(lesson: Lesson) -> Model:
    if lesson.is_vector:
        raise TutorError(_("lesson '{name}' computes a vector, not a loss; train a lesson "
                           "whose function is one number per sample (like linear_regression)")
                         .format(name=lesson.name))
    if not any(role == "target" for role in lesson.roles.values()):
        raise TutorError(_("lesson '{name}' has no target, so its function is not a loss to "
                           "minimise; try {names} or neuron")
                         .format(name=lesson.name, names=TRAINABLE))
    params = _groups(lesson, lambda r: r == "parameter")
    if not params:
        raise TutorError(_("lesson '{name}' has no parameters to train; try {names} or neuron")
                         .format(name=lesson.name, names=TRAINABLE))
    data = _groups(lesson, lambda r: r != "parameter")
    if lesson.name in GRADIENT_SOURCES:
        return _plugged(lesson, params, data)
    objective = CompiledObjective(lesson.outputs[0], params, data)
    if objective.mode is Route.DIRECT:
        # no linear layer to do in matrix form (a network): gradients by backpropagation
        from tutor.training.graph_training import BackpropObjective

        objective = BackpropObjective(objective, lesson)
    return _finish(Model(name=lesson.name, title=lesson.title, loss=lesson.outputs[0],
                         params=params, data=data, objective=objective, lesson=lesson,
                         reduce=lesson.reduce))


#: the lessons made for training, named in messages
TRAINABLE = "linear_regression, logistic_regression, softmax_regression"


def load(name: str | None = None, *, lesson_file: str | None = None, size: int | None = None) -> Model:
    lesson = load_lesson(name, size=size) if name is not None else load_lesson_file(lesson_file, size=size)
    return from_lesson(lesson)


def from_expression(text: str, params: Sequence[str]) -> Model:
    """A model for a loss typed by the user: ``params`` are trained, the rest is data."""
    return from_function(parse_function(text), params)


def from_function(expr: sympy.Expr, params: Sequence[str]) -> Model:
    """A model for a loss already read (by the project's parser): ``params`` are trained,
    the rest is data."""
    symbols = {s.name: s for s in sorted(expr.free_symbols, key=lambda s: s.name)}
    if not params:
        raise ParameterError("params", _("an expression to train needs {param}: the names to "
                                         "train, like w,b"))
    chosen = []
    for name in params:
        if name not in symbols:
            raise ParameterError("params", _("{param} {name}: the expression has no variable "
                                             "'{name}'; it has {names}"),
                                 name=name, names=", ".join(symbols) or _("none"))
        if name in chosen:
            raise ParameterError("params", _("{param} {name}: named twice"), name=name)
        chosen.append(name)
    param_groups = [Group(n, [symbols[n]]) for n in chosen]
    data = [Group(n, [s]) for n, s in symbols.items() if n not in chosen]
    objective = CompiledObjective(expr, param_groups, data)
    return _finish(Model(name="expression", title=_("Your loss"), loss=expr, params=param_groups,
                         data=data, objective=objective))


def compare(model: Model, params: Mapping[str, np.ndarray], data: Mapping[str, np.ndarray],
            *, true_w=None, true_b=None) -> list[tuple[str, dict[str, np.ndarray]]]:
    """The trained parameters minus the true ones (synthetic data) and minus the closed-form
    least-squares answer (squared loss through a linear layer)."""
    # parameters that ran off near the largest float make these differences ±∞ or NaN,
    # which are shown as they are
    with np.errstate(over="ignore", invalid="ignore"):
        return _compare(model, params, data, true_w=true_w, true_b=true_b)


def _compare(model, params, data, *, true_w, true_b):
    from tutor.training.train import least_squares

    layer = model.layer
    out = []
    if layer is None or layer.mode is not Inputs.DATA:
        return out
    w, b = layer.w_group, layer.b_group
    if true_w is not None:
        tw = np.asarray(true_w, dtype=np.float64).reshape(np.shape(params[w]))
        errs = {w: np.asarray(params[w]) - tw}
        if b is not None and true_b is not None:
            tb = np.broadcast_to(np.asarray(true_b, dtype=np.float64).ravel(),
                                 (len(layer.z),)).reshape(np.shape(params[b]))
            errs[b] = np.asarray(params[b]) - tb
        label = N_("error vs true")
        if model.kind == "classes":
            # softmax(z + c) = softmax(z): only differences between classes are determined,
            # so compare with each row (and the biases) shifted to mean 0
            def centred(v):
                v = np.asarray(v, dtype=np.float64)
                return v - v.mean(axis=-1, keepdims=True)

            errs = {w: centred(params[w]) - centred(tw)}
            if b is not None and true_b is not None:
                errs[b] = centred(params[b]) - centred(tb)
            label = N_("error vs true (centred)")
        out.append((label, errs))
    if model.kind == "regression":
        X = np.asarray(data[layer.x_group], dtype=np.float64)
        X = X if X.ndim == 2 else X[:, None]
        y = np.asarray(data[model.targets[0].name], dtype=np.float64).reshape(len(X))
        lw, lb = least_squares(X, y, bias=b is not None)
        errs = {w: np.asarray(params[w]) - lw.reshape(np.shape(params[w]))}
        if b is not None:
            errs[b] = np.asarray(params[b]) - lb
        out.append((N_("vs least squares"), errs))
    return out


@dataclass
class FitView:
    """What the fit plot shows, computed here so the plot only draws."""

    kind: str
    #: one feature: x, y and the fitted curve over a grid of x
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    curve_x: np.ndarray | None = None
    curve_y: np.ndarray | None = None
    #: several features: the predicted against the true target
    predicted: np.ndarray | None = None
    #: two features (classifiers): the points, their labels, and the predicted class on a grid
    points: np.ndarray | None = None
    labels: np.ndarray | None = None
    grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    target: str = "y"
    feature: str = "x"


def fit_view(model: Model, params, data: Mapping[str, np.ndarray], *, max_points: int = 5000) -> FitView | None:
    """The data beside the trained model's predictions (for a model w·x + b with one target)."""
    from tutor.calculus.numeric import stable_sigmoid as stable_sigmoid_np

    kind = model.kind
    if kind == "other":
        return None
    layer, obj = model.layer, model.objective
    X = np.asarray(data[layer.x_group], dtype=np.float64)
    X = X if X.ndim == 2 else X[:, None]
    X = X[:max_points]
    tname = model.targets[0].name
    Y = np.asarray(data[tname], dtype=np.float64)[:max_points]
    W, b = obj._weights(params)
    b = np.zeros(W.shape[1]) if b is None else b
    view = FitView(kind=kind, target=tname, feature=layer.x_group)

    def outputs(Xg):
        Z = Xg @ W + b
        if kind == "regression":
            return Z[:, 0]
        if kind == "binary":
            return stable_sigmoid_np(Z[:, 0])
        return np.argmax(Z, axis=1)

    if X.shape[1] == 1 and kind != "classes":
        view.x, view.y = X[:, 0], Y.reshape(len(X))
        lo, hi = X.min(), X.max()
        pad = 0.05 * (hi - lo or 1.0)
        view.curve_x = np.linspace(lo - pad, hi + pad, 200)
        view.curve_y = outputs(view.curve_x[:, None])
    elif X.shape[1] == 2 and kind in ("binary", "classes"):
        view.points = X
        view.labels = Y.reshape(len(X)) if kind == "binary" else np.argmax(Y, axis=1)
        a = np.linspace(X[:, 0].min(), X[:, 0].max(), 150)
        c = np.linspace(X[:, 1].min(), X[:, 1].max(), 150)
        A, Cg = np.meshgrid(a, c)
        view.grid = (A, Cg, outputs(np.column_stack([A.ravel(), Cg.ravel()])).reshape(A.shape))
    else:
        view.y = Y.reshape(len(X)) if kind != "classes" else np.argmax(Y, axis=1)
        view.predicted = outputs(X)
    return view

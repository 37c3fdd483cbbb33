"""``tutor train --format json``: the loss after each epoch and the parameters."""

from __future__ import annotations

import json
import math

import numpy as np

from tutor.training.optimizers import OPTIMIZERS


def _plain(v):
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return _plain(v.tolist()) if v.ndim else _plain(float(v))
    if isinstance(v, (np.floating, float)):
        v = float(v)
        return v if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def history_json(model, history, comparison, bound, advice, unfinished=None, trace=(),
                 swept=None) -> str:
    s = history.settings
    out = {
        "model": model.name,
        "history": [{"epoch": e["epoch"], "loss": e["loss"]} for e in history.epochs],
        "params": dict(history.params),
        "initial_loss": history.initial_loss,
        # why the run has not converged, or null when it has (or diverged)
        "not_converged": unfinished,
        "trace": [{"step": step, "gradient": dict(grads), "after": dict(params)}
                  for step, grads, params in trace],
        **({"sweep": {"name": swept.name, "lowest": swept.rows[swept.lowest][0],
                      "points": [{"value": v, "loss": loss, "slope": slope}
                                 for v, loss, slope in swept.rows],
                      "path": [{"epoch": k, "value": v} for k, v in swept.path]}}
           if swept is not None else {}),
        "final_loss": history.final_loss,
        "settings": {"lr": s.lr, "epochs": s.epochs, "batch_size": s.batch_size or history.samples,
                     "shuffle": s.shuffle, "seed": s.seed, "reduce": s.reduce,
                     "optimizer": s.optimizer, "hyperparameters": s.hypers,
                     # "L2": λθ added to the gradient; "decoupled": θ shrunk by ηλθ (AdamW)
                     "weight_decay": (None if not s.hypers.get("weight_decay") else
                                      "decoupled" if OPTIMIZERS[s.optimizer].decoupled else "L2"),
                     "schedule": {"kind": s.schedule.kind, **s.schedule.parameters()}},
        "samples": history.samples,
        "steps": history.steps,
        "seconds": history.seconds,
        "largest_stable_lr": bound.lr_max if bound is not None else None,
        "diverged": history.diverged,
    }
    if history.diverged:
        out["stopped"] = {"epoch": history.stop_epoch, "step": history.stop_step,
                          "reason": history.stop_reason, "why": advice}
    for label, errors in comparison:
        key = "error_vs_true" if "true" in label else "error_vs_least_squares"
        if "centred" in label:
            key = "error_vs_true_centred"
        out[key] = dict(errors)
    return json.dumps(_plain(out), indent=2, ensure_ascii=False)

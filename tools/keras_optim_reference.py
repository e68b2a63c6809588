#!/usr/bin/env python3
"""Writes tests/reference/optim/keras_optim.json: Keras 3's optimizers and
learning-rate schedules on fixed small inputs, read by nn-runtime/tests/optim.rs.

This script only documents how the committed JSON was made; CI never runs it
(it needs TensorFlow). Regenerate with:

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu
    /tmp/tfenv/bin/python tools/keras_optim_reference.py

Every case starts from the same two tensors `a` (3 elements) and `b`
(2 elements) and applies the same three steps of fixed gradients with
`optimizer.apply_gradients`; the JSON holds the parameters after each step,
as the float32 values Keras computed (printed exactly).
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import optimizers  # noqa: E402
from keras.optimizers import schedules  # noqa: E402

PARAMS = {"a": [0.5, -1.25, 2.0], "b": [1.0, -0.5]}
# Three steps; `b`'s gradients are large so that clipnorm (per tensor) and
# clipvalue bite on `b` but not always on `a`.
GRADS = [
    {"a": [0.1, -0.2, 0.3], "b": [3.0, 4.0]},
    {"a": [-0.4, 0.05, 0.6], "b": [-1.5, 0.5]},
    {"a": [0.25, -0.5, -0.15], "b": [0.0, 2.5]},
]

# name -> optimizer factory; nn-runtime/tests/optim.rs builds the same ones.
CASES = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd_momentum": lambda: optimizers.SGD(0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "sgd_clipnorm": lambda: optimizers.SGD(0.1, clipnorm=1.0),
    "sgd_clipvalue": lambda: optimizers.SGD(0.1, clipvalue=0.35),
    "sgd_exponential_decay": lambda: optimizers.SGD(schedules.ExponentialDecay(0.1, 2, 0.5)),
    "adam": lambda: optimizers.Adam(0.01),
    "adam_custom": lambda: optimizers.Adam(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-3),
    "adam_clipnorm": lambda: optimizers.Adam(0.01, clipnorm=0.5),
    "adam_piecewise": lambda: optimizers.Adam(schedules.PiecewiseConstantDecay([0, 1], [0.1, 0.05, 0.01])),
    "nadam": lambda: optimizers.Nadam(0.01),
    "nadam_custom": lambda: optimizers.Nadam(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-3),
    "adamax": lambda: optimizers.Adamax(0.01),
    "adamax_custom": lambda: optimizers.Adamax(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-3),
    "adamw": lambda: optimizers.AdamW(0.01),
    "adamw_custom": lambda: optimizers.AdamW(0.05, weight_decay=0.1, beta_1=0.8, beta_2=0.99, epsilon=1e-3),
    "rmsprop": lambda: optimizers.RMSprop(0.01),
    "rmsprop_momentum": lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5, epsilon=1e-3),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, centered=True),
    "rmsprop_inverse_time": lambda: optimizers.RMSprop(schedules.InverseTimeDecay(0.01, 1, 0.5)),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "adagrad_custom": lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.5, epsilon=1e-3),
    "adagrad_clipvalue": lambda: optimizers.Adagrad(0.1, clipvalue=0.2),
}


def f32s(x):
    """Exact float32 values as Python floats (repr round-trips)."""
    return [float(v) for v in np.asarray(x, dtype=np.float32).ravel()]


def run(factory):
    opt = factory()
    vs = {k: tf.Variable(np.array(v, dtype=np.float32), name=k) for k, v in PARAMS.items()}
    steps = []
    for g in GRADS:
        grads = [tf.constant(np.array(g[k], dtype=np.float32)) for k in PARAMS]
        opt.apply_gradients(zip(grads, [vs[k] for k in PARAMS]))
        steps.append({k: f32s(vs[k].numpy()) for k in PARAMS})
    return steps


def onecycle_geron(iterations, max_rate, step):
    """Geron's OneCycleScheduler (HOML ch. 11), defaults: start = max / 10,
    last_iterations = iterations // 10 + 1, last_rate = start / 1000; the rate
    set at on_batch_begin of batch `step` (0-based)."""
    start_rate = max_rate / 10
    last_iterations = iterations // 10 + 1
    half = (iterations - last_iterations) // 2
    last_rate = start_rate / 1000

    def interp(i1, i2, r1, r2):
        return (r2 - r1) * (step - i1) / (i2 - i1) + r1

    if step < half:
        return interp(0, half, start_rate, max_rate)
    if step < 2 * half:
        return interp(half, 2 * half, max_rate, start_rate)
    return interp(2 * half, iterations, start_rate, last_rate)


def schedule_values(sched, steps):
    return f32s([sched(tf.constant(s, dtype=tf.int64)) for s in steps])


def main():
    out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference", "optim", "keras_optim.json")
    steps_big = [0, 1, 2, 999, 1000, 10000, 12345, 19999, 20000, 40000, 100000]
    sch = {}
    for name, s in {
        "exponential": schedules.ExponentialDecay(0.01, 20000, 0.1),
        "exponential_staircase": schedules.ExponentialDecay(0.01, 20000, 0.1, staircase=True),
        "inverse_time": schedules.InverseTimeDecay(0.01, 10000, 1.0),
        "inverse_time_staircase": schedules.InverseTimeDecay(0.01, 10000, 0.5, staircase=True),
    }.items():
        sch[name] = {"steps": steps_big, "values": schedule_values(s, steps_big)}
    pw_steps = [0, 1, 4999, 5000, 5001, 9999, 10000, 10001, 20000]
    sch["piecewise"] = {
        "steps": pw_steps,
        "values": schedule_values(schedules.PiecewiseConstantDecay([5000, 10000], [1.0, 0.5, 0.1]), pw_steps),
    }
    oc_steps = [0, 1, 100, 449, 450, 451, 600, 899, 900, 901, 950, 999]
    sch["onecycle_geron"] = {
        "total_steps": 1000,
        "max_lr": 0.05,
        "steps": oc_steps,
        "values": f32s([onecycle_geron(1000, 0.05, s) for s in oc_steps]),
    }
    data = {
        "generator": "tools/keras_optim_reference.py",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "params": PARAMS,
        "grads": GRADS,
        "optimizers": {name: run(f) for name, f in CASES.items()},
        "schedules": sch,
    }
    with open(out_path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(out_path)}", file=sys.stderr)


if __name__ == "__main__":
    main()

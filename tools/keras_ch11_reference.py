#!/usr/bin/env python3
"""Writes tests/reference/ch11/keras_ch11.json: Keras 3's chapter-11 training
features on small fixed models, read by tests/ch11_training.rs.

This script only documents how the committed JSON was made; CI never runs it
(it needs TensorFlow). Regenerate with:

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu
    /tmp/tfenv/bin/python tools/keras_ch11_reference.py

Cases (every model is `Input(5) -> Dense(4, relu) -> Dense(3, softmax)` with
the weights stored in the JSON, sparse categorical cross-entropy, SGD):

- `regularizers`: l2 / l1 / l1_l2 on kernels and biases: `evaluate`'s loss,
  one `train_on_batch` step's loss and the weights after it;
- `constraints`: max_norm, non_neg, min_max_norm (with a rate), unit_norm;
  the weights after one large SGD step;
- `sample_weight`, `class_weight`: `fit` (two batches, no shuffling) losses
  and weights;
- `schedules`: each learning-rate schedule's values at steps 0..40;
- `reduce_lr`: ReduceLROnPlateau's learning rates over scripted values;
- `csv`: CSVLogger files after 3 epochs (with and without validation data).
"""

import json
import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import constraints, layers, optimizers, regularizers  # noqa: E402
from keras.optimizers import schedules  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "reference", "ch11", "keras_ch11.json")


def floats(x):
    """Exact float32 values as Python floats (repr round-trips)."""
    return [float(v) for v in np.asarray(x, dtype=np.float32).ravel()]


rs = np.random.RandomState(11)
X = rs.uniform(-1, 1, size=(8, 5)).astype("float32")
Y = np.array([0, 1, 2, 1, 0, 2, 2, 1])
# Kernels large enough that max_norm and the penalties matter.
W0 = [
    rs.normal(0, 0.8, size=(5, 4)).astype("float32"),
    rs.normal(0, 0.3, size=(4,)).astype("float32"),
    rs.normal(0, 0.8, size=(4, 3)).astype("float32"),
    rs.normal(0, 0.3, size=(3,)).astype("float32"),
]


def model(k1=None, b1=None, k2=None, b2=None, kc1=None, bc1=None, kc2=None, bc2=None):
    m = keras.Sequential(
        [
            keras.Input((5,)),
            layers.Dense(4, activation="relu", kernel_regularizer=k1, bias_regularizer=b1,
                         kernel_constraint=kc1, bias_constraint=bc1),
            layers.Dense(3, activation="softmax", kernel_regularizer=k2, bias_regularizer=b2,
                         kernel_constraint=kc2, bias_constraint=bc2),
        ]
    )
    m.set_weights(W0)
    return m


def weights(m):
    return [floats(w) for w in m.get_weights()]


data = {
    "generator": "tools/keras_ch11_reference.py",
    "tensorflow": tf.__version__,
    "keras": keras.__version__,
    "x": floats(X),
    "y": [int(v) for v in Y],
    "weights": [floats(w) for w in W0],
}

# Regularizers: evaluate, then one SGD step.
reg = {}
for name, kw in {
    "l2": dict(k1=regularizers.l2(0.01), k2=regularizers.l2(0.05)),
    "l1": dict(k1=regularizers.l1(0.01), b1=regularizers.l1(0.02)),
    "l1_l2": dict(k1=regularizers.l1_l2(l1=0.01, l2=0.02), b2=regularizers.l2(0.1), k2=regularizers.L1L2(l1=0.03)),
}.items():
    m = model(**kw)
    m.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ev = m.evaluate(X, Y, verbose=0, return_dict=True)
    penalty = float(sum(float(l) for l in m.losses))
    step = m.train_on_batch(X, Y, return_dict=True)
    reg[name] = {"evaluate_loss": float(ev["loss"]), "penalty": penalty, "step_loss": float(step["loss"]),
                 "after": weights(m)}
data["regularizers"] = reg

# Constraints: one large SGD step.
m = model(kc1=constraints.max_norm(0.5), bc1=constraints.non_neg(),
          kc2=constraints.MinMaxNorm(min_value=0.2, max_value=0.6, rate=0.5), bc2=constraints.unit_norm())
m.compile(optimizer=optimizers.SGD(5.0), loss="sparse_categorical_crossentropy")
loss = m.train_on_batch(X, Y)
data["constraints"] = {"step_loss": float(loss), "after": weights(m)}
for name, c in {"max_norm_default": constraints.max_norm(), "min_max_norm_default": constraints.min_max_norm()}.items():
    data["constraints"][name] = floats(c(tf.constant(W0[0] * 3.0)))

# Sample and class weights: fit, batches of 4, no shuffling.
SW = np.array([1.0, 0.5, 2.0, 0.0, 1.5, 1.0, 0.25, 3.0], dtype="float32")
CW = {0: 1.0, 1: 2.0, 2: 0.5}
for name, kw in {"sample_weight": dict(sample_weight=SW), "class_weight": dict(class_weight=CW)}.items():
    m = model(k1=regularizers.l2(0.01))
    m.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0, **kw)
    data[name] = {"loss": [float(v) for v in h.history["loss"]], "accuracy": [float(v) for v in h.history["accuracy"]],
                  "after": weights(m)}
    # One step on the whole batch, for train_on_batch-level checks.
    m = model()
    m.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    h = m.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0, **kw)
    data[name]["one_step"] = {"loss": float(h.history["loss"][0]), "after": weights(m)}
data["sample_weight"]["weights"] = floats(SW)
data["class_weight"]["weights"] = [CW[i] for i in range(3)]

# Schedules.
STEPS = list(range(41))
cases = {
    "polynomial": schedules.PolynomialDecay(0.1, 20, 0.001, power=0.5),
    "polynomial_cycle": schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0, cycle=True),
    "cosine": schedules.CosineDecay(0.1, 20, alpha=0.1),
    "cosine_warmup": schedules.CosineDecay(0.0, 20, warmup_target=0.1, warmup_steps=10),
    "cosine_warmup_alpha": schedules.CosineDecay(0.01, 15, alpha=0.2, warmup_target=0.05, warmup_steps=7),
    "restarts": schedules.CosineDecayRestarts(0.1, 5, t_mul=2.0, m_mul=0.5, alpha=0.1),
    "restarts_t1": schedules.CosineDecayRestarts(0.1, 7, t_mul=1.0, m_mul=0.8),
    "restarts_default": schedules.CosineDecayRestarts(0.05, 4),
}
data["schedules"] = {k: [float(np.float32(s(tf.constant(t, dtype=tf.int64)))) for t in STEPS] for k, s in cases.items()}

# ReduceLROnPlateau on scripted values.
VALS = [1.0, 0.9, 0.95, 0.92, 0.91, 0.9, 0.89995, 0.899, 0.95, 0.96, 0.97, 0.98, 0.99, 0.5, 0.6, 0.7, 0.8, 0.9,
        1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]
reduce = {}
for name, (monitor, kw, vals) in {
    "patience": ("val_loss", dict(factor=0.5, patience=2), VALS),
    "cooldown_min_lr": ("val_loss", dict(factor=0.2, patience=1, cooldown=2, min_lr=0.003), VALS),
    "defaults": ("val_loss", dict(), VALS),
    "min_delta": ("val_loss", dict(factor=0.5, patience=1, min_delta=0.02), VALS),
    "accuracy": ("val_accuracy", dict(factor=0.5, patience=2), [1.0 - v for v in VALS]),
}.items():
    m = model()
    m.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.evaluate(X, Y, verbose=0)  # builds the metrics, for mode "auto"
    cb = keras.callbacks.ReduceLROnPlateau(monitor=monitor, **kw)
    cb.set_model(m)
    cb.on_train_begin()
    lrs = []
    for e, v in enumerate(vals):
        cb.on_epoch_end(e, {monitor: float(np.float32(v)), "loss": 1.0})
        lrs.append(float(np.float32(m.optimizer.learning_rate.numpy())))
    reduce[name] = {"monitor": monitor, "values": [float(np.float32(v)) for v in vals], "lr": lrs,
                    "args": {k: float(v) for k, v in kw.items()}}
data["reduce_lr"] = reduce

# CSVLogger: 3 epochs, with validation data, without, and with another separator.
csv = {}
with tempfile.TemporaryDirectory() as d:
    for name, kw, sep in [("validation", dict(validation_data=(X[:4], Y[:4])), ","), ("plain", {}, ","),
                          ("semicolon", dict(validation_data=(X[:4], Y[:4])), ";"),
                          ("reduce_lr", dict(validation_data=(X[:4], Y[:4])), ",")]:
        m = model()
        m.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        path = os.path.join(d, name + ".csv")
        cbs = [keras.callbacks.CSVLogger(path, separator=sep)]
        if name == "reduce_lr":
            cbs.insert(0, keras.callbacks.ReduceLROnPlateau(patience=0, factor=0.5))
        m.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=cbs, **kw)
        with open(path, newline="") as f:
            csv[name] = f.read()
data["csv"] = csv

with open(OUT, "w") as f:
    json.dump(data, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(OUT))

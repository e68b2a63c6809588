"""Writes the Keras reference of the `activations_layers` model for
tests/keras_parity.rs, in the format and with the conventions of
tools/keras_reference.py (whose `run` writes the files):

    keras.Sequential([
        keras.Input((12,)),
        Dense(16, name="dense"),
        ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="re_lu"),
        Dense(16, name="dense_1"), ReLU(name="re_lu_1"),
        Dense(16, name="dense_2"), ReLU(max_value=1.0, name="re_lu_2"),
        GaussianNoise(0.3, name="gaussian_noise"),
        Dense(8, name="dense_3"),
        GaussianDropout(0.2, name="gaussian_dropout"),
        Softmax(name="softmax"),                      # axis=-1
        Dense(5, activation="softmax", name="dense_4"),
    ])

The names are Keras's default ones (written out, as keras_reference.py does,
so that they do not depend on what else the process built). Weights: Keras's
glorot_uniform kernels of `keras.utils.set_random_seed(11)`, then
`dense.kernel` multiplied by 3 (so that re_lu's inputs reach past
max_value=6) and every bias set to normal(0, 0.3) from
`np.random.default_rng(8)` (so that biases are non-trivial and re_lu_2
saturates at 1 often). Inputs, in the zoo model's style: x = normal(0, 1) of
shape (32, 12) from `np.random.default_rng(5)`, y = integers in [0, 5) from
`np.random.default_rng(6)`.

GaussianNoise and GaussianDropout are random in training and the identity in
inference. The training-mode quantities below are therefore those of the
model with both noise layers *inactive*: for the training part their
`stddev`/`rate` are set to 0, where Keras 3's `call` returns its input
unchanged (`if training and self.stddev > 0` / `self.rate > 0`); this is the
same network as the model without those two layers, on the same weights, and
the script checks that (training forward and gradients of a Sequential of the
other layers, sharing their weights, equal it exactly), that the inference
predictions do not depend on stddev/rate, and that with stddev/rate restored
the training forward is random indeed.

activations_layers.safetensors (F32, Keras layouts):
    dense.kernel [12,16], dense.bias [16], dense_1.kernel [16,16],
    dense_1.bias [16], dense_2.kernel [16,16], dense_2.bias [16],
    dense_3.kernel [16,8], dense_3.bias [8], dense_4.kernel [8,5],
    dense_4.bias [5]: the initial weights (the noise, ReLU and Softmax
    layers have none).

activations_layers.data.safetensors (F32):
    x [32,12]        the input batch.
    y [32]           the labels, integers stored as floats.
    predict [32,5]   `model.predict(x)`: inference, the noise layers present
                     (and the identity); equal, bit for bit, to the
                     prediction of the model without them.
    loss [1]         SparseCategoricalCrossentropy (mean over the batch) of
                     `model(x, training=True)` with the noise inactive, from
                     the initial weights. Keras takes it from dense_4's
                     logits (its softmax output carries them), so it is
                     mean_i(-ln p[i, y_i]) without the 1e-7 clipping.
    grad/<layer>.<weight>  the gradient of that loss with respect to each
                     trainable weight (the ten keys of the weights file).
    train_loss [1]   the loss that `train_on_batch(x, y)` with SGD(0.1)
                     reports (noise inactive), from the initial weights.
    after/<layer>.<weight>  every weight after that one SGD(0.1) step:
                     initial - 0.1 * grad.

Run once with TensorFlow installed (`pip install tensorflow-cpu`, Keras 3);
CI only reads the small output files.

    python tools/keras_layers_reference.py   # writes tests/reference/keras/activations_layers*.safetensors
"""
import os

import numpy as np
import keras
import tensorflow as tf

# Run as `python tools/keras_layers_reference.py`: its folder is on the import path.
from keras_reference import OUT, run

NAME = "activations_layers"


def build():
    L = keras.layers
    return keras.Sequential([
        keras.Input((12,)),
        L.Dense(16, name="dense"),
        L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="re_lu"),
        L.Dense(16, name="dense_1"),
        L.ReLU(name="re_lu_1"),
        L.Dense(16, name="dense_2"),
        L.ReLU(max_value=1.0, name="re_lu_2"),
        L.GaussianNoise(0.3, name="gaussian_noise"),
        L.Dense(8, name="dense_3"),
        L.GaussianDropout(0.2, name="gaussian_dropout"),
        L.Softmax(name="softmax"),
        L.Dense(5, activation="softmax", name="dense_4"),
    ])


def noise_layers(model):
    L = keras.layers
    return [l for l in model.layers if isinstance(l, (L.GaussianNoise, L.GaussianDropout))]


def set_noise(model, stddev, rate):
    for layer in noise_layers(model):
        if isinstance(layer, keras.layers.GaussianNoise):
            layer.stddev = stddev
        else:
            layer.rate = rate


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(11)
    x = np.random.default_rng(5).normal(0, 1, (32, 12)).astype("float32")
    y = np.random.default_rng(6).integers(0, 5, 32)
    model = build()
    model.get_layer("dense").kernel.assign(3.0 * model.get_layer("dense").kernel.numpy())
    rng = np.random.default_rng(8)
    for layer in model.layers:
        if hasattr(layer, "bias") and layer.bias is not None:
            layer.bias.assign(rng.normal(0, 0.3, layer.bias.shape).astype("float32"))

    # Inference: the noise layers are the identity, whatever stddev/rate.
    predict = model.predict(x, verbose=0)
    # The same layers (so the same weights) without the noise layers.
    noise = noise_layers(model)
    plain = keras.Sequential([keras.Input((12,))] + [l for l in model.layers if l not in noise])
    assert np.array_equal(plain.predict(x, verbose=0), predict)
    # With the noise on, a training forward is random.
    assert not np.array_equal(model(x, training=True).numpy(), model(x, training=True).numpy())

    set_noise(model, 0.0, 0.0)
    assert np.array_equal(model.predict(x, verbose=0), predict)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    grads = {}
    for m in (model, plain):
        with tf.GradientTape() as tape:
            out = m(x, training=True)
            loss = loss_fn(y, out)
        grads[id(m)] = (out.numpy(), loss.numpy(), [g.numpy() for g in tape.gradient(loss, m.trainable_weights)])
    (o1, l1, g1), (o2, l2, g2) = grads[id(model)], grads[id(plain)]
    assert np.array_equal(o1, o2) and l1 == l2 and all(np.array_equal(a, b) for a, b in zip(g1, g2))

    # How often each ReLU's input is in each of its pieces (printed, to see
    # that the reference exercises them).
    h = x
    for layer in plain.layers:
        pre, h = h, layer(h).numpy()
        if isinstance(layer, keras.layers.ReLU):
            t, top = layer.threshold, layer.max_value
            print(f"{layer.name}: {np.mean(pre <= t):.2f} at or below threshold {t}, "
                  f"{np.mean(pre >= top) if top is not None else 0:.2f} at or above max_value {top}")

    run(NAME, model, x, y)
    set_noise(model, 0.3, 0.2)


if __name__ == "__main__":
    main()

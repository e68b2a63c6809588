"""Writes Keras reference outputs for tests/keras_parity.rs.

For each model below: its initial weights with nn's keys (`<layer>.<weight>`),
and a data file with the input batch, Keras's inference predictions, the
training-mode loss and gradients of one batch, and the weights after one
`train_on_batch` step with SGD(0.1). Run once with TensorFlow installed
(`pip install tensorflow-cpu`, Keras 3); CI only reads the small output files.

    python tools/keras_reference.py   # writes tests/reference/keras/*.safetensors
"""
import gzip
import os

import numpy as np
import keras
import tensorflow as tf

# Run as `python tools/keras_reference.py`: its folder is on the import path.
from keras_export import write_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "reference", "keras")


def mnist_test(n):
    d = os.path.join(ROOT, "data", "mnist")
    with gzip.open(os.path.join(d, "t10k-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:n]
    with gzip.open(os.path.join(d, "t10k-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    return (x / 255.0).astype("float32"), y.astype("int64")


def layer_key(layer, w):
    """nn's key of a weight: `<layer>.<weight>`."""
    return f"{layer.name}.{w.name}"


def weights(model, key=layer_key):
    out = {}
    for layer in model.layers:
        for w in layer.weights:
            out[key(layer, w)] = w.numpy()
    return out


def run(name, model, x, y, key=layer_key):
    """Writes `<name>.safetensors` and `<name>.data.safetensors`; `key(layer,
    weight)` gives nn's key of each weight."""
    keras.utils.set_random_seed(0)
    w0 = weights(model, key)
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), w0)
    data = {"x": x, "y": y.astype("float32"), "predict": model.predict(x, verbose=0)}
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        out = model(x, training=True)
        loss = loss_fn(y, out)
    trainable = model.trainable_weights
    grads = tape.gradient(loss, trainable)
    data["loss"] = np.array([loss.numpy()])
    paths = {id(w): key(l, w) for l in model.layers for w in l.weights}
    for w, g in zip(trainable, grads):
        # Embedding's gradient is sparse (IndexedSlices): stored dense.
        data[f"grad/{paths[id(w)]}"] = tf.convert_to_tensor(g).numpy()
    # Back to the initial weights (the training call moved the moving statistics).
    for layer in model.layers:
        for w in layer.weights:
            w.assign(w0[key(layer, w)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss_fn)
    data["train_loss"] = np.array([model.train_on_batch(x, y)])
    for k, v in weights(model, key).items():
        data[f"after/{k}"] = v
    write_safetensors(os.path.join(OUT, f"{name}.data.safetensors"), data)
    print(name, "loss", float(loss), "train_on_batch", float(data["train_loss"][0]))


def main():
    os.makedirs(OUT, exist_ok=True)
    L = keras.layers
    keras.utils.set_random_seed(42)
    x, y = mnist_test(16)
    seed_small = keras.Sequential([
        keras.Input((28, 28)),
        L.Flatten(name="flatten"),
        L.BatchNormalization(name="batch_normalization"),
        L.Dense(64, kernel_initializer="he_normal", use_bias=False, name="dense"),
        L.Activation("elu", name="activation"),
        L.BatchNormalization(name="batch_normalization_1"),
        L.Dense(32, kernel_initializer="he_normal", use_bias=False, name="dense_1"),
        L.Activation("elu", name="activation_1"),
        L.BatchNormalization(name="batch_normalization_2"),
        L.Dense(10, activation="softmax", name="dense_2"),
    ])
    # Non-trivial BatchNorm statistics and scales, so that inference tests them.
    rng = np.random.default_rng(1)
    for layer in seed_small.layers:
        if isinstance(layer, L.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, n))
            layer.beta.assign(rng.normal(0, 0.1, n))
            layer.moving_mean.assign(rng.normal(0, 0.2, n))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, n))
    run("seed_small", seed_small, x, y)

    keras.utils.set_random_seed(7)
    xz = np.random.default_rng(2).normal(0, 1, (16, 12)).astype("float32")
    yz = np.random.default_rng(3).integers(0, 5, 16)
    zoo = keras.Sequential([
        keras.Input((12,)),
        L.Dense(16, activation="selu", name="dense"),
        L.LeakyReLU(negative_slope=0.2, name="leaky_re_lu"),
        L.Dense(16, activation="gelu", name="dense_1"),
        L.PReLU(name="p_re_lu"),
        L.Dense(16, activation="softplus", name="dense_2"),
        L.ELU(alpha=0.7, name="elu"),
        L.Dense(8, activation="swish", name="dense_3"),
        L.Activation("tanh", name="activation"),
        L.Dense(8, activation="sigmoid", name="dense_4"),
        L.BatchNormalization(name="batch_normalization"),
        L.Dense(8, activation="relu", name="dense_5"),
        L.Dense(5, activation="softmax", name="dense_6"),
    ])
    zoo.get_layer("p_re_lu").alpha.assign(np.random.default_rng(4).uniform(0.05, 0.3, 16))
    run("zoo", zoo, xz, yz)


if __name__ == "__main__":
    main()

"""Writes Keras 3's own model files for the Rust tests of `.keras` and
`.weights.h5` reading and writing, and checks files the Rust side wrote.

    python tools/keras_files_reference.py              # writes tests/reference/keras_files/
    python tools/keras_files_reference.py recurrent    # ... only these models' files
    python tools/keras_files_reference.py --check DIR  # loads DIR's files with Keras

Default mode: for each model of `BUILDERS` (built with fixed seeds, then
every weight drawn at random by `DRAWS` so that none is trivial: He-normal
kernels, normal biases, BatchNormalization statistics with moving variances
in [0.5, 2], PReLU slopes in [0.05, 0.3], recurrent kernels of variance
1/units, normal embeddings), writes
`<name>.keras` (`model.save`), `<name>.weights.h5` (`model.save_weights`)
and `<name>.json`:

    {"input_shape": [...],   # without the batch dimension
     "x": [...],             # 4 inputs, flat: MNIST test images, normal noise or ids
     "y": [...],             # Keras's `model.predict(x)`, flat
     "output_shape": [...],  # without the batch dimension
     "params": model.count_params()}

Also writes the models nn must refuse (`REFUSED`): `unsupported_layer.keras`
(a UnitNormalization layer), `channels_first.keras` (a channels_first
Conv2D) and `other_backward_layer.keras` (a Bidirectional whose backward
layer has other units), and `LAYOUT.txt`: every group and dataset of each weights file
(path, then the `vars` groups' `name` attribute or the dataset's shape and
dtype), also printed.

`--check DIR`: for each model with `<name>.keras` and/or `<name>.weights.h5`
in DIR, loads the first with `keras.models.load_model` and the second with
`model.load_weights` into a fresh build of the model, predicts on the
reference `x` and prints the largest difference to the `y` of
`DIR/<name>.json` if there is one, else to the reference `y`. Exits with 1
if a load fails or a difference exceeds 1e-5 (or DIR has no model file).

Needs TensorFlow/Keras 3 and h5py; CI only reads the output files.
"""
import argparse
import functools
import json
import os
import sys

import h5py
import numpy as np
import keras

# Run as `python tools/keras_files_reference.py`: its folder is on the import path.
from keras_reference import ROOT, mnist_test

OUT = os.path.join(ROOT, "tests", "reference", "keras_files")
BATCH = 4
TOLERANCE = 1e-5
L = keras.layers


def fresh(seed):
    """Keras's default names counted from zero again, and seeded initializers."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)


def seed_mlp():
    fresh(1)
    return keras.Sequential([
        keras.Input((28, 28)),
        L.Flatten(),
        L.BatchNormalization(),
        L.Dense(300, use_bias=False, kernel_initializer="he_normal"),
        L.Activation("elu"),
        L.BatchNormalization(),
        L.Dense(100, use_bias=False, kernel_initializer="he_normal"),
        L.Activation("elu"),
        L.BatchNormalization(),
        L.Dense(10, activation="softmax"),
    ], name="seed_mlp")


def mnist_convnet():
    fresh(2)
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(32, 3, activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ], name="mnist_convnet")


def every_layer():
    """Every Keras layer class nn has. The first Dense is named `dense_1`
    and the second `head`, the second BatchNormalization gets the default
    name `batch_normalization`: the file layout does not follow the names."""
    fresh(3)
    return keras.Sequential([
        keras.Input((9, 8, 2)),
        L.Conv2D(6, 3, padding="same", activation="relu", name="features"),  # (9, 8, 6)
        L.BatchNormalization(name="norm"),
        L.LeakyReLU(negative_slope=0.2),
        L.ZeroPadding2D(((1, 0), (0, 1))),  # (10, 9, 6)
        L.Conv2D(8, (3, 2), strides=2, use_bias=False),  # (4, 4, 8)
        L.PReLU(),
        L.MaxPooling2D(2, strides=1, padding="same"),  # (4, 4, 8)
        L.UpSampling2D((2, 1)),  # (8, 4, 8)
        L.Conv2D(8, 2, dilation_rate=(2, 1), activation="tanh"),  # (6, 3, 8)
        L.Cropping2D(((1, 0), (0, 1))),  # (5, 2, 8)
        L.Reshape((5, -1, 4)),  # (5, 4, 4)
        L.AveragePooling2D((3, 2), strides=(2, 1), padding="same"),  # (3, 4, 4)
        L.ELU(alpha=0.7),
        L.GaussianNoise(0.3),
        L.BatchNormalization(),
        L.GlobalMaxPooling2D(keepdims=True),  # (1, 1, 4)
        L.Flatten(),  # (4,)
        L.Dense(24, name="dense_1"),
        L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
        L.Dropout(0.5),
        L.Reshape((2, 2, 6)),
        L.GlobalAveragePooling2D(),  # (6,)
        L.Activation("selu"),
        L.AlphaDropout(0.1),
        L.GaussianDropout(0.2),
        L.Dense(5, name="head"),
        L.Softmax(),
    ], name="every_layer")


def nested():
    fresh(4)
    encoder = keras.Sequential([keras.Input((28, 28)), L.Flatten(), L.Dense(32, activation="relu")], name="encoder")
    return keras.Sequential([
        keras.Input((28, 28)),
        encoder,
        L.BatchNormalization(),
        L.Dense(10, activation="softmax"),
    ], name="nested")


def more_convs():
    """Conv2D with groups, DepthwiseConv2D, SeparableConv2D and
    Conv2DTranspose with `output_padding`: their config keys and weights."""
    fresh(7)
    return keras.Sequential([
        keras.Input((8, 7, 4)),
        L.Conv2D(6, 3, groups=2, padding="same", activation="relu"),  # (8, 7, 6)
        L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, use_bias=False),  # (3, 3, 12)
        L.SeparableConv2D(4, 2, padding="same", depth_multiplier=2, activation="elu"),  # (3, 3, 4)
        L.Conv2DTranspose(3, 3, strides=2, output_padding=1, activation="tanh"),  # (8, 8, 3)
        L.Flatten(),
        L.Dense(5, activation="softmax"),
    ], name="more_convs")


def recurrent():
    """SimpleRNN, Bidirectional(LSTM) and GRU (without reset_after: one
    bias row; reading backwards): their cells' variables and config keys,
    some arguments away from their defaults."""
    fresh(8)
    return keras.Sequential([
        keras.Input((6, 4)),
        L.SimpleRNN(5, return_sequences=True, dropout=0.25),  # (6, 5)
        L.Bidirectional(L.LSTM(3, return_sequences=True, unit_forget_bias=False), merge_mode="sum"),  # (6, 3)
        L.GRU(4, reset_after=False, go_backwards=True, recurrent_dropout=0.1),  # (4,)
        L.Dense(3, activation="softmax"),
    ], name="recurrent")


def embedding():
    """Embedding ids (float32 inputs, as Keras casts them), then an LSTM."""
    fresh(9)
    return keras.Sequential([
        keras.Input((7,)),
        L.Embedding(20, 6),  # (7, 6)
        L.LSTM(5),
        L.Dense(3, activation="softmax"),
    ], name="embedding")


def gru():
    """Keras 3's default GRU (`reset_after`: a [2, 3u] bias), stacked,
    with other activations."""
    fresh(11)
    return keras.Sequential([
        keras.Input((5, 3)),
        L.GRU(4, return_sequences=True),
        L.GRU(3, activation="softplus", return_sequences=True),
        L.SimpleRNN(2, activation="relu"),
    ], name="gru")


BUILDERS = {
    "seed_mlp": seed_mlp,
    "mnist_convnet": mnist_convnet,
    "every_layer": every_layer,
    "nested": nested,
    "more_convs": more_convs,
    "recurrent": recurrent,
    "embedding": embedding,
    "gru": gru,
}


def unsupported_layer():
    fresh(5)
    return keras.Sequential([keras.Input((6,)), L.Dense(4), L.UnitNormalization()], name="unsupported_layer")


def channels_first():
    fresh(6)
    return keras.Sequential([keras.Input((2, 6, 6)), L.Conv2D(3, 3, data_format="channels_first")], name="channels_first")


def other_backward_layer():
    """A Bidirectional whose backward layer is not its layer reversed."""
    fresh(10)
    return keras.Sequential([
        keras.Input((5, 3)),
        L.Bidirectional(L.LSTM(4), backward_layer=L.LSTM(2, go_backwards=True)),
    ], name="other_backward_layer")


REFUSED = (unsupported_layer, channels_first, other_backward_layer)


def inputs(name, input_shape):
    if name in ("seed_mlp", "nested", "mnist_convnet"):
        x, _ = mnist_test(BATCH)
        return x.reshape((BATCH,) + input_shape)
    if name == "embedding":
        return np.random.default_rng(21).integers(0, 20, (BATCH,) + input_shape).astype("float32")
    return np.random.default_rng(20).normal(0, 1, (BATCH,) + input_shape).astype("float32")


def leaves(model):
    """The layers of a model, those of nested models in their place."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from leaves(layer)
        else:
            yield layer


# A random value for each weight name, shape -> array.
DRAWS = {
    "kernel": lambda rng, s: rng.normal(0, np.sqrt(2 / np.prod(s[:-1])), s),  # He normal
    "depthwise_kernel": lambda rng, s: rng.normal(0, np.sqrt(2 / np.prod(s[:-1])), s),
    "pointwise_kernel": lambda rng, s: rng.normal(0, np.sqrt(2 / np.prod(s[:-1])), s),
    "bias": lambda rng, s: rng.normal(0, 0.1, s),
    "gamma": lambda rng, s: rng.uniform(0.5, 1.5, s),
    "beta": lambda rng, s: rng.normal(0, 0.1, s),
    "moving_mean": lambda rng, s: rng.normal(0, 0.2, s),
    "moving_variance": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "alpha": lambda rng, s: rng.uniform(0.05, 0.3, s),
    "recurrent_kernel": lambda rng, s: rng.normal(0, np.sqrt(1 / s[0]), s),
    "embeddings": lambda rng, s: rng.normal(0, 1, s),
}


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    for layer in leaves(model):
        for w in layer.weights:
            w.assign(DRAWS[w.name](rng, tuple(w.shape)).astype("float32"))


def floats(a):
    return [float(v) for v in np.asarray(a, np.float32).ravel()]


def layout(path):
    """Every group and dataset of an HDF5 file, one line each."""
    lines = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            lines.append(f"  {name}  {list(obj.shape)}  {obj.dtype}")
        elif "name" in obj.attrs:
            lines.append(f"  {name}/  name={obj.attrs['name']!r}")
        else:
            lines.append(f"  {name}/")

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return lines


def write_reference(name, model, seed):
    randomize(model, seed)
    x = inputs(name, tuple(model.input_shape[1:]))
    data = {
        "input_shape": list(model.input_shape[1:]),
        "x": floats(x),
        "y": floats(model.predict(x, verbose=0)),
        "output_shape": list(model.output_shape[1:]),
        "params": model.count_params(),
    }
    model.save(os.path.join(OUT, f"{name}.keras"))
    weights = os.path.join(OUT, f"{name}.weights.h5")
    model.save_weights(weights)
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(data, f)
        f.write("\n")


def write_all(names):
    """Writes the files of the models `names` (all when empty), then
    LAYOUT.txt of every model's weights file."""
    os.makedirs(OUT, exist_ok=True)
    for seed, (name, build) in enumerate(BUILDERS.items(), start=100):
        if not names or name in names:
            write_reference(name, build(), seed)
    for build in REFUSED:
        model = build()
        if not names or model.name in names:
            model.save(os.path.join(OUT, f"{model.name}.keras"))
    listing = []
    for name in BUILDERS:
        weights = os.path.join(OUT, f"{name}.weights.h5")
        if os.path.exists(weights):
            listing += [f"{name}.weights.h5"] + layout(weights)
    text = "\n".join(listing) + "\n"
    print(text, end="")
    with open(os.path.join(OUT, "LAYOUT.txt"), "w") as f:
        f.write(text)


def load_weights(build, path):
    """A fresh build of the model with the weights of `path`."""
    model = build()
    model.load_weights(path)
    return model


def max_difference(model, name, expected_path):
    """The largest difference between the model's predictions on the
    reference `x` and the `y` of `expected_path`."""
    with open(os.path.join(OUT, f"{name}.json")) as f:
        ref = json.load(f)
    with open(expected_path) as f:
        expected = json.load(f)["y"]
    x = np.array(ref["x"], np.float32).reshape([-1] + ref["input_shape"])
    y = model.predict(x, verbose=0)
    return float(np.max(np.abs(y - np.array(expected, np.float32).reshape(y.shape))))


def check_file(directory, name, file, load):
    """Whether Keras loads DIR's `file` and predicts `name`'s `y`."""
    own = os.path.join(directory, f"{name}.json")
    expected = own if os.path.exists(own) else os.path.join(OUT, f"{name}.json")
    try:
        diff = max_difference(load(os.path.join(directory, file)), name, expected)
    except Exception as e:  # Keras raises ValueError, OSError, TypeError...
        print(f"{file}: FAILED: {type(e).__name__}: {e}")
        return False
    good = diff <= TOLERANCE
    print(f"{file}: max |y - {expected} y| = {diff:.3g}{'' if good else '  FAILED'}")
    return good


def check(directory):
    results = []
    for name, build in BUILDERS.items():
        loaders = {
            f"{name}.keras": keras.models.load_model,
            f"{name}.weights.h5": functools.partial(load_weights, build),
        }
        for file, load in loaders.items():
            if os.path.exists(os.path.join(directory, file)):
                results.append(check_file(directory, name, file, load))
    if not results:
        print(f"{directory}: no model file to check")
    return bool(results) and all(results)


def main():
    parser = argparse.ArgumentParser(description="Writes Keras 3 model files for nn's tests, or checks files nn wrote.")
    parser.add_argument("--check", metavar="DIR", help="load DIR's files with Keras instead of writing the references")
    choices = [[]] + list(BUILDERS) + [build.__name__ for build in REFUSED]
    parser.add_argument("names", nargs="*", choices=choices, help="write only these models' files")
    args = parser.parse_args()
    if args.check:
        sys.exit(0 if check(args.check) else 1)
    write_all(args.names)


if __name__ == "__main__":
    main()

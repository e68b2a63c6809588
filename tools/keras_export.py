"""Exports a Keras Sequential model for `nn`: its weights as a safetensors
file with nn's keys (`<layer_name>.<weight_name>`, Keras's layouts, every
tensor F32 little-endian), and the matching `nn::sequential!` declaration,
printed on stdout.

    python tools/keras_export.py model.keras weights.safetensors [--name Net]
    python tools/keras_export.py --fixture   # rewrites tests/reference/keras_export/

The declaration carries `#[weights = "<the output path>"]`, so that
`Net::embedded()` is the Keras model with its weights baked in; the path is
written as given, which is right when the script runs from the directory
of the crate that declares the model. `load_weights` reads the same file.

Layers: InputLayer, Flatten, Reshape, Dense, BatchNormalization (last axis),
Activation, LeakyReLU, PReLU (no shared axes), ELU, Dropout, AlphaDropout.
Anything else is an error that names the layer. Needs TensorFlow/Keras
(Keras 2 or 3); CI does not run this, it only reads the fixture.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join("tests", "reference", "keras_export")

# nn's automatic name prefix of each Keras class (Keras's own snake_case).
AUTO = {
    "Flatten": "flatten",
    "Reshape": "reshape",
    "Dense": "dense",
    "BatchNormalization": "batch_normalization",
    "Activation": "activation",
    "LeakyReLU": "leaky_re_lu",
    "PReLU": "p_re_lu",
    "ELU": "elu",
    "Dropout": "dropout",
    "AlphaDropout": "alpha_dropout",
}
ACTIVATIONS = {
    "linear", "relu", "elu", "selu", "leaky_relu", "tanh", "sigmoid", "softmax", "softplus", "swish", "silu",
    "gelu",
}
INITIALIZERS = {
    "GlorotUniform": "glorot_uniform", "GlorotNormal": "glorot_normal", "HeNormal": "he_normal",
    "HeUniform": "he_uniform", "LecunNormal": "lecun_normal", "LecunUniform": "lecun_uniform",
    "Zeros": "zeros", "Ones": "ones",
}


def write_safetensors(path, tensors):
    """safetensors without the safetensors package: header padded to 8 bytes,
    so that every F32 tensor is 4-byte aligned in the file."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr, dtype="<f4")
        data = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def weight_name(variable):
    """`kernel` from Keras 3's `kernel` and tf.keras 2's `dense/kernel:0`."""
    return variable.name.split("/")[-1].split(":")[0]


def activation_name(fn):
    name = fn if isinstance(fn, str) else getattr(fn, "__name__", str(fn))
    if name not in ACTIVATIONS:
        raise ValueError(f"activation `{name}` has no nn equivalent")
    return name


def num(x):
    """A float as Rust reads it back to the same f32."""
    r = str(np.float32(x))  # the shortest decimal that rounds to this f32
    return r if "e" in r or "." in r else r + ".0"


def layer_args(layer):
    """(nn kind, arguments) of one Keras layer."""
    cls = type(layer).__name__
    cfg = layer.get_config()
    if cls == "Flatten":
        return "Flatten", []
    if cls == "Reshape":
        return "Reshape[" + ", ".join(str(d) for d in cfg["target_shape"]) + "]", []
    if cls == "Dense":
        args = [str(cfg["units"])]
        act = activation_name(cfg["activation"])
        if act != "linear":
            args.append(act)
        init = cfg.get("kernel_initializer")
        init = init.get("class_name") if isinstance(init, dict) else None
        if init in INITIALIZERS and init != "GlorotUniform":
            args.append(INITIALIZERS[init])
        if not cfg.get("use_bias", True):
            args.append("no_bias")
        return "Dense", args
    if cls == "BatchNormalization":
        axis = cfg.get("axis", -1)
        axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
        ndim = len(layer.input.shape) if hasattr(layer, "input") else None
        if axis != -1 and (ndim is None or axis != ndim - 1):
            raise ValueError(f"layer `{layer.name}`: nn's BatchNorm normalizes the last axis, not axis {axis}")
        if not (cfg.get("center", True) and cfg.get("scale", True)):
            raise ValueError(f"layer `{layer.name}`: nn's BatchNorm always has gamma and beta")
        args = []
        if abs(cfg["momentum"] - 0.99) > 1e-12:
            args.append(f"momentum = {num(cfg['momentum'])}")
        if abs(cfg["epsilon"] - 1e-3) > 1e-15:
            args.append(f"epsilon = {num(cfg['epsilon'])}")
        return "BatchNorm", args
    if cls == "Activation":
        return "Activation", [activation_name(cfg["activation"])]
    if cls == "LeakyReLU":
        alpha = cfg.get("negative_slope", cfg.get("alpha", 0.3))
        return "LeakyReLU", [] if abs(alpha - 0.3) < 1e-12 else [f"alpha = {num(alpha)}"]
    if cls == "PReLU":
        if cfg.get("shared_axes"):
            raise ValueError(f"layer `{layer.name}`: nn's PReLU has one slope per element (no shared_axes)")
        return "PReLU", []
    if cls == "ELU":
        alpha = cfg.get("alpha", 1.0)
        return "ELU", [] if abs(alpha - 1.0) < 1e-12 else [f"alpha = {num(alpha)}"]
    if cls in ("Dropout", "AlphaDropout"):
        return cls, [num(cfg["rate"])]
    raise ValueError(f"layer `{layer.name}` ({cls}) has no nn equivalent")


def export(model, path, name="Net", weights_attr=None):
    """Writes `model`'s weights to `path` and returns the declaration."""
    shape = [int(d) for d in model.input_shape[1:]]
    lines = [f"Input[{', '.join(map(str, shape))}]"]
    tensors = {}
    counters = {}
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "InputLayer":
            continue
        kind, args = layer_args(layer)
        # nn names layers as Keras does, counting per class the layers that
        # are not named explicitly; a Keras name that differs is written out.
        prefix = AUTO[cls]
        n = counters.get(prefix, 0)
        auto = prefix if n == 0 else f"{prefix}_{n}"
        if layer.name == auto:
            counters[prefix] = n + 1
        else:
            args.append(f'name = "{layer.name}"')
        if not layer.trainable and layer.weights:
            args.append("trainable = false")
        lines.append(kind + (f"({', '.join(args)})" if args else ""))
        for w in layer.weights:
            tensors[f"{layer.name}.{weight_name(w)}"] = np.asarray(w.numpy(), dtype=np.float32)
    write_safetensors(path, tensors)
    attr = weights_attr if weights_attr is not None else path
    body = "".join(f"        {line},\n" for line in lines)
    return (
        "nn::sequential! {\n"
        f"    /// Exported from Keras by tools/keras_export.py ({model.count_params()} weights).\n"
        f'    #[weights = "{attr}"]\n'
        f"    pub struct {name} {{\n{body}    }}\n"
        "}\n"
    )


def fixture():
    """The committed fixture: a small model using every layer with weights,
    its weights, the printed declaration, and Keras's predictions."""
    import keras

    keras.utils.set_random_seed(3)
    L = keras.layers
    model = keras.Sequential([
        keras.Input((4,)),
        L.Dense(8, activation="relu", name="dense"),
        L.BatchNormalization(momentum=0.9, epsilon=0.01, name="batch_normalization"),
        L.PReLU(name="p_re_lu"),
        L.Dropout(0.5, name="dropout"),
        L.Dense(6, activation="tanh", name="dense_1"),
        L.Dense(3, activation="softmax", name="dense_2"),
    ])
    model.layers[4].trainable = False
    rng = np.random.default_rng(5)
    # Non-trivial values everywhere: biases, BatchNorm statistics, PReLU slopes.
    for layer in model.layers:
        for w in layer.weights:
            v = rng.normal(0, 0.5, w.shape)
            if weight_name(w) == "moving_variance":
                v = rng.uniform(0.5, 2.0, w.shape)
            w.assign(v.astype("float32"))
    out = os.path.join(ROOT, FIXTURE)
    os.makedirs(out, exist_ok=True)
    decl = export(model, os.path.join(out, "small.safetensors"), "Small",
                  weights_attr=f"{FIXTURE}/small.safetensors")
    with open(os.path.join(out, "small.rs"), "w") as f:
        f.write("// Printed by `python tools/keras_export.py --fixture`; do not edit.\n" + decl)
    x = rng.normal(0, 1, (8, 4)).astype("float32")
    write_safetensors(os.path.join(out, "small.data.safetensors"), {"x": x, "predict": model.predict(x, verbose=0)})
    print(decl, end="")
    print(f"keras {keras.__version__}: wrote {out}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", help="a saved Keras model (.keras or .h5)")
    p.add_argument("weights", nargs="?", help="the safetensors file to write")
    p.add_argument("--name", default="Net", help="the struct's name (default Net)")
    p.add_argument("--fixture", action="store_true", help="rewrite tests/reference/keras_export/")
    a = p.parse_args()
    if a.fixture:
        return fixture()
    if not (a.model and a.weights):
        p.error("give a model and the weights file to write, or --fixture")
    import keras

    model = keras.models.load_model(a.model, compile=False)
    if not isinstance(model, keras.Sequential):
        sys.exit(f"{a.model}: not a Sequential model")
    print(export(model, a.weights, a.name), end="")


if __name__ == "__main__":
    main()

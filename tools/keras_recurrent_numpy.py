"""Checks the references of tools/keras_recurrent_reference.py against a
NumPy forward pass written from the formulas alone (float64), reading only
the files: Keras's gate orders (LSTM i, f, c, o; GRU z, r, h), GRU's
reset_after bias rows (input, recurrent) and its reset_after=False form
(r applied before the recurrent matmul), go_backwards sequences in processed
(reversed) order, Bidirectional's backward outputs reversed in time before
merging. Prints the largest difference from Keras's predictions per model.

    python tools/keras_recurrent_numpy.py
"""
import json
import math
import os
import struct

import numpy as np

D = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "reference", "keras", "")


def load(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    header, base = json.loads(b[8:8 + n]), 8 + n
    return {
        k: np.frombuffer(b[base + v["data_offsets"][0]:base + v["data_offsets"][1]], "<f4").reshape(v["shape"]).astype(
            np.float64)
        for k, v in header.items() if k != "__metadata__"
    }
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACT = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2))),
    "swish": lambda x: x * sigmoid(x),
}


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def dense(W, name, x):
    return x @ W[name + ".kernel"] + W[name + ".bias"]


def rnn(kind, W, prefix, x, seq=False, back=False, act="tanh", ract="sigmoid"):
    """One recurrent layer over (n, steps, features); weights `<prefix>kernel`, ..."""
    K, R, b = W[prefix + "kernel"], W[prefix + "recurrent_kernel"], W.get(prefix + "bias")
    n, steps, _ = x.shape
    h, c = np.zeros((n, R.shape[0])), np.zeros((n, R.shape[0]))
    f, g = ACT[act], ACT[ract]
    outs = []
    for t in (range(steps - 1, -1, -1) if back else range(steps)):
        xt = x[:, t]
        if kind == "simple_rnn":
            h = f(xt @ K + h @ R + (0 if b is None else b))
        elif kind == "lstm":
            i, fg, cc, o = np.split(xt @ K + h @ R + (0 if b is None else b), 4, -1)
            c = g(fg) * c + g(i) * f(cc)
            h = g(o) * f(c)
        elif b is None or b.ndim == 2:  # GRU, reset_after (Keras's default)
            xb, rb = (0, 0) if b is None else (b[0], b[1])
            xz, xr, xh = np.split(xt @ K + xb, 3, -1)
            hz, hr, hh = np.split(h @ R + rb, 3, -1)
            z, r = g(xz + hz), g(xr + hr)
            h = z * h + (1 - z) * f(xh + r * hh)
        else:  # GRU, reset_after=False
            xz, xr, xh = np.split(xt @ K + b, 3, -1)
            Rz, Rr, Rh = np.split(R, 3, -1)
            z, r = g(xz + h @ Rz), g(xr + h @ Rr)
            h = z * h + (1 - z) * f(xh + (r * h) @ Rh)
        outs.append(h)
    return np.stack(outs, 1) if seq else h


def bidirectional(kind, W, inner, x, merge, seq):
    a = rnn(kind, W, f"bidirectional.forward_{inner}.", x, seq)
    b = rnn(kind, W, f"bidirectional.backward_{inner}.", x, seq, back=True)
    if seq:
        b = b[:, ::-1]
    return {"concat": lambda: np.concatenate([a, b], -1), "sum": lambda: a + b, "mul": lambda: a * b,
            "ave": lambda: (a + b) / 2}[merge]()


def check(name, forward):
    W = load(D + name + ".safetensors")
    d = load(D + name + ".data.safetensors")
    err = np.abs(forward(W, d["x"]) - d["predict"]).max()
    print(f"{name}: max difference from Keras {err:.1e}")
    assert err < 1e-6, name


def embed(W, x):
    return W["embedding.embeddings"][x.astype(int)]


def main():
    check("rnn_stack", lambda W, x: softmax(dense(W, "dense_1", rnn("gru", W, "gru.", dense(
        W, "dense", rnn("lstm", W, "lstm.", rnn("simple_rnn", W, "simple_rnn.", x, True), True))))))
    check("bidirectional_stack", lambda W, x: softmax(dense(W, "dense", rnn(
        "gru", W, "gru.", bidirectional("lstm", W, "lstm", x, "concat", True)))))
    check("bidirectional_sum", lambda W, x: softmax(dense(W, "dense", bidirectional(
        "simple_rnn", W, "simple_rnn", x, "sum", True).reshape(len(x), -1))))
    check("bidirectional_mul", lambda W, x: softmax(dense(W, "dense", bidirectional("gru", W, "gru", x, "mul", False))))
    check("bidirectional_ave", lambda W, x: softmax(dense(W, "dense", bidirectional(
        "lstm", W, "lstm", x, "ave", True).reshape(len(x), -1))))
    check("recurrent_args", lambda W, x: softmax(dense(W, "dense", rnn(
        "simple_rnn", W, "simple_rnn.", rnn(
            "gru", W, "gru.", rnn("lstm", W, "lstm.", x, True, True, "relu", "tanh"), True, True, "gelu"),
        False, True, "swish"))))
    check("embedding_lstm", lambda W, x: softmax(dense(W, "dense", rnn("lstm", W, "lstm.", embed(W, x)))))
    check("embedding_pool", lambda W, x: softmax(dense(W, "dense", embed(W, x).mean(1))))


if __name__ == "__main__":
    main()

"""Writes Keras references of recurrent and embedding models for
tests/keras_recurrent.rs, in the format of tools/keras_reference.py (whose
`run` writes the files): the initial weights with nn's keys, and a data file
with the batch, Keras's inference predictions, the training-mode loss and
gradients of one batch, and the weights after one `train_on_batch` step with
SGD(0.1). Written with Keras 3.15.1 (TensorFlow 2.21.0 backend).

    python tools/keras_recurrent_reference.py   # writes tests/reference/keras/{rnn_stack,bidirectional_*,recurrent_args,embedding_*}*.safetensors
    python tools/keras_recurrent_numpy.py       # checks them against a NumPy forward pass of the formulas

Weight keys are nn's: `<layer>.kernel`, `<layer>.recurrent_kernel`,
`<layer>.bias`, `<layer>.embeddings`, and inside Bidirectional
`<layer>.forward_<inner>.<weight>` / `<layer>.backward_<inner>.<weight>`
(Keras 3 names both inner weights `kernel`, ...; its `.path` tells them apart).
Initial weights come from NumPy, every bias non-zero so that the gate layouts
are tested by inference too, and embeddings larger than Keras's uniform(-0.05, 0.05).

Models:
`rnn_stack`: SimpleRNN(6, return_sequences) → LSTM(5, return_sequences) →
Dense(4) on every step → GRU(3) → Dense(3, softmax).
`bidirectional_stack`: Bidirectional(LSTM(4, return_sequences)) (concat) →
GRU(3, reset_after=False) → Dense(3, softmax).
`bidirectional_sum`, `bidirectional_mul`, `bidirectional_ave`: one
Bidirectional each (SimpleRNN with sequences, GRU, LSTM with sequences) with
that merge_mode.
`recurrent_args`: go_backwards on LSTM (with sequences, unit_forget_bias=False,
relu/tanh), GRU (with sequences, no bias, gelu) and SimpleRNN (no bias, swish).
`embedding_lstm`: Embedding(20, 6) → LSTM(5) → Dense(3, softmax) on 7 ids
given as float32; `embedding_pool`: Embedding(20, 6) → GlobalAveragePooling1D
→ Dense(3, softmax).
"""
import numpy as np
import keras

from keras_reference import run

L = keras.layers


def nn_key(layer, w):
    """nn's key of a weight, `<layer>.<weight>`, or
    `<layer>.<forward_inner|backward_inner>.<weight>` inside Bidirectional."""
    if isinstance(layer, L.Bidirectional):
        inner = layer.forward_layer if any(w is v for v in layer.forward_layer.weights) else layer.backward_layer
        return f"{layer.name}.{inner.name}.{w.name}"
    return f"{layer.name}.{w.name}"


def numpy_weights(model, seed):
    """Every weight drawn by NumPy (Keras's own draws were not the same from
    one run to the next): kernels Glorot-uniform, biases normal(0, 0.3),
    embeddings normal(0, 1)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if w.name == "bias":
            w.assign(rng.normal(0, 0.3, w.shape))
        elif w.name == "embeddings":
            w.assign(rng.normal(0, 1, w.shape))
        else:
            limit = np.sqrt(6 / (w.shape[0] + w.shape[-1]))
            w.assign(rng.uniform(-limit, limit, w.shape))


def batch(seed, shape, classes):
    x = np.random.default_rng(seed).normal(0, 1, shape).astype("float32")
    y = np.random.default_rng(seed + 1).integers(0, classes, shape[0])
    return x, y


def reference(name, seed, input_shape, layers, classes=3):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(input_shape)] + layers)
    numpy_weights(model, seed + 2)
    x, y = batch(seed + 3, (8,) + input_shape, classes)
    run(name, model, x, y, key=nn_key)


def main():
    reference("rnn_stack", 31, (6, 4), [
        L.SimpleRNN(6, return_sequences=True, name="simple_rnn"),
        L.LSTM(5, return_sequences=True, name="lstm"),
        L.Dense(4, name="dense"),
        L.GRU(3, name="gru"),
        L.Dense(3, activation="softmax", name="dense_1"),
    ])
    reference("bidirectional_stack", 41, (5, 3), [
        L.Bidirectional(L.LSTM(4, return_sequences=True, name="lstm"), name="bidirectional"),
        L.GRU(3, reset_after=False, name="gru"),
        L.Dense(3, activation="softmax", name="dense"),
    ])
    reference("bidirectional_sum", 51, (5, 3), [
        L.Bidirectional(L.SimpleRNN(4, return_sequences=True, name="simple_rnn"), merge_mode="sum",
                        name="bidirectional"),
        L.Flatten(name="flatten"),
        L.Dense(3, activation="softmax", name="dense"),
    ])
    reference("bidirectional_mul", 61, (5, 3), [
        L.Bidirectional(L.GRU(3, name="gru"), merge_mode="mul", name="bidirectional"),
        L.Dense(3, activation="softmax", name="dense"),
    ])
    reference("bidirectional_ave", 71, (5, 3), [
        L.Bidirectional(L.LSTM(3, return_sequences=True, name="lstm"), merge_mode="ave", name="bidirectional"),
        L.Flatten(name="flatten"),
        L.Dense(3, activation="softmax", name="dense"),
    ])
    reference("recurrent_args", 81, (6, 4), [
        L.LSTM(5, return_sequences=True, go_backwards=True, unit_forget_bias=False, activation="relu",
               recurrent_activation="tanh", name="lstm"),
        L.GRU(4, return_sequences=True, go_backwards=True, use_bias=False, activation="gelu", name="gru"),
        L.SimpleRNN(3, go_backwards=True, use_bias=False, activation="swish", name="simple_rnn"),
        L.Dense(3, activation="softmax", name="dense"),
    ])

    # Ids as float32, as nn takes them (Keras casts them); every id in 0..20.
    for name, seed, tail in [
        ("embedding_lstm", 91, [L.LSTM(5, name="lstm")]),
        ("embedding_pool", 95, [L.GlobalAveragePooling1D(name="global_average_pooling1d")]),
    ]:
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [keras.Input((7,)), L.Embedding(20, 6, name="embedding")]
            + tail + [L.Dense(3, activation="softmax", name="dense")])
        numpy_weights(model, seed + 2)
        x = np.random.default_rng(seed + 4).integers(0, 20, (8, 7)).astype("float32")
        y = np.random.default_rng(seed + 5).integers(0, 3, 8)
        run(name, model, x, y, key=nn_key)


if __name__ == "__main__":
    main()

"""Writes every_layer.safetensors, keyword.safetensors, both.safetensors and causal.safetensors,
the weights of `EveryLayer`, of the recurrent models `Keyword` and `Both` and of the causal
convolutions `Causal` in src/lib.rs.

Any numbers do (the check crate only has to build); these are small and
deterministic, with positive moving variances. Run: python3 fixture.py
"""

import json
import math
import struct

D = 4  # features of every hidden layer
TENSORS = [(f"{name}.kernel", [D, D]) for name in ["dense"] + [f"dense_{i}" for i in range(1, 8)]]
TENSORS += [(f"{name}.bias", [D]) for name in ["dense"] + [f"dense_{i}" for i in range(1, 7)]]
TENSORS += [("p_re_lu.alpha", [2, D])]
TENSORS += [(f"batch_normalization.{w}", [D]) for w in ["gamma", "beta", "moving_mean", "moving_variance"]]
TENSORS += [("dense_8.kernel", [2 * D, 3]), ("dense_8.bias", [3])]

KEYWORD = [
    ("embedding.embeddings", [10, 4]),
    ("lstm.kernel", [4, 24]), ("lstm.recurrent_kernel", [6, 24]), ("lstm.bias", [24]),
    ("gru.kernel", [6, 15]), ("gru.recurrent_kernel", [5, 15]), ("gru.bias", [2, 15]),
    ("gru_1.kernel", [5, 12]), ("gru_1.recurrent_kernel", [4, 12]), ("gru_1.bias", [12]),
    ("dense.kernel", [4, 3]), ("dense.bias", [3]),
]
BOTH = [
    ("bidirectional.forward_lstm.kernel", [2, 12]), ("bidirectional.forward_lstm.recurrent_kernel", [3, 12]),
    ("bidirectional.forward_lstm.bias", [12]),
    ("bidirectional.backward_lstm.kernel", [2, 12]), ("bidirectional.backward_lstm.recurrent_kernel", [3, 12]),
    ("bidirectional.backward_lstm.bias", [12]),
    ("lstm_1.kernel", [6, 8]), ("lstm_1.recurrent_kernel", [2, 8]), ("lstm_1.bias", [8]),
    ("dense.kernel", [2, 2]), ("dense.bias", [2]),
]

CAUSAL = [
    ("conv1d.kernel", [3, 2, 4]), ("conv1d.bias", [4]),
    ("conv1d_1.kernel", [2, 4, 3]), ("conv1d_1.bias", [3]),
    ("dense.kernel", [3, 2]), ("dense.bias", [2]),
]


def write(path, tensors):
    """A safetensors file of `tensors` ((name, shape) pairs) with small deterministic values."""
    header, data = {}, b""
    for i, (name, shape) in enumerate(sorted(tensors)):
        n = math.prod(shape)
        values = [0.5 + 0.25 * math.sin(i + 0.7 * j) if name.endswith("variance") else 0.3 * math.sin(3 * i + j) for j in range(n)]
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * n]}
        data += struct.pack(f"<{n}f", *values)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


write("every_layer.safetensors", TENSORS)
write("keyword.safetensors", KEYWORD)
write("both.safetensors", BOTH)
write("causal.safetensors", CAUSAL)

"""Writes every_layer.safetensors, the weights of `EveryLayer` in src/lib.rs.

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

header, data = {}, b""
for i, (name, shape) in enumerate(sorted(TENSORS)):
    n = math.prod(shape)
    values = [0.5 + 0.25 * math.sin(i + 0.7 * j) if name.endswith("variance") else 0.3 * math.sin(3 * i + j) for j in range(n)]
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * n]}
    data += struct.pack(f"<{n}f", *values)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
with open("every_layer.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)

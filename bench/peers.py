"""The seed model's four workloads in nn, PyTorch and Keras, one after the other.

Runs `cargo run --release --example bench -- --json` for nn's figures, then the
same workloads in PyTorch and in Keras when they are installed, and prints each
figure with nn's ratio to it (above 1 means nn is faster). Not run by CI.

    pip install torch tensorflow-cpu   # whichever peers you want to compare
    python bench/peers.py [--threads 2] [--model seed|convnet|lstm] [--rounds 3]

PyTorch is given its better configuration: `--threads` or 1 thread, whichever
is faster on each workload (on a shared 2-core machine its OpenMP threads can
collapse when one is descheduled). The load average is printed: above 2 the
machine was shared and every figure is depressed.

Workloads (MNIST, first 5,000 training images held out as in the main job):
training samples/s over one epoch of 55,000 images at batch 32 and 256
(SGD 1e-3, sparse categorical cross-entropy), one-sample inference latency
(median and p99 over 10,000 calls), batch-1000 inference samples/s.
With `--model convnet`, Keras's mnist_convnet: training samples/s over 10,240
images at batch 32 and 128 (Adam 1e-3), the same inference figures.
With `--model lstm`, `LSTM(128)` + `Dense(10, softmax)` on the image rows (28
steps of 28 pixels): training samples/s over the same 10,240 images at batch
128 (Adam 1e-3), the same inference figures, and the latency of one streaming
step (one time step of one sample, the state carried over, reset every 28
steps): nn's `predict_step`; PyTorch's `nn.LSTMCell(28, 128)` and the Linear
(and softmax) on one row; Keras's `LSTM(128, stateful=True)` model on a
`(1, 1, 28)` batch, the faster of `predict_on_batch` and an eager
`model(x, training=False)` call.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mnist():
    d = os.path.join(ROOT, "data", "mnist")

    def images(name):
        with gzip.open(os.path.join(d, name)) as f:
            return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28).astype("float32") / 255.0

    def labels(name):
        with gzip.open(os.path.join(d, name)) as f:
            return np.frombuffer(f.read(), np.uint8, offset=8).astype("int64")

    x = images("train-images-idx3-ubyte.gz")[5000:]
    y = labels("train-labels-idx1-ubyte.gz")[5000:]
    t = images("t10k-images-idx3-ubyte.gz")
    return x, y, t


def latency(fn, samples, calls=10_000):
    for s in samples[:200]:
        fn(s)
    lat = []
    for i in range(calls):
        s = samples[i % len(samples)]
        t0 = time.perf_counter()
        fn(s)
        lat.append((time.perf_counter() - t0) * 1e6)
    lat.sort()
    return lat[len(lat) // 2], lat[len(lat) * 99 // 100]


def run_nn(model):
    out = subprocess.run(
        ["cargo", "run", "--release", "--quiet", "--example", "bench", "--", "--json", "--model", model],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_workloads(model, optimizer, xs, ys, tt, batches, threads, reps):
    """PyTorch's figures of one model: training samples/s at each batch size
    over `xs`, batch-1000 inference over `reps` calls, one-sample latency."""
    import torch
    from torch import nn

    def train(batch):
        m = model().train()
        opt = optimizer(m.parameters())
        loss_fn = nn.CrossEntropyLoss()
        n = len(xs) // batch * batch
        def step(i):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(m(xs[i:i + batch]), ys[i:i + batch])
            loss.backward()
            opt.step()
        for i in range(3):
            step(i * batch)
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            step(i)
        return n / (time.perf_counter() - t0)

    res = {f"train_b{b}": train(b) for b in batches}
    if threads > 1:
        # On a shared machine PyTorch's OpenMP threads can collapse (a descheduled
        # thread stalls every barrier); report its better configuration, 1 or
        # `threads`, so that the comparison never flatters nn.
        torch.set_num_threads(1)
        res = {k: max(v, train(int(k[7:]))) for k, v in res.items()}
        torch.set_num_threads(threads)
    m = model().eval()
    samples = [tt[i:i + 1] for i in range(1000)]
    with torch.inference_mode():
        # nn's output layer includes the softmax; so does this.
        infer = lambda s: torch.softmax(m(s), -1)
        def b1000():
            b = tt[:1000]
            infer(b)
            t0 = time.perf_counter()
            for _ in range(reps):
                infer(b)
            return reps * 1000 / (time.perf_counter() - t0)
        res["predict_b1000"] = b1000()
        # One sample at a time: PyTorch is fastest on one thread (as above, best of both).
        torch.set_num_threads(1)
        one = latency(infer, samples)
        if threads > 1:
            res["predict_b1000"] = max(res["predict_b1000"], b1000())
        torch.set_num_threads(threads)
        two = latency(infer, samples)
        res["predict_one_median_us"], res["predict_one_p99_us"] = min(one, two)
    return res


def run_torch(x, y, t, threads):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(42)

    def model():
        # Keras's BatchNorm: eps 1e-3, momentum 0.99 (PyTorch counts momentum the other way).
        bn = lambda n: nn.BatchNorm1d(n, eps=1e-3, momentum=0.01)
        return nn.Sequential(
            nn.Flatten(), bn(784),
            nn.Linear(784, 300, bias=False), nn.ELU(), bn(300),
            nn.Linear(300, 100, bias=False), nn.ELU(), bn(100),
            nn.Linear(100, 10),
        )

    sgd = lambda params: torch.optim.SGD(params, lr=1e-3)
    xs, ys, tt = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(t)
    return torch_workloads(model, sgd, xs, ys, tt, (32, 256), threads, reps=50)


def convnet_data(x, y, t):
    """The convnet workloads' data: 10,240 training images as (28, 28, 1)."""
    return x[:10240, :, :, None].copy(), y[:10240].copy(), t[:, :, :, None].copy()


def run_torch_convnet(x, y, t, threads):
    import torch
    from torch import nn

    x, y, t = convnet_data(x, y, t)
    torch.set_num_threads(threads)
    torch.manual_seed(42)

    def model():
        # Keras's mnist_convnet; PyTorch is channels first, so the batch is
        # transposed once up front (not timed), as a PyTorch user would store it.
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
        )

    adam = lambda params: torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    xs = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    tt = torch.from_numpy(t).permute(0, 3, 1, 2).contiguous()
    return torch_workloads(model, adam, xs, torch.from_numpy(y), tt, (32, 128), threads, reps=10)


def lstm_data(x, y, t):
    """The LSTM workloads' data: 10,240 training images as 28 steps of 28 pixels."""
    return x[:10240].copy(), y[:10240].copy(), t


def step_latency(step, reset, frames, calls, steps=28):
    """Median and p99 (µs) of `step(frame)` over `frames`, the time steps of
    whole samples in order, `reset()` (not timed) before each sample's first."""
    lat = []
    for i in range(200 + calls):
        if i % steps == 0:
            reset()
        t0 = time.perf_counter()
        step(frames[i % len(frames)])
        if i >= 200:
            lat.append((time.perf_counter() - t0) * 1e6)
    lat.sort()
    return lat[len(lat) // 2], lat[len(lat) * 99 // 100]


def run_torch_lstm(x, y, t, threads):
    import torch
    from torch import nn

    x, y, t = lstm_data(x, y, t)
    torch.set_num_threads(threads)
    torch.manual_seed(42)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.dense = nn.Linear(128, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.dense(h[-1])

    adam = lambda params: torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    tt = torch.from_numpy(t)
    res = torch_workloads(Net, adam, torch.from_numpy(x), torch.from_numpy(y), tt, (128,), threads, reps=10)
    cell, dense = nn.LSTMCell(28, 128).eval(), nn.Linear(128, 10).eval()
    state = {}

    def reset():
        state["hc"] = (torch.zeros(1, 128), torch.zeros(1, 128))

    def step(frame):
        state["hc"] = cell(frame, state["hc"])
        return torch.softmax(dense(state["hc"][0]), -1)

    with torch.inference_mode():
        best = None
        for n in sorted({1, threads}):
            torch.set_num_threads(n)
            got = step_latency(step, reset, tt[:1000].reshape(-1, 1, 28), 10_000)
            best = got if best is None else min(best, got)
        torch.set_num_threads(threads)
    res["predict_step_median_us"], res["predict_step_p99_us"] = best
    return res


def keras_workloads(model, x, y, t, batches, reps, latency_calls):
    """Keras's figures of one model: training samples/s at each batch size
    (one epoch of `fit`), one-sample latency, batch-1000 inference."""
    def train(batch):
        m = model()
        m.fit(x[:batch * 3], y[:batch * 3], batch_size=batch, epochs=1, verbose=0)
        t0 = time.perf_counter()
        m.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        return len(x) / (time.perf_counter() - t0)

    res = {f"train_b{b}": train(b) for b in batches}
    m = model()
    samples = [t[i:i + 1] for i in range(1000)]
    res["predict_one_median_us"], res["predict_one_p99_us"] = latency(m.predict_on_batch, samples, latency_calls)
    b = t[:1000]
    m.predict_on_batch(b)
    t0 = time.perf_counter()
    for _ in range(reps):
        m.predict_on_batch(b)
    res["predict_b1000"] = reps * 1000 / (time.perf_counter() - t0)
    return res


def keras_with_threads(threads):
    """Keras (TensorFlow) limited to `threads`, seeded as the others."""
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # a later round: TensorFlow runs already, with these threads
    import keras

    keras.utils.set_random_seed(42)
    return keras


def run_keras_convnet(x, y, t, threads):
    keras = keras_with_threads(threads)
    from keras import layers as L

    x, y, t = convnet_data(x, y, t)

    def model():
        m = keras.Sequential([
            keras.Input((28, 28, 1)),
            L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
            L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
            L.Flatten(), L.Dropout(0.5), L.Dense(10, activation="softmax"),
        ])
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        return m

    return keras_workloads(model, x, y, t, (32, 128), reps=10, latency_calls=2_000)


def run_keras_lstm(x, y, t, threads):
    keras = keras_with_threads(threads)
    from keras import layers as L

    x, y, t = lstm_data(x, y, t)

    def model():
        m = keras.Sequential([keras.Input((28, 28)), L.LSTM(128), L.Dense(10, activation="softmax")])
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        return m

    res = keras_workloads(model, x, y, t, (128,), reps=10, latency_calls=2_000)
    stream = keras.Sequential([
        keras.Input(batch_shape=(1, 1, 28)), L.LSTM(128, stateful=True), L.Dense(10, activation="softmax"),
    ])
    lstm = stream.layers[0]
    reset = getattr(lstm, "reset_state", None) or lstm.reset_states
    eager = lambda frame: stream(frame, training=False)
    frames = t[:1000].reshape(-1, 1, 1, 28)
    res["predict_step_median_us"], res["predict_step_p99_us"] = min(
        step_latency(stream.predict_on_batch, reset, frames, 2_000), step_latency(eager, reset, frames, 2_000))
    return res


def run_keras(x, y, t, threads):
    keras = keras_with_threads(threads)
    from keras import layers as L

    def model():
        m = keras.Sequential([
            keras.Input((28, 28)), L.Flatten(), L.BatchNormalization(),
            L.Dense(300, kernel_initializer="he_normal", use_bias=False), L.Activation("elu"), L.BatchNormalization(),
            L.Dense(100, kernel_initializer="he_normal", use_bias=False), L.Activation("elu"), L.BatchNormalization(),
            L.Dense(10, activation="softmax"),
        ])
        m.compile(optimizer=keras.optimizers.SGD(1e-3), loss="sparse_categorical_crossentropy")
        return m

    return keras_workloads(model, x, y, t, (32, 256), reps=50, latency_calls=10_000)


ROWS = [
    ("train_b32", "training, batch 32 (samples/s)", True),
    ("train_b256", "training, batch 256 (samples/s)", True),
    ("train_b128", "training, batch 128 (samples/s)", True),
    ("predict_one_median_us", "one-sample latency, median (µs)", False),
    ("predict_one_p99_us", "one-sample latency, p99 (µs)", False),
    ("predict_b1000", "batch-1000 inference (samples/s)", True),
    ("predict_step_median_us", "streaming step latency, median (µs)", False),
    ("predict_step_p99_us", "streaming step latency, p99 (µs)", False),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", choices=["seed", "convnet", "lstm"], default="seed")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds; figures are their medians")
    args = ap.parse_args()
    x, y, t = mnist()
    load0 = f"{os.getloadavg()[0]:.2f}"
    peers = [("pytorch", run_torch), ("keras", run_keras)]
    if args.model == "convnet":
        peers = [("pytorch", run_torch_convnet), ("keras", run_keras_convnet)]
    elif args.model == "lstm":
        peers = [("pytorch", run_torch_lstm), ("keras", run_keras_lstm)]
    # Rounds interleave the frameworks (nn, PyTorch, Keras, nn, ...), so that
    # a busy spell of a shared machine depresses each alike; every figure is
    # the median over the rounds.
    rounds = []
    for r in range(args.rounds):
        res = {"nn": run_nn(args.model)}
        for name, fn in peers:
            try:
                res[name] = fn(x, y, t, args.threads)
            except ImportError as e:
                if r == 0:
                    print(f"{name}: not installed ({e}); skipped")
        rounds.append(res)
    results = {
        p: {k: statistics.median(rd[p][k] for rd in rounds) for k in rounds[0][p]} for p in rounds[0]
    }
    if args.rounds > 1:
        print(f"medians of {args.rounds} interleaved rounds")
    peers = [p for p in results if p != "nn"]
    print(f"load average before/after: {load0} / {os.getloadavg()[0]:.2f} (2 cores; above 2 the machine is shared)")
    head = f"{'workload':<36}{'nn':>12}" + "".join(f"{p:>12}{'nn ratio':>10}" for p in peers)
    print(head)
    print("-" * len(head))
    for key, label, higher_better in ROWS:
        if key not in results["nn"]:
            continue
        line = f"{label:<36}{results['nn'][key]:>12.1f}"
        for p in peers:
            v = results[p][key]
            ratio = results["nn"][key] / v if higher_better else v / results["nn"][key]
            line += f"{v:>12.1f}{ratio:>9.2f}x"
        print(line)
    print(f"nn peak RSS: {results['nn']['peak_rss_mb']:.1f} MB")


if __name__ == "__main__":
    main()

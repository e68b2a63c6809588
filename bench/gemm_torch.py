"""torch.matmul's GFLOP/s on the matrix kernel's benchmark shapes, 1 and 2 threads.

With `--nn`, also runs `cargo run --release -p nn-runtime --example gemm_bench --
issue 1 --json` (nn's `sgemm_single_thread` and `sgemm`) in the same session,
interleaved with PyTorch (nn, torch, nn, torch, ... for `--rounds` rounds; each in
a process of its own, so no PyTorch thread spins while nn runs), and
prints both with nn's ratio (above 1 means nn is faster). `--nn-bin PATH`
(repeatable) runs built `gemm_bench` binaries instead, e.g. one built from an
older commit, each in the same interleaving. Best sample of the rounds for each
figure (the machine is shared). Not run by CI.

    pip install torch
    python bench/gemm_torch.py [--rounds 3] [--nn] [--nn-bin target/release/examples/gemm_bench]
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, m, k, n, b stored transposed); the same list as gemm_bench.rs.
SHAPES = [
    ("32x784x300", 32, 784, 300, False),
    ("1000x784x300", 1000, 784, 300, False),
    ("32x300x784 bT", 32, 300, 784, True),
    ("15488x288x64", 15488, 288, 64, False),
    ("86528x9x32", 86528, 9, 32, False),
    ("128x156x512", 128, 156, 512, False),
    ("1024x1024x1024", 1024, 1024, 1024, False),
    ("1x784x300", 1, 784, 300, False),
]


def gflops(fn, flops):
    """About 20 ms of calls, as gemm_bench.rs times nn."""
    fn()
    t = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t, 1e-7)
    reps = max(1, min(1_000_000, int(20e-3 / once)))
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return flops * reps / (time.perf_counter() - t) / 1e9


def torch_round():
    import torch

    out = {}
    for name, m, k, n, bt in SHAPES:
        g = torch.Generator().manual_seed(0)
        a = torch.rand(m, k, generator=g) - 0.5
        b = (torch.rand(n, k, generator=g) - 0.5).t() if bt else torch.rand(k, n, generator=g) - 0.5
        c = torch.empty(m, n)
        flops = 2.0 * m * k * n
        res = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            with torch.inference_mode():
                res.append(gflops(lambda: torch.matmul(a, b, out=c), flops))
        out[name] = res
    return out


def torch_round_apart():
    """torch_round in a process of its own, so that none of PyTorch's worker
    threads is still spinning while nn is timed."""
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-round"]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(text.strip().splitlines()[-1])


def nn_round(binary=None):
    args = ["issue", "1", "--json"]
    cmd = [binary] + args if binary else ["cargo", "run", "--release", "--quiet", "-p", "nn-runtime", "--example", "gemm_bench", "--"] + args
    text = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(text.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--nn", action="store_true", help="also run nn's gemm_bench (cargo run), interleaved")
    ap.add_argument("--nn-bin", action="append", default=[], help="a built gemm_bench to run instead (repeatable)")
    ap.add_argument("--torch-round", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_round:
        print(json.dumps(torch_round()))
        return
    nns = [(b, lambda b=b: nn_round(b)) for b in args.nn_bin]
    if args.nn and not nns:
        nns = [("nn", nn_round)]
    best = {who: {} for who, _ in nns}
    best["torch"] = {}
    load0 = os.getloadavg()[0]
    for _ in range(args.rounds):
        for who, fn in nns + [("torch", torch_round_apart)]:
            for name, vals in fn().items():
                old = best[who].get(name, [0.0, 0.0])
                best[who][name] = [max(x, y) for x, y in zip(old, vals)]
    import torch

    print(f"torch {torch.__version__}; load average before/after: {load0:.2f} / {os.getloadavg()[0]:.2f}")
    for who, _ in nns:
        print(f"nn: {who}")
        print("| m×k×n | nn 1 thread | torch 1 thread | ratio | nn 2 threads | torch 2 threads | ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, *_ in SHAPES:
            n1, n2 = best[who][name]
            t1, t2 = best["torch"][name]
            print(f"| {name} | {n1:.1f} | {t1:.1f} | {n1 / t1:.2f} | {n2:.1f} | {t2:.1f} | {n2 / t2:.2f} |")
    if not nns:
        print("| m×k×n | torch 1 thread | torch 2 threads |")
        print("|---|---:|---:|")
        for name, *_ in SHAPES:
            t1, t2 = best["torch"][name]
            print(f"| {name} | {t1:.1f} | {t2:.1f} |")


if __name__ == "__main__":
    main()

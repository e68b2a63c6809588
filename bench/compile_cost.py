"""Compile cost of `nn::sequential!`: release builds of a user crate with the
seed model vs a 64-layer model (each crate depends on nn by path, default
settings, no RUSTFLAGS).

    python3 bench/compile_cost.py [--reps 3] [--layers 64]

Writes two crates under a temporary directory sharing one target directory,
builds the dependencies once, then measures per crate: a "cold" build of the
crate alone (`cargo clean -p` then build; dependencies already built) and an
incremental build after touching src/main.rs (median of --reps). Prints the
ratio deep / seed, which the issue bounds at 3x for the incremental build.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SEED = """
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),"""


def deep(layers):
    # Flatten + (layers - 2) hidden layers in (Dense, BatchNorm) pairs + the softmax output.
    body = ["        Flatten[28, 28],"]
    for _ in range((layers - 2) // 2):
        body.append("        Dense(128, relu), BatchNorm,")
    body.append("        Dense(10, softmax),")
    return "\n" + "\n".join(body)


MAIN = """use nn::ndarray::{Array1, Array3};

nn::sequential! {
    pub struct Net {%s
    }
}

fn main() {
    let mut m = Net::seeded(1);
    let x = Array3::<f32>::zeros((32, 28, 28));
    let y = Array1::<usize>::zeros(32);
    let mut opt = nn::optim::Sgd::new(0.01);
    let l = m.train_on_batch(x.view(), y.view(), &nn::loss::SparseCategoricalCrossentropy, &mut opt).unwrap();
    let p = m.predict(x.view()).unwrap();
    let one = m.predict_one(&[[0.0; 28]; 28]);
    println!("{l} {} {}", p.len(), one[0]);
}
"""


def write_crate(base, name, layers_src):
    d = os.path.join(base, name)
    os.makedirs(os.path.join(d, "src"), exist_ok=True)
    with open(os.path.join(d, "Cargo.toml"), "w") as f:
        f.write(f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n'
                f'[dependencies]\nnn = {{ path = "{ROOT}" }}\n\n[workspace]\n')
    with open(os.path.join(d, "src", "main.rs"), "w") as f:
        f.write(MAIN % layers_src)
    return d


def build(d, target):
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    env.pop("RUSTFLAGS", None)
    t0 = time.perf_counter()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=d, env=env, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--layers", type=int, default=64)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    base = args.dir or tempfile.mkdtemp(prefix="nn-compile-")
    target = os.path.join(base, "target")
    crates = {"seed": write_crate(base, "seed_model", SEED),
              f"deep{args.layers}": write_crate(base, f"deep{args.layers}", deep(args.layers))}
    for d in crates.values():
        build(d, target)  # dependencies, once
    res = {}
    for name, d in crates.items():
        env = dict(os.environ, CARGO_TARGET_DIR=target)
        cold = []
        for _ in range(args.reps):
            subprocess.run(["cargo", "clean", "--release", "--quiet", "-p", os.path.basename(d)], cwd=d, env=env, check=True)
            cold.append(build(d, target))
        inc = []
        for _ in range(args.reps):
            os.utime(os.path.join(d, "src", "main.rs"))
            inc.append(build(d, target))
        res[name] = (statistics.median(cold), statistics.median(inc))
    print(f"{'crate':<12}{'crate-only build (s)':>22}{'incremental (s)':>18}")
    for name, (c, i) in res.items():
        print(f"{name:<12}{c:>22.2f}{i:>18.2f}")
    (sc, si), (dc, di) = res["seed"], res[f"deep{args.layers}"]
    print(f"ratio deep/seed: crate-only {dc / sc:.2f}x, incremental {di / si:.2f}x")


if __name__ == "__main__":
    main()

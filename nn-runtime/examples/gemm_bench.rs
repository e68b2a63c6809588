//! Compares `nn_runtime::kernels::gemm::sgemm` with `matrixmultiply` and the
//! `gemm` crate on the seed MLP's products, and counts heap allocations per call.
//!
//! `cargo run -p nn-runtime --release --example gemm_bench [rounds]`
//!
//! `cargo run -p nn-runtime --release --example gemm_bench -- issue [rounds] [--json]`
//! times only `sgemm_single_thread` and `sgemm` (1 and 2 threads) on the
//! shapes of the matrix-kernel issue (dense, im2col, LSTM and square products);
//! `bench/gemm_torch.py` runs it interleaved with `torch.matmul` on the same
//! shapes and prints both side by side.
//!
//! Candidates are timed interleaved (A B C A B C ...) over several rounds and the
//! median GF/s (2·m·k·n per call) is printed, so that a noisy, shared machine
//! biases every candidate alike.

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use nn_runtime::kernels::gemm::{sgemm, sgemm_single_thread, Layout};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: AllocLayout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: AllocLayout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: AllocLayout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static A: Counting = Counting;

/// One product: `op(a) (m×k) · op(b) (k×n)`.
#[derive(Clone, Copy)]
struct Shape {
    batch: usize,
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    la: Layout,
    lb: Layout,
}

type Cand = (&'static str, fn(&Shape, &[f32], &[f32], &mut [f32]));

fn ours(s: &Shape, a: &[f32], b: &[f32], c: &mut [f32]) {
    sgemm(s.m, s.k, s.n, 1.0, a, s.la, b, s.lb, 0.0, c);
}

fn ours_st(s: &Shape, a: &[f32], b: &[f32], c: &mut [f32]) {
    sgemm_single_thread(s.m, s.k, s.n, 1.0, a, s.la, b, s.lb, 0.0, c);
}

/// (row stride, column stride) of op(x) (`r × c`) stored with layout `l`.
fn strides(r: usize, c: usize, l: Layout) -> (isize, isize) {
    match l {
        Layout::Normal => (c as isize, 1),
        Layout::Transposed => (1, r as isize),
    }
}

fn mm(s: &Shape, a: &[f32], b: &[f32], c: &mut [f32]) {
    let (rsa, csa) = strides(s.m, s.k, s.la);
    let (rsb, csb) = strides(s.k, s.n, s.lb);
    // SAFETY: the strides address op(a), op(b) and c inside their slices.
    unsafe {
        matrixmultiply::sgemm(
            s.m,
            s.k,
            s.n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            0.0,
            c.as_mut_ptr(),
            s.n as isize,
            1,
        )
    }
}

fn gemm_with(s: &Shape, a: &[f32], b: &[f32], c: &mut [f32], par: gemm::Parallelism) {
    let (rsa, csa) = strides(s.m, s.k, s.la);
    let (rsb, csb) = strides(s.k, s.n, s.lb);
    // SAFETY: as above; gemm computes dst = alpha·dst + beta·lhs·rhs, dst not read.
    unsafe {
        gemm::gemm(
            s.m,
            s.n,
            s.k,
            c.as_mut_ptr(),
            1,
            s.n as isize,
            false,
            a.as_ptr(),
            csa,
            rsa,
            b.as_ptr(),
            csb,
            rsb,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        )
    }
}

fn gemm_st(s: &Shape, a: &[f32], b: &[f32], c: &mut [f32]) {
    gemm_with(s, a, b, c, gemm::Parallelism::None);
}

fn gemm_2t(s: &Shape, a: &[f32], b: &[f32], c: &mut [f32]) {
    gemm_with(s, a, b, c, gemm::Parallelism::Rayon(2));
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|x, y| x.partial_cmp(y).unwrap());
    v[v.len() / 2]
}

/// The matrix-kernel issue's shapes: (label, m, k, n, layout of a, layout of b).
const ISSUE_SHAPES: [(&str, usize, usize, usize, Layout, Layout); 8] = [
    ("32x784x300", 32, 784, 300, Layout::Normal, Layout::Normal),
    ("1000x784x300", 1000, 784, 300, Layout::Normal, Layout::Normal),
    ("32x300x784 bT", 32, 300, 784, Layout::Normal, Layout::Transposed),
    ("15488x288x64", 15488, 288, 64, Layout::Normal, Layout::Normal),
    ("86528x9x32", 86528, 9, 32, Layout::Normal, Layout::Normal),
    ("128x156x512", 128, 156, 512, Layout::Normal, Layout::Normal),
    ("1024x1024x1024", 1024, 1024, 1024, Layout::Normal, Layout::Normal),
    ("1x784x300", 1, 784, 300, Layout::Normal, Layout::Normal),
];

/// GF/s of `f` on one shape: calls repeated for about 20 ms per sample, the
/// best of `rounds` samples (the machine is shared: the best sample is the one
/// least disturbed), single- and two-thread samples interleaved by the caller.
fn sample(f: &dyn Fn(), flops: f64) -> f64 {
    f();
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64().max(1e-7);
    let reps = ((20e-3 / once) as usize).clamp(1, 1_000_000);
    let (t, cpu) = (Instant::now(), thread_cpu_seconds());
    for _ in 0..reps {
        f();
    }
    let secs = match cpu {
        Some(c0) if CPU_TIME.load(Ordering::Relaxed) => thread_cpu_seconds().unwrap_or(f64::NAN) - c0,
        _ => t.elapsed().as_secs_f64(),
    };
    flops * reps as f64 / secs / 1e9
}

/// `--cpu`: time single-thread samples by the thread's CPU time,
/// which a shared machine disturbs much less than wall time.
static CPU_TIME: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), when `--cpu`.
fn thread_cpu_seconds() -> Option<f64> {
    if !CPU_TIME.load(Ordering::Relaxed) {
        return None;
    }
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write into.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
}

fn issue(rounds: usize, json: bool, only: Option<&str>, threads: &[usize]) {
    let mut rows = Vec::new();
    // `--only MxKxN` of a shape not in the list times that product; a
    // suffix `aT` or `bT` takes that operand stored transposed.
    let spec = only.unwrap_or_default();
    let (dims, la, lb) = match (spec.strip_suffix("aT"), spec.strip_suffix("bT")) {
        (Some(d), _) => (d, Layout::Transposed, Layout::Normal),
        (_, Some(d)) => (d, Layout::Normal, Layout::Transposed),
        _ => (spec, Layout::Normal, Layout::Normal),
    };
    let custom: Vec<usize> = dims.split('x').filter_map(|d| d.parse().ok()).collect();
    let mut shapes: Vec<_> = ISSUE_SHAPES.iter().copied().filter(|s| only.is_none_or(|o| s.0.starts_with(o))).collect();
    if let (&[m, k, n], true) = (&custom[..], shapes.is_empty()) {
        shapes.push((spec, m, k, n, la, lb));
    }
    for (name, m, k, n, la, lb) in shapes {
        let a: Vec<f32> = (0..m * k).map(|i| ((i % 97) as f32 - 48.0) / 97.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i % 89) as f32 - 44.0) / 89.0).collect();
        let c = std::cell::RefCell::new(vec![0f32; m * n]);
        let flops = 2.0 * (m * k * n) as f64;
        let one = || sgemm_single_thread(m, k, n, 1.0, black_box(&a), la, black_box(&b), lb, 0.0, &mut c.borrow_mut());
        let two = || sgemm(m, k, n, 1.0, black_box(&a), la, black_box(&b), lb, 0.0, &mut c.borrow_mut());
        let (mut g1, mut g2) = (0f64, 0f64);
        for _ in 0..rounds {
            if threads.contains(&1) {
                g1 = g1.max(sample(&one, flops));
            }
            if threads.contains(&2) {
                let cpu = CPU_TIME.swap(false, Ordering::Relaxed);
                g2 = g2.max(sample(&two, flops));
                CPU_TIME.store(cpu, Ordering::Relaxed);
            }
        }
        rows.push((name, g1, g2));
    }
    if json {
        let items: Vec<String> = rows.iter().map(|(name, g1, g2)| format!("\"{name}\": [{g1:.2}, {g2:.2}]")).collect();
        println!("{{{}}}", items.join(", "));
    } else {
        println!("| m×k×n | nn 1 thread | nn 2 threads |");
        println!("|---|---:|---:|");
        for (name, g1, g2) in rows {
            println!("| {name} | {g1:.1} | {g2:.1} |");
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("issue") {
        let rounds = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
        // `--only PREFIX` keeps the shapes whose label starts with it;
        // `--threads 1` or `--threads 2` times only that column.
        let flag = |f: &str| args.iter().position(|a| a == f).and_then(|i| args.get(i + 1)).map(String::as_str);
        let threads: Vec<usize> = match flag("--threads") {
            Some(t) => vec![t.parse().expect("--threads 1 or 2")],
            None => vec![1, 2],
        };
        CPU_TIME.store(args.iter().any(|a| a == "--cpu"), Ordering::Relaxed);
        return issue(rounds, args.iter().any(|a| a == "--json"), flag("--only"), &threads);
    }
    let rounds: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(7);
    let (nn, tn, nt) =
        ((Layout::Normal, Layout::Normal), (Layout::Transposed, Layout::Normal), (Layout::Normal, Layout::Transposed));
    let mut shapes = Vec::new();
    for batch in [1usize, 32, 256, 1000] {
        let sh = |name, m, k, n, (la, lb): (Layout, Layout)| Shape { batch, name, m, k, n, la, lb };
        shapes.push(sh("x·W1", batch, 784, 300, nn));
        shapes.push(sh("h·W2", batch, 300, 100, nn));
        shapes.push(sh("h·W3", batch, 100, 10, nn));
        if batch == 32 || batch == 256 {
            shapes.push(sh("dW1=xᵀ·dz", 784, batch, 300, tn));
            shapes.push(sh("dW2=hᵀ·dz", 300, batch, 100, tn));
            shapes.push(sh("dx=dz·W1ᵀ", batch, 300, 784, nt));
            shapes.push(sh("dx=dz·W2ᵀ", batch, 100, 300, nt));
        }
    }
    let cands: [Cand; 5] = [
        ("nn (auto)", ours),
        ("nn 1-thread", ours_st),
        ("matrixmultiply", mm),
        ("gemm 1-thread", gemm_st),
        ("gemm rayon(2)", gemm_2t),
    ];
    print!("| batch | product (m×k×n) |");
    for (name, _) in &cands {
        print!(" {name} |");
    }
    println!();
    print!("|---|---|");
    for _ in &cands {
        print!("---:|");
    }
    println!();
    let mut allocs = vec![0usize; cands.len()];
    let mut calls = vec![0usize; cands.len()];
    for s in &shapes {
        let a: Vec<f32> = (0..s.m * s.k).map(|i| ((i % 97) as f32 - 48.0) / 97.0).collect();
        let b: Vec<f32> = (0..s.k * s.n).map(|i| ((i % 89) as f32 - 44.0) / 89.0).collect();
        let mut c = vec![0f32; s.m * s.n];
        let flops = 2.0 * (s.m * s.k * s.n) as f64;
        // About 1.5 ms per timed sample (short samples interleave better on a busy machine).
        let reps = ((1.5e-3 * 60e9 / flops) as usize).clamp(1, 200_000);
        // Check every candidate against ours once, and warm up.
        let mut want = vec![0f32; s.m * s.n];
        ours_st(s, &a, &b, &mut want);
        for (name, f) in &cands {
            f(s, &a, &b, &mut c);
            let err = c.iter().zip(&want).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
            assert!(err < 1e-3, "{name} differs on {}: {err}", s.name);
        }
        let mut gfs = vec![Vec::new(); cands.len()];
        for _ in 0..rounds {
            for (ci, (_, f)) in cands.iter().enumerate() {
                let before = ALLOCS.load(Ordering::Relaxed);
                let t = Instant::now();
                for _ in 0..reps {
                    f(s, black_box(&a), black_box(&b), black_box(&mut c));
                }
                let dt = t.elapsed().as_secs_f64();
                allocs[ci] += ALLOCS.load(Ordering::Relaxed) - before;
                calls[ci] += reps;
                gfs[ci].push(flops * reps as f64 / dt / 1e9);
            }
        }
        print!("| {} | {} {}×{}×{} |", s.batch, s.name, s.m, s.k, s.n);
        let meds: Vec<f64> = gfs.iter_mut().map(|g| median(g)).collect();
        let best = meds.iter().cloned().fold(0.0, f64::max);
        for m in &meds {
            if *m == best {
                print!(" **{m:.1}** |");
            } else {
                print!(" {m:.1} |");
            }
        }
        println!();
    }
    println!();
    println!("heap allocations per call (timed calls, warm):");
    for (ci, (name, _)) in cands.iter().enumerate() {
        println!("  {name}: {:.3}", allocs[ci] as f64 / calls[ci] as f64);
    }

    // predict_one-like: the three forward products for one row.
    let w1: Vec<f32> = (0..784 * 300).map(|i| ((i % 89) as f32 - 44.0) / 890.0).collect();
    let w2: Vec<f32> = (0..300 * 100).map(|i| ((i % 83) as f32 - 41.0) / 830.0).collect();
    let w3: Vec<f32> = (0..100 * 10).map(|i| ((i % 79) as f32 - 39.0) / 790.0).collect();
    let x: Vec<f32> = (0..784).map(|i| (i % 13) as f32 / 13.0).collect();
    let (mut h1, mut h2, mut y) = (vec![0f32; 300], vec![0f32; 100], vec![0f32; 10]);
    let mut times = vec![Vec::new(); 2];
    for _ in 0..rounds {
        for (ci, t) in times.iter_mut().enumerate() {
            let reps = 2000;
            let t0 = Instant::now();
            for _ in 0..reps {
                let s1 = Shape { batch: 1, name: "", m: 1, k: 784, n: 300, la: Layout::Normal, lb: Layout::Normal };
                let s2 = Shape { k: 300, n: 100, ..s1 };
                let s3 = Shape { k: 100, n: 10, ..s1 };
                let f = if ci == 0 { ours } else { mm };
                f(&s1, black_box(&x), &w1, &mut h1);
                f(&s2, &h1, &w2, &mut h2);
                f(&s3, &h2, &w3, &mut y);
                black_box(&y);
            }
            t.push(t0.elapsed().as_secs_f64() / reps as f64 * 1e6);
        }
    }
    println!();
    println!("three forward products of one row (784→300→100→10), µs per row (median):");
    println!("  nn: {:.2}   matrixmultiply: {:.2}", median(&mut times[0]), median(&mut times[1]));
}

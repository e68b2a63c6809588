//! Compares `nn_runtime::kernels::gemm::sgemm` with `matrixmultiply` and the
//! `gemm` crate on the seed MLP's products, and counts heap allocations per call.
//!
//! `cargo run -p nn-runtime --release --example gemm_bench [rounds]`
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

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(7);
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

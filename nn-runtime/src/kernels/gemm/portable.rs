//! Plain-Rust kernels: the compiler vectorizes them for the baseline target
//! (SSE2 on x86-64, NEON on aarch64). Also the path on non-x86 targets.

use super::MicroKernel;

/// 4 × 16 micro-kernel over arrays the compiler keeps in vector registers.
pub(super) struct Kernel;

const MR: usize = 4;
const NR: usize = 16;

impl MicroKernel for Kernel {
    const MR: usize = MR;
    const NR: usize = NR;

    unsafe fn micro(
        kc: usize,
        a: *const f32,
        b: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        alpha: f32,
        beta: f32,
    ) {
        let mut acc = [[0f32; NR]; MR];
        for p in 0..kc {
            let bp = &*(b.add(p * bs) as *const [f32; NR]);
            let ap = &*(a.add(p * MR) as *const [f32; MR]);
            for i in 0..MR {
                for j in 0..NR {
                    acc[i][j] += ap[i] * bp[j];
                }
            }
        }
        for (i, acc) in acc.iter().enumerate() {
            let row = core::slice::from_raw_parts_mut(c.add(i * ldc), NR);
            for (cv, av) in row.iter_mut().zip(acc) {
                *cv = if beta == 0.0 { alpha * av } else { alpha * av + beta * *cv };
            }
        }
    }
}

/// `c = alpha · a · b + beta · c` for `m` (small) rows: each row of `c` is built
/// by `axpy` over the rows of `b`. `a(i, p)` is at `a[i*rsa + p*csa]`; the
/// rows of `b` and `c` are `ld` floats apart (`n` of them used: a range of
/// columns of wider matrices).
///
/// # Safety
/// `a`, `b` (`k` rows) and `c` (`m` rows) hold every element addressed.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemv(
    m: usize,
    k: usize,
    n: usize,
    ld: usize,
    alpha: f32,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    beta: f32,
    c: *mut f32,
) {
    for i in 0..m {
        let row = core::slice::from_raw_parts_mut(c.add(i * ld), n);
        if beta == 0.0 {
            row.fill(0.0);
        } else if beta != 1.0 {
            row.iter_mut().for_each(|v| *v *= beta);
        }
        for p in 0..k {
            let s = alpha * *a.add(i * rsa + p * csa);
            let brow = core::slice::from_raw_parts(b.add(p * ld), n);
            for (cv, bv) in row.iter_mut().zip(brow) {
                *cv += s * bv;
            }
        }
    }
}

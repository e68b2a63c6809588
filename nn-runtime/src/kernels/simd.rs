//! Elementwise loops compiled once per instruction set and picked at run time.
//!
//! The crate is built for the baseline x86-64 target (SSE2) so that a user
//! needs no `RUSTFLAGS`. The bodies here are plain Rust written so that LLVM
//! vectorizes them (no libm calls, no data-dependent branches); each is
//! instantiated inside a `#[target_feature]` wrapper for AVX-512F and for
//! AVX2 + FMA, and the gemm's cached CPU detection picks the wrapper. The
//! results are bit for bit the same on every path: no FMA contraction is
//! ever implied (Rust does not contract `a * b + c`), and the explicit
//! [`fma`] rounds once on every path (an instruction on AVX2 and AVX-512,
//! libm's `fmaf` on the portable one, which is slow there).

use super::gemm::Path;

/// Calls `body` compiled for the best instruction set of this CPU.
///
/// `body` must be `#[inline(always)]`-friendly (a closure or inlined fns) so
/// that it is vectorized at the wrapper's features.
#[inline(always)]
pub fn dispatch<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512<R>(body: impl FnOnce() -> R) -> R {
            body()
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<R>(body: impl FnOnce() -> R) -> R {
            body()
        }
        match Path::detect() {
            // SAFETY: the path is only detected on a CPU with these features.
            Path::Avx512 => return unsafe { avx512(body) },
            Path::Avx2 => return unsafe { avx2(body) },
            Path::Portable => {}
        }
    }
    body()
}

/// A loop too large for [`dispatch`]'s closure to be inlined into its
/// per-instruction-set wrappers (LLVM's inliner then leaves it scalar):
/// implement `run` with `#[inline(always)]` and call [`dispatch_body`].
pub trait Body {
    /// What the loop returns.
    type Output;
    /// The loop; must be `#[inline(always)]`.
    fn run(self) -> Self::Output;
}

/// [`dispatch`] for a [`Body`], whose `run` is always inlined into the wrapper.
#[inline(always)]
pub fn dispatch_body<B: Body>(body: B) -> B::Output {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512<B: Body>(body: B) -> B::Output {
            body.run()
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<B: Body>(body: B) -> B::Output {
            body.run()
        }
        match Path::detect() {
            // SAFETY: the path is only detected on a CPU with these features.
            Path::Avx512 => return unsafe { avx512(body) },
            Path::Avx2 => return unsafe { avx2(body) },
            Path::Portable => {}
        }
    }
    body.run()
}

/// `exp(x)` for `x ≤ 0` (Cephes' `expf`: Cody-Waite reduction, degree-6
/// polynomial, within 2 ulp), branch-free so that it vectorizes. Inputs below
/// -87.3 give 0 and NaN stays NaN; positive inputs are not supported.
#[inline(always)]
pub fn exp_neg(x: f32) -> f32 {
    let (s, q) = exp_parts(x);
    let r = fma(s, q, s);
    if x < -87.3 {
        0.0
    } else {
        r
    }
}

/// `exp(x) - 1` for `x ≤ 0`, accurate near 0 (no cancellation) and
/// branch-free; -1 below -87.3, NaN stays NaN.
#[inline(always)]
pub fn expm1_neg(x: f32) -> f32 {
    let (s, q) = exp_parts(x);
    // 2^n (1 + q) - 1 = (2^n - 1) + 2^n q: exact (2^n - 1) for the n of |x| < ln2/2 (n = 0).
    let r = fma(s, q, s - 1.0);
    if x < -87.3 {
        -1.0
    } else {
        r
    }
}

/// `a · b + c` rounded once: one instruction in the AVX2 and AVX-512
/// bodies (half the latency of a multiply and an add, which is what bounds
/// the recurrent gates' chains of `exp`), libm's `fmaf` elsewhere.
#[inline(always)]
pub fn fma(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(feature = "std")]
    return a.mul_add(b, c);
    #[cfg(not(feature = "std"))]
    return libm::fmaf(a, b, c);
}

/// `exp(x) = s (1 + q)` with `s = 2^n`, `q = e^r - 1`, `|r| ≤ ln2 / 2`.
#[inline(always)]
fn exp_parts(x: f32) -> (f32, f32) {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4; // ln 2, high part (exact in a few bits)
    const C2: f32 = -2.121_944_4e-4; // ln 2 - C1
                                     // 1.5 * 2^23: adding it rounds to an integer.
    const ROUND: f32 = 12_582_912.0;
    // Clamped to [-87, 0] so that 2^n stays a normal number (callers select
    // another value outside); `clamp` keeps NaN.
    let xc = x.clamp(-87.0, 0.0);
    let t = fma(xc, LOG2E, ROUND);
    let n = t - ROUND;
    let r = fma(-n, C2, fma(-n, C1, xc));
    // Cephes' polynomial (its 5.0000001e-1 is 0.5 in f32) in Estrin's
    // scheme: three independent pairs, then r² and r⁴, so that the chain of
    // dependent operations is about half of Horner's.
    let r2 = r * r;
    let p01 = fma(1.666_666_5e-1, r, 0.5);
    let p23 = fma(8.333_452e-3, r, 4.166_579_6e-2);
    let p45 = fma(1.987_569e-4, r, 1.398_199_9e-3);
    let p = fma(r2, fma(r2, p45, p23), p01);
    let q = fma(p, r2, r);
    // n is an integer in [-126, 0], and t = 1.5 * 2^23 + n holds it in its
    // low mantissa bits: 2^n from integer operations on those bits (a float
    // to integer `as` cast, saturating, was not vectorized: a scalar loop
    // over the lanes took a fifth of the recurrent gates' time).
    let n_int = t.to_bits().wrapping_sub(ROUND.to_bits());
    let s = f32::from_bits(n_int.wrapping_add(127) << 23);
    (s, q)
}

/// Whether any of `v` is NaN or infinite, as a vectorizable reduction.
#[inline]
pub fn any_non_finite(v: &[f32]) -> bool {
    dispatch(|| {
        // The largest magnitude's bits; non-finite values have all exponent bits set.
        let mut acc = [0u32; 16];
        let mut chunks = v.chunks_exact(16);
        for c in &mut chunks {
            for (a, x) in acc.iter_mut().zip(c) {
                *a = (*a).max(x.to_bits() & 0x7fff_ffff);
            }
        }
        let mut m = acc.iter().copied().max().unwrap_or(0);
        for x in chunks.remainder() {
            m = m.max(x.to_bits() & 0x7fff_ffff);
        }
        m >= 0x7f80_0000
    })
}

/// [`any_non_finite`] on the two threads of [`super::gemm::run2`] for a
/// long slice (a large gradient), on this thread otherwise.
#[cfg(feature = "std")]
pub fn any_non_finite_par(v: &[f32]) -> bool {
    use core::sync::atomic::{AtomicBool, Ordering};
    if v.len() < PAR_MIN_LEN {
        return any_non_finite(v);
    }
    let half = (v.len() / 2).div_ceil(16) * 16;
    let bad = AtomicBool::new(false);
    super::gemm::run2(&|part: usize| {
        let s = if part == 0 { &v[..half] } else { &v[half..] };
        if any_non_finite(s) {
            bad.store(true, Ordering::Relaxed);
        }
    });
    bad.into_inner()
}

/// Elements from which an elementwise pass over a tensor is split between
/// the two threads (below, the hand-off costs more than it saves).
#[cfg(feature = "std")]
pub const PAR_MIN_LEN: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_libm() {
        let mut worst = 0.0f64;
        let mut x = -90.0f32;
        while x <= 0.0 {
            let want = f64::from(x).exp();
            let got = f64::from(exp_neg(x));
            if want > 1e-37 {
                worst = worst.max((got - want).abs() / want);
            }
            let want1 = f64::from(x).exp_m1();
            let got1 = f64::from(expm1_neg(x));
            assert!((got1 - want1).abs() <= 2.5e-7 * want1.abs().max(1e-30) + 1e-38, "expm1({x}) = {got1} vs {want1}");
            x += 0.000_37;
        }
        assert!(worst < 2.5e-7, "exp relative error {worst:e}");
        assert!(exp_neg(f32::NAN).is_nan() && expm1_neg(f32::NAN).is_nan());
        assert_eq!(exp_neg(-1000.0), 0.0);
        assert_eq!(expm1_neg(f32::NEG_INFINITY), -1.0);
        assert_eq!(exp_neg(0.0), 1.0);
        assert_eq!(expm1_neg(0.0), 0.0);
        assert_eq!(expm1_neg(-0.0), 0.0);
    }

    #[test]
    fn non_finite_scan() {
        let mut v = vec![1.0f32; 100];
        assert!(!any_non_finite(&v));
        v[37] = f32::INFINITY;
        assert!(any_non_finite(&v));
        v[37] = 0.0;
        v[99] = f32::NAN;
        assert!(any_non_finite(&v));
        v[99] = -f32::MAX;
        assert!(!any_non_finite(&v));
    }
}

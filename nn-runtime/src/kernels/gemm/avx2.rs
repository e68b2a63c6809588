//! AVX2 + FMA kernels (8-wide `f32` vectors).

use core::arch::x86_64::*;

use super::MicroKernel;

/// 6 × 16 micro-kernel: 12 `ymm` accumulators.
pub(super) struct Kernel;

const MR: usize = 6;
const NR: usize = 16;

/// Rows `i < mr` of a tile's accumulators `acc` into `c` as `alpha·acc +
/// beta·c` (`c` not read when `beta` is 0); with `masked`, only the lanes of
/// `mask`. A macro, so that it is inlined into each kernel.
macro_rules! store {
    ($acc:expr, $mr:expr, $c:expr, $ldc:expr, $alpha:expr, $beta:expr, $mask:expr, $masked:expr) => {{
        let (va, vb) = (_mm256_set1_ps($alpha), _mm256_set1_ps($beta));
        for (i, acc) in $acc.iter().enumerate().take($mr) {
            for (v, acc) in acc.iter().enumerate() {
                let p = $c.add(i * $ldc + 8 * v);
                let r = if $alpha == 1.0 { *acc } else { _mm256_mul_ps(*acc, va) };
                if $masked {
                    let r = if $beta == 0.0 { r } else { _mm256_fmadd_ps(vb, _mm256_maskload_ps(p, $mask[v]), r) };
                    _mm256_maskstore_ps(p, $mask[v], r);
                } else {
                    let r = if $beta == 0.0 { r } else { _mm256_fmadd_ps(vb, _mm256_loadu_ps(p), r) };
                    _mm256_storeu_ps(p, r);
                }
            }
        }
    }};
}

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
        tile::<false>(kc, a, b, bs, c, ldc, alpha, beta, MR, NR)
    }

    const DIRECT_EDGE: bool = true;

    unsafe fn micro_edge(
        kc: usize,
        a: *const f32,
        b: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        alpha: f32,
        beta: f32,
        mr: usize,
        nr: usize,
    ) {
        if nr == NR {
            tile::<false>(kc, a, b, bs, c, ldc, alpha, beta, mr, NR)
        } else {
            tile::<true>(kc, a, b, bs, c, ldc, alpha, beta, mr, nr)
        }
    }

    const DIRECT_A: bool = true;

    unsafe fn micro_a(
        kc: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        alpha: f32,
        beta: f32,
        nr: usize,
    ) {
        if nr == NR {
            micro_direct::<false>(kc, a, lda, b, bs, c, ldc, alpha, beta, NR)
        } else {
            micro_direct::<true>(kc, a, lda, b, bs, c, ldc, alpha, beta, nr)
        }
    }

    unsafe fn micro_windows(
        runs: usize,
        run: usize,
        line: usize,
        rows: &[*const f32; super::MR_MAX],
        b: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        mr: usize,
        nr: usize,
        bias: *const f32,
        relu: bool,
    ) {
        if nr == NR {
            micro_windows::<false>(runs, run, line, rows, b, bs, c, ldc, mr, NR, bias, relu)
        } else {
            micro_windows::<true>(runs, run, line, rows, b, bs, c, ldc, mr, nr, bias, relu)
        }
    }

    unsafe fn pack_a(kc: usize, rows: usize, src: *const f32, ld: usize, dst: *mut f32) {
        pack_a(kc, rows, src, ld, dst)
    }

    unsafe fn pack_b(kc: usize, src: *const f32, ld: usize, dst: *mut f32) {
        pack_b(kc, src, ld, dst)
    }

    unsafe fn pack_bt(kc: usize, nr: usize, src: *const f32, ld: usize, dst: *mut f32) {
        pack_bt::<NR>(kc, nr, src, ld, dst)
    }
}

/// Lane masks of the first `w ≤ 16` columns of a tile (two vectors of 8).
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn lanes(w: usize) -> [__m256i; 2] {
    let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let w = w as i32;
    [_mm256_cmpgt_epi32(_mm256_set1_epi32(w), idx), _mm256_cmpgt_epi32(_mm256_set1_epi32(w - 8), idx)]
}

/// An `MR × NR` tile with `a` read in place (row `i` at `a + i*lda`, all `MR`
/// rows present) instead of from a packed panel: for products whose `a`
/// panels would serve few tiles (narrow `n`: im2col). With `MASKED`, only
/// the first `nr` columns of `b` and `c` are read and written.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_direct<const MASKED: bool>(
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    alpha: f32,
    beta: f32,
    nr: usize,
) {
    let mask = lanes(nr);
    let rows: [*const f32; MR] = core::array::from_fn(|i| a.add(i * lda));
    let acc = sums_in_place::<MASKED>(1, kc, 0, &rows, b, bs, mask);
    store!(acc, MR, c, ldc, alpha, beta, mask, MASKED);
}

/// [`MicroKernel::micro_windows`]; with `MASKED`, only the first `nr`
/// columns of `b` and `c` are read and written.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_windows<const MASKED: bool>(
    runs: usize,
    run: usize,
    line: usize,
    rows: &[*const f32; super::MR_MAX],
    b: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    mr: usize,
    nr: usize,
    bias: *const f32,
    relu: bool,
) {
    let mask = lanes(nr);
    let rows: [*const f32; MR] = core::array::from_fn(|i| rows[i]);
    let mut acc = sums_in_place::<MASKED>(runs, run, line, &rows, b, bs, mask);
    if !bias.is_null() {
        for v in 0..2 {
            let p = bias.add(8 * v);
            let bv = if MASKED { _mm256_maskload_ps(p, mask[v]) } else { _mm256_loadu_ps(p) };
            for acc in &mut acc {
                acc[v] = _mm256_add_ps(acc[v], bv);
            }
        }
    }
    if relu {
        // Kept where `v > 0` or NaN ("not less or equal", unordered true).
        let zero = _mm256_setzero_ps();
        for acc in acc.iter_mut().flatten() {
            *acc = _mm256_and_ps(_mm256_cmp_ps::<_CMP_NLE_UQ>(*acc, zero), *acc);
        }
    }
    store!(acc, mr, c, ldc, 1.0, 0.0, mask, MASKED);
}

/// The `MR × NR` sums of a tile whose `a` is read in place: row `i` is
/// `runs` runs of `run` floats, run `r` at `rows[i] + r·line` (one run of
/// `kc` for a row-major `a`, the `kh` runs of a window for a convolution);
/// `b` row `p` at `b + p·bs`, with `MASKED` only the lanes of `mask` read.
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn sums_in_place<const MASKED: bool>(
    runs: usize,
    run: usize,
    line: usize,
    rows: &[*const f32; MR],
    b: *const f32,
    bs: usize,
    mask: [__m256i; 2],
) -> [[__m256; 2]; MR] {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    let mut b = b;
    for r in 0..runs {
        let off = r * line;
        for p in off..off + run {
            let (b0, b1) = if MASKED {
                (_mm256_maskload_ps(b, mask[0]), _mm256_maskload_ps(b.add(8), mask[1]))
            } else {
                (_mm256_loadu_ps(b), _mm256_loadu_ps(b.add(8)))
            };
            for (acc, row) in acc.iter_mut().zip(rows) {
                let ai = _mm256_broadcast_ss(&*row.add(p));
                acc[0] = _mm256_fmadd_ps(ai, b0, acc[0]);
                acc[1] = _mm256_fmadd_ps(ai, b1, acc[1]);
            }
            b = b.add(bs);
        }
    }
    acc
}

/// A tile from a packed `a` panel, rows `i < mr` of it stored; with
/// `MASKED`, only the first `nr` columns of `b` and `c` are read and written.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const MASKED: bool>(
    kc: usize,
    a: *const f32,
    b: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    alpha: f32,
    beta: f32,
    mr: usize,
    nr: usize,
) {
    // The tile of c is fetched while the products run.
    for i in 0..mr {
        _mm_prefetch::<_MM_HINT_T0>(c.add(i * ldc) as *const i8);
        _mm_prefetch::<_MM_HINT_T0>(c.add(i * ldc + NR - 1) as *const i8);
    }
    let mask = lanes(nr);
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let (b0, b1) = if MASKED {
            (_mm256_maskload_ps(b, mask[0]), _mm256_maskload_ps(b.add(8), mask[1]))
        } else {
            (_mm256_loadu_ps(b), _mm256_loadu_ps(b.add(8)))
        };
        for (i, acc) in acc.iter_mut().enumerate() {
            let ai = _mm256_broadcast_ss(&*a.add(i));
            acc[0] = _mm256_fmadd_ps(ai, b0, acc[0]);
            acc[1] = _mm256_fmadd_ps(ai, b1, acc[1]);
        }
        a = a.add(MR);
        b = b.add(bs);
    }
    store!(acc, mr, c, ldc, alpha, beta, mask, MASKED);
}

/// The 8 × 8 transpose of `r` (row `i` of the result is column `i` of `r`).
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ]
}

/// Packs a sliver of a transposed `b` (see [`MicroKernel::pack_bt`]) with 8 × 8
/// register transposes; shared with the AVX-512 kernel.
///
/// # Safety
/// As [`MicroKernel::pack_bt`], on a CPU with AVX2.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn pack_bt<const W: usize>(kc: usize, nr: usize, src: *const f32, ld: usize, dst: *mut f32) {
    let full_j = nr / 8 * 8;
    let kc8 = kc / 8 * 8;
    for jb in (0..full_j).step_by(8) {
        let s = src.add(jb * ld);
        for pb in (0..kc8).step_by(8) {
            let cols = transpose8(core::array::from_fn(|i| _mm256_loadu_ps(s.add(i * ld + pb))));
            let d = dst.add(pb * W + jb);
            for (p, col) in cols.iter().enumerate() {
                _mm256_storeu_ps(d.add(p * W), *col);
            }
        }
        for p in kc8..kc {
            for t in 0..8 {
                *dst.add(p * W + jb + t) = *s.add(t * ld + p);
            }
        }
    }
    if full_j < W {
        for p in 0..kc {
            for j in full_j..W {
                *dst.add(p * W + j) = if j < nr { *src.add(j * ld + p) } else { 0.0 };
            }
        }
    }
}

/// [`MicroKernel::pack_a`] for the 6-row panel: 8 × 8 register transposes of
/// the six rows (and two zero rows), six floats stored per column of `a`.
///
/// # Safety
/// As [`MicroKernel::pack_a`], on a CPU with AVX2.
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_a(kc: usize, rows: usize, src: *const f32, ld: usize, dst: *mut f32) {
    let kc8 = if rows == MR { kc / 8 * 8 } else { 0 };
    for pb in (0..kc8).step_by(8) {
        let zero = _mm256_setzero_ps();
        let cols =
            transpose8(core::array::from_fn(|i| if i < MR { _mm256_loadu_ps(src.add(i * ld + pb)) } else { zero }));
        for (p, col) in cols.iter().enumerate() {
            let d = dst.add((pb + p) * MR);
            _mm_storeu_ps(d, _mm256_castps256_ps128(*col));
            _mm_storel_epi64(d.add(4) as *mut __m128i, _mm_castps_si128(_mm256_extractf128_ps::<1>(*col)));
        }
    }
    for p in kc8..kc {
        for i in 0..MR {
            *dst.add(p * MR + i) = if i < rows { *src.add(i * ld + p) } else { 0.0 };
        }
    }
}

/// AVX2 version of [`super::portable::gemv`]: up to 4 rows of `c` at once, 32
/// columns per pass, each row of `b` read once.
///
/// # Safety
/// As [`super::portable::gemv`], on a CPU with AVX2 and FMA; `m ≤ 4`.
#[target_feature(enable = "avx2,fma")]
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
    match m {
        1 => gemv_rows::<1>(k, n, ld, alpha, a, rsa, csa, b, beta, c),
        2 => gemv_rows::<2>(k, n, ld, alpha, a, rsa, csa, b, beta, c),
        3 => gemv_rows::<3>(k, n, ld, alpha, a, rsa, csa, b, beta, c),
        _ => gemv_rows::<4>(k, n, ld, alpha, a, rsa, csa, b, beta, c),
    }
}

#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn gemv_rows<const M: usize>(
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
    let mut j = 0;
    // One row: eight independent accumulators (64 columns), so that the
    // FMA latency does not bound the stream of b.
    while M == 1 && j + 64 <= n {
        gemv_block::<M, 8, false>(k, n, ld, alpha, a, rsa, csa, b, beta, c, j);
        j += 64;
    }
    while j + 32 <= n {
        gemv_block::<M, 4, false>(k, n, ld, alpha, a, rsa, csa, b, beta, c, j);
        j += 32;
    }
    while j + 8 <= n {
        gemv_block::<M, 1, false>(k, n, ld, alpha, a, rsa, csa, b, beta, c, j);
        j += 8;
    }
    if j < n {
        // The last 1..7 columns with masked loads and stores: the same fused
        // multiply-adds as every other column (and as the blocked kernel).
        gemv_block::<M, 1, true>(k, n, ld, alpha, a, rsa, csa, b, beta, c, j);
    }
}

#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn gemv_block<const M: usize, const V: usize, const MASKED: bool>(
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
    j: usize,
) {
    // With MASKED (one vector), the last n - j < 8 columns.
    let mask = lanes(n - j);
    let mut acc = [[_mm256_setzero_ps(); V]; M];
    let mut bp = b.add(j);
    for p in 0..k {
        // The rows six ahead are fetched into L1 (a stride of n floats
        // that the hardware prefetchers follow late); an address past b is
        // only a hint, never read.
        if V == 8 {
            for l in 0..4 {
                _mm_prefetch::<_MM_HINT_T0>(bp.wrapping_add(6 * ld + 16 * l) as *const i8);
            }
        }
        let mut bv = [_mm256_setzero_ps(); V];
        for (v, bv) in bv.iter_mut().enumerate() {
            *bv = if MASKED { _mm256_maskload_ps(bp, mask[0]) } else { _mm256_loadu_ps(bp.add(8 * v)) };
        }
        for (i, acc) in acc.iter_mut().enumerate() {
            let ai = _mm256_broadcast_ss(&*a.add(i * rsa + p * csa));
            for v in 0..V {
                acc[v] = _mm256_fmadd_ps(ai, bv[v], acc[v]);
            }
        }
        bp = bp.add(ld);
    }
    store!(acc, M, c.add(j), ld, alpha, beta, mask, MASKED);
}

/// [`MicroKernel::pack_b`] with this instruction set's vector moves.
///
/// # Safety
/// As [`MicroKernel::pack_b`].
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_b(kc: usize, src: *const f32, ld: usize, dst: *mut f32) {
    super::copy_rows::<NR>(kc, NR, src, ld, dst)
}

//! AVX-512F kernels (16-wide `f32` vectors, masked tails).

use core::arch::x86_64::*;

use super::MicroKernel;

/// 8 × 32 micro-kernel: 16 `zmm` accumulators.
pub(super) struct Kernel;

const MR: usize = 8;
const NR: usize = 32;

/// `c = alpha · acc + beta · c` for rows `i < mr` of a tile, lanes outside
/// `mask` neither read nor written (`c` not read when `beta` is 0); a macro,
/// so that the accumulators stay in registers (a `#[target_feature]` function
/// was not inlined into every kernel).
macro_rules! store_tile {
    ($acc:expr, $mr:expr, $c:expr, $ldc:expr, $alpha:expr, $beta:expr, $mask:expr) => {{
        let (va, vb) = (_mm512_set1_ps($alpha), _mm512_set1_ps($beta));
        for (i, acc) in $acc.iter().enumerate().take($mr) {
            for (v, acc) in acc.iter().enumerate() {
                let p = $c.add(i * $ldc + 16 * v);
                let r = if $alpha == 1.0 { *acc } else { _mm512_mul_ps(*acc, va) };
                let r = if $beta == 0.0 { r } else { _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps($mask[v], p), r) };
                _mm512_mask_storeu_ps(p, $mask[v], r);
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
        micro(kc, a, b, bs, c, ldc, alpha, beta)
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
        if nr <= 16 {
            micro_masked::<1>(kc, a, b, bs, c, ldc, alpha, beta, mr, masks(nr))
        } else {
            micro_masked::<2>(kc, a, b, bs, c, ldc, alpha, beta, mr, masks(nr))
        }
    }

    // Measured on Sapphire Rapids: the seed model's batch-1000 inference
    // 1.094 over 7 rounds, as its 256-row pieces no longer pack each layer's
    // kernel (8 % of the time); within 1 % on training and the other models.
    const IN_PLACE_B: bool = true;

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
        let m = masks(nr);
        if nr == NR {
            micro_direct::<2, true>(kc, a, lda, b, bs, c, ldc, alpha, beta, m)
        } else if nr <= 16 {
            micro_direct::<1, false>(kc, a, lda, b, bs, c, ldc, alpha, beta, m)
        } else {
            micro_direct::<2, false>(kc, a, lda, b, bs, c, ldc, alpha, beta, m)
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
        let m = masks(nr);
        if nr == NR {
            micro_windows::<2, true>(runs, run, line, rows, b, bs, c, ldc, mr, m, bias, relu)
        } else if nr <= 16 {
            micro_windows::<1, false>(runs, run, line, rows, b, bs, c, ldc, mr, m, bias, relu)
        } else {
            micro_windows::<2, false>(runs, run, line, rows, b, bs, c, ldc, mr, m, bias, relu)
        }
    }

    unsafe fn pack_a(kc: usize, rows: usize, src: *const f32, ld: usize, dst: *mut f32) {
        super::avx2::pack_bt::<MR>(kc, rows, src, ld, dst)
    }

    unsafe fn pack_b(kc: usize, src: *const f32, ld: usize, dst: *mut f32) {
        pack_b(kc, src, ld, dst)
    }

    unsafe fn pack_bt(kc: usize, nr: usize, src: *const f32, ld: usize, dst: *mut f32) {
        super::avx2::pack_bt::<NR>(kc, nr, src, ld, dst)
    }
}

#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro(kc: usize, a: *const f32, b: *const f32, bs: usize, c: *mut f32, ldc: usize, alpha: f32, beta: f32) {
    // The tile of c is fetched while the products run.
    for i in 0..MR {
        _mm_prefetch::<_MM_HINT_T0>(c.add(i * ldc) as *const i8);
        _mm_prefetch::<_MM_HINT_T0>(c.add(i * ldc + NR - 1) as *const i8);
    }
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let b0 = _mm512_loadu_ps(b);
        let b1 = _mm512_loadu_ps(b.add(16));
        for (i, acc) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(*a.add(i));
            acc[0] = _mm512_fmadd_ps(ai, b0, acc[0]);
            acc[1] = _mm512_fmadd_ps(ai, b1, acc[1]);
        }
        a = a.add(MR);
        b = b.add(bs);
    }
    let va = _mm512_set1_ps(alpha);
    let vb = _mm512_set1_ps(beta);
    for (i, acc) in acc.iter().enumerate() {
        for (v, acc) in acc.iter().enumerate() {
            let p = c.add(i * ldc + 16 * v);
            let r = if alpha == 1.0 { *acc } else { _mm512_mul_ps(*acc, va) };
            let r = if beta == 0.0 { r } else { _mm512_fmadd_ps(vb, _mm512_loadu_ps(p), r) };
            _mm512_storeu_ps(p, r);
        }
    }
}

/// An `MR × 16·NV` tile with `a` read in place (row `i` at `a + i*lda`, all
/// `MR` rows present) instead of from a packed panel: for products whose `a`
/// panel would be used by one or two tiles only (narrow `n`: im2col), where
/// packing it cost as much as the product. Lanes of `b` and `c` outside
/// `mask` are neither read nor written.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_direct<const NV: usize, const FULL: bool>(
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    alpha: f32,
    beta: f32,
    mask: [__mmask16; 2],
) {
    prefetch_tile::<NV>(c, ldc, MR);
    let rows: [*const f32; MR] = core::array::from_fn(|i| a.add(i * lda));
    let acc = sums_in_place::<NV, FULL>(1, kc, 0, &rows, b, bs, mask);
    store_tile!(acc, MR, c, ldc, alpha, beta, mask);
}

/// [`MicroKernel::micro_windows`] with `NV` vectors of 16 columns (lanes
/// outside `mask` neither read nor written).
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_windows<const NV: usize, const FULL: bool>(
    runs: usize,
    run: usize,
    line: usize,
    rows: &[*const f32; super::MR_MAX],
    b: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    mr: usize,
    mask: [__mmask16; 2],
    bias: *const f32,
    relu: bool,
) {
    prefetch_tile::<NV>(c, ldc, mr);
    let rows: [*const f32; MR] = core::array::from_fn(|i| rows[i]);
    let mut acc = sums_in_place::<NV, FULL>(runs, run, line, &rows, b, bs, mask);
    if !bias.is_null() {
        for v in 0..NV {
            let bv = _mm512_maskz_loadu_ps(mask[v], bias.add(16 * v));
            for acc in &mut acc {
                acc[v] = _mm512_add_ps(acc[v], bv);
            }
        }
    }
    if relu {
        // Kept where `v > 0` or NaN ("not less or equal", unordered true).
        let zero = _mm512_setzero_ps();
        for acc in acc.iter_mut().flatten() {
            *acc = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_NLE_UQ>(*acc, zero), *acc);
        }
    }
    store_tile!(acc, mr, c, ldc, 1.0, 0.0, mask);
}

/// The `MR × 16·NV` sums of a tile whose `a` is read in place: row `i` is
/// `runs` runs of `run` floats, run `r` at `rows[i] + r·line` (one run of
/// `kc` for a row-major `a`, the `kh` runs of a window for a convolution);
/// `b` row `p` at `b + p·bs`, lanes outside `mask` not read (`FULL`: every
/// lane, by plain loads; masked ones cost 7 % of `15488 × 288 · 288 × 64`).
// Not `#[target_feature]` (which cannot be `inline(always)`): inlined into
// its AVX-512 callers, whose features the intrinsics compile with.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn sums_in_place<const NV: usize, const FULL: bool>(
    runs: usize,
    run: usize,
    line: usize,
    rows: &[*const f32; MR],
    b: *const f32,
    bs: usize,
    mask: [__mmask16; 2],
) -> [[__m512; NV]; MR] {
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let mut b = b;
    // One step of `p`: row `p` of `b` times column `p` of the rows.
    let step = |acc: &mut [[__m512; NV]; MR], b: *const f32, p: usize| {
        let mut bv = [_mm512_setzero_ps(); NV];
        for (v, bv) in bv.iter_mut().enumerate() {
            *bv = if FULL { _mm512_loadu_ps(b.add(16 * v)) } else { _mm512_maskz_loadu_ps(mask[v], b.add(16 * v)) };
        }
        for (acc, row) in acc.iter_mut().zip(rows) {
            let ai = _mm512_set1_ps(*row.add(p));
            for v in 0..NV {
                acc[v] = _mm512_fmadd_ps(ai, bv[v], acc[v]);
            }
        }
    };
    for r in 0..runs {
        let (mut p, end) = (r * line, r * line + run);
        // Four steps at a time: the rows' addresses are computed once for
        // four broadcasts (at fixed offsets), not once per step.
        while p + 4 <= end {
            for u in 0..4 {
                step(&mut acc, b.add(u * bs), p + u);
            }
            b = b.add(4 * bs);
            p += 4;
        }
        while p < end {
            step(&mut acc, b, p);
            b = b.add(bs);
            p += 1;
        }
    }
    acc
}

/// The mask of the first `w ≤ 16` lanes.
fn lanes(w: usize) -> __mmask16 {
    ((1u32 << w) - 1) as __mmask16
}

/// The lane masks of the two vectors of a tile `nr ≤ 32` columns wide.
fn masks(nr: usize) -> [__mmask16; 2] {
    [lanes(nr.min(16)), lanes(nr.saturating_sub(16))]
}

/// Fetches rows `i < rows` of a tile of `c` (`NV` vectors each) while its
/// products run: the store at the end otherwise waits on lines from L3.
#[inline(always)]
unsafe fn prefetch_tile<const NV: usize>(c: *const f32, ldc: usize, rows: usize) {
    for i in 0..rows {
        for v in 0..NV {
            _mm_prefetch::<_MM_HINT_T0>(c.add(i * ldc + 16 * v) as *const i8);
        }
    }
}

/// Edge tile: `NV` vectors of 16 columns with lane masks `mask` (masked-off
/// lanes of `b` and `c` are neither read nor written), rows `i < mr` stored.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_masked<const NV: usize>(
    kc: usize,
    a: *const f32,
    b: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    alpha: f32,
    beta: f32,
    mr: usize,
    mask: [__mmask16; 2],
) {
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let mut bv = [_mm512_setzero_ps(); NV];
        for (v, bv) in bv.iter_mut().enumerate() {
            *bv = _mm512_maskz_loadu_ps(mask[v], b.add(16 * v));
        }
        for (i, acc) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(*a.add(i));
            for v in 0..NV {
                acc[v] = _mm512_fmadd_ps(ai, bv[v], acc[v]);
            }
        }
        a = a.add(MR);
        b = b.add(bs);
    }
    store_tile!(acc, mr, c, ldc, alpha, beta, mask);
}

/// AVX-512 version of [`super::portable::gemv`]: up to 4 rows of `c` at once, 64
/// columns per pass (masked loads and stores for the last 1..16), each row of `b`
/// read once.
///
/// # Safety
/// As [`super::portable::gemv`], on a CPU with AVX-512F; `m ≤ 4`.
#[target_feature(enable = "avx512f,avx2,fma")]
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

#[target_feature(enable = "avx512f,avx2,fma")]
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
    // When every row of `b` starts at the same offset within a cache line
    // (`ld` a multiple of 16), the vectors start `shift` columns early so that
    // each load is one aligned line; the first vector's low lanes are masked
    // off (neither read nor written). A line-split load costs two.
    let shift = if ld.is_multiple_of(16) { (b as usize / 4) % 16 } else { 0 };
    let (b, c, n) = (b.wrapping_sub(shift), c.wrapping_sub(shift), n + shift);
    let low = !lanes(shift);
    let mut j = 0;
    // One row (predict_one): up to 20 accumulators, so that a layer up to 320
    // wide reads its weights in one sequential pass (the first layer of the
    // seed model streams 940 KB: one pass lets the prefetcher run ahead).
    if M == 1 {
        while j < n {
            // Exactly the vectors left (up to 20), so that only the first
            // and the last are masked loads.
            let vecs = (n - j).div_ceil(16).min(20);
            macro_rules! wide {
                ($($v:literal)*) => {
                    match vecs {
                        $($v => gemv_wide::<$v>(k, n, ld, alpha, a, csa, b, beta, c, j, low),)*
                        _ => unreachable!(),
                    }
                };
            }
            wide!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20);
            j += 16 * vecs;
        }
        return;
    }
    // Up to 16 accumulators: 128 columns per pass for one or two rows.
    if M <= 2 {
        while j + 128 <= n {
            gemv_block::<M, 8>(k, ld, alpha, a, rsa, csa, b, beta, c, j, [low, 0xFFFF]);
            j += 128;
        }
    }
    while j + 64 <= n {
        gemv_block::<M, 4>(k, ld, alpha, a, rsa, csa, b, beta, c, j, [low, 0xFFFF]);
        j += 64;
    }
    while j < n {
        let w = (n - j).min(16);
        gemv_block::<M, 1>(k, ld, alpha, a, rsa, csa, b, beta, c, j, [low, lanes(w)]);
        j += 16;
    }
}

/// Columns `j .. min(n, j + 16*V)` of one row; vectors past `n` are masked
/// off entirely (not read, not written), and at `j = 0` the first vector's
/// lanes outside `low`.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn gemv_wide<const V: usize>(
    k: usize,
    n: usize,
    ld: usize,
    alpha: f32,
    a: *const f32,
    csa: usize,
    b: *const f32,
    beta: f32,
    c: *mut f32,
    j: usize,
    low: __mmask16,
) {
    let mut mask = [0 as __mmask16; V];
    for (v, m) in mask.iter_mut().enumerate() {
        let start = j + 16 * v;
        *m = if start >= n { 0 } else { lanes((n - start).min(16)) };
    }
    if j == 0 {
        mask[0] &= low;
    }
    let mut acc = [_mm512_setzero_ps(); V];
    let mut bp = b.wrapping_add(j);
    for p in 0..k {
        let ai = _mm512_set1_ps(*a.add(p * csa));
        for v in 0..V {
            // Vectors between the first and the last are whole (plain loads,
            // which the multiply-add reads from memory itself).
            let bv = if v == 0 || v == V - 1 {
                _mm512_maskz_loadu_ps(mask[v], bp.wrapping_add(16 * v))
            } else {
                _mm512_loadu_ps(bp.wrapping_add(16 * v))
            };
            acc[v] = _mm512_fmadd_ps(ai, bv, acc[v]);
        }
        bp = bp.wrapping_add(ld);
    }
    let va = _mm512_set1_ps(alpha);
    let vb = _mm512_set1_ps(beta);
    for v in 0..V {
        let p = c.wrapping_add(j + 16 * v);
        let r = _mm512_mul_ps(acc[v], va);
        let r = if beta == 0.0 { r } else { _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], p), r) };
        _mm512_mask_storeu_ps(p, mask[v], r);
    }
}

/// Columns `j .. j + 16*V` of `M` rows; `edge[1]` masks the columns of the
/// last vector, and at `j = 0` `edge[0]` those of the first.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn gemv_block<const M: usize, const V: usize>(
    k: usize,
    ld: usize,
    alpha: f32,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    beta: f32,
    c: *mut f32,
    j: usize,
    edge: [__mmask16; 2],
) {
    let mut mask = [0xFFFF as __mmask16; V];
    mask[V - 1] = edge[1];
    if j == 0 {
        mask[0] &= edge[0];
    }
    let mut acc = [[_mm512_setzero_ps(); V]; M];
    let mut bp = b.wrapping_add(j);
    for p in 0..k {
        let mut bv = [_mm512_setzero_ps(); V];
        for (v, bv) in bv.iter_mut().enumerate() {
            // Masked-off lanes are not read (no fault outside b).
            *bv = _mm512_maskz_loadu_ps(mask[v], bp.wrapping_add(16 * v));
        }
        for (i, acc) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(*a.add(i * rsa + p * csa));
            for v in 0..V {
                acc[v] = _mm512_fmadd_ps(ai, bv[v], acc[v]);
            }
        }
        bp = bp.wrapping_add(ld);
    }
    let va = _mm512_set1_ps(alpha);
    let vb = _mm512_set1_ps(beta);
    for (i, acc) in acc.iter().enumerate() {
        for (v, acc) in acc.iter().enumerate() {
            let p = c.wrapping_add(i * ld + j + 16 * v);
            let r = _mm512_mul_ps(*acc, va);
            let r = if beta == 0.0 { r } else { _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], p), r) };
            _mm512_mask_storeu_ps(p, mask[v], r);
        }
    }
}

/// [`MicroKernel::pack_b`] with this instruction set's vector moves.
///
/// # Safety
/// As [`MicroKernel::pack_b`].
#[target_feature(enable = "avx512f")]
unsafe fn pack_b(kc: usize, src: *const f32, ld: usize, dst: *mut f32) {
    super::copy_rows::<NR>(kc, NR, src, ld, dst)
}

//! Matrix products. Every product of the library goes through [`sgemm`], so the
//! backend is chosen in one place.
//!
//! The kernels are our own and never touch the heap: packing buffers live on the
//! stack (at most [`MC`]`×`[`KC`] + [`KC`]`×64` floats, 160 KiB), and
//! with `std` a product of several row blocks packs `op(b)` once into one of
//! two static panels (`panel`, 4 MiB each), so a call allocates nothing,
//! first call included.
//!
//! * The instruction set is picked once at run time (cached in an atomic):
//!   AVX-512F (`avx512`), AVX2 + FMA (`avx2`) or plain Rust that the compiler
//!   vectorizes for the baseline target (`portable`, also the path off x86-64).
//! * `m ≤ 4` with `op(b)` not transposed (one sample through a `Dense` layer) takes
//!   a gemv-like path: each row of `b` is read once and multiplied by broadcast
//!   elements of `a`, nothing is packed. With `b` of 256–512 KiB (a recurrent
//!   step's kernel) and such calls less than the helper's spin apart, the
//!   columns are split between the two threads.
//! * Everything else goes through a BLIS-style blocked loop: `m` cut in row
//!   blocks packed into `MR`-row panels (outermost, so a block's rows of `c`
//!   stay in cache), `k` in blocks, `n` in slivers of `NR` columns. The k block
//!   makes a `b` sliver half the L1d and the row block is at most half the L2
//!   (cache sizes from `cpuid`). A sliver of a row-major `b` is read in
//!   place when few tiles of rows use it (with AVX-512 and a packed `a`,
//!   however many do), unless its rows are a multiple of 1 KiB apart;
//!   otherwise packed (contiguous; with 8×8 register transposes when
//!   `op(b)` is transposed). A row-major `a` is read in place, not packed,
//!   when `n` is at most 64 columns, each tile of its rows then multiplied
//!   by every sliver while it is in L1.
//! * Large products (`m·k·n` above [`PAR_MIN_FLOPS`]) are split by rows between
//!   the calling thread and one persistent helper thread (`pool`), started on
//!   the first such call; later calls hand it work without allocating.
//! * [`sgemm_windows`] multiplies the im2col of a stride-1, unpadded
//!   convolution by its kernel without building the im2col: the SIMD
//!   micro-kernels read each window's `kh` runs in place from the input, and
//!   a caller's pass (bias, activation) runs on each block of output rows
//!   while it is in L1.
//! * Without the `std` feature the instruction set is the one the target is
//!   compiled for (`-C target-feature` / `target-cpu`; no run-time detection
//!   exists in `core`) and every product stays on the calling thread.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(feature = "std")]
mod panel;
#[cfg(feature = "std")]
mod pool;
mod portable;
mod windows;

use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU8, Ordering};

use super::slot::Aligned;
pub use windows::{sgemm_windows, sgemm_windows_single_thread, Epilogue, Windows};

/// A row-major or transposed view of a matrix stored in a flat slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Stored as written: element (i, j) at `i * cols + j`.
    Normal,
    /// The transpose of what is stored: element (i, j) at `j * rows + i`.
    Transposed,
}

/// Deepest `k` block: one packed `A` panel of `MR × kc` and one `B` sliver of
/// `kc × NR` are reused across a block. The depth used is picked from the
/// L1 data cache at run time; this is the most the buffers hold.
pub const KC: usize = 256;
/// Rows of `op(a)` packed at once for the deepest block (a multiple of every
/// kernel's `MR`); shallower blocks pack more rows into the same buffer.
pub const MC: usize = 96;
/// Floats of the packed `A` block (the stack buffer).
const ABUF: usize = MC * KC;
/// Widest `NR` of the kernels (size of the stack sliver buffer).
const NR_MAX: usize = 32;
/// Widest product whose row-major `a` is read in place, not packed (two
/// AVX-512 slivers, four AVX2 ones).
const DIRECT_A_COLS: usize = 64;
/// Tallest `MR` of the kernels.
const MR_MAX: usize = 8;
/// Products with fewer multiply-adds (`m·k·n`) than this stay on one thread
/// (mnist_convnet's second convolution of one sample, 2.2 M, takes about
/// 17 µs on one Zen 5 core and 10 µs on two: predict_one 51 -> 41 µs).
pub const PAR_MIN_FLOPS: usize = 1 << 21;
/// The same for a split by columns (few rows: a small batch through a wide
/// layer); waking the helper costs a few microseconds, a product this size
/// takes about 40 µs on one core.
pub const PAR_MIN_FLOPS_COLS: usize = 1 << 21;

/// Floats of `b` (`k · n`) for which a product of at most four rows is
/// split by columns between the two threads (each streams its half from its
/// own L2): 256 to 512 KiB. Zen 4, `1 × 128 · 128 × 512` (LSTM(128)'s step)
/// back to back: 3.5 → 2.1–2.5 µs; `examples/bench --model lstm`, medians of
/// six interleaved runs: `predict_step` 4.94 → 4.13 µs, `predict_one`
/// 132 → 113 µs. `1 × 300 · 300 × 100` (120 KB) and `1 × 784 · 784 × 300`
/// (940 KB) gained nothing.
#[cfg(feature = "std")]
const GEMV_SPLIT: core::ops::RangeInclusive<usize> = 1 << 16..=1 << 17;
/// One-row products split so far (tests check that the split runs).
#[cfg(all(test, feature = "std"))]
static GEMV_SPLITS: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Rows of this CPU's micro-kernel tile (6 with AVX2, 8 with AVX-512, 4
/// portable): products of a multiple of it rows leave no tile part empty.
pub fn tile_rows() -> usize {
    Path::detect().tile_rows()
}

/// Instruction set of a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// AVX-512F micro-kernel (8 × 32), AVX-512 gemv.
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX2 + FMA micro-kernel (6 × 16), AVX2 gemv.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Plain Rust (4 × 16), vectorized by the compiler for the baseline target.
    Portable,
}

impl Path {
    /// Rows of this path's micro-kernel tile.
    pub(crate) fn tile_rows(self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => avx512::Kernel::MR,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => avx2::Kernel::MR,
            Path::Portable => portable::Kernel::MR,
        }
    }

    /// The best path this CPU supports, detected once.
    pub(crate) fn detect() -> Path {
        static CACHE: AtomicU8 = AtomicU8::new(0);
        let code = match CACHE.load(Ordering::Relaxed) {
            0 => {
                let code = Self::probe();
                CACHE.store(code, Ordering::Relaxed);
                code
            }
            code => code,
        };
        match code {
            #[cfg(target_arch = "x86_64")]
            1 => Path::Avx512,
            #[cfg(target_arch = "x86_64")]
            2 => Path::Avx2,
            _ => Path::Portable,
        }
    }

    #[cfg(feature = "std")]
    fn probe() -> u8 {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            if avx2 && is_x86_feature_detected!("avx512f") {
                return 1;
            }
            if avx2 {
                return 2;
            }
        }
        3
    }

    /// Without `std`: the best path the target is compiled for.
    #[cfg(not(feature = "std"))]
    fn probe() -> u8 {
        if cfg!(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")) {
            if cfg!(target_feature = "avx512f") {
                return 1;
            }
            return 2;
        }
        3
    }

    /// Every path this CPU can run (for tests and benchmarks).
    #[cfg(feature = "std")]
    #[allow(dead_code)]
    pub(crate) fn available() -> Vec<Path> {
        let best = Self::detect();
        let mut v = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if best == Path::Avx512 {
                v.push(Path::Avx512);
            }
            if best == Path::Avx512 || best == Path::Avx2 {
                v.push(Path::Avx2);
            }
        }
        let _ = best;
        v.push(Path::Portable);
        v
    }
}

/// Data cache sizes per core in bytes (L1d, L2), read once from `cpuid`
/// (leaf 4 on Intel, 0x8000_001D on AMD); 32 KiB / 1 MiB when unknown.
pub(crate) fn cache_sizes() -> (usize, usize) {
    use core::sync::atomic::AtomicUsize;
    static L1: AtomicUsize = AtomicUsize::new(0);
    static L2: AtomicUsize = AtomicUsize::new(0);
    let l1 = L1.load(Ordering::Relaxed);
    if l1 != 0 {
        return (l1, L2.load(Ordering::Relaxed));
    }
    let (mut l1, mut l2) = (32 << 10, 1 << 20);
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: cpuid exists on every x86-64 CPU; leaves above the maximum
        // the CPU reports are not queried. (`unsafe` for toolchains where
        // `__cpuid` still is.)
        #[allow(unused_unsafe)]
        unsafe {
            use core::arch::x86_64::__cpuid;
            let max = __cpuid(0).eax;
            let ext_max = __cpuid(0x8000_0000).eax;
            let leaf = if max >= 4 && __cpuid(0).ebx == 0x756e_6547 {
                Some(4) // "Genu"ineIntel
            } else if ext_max >= 0x8000_001D {
                Some(0x8000_001D)
            } else {
                None
            };
            if let Some(leaf) = leaf {
                for sub in 0..8 {
                    let r = core::arch::x86_64::__cpuid_count(leaf, sub);
                    let kind = r.eax & 0x1F;
                    if kind == 0 {
                        break;
                    }
                    let level = (r.eax >> 5) & 7;
                    let bytes =
                        (((r.ebx >> 22) + 1) * (((r.ebx >> 12) & 0x3FF) + 1) * ((r.ebx & 0xFFF) + 1) * (r.ecx + 1))
                            as usize;
                    match (level, kind) {
                        (1, 1) => l1 = bytes,
                        (2, 2 | 3) => l2 = bytes,
                        _ => {}
                    }
                }
            }
        }
    }
    l1 = l1.clamp(16 << 10, 1 << 20);
    l2 = l2.clamp(128 << 10, 64 << 20);
    L2.store(l2, Ordering::Relaxed);
    L1.store(l1, Ordering::Relaxed);
    (l1, l2)
}

/// Block sizes of the blocked loop for a kernel's tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Blocking {
    /// Depth of a `k` block: a packed `B` sliver (`kc × NR`) takes half the L1d.
    kc: usize,
    /// Rows of a packed `A` block (`mc × kc`): at most half the L2, and what
    /// the stack buffer holds; a multiple of `MR`.
    mc: usize,
}

impl Blocking {
    fn new(mr: usize, nr: usize, (l1, l2): (usize, usize)) -> Blocking {
        let kc = (l1 / 2 / (nr * 4)).clamp(64, KC) / 8 * 8;
        let mc = (l2 / 2 / (kc * 4)).min(ABUF / kc).max(mr) / mr * mr;
        Blocking { kc, mc }
    }
}

/// `c = alpha * op(a) · op(b) + beta * c`, with `op(a)` of shape `m × k`,
/// `op(b)` of shape `k × n`, and `c` a row-major `m × n` matrix.
///
/// `beta = 0` overwrites `c` (its old content, even NaN, is ignored). Never
/// allocates (the first product large enough to be split between two threads
/// starts the helper thread once).
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    la: Layout,
    b: &[f32],
    lb: Layout,
    beta: f32,
    c: &mut [f32],
) {
    sgemm_on(Path::detect(), true, m, k, n, alpha, a, la, b, lb, beta, c);
}

/// [`sgemm`] on the calling thread only (never hands work to the helper thread).
#[allow(clippy::too_many_arguments)]
pub fn sgemm_single_thread(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    la: Layout,
    b: &[f32],
    lb: Layout,
    beta: f32,
    c: &mut [f32],
) {
    sgemm_on(Path::detect(), false, m, k, n, alpha, a, la, b, lb, beta, c);
}

/// [`sgemm`] on a given path, optionally with the helper thread.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm_on(
    path: Path,
    threads: bool,
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    la: Layout,
    b: &[f32],
    lb: Layout,
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "sgemm: slice too short");
    let mat = Mat { m, k, n, a, la, b, lb, packed: None };
    run(path, threads, &mat, alpha, beta, c);
}

/// The right operand `op(b)` (`k × n`) of many products, packed once in the
/// layout this CPU's kernel reads (a recurrent kernel across the steps of a
/// batch): [`sgemm_packed`] then reads it without packing it again.
#[derive(Clone, Copy, Debug)]
pub struct PackedB<'a> {
    k: usize,
    n: usize,
    path: Path,
    data: &'a [f32],
}

impl<'a> PackedB<'a> {
    /// Floats of room [`PackedB::pack`] needs for a `k × n` operand (with
    /// room to start it on a cache line).
    pub const fn len(k: usize, n: usize) -> usize {
        k * n.div_ceil(NR_MAX) * NR_MAX + LINE_FLOATS
    }

    /// Packs `op(b)` (`k × n`, stored as `lb` says) into `buf` (at least
    /// [`PackedB::len`] floats).
    ///
    /// # Panics
    /// If `b` or `buf` is too short.
    pub fn pack(k: usize, n: usize, b: &[f32], lb: Layout, buf: &'a mut [f32]) -> PackedB<'a> {
        Self::pack_on(Path::detect(), k, n, b, lb, buf)
    }

    /// [`PackedB::pack`] for the kernel of `path`.
    fn pack_on(path: Path, k: usize, n: usize, b: &[f32], lb: Layout, buf: &'a mut [f32]) -> PackedB<'a> {
        assert!(b.len() >= k * n && buf.len() >= Self::len(k, n), "PackedB::pack: slice too short");
        // On a cache line, as the panels are.
        let skip = buf.as_ptr().align_offset(LINE_FLOATS * 4).min(LINE_FLOATS);
        let buf = &mut buf[skip..];
        let mat = Mat { m: 0, k, n, a: &[], la: Layout::Normal, b, lb, packed: None };
        // SAFETY: buf holds k * n rounded up to NR_MAX floats, every kernel's
        // packed layout of op(b) (k × n rounded up to its NR).
        unsafe {
            match path {
                #[cfg(target_arch = "x86_64")]
                Path::Avx512 => pack_all::<avx512::Kernel>(&mat, buf.as_mut_ptr()),
                #[cfg(target_arch = "x86_64")]
                Path::Avx2 => pack_all::<avx2::Kernel>(&mat, buf.as_mut_ptr()),
                Path::Portable => pack_all::<portable::Kernel>(&mat, buf.as_mut_ptr()),
            }
        }
        PackedB { k, n, path, data: buf }
    }
}

/// [`sgemm`] with `op(b)` packed beforehand: `c = alpha · op(a) · b + beta · c`
/// for the `k × n` operand `b`, on the helper thread too when it pays.
///
/// # Panics
/// If `a` or `c` is too short.
pub fn sgemm_packed(m: usize, alpha: f32, a: &[f32], la: Layout, b: &PackedB, beta: f32, c: &mut [f32]) {
    let PackedB { k, n, path, data } = *b;
    assert!(a.len() >= m * k && c.len() >= m * n, "sgemm_packed: slice too short");
    let mat = Mat { m, k, n, a, la, b: data, lb: Layout::Normal, packed: Some(data) };
    run(path, true, &mat, alpha, beta, c);
}

/// Every sliver of every k block of `op(b)` into `dst`, in the order
/// [`blocked`] reads a packed operand: block `pc` at `pc · width`, its sliver
/// from column `jr` at `jr · kc` within it.
///
/// # Safety
/// `dst` holds `k · width` floats, `width` = `n` rounded up to `K::NR`.
unsafe fn pack_all<K: MicroKernel>(mat: &Mat, dst: *mut f32) {
    let Blocking { kc: kc_max, .. } = Blocking::new(K::MR, K::NR, cache_sizes());
    let (k, n) = (mat.k, mat.n);
    let width = n.div_ceil(K::NR) * K::NR;
    let kc_even = even_k_block(k, kc_max);
    let mut pc = 0;
    while pc < k {
        let kc = kc_even.min(k - pc);
        let mut jr = 0;
        while jr < n {
            pack_sliver::<K>(mat, pc, kc, jr, K::NR.min(n - jr), dst.add(sliver_at(pc, width, jr, kc)));
            jr += K::NR;
        }
        pc += kc;
    }
}

/// The depth of each of the equal k blocks (a multiple of 8, no thin last block).
fn even_k_block(k: usize, kc_max: usize) -> usize {
    k.div_ceil(k.div_ceil(kc_max)).div_ceil(8) * 8
}

/// One product `op(a) · b` of a sum that [`few_rows`] computes: `op(a)` is
/// `m × k`, `b` `k × n` row-major, both checked.
struct Term<'a> {
    k: usize,
    a: &'a [f32],
    la: Layout,
    b: &'a [f32],
}

/// `c = alpha · Σ op(a) · b + beta · c` over `terms`, for at most 4 rows of
/// `c`, by the few-row kernels: the terms one after the other on each range
/// of columns (each element sums the terms in order, its products in `p`
/// order, as separate calls would).
#[allow(clippy::too_many_arguments)]
fn few_rows(path: Path, threads: bool, m: usize, n: usize, terms: &[Term], alpha: f32, beta: f32, c: &mut [f32]) {
    let gemv = |j0: usize, j1: usize, c: *mut f32| {
        for (t, &Term { k, a, la, b }) in terms.iter().enumerate() {
            let beta = if t == 0 { beta } else { 1.0 };
            let (rsa, csa) = match la {
                Layout::Normal => (k, 1),
                Layout::Transposed => (1, m),
            };
            // SAFETY: the callers' asserts keep a[i*rsa + p*csa] (i < m, p < k),
            // b[p*n + j] (p < k, j < n) and c[i*n + j] inside the slices for
            // j0 ≤ j < j1 ≤ n, and the path was detected (or is the portable one).
            unsafe {
                let (b, c, w) = (b.as_ptr().add(j0), c.add(j0), j1 - j0);
                match path {
                    #[cfg(target_arch = "x86_64")]
                    Path::Avx512 => avx512::gemv(m, k, w, n, alpha, a.as_ptr(), rsa, csa, b, beta, c),
                    #[cfg(target_arch = "x86_64")]
                    Path::Avx2 => avx2::gemv(m, k, w, n, alpha, a.as_ptr(), rsa, csa, b, beta, c),
                    Path::Portable => portable::gemv(m, k, w, n, alpha, a.as_ptr(), rsa, csa, b, beta, c),
                }
            }
        }
    };
    // Weights this large stream from L2 at its bandwidth: each thread
    // streams half of the columns (each half stays in its core's L2 from
    // call to call), when such calls come close together.
    #[cfg(feature = "std")]
    {
        let floats = terms.iter().map(|t| t.k * n).sum::<usize>();
        if threads && GEMV_SPLIT.contains(&floats) && n >= 4 * LINE_FLOATS && !pool::busy() && pool::frequent() {
            #[cfg(test)]
            GEMV_SPLITS.fetch_add(1, Ordering::Relaxed);
            let split = (n / 2).div_ceil(LINE_FLOATS) * LINE_FLOATS;
            let cp = pool::SendPtr(c.as_mut_ptr());
            pool::run2(&|part: usize| {
                let (j0, j1) = if part == 0 { (0, split) } else { (split, n) };
                // Each part writes only its own columns of c.
                gemv(j0, j1, cp.get());
            });
            return;
        }
    }
    #[cfg(not(feature = "std"))]
    let _ = threads;
    gemv(0, n, c.as_mut_ptr());
}

/// `c = a₁ · b₁ + a₂ · b₂ + beta · c` for an `m × n` result: two products
/// summed (a recurrent step's input and state products), `aᵢ` `m × kᵢ` and
/// `bᵢ` `kᵢ × n` row-major with `kᵢ = bᵢ.len() / n`. A few rows are one pass
/// over each range of columns, split across the helper thread as [`sgemm`]
/// splits one product; more rows are two [`sgemm`] calls.
///
/// # Panics
/// If `n` is 0 with a nonempty `b₁` or `b₂`, or a slice is too short.
pub fn sgemm_sum(m: usize, n: usize, terms: [(&[f32], &[f32]); 2], beta: f32, c: &mut [f32]) {
    let [(a1, b1), (a2, b2)] = terms;
    let (k1, k2) = (b1.len().checked_div(n).unwrap_or(0), b2.len().checked_div(n).unwrap_or(0));
    assert!(
        k1 * n == b1.len() && k2 * n == b2.len() && a1.len() >= m * k1 && a2.len() >= m * k2 && c.len() >= m * n,
        "sgemm_sum: slice too short"
    );
    if m == 0 || n == 0 {
        return;
    }
    if m > 4 {
        sgemm(m, k1, n, 1.0, a1, Layout::Normal, b1, Layout::Normal, beta, c);
        sgemm(m, k2, n, 1.0, a2, Layout::Normal, b2, Layout::Normal, 1.0, c);
        return;
    }
    let terms = [Term { k: k1, a: a1, la: Layout::Normal, b: b1 }, Term { k: k2, a: a2, la: Layout::Normal, b: b2 }];
    few_rows(Path::detect(), true, m, n, &terms, 1.0, beta, &mut c[..m * n]);
}

/// A product whose slices were checked, on `path`.
fn run(path: Path, threads: bool, mat: &Mat, alpha: f32, beta: f32, c: &mut [f32]) {
    let Mat { m, k, n, a, la, b, lb, .. } = *mat;
    if m == 0 || n == 0 {
        return;
    }
    let c = &mut c[..m * n];
    if k == 0 || alpha == 0.0 {
        c.iter_mut().for_each(|v| *v = if beta == 0.0 { 0.0 } else { *v * beta });
        return;
    }
    if m <= 4 && lb == Layout::Normal && mat.packed.is_none() {
        few_rows(path, threads, m, n, &[Term { k, a, la, b }], alpha, beta, c);
        return;
    }
    #[cfg(feature = "std")]
    if threads {
        let flops = m.saturating_mul(k).saturating_mul(n);
        if split_on_two_threads(path, mat, flops, alpha, beta, c) {
            return;
        }
    }
    #[cfg(not(feature = "std"))]
    let _ = threads;
    // SAFETY: c holds m * n floats.
    unsafe { blocked_on(path, mat, 0, m, 0, n, alpha, beta, c.as_mut_ptr()) };
}

/// A large product cut in two halves, one on the helper thread; false (and
/// nothing done) when the product is too small for that to pay.
#[cfg(feature = "std")]
fn split_on_two_threads(path: Path, mat: &Mat, flops: usize, alpha: f32, beta: f32, c: &mut [f32]) -> bool {
    let (m, n) = (mat.m, mat.n);
    if pool::busy() {
        return false;
    }
    let by_cols = n >= 4 * NR_MAX && flops >= PAR_MIN_FLOPS_COLS;
    // A split by rows has each thread pack all of op(b) and half of op(a);
    // one by columns half of op(b) and all of op(a): rows when m ≥ n.
    if m >= 64 && flops >= PAR_MIN_FLOPS && !(by_cols && n > m) {
        // Two equal halves of the rows (cut at a multiple of 8; a cut at a
        // multiple of MC left 192 + 64 rows for a batch of 256).
        let split = (m / 2).div_ceil(8) * 8;
        let cp = pool::SendPtr(c.as_mut_ptr());
        pool::run2(&|part: usize| {
            let (r0, r1) = if part == 0 { (0, split) } else { (split, m) };
            // SAFETY: each part writes only its own rows of c (disjoint halves of
            // the split above), which outlive `run2`.
            unsafe { blocked_on(path, mat, r0, r1, 0, n, alpha, beta, cp.get().add(r0 * n)) };
        });
        return true;
    }
    if by_cols {
        // Fewer rows than columns (a small batch, a weight gradient): two
        // halves of the columns, cut at a multiple of the widest NR.
        let split = (n / 2).div_ceil(NR_MAX) * NR_MAX;
        let cp = pool::SendPtr(c.as_mut_ptr());
        pool::run2(&|part: usize| {
            let (j0, j1) = if part == 0 { (0, split) } else { (split, n) };
            // SAFETY: each part writes only its own columns of c (disjoint), which
            // outlive `run2`.
            unsafe { blocked_on(path, mat, 0, m, j0, j1, alpha, beta, cp.get()) };
        });
        return true;
    }
    false
}

/// Runs `f(0)` on the calling thread and `f(1)` on the helper thread (the one
/// large products are split with), and returns when both are done; both run
/// here when the helper is busy. Allocates nothing once the helper is started.
#[cfg(feature = "std")]
pub fn run2(f: &(dyn Fn(usize) + Sync)) {
    pool::run2(f);
}

#[cfg(feature = "std")]
pub use super::parallel::SharedMut;

/// Floats of a cache line.
const LINE_FLOATS: usize = 16;

/// The operands of a product.
struct Mat<'a> {
    m: usize,
    k: usize,
    n: usize,
    a: &'a [f32],
    la: Layout,
    b: &'a [f32],
    lb: Layout,
    /// `op(b)` already packed ([`PackedB`]): `b` and `lb` are not read.
    packed: Option<&'a [f32]>,
}

/// # Safety
/// `c` points at row `r0` of the `m × n` row-major result; rows `r0..r1`,
/// columns `j0..j1` of it are valid and not touched by anyone else meanwhile.
#[allow(clippy::too_many_arguments)]
unsafe fn blocked_on(
    path: Path,
    mat: &Mat,
    r0: usize,
    r1: usize,
    j0: usize,
    j1: usize,
    alpha: f32,
    beta: f32,
    c: *mut f32,
) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => blocked::<avx512::Kernel>(mat, r0, r1, j0, j1, alpha, beta, c),
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => blocked::<avx2::Kernel>(mat, r0, r1, j0, j1, alpha, beta, c),
        Path::Portable => blocked::<portable::Kernel>(mat, r0, r1, j0, j1, alpha, beta, c),
    }
}

/// A register-blocked micro-kernel and its packing helpers.
///
/// Implementations are only called on a CPU that has their instruction set.
trait MicroKernel {
    /// Rows of a micro-tile.
    const MR: usize;
    /// Columns of a micro-tile.
    const NR: usize;

    /// Tile `c[i*ldc + j] = alpha * Σ_p a[p*MR + i] · b[p*bs + j] + beta * c[i*ldc + j]`
    /// for `i < MR`, `j < NR`, `p < kc` (`beta = 0`: `c` is not read).
    ///
    /// # Safety
    /// The CPU has the kernel's features; `a` holds `kc*MR` floats, `b` rows
    /// `p < kc` hold `NR` floats each `bs` apart, `c` an `MR × NR` tile with row
    /// stride `ldc`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn micro(kc: usize, a: *const f32, b: *const f32, bs: usize, c: *mut f32, ldc: usize, alpha: f32, beta: f32);

    /// Whether [`MicroKernel::micro_edge`] reads a partial sliver of `b` in place
    /// (masked loads), so a non-transposed `b` never needs packing.
    const DIRECT_EDGE: bool = false;

    /// [`MicroKernel::micro`] for the top-left `mr × nr` corner of a tile only
    /// (`mr ≤ MR`, `nr ≤ NR`, at least one smaller): `c` is only touched there.
    ///
    /// # Safety
    /// As [`MicroKernel::micro`], with `c` an `mr × nr` tile; `b` rows hold `NR`
    /// floats, or `nr` if [`MicroKernel::DIRECT_EDGE`].
    #[allow(clippy::too_many_arguments)]
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
        let mut tile = [0f32; MR_MAX * NR_MAX];
        Self::micro(kc, a, b, bs, tile.as_mut_ptr(), Self::NR, 1.0, 0.0);
        for i in 0..mr {
            let row = core::slice::from_raw_parts_mut(c.add(i * ldc), nr);
            let t = &tile[i * Self::NR..i * Self::NR + nr];
            for (cv, tv) in row.iter_mut().zip(t) {
                *cv = if beta == 0.0 { alpha * tv } else { alpha * tv + beta * *cv };
            }
        }
    }

    /// Whether a row-major `b` is read in place by any number of tiles of
    /// rows when `a` is packed (unless its rows are a multiple of 1 KiB
    /// apart), not only by a few: the weights of a dense layer, used by every
    /// row block of a batch, are then never copied.
    const IN_PLACE_B: bool = false;

    /// Whether [`MicroKernel::micro_a`] exists (reads `a` in place).
    const DIRECT_A: bool = false;

    /// [`MicroKernel::micro_edge`] for all `MR` rows and `nr ≤ NR` columns,
    /// with row `i` of `a` read in place at `a + i*lda` (no packed panel);
    /// `b` as for a [`MicroKernel::DIRECT_EDGE`] kernel.
    ///
    /// # Safety
    /// As [`MicroKernel::micro_edge`]; rows `i < MR` of `a` hold `kc` floats;
    /// only called when [`MicroKernel::DIRECT_A`].
    #[allow(clippy::too_many_arguments)]
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
        let _ = (kc, a, lda, b, bs, c, ldc, alpha, beta, nr);
        unreachable!("micro_a on a kernel without DIRECT_A")
    }

    /// A tile `c = a · b` whose row `i` of `a` is `runs` runs of `run`
    /// floats, run `r` at `rows[i] + r·line` (an im2col row of a stride-1
    /// convolution, read in place from its input: [`windows`]); `b` read in
    /// place, row `p` at `b + p·bs`, its first `nr ≤ NR` columns; rows
    /// `i < mr` and columns `j < nr` of `c` written, nothing read. Before
    /// the store, `bias[j]` is added (unless `bias` is null) and then, with
    /// `relu`, ReLU applied ([`Epilogue`]).
    ///
    /// # Safety
    /// The CPU has the kernel's features; the runs of `rows[i]` for every
    /// `i < MR` are readable, `b` holds `runs · run` rows, `c` an `mr × nr`
    /// tile with row stride `ldc`, a non-null `bias` `nr` floats. Only
    /// called for kernels of a path that [`windows`] supports.
    #[allow(clippy::too_many_arguments)]
    unsafe fn micro_windows(
        runs: usize,
        run: usize,
        line: usize,
        rows: &[*const f32; MR_MAX],
        b: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        mr: usize,
        nr: usize,
        bias: *const f32,
        relu: bool,
    ) {
        let _ = (runs, run, line, rows, b, bs, c, ldc, mr, nr, bias, relu);
        unreachable!("micro_windows on a kernel without it")
    }

    /// Packs `rows ≤ MR` rows of a row-major `a` into an `MR`-row panel:
    /// `dst[p*MR + i] = src[i*ld + p]` for `p < kc`, `i < rows`, zero below.
    ///
    /// # Safety
    /// The CPU has the kernel's features; `src` rows `i < rows` hold `kc` floats
    /// `ld` apart; `dst` holds `kc * MR` floats.
    unsafe fn pack_a(kc: usize, rows: usize, src: *const f32, ld: usize, dst: *mut f32) {
        for i in 0..Self::MR {
            for p in 0..kc {
                *dst.add(p * Self::MR + i) = if i < rows { *src.add(i * ld + p) } else { 0.0 };
            }
        }
    }

    /// Packs a full sliver of a row-major `b`: `dst[p*NR + j] = src[p*ld + j]`
    /// for `p < kc`, `j < NR`.
    ///
    /// # Safety
    /// The CPU has the kernel's features; `src` rows `p < kc` hold `NR` floats
    /// `ld` apart; `dst` holds `kc * NR` floats.
    unsafe fn pack_b(kc: usize, src: *const f32, ld: usize, dst: *mut f32) {
        copy_rows::<{ NR_MAX }>(kc, Self::NR, src, ld, dst)
    }

    /// Packs a sliver of a transposed `b`: `dst[p*NR + j] = src[j*ld + p]` for
    /// `p < kc`, `j < nr`, and zero for `nr ≤ j < NR`.
    ///
    /// # Safety
    /// The CPU has the kernel's features; `src` rows `j < nr` hold `kc` floats
    /// `ld` apart; `dst` holds `kc * NR` floats.
    unsafe fn pack_bt(kc: usize, nr: usize, src: *const f32, ld: usize, dst: *mut f32) {
        for p in 0..kc {
            for j in 0..Self::NR {
                *dst.add(p * Self::NR + j) = if j < nr { *src.add(j * ld + p) } else { 0.0 };
            }
        }
    }
}

/// `dst[p*nr + j] = src[p*ld + j]` for `p < kc`, `j < nr`, in 16-float
/// chunks (`nr` a multiple of 16, at most `W`): constant-size copies that
/// compile to vector moves of the caller's instruction set, not a memcpy call
/// per row.
///
/// # Safety
/// As [`MicroKernel::pack_b`] with `NR = nr`.
#[inline(always)]
unsafe fn copy_rows<const W: usize>(kc: usize, nr: usize, src: *const f32, ld: usize, dst: *mut f32) {
    debug_assert!(nr <= W && nr.is_multiple_of(16));
    for p in 0..kc {
        for j in (0..nr).step_by(16) {
            core::ptr::copy_nonoverlapping(src.add(p * ld + j), dst.add(p * nr + j), 16);
        }
    }
}

/// Packs the sliver `op(b)[pc..pc+kc, jr..jr+nr]` into `dst` as `kc` rows of
/// `K::NR` floats (zero-padded past `nr`).
///
/// # Safety
/// `dst` holds `kc * K::NR` floats; the sliver is inside `op(b)`.
unsafe fn pack_sliver<K: MicroKernel>(mat: &Mat, pc: usize, kc: usize, jr: usize, nr: usize, dst: *mut f32) {
    let Mat { k, n, b, lb, .. } = *mat;
    let nr_ = K::NR;
    match lb {
        // Contiguous rows: no cache-set conflicts when n is a power of two.
        Layout::Normal if nr == nr_ => K::pack_b(kc, b[pc * n + jr..].as_ptr(), n, dst),
        Layout::Normal => {
            for p in 0..kc {
                let src = &b[(pc + p) * n + jr..][..nr];
                let row = core::slice::from_raw_parts_mut(dst.add(p * nr_), nr_);
                row[..nr].copy_from_slice(src);
                row[nr..].fill(0.0);
            }
        }
        // Rows jr..jr+nr of the stored b (k wide) hold columns pc..pc+kc.
        Layout::Transposed => K::pack_bt(kc, nr, b[jr * k + pc..].as_ptr(), k, dst),
    }
}

/// Where the sliver of `op(b)` from column `col` of k block `pc` (depth
/// `kc`) starts in a packed operand `width` columns wide: the layout
/// [`pack_all`] writes and [`blocked`] reads, panels included.
fn sliver_at(pc: usize, width: usize, col: usize, kc: usize) -> usize {
    pc * width + col * kc
}

/// Rows `r0..r1`, columns `j0..j1` of the product into `c` (which points at
/// row `r0`, row-major `n` wide).
///
/// # Safety
/// As [`blocked_on`]; `j0` is a multiple of `K::NR`.
#[allow(clippy::too_many_arguments)]
unsafe fn blocked<K: MicroKernel>(
    mat: &Mat,
    r0: usize,
    r1: usize,
    j0: usize,
    j1: usize,
    alpha: f32,
    beta: f32,
    c: *mut f32,
) {
    let Mat { m, k, n, a, la, b, lb, packed } = *mat;
    let (mr_, nr_) = (K::MR, K::NR);
    let Blocking { kc: kc_max, mc: mc_max } = Blocking::new(mr_, nr_, cache_sizes());
    debug_assert!(nr_ <= NR_MAX && nr_.is_multiple_of(16) && mr_ <= MR_MAX && kc_max <= KC && mc_max * kc_max <= ABUF);
    debug_assert!(j0.is_multiple_of(nr_) && j1 <= n);
    // Packing buffers on the stack: only what a pack writes is ever read.
    let mut abuf = MaybeUninit::<Aligned<[f32; ABUF]>>::uninit();
    let mut bbuf = MaybeUninit::<Aligned<[f32; KC * DIRECT_A_COLS]>>::uninit();
    let abuf = abuf.as_mut_ptr() as *mut f32;
    let bbuf = bbuf.as_mut_ptr() as *mut f32;
    // A row-major a is read in place, not packed, when each of its panels
    // would serve few tiles (a bbuf of slivers for all columns).
    let direct_a = K::DIRECT_A && la == Layout::Normal && j1 - j0 <= DIRECT_A_COLS;
    // Equal k blocks (no thin last block).
    let kc_even = even_k_block(k, kc_max);
    // With more than one row block, op(b) is packed once into a panel that
    // the later blocks read (repacking it per block cost 10-20 % of a
    // product whose b does not fit in L2); without a free panel, per block.
    let width = (j1 - j0).div_ceil(nr_) * nr_;
    // A row-major b can be read in place unless its rows are a multiple of
    // 1 KiB apart (every row of a sliver in the same few cache sets); with
    // K::IN_PLACE_B every row block reads it so.
    let b_readable = lb == Layout::Normal && !n.is_multiple_of(256);
    let b_in_place = K::IN_PLACE_B && !direct_a && b_readable;
    #[cfg(feature = "std")]
    let held = if r1 - r0 > mc_max && packed.is_none() && !b_in_place { panel::take(k * width) } else { None };
    #[cfg(feature = "std")]
    let panel = held.as_ref().map(panel::Panel::ptr);
    #[cfg(not(feature = "std"))]
    let panel: Option<*mut f32> = None;
    // Row blocks outermost: a block's rows of a are read once, contiguously,
    // and its rows of c stay in cache across the k blocks (a narrow n, as in
    // im2col products, would otherwise stream all of c k/kc times).
    let mut ic = r0;
    while ic < r1 {
        let mc = mc_max.min(r1 - ic);
        let mut pc = 0;
        while pc < k {
            let kc = kc_even.min(k - pc);
            let beta = if pc == 0 { beta } else { 1.0 };
            // Pack op(a)[ic..ic+mc, pc..pc+kc] into MR-row panels, zero-padded;
            // not the full panels that the kernel reads in place.
            let panels = mc.div_ceil(mr_);
            for q in 0..panels {
                // SAFETY: panel q starts at q*kc*MR < mc_max*kc_max <= ABUF and spans kc*MR floats.
                let dst = unsafe { abuf.add(q * kc * mr_) };
                let i0 = ic + q * mr_;
                let rows = mr_.min(r1 - i0);
                if direct_a && rows == mr_ {
                    continue;
                }
                match la {
                    Layout::Normal => {
                        let src = &a[i0 * k + pc..(i0 + rows - 1) * k + pc + kc];
                        // SAFETY: rows i < rows of src hold kc floats k apart; dst kc*MR.
                        unsafe { K::pack_a(kc, rows, src.as_ptr(), k, dst) };
                    }
                    Layout::Transposed if rows == mr_ => {
                        // Row p of the stored a holds op(a)[.., p] contiguously: copy
                        // MR at a time (a constant size: vector moves, not a call).
                        for p in 0..kc {
                            let src = &a[(pc + p) * m + i0..][..mr_];
                            // SAFETY: p*MR + MR <= kc*MR.
                            unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst.add(p * mr_), K::MR) };
                        }
                    }
                    Layout::Transposed => {
                        for p in 0..kc {
                            let src = &a[(pc + p) * m + i0..][..rows];
                            for ii in 0..mr_ {
                                let v = src.get(ii).copied().unwrap_or(0.0);
                                // SAFETY: p*MR + ii < kc*MR.
                                unsafe { *dst.add(p * mr_ + ii) = v };
                            }
                        }
                    }
                }
            }
            let in_place_b = b_in_place || (mc <= 4 * mr_ && b_readable);
            // Where the kernels read the sliver of b from column jr: the
            // packed operand, the panel, b in place, or `buf` (KC·NR floats).
            let sliver = |jr: usize, buf: *mut f32| -> (*const f32, usize) {
                let nr = nr_.min(j1 - jr);
                match (panel, packed) {
                    // SAFETY: as pack_all laid it out, for the full width.
                    (_, Some(pk)) => (unsafe { pk.as_ptr().add(sliver_at(pc, n.div_ceil(nr_) * nr_, jr, kc)) }, nr_),
                    // Packed by the first row block, read by the others.
                    (Some(panel), None) => {
                        // SAFETY: sliver (jr - j0)/NR of k block pc: kc*NR floats
                        // inside the k*width the panel holds.
                        let dst = unsafe { panel.add(sliver_at(pc, width, jr - j0, kc)) };
                        if ic == r0 {
                            unsafe { pack_sliver::<K>(mat, pc, kc, jr, nr, dst) };
                        }
                        (dst as *const f32, nr_)
                    }
                    // A few tiles of rows (or K::IN_PLACE_B): b is read in place,
                    // packing would cost more than it saves.
                    (None, None) if in_place_b && (nr == nr_ || K::DIRECT_EDGE) => (b[(pc * n + jr)..].as_ptr(), n),
                    (None, None) => {
                        // SAFETY: buf holds KC*NR >= kc*NR floats.
                        unsafe { pack_sliver::<K>(mat, pc, kc, jr, nr, buf) };
                        (buf as *const f32, nr_)
                    }
                }
            };
            // The tile of rows ir.. and columns jr.. from the sliver at bp.
            let tile = |ir: usize, jr: usize, (bp, bs): (*const f32, usize)| {
                let (mr, nr) = (mr_.min(mc - ir), nr_.min(j1 - jr));
                // SAFETY: panel ir/MR of abuf was packed above (kc*MR floats);
                // bp rows p < kc hold NR floats bs apart (full sliver of b
                // or the packed buffer); the c tile is inside c when full,
                // else micro_edge touches only its mr × nr corner.
                unsafe {
                    let ap = abuf.add(ir * kc);
                    let cp = c.add((ic - r0 + ir) * n + jr);
                    if direct_a && mr == mr_ {
                        let ad = a[(ic + ir) * k + pc..].as_ptr();
                        K::micro_a(kc, ad, k, bp, bs, cp, n, alpha, beta, nr);
                    } else if mr == mr_ && nr == nr_ {
                        K::micro(kc, ap, bp, bs, cp, n, alpha, beta);
                    } else {
                        K::micro_edge(kc, ap, bp, bs, cp, n, alpha, beta, mr, nr);
                    }
                }
            };
            if direct_a {
                // Rows outer: a tile's rows of a, read in place, serve every
                // sliver (at most 64 columns) from L1, not again from L2.
                let mut slivers = [(core::ptr::null(), 0); DIRECT_A_COLS / 16];
                for (s, jr) in (j0..j1).step_by(nr_).enumerate() {
                    // SAFETY: bbuf holds DIRECT_A_COLS / NR slivers of KC*NR floats.
                    slivers[s] = sliver(jr, unsafe { bbuf.add(s * KC * nr_) });
                }
                for ir in (0..mc).step_by(mr_) {
                    for (s, jr) in (j0..j1).step_by(nr_).enumerate() {
                        tile(ir, jr, slivers[s]);
                    }
                }
            } else {
                for jr in (j0..j1).step_by(nr_) {
                    let bsl = sliver(jr, bbuf);
                    for ir in (0..mc).step_by(mr_) {
                        tile(ir, jr, bsl);
                    }
                }
            }
            pc += kc;
        }
        ic += mc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, k: usize, n: usize, a: &[f32], b: &[f32]) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] as f64 * b[p * n + j] as f64).sum();
            }
        }
        c
    }

    fn transpose(r: usize, c: usize, x: &[f32]) -> Vec<f32> {
        let mut t = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                t[j * r + i] = x[i * c + j];
            }
        }
        t
    }

    #[allow(clippy::too_many_arguments)]
    fn check(path: Path, threads: bool, m: usize, k: usize, n: usize, alpha: f32, beta: f32) {
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 + 3) as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 + 1) as f32 * 0.71).cos()).collect();
        let c0: Vec<f32> = (0..m * n).map(|i| (i as f32 * 0.13).sin()).collect();
        let prod = naive(m, k, n, &a, &b);
        let at = transpose(m, k, &a);
        let bt = transpose(k, n, &b);
        for (aa, la) in [(&a, Layout::Normal), (&at, Layout::Transposed)] {
            for (bb, lb) in [(&b, Layout::Normal), (&bt, Layout::Transposed)] {
                let mut c = if beta == 0.0 { vec![f32::NAN; m * n] } else { c0.clone() };
                c.resize(m * n + 3, 7.0);
                sgemm_on(path, threads, m, k, n, alpha, aa, la, bb, lb, beta, &mut c);
                for (i, (x, p)) in c.iter().zip(&prod).enumerate() {
                    let old = if beta == 0.0 { 0.0 } else { c0[i] as f64 * beta as f64 };
                    let want = alpha as f64 * p + old;
                    let tol = 1e-5 * (k as f64).sqrt() * (1.0 + want.abs());
                    assert!(
                        (*x as f64 - want).abs() <= tol,
                        "{path:?} {m}x{k}x{n} a={alpha} b={beta} {la:?} {lb:?} at {i}: {x} vs {want}"
                    );
                }
                assert!(c[m * n..].iter().all(|v| *v == 7.0), "wrote past c");
            }
        }
    }

    const SIZES: [usize; 8] = [1, 3, 8, 17, 31, 33, 65, 100];

    #[test]
    fn every_path_matches_naive_in_every_layout() {
        for path in Path::available() {
            for &m in &SIZES {
                for &k in &[1, 3, 17, 64, 65] {
                    for &n in &SIZES {
                        check(path, false, m, k, n, 1.0, 0.0);
                    }
                }
            }
            for m in 1..=5 {
                check(path, false, m, 9, 37, 1.0, 0.0);
            }
        }
    }

    #[test]
    fn alpha_beta_and_deep_k() {
        for path in Path::available() {
            for (alpha, beta) in [(1.0, 1.0), (0.5, -2.0), (-1.5, 0.0), (2.0, 0.25), (0.0, 0.5)] {
                for &(m, k, n) in &[(1, 300, 33), (4, 257, 70), (7, 513, 31), (33, 600, 65), (130, 270, 97)] {
                    check(path, false, m, k, n, alpha, beta);
                }
            }
        }
    }

    #[test]
    fn threaded_split_matches() {
        for path in Path::available() {
            check(path, true, 300, 200, 100, 1.0, 0.0);
            check(path, true, 250, 300, 70, 0.5, 1.0);
            // Split by columns (few rows).
            check(path, true, 32, 300, 300, 1.0, 0.0);
            check(path, true, 7, 700, 450, 0.5, 1.0);
        }
    }

    #[test]
    fn one_row_products_split_by_columns_match() {
        // A large product starts the helper; calls close together split.
        check(Path::detect(), true, 300, 200, 100, 1.0, 0.0);
        let before = GEMV_SPLITS.load(Ordering::Relaxed);
        for path in Path::available() {
            for _ in 0..20 {
                check(path, true, 1, 128, 512, 1.0, 0.0);
                check(path, true, 2, 130, 509, 0.5, 1.0);
                check(path, true, 4, 200, 600, -1.5, 0.25);
            }
        }
        assert!(GEMV_SPLITS.load(Ordering::Relaxed) > before, "no one-row product was split");
    }

    /// Few-row products whose `b` starts at every offset within a cache line
    /// (the vectors then start early, the first one masked), `c` at another.
    #[test]
    fn few_rows_at_every_alignment_match() {
        for path in Path::available() {
            for off in 0..LINE_FLOATS {
                for (m, k, n) in [
                    (1, 9, 16),
                    (1, 156, 512),
                    (1, 3, 320),
                    (1, 4, 700),
                    (1, 2, 1),
                    (2, 17, 48),
                    (3, 5, 128),
                    (4, 33, 272),
                ] {
                    let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 + 3) as f32 * 0.37).sin()).collect();
                    let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 + 1) as f32 * 0.71).cos()).collect();
                    let mut room = vec![7.0f32; k * n + 2 * LINE_FLOATS];
                    let start = room.as_ptr().align_offset(LINE_FLOATS * 4) + off;
                    room[start..start + k * n].copy_from_slice(&b);
                    let mut c = vec![7.0f32; m * n + 2 * LINE_FLOATS];
                    let cs = (off * 5 + 3) % LINE_FLOATS;
                    let (bs, cc) = (&room[start..start + k * n], &mut c[cs..cs + m * n]);
                    sgemm_on(path, false, m, k, n, 1.0, &a, Layout::Normal, bs, Layout::Normal, 0.0, cc);
                    let want = naive(m, k, n, &a, &b);
                    for (i, (x, w)) in cc.iter().zip(&want).enumerate() {
                        assert!(
                            (*x as f64 - w).abs() <= 1e-5 * (k as f64).sqrt() * (1.0 + w.abs()),
                            "{path:?} off {off} {m}x{k}x{n} at {i}"
                        );
                    }
                    assert!(
                        c[..cs].iter().chain(&c[cs + m * n..]).all(|v| *v == 7.0),
                        "{path:?} off {off}: wrote outside c"
                    );
                }
            }
        }
    }

    /// Two products summed equal the two products one after the other, for
    /// few rows (one pass, split across the threads once they run) and more.
    #[test]
    fn sums_of_two_products_match() {
        check(Path::detect(), true, 300, 200, 100, 1.0, 0.0);
        for _ in 0..5 {
            for (m, k1, k2, n) in [(1, 28, 128, 512), (2, 3, 130, 509), (4, 9, 1, 40), (5, 17, 33, 65), (1, 0, 5, 7)] {
                let a1: Vec<f32> = (0..m * k1).map(|i| ((i * 7 + 3) as f32 * 0.37).sin()).collect();
                let b1: Vec<f32> = (0..k1 * n).map(|i| ((i * 5 + 1) as f32 * 0.71).cos()).collect();
                let a2: Vec<f32> = (0..m * k2).map(|i| ((i * 3 + 2) as f32 * 0.29).cos()).collect();
                let b2: Vec<f32> = (0..k2 * n).map(|i| ((i * 11 + 4) as f32 * 0.53).sin()).collect();
                let c0: Vec<f32> = (0..m * n).map(|i| (i as f32 * 0.13).sin()).collect();
                let mut want = c0.clone();
                sgemm_single_thread(m, k1, n, 1.0, &a1, Layout::Normal, &b1, Layout::Normal, 0.5, &mut want);
                sgemm_single_thread(m, k2, n, 1.0, &a2, Layout::Normal, &b2, Layout::Normal, 1.0, &mut want);
                let mut c = c0.clone();
                c.push(7.0);
                sgemm_sum(m, n, [(&a1, &b1), (&a2, &b2)], 0.5, &mut c);
                assert_eq!(c[..m * n], want[..], "{m}x({k1}+{k2})x{n}");
                assert_eq!(c[m * n], 7.0, "wrote past c");
            }
        }
    }

    #[test]
    fn k_zero_and_empty() {
        let mut c = vec![f32::NAN; 6];
        sgemm(2, 0, 3, 1.0, &[], Layout::Normal, &[], Layout::Normal, 0.0, &mut c);
        assert!(c.iter().all(|v| *v == 0.0));
        let mut c = vec![2.0; 6];
        sgemm(2, 0, 3, 1.0, &[], Layout::Normal, &[], Layout::Normal, 0.5, &mut c);
        assert!(c.iter().all(|v| *v == 1.0));
        sgemm(0, 3, 3, 1.0, &[], Layout::Normal, &[0.0; 9], Layout::Normal, 0.0, &mut []);
    }

    /// The tile (MR, NR) and k block of a path's micro-kernel.
    fn tile_of(path: Path) -> (usize, usize, usize) {
        let (mr, nr) = match path {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => (avx512::Kernel::MR, avx512::Kernel::NR),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => (avx2::Kernel::MR, avx2::Kernel::NR),
            Path::Portable => (portable::Kernel::MR, portable::Kernel::NR),
        };
        (mr, nr, Blocking::new(mr, nr, cache_sizes()).kc)
    }

    /// m, n and k of 1, tile − 1, tile + 1 (and a k block ± 1, several row
    /// blocks, a row stride of 1 KiB that forces packing b) on every path, in
    /// every layout pair, against the plain product.
    #[test]
    fn edges_of_every_tile_on_every_path() {
        for path in Path::available() {
            let (mr, nr, kc) = tile_of(path);
            let ms = [1, mr - 1, mr, mr + 1, 4 * mr + 1, 2 * MC + mr + 1];
            let ns = [1, nr - 1, nr, nr + 1, 2 * nr + 3, 109, 256];
            let ks = [1, 2, 9, kc - 1, kc + 1];
            for &m in &ms {
                for &n in &ns {
                    for &k in &ks {
                        if m * n * k <= 1 << 21 {
                            check(path, false, m, k, n, 1.0, 0.0);
                        }
                    }
                }
            }
            for &(m, k, n) in &[(mr + 1, kc + 1, nr + 1), (4 * mr + 1, 2 * kc + 3, 256), (1000, 9, 32)] {
                check(path, false, m, k, n, 0.5, 1.0);
                check(path, true, m, k, n, 1.0, -1.0);
            }
        }
    }

    #[test]
    fn blocking_fits_the_buffers_and_caches() {
        let (l1, l2) = cache_sizes();
        assert!((16 << 10..=1 << 20).contains(&l1) && (128 << 10..=64 << 20).contains(&l2));
        println!("L1d {l1}, L2 {l2}");
        for (mr, nr) in [(8, 32), (6, 16), (4, 16)] {
            for caches in
                [(l1, l2), (32 << 10, 1 << 20), (48 << 10, 2 << 20), (16 << 10, 128 << 10), (1 << 20, 64 << 20)]
            {
                let bl = Blocking::new(mr, nr, caches);
                println!("{mr}x{nr} {caches:?}: {bl:?}");
                assert!(bl.kc.is_multiple_of(8) && (64..=KC).contains(&bl.kc));
                assert!(bl.mc.is_multiple_of(mr) && bl.mc * bl.kc <= ABUF && bl.mc >= mr);
            }
        }
    }

    #[test]
    fn packed_operands_match_naive_on_every_path() {
        for path in Path::available() {
            let (mr, nr, kc) = tile_of(path);
            for &(m, k, n) in
                &[(1, 3, 5), (2 * MC + mr + 1, kc + 1, nr + 1), (4 * mr + 1, 2 * kc + 3, 256), (70, 9, 37)]
            {
                let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 + 3) as f32 * 0.37).sin()).collect();
                let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 + 1) as f32 * 0.71).cos()).collect();
                let prod = naive(m, k, n, &a, &b);
                let bt = transpose(k, n, &b);
                for (bb, lb) in [(&b, Layout::Normal), (&bt, Layout::Transposed)] {
                    let mut buf = vec![f32::NAN; PackedB::len(k, n)];
                    let packed = PackedB::pack_on(path, k, n, bb, lb, &mut buf);
                    let mut c = vec![1.0; m * n];
                    sgemm_packed(m, 2.0, &a, Layout::Normal, &packed, 0.5, &mut c);
                    for (i, (got, want)) in c.iter().zip(&prod).enumerate() {
                        let want = 2.0 * want + 0.5;
                        assert!(
                            ((*got as f64) - want).abs() < 1e-3 * (1.0 + want.abs()),
                            "{path:?} {m}x{k}x{n} {lb:?} at {i}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn detection_is_cached_and_best() {
        let p = Path::detect();
        assert_eq!(p, Path::detect());
        assert_eq!(Path::available()[0], p);
    }
}

//! Products whose left operand is the im2col of a stride-1, unpadded,
//! undilated convolution, read in place from the convolution's input: no
//! im2col rows are built (for mnist_convnet's first layer, whose rows are
//! nine times its input, building them took as long as the product), the
//! kernel is read in place, the bias and ReLU are applied to each tile in
//! registers ([`Epilogue`]), and a caller's pass over each block of output
//! rows (other activations) runs while the block is in L1.

use super::{MicroKernel, Path, MR_MAX};

/// The windows of a 2-D convolution with strides and dilation 1 and no
/// padding over samples of `input` (`[h, w, c]`, channels last) with a
/// `kernel` (`[kh, kw]`): row `(s, oy, ox)` of its im2col is the `kh` runs
/// of `kw · c` floats that start at `x[s][oy + ky][ox][0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Input height, width and channels.
    pub input: [usize; 3],
    /// Kernel height and width (at most the input's).
    pub kernel: [usize; 2],
}

impl Windows {
    /// Output height and width: `h − kh + 1`, `w − kw + 1`.
    pub const fn output(&self) -> [usize; 2] {
        [self.input[0] + 1 - self.kernel[0], self.input[1] + 1 - self.kernel[1]]
    }

    /// Floats of one im2col row: `kh · kw · c`.
    pub const fn depth(&self) -> usize {
        self.kernel[0] * self.kernel[1] * self.input[2]
    }
}

/// What the kernels do to each finished tile in registers, before storing
/// it: the bias, then ReLU (in the order of a pass over the stored sums, so
/// the results are the same bit for bit).
#[derive(Clone, Copy, Debug, Default)]
pub struct Epilogue<'a> {
    /// Added to every row of `c` (at least `n` floats).
    pub bias: Option<&'a [f32]>,
    /// After the bias, `v` where `v > 0` or `v` is NaN, else 0 (Keras's ReLU).
    pub relu: bool,
}

/// Rows of `c` per block handed to `after` (a multiple of every kernel's `MR`).
const BLOCK: usize = 48;

/// `c = im2col(x) · b` for the samples of `x` (each `h · w · c` floats),
/// `b` a row-major `depth × n` kernel, `c` row-major `n` wide with one row
/// per output position, `epi` applied to each tile; `after(row, block)`
/// runs on each finished block of whole rows of `c` (`row`: the block's
/// first). Large products are split
/// between this thread and the helper thread, `after` running on both.
/// False, with nothing done, when this CPU's kernels have no such path (the
/// caller builds the im2col rows and calls [`sgemm`](super::sgemm)).
///
/// # Panics
/// If `x` is not whole samples, the kernel is larger than the input, or
/// `b`, `c` or the bias is too short.
pub fn sgemm_windows(
    win: &Windows,
    x: &[f32],
    b: &[f32],
    n: usize,
    c: &mut [f32],
    epi: Epilogue,
    after: &(dyn Fn(usize, &mut [f32]) + Sync),
) -> bool {
    let m = check(win, x, b, n, c, epi);
    #[cfg(feature = "std")]
    {
        let flops = m.saturating_mul(win.depth()).saturating_mul(n);
        if m >= 2 * BLOCK && flops >= super::PAR_MIN_FLOPS && supported() && !super::pool::busy() {
            let split = halfway(Path::detect(), m);
            let cp = super::pool::SendPtr(c.as_mut_ptr());
            super::pool::run2(&|part: usize| {
                let (r0, r1) = if part == 0 { (0, split) } else { (split, m) };
                // SAFETY: each part writes only its own rows of c (disjoint
                // halves), which outlive `run2`.
                let c = unsafe { core::slice::from_raw_parts_mut(cp.get(), m * n) };
                rows_on(Path::detect(), win, x, b, n, c, epi, r0, r1, &mut |r, z| after(r, z));
            });
            return true;
        }
    }
    rows_on(Path::detect(), win, x, b, n, c, epi, 0, m, &mut |r, z| after(r, z))
}

/// [`sgemm_windows`] on the calling thread only.
///
/// # Panics
/// As [`sgemm_windows`].
pub fn sgemm_windows_single_thread(
    win: &Windows,
    x: &[f32],
    b: &[f32],
    n: usize,
    c: &mut [f32],
    epi: Epilogue,
    after: &mut dyn FnMut(usize, &mut [f32]),
) -> bool {
    let m = check(win, x, b, n, c, epi);
    rows_on(Path::detect(), win, x, b, n, c, epi, 0, m, after)
}

/// Where the second of two halves of `m` rows starts: after half of the
/// micro-kernel's row tiles (so that one sample's 121 rows split 64 / 57
/// rather than at a block boundary, 96 / 25).
#[cfg(feature = "std")]
fn halfway(path: Path, m: usize) -> usize {
    let mr = path.tile_rows();
    m.div_ceil(mr).div_ceil(2) * mr
}

/// Whether this CPU's kernels read windows in place.
#[cfg(any(feature = "std", test))]
fn supported() -> bool {
    supported_on(Path::detect())
}

#[cfg(any(feature = "std", test))]
fn supported_on(path: Path) -> bool {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => true,
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => true,
        Path::Portable => false,
    }
}

/// The product's rows (output positions), after checking the slices.
fn check(win: &Windows, x: &[f32], b: &[f32], n: usize, c: &[f32], epi: Epilogue) -> usize {
    let [h, w, ch] = win.input;
    let [kh, kw] = win.kernel;
    assert!(kh >= 1 && kw >= 1 && kh <= h && kw <= w, "sgemm_windows: kernel {kh}x{kw} larger than the input {h}x{w}");
    let sample = h * w * ch;
    assert!(sample > 0 && x.len().is_multiple_of(sample), "sgemm_windows: x is not whole samples");
    let [oh, ow] = win.output();
    let m = x.len() / sample * oh * ow;
    let bias = epi.bias.is_none_or(|bias| bias.len() >= n);
    assert!(b.len() >= win.depth() * n && c.len() >= m * n && bias, "sgemm_windows: slice too short");
    m
}

/// Rows `r0..r1` of the product on `path` (false if it has no windows kernel).
#[allow(clippy::too_many_arguments)]
fn rows_on(
    path: Path,
    win: &Windows,
    x: &[f32],
    b: &[f32],
    n: usize,
    c: &mut [f32],
    epi: Epilogue,
    r0: usize,
    r1: usize,
    after: &mut dyn FnMut(usize, &mut [f32]),
) -> bool {
    // SAFETY: `check` kept every window inside x, b's rows inside b, rows
    // r0..r1 of c inside c and n floats in the bias; the path was detected.
    unsafe {
        match path {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => rows::<super::avx512::Kernel>(win, x, b, n, c, epi, r0, r1, after),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => rows::<super::avx2::Kernel>(win, x, b, n, c, epi, r0, r1, after),
            Path::Portable => return false,
        }
    }
    true
}

/// Rows `r0..r1` in blocks of [`BLOCK`]: each block's window pointers once,
/// then its tiles sliver by sliver, then `after` on it.
///
/// # Safety
/// As [`rows_on`]; the CPU has `K`'s features and `K::WINDOWS`.
#[allow(clippy::too_many_arguments)]
unsafe fn rows<K: MicroKernel>(
    win: &Windows,
    x: &[f32],
    b: &[f32],
    n: usize,
    c: &mut [f32],
    epi: Epilogue,
    r0: usize,
    r1: usize,
    after: &mut dyn FnMut(usize, &mut [f32]),
) {
    debug_assert!(BLOCK.is_multiple_of(K::MR) && K::MR <= MR_MAX);
    let [h, w, ch] = win.input;
    let [kh, kw] = win.kernel;
    let [oh, ow] = win.output();
    let (sample, positions) = (h * w * ch, oh * ow);
    let (mut s, mut oy, mut ox) = (r0 / positions, r0 % positions / ow, r0 % ow);
    let mut at = [x.as_ptr(); BLOCK];
    let mut i0 = r0;
    while i0 < r1 {
        let len = BLOCK.min(r1 - i0);
        for p in &mut at[..len] {
            *p = x.as_ptr().add(s * sample + (oy * w + ox) * ch);
            ox += 1;
            if ox == ow {
                (ox, oy) = (0, oy + 1);
                if oy == oh {
                    (oy, s) = (0, s + 1);
                }
            }
        }
        let block = &mut c[i0 * n..(i0 + len) * n];
        let mut jr = 0;
        while jr < n {
            let nr = K::NR.min(n - jr);
            let bias = epi.bias.map_or(core::ptr::null(), |bias| bias.as_ptr().add(jr));
            let mut t = 0;
            while t < len {
                let mr = K::MR.min(len - t);
                // Rows past mr repeat the first one (computed, not stored).
                let mut rows = [at[t]; MR_MAX];
                rows[..mr].copy_from_slice(&at[t..t + mr]);
                K::micro_windows(
                    kh,
                    kw * ch,
                    w * ch,
                    &rows,
                    b.as_ptr().add(jr),
                    n,
                    block.as_mut_ptr().add(t * n + jr),
                    n,
                    mr,
                    nr,
                    bias,
                    epi.relu,
                );
                t += mr;
            }
            jr += K::NR;
        }
        after(i0, block);
        i0 += len;
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    /// The im2col rows of `x` under `win`, built plainly.
    fn im2col(win: &Windows, x: &[f32]) -> Vec<f32> {
        let [h, w, ch] = win.input;
        let [kh, kw] = win.kernel;
        let [oh, ow] = win.output();
        let mut cols = Vec::new();
        for xs in x.chunks(h * w * ch) {
            for oy in 0..oh {
                for ox in 0..ow {
                    for ky in 0..kh {
                        for kx in 0..kw {
                            cols.extend_from_slice(&xs[((oy + ky) * w + ox + kx) * ch..][..ch]);
                        }
                    }
                }
            }
        }
        cols
    }

    /// Every epilogue: none, the bias, the bias and ReLU, ReLU alone.
    fn check_on(path: Path, threads: bool, win: Windows, samples: usize, n: usize) {
        let bias: Vec<f32> = (0..n).map(|j| (j % 7) as f32 - 3.0).collect();
        for (with_bias, relu) in [(false, false), (true, false), (true, true), (false, true)] {
            let epi = Epilogue { bias: with_bias.then_some(&bias[..]), relu };
            check_epilogue_on(path, threads, win, samples, n, epi);
        }
    }

    fn check_epilogue_on(path: Path, threads: bool, win: Windows, samples: usize, n: usize, epi: Epilogue) {
        let [h, w, ch] = win.input;
        let x: Vec<f32> = (0..samples * h * w * ch).map(|i| ((i * 7919 % 97) as f32 - 48.0) / 17.0).collect();
        let k = win.depth();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 104729 % 89) as f32 - 44.0) / 23.0).collect();
        let cols = im2col(&win, &x);
        let m = cols.len() / k;
        let mut want = vec![0.0; m * n];
        super::super::sgemm_on(
            Path::Portable,
            false,
            m,
            k,
            n,
            1.0,
            &cols,
            super::super::Layout::Normal,
            &b,
            super::super::Layout::Normal,
            0.0,
            &mut want,
        );
        for row in want.chunks_mut(n) {
            for (j, v) in row.iter_mut().enumerate() {
                *v += epi.bias.map_or(0.0, |b| b[j]);
                if epi.relu {
                    *v = v.max(0.0);
                }
            }
        }
        let mut got = vec![f32::NAN; m * n + 3];
        let seen = std::sync::Mutex::new(vec![false; m]);
        let mark = |r: usize, z: &mut [f32]| {
            assert!(z.len().is_multiple_of(n));
            let mut seen = seen.lock().unwrap();
            for s in &mut seen[r..r + z.len() / n] {
                assert!(!*s, "row {r}.. handed to `after` twice");
                *s = true;
            }
            z.iter_mut().for_each(|v| *v += 1.0);
        };
        let done = if threads {
            sgemm_windows(&win, &x, &b, n, &mut got, epi, &mark)
        } else {
            let m = check(&win, &x, &b, n, &got, epi);
            rows_on(path, &win, &x, &b, n, &mut got, epi, 0, m, &mut { mark })
        };
        assert_eq!(done, supported_on(path) || threads && supported());
        if !done {
            return;
        }
        assert!(seen.into_inner().unwrap().iter().all(|s| *s), "every row handed to `after`");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - 1.0 - w).abs() <= 1e-4 * (1.0 + w.abs()), "{win:?} n={n} [{i}]: {g} - 1 vs {w}");
        }
        assert!(got[m * n..].iter().all(|v| v.is_nan()), "nothing written past c");
    }

    #[test]
    fn windows_match_im2col_on_every_path() {
        let shapes = [
            (Windows { input: [28, 28, 1], kernel: [3, 3] }, 3, 32),
            (Windows { input: [13, 13, 32], kernel: [3, 3] }, 2, 64),
            (Windows { input: [5, 7, 3], kernel: [2, 3] }, 5, 17),
            (Windows { input: [4, 4, 2], kernel: [4, 4] }, 7, 1),
            (Windows { input: [1, 9, 5], kernel: [1, 4] }, 3, 33),
            (Windows { input: [6, 6, 1], kernel: [1, 1] }, 1, 70),
        ];
        for path in Path::available() {
            for &(win, samples, n) in &shapes {
                check_on(path, false, win, samples, n);
            }
        }
        // Split on two threads: large enough to pay.
        check_on(Path::detect(), true, Windows { input: [13, 13, 32], kernel: [3, 3] }, 3, 64);
        check_on(Path::detect(), true, Windows { input: [13, 13, 32], kernel: [3, 3] }, 1, 64);
    }

    /// The epilogue's ReLU keeps NaN (Keras's ReLU propagates it) and
    /// zeroes only what is not above zero.
    #[test]
    fn relu_epilogue_keeps_nan() {
        let win = Windows { input: [4, 4, 1], kernel: [2, 2] };
        let mut x = vec![1.0f32; 16];
        x[0] = f32::NAN;
        let n = 20;
        let b: Vec<f32> = (0..4 * n).map(|i| if i % n < 10 { 1.0 } else { -1.0 }).collect();
        for path in Path::available().into_iter().filter(|&p| supported_on(p)) {
            let mut c = vec![0.0; 9 * n];
            let epi = Epilogue { bias: None, relu: true };
            let m = check(&win, &x, &b, n, &c, epi);
            assert!(rows_on(path, &win, &x, &b, n, &mut c, epi, 0, m, &mut |_, _| {}));
            // Output position 0's window holds the NaN; the others sum ±4.
            assert!(c[..n].iter().all(|v| v.is_nan()), "{path:?}: {:?}", &c[..n]);
            for row in c[n..].chunks(n) {
                assert!(
                    row[..10].iter().all(|&v| v == 4.0) && row[10..].iter().all(|&v| v == 0.0),
                    "{path:?}: {row:?}"
                );
            }
        }
    }

    /// Each half gets half of the row tiles, wherever a block ends.
    #[test]
    fn halves_split_the_row_tiles() {
        assert_eq!(halfway(Path::Portable, 121), 64);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(halfway(Path::Avx512, 121), 64);
            assert_eq!(halfway(Path::Avx2, 121), 66);
            assert_eq!(halfway(Path::Avx512, 1000), 504);
        }
    }
}

//! What Keras's recurrent layers share (SimpleRNN, LSTM, GRU): a cell run
//! over the steps of `(steps, features)` sequences, the kernels, the
//! optional `go_backwards` order and `return_sequences`, dropout on the
//! inputs and the recurrent state, and backpropagation through time.
//!
//! The layer is [`Recurrent`], generic over its [`Cell`] (the gate
//! formulas, in `simple_rnn.rs`, `lstm.rs`, `gru.rs`) and its sizes.
//!
//! ```
//! use nn_runtime::{init::Initializer, kernels::activation::{Sigmoid, Tanh}, layers::{Layer, LstmCell, Recurrent}, rng};
//! let lstm = Recurrent::<LstmCell<Tanh, Sigmoid>, 5, 3, 4, false, false>::new(
//!     &Initializer::glorot_uniform(), &Initializer::orthogonal(), Some(&Initializer::Zeros), true, &mut rng::seeded(0));
//! let mut h = [0.0; 4];
//! let mut scratch = vec![0.0; <Recurrent<LstmCell<Tanh, Sigmoid>, 5, 3, 4, false, false> as Layer>::SCRATCH];
//! lstm.infer(&[0.5; 15], &mut h, &mut scratch);
//! assert!(h.iter().all(|v| v.abs() < 1.0));
//! ```
//!
//! Batches are processed time-major: at each step the inputs of every
//! sample form one contiguous matrix, so that the input and recurrent
//! products are each one matrix product over the whole batch.

use core::marker::PhantomData;

#[cfg(feature = "std")]
use rand::Rng as _;

use super::{rows, Layer, Step};
#[cfg(feature = "std")]
use super::{scratch, Train};
#[cfg(feature = "std")]
use crate::init::Initializer;
#[cfg(feature = "std")]
use crate::kernels::gemm::SharedMut;
use crate::kernels::gemm::{sgemm, sgemm_packed, sgemm_sum, Layout, PackedB};
#[cfg(feature = "std")]
use crate::kernels::parallel::{on_halves, Parts};
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// One step of a recurrent cell over `n` rows; what [`Cell::forward`] reads.
pub struct StepIn<'a> {
    /// Units of the layer.
    pub units: usize,
    /// `[units, GATES · units]`.
    pub recurrent_kernel: &'a [f32],
    /// The recurrent half of the bias (GRU with `reset_after`), else `None`.
    pub recurrent_bias: Option<&'a [f32]>,
    /// The previous output `h`, `n × units`.
    pub h_prev: &'a [f32],
    /// `h_prev` with the recurrent dropout mask applied (`h_prev` itself without dropout).
    pub hm: &'a [f32],
    /// The previous carry (LSTM's `c`), `n × units`; empty for other cells.
    pub c_prev: &'a [f32],
    /// Whether `pre` already holds `hm · recurrent_kernel` too (the driver
    /// computed both products as one, for a cell with [`Cell::ADDITIVE`]).
    pub projected: bool,
    /// `recurrent_kernel` and its transpose packed once for all the steps
    /// of a training pass (cells with [`Cell::ADDITIVE`]), else `None`.
    pub packed: Option<PackedB<'a>>,
    /// See `packed`: `recurrent_kernelᵀ` for the backward pass.
    pub packed_t: Option<PackedB<'a>>,
}

impl StepIn<'_> {
    /// `c = hm · recurrent_kernel + beta · c` over all the kernel's columns
    /// (up to 4 rows by the one-row products, packed kernel or not, so that
    /// training and inference round alike).
    pub fn recurrent_times(&self, beta: f32, c: &mut [f32]) {
        let rows = self.hm.len() / self.units;
        match &self.packed {
            Some(p) if rows > 4 => sgemm_packed(rows, 1.0, self.hm, Layout::Normal, p, beta, c),
            _ => times(self.units, self.recurrent_kernel.len() / self.units, self.hm, self.recurrent_kernel, beta, c),
        }
    }

    /// `dhm = d · recurrent_kernelᵀ`: the state's gradient through
    /// [`StepIn::recurrent_times`] (`dhm` is `n × units`).
    pub fn state_grad(&self, d: &[f32], dhm: &mut [f32]) {
        match &self.packed_t {
            Some(p) => sgemm_packed(dhm.len() / self.units, 1.0, d, Layout::Normal, p, 0.0, dhm),
            None => state_grad(self.units, d, self.recurrent_kernel, dhm),
        }
    }
}

/// What [`Cell::forward`] writes for one step; `pre` (`n × GATES · units`),
/// `act` (`n × ACT · units`) and `aux` (`n × AUX · units`) are kept for
/// [`Cell::backward`].
pub struct StepOut<'a> {
    /// On entry `x · kernel + input bias`; the cell leaves there whatever
    /// pre-activations its backward pass needs.
    pub pre: &'a mut [f32],
    /// The gates after their activations.
    pub act: &'a mut [f32],
    /// Anything else the cell keeps (the recurrent product, `tanh(c)`, ...).
    pub aux: &'a mut [f32],
    /// The new output `h`, `n × units`.
    pub h: &'a mut [f32],
    /// The new carry, `n × units` (LSTM); empty for other cells.
    pub c: &'a mut [f32],
    /// Whether backward will read `act` and `aux` (training); a cell may
    /// skip writing them otherwise.
    pub keep: bool,
}

/// What [`Cell::backward`] gets and gives for one step.
pub struct StepGrad<'a> {
    /// The gradient with respect to this step's `h` (from the output and from the next step).
    pub dh: &'a [f32],
    /// On entry the gradient with respect to this step's carry; on return the previous one's (LSTM).
    pub dc: &'a mut [f32],
    /// Written: the gradient with respect to `x · kernel + input bias`, `n × GATES · units`.
    pub dpre: &'a mut [f32],
    /// Written: the gradient with respect to the previous `h`, `n × units`;
    /// empty at the first step for a cell with [`Cell::ADDITIVE`] (the
    /// initial state is zeros, no weight: nothing reads it).
    pub dh_prev: &'a mut [f32],
    /// Accumulated: the recurrent kernel's gradient, `units × GATES · units`
    /// (for a cell with [`Cell::ADDITIVE`], whose recurrent product's
    /// gradient is `dpre`, the driver computes it over all steps at once
    /// and the cell leaves it alone).
    pub drecurrent: &'a mut [f32],
    /// Accumulated: the recurrent bias's gradient (GRU with `reset_after`).
    pub drecurrent_bias: Option<&'a mut [f32]>,
    /// The recurrent dropout mask applied to `h_prev` (`None`: no dropout).
    pub mask: Option<&'a [f32]>,
    /// Scratch of `n × GATES · units` floats.
    pub tmp: &'a mut [f32],
    /// Scratch of `n × units` floats.
    pub tmp_h: &'a mut [f32],
}

/// The gate formulas of one kind of recurrent layer.
pub trait Cell: Send + Sync + 'static {
    /// Blocks of `units` columns in the kernels (1; LSTM's i, f, c, o; GRU's z, r, h).
    const GATES: usize;
    /// Rows of the bias: 2 for GRU with `reset_after` (input, recurrent), else 1.
    const BIAS_ROWS: usize = 1;
    /// Whether the state has a carry beside `h` (LSTM's `c`).
    const CARRY: bool = false;
    /// Whether the cell only adds `hm · recurrent_kernel` to the input
    /// projection before its gates (SimpleRNN, LSTM), so that the two
    /// products can be one over `[x, hm]` and the stacked kernels.
    const ADDITIVE: bool = false;
    /// Blocks of `units` columns a row of `act` has (what [`Cell::forward`]
    /// keeps there for the backward pass; 0 keeps nothing).
    const ACT: usize = Self::GATES;
    /// Blocks of `units` columns a row of `aux` has.
    const AUX: usize = Self::GATES;

    /// One step: `h` (and `c`) from the input projection in `out.pre` and the previous state.
    fn forward(step: &StepIn, out: StepOut);

    /// The backward pass of one step, from what `forward` kept.
    fn backward(step: &StepIn, kept: &StepKept, grad: StepGrad);

    /// Fills the bias (`[BIAS_ROWS · GATES · units]`) with `init`; LSTM
    /// overrides it for `unit_forget_bias`.
    #[cfg(feature = "std")]
    fn init_bias(init: &Initializer, unit_forget_bias: bool, units: usize, bias: &mut [f32], rng: &mut Rng) {
        let _ = (unit_forget_bias, units);
        init.fill(&[bias.len()], bias, rng);
    }
}

/// What [`Cell::forward`] kept for one step, read by [`Cell::backward`].
pub struct StepKept<'a> {
    /// The cell's `pre`.
    pub pre: &'a [f32],
    /// The cell's `act`.
    pub act: &'a [f32],
    /// The cell's `aux`.
    pub aux: &'a [f32],
    /// The step's `h`.
    pub h: &'a [f32],
    /// The step's carry (LSTM).
    pub c: &'a [f32],
}

/// A recurrent layer: cell `C` over `STEPS` steps of `IN` features, `UNITS`
/// units; every step's output with `SEQUENCES` (Keras's
/// `return_sequences`), else the last; the steps in reverse order with
/// `BACKWARDS` (Keras's `go_backwards`, whose sequence output stays in that
/// reverse order, as Keras's does).
#[derive(Debug, Clone)]
pub struct Recurrent<
    C,
    const STEPS: usize,
    const IN: usize,
    const UNITS: usize,
    const SEQUENCES: bool,
    const BACKWARDS: bool,
> {
    /// `[IN, GATES · UNITS]`, Keras's layout.
    pub kernel: Param,
    /// `[UNITS, GATES · UNITS]`.
    pub recurrent_kernel: Param,
    /// `[GATES · UNITS]`; `[2, 3 · UNITS]` for GRU with `reset_after`; `None` without `use_bias`.
    pub bias: Option<Param>,
    /// Keras's `dropout`: the fraction of input features dropped in training
    /// (one mask per sample for every step).
    pub dropout: f32,
    /// Keras's `recurrent_dropout`: the fraction of the state dropped before
    /// the recurrent product in training (one mask per sample for every step
    /// and gate; Keras draws one per gate, with the same expectation).
    pub recurrent_dropout: f32,
    cell: PhantomData<C>,
}

impl<C: Cell, const S: usize, const I: usize, const U: usize, const Q: bool, const B: bool>
    Recurrent<C, S, I, U, Q, B>
{
    /// Columns of the kernels.
    const GU: usize = C::GATES * U;
    #[cfg(feature = "std")]
    const KERNEL_SHAPE: &'static [usize] = &[I, C::GATES * U];
    #[cfg(feature = "std")]
    const RECURRENT_SHAPE: &'static [usize] = &[U, C::GATES * U];
    #[cfg(feature = "std")]
    const BIAS_SHAPE: &'static [usize] = if C::BIAS_ROWS == 1 { &[C::GATES * U] } else { &[2, C::GATES * U] };

    /// The layer over the given tensors (Keras's shapes), without dropout.
    pub const fn from_params(kernel: Param, recurrent_kernel: Param, bias: Option<Param>) -> Self {
        Recurrent { kernel, recurrent_kernel, bias, dropout: 0.0, recurrent_dropout: 0.0, cell: PhantomData }
    }

    /// The same layer with Keras's `dropout` and `recurrent_dropout` rates (training only).
    pub const fn with_dropout(mut self, dropout: f32, recurrent_dropout: f32) -> Self {
        self.dropout = dropout;
        self.recurrent_dropout = recurrent_dropout;
        self
    }

    /// Whether step `t` skips its recurrent product and that product's
    /// gradients: the first step's state is zeros, which a cell with
    /// [`Cell::ADDITIVE`] adds as nothing.
    const fn zero_state(t: usize) -> bool {
        t == 0 && C::ADDITIVE
    }

    /// The input step that the `t`-th processed step reads.
    const fn source(t: usize) -> usize {
        if B {
            S - 1 - t
        } else {
            t
        }
    }

    /// `pre = x · kernel + input bias` for `rows` rows of `x`.
    fn project(&self, x: &[f32], rows: usize, pre: &mut [f32]) {
        let beta = if self.bias_rows(rows, pre) { 1.0 } else { 0.0 };
        sgemm(rows, I, Self::GU, 1.0, x, Layout::Normal, &self.kernel, Layout::Normal, beta, pre);
    }

    /// [`Self::project`], and for a cell with [`Cell::ADDITIVE`] `+ h · recurrent_kernel`
    /// too, in one pass over each range of columns (split across the threads
    /// for one row); other cells add their recurrent product themselves.
    /// Whether `pre` holds the recurrent product ([`StepIn::projected`]).
    fn project_with(&self, x: &[f32], h: &[f32], rows: usize, pre: &mut [f32]) -> bool {
        if !C::ADDITIVE {
            self.project(x, rows, pre);
            return false;
        }
        let beta = if self.bias_rows(rows, pre) { 1.0 } else { 0.0 };
        sgemm_sum(rows, Self::GU, [(x, &self.kernel), (h, &self.recurrent_kernel)], beta, pre);
        true
    }

    /// Width of a row of the training inputs `xt`: the inputs, and a one
    /// for the input bias if there is one.
    #[cfg(feature = "std")]
    fn xt_width(&self) -> usize {
        I + usize::from(self.bias.is_some())
    }

    /// Fills `rows` rows of `pre` with the input bias; false without a bias.
    fn bias_rows(&self, rows: usize, pre: &mut [f32]) -> bool {
        let gu = Self::GU;
        match &self.bias {
            Some(b) => {
                for row in pre[..rows * gu].chunks_exact_mut(gu) {
                    row.copy_from_slice(&b[..gu]);
                }
                true
            }
            None => false,
        }
    }

    /// What the cell reads for one step from these weights and states.
    fn step_in<'a>(&'a self, h_prev: &'a [f32], hm: &'a [f32], c_prev: &'a [f32], projected: bool) -> StepIn<'a> {
        StepIn {
            packed: None,
            packed_t: None,
            units: U,
            recurrent_kernel: &self.recurrent_kernel,
            recurrent_bias: self.recurrent_bias(),
            h_prev,
            hm,
            c_prev,
            projected,
        }
    }

    /// The recurrent half of the bias, if the cell has one.
    fn recurrent_bias(&self) -> Option<&[f32]> {
        match &self.bias {
            Some(b) if C::BIAS_ROWS == 2 => Some(&b[Self::GU..]),
            _ => None,
        }
    }
}

#[cfg(feature = "std")]
impl<C: Cell, const S: usize, const I: usize, const U: usize, const Q: bool, const B: bool>
    Recurrent<C, S, I, U, Q, B>
{
    /// A layer with the kernel drawn from `kernel_init`, then the recurrent
    /// kernel from `recurrent_init`, then the bias from `bias_init` (`None`:
    /// no bias), Keras's order; `unit_forget_bias` sets LSTM's forget-gate bias to 1.
    pub fn new(
        kernel_init: &Initializer,
        recurrent_init: &Initializer,
        bias_init: Option<&Initializer>,
        unit_forget_bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let kernel = kernel_init.draw(Self::KERNEL_SHAPE, rng);
        let recurrent_kernel = recurrent_init.draw(Self::RECURRENT_SHAPE, rng);
        let bias = bias_init.map(|init| {
            let mut b = Param::filled(Self::BIAS_SHAPE, 0.0, true);
            C::init_bias(init, unit_forget_bias, U, &mut b, rng);
            b
        });
        Self::from_params(kernel, recurrent_kernel, bias)
    }
}

/// Floats per sample of [`Recurrent`]'s inference scratch: one input step
/// and state and a one (`[x, h, 1]`), the cell's three buffers, two of `h`
/// and two of `c`, and a share of the stacked kernels (`[kernel;
/// recurrent_kernel; bias]`) that batches of [`FUSE_ROWS`] rows or more get
/// room for.
const fn infer_scratch(inputs: usize, gates: usize, kept: usize, units: usize) -> usize {
    let k = inputs + units + 1;
    k + (gates + kept) * units + 4 * units + (k * gates * units + PackedB::len(k, gates * units)).div_ceil(FUSE_ROWS)
}

/// Rows from which inference computes each step's two products as one
/// (`[x, h] · [kernel; recurrent_kernel]`, depth `IN + UNITS`), for cells
/// with [`Cell::ADDITIVE`]: one deeper product instead of two shallow ones
/// and one pass less over the gates.
const FUSE_ROWS: usize = 64;

impl<C: Cell, const S: usize, const I: usize, const U: usize, const Q: bool, const B: bool> Layer
    for Recurrent<C, S, I, U, Q, B>
{
    const IN: usize = S * I;
    const OUT: usize = if Q { S * U } else { U };
    const SCRATCH: usize = infer_scratch(I, C::GATES, C::ACT + C::AUX, U);

    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let n = rows(x.len(), S * I);
        let (gu, k) = (Self::GU, I + U);
        // The fused product's rows: `[x, h]`, and a one for the input bias,
        // which the stacked kernels end with (no pass filling `pre` with it).
        let bias = self.bias.as_ref().map(|b| &b[..gu]);
        let k1 = k + usize::from(bias.is_some());
        let (xh, rest) = scratch.split_at_mut(n * (k + 1));
        let (pre, rest) = rest.split_at_mut(n * gu);
        let (act, rest) = rest.split_at_mut(n * C::ACT * U);
        let (aux, rest) = rest.split_at_mut(n * C::AUX * U);
        let (hs, rest) = rest.split_at_mut(2 * n * U);
        let (cs, rest) = rest.split_at_mut(2 * n * U);
        let fused = C::ADDITIVE && n >= FUSE_ROWS && rest.len() >= k1 * gu + PackedB::len(k1, gu);
        // The stacked kernels, packed once for every step's product.
        let stacked = fused.then(|| {
            let (raw, room) = rest.split_at_mut(k1 * gu);
            raw[..I * gu].copy_from_slice(&self.kernel);
            raw[I * gu..k * gu].copy_from_slice(&self.recurrent_kernel);
            if let Some(b) = bias {
                raw[k * gu..].copy_from_slice(b);
            }
            PackedB::pack(k1, gu, raw, Layout::Normal, room)
        });
        hs[..n * U].fill(0.0);
        cs[..n * U].fill(0.0);
        for t in 0..S {
            let s = Self::source(t);
            let (h_prev, h) = halves(hs, t, n * U);
            let first = Self::zero_state(t);
            let width = if fused && !first { k1 } else { I };
            for ((row, sample), h) in xh.chunks_exact_mut(width).zip(x.chunks_exact(S * I)).zip(h_prev.chunks_exact(U))
            {
                row[..I].copy_from_slice(&sample[s * I..(s + 1) * I]);
                if width == k1 {
                    row[I..k].copy_from_slice(h);
                    row[k..].fill(1.0);
                }
            }
            let projected = if first {
                self.project(&xh[..n * I], n, pre);
                true
            } else if let Some(stacked) = &stacked {
                sgemm_packed(n, 1.0, &xh[..n * k1], Layout::Normal, stacked, 0.0, pre);
                true
            } else {
                self.project_with(&xh[..n * I], h_prev, n, pre)
            };
            let (c_prev, c) = if C::CARRY { halves(cs, t, n * U) } else { (&[][..], &mut [][..]) };
            let step = self.step_in(h_prev, h_prev, c_prev, projected);
            C::forward(&step, StepOut { pre: &mut *pre, act: &mut *act, aux: &mut *aux, h: &mut *h, c, keep: false });
            if Q {
                for (out, h) in y.chunks_exact_mut(S * U).zip(h.chunks_exact(U)) {
                    out[t * U..(t + 1) * U].copy_from_slice(h);
                }
            }
        }
        if !Q {
            let last = if S.is_multiple_of(2) { &hs[..n * U] } else { &hs[n * U..2 * n * U] };
            y.copy_from_slice(last);
        }
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        f("kernel", &self.kernel);
        f("recurrent_kernel", &self.recurrent_kernel);
        if let Some(b) = &self.bias {
            f("bias", b);
        }
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        f("kernel", &mut self.kernel);
        f("recurrent_kernel", &mut self.recurrent_kernel);
        if let Some(b) = &mut self.bias {
            f("bias", b);
        }
    }
}

/// The state buffer of step `t` (read) and of step `t + 1` (written), from
/// two halves of `len` floats used in turn.
fn halves(buf: &mut [f32], t: usize, len: usize) -> (&[f32], &mut [f32]) {
    let (a, b) = buf[..2 * len].split_at_mut(len);
    if t.is_multiple_of(2) {
        (a, b)
    } else {
        (b, a)
    }
}

impl<C: Cell, const S: usize, const I: usize, const U: usize, const Q: bool> Step for Recurrent<C, S, I, U, Q, false> {
    const STATE: usize = if C::CARRY { 2 * U } else { U };
    const STEP_IN: usize = I;
    const STEP_OUT: usize = U;
    const STEP_SCRATCH: usize = (C::GATES + C::ACT + C::AUX) * U + 2 * U;

    fn step(&self, state: &mut [f32], x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let gu = Self::GU;
        let (pre, rest) = scratch.split_at_mut(gu);
        let (act, rest) = rest.split_at_mut(C::ACT * U);
        let (aux, rest) = rest.split_at_mut(C::AUX * U);
        let (h, c) = rest.split_at_mut(U);
        let c = if C::CARRY { &mut c[..U] } else { &mut [][..] };
        let (h_prev, c_prev) = state.split_at_mut(U);
        let projected = self.project_with(x, h_prev, 1, pre);
        let step = self.step_in(h_prev, h_prev, c_prev, projected);
        C::forward(&step, StepOut { pre, act, aux, h: &mut *h, c: &mut *c, keep: false });
        h_prev.copy_from_slice(h);
        c_prev.copy_from_slice(c);
        y.copy_from_slice(h);
    }
}

/// A recurrent layer's training caches (time-major, in processing order) and gradients.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct RecurrentState {
    /// The inputs, `steps × n` rows of `IN` (dropout applied), and a one
    /// for the input bias if there is one.
    xt: Vec<f32>,
    /// The kernel with the input bias as its last row (the projection of
    /// `xt` in one product, no pass filling `pre` with the bias first).
    stacked: Vec<f32>,
    /// The cell's `pre`, `act` and `aux` of every step.
    pre: Vec<f32>,
    act: Vec<f32>,
    aux: Vec<f32>,
    /// `h` of steps 0 (zeros) to `steps`, `(steps + 1) × n × units`.
    h: Vec<f32>,
    /// `h` with the recurrent mask applied, `steps × n × units` (recurrent dropout only).
    hm: Vec<f32>,
    /// The carry of steps 0 to `steps` (LSTM).
    c: Vec<f32>,
    /// Dropout masks: `n × IN` and `n × units` (factors 0 or `1 / keep`).
    in_mask: Vec<f32>,
    rec_mask: Vec<f32>,
    /// Whether the last forward pass applied each mask.
    masked: (bool, bool),
    /// The recurrent kernel packed for the forward pass, and its transpose
    /// for the backward pass (cells with [`Cell::ADDITIVE`]).
    packed: Vec<f32>,
    packed_t: Vec<f32>,
    /// Gradients with respect to `pre` of every step.
    dpre: Vec<f32>,
    /// Running gradients with respect to `h` and `c`, two of each.
    dh: Vec<f32>,
    dc: Vec<f32>,
    tmp: Vec<f32>,
    tmp_h: Vec<f32>,
    dxt: Vec<f32>,
    dkernel: Vec<f32>,
    drecurrent: Vec<f32>,
    /// The other thread's recurrent-gradient accumulators (GRU).
    drecurrent_half: Vec<f32>,
    dbias: Vec<f32>,
}

/// Draws an inverted-dropout mask of `len` factors (0 or `1 / (1 - rate)`).
#[cfg(feature = "std")]
fn draw_mask(mask: &mut Vec<f32>, len: usize, rate: f32, rng: &mut Rng) {
    let keep = 1.0 - rate;
    for m in scratch(mask, len) {
        *m = if rng.random::<f32>() < keep { 1.0 / keep } else { 0.0 };
    }
}

#[cfg(feature = "std")]
impl<C: Cell, const S: usize, const I: usize, const U: usize, const Q: bool, const B: bool> Train
    for Recurrent<C, S, I, U, Q, B>
{
    type State = RecurrentState;
    // Per step: the pre-activations and their gradient, what the cell keeps
    // in `act` and `aux`, h and c, the input.
    const KEPT: usize = S * (2 * Self::GU + (C::ACT + C::AUX) * U + 2 * U + I);

    fn forward(&mut self, st: &mut RecurrentState, x: &[f32], y: &mut [f32], rng: &mut Rng) {
        let n = rows(x.len(), S * I);
        let (gu, nu) = (Self::GU, n * U);
        st.masked = (self.dropout > 0.0, self.recurrent_dropout > 0.0);
        if st.masked.0 {
            draw_mask(&mut st.in_mask, n * I, self.dropout, rng);
        }
        if st.masked.1 {
            draw_mask(&mut st.rec_mask, nu, self.recurrent_dropout, rng);
        }
        let i1 = self.xt_width();
        let xt = scratch(&mut st.xt, S * n * i1);
        for t in 0..S {
            let s = Self::source(t);
            let block = &mut xt[t * n * i1..(t + 1) * n * i1];
            for (b, (row, sample)) in block.chunks_exact_mut(i1).zip(x.chunks_exact(S * I)).enumerate() {
                let (inputs, one) = row.split_at_mut(I);
                inputs.copy_from_slice(&sample[s * I..(s + 1) * I]);
                if st.masked.0 {
                    inputs.iter_mut().zip(&st.in_mask[b * I..(b + 1) * I]).for_each(|(v, m)| *v *= m);
                }
                one.fill(1.0);
            }
        }
        let pre = scratch(&mut st.pre, S * n * gu);
        // pre = [x, 1] · [kernel; input bias] (7 MB of bias rows per
        // mnist_lstm batch otherwise written, then read back by the product).
        let stacked = match &self.bias {
            Some(b) => {
                let stacked = scratch(&mut st.stacked, i1 * gu);
                stacked[..I * gu].copy_from_slice(&self.kernel);
                stacked[I * gu..].copy_from_slice(&b[..gu]);
                &*stacked
            }
            None => &self.kernel[..],
        };
        sgemm(S * n, i1, gu, 1.0, xt, Layout::Normal, stacked, Layout::Normal, 0.0, pre);
        let (wa, wx) = (C::ACT * U, C::AUX * U);
        let act = scratch(&mut st.act, S * n * wa);
        let aux = scratch(&mut st.aux, S * n * wx);
        let hs = scratch(&mut st.h, (S + 1) * nu);
        hs[..nu].fill(0.0);
        let cs = scratch(&mut st.c, if C::CARRY { (S + 1) * nu } else { 0 });
        cs.iter_mut().take(nu).for_each(|v| *v = 0.0);
        let hms = scratch(&mut st.hm, if st.masked.1 { S * nu } else { 0 });
        let (masked, rec_mask) = (st.masked.1, &st.rec_mask);
        let packed = C::ADDITIVE.then(|| {
            let buf = scratch(&mut st.packed, PackedB::len(U, gu));
            PackedB::pack(U, gu, &self.recurrent_kernel, Layout::Normal, buf)
        });
        // The recurrence of each sample is independent of the others': the
        // two threads take half the batch each through every step.
        let (pre, act, aux, hs, cs, hms, ys) = (
            Parts::new(pre),
            Parts::new(act),
            Parts::new(aux),
            Parts::new(hs),
            Parts::new(cs),
            Parts::new(hms),
            Parts::new(y),
        );
        on_halves(n, &|rows| {
            let (b0, b1) = (rows.start, rows.end);
            let m = b1 - b0;
            for t in 0..S {
                // SAFETY: every range below covers rows b0..b1 of a step's
                // block, which no other part takes; step t reads the rows
                // of step t (written by this part at t - 1) and writes those of t + 1.
                let (h_prev, h) = unsafe {
                    (
                        &*hs.part((t * n + b0) * U..(t * n + b1) * U),
                        hs.part(((t + 1) * n + b0) * U..((t + 1) * n + b1) * U),
                    )
                };
                let hm: &[f32] = if masked {
                    // SAFETY: as above.
                    let hm = unsafe { hms.part((t * n + b0) * U..(t * n + b1) * U) };
                    hm.iter_mut().zip(h_prev).zip(&rec_mask[b0 * U..b1 * U]).for_each(|((m, h), k)| *m = h * k);
                    hm
                } else {
                    h_prev
                };
                let (c_prev, c) = if C::CARRY {
                    // SAFETY: as above.
                    unsafe {
                        (
                            &*cs.part((t * n + b0) * U..(t * n + b1) * U),
                            cs.part(((t + 1) * n + b0) * U..((t + 1) * n + b1) * U),
                        )
                    }
                } else {
                    (&[][..], &mut [][..])
                };
                let mut step = self.step_in(h_prev, hm, c_prev, Self::zero_state(t));
                step.packed = packed;
                let rows = t * n + b0..t * n + b1;
                let r = rows.start * gu..rows.end * gu;
                // SAFETY: as above.
                let out = unsafe {
                    StepOut {
                        pre: pre.part(r),
                        act: act.part(rows.start * wa..rows.end * wa),
                        aux: aux.part(rows.start * wx..rows.end * wx),
                        h: &mut *h,
                        c,
                        keep: true,
                    }
                };
                C::forward(&step, out);
                if Q {
                    // SAFETY: the samples b0..b1 of the output are this part's.
                    let y = unsafe { ys.part(b0 * S * U..b1 * S * U) };
                    for (out, h) in y.chunks_exact_mut(S * U).zip(h.chunks_exact(U)) {
                        out[t * U..(t + 1) * U].copy_from_slice(h);
                    }
                } else if t == S - 1 {
                    // SAFETY: as above.
                    unsafe { ys.part(b0 * U..b1 * U) }.copy_from_slice(&h[..m * U]);
                }
            }
        });
    }

    fn backward(&mut self, st: &mut RecurrentState, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let n = rows(x.len(), S * I);
        let (gu, nu) = (Self::GU, n * U);
        let RecurrentState {
            xt,
            pre,
            act,
            aux,
            h: hs,
            hm: hms,
            c: cs,
            in_mask,
            rec_mask,
            masked,
            packed_t,
            packed: _,
            dpre,
            dh,
            dc,
            tmp,
            tmp_h,
            dxt,
            dkernel,
            drecurrent,
            drecurrent_half,
            dbias,
            stacked: _,
        } = st;
        let (in_masked, masked) = *masked;
        let packed_t = C::ADDITIVE.then(|| {
            let buf = scratch(packed_t, PackedB::len(gu, U));
            PackedB::pack(gu, U, &self.recurrent_kernel, Layout::Transposed, buf)
        });
        let dpre = scratch(dpre, S * n * gu);
        let dh = scratch(dh, 2 * nu);
        let dc = scratch(dc, if C::CARRY { nu } else { 0 });
        dc.fill(0.0);
        let tmp = scratch(tmp, n * gu);
        let tmp_h = scratch(tmp_h, nu);
        let drec = scratch(drecurrent, U * gu);
        drec.fill(0.0);
        let db = scratch(dbias, if self.bias.is_some() { C::BIAS_ROWS * gu } else { 0 });
        db.fill(0.0);
        let (db_in, db_rec) = db.split_at_mut(if db.is_empty() { 0 } else { gu });
        let mut db_rec = if C::BIAS_ROWS == 2 && !db_rec.is_empty() { Some(db_rec) } else { None };
        // A second accumulator of the recurrent gradients for the other
        // thread's half (cells that accumulate them per step).
        let (drec2, mut db_rec2) = {
            let len = if C::ADDITIVE { 0 } else { U * gu + if db_rec.is_some() { gu } else { 0 } };
            let extra = scratch(drecurrent_half, len);
            extra.fill(0.0);
            let (a, b) = extra.split_at_mut(if C::ADDITIVE { 0 } else { U * gu });
            (a, if db_rec.is_some() && !C::ADDITIVE { Some(b) } else { None })
        };
        let (dpre_p, dh_p, dc_p, tmp_p, tmp_h_p) =
            (Parts::new(dpre), Parts::new(dh), Parts::new(dc), Parts::new(tmp), Parts::new(tmp_h));
        let accumulators = [SharedMut::new(drec), SharedMut::new(drec2)];
        let (rb0, rb1) = (db_rec.as_deref_mut().map(SharedMut::new), db_rec2.as_deref_mut().map(SharedMut::new));
        on_halves(n, &|rows| {
            let (b0, b1) = (rows.start, rows.end);
            let part = usize::from(b0 > 0);
            // SAFETY: each part takes rows b0..b1 of the per-row buffers and
            // its own accumulators (part 0 the layer's, part 1 the extra ones).
            let (mut cur, mut prev, dc, tmp, tmp_h) = unsafe {
                (
                    dh_p.part(b0 * U..b1 * U),
                    dh_p.part((n + b0) * U..(n + b1) * U),
                    if C::CARRY { dc_p.part(b0 * U..b1 * U) } else { &mut [][..] },
                    tmp_p.part(b0 * gu..b1 * gu),
                    tmp_h_p.part(b0 * U..b1 * U),
                )
            };
            let (drec, mut db_rec) = unsafe {
                (
                    accumulators[part].get(),
                    if part == 0 { rb0.as_ref().map(|b| b.get()) } else { rb1.as_ref().map(|b| b.get()) },
                )
            };
            cur.fill(0.0);
            for t in (0..S).rev() {
                let dys = &dy[b0 * if Q { S * U } else { U }..b1 * if Q { S * U } else { U }];
                if Q {
                    for (d, g) in cur.chunks_exact_mut(U).zip(dys.chunks_exact(S * U)) {
                        d.iter_mut().zip(&g[t * U..(t + 1) * U]).for_each(|(d, g)| *d += g);
                    }
                } else if t == S - 1 {
                    cur.copy_from_slice(dys);
                }
                let rows_u = (t * n + b0) * U..(t * n + b1) * U;
                let next_u = ((t + 1) * n + b0) * U..((t + 1) * n + b1) * U;
                let h_prev = &hs[rows_u.clone()];
                let mut step = self.step_in(
                    h_prev,
                    if masked { &hms[rows_u.clone()] } else { h_prev },
                    if C::CARRY { &cs[rows_u] } else { &[] },
                    false,
                );
                step.packed_t = packed_t;
                let rows = t * n + b0..t * n + b1;
                let r = rows.start * gu..rows.end * gu;
                let (wa, wx) = (C::ACT * U, C::AUX * U);
                // SAFETY: rows b0..b1 of step t's block.
                let dpre = unsafe { dpre_p.part(r.clone()) };
                let kept = StepKept {
                    pre: &pre[r.clone()],
                    act: &act[rows.start * wa..rows.end * wa],
                    aux: &aux[rows.start * wx..rows.end * wx],
                    h: &hs[next_u.clone()],
                    c: if C::CARRY { &cs[next_u] } else { &[] },
                };
                C::backward(
                    &step,
                    &kept,
                    StepGrad {
                        dh: cur,
                        dc: &mut *dc,
                        dpre: &mut *dpre,
                        dh_prev: if Self::zero_state(t) { &mut [][..] } else { &mut *prev },
                        drecurrent: &mut *drec,
                        drecurrent_bias: db_rec.as_deref_mut(),
                        mask: masked.then(|| &rec_mask[b0 * U..b1 * U]),
                        tmp: &mut *tmp,
                        tmp_h: &mut *tmp_h,
                    },
                );
                core::mem::swap(&mut cur, &mut prev);
            }
        });
        if !C::ADDITIVE {
            drec.iter_mut().zip(drec2.iter()).for_each(|(a, b)| *a += b);
            if let (Some(a), Some(b)) = (db_rec, db_rec2) {
                a.iter_mut().zip(b.iter()).for_each(|(a, b)| *a += b);
            }
        }
        if C::ADDITIVE {
            // Σ_t hm_tᵀ · dpre_t as one product over the steps after the
            // first (whose hm is the zero initial state).
            let hm = if masked { &hms[nu..S * nu] } else { &hs[nu..S * nu] };
            let k = S.saturating_sub(1) * n;
            sgemm(U, k, gu, 1.0, hm, Layout::Transposed, &dpre[n * gu..], Layout::Normal, 0.0, drec);
        }
        // [dkernel; dbias_in] = [x, 1]ᵀ · dpre: the input bias's gradient is
        // the last row of the kernel's product.
        let i1 = self.xt_width();
        let dk = scratch(dkernel, i1 * gu);
        sgemm(i1, S * n, gu, 1.0, xt, Layout::Transposed, dpre, Layout::Normal, 0.0, dk);
        db_in.copy_from_slice(&dk[I * gu..]);
        if let Some(dx) = dx {
            let dxt = scratch(dxt, S * n * I);
            sgemm(S * n, gu, I, 1.0, dpre, Layout::Normal, &self.kernel, Layout::Transposed, 0.0, dxt);
            for t in 0..S {
                let s = Self::source(t);
                let block = &dxt[t * n * I..(t + 1) * n * I];
                for (b, (row, sample)) in block.chunks_exact(I).zip(dx.chunks_exact_mut(S * I)).enumerate() {
                    let out = &mut sample[s * I..(s + 1) * I];
                    if in_masked {
                        let m = &in_mask[b * I..(b + 1) * I];
                        out.iter_mut().zip(row).zip(m).for_each(|((o, g), m)| *o = g * m);
                    } else {
                        out.copy_from_slice(row);
                    }
                }
            }
        }
    }

    fn visit_grads(&mut self, st: &mut RecurrentState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        let gu = Self::GU;
        f(&mut self.kernel, &mut st.dkernel[..I * gu]);
        f(&mut self.recurrent_kernel, &mut st.drecurrent[..U * gu]);
        if let Some(b) = &mut self.bias {
            f(b, &mut st.dbias[..C::BIAS_ROWS * gu]);
        }
    }
}

/// `c = a · b + beta · c` for the recurrent products: `a` (`n × k`) times
/// a recurrent kernel (`k × cols`).
pub(crate) fn times(k: usize, cols: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    sgemm(a.len() / k, k, cols, 1.0, a, Layout::Normal, b, Layout::Normal, beta, c);
}

/// The backward pass of [`times`] with `a` the masked state `hm` (`n ×
/// units`) and `d` the gradient of the product (`n × cols`):
/// `drecurrent += hmᵀ · d` and `dhm = d · recurrentᵀ + beta · dhm`.
pub(crate) fn recurrent_grads(
    units: usize,
    hm: &[f32],
    d: &[f32],
    recurrent: &[f32],
    drecurrent: &mut [f32],
    dhm: &mut [f32],
    beta: f32,
) {
    let n = hm.len() / units;
    let cols = d.len() / n;
    sgemm(units, n, cols, 1.0, hm, Layout::Transposed, d, Layout::Normal, 1.0, drecurrent);
    sgemm(n, cols, units, 1.0, d, Layout::Normal, recurrent, Layout::Transposed, beta, dhm);
}

/// `dhm = d · recurrentᵀ` (`d` is `n × cols`, `dhm` is `n × units`): the
/// state's gradient through [`times`].
pub(crate) fn state_grad(units: usize, d: &[f32], recurrent: &[f32], dhm: &mut [f32]) {
    let n = dhm.len() / units;
    sgemm(n, d.len() / n, units, 1.0, d, Layout::Normal, recurrent, Layout::Transposed, 0.0, dhm);
}

/// `dh_prev = dhm · mask` (or `dhm` itself without recurrent dropout).
pub(crate) fn unmask(dhm: &[f32], mask: Option<&[f32]>, dh_prev: &mut [f32]) {
    match mask {
        Some(m) => dh_prev.iter_mut().zip(dhm).zip(m).for_each(|((d, g), m)| *d = g * m),
        None => dh_prev.copy_from_slice(dhm),
    }
}

/// Floats per vector step of the gate loops.
pub(crate) const LANES: usize = 16;

/// Up to [`LANES`] values as a full array (zeros past the end); a whole
/// lane is one vector load, not a `memcpy` call.
#[inline(always)]
pub(crate) fn lanes(v: &[f32]) -> [f32; LANES] {
    match <[f32; LANES]>::try_from(v) {
        Ok(a) => a,
        Err(_) => {
            let mut a = [0.0f32; LANES];
            for (a, v) in a.iter_mut().zip(v) {
                *a = *v;
            }
            a
        }
    }
}

/// The first `out.len()` (at most [`LANES`]) values of `v` into `out`.
#[inline(always)]
pub(crate) fn store(out: &mut [f32], v: &[f32; LANES]) {
    match <&mut [f32; LANES]>::try_from(&mut *out) {
        Ok(o) => *o = *v,
        Err(_) => out.iter_mut().zip(v).for_each(|(o, v)| *o = *v),
    }
}

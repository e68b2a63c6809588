//! Keras's `Bidirectional`: a recurrent layer run forwards and a copy of it
//! run backwards over the same sequence, their outputs merged (`concat`,
//! `sum`, `mul` or `ave`). With `return_sequences` the backward layer's
//! outputs are put back in time order before merging, as Keras does.

use core::marker::PhantomData;

#[cfg(feature = "std")]
use super::{scratch, Train};
use super::{Layer, Recurrent};
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// How [`Bidirectional`] merges the two outputs of each step.
pub mod merge {
    /// One merge mode (Keras's `merge_mode`).
    pub trait Merge: Send + Sync + 'static {
        /// Output width in units of the inner layer's (2 for `concat`).
        const FACTOR: usize;
        /// `out` from the forward and backward outputs of one step.
        fn merge(f: &[f32], b: &[f32], out: &mut [f32]);
        /// The gradients of the two outputs from the merged one's.
        fn split(dy: &[f32], f: &[f32], b: &[f32], df: &mut [f32], db: &mut [f32]);
    }

    /// `[forward, backward]` on the last axis.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Concat;
    /// `forward + backward`.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Sum;
    /// `forward · backward`.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Mul;
    /// `(forward + backward) / 2`.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Ave;

    impl Merge for Concat {
        const FACTOR: usize = 2;
        fn merge(f: &[f32], b: &[f32], out: &mut [f32]) {
            let (of, ob) = out.split_at_mut(f.len());
            of.copy_from_slice(f);
            ob.copy_from_slice(b);
        }
        fn split(dy: &[f32], _: &[f32], _: &[f32], df: &mut [f32], db: &mut [f32]) {
            df.copy_from_slice(&dy[..df.len()]);
            db.copy_from_slice(&dy[df.len()..]);
        }
    }

    impl Merge for Sum {
        const FACTOR: usize = 1;
        fn merge(f: &[f32], b: &[f32], out: &mut [f32]) {
            out.iter_mut().zip(f.iter().zip(b)).for_each(|(o, (f, b))| *o = f + b);
        }
        fn split(dy: &[f32], _: &[f32], _: &[f32], df: &mut [f32], db: &mut [f32]) {
            df.copy_from_slice(dy);
            db.copy_from_slice(dy);
        }
    }

    impl Merge for Mul {
        const FACTOR: usize = 1;
        fn merge(f: &[f32], b: &[f32], out: &mut [f32]) {
            out.iter_mut().zip(f.iter().zip(b)).for_each(|(o, (f, b))| *o = f * b);
        }
        fn split(dy: &[f32], f: &[f32], b: &[f32], df: &mut [f32], db: &mut [f32]) {
            for j in 0..dy.len() {
                df[j] = dy[j] * b[j];
                db[j] = dy[j] * f[j];
            }
        }
    }

    impl Merge for Ave {
        const FACTOR: usize = 1;
        fn merge(f: &[f32], b: &[f32], out: &mut [f32]) {
            out.iter_mut().zip(f.iter().zip(b)).for_each(|(o, (f, b))| *o = (f + b) / 2.0);
        }
        fn split(dy: &[f32], _: &[f32], _: &[f32], df: &mut [f32], db: &mut [f32]) {
            df.iter_mut().zip(dy).for_each(|(d, g)| *d = g / 2.0);
            db.iter_mut().zip(dy).for_each(|(d, g)| *d = g / 2.0);
        }
    }
}

use merge::Merge;

/// A recurrent layer's sizes, as [`Bidirectional`] needs them.
pub trait Sequence: Layer {
    /// Output steps per sample: the input's steps with `return_sequences`, else 1.
    const STEPS_OUT: usize;
    /// Units (the width of one output step).
    const UNITS: usize;
}

impl<C: super::recurrent::Cell, const S: usize, const I: usize, const U: usize, const Q: bool, const B: bool> Sequence
    for Recurrent<C, S, I, U, Q, B>
{
    const STEPS_OUT: usize = if Q { S } else { 1 };
    const UNITS: usize = U;
}

/// `forward` (the declared layer) and `backward` (the same with
/// `go_backwards` flipped) over the same input, merged by `M`.
#[derive(Debug, Clone)]
pub struct Bidirectional<F, B, M> {
    /// The layer run in the declared direction (`forward_<name>` in Keras).
    pub forward: F,
    /// The layer run the other way (`backward_<name>`).
    pub backward: B,
    names: &'static [&'static str],
    merge: PhantomData<M>,
}

impl<F: Sequence, B: Sequence, M: Merge> Bidirectional<F, B, M> {
    /// The layer over its two halves; `names` are the weight names `visit`
    /// reports, forward's then backward's in their visit order
    /// (`"forward_lstm.kernel"`, ..., `"backward_lstm.kernel"`, ...).
    pub const fn new(forward: F, backward: B, names: &'static [&'static str]) -> Self {
        Bidirectional { forward, backward, names, merge: PhantomData }
    }

    /// Merges the two outputs of every sample, the backward one's steps reversed.
    fn merge_all(yf: &[f32], yb: &[f32], y: &mut [f32]) {
        let (steps, u) = (F::STEPS_OUT, F::UNITS);
        let w = M::FACTOR * u;
        for ((f, b), out) in
            yf.chunks_exact(steps * u).zip(yb.chunks_exact(steps * u)).zip(y.chunks_exact_mut(steps * w))
        {
            for t in 0..steps {
                let r = steps - 1 - t;
                M::merge(&f[t * u..(t + 1) * u], &b[r * u..(r + 1) * u], &mut out[t * w..(t + 1) * w]);
            }
        }
    }
}

impl<F: Sequence, B: Sequence, M: Merge> Layer for Bidirectional<F, B, M> {
    const IN: usize = F::IN;
    const OUT: usize = F::STEPS_OUT * M::FACTOR * F::UNITS;
    const SCRATCH: usize = F::OUT + B::OUT + if F::SCRATCH > B::SCRATCH { F::SCRATCH } else { B::SCRATCH };

    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let n = super::rows(x.len(), F::IN);
        let (yf, rest) = scratch.split_at_mut(n * F::OUT);
        let (yb, rest) = rest.split_at_mut(n * B::OUT);
        self.forward.infer(x, yf, rest);
        self.backward.infer(x, yb, rest);
        Self::merge_all(yf, yb, y);
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        let mut i = 0;
        let mut named = |_: &'static str, p: &Param| {
            f(self.names.get(i).copied().unwrap_or(""), p);
            i += 1;
        };
        self.forward.visit(&mut named);
        self.backward.visit(&mut named);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        let names = self.names;
        let mut i = 0;
        let mut named = |_: &'static str, p: &mut Param| {
            f(names.get(i).copied().unwrap_or(""), p);
            i += 1;
        };
        self.forward.visit_mut(&mut named);
        self.backward.visit_mut(&mut named);
    }
}

/// Both halves' training states and the buffers between them.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct BidirectionalState<FS, BS> {
    forward: FS,
    backward: BS,
    yf: Vec<f32>,
    yb: Vec<f32>,
    dyf: Vec<f32>,
    dyb: Vec<f32>,
    dxb: Vec<f32>,
}

#[cfg(feature = "std")]
impl<F: Sequence + Train, B: Sequence + Train, M: Merge> Train for Bidirectional<F, B, M> {
    type State = BidirectionalState<F::State, B::State>;
    const PER_SAMPLE: bool = F::PER_SAMPLE && B::PER_SAMPLE;
    // Both layers' states, and each direction's output and its gradient.
    const KEPT: usize = F::KEPT + B::KEPT + 2 * (F::OUT + B::OUT);

    fn forward(&mut self, st: &mut Self::State, x: &[f32], y: &mut [f32], rng: &mut Rng) {
        let n = super::rows(x.len(), F::IN);
        let yf = scratch(&mut st.yf, n * F::OUT);
        let yb = scratch(&mut st.yb, n * B::OUT);
        self.forward.forward(&mut st.forward, x, yf, rng);
        self.backward.forward(&mut st.backward, x, yb, rng);
        Self::merge_all(yf, yb, y);
    }

    fn backward(&mut self, st: &mut Self::State, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let n = super::rows(x.len(), F::IN);
        let (steps, u) = (F::STEPS_OUT, F::UNITS);
        let w = M::FACTOR * u;
        let dyf = scratch(&mut st.dyf, n * F::OUT);
        let dyb = scratch(&mut st.dyb, n * B::OUT);
        let outs = st.yf.chunks_exact(steps * u).zip(st.yb.chunks_exact(steps * u));
        let grads = dyf.chunks_exact_mut(steps * u).zip(dyb.chunks_exact_mut(steps * u));
        for (((f, b), (df, db)), g) in outs.zip(grads).zip(dy.chunks_exact(steps * w)) {
            for t in 0..steps {
                let r = steps - 1 - t;
                let (ft, bt) = (t * u..(t + 1) * u, r * u..(r + 1) * u);
                M::split(&g[t * w..(t + 1) * w], &f[ft.clone()], &b[bt.clone()], &mut df[ft], &mut db[bt]);
            }
        }
        match dx {
            Some(dx) => {
                self.forward.backward(&mut st.forward, x, &st.yf, dyf, Some(&mut *dx));
                let dxb = scratch(&mut st.dxb, x.len());
                self.backward.backward(&mut st.backward, x, &st.yb, dyb, Some(&mut *dxb));
                dx.iter_mut().zip(dxb.iter()).for_each(|(d, g)| *d += g);
            }
            None => {
                self.forward.backward(&mut st.forward, x, &st.yf, dyf, None);
                self.backward.backward(&mut st.backward, x, &st.yb, dyb, None);
            }
        }
    }

    fn visit_grads(&mut self, st: &mut Self::State, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        self.forward.visit_grads(&mut st.forward, f);
        self.backward.visit_grads(&mut st.backward, f);
    }
}

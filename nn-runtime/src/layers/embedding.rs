//! Keras's `Embedding`: each of a sample's `STEPS` ids (floats, as Keras
//! casts them) picks a row of `embeddings` (`[VOCAB, DIM]`).
//!
//! ```
//! use nn_runtime::{init::Initializer, layers::{Embedding, Layer}, rng};
//! let e = Embedding::<2, 10, 3>::new(&Initializer::random_uniform(-0.05, 0.05), &mut rng::seeded(0));
//! let mut y = [0.0; 6];
//! e.infer(&[4.0, 7.0], &mut y, &mut []);
//! assert_eq!(y[..3], e.embeddings[12..15]);
//! ```

#[cfg(feature = "std")]
use super::{scratch, Train};
use super::{Layer, Step};
#[cfg(feature = "std")]
use crate::init::Initializer;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// An embedding of `VOCAB` ids into `DIM` features, for `STEPS` ids per sample.
#[derive(Debug, Clone)]
pub struct Embedding<const STEPS: usize, const VOCAB: usize, const DIM: usize> {
    /// `[VOCAB, DIM]`, Keras's layout.
    pub embeddings: Param,
}

impl<const S: usize, const V: usize, const D: usize> Embedding<S, V, D> {
    /// The layer over the given table (`[VOCAB, DIM]`).
    pub const fn from_params(embeddings: Param) -> Self {
        Embedding { embeddings }
    }

    /// The row of id `x`, `None` unless `x` is an integer in `0..VOCAB`.
    fn row(&self, x: f32) -> Option<&[f32]> {
        let id = x as usize;
        (x >= 0.0 && x == id as f32 && id < V).then(|| &self.embeddings[id * D..(id + 1) * D])
    }

    /// `y = the rows of ids x`; an invalid id gives a row of NaN (the
    /// batched entry points refuse it first, naming it).
    fn lookup(&self, x: &[f32], y: &mut [f32]) {
        for (&id, out) in x.iter().zip(y.chunks_exact_mut(D)) {
            match self.row(id) {
                Some(row) => out.copy_from_slice(row),
                None => out.fill(f32::NAN),
            }
        }
    }
}

#[cfg(feature = "std")]
impl<const S: usize, const V: usize, const D: usize> Embedding<S, V, D> {
    const SHAPE: &'static [usize] = &[V, D];

    /// A table drawn from `init` (Keras's default: uniform in −0.05..0.05).
    pub fn new(init: &Initializer, rng: &mut Rng) -> Self {
        Embedding { embeddings: init.draw(Self::SHAPE, rng) }
    }
}

impl<const S: usize, const V: usize, const D: usize> Layer for Embedding<S, V, D> {
    const IN: usize = S;
    const OUT: usize = S * D;
    const IDS: Option<usize> = Some(V);

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        self.lookup(x, y);
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        f("embeddings", &self.embeddings);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        f("embeddings", &mut self.embeddings);
    }
}

impl<const S: usize, const V: usize, const D: usize> Step for Embedding<S, V, D> {
    const STATE: usize = 0;
    const STEP_IN: usize = 1;
    const STEP_OUT: usize = D;

    fn step(&self, _: &mut [f32], x: &[f32], y: &mut [f32], _: &mut [f32]) {
        self.lookup(x, y);
    }
}

/// The table's gradient: the sum of the output gradients of each id's row
/// (rows of ids absent from the batch get zeros, so SGD moves only the
/// rows used, as Keras's sparse update does).
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct EmbeddingState {
    dembeddings: Vec<f32>,
}

#[cfg(feature = "std")]
impl<const S: usize, const V: usize, const D: usize> Train for Embedding<S, V, D> {
    type State = EmbeddingState;

    fn backward(&mut self, st: &mut EmbeddingState, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let de = scratch(&mut st.dembeddings, V * D);
        de.fill(0.0);
        for (&id, g) in x.iter().zip(dy.chunks_exact(D)) {
            if self.row(id).is_some() {
                let id = id as usize;
                de[id * D..(id + 1) * D].iter_mut().zip(g).for_each(|(d, g)| *d += g);
            }
        }
        // Ids are not differentiable: no gradient flows to the input.
        if let Some(dx) = dx {
            dx.fill(0.0);
        }
    }

    fn visit_grads(&mut self, st: &mut EmbeddingState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        f(&mut self.embeddings, &mut st.dembeddings[..V * D]);
    }
}

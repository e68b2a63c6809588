//! Keras's `Flatten` and `Reshape`: the data is already flat and row-major, so
//! both are views; the generated code passes the buffer on untouched.

use super::Layer;
#[cfg(feature = "std")]
use super::Train;

/// A shape change of `N` values per sample (Flatten, Reshape).
#[derive(Debug, Clone, Copy, Default)]
pub struct Reshape<const N: usize>;

impl<const N: usize> Layer for Reshape<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        y.copy_from_slice(x);
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for Reshape<N> {
    type State = ();

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }
}

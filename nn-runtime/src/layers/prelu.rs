//! Keras's `PReLU`: a learned slope per input element (alpha shaped like one
//! sample, initialized to zeros as in Keras).

#[cfg(feature = "std")]
use super::scratch;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
use crate::kernels::activation::leaky_relu;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// Parametric ReLU over `N` values per sample.
#[derive(Debug, Clone)]
pub struct PRelu<const N: usize> {
    /// Slopes, shaped like one input sample.
    pub alpha: Param,
}

/// PReLU's gradient.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct PReluState {
    dalpha: Vec<f32>,
}

impl<const N: usize> PRelu<N> {
    /// The layer with zero slopes; `shape` is one sample's shape (product `N`).
    #[cfg(feature = "std")]
    pub fn new(shape: &'static [usize]) -> Self {
        PRelu { alpha: Param::filled(shape, 0.0, true) }
    }
}

impl<const N: usize> Layer for PRelu<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        for (yr, xr) in y.chunks_exact_mut(N).zip(x.chunks_exact(N)) {
            for ((y, &x), &a) in yr.iter_mut().zip(xr).zip(self.alpha.iter()) {
                *y = leaky_relu(x, a);
            }
        }
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        f("alpha", &self.alpha);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        f("alpha", &mut self.alpha);
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for PRelu<N> {
    type State = PReluState;

    fn forward(&mut self, _: &mut PReluState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        self.infer(x, y, &mut []);
    }

    fn backward(&mut self, st: &mut PReluState, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let da = scratch(&mut st.dalpha, N);
        da.fill(0.0);
        for (xr, dr) in x.chunks_exact(N).zip(dy.chunks_exact(N)) {
            for ((da, &x), &d) in da.iter_mut().zip(xr).zip(dr) {
                *da += d * x.min(0.0);
            }
        }
        if let Some(dx) = dx {
            for ((dxr, xr), dr) in dx.chunks_exact_mut(N).zip(x.chunks_exact(N)).zip(dy.chunks_exact(N)) {
                for (((dx, &x), &d), &a) in dxr.iter_mut().zip(xr).zip(dr).zip(self.alpha.iter()) {
                    *dx = if x >= 0.0 { d } else { d * a };
                }
            }
        }
    }

    fn visit_grads(&mut self, st: &mut PReluState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        f(&mut self.alpha, &mut st.dalpha[..N]);
    }
}

impl<const N: usize> PRelu<N> {
    /// The layer over the given slopes (shaped like one sample).
    pub const fn from_params(alpha: Param) -> Self {
        PRelu { alpha }
    }
}

//! Keras's `SGD`, with optional (Nesterov) momentum.

use super::{check, optimizer_common, Core, LearningRate, Range, Rule};
use crate::kernels::gemm::{run2, SharedMut};
use crate::kernels::simd::{dispatch, PAR_MIN_LEN};
use crate::Result;

/// Stochastic gradient descent, Keras 3's `SGD`.
///
/// Without momentum: `p -= lr * g`. With momentum `μ` (Keras 3's form, the
/// velocity holding the learning rate):
///
/// - `m = μ * m - lr * g; p += m`;
/// - Nesterov: `m = μ * m - lr * g; p += μ * m - lr * g` (with the new `m`).
///
/// Slot (only when `momentum != 0`): `momentum.<index>`.
///
/// ```
/// use nn_runtime::optim::{Optimizer, Sgd};
///
/// let mut opt = Sgd::new(0.1);
/// let mut p = [1.0_f32];
/// opt.begin_step();
/// opt.update(0, &mut p, &mut [0.5]);
/// assert_eq!(p, [0.95]);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    core: Core,
    momentum: f64,
    nesterov: bool,
}

impl Sgd {
    /// SGD at this learning rate (a float or a schedule), without momentum.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Sgd { core: Core::new(learning_rate.into()), momentum: 0.0, nesterov: false }
    }

    /// Momentum factor `μ` (Keras's default 0: plain SGD); in `[0, 1]`, as Keras requires.
    #[must_use]
    pub fn momentum(mut self, momentum: impl Into<f64>) -> Self {
        self.momentum = momentum.into();
        self
    }

    /// Nesterov momentum (Keras's default `false`); no effect without momentum.
    #[must_use]
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }
}

impl Rule for Sgd {
    fn validate(&self, name: &str) -> Result<()> {
        check(name, "momentum", self.momentum, Range::Unit)
    }

    fn slot_names(&self) -> &'static [&'static str] {
        if self.momentum != 0.0 {
            &["momentum"]
        } else {
            &[]
        }
    }

    fn apply(&self, lr: f32, _t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
        match slots {
            [m] => {
                let mu = self.momentum as f32;
                let it = param.iter_mut().zip(grad).zip(m.iter_mut());
                if self.nesterov {
                    for ((p, &g), m) in it {
                        *m = *m * mu - g * lr;
                        *p += *m * mu - g * lr;
                    }
                } else {
                    for ((p, &g), m) in it {
                        *m = *m * mu - g * lr;
                        *p += *m;
                    }
                }
            }
            _ => {
                // Elementwise: the two halves of a large tensor on the two threads.
                let update = |param: &mut [f32], grad: &[f32]| {
                    dispatch(|| {
                        for (p, &g) in param.iter_mut().zip(grad) {
                            *p -= g * lr;
                        }
                    })
                };
                let n = param.len().min(grad.len());
                if n < PAR_MIN_LEN {
                    update(param, grad);
                    return;
                }
                let half = (n / 2).div_ceil(16) * 16;
                let (head, tail) = param[..n].split_at_mut(half);
                let halves = [SharedMut::new(head), SharedMut::new(tail)];
                let grads = [&grad[..half], &grad[half..n]];
                run2(&|part: usize| {
                    // SAFETY: each part takes its own half, which outlives run2.
                    update(unsafe { halves[part].get() }, grads[part]);
                });
            }
        }
    }
}

optimizer_common!(Sgd);

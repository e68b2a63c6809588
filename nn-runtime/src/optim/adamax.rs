//! Keras's `Adamax`.

use super::adam::{adam_builders, validate_adam};
use super::{one_minus, optimizer_common, Core, LearningRate, Rule};

/// Adamax, Keras 3's `Adamax` (β1 0.9, β2 0.999, ε 1e-7): Adam with the
/// infinity norm, at step `t` (1 for the first):
///
/// ```text
/// m += (g - m) * (1 - β1)
/// u = max(β2 * u, |g|)
/// p -= lr * m / ((1 - β1^t) * (u + ε))
/// ```
///
/// Slots: `momentum.<index>`, `norm.<index>`.
#[derive(Clone, Debug)]
pub struct Adamax {
    core: Core,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
}

impl Adamax {
    /// Adamax at this learning rate (a float or a schedule), Keras's defaults otherwise.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Adamax { core: Core::new(learning_rate.into()), beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }
    }
}

adam_builders!(Adamax);

impl Rule for Adamax {
    fn validate(&self, name: &str) -> crate::Result<()> {
        validate_adam(name, self.beta_1, self.beta_2, self.epsilon)
    }

    fn slot_names(&self) -> &'static [&'static str] {
        &["momentum", "norm"]
    }

    fn apply(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
        let [m, u] = slots else { unreachable!("Adamax has two slots") };
        let beta_1_power = (self.beta_1 as f32).powf(t as f32);
        let (c1, b2, eps) = (one_minus(self.beta_1), self.beta_2 as f32, self.epsilon as f32);
        for (((p, &g), m), u) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(u.iter_mut()) {
            *m += (g - *m) * c1;
            *u = (b2 * *u).max(g.abs());
            *p -= lr * *m / ((1.0 - beta_1_power) * (*u + eps));
        }
    }
}

optimizer_common!(Adamax);

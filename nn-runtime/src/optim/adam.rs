//! Keras's `Adam` and `AdamW`.

use super::{check, one_minus, optimizer_common, Core, LearningRate, Range, Rule};
use crate::Result;

/// `.beta_1`, `.beta_2`, `.epsilon` for the Adam family.
macro_rules! adam_builders {
    ($ty:ident) => {
        impl $ty {
            /// Decay rate of the first-moment (momentum) average (Keras's default 0.9);
            /// in `[0, 1)` (1 would divide by `1 - β1^t = 0`).
            #[must_use]
            pub fn beta_1(mut self, beta_1: impl Into<f64>) -> Self {
                self.beta_1 = beta_1.into();
                self
            }

            /// Decay rate of the second-moment average (Keras's default 0.999); in
            /// `[0, 1)` (1 would never update the average).
            #[must_use]
            pub fn beta_2(mut self, beta_2: impl Into<f64>) -> Self {
                self.beta_2 = beta_2.into();
                self
            }

            /// ε, the denominator's smoothing term (Keras's default 1e-7); a finite
            /// number `>= 0`, as Keras accepts (with 0, a gradient element that is
            /// exactly 0 from the first step gives 0/0).
            #[must_use]
            pub fn epsilon(mut self, epsilon: impl Into<f64>) -> Self {
                self.epsilon = epsilon.into();
                self
            }
        }
    };
}
pub(super) use adam_builders;

/// Checks `(beta_1, beta_2, epsilon)` of the Adam family for optimizer `name`.
pub(super) fn validate_adam(name: &str, beta_1: f64, beta_2: f64, epsilon: f64) -> Result<()> {
    check(name, "beta_1", beta_1, Range::UnitOpen)?;
    check(name, "beta_2", beta_2, Range::UnitOpen)?;
    check(name, "epsilon", epsilon, Range::NonNegative)
}

/// Adam, Keras 3's `Adam` (β1 0.9, β2 0.999, ε 1e-7), in Keras's
/// bias-corrected form, at step `t` (1 for the first):
///
/// ```text
/// α = lr * sqrt(1 - β2^t) / (1 - β1^t)
/// m += (g - m) * (1 - β1)
/// v += (g² - v) * (1 - β2)
/// p -= m * α / (sqrt(v) + ε)
/// ```
///
/// Slots: `momentum.<index>`, `velocity.<index>`.
#[derive(Clone, Debug)]
pub struct Adam {
    core: Core,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
}

impl Adam {
    /// Adam at this learning rate (a float or a schedule), Keras's defaults otherwise.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Adam { core: Core::new(learning_rate.into()), beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }
    }
}

adam_builders!(Adam);

/// Keras's Adam step, shared with [`AdamW`]; `hyper` is `(beta_1, beta_2, epsilon)`.
fn adam_step(hyper: (f64, f64, f64), lr: f32, t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
    let (beta_1, beta_2, epsilon) = hyper;
    let [m, v] = slots else { unreachable!("Adam has two slots") };
    let t = t as f32;
    let beta_1_power = (beta_1 as f32).powf(t);
    let beta_2_power = (beta_2 as f32).powf(t);
    let alpha = lr * (1.0 - beta_2_power).sqrt() / (1.0 - beta_1_power);
    let (c1, c2, eps) = (one_minus(beta_1), one_minus(beta_2), epsilon as f32);
    for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m += (g - *m) * c1;
        *v += (g * g - *v) * c2;
        *p -= *m * alpha / (v.sqrt() + eps);
    }
}

impl Rule for Adam {
    fn validate(&self, name: &str) -> Result<()> {
        validate_adam(name, self.beta_1, self.beta_2, self.epsilon)
    }

    fn slot_names(&self) -> &'static [&'static str] {
        &["momentum", "velocity"]
    }

    fn apply(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
        adam_step((self.beta_1, self.beta_2, self.epsilon), lr, t, param, grad, slots);
    }
}

optimizer_common!(Adam);

/// AdamW, Keras 3's `AdamW`: Adam with decoupled weight decay (0.004 by
/// default). Before each Adam step, as Keras's `_apply_weight_decay` does,
/// every tensor (Keras excludes none by default) is shrunk:
/// `p -= p * weight_decay * lr`.
///
/// Slots: `momentum.<index>`, `velocity.<index>`.
#[derive(Clone, Debug)]
pub struct AdamW {
    core: Core,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    weight_decay: f64,
}

impl AdamW {
    /// AdamW at this learning rate (a float or a schedule), Keras's defaults otherwise.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        AdamW { core: Core::new(learning_rate.into()), beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, weight_decay: 0.004 }
    }

    /// The decoupled weight decay factor (Keras's default 0.004), multiplied
    /// by the learning rate; a finite number `>= 0` (a negative one would grow
    /// the weights).
    #[must_use]
    pub fn weight_decay(mut self, weight_decay: impl Into<f64>) -> Self {
        self.weight_decay = weight_decay.into();
        self
    }
}

adam_builders!(AdamW);

impl Rule for AdamW {
    fn validate(&self, name: &str) -> Result<()> {
        validate_adam(name, self.beta_1, self.beta_2, self.epsilon)?;
        check(name, "weight_decay", self.weight_decay, Range::NonNegative)
    }

    fn slot_names(&self) -> &'static [&'static str] {
        &["momentum", "velocity"]
    }

    fn apply(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
        let wd = self.weight_decay as f32;
        for p in param.iter_mut() {
            *p -= *p * wd * lr;
        }
        adam_step((self.beta_1, self.beta_2, self.epsilon), lr, t, param, grad, slots);
    }
}

optimizer_common!(AdamW);

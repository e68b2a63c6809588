//! Keras's `RMSprop`.

use super::{check, one_minus, optimizer_common, Core, LearningRate, Range, Rule};
use crate::Result;

/// RMSProp, Keras 3's `RMSprop` (ρ 0.9, momentum 0, ε 1e-7, not centered):
///
/// ```text
/// v = ρ * v + (1 - ρ) * g²
/// a = ρ * a + (1 - ρ) * g                      (centered only)
/// inc = lr * g / sqrt(v + ε)                   (sqrt(v - a² + ε) centered)
/// p -= inc                                     (without momentum)
/// mom = μ * mom + inc; p -= mom                (with momentum μ > 0)
/// ```
///
/// ε is inside the square root, as in Keras (not added to it, as in PyTorch).
///
/// Slots: `velocity.<index>`, then `momentum.<index>` if momentum > 0, then
/// `average_gradient.<index>` if centered.
#[derive(Clone, Debug)]
pub struct RmsProp {
    core: Core,
    rho: f64,
    momentum: f64,
    epsilon: f64,
    centered: bool,
}

impl RmsProp {
    /// RMSProp at this learning rate (a float or a schedule), Keras's defaults otherwise.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        RmsProp { core: Core::new(learning_rate.into()), rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false }
    }

    /// Decay rate ρ of the squared-gradient average (Keras's default 0.9); in
    /// `[0, 1)` (1 would never update the average).
    #[must_use]
    pub fn rho(mut self, rho: impl Into<f64>) -> Self {
        self.rho = rho.into();
        self
    }

    /// Momentum μ (Keras's default 0: none); in `[0, 1]`, as SGD's.
    #[must_use]
    pub fn momentum(mut self, momentum: impl Into<f64>) -> Self {
        self.momentum = momentum.into();
        self
    }

    /// ε, added to the average inside the square root (Keras's default 1e-7);
    /// a finite number `>= 0`.
    #[must_use]
    pub fn epsilon(mut self, epsilon: impl Into<f64>) -> Self {
        self.epsilon = epsilon.into();
        self
    }

    /// Normalize by the gradient's estimated variance rather than its second
    /// moment (Keras's `centered`, default `false`).
    #[must_use]
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }
}

impl Rule for RmsProp {
    fn validate(&self, name: &str) -> Result<()> {
        check(name, "rho", self.rho, Range::UnitOpen)?;
        check(name, "momentum", self.momentum, Range::Unit)?;
        check(name, "epsilon", self.epsilon, Range::NonNegative)
    }

    fn slot_names(&self) -> &'static [&'static str] {
        match (self.momentum > 0.0, self.centered) {
            (false, false) => &["velocity"],
            (true, false) => &["velocity", "momentum"],
            (false, true) => &["velocity", "average_gradient"],
            (true, true) => &["velocity", "momentum", "average_gradient"],
        }
    }

    fn apply(&self, lr: f32, _t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
        let (rho, c, eps, mu) = (self.rho as f32, one_minus(self.rho), self.epsilon as f32, self.momentum as f32);
        let n = param.len();
        let (velocity, rest) = slots.split_first_mut().expect("RMSprop has a velocity slot");
        let (mut momentum, rest) = match rest {
            [m, rest @ ..] if self.momentum > 0.0 => (Some(&mut m[..n]), rest),
            _ => (None, rest),
        };
        let mut average = rest.first_mut().map(|a| &mut a[..n]);
        let (velocity, grad) = (&mut velocity[..n], &grad[..n]);
        for i in 0..n {
            let g = grad[i];
            let v = rho * velocity[i] + c * (g * g);
            velocity[i] = v;
            let denominator = match average.as_deref_mut() {
                Some(a) => {
                    a[i] = rho * a[i] + c * g;
                    v - a[i] * a[i] + eps
                }
                None => v + eps,
            };
            let increment = lr * g / denominator.sqrt();
            match momentum.as_deref_mut() {
                Some(m) => {
                    m[i] = mu * m[i] + increment;
                    param[i] -= m[i];
                }
                None => param[i] -= increment,
            }
        }
    }
}

optimizer_common!(RmsProp);

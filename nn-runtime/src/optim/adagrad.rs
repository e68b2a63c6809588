//! Keras's `Adagrad`.

use super::{check, optimizer_common, Core, LearningRate, Range, Rule};
use crate::Result;

/// AdaGrad, Keras 3's `Adagrad`: `acc += g²; p -= lr * g / sqrt(acc + ε)`,
/// the accumulator starting at `initial_accumulator_value` (0.1), ε = 1e-7.
///
/// Slot: `accumulator.<index>`.
#[derive(Clone, Debug)]
pub struct Adagrad {
    core: Core,
    init: f32,
    epsilon: f64,
}

impl Adagrad {
    /// AdaGrad at this learning rate (a float or a schedule), Keras's defaults otherwise.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Adagrad { core: Core::new(learning_rate.into()), init: 0.1, epsilon: 1e-7 }
    }

    /// The accumulators' starting value (Keras's default 0.1); a finite number
    /// `>= 0`, as Keras requires.
    #[must_use]
    pub fn initial_accumulator_value(mut self, value: impl Into<f64>) -> Self {
        self.init = value.into() as f32;
        self
    }

    /// ε, added to the accumulator inside the square root (Keras's default
    /// 1e-7); a finite number `>= 0`.
    #[must_use]
    pub fn epsilon(mut self, epsilon: impl Into<f64>) -> Self {
        self.epsilon = epsilon.into();
        self
    }
}

impl Rule for Adagrad {
    fn validate(&self, name: &str) -> Result<()> {
        check(name, "initial_accumulator_value", f64::from(self.init), Range::NonNegative)?;
        check(name, "epsilon", self.epsilon, Range::NonNegative)
    }

    fn slot_names(&self) -> &'static [&'static str] {
        &["accumulator"]
    }

    fn slot_init(&self) -> f32 {
        self.init
    }

    fn apply(&self, lr: f32, _t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
        let [acc] = slots else { unreachable!("Adagrad has one slot") };
        let eps = self.epsilon as f32;
        for ((p, &g), a) in param.iter_mut().zip(grad).zip(acc.iter_mut()) {
            *a += g * g;
            *p -= lr * g / (*a + eps).sqrt();
        }
    }
}

optimizer_common!(Adagrad);

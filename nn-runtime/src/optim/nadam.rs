//! Keras's `Nadam`.

use super::adam::{adam_builders, validate_adam};
use super::{optimizer_common, Core, LearningRate, Rule};

/// Nadam, Keras 3's `Nadam` (β1 0.9, β2 0.999, ε 1e-7): Adam with Nesterov
/// momentum and Keras 3's momentum schedule, at step `t` (1 for the first):
///
/// ```text
/// u_t     = β1 * (1 - 0.5 * 0.96^t)
/// u_{t+1} = β1 * (1 - 0.5 * 0.96^(t+1))
/// Π_t     = u_1 * ... * u_t              (the `u_product` state)
/// m += (g - m) * (1 - β1)
/// v += (g² - v) * (1 - β2)
/// m̂ = u_{t+1} * m / (1 - Π_t * u_{t+1}) + (1 - u_t) * g / (1 - Π_t)
/// v̂ = v / (1 - β2^t)
/// p -= m̂ * lr / (sqrt(v̂) + ε)
/// ```
///
/// Keras 3 (`keras/src/optimizers/nadam.py`, 3.0 to 3.15 at least) uses
/// `0.96^t`; tf.keras 2's legacy Nadam used `0.96^(0.004 t)`. This follows
/// Keras 3.
///
/// Slots: `momentum.<index>`, `velocity.<index>`; scalar state `u_product`.
#[derive(Clone, Debug)]
pub struct Nadam {
    core: Core,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    /// Keras's `_u_product`, updated once per step in `begin_step`.
    u_product: f32,
}

impl Nadam {
    /// Nadam at this learning rate (a float or a schedule), Keras's defaults otherwise.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Nadam { core: Core::new(learning_rate.into()), beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, u_product: 1.0 }
    }
}

adam_builders!(Nadam);

/// Keras's `u_t = β1 * (1 - 0.5 * 0.96^t)`, in `f32`.
fn u(beta_1: f32, t: f32) -> f32 {
    beta_1 * (1.0 - 0.5 * 0.96_f32.powf(t))
}

impl Rule for Nadam {
    fn validate(&self, name: &str) -> crate::Result<()> {
        validate_adam(name, self.beta_1, self.beta_2, self.epsilon)
    }

    fn slot_names(&self) -> &'static [&'static str] {
        &["momentum", "velocity"]
    }

    fn scalars(&self) -> Vec<(&'static str, f32)> {
        vec![("u_product", self.u_product)]
    }

    fn set_scalars(&mut self, values: &[f32]) {
        self.u_product = values[0];
    }

    fn on_begin_step(&mut self, t: u64) {
        // Keras: `u_product * beta_1 * (1 - 0.5 * 0.96^t)`, left to right.
        self.u_product = self.u_product * self.beta_1 as f32 * (1.0 - 0.5 * 0.96_f32.powf(t as f32));
    }

    fn apply(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]) {
        let [m, v] = slots else { unreachable!("Nadam has two slots") };
        let (beta_1, beta_2, eps) = (self.beta_1 as f32, self.beta_2 as f32, self.epsilon as f32);
        let local_step = t as f32;
        let u_t = u(beta_1, local_step);
        let u_t_1 = u(beta_1, (t + 1) as f32);
        let u_product_t = self.u_product;
        let u_product_t_1 = u_product_t * u_t_1;
        let beta_2_power = beta_2.powf(local_step);
        // Here Keras subtracts the f32-cast betas (unlike Adam's Python-float `1 - beta`).
        let (c1, c2) = (1.0 - beta_1, 1.0 - beta_2);
        for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m += (g - *m) * c1;
            *v += (g * g - *v) * c2;
            let m_hat = u_t_1 * *m / (1.0 - u_product_t_1) + (1.0 - u_t) * g / (1.0 - u_product_t);
            let v_hat = *v / (1.0 - beta_2_power);
            *p -= m_hat * lr / (v_hat.sqrt() + eps);
        }
    }
}

optimizer_common!(Nadam);

//! Learning rates: a constant or a schedule of the step count.
//!
//! An optimizer evaluates its schedule at Keras's `optimizer.iterations`, the
//! number of steps completed before the current one: the first step uses
//! `schedule.at(0)`. Keras's schedules compute in `f32`, and so do these.
//!
//! Every rate parameter must be a finite number `>= 0` and every step count
//! at least 1; the optimizer checks them ([`LearningRate::validate`]) at the
//! first step, where a value outside is an error naming the schedule and the
//! parameter.

use super::{check, Range};
use crate::{Error, Result};

/// The learning rate of an optimizer: a constant or a schedule.
///
/// Every optimizer's `new` takes `impl Into<LearningRate>`, so a plain float
/// (`Sgd::new(0.1)`, an `f64` literal, or an `f32`) or any schedule works.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LearningRate {
    /// The same rate at every step.
    Constant(f32),
    /// Keras's `ExponentialDecay`.
    Exponential(ExponentialDecay),
    /// Keras's `PiecewiseConstantDecay`.
    PiecewiseConstant(PiecewiseConstantDecay),
    /// Keras's `InverseTimeDecay`.
    InverseTime(InverseTimeDecay),
    /// The 1cycle schedule.
    OneCycle(OneCycle),
    /// Keras's `PolynomialDecay`.
    Polynomial(PolynomialDecay),
    /// Keras's `CosineDecay` (with its optional linear warmup).
    Cosine(CosineDecay),
    /// Keras's `CosineDecayRestarts` (SGDR).
    CosineRestarts(CosineDecayRestarts),
}

impl LearningRate {
    /// The rate at `step`, the number of steps completed before it.
    pub fn at(&self, step: u64) -> f32 {
        match self {
            LearningRate::Constant(lr) => *lr,
            LearningRate::Exponential(s) => s.at(step),
            LearningRate::PiecewiseConstant(s) => s.at(step),
            LearningRate::InverseTime(s) => s.at(step),
            LearningRate::OneCycle(s) => s.at(step),
            LearningRate::Polynomial(s) => s.at(step),
            LearningRate::Cosine(s) => s.at(step),
            LearningRate::CosineRestarts(s) => s.at(step),
        }
    }
}

impl LearningRate {
    /// Checks the rate, or every parameter of the schedule: every rate a
    /// finite number `>= 0`, every step count at least 1 (see each
    /// schedule's `validate`); `owner` (the optimizer's name) starts the
    /// message, as in `Sgd: learning_rate must be a finite
    /// number >= 0, got NaN` or `Adam: ExponentialDecay: decay_steps must be
    /// at least 1, got 0`.
    pub fn validate(&self, owner: &str) -> Result<()> {
        let schedule = match self {
            LearningRate::Constant(lr) => return check(owner, "learning_rate", f64::from(*lr), Range::NonNegative),
            LearningRate::Exponential(s) => s.validate(),
            LearningRate::PiecewiseConstant(s) => s.validate(),
            LearningRate::InverseTime(s) => s.validate(),
            LearningRate::OneCycle(s) => s.validate(),
            LearningRate::Polynomial(s) => s.validate(),
            LearningRate::Cosine(s) => s.validate(),
            LearningRate::CosineRestarts(s) => s.validate(),
        };
        schedule.map_err(|e| match e {
            Error::Invalid(reason) => Error::Invalid(format!("{owner}: {reason}")),
            e => e,
        })
    }
}

/// `Ok` unless the step count `name` of `schedule` is 0.
fn check_steps(schedule: &str, name: &str, steps: u64) -> Result<()> {
    if steps == 0 {
        Err(Error::Invalid(format!("{schedule}: {name} must be at least 1, got 0")))
    } else {
        Ok(())
    }
}

impl From<f32> for LearningRate {
    fn from(lr: f32) -> Self {
        LearningRate::Constant(lr)
    }
}

impl From<f64> for LearningRate {
    /// Rounds to `f32`, as Keras stores a float learning rate in an `f32` variable.
    fn from(lr: f64) -> Self {
        LearningRate::Constant(lr as f32)
    }
}

impl From<ExponentialDecay> for LearningRate {
    fn from(s: ExponentialDecay) -> Self {
        LearningRate::Exponential(s)
    }
}

impl From<PiecewiseConstantDecay> for LearningRate {
    fn from(s: PiecewiseConstantDecay) -> Self {
        LearningRate::PiecewiseConstant(s)
    }
}

impl From<InverseTimeDecay> for LearningRate {
    fn from(s: InverseTimeDecay) -> Self {
        LearningRate::InverseTime(s)
    }
}

impl From<OneCycle> for LearningRate {
    fn from(s: OneCycle) -> Self {
        LearningRate::OneCycle(s)
    }
}

impl From<PolynomialDecay> for LearningRate {
    fn from(s: PolynomialDecay) -> Self {
        LearningRate::Polynomial(s)
    }
}

impl From<CosineDecay> for LearningRate {
    fn from(s: CosineDecay) -> Self {
        LearningRate::Cosine(s)
    }
}

impl From<CosineDecayRestarts> for LearningRate {
    fn from(s: CosineDecayRestarts) -> Self {
        LearningRate::CosineRestarts(s)
    }
}

/// Keras's `ExponentialDecay`: `initial_learning_rate * decay_rate ^ (step / decay_steps)`,
/// the exponent floored when `staircase` (the book's exponential scheduling).
///
/// ```
/// use nn_runtime::optim::ExponentialDecay;
///
/// // Divide the rate by 10 every 20 000 steps.
/// let s = ExponentialDecay::new(0.01, 20_000, 0.1);
/// assert_eq!(s.at(0), 0.01);
/// assert!((s.at(20_000) - 0.001).abs() < 1e-9);
/// assert_eq!(s.staircase(true).at(19_999), 0.01);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f64,
    /// Steps over which the rate is multiplied by `decay_rate`.
    pub decay_steps: u64,
    /// The factor per `decay_steps` steps.
    pub decay_rate: f64,
    /// Decay at whole multiples of `decay_steps` only (Keras's default: `false`).
    pub staircase: bool,
}

impl ExponentialDecay {
    /// A smooth exponential decay (`staircase` off, Keras's default).
    pub fn new(initial_learning_rate: impl Into<f64>, decay_steps: u64, decay_rate: impl Into<f64>) -> Self {
        ExponentialDecay {
            initial_learning_rate: initial_learning_rate.into(),
            decay_steps,
            decay_rate: decay_rate.into(),
            staircase: false,
        }
    }

    /// Sets `staircase`.
    #[must_use]
    pub fn staircase(mut self, staircase: bool) -> Self {
        self.staircase = staircase;
        self
    }

    /// The rate after `step` completed steps.
    pub fn at(&self, step: u64) -> f32 {
        let p = decay_progress(step, self.decay_steps, self.staircase);
        self.initial_learning_rate as f32 * (self.decay_rate as f32).powf(p)
    }

    /// Checks the parameters: `initial_learning_rate` and `decay_rate` finite
    /// and `>= 0` (a negative rate to a fractional power is NaN),
    /// `decay_steps` at least 1 (Keras 3 refuses 0 too).
    pub fn validate(&self) -> Result<()> {
        const NAME: &str = "ExponentialDecay";
        check(NAME, "initial_learning_rate", self.initial_learning_rate, Range::NonNegative)?;
        check_steps(NAME, "decay_steps", self.decay_steps)?;
        check(NAME, "decay_rate", self.decay_rate, Range::NonNegative)
    }
}

/// Keras's `PiecewiseConstantDecay`: `values[0]` while `step <= boundaries[0]`,
/// `values[i]` while `boundaries[i - 1] < step <= boundaries[i]`, and the last
/// value after the last boundary.
///
/// ```
/// use nn_runtime::optim::PiecewiseConstantDecay;
///
/// let s = PiecewiseConstantDecay::new([5_000, 10_000], [1.0, 0.5, 0.1]);
/// assert_eq!((s.at(5_000), s.at(5_001), s.at(10_001)), (1.0, 0.5, 0.1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PiecewiseConstantDecay {
    /// Increasing step counts where the rate changes.
    pub boundaries: Vec<u64>,
    /// One more rate than boundaries.
    pub values: Vec<f64>,
}

impl PiecewiseConstantDecay {
    /// The schedule with these boundaries and rates.
    ///
    /// # Panics
    ///
    /// If there is not exactly one more value than boundaries (Keras raises a
    /// `ValueError`), or if the boundaries are not increasing.
    pub fn new<V: Into<f64>>(boundaries: impl IntoIterator<Item = u64>, values: impl IntoIterator<Item = V>) -> Self {
        let boundaries: Vec<u64> = boundaries.into_iter().collect();
        let values: Vec<f64> = values.into_iter().map(Into::into).collect();
        assert!(
            values.len() == boundaries.len() + 1,
            "PiecewiseConstantDecay: {} boundaries need {} values, found {}",
            boundaries.len(),
            boundaries.len() + 1,
            values.len()
        );
        assert!(
            boundaries.windows(2).all(|w| w[0] < w[1]),
            "PiecewiseConstantDecay: boundaries must increase, found {boundaries:?}"
        );
        PiecewiseConstantDecay { boundaries, values }
    }

    /// The rate after `step` completed steps.
    pub fn at(&self, step: u64) -> f32 {
        let passed = self.boundaries.iter().take_while(|&&b| step > b).count();
        match self.values.get(passed).or(self.values.last()) {
            Some(&v) => v as f32,
            None => 0.0,
        }
    }

    /// Checks that every value is a finite number `>= 0` (the error names
    /// it: `values[1]`); the lengths and boundaries were checked by [`new`](Self::new).
    pub fn validate(&self) -> Result<()> {
        for (i, &v) in self.values.iter().enumerate() {
            if !Range::NonNegative.contains(v) {
                return check("PiecewiseConstantDecay", &format!("values[{i}]"), v, Range::NonNegative);
            }
        }
        Ok(())
    }
}

/// Keras's `InverseTimeDecay`:
/// `initial_learning_rate / (1 + decay_rate * step / decay_steps)`, the
/// quotient floored when `staircase`.
///
/// This is the book's power scheduling `η0 / (1 + t/s)^c` with `c = 1`
/// (`decay_steps = s`, `decay_rate = 1`).
///
/// ```
/// use nn_runtime::optim::InverseTimeDecay;
///
/// let s = InverseTimeDecay::new(0.01, 10_000, 1.0);
/// assert_eq!(s.at(0), 0.01);
/// assert_eq!(s.at(10_000), 0.005);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InverseTimeDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f64,
    /// The step scale `s`.
    pub decay_steps: u64,
    /// How fast the rate falls per `decay_steps` steps.
    pub decay_rate: f64,
    /// Use `floor(step / decay_steps)` (Keras's default: `false`).
    pub staircase: bool,
}

impl InverseTimeDecay {
    /// A smooth inverse-time decay (`staircase` off, Keras's default).
    pub fn new(initial_learning_rate: impl Into<f64>, decay_steps: u64, decay_rate: impl Into<f64>) -> Self {
        InverseTimeDecay {
            initial_learning_rate: initial_learning_rate.into(),
            decay_steps,
            decay_rate: decay_rate.into(),
            staircase: false,
        }
    }

    /// Sets `staircase`.
    #[must_use]
    pub fn staircase(mut self, staircase: bool) -> Self {
        self.staircase = staircase;
        self
    }

    /// The rate after `step` completed steps.
    pub fn at(&self, step: u64) -> f32 {
        let p = decay_progress(step, self.decay_steps, self.staircase);
        self.initial_learning_rate as f32 / (1.0 + self.decay_rate as f32 * p)
    }

    /// Checks the parameters: `initial_learning_rate` and `decay_rate` finite
    /// and `>= 0` (a negative decay rate would cross a zero denominator),
    /// `decay_steps` at least 1.
    pub fn validate(&self) -> Result<()> {
        const NAME: &str = "InverseTimeDecay";
        check(NAME, "initial_learning_rate", self.initial_learning_rate, Range::NonNegative)?;
        check_steps(NAME, "decay_steps", self.decay_steps)?;
        check(NAME, "decay_rate", self.decay_rate, Range::NonNegative)
    }
}

/// The 1cycle schedule (Smith 2018), exactly as Géron's `OneCycleScheduler`
/// of *Hands-On Machine Learning*, chapter 11, evaluated at the step count
/// instead of from a callback.
///
/// With `T = total_steps`, `L = last_steps` and `h = (T - L) / 2` (integer
/// division), the rate at step `t` is linear by pieces:
///
/// - `t < h`: from `start_lr` up to `max_lr`;
/// - `h <= t < 2h`: from `max_lr` back down to `start_lr`;
/// - `2h <= t < T`: from `start_lr` down to `last_lr` (the final annealing);
/// - `t >= T`: `last_lr` (Géron's callback would extrapolate below it).
///
/// Each piece is `(r2 - r1) * (t - t1) / (t2 - t1) + r1`, in `f64`, rounded to
/// `f32`. Defaults (Géron's): `start_lr = max_lr / 10` (fast.ai's
/// `div_factor` of 10), `L = T / 10 + 1`, `last_lr = start_lr / 1000`.
///
/// ```
/// use nn_runtime::optim::OneCycle;
///
/// let s = OneCycle::new(1000, 0.05); // h = (1000 - 101) / 2 = 449
/// let close = |a: f32, b: f32| (a - b).abs() <= 1e-6 * b;
/// assert!(close(s.at(0), 0.005));
/// assert!(close(s.at(449), 0.05)); // the peak
/// assert!(close(s.at(898), 0.005)); // the annealing starts
/// assert!(close(s.at(1000), 0.000005));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OneCycle {
    total_steps: u64,
    max_lr: f64,
    start_lr: Option<f64>,
    last_steps: Option<u64>,
    last_lr: Option<f64>,
}

impl OneCycle {
    /// A 1cycle schedule over `total_steps` steps (epochs × batches per
    /// epoch) peaking at `max_lr`, with Géron's defaults for the rest.
    pub fn new(total_steps: u64, max_lr: impl Into<f64>) -> Self {
        OneCycle { total_steps, max_lr: max_lr.into(), start_lr: None, last_steps: None, last_lr: None }
    }

    /// The rate at step 0 and at the end of the cycle (default `max_lr / 10`).
    #[must_use]
    pub fn start_lr(mut self, start_lr: impl Into<f64>) -> Self {
        self.start_lr = Some(start_lr.into());
        self
    }

    /// The length of the final annealing phase (default `total_steps / 10 + 1`).
    #[must_use]
    pub fn last_steps(mut self, last_steps: u64) -> Self {
        self.last_steps = Some(last_steps);
        self
    }

    /// The rate reached at `total_steps` (default `start_lr / 1000`).
    #[must_use]
    pub fn last_lr(mut self, last_lr: impl Into<f64>) -> Self {
        self.last_lr = Some(last_lr.into());
        self
    }

    /// Total number of steps of the schedule.
    pub fn total_steps(&self) -> u64 {
        self.total_steps
    }

    /// The peak rate.
    pub fn max_lr(&self) -> f64 {
        self.max_lr
    }

    /// The rate after `step` completed steps.
    pub fn at(&self, step: u64) -> f32 {
        let total = self.total_steps;
        let start = self.start_lr.unwrap_or(self.max_lr / 10.0);
        let last_steps = self.last_steps.unwrap_or(total / 10 + 1);
        let last = self.last_lr.unwrap_or(start / 1000.0);
        let half = total.saturating_sub(last_steps) / 2;
        let interp = |t1: u64, t2: u64, r1: f64, r2: f64| (r2 - r1) * (step - t1) as f64 / (t2 - t1) as f64 + r1;
        let lr = if step < half {
            interp(0, half, start, self.max_lr)
        } else if step < 2 * half {
            interp(half, 2 * half, self.max_lr, start)
        } else if step < total {
            interp(2 * half, total, start, last)
        } else {
            last
        };
        lr as f32
    }

    /// Checks the parameters: `max_lr`, `start_lr` and `last_lr` finite and
    /// `>= 0`, `total_steps` at least 1 (`last_steps` may be anything: more
    /// than `total_steps` leaves only the annealing phase).
    pub fn validate(&self) -> Result<()> {
        const NAME: &str = "OneCycle";
        check_steps(NAME, "total_steps", self.total_steps)?;
        check(NAME, "max_lr", self.max_lr, Range::NonNegative)?;
        if let Some(v) = self.start_lr {
            check(NAME, "start_lr", v, Range::NonNegative)?;
        }
        if let Some(v) = self.last_lr {
            check(NAME, "last_lr", v, Range::NonNegative)?;
        }
        Ok(())
    }
}

/// Keras's `PolynomialDecay`: with `p = min(step, decay_steps) / decay_steps`,
/// `(initial_learning_rate - end_learning_rate) * (1 - p) ^ power + end_learning_rate`;
/// with `cycle`, `decay_steps` is multiplied by `ceil(step / decay_steps)`
/// (1 at step 0) instead of the step being capped, so the rate restarts.
///
/// ```
/// use nn_runtime::optim::PolynomialDecay;
///
/// let s = PolynomialDecay::new(0.1, 10, 0.01);
/// assert_eq!((s.at(0), s.at(10), s.at(50)), (0.1, 0.01, 0.01));
/// let c = PolynomialDecay::new(0.1, 10, 0.01).power(2.0).cycle(true);
/// assert!(c.at(11) > c.at(10)); // the second cycle spans 20 steps
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PolynomialDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f64,
    /// Steps to reach `end_learning_rate`.
    pub decay_steps: u64,
    /// The final rate (Keras's default 0.0001).
    pub end_learning_rate: f64,
    /// The polynomial's power (Keras's default 1: linear).
    pub power: f64,
    /// Restart after `decay_steps` (Keras's default `false`).
    pub cycle: bool,
}

impl PolynomialDecay {
    /// Keras's `PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate)`, power 1, no cycle.
    pub fn new(initial_learning_rate: impl Into<f64>, decay_steps: u64, end_learning_rate: impl Into<f64>) -> Self {
        PolynomialDecay {
            initial_learning_rate: initial_learning_rate.into(),
            decay_steps,
            end_learning_rate: end_learning_rate.into(),
            power: 1.0,
            cycle: false,
        }
    }

    /// Sets `power`.
    #[must_use]
    pub fn power(mut self, power: impl Into<f64>) -> Self {
        self.power = power.into();
        self
    }

    /// Sets `cycle`.
    #[must_use]
    pub fn cycle(mut self, cycle: bool) -> Self {
        self.cycle = cycle;
        self
    }

    /// The rate after `step` completed steps (in `f32`, as Keras).
    pub fn at(&self, step: u64) -> f32 {
        let (init, end, power) = (self.initial_learning_rate as f32, self.end_learning_rate as f32, self.power as f32);
        let mut t = step as f32;
        let mut steps = self.decay_steps as f32;
        if self.cycle {
            let multiplier = if t == 0.0 { 1.0 } else { (t / steps).ceil() };
            steps *= multiplier;
        } else {
            t = t.min(steps);
        }
        let p = t / steps;
        (init - end) * (1.0 - p).powf(power) + end
    }

    /// Checks the parameters: both rates finite and `>= 0`, `power` finite,
    /// `decay_steps` at least 1 (Keras refuses 0).
    pub fn validate(&self) -> Result<()> {
        const NAME: &str = "PolynomialDecay";
        check(NAME, "initial_learning_rate", self.initial_learning_rate, Range::NonNegative)?;
        check_steps(NAME, "decay_steps", self.decay_steps)?;
        check(NAME, "end_learning_rate", self.end_learning_rate, Range::NonNegative)?;
        check(NAME, "power", self.power, Range::Finite)
    }
}

/// Keras's `CosineDecay`: `lr * ((1 - alpha) * 0.5 * (1 + cos(pi * t / decay_steps)) + alpha)`
/// with `t = min(step, decay_steps)`. With [`warmup`](Self::warmup)`(warmup_target, warmup_steps)`
/// the rate first rises linearly from `initial_learning_rate` to
/// `warmup_target` over `warmup_steps` steps, then decays from `warmup_target`
/// (`t` counted from the end of the warmup).
///
/// ```
/// use nn_runtime::optim::CosineDecay;
///
/// let s = CosineDecay::new(0.1, 10);
/// assert_eq!((s.at(0), s.at(10)), (0.1, 0.0));
/// let w = CosineDecay::new(0.0, 10).warmup(0.1, 5);
/// assert!((w.at(2) - 0.04).abs() < 1e-7 && w.at(5) == 0.1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CosineDecay {
    /// The rate at step 0.
    pub initial_learning_rate: f64,
    /// Steps of the decay (after the warmup).
    pub decay_steps: u64,
    /// The final rate as a fraction of the decayed-from rate (Keras's default 0).
    pub alpha: f64,
    /// The rate at the end of the warmup; `None` (Keras's default): no warmup.
    pub warmup_target: Option<f64>,
    /// Steps of the warmup (Keras's default 0).
    pub warmup_steps: u64,
}

impl CosineDecay {
    /// Keras's `CosineDecay(initial_learning_rate, decay_steps)`, alpha 0, no warmup.
    pub fn new(initial_learning_rate: impl Into<f64>, decay_steps: u64) -> Self {
        CosineDecay {
            initial_learning_rate: initial_learning_rate.into(),
            decay_steps,
            alpha: 0.0,
            warmup_target: None,
            warmup_steps: 0,
        }
    }

    /// Sets `alpha`.
    #[must_use]
    pub fn alpha(mut self, alpha: impl Into<f64>) -> Self {
        self.alpha = alpha.into();
        self
    }

    /// Sets Keras's `warmup_target` and `warmup_steps`.
    #[must_use]
    pub fn warmup(mut self, warmup_target: impl Into<f64>, warmup_steps: u64) -> Self {
        self.warmup_target = Some(warmup_target.into());
        self.warmup_steps = warmup_steps;
        self
    }

    /// Keras's `_decay_function`, in `f32`.
    fn decay(&self, t: f32, steps: f32, from: f32) -> f32 {
        let cosine = 0.5 * (1.0 + (std::f32::consts::PI * (t / steps)).cos());
        // Keras: `(1 - self.alpha) * cosine + self.alpha`, `1 - alpha` in Python's f64.
        let decayed = (1.0 - self.alpha) as f32 * cosine + self.alpha as f32;
        from * decayed
    }

    /// The rate after `step` completed steps (in `f32`, as Keras).
    pub fn at(&self, step: u64) -> f32 {
        let init = self.initial_learning_rate as f32;
        let steps = self.decay_steps as f32;
        let t = step as f32;
        let Some(target) = self.warmup_target else {
            return self.decay(t.min(steps), steps, init);
        };
        let (target, warmup) = (target as f32, self.warmup_steps as f32);
        let t = t.min(steps + warmup);
        if t < warmup {
            (target - init) * (t / warmup) + init
        } else {
            self.decay(t - warmup, steps, target)
        }
    }

    /// Checks the parameters: `initial_learning_rate` and `warmup_target`
    /// finite and `>= 0`, `alpha` finite, `decay_steps` at least 1 (Keras
    /// refuses 0).
    pub fn validate(&self) -> Result<()> {
        const NAME: &str = "CosineDecay";
        check(NAME, "initial_learning_rate", self.initial_learning_rate, Range::NonNegative)?;
        check_steps(NAME, "decay_steps", self.decay_steps)?;
        check(NAME, "alpha", self.alpha, Range::Finite)?;
        if let Some(t) = self.warmup_target {
            check(NAME, "warmup_target", t, Range::NonNegative)?;
        }
        Ok(())
    }
}

/// Keras's `CosineDecayRestarts` (SGDR, Loshchilov & Hutter): cosine decays
/// from `initial_learning_rate * m_mul ^ i` over periods of
/// `first_decay_steps * t_mul ^ i` steps, restarting at the end of each
/// (`i` the period's index); `alpha` is the final fraction of each period.
///
/// ```
/// use nn_runtime::optim::CosineDecayRestarts;
///
/// let s = CosineDecayRestarts::new(0.1, 10); // t_mul 2, m_mul 1, alpha 0
/// assert_eq!(s.at(0), 0.1);
/// assert!((s.at(5) - 0.05).abs() < 1e-7); // half way through the first period
/// assert!((s.at(20) - 0.05).abs() < 1e-7); // half way through the second, 20 steps long
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CosineDecayRestarts {
    /// The rate at step 0.
    pub initial_learning_rate: f64,
    /// Steps of the first period.
    pub first_decay_steps: u64,
    /// Each period is `t_mul` times longer than the previous one (Keras's default 2).
    pub t_mul: f64,
    /// Each restart starts `m_mul` times lower (Keras's default 1).
    pub m_mul: f64,
    /// The final rate of each period as a fraction of its start (Keras's default 0).
    pub alpha: f64,
}

impl CosineDecayRestarts {
    /// Keras's `CosineDecayRestarts(initial_learning_rate, first_decay_steps)`: t_mul 2, m_mul 1, alpha 0.
    pub fn new(initial_learning_rate: impl Into<f64>, first_decay_steps: u64) -> Self {
        CosineDecayRestarts {
            initial_learning_rate: initial_learning_rate.into(),
            first_decay_steps,
            t_mul: 2.0,
            m_mul: 1.0,
            alpha: 0.0,
        }
    }

    /// Sets `t_mul`.
    #[must_use]
    pub fn t_mul(mut self, t_mul: impl Into<f64>) -> Self {
        self.t_mul = t_mul.into();
        self
    }

    /// Sets `m_mul`.
    #[must_use]
    pub fn m_mul(mut self, m_mul: impl Into<f64>) -> Self {
        self.m_mul = m_mul.into();
        self
    }

    /// Sets `alpha`.
    #[must_use]
    pub fn alpha(mut self, alpha: impl Into<f64>) -> Self {
        self.alpha = alpha.into();
        self
    }

    /// The rate after `step` completed steps (in `f32`, as Keras).
    pub fn at(&self, step: u64) -> f32 {
        let init = self.initial_learning_rate as f32;
        let (alpha, t_mul, m_mul) = (self.alpha as f32, self.t_mul as f32, self.m_mul as f32);
        let mut fraction = step as f32 / self.first_decay_steps as f32;
        let restart = if t_mul == 1.0 {
            let i = fraction.floor();
            fraction -= i;
            i
        } else {
            let i = ((1.0 - fraction * (1.0 - t_mul)).ln() / t_mul.ln()).floor();
            let sum_r = (1.0 - t_mul.powf(i)) / (1.0 - t_mul);
            fraction = (fraction - sum_r) / t_mul.powf(i);
            i
        };
        let m_fac = m_mul.powf(restart);
        let cosine = 0.5 * m_fac * (1.0 + (std::f32::consts::PI * fraction).cos());
        init * ((1.0 - alpha) * cosine + alpha)
    }

    /// Checks the parameters: `initial_learning_rate` finite and `>= 0`,
    /// `t_mul` finite and `> 0`, `m_mul` finite and `>= 0`, `alpha` finite,
    /// `first_decay_steps` at least 1 (Keras refuses 0).
    pub fn validate(&self) -> Result<()> {
        const NAME: &str = "CosineDecayRestarts";
        check(NAME, "initial_learning_rate", self.initial_learning_rate, Range::NonNegative)?;
        check_steps(NAME, "first_decay_steps", self.first_decay_steps)?;
        check(NAME, "t_mul", self.t_mul, Range::Positive)?;
        check(NAME, "m_mul", self.m_mul, Range::NonNegative)?;
        check(NAME, "alpha", self.alpha, Range::Finite)
    }
}

/// Keras's `step / decay_steps` of the decay schedules, floored with `staircase`.
fn decay_progress(step: u64, decay_steps: u64, staircase: bool) -> f32 {
    let p = step as f32 / decay_steps as f32;
    if staircase {
        p.floor()
    } else {
        p
    }
}

//! Every public hyper-parameter of the optimizers, schedules and callbacks,
//! swept over NaN, ±inf, 0, a negative value, 1 and 1.5: each value is either
//! accepted (by Keras's rule, see each builder's documentation) or an `Err`
//! at the first use that names the parameter, with the model and the
//! optimizer unchanged. `cargo test --test hyperparameter_sweep -- --nocapture`
//! prints the table of outcomes.

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, Array2};
use nn::optim::{
    Adagrad, Adam, AdamW, Adamax, ExponentialDecay, InverseTimeDecay, Nadam, OneCycle, Optimizer,
    PiecewiseConstantDecay, RmsProp, Sgd,
};
use nn::train::{Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint, TerminateOnNaN};
use nn::{FitOptions, Model};

nn::sequential! {
    struct Net { Input[3], Dense(4, relu), Dense(2, softmax) }
}

const VALUES: [f64; 7] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.5, 1.0, 1.5];

/// The range of values a parameter accepts.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// A finite number >= 0.
    NonNegative,
    /// A finite number > 0.
    Positive,
    /// In [0, 1].
    Unit,
    /// In [0, 1).
    UnitOpen,
    /// Any finite number.
    Finite,
}

impl Rule {
    fn accepts(self, v: f64) -> bool {
        match self {
            Rule::NonNegative => v.is_finite() && v >= 0.0,
            Rule::Positive => v.is_finite() && v > 0.0,
            Rule::Unit => (0.0..=1.0).contains(&v),
            Rule::UnitOpen => (0.0..1.0).contains(&v),
            Rule::Finite => v.is_finite(),
        }
    }
}

fn weights<M: Model>(m: &M) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    m.visit_weights(&mut |_, _, p| out.push(p.iter().map(|v| v.to_bits()).collect()));
    out
}

fn data() -> (Array2<f32>, Array1<usize>) {
    (Array2::from_shape_fn((8, 3), |(i, j)| (i * 3 + j) as f32 * 0.1 - 1.0), Array1::from_shape_fn(8, |i| i % 2))
}

/// The optimizer's state, bit for bit (NaN included).
fn state_bits<O: Optimizer>(opt: &O) -> Vec<(String, Vec<u32>)> {
    opt.state().into_iter().map(|(k, v)| (k, v.iter().map(|x| x.to_bits()).collect())).collect()
}

/// One training step with `opt`; on an error, checks that neither the model
/// nor the optimizer changed.
fn step<O: Optimizer>(mut opt: O) -> Result<(), String> {
    let (x, y) = data();
    let mut m = Net::seeded(1);
    let (before, state, lr) = (weights(&m), state_bits(&opt), opt.learning_rate().to_bits());
    match m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt) {
        Ok(_) => Ok(()),
        Err(e) => {
            assert_eq!(weights(&m), before, "{e}: the model changed");
            assert_eq!((state_bits(&opt), opt.learning_rate().to_bits()), (state, lr), "{e}: the optimizer changed");
            Err(e.to_string())
        }
    }
}

/// Two epochs of `fit` with one callback; on an error, checks the model is unchanged.
fn fit_with(callback: Box<dyn Callback>) -> Result<(), String> {
    let (x, y) = data();
    let mut m = Net::seeded(1);
    let before = weights(&m);
    let options = FitOptions { epochs: 2, batch_size: 4, verbose: 0, callbacks: vec![callback], ..Default::default() };
    match m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.01), options.with_validation(&x, &y)) {
        Ok(_) => Ok(()),
        Err(e) => {
            assert_eq!(weights(&m), before, "{e}: the model changed");
            Err(e.to_string())
        }
    }
}

struct Sweep {
    rows: Vec<String>,
    failures: Vec<String>,
}

impl Sweep {
    /// Runs `outcome` for each value and checks it against `rule`: an
    /// accepted value must succeed, a refused one must fail naming `name`.
    fn float(&mut self, what: &str, name: &str, rule: Rule, outcome: impl Fn(f64) -> Result<(), String>) {
        let mut cells = Vec::new();
        for v in VALUES {
            let got = outcome(v);
            cells.push(match &got {
                Ok(()) => "accepted".to_string(),
                Err(e) => format!("Err: {}", e.replace('|', "\\|")),
            });
            match (rule.accepts(v), got) {
                (true, Ok(())) => {}
                (false, Err(e)) if e.contains(name) && e.contains("must be") => {}
                (want, got) => self.failures.push(format!(
                    "{what} {name} = {v}: expected {}, got {got:?}",
                    if want { "accepted" } else { "an Err naming it" }
                )),
            }
        }
        self.rows.push(format!("| {what} | `{name}` ({rule:?}) | {} |", cells.join(" | ")));
    }

    /// A row for a parameter that is not a float: one outcome, checked by `ok`.
    fn other(&mut self, what: &str, name: &str, value: &str, got: Result<(), String>, want_ok: bool) {
        let cell = match &got {
            Ok(()) => "accepted".to_string(),
            Err(e) => format!("Err: {e}"),
        };
        match (want_ok, &got) {
            (true, Ok(())) => {}
            (false, Err(e)) if e.contains(name) => {}
            _ => self.failures.push(format!("{what} {name} = {value}: got {got:?}")),
        }
        self.rows.push(format!("| {what} | `{name}` = {value} | {cell} |"));
    }
}

#[test]
fn every_hyper_parameter_is_accepted_by_keras_rules_or_refused_by_name() {
    use Rule::*;
    let mut s = Sweep { rows: Vec::new(), failures: Vec::new() };

    // Optimizers: the learning rate of each, then its own parameters.
    s.float("Sgd::new", "learning_rate", NonNegative, |v| step(Sgd::new(v)));
    s.float("Adam::new", "learning_rate", NonNegative, |v| step(Adam::new(v)));
    s.float("Nadam::new", "learning_rate", NonNegative, |v| step(Nadam::new(v)));
    s.float("Adamax::new", "learning_rate", NonNegative, |v| step(Adamax::new(v)));
    s.float("AdamW::new", "learning_rate", NonNegative, |v| step(AdamW::new(v)));
    s.float("RmsProp::new", "learning_rate", NonNegative, |v| step(RmsProp::new(v)));
    s.float("Adagrad::new", "learning_rate", NonNegative, |v| step(Adagrad::new(v)));
    s.float("Sgd", "momentum", Unit, |v| step(Sgd::new(0.01).momentum(v)));
    s.float("Sgd (nesterov)", "momentum", Unit, |v| step(Sgd::new(0.01).momentum(v).nesterov(true)));
    s.float("Adam", "beta_1", UnitOpen, |v| step(Adam::new(0.01).beta_1(v)));
    s.float("Adam", "beta_2", UnitOpen, |v| step(Adam::new(0.01).beta_2(v)));
    s.float("Adam", "epsilon", NonNegative, |v| step(Adam::new(0.01).epsilon(v)));
    s.float("Nadam", "beta_1", UnitOpen, |v| step(Nadam::new(0.01).beta_1(v)));
    s.float("Nadam", "beta_2", UnitOpen, |v| step(Nadam::new(0.01).beta_2(v)));
    s.float("Nadam", "epsilon", NonNegative, |v| step(Nadam::new(0.01).epsilon(v)));
    s.float("Adamax", "beta_1", UnitOpen, |v| step(Adamax::new(0.01).beta_1(v)));
    s.float("Adamax", "beta_2", UnitOpen, |v| step(Adamax::new(0.01).beta_2(v)));
    s.float("Adamax", "epsilon", NonNegative, |v| step(Adamax::new(0.01).epsilon(v)));
    s.float("AdamW", "beta_1", UnitOpen, |v| step(AdamW::new(0.01).beta_1(v)));
    s.float("AdamW", "beta_2", UnitOpen, |v| step(AdamW::new(0.01).beta_2(v)));
    s.float("AdamW", "epsilon", NonNegative, |v| step(AdamW::new(0.01).epsilon(v)));
    s.float("AdamW", "weight_decay", NonNegative, |v| step(AdamW::new(0.01).weight_decay(v)));
    s.float("RmsProp", "rho", UnitOpen, |v| step(RmsProp::new(0.01).rho(v)));
    s.float("RmsProp", "momentum", Unit, |v| step(RmsProp::new(0.01).momentum(v)));
    s.float("RmsProp", "epsilon", NonNegative, |v| step(RmsProp::new(0.01).epsilon(v)));
    s.float("Adagrad", "initial_accumulator_value", NonNegative, |v| {
        step(Adagrad::new(0.01).initial_accumulator_value(v))
    });
    s.float("Adagrad", "epsilon", NonNegative, |v| step(Adagrad::new(0.01).epsilon(v)));
    s.float("Sgd", "clipnorm", Positive, |v| step(Sgd::new(0.01).clipnorm(v)));
    s.float("Adam", "clipvalue", Positive, |v| step(Adam::new(0.01).clipvalue(v)));
    s.float("RmsProp", "clipnorm", Positive, |v| step(RmsProp::new(0.01).clipnorm(v)));

    // Schedules, through the optimizer that uses them.
    s.float("ExponentialDecay::new", "initial_learning_rate", NonNegative, |v| {
        step(Sgd::new(ExponentialDecay::new(v, 10, 0.9)))
    });
    s.float("ExponentialDecay::new", "decay_rate", NonNegative, |v| step(Sgd::new(ExponentialDecay::new(0.1, 10, v))));
    s.other("ExponentialDecay::new", "decay_steps", "0", step(Sgd::new(ExponentialDecay::new(0.1, 0, 0.9))), false);
    s.float("InverseTimeDecay::new", "initial_learning_rate", NonNegative, |v| {
        step(Adam::new(InverseTimeDecay::new(v, 10, 0.5)))
    });
    s.float("InverseTimeDecay::new", "decay_rate", NonNegative, |v| step(Adam::new(InverseTimeDecay::new(0.1, 10, v))));
    s.other("InverseTimeDecay::new", "decay_steps", "0", step(Adam::new(InverseTimeDecay::new(0.1, 0, 0.5))), false);
    s.float("PiecewiseConstantDecay::new", "values", NonNegative, |v| {
        step(Sgd::new(PiecewiseConstantDecay::new([5], [v, 0.01])))
    });
    s.float("PiecewiseConstantDecay::new (after a boundary)", "values", NonNegative, |v| {
        step(Sgd::new(PiecewiseConstantDecay::new([5], [0.01, v])))
    });
    s.float("OneCycle::new", "max_lr", NonNegative, |v| step(Sgd::new(OneCycle::new(100, v))));
    s.float("OneCycle", "start_lr", NonNegative, |v| step(Sgd::new(OneCycle::new(100, 0.1).start_lr(v))));
    s.float("OneCycle", "last_lr", NonNegative, |v| step(Sgd::new(OneCycle::new(100, 0.1).last_lr(v))));
    s.other("OneCycle::new", "total_steps", "0", step(Sgd::new(OneCycle::new(0, 0.1))), false);
    s.other(
        "OneCycle",
        "last_steps",
        "200 (> total_steps)",
        step(Sgd::new(OneCycle::new(100, 0.1).last_steps(200))),
        true,
    );

    // Callbacks, at the start of fit.
    s.float("EarlyStopping", "min_delta", Finite, |v| {
        fit_with(Box::new(EarlyStopping { min_delta: v as f32, ..EarlyStopping::new("val_loss", 1) }))
    });
    s.other("EarlyStopping", "patience", "0", fit_with(Box::new(EarlyStopping::new("val_loss", 0))), true);
    s.other(
        "ModelCheckpoint",
        "save_freq",
        "0 (taken as 1)",
        {
            let dir = tempfile::tempdir().unwrap();
            fit_with(Box::new(ModelCheckpoint::new(dir.path().join("c.safetensors")).save_freq(0)))
        },
        true,
    );
    s.other("TerminateOnNaN", "(no parameters)", "-", fit_with(Box::new(TerminateOnNaN)), true);
    type Schedule = fn(usize, f32) -> f32;
    let schedules: [(&str, Schedule, bool); 6] = [
        ("NaN", |_, _| f32::NAN, false),
        ("inf", |_, _| f32::INFINITY, false),
        ("-inf", |_, _| f32::NEG_INFINITY, false),
        ("0", |_, _| 0.0, true),
        ("-0.5", |_, _| -0.5, false),
        ("1.5", |_, _| 1.5, true),
    ];
    for (value, f, ok) in schedules {
        s.other("LearningRateScheduler", "learning rate", value, fit_with(Box::new(LearningRateScheduler(f))), ok);
    }

    println!("| constructor / builder | parameter (rule) | NaN | +inf | -inf | 0 | -0.5 | 1 | 1.5 |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in &s.rows {
        println!("{row}");
    }
    assert!(s.failures.is_empty(), "{} unexpected outcomes:\n{}", s.failures.len(), s.failures.join("\n"));
}

//! Chapter-11 training features against Keras 3: regularizers, constraints,
//! sample and class weights, the new schedules, ReduceLROnPlateau and
//! CsvLogger.
//!
//! The expected numbers are in `tests/reference/ch11/keras_ch11.json`,
//! written by `tools/keras_ch11_reference.py` (TensorFlow 2.21, Keras 3.15.1;
//! CI never runs it). Every model is `Input(5) -> Dense(4, relu) ->
//! Dense(3, softmax)` with the weights of the JSON, trained with sparse
//! categorical cross-entropy and SGD.

use nn::constraints::Constraint;
use nn::loss::SparseCategoricalCrossentropy;
use nn::model::{set_constraint, set_regularizer};
use nn::ndarray::{Array1, Array2};
use nn::optim::{CosineDecay, CosineDecayRestarts, PolynomialDecay, Sgd};
use nn::prelude::*;
use nn::regularizers::Regularizer;
use nn::train::{CsvLogger, ReduceLROnPlateau};
use serde_json::Value;

const KERAS: &str = include_str!("reference/ch11/keras_ch11.json");

nn::sequential! {
    struct Net { Input[5], Dense(4, relu), Dense(3, softmax) }
}

/// Sets a case's regularizers on a model.
type Setup = fn(&mut Net);
/// A schedule's `at`.
type Schedule = Box<dyn Fn(u64) -> f32>;

fn keras() -> Value {
    serde_json::from_str(KERAS).expect("keras_ch11.json parses")
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number") as f32).collect()
}

fn data(k: &Value) -> (Array2<f32>, Array1<usize>) {
    let x = Array2::from_shape_vec((8, 5), f32s(&k["x"])).unwrap();
    let y = k["y"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    (x, y)
}

/// A `Net` with the JSON's initial weights.
fn net(k: &Value) -> Net {
    let mut m = Net::seeded(0);
    let w: Vec<Vec<f32>> = k["weights"].as_array().unwrap().iter().map(f32s).collect();
    let mut it = w.iter();
    m.visit_weights_mut(&mut |_, _, p| p.as_mut_slice().copy_from_slice(it.next().unwrap()));
    m
}

fn weights(m: &Net) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    m.visit_weights(&mut |_, _, p| out.push(p.to_vec()));
    out
}

fn close(what: &str, got: f32, want: f32, tol: f32) {
    assert!((got - want).abs() <= tol * want.abs().max(1.0), "{what}: got {got}, Keras {want}");
}

fn assert_weights(what: &str, m: &Net, want: &Value, tol: f32) {
    let got = weights(m);
    for (t, (g, w)) in got.iter().zip(want.as_array().unwrap()).enumerate() {
        for (i, (a, b)) in g.iter().zip(f32s(w)).enumerate() {
            close(&format!("{what}: tensor {t} [{i}]"), *a, b, tol);
        }
    }
}

#[test]
fn regularized_losses_and_one_sgd_step_match_keras() {
    let k = keras();
    let (x, y) = data(&k);
    let cases: [(&str, Setup); 3] = [
        ("l2", |m| {
            set_regularizer(&mut m.dense, "kernel", Regularizer::l2(0.01));
            set_regularizer(&mut m.dense_1, "kernel", Regularizer::l2(0.05));
        }),
        ("l1", |m| {
            set_regularizer(&mut m.dense, "kernel", Regularizer::l1(0.01));
            set_regularizer(&mut m.dense, "bias", Regularizer::l1(0.02));
        }),
        ("l1_l2", |m| {
            set_regularizer(&mut m.dense, "kernel", Regularizer::l1_l2(0.01, 0.02));
            set_regularizer(&mut m.dense_1, "bias", Regularizer::l2(0.1));
            set_regularizer(&mut m.dense_1, "kernel", Regularizer::l1(0.03));
        }),
    ];
    for (name, set) in cases {
        let want = &k["regularizers"][name];
        let mut m = net(&k);
        let plain = m.evaluate(&x, &y, &SparseCategoricalCrossentropy).unwrap().loss;
        set(&mut m);
        let penalty = nn::model::regularization_loss(&m);
        close(&format!("{name}: penalty"), penalty, want["penalty"].as_f64().unwrap() as f32, 1e-6);
        let ev = m.evaluate(&x, &y, &SparseCategoricalCrossentropy).unwrap();
        close(&format!("{name}: evaluate loss"), ev.loss, want["evaluate_loss"].as_f64().unwrap() as f32, 1e-6);
        assert!(ev.loss > plain, "{name}: the penalty is part of evaluate's loss");
        let mut opt = Sgd::new(0.1);
        let l = m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
        close(&format!("{name}: train_on_batch loss"), l, want["step_loss"].as_f64().unwrap() as f32, 1e-6);
        assert_weights(name, &m, &want["after"], 1e-6);
    }
}

#[test]
fn a_frozen_layer_has_no_penalty() {
    let k = keras();
    let mut m = net(&k);
    set_regularizer(&mut m.dense, "kernel", Regularizer::l2(0.01));
    assert!(nn::model::regularization_loss(&m) > 0.0);
    nn::model::freeze(&mut m.dense);
    assert_eq!(nn::model::regularization_loss(&m), 0.0, "Keras regularizes trainable weights only");
}

#[test]
fn constrained_weights_after_one_large_sgd_step_match_keras() {
    let k = keras();
    let (x, y) = data(&k);
    let want = &k["constraints"];
    let mut m = net(&k);
    set_constraint(&mut m.dense, "kernel", Constraint::max_norm(0.5));
    set_constraint(&mut m.dense, "bias", Constraint::non_neg());
    set_constraint(&mut m.dense_1, "kernel", Constraint::min_max_norm(0.2, 0.6).with_rate(0.5));
    set_constraint(&mut m.dense_1, "bias", Constraint::unit_norm());
    let l = m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(5.0)).unwrap();
    close("loss", l, want["step_loss"].as_f64().unwrap() as f32, 1e-6);
    assert_weights("constraints", &m, &want["after"], 2e-6);
    // Each unit's incoming weights (axis 0 of the [5, 4] kernel) have norm <= 0.5.
    let kernel = m.dense.kernel.to_vec();
    for j in 0..4 {
        let n: f32 = (0..5).map(|i| kernel[i * 4 + j].powi(2)).sum::<f32>().sqrt();
        assert!(n <= 0.5 + 1e-6, "column {j} has norm {n}");
    }
    assert!(m.dense.bias.as_ref().unwrap().iter().all(|&b| b >= 0.0));
}

#[test]
fn default_max_norm_and_min_max_norm_match_keras() {
    let k = keras();
    let w0: Vec<f32> = f32s(&k["weights"][0]).iter().map(|v| v * 3.0).collect();
    for (name, c) in
        [("max_norm_default", Constraint::max_norm(2.0)), ("min_max_norm_default", Constraint::min_max_norm(0.0, 1.0))]
    {
        let mut w = w0.clone();
        c.apply(&mut w, &[5, 4]);
        for (i, (a, b)) in w.iter().zip(f32s(&k["constraints"][name])).enumerate() {
            close(&format!("{name} [{i}]"), *a, b, 1e-6);
        }
    }
}

#[test]
fn sample_weight_and_class_weight_fit_match_keras() {
    let k = keras();
    let (x, y) = data(&k);
    for name in ["sample_weight", "class_weight"] {
        let want = &k[name];
        let w = f32s(&want["weights"]);
        let sw = Array1::from(w.clone());
        let options = |batch_size, epochs| {
            let mut o: FitOptions = FitOptions { batch_size, epochs, shuffle: false, verbose: 0, ..Default::default() };
            if name == "sample_weight" {
                o.sample_weight = Some(sw.view());
            } else {
                o.class_weight = Some(w.clone());
            }
            o
        };
        // One step on the whole batch.
        let mut m = net(&k);
        let h = m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options(8, 1)).unwrap();
        close(&format!("{name}: one step loss"), h.loss[0], want["one_step"]["loss"].as_f64().unwrap() as f32, 1e-6);
        assert_weights(&format!("{name}: one step"), &m, &want["one_step"]["after"], 1e-6);
        // Two epochs of two batches, with an l2 penalty.
        let mut m = net(&k);
        set_regularizer(&mut m.dense, "kernel", Regularizer::l2(0.01));
        let h = m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options(4, 2)).unwrap();
        for (e, (got, want)) in h.loss.iter().zip(f32s(&want["loss"])).enumerate() {
            close(&format!("{name}: epoch {e} loss"), *got, want, 1e-6);
        }
        for (e, (got, want)) in h.accuracy.iter().zip(f32s(&want["accuracy"])).enumerate() {
            close(&format!("{name}: epoch {e} accuracy (unweighted, as Keras's `metrics`)"), *got, want, 1e-6);
        }
        assert_weights(name, &m, &want["after"], 1e-6);
    }
}

#[test]
fn wrong_sample_and_class_weights_are_errors() {
    let k = keras();
    let (x, y) = data(&k);
    let fit = |o: FitOptions| net(&k).fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), o);
    let short = Array1::from(vec![1.0f32; 7]);
    let negative = Array1::from(vec![1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0f32]);
    let nan = Array1::from(vec![1.0, 1.0, f32::NAN, 1.0, 1.0, 1.0, 1.0, 1.0f32]);
    let ok = Array1::from(vec![1.0f32; 8]);
    let cases: Vec<(FitOptions, &str)> = vec![
        (
            FitOptions { sample_weight: Some(short.view()), ..Default::default() },
            "sample_weight has 7 weights but x has 8",
        ),
        (FitOptions { sample_weight: Some(negative.view()), ..Default::default() }, "sample_weight[1] is -1"),
        (FitOptions { sample_weight: Some(nan.view()), ..Default::default() }, "sample_weight[2] is NaN"),
        (
            FitOptions { class_weight: Some(vec![1.0, 2.0]), ..Default::default() },
            "class_weight has 2 weights but the output has 3 classes",
        ),
        (
            FitOptions { class_weight: Some(vec![1.0, f32::INFINITY, 1.0]), ..Default::default() },
            "class_weight[1] is inf",
        ),
        (
            FitOptions { sample_weight: Some(ok.view()), class_weight: Some(vec![1.0; 3]), ..Default::default() },
            "cannot be given together",
        ),
        (FitOptions { validation_freq: 0, ..Default::default() }, "validation_freq must be at least 1"),
        (FitOptions { steps_per_epoch: Some(0), ..Default::default() }, "steps_per_epoch must be at least 1"),
    ];
    for (o, msg) in cases {
        let e = fit(FitOptions { verbose: 0, ..o }).unwrap_err().to_string();
        assert!(e.contains(msg), "expected `{msg}` in `{e}`");
    }
}

#[test]
fn validation_freq_and_steps_per_epoch() {
    let k = keras();
    let (x, y) = data(&k);
    let mut m = net(&k);
    let options: FitOptions =
        FitOptions { epochs: 4, batch_size: 2, validation_freq: 2, verbose: 0, ..Default::default() }
            .with_validation(&x, &y);
    let h = m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options).unwrap();
    assert_eq!((h.loss.len(), h.val_loss.len()), (4, 2), "validation after epochs 2 and 4 only");
    // 4 batches a pass, 3 per epoch: epochs of 3, 1, 3, 1 batches (Keras 3 with arrays).
    let mut opt = Sgd::new(0.1);
    let options: FitOptions =
        FitOptions { epochs: 4, batch_size: 2, steps_per_epoch: Some(3), verbose: 0, ..Default::default() };
    net(&k).fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt, options).unwrap();
    assert_eq!(opt.iterations(), 8);
    let mut opt = Sgd::new(0.1);
    let options: FitOptions =
        FitOptions { epochs: 3, batch_size: 2, steps_per_epoch: Some(2), verbose: 0, ..Default::default() };
    net(&k).fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt, options).unwrap();
    assert_eq!(opt.iterations(), 6);
}

#[test]
fn schedules_match_keras_over_41_steps() {
    let k = keras();
    let cases: Vec<(&str, Schedule)> = vec![
        ("polynomial", Box::new(|t| PolynomialDecay::new(0.1, 20, 0.001).power(0.5).at(t))),
        ("polynomial_cycle", Box::new(|t| PolynomialDecay::new(0.1, 10, 0.01).power(2.0).cycle(true).at(t))),
        ("cosine", Box::new(|t| CosineDecay::new(0.1, 20).alpha(0.1).at(t))),
        ("cosine_warmup", Box::new(|t| CosineDecay::new(0.0, 20).warmup(0.1, 10).at(t))),
        ("cosine_warmup_alpha", Box::new(|t| CosineDecay::new(0.01, 15).alpha(0.2).warmup(0.05, 7).at(t))),
        ("restarts", Box::new(|t| CosineDecayRestarts::new(0.1, 5).t_mul(2.0).m_mul(0.5).alpha(0.1).at(t))),
        ("restarts_t1", Box::new(|t| CosineDecayRestarts::new(0.1, 7).t_mul(1.0).m_mul(0.8).at(t))),
        ("restarts_default", Box::new(|t| CosineDecayRestarts::new(0.05, 4).at(t))),
    ];
    for (name, at) in cases {
        let want = f32s(&k["schedules"][name]);
        assert!(want.len() > 30);
        for (t, w) in want.iter().enumerate() {
            let got = at(t as u64);
            assert!((got - w).abs() <= 1e-6 * w.abs() + 1e-9, "{name} at step {t}: got {got}, Keras {w}");
        }
    }
}

#[test]
fn schedules_train_and_validate() {
    let k = keras();
    let (x, y) = data(&k);
    let mut m = net(&k);
    let mut opt = Sgd::new(CosineDecay::new(0.1, 3).warmup(0.2, 2));
    for _ in 0..6 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let bad = Sgd::new(PolynomialDecay::new(0.1, 0, 0.01));
    let e = m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut { bad }).unwrap_err().to_string();
    assert!(e.contains("PolynomialDecay: decay_steps must be at least 1"), "{e}");
    let e = m
        .train_on_batch(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(CosineDecayRestarts::new(0.1, 5).t_mul(-1.0)),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("t_mul"), "{e}");
}

#[test]
fn reduce_lr_on_plateau_matches_keras_on_scripted_values() {
    let k = keras();
    for (name, case) in k["reduce_lr"].as_object().unwrap() {
        let args = &case["args"];
        let arg = |a: &str| args.get(a).and_then(Value::as_f64);
        let mut cb = ReduceLROnPlateau::new(case["monitor"].as_str().unwrap());
        if let Some(f) = arg("factor") {
            cb = cb.factor(f);
        }
        if let Some(p) = arg("patience") {
            cb = cb.patience(p as usize);
        }
        if let Some(c) = arg("cooldown") {
            cb = cb.cooldown(c as usize);
        }
        if let Some(v) = arg("min_lr") {
            cb = cb.min_lr(v);
        }
        if let Some(v) = arg("min_delta") {
            cb = cb.min_delta(v);
        }
        let mut lr = 0.1f32;
        for (e, (v, want)) in f32s(&case["values"]).into_iter().zip(f32s(&case["lr"])).enumerate() {
            if let Some(new) = cb.observe(v, lr) {
                lr = new;
            }
            assert_eq!(lr, want, "{name}: epoch {e}");
        }
    }
}

#[test]
fn reduce_lr_on_plateau_in_fit_and_its_errors() {
    let k = keras();
    let (x, y) = data(&k);
    // A min_delta no loss can beat: the first epoch sets the best, every later one reduces.
    let options: FitOptions = FitOptions {
        epochs: 4,
        verbose: 0,
        callbacks: vec![Box::new(ReduceLROnPlateau::new("loss").factor(0.5).patience(0).min_delta(100.0))],
        ..Default::default()
    };
    let h = net(&k).fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options).unwrap();
    assert_eq!(h.lr, [0.1, 0.1, 0.05, 0.025]);
    for (cb, msg) in [
        (ReduceLROnPlateau::new("val_loss").factor(1.0), "factor >= 1.0"),
        (ReduceLROnPlateau::new("val_loss").min_lr(-1.0), "min_lr"),
        (ReduceLROnPlateau::new("val_los"), "`val_los`"),
    ] {
        let options: FitOptions = FitOptions { verbose: 0, callbacks: vec![Box::new(cb)], ..Default::default() };
        let e = net(&k).fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options).unwrap_err();
        assert!(e.to_string().contains(msg), "{e}");
    }
}

/// Compares a CSV written by `CsvLogger` with Keras's: the same header and
/// the same cells, numbers within 1e-5 (they are training losses).
fn assert_csv(name: &str, got: &str, want: &str, sep: char) {
    let (g, w): (Vec<&str>, Vec<&str>) = (got.split("\r\n").collect(), want.split("\r\n").collect());
    assert_eq!(g.len(), w.len(), "{name}: rows\n{got}\n{want}");
    assert_eq!(g[0], w[0], "{name}: header");
    for (r, (gr, wr)) in g.iter().zip(&w).enumerate().skip(1) {
        let (gc, wc): (Vec<&str>, Vec<&str>) = (gr.split(sep).collect(), wr.split(sep).collect());
        assert_eq!(gc.len(), wc.len(), "{name}: row {r}");
        for (a, b) in gc.iter().zip(&wc) {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!((x - y).abs() <= 1e-5 * y.abs().max(1.0), "{name}: row {r}: {a} vs {b}"),
                _ => assert_eq!(a, b, "{name}: row {r}"),
            }
        }
    }
}

#[test]
fn csv_logger_writes_keras_csv_logger_files() {
    let k = keras();
    let (x, y) = data(&k);
    let (vx, vy) = (x.slice(nn::ndarray::s![..4, ..]).to_owned(), y.slice(nn::ndarray::s![..4]).to_owned());
    let dir = tempfile::tempdir().unwrap();
    for (name, validation, sep) in
        [("validation", true, ','), ("plain", false, ','), ("semicolon", true, ';'), ("reduce_lr", true, ',')]
    {
        let path = dir.path().join(format!("{name}.csv"));
        let mut callbacks: Vec<Box<dyn nn::train::Callback>> = vec![Box::new(CsvLogger::new(&path).separator(sep))];
        if name == "reduce_lr" {
            callbacks.insert(0, Box::new(ReduceLROnPlateau::new("val_loss").patience(0).factor(0.5)));
        }
        let mut options: FitOptions =
            FitOptions { epochs: 3, batch_size: 4, shuffle: false, verbose: 0, callbacks, ..Default::default() };
        if validation {
            options = options.with_validation(&vx, &vy);
        }
        net(&k).fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options).unwrap();
        let got = std::fs::read_to_string(&path).unwrap();
        assert_csv(name, &got, k["csv"][name].as_str().unwrap(), sep);
    }
    // Appending adds rows without a second header; without `append` the file is replaced.
    let path = dir.path().join("validation.csv");
    let fit = |append: bool| {
        let options: FitOptions = FitOptions {
            epochs: 2,
            verbose: 0,
            callbacks: vec![Box::new(CsvLogger::new(&path).append(append))],
            ..Default::default()
        };
        net(&k).fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options).unwrap();
        std::fs::read_to_string(&path).unwrap()
    };
    let appended = fit(true);
    assert_eq!(appended.matches("epoch,").count(), 1);
    assert_eq!(appended.lines().count(), 1 + 3 + 2);
    let replaced = fit(false);
    assert_eq!(replaced.lines().count(), 1 + 2);
}

#[test]
fn python_float_repr() {
    use nn::train::py_float;
    for (v, s) in [
        (0.375, "0.375"),
        (1.0, "1.0"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (1e16, "1e+16"),
        (123456.0, "123456.0"),
        (f64::from(0.1f32), "0.10000000149011612"),
        (f64::NAN, "nan"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        assert_eq!(py_float(v), s);
    }
}

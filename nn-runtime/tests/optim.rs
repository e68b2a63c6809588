//! Optimizers and learning-rate schedules against Keras 3.
//!
//! Two kinds of expected values:
//!
//! - numbers from a Keras run: `tests/reference/optim/keras_optim.json`,
//!   written by `tools/keras_optim_reference.py` (TensorFlow 2.21, Keras
//!   3.15.1; CI never runs it). Every case applies three steps of fixed
//!   gradients to two tensors `a` (3 elements) and `b` (2 elements) with
//!   `optimizer.apply_gradients`; we compare within 1e-6 relative.
//! - Keras's update formulas written out again here in `f64`, hyper-parameters
//!   exact, compared within 1e-5 relative (the `f32` implementation rounds
//!   as Keras does, e.g. `1 - 0.999_f32` is 1.3e-5 off in relative terms).

use nn_runtime::optim::{
    Adagrad, Adam, AdamW, Adamax, ExponentialDecay, InverseTimeDecay, LearningRate, Nadam, OneCycle, Optimizer,
    PiecewiseConstantDecay, RmsProp, Sgd,
};
use nn_runtime::Error;
use serde_json::Value;

const KERAS: &str = include_str!("../../tests/reference/optim/keras_optim.json");

fn keras() -> Value {
    serde_json::from_str(KERAS).expect("keras_optim.json parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn f32s(v: &Value) -> Vec<f32> {
    floats(v).into_iter().map(|x| x as f32).collect()
}

/// The optimizers of `tools/keras_optim_reference.py`'s `CASES`, built the same way.
fn build(case: &str) -> Box<dyn Optimizer> {
    match case {
        "sgd" => Box::new(Sgd::new(0.1)),
        "sgd_momentum" => Box::new(Sgd::new(0.1).momentum(0.9)),
        "sgd_nesterov" => Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true)),
        "sgd_clipnorm" => Box::new(Sgd::new(0.1).clipnorm(1.0)),
        "sgd_clipvalue" => Box::new(Sgd::new(0.1).clipvalue(0.35)),
        "sgd_exponential_decay" => Box::new(Sgd::new(ExponentialDecay::new(0.1, 2, 0.5))),
        "adam" => Box::new(Adam::new(0.01)),
        "adam_custom" => Box::new(Adam::new(0.02).beta_1(0.8).beta_2(0.99).epsilon(1e-3)),
        "adam_clipnorm" => Box::new(Adam::new(0.01).clipnorm(0.5)),
        "adam_piecewise" => Box::new(Adam::new(PiecewiseConstantDecay::new([0, 1], [0.1, 0.05, 0.01]))),
        "nadam" => Box::new(Nadam::new(0.01)),
        "nadam_custom" => Box::new(Nadam::new(0.02).beta_1(0.8).beta_2(0.99).epsilon(1e-3)),
        "adamax" => Box::new(Adamax::new(0.01)),
        "adamax_custom" => Box::new(Adamax::new(0.02).beta_1(0.8).beta_2(0.99).epsilon(1e-3)),
        "adamw" => Box::new(AdamW::new(0.01)),
        "adamw_custom" => Box::new(AdamW::new(0.05).weight_decay(0.1).beta_1(0.8).beta_2(0.99).epsilon(1e-3)),
        "rmsprop" => Box::new(RmsProp::new(0.01)),
        "rmsprop_momentum" => Box::new(RmsProp::new(0.01).rho(0.8).momentum(0.5).epsilon(1e-3)),
        "rmsprop_centered" => Box::new(RmsProp::new(0.01).centered(true)),
        "rmsprop_inverse_time" => Box::new(RmsProp::new(InverseTimeDecay::new(0.01, 1, 0.5))),
        "adagrad" => Box::new(Adagrad::new(0.1)),
        "adagrad_custom" => Box::new(Adagrad::new(0.1).initial_accumulator_value(0.5).epsilon(1e-3)),
        "adagrad_clipvalue" => Box::new(Adagrad::new(0.1).clipvalue(0.2)),
        other => panic!("no Rust counterpart for Keras case {other}"),
    }
}

/// The two tensors and three gradient steps of the reference file.
struct Problem {
    params: [Vec<f32>; 2],
    grads: Vec<[Vec<f32>; 2]>,
}

fn problem() -> Problem {
    let k = keras();
    Problem {
        params: [f32s(&k["params"]["a"]), f32s(&k["params"]["b"])],
        grads: k["grads"].as_array().unwrap().iter().map(|g| [f32s(&g["a"]), f32s(&g["b"])]).collect(),
    }
}

/// One training step on both tensors, as a training loop calls the optimizer.
fn step(opt: &mut dyn Optimizer, params: &mut [Vec<f32>; 2], grads: &[Vec<f32>; 2]) {
    opt.begin_step();
    for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
        let mut g = g.clone();
        opt.update(i, p, &mut g);
    }
}

fn close(found: f64, expected: f64, rel: f64) -> bool {
    (found - expected).abs() <= rel * expected.abs().max(1e-2)
}

/// Runs Keras case `case` and returns the mismatches (empty when it matches).
fn compare_case(case: &str, expected: &Value) -> Vec<String> {
    let Problem { mut params, grads } = problem();
    let mut opt = build(case);
    let mut errors = Vec::new();
    for (s, (g, want)) in grads.iter().zip(expected.as_array().unwrap()).enumerate() {
        step(opt.as_mut(), &mut params, g);
        for (t, name) in ["a", "b"].iter().enumerate() {
            let want = floats(&want[name]);
            let ok = params[t].iter().zip(&want).all(|(&f, &w)| close(f64::from(f), w, 1e-6));
            if !ok {
                errors.push(format!("{case} step {} {name}: found {:?}, Keras {:?}", s + 1, params[t], want));
            }
        }
    }
    errors
}

/// Compares Keras case `family` and every case named `<family>_...`.
fn check_keras(family: &str) {
    let k = keras();
    let in_family = |n: &str| n == family || n.strip_prefix(family).is_some_and(|rest| rest.starts_with('_'));
    let cases: Vec<(&String, &Value)> =
        k["optimizers"].as_object().unwrap().iter().filter(|(n, _)| in_family(n)).collect();
    assert!(!cases.is_empty(), "no Keras case for {family}");
    let errors: Vec<String> = cases.iter().flat_map(|(n, v)| compare_case(n, v)).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Runs `opt` on tensor `a` of the reference problem and checks each step
/// against `reference` (the Keras formula in f64), within 1e-5 relative.
fn check_formula(mut opt: impl Optimizer, mut reference: impl FnMut(&mut [f64], &[f64])) {
    let Problem { params, grads } = problem();
    let mut p = params[0].clone();
    let mut p64: Vec<f64> = p.iter().map(|&x| f64::from(x)).collect();
    for (s, g) in grads.iter().enumerate() {
        let g64: Vec<f64> = g[0].iter().map(|&x| f64::from(x)).collect();
        opt.begin_step();
        opt.update(0, &mut p, &mut g[0].clone());
        reference(&mut p64, &g64);
        let ok = p.iter().zip(&p64).all(|(&f, &w)| close(f64::from(f), w, 1e-5));
        assert!(ok, "step {}: found {p:?}, formula {p64:?}", s + 1);
    }
}

#[test]
fn every_keras_case_has_a_rust_counterpart() {
    let k = keras();
    assert_eq!(k["keras"].as_str().map(|v| v.starts_with('3')), Some(true), "references come from Keras 3");
    for name in k["optimizers"].as_object().unwrap().keys() {
        drop(build(name));
    }
}

#[test]
fn sgd_matches_keras() {
    check_keras("sgd");
}

#[test]
fn sgd_formula() {
    // Keras 3 SGD, momentum 0: p -= lr * g.
    check_formula(Sgd::new(0.1), |p, g| {
        for (p, g) in p.iter_mut().zip(g) {
            *p -= 0.1 * g;
        }
    });
    // Momentum: m = μ m - lr g; p += m.
    let mut m = [0.0; 3];
    check_formula(Sgd::new(0.1).momentum(0.9), |p, g| {
        for i in 0..3 {
            m[i] = 0.9 * m[i] - 0.1 * g[i];
            p[i] += m[i];
        }
    });
    // Nesterov: m = μ m - lr g; p += μ m - lr g.
    let mut m = [0.0; 3];
    check_formula(Sgd::new(0.1).momentum(0.9).nesterov(true), |p, g| {
        for i in 0..3 {
            m[i] = 0.9 * m[i] - 0.1 * g[i];
            p[i] += 0.9 * m[i] - 0.1 * g[i];
        }
    });
}

#[test]
fn nesterov_differs_from_plain_momentum_as_keras_says() {
    // One tensor [1], gradient 1 then 1, lr 0.1, μ 0.9 (Keras 3 rules):
    // plain:    m1 = -0.1, p1 = 0.9;  m2 = -0.19, p2 = 0.71
    // nesterov: m1 = -0.1, p1 = 1 - 0.09 - 0.1 = 0.81;  m2 = -0.19, p2 = 0.81 - 0.171 - 0.1 = 0.539
    let run = |mut opt: Sgd| {
        let mut p = [1.0_f32];
        let mut out = Vec::new();
        for _ in 0..2 {
            opt.begin_step();
            opt.update(0, &mut p, &mut [1.0]);
            out.push(p[0]);
        }
        out
    };
    let plain = run(Sgd::new(0.1).momentum(0.9));
    let nesterov = run(Sgd::new(0.1).momentum(0.9).nesterov(true));
    let near = |a: &[f32], b: &[f64]| a.iter().zip(b).all(|(&x, &y)| (f64::from(x) - y).abs() < 1e-6);
    assert!(near(&plain, &[0.9, 0.71]), "{plain:?}");
    assert!(near(&nesterov, &[0.81, 0.539]), "{nesterov:?}");
    // Without momentum, nesterov changes nothing (Keras keeps no momentum then).
    assert_eq!(run(Sgd::new(0.1).nesterov(true)), run(Sgd::new(0.1)));
    // And the Keras run agrees the two differ from the first step on.
    let k = keras();
    assert_ne!(k["optimizers"]["sgd_momentum"][0], k["optimizers"]["sgd_nesterov"][0]);
}

/// Keras 3 Adam in f64; `wd` > 0 adds AdamW's decoupled decay first.
fn adam_formula(lr: f64, b1: f64, b2: f64, eps: f64, wd: f64) -> impl FnMut(&mut [f64], &[f64]) {
    let (mut m, mut v, mut t) = ([0.0; 3], [0.0; 3], 0);
    move |p, g| {
        t += 1;
        let alpha = lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
        for i in 0..3 {
            p[i] -= p[i] * wd * lr;
            m[i] += (g[i] - m[i]) * (1.0 - b1);
            v[i] += (g[i] * g[i] - v[i]) * (1.0 - b2);
            p[i] -= m[i] * alpha / (v[i].sqrt() + eps);
        }
    }
}

#[test]
fn adam_matches_keras() {
    check_keras("adam");
}

#[test]
fn adam_formula_defaults() {
    check_formula(Adam::new(0.01), adam_formula(0.01, 0.9, 0.999, 1e-7, 0.0));
    check_formula(Adam::new(0.02).beta_1(0.8).beta_2(0.99).epsilon(1e-3), adam_formula(0.02, 0.8, 0.99, 1e-3, 0.0));
}

#[test]
fn adamw_matches_keras() {
    check_keras("adamw");
}

#[test]
fn adamw_formula_defaults() {
    check_formula(AdamW::new(0.01), adam_formula(0.01, 0.9, 0.999, 1e-7, 0.004));
    check_formula(AdamW::new(0.05).weight_decay(0.1), adam_formula(0.05, 0.9, 0.999, 1e-7, 0.1));
    // Without decay, AdamW is Adam bit for bit.
    let run = |mut opt: Box<dyn Optimizer>| {
        let mut p = vec![0.5_f32, -1.25, 2.0];
        for _ in 0..3 {
            opt.begin_step();
            opt.update(0, &mut p, &mut [0.1, -0.2, 0.3]);
        }
        p
    };
    assert_eq!(run(Box::new(AdamW::new(0.01).weight_decay(0.0))), run(Box::new(Adam::new(0.01))));
}

#[test]
fn nadam_matches_keras() {
    check_keras("nadam");
}

#[test]
fn nadam_formula() {
    // Keras 3's nadam.py: u_t = β1 (1 - 0.5 * 0.96^t) (no 0.004 factor in Keras 3).
    let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-7);
    let (mut m, mut v, mut t, mut u_product) = ([0.0; 3], [0.0; 3], 0, 1.0);
    let u = |t: i32| b1 * (1.0 - 0.5 * 0.96_f64.powi(t));
    check_formula(Nadam::new(lr), move |p, g| {
        t += 1;
        u_product *= u(t);
        let u_product_next = u_product * u(t + 1);
        for i in 0..3 {
            m[i] += (g[i] - m[i]) * (1.0 - b1);
            v[i] += (g[i] * g[i] - v[i]) * (1.0 - b2);
            let m_hat = u(t + 1) * m[i] / (1.0 - u_product_next) + (1.0 - u(t)) * g[i] / (1.0 - u_product);
            let v_hat = v[i] / (1.0 - b2.powi(t));
            p[i] -= m_hat * lr / (v_hat.sqrt() + eps);
        }
    });
}

#[test]
fn adamax_matches_keras() {
    check_keras("adamax");
}

#[test]
fn adamax_formula() {
    let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-7);
    let (mut m, mut u, mut t) = ([0.0; 3], [0.0_f64; 3], 0);
    check_formula(Adamax::new(lr), move |p, g| {
        t += 1;
        for i in 0..3 {
            m[i] += (g[i] - m[i]) * (1.0 - b1);
            u[i] = (b2 * u[i]).max(g[i].abs());
            p[i] -= lr * m[i] / ((1.0 - b1.powi(t)) * (u[i] + eps));
        }
    });
}

#[test]
fn rmsprop_matches_keras() {
    check_keras("rmsprop");
}

#[test]
fn rmsprop_formula() {
    // ε inside the square root: p -= lr g / sqrt(v + ε).
    let (lr, rho, eps) = (0.01, 0.9, 1e-7);
    let mut v = [0.0; 3];
    check_formula(RmsProp::new(lr), move |p, g| {
        for i in 0..3 {
            v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i];
            p[i] -= lr * g[i] / (v[i] + eps).sqrt();
        }
    });
    // Momentum: mom = μ mom + lr g / sqrt(v + ε); p -= mom.
    let (rho, mu, eps) = (0.8, 0.5, 1e-3);
    let (mut v, mut mom) = ([0.0; 3], [0.0; 3]);
    check_formula(RmsProp::new(lr).rho(rho).momentum(mu).epsilon(eps), move |p, g| {
        for i in 0..3 {
            v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i];
            mom[i] = mu * mom[i] + lr * g[i] / (v[i] + eps).sqrt();
            p[i] -= mom[i];
        }
    });
    // Centered: a = ρ a + (1 - ρ) g; p -= lr g / sqrt(v - a² + ε).
    let (mut v, mut a) = ([0.0; 3], [0.0; 3]);
    check_formula(RmsProp::new(lr).centered(true), move |p, g| {
        for i in 0..3 {
            v[i] = 0.9 * v[i] + 0.1 * g[i] * g[i];
            a[i] = 0.9 * a[i] + 0.1 * g[i];
            p[i] -= lr * g[i] / (v[i] - a[i] * a[i] + 1e-7).sqrt();
        }
    });
}

#[test]
fn adagrad_matches_keras() {
    check_keras("adagrad");
}

#[test]
fn adagrad_formula() {
    // acc starts at 0.1; acc += g²; p -= lr g / sqrt(acc + ε).
    let mut acc = [0.1; 3];
    check_formula(Adagrad::new(0.1), move |p, g| {
        for i in 0..3 {
            acc[i] += g[i] * g[i];
            p[i] -= 0.1 * g[i] / (acc[i] + 1e-7).sqrt();
        }
    });
    let mut acc = [0.5; 3];
    check_formula(Adagrad::new(0.1).initial_accumulator_value(0.5).epsilon(1e-3), move |p, g| {
        for i in 0..3 {
            acc[i] += g[i] * g[i];
            p[i] -= 0.1 * g[i] / (acc[i] + 1e-3).sqrt();
        }
    });
}

#[test]
fn clipnorm_clips_each_tensor_by_its_own_norm() {
    // b's gradient [3, 4] has norm 5: clipnorm 1 scales it to [0.6, 0.8];
    // a's gradient [0.1, -0.2, 0.3] (norm 0.37) is left alone, whatever b's norm.
    let mut opt = Sgd::new(0.1).clipnorm(1.0);
    let (mut a, mut b) = ([0.5_f32, -1.25, 2.0], [1.0_f32, -0.5]);
    let (mut ga, mut gb) = ([0.1_f32, -0.2, 0.3], [3.0_f32, 4.0]);
    opt.begin_step();
    opt.update(0, &mut a, &mut ga);
    opt.update(1, &mut b, &mut gb);
    assert_eq!(ga, [0.1, -0.2, 0.3]);
    assert!((gb[0] - 0.6).abs() < 1e-7 && (gb[1] - 0.8).abs() < 1e-7, "clipped in place: {gb:?}");
    assert!((b[0] - 0.94).abs() < 1e-6 && (b[1] + 0.58).abs() < 1e-6, "{b:?}");
    // A zero gradient stays zero (Keras's two-tap `where`).
    let mut z = [0.0_f32; 2];
    opt.update(1, &mut b, &mut z);
    assert_eq!(z, [0.0, 0.0]);
    // Keras's numbers for the same problem.
    check_keras("sgd_clipnorm");
    check_keras("adam_clipnorm");
}

#[test]
fn clipvalue_clamps_each_element() {
    let mut opt = Sgd::new(1.0).clipvalue(0.5);
    let mut p = [0.0_f32; 4];
    let mut g = [-2.0_f32, -0.25, 0.5, 9.0];
    opt.begin_step();
    opt.update(0, &mut p, &mut g);
    assert_eq!(g, [-0.5, -0.25, 0.5, 0.5]);
    assert_eq!(p, [0.5, 0.25, -0.5, -0.5]);
    check_keras("sgd_clipvalue");
    check_keras("adagrad_clipvalue");
}

#[test]
#[should_panic(expected = "only one of clipnorm and clipvalue")]
fn clipnorm_and_clipvalue_together_are_refused_as_in_keras() {
    let _ = Adam::new(0.01).clipnorm(1.0).clipvalue(0.5);
}

fn check_schedule(name: &str, at: impl Fn(u64) -> f32) {
    let k = keras();
    let s = &k["schedules"][name];
    let steps: Vec<u64> = s["steps"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
    for (&step, want) in steps.iter().zip(floats(&s["values"])) {
        let found = at(step);
        assert!(close(f64::from(found), want, 1e-6), "{name} at step {step}: found {found}, Keras {want}");
    }
}

#[test]
fn exponential_decay_matches_keras() {
    let s = ExponentialDecay::new(0.01, 20_000, 0.1);
    check_schedule("exponential", |t| s.at(t));
    let st = ExponentialDecay::new(0.01, 20_000, 0.1).staircase(true);
    check_schedule("exponential_staircase", |t| st.at(t));
    // Formula: 0.01 * 0.1^(t / 20000); staircase floors the exponent.
    assert!((s.at(10_000) - 0.01 * 0.1_f32.sqrt()).abs() < 1e-9);
    assert_eq!(st.at(39_999), st.at(20_000));
    // Struct-literal form, as Keras's keyword arguments.
    let lit = ExponentialDecay { initial_learning_rate: 0.01, decay_steps: 20_000, decay_rate: 0.1, staircase: true };
    assert_eq!(lit, st);
}

#[test]
fn piecewise_constant_decay_matches_keras() {
    let s = PiecewiseConstantDecay::new([5_000, 10_000], [1.0, 0.5, 0.1]);
    check_schedule("piecewise", |t| s.at(t));
    assert_eq!([s.at(0), s.at(5_000), s.at(5_001), s.at(10_000), s.at(10_001)], [1.0, 1.0, 0.5, 0.5, 0.1]);
}

#[test]
#[should_panic(expected = "2 boundaries need 3 values")]
fn piecewise_constant_decay_needs_one_more_value() {
    let _ = PiecewiseConstantDecay::new([5_000, 10_000], [1.0, 0.5]);
}

#[test]
fn inverse_time_decay_matches_keras() {
    let s = InverseTimeDecay::new(0.01, 10_000, 1.0);
    check_schedule("inverse_time", |t| s.at(t));
    let st = InverseTimeDecay::new(0.01, 10_000, 0.5).staircase(true);
    check_schedule("inverse_time_staircase", |t| st.at(t));
    // The book's power scheduling η0 / (1 + t/s): halved at t = s, a third at 2s.
    assert_eq!(s.at(10_000), 0.005);
    assert!((s.at(20_000) - 0.01 / 3.0).abs() < 1e-9);
}

#[test]
fn one_cycle_matches_geron() {
    let k = keras();
    let total = k["schedules"]["onecycle_geron"]["total_steps"].as_u64().unwrap();
    let max_lr = k["schedules"]["onecycle_geron"]["max_lr"].as_f64().unwrap();
    let s = OneCycle::new(total, max_lr);
    // Values of Géron's OneCycleScheduler (the script's Python transcription).
    check_schedule("onecycle_geron", |t| s.at(t));
    // By hand: T = 1000, L = 101, h = 449, start 0.005, last 5e-6.
    let near = |a: f32, b: f64| (f64::from(a) - b).abs() <= 1e-6 * b;
    assert!(near(s.at(0), 0.005));
    assert!(near(s.at(100), 0.005 + 0.045 * 100.0 / 449.0));
    assert!(near(s.at(449), 0.05));
    assert!(near(s.at(600), 0.05 - 0.045 * 151.0 / 449.0));
    assert!(near(s.at(898), 0.005));
    assert!(near(s.at(949), 0.005 + (5e-6 - 0.005) * 51.0 / 102.0));
    assert!(near(s.at(1000), 5e-6) && near(s.at(5000), 5e-6), "held at last_lr after the cycle");
    // Custom phases.
    let c = OneCycle::new(100, 1.0).start_lr(0.1).last_steps(20).last_lr(0.01);
    assert!(near(c.at(40), 1.0) && near(c.at(80), 0.1) && near(c.at(90), 0.055) && near(c.at(100), 0.01));
}

#[test]
fn schedules_are_evaluated_at_the_count_before_the_step() {
    // Keras: optimizer.learning_rate = schedule(iterations), iterations
    // incremented after the update. ExponentialDecay(0.1, 2, 0.5): steps use
    // 0.1, 0.1 * 0.5^0.5, 0.05.
    let mut opt = Sgd::new(ExponentialDecay::new(0.1, 2, 0.5));
    let mut seen = Vec::new();
    for _ in 0..3 {
        let lr = opt.learning_rate();
        seen.push(lr);
        // A fresh parameter each step: 0 - lr * (-1) = lr exactly.
        let mut p = [0.0_f32];
        opt.begin_step();
        opt.update(0, &mut p, &mut [-1.0]);
        assert_eq!(p[0], lr, "the step used learning_rate() as read before it");
    }
    assert_eq!(seen[0], 0.1);
    assert!((seen[1] - 0.1 * 0.5_f32.sqrt()).abs() < 1e-8);
    assert!((seen[2] - 0.05).abs() < 1e-8);
    assert_eq!(opt.iterations(), 3);
    check_keras("sgd_exponential_decay");
    check_keras("adam_piecewise");
    check_keras("rmsprop_inverse_time");
}

#[test]
fn set_learning_rate_replaces_the_schedule() {
    let mut opt = Adam::new(PiecewiseConstantDecay::new([0], [0.1, 0.01]));
    assert_eq!(opt.learning_rate(), 0.1);
    opt.set_learning_rate(0.5);
    assert_eq!(opt.learning_rate(), 0.5);
    let mut p = [0.0_f32];
    for _ in 0..3 {
        opt.begin_step();
        opt.update(0, &mut p, &mut [1.0]);
    }
    assert_eq!(opt.learning_rate(), 0.5);
    // A constant is part of the state, so a LearningRateScheduler's change survives a checkpoint.
    let mut resumed = Adam::new(0.001);
    resumed.load_state(&opt.state()).unwrap();
    assert_eq!(resumed.learning_rate(), 0.5);
}

#[test]
fn learning_rate_from_floats_and_schedules() {
    assert_eq!(LearningRate::from(0.1), LearningRate::Constant(0.1_f32));
    assert_eq!(LearningRate::from(0.25_f32).at(7), 0.25);
    assert_eq!(LearningRate::from(ExponentialDecay::new(1.0, 1, 0.5)).at(2), 0.25);
    assert_eq!(LearningRate::from(OneCycle::new(10, 1.0)).at(0), 0.1);
    // Untyped literals and f32 both work everywhere.
    let _ = Sgd::new(0.1).momentum(0.9);
    let _ = Sgd::new(0.1_f32).momentum(0.9_f32);
    let _ = RmsProp::new(1e-3).rho(0.95).epsilon(1e-6_f32).clipnorm(1);
}

/// Runs `steps` steps of the reference gradients (cycled) on the two tensors.
fn run_steps(opt: &mut dyn Optimizer, params: &mut [Vec<f32>; 2], from: usize, steps: usize) {
    let Problem { grads, .. } = problem();
    for s in from..from + steps {
        step(opt, params, &grads[s % grads.len()]);
    }
}

/// Builds a fresh optimizer.
type Maker = fn() -> Box<dyn Optimizer>;

/// What `Optimizer::state` returns.
type State = Vec<(String, Vec<f32>)>;

#[test]
fn state_round_trip_resumes_bit_identically() {
    let makers: Vec<(&str, Maker)> = vec![
        ("sgd", || Box::new(Sgd::new(0.1))),
        ("sgd nesterov", || Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true).clipnorm(1.0))),
        ("adam", || Box::new(Adam::new(ExponentialDecay::new(0.01, 3, 0.5)))),
        ("adamw", || Box::new(AdamW::new(0.01).weight_decay(0.1))),
        ("nadam", || Box::new(Nadam::new(0.01))),
        ("adamax", || Box::new(Adamax::new(0.01))),
        ("rmsprop", || Box::new(RmsProp::new(0.01).momentum(0.5).centered(true))),
        ("adagrad", || Box::new(Adagrad::new(OneCycle::new(5, 0.1)).clipvalue(0.3))),
    ];
    for (name, make) in makers {
        let Problem { params, .. } = problem();
        let mut straight = make();
        let mut p5 = params.clone();
        run_steps(straight.as_mut(), &mut p5, 0, 5);

        let mut first = make();
        let mut p = params.clone();
        run_steps(first.as_mut(), &mut p, 0, 2);
        let saved = first.state();
        assert_eq!(saved[0], ("iterations".to_string(), vec![2.0]), "{name}");
        let mut resumed = make();
        resumed.load_state(&saved).unwrap();
        assert_eq!(resumed.state(), saved, "{name}: state survives the round trip");
        run_steps(resumed.as_mut(), &mut p, 2, 3);

        let bits = |p: &[Vec<f32>; 2]| p.iter().flatten().map(|x| x.to_bits()).collect::<Vec<u32>>();
        assert_eq!(bits(&p), bits(&p5), "{name}: resumed run differs");
        assert_eq!(resumed.state(), straight.state(), "{name}");
    }
}

#[test]
fn state_names_follow_keras_and_slots_are_lazy() {
    let mut opt = Nadam::new(0.01);
    let names = |opt: &Nadam| opt.state().into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    assert_eq!(names(&opt), ["iterations", "learning_rate", "u_product"]);
    opt.begin_step();
    opt.update(2, &mut [1.0, 2.0], &mut [0.1, 0.2]);
    assert_eq!(names(&opt), ["iterations", "learning_rate", "u_product", "momentum.2", "velocity.2"]);
    opt.check_tensor_sizes(&[5, 5, 2]).unwrap();
    let err = opt.check_tensor_sizes(&[5, 5, 3]).unwrap_err();
    assert!(err.to_string().contains("momentum.2"), "{err}");

    let sgd = Sgd::new(0.1);
    assert_eq!(sgd.state(), [("iterations".to_string(), vec![0.0]), ("learning_rate".to_string(), vec![0.1])]);
    let mut rms = RmsProp::new(0.1).momentum(0.9).centered(true);
    rms.begin_step();
    rms.update(0, &mut [1.0], &mut [1.0]);
    let n: Vec<String> = rms.state().into_iter().map(|(n, _)| n).collect();
    assert_eq!(n, ["iterations", "learning_rate", "velocity.0", "momentum.0", "average_gradient.0"]);
    // A schedule is configuration, not state.
    let adam = Adam::new(ExponentialDecay::new(0.1, 10, 0.5));
    assert_eq!(adam.state(), [("iterations".to_string(), vec![0.0])]);
}

#[test]
fn iteration_counts_beyond_f32_precision_round_trip() {
    let mut opt = Adagrad::new(0.1);
    let big = vec![5.0, 3.0]; // 3 * 2^24 + 5
    opt.load_state(&[("iterations".to_string(), big.clone())]).unwrap();
    assert_eq!(opt.iterations(), 3 * (1 << 24) + 5);
    assert_eq!(opt.state()[0].1, big);
}

fn entry(name: &str, values: &[f32]) -> (String, Vec<f32>) {
    (name.to_string(), values.to_vec())
}

#[test]
fn load_state_rejects_bad_entries_and_leaves_the_optimizer_unchanged() {
    let mut opt = Adam::new(0.01);
    let mut p = [vec![0.5_f32, -1.25, 2.0], vec![1.0, -0.5]];
    run_steps(&mut opt, &mut p, 0, 2);
    let before = opt.state();
    let good = before.clone();
    let with = |extra: Vec<(String, Vec<f32>)>| [good.clone(), extra].concat();
    let without = |name: &str| good.iter().filter(|(n, _)| n != name).cloned().collect::<Vec<_>>();
    let replaced = |name: &str, values: &[f32]| {
        good.iter().map(|(n, v)| if n == name { entry(n, values) } else { (n.clone(), v.clone()) }).collect::<Vec<_>>()
    };
    let cases: Vec<(State, &str)> = vec![
        (with(vec![entry("accumulator.0", &[0.0; 3])]), "accumulator.0"),
        (with(vec![entry("bogus", &[1.0])]), "bogus"),
        (with(vec![entry("momentum.x", &[1.0])]), "momentum.x"),
        (replaced("momentum.0", &[0.0; 4]), "momentum.0"),
        (replaced("iterations", &[1.5]), "iterations"),
        (replaced("iterations", &[-1.0]), "iterations"),
        (replaced("iterations", &[]), "iterations"),
        (replaced("learning_rate", &[f32::NAN]), "learning_rate"),
        (without("iterations"), "iterations"),
        (without("velocity.1"), "velocity.1"),
        (with(vec![entry("momentum.7", &[0.0; 2]), entry("velocity.7", &[0.0; 3])]), "velocity.7"),
        (with(vec![entry("iterations", &[2.0])]), "iterations"),
        (with(vec![entry("momentum.99999999999", &[0.0])]), "momentum.99999999999"),
    ];
    for (state, culprit) in cases {
        let err = opt.load_state(&state).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        assert!(err.to_string().contains(culprit), "error {err} should name {culprit}");
        assert_eq!(opt.state(), before, "unchanged after the error naming {culprit}");
    }
    // And it still steps exactly as an untouched copy.
    let mut twin = Adam::new(0.01);
    twin.load_state(&before).unwrap();
    let mut q = p.clone();
    run_steps(&mut opt, &mut p, 2, 2);
    run_steps(&mut twin, &mut q, 2, 2);
    assert_eq!(p, q);
}

#[test]
fn load_state_replaces_everything() {
    // Slots of tensors absent from the loaded state are dropped (they restart at zero).
    let mut opt = Sgd::new(0.1).momentum(0.9);
    opt.begin_step();
    opt.update(0, &mut [1.0], &mut [1.0]);
    opt.update(1, &mut [1.0], &mut [1.0]);
    opt.load_state(&[entry("iterations", &[4.0]), entry("momentum.1", &[0.25])]).unwrap();
    assert_eq!(opt.iterations(), 4);
    assert_eq!(
        opt.state(),
        [entry("iterations", &[4.0]), entry("learning_rate", &[0.1]), entry("momentum.1", &[0.25])]
    );
}

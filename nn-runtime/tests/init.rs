//! Keras initializers: fans, variances, bounds and reproducibility.

use nn_runtime::init::{compute_fans, Distribution, FanMode, Initializer};
use nn_runtime::rng::seeded;

/// Keras's truncation correction: the stddev of a standard normal cut at ±2.
const TRUNC: f64 = 0.879_625_661_034_239_8;

/// Two shapes: a square-ish Dense kernel and one where fan_in, fan_out and
/// fan_avg differ by factors of 1.5 to 3.
const SHAPES: [[usize; 2]; 2] = [[400, 300], [600, 200]];

fn sample(init: Initializer, shape: &[usize], seed: u64) -> Vec<f32> {
    let mut out = vec![f32::NAN; shape.iter().product()];
    init.fill(shape, &mut out, &mut seeded(seed));
    out
}

fn mean_var(xs: &[f32]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = xs.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

/// The fan a mode divides by, written out independently of the library.
fn fan(shape: [usize; 2], mode: FanMode) -> f64 {
    let (i, o) = (shape[0] as f64, shape[1] as f64);
    match mode {
        FanMode::FanIn => i,
        FanMode::FanOut => o,
        FanMode::FanAvg => (i + o) / 2.0,
    }
}

/// Checks mean, variance (±2.5 %: fan_in vs fan_avg differ by ≥ 14 % on these
/// shapes, the truncation correction by 29 %) and the bounds of samples.
fn check(init: Initializer, shape: [usize; 2], scale: f64, mode: FanMode, dist: Distribution) {
    let xs = sample(init, &shape, 7);
    let target = scale / fan(shape, mode).max(1.0);
    let (mean, var) = mean_var(&xs);
    let what = format!("{init:?} on {shape:?}");
    let sem = (target / xs.len() as f64).sqrt();
    assert!(mean.abs() < 5.0 * sem, "{what}: mean {mean} not ≈ 0 (5 sem = {})", 5.0 * sem);
    assert!((var / target - 1.0).abs() < 0.025, "{what}: variance {var}, expected {target} (ratio {})", var / target);
    let max_abs = xs.iter().fold(0.0f64, |m, &x| m.max(f64::from(x).abs()));
    match dist {
        Distribution::Uniform => {
            let limit = (3.0 * target).sqrt();
            assert!(max_abs <= limit * (1.0 + 1e-6), "{what}: {max_abs} outside ±{limit}");
            assert!(max_abs > limit * 0.999, "{what}: max {max_abs} does not reach near {limit}");
        }
        Distribution::TruncatedNormal => {
            let sigma = target.sqrt() / TRUNC;
            assert!(max_abs <= 2.0 * sigma * (1.0 + 1e-6), "{what}: {max_abs} outside ±2σ = {}", 2.0 * sigma);
            assert!(max_abs > 1.99 * sigma, "{what}: max {max_abs} does not reach near 2σ");
        }
        Distribution::UntruncatedNormal => {
            let sigma = target.sqrt();
            let beyond = xs.iter().filter(|&&x| f64::from(x).abs() > 2.0 * sigma).count();
            // P(|z| > 2) = 4.55 %.
            let frac = beyond as f64 / xs.len() as f64;
            assert!((frac - 0.0455).abs() < 0.004, "{what}: {frac} beyond 2σ, expected 4.55 %");
        }
    }
}

#[test]
fn variance_scaling_every_mode_and_distribution() {
    let modes = [FanMode::FanIn, FanMode::FanOut, FanMode::FanAvg];
    let dists = [Distribution::TruncatedNormal, Distribution::UntruncatedNormal, Distribution::Uniform];
    for shape in SHAPES {
        for mode in modes {
            for distribution in dists {
                let init = Initializer::VarianceScaling { scale: 2.0, mode, distribution };
                check(init, shape, 2.0, mode, distribution);
            }
        }
    }
}

#[test]
fn named_initializers_are_keras_definitions() {
    use Distribution::{TruncatedNormal as Tn, Uniform as U};
    use FanMode::{FanAvg, FanIn};
    let named = [
        (Initializer::glorot_uniform(), 1.0, FanAvg, U),
        (Initializer::glorot_normal(), 1.0, FanAvg, Tn),
        (Initializer::he_normal(), 2.0, FanIn, Tn),
        (Initializer::he_uniform(), 2.0, FanIn, U),
        (Initializer::lecun_normal(), 1.0, FanIn, Tn),
        (Initializer::lecun_uniform(), 1.0, FanIn, U),
    ];
    for (init, scale, mode, distribution) in named {
        assert_eq!(init, Initializer::VarianceScaling { scale, mode, distribution });
        for shape in SHAPES {
            check(init, shape, f64::from(scale), mode, distribution);
        }
    }
    assert_eq!(Initializer::default(), Initializer::glorot_uniform());
}

#[test]
fn truncation_correction_is_applied() {
    // Without the 1/0.8796 widening the variance would be 77 % of the target.
    let shape = [600, 200];
    let xs = sample(Initializer::he_normal(), &shape, 3);
    let (_, var) = mean_var(&xs);
    let ratio = var / (2.0 / 600.0);
    assert!((ratio - 1.0).abs() < 0.025, "he_normal variance ratio {ratio}");
}

#[test]
fn constants_are_exact() {
    let shape = [3, 5];
    assert!(sample(Initializer::Zeros, &shape, 0).iter().all(|&x| x.to_bits() == 0));
    assert!(sample(Initializer::Ones, &shape, 0).iter().all(|&x| x == 1.0));
    assert!(sample(Initializer::Constant(-0.25), &shape, 0).iter().all(|&x| x == -0.25));
}

#[test]
fn same_seed_same_bits() {
    let inits = [
        Initializer::glorot_uniform(),
        Initializer::he_normal(),
        Initializer::VarianceScaling {
            scale: 1.5,
            mode: FanMode::FanOut,
            distribution: Distribution::UntruncatedNormal,
        },
    ];
    for init in inits {
        let a = sample(init, &[64, 32], 42);
        let b = sample(init, &[64, 32], 42);
        let c = sample(init, &[64, 32], 43);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{init:?}");
        assert_ne!(a, c, "{init:?}: different seeds gave the same samples");
        assert!(a.iter().all(|x| x.is_finite()));
    }
    // Consecutive fills continue the stream.
    let mut rng = seeded(9);
    let mut first = vec![0.0; 10];
    let mut second = vec![0.0; 10];
    Initializer::he_uniform().fill(&[10], &mut first, &mut rng);
    Initializer::he_uniform().fill(&[10], &mut second, &mut rng);
    assert_ne!(first, second);
}

#[test]
fn fans_follow_keras() {
    assert_eq!(compute_fans(&[]), (1.0, 1.0));
    assert_eq!(compute_fans(&[7]), (7.0, 7.0));
    assert_eq!(compute_fans(&[784, 300]), (784.0, 300.0));
    // Conv kernel [h, w, in, out]: receptive field 3 * 3.
    assert_eq!(compute_fans(&[3, 3, 16, 32]), (144.0, 288.0));
    assert_eq!(compute_fans(&[5, 4, 6]), (20.0, 30.0));
}

#[test]
fn bias_shape_uses_its_length_as_both_fans() {
    // Rank 1: fan_in = fan_out = n, so glorot's variance is 1 / n.
    let xs = sample(Initializer::glorot_uniform(), &[50_000], 1);
    let (_, var) = mean_var(&xs);
    assert!((var * 50_000.0 - 1.0).abs() < 0.025, "variance {var}");
}

#[test]
fn degenerate_scale_fills_zeros_without_panicking() {
    for scale in [0.0, -1.0, f32::NAN] {
        let init = Initializer::VarianceScaling { scale, mode: FanMode::FanIn, distribution: Distribution::Uniform };
        assert!(sample(init, &[4, 4], 0).iter().all(|&x| x == 0.0));
    }
}

//! GaussianNoise and GaussianDropout: the identity at inference, and in
//! training the noise statistics of Keras's definitions (additive N(0,
//! stddev²); multiplicative N(1, rate / (1 - rate))).

use nn::layers::{GaussianDropout, GaussianNoise, Layer, Train};

const N: usize = 20_000;

/// Mean and standard deviation.
fn moments(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[test]
fn gaussian_noise_adds_noise_of_stddev_in_training_only() {
    let mut layer = GaussianNoise::<N>::new(0.3);
    let x = vec![2.0f32; N];
    let mut y = vec![0.0f32; N];
    layer.infer(&x, &mut y, &mut []);
    assert_eq!(x, y, "inference is the identity");
    let mut rng = nn::rng::seeded(1);
    layer.forward(&mut (), &x, &mut y, &mut rng);
    let (mean, sd) = moments(&y);
    // Standard errors: 0.3 / sqrt(N) = 0.0021 for the mean, about 0.0015 for the deviation.
    assert!((mean - 2.0).abs() < 0.01, "mean {mean}");
    assert!((sd - 0.3).abs() < 0.008, "stddev {sd}");
    let mut dx = vec![0.0f32; N];
    layer.backward(&mut (), &x, &y, &x, Some(&mut dx));
    assert_eq!(dx, x, "the gradient passes through");
}

#[test]
fn gaussian_dropout_multiplies_by_noise_of_keras_variance() {
    let rate = 0.2f32;
    let mut layer = GaussianDropout::<N>::new(rate);
    let x = vec![3.0f32; N];
    let mut y = vec![0.0f32; N];
    layer.infer(&x, &mut y, &mut []);
    assert_eq!(x, y, "inference is the identity");
    let mut noise = Vec::new();
    layer.forward(&mut noise, &x, &mut y, &mut nn::rng::seeded(2));
    let (mean, sd) = moments(&y);
    let want_sd = 3.0 * f64::from(rate / (1.0 - rate)).sqrt(); // 1.5
    assert!((mean - 3.0).abs() < 0.05, "mean {mean}");
    assert!((sd - want_sd).abs() < 0.04, "stddev {sd}, want {want_sd}");
    // The backward pass multiplies by the same noise.
    let dy = vec![1.0f32; N];
    let mut dx = vec![0.0f32; N];
    layer.backward(&mut noise, &x, &y, &dy, Some(&mut dx));
    for i in 0..N {
        assert!((dx[i] * 3.0 - y[i]).abs() < 1e-4);
    }
}

#[test]
fn zero_noise_is_the_identity_in_training_too() {
    let x: Vec<f32> = (0..N).map(|i| i as f32 * 0.01).collect();
    let mut y = vec![0.0f32; N];
    GaussianNoise::<N>::new(0.0).forward(&mut (), &x, &mut y, &mut nn::rng::seeded(3));
    assert_eq!(x, y);
    GaussianDropout::<N>::new(0.0).forward(&mut Vec::new(), &x, &mut y, &mut nn::rng::seeded(3));
    assert_eq!(x, y);
}

nn::sequential! {
    /// The four layers in a model: summary rows and auto-names as Keras's.
    struct FourLayers {
        Input[6], GaussianNoise(0.1), Dense(4), ReLU(6.0), GaussianDropout(0.1), Softmax,
    }
}

#[test]
fn auto_names_and_summary_rows() {
    let s = FourLayers::seeded(0).summary();
    for row in ["gaussian_noise (GaussianNoi", "re_lu (ReLU)", "gaussian_dropout (Gaussian", "softmax (Softmax)"] {
        assert!(s.contains(row), "{row} missing from\n{s}");
    }
    assert_eq!(FourLayers::PARAMS, 28);
}

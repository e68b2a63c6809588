//! Monte Carlo dropout: `McDropout` and `McAlphaDropout` stay on in
//! `predict`, plain `Dropout` does not; `predict_mc` averages passes with
//! every dropout layer active (the plain ones too, as Keras's
//! `model(x, training=True)`); the masks follow the model's seed and every
//! call draws new ones.
//!
//! The models are `Input[6], Dense(32, relu), <dropout>, Dense(4, softmax)`.

use nn::layers::{Dropout, Layer, McAlphaDropout, McDropout, Train};
use nn::model::{predict_dyn, predict_mc};
use nn::ndarray::{Array2, ArrayD, Axis};

nn::sequential! {
    /// MC dropout between the two layers.
    struct McNet { Input[6], Dense(32, relu), MCDropout(0.3), Dense(4, softmax) }

    /// MC alpha dropout between the two layers.
    struct AlphaNet { Input[6], Dense(32, relu), MCAlphaDropout(0.2), Dense(4, softmax) }

    /// Plain dropout between the two layers.
    struct PlainNet { Input[6], Dense(32, relu), Dropout(0.3), Dense(4, softmax) }

    /// Two plain dropouts alone.
    struct Drops { Input[4000], Dropout(0.3), Dropout(0.3) }

    /// Each other dropout layer alone.
    struct Alpha { Input[4000], AlphaDropout(0.2) }
    struct Gaussian { Input[4000], GaussianDropout(0.5) }
    struct Spatial { Input[100, 40], SpatialDropout1D(0.5) }

    /// A model inside a model, with a dropout inside.
    struct Inner { Input[4000], Dropout(0.5) }
    struct Outer { Input[4000], Inner, Dropout(0.5) }
}

fn mc(seed: u64) -> McNet {
    McNet::seeded(seed)
}

fn x(n: usize) -> ArrayD<f32> {
    Array2::from_shape_fn((n, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0).into_dyn()
}

#[test]
fn plain_dropout_is_the_identity_in_predict_mc_dropout_is_not() {
    let x = x(16);
    let plain = PlainNet::seeded(3);
    assert_eq!(predict_dyn(&plain, x.view()).unwrap(), predict_dyn(&plain, x.view()).unwrap());
    let m = mc(3);
    let (a, b) = (predict_dyn(&m, x.view()).unwrap(), predict_dyn(&m, x.view()).unwrap());
    assert_ne!(a, b, "every predict call draws new masks");
    // Rows still sum to 1 (the dropout is before the softmax layer).
    for row in a.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
    let alpha = AlphaNet::seeded(3);
    assert_ne!(predict_dyn(&alpha, x.view()).unwrap(), predict_dyn(&alpha, x.view()).unwrap());
}

#[test]
fn predict_mc_shapes_spread_and_errors() {
    let x = x(10);
    let m = mc(4);
    let (mean, std) = predict_mc(&m, x.view(), 50).unwrap();
    assert_eq!((mean.shape(), std.shape()), (&[10, 4][..], &[10, 4][..]));
    assert!(std.iter().all(|&s| s >= 0.0) && std.iter().any(|&s| s > 1e-3), "nonzero spread: {std}");
    for row in mean.axis_iter(Axis(0)) {
        assert!((row.sum() - 1.0).abs() < 1e-5, "the mean of probabilities is a distribution");
    }
    // One sample: the spread is 0.
    let (_, s1) = predict_mc(&m, x.view(), 1).unwrap();
    assert!(s1.iter().all(|&s| s == 0.0));
    assert!(predict_mc(&m, x.view(), 0).unwrap_err().to_string().contains("samples must be at least 1"));
    let bad = ArrayD::<f32>::zeros(nn::ndarray::IxDyn(&[3, 5]));
    assert!(predict_mc(&m, bad.view(), 5).is_err());
    // A plain Dropout model: active in these passes (Keras's
    // `training=True`), so the passes spread too.
    let plain = PlainNet::seeded(3);
    let (_, ps) = predict_mc(&plain, x.view(), 20).unwrap();
    assert!(ps.iter().any(|&s| s > 1e-3), "nonzero spread: {ps}");
    // And `predict` after it is still the identity there.
    assert_eq!(predict_dyn(&plain, x.view()).unwrap(), predict_dyn(&plain, x.view()).unwrap());
}

/// One pass of `predict_mc` on `rows` rows of ones (the output of that pass).
fn one_pass<M: nn::Model + Sync>(m: &M, rows: usize) -> Vec<f32> {
    let shape: Vec<usize> = std::iter::once(rows).chain(M::INPUT_SHAPE.iter().copied()).collect();
    let x = ArrayD::from_elem(shape, 1.0f32);
    predict_mc(m, x.view(), 1).unwrap().0.iter().copied().collect()
}

#[test]
fn every_plain_dropout_layer_drops_in_predict_mc_passes() {
    // Two Dropout(0.3) in a row keep 0.49 of the values, at 1 / 0.7²; each
    // layer draws its own masks (the same masks would keep 0.7). 300 rows
    // are inferred as two halves on two threads: both halves drop.
    let m = Drops::seeded(1);
    let y = one_pass(&m, 300);
    for (half, part) in y.chunks(150 * 4000).enumerate() {
        let kept = part.iter().filter(|&&v| v != 0.0).count() as f32 / part.len() as f32;
        assert!((kept - 0.49).abs() < 0.01, "half {half}: kept {kept}");
        assert!(part.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.49).abs() < 1e-5));
    }
    // AlphaDropout: dropped values at a · α' + b, kept ones at a · x + b.
    let y = one_pass(&Alpha::seeded(1), 2);
    let rule = nn::layers::DropRule::alpha(0.2);
    let dropped = y.iter().filter(|&&v| (v - rule.dropped).abs() < 1e-6).count() as f32 / y.len() as f32;
    assert!((dropped - 0.2).abs() < 0.02, "dropped {dropped}");
    assert!(y.iter().all(|&v| (v - rule.dropped).abs() < 1e-6 || (v - (rule.slope + rule.shift)).abs() < 1e-6));
    // GaussianDropout(0.5): noise of mean 1 and variance rate / (1 - rate) = 1.
    let y = one_pass(&Gaussian::seeded(1), 4);
    let mean = y.iter().sum::<f32>() / y.len() as f32;
    let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / y.len() as f32;
    assert!((mean - 1.0).abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean}, variance {var}");
    // SpatialDropout1D: a channel of a sample is kept or dropped at every step.
    let y = one_pass(&Spatial::seeded(1), 8);
    let mut kept = 0;
    for sample in y.chunks(100 * 40) {
        for c in 0..40 {
            let column: Vec<f32> = sample.chunks(40).map(|step| step[c]).collect();
            assert!(column.iter().all(|&v| v == column[0]) && (column[0] == 0.0 || column[0] == 2.0));
            kept += usize::from(column[0] != 0.0);
        }
    }
    assert!((100..=220).contains(&kept), "kept {kept} of 320 channels");
    // The dropout inside a nested model drops too, with masks of its own.
    let y = one_pass(&Outer::seeded(1), 2);
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f32 / y.len() as f32;
    assert!((kept - 0.25).abs() < 0.02, "kept {kept}");
    // Seeded alike, the same numbers; another seed, others.
    assert_eq!(one_pass(&Drops::seeded(1), 3), one_pass(&Drops::seeded(1), 3));
    assert_ne!(one_pass(&Drops::seeded(1), 3), one_pass(&Drops::seeded(2), 3));
}

#[test]
fn the_same_seed_gives_the_same_numbers_and_two_calls_differ() {
    // 300 samples: `predict` infers them as two halves on two threads.
    for n in [7, 300] {
        let x = x(n);
        let (a, b) = (mc(9), mc(9));
        let (ma1, sa1) = predict_mc(&a, x.view(), 20).unwrap();
        let (mb1, sb1) = predict_mc(&b, x.view(), 20).unwrap();
        assert_eq!((&ma1, &sa1), (&mb1, &sb1), "{n} samples: two fresh models with seed 9");
        let (ma2, _) = predict_mc(&a, x.view(), 20).unwrap();
        assert_ne!(ma1, ma2, "{n} samples: the second call draws new masks");
        let (mb2, _) = predict_mc(&b, x.view(), 20).unwrap();
        assert_eq!(ma2, mb2, "{n} samples: and the same ones in both models");
        let (mc1, _) = predict_mc(&mc(10), x.view(), 20).unwrap();
        assert_ne!(ma1, mc1, "{n} samples: another seed, other masks");
    }
}

#[test]
fn in_training_mc_layers_are_dropout_and_alpha_dropout() {
    let x: Vec<f32> = (0..64).map(|i| i as f32 / 10.0 - 3.0).collect();
    let (mut y1, mut y2) = (vec![0.0; 64], vec![0.0; 64]);
    let mut r1 = nn::rng::seeded(5);
    let mut r2 = nn::rng::seeded(5);
    McDropout::<8>::new(0.4).forward(&mut (), &x, &mut y1, &mut r1);
    Dropout::<8>::new(0.4).forward(&mut (), &x, &mut y2, &mut r2);
    assert_eq!(y1, y2);
    McAlphaDropout::<8>::new(0.4).forward(&mut (), &x, &mut y1, &mut r1);
    nn::layers::AlphaDropout::<8>::new(0.4).forward(&mut (), &x, &mut y2, &mut r2);
    assert_eq!(y1, y2);
    // The inference masks keep about 1 - rate of the values, scaled by 1 / (1 - rate).
    let layer = McDropout::<8>::new(0.25);
    let ones = vec![1.0f32; 8000];
    let mut out = vec![0.0; 8000];
    layer.infer(&ones, &mut out, &mut []);
    let kept = out.iter().filter(|&&v| v != 0.0).count() as f32 / 8000.0;
    assert!((kept - 0.75).abs() < 0.03, "kept {kept}");
    assert!(out.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
}

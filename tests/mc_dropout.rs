//! Monte Carlo dropout: `McDropout` and `McAlphaDropout` stay on in
//! `predict`, plain `Dropout` does not; `predict_mc` averages passes; the
//! masks follow the model's seed and every call draws new ones.
//!
//! The models are written by hand on the runtime's layers (the
//! `sequential!` kind `MCDropout` declares the same fields).

use nn::init::Initializer;
use nn::kernels::activation::{Relu, Softmax};
use nn::layers::{Dense, Dropout, Layer, McAlphaDropout, McDropout, Train};
use nn::model::{predict_dyn, predict_mc, Model, Slot};
use nn::ndarray::{Array2, ArrayD, Axis};
use nn::{Param, Rng};

/// `Input[6] -> Dense(32, relu) -> <D> -> Dense(4, softmax)`, by hand.
struct Net<D: Layer + Sync> {
    dense: Dense<6, 32, Relu>,
    drop: D,
    dense_1: Dense<32, 4, Softmax>,
    slot: Slot<Self>,
}

impl<D: Layer + Sync> Net<D> {
    fn new(seed: u64, drop: impl FnOnce(&mut Rng) -> D) -> Self {
        let mut rng = nn::rng::seeded(seed);
        let dense = Dense::new(&Initializer::glorot_uniform(), Some(&Initializer::Zeros), &mut rng);
        let drop = drop(&mut rng);
        let dense_1 = Dense::new(&Initializer::glorot_uniform(), Some(&Initializer::Zeros), &mut rng);
        Net { dense, drop, dense_1, slot: Slot::new(seed) }
    }
}

impl<D: Layer + Sync> Model for Net<D> {
    const NAME: &'static str = "net";
    const INPUT_SHAPE: &'static [usize] = &[6];
    const OUTPUT_SHAPE: &'static [usize] = &[4];
    const IN: usize = 6;
    const OUT: usize = 4;
    const SOFTMAX_OUTPUT: bool = true;
    type Workspace = ();

    fn infer(&self, x: &[f32], y: &mut [f32]) {
        let n = x.len() / 6;
        let (mut a, mut b) = (vec![0.0; n * 32], vec![0.0; n * 32]);
        self.dense.infer(x, &mut a, &mut []);
        self.drop.infer(&a, &mut b, &mut []);
        self.dense_1.infer(&b, y, &mut []);
    }

    fn forward<'w>(&mut self, _: &'w mut (), _: &[f32], _: &mut Rng) -> &'w [f32] {
        unimplemented!("inference only")
    }

    fn backward_to(&mut self, _: &mut (), _: &[f32], _: &[f32], _: bool, _: Option<&mut [f32]>) {
        unimplemented!("inference only")
    }

    fn visit_weights(&self, f: &mut dyn FnMut(&'static str, &'static str, &Param)) {
        self.dense.visit(&mut |w, p| f("dense", w, p));
        self.dense_1.visit(&mut |w, p| f("dense_1", w, p));
    }

    fn visit_weights_mut(&mut self, f: &mut dyn FnMut(&'static str, &'static str, &mut Param)) {
        self.dense.visit_mut(&mut |w, p| f("dense", w, p));
        self.dense_1.visit_mut(&mut |w, p| f("dense_1", w, p));
    }

    fn visit_grads(&mut self, _: &mut (), _: &mut dyn FnMut(&mut Param, &mut [f32])) {}

    fn slot(&mut self) -> &mut Slot<Self> {
        &mut self.slot
    }
}

fn mc(seed: u64) -> Net<McDropout<32>> {
    Net::new(seed, |rng| McDropout::seeded(0.3, rng))
}

fn x(n: usize) -> ArrayD<f32> {
    Array2::from_shape_fn((n, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0).into_dyn()
}

#[test]
fn plain_dropout_is_the_identity_in_predict_mc_dropout_is_not() {
    let x = x(16);
    let plain: Net<Dropout<32>> = Net::new(3, |_| Dropout::new(0.3));
    assert_eq!(predict_dyn(&plain, x.view()).unwrap(), predict_dyn(&plain, x.view()).unwrap());
    let m = mc(3);
    let (a, b) = (predict_dyn(&m, x.view()).unwrap(), predict_dyn(&m, x.view()).unwrap());
    assert_ne!(a, b, "every predict call draws new masks");
    // Rows still sum to 1 (the dropout is before the softmax layer).
    for row in a.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
    let alpha: Net<McAlphaDropout<32>> = Net::new(3, |rng| McAlphaDropout::seeded(0.2, rng));
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
    // A plain Dropout model: every pass the same, no spread.
    let plain: Net<Dropout<32>> = Net::new(3, |_| Dropout::new(0.3));
    let (pm, ps) = predict_mc(&plain, x.view(), 5).unwrap();
    assert!(ps.iter().all(|&s| s < 1e-6));
    assert!((&pm - &predict_dyn(&plain, x.view()).unwrap()).iter().all(|d| d.abs() < 1e-6));
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

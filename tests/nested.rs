//! Models as layers of other models (Keras's `Sequential([encoder, ..])`):
//! the field, the summary row, nested weight keys, freezing, the compile-time
//! shape check, training through the inner model, weight files,
//! checkpoints, embedded weights and transfer by `clone()`.

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, Array3};
use nn::optim::{Adam, Sgd};
use nn::train::{load_checkpoint, save_checkpoint, FitOptions};
use nn::Model;

nn::sequential! {
    /// An encoder: Keras's nested `Sequential`.
    pub struct Encoder {
        Flatten[28, 28], Dense(32, relu), BatchNorm, Dense(16, elu),
    }
}

nn::sequential! {
    /// A classifier over the encoder.
    pub struct Classifier {
        Input[28, 28], Encoder, Dropout(0.2), Dense(10, softmax),
    }
}

nn::sequential! {
    /// The same with the encoder frozen and renamed.
    pub struct Frozen {
        Input[28, 28], Encoder(trainable = false, name = "base"), Dense(10, softmax),
    }
}

nn::sequential! {
    /// The encoder's layers written out flat, for the numerics.
    pub struct Flat {
        Flatten[28, 28], Dense(32, relu), BatchNorm, Dense(16, elu), Dropout(0.2), Dense(10, softmax),
    }
}

mod deeper {
    use super::Enc2;

    nn::sequential! {
        /// A model nesting a nested model, from another module.
        pub struct Twice {
            Input[28, 28], Enc2, Dense(3),
        }
    }
}

use deeper::Twice;

nn::sequential! {
    /// Nests `Encoder` one level down.
    pub struct Enc2 {
        Input[28, 28], Encoder, Dense(8),
    }
}

fn data(n: usize) -> (Array3<f32>, Array1<usize>) {
    let x = Array3::from_shape_fn((n, 28, 28), |(i, r, c)| ((i * 13 + r * 5 + c * 3) % 11) as f32 / 11.0);
    (x, Array1::from_shape_fn(n, |i| (i * 7) % 10))
}

fn keys<M: Model>(m: &M) -> Vec<String> {
    let mut k = Vec::new();
    m.visit_weights(&mut |l, w, _| k.push(format!("{l}.{w}")));
    k
}

fn weights<M: Model>(m: &M) -> Vec<f32> {
    let mut all = Vec::new();
    m.visit_weights(&mut |_, _, p| all.extend_from_slice(p));
    all
}

#[test]
fn field_summary_counts_and_keys() {
    let m = Classifier::seeded(1);
    let _: &Encoder = &m.encoder;
    assert_eq!(Classifier::PARAMS, Encoder::PARAMS + 16 * 10 + 10);
    assert_eq!(Classifier::NON_TRAINABLE_PARAMS, 64);
    let s = m.summary();
    assert!(s.contains("encoder (Sequential)         (None, 16)                25776"), "{s}");
    assert_eq!(
        keys(&m),
        [
            "encoder.dense.kernel",
            "encoder.dense.bias",
            "encoder.batch_normalization.gamma",
            "encoder.batch_normalization.beta",
            "encoder.batch_normalization.moving_mean",
            "encoder.batch_normalization.moving_variance",
            "encoder.dense_1.kernel",
            "encoder.dense_1.bias",
            "dense.kernel",
            "dense.bias",
        ]
    );
    assert_eq!(keys(&Frozen::seeded(0))[0], "base.dense.kernel");
    assert_eq!(Frozen::TRAINABLE_PARAMS, 170);
    assert_eq!(Frozen::NON_TRAINABLE_PARAMS, Encoder::PARAMS);
    assert_eq!(Twice::PARAMS, Enc2::PARAMS + 8 * 3 + 3);
    assert_eq!(keys(&Twice::seeded(0))[0], "enc2.encoder.dense.kernel");
}

#[test]
fn a_nested_model_computes_as_its_layers_written_out() {
    let (x, y) = data(48);
    let mut nested = Classifier::seeded(3);
    let mut flat = Flat::seeded(3); // the same seed: the same dropout generator
                                    // The same weights, in the same order.
    let w = weights(&nested);
    let mut it = w.iter();
    flat.visit_weights_mut(&mut |_, _, p| p.as_mut_slice().iter_mut().for_each(|v| *v = *it.next().unwrap()));
    let p1 = nested.predict(&x).unwrap();
    let p2 = flat.predict(&x).unwrap();
    assert_eq!(p1, p2);
    assert_eq!(nested.predict_one(&[[0.3; 28]; 28]), flat.predict_one(&[[0.3; 28]; 28]));
    // Training: same losses and weights (the dropout masks draw from the same generator in the same order).
    let opts = || FitOptions { epochs: 2, batch_size: 16, shuffle: false, verbose: 0, ..Default::default() };
    let h1 = nested.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Adam::new(1e-3), opts()).unwrap();
    let h2 = flat.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Adam::new(1e-3), opts()).unwrap();
    assert_eq!(h1.loss, h2.loss);
    assert_eq!(weights(&nested), weights(&flat));
}

#[test]
fn a_frozen_nested_model_does_not_change_in_fit() {
    let (x, y) = data(32);
    let mut m = Frozen::seeded(5);
    let before = weights(&m.base);
    let head = m.dense.kernel.to_vec();
    let opts = FitOptions { epochs: 2, batch_size: 8, verbose: 0, ..Default::default() };
    m.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), opts).unwrap();
    // Frozen: its trainable weights stay; BatchNorm's moving statistics still move (Keras does the same in training mode).
    let after = weights(&m.base);
    assert_eq!(&before[..32 * 784 + 32], &after[..32 * 784 + 32], "the frozen kernel and bias moved");
    assert_ne!(m.dense.kernel.to_vec(), head, "the head trains");
    // Unfrozen, it trains.
    nn::model::set_trainable(&mut m.base, true);
    let opts = FitOptions { epochs: 1, batch_size: 8, verbose: 0, ..Default::default() };
    m.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), opts).unwrap();
    assert_ne!(&weights(&m.base)[..32 * 784], &after[..32 * 784]);
}

#[test]
fn weight_files_and_checkpoints_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = data(16);
    let mut a = Classifier::seeded(7);
    let mut opt = Adam::new(1e-3);
    a.train_on_batch(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut opt).unwrap();
    let file = dir.path().join("classifier.safetensors");
    a.save_weights(&file).unwrap();
    let mut b = Classifier::seeded(8);
    b.load_weights(&file).unwrap();
    assert_eq!(weights(&a), weights(&b));
    // The inner model alone reads its part of the file? No: its keys differ; it reads its own file.
    let enc = dir.path().join("encoder.safetensors");
    a.encoder.save_weights(&enc).unwrap();
    let mut e = Encoder::seeded(0);
    e.load_weights(&enc).unwrap();
    assert_eq!(weights(&e), weights(&a.encoder));

    let ckpt = dir.path().join("ckpt.safetensors");
    save_checkpoint(&mut a, &opt, &ckpt, 1).unwrap();
    let mut c = Classifier::seeded(9);
    let mut opt2 = Adam::new(1e-3);
    assert_eq!(load_checkpoint(&mut c, &mut opt2, &ckpt).unwrap(), 1);
    assert_eq!(weights(&a), weights(&c));
    // The next step is the same on both.
    let l1 = a.train_on_batch(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut opt).unwrap();
    let l2 = c.train_on_batch(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut opt2).unwrap();
    assert_eq!(l1, l2);
    assert_eq!(weights(&a), weights(&c));
}

#[test]
fn transfer_by_clone() {
    let (x, y) = data(32);
    let mut a = Classifier::seeded(11);
    let opts = FitOptions { epochs: 1, batch_size: 8, verbose: 0, ..Default::default() };
    a.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), opts).unwrap();
    let mut b = Frozen::seeded(12);
    b.base = a.encoder.clone();
    nn::model::freeze(&mut b.base);
    assert_eq!(weights(&b.base), weights(&a.encoder));
    // The copy is independent of the original.
    let opts = FitOptions { epochs: 1, batch_size: 8, verbose: 0, ..Default::default() };
    a.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), opts).unwrap();
    assert_ne!(weights(&b.base), weights(&a.encoder));
}

nn::sequential! {
    /// `Classifier` over weights baked in at compile time (written by
    /// `Classifier::seeded(21).save_weights(..)`).
    #[weights = "tests/reference/nested/classifier.safetensors"]
    pub struct Baked {
        Input[28, 28], Encoder, Dropout(0.2), Dense(10, softmax),
    }
}

static BAKED: Baked = Baked::embedded();

#[test]
fn embedded_weights_of_a_nested_model() {
    let fresh = Classifier::seeded(21);
    assert_eq!(weights(&BAKED), weights(&fresh));
    let x = [[0.4f32; 28]; 28];
    assert_eq!(BAKED.predict_one(&x), fresh.predict_one(&x));
    assert!(!BAKED.encoder.batch_normalization.moving_mean.trainable);
}

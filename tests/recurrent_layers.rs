//! The recurrent layers' three passes agree (inference, training forward,
//! one step at a time), and their initializers are Keras's.

use nn::activations::{Sigmoid, Tanh};
use nn::init::Initializer;
use nn::layers::{Embedding, GruCell, Layer, LstmCell, Recurrent, SimpleRnnCell, Step, Train};
use rand::Rng as _;

fn uniform(n: usize, seed: u64) -> Vec<f32> {
    let mut r = nn::rng::seeded(seed);
    (0..n).map(|_| r.random_range(-1.0f32..1.0)).collect()
}

/// `infer` equals the training forward pass (no dropout), and, for a
/// forward-running layer, `step` over the steps of each sample equals
/// `infer`'s last output (or every output, with sequences).
fn agree<L: Train + Step>(label: &str, layer: &mut L, steps: usize, sequences: bool) {
    let batch = 3;
    let x = uniform(batch * L::IN, 5);
    let mut scratch = vec![0.0; batch * L::SCRATCH];
    let mut inferred = vec![0.0; batch * L::OUT];
    layer.infer(&x, &mut inferred, &mut scratch);
    let mut trained = vec![0.0; batch * L::OUT];
    layer.forward(&mut L::State::default(), &x, &mut trained, &mut nn::rng::seeded(0));
    assert_eq!(inferred, trained, "{label}: infer vs forward");
    for (sample, out) in x.chunks_exact(L::IN).zip(inferred.chunks_exact(L::OUT)) {
        let mut state = vec![0.0; L::STATE];
        let mut step_scratch = vec![0.0; L::STEP_SCRATCH];
        let mut y = vec![0.0; L::STEP_OUT];
        for (t, frame) in sample.chunks_exact(L::STEP_IN).enumerate() {
            layer.step(&mut state, frame, &mut y, &mut step_scratch);
            if sequences {
                let want = &out[t * L::STEP_OUT..(t + 1) * L::STEP_OUT];
                for (a, b) in y.iter().zip(want) {
                    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{label}: step {t}: {a} vs {b}");
                }
            }
        }
        assert_eq!(sample.len() / L::STEP_IN, steps);
        if !sequences {
            for (a, b) in y.iter().zip(out) {
                assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{label}: last step: {a} vs {b}");
            }
        }
    }
}

#[test]
fn inference_training_and_steps_agree() {
    let mut rng = nn::rng::seeded(1);
    let (k, o, b) = (Initializer::glorot_uniform(), Initializer::orthogonal(), Initializer::random_uniform(-0.2, 0.2));
    agree(
        "SimpleRNN",
        &mut Recurrent::<SimpleRnnCell<Tanh>, 6, 4, 5, true, false>::new(&k, &o, Some(&b), false, &mut rng),
        6,
        true,
    );
    agree(
        "LSTM",
        &mut Recurrent::<LstmCell<Tanh, Sigmoid>, 6, 4, 5, false, false>::new(&k, &o, Some(&b), true, &mut rng),
        6,
        false,
    );
    agree(
        "LSTM seq",
        &mut Recurrent::<LstmCell<Tanh, Sigmoid>, 7, 4, 5, true, false>::new(&k, &o, None, true, &mut rng),
        7,
        true,
    );
    agree(
        "GRU",
        &mut Recurrent::<GruCell<Tanh, Sigmoid, true>, 5, 4, 5, true, false>::new(&k, &o, Some(&b), false, &mut rng),
        5,
        true,
    );
    agree(
        "GRU v1",
        &mut Recurrent::<GruCell<Tanh, Sigmoid, false>, 5, 4, 5, false, false>::new(&k, &o, Some(&b), false, &mut rng),
        5,
        false,
    );
}

#[test]
fn backwards_reads_the_steps_in_reverse() {
    type Fwd = Recurrent<GruCell<Tanh, Sigmoid, true>, 5, 2, 3, true, false>;
    type Bwd = Recurrent<GruCell<Tanh, Sigmoid, true>, 5, 2, 3, true, true>;
    let f = Fwd::new(
        &Initializer::glorot_uniform(),
        &Initializer::orthogonal(),
        Some(&Initializer::Zeros),
        false,
        &mut nn::rng::seeded(2),
    );
    let bwd = Bwd::from_params(f.kernel.clone(), f.recurrent_kernel.clone(), f.bias.clone());
    let x = uniform(10, 3);
    let reversed: Vec<f32> = x.chunks_exact(2).rev().flatten().copied().collect();
    let (mut a, mut b) = ([0.0; 15], [0.0; 15]);
    f.infer(&reversed, &mut a, &mut [0.0; Fwd::SCRATCH]);
    bwd.infer(&x, &mut b, &mut [0.0; Bwd::SCRATCH]);
    // Keras keeps go_backwards's outputs in processing order.
    assert_eq!(a, b);
}

#[test]
fn orthogonal_as_keras() {
    for (rows, cols) in [(5usize, 20usize), (20, 5), (7, 7)] {
        let shape: &'static [usize] = Box::leak(vec![rows, cols].into_boxed_slice());
        let p = Initializer::orthogonal().draw(shape, &mut nn::rng::seeded(9));
        // The shorter side's vectors are orthonormal.
        let (n, len) = (rows.min(cols), rows.max(cols));
        let at = |v: usize, i: usize| if rows <= cols { p[v * cols + i] } else { p[i * cols + v] };
        for a in 0..n {
            for b in 0..n {
                let dot: f32 = (0..len).map(|i| at(a, i) * at(b, i)).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "{rows}x{cols}: <{a}, {b}> = {dot}");
            }
        }
    }
}

#[test]
fn lstm_unit_forget_bias() {
    type L = Recurrent<LstmCell<Tanh, Sigmoid>, 2, 3, 4, false, false>;
    let l = L::new(
        &Initializer::glorot_uniform(),
        &Initializer::orthogonal(),
        Some(&Initializer::Zeros),
        true,
        &mut nn::rng::seeded(0),
    );
    let bias = l.bias.as_ref().unwrap();
    assert_eq!(bias.shape(), &[16]);
    assert_eq!(&bias[..], &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0][..]);
    type G = Recurrent<GruCell<Tanh, Sigmoid, true>, 2, 3, 4, false, false>;
    let g = G::new(
        &Initializer::glorot_uniform(),
        &Initializer::orthogonal(),
        Some(&Initializer::Zeros),
        true,
        &mut nn::rng::seeded(0),
    );
    assert_eq!(g.bias.as_ref().unwrap().shape(), &[2, 12]);
}

#[test]
fn embedding_rows_and_bad_ids() {
    let e = Embedding::<3, 4, 2>::new(&Initializer::random_uniform(-0.05, 0.05), &mut nn::rng::seeded(0));
    assert!(e.embeddings.iter().all(|v| (-0.05..0.05).contains(v)));
    let mut y = [0.0; 6];
    e.infer(&[3.0, 0.0, 4.0], &mut y, &mut []);
    assert_eq!(y[..2], e.embeddings[6..8]);
    assert_eq!(y[2..4], e.embeddings[..2]);
    assert!(y[4..].iter().all(|v| v.is_nan()), "an id outside 0..4 gives NaN, not a row");
    e.infer(&[1.5, -1.0, f32::NAN], &mut y, &mut []);
    assert!(y.iter().all(|v| v.is_nan()));
    assert_eq!(<Embedding<3, 4, 2> as Layer>::IDS, Some(4));
}

/// Batches of 64 rows or more infer each step with one product over the
/// stacked kernels: the same outputs as the training pass within rounding.
#[test]
fn fused_inference_of_large_batches_matches_training() {
    fn check<L: Train>(label: &str, layer: &mut L) {
        let batch = 70;
        let x = uniform(batch * L::IN, 6);
        let mut inferred = vec![0.0; batch * L::OUT];
        layer.infer(&x, &mut inferred, &mut vec![0.0; batch * L::SCRATCH]);
        let mut trained = vec![0.0; batch * L::OUT];
        layer.forward(&mut L::State::default(), &x, &mut trained, &mut nn::rng::seeded(0));
        for (a, b) in inferred.iter().zip(&trained) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{label}: {a} vs {b}");
        }
    }
    let mut rng = nn::rng::seeded(8);
    let (k, o, b) = (Initializer::glorot_uniform(), Initializer::orthogonal(), Initializer::random_uniform(-0.2, 0.2));
    check(
        "LSTM",
        &mut Recurrent::<LstmCell<Tanh, Sigmoid>, 9, 5, 6, true, true>::new(&k, &o, Some(&b), true, &mut rng),
    );
    check(
        "LSTM no bias",
        &mut Recurrent::<LstmCell<Tanh, Sigmoid>, 9, 5, 6, false, false>::new(&k, &o, None, true, &mut rng),
    );
    check(
        "SimpleRNN",
        &mut Recurrent::<SimpleRnnCell<Tanh>, 9, 5, 6, true, false>::new(&k, &o, Some(&b), false, &mut rng),
    );
    check(
        "GRU",
        &mut Recurrent::<GruCell<Tanh, Sigmoid, true>, 9, 5, 6, true, false>::new(&k, &o, Some(&b), false, &mut rng),
    );
}

//! Parity of SimpleRNN, LSTM, GRU, Bidirectional and Embedding with Keras
//! 3.15.1 on the same weights: predictions, the training-mode loss and
//! gradients of one batch, and every weight after one SGD(0.1) step. The
//! reference files are written by `tools/keras_recurrent_reference.py`.
//! Also: Embedding's id errors, the initializers' recurrent specifics, and
//! `predict_step` against `predict`.

#[path = "common/parity.rs"]
mod parity;

use nn::ndarray::{Array1, Array2, Array3};
use nn::Model;
use parity::{check_sgd_step_within, close, keras_weights, read, Tol};

/// Recurrent layers sum over time steps: a looser bound than feed-forward layers'.
const RECURRENT: Tol = Tol { predict: 1e-5, loss: 2e-5, grad: 2e-5 };

nn::sequential! {
    /// Each cell once, with a Dense applied to every step in between.
    struct RnnStack {
        Input[6, 4],
        SimpleRNN(6, return_sequences = true),
        LSTM(5, return_sequences = true),
        Dense(4),
        GRU(3),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// `RnnStack` with every layer returning sequences (same weights): one
    /// output step per input step.
    struct RnnSequences {
        Input[6, 4],
        SimpleRNN(6, return_sequences = true),
        LSTM(5, return_sequences = true),
        Dense(4),
        GRU(3, return_sequences = true),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// Bidirectional LSTM (concat) under a GRU without `reset_after`.
    struct BidirectionalStack {
        Input[5, 3],
        Bidirectional(LSTM(4, return_sequences = true)),
        GRU(3, reset_after = false),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// merge_mode sum, on sequences.
    struct BidirectionalSum {
        Input[5, 3],
        Bidirectional(SimpleRNN(4, return_sequences = true), merge_mode = sum),
        Flatten,
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// merge_mode mul, on the last outputs.
    struct BidirectionalMul {
        Input[5, 3],
        Bidirectional(GRU(3), merge_mode = mul),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// merge_mode ave, on sequences.
    struct BidirectionalAve {
        Input[5, 3],
        Bidirectional(LSTM(3, return_sequences = true), merge_mode = ave),
        Flatten,
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// go_backwards on each cell, with the other cell arguments.
    struct RecurrentArgs {
        Input[6, 4],
        LSTM(5, return_sequences = true, go_backwards = true, unit_forget_bias = false,
             activation = relu, recurrent_activation = tanh),
        GRU(4, return_sequences = true, go_backwards = true, use_bias = false, activation = gelu),
        SimpleRNN(3, go_backwards = true, use_bias = false, activation = swish),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// Seven ids, embedded, through an LSTM.
    struct EmbeddingLstm {
        Input[7],
        Embedding(20, 6),
        LSTM(5),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// Seven ids, embedded and averaged.
    struct EmbeddingPool {
        Input[7],
        Embedding(20, 6),
        GlobalAveragePooling1D,
        Dense(3, softmax),
    }
}

#[test]
fn simple_rnn_lstm_and_gru_match_keras() {
    check_sgd_step_within(RECURRENT, "rnn_stack", RnnStack::seeded, 13);
    assert_eq!(RnnStack::PARAMS, 423);
    assert_eq!(RnnStack::OUTPUT_SHAPE, [3]);
    assert_eq!(RnnSequences::OUTPUT_SHAPE, [6, 3]);
}

#[test]
fn bidirectional_lstm_and_gru_without_reset_after_match_keras() {
    check_sgd_step_within(RECURRENT, "bidirectional_stack", BidirectionalStack::seeded, 11);
    assert_eq!(BidirectionalStack::PARAMS, 376);
}

#[test]
fn bidirectional_merge_modes_match_keras() {
    check_sgd_step_within(RECURRENT, "bidirectional_sum", BidirectionalSum::seeded, 8);
    check_sgd_step_within(RECURRENT, "bidirectional_mul", BidirectionalMul::seeded, 8);
    check_sgd_step_within(RECURRENT, "bidirectional_ave", BidirectionalAve::seeded, 8);
}

#[test]
fn go_backwards_and_the_other_cell_arguments_match_keras() {
    check_sgd_step_within(RECURRENT, "recurrent_args", RecurrentArgs::seeded, 9);
}

#[test]
fn embedding_matches_keras() {
    check_sgd_step_within(RECURRENT, "embedding_lstm", EmbeddingLstm::seeded, 6);
    check_sgd_step_within(RECURRENT, "embedding_pool", EmbeddingPool::seeded, 3);
    assert_eq!(EmbeddingLstm::PARAMS, 378);
}

/// Every weight of `m`, flattened, in visit order.
fn snapshot<M: Model>(m: &M) -> Vec<f32> {
    let mut all = Vec::new();
    m.visit_weights(&mut |_, _, p| all.extend_from_slice(p));
    all
}

#[test]
fn embedding_ids_out_of_range_or_not_integers_are_errors_naming_them() {
    let data = read("embedding_lstm.data");
    let good: Array2<f32> = data["x"].clone().into_dimensionality().unwrap();
    let y = Array1::from(data["y"].iter().map(|v| *v as usize).collect::<Vec<_>>());
    let mut m = EmbeddingLstm::seeded(0);
    m.load_weights(keras_weights("embedding_lstm")).unwrap();
    assert!(m.predict(good.view()).is_ok());
    let before = snapshot(&m);
    for (bad, shown) in [(20.0, "20"), (-1.0, "-1"), (2.5, "2.5"), (1e9, "1000000000")] {
        let mut x = good.clone();
        x[[5, 4]] = bad;
        let names_it = |e: String| {
            eprintln!("id {bad}: {e}");
            let named = e.contains("sample 5") && e.contains("position 4") && e.contains(&format!("id {shown} "));
            assert!(named, "id {bad} at sample 5, position 4: {e}");
        };
        names_it(m.predict(x.view()).unwrap_err().to_string());
        let mut opt = nn::optim::Sgd::new(0.1);
        let loss = nn::loss::SparseCategoricalCrossentropy;
        names_it(m.train_on_batch(x.view(), y.view(), &loss, &mut opt).unwrap_err().to_string());
        assert_eq!(snapshot(&m), before, "a rejected batch changed the weights");
    }
}

nn::sequential! {
    /// Initializers only: the default and disabled unit_forget_bias.
    struct Inits { Input[3], Embedding(10, 2), LSTM(4, return_sequences = true), LSTM(4, unit_forget_bias = false) }
}

#[test]
fn lstm_forget_bias_orthogonal_recurrent_kernel_and_uniform_embeddings() {
    let m = Inits::seeded(3);
    let mut seen = 0;
    m.visit_weights(&mut |l, w, p| {
        match (l, w) {
            ("lstm", "bias") => {
                // Keras's unit_forget_bias: ones for the forget gate (i, f, c, o).
                let want: Vec<f32> = (0..16).map(|i| if (4..8).contains(&i) { 1.0 } else { 0.0 }).collect();
                assert_eq!(&p[..], &want[..]);
            }
            ("lstm_1", "bias") => assert!(p.iter().all(|&b| b == 0.0), "{:?}", &p[..]),
            (_, "recurrent_kernel") => {
                // Orthogonal [4, 16]: orthonormal rows.
                assert_eq!(p.shape(), [4, 16]);
                for i in 0..4 {
                    for j in 0..4 {
                        let dot: f32 = (0..16).map(|k| p[i * 16 + k] * p[j * 16 + k]).sum();
                        let want = if i == j { 1.0 } else { 0.0 };
                        assert!((dot - want).abs() < 1e-5, "{l}.recurrent_kernel rows {i}, {j}: {dot}");
                    }
                }
            }
            ("embedding", "embeddings") => {
                assert_eq!(p.shape(), [10, 2]);
                assert!(p.iter().all(|v| (-0.05..=0.05).contains(v)), "{:?}", &p[..]);
                assert!(p.iter().any(|&v| v != p[0]));
            }
            _ => return,
        }
        seen += 1;
    });
    assert_eq!(seen, 5);
}

/// Keras's batch of the `rnn_stack` reference, (8, 6, 4).
fn rnn_stack_batch() -> Array3<f32> {
    read("rnn_stack.data")["x"].clone().into_dimensionality().unwrap()
}

#[test]
fn predict_step_after_the_last_step_equals_predict() {
    let x = rnn_stack_batch();
    let mut m = RnnStack::seeded(0);
    m.load_weights(keras_weights("rnn_stack")).unwrap();
    let whole = m.predict(x.view()).unwrap();
    let whole = whole.as_slice().unwrap();
    let keras = &read("rnn_stack.data")["predict"];
    let keras = keras.as_slice().unwrap();
    for i in 0..x.shape()[0] {
        let mut state = RnnStackStream::default();
        let mut out = [0.0f32; 3];
        for t in 0..6 {
            let frame: [f32; 4] = std::array::from_fn(|f| x[[i, t, f]]);
            out = m.predict_step(&mut state, &frame);
        }
        close(&format!("sample {i}: predict_step vs predict"), &out, &whole[i * 3..i * 3 + 3], 1e-6);
        close(&format!("sample {i}: predict_step vs Keras"), &out, &keras[i * 3..i * 3 + 3], 1e-5);
    }
}

#[test]
fn predict_step_gives_each_step_of_a_sequence_model() {
    let x = rnn_stack_batch();
    let mut m = RnnSequences::seeded(0);
    m.load_weights(keras_weights("rnn_stack")).unwrap();
    let whole = m.predict(x.view()).unwrap();
    assert_eq!(whole.shape(), [8, 6, 3]);
    let whole = whole.as_slice().unwrap();
    let at = |i: usize, t: usize| &whole[(i * 6 + t) * 3..(i * 6 + t) * 3 + 3];
    // One state reused: `default()` starts each new sequence.
    let n = x.shape()[0];
    let mut state = RnnSequencesStream::default();
    for i in 0..n {
        for t in 0..6 {
            let frame: [f32; 4] = std::array::from_fn(|f| x[[i, t, f]]);
            let out = m.predict_step(&mut state, &frame);
            close(&format!("sample {i}, step {t}"), &out, at(i, t), 1e-6);
        }
        if i + 1 < n {
            state = RnnSequencesStream::default();
        }
    }
    // Without a reset the state carries on: the same first frame gives another output.
    let frame: [f32; 4] = std::array::from_fn(|f| x[[0, 0, f]]);
    let carried = m.predict_step(&mut state, &frame);
    let fresh = m.predict_step(&mut RnnSequencesStream::default(), &frame);
    close("a fresh state's first step", &fresh, at(0, 0), 1e-6);
    assert!(carried.iter().zip(&fresh).any(|(a, b)| (a - b).abs() > 1e-4), "{carried:?} {fresh:?}");
}

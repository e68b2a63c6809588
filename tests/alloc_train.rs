//! `train_on_batch` allocates nothing per call once warmed up: a counting
//! global allocator (counting this thread's calls only, so that other tests
//! running in parallel do not interfere) sees no allocation over many steps.

use nn::loss::{CategoricalCrossentropy, SparseCategoricalCrossentropy};
use nn::ndarray::{Array1, Array2, Array3};
use nn::optim::{Adam, Sgd};

#[path = "common/alloc.rs"]
mod alloc;

use alloc::allocs;

nn::sequential! {
    struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

nn::sequential! {
    /// Every training kernel: sampled layers, PReLU's gradient, an unfused output.
    struct Everything {
        Input[4, 6],
        Dense(8, relu), LeakyReLU, PReLU, ELU(alpha = 0.5), Dropout(0.3),
        Flatten, Dense(12, selu), AlphaDropout(0.1), RReLU, BatchNorm,
        Dense(5, tanh), Activation(softmax),
    }
}

#[test]
fn seed_model_train_on_batch_allocates_nothing_once_warm() {
    let mut m = SeedMlp::seeded(1);
    let x = Array3::from_shape_fn((32, 28, 28), |(i, r, c)| ((i * 7 + r * 3 + c) % 17) as f32 / 17.0);
    let y = Array1::from_shape_fn(32, |i| i % 10);
    let loss = SparseCategoricalCrossentropy;
    for (name, steps) in [("SGD with momentum", 0), ("Adam", 1)] {
        let mut sgd = Sgd::new(0.01).momentum(0.9);
        let mut adam = Adam::new(1e-3);
        let mut step = |m: &mut SeedMlp| match steps {
            0 => m.train_on_batch(&x, &y, &loss, &mut sgd).unwrap(),
            _ => m.train_on_batch(&x, &y, &loss, &mut adam).unwrap(),
        };
        for _ in 0..3 {
            step(&mut m);
        }
        let before = allocs();
        let mut total = 0.0;
        for _ in 0..10 {
            total += step(&mut m);
        }
        let n = allocs() - before;
        assert_eq!(n, 0, "{name}: 10 warm train_on_batch calls allocated {n} times");
        assert!(total.is_finite());
    }
}

#[test]
fn every_layer_kind_train_on_batch_allocates_nothing_once_warm() {
    let mut m = Everything::seeded(2);
    let x = Array3::from_shape_fn((16, 4, 6), |(i, r, c)| ((i + 2 * r + 3 * c) % 7) as f32 / 3.5 - 1.0);
    let y = Array2::from_shape_fn((16, 5), |(i, j)| f32::from(u8::from(i % 5 == j)));
    let mut opt = Adam::new(1e-3);
    for _ in 0..3 {
        m.train_on_batch(&x, &y, &CategoricalCrossentropy, &mut opt).unwrap();
    }
    let before = allocs();
    for _ in 0..10 {
        m.train_on_batch(&x, &y, &CategoricalCrossentropy, &mut opt).unwrap();
    }
    let n = allocs() - before;
    assert_eq!(n, 0, "10 warm train_on_batch calls allocated {n} times");
}

nn::sequential! {
    /// The convolutions' training buffers: groups, depthwise, separable, transposed.
    struct Convs {
        Input[9, 8, 4],
        Conv2D(6, 3, groups = 2, activation = tanh),
        DepthwiseConv2D((3, 2), strides = 2, padding = same, depth_multiplier = 2, activation = relu),
        SeparableConv2D(5, 2, padding = same, depth_multiplier = 2, activation = elu),
        Conv2DTranspose(3, 3, strides = 2, padding = same, output_padding = 1, activation = tanh),
        Flatten, Dense(5, softmax),
    }
}

#[test]
fn convolutions_train_on_batch_allocates_nothing_once_warm() {
    let mut m = Convs::seeded(4);
    let x = nn::ndarray::Array4::from_shape_fn((16, 9, 8, 4), |(i, r, c, k)| {
        ((i + 2 * r + 3 * c + k) % 7) as f32 / 3.5 - 1.0
    });
    let y = Array1::from_shape_fn(16, |i| i % 5);
    let mut opt = Adam::new(1e-3);
    for _ in 0..3 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let before = allocs();
    for _ in 0..10 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let n = allocs() - before;
    assert_eq!(n, 0, "10 warm train_on_batch calls of the convolutions allocated {n} times");
}

#[test]
fn regularized_and_constrained_train_on_batch_allocates_nothing_once_warm() {
    use nn::constraints::Constraint;
    use nn::regularizers::Regularizer;
    let mut m = SeedMlp::seeded(3);
    nn::model::set_regularizer(&mut m.dense, "kernel", Regularizer::l1_l2(1e-4, 1e-3));
    nn::model::set_regularizer(&mut m.dense_2, "bias", Regularizer::l2(1e-3));
    nn::model::set_constraint(&mut m.dense_1, "kernel", Constraint::max_norm(1.0));
    nn::model::set_constraint(&mut m.dense_2, "bias", Constraint::non_neg());
    let x = Array3::from_shape_fn((32, 28, 28), |(i, r, c)| ((i * 5 + r + c * 3) % 13) as f32 / 13.0);
    let y = Array1::from_shape_fn(32, |i| i % 10);
    let mut opt = Sgd::new(0.01).momentum(0.9).clipnorm(1.0);
    for _ in 0..3 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let before = allocs();
    for _ in 0..10 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let n = allocs() - before;
    assert_eq!(n, 0, "10 warm regularized, constrained train_on_batch calls allocated {n} times");
}

nn::sequential! {
    /// Keras's mnist_convnet.
    struct MnistConvnet {
        Input[28, 28, 1],
        Conv2D(32, 3, relu), MaxPooling2D(2),
        Conv2D(64, 3, relu), MaxPooling2D(2),
        Flatten, Dropout(0.5), Dense(10, softmax),
    }
}

#[test]
fn mnist_convnet_train_on_batch_and_predict_one_allocate_nothing() {
    let mut m = MnistConvnet::seeded(2);
    let x =
        nn::ndarray::Array4::from_shape_fn((16, 28, 28, 1), |(i, r, c, _)| ((i * 5 + r * 3 + c) % 13) as f32 / 13.0);
    let y = Array1::from_shape_fn(16, |i| i % 10);
    let mut opt = Adam::new(1e-3);
    for _ in 0..2 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let before = allocs();
    for _ in 0..3 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    assert_eq!(allocs() - before, 0, "warm train_on_batch of mnist_convnet allocated");
    // One sample, first call included: on a thread with room for its stack buffers.
    let one = Box::new([[[0.5f32; 1]; 28]; 28]);
    let n = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(4 << 20)
            .spawn_scoped(s, || {
                let before = allocs();
                let p = m.predict_one(&one);
                assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
                allocs() - before
            })
            .unwrap()
            .join()
            .unwrap()
    });
    assert_eq!(n, 0, "predict_one of mnist_convnet allocated");
}

nn::sequential! {
    /// Every recurrent layer kind once, with both dropouts: a stack that
    /// also streams up to its Bidirectional.
    struct Recurrents {
        Input[12, 6],
        SimpleRNN(8, return_sequences = true, dropout = 0.1),
        LSTM(8, return_sequences = true, recurrent_dropout = 0.2),
        GRU(8, return_sequences = true, reset_after = false),
        Bidirectional(GRU(6, return_sequences = true)),
        Dense(5),
        LSTM(7, go_backwards = true),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// Keras's text-classifier shape: ids, an embedding, an LSTM.
    struct Keyword {
        Input[10], Embedding(50, 8), LSTM(16, return_sequences = true), GRU(12), Dense(4, softmax),
    }

    /// Causal convolutions streamed step by step.
    struct CausalNet {
        Input[16, 3], Conv1D(8, 3, padding = causal, dilation_rate = 2), Conv1D(4, 2, padding = causal), Dense(2, softmax),
    }
}

#[test]
fn recurrent_train_on_batch_predict_one_and_predict_step_allocate_nothing() {
    let mut m = Recurrents::seeded(3);
    let x = Array3::from_shape_fn((9, 12, 6), |(i, t, f)| ((i * 7 + t * 3 + f) % 11) as f32 / 11.0 - 0.5);
    let y = Array1::from_shape_fn(9, |i| i % 3);
    let mut opt = Adam::new(1e-3);
    for _ in 0..2 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let before = allocs();
    for _ in 0..3 {
        m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    assert_eq!(allocs() - before, 0, "warm train_on_batch of recurrent layers allocated");

    let mut k = Keyword::seeded(4);
    let ids = Array2::from_shape_fn((6, 10), |(i, t)| ((i * 13 + t * 7) % 50) as f32);
    let y = Array1::from_shape_fn(6, |i| i % 4);
    let mut opt = Sgd::new(0.05).momentum(0.9);
    for _ in 0..2 {
        k.train_on_batch(&ids, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    let before = allocs();
    for _ in 0..3 {
        k.train_on_batch(&ids, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    }
    assert_eq!(allocs() - before, 0, "warm train_on_batch of an embedding model allocated");

    // One sample and one step, first calls included.
    let c = CausalNet::seeded(5);
    let before = allocs();
    let p = m.predict_one(&[[0.25f32; 6]; 12]);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    let mut state = KeywordStream::default();
    for t in 0..10 {
        let out = k.predict_step(&mut state, &[t as f32]);
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    let mut state = CausalNetStream::default();
    for t in 0..16 {
        let out = c.predict_step(&mut state, &[t as f32 * 0.1, 0.5, -0.2]);
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    assert_eq!(allocs() - before, 0, "predict_one or predict_step of recurrent or causal models allocated");
}

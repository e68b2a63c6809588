//! A `#![no_std]` library with no allocator (no `extern crate alloc`) that
//! classifies MNIST digits with `nn` built without default features: the
//! seed model of `examples/deploy` with its trained weights baked in, in a
//! `static`, and `predict_one`. It builds only if `nn`'s inference path needs
//! neither `std` nor `alloc`. The other models cover every layer kind,
//! nesting, convolutions, and recurrent layers one sample or one time step
//! at a time (`predict_step` with a caller-held stream state).

#![no_std]
#![forbid(unsafe_code)]

/// A static library needs a panic handler; this one spins (it never runs: the
/// library is only built).
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

nn::sequential! {
    /// Chapter-11 classifier: BatchNorm before each activation, no biases.
    #[weights = "../examples/deploy/seed_mlp.safetensors"]
    pub struct SeedMlp {
        Flatten[28, 28],
        BatchNorm,
        Dense(300, he_normal, no_bias),
        Activation(elu),
        BatchNorm,
        Dense(100, he_normal, no_bias),
        Activation(elu),
        BatchNorm,
        Dense(10, softmax),
    }
}

/// The model, built at compile time.
pub static MODEL: SeedMlp = SeedMlp::embedded();

/// The class of a 28x28 image (pixels in [0, 1]): the most probable one.
pub fn classify(x: &[[f32; 28]; 28]) -> usize {
    argmax(&MODEL.predict_one(x))
}

/// The index of the largest value (the first one on ties).
fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in p.iter().enumerate() {
        if *v > p[best] {
            best = i;
        }
    }
    best
}

nn::sequential! {
    /// Every layer kind and every activation, so that each inference kernel
    /// is compiled here without `std` (weights: `fixture.py`).
    #[weights = "every_layer.safetensors"]
    pub struct EveryLayer {
        Input[2, 4],
        Dense(4, relu),
        Dense(4, selu),
        Dense(4, tanh),
        Dense(4, sigmoid),
        Dense(4, softplus),
        Dense(4, swish),
        Dense(4, gelu),
        Dense(4, leaky_relu, no_bias),
        Activation(elu),
        Activation(linear),
        Activation(logistic),
        LeakyReLU(alpha = 0.2),
        PReLU,
        ELU,
        Dropout(rate = 0.5),
        AlphaDropout(rate = 0.1),
        RReLU,
        BatchNorm,
        Flatten,
        Dense(3, softmax),
    }
}

/// The model, built at compile time.
pub static EVERY_LAYER: EveryLayer = EveryLayer::embedded();

/// The class of `x` by `EveryLayer` (meaningless; it exercises every kernel).
pub fn classify_every_layer(x: &[[f32; 4]; 2]) -> usize {
    argmax(&EVERY_LAYER.predict_one(x))
}

nn::sequential! {
    /// The encoder of `tests/nested.rs`, nested in `Classifier` below.
    pub struct Encoder {
        Flatten[28, 28], Dense(32, relu), BatchNorm, Dense(16, elu),
    }
}

nn::sequential! {
    /// A model nesting another, with the weights of `tests/reference/nested/`.
    #[weights = "../tests/reference/nested/classifier.safetensors"]
    pub struct Classifier {
        Input[28, 28], Encoder, Dropout(0.2), Dense(10, softmax),
    }
}

/// The nested classifier, baked in.
pub static NESTED: Classifier = Classifier::embedded();

/// Classifies one image with the nested model: no allocation.
pub fn classify_nested(x: &[[f32; 28]; 28]) -> usize {
    argmax(&NESTED.predict_one(x))
}

nn::sequential! {
    /// Keras's mnist_convnet over the weights of the Keras parity reference.
    #[weights = "../tests/reference/keras/mnist_convnet.safetensors"]
    pub struct MnistConvnet {
        Input[28, 28, 1],
        Conv2D(32, 3, relu), MaxPooling2D(2),
        Conv2D(64, 3, relu), MaxPooling2D(2),
        Flatten, Dense(10, softmax),
    }
}

/// The convolutional classifier, baked in.
pub static CNN: MnistConvnet = MnistConvnet::embedded();

/// Classifies one image with the convolutional model: no allocation.
pub fn classify_cnn(x: &[[[f32; 1]; 28]; 28]) -> usize {
    argmax(&CNN.predict_one(x))
}

nn::sequential! {
    /// A streaming keyword model: ids, an embedding, LSTM and both GRUs.
    #[weights = "keyword.safetensors"]
    pub struct Keyword {
        Input[8],
        Embedding(10, 4),
        LSTM(6, return_sequences = true),
        GRU(5, return_sequences = true),
        GRU(4, reset_after = false),
        Dense(3, softmax),
    }
}

/// The keyword model, baked in.
pub static KEYWORD: Keyword = Keyword::embedded();

/// Feeds one id of a stream and returns the class after it: no allocation,
/// the state in the caller's `KeywordStream`.
pub fn keyword_step(state: &mut KeywordStream, id: f32) -> usize {
    argmax(&KEYWORD.predict_step(state, &[id]))
}

/// The class of a whole sequence of ids.
pub fn keyword(ids: &[f32; 8]) -> usize {
    argmax(&KEYWORD.predict_one(ids))
}

nn::sequential! {
    /// Bidirectional and backwards recurrent layers (whole sequences only).
    #[weights = "both.safetensors"]
    pub struct Both {
        Input[5, 2],
        Bidirectional(LSTM(3, return_sequences = true)),
        LSTM(2, go_backwards = true),
        Dense(2, softmax),
    }
}

/// The bidirectional model, baked in.
pub static BOTH: Both = Both::embedded();

/// The class of a sequence by `Both`.
pub fn classify_both(x: &[[f32; 2]; 5]) -> usize {
    argmax(&BOTH.predict_one(x))
}

nn::sequential! {
    /// Causal convolutions (one with dilation), streamed one step at a time.
    #[weights = "causal.safetensors"]
    pub struct Causal {
        Input[16, 2],
        Conv1D(4, 3, padding = causal, dilation_rate = 2),
        Conv1D(3, 2, padding = causal, activation = relu),
        Dense(2, softmax),
    }
}

/// The causal model, baked in.
pub static CAUSAL: Causal = Causal::embedded();

/// Feeds one step of a stream and returns the class of that step: no
/// allocation, the kept steps in the caller's `CausalStream`.
pub fn causal_step(state: &mut CausalStream, frame: &[f32; 2]) -> usize {
    argmax(&CAUSAL.predict_step(state, frame))
}

//! `predict_one` allocates nothing: a counting global allocator sees no call.

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
    /// Every inference kernel: elementwise layers, dropouts (identity), PReLU, softmax.
    struct Everything {
        Input[4, 6],
        Dense(8, relu), LeakyReLU, PReLU, ELU(alpha = 0.5), Dropout(0.3),
        Flatten, Dense(12, selu), AlphaDropout(0.1), RReLU, Reshape[3, 4],
        Activation(softmax), Dense(5, gelu), BatchNorm, Activation(swish),
    }
}

nn::sequential! {
    /// A model nested in another, and the four layers of the second round.
    struct Inner {
        Input[4, 6], Flatten, Dense(8, relu), ReLU(6.0, 0.1), GaussianNoise(0.1),
    }
}

nn::sequential! {
    /// Over `Inner`: its inference runs inside the outer one's.
    struct Outer {
        Input[4, 6], Inner, GaussianDropout(0.1), Dense(5), Softmax,
    }
}

#[test]
fn predict_one_of_a_nested_model_allocates_nothing() {
    let m = Outer::seeded(3);
    let x = [[0.5f32; 6]; 4];
    let before = allocs();
    let mut acc = 0.0;
    for _ in 0..10 {
        acc += m.predict_one(&x)[0];
    }
    assert_eq!(allocs() - before, 0, "allocations in predict_one of a nested model");
    assert!(acc.is_finite());
}

#[test]
fn predict_one_allocates_nothing_first_call_included() {
    let m = SeedMlp::seeded(1);
    let e = Everything::seeded(2);
    let x = [[0.5f32; 28]; 28];
    let xe = [[0.25f32; 6]; 4];
    let before = allocs();
    let y = m.predict_one(&x);
    let ye = e.predict_one(&xe);
    let mut acc = 0.0;
    for _ in 0..100 {
        acc += m.predict_one(&x)[3] + e.predict_one(&xe)[0][1];
    }
    let after = allocs();
    assert_eq!(after - before, 0, "predict_one allocated {} times", after - before);
    assert!(acc.is_finite() && y.iter().all(|v| v.is_finite()) && ye.len() == 3);
}

nn::sequential! {
    /// The convolutions whose scratch is sized at compile time: groups, depthwise, separable, transposed.
    struct Convs {
        Input[9, 8, 4],
        Conv2D(6, 3, groups = 2, activation = tanh),
        DepthwiseConv2D((3, 2), strides = 2, padding = same, depth_multiplier = 2),
        SeparableConv2D(5, 2, padding = same, depth_multiplier = 2, activation = elu),
        Conv2DTranspose(3, 3, strides = 2, padding = same, output_padding = 1),
        Flatten, Dense(5, softmax),
    }
}

#[test]
fn predict_one_of_the_other_convolutions_allocates_nothing_first_call_included() {
    let m = Convs::seeded(4);
    let x = [[[0.5f32; 4]; 8]; 9];
    let before = allocs();
    let mut acc = 0.0;
    for _ in 0..10 {
        acc += m.predict_one(&x)[0];
    }
    assert_eq!(allocs() - before, 0, "allocations in predict_one of the convolutions");
    assert!(acc.is_finite());
}

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

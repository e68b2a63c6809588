//! Layer presets (the book's `functools.partial`) and several models in one
//! `sequential!`, as API.md's "Chapter-11 training features" says.

use nn::Model;

nn::sequential! {
    layer HeDense = Dense(activation = elu, kernel_initializer = he_normal);
    layer Wide = HeDense(300);

    /// The book's chapter-11 MLP with a preset.
    pub struct WithPresets {
        Flatten[28, 28], HeDense(100), Wide, HeDense(10, activation = softmax),
    }

    /// A second model of the same `sequential!`, written out.
    pub struct WrittenOut {
        Flatten[28, 28],
        Dense(100, activation = elu, kernel_initializer = he_normal),
        Dense(300, activation = elu, kernel_initializer = he_normal),
        Dense(10, activation = softmax, kernel_initializer = he_normal),
    }

    /// A third one nesting the second, from the same `sequential!`.
    pub struct Over {
        Input[28, 28], WrittenOut, Dense(2),
    }
}

fn weights<M: Model>(m: &M) -> Vec<f32> {
    let mut all = Vec::new();
    m.visit_weights(&mut |_, _, p| all.extend_from_slice(p));
    all
}

#[test]
fn a_preset_is_the_layer_it_stands_for_with_overrides() {
    let a = WithPresets::seeded(4);
    let b = WrittenOut::seeded(4);
    assert_eq!(WithPresets::PARAMS, WrittenOut::PARAMS);
    assert_eq!(weights(&a), weights(&b), "the same initializers, in the same order");
    let x = [[0.2f32; 28]; 28];
    assert_eq!(a.predict_one(&x), b.predict_one(&x), "the same activations, softmax last");
    // Keras's names: presets are the kind they stand for.
    assert!(a.summary().contains("dense_2 (Dense)"));
}

#[test]
fn several_models_in_one_sequential() {
    assert_eq!(Over::PARAMS, WrittenOut::PARAMS + 10 * 2 + 2);
    let over = Over::seeded(0);
    let inner: &WrittenOut = &over.written_out;
    assert_eq!(inner.predict_one(&[[0.0; 28]; 28]).len(), 10);
}

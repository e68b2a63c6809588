// Printed by `python tools/keras_export.py --fixture`; do not edit.
nn::sequential! {
    /// Exported from Keras by tools/keras_export.py (155 weights).
    #[weights = "tests/reference/keras_export/small.safetensors"]
    pub struct Small {
        Input[4],
        Dense(8, relu),
        BatchNorm(momentum = 0.9, epsilon = 0.01),
        PReLU,
        Dropout(0.5),
        Dense(6, tanh, trainable = false),
        Dense(3, softmax),
    }
}

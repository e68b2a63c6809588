"""Writes Keras references of 1-D (sequence) models for tests/keras_parity.rs,
in the format of tools/keras_reference.py (whose `run` writes the files):
the initial weights with nn's keys, and a data file with the batch, Keras's
inference predictions, the training-mode loss and gradients of one batch,
and the weights after one `train_on_batch` step with SGD(0.1).

    python tools/keras_conv1d_reference.py   # writes tests/reference/keras/{conv1d_zoo,pool1d_zoo}*.safetensors

Models on (steps, channels) sequences:
`conv1d_zoo`, every 1-D layer nn has: Conv1D with `same`, `causal` (dilated,
grouped; strided, grouped, no bias) and strided `valid` padding,
SpatialDropout1D, MaxPooling1D, ZeroPadding1D, BatchNormalization on the
channel axis (non-trivial moving statistics), UpSampling1D, Cropping1D, a
strided `same` AveragePooling1D (which divides by the real steps of its
window), GlobalAveragePooling1D and a softmax Dense; and `pool1d_zoo`: a
strided `same` MaxPooling1D, AveragePooling1D at its defaults,
GlobalMaxPooling1D with `keepdims`. (Keras 3 requires AveragePooling1D's
pool_size; nn keeps tf.keras 2's default of 2, which the Rust model relies on.)

SpatialDropout1D is random in training and the identity in inference: the
training part of the reference is computed on the same layers without it
(the same weights), which the inference part shows equal to the model with it.
"""
import numpy as np
import keras

from keras_reference import run


def main():
    L = keras.layers
    keras.utils.set_random_seed(21)
    x = np.random.default_rng(22).normal(0, 1, (8, 16, 4)).astype("float32")
    y = np.random.default_rng(23).integers(0, 3, 8)
    layers = [
        L.Conv1D(6, 3, padding="same", activation="relu", name="conv1d"),
        L.Conv1D(6, 3, padding="causal", dilation_rate=2, groups=2, activation="tanh", name="conv1d_1"),
        L.SpatialDropout1D(0.3, name="spatial_dropout1d"),
        L.MaxPooling1D(2, name="max_pooling1d"),
        L.ZeroPadding1D((1, 2), name="zero_padding1d"),
        L.Conv1D(8, 3, strides=2, activation="elu", name="conv1d_2"),
        L.BatchNormalization(name="batch_normalization"),
        L.UpSampling1D(2, name="up_sampling1d"),
        L.Cropping1D((1, 2), name="cropping1d"),
        L.AveragePooling1D(3, strides=2, padding="same", name="average_pooling1d"),
        L.Conv1D(4, 2, strides=2, padding="causal", groups=4, use_bias=False, name="conv1d_3"),
        L.GlobalAveragePooling1D(name="global_average_pooling1d"),
        L.Dense(3, activation="softmax", name="dense"),
    ]
    zoo = keras.Sequential([keras.Input((16, 4))] + layers)
    bn = zoo.get_layer("batch_normalization")
    rng = np.random.default_rng(24)
    bn.moving_mean.assign(rng.normal(0, 0.2, 8))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, 8))
    with_dropout = zoo.predict(x, verbose=0)
    plain = keras.Sequential([keras.Input((16, 4))] + [l for l in layers if not isinstance(l, L.SpatialDropout1D)])
    assert np.array_equal(plain.predict(x, verbose=0), with_dropout)
    run("conv1d_zoo", plain, x, y)

    keras.utils.set_random_seed(25)
    xp = np.random.default_rng(26).normal(0, 1, (8, 11, 3)).astype("float32")
    yp = np.random.default_rng(27).integers(0, 4, 8)
    pools = keras.Sequential([
        keras.Input((11, 3)),
        L.MaxPooling1D(3, strides=2, padding="same", name="max_pooling1d"),
        L.Conv1D(5, 2, activation="tanh", name="conv1d"),
        L.AveragePooling1D(2, name="average_pooling1d"),
        L.GlobalMaxPooling1D(keepdims=True, name="global_max_pooling1d"),
        L.Flatten(name="flatten"),
        L.Dense(4, activation="softmax", name="dense"),
    ])
    run("pool1d_zoo", pools, xp, yp)


if __name__ == "__main__":
    main()

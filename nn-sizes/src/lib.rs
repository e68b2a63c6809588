//! Keras's size formulas of the windowed layers as `const fn`s, written
//! once for both sides of `sequential!`: the macro folds literal sizes with
//! them, and for a size a const item gives (`const K: usize = 3;
//! Conv2D(32, K)`) it emits a call of them (`::nn::model::sizes::valid`),
//! which the compiler evaluates.
//!
//! Every one is total: on sizes that break a rule (a kernel larger than
//! its input, a zero stride) it returns a harmless size (1, or 0 for a
//! padding) instead of panicking or overflowing, so that the compiler
//! reports only the macro's assertion of that rule, at the user's token.

#![no_std]

/// A window's reach with dilation: `d·(k − 1) + 1` input rows between its
/// first and last tap (inclusive).
pub const fn reach(k: usize, d: usize) -> usize {
    d.saturating_mul(k.saturating_sub(1)).saturating_add(1)
}

/// Keras's output length with `valid` padding: `floor((n − d·(k − 1) − 1)/s) + 1`
/// (1 when the window does not fit).
pub const fn valid(n: usize, k: usize, s: usize, d: usize) -> usize {
    let r = reach(k, d);
    if r > n || s == 0 {
        return 1;
    }
    (n - r) / s + 1
}

/// Keras's output length with `same` padding: `ceil(n/s)`.
pub const fn same(n: usize, s: usize) -> usize {
    if s == 0 {
        return n;
    }
    n.div_ceil(s)
}

/// The zeros `same` padding puts before the input (TensorFlow's split: the
/// odd one of the total goes after).
pub const fn same_pad(n: usize, k: usize, s: usize, d: usize) -> usize {
    let total = same(n, s).saturating_sub(1).saturating_mul(s).saturating_add(reach(k, d));
    total.saturating_sub(n) / 2
}

/// Conv1D's output length with `causal` padding: `ceil(n/s)` (all of the
/// padding, `d·(k − 1)`, before the sequence).
pub const fn causal(n: usize, s: usize) -> usize {
    if s == 0 {
        return n;
    }
    n.saturating_sub(1) / s + 1
}

/// Conv1D's `causal` padding before the sequence: `d·(k − 1)`.
pub const fn causal_pad(k: usize, d: usize) -> usize {
    reach(k, d) - 1
}

/// Keras's `deconv_output_length` with `valid` padding and no
/// `output_padding`: `(n − 1)·s + max(d·(k − 1) + 1, s)`.
pub const fn transposed_valid(n: usize, k: usize, s: usize, d: usize) -> usize {
    let r = reach(k, d);
    n.saturating_sub(1).saturating_mul(s).saturating_add(if r > s { r } else { s })
}

/// Keras's `deconv_output_length` with `same` padding and no `output_padding`: `n·s`.
pub const fn transposed_same(n: usize, s: usize) -> usize {
    n.saturating_mul(s)
}

/// Keras's `deconv_output_length` with `valid` padding and `output_padding`
/// `p`: `(n − 1)·s + d·(k − 1) + 1 + p`.
pub const fn transposed_valid_padded(n: usize, k: usize, s: usize, d: usize, p: usize) -> usize {
    n.saturating_sub(1).saturating_mul(s).saturating_add(reach(k, d)).saturating_add(p)
}

/// Keras's `deconv_output_length` with `same` padding and `output_padding`
/// `p`: `(n − 1)·s + (d·(k − 1) + 1) mod 2 + p`.
pub const fn transposed_same_padded(n: usize, k: usize, s: usize, d: usize, p: usize) -> usize {
    n.saturating_sub(1).saturating_mul(s).saturating_add(reach(k, d) % 2).saturating_add(p)
}

/// The zeros before the input of the convolution that a `same`
/// Conv2DTranspose of `n` rows to `out` rows transposes:
/// `((n − 1)·s + d·(k − 1) + 1 − out) / 2`.
pub const fn transposed_pad(n: usize, k: usize, s: usize, d: usize, out: usize) -> usize {
    n.saturating_sub(1).saturating_mul(s).saturating_add(reach(k, d)).saturating_sub(out) / 2
}

/// ZeroPadding's output length: `n + before + after`.
pub const fn zero_padded(n: usize, before: usize, after: usize) -> usize {
    n.saturating_add(before).saturating_add(after)
}

/// Cropping's output length: `n − before − after` (1 when nothing is left).
pub const fn cropped(n: usize, before: usize, after: usize) -> usize {
    match n.checked_sub(before) {
        Some(m) => match m.checked_sub(after) {
            Some(0) | None => 1,
            Some(left) => left,
        },
        None => 1,
    }
}

/// Whether cropping `before` and `after` of `n` leaves something.
pub const fn crop_leaves(n: usize, before: usize, after: usize) -> bool {
    before.saturating_add(after) < n
}

/// UpSampling's output length: `n · size`.
pub const fn up_sampled(n: usize, size: usize) -> usize {
    n.saturating_mul(size)
}

/// Channels per group: `n / groups` (`n` for `groups` 0).
pub const fn per_group(n: usize, groups: usize) -> usize {
    if groups == 0 {
        return n;
    }
    n / groups
}

/// Whether `groups` divides `n` (Keras's rule for the channels and the filters).
pub const fn divides(n: usize, groups: usize) -> bool {
    groups != 0 && n.is_multiple_of(groups)
}

/// A depthwise stage's scratch per sample: the `input` floats with each
/// channel repeated `m` times (the depth multiplier), none when `m` is 1.
pub const fn expanded(input: usize, m: usize) -> usize {
    if m == 1 {
        0
    } else {
        input.saturating_mul(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_lengths() {
        assert_eq!(valid(28, 3, 1, 1), 26);
        assert_eq!(valid(28, 3, 2, 1), 13);
        assert_eq!(valid(10, 3, 1, 2), 6);
        assert_eq!(valid(4, 5, 1, 1), 1, "a kernel that does not fit gives 1");
        assert_eq!((same(7, 2), same_pad(7, 3, 2, 1)), (4, 1));
        assert_eq!((same(8, 2), same_pad(8, 3, 2, 1)), (4, 0));
        assert_eq!((causal(32, 1), causal_pad(3, 2)), (32, 4));
        assert_eq!((transposed_valid(7, 3, 2, 1), transposed_valid(7, 1, 2, 1)), (15, 14));
        assert_eq!(transposed_same(7, 2), 14);
        assert_eq!(transposed_same_padded(7, 3, 2, 1, 0), 13);
        assert_eq!(transposed_valid_padded(7, 3, 2, 1, 1), 16);
        assert_eq!(transposed_pad(7, 3, 2, 1, 14), 0);
        assert_eq!((zero_padded(5, 1, 2), cropped(5, 1, 2), cropped(5, 3, 2), up_sampled(5, 2)), (8, 2, 1, 10));
        assert_eq!((per_group(12, 4), per_group(12, 0), expanded(48, 1), expanded(48, 2)), (3, 12, 0, 96));
        assert!(crop_leaves(5, 2, 2) && !crop_leaves(5, 3, 2));
        assert!(divides(12, 4) && !divides(12, 5) && !divides(12, 0));
    }

    #[test]
    fn never_overflow() {
        let m = usize::MAX;
        assert_eq!(reach(m, m), m);
        assert_eq!(valid(0, 0, 0, 0), 1);
        assert_eq!((same(m, 0), causal(m, 0), causal_pad(0, 0)), (m, m, 0));
        assert_eq!(same_pad(m, m, m, m), 0);
        assert_eq!((transposed_valid(m, m, m, m), transposed_same(m, m)), (m, m));
        assert_eq!((transposed_valid_padded(m, m, m, m, m), transposed_same_padded(m, m, m, m, m)), (m, m));
        assert!(!crop_leaves(m, m, m));
        assert_eq!((zero_padded(m, m, m), cropped(0, m, m), up_sampled(m, m)), (m, 1, m));
    }
}

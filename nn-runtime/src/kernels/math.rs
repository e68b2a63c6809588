//! Without `std`, the float functions that `f32` only has with `std` (they
//! call the platform's libm), from the `libm` crate. Builds with `std` never
//! see this: `f32`'s own methods take precedence, so their numerics are the
//! platform's, as before.

/// `f32` methods of `std` that `core` lacks.
pub(crate) trait CoreMath {
    fn exp(self) -> f32;
    fn ln_1p(self) -> f32;
    fn sqrt(self) -> f32;
    fn powf(self, n: f32) -> f32;
}

impl CoreMath for f32 {
    #[inline]
    fn exp(self) -> f32 {
        libm::expf(self)
    }
    #[inline]
    fn ln_1p(self) -> f32 {
        libm::log1pf(self)
    }
    #[inline]
    fn sqrt(self) -> f32 {
        libm::sqrtf(self)
    }
    #[inline]
    fn powf(self, n: f32) -> f32 {
        libm::powf(self, n)
    }
}

//! Splitting work between the two threads of the gemm's pool: a batch's
//! halves, disjoint parts of one buffer for each ([`Parts`]), or one whole
//! buffer for each ([`SharedMut`]).

/// Runs `f(samples)` for the two halves of a training batch of `n` samples
/// on the two threads of the gemm (a small batch: once, here).
pub(crate) fn on_halves(n: usize, f: &(dyn Fn(core::ops::Range<usize>) + Sync)) {
    if n < 8 {
        f(0..n);
        return;
    }
    let half = n / 2;
    crate::kernels::gemm::run2(&|p: usize| f(if p == 0 { 0..half } else { half..n }));
}

/// A mutable slice whose disjoint parts the two threads of [`on_halves`] take.
pub(crate) struct Parts<T>(*mut T, usize);

// SAFETY: `part` is unsafe; callers take disjoint ranges.
unsafe impl<T: Send> Sync for Parts<T> {}

impl<T> Parts<T> {
    pub(crate) fn new(s: &mut [T]) -> Self {
        Parts(s.as_mut_ptr(), s.len())
    }

    /// Elements `r` of the slice.
    ///
    /// # Safety
    /// No other live reference covers `r`; the slice outlives the result.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn part(&self, r: core::ops::Range<usize>) -> &mut [T] {
        assert!(r.start <= r.end && r.end <= self.1);
        core::slice::from_raw_parts_mut(self.0.add(r.start), r.end - r.start)
    }
}

/// A mutable slice that two threads of [`run2`](super::gemm::run2) may each take one of.
pub struct SharedMut {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: `get` is unsafe; the caller guarantees exclusive use per thread.
unsafe impl Sync for SharedMut {}
// SAFETY: as above.
unsafe impl Send for SharedMut {}

impl SharedMut {
    /// Wraps `s`, which must outlive every use of [`SharedMut::get`].
    pub fn new(s: &mut [f32]) -> Self {
        SharedMut { ptr: s.as_mut_ptr(), len: s.len() }
    }

    /// The slice.
    ///
    /// # Safety
    /// Only one thread uses it at a time, while the slice it was made from is
    /// alive and not otherwise used.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get(&self) -> &mut [f32] {
        core::slice::from_raw_parts_mut(self.ptr, self.len)
    }
}

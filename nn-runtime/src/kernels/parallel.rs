//! Splitting a batch's samples between the two threads of the gemm's pool:
//! the halves, and disjoint parts of one output buffer for each.

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

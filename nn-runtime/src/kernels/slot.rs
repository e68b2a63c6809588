//! Cache-line-aligned storage, and static buffers that one user at a time
//! takes (no allocation, nothing zeroed per use).

#[cfg(feature = "std")]
use core::cell::UnsafeCell;
#[cfg(feature = "std")]
use core::sync::atomic::{AtomicBool, Ordering};

/// `T` on a cache-line boundary: vectors read from it then never straddle
/// two lines (a load that does costs two).
#[repr(C, align(64))]
pub(crate) struct Aligned<T>(pub(crate) T);

/// `N` floats in a static, held by one user at a time.
#[cfg(feature = "std")]
pub(crate) struct Slot<const N: usize> {
    busy: AtomicBool,
    buf: UnsafeCell<Aligned<[f32; N]>>,
}

// SAFETY: `buf` is only reached through a `Held`, which holds `busy`.
#[cfg(feature = "std")]
unsafe impl<const N: usize> Sync for Slot<N> {}

#[cfg(feature = "std")]
impl<const N: usize> Slot<N> {
    /// A free slot (zero pages until first used).
    pub(crate) const fn new() -> Self {
        Slot { busy: AtomicBool::new(false), buf: UnsafeCell::new(Aligned([0.0; N])) }
    }

    /// The buffer, unless someone holds it; released when the answer drops.
    pub(crate) fn take(&self) -> Option<Held<'_, N>> {
        self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).ok().map(|_| Held(self))
    }
}

/// A [`Slot`] held; its content is what the last holder left.
#[cfg(feature = "std")]
pub(crate) struct Held<'a, const N: usize>(&'a Slot<N>);

#[cfg(feature = "std")]
impl<const N: usize> Held<'_, N> {
    /// The first of the `N` floats.
    pub(crate) fn ptr(&self) -> *mut f32 {
        self.0.buf.get() as *mut f32
    }

    /// The `N` floats.
    pub(crate) fn floats(&mut self) -> &mut [f32] {
        // SAFETY: the slot is held (busy) for as long as self, so no one else
        // reaches the buffer meanwhile.
        unsafe { &mut (*self.0.buf.get()).0 }
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Drop for Held<'_, N> {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

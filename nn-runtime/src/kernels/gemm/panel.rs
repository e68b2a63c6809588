//! Room for a packed `op(b)` that every row block of one product reads.
//!
//! Two static panels (one per thread of a split product), each taken by one
//! product at a time: no allocation, and a product that finds none free packs
//! `b` per row block as before. The memory is zero pages until used.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use super::Aligned;

/// Floats of one panel: `k · n` of a 1024 × 1024 `b`.
pub(super) const FLOATS: usize = 1 << 20;

struct Slot {
    busy: AtomicBool,
    buf: UnsafeCell<Aligned<[f32; FLOATS]>>,
}

// SAFETY: `buf` is only reached through a `Panel`, which holds `busy`.
unsafe impl Sync for Slot {}

static SLOTS: [Slot; 2] =
    [const { Slot { busy: AtomicBool::new(false), buf: UnsafeCell::new(Aligned([0.0; FLOATS])) } }; 2];

/// A panel held by one product; released when dropped.
pub(super) struct Panel(&'static Slot);

impl Panel {
    /// The panel's first float (`FLOATS` of them).
    pub(super) fn ptr(&self) -> *mut f32 {
        self.0.buf.get() as *mut f32
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

/// A free panel of at least `floats` floats, if there is one.
pub(super) fn take(floats: usize) -> Option<Panel> {
    if floats > FLOATS {
        return None;
    }
    SLOTS.iter().find(|s| s.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()).map(Panel)
}

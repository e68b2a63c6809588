//! Room for a packed `op(b)` that every row block of one product reads.
//!
//! Two static panels (one per thread of a split product), each taken by one
//! product at a time: no allocation, and a product that finds none free packs
//! `b` per row block as before. The memory is zero pages until used.

use crate::kernels::slot::{Held, Slot};

/// Floats of one panel: `k · n` of a 1024 × 1024 `b`.
pub(super) const FLOATS: usize = 1 << 20;

static SLOTS: [Slot<FLOATS>; 2] = [const { Slot::new() }; 2];

/// A panel held by one product; released when dropped.
pub(super) type Panel = Held<'static, FLOATS>;

/// A free panel of at least `floats` floats, if there is one.
pub(super) fn take(floats: usize) -> Option<Panel> {
    if floats > FLOATS {
        return None;
    }
    SLOTS.iter().find_map(Slot::take)
}

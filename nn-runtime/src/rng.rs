//! The seeded random generator behind initializers, dropout and shuffling.

use rand::SeedableRng;

/// The generator used everywhere: ChaCha8, reproducible across platforms.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator from a `u64` seed; the same seed gives the same stream, bit for bit.
pub fn seeded(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

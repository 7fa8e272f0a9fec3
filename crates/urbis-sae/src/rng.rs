//! A small deterministic generator for the bootstrap: xoshiro256** seeded by
//! SplitMix64, one stream per (seed, replicate), so results do not depend on
//! the number of threads.

use urbis_core::rng::Xoshiro256;

pub(crate) struct Rng {
    core: Xoshiro256,
}

impl Rng {
    pub(crate) fn new(seed: u64, stream: u64) -> Rng {
        Rng { core: Xoshiro256::from_splitmix(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)) }
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let (u, v) = (self.core.uniform(), self.core.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

//! A fast hash for maps keyed by one 64-bit key (number bits, packed
//! codes): the default SipHash costs more than the rest of a pass over
//! millions of rows.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hash map keyed by 64-bit keys, hashed by [`Fmix64`].
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<Fmix64>>;

/// MurmurHash3's 64-bit finaliser: a fast, well-mixed hash of one `u64` key
/// (the bits of whole numbers and shares often end in many zeros).
#[derive(Default)]
pub struct Fmix64(u64);

impl Hasher for Fmix64 {
    fn finish(&self) -> u64 {
        let mut k = self.0;
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^ (k >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_differ_only_in_high_bits_spread_over_low_bits() {
        let hash = |k: u64| {
            let mut h = Fmix64::default();
            h.write_u64(k);
            h.finish()
        };
        let low: std::collections::HashSet<u64> = (0..64u64).map(|i| hash(i << 52) & 0xff).collect();
        assert!(low.len() > 40, "{} distinct low bytes of 64", low.len());
    }
}

//! A small, fast, seedable pseudo-random generator and the draws the model
//! needs. xoshiro256** (Blackman & Vigna) seeded through splitmix64; every
//! stream is keyed by the run seed and the identity of what it generates
//! (a PSU, a replicate, a district), so results never depend on the order in
//! which threads run.

pub use urbis_core::rng::splitmix64;
use urbis_core::rng::Xoshiro256;

/// Hashes a run seed and a key path into one 64-bit seed.
pub fn key(seed: u64, parts: &[u64]) -> u64 {
    let mut s = seed;
    let mut h = splitmix64(&mut s);
    for &p in parts {
        let mut t = h ^ p.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        h = splitmix64(&mut t);
    }
    h
}

/// A stable 64-bit hash of a short text (FNV-1a), for keying by area code.
pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01B3))
}

/// xoshiro256** with a cached second normal deviate.
#[derive(Clone, Debug)]
pub struct Rng {
    core: Xoshiro256,
    spare: Option<f64>,
}

impl Rng {
    /// A generator for the stream `parts` of run `seed`.
    pub fn new(seed: u64, parts: &[u64]) -> Rng {
        Rng { core: Xoshiro256::from_splitmix(key(seed, parts)), spare: None }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.core.next_u64()
    }

    /// Uniform in the open interval (0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        self.core.uniform()
    }

    /// Uniform integer in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for our n).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform integer in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as u64) as i32
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal deviate (Box–Muller, both deviates used).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let (u, v) = (self.uniform(), self.uniform());
        let r = (-2.0 * u.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * v).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// Lognormal with log-mean `mu` and log-sd `sigma`.
    pub fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        (mu + sigma * self.normal()).exp()
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform().ln()
    }

    /// Poisson deviate: Knuth's product method for small means, a rounded
    /// normal approximation above 30 (where it is accurate enough here).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            return (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.uniform();
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }

    /// Index drawn from cumulative weights (the last entry is the total).
    pub fn pick_cumulative(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0.0);
        let u = self.uniform() * total;
        cumulative.iter().position(|&c| u < c).unwrap_or(cumulative.len().saturating_sub(1))
    }

    /// Index drawn from weights (need not sum to one).
    pub fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.uniform() * total;
        for (i, &w) in weights.iter().enumerate() {
            if u < w {
                return i;
            }
            u -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// The logistic function.
#[inline]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7, &[1, 2]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, &[1, 2]).next_u64(), Rng::new(7, &[1, 3]).next_u64());
        assert_ne!(Rng::new(7, &[1, 2]).next_u64(), Rng::new(8, &[1, 2]).next_u64());
    }

    #[test]
    fn moments_are_right() {
        let mut r = Rng::new(1, &[]);
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
        }
        assert!((s / n as f64).abs() < 0.01);
        assert!((s2 / n as f64 - 1.0).abs() < 0.02);
        let mean_u = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        assert!((mean_u - 0.5).abs() < 0.005);
        for lambda in [0.5, 3.0, 50.0] {
            let m = (0..n).map(|_| r.poisson(lambda) as f64).sum::<f64>() / n as f64;
            assert!((m - lambda).abs() < 0.02 * lambda.max(1.0), "poisson({lambda}) mean {m}");
        }
        let m = (0..n).map(|_| r.exponential(4.0)).sum::<f64>() / n as f64;
        assert!((m - 4.0).abs() < 0.06);
        let m = (0..n).map(|_| r.lognormal(0.0, 0.5).ln()).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.01);
        assert!((0..1000).all(|_| r.below(7) < 7));
        assert!((0..1000).map(|_| r.range(3, 5)).all(|x| (3..=5).contains(&x)));
    }
}

//! The sample design: allocation of persons to strata, the PSUs of a stratum
//! and the Rao–Wu bootstrap resampling counts.

use rayon::prelude::*;

use crate::model::{HhType, Model};
use crate::rng::Rng;

const STREAM_REPLICATE: u64 = 0xB007;

/// One stratum (district × year) before it is planned.
#[derive(Clone, Debug)]
pub(crate) struct Stratum {
    /// Position in the output order, from 0 (the `stratum` column is this + 1).
    pub index: usize,
    pub year: i32,
    pub area: usize,
    pub district: usize,
    /// Persons to generate.
    pub persons: u64,
    /// Population the stratum represents.
    pub population: f64,
}

/// A planned stratum: persons and households of each PSU.
pub(crate) struct StratumPlan {
    pub stratum: Stratum,
    pub psu_persons: Vec<u16>,
    pub psu_households: Vec<u8>,
    pub base_weight: f64,
    /// Rao–Wu resampling counts, replicate-major (`counts[r * n + psu]`), and n/(n−1).
    pub rep_counts: Vec<u8>,
    pub rep_factor: f64,
}

/// Splits `total` into parts proportional to `weights`, largest remainders first.
pub(crate) fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let assigned: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(total.saturating_sub(assigned) as usize) {
        parts[i] += 1;
    }
    parts
}

impl Model {
    /// Draws the PSUs of a stratum until its persons are reached (the last
    /// household and PSU are cut to fit), then the replicate counts.
    pub fn plan_stratum(&self, stratum: Stratum, replicates: usize) -> StratumPlan {
        let mut psu_persons = Vec::new();
        let mut psu_households = Vec::new();
        let mut structure: Vec<(HhType, u8)> = Vec::new();
        let mut left = stratum.persons;
        let mut psu = 0;
        while left > 0 {
            self.psu_structure(stratum.area, stratum.district, stratum.index, psu, &mut structure);
            let (mut persons, mut households) = (0u64, 0u8);
            for &(_, size) in &structure {
                if left == 0 {
                    break;
                }
                let s = (size as u64).min(left);
                persons += s;
                left -= s;
                households += 1;
            }
            psu_persons.push(persons as u16);
            psu_households.push(households);
            psu += 1;
        }
        let n = psu_persons.len();
        let mut rep_counts = vec![0u8; replicates * n];
        if n > 1 {
            let index = stratum.index as u64;
            rep_counts.par_chunks_mut(n).enumerate().for_each(|(r, counts)| {
                let mut rng = Rng::new(self.seed, &[STREAM_REPLICATE, index, r as u64]);
                for _ in 0..n - 1 {
                    let c = &mut counts[rng.below(n as u64) as usize];
                    *c = c.saturating_add(1);
                }
            });
        }
        let rep_factor = if n > 1 { n as f64 / (n - 1) as f64 } else { 1.0 };
        let base_weight = stratum.population / stratum.persons as f64;
        StratumPlan { stratum, psu_persons, psu_households, base_weight, rep_counts, rep_factor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact_and_proportional() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[3.0, 1.0]).iter().sum::<u64>(), 7);
        let p = apportion(1_000_003, &[0.2, 0.3, 0.5]);
        assert_eq!(p.iter().sum::<u64>(), 1_000_003);
        assert!((p[2] as i64 - 500_001).abs() <= 1);
    }
}

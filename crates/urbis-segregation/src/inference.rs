//! Inference for any index. [`bootstrap`]: intervals by resampling units
//! with replacement (PySAL segregation's `bootstrap` approach: each replicate
//! draws as many units as there are, with replacement, and recomputes the
//! index). [`person_permutation`]: the index under the null of no
//! segregation (PySAL's `person_permutation`: every person's group label
//! shuffled across all persons, unit totals kept), with its mean and PySAL's
//! two-tailed pseudo p-value `2 min(#{sim > obs}, #{sim < obs}) / m`.
//!
//! The interval is the percentile interval of the replicate values (quantiles
//! `(1 − level)/2` and `(1 + level)/2`, interpolated between order statistics
//! as R's type 7); the standard error is their standard deviation. Replicates
//! for which an index is undefined (e.g. a group drawn nowhere) are left out
//! and counted.

use rayon::prelude::*;

use crate::{Result, SegError};

/// A bootstrap summary of one index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub se: f64,
    pub low: f64,
    pub high: f64,
    /// Replicates in which the index was defined.
    pub replicates: usize,
}

/// Bootstraps `statistic` (a vector of index values from one count per unit
/// per column) over `replicates` resamples of the units of `columns`.
/// `draw(r)` gives replicate `r`'s unit indices (as many as there are units,
/// each below that number); it is called from several threads, so it should
/// derive its randomness from `r` alone for reproducible results.
pub fn bootstrap(
    columns: &[&[f64]],
    replicates: usize,
    level: f64,
    draw: impl Fn(usize) -> Vec<usize> + Sync,
    statistic: impl Fn(&[Vec<f64>]) -> Result<Vec<f64>> + Sync,
) -> Result<Vec<Interval>> {
    if !(level > 0.0 && level < 1.0) {
        return Err(SegError::Undefined(format!("the confidence level must be between 0 and 1, not {level}")));
    }
    if replicates < 2 {
        return Err(SegError::Undefined(format!("the bootstrap needs at least 2 replicates, not {replicates}")));
    }
    let n = columns.first().map_or(0, |c| c.len());
    let values: Vec<Option<Vec<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let units = draw(r);
            let resampled: Vec<Vec<f64>> =
                columns.iter().map(|c| units.iter().map(|&i| c[i.min(n.saturating_sub(1))]).collect()).collect();
            statistic(&resampled).ok()
        })
        .collect();
    let width = values.iter().flatten().map(Vec::len).max().unwrap_or(0);
    Ok((0..width)
        .map(|k| {
            let mut v: Vec<f64> =
                values.iter().flatten().filter_map(|x| x.get(k).copied()).filter(|x| x.is_finite()).collect();
            summarise(&mut v, level)
        })
        .collect())
}

/// The distribution of an index under random allocation of persons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NullTest {
    /// Mean of the index over the permutations: its value expected without segregation.
    pub mean: f64,
    /// Two-tailed pseudo p-value of the observed value.
    pub p_value: f64,
    /// Permutations in which the index was defined.
    pub replicates: usize,
}

/// Person permutation: the persons of all units (whole counts per group,
/// one column per group) get their group labels shuffled, each unit keeping
/// its size; `statistic` is recomputed for each of `replicates` permutations
/// and compared with `observed`. `shuffle(r, labels)` must permute `labels`
/// in place for permutation `r` (from its own random stream for reproducible
/// results; it is called from several threads).
pub fn person_permutation(
    groups: &[&[f64]],
    observed: &[f64],
    replicates: usize,
    shuffle: impl Fn(usize, &mut [u8]) + Sync,
    statistic: impl Fn(&[Vec<f64>]) -> Result<Vec<f64>> + Sync,
) -> Result<Vec<NullTest>> {
    if replicates < 2 {
        return Err(SegError::Undefined(format!(
            "the permutation test needs at least 2 permutations, not {replicates}"
        )));
    }
    if groups.len() > usize::from(u8::MAX) {
        return Err(SegError::Shape(format!("at most 255 groups can be permuted, not {}", groups.len())));
    }
    let n = groups.first().map_or(0, |g| g.len());
    let mut sizes = vec![0usize; n];
    let mut labels = Vec::new();
    for (k, g) in groups.iter().enumerate() {
        for (i, &c) in g.iter().enumerate() {
            if c.fract() != 0.0 || !(0.0..=4e9).contains(&c) {
                return Err(SegError::BadCount {
                    unit: i,
                    what: format!("group {}", k + 1),
                    reason: format!("{c} is not a whole number of persons, which the permutation test needs"),
                });
            }
            sizes[i] += c as usize;
            labels.extend(std::iter::repeat_n(k as u8, c as usize));
        }
    }
    let values: Vec<Option<Vec<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut shuffled = labels.clone();
            shuffle(r, &mut shuffled);
            let mut counts = vec![vec![0.0; n]; groups.len()];
            let mut next = shuffled.iter();
            for (i, &size) in sizes.iter().enumerate() {
                for &k in next.by_ref().take(size) {
                    counts[usize::from(k)][i] += 1.0;
                }
            }
            statistic(&counts).ok()
        })
        .collect();
    Ok(observed
        .iter()
        .enumerate()
        .map(|(k, &obs)| {
            let sims: Vec<f64> =
                values.iter().flatten().filter_map(|v| v.get(k).copied()).filter(|x| x.is_finite()).collect();
            let m = sims.len();
            let above = sims.iter().filter(|&&s| s > obs).count();
            let below = sims.iter().filter(|&&s| s < obs).count();
            NullTest {
                mean: if m > 0 { sims.iter().sum::<f64>() / m as f64 } else { f64::NAN },
                p_value: if m > 0 { 2.0 * above.min(below) as f64 / m as f64 } else { f64::NAN },
                replicates: m,
            }
        })
        .collect())
}

fn summarise(v: &mut [f64], level: f64) -> Interval {
    let m = v.len();
    if m < 2 {
        return Interval { se: f64::NAN, low: f64::NAN, high: f64::NAN, replicates: m };
    }
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / m as f64;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (m - 1) as f64;
    let q = |p: f64| {
        let h = (m - 1) as f64 * p;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        v[lo] + (h - lo as f64) * (v[hi] - v[lo])
    };
    Interval { se: var.sqrt(), low: q((1.0 - level) / 2.0), high: q((1.0 + level) / 2.0), replicates: m }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{single_group, SingleOptions};

    fn dissimilarity(c: &[Vec<f64>]) -> Result<Vec<f64>> {
        Ok(vec![single_group(&c[0], &c[1], &SingleOptions::default())?.dissimilarity])
    }

    #[test]
    fn identical_units_give_a_degenerate_interval() {
        let (x, t) = ([2.0, 2.0, 2.0, 2.0], [10.0, 10.0, 10.0, 10.0]);
        let draw = |r: usize| (0..4).map(|i| (i * 7 + r) % 4).collect();
        let ci = bootstrap(&[&x, &t], 50, 0.95, draw, dissimilarity).unwrap();
        assert_eq!(ci[0].replicates, 50);
        assert!(ci[0].low.abs() < 1e-15 && ci[0].high.abs() < 1e-15 && ci[0].se.abs() < 1e-15);
    }

    #[test]
    fn percentile_interval_of_known_replicates() {
        // Odd replicates draw unit 2 (all group) thrice: the index is undefined
        // there. Even replicates draw units 0, 1, 1: all the same value.
        let (x, t) = ([0.0, 5.0, 5.0], [10.0, 10.0, 5.0]);
        let draw = |r: usize| if r & 1 == 0 { vec![0, 1, 1] } else { vec![2, 2, 2] };
        let ci = bootstrap(&[&x, &t], 10, 0.9, draw, dissimilarity).unwrap();
        let d = single_group(&[0.0, 5.0, 5.0], &[10.0, 10.0, 10.0], &SingleOptions::default()).unwrap().dissimilarity;
        assert_eq!(ci[0].replicates, 5);
        assert!((ci[0].low - d).abs() < 1e-15 && (ci[0].high - d).abs() < 1e-15);
    }

    /// A shuffle that reverses the labels: deterministic, so the permuted
    /// counts can be worked out by hand.
    fn reverse(_: usize, labels: &mut [u8]) {
        labels.reverse();
    }

    #[test]
    fn permutation_reallocates_persons_keeping_unit_sizes() {
        // Persons: group 0 ×3 (unit 0), group 1 ×1 (unit 1); labels [0,0,0,1]
        // reversed to [1,0,0,0]: unit 0 (3 persons) gets 1,0,0 and unit 1 gets 0.
        let (a, b) = ([3.0, 0.0], [0.0, 1.0]);
        let seen = std::sync::Mutex::new(Vec::new());
        let stat = |c: &[Vec<f64>]| {
            seen.lock().unwrap().push(c.to_vec());
            Ok(vec![c[0][0]])
        };
        let test = person_permutation(&[&a, &b], &[3.0], 2, reverse, stat).unwrap();
        assert_eq!(seen.lock().unwrap()[0], vec![vec![2.0, 1.0], vec![1.0, 0.0]]);
        assert_eq!(test[0], NullTest { mean: 2.0, p_value: 0.0, replicates: 2 });
        let test = person_permutation(&[&a, &b], &[2.0], 2, reverse, |c: &[Vec<f64>]| Ok(vec![c[0][0]])).unwrap();
        assert_eq!(test[0].p_value, 0.0, "ties count on neither side");
        assert!(person_permutation(&[&[1.5], &[1.0]], &[0.0], 2, reverse, |_| Ok(vec![0.0])).is_err());
    }

    #[test]
    fn bad_level_or_too_few_replicates_are_errors() {
        let x = [1.0, 2.0];
        assert!(bootstrap(&[&x, &x], 10, 1.5, |_| vec![0, 1], |_| Ok(vec![0.0])).is_err());
        assert!(bootstrap(&[&x, &x], 1, 0.95, |_| vec![0, 1], |_| Ok(vec![0.0])).is_err());
    }
}

//! Bootstrap intervals for any index, by resampling units with replacement
//! (PySAL segregation's `bootstrap` approach: each replicate draws as many
//! units as there are, with replacement, and recomputes the index).
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
        let draw = |r: usize| if r % 2 == 0 { vec![0, 1, 1] } else { vec![2, 2, 2] };
        let ci = bootstrap(&[&x, &t], 10, 0.9, draw, dissimilarity).unwrap();
        let d = single_group(&[0.0, 5.0, 5.0], &[10.0, 10.0, 10.0], &SingleOptions::default()).unwrap().dissimilarity;
        assert_eq!(ci[0].replicates, 5);
        assert!((ci[0].low - d).abs() < 1e-15 && (ci[0].high - d).abs() < 1e-15);
    }

    #[test]
    fn bad_level_or_too_few_replicates_are_errors() {
        let x = [1.0, 2.0];
        assert!(bootstrap(&[&x, &x], 10, 1.5, |_| vec![0, 1], |_| Ok(vec![0.0])).is_err());
        assert!(bootstrap(&[&x, &x], 1, 0.95, |_| vec![0, 1], |_| Ok(vec![0.0])).is_err());
    }
}

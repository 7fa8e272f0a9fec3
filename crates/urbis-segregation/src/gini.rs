//! The pairwise sum behind the Gini indices, in O(n log n).
//!
//! `S = Σ_i Σ_j t_i t_j |p_i − p_j|` over all ordered pairs of units. With
//! the units sorted by `p`, each unit `j` contributes
//! `2 t_j (p_j Σ_{i<j} t_i − Σ_{i<j} t_i p_i)`, which needs only running
//! sums — the quadratic double loop of the definition is never formed.
//! Units with equal shares add nothing between themselves, so when shares
//! repeat (counts of people give few distinct fractions) their totals are
//! merged first and only the distinct shares are sorted.

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use rayon::slice::ParallelSliceMut;
use urbis_core::hash::KeyMap;

/// Units above which sorting runs in parallel.
const PARALLEL_SORT: usize = 1 << 16;

/// `Σ_i Σ_j t_i t_j |p_i − p_j|` (both orders of every pair counted).
pub(crate) fn pairwise_abs_sum(p: &[f64], t: &[f64]) -> f64 {
    pairwise_abs_sum_in(p, t, &mut Vec::new())
}

/// As [`pairwise_abs_sum`], sorting in `pairs` (a buffer reused across calls,
/// so large inputs are not allocated and paged in again for every group).
pub(crate) fn pairwise_abs_sum_in(p: &[f64], t: &[f64], pairs: &mut Vec<(f64, f64)>) -> f64 {
    pairs.clear();
    // Shares are finite and non-negative (`+ 0.0` turns −0 into +0), so their
    // bit patterns sort as the numbers do, and integer keys compare fastest.
    match merge_equal_shares(p, t) {
        Some(merged) => pairs.extend(merged.into_iter().map(|(bits, t)| (f64::from_bits(bits), t))),
        None => pairs.extend(p.iter().zip(t).filter(|(_, &t)| t > 0.0).map(|(&p, &t)| (p + 0.0, t))),
    }
    let key = |pair: &(f64, f64)| pair.0.to_bits();
    if pairs.len() > PARALLEL_SORT {
        pairs.par_sort_unstable_by_key(key);
    } else {
        pairs.sort_unstable_by_key(key);
    }
    let (mut sum_t, mut sum_tp, mut total) = (0.0, 0.0, 0.0);
    for &(p, t) in pairs.iter() {
        total += t * (p * sum_t - sum_tp);
        sum_t += t;
        sum_tp += t * p;
    }
    2.0 * total
}

type ShareTotals = KeyMap<f64>;

/// Fixed parts of the units merged in parallel (then in order, so results do
/// not depend on the number of threads).
const MERGE_PARTS: usize = 8;

/// The summed totals of each distinct share, or `None` once distinct shares
/// exceed an eighth of the units (then sorting all units is as cheap).
fn merge_equal_shares(p: &[f64], t: &[f64]) -> Option<ShareTotals> {
    let limit = p.len() / 8 + 16;
    let part = p.len().div_ceil(MERGE_PARTS).max(1);
    let merge_part = |k: usize| -> Option<ShareTotals> {
        let range = (k * part).min(p.len())..((k + 1) * part).min(p.len());
        let mut merged = ShareTotals::default();
        for (&p, &t) in p[range.clone()].iter().zip(&t[range]) {
            if t > 0.0 {
                *merged.entry((p + 0.0).to_bits()).or_insert(0.0) += t;
                if merged.len() > limit {
                    return None;
                }
            }
        }
        Some(merged)
    };
    let parts: Vec<Option<ShareTotals>> = if p.len() > PARALLEL_SORT {
        (0..MERGE_PARTS).into_par_iter().map(merge_part).collect()
    } else {
        (0..MERGE_PARTS).map(merge_part).collect()
    };
    let mut parts = parts.into_iter();
    let mut merged = parts.next().flatten()?;
    for part in parts {
        for (share, t) in part? {
            *merged.entry(share).or_insert(0.0) += t;
        }
        if merged.len() > limit {
            return None;
        }
    }
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(p: &[f64], t: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..p.len() {
            for j in 0..p.len() {
                s += t[i] * t[j] * (p[i] - p[j]).abs();
            }
        }
        s
    }

    #[test]
    fn equals_the_double_sum() {
        let p = [0.1, 0.5, 0.05, 0.8, 0.0, 0.25, 0.5];
        let t = [100.0, 100.0, 100.0, 100.0, 60.0, 100.0, 3.0];
        let (a, b) = (pairwise_abs_sum(&p, &t), naive(&p, &t));
        assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
    }

    #[test]
    fn many_distinct_shares_take_the_sorting_path() {
        let n = 1000;
        let p: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64 / n as f64).collect();
        let t: Vec<f64> = (0..n).map(|i| 1.0 + (i % 13) as f64).collect();
        assert!(merge_equal_shares(&p, &t).is_none());
        let (a, b) = (pairwise_abs_sum(&p, &t), naive(&p, &t));
        assert!((a - b).abs() < 1e-12 * b, "{a} vs {b}");
        let repeated: Vec<f64> = p.iter().map(|p| (p * 4.0).floor() / 4.0).collect();
        assert_eq!(merge_equal_shares(&repeated, &t).map(|m| m.len()), Some(4));
        let (a, b) = (pairwise_abs_sum(&repeated, &t), naive(&repeated, &t));
        assert!((a - b).abs() < 1e-12 * b, "{a} vs {b}");
    }

    #[test]
    fn negative_zero_sorts_with_zero() {
        let (p, t) = ([0.5, -0.0, 0.25], [1.0, 1.0, 1.0]);
        assert_eq!(pairwise_abs_sum(&p, &t), naive(&p, &t));
    }

    #[test]
    fn empty_units_do_not_count() {
        assert_eq!(pairwise_abs_sum(&[0.2, 0.0, 0.9], &[10.0, 0.0, 0.0]), 0.0);
    }
}

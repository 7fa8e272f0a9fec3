//! Multigroup indices (Reardon & Firebaugh 2002), as PySAL
//! `segregation.multigroup` defines them.
//!
//! With `x_ik` the count of group `k` in unit `i`, `t_i = Σ_k x_ik`,
//! `T = Σ_i t_i`, `P_k = Σ_i x_ik / T`, `p_ik = x_ik / t_i` (0 for an empty
//! unit), `K` groups, Simpson's interaction `I = Σ_k P_k (1 − P_k)` and the
//! diversity (entropy) `E = −Σ_k P_k ln P_k`.

use crate::gini::pairwise_abs_sum_in;
use crate::single::{indices, share, SingleIndices, SingleOptions};
use crate::sums::sum_units;
use crate::{validate_counts, Result, SegError};

/// The multigroup indices, and each group's two-group indices against all
/// the other groups together.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiIndices {
    /// `D = Σ_k Σ_i t_i |p_ik − P_k| / (2 T I)`.
    pub dissimilarity: f64,
    /// `G = Σ_k Σ_i Σ_j t_i t_j |p_ik − p_jk| / (2 T² I)`.
    pub gini: f64,
    /// Theil's information theory index `H = Σ_k Σ_i t_i p_ik ln(p_ik / P_k) / (T E)`.
    pub information_theory: f64,
    /// Normalised exposure `P = Σ_k Σ_i t_i (p_ik − P_k)² / (1 − P_k) / T`.
    pub normalized_exposure: f64,
    /// Relative diversity `R = Σ_k Σ_i t_i (p_ik − P_k)² / (T I)`.
    pub relative_diversity: f64,
    /// Squared coefficient of variation `C = Σ_k Σ_i t_i (p_ik − P_k)² / (T (K − 1) P_k)`.
    pub squared_coefficient_of_variation: f64,
    /// Divergence (mutual information) `Σ_i (t_i/T) Σ_k p_ik ln(p_ik / P_k)`.
    pub divergence: f64,
    /// Diversity `E = −Σ_k P_k ln P_k`.
    pub diversity: f64,
    /// Simpson's concentration `λ = Σ_k P_k²`.
    pub simpsons_concentration: f64,
    /// Simpson's interaction `I = Σ_k P_k (1 − P_k)`.
    pub simpsons_interaction: f64,
    /// Each group against the rest, in the order given.
    pub per_group: Vec<SingleIndices>,
}

/// The multigroup indices of named groups' counts (one slice per group, one
/// value per unit).
pub fn multi_group(groups: &[(&str, &[f64])], options: &SingleOptions) -> Result<MultiIndices> {
    if groups.len() < 2 {
        return Err(SegError::Shape(format!("multigroup indices need at least two groups, got {}", groups.len())));
    }
    let n = groups[0].1.len();
    for (name, counts) in groups {
        if counts.len() != n {
            return Err(SegError::Shape(format!("group {name} has {} units, the first group {n}", counts.len())));
        }
        validate_counts(counts, name)?;
    }
    let t: Vec<f64> = (0..n).map(|i| groups.iter().map(|(_, c)| c[i]).sum()).collect();
    let big_t: f64 = sum_units(n, |i| [t[i]])[0];
    let mut big_p = Vec::with_capacity(groups.len());
    for (name, counts) in groups {
        let x = sum_units(n, |i| [counts[i]])[0];
        if x <= 0.0 || x >= big_t {
            return Err(SegError::Undefined(format!(
                "group {name} has {x} people of {big_t}: segregation needs groups that are neither absent nor everybody"
            )));
        }
        big_p.push(x / big_t);
    }
    let k_groups = groups.len() as f64;
    let interaction: f64 = big_p.iter().map(|p| p * (1.0 - p)).sum();
    let diversity: f64 = -big_p.iter().map(|p| p * p.ln()).sum::<f64>();
    let mut sums = [0.0; 6];
    let mut per_group = Vec::with_capacity(groups.len());
    // Buffers reused for every group.
    let (mut p, mut pairs) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for ((_, x), &pk) in groups.iter().zip(&big_p) {
        p.clear();
        p.extend(x.iter().zip(&t).map(|(&x, &t)| share(x, t)));
        let gini_sum = pairwise_abs_sum_in(&p, &t, &mut pairs);
        let (single, terms) = indices(x, &t, &p, gini_sum, options)?;
        per_group.push(single);
        let (abs, sq, info) = (terms.abs, terms.squares, terms.information);
        for (s, v) in sums.iter_mut().zip([abs, gini_sum, info, sq / (1.0 - pk), sq, sq / pk]) {
            *s += v;
        }
    }
    let [abs, gini, info, sq_exposure, sq, sq_cv] = sums;
    Ok(MultiIndices {
        dissimilarity: abs / (2.0 * big_t * interaction),
        gini: gini / (2.0 * big_t * big_t * interaction),
        information_theory: info / (big_t * diversity),
        normalized_exposure: sq_exposure / big_t,
        relative_diversity: sq / (big_t * interaction),
        squared_coefficient_of_variation: sq_cv / (big_t * (k_groups - 1.0)),
        divergence: info / big_t,
        diversity,
        simpsons_concentration: big_p.iter().map(|p| p * p).sum(),
        simpsons_interaction: interaction,
        per_group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::single_group;

    const MIGR: [f64; 6] = [10.0, 50.0, 5.0, 80.0, 0.0, 25.0];
    const NAT: [f64; 6] = [90.0, 50.0, 95.0, 20.0, 60.0, 75.0];

    #[test]
    fn two_groups_match_the_two_group_indices() {
        let m = multi_group(&[("migr", &MIGR), ("nat", &NAT)], &SingleOptions::default()).unwrap();
        let tot: Vec<f64> = MIGR.iter().zip(&NAT).map(|(a, b)| a + b).collect();
        let s = single_group(&MIGR, &tot, &SingleOptions::default()).unwrap();
        assert!((m.dissimilarity - s.dissimilarity).abs() < 1e-14);
        assert!((m.gini - s.gini).abs() < 1e-14);
        assert!((m.information_theory - s.entropy).abs() < 1e-14);
        assert_eq!(m.per_group[0], s);
        assert!((m.simpsons_concentration + m.simpsons_interaction - 1.0).abs() < 1e-15);
    }

    #[test]
    fn identical_composition_everywhere_is_zero() {
        let a = [1.0, 2.0, 3.0];
        let b = [2.0, 4.0, 6.0];
        let c = [5.0, 10.0, 15.0];
        let m = multi_group(&[("a", &a), ("b", &b), ("c", &c)], &SingleOptions::default()).unwrap();
        for v in [m.dissimilarity, m.gini, m.information_theory, m.relative_diversity, m.divergence] {
            assert!(v.abs() < 1e-15, "{m:?}");
        }
    }

    #[test]
    fn an_absent_group_is_named() {
        let err = multi_group(&[("a", &[1.0, 2.0]), ("b", &[0.0, 0.0]), ("c", &[4.0, 1.0])], &SingleOptions::default())
            .unwrap_err();
        assert!(err.to_string().starts_with("group b has 0 people"), "{err}");
        assert!(multi_group(&[("a", &[1.0])], &SingleOptions::default()).is_err());
    }
}

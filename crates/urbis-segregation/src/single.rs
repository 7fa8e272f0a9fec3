//! Two-group indices: one group against the rest of each unit's population
//! (Massey & Denton 1988), as PySAL `segregation.singlegroup` defines them.
//!
//! With `x_i` the group and `t_i` the total of unit `i`, `X = Σx_i`,
//! `T = Σt_i`, `P = X/T` and `p_i = x_i/t_i` (0 for an empty unit).

use crate::gini::pairwise_abs_sum;
use crate::sums::sum_units;
use crate::{validate_counts, validate_within, Result, SegError};

/// Parameters of the two-group indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleOptions {
    /// Atkinson's shape parameter `b`, in [0, 1); PySAL's default 0.5.
    pub atkinson_b: f64,
}

impl Default for SingleOptions {
    fn default() -> Self {
        SingleOptions { atkinson_b: 0.5 }
    }
}

/// The two-group indices of one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleIndices {
    /// `D = Σ t_i |p_i − P| / (2 T P (1 − P))`.
    pub dissimilarity: f64,
    /// `xPx = Σ (x_i/X)(x_i/t_i)`.
    pub isolation: f64,
    /// `xPy = Σ (x_i/X)((t_i − x_i)/t_i)`.
    pub exposure: f64,
    /// Theil's `H = Σ t_i (E − E_i) / (E T)`, `E` the entropy of `P`, `E_i` of `p_i`.
    pub entropy: f64,
    /// `G = Σ_i Σ_j t_i t_j |p_i − p_j| / (2 T² P (1 − P))`.
    pub gini: f64,
    /// `A = 1 − P/(1 − P) |Σ (1 − p_i)^(1−b) p_i^b t_i / (P T)|^(1/(1−b))`.
    pub atkinson: f64,
}

/// The two-group indices of the group counts `x` within the unit totals `t`.
pub fn single_group(x: &[f64], t: &[f64], options: &SingleOptions) -> Result<SingleIndices> {
    if x.len() != t.len() {
        return Err(SegError::Shape(format!("{} group counts for {} unit totals", x.len(), t.len())));
    }
    validate_counts(x, "group")?;
    validate_counts(t, "total")?;
    validate_within(x, t)?;
    let p: Vec<f64> = x.iter().zip(t).map(|(&x, &t)| share(x, t)).collect();
    let gini_sum = pairwise_abs_sum(&p, t);
    indices(x, t, &p, gini_sum, options).map(|(single, _)| single)
}

/// `x/t`, 0 for an empty unit.
pub(crate) fn share(x: f64, t: f64) -> f64 {
    if t > 0.0 {
        x / t
    } else {
        0.0
    }
}

/// Binary entropy in nats, 0 at 0 and 1.
fn entropy(p: f64) -> f64 {
    if p > 0.0 && p < 1.0 {
        -p * p.ln() - (1.0 - p) * (1.0 - p).ln()
    } else {
        0.0
    }
}

/// Sums over units that the multigroup indices need besides the two-group
/// ones: `Σ t_i (p_i − P)²` and `Σ t_i p_i ln(p_i / P)`.
pub(crate) struct MultiTerms {
    pub abs: f64,
    pub squares: f64,
    pub information: f64,
}

/// The indices from validated counts, the unit shares `p` and the Gini
/// pairwise sum, in one pass over the units (with the multigroup terms).
pub(crate) fn indices(
    x: &[f64],
    t: &[f64],
    p: &[f64],
    gini_sum: f64,
    options: &SingleOptions,
) -> Result<(SingleIndices, MultiTerms)> {
    let b = options.atkinson_b;
    if !(0.0..1.0).contains(&b) {
        return Err(SegError::Undefined(format!("Atkinson's b must be in [0, 1), not {b}")));
    }
    let [big_x, big_t] = sum_units(x.len(), |i| [x[i], t[i]]);
    if big_x <= 0.0 || big_x >= big_t {
        return Err(SegError::Undefined(format!(
            "the group has {big_x} people of {big_t}: segregation needs a group that is neither absent nor everybody"
        )));
    }
    let big_p = big_x / big_t;
    let big_e = entropy(big_p);
    let ln_big_p = big_p.ln();
    // (1 − p)^(1−b) p^b, with square roots for PySAL's default b = 0.5.
    let atkinson_term = |p: f64| if b == 0.5 { ((1.0 - p) * p).sqrt() } else { (1.0 - p).powf(1.0 - b) * p.powf(b) };
    let [dis, iso, exp, ent, atk, squares, information] = sum_units(x.len(), |i| {
        let (x, t, p) = (x[i], t[i], p[i]);
        if t <= 0.0 {
            return [0.0; 7];
        }
        // One logarithm of p serves the entropy and the information term.
        let (e_i, info) = if p > 0.0 && p < 1.0 {
            let (lp, lq) = (p.ln(), (1.0 - p).ln());
            (-p * lp - (1.0 - p) * lq, t * p * (lp - ln_big_p))
        } else if p >= 1.0 {
            (0.0, -t * ln_big_p)
        } else {
            (0.0, 0.0)
        };
        let d = p - big_p;
        [t * d.abs(), x * p, x * (1.0 - p), t * (big_e - e_i), atkinson_term(p) * t, t * d * d, info]
    });
    let single = SingleIndices {
        dissimilarity: dis / (2.0 * big_t * big_p * (1.0 - big_p)),
        isolation: iso / big_x,
        exposure: exp / big_x,
        entropy: ent / (big_e * big_t),
        gini: gini_sum / (2.0 * big_t * big_t * big_p * (1.0 - big_p)),
        atkinson: 1.0 - big_p / (1.0 - big_p) * (atk / (big_p * big_t)).abs().powf(1.0 / (1.0 - b)),
    };
    Ok((single, MultiTerms { abs: dis, squares, information }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 6] = [10.0, 50.0, 5.0, 80.0, 0.0, 25.0];
    const T: [f64; 6] = [100.0, 100.0, 100.0, 100.0, 60.0, 100.0];

    #[test]
    fn evenly_spread_group_is_not_segregated() {
        let s = single_group(&[10.0, 20.0, 5.0], &[100.0, 200.0, 50.0], &SingleOptions::default()).unwrap();
        assert!(s.dissimilarity.abs() < 1e-15 && s.gini.abs() < 1e-15 && s.entropy.abs() < 1e-15);
        assert!(s.atkinson.abs() < 1e-15);
        assert!((s.isolation - 0.1).abs() < 1e-15 && (s.exposure - 0.9).abs() < 1e-15);
    }

    #[test]
    fn complete_separation_gives_one() {
        let s = single_group(&[30.0, 0.0, 5.0], &[30.0, 70.0, 5.0], &SingleOptions::default()).unwrap();
        for v in [s.dissimilarity, s.gini, s.entropy, s.isolation, s.atkinson] {
            assert!((v - 1.0).abs() < 1e-12, "{s:?}");
        }
    }

    #[test]
    fn bad_counts_name_the_unit() {
        let err = single_group(&[1.0, 7.0], &[5.0, 6.0], &SingleOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "unit 2: group: the group count 7 exceeds the total 6");
        let err = single_group(&[1.0, f64::NAN], &[5.0, 6.0], &SingleOptions::default()).unwrap_err();
        assert!(err.to_string().starts_with("unit 2: group"), "{err}");
        assert!(single_group(&[0.0, 0.0], &[5.0, 6.0], &SingleOptions::default()).is_err());
        assert!(single_group(&X, &T, &SingleOptions { atkinson_b: 1.0 }).is_err());
    }

    #[test]
    fn isolation_and_exposure_add_to_one() {
        let s = single_group(&X, &T, &SingleOptions::default()).unwrap();
        assert!((s.isolation + s.exposure - 1.0).abs() < 1e-15);
    }
}

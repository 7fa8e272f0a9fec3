//! Ratio benchmarking: scale the model estimates of the areas so that their
//! population-weighted mean equals a reliable estimate for the parent area
//! (emdi's `benchmark(type = "ratio")`, Datta et al. 2011):
//! `θ̂ᴮ_d = θ̂_d · T / Σ_k s_k θ̂_k` with population shares `s_k = N_k / Σ N`.

use crate::error::{Result, SaeError};

/// The benchmarked estimates. `weights` are the areas' population sizes (or
/// shares; they are normalised), `target` the parent area's estimate.
///
/// ```
/// let b = urbis_sae::ratio_benchmark(&[0.2, 0.4], &[100.0, 300.0], 0.4).unwrap();
/// assert!((0.25 * b[0] + 0.75 * b[1] - 0.4).abs() < 1e-15);
/// ```
pub fn ratio_benchmark(estimates: &[f64], weights: &[f64], target: f64) -> Result<Vec<f64>> {
    if estimates.len() != weights.len() {
        return Err(SaeError::Shape(format!("{} estimates and {} weights", estimates.len(), weights.len())));
    }
    if let Some(row) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(SaeError::BadValue {
            row,
            column: "benchmark".into(),
            reason: format!("a benchmarking weight must be a non-negative number, not {}", weights[row]),
        });
    }
    if let Some(row) = estimates.iter().position(|e| !e.is_finite()) {
        return Err(SaeError::BadValue { row, column: "eblup".into(), reason: "no estimate to benchmark".into() });
    }
    if !target.is_finite() {
        return Err(SaeError::Undefined(format!("the benchmark total {target} is not a number")));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(SaeError::Undefined("the benchmarking weights add up to zero".into()));
    }
    let weighted: f64 = estimates.iter().zip(weights).map(|(e, w)| e * w / total).sum();
    if weighted == 0.0 {
        return Err(SaeError::Undefined(
            "the weighted mean of the estimates is zero: ratio benchmarking is undefined".into(),
        ));
    }
    let factor = target / weighted;
    Ok(estimates.iter().map(|e| e * factor).collect())
}

/// The default target: the weighted mean of the direct estimates over the
/// areas that have one (NaN elsewhere).
pub fn weighted_direct_mean(direct: &[f64], weights: &[f64]) -> f64 {
    let (mut s, mut w) = (0.0, 0.0);
    for (d, wt) in direct.iter().zip(weights) {
        if d.is_finite() {
            s += d * wt;
            w += wt;
        }
    }
    s / w
}

//! A design-based estimate with everything a statistician needs to judge it.

use serde::Serialize;

/// One estimated figure. Invariant: never built without its standard error and
/// degrees of freedom; the interval and CV follow from them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Coefficient of variation, se / |estimate| (NaN when the estimate is 0).
    pub cv: f64,
    /// Unweighted number of sample units that contribute.
    pub n: u64,
    /// Estimated population size of the domain (sum of weights).
    pub pop_size: f64,
    /// Degrees of freedom used for the interval.
    pub df: f64,
}

impl Estimate {
    /// A symmetric t interval: `estimate ± t(1 - (1 - level)/2, df) · se`.
    pub fn symmetric(estimate: f64, se: f64, level: f64, df: f64, n: u64, pop_size: f64) -> Self {
        let half = if se.is_finite() { crate::dist::qt(1.0 - (1.0 - level) / 2.0, df) * se } else { f64::NAN };
        Estimate {
            estimate,
            se,
            ci_low: estimate - half,
            ci_high: estimate + half,
            cv: coefficient_of_variation(estimate, se),
            n,
            pop_size,
            df,
        }
    }
}

pub fn coefficient_of_variation(estimate: f64, se: f64) -> f64 {
    if estimate == 0.0 {
        f64::NAN
    } else {
        se / estimate.abs()
    }
}

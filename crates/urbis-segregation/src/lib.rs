//! Residential segregation and concentration indices from population counts
//! per spatial unit (grid cell, district, any area), with the definitions of
//! PySAL `segregation` 2.5.4 (Cortes, Rey et al.), which follow Massey &
//! Denton (1988) for two groups and Reardon & Firebaugh (2002) for several.
//!
//! Two-group indices ([`single_group`]) compare one group with the rest of
//! each unit's total: dissimilarity, isolation, exposure, Theil's entropy H,
//! Gini and Atkinson. Multigroup indices ([`multi_group`]) take every group's
//! counts at once. Location quotients ([`location_quotients`]) are per unit.
//! [`bootstrap`] gives percentile intervals by resampling units and
//! [`person_permutation`] the indices' distribution without segregation.
//! Inputs are validated (finite, non-negative, group ≤ total, a group with
//! people in it): bad input is an error, never a panic.
//!
//! ```
//! use urbis_segregation::{single_group, SingleOptions};
//! let migrants = [10.0, 50.0, 5.0, 80.0, 0.0, 25.0];
//! let totals = [100.0, 100.0, 100.0, 100.0, 60.0, 100.0];
//! let s = single_group(&migrants, &totals, &SingleOptions::default()).unwrap();
//! assert!((s.dissimilarity - 0.5852187028657617).abs() < 1e-12);
//! ```

mod error;
mod gini;
mod inference;
mod local;
mod multi;
mod single;
mod sums;

pub use error::{Result, SegError};
pub use inference::{bootstrap, person_permutation, Interval, NullTest};
pub use local::location_quotients;
pub use multi::{multi_group, MultiIndices};
pub use single::{single_group, SingleIndices, SingleOptions};

/// Checks that every count is finite and non-negative; `what` names the
/// series in the error, whose `unit` is the position of the first bad value.
pub fn validate_counts(values: &[f64], what: &str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite() || *v < 0.0) {
        Some(unit) => Err(SegError::BadCount {
            unit,
            what: what.to_string(),
            reason: format!("{} is not a non-negative number", values[unit]),
        }),
        None => Ok(()),
    }
}

/// Checks that no group count `x` exceeds its unit's total `t` (same length).
pub fn validate_within(x: &[f64], t: &[f64]) -> Result<()> {
    match x.iter().zip(t).position(|(x, t)| x > t) {
        Some(unit) => Err(SegError::BadCount {
            unit,
            what: "group".into(),
            reason: format!("the group count {} exceeds the total {}", x[unit], t[unit]),
        }),
        None => Ok(()),
    }
}

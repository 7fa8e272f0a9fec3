//! Location quotients per unit: `LQ_i = (x_i / t_i) / (X / T)` (PySAL
//! `MultiLocationQuotient`); missing (NaN) for an empty unit.

use crate::{validate_counts, Result, SegError};

/// The location quotient of every unit for group counts `x` within totals `t`.
pub fn location_quotients(x: &[f64], t: &[f64]) -> Result<Vec<f64>> {
    if x.len() != t.len() {
        return Err(SegError::Shape(format!("{} group counts for {} unit totals", x.len(), t.len())));
    }
    validate_counts(x, "group")?;
    validate_counts(t, "total")?;
    let (big_x, big_t): (f64, f64) = (x.iter().sum(), t.iter().sum());
    if big_x <= 0.0 {
        return Err(SegError::Undefined("location quotients need a group with people in it".into()));
    }
    let share = big_x / big_t;
    Ok(x.iter().zip(t).map(|(&x, &t)| if t > 0.0 { x / t / share } else { f64::NAN }).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn population_weighted_mean_is_one() {
        let (x, t) = ([3.0, 0.0, 9.0, 0.0], [10.0, 5.0, 15.0, 0.0]);
        let lq = super::location_quotients(&x, &t).unwrap();
        assert!(lq[3].is_nan());
        let mean: f64 = lq[..3].iter().zip(&t).map(|(l, t)| l * t).sum::<f64>() / 30.0;
        assert!((mean - 1.0).abs() < 1e-15);
    }
}

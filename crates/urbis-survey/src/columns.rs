//! Access to numeric columns with an error at the first value that is not a number.

use urbis_core::{Column, MISSING_CODE};

use crate::error::{Result, SurveyError};

/// The numbers of a column, or an error naming the first non-numeric value.
pub(crate) fn numbers<'c>(name: &str, column: &'c Column) -> Result<&'c [f64]> {
    match column {
        Column::Number(v) => Ok(v),
        Column::Text(t) => {
            let is_number = |c: u32| t.levels[c as usize].trim().parse::<f64>().is_ok_and(f64::is_finite);
            let row = t.codes.iter().position(|&c| c != MISSING_CODE && !is_number(c)).unwrap_or(0);
            Err(SurveyError::BadValue { column: name.into(), row: row + 1, reason: "the value is not a number".into() })
        }
    }
}

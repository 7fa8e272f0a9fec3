//! The one error type of the small-area models.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum SaeError {
    /// A formula that cannot be read; `reason` says what is wrong.
    #[error("formula '{formula}': {reason}")]
    Formula { formula: String, reason: String },
    /// A value of the input that the model cannot use. `row` is 0-based.
    #[error("row {}, column '{column}': {reason}", row + 1)]
    BadValue { row: usize, column: String, reason: String },
    /// A column that the formula names but that was not given.
    #[error("column '{0}' not found")]
    MissingColumn(String),
    /// Inputs whose lengths differ, or that are empty.
    #[error("{0}")]
    Shape(String),
    /// A design matrix whose columns are linearly dependent among the rows
    /// that enter the fit.
    #[error("singular design: {0}")]
    Singular(String),
    /// The iteration for the variance of the random effects did not converge.
    #[error("the {method} iteration for the random-effect variance did not converge in {iterations} iterations (last relative change {change:.3e}); raise the iteration limit or check the model")]
    NoConvergence { method: &'static str, iterations: usize, change: f64 },
    /// A model that is not defined for the data (too few areas, ...).
    #[error("{0}")]
    Undefined(String),
}

pub type Result<T> = std::result::Result<T, SaeError>;

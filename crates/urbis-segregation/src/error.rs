//! The one error type of the indices.

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum SegError {
    /// A count that cannot be a population count (negative, missing, infinite,
    /// or a group larger than the unit's total). `unit` is 0-based.
    #[error("unit {}: {what}: {reason}", unit + 1)]
    BadCount { unit: usize, what: String, reason: String },
    /// Inputs whose lengths differ.
    #[error("{0}")]
    Shape(String),
    /// Counts for which the index is undefined (no population, a group that is
    /// absent or is everybody).
    #[error("{0}")]
    Undefined(String),
}

pub type Result<T> = std::result::Result<T, SegError>;

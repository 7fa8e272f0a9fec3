//! The one error type of the survey crate. Every variant names the column and
//! 1-based data row (or stratum) it is about, so callers can point at the input.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum SurveyError {
    #[error("column '{column}', row {row}: {reason}")]
    BadValue { column: String, row: usize, reason: String },
    #[error("column '{column}': {reason}")]
    BadColumn { column: String, reason: String },
    #[error("the weights of the {what} sum to zero")]
    ZeroTotalWeight { what: String },
    #[error(
        "stratum '{stratum}' has only one PSU; choose how to treat it with --lonely-psu remove|adjust|average|certainty"
    )]
    LonelyPsu { stratum: String },
    #[error("PSU '{psu}' of column '{column}' appears in strata '{first}' and '{second}'; if PSU ids repeat across strata, use --nest")]
    NotNested { column: String, psu: String, first: String, second: String },
    #[error("replicate weights: {0}")]
    Replicates(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, SurveyError>;

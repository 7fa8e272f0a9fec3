//! Errors of the readers, always naming the file and, where known, the row and column.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum IoError {
    #[error("{file}: {source}")]
    Open { file: String, source: std::io::Error },
    #[error("{file}: the file is empty (no header row)")]
    Empty { file: String },
    #[error("{file}: column '{column}' not found (columns are: {available})")]
    MissingColumn { file: String, column: String, available: String },
    #[error("{file}: row {row}, column '{column}': {reason}")]
    BadValue { file: String, row: usize, column: String, reason: String },
    #[error("{file}: row {row}: {reason}")]
    BadRow { file: String, row: usize, reason: String },
    #[error("{file}: not a readable Parquet file: {reason}")]
    Parquet { file: String, reason: String },
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
    /// An output table could not be rendered (`format` names it, e.g. `JSON-stat`).
    #[error("cannot render {format}: {reason}")]
    Render { format: &'static str, reason: String },
}

pub type Result<T> = std::result::Result<T, IoError>;

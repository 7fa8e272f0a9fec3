//! The one error type of the geography crate.

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum GeoError {
    /// A grid cell identifier that is not in an INSPIRE form.
    #[error("'{id}' is not an INSPIRE grid cell id ({reason})")]
    CellId { id: String, reason: String },
    /// A GeoJSON file that cannot be read as area boundaries.
    #[error("{file}: {reason}")]
    GeoJson { file: String, reason: String },
    /// A coarser grid that the cells do not nest in.
    #[error("{0}")]
    Scale(String),
}

pub type Result<T> = std::result::Result<T, GeoError>;

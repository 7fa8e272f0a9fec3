//! Reading urbis microdata: CSV (delimiter sniffed or given, quoted fields,
//! UTF-8 with or without BOM) and Parquet, into a [`urbis_core::Frame`] holding
//! only the columns asked for. Types are inferred (number or text) unless
//! overridden; missing values are explicit (empty, `NA`, or user codes).
//!
//! ```no_run
//! use urbis_io::{read_table, ReadOptions};
//! let options = ReadOptions { columns: vec!["income".into(), "weight".into()], ..Default::default() };
//! let frame = read_table(std::path::Path::new("survey.csv"), &options).unwrap();
//! assert_eq!(frame.names(), ["income", "weight"]);
//! ```

mod csv_reader;
mod error;
mod parquet_reader;
pub mod tables;
mod text;

use std::collections::HashMap;
use std::path::Path;

pub use error::{IoError, Result};
use urbis_core::Frame;

/// How a column's values are to be typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnType {
    /// A number column when every non-missing value is a number, text otherwise.
    #[default]
    Auto,
    Number,
    Text,
}

/// What to read and how.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The columns to read, in this order; all columns when empty.
    pub columns: Vec<String>,
    /// CSV field delimiter; sniffed from the header line when `None`.
    pub delimiter: Option<u8>,
    /// Type overrides by column name.
    pub types: HashMap<String, ColumnType>,
    /// Values that mean "missing" (compared after trimming spaces).
    pub missing: Vec<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            columns: Vec::new(),
            delimiter: None,
            types: HashMap::new(),
            missing: vec![String::new(), "NA".into()],
        }
    }
}

impl ReadOptions {
    fn type_of(&self, column: &str) -> ColumnType {
        self.types.get(column).copied().unwrap_or_default()
    }

    fn is_missing(&self, value: &str) -> bool {
        let v = value.trim();
        self.missing.iter().any(|m| m == v)
    }
}

/// Reads a CSV or Parquet file (chosen by the extension `.parquet`/`.pq`,
/// or by the Parquet magic bytes).
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Frame> {
    if is_parquet(path) {
        parquet_reader::read(path, options)
    } else {
        csv_reader::read(path, options)
    }
}

fn is_parquet(path: &Path) -> bool {
    let by_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"));
    if by_name {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic)).is_ok()
        && &magic == b"PAR1"
}

/// The column names of a CSV or Parquet file, without reading its rows.
pub fn column_names(path: &Path, delimiter: Option<u8>) -> Result<Vec<String>> {
    if is_parquet(path) {
        parquet_reader::column_names(path)
    } else {
        csv_reader::column_names(path, delimiter)
    }
}

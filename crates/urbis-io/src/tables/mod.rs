//! Renderers of the tidy indicator table (`&[IndicatorRow]`) into the published
//! formats. Each renders completely in memory and returns the bytes; the caller
//! writes them (to a temporary file that is then renamed), so a failed render
//! never leaves a partial file behind.
//!
//! - [`csv`]: the tidy table `indicators.csv` (lossless), and [`csv::parse`] to read it back;
//! - [`parquet`]: the same columns, typed, Snappy-compressed (lossless up to NaN ↔ null);
//! - [`jsonstat`]: a JSON-stat 2.0 dataset, the cube indicator × geo_level × geo × time ×
//!   breakdown × group × measure × unit;
//! - [`sdmx`]: SDMX-CSV 2.0, one row per observation.
//!
//! Disclosure control in the dissemination formats (JSON-stat, SDMX-CSV): a
//! figure is published only when its estimate is finite and its `conf_status`
//! is `F` (or empty). Otherwise the value is left out (JSON `null`, empty
//! `OBS_VALUE`, never 0), and so are its standard error and interval, which
//! would reveal it; the flag, confidentiality status, n, method and definition
//! are kept. The tidy CSV and Parquet tables are internal and carry every field as is.
//!
//! ```
//! use urbis_core::{IndicatorRow, Measure};
//! use urbis_io::tables;
//!
//! let row = IndicatorRow {
//!     indicator: "emp_rate".into(), geo: "AT13".into(), geo_level: "nuts2".into(),
//!     time: "2023".into(), breakdown: "c_birth".into(), group: "FOR".into(),
//!     measure: Measure::Value, unit: "PC".into(), estimate: 61.5, se: 1.25,
//!     ci_low: 59.05, ci_high: 63.95, n: Some(812), flag: String::new(), conf_status: "F".into(),
//!     method: "direct".into(), definition: "c_birth_v1".into(), significant: None,
//! };
//! let bytes = tables::csv::render(std::slice::from_ref(&row)).unwrap();
//! assert_eq!(tables::csv::parse(&bytes).unwrap(), vec![row]);
//! ```

pub mod csv;
pub mod jsonstat;
pub mod parquet;
pub mod sdmx;

use urbis_core::IndicatorRow;

use crate::error::IoError;

/// The columns of the tidy indicator table, in order (CSV header and Parquet schema).
pub const COLUMNS: [&str; 18] = [
    "indicator",
    "geo",
    "geo_level",
    "time",
    "breakdown",
    "group",
    "measure",
    "unit",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "n",
    "flag",
    "conf_status",
    "method",
    "definition",
    "significant",
];

/// A number in shortest round-trip form; NaN (missing) as the empty string.
pub(crate) fn number(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// A count as text; `None` (confidential) as the empty string.
pub(crate) fn count(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// Whether a figure may be disseminated: a finite estimate whose confidentiality
/// status is `F` (free) or not given.
pub(crate) fn is_published(row: &IndicatorRow) -> bool {
    let status = row.conf_status.trim();
    row.estimate.is_finite() && (status.is_empty() || status.eq_ignore_ascii_case("F"))
}

/// Whether the confidentiality status is `C` (confidential) or `D` (secondary confidential).
pub(crate) fn is_confidential(conf_status: &str) -> bool {
    let status = conf_status.trim();
    status.eq_ignore_ascii_case("C") || status.eq_ignore_ascii_case("D")
}

pub(crate) fn render_error(format: &'static str, reason: impl std::fmt::Display) -> IoError {
    IoError::Render { format, reason: reason.to_string() }
}

/// The dimension fields of a row, in the order the tabular formats write them.
pub(crate) fn dimensions(r: &IndicatorRow) -> [&str; 8] {
    [&r.indicator, &r.geo, &r.geo_level, &r.time, &r.breakdown, &r.group, r.measure.code(), &r.unit]
}

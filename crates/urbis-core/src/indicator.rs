//! One published figure of an indicator: the tidy row every output format carries.

use serde::{Deserialize, Serialize};

/// What a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The indicator's value for the group.
    Value,
    /// Difference to the reference group (`NAT`), in the indicator's unit
    /// (percentage points for rates).
    GapDifference,
    /// Ratio to the reference group (`NAT`).
    GapRatio,
}

impl Measure {
    pub fn code(self) -> &'static str {
        match self {
            Measure::Value => "value",
            Measure::GapDifference => "gap_diff",
            Measure::GapRatio => "gap_ratio",
        }
    }

    /// The measure of a code written by [`Measure::code`].
    pub fn parse(code: &str) -> Option<Measure> {
        [Measure::Value, Measure::GapDifference, Measure::GapRatio].into_iter().find(|m| m.code() == code)
    }
}

/// One row of the indicator table (`indicators.csv`).
///
/// Invariant: a suppressed or unpublishable figure has `estimate` NaN (never 0)
/// and a `conf_status` other than `F`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRow {
    /// Indicator id from the catalogue (`emp_rate`, `arop`, …).
    pub indicator: String,
    /// Area code (NUTS 2024, LAU, district or degree of urbanisation).
    pub geo: String,
    /// Name of the area level (`country`, `nuts2`, `city`, `district`, `degurba`, …).
    pub geo_level: String,
    /// Reference period (`2023`, or `2021-2023` for pooled years).
    pub time: String,
    /// Concept the group belongs to: `c_birth`, `citizen`, `generation`, `residence`.
    pub breakdown: String,
    /// Eurostat group code (`NAT`, `FOR`, `EU27_2020_FOR`, `NEU27_2020_FOR`, `TOTAL`, …).
    pub group: String,
    pub measure: Measure,
    /// Unit: `PC` (percent), `PP` (percentage points), `EUR`, `RT` (ratio).
    pub unit: String,
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Unweighted number of respondents (or, for registers, persons) behind
    /// the figure; `None` where it is confidential.
    pub n: Option<u64>,
    /// Eurostat observation flag (`u` low reliability, `d` definition differs, empty otherwise).
    pub flag: String,
    /// SDMX confidentiality status: `F` free, `C` confidential, `D` secondary, `N` not for publication.
    pub conf_status: String,
    /// `direct`, `pooled`, `fh` or `register`.
    pub method: String,
    /// Stable id of the concept definition behind the breakdown.
    pub definition: String,
    /// For gaps: whether the difference is significant at the run's level.
    pub significant: Option<bool>,
}

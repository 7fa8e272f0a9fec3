//! The indicator table as an SDMX-CSV 2.0 data message (one row per observation).
//!
//! Columns ([`HEADER`]): `STRUCTURE` (always `dataflow`), `STRUCTURE_ID` (the
//! dataflow as `AGENCY:ID(VERSION)`, e.g. `URBIS:MIGR_INTEGRATION(1.0)`, or
//! `AGENCY:ID` for a non-versioned one), `ACTION` (always `I`, information);
//! the dimensions `INDICATOR`, `GEO`, `GEO_LEVEL`, `TIME_PERIOD`, `BREAKDOWN`,
//! `GROUP`, `MEASURE`, `UNIT_MEASURE`; the measure `OBS_VALUE`; the attributes
//! `OBS_FLAG`, `CONF_STATUS`, `SE`, `CI_LOW`, `CI_HIGH`, `N_OBS`, `METHOD`,
//! `DEFINITION`, `SIGNIFICANT` (gaps: `true`/`false` at the run's confidence
//! level, empty otherwise or when not published). Codes are written as in the tidy table (`MEASURE` as
//! `value`, `gap_diff`, `gap_ratio`), numbers in shortest round-trip form
//! with `.` as decimal separator. Comma-separated, CRLF line ends (RFC 4180).
//! `TIME_PERIOD` is the year, or for pooled years (`time` `2021-2023`) the
//! SDMX time range `2021-01-01/P3Y` ([`time_period`]).
//!
//! A figure that is not published (NaN estimate, or `conf_status` other than
//! `F`, e.g. `C`, `D`, `N`) has an empty `OBS_VALUE` — never 0 — and empty
//! `SE`, `CI_LOW` and `CI_HIGH`; its `OBS_FLAG` and `CONF_STATUS` say why.

use urbis_core::IndicatorRow;

use super::{count, is_published, number, render_error};
use crate::error::Result;

/// The header row of the message.
pub const HEADER: [&str; 21] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "INDICATOR",
    "GEO",
    "GEO_LEVEL",
    "TIME_PERIOD",
    "BREAKDOWN",
    "GROUP",
    "MEASURE",
    "UNIT_MEASURE",
    "OBS_VALUE",
    "OBS_FLAG",
    "CONF_STATUS",
    "SE",
    "CI_LOW",
    "CI_HIGH",
    "N_OBS",
    "METHOD",
    "DEFINITION",
    "SIGNIFICANT",
];

const FORMAT: &str = "SDMX-CSV";

/// Renders the rows as SDMX-CSV 2.0 for the dataflow `dataflow`
/// (`AGENCY:ID(VERSION)` or `AGENCY:ID`).
pub fn render(rows: &[IndicatorRow], dataflow: &str) -> Result<Vec<u8>> {
    check_dataflow(dataflow)?;
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(HEADER).map_err(|e| render_error(FORMAT, e))?;
    for r in rows {
        let published = is_published(r);
        let shown = |x: f64| if published && x.is_finite() { number(x) } else { String::new() };
        let numbers = [shown(r.estimate), shown(r.se), shown(r.ci_low), shown(r.ci_high), count(r.n)];
        let mut record: Vec<&str> = vec!["dataflow", dataflow, "I"];
        let mut dimensions = super::dimensions(r);
        let period = time_period(&r.time);
        dimensions[3] = &period;
        record.extend(dimensions);
        record.extend([
            numbers[0].as_str(),
            &r.flag,
            &r.conf_status,
            &numbers[1],
            &numbers[2],
            &numbers[3],
            &numbers[4],
            &r.method,
            &r.definition,
            match r.significant.filter(|_| published) {
                Some(true) => "true",
                Some(false) => "false",
                None => "",
            },
        ]);
        w.write_record(record).map_err(|e| render_error(FORMAT, e))?;
    }
    w.into_inner().map_err(|e| render_error(FORMAT, e))
}

/// The SDMX `TIME_PERIOD` of a `time`: a year as is; a span of pooled years
/// (`2021-2023`) as an SDMX time range, its first day and duration
/// (`2021-01-01/P3Y`).
pub fn time_period(time: &str) -> std::borrow::Cow<'_, str> {
    let year =
        |s: &str| (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten();
    if let Some((Some(first), Some(last))) = time.split_once('-').map(|(a, b)| (year(a), year(b))) {
        if last > first {
            return format!("{first:04}-01-01/P{}Y", last - first + 1).into();
        }
    }
    time.into()
}

/// Checks the form `AGENCY:ID(VERSION)` or `AGENCY:ID`: agency letters, digits,
/// `_`, `-`, `@`, `$` and `.`; id the same without `.`; version letters, digits, `.`, `+`, `-`.
fn check_dataflow(dataflow: &str) -> Result<()> {
    let bad = |why: &str| {
        render_error(
            FORMAT,
            format!("dataflow '{dataflow}' {why}; expected AGENCY:ID(VERSION), e.g. URBIS:MIGR_INTEGRATION(1.0)"),
        )
    };
    let id_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '$');
    let (agency, rest) = dataflow.split_once(':').ok_or_else(|| bad("has no agency"))?;
    if agency.is_empty() || !agency.chars().all(|c| id_char(c) || c == '.') {
        return Err(bad("has an invalid agency"));
    }
    let (id, version) = match rest.split_once('(') {
        Some((id, v)) => (id, Some(v.strip_suffix(')').ok_or_else(|| bad("does not end with ')'"))?)),
        None => (rest, None),
    };
    if id.is_empty() || !id.chars().all(id_char) {
        return Err(bad("has an invalid id"));
    }
    if let Some(v) = version {
        if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-')) {
            return Err(bad("has an invalid version"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_years_are_time_ranges() {
        assert_eq!(time_period("2023"), "2023");
        assert_eq!(time_period("2021-2023"), "2021-01-01/P3Y");
        assert_eq!(time_period("2022-2023"), "2022-01-01/P2Y");
        for as_is in ["2023-Q1", "2023-2021", "2023-2023", "21-23", "2021-01-01/P3Y"] {
            assert_eq!(time_period(as_is), as_is);
        }
    }

    #[test]
    fn dataflow_forms() {
        for ok in ["URBIS:MIGR_INTEGRATION(1.0)", "ESTAT:NA_MAIN(1.6.0)", "IMF.STA:DF_X", "A:B(1.0.0-draft)"] {
            assert!(check_dataflow(ok).is_ok(), "{ok}");
        }
        for bad in ["", "MIGR", ":X(1.0)", "A:", "A:B(1.0", "A:B()", "A:B,C(1.0)", "A:B(1.0)x", "A B:C"] {
            let err = check_dataflow(bad).unwrap_err().to_string();
            assert!(err.contains("expected AGENCY:ID(VERSION)"), "{bad}: {err}");
        }
    }
}

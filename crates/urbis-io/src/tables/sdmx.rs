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
//!
//! [`parse_named`] reads such a message back into indicator rows (columns by
//! name, in any order; `STRUCTURE`, `STRUCTURE_ID` and `ACTION` are not
//! needed); numbers come back bit for bit.

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

/// The `time` of an SDMX `TIME_PERIOD`: the inverse of [`time_period`]
/// (`2021-01-01/P3Y` is `2021-2023`); anything else as is.
pub fn time_of_period(period: &str) -> String {
    let parsed = period.strip_suffix('Y').and_then(|p| p.split_once("-01-01/P")).and_then(|(first, years)| {
        let first: u32 = first.parse().ok().filter(|_| first.len() == 4)?;
        let years: u32 = years.parse().ok().filter(|&y| y >= 2)?;
        Some(format!("{first:04}-{:04}", first + years - 1))
    });
    parsed.unwrap_or_else(|| period.to_string())
}

/// The columns of the message that carry the fields of an indicator row,
/// in the order of the tidy table's columns.
const ROW_COLUMNS: [&str; 18] = [
    "INDICATOR",
    "GEO",
    "GEO_LEVEL",
    "TIME_PERIOD",
    "BREAKDOWN",
    "GROUP",
    "MEASURE",
    "UNIT_MEASURE",
    "OBS_VALUE",
    "SE",
    "CI_LOW",
    "CI_HIGH",
    "N_OBS",
    "OBS_FLAG",
    "CONF_STATUS",
    "METHOD",
    "DEFINITION",
    "SIGNIFICANT",
];

/// Reads an SDMX-CSV message written by [`render`]; errors name `file`, the
/// row (data rows count from 1), the column and the reason.
pub fn parse_named(bytes: &[u8], file: &str) -> Result<Vec<IndicatorRow>> {
    let mut rows = super::csv::parse_columns(bytes, file, &ROW_COLUMNS)?;
    for r in &mut rows {
        r.time = time_of_period(&r.time);
    }
    Ok(rows)
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
    use urbis_core::Measure;

    #[test]
    fn a_message_reads_back_bit_for_bit_without_unpublished_values() {
        let published = IndicatorRow {
            indicator: "emp_rate".into(),
            geo: "AT13".into(),
            geo_level: "nuts2".into(),
            time: "2023".into(),
            breakdown: "c_birth".into(),
            group: "FOR".into(),
            measure: Measure::GapDifference,
            unit: "PP".into(),
            estimate: 0.1 + 0.2,
            se: 1.0 / 3.0,
            ci_low: -1e-300,
            ci_high: 123456789.0 / 7.0,
            n: Some(812),
            flag: "u".into(),
            conf_status: "F".into(),
            method: "direct".into(),
            definition: "c_birth, \"ISO\"".into(),
            significant: Some(false),
        };
        let mut confidential = published.clone();
        (confidential.conf_status, confidential.geo, confidential.n) = ("C".into(), "AT34".into(), None);
        let mut pooled = published.clone();
        (pooled.time, pooled.method, pooled.geo) = ("2021-2023".into(), "pooled".into(), "AT35".into());
        let bytes = render(&[published.clone(), confidential.clone(), pooled.clone()], "URBIS:X(1.0)").unwrap();
        let back = parse_named(&bytes, "b.sdmx.csv").unwrap();
        assert_eq!(back[0], published);
        assert_eq!(back[2], pooled, "a pooled span reads back as it was written");
        for x in [back[0].estimate, back[0].se, back[0].ci_low, back[0].ci_high] {
            assert!([published.estimate, published.se, published.ci_low, published.ci_high]
                .iter()
                .any(|p| p.to_bits() == x.to_bits()));
        }
        assert!(back[1].estimate.is_nan() && back[1].se.is_nan() && back[1].significant.is_none());
        assert_eq!((back[1].conf_status.as_str(), back[1].n), ("C", None));
        let err = parse_named(b"INDICATOR,GEO\r\nx,y\r\n", "b.sdmx.csv").unwrap_err().to_string();
        assert!(err.contains("b.sdmx.csv") && err.contains("GEO_LEVEL"), "{err}");
        let text = String::from_utf8(bytes).unwrap().replace(",812,", ",eight,");
        let err = parse_named(text.as_bytes(), "b.sdmx.csv").unwrap_err().to_string();
        assert!(err.contains("row 1, column 'N_OBS'"), "{err}");
    }

    #[test]
    fn pooled_years_are_time_ranges() {
        assert_eq!(time_period("2023"), "2023");
        assert_eq!(time_period("2021-2023"), "2021-01-01/P3Y");
        assert_eq!(time_period("2022-2023"), "2022-01-01/P2Y");
        assert_eq!(time_of_period(&time_period("2021-2023")), "2021-2023");
        assert_eq!(time_of_period("2023"), "2023");
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

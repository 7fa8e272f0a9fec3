//! The tidy indicator table as CSV (`indicators.csv`), and its reader.
//!
//! One row per [`IndicatorRow`], columns as in [`COLUMNS`],
//! comma-separated, quoted where needed, UTF-8, `\n` line ends. Numbers are
//! written in shortest round-trip form (`format!("{x}")`), so reading them back
//! gives the same `f64` bit for bit; NaN (missing or suppressed) is the empty
//! field; `measure` is its code (`value`, `gap_diff`, `gap_ratio`) and
//! `significant` is `true`, `false` or empty.
//!
//! [`parse`] reads such a table back (columns found by name, in any order;
//! extra columns ignored; a UTF-8 BOM allowed). Errors name the row (data rows
//! count from 1), the column and the reason.

use std::collections::HashMap;

use urbis_core::{IndicatorRow, Measure};

use super::{count, number, render_error, COLUMNS};
use crate::error::{IoError, Result};

/// The name used in errors by [`parse`].
const DEFAULT_NAME: &str = "indicator table";

/// Renders the tidy indicator table as CSV bytes, header first.
pub fn render(rows: &[IndicatorRow]) -> Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(|e| render_error("CSV", e))?;
    for r in rows {
        let numbers = [number(r.estimate), number(r.se), number(r.ci_low), number(r.ci_high), count(r.n)];
        let significant = match r.significant {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        };
        let mut record: Vec<&str> = super::dimensions(r).to_vec();
        record.extend([
            numbers[0].as_str(),
            &numbers[1],
            &numbers[2],
            &numbers[3],
            &numbers[4],
            &r.flag,
            &r.conf_status,
            &r.method,
            &r.definition,
            significant,
        ]);
        w.write_record(record).map_err(|e| render_error("CSV", e))?;
    }
    w.into_inner().map_err(|e| render_error("CSV", e))
}

/// Reads a tidy indicator table rendered by [`render`]; errors name it "indicator table".
pub fn parse(bytes: &[u8]) -> Result<Vec<IndicatorRow>> {
    parse_named(bytes, DEFAULT_NAME)
}

/// As [`parse`], naming the table `file` in errors (e.g. the path it was read from).
pub fn parse_named(bytes: &[u8], file: &str) -> Result<Vec<IndicatorRow>> {
    parse_columns(bytes, file, &COLUMNS)
}

/// Reads a table of indicator rows whose columns are named `names` (in the
/// order of [`COLUMNS`]): the tidy table, or SDMX-CSV with its own names.
pub(crate) fn parse_columns(bytes: &[u8], file: &str, names: &[&'static str; 18]) -> Result<Vec<IndicatorRow>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header = reader.headers().map_err(|e| csv_error(file, e))?.clone();
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(IoError::Empty { file: file.into() });
    }
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    let mut seen = HashMap::new();
    for (i, name) in found.iter().enumerate() {
        if seen.insert(*name, i).is_some() && names.contains(name) {
            return Err(IoError::Invalid { file: file.into(), reason: format!("column '{name}' appears twice") });
        }
    }
    let mut index = [0usize; 18];
    for (slot, column) in index.iter_mut().zip(names) {
        *slot = *seen.get(column).ok_or_else(|| IoError::MissingColumn {
            file: file.into(),
            column: (*column).into(),
            available: found.join(", "),
        })?;
    }
    let mut rows = Vec::new();
    let mut record = ::csv::StringRecord::new();
    let mut row = 0usize;
    while reader.read_record(&mut record).map_err(|e| csv_error(file, e))? {
        row += 1;
        let field = |c: usize| Field { file, row, column: names[c], value: record.get(index[c]).unwrap_or_default() };
        rows.push(IndicatorRow {
            indicator: field(0).text(),
            geo: field(1).text(),
            geo_level: field(2).text(),
            time: field(3).text(),
            breakdown: field(4).text(),
            group: field(5).text(),
            measure: field(6).measure()?,
            unit: field(7).text(),
            estimate: field(8).number()?,
            se: field(9).number()?,
            ci_low: field(10).number()?,
            ci_high: field(11).number()?,
            n: field(12).count()?,
            flag: field(13).text(),
            conf_status: field(14).text(),
            method: field(15).text(),
            definition: field(16).text(),
            significant: field(17).boolean()?,
        });
    }
    Ok(rows)
}

/// One field of one row, with what is needed to report it.
struct Field<'a> {
    file: &'a str,
    row: usize,
    column: &'static str,
    value: &'a str,
}

impl Field<'_> {
    fn error(&self, reason: String) -> IoError {
        IoError::BadValue { file: self.file.into(), row: self.row, column: self.column.into(), reason }
    }

    fn text(&self) -> String {
        self.value.to_string()
    }

    /// A number; empty, `NA` or `NaN` is missing (NaN).
    fn number(&self) -> Result<f64> {
        let v = self.value.trim();
        if v.is_empty() || v == "NA" || v.eq_ignore_ascii_case("nan") {
            return Ok(f64::NAN);
        }
        v.parse::<f64>().map_err(|_| self.error(format!("'{}' is not a number", self.value)))
    }

    /// A count; empty where it is confidential.
    fn count(&self) -> Result<Option<u64>> {
        let v = self.value.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u64>()
            .map(Some)
            .map_err(|_| self.error(format!("'{}' is not a count (a whole number, 0 or more)", self.value)))
    }

    fn measure(&self) -> Result<Measure> {
        let v = self.value.trim();
        [Measure::Value, Measure::GapDifference, Measure::GapRatio]
            .into_iter()
            .find(|m| m.code() == v)
            .ok_or_else(|| self.error(format!("'{}' is not a measure (value, gap_diff or gap_ratio)", self.value)))
    }

    fn boolean(&self) -> Result<Option<bool>> {
        let v = self.value.trim();
        if v.is_empty() || v == "NA" {
            Ok(None)
        } else if v.eq_ignore_ascii_case("true") {
            Ok(Some(true))
        } else if v.eq_ignore_ascii_case("false") {
            Ok(Some(false))
        } else {
            Err(self.error(format!("'{}' is not true, false or empty", self.value)))
        }
    }
}

fn csv_error(file: &str, e: ::csv::Error) -> IoError {
    let row = e.position().map(|p| p.record() as usize).unwrap_or(0);
    let reason = match e.kind() {
        ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields where the header has {expected_len}")
        }
        ::csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".into(),
        ::csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    };
    IoError::BadRow { file: file.into(), row, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "indicator,geo,geo_level,time,breakdown,group,measure,unit,estimate,se,ci_low,ci_high,n,flag,conf_status,method,definition,significant\n";

    #[test]
    fn header_is_the_documented_one() {
        let bytes = render(&[]).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), HEADER);
    }

    #[test]
    fn errors_name_row_column_and_reason() {
        let text = format!(
            "{HEADER}a,b,c,2023,d,e,value,PC,1.5,,,,10,,F,direct,x,\na,b,c,2023,d,e,value,PC,1.5,,,,ten,,F,direct,x,\n"
        );
        let err = parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("row 2, column 'n': 'ten' is not a count"), "{err}");
        let text = format!("{HEADER}a,b,c,2023,d,e,level,PC,1.5,,,,10,,F,direct,x,\n");
        let err = parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("row 1, column 'measure': 'level' is not a measure"), "{err}");
        let text = format!("{HEADER}a,b,c,2023,d,e,value,PC,x1.5,,,,10,,F,direct,x,\n");
        let err = parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("row 1, column 'estimate': 'x1.5' is not a number"), "{err}");
        let text = format!("{HEADER}a,b,c,2023,d,e,value,PC,1.5,,,,10,,F,direct,x,maybe\n");
        let err = parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("row 1, column 'significant'"), "{err}");
    }

    #[test]
    fn ragged_rows_missing_columns_and_empty_input() {
        let text = format!("{HEADER}a,b,c\n");
        let err = parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("row 1") && err.contains("has 3 fields"), "{err}");
        let err = parse(b"indicator,geo\n").unwrap_err().to_string();
        assert!(err.contains("column 'geo_level' not found"), "{err}");
        assert!(matches!(parse(b""), Err(IoError::Empty { .. })));
    }

    #[test]
    fn columns_in_any_order_with_bom_and_extras() {
        let text = "\u{feff}extra,significant,definition,method,conf_status,flag,n,ci_high,ci_low,se,estimate,unit,measure,group,breakdown,time,geo_level,geo,indicator\n\
                    z,TRUE,def,direct,F,u,7,2,1,0.5,1.5,PC,gap_diff,FOR,c_birth,2023,city,AT130,arop\n";
        let rows = parse_named(text.as_bytes(), "bundle/indicators.csv").unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.indicator.as_str(), r.geo.as_str(), r.measure), ("arop", "AT130", Measure::GapDifference));
        assert_eq!((r.estimate, r.se, r.n, r.significant), (1.5, 0.5, Some(7), Some(true)));
    }
}

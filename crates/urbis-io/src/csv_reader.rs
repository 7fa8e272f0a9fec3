//! CSV input: one streaming pass per typing attempt, only selected columns kept.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use urbis_core::{Column, Frame};

use crate::error::{IoError, Result};
use crate::text::{parse_number, TextBuilder};
use crate::{ColumnType, ReadOptions};

enum Builder {
    Number(Vec<f64>),
    Text(TextBuilder),
}

/// Outcome of one pass: a frame, or a column found not to be numeric.
enum Pass {
    Done(Frame),
    Retype(usize),
}

pub(crate) fn read(path: &Path, options: &ReadOptions) -> Result<Frame> {
    let file = path.display().to_string();
    let delimiter = match options.delimiter {
        Some(d) => d,
        None => sniff_delimiter(path, &file)?,
    };
    let mut text_columns: Vec<bool> = Vec::new();
    loop {
        match pass(path, &file, delimiter, options, &mut text_columns)? {
            Pass::Done(frame) => return Ok(frame),
            Pass::Retype(c) => text_columns[c] = true,
        }
    }
}

fn open(path: &Path, file: &str) -> Result<File> {
    File::open(path).map_err(|source| IoError::Open { file: file.into(), source })
}

/// The most frequent of `,` `;` tab `|` outside quotes on the header line.
fn sniff_delimiter(path: &Path, file: &str) -> Result<u8> {
    let mut line = Vec::new();
    BufReader::new(open(path, file)?)
        .read_until(b'\n', &mut line)
        .map_err(|source| IoError::Open { file: file.into(), source })?;
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in &line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(k) = candidates.iter().position(|&c| c == b) {
                counts[k] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|&k| (counts[k], usize::MAX - k)).expect("four candidates");
    Ok(if counts[best] == 0 { b',' } else { candidates[best] })
}

fn pass(path: &Path, file: &str, delimiter: u8, options: &ReadOptions, text_columns: &mut Vec<bool>) -> Result<Pass> {
    let reader: Box<dyn Read> = Box::new(BufReader::with_capacity(1 << 20, open(path, file)?));
    let mut csv = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).from_reader(reader);
    let header = csv.byte_headers().map_err(|e| csv_error(file, e))?.clone();
    if header.is_empty() {
        return Err(IoError::Empty { file: file.into() });
    }
    let names: Vec<String> = header.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    let wanted: Vec<String> = if options.columns.is_empty() { names.clone() } else { options.columns.clone() };
    let mut index = Vec::with_capacity(wanted.len());
    for w in &wanted {
        match names.iter().position(|n| n == w) {
            Some(i) => index.push(i),
            None => {
                return Err(IoError::MissingColumn {
                    file: file.into(),
                    column: w.clone(),
                    available: names.join(", "),
                })
            }
        }
    }
    if text_columns.is_empty() {
        *text_columns = wanted.iter().map(|w| options.type_of(w) == ColumnType::Text).collect();
    }
    let mut builders: Vec<Builder> = text_columns
        .iter()
        .map(|&t| if t { Builder::Text(TextBuilder::default()) } else { Builder::Number(Vec::new()) })
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut row = 0usize;
    while csv.read_byte_record(&mut record).map_err(|e| csv_error(file, e))? {
        row += 1;
        for (c, &field) in index.iter().enumerate() {
            let raw = record.get(field).unwrap_or_default();
            let value = std::str::from_utf8(raw).map_err(|_| IoError::BadValue {
                file: file.into(),
                row,
                column: wanted[c].clone(),
                reason: "the value is not valid UTF-8".into(),
            })?;
            let missing = options.is_missing(value);
            match &mut builders[c] {
                Builder::Text(t) => t.push((!missing).then_some(value)),
                Builder::Number(v) => {
                    if missing {
                        v.push(f64::NAN);
                    } else if let Some(x) = parse_number(value) {
                        v.push(x);
                    } else if options.type_of(&wanted[c]) == ColumnType::Number {
                        return Err(IoError::BadValue {
                            file: file.into(),
                            row,
                            column: wanted[c].clone(),
                            reason: "the value is not a number".into(),
                        });
                    } else {
                        return Ok(Pass::Retype(c));
                    }
                }
            }
        }
    }
    let mut frame = Frame::new(file, row);
    for (name, b) in wanted.into_iter().zip(builders) {
        let column = match b {
            Builder::Number(v) => Column::Number(v),
            Builder::Text(t) => t.finish(),
        };
        frame.push(name, column);
    }
    Ok(Pass::Done(frame))
}

fn csv_error(file: &str, e: csv::Error) -> IoError {
    let row = e.position().map(|p| p.record() as usize).unwrap_or(0);
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".into(),
        _ => e.to_string(),
    };
    IoError::BadRow { file: file.into(), row, reason }
}

pub(crate) fn column_names(path: &Path, delimiter: Option<u8>) -> Result<Vec<String>> {
    let file = path.display().to_string();
    let delimiter = match delimiter {
        Some(d) => d,
        None => sniff_delimiter(path, &file)?,
    };
    let mut csv = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(open(path, &file)?);
    let header = csv.byte_headers().map_err(|e| csv_error(&file, e))?;
    if header.is_empty() {
        return Err(IoError::Empty { file });
    }
    Ok(header.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(content).unwrap();
        f
    }

    #[test]
    fn sniffs_semicolons_and_strips_bom() {
        let f = write("\u{feff}a;b;\"c;d\"\n1;x;2\nNA;y;\n".as_bytes());
        let frame = read(f.path(), &ReadOptions::default()).unwrap();
        assert_eq!(frame.names(), ["a", "b", "c;d"]);
        assert_eq!(frame.n_rows(), 2);
        let Column::Number(a) = frame.column("a").unwrap() else { panic!("a is numeric") };
        assert_eq!(a[0], 1.0);
        assert!(a[1].is_nan());
        assert!(matches!(frame.column("b"), Some(Column::Text(_))));
    }

    #[test]
    fn a_late_text_value_makes_the_column_text() {
        let f = write(b"a\n1\n007\nx\n");
        let frame = read(f.path(), &ReadOptions::default()).unwrap();
        let Some(Column::Text(t)) = frame.column("a") else { panic!("a is text") };
        assert_eq!(t.get(1), Some("007"));
    }

    #[test]
    fn forced_number_reports_row_and_column() {
        let f = write(b"a,b\n1,2\n3,zz\n");
        let mut options = ReadOptions { columns: vec!["b".into()], ..Default::default() };
        options.types.insert("b".into(), ColumnType::Number);
        let err = read(f.path(), &options).unwrap_err().to_string();
        assert!(err.contains("row 2, column 'b': the value is not a number"), "{err}");
    }

    #[test]
    fn ragged_rows_are_reported() {
        let f = write(b"a,b\n1,2\n3\n");
        let err = read(f.path(), &ReadOptions::default()).unwrap_err().to_string();
        assert!(err.contains("row 2"), "{err}");
    }

    #[test]
    fn user_missing_codes() {
        let f = write(b"a\n1\n-9\n");
        let options = ReadOptions { missing: vec!["-9".into()], ..Default::default() };
        let frame = read(f.path(), &options).unwrap();
        let Column::Number(a) = frame.column("a").unwrap() else { panic!() };
        assert!(a[1].is_nan());
    }
}

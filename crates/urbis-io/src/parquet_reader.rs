//! Parquet input through the Arrow reader, projecting only the selected columns.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use urbis_core::{Column, Frame};

use crate::error::{IoError, Result};
use crate::text::{parse_number, TextBuilder};
use crate::{ColumnType, ReadOptions};

/// Rows read by one thread, and its columns (by position in the request).
type ShareRead = (usize, Vec<(usize, Builder)>);

enum Builder {
    Number(Vec<f64>),
    Text(TextBuilder),
}

/// Every column chunk must lie inside the file: the decoder asserts it
/// (a panic) rather than returning an error, so damaged files are refused here.
fn check_chunks(metadata: &parquet::file::metadata::ParquetMetaData, file_len: u64) -> std::result::Result<(), String> {
    for group in metadata.row_groups() {
        for column in group.columns() {
            let start = column.dictionary_page_offset().unwrap_or_else(|| column.data_page_offset());
            let len = column.compressed_size();
            let end = start.checked_add(len).and_then(|e| u64::try_from(e).ok());
            if start < 0 || len < 0 || end.is_none_or(|e| e > file_len) {
                return Err("the file is damaged (a column chunk lies outside the file)".into());
            }
        }
    }
    Ok(())
}

pub(crate) fn read(path: &Path, options: &ReadOptions) -> Result<Frame> {
    let file = path.display().to_string();
    let bad = |e: &dyn std::fmt::Display| IoError::Parquet { file: file.clone(), reason: e.to_string() };
    let handle = File::open(path).map_err(|source| IoError::Open { file: file.clone(), source })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(|e| bad(&e))?;
    let file_len = std::fs::metadata(path).map_err(|source| IoError::Open { file: file.clone(), source })?.len();
    check_chunks(builder.metadata(), file_len).map_err(|e| bad(&e))?;
    let schema = builder.schema().clone();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let wanted: Vec<String> = if options.columns.is_empty() { names.clone() } else { options.columns.clone() };
    let mut roots = Vec::new();
    for w in &wanted {
        match names.iter().position(|n| n == w) {
            Some(i) => roots.push(i),
            None => {
                return Err(IoError::MissingColumn {
                    file: file.clone(),
                    column: w.clone(),
                    available: names.join(", "),
                })
            }
        }
    }
    let total_rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    drop(builder);
    // Columns are decoded in parallel, each thread reading its share of them
    // (at least 8 columns each: for fewer, a second reader costs more memory
    // than it saves time).
    const COLUMNS_PER_THREAD: usize = 8;
    let threads =
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(wanted.len() / COLUMNS_PER_THREAD).max(1);
    let shares: Vec<Vec<usize>> = (0..threads).map(|t| (t..wanted.len()).step_by(threads).collect()).collect();
    let read_share = |share: &[usize]| -> Result<ShareRead> {
        let handle = File::open(path).map_err(|source| IoError::Open { file: file.clone(), source })?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(|e| bad(&e))?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), share.iter().map(|&c| roots[c]));
        let reader = builder.with_projection(mask).with_batch_size(1 << 16).build().map_err(|e| bad(&e))?;
        let mut builders: Vec<(usize, Builder)> = share
            .iter()
            .map(|&c| {
                let w = &wanted[c];
                let field = schema.field_with_name(w).expect("column exists");
                let text = options.type_of(w) == ColumnType::Text || !is_numeric(field.data_type());
                let b = if text {
                    Builder::Text(TextBuilder::default())
                } else {
                    // The row count comes from the file: trust it only so far.
                    Builder::Number(Vec::with_capacity(total_rows.min(1 << 24)))
                };
                (c, b)
            })
            .collect();
        let mut n_rows = 0usize;
        for batch in reader {
            let batch = batch.map_err(|e| bad(&e))?;
            for (c, b) in &mut builders {
                let w = &wanted[*c];
                let array =
                    batch.column_by_name(w).ok_or_else(|| bad(&format!("column '{w}' missing in a row group")))?;
                append(b, array, options, &file, w, n_rows)?;
            }
            n_rows += batch.num_rows();
        }
        Ok((n_rows, builders))
    };
    let results: Vec<Result<ShareRead>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares.iter().map(|share| scope.spawn(|| read_share(share))).collect();
        // The Parquet decoder panics on some damaged files instead of
        // returning an error; such a file is refused like any damaged one.
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(bad(&"the file is damaged (its pages cannot be decoded)"))))
            .collect()
    });
    let mut n_rows = 0;
    let mut builders: Vec<Option<Builder>> = (0..wanted.len()).map(|_| None).collect();
    for result in results {
        let (rows, part) = result?;
        n_rows = rows;
        for (c, b) in part {
            builders[c] = Some(b);
        }
    }
    let builders = builders.into_iter().map(|b| b.expect("every column read"));
    let mut frame = Frame::new(file, n_rows);
    for (name, b) in wanted.into_iter().zip(builders) {
        frame.push(
            name,
            match b {
                Builder::Number(v) => Column::Number(v),
                Builder::Text(t) => t.finish(),
            },
        );
    }
    Ok(frame)
}

fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Boolean)
}

fn append(
    b: &mut Builder,
    array: &ArrayRef,
    options: &ReadOptions,
    file: &str,
    column: &str,
    offset: usize,
) -> Result<()> {
    match b {
        Builder::Number(v) => {
            let start = v.len();
            push_numbers(v, array).ok_or_else(|| IoError::Invalid {
                file: file.into(),
                reason: format!("column '{column}' has type {} which cannot be read as numbers", array.data_type()),
            })?;
            // Missing codes given by the user apply to numbers too.
            let codes: Vec<f64> = options.missing.iter().filter_map(|m| parse_number(m)).collect();
            if !codes.is_empty() {
                for x in &mut v[start..] {
                    if codes.contains(x) {
                        *x = f64::NAN;
                    }
                }
            }
            if options.type_of(column) == ColumnType::Number && v[start..].iter().any(|x| x.is_infinite()) {
                let row = offset + v[start..].iter().position(|x| x.is_infinite()).unwrap_or(0) + 1;
                return Err(IoError::BadValue {
                    file: file.into(),
                    row,
                    column: column.into(),
                    reason: "infinite value".into(),
                });
            }
        }
        Builder::Text(t) => {
            let strings = arrow_cast::cast(array, &DataType::Utf8)
                .map_err(|e| IoError::Invalid { file: file.into(), reason: format!("column '{column}': {e}") })?;
            let strings = strings.as_string::<i32>();
            for i in 0..strings.len() {
                if strings.is_null(i) || options.is_missing(strings.value(i)) {
                    t.push(None);
                } else {
                    t.push(Some(strings.value(i)));
                }
            }
        }
    }
    Ok(())
}

fn push_numbers(v: &mut Vec<f64>, array: &ArrayRef) -> Option<()> {
    macro_rules! prim {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            v.extend((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) as f64 }));
        }};
    }
    match array.data_type() {
        DataType::Float64 => prim!(Float64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int8 => prim!(Int8Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::Boolean => {
            let a = array.as_boolean();
            v.extend((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { f64::from(u8::from(a.value(i))) }));
        }
        _ => {
            let cast = arrow_cast::cast(array, &DataType::Float64).ok()?;
            let a: Arc<dyn Array> = cast;
            let a = a.as_primitive::<Float64Type>();
            v.extend((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) }));
        }
    }
    Some(())
}

pub(crate) fn column_names(path: &Path) -> Result<Vec<String>> {
    let file = path.display().to_string();
    let handle = File::open(path).map_err(|source| IoError::Open { file: file.clone(), source })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(handle)
        .map_err(|e| IoError::Parquet { file: file.clone(), reason: e.to_string() })?;
    Ok(builder.schema().fields().iter().map(|f| f.name().clone()).collect())
}

//! Parquet input through the Arrow reader, projecting only the selected columns.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, DictionaryArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use urbis_core::{Column, Frame, MISSING_CODE};

use crate::error::{IoError, Result};
use crate::text::{parse_number, TextBuilder};
use crate::{ColumnType, ReadOptions};

/// One column as read: its position in the request, and its rows and values.
type ColumnRead = (usize, Result<(usize, Builder)>);

enum Builder {
    Number(Vec<f64>),
    Text(TextBuilder, Interned),
}

/// The codes of a dictionary-encoded text column's dictionary, kept while
/// consecutive batches share it (a row group's batches do): each dictionary
/// entry is looked up once, not each row.
#[derive(Default)]
struct Interned {
    dictionary: Option<ArrayRef>,
    codes: Vec<u32>,
}

/// A dictionary entry not yet met in the rows (its code is given when it is,
/// so that levels keep their order of first appearance).
const UNSEEN: u32 = MISSING_CODE - 1;

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

/// The reader's view of the file: text columns stored as UTF-8 are asked
/// for as dictionaries (Parquet writes them dictionary-encoded), so that
/// their values are interned once per dictionary entry instead of hashed
/// row by row. Falls back to the plain schema if the hint is refused.
fn with_dictionaries(plain: ArrowReaderMetadata, text: &[&str]) -> ArrowReaderMetadata {
    let schema = plain.schema();
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 if text.contains(&f.name().as_str()) => f
                .as_ref()
                .clone()
                .with_data_type(DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))),
            _ => f.as_ref().clone(),
        })
        .collect();
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let options = ArrowReaderOptions::new().with_schema(hinted);
    ArrowReaderMetadata::try_new(plain.metadata().clone(), options).unwrap_or(plain)
}

pub(crate) fn read(path: &Path, options: &ReadOptions) -> Result<Frame> {
    let file = path.display().to_string();
    let bad = |e: &dyn std::fmt::Display| IoError::Parquet { file: file.clone(), reason: e.to_string() };
    let open = || File::open(path).map_err(|source| IoError::Open { file: file.clone(), source });
    let plain = ArrowReaderMetadata::load(&open()?, ArrowReaderOptions::new()).map_err(|e| bad(&e))?;
    let file_len = std::fs::metadata(path).map_err(|source| IoError::Open { file: file.clone(), source })?.len();
    check_chunks(plain.metadata(), file_len).map_err(|e| bad(&e))?;
    let schema = plain.schema().clone();
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
    let is_text: Vec<bool> = roots
        .iter()
        .zip(&wanted)
        .map(|(&i, w)| options.type_of(w) == ColumnType::Text || !is_numeric(schema.field(i).data_type()))
        .collect();
    let text: Vec<&str> = wanted.iter().zip(&is_text).filter(|(_, t)| **t).map(|(w, _)| w.as_str()).collect();
    let metadata = with_dictionaries(plain, &text);
    let total_rows = usize::try_from(metadata.metadata().file_metadata().num_rows()).unwrap_or(0);
    // Each column is read by its own reader; threads take the next column
    // as they finish one, so that slow (text) and fast columns even out.
    let read_column = |c: usize| -> Result<(usize, Builder)> {
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(open()?, metadata.clone());
        let mask = ProjectionMask::roots(builder.parquet_schema(), [roots[c]]);
        let reader = builder.with_projection(mask).with_batch_size(1 << 16).build().map_err(|e| bad(&e))?;
        // The row count comes from the file: trust it only so far.
        let capacity = total_rows.min(1 << 24);
        let mut b = if is_text[c] {
            Builder::Text(TextBuilder::with_capacity(capacity), Interned::default())
        } else {
            Builder::Number(Vec::with_capacity(capacity))
        };
        let mut n_rows = 0usize;
        for batch in reader {
            let batch = batch.map_err(|e| bad(&e))?;
            append(&mut b, batch.column(0), options, &file, &wanted[c], n_rows)?;
            n_rows += batch.num_rows();
        }
        Ok((n_rows, b))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(wanted.len()).max(1);
    let next = AtomicUsize::new(0);
    let worker = || -> Vec<ColumnRead> {
        std::iter::from_fn(|| Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&c| c < wanted.len()))
            .map(|c| (c, read_column(c)))
            .collect()
    };
    let mut results: Vec<ColumnRead> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        // The Parquet decoder panics on some damaged files instead of
        // returning an error; such a file is refused like any damaged one.
        let damaged = || vec![(0, Err(bad(&"the file is damaged (its pages cannot be decoded)")))];
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| damaged())).collect()
    });
    // In the order asked for; the first column's error when several fail.
    results.sort_by_key(|(c, r)| (r.is_ok(), *c));
    let mut columns = Vec::with_capacity(wanted.len());
    for (_, result) in results {
        columns.push(result?);
    }
    let n_rows = columns.first().map_or(0, |(rows, _)| *rows);
    if columns.len() != wanted.len() || columns.iter().any(|(rows, _)| *rows != n_rows) {
        return Err(bad(&"the columns have different numbers of rows"));
    }
    let mut frame = Frame::new(file, n_rows);
    for (name, (_, b)) in wanted.into_iter().zip(columns) {
        frame.push(
            name,
            match b {
                Builder::Number(v) => Column::Number(v),
                Builder::Text(t, _) => t.finish(),
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
        Builder::Text(t, interned) => match array.as_dictionary_opt::<Int32Type>() {
            Some(dictionary) if dictionary.values().data_type() == &DataType::Utf8 => {
                push_dictionary(t, interned, dictionary, options);
            }
            _ => {
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
        },
    }
    Ok(())
}

/// Appends a dictionary-encoded text batch: each dictionary entry is
/// interned when a row first uses it, so the levels come in the order of
/// their first row, as when every row's value is pushed.
fn push_dictionary(
    t: &mut TextBuilder,
    interned: &mut Interned,
    array: &DictionaryArray<Int32Type>,
    options: &ReadOptions,
) {
    let values = array.values();
    if !interned.dictionary.as_ref().is_some_and(|d| Arc::ptr_eq(d, values)) {
        interned.dictionary = Some(values.clone());
        interned.codes.clear();
        interned.codes.resize(values.len(), UNSEEN);
    }
    let strings = values.as_string::<i32>();
    let keys = array.keys();
    for (i, &key) in keys.values().iter().enumerate() {
        if keys.is_null(i) {
            t.push_code(MISSING_CODE);
            continue;
        }
        let k = key as usize;
        let code = &mut interned.codes[k];
        if *code == UNSEEN {
            let missing = strings.is_null(k) || options.is_missing(strings.value(k));
            *code = t.code((!missing).then(|| strings.value(k)));
        }
        t.push_code(*code);
    }
}

fn push_numbers(v: &mut Vec<f64>, array: &ArrayRef) -> Option<()> {
    macro_rules! prim {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            if a.null_count() == 0 {
                v.extend(a.values().iter().map(|&x| x as f64));
            } else {
                v.extend((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) as f64 }));
            }
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

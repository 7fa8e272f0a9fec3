//! The tidy indicator table as Parquet (`indicators.parquet`).
//!
//! The columns of [`COLUMNS`], in that order, typed:
//! text columns (`measure` as its code) are non-null `Utf8`; `estimate`, `se`,
//! `ci_low` and `ci_high` are nullable `Float64` with NaN written as null;
//! `n` is a nullable `UInt64` (null where confidential); `significant` a nullable `Boolean`. One row
//! group, Snappy-compressed.

use std::sync::Arc;

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::Compression;
use ::parquet::file::properties::WriterProperties;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use urbis_core::IndicatorRow;

use super::{render_error, COLUMNS};
use crate::error::Result;

/// The Arrow schema of the rendered table.
pub fn schema() -> Schema {
    let fields = COLUMNS.iter().map(|&name| {
        let (data_type, nullable) = match name {
            "estimate" | "se" | "ci_low" | "ci_high" => (DataType::Float64, true),
            "n" => (DataType::UInt64, true),
            "significant" => (DataType::Boolean, true),
            _ => (DataType::Utf8, false),
        };
        Field::new(name, data_type, nullable)
    });
    Schema::new(fields.collect::<Vec<_>>())
}

/// Renders the tidy indicator table as the bytes of a Parquet file.
pub fn render(rows: &[IndicatorRow]) -> Result<Vec<u8>> {
    let text =
        |f: fn(&IndicatorRow) -> &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(rows.iter().map(f))) };
    let float = |f: fn(&IndicatorRow) -> f64| -> ArrayRef {
        Arc::new(rows.iter().map(|r| Some(f(r)).filter(|x| !x.is_nan())).collect::<Float64Array>())
    };
    let columns: Vec<ArrayRef> = vec![
        text(|r| &r.indicator),
        text(|r| &r.geo),
        text(|r| &r.geo_level),
        text(|r| &r.time),
        text(|r| &r.breakdown),
        text(|r| &r.group),
        text(|r| r.measure.code()),
        text(|r| &r.unit),
        float(|r| r.estimate),
        float(|r| r.se),
        float(|r| r.ci_low),
        float(|r| r.ci_high),
        Arc::new(rows.iter().map(|r| r.n).collect::<UInt64Array>()),
        text(|r| &r.flag),
        text(|r| &r.conf_status),
        text(|r| &r.method),
        text(|r| &r.definition),
        Arc::new(rows.iter().map(|r| r.significant).collect::<BooleanArray>()),
    ];
    let schema = Arc::new(schema());
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| render_error("Parquet", e))?;
    let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer =
        ArrowWriter::try_new(Vec::new(), schema, Some(properties)).map_err(|e| render_error("Parquet", e))?;
    if batch.num_rows() > 0 {
        writer.write(&batch).map_err(|e| render_error("Parquet", e))?;
    }
    writer.into_inner().map_err(|e| render_error("Parquet", e))
}

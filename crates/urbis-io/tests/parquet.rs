//! Parquet input: types, nulls, projection and errors.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use urbis_core::Column;
use urbis_io::{read_table, ColumnType, ReadOptions};

fn write_sample(path: &std::path::Path) {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("income", Arc::new(Float64Array::from(vec![Some(1.5), None, Some(3.0)]))),
        ("age", Arc::new(Int32Array::from(vec![30, 40, -9]))),
        ("citizen", Arc::new(StringArray::from(vec![Some("AT"), Some("EU"), None]))),
        ("employed", Arc::new(BooleanArray::from(vec![true, false, true]))),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn reads_selected_columns_with_types_and_missing_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.parquet");
    write_sample(&path);
    let mut options = ReadOptions {
        columns: vec!["citizen".into(), "income".into(), "age".into(), "employed".into()],
        missing: vec!["-9".into()],
        ..Default::default()
    };
    let frame = read_table(&path, &options).unwrap();
    assert_eq!(frame.names(), ["citizen", "income", "age", "employed"]);
    let Some(Column::Number(income)) = frame.column("income") else { panic!("income is numeric") };
    assert_eq!(income[0], 1.5);
    assert!(income[1].is_nan());
    let Some(Column::Number(age)) = frame.column("age") else { panic!("age is numeric") };
    assert!(age[2].is_nan(), "-9 is a missing code");
    let Some(Column::Text(citizen)) = frame.column("citizen") else { panic!("citizen is text") };
    assert_eq!(citizen.get(1), Some("EU"));
    assert_eq!(citizen.get(2), None);
    let Some(Column::Number(employed)) = frame.column("employed") else { panic!("employed is numeric") };
    assert_eq!(employed, &vec![1.0, 0.0, 1.0]);

    options.types.insert("age".into(), ColumnType::Text);
    options.columns = vec!["age".into()];
    let frame = read_table(&path, &options).unwrap();
    let Some(Column::Text(age)) = frame.column("age") else { panic!("age read as text") };
    assert_eq!(age.get(0), Some("30"));
}

#[test]
fn missing_column_and_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.parquet");
    write_sample(&path);
    let options = ReadOptions { columns: vec!["weight".into()], ..Default::default() };
    let err = read_table(&path, &options).unwrap_err().to_string();
    assert!(err.contains("column 'weight' not found"), "{err}");

    let broken = dir.path().join("broken.parquet");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_table(&broken, &ReadOptions::default()).unwrap_err().to_string();
    assert!(err.contains("broken.parquet") && err.contains("Parquet"), "{err}");
}

/// Found by the `parquet_reader` fuzz target: a column chunk whose start
/// lies before the file's beginning made the Parquet decoder panic; it is
/// now refused as a damaged file.
#[test]
fn a_column_chunk_outside_the_file_is_refused() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz_parquet_chunk_outside.parquet");
    let err = read_table(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(err.contains("not a readable Parquet file") && err.contains("damaged"), "{err}");
}

/// Found by the `parquet_reader` fuzz target: a damaged data page made the
/// Parquet decoder panic inside a reader thread; it is refused as damaged.
#[test]
fn a_page_the_decoder_panics_on_is_refused() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz_parquet_bad_page.parquet");
    let err = read_table(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(err.contains("not a readable Parquet file"), "{err}");
}

/// Text columns are read through their Parquet dictionaries: each row
/// group has its own, and the levels still come in the order of their
/// first row, with user missing codes applied once per dictionary entry.
#[test]
fn dictionary_text_keeps_first_appearance_order_across_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("groups.parquet");
    let groups = [vec![Some("DE"), None, Some("AT"), Some("DE")], vec![Some("XX"), Some("FR"), Some("AT"), Some("FR")]];
    let file = std::fs::File::create(&path).unwrap();
    let batch = |values: &[Option<&str>]| {
        RecordBatch::try_from_iter([("cob", Arc::new(StringArray::from(values.to_vec())) as ArrayRef)]).unwrap()
    };
    let mut writer = ArrowWriter::try_new(file, batch(&groups[0]).schema(), None).unwrap();
    for values in &groups {
        writer.write(&batch(values)).unwrap();
        writer.flush().unwrap();
    }
    writer.close().unwrap();
    let options = ReadOptions { missing: vec!["XX".into()], ..Default::default() };
    let frame = read_table(&path, &options).unwrap();
    let Some(Column::Text(cob)) = frame.column("cob") else { panic!("cob is text") };
    assert_eq!(cob.levels, ["DE", "AT", "FR"]);
    let values: Vec<Option<&str>> = (0..8).map(|i| cob.get(i)).collect();
    assert_eq!(values, [Some("DE"), None, Some("AT"), Some("DE"), None, Some("FR"), Some("AT"), Some("FR")]);
}

//! Renderers of the tidy indicator table: CSV round trip, Parquet read back,
//! JSON-stat cube layout, SDMX-CSV header and suppression.

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt64Type};
use arrow_array::Array;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use urbis_core::{IndicatorRow, Measure};
use urbis_io::tables::{self, jsonstat::DatasetMeta};

fn row(
    indicator: &str,
    geo: &str,
    time: &str,
    group: &str,
    measure: Measure,
    estimate: f64,
    conf: &str,
) -> IndicatorRow {
    IndicatorRow {
        indicator: indicator.into(),
        geo: geo.into(),
        geo_level: "city".into(),
        time: time.into(),
        breakdown: "c_birth".into(),
        group: group.into(),
        measure,
        unit: if measure == Measure::Value { "PC".into() } else { "PP".into() },
        estimate,
        se: if estimate.is_nan() { f64::NAN } else { 1.25 },
        ci_low: estimate - 2.5,
        ci_high: estimate + 2.5,
        n: Some(412),
        flag: String::new(),
        conf_status: conf.into(),
        method: "direct".into(),
        definition: "c_birth_v1".into(),
        significant: None,
    }
}

/// A small table with awkward values: NaN, None, shortest round-trip decimals,
/// quotes, commas and newlines in text, a suppressed figure.
fn sample() -> Vec<IndicatorRow> {
    let mut rows = vec![
        row("emp_rate", "AT130", "2023", "NAT", Measure::Value, 0.1 + 0.2, "F"),
        row("emp_rate", "AT130", "2023", "FOR", Measure::Value, 61.5, "F"),
        row("emp_rate", "AT130", "2023", "FOR", Measure::GapDifference, -7.000000000000001, "F"),
        row("emp_rate", "AT130", "2022", "FOR", Measure::Value, f64::NAN, "C"),
        row("arop", "AT130", "2023", "EU27_2020_FOR", Measure::Value, 1e-7, "F"),
        row("arop", "AT130", "2023", "NEU27_2020_FOR", Measure::Value, 123456789.125, "F"),
    ];
    rows[1].flag = "u".into();
    rows[2].significant = Some(true);
    rows[3].flag = "u".into();
    rows[3].ci_low = f64::NAN;
    rows[3].ci_high = f64::NAN;
    rows[3].n = Some(9);
    rows[4].significant = Some(false);
    rows[4].definition = "odd, \"quoted\"\nvalue".into();
    rows[5].se = f64::NAN;
    rows[5].method = String::new();
    rows
}

fn same_f64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn assert_same_rows(got: &[IndicatorRow], want: &[IndicatorRow]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        for (x, y) in [(g.estimate, w.estimate), (g.se, w.se), (g.ci_low, w.ci_low), (g.ci_high, w.ci_high)] {
            assert!(same_f64(x, y), "{x} vs {y} in {w:?}");
        }
        let strip = |r: &IndicatorRow| IndicatorRow { estimate: 0.0, se: 0.0, ci_low: 0.0, ci_high: 0.0, ..r.clone() };
        assert_eq!(strip(g), strip(w));
    }
}

#[test]
fn csv_round_trip_is_exact() {
    let rows = sample();
    let bytes = tables::csv::render(&rows).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "indicator,geo,geo_level,time,breakdown,group,measure,unit,estimate,se,ci_low,ci_high,n,flag,conf_status,method,definition,significant"
    );
    let (low, high) = (rows[0].ci_low, rows[0].ci_high);
    assert_eq!(
        lines.next().unwrap(),
        format!("emp_rate,AT130,city,2023,c_birth,NAT,value,PC,0.30000000000000004,1.25,{low},{high},412,,F,direct,c_birth_v1,")
    );
    assert!(text.contains("emp_rate,AT130,city,2022,c_birth,FOR,value,PC,,,,,9,u,C,direct,c_birth_v1,\n"), "{text}");
    assert!(text.contains(",gap_diff,PP,-7.000000000000001,"), "{text}");
    assert!(text.contains(",0.0000001,"), "{text}");
    assert!(text.contains(",c_birth_v1,true\n"), "{text}");
    assert_same_rows(&tables::csv::parse(&bytes).unwrap(), &rows);
}

#[test]
fn csv_parse_names_the_file() {
    let err = tables::csv::parse_named(b"indicator\nx\n", "bundle/indicators.csv").unwrap_err().to_string();
    assert!(err.starts_with("bundle/indicators.csv: column 'geo' not found"), "{err}");
}

#[test]
fn parquet_reads_back_with_types_and_values() {
    let rows = sample();
    let bytes = tables::parquet::render(&rows).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("indicators.parquet");
    std::fs::write(&path, &bytes).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
    let column = builder.metadata().row_group(0).column(0);
    assert_eq!(column.compression(), parquet::basic::Compression::SNAPPY);
    let schema = builder.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, tables::COLUMNS);
    assert_eq!(*schema.as_ref(), tables::parquet::schema());
    let batches: Vec<_> = builder.build().unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!(batch.num_rows(), rows.len());

    let text = |name: &str| batch.column_by_name(name).unwrap().as_string::<i32>().clone();
    let float = |name: &str| batch.column_by_name(name).unwrap().as_primitive::<Float64Type>().clone();
    let (indicator, geo, group, measure, flag, definition) =
        (text("indicator"), text("geo"), text("group"), text("measure"), text("flag"), text("definition"));
    let (estimate, se, ci_low, ci_high) = (float("estimate"), float("se"), float("ci_low"), float("ci_high"));
    let n = batch.column_by_name("n").unwrap().as_primitive::<UInt64Type>().clone();
    let significant = batch.column_by_name("significant").unwrap().as_boolean().clone();
    let read = |f: &arrow_array::Float64Array, i: usize| if f.is_null(i) { f64::NAN } else { f.value(i) };
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(indicator.value(i), r.indicator);
        assert_eq!(geo.value(i), r.geo);
        assert_eq!(group.value(i), r.group);
        assert_eq!(measure.value(i), r.measure.code());
        assert_eq!(flag.value(i), r.flag);
        assert_eq!(definition.value(i), r.definition);
        for (col, want) in [(&estimate, r.estimate), (&se, r.se), (&ci_low, r.ci_low), (&ci_high, r.ci_high)] {
            assert!(same_f64(read(col, i), want), "row {i}: {} vs {want}", read(col, i));
            assert_eq!(col.is_null(i), want.is_nan(), "NaN is written as null");
        }
        assert_eq!(Some(n.value(i)), r.n);
        assert_eq!(significant.is_valid(i).then(|| significant.value(i)), r.significant);
    }
}

#[test]
fn parquet_of_no_rows_is_a_valid_file() {
    let bytes = tables::parquet::render(&[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.parquet");
    std::fs::write(&path, &bytes).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(builder.schema().fields().len(), tables::COLUMNS.len());
    assert_eq!(builder.build().unwrap().map(|b| b.unwrap().num_rows()).sum::<usize>(), 0);
}

fn meta() -> DatasetMeta {
    let mut labels = BTreeMap::new();
    labels.insert(
        "group".to_string(),
        BTreeMap::from([
            ("FOR".to_string(), "Foreign-born".to_string()),
            ("NAT".to_string(), "Native-born".to_string()),
        ]),
    );
    DatasetMeta {
        label: "Migrant integration, Vienna".into(),
        source: "City of Vienna, urbis".into(),
        updated: "2025-03-01".into(),
        labels,
    }
}

#[test]
fn jsonstat_cube_layout_values_and_status() {
    let rows = sample();
    let json: Value = serde_json::from_slice(&tables::jsonstat::render(&rows, &meta()).unwrap()).unwrap();
    assert_eq!(json["version"], "2.0");
    assert_eq!(json["class"], "dataset");
    assert_eq!(json["label"], "Migrant integration, Vienna");
    assert_eq!(json["source"], "City of Vienna, urbis");
    assert_eq!(json["updated"], "2025-03-01");
    let id: Vec<&str> = json["id"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(id, ["indicator", "geo_level", "geo", "time", "breakdown", "group", "measure", "unit"]);
    let size: Vec<usize> = json["size"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    // indicator 2, geo_level 1, geo 1, time 2, breakdown 1, group 4, measure 2, unit 2
    assert_eq!(size, [2, 1, 1, 2, 1, 4, 2, 2]);
    let cells: usize = size.iter().product();
    let value = json["value"].as_array().unwrap();
    assert_eq!(value.len(), cells);
    for key in ["se", "ci_low", "ci_high", "n", "conf_status", "method", "definition", "geo_level", "significant"] {
        assert_eq!(json["extension"][key].as_array().unwrap().len(), cells, "{key}");
    }

    // Categories in first-appearance order, labels from the map or the code.
    let group = &json["dimension"]["group"]["category"];
    assert_eq!(group["index"]["NAT"], 0);
    assert_eq!(group["index"]["FOR"], 1);
    assert_eq!(group["index"]["EU27_2020_FOR"], 2);
    assert_eq!(group["label"]["FOR"], "Foreign-born");
    assert_eq!(group["label"]["EU27_2020_FOR"], "EU27_2020_FOR");
    assert_eq!(json["dimension"]["time"]["category"]["index"]["2022"], 1);
    assert_eq!(json["dimension"]["measure"]["category"]["index"]["gap_diff"], 1);

    // Row-major index of (emp_rate, AT130, 2023, c_birth, FOR, gap_diff, PP):
    // positions (0,0,0,0,1,1,1); strides (32,32,16,16,4,2,1).
    let gap = 4 + 2 + 1;
    assert_eq!(value[gap].as_f64(), Some(-7.000000000000001));
    assert_eq!(json["extension"]["significant"][gap], true);
    assert_eq!(json["extension"]["se"][gap], 1.25);
    assert_eq!(json["extension"]["n"][gap], 412);
    // (emp_rate, AT130, 2023, c_birth, FOR, value, PC) carries flag u.
    assert_eq!(value[4].as_f64(), Some(61.5));
    assert_eq!(json["status"]["4"], "u");
    // A cell without a row.
    assert!(value[5].is_null());
    assert!(json["extension"]["n"][5].is_null());
    assert!(json["status"].get("5").is_none());

    // The suppressed figure: (emp_rate, AT130, 2022, …, FOR, value, PC) = 16 + 4.
    let suppressed = 16 + 4;
    assert!(value[suppressed].is_null());
    assert_eq!(json["status"][suppressed.to_string()], "cu");
    assert_eq!(json["extension"]["conf_status"][suppressed], "C");
    assert!(json["extension"]["se"][suppressed].is_null());
    assert_eq!(json["extension"]["n"][suppressed], 9);
    // Empty text is null; the last cell is arop, NEU27_2020_FOR, value, PC.
    let neu = 32 + 3 * 4;
    assert_eq!(value[neu].as_f64(), Some(123456789.125));
    assert!(json["extension"]["method"][neu].is_null());
    assert!(json["extension"]["se"][neu].is_null());
}

#[test]
fn jsonstat_withholds_confidential_figures_even_if_estimated() {
    let mut rows = vec![row("arop", "AT130", "2023", "FOR", Measure::Value, 17.5, "D")];
    rows.push(row("arop", "AT130", "2023", "NAT", Measure::Value, 12.0, "F"));
    let json: Value =
        serde_json::from_slice(&tables::jsonstat::render(&rows, &DatasetMeta::default()).unwrap()).unwrap();
    assert!(json.get("label").is_none(), "empty metadata is left out");
    assert_eq!(json["value"], serde_json::json!([null, 12.0]));
    assert_eq!(json["status"], serde_json::json!({"0": "c"}));
    assert_eq!(json["extension"]["ci_low"], serde_json::json!([null, 9.5]));
}

#[test]
fn jsonstat_rejects_two_rows_for_one_cell() {
    let mut rows = sample();
    rows.push(rows[0].clone());
    let err = tables::jsonstat::render(&rows, &meta()).unwrap_err().to_string();
    assert!(err.contains("two rows for the same cell") && err.contains("group=NAT"), "{err}");
}

#[test]
fn sdmx_csv_header_rows_and_suppression() {
    let mut rows = sample();
    rows.push(row("arop", "AT130", "2023", "FOR", Measure::Value, 17.5, "N"));
    let bytes = tables::sdmx::render(&rows, "URBIS:MIGR_INTEGRATION(1.0)").unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,GEO,GEO_LEVEL,TIME_PERIOD,BREAKDOWN,GROUP,MEASURE,UNIT_MEASURE,\
         OBS_VALUE,OBS_FLAG,CONF_STATUS,SE,CI_LOW,CI_HIGH,N_OBS,METHOD,DEFINITION,SIGNIFICANT"
    );
    assert_eq!(
        lines[2],
        "dataflow,URBIS:MIGR_INTEGRATION(1.0),I,emp_rate,AT130,city,2023,c_birth,FOR,value,PC,61.5,u,F,1.25,59,64,412,direct,c_birth_v1,"
    );
    // Suppressed (C, NaN estimate): empty OBS_VALUE, never 0.
    assert_eq!(
        lines[4],
        "dataflow,URBIS:MIGR_INTEGRATION(1.0),I,emp_rate,AT130,city,2022,c_birth,FOR,value,PC,,u,C,,,,9,direct,c_birth_v1,"
    );
    // Not for publication (N) although estimated: value and interval withheld.
    assert_eq!(
        lines[rows.len()],
        "dataflow,URBIS:MIGR_INTEGRATION(1.0),I,arop,AT130,city,2023,c_birth,FOR,value,PC,,,N,,,,412,direct,c_birth_v1,"
    );
    assert_eq!(lines.len(), rows.len() + 2, "CRLF after every record");
    assert!(text.contains("\"odd, \"\"quoted\"\"\nvalue\""), "{text}");
}

#[test]
fn sdmx_csv_rejects_a_malformed_dataflow() {
    let err = tables::sdmx::render(&sample(), "MIGR_INTEGRATION").unwrap_err().to_string();
    assert!(err.contains("cannot render SDMX-CSV") && err.contains("AGENCY:ID(VERSION)"), "{err}");
}

#[test]
fn sdmx_csv_says_whether_a_gap_is_significant_only_when_published() {
    let mut gap = row("emp_rate", "AT130", "2023", "FOR", Measure::GapDifference, -7.5, "F");
    gap.significant = Some(true);
    let mut hidden = row("emp_rate", "AT130", "2022", "FOR", Measure::GapDifference, -7.5, "C");
    hidden.significant = Some(false);
    let text = String::from_utf8(tables::sdmx::render(&[gap, hidden], "URBIS:MIGR_INTEGRATION(1.0)").unwrap()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[1].ends_with(",true"), "{}", lines[1]);
    assert!(lines[2].ends_with(','), "{}", lines[2]);
}

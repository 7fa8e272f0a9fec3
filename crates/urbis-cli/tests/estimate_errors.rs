//! Bad input to `urbis estimate`: a clear message naming file, row, column and
//! reason; a non-zero exit; never a panic; nothing on stdout or in --out.

mod common;

use std::path::PathBuf;

use common::urbis;

fn fixture(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write fixture");
    path
}

/// Runs the command and checks the failure contract; returns stderr.
fn fails(args: &[&str], code: i32) -> String {
    let run = urbis(args);
    assert_eq!(run.status, code, "exit code for {args:?}: stderr {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout, got {}", run.stdout);
    assert!(!run.stderr.contains("panicked"), "no panic: {}", run.stderr);
    run.stderr
}

const SAMPLE: &[u8] = b"y,w,s,psu\n1,2,a,1\n2,2,a,2\n3,1,b,3\n4,1,b,4\n";

#[test]
fn missing_column_is_named_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", SAMPLE);
    let err = fails(&["estimate", f.to_str().unwrap(), "--weights", "w", "--mean", "income"], 1);
    assert!(err.contains("sample.csv") && err.contains("column 'income' not found"), "{err}");
}

#[test]
fn non_numeric_weight_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w\n1,2\n2,heavy\n");
    let err = fails(&["estimate", f.to_str().unwrap(), "--weights", "w", "--mean", "y"], 1);
    assert!(err.contains("row 2, column 'w': the value is not a number"), "{err}");
}

#[test]
fn negative_weight_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w\n1,2\n2,2\n3,-1\n");
    let err = fails(&["estimate", f.to_str().unwrap(), "--weights", "w", "--mean", "y"], 1);
    assert!(err.contains("sample.csv") && err.contains("column 'w', row 3: weight is negative"), "{err}");
}

#[test]
fn missing_weight_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w\n1,2\n2,NA\n");
    let err = fails(&["estimate", f.to_str().unwrap(), "--weights", "w", "--mean", "y"], 1);
    assert!(err.contains("column 'w', row 2: weight is missing"), "{err}");
}

#[test]
fn zero_total_weight_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w\n1,0\n2,0\n");
    let err = fails(&["estimate", f.to_str().unwrap(), "--weights", "w", "--mean", "y"], 1);
    assert!(err.contains("sum to zero"), "{err}");
}

#[test]
fn lonely_psu_fails_by_default_and_names_the_stratum() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w,s,psu\n1,2,a,1\n2,2,a,2\n3,1,b,3\n");
    let args = ["estimate", f.to_str().unwrap(), "--weights", "w", "--strata", "s", "--ids", "psu", "--mean", "y"];
    let err = fails(&args, 1);
    assert!(err.contains("stratum 'b' has only one PSU") && err.contains("--lonely-psu"), "{err}");
    let mut ok = args.to_vec();
    ok.extend(["--lonely-psu", "remove"]);
    assert_eq!(urbis(&ok).status, 0);
}

#[test]
fn psu_ids_repeating_across_strata_need_nest() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w,s,psu\n1,2,a,1\n2,2,a,2\n3,1,b,1\n4,1,b,2\n");
    let err = fails(&["estimate", f.to_str().unwrap(), "--strata", "s", "--ids", "psu", "--mean", "y"], 1);
    assert!(err.contains("--nest"), "{err}");
}

#[test]
fn replicate_columns_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", SAMPLE);
    let err = fails(
        &[
            "estimate",
            f.to_str().unwrap(),
            "--weights",
            "w",
            "--repweights",
            "rep_[0-9]+",
            "--reptype",
            "jk1",
            "--mean",
            "y",
        ],
        1,
    );
    assert!(err.contains("sample.csv") && err.contains("no column matches"), "{err}");
}

#[test]
fn empty_file_and_header_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = fixture(&dir, "empty.csv", b"");
    let err = fails(&["estimate", empty.to_str().unwrap(), "--mean", "y"], 1);
    assert!(err.contains("empty.csv"), "{err}");
    let header = fixture(&dir, "header.csv", b"y,w\n");
    let err = fails(&["estimate", header.to_str().unwrap(), "--mean", "y"], 1);
    assert!(err.contains("header.csv: no data rows"), "{err}");
}

#[test]
fn malformed_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "broken.parquet", b"PAR1 this is not really parquet PAR1");
    let err = fails(&["estimate", f.to_str().unwrap(), "--mean", "y"], 1);
    assert!(err.contains("broken.parquet") && err.contains("Parquet"), "{err}");
}

#[test]
fn unknown_statistic_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", SAMPLE);
    let err = fails(&["estimate", f.to_str().unwrap(), "--median", "y"], 2);
    assert!(err.contains("--median"), "{err}");
    let err = fails(&["estimate", f.to_str().unwrap()], 1);
    assert!(err.contains("no statistic requested"), "{err}");
}

#[test]
fn ragged_row_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "ragged.csv", b"y,w\n1,2\n2\n");
    let err = fails(&["estimate", f.to_str().unwrap(), "--mean", "y"], 1);
    assert!(err.contains("ragged.csv: row 2"), "{err}");
}

#[test]
fn nothing_is_written_to_out_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w\n1,2\n2,-2\n");
    let out = dir.path().join("result.csv");
    fails(&["estimate", f.to_str().unwrap(), "--weights", "w", "--mean", "y", "--out", out.to_str().unwrap()], 1);
    assert!(!out.exists());
    let ok = fixture(&dir, "ok.csv", SAMPLE);
    let run =
        urbis(&["estimate", ok.to_str().unwrap(), "--weights", "w", "--mean", "y", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("statistic,variable,estimate,se"));
}

#[test]
fn text_in_an_analysis_variable() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(&dir, "sample.csv", b"y,w\n1,2\nabc,2\n");
    let err = fails(&["estimate", f.to_str().unwrap(), "--weights", "w", "--mean", "y"], 1);
    assert!(err.contains("column 'y', row 2: the value is not a number"), "{err}");
}

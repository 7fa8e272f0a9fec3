//! Helpers shared by the integration tests: run the real binary, read its CSV.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn data(file: &str) -> PathBuf {
    fixtures().join("data").join(file)
}

/// The nine-cities example (`examples/cities`) in `dir`, restricted to
/// `breakdowns` and the indicators `compute`, with `publication` appended to
/// its configuration; returns the configuration's path.
pub fn cities(dir: &Path, breakdowns: &[&str], compute: &[&str], publication: &str) -> PathBuf {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/cities");
    for f in ["lfs_cities.parquet", "hierarchy.csv"] {
        std::fs::copy(example.join(f), dir.join(f)).unwrap();
    }
    let config = std::fs::read_to_string(example.join("urbis.toml")).unwrap();
    let start = config.find("compute = [").unwrap();
    let end = start + config[start..].find(']').unwrap() + 1;
    let quoted = |items: &[&str]| items.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ");
    let config = format!(
        "breakdowns = [{}]\n{}compute = [{}]{}\n{publication}\n",
        quoted(breakdowns),
        &config[..start],
        quoted(compute),
        &config[end..]
    );
    let path = dir.join("urbis.toml");
    std::fs::write(&path, config).unwrap();
    path
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn urbis(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_urbis")).args(args).output().expect("run urbis");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Parses CSV text into rows of column → value.
pub fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    r.records()
        .map(|rec| header.iter().cloned().zip(rec.expect("record").iter().map(str::to_string)).collect())
        .collect()
}

/// Relative difference, with an absolute floor for values near zero.
pub fn rel_diff(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

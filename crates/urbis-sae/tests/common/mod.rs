//! Reading the test data and the R references.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use urbis_sae::formula::Covariate;

pub fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file)
}

/// A CSV file as columns of text (empty is missing).
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(file: &str) -> Table {
        let mut r = csv::Reader::from_path(data(file)).expect(file);
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
        Table { header, rows }
    }

    fn index(&self, column: &str) -> usize {
        self.header.iter().position(|h| h == column).unwrap_or_else(|| panic!("no column {column}"))
    }

    pub fn text(&self, column: &str) -> Vec<String> {
        let j = self.index(column);
        self.rows.iter().map(|r| r[j].clone()).collect()
    }

    pub fn numbers(&self, column: &str) -> Vec<f64> {
        self.text(column)
            .iter()
            .map(|v| if v.is_empty() || v == "NA" { f64::NAN } else { v.parse().unwrap() })
            .collect()
    }

    pub fn covariate(&self, column: &str) -> Covariate {
        let t = self.text(column);
        if t.iter().all(|v| v.parse::<f64>().is_ok()) {
            Covariate::Number(self.numbers(column))
        } else {
            Covariate::Text(t.into_iter().map(|v| (!v.is_empty()).then_some(v)).collect())
        }
    }
}

/// Reference values: (case, quantity, key) -> value.
pub struct Refs(HashMap<(String, String, String), f64>);

impl Refs {
    pub fn read(file: &str) -> Refs {
        let t = Table::read(file);
        let mut map = HashMap::new();
        for r in &t.rows {
            map.insert((r[0].clone(), r[1].clone(), r[2].clone()), r[3].parse().unwrap());
        }
        Refs(map)
    }

    pub fn get(&self, case: &str, quantity: &str, key: &str) -> f64 {
        *self
            .0
            .get(&(case.to_string(), quantity.to_string(), key.to_string()))
            .unwrap_or_else(|| panic!("no reference {case} {quantity} {key}"))
    }

    pub fn has(&self, case: &str, quantity: &str, key: &str) -> bool {
        self.0.contains_key(&(case.to_string(), quantity.to_string(), key.to_string()))
    }
}

/// Relative difference with an absolute floor for values near zero.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[track_caller]
pub fn close(what: &str, got: f64, want: f64, tol: f64) {
    let d = rel(got, want);
    if std::env::var("SAE_SHOW").is_ok() {
        eprintln!("{what}: {d:.2e}");
    }
    assert!(d <= tol, "{what}: got {got:e}, R gives {want:e} (relative difference {d:.2e} > {tol:.0e})");
}

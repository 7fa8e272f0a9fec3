//! Golden tests against R survey 4.1-1 and convey 0.2.5 (see
//! tests/fixtures/reference/README.md for how every value was produced).
//! Each reference row names the urbis arguments that reproduce it; rows with
//! the same file and arguments share one run of the binary.

mod common;

use std::collections::BTreeMap;

use common::{csv_rows, data, fixtures, rel_diff, urbis};

const ESTIMATE_TOLERANCE: f64 = 1e-8;
const SE_TOLERANCE: f64 = 1e-6;

struct Reference {
    case: String,
    statistic: String,
    variable: String,
    domain: String,
    estimate: f64,
    se: Option<f64>,
    ci: Option<(f64, f64)>,
}

fn number(s: &str) -> Option<f64> {
    if s.is_empty() || s == "NA" {
        None
    } else {
        Some(s.parse().unwrap_or_else(|_| panic!("bad number {s}")))
    }
}

fn references() -> BTreeMap<(String, String), Vec<Reference>> {
    let path = fixtures().join("reference/survey_r.csv");
    let mut reader = csv::Reader::from_path(&path).expect("reference file");
    let mut groups: BTreeMap<(String, String), Vec<Reference>> = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.expect("record");
        let statistic = rec[3].to_string();
        if statistic.ends_with("_laeken") {
            continue; // laeken's definitions are checked in expected_md.rs
        }
        let ci = match (number(&rec[8]), number(&rec[9])) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        groups.entry((rec[1].to_string(), rec[2].to_string())).or_default().push(Reference {
            case: rec[0].to_string(),
            statistic,
            variable: rec[4].to_string(),
            domain: rec[5].to_string(),
            estimate: number(&rec[6]).expect("estimate"),
            se: number(&rec[7]),
            ci,
        });
    }
    groups
}

/// The domain of an output row in the reference notation `col=value;col=value`.
fn domain_key(row: &std::collections::HashMap<String, String>, by: &[String]) -> String {
    by.iter().map(|c| format!("{c}={}", row[c])).collect::<Vec<_>>().join(";")
}

/// `region=1-region=2` (a difference of domains) becomes `region=1-2`.
fn normalise_domain(domain: &str) -> String {
    match domain.split_once('-') {
        Some((a, b)) if b.contains('=') => format!("{a}-{}", b.split_once('=').expect("col=value").1),
        _ => domain.to_string(),
    }
}

#[test]
fn every_r_reference_value_is_reproduced() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for ((file, args), refs) in references() {
        let path = data(&file);
        let mut argv: Vec<&str> = vec!["estimate", path.to_str().expect("utf-8 path")];
        argv.extend(args.split_whitespace());
        let run = urbis(&argv);
        if run.status != 0 {
            failures.push(format!("{file} {args}: exit {} {}", run.status, run.stderr));
            continue;
        }
        let by: Vec<String> = argv
            .windows(2)
            .find(|w| w[0] == "--by")
            .map(|w| w[1].split(',').map(str::to_string).collect())
            .unwrap_or_default();
        let rows = csv_rows(&run.stdout);
        for r in refs {
            let want_domain = normalise_domain(&r.domain);
            let Some(row) = rows.iter().find(|row| {
                row["statistic"] == r.statistic && row["variable"] == r.variable && domain_key(row, &by) == want_domain
            }) else {
                failures.push(format!("{}: no output row ({file} {args})", r.case));
                continue;
            };
            checked += 1;
            let est: f64 = row["estimate"].parse().expect("estimate");
            if rel_diff(est, r.estimate) > ESTIMATE_TOLERANCE {
                failures.push(format!("{}: estimate {est} vs R {}", r.case, r.estimate));
            }
            if let Some(se) = r.se {
                let got: f64 = row["se"].parse().unwrap_or(f64::NAN);
                if !(rel_diff(got, se) <= SE_TOLERANCE || (se.abs() < 1e-12 && got.abs() < 1e-9)) {
                    failures.push(format!("{}: se {got} vs R {se}", r.case));
                }
            }
            if let Some((low, high)) = r.ci {
                let got_low: f64 = row["ci_low"].parse().unwrap_or(f64::NAN);
                let got_high: f64 = row["ci_high"].parse().unwrap_or(f64::NAN);
                if rel_diff(got_low, low) > ESTIMATE_TOLERANCE || rel_diff(got_high, high) > ESTIMATE_TOLERANCE {
                    failures.push(format!("{}: ci ({got_low}, {got_high}) vs R ({low}, {high})", r.case));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} reference values differ:\n{}",
        failures.len(),
        checked + failures.len(),
        failures.join("\n")
    );
    assert!(checked > 400, "only {checked} reference values were checked");
}

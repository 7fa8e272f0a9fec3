//! Secondary suppression against an attacker (docs/publication.md): the real
//! binary publishes the cities example with confidential cells; the test
//! reads the published table from every output format, writes down every
//! additivity equation a reader knows — groups add up to `TOTAL`, `FOR` is
//! `EU27_2020_FOR + NEU27_2020_FOR`, every area is the sum of its districts
//! and each degree of urbanisation the sum of the districts it classifies —
//! solves them in exact rational arithmetic, and asserts that no confidential
//! cell's `n` is determined. With `secondary = false` the same attack
//! recovers the true counts, so the test can fail.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use arrow_array::{Array, Float64Array, StringArray, UInt64Array};
use common::{csv_rows, urbis};
use num_rational::Ratio;
use urbis_core::Measure;

type Q = Ratio<i128>;

/// A cell as the attacker names it: indicator, time, level, area and group
/// (`TOTAL`, published under every breakdown, is one cell).
type Cell = (String, String, String, String, String);

/// What a published table says about a value cell.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    n: Option<u64>,
    estimate: Option<f64>,
    conf_status: String,
}

const BREAKDOWNS: [&str; 2] = ["c_birth", "citizen"];

/// Runs the cities example (employment rate, two breakdowns, every output
/// format) with `publication` appended to its configuration.
fn publish(publication: &str) -> (tempfile::TempDir, common::Run) {
    let dir = tempfile::tempdir().unwrap();
    common::cities(dir.path(), &BREAKDOWNS, &["emp_rate"], publication);
    let out = dir.path().join("out");
    let run = urbis(&["indicators", dir.path().join("urbis.toml").to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    (dir, run)
}

fn cell(indicator: &str, time: &str, level: &str, geo: &str, breakdown: &str, group: &str) -> Cell {
    let group = if group == "TOTAL" { "TOTAL".to_string() } else { format!("{breakdown}:{group}") };
    (indicator.into(), time.into(), level.into(), geo.into(), group)
}

fn from_rows(rows: Vec<urbis_core::IndicatorRow>) -> BTreeMap<Cell, Seen> {
    rows.into_iter()
        .filter(|r| r.measure == Measure::Value)
        .map(|r| {
            let key = cell(&r.indicator, &r.time, &r.geo_level, &r.geo, &r.breakdown, &r.group);
            (key, Seen { n: r.n, estimate: r.estimate.is_finite().then_some(r.estimate), conf_status: r.conf_status })
        })
        .collect()
}

fn read_csv(out: &Path) -> BTreeMap<Cell, Seen> {
    from_rows(urbis_io::tables::csv::parse(&std::fs::read(out.join("indicators.csv")).unwrap()).unwrap())
}

fn read_sdmx(out: &Path) -> BTreeMap<Cell, Seen> {
    let bytes = std::fs::read(out.join("indicators.sdmx.csv")).unwrap();
    from_rows(urbis_io::tables::sdmx::parse_named(&bytes, "indicators.sdmx.csv").unwrap())
}

fn read_parquet(out: &Path) -> BTreeMap<Cell, Seen> {
    let file = std::fs::File::open(out.join("indicators.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let mut cells = BTreeMap::new();
    for batch in reader {
        let batch = batch.unwrap();
        let text =
            |name: &str| batch.column_by_name(name).unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
        let (indicator, time, level, geo) = (text("indicator"), text("time"), text("geo_level"), text("geo"));
        let (breakdown, group, measure, conf) =
            (text("breakdown"), text("group"), text("measure"), text("conf_status"));
        let n = batch.column_by_name("n").unwrap().as_any().downcast_ref::<UInt64Array>().unwrap().clone();
        let estimate =
            batch.column_by_name("estimate").unwrap().as_any().downcast_ref::<Float64Array>().unwrap().clone();
        for i in 0..batch.num_rows() {
            if measure.value(i) != "value" {
                continue;
            }
            let key = cell(
                indicator.value(i),
                time.value(i),
                level.value(i),
                geo.value(i),
                breakdown.value(i),
                group.value(i),
            );
            let seen = Seen {
                n: (!n.is_null(i)).then(|| n.value(i)),
                estimate: (!estimate.is_null(i)).then(|| estimate.value(i)),
                conf_status: conf.value(i).to_string(),
            };
            cells.insert(key, seen);
        }
    }
    cells
}

/// JSON-stat: a dense cube; the cells with a `conf_status` are the rows.
fn read_jsonstat(out: &Path) -> BTreeMap<Cell, Seen> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("indicators.json")).unwrap()).unwrap();
    let ids: Vec<&str> = json["id"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let size: Vec<usize> = json["size"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let codes: Vec<Vec<String>> = ids
        .iter()
        .map(|id| {
            let index = json["dimension"][id]["category"]["index"].as_object().unwrap();
            let mut codes = vec![String::new(); index.len()];
            for (code, pos) in index {
                codes[pos.as_u64().unwrap() as usize] = code.clone();
            }
            codes
        })
        .collect();
    let ext = &json["extension"];
    let mut cells = BTreeMap::new();
    for (i, conf) in ext["conf_status"].as_array().unwrap().iter().enumerate() {
        let Some(conf) = conf.as_str() else { continue };
        let mut rest = i;
        let mut at: HashMap<&str, &str> = HashMap::new();
        for d in (0..ids.len()).rev() {
            at.insert(ids[d], &codes[d][rest % size[d]]);
            rest /= size[d];
        }
        if at["measure"] != "value" {
            continue;
        }
        let key = cell(at["indicator"], at["time"], at["geo_level"], at["geo"], at["breakdown"], at["group"]);
        let seen = Seen { n: ext["n"][i].as_u64(), estimate: json["value"][i].as_f64(), conf_status: conf.to_string() };
        cells.insert(key, seen);
    }
    cells
}

/// Every published table of a run, by format.
fn tables(out: &Path) -> Vec<(&'static str, BTreeMap<Cell, Seen>)> {
    vec![
        ("csv", read_csv(out)),
        ("sdmx", read_sdmx(out)),
        ("parquet", read_parquet(out)),
        ("jsonstat", read_jsonstat(out)),
    ]
}

/// The additivity equations a reader knows, as (cell, coefficient) terms
/// summing to 0: for every area and breakdown TOTAL = NAT + EU + NEU + UNK
/// and FOR = EU + NEU; every city, NUTS 2 region, country and degree of
/// urbanisation = the sum of its districts (from the published hierarchy).
fn equations(published: &BTreeMap<Cell, Seen>, hierarchy: &Path) -> Vec<Vec<(Cell, i64)>> {
    let tables: BTreeSet<(String, String)> = published.keys().map(|k| (k.0.clone(), k.1.clone())).collect();
    let areas: BTreeSet<(String, String)> = published.keys().map(|k| (k.2.clone(), k.3.clone())).collect();
    let mut groups: Vec<String> = vec!["TOTAL".into()];
    for b in BREAKDOWNS {
        for g in ["NAT", "EU27_2020_FOR", "NEU27_2020_FOR", "UNK", "FOR"] {
            groups.push(format!("{b}:{g}"));
        }
    }
    let mut out = Vec::new();
    let hierarchy = csv_rows(&std::fs::read_to_string(hierarchy).unwrap());
    for (indicator, time) in &tables {
        let at = |level: &str, geo: &str, group: &str| -> Cell {
            (indicator.clone(), time.clone(), level.into(), geo.into(), group.into())
        };
        for (level, geo) in &areas {
            for b in BREAKDOWNS {
                let g = |group: &str| at(level, geo, &format!("{b}:{group}"));
                out.push(vec![
                    (at(level, geo, "TOTAL"), 1),
                    (g("NAT"), -1),
                    (g("EU27_2020_FOR"), -1),
                    (g("NEU27_2020_FOR"), -1),
                    (g("UNK"), -1),
                ]);
                out.push(vec![(g("FOR"), 1), (g("EU27_2020_FOR"), -1), (g("NEU27_2020_FOR"), -1)]);
            }
        }
        for level in ["city", "nuts2", "country", "degurba"] {
            let mut districts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for row in &hierarchy {
                districts.entry(row[level].as_str()).or_default().push(row["district"].as_str());
            }
            for (code, parts) in districts {
                for group in &groups {
                    let mut terms = vec![(at(level, code, group), 1)];
                    terms.extend(parts.iter().map(|d| (at("district", d, group), -1)));
                    out.push(terms);
                }
            }
        }
    }
    out
}

/// Gauss–Jordan elimination over the rationals: the unknown cells (those
/// without a published `n`) that the equations determine, with their value.
/// A cell without a row has no respondent: 0.
fn attack(published: &BTreeMap<Cell, Seen>, equations: &[Vec<(Cell, i64)>]) -> BTreeMap<Cell, Q> {
    let mut unknowns: Vec<Cell> = Vec::new();
    let mut column: HashMap<Cell, usize> = HashMap::new();
    for terms in equations {
        for (c, _) in terms {
            if published.get(c).is_some_and(|s| s.n.is_none()) && !column.contains_key(c) {
                column.insert(c.clone(), unknowns.len());
                unknowns.push(c.clone());
            }
        }
    }
    let width = unknowns.len();
    // Each row: coefficients of the unknowns, then the right-hand side.
    let mut rows: Vec<Vec<Q>> = Vec::new();
    for terms in equations {
        let mut row = vec![Q::from_integer(0); width + 1];
        for (c, k) in terms {
            match column.get(c) {
                Some(&j) => row[j] += Q::from_integer(i128::from(*k)),
                None => {
                    let n = published.get(c).and_then(|s| s.n).unwrap_or(0);
                    row[width] -= Q::from_integer(i128::from(*k) * i128::from(n));
                }
            }
        }
        if row[..width].iter().any(|q| *q != Q::from_integer(0)) {
            rows.push(row);
        }
    }
    let mut pivot_row = 0;
    let mut pivots = Vec::new();
    for col in 0..width {
        let Some(p) = (pivot_row..rows.len()).find(|&r| rows[r][col] != Q::from_integer(0)) else { continue };
        rows.swap(pivot_row, p);
        let lead = rows[pivot_row][col];
        for x in rows[pivot_row].iter_mut() {
            *x /= lead;
        }
        for r in 0..rows.len() {
            if r != pivot_row && rows[r][col] != Q::from_integer(0) {
                let k = rows[r][col];
                let pivot = rows[pivot_row].clone();
                for (x, p) in rows[r].iter_mut().zip(&pivot) {
                    *x -= k * p;
                }
            }
        }
        pivots.push((pivot_row, col));
        pivot_row += 1;
    }
    let mut found = BTreeMap::new();
    for (r, col) in pivots {
        let others = rows[r][..width].iter().enumerate().any(|(j, q)| j != col && *q != Q::from_integer(0));
        if !others {
            found.insert(unknowns[col].clone(), rows[r][width]);
        }
    }
    found
}

/// The confidential cells an attacker recovers from one published table.
fn recovered(published: &BTreeMap<Cell, Seen>, dir: &Path) -> BTreeMap<Cell, Q> {
    let equations = equations(published, &dir.join("hierarchy.csv"));
    attack(published, &equations).into_iter().filter(|(c, _)| published[c].conf_status == "C").collect()
}

const RULES: &str = "[publication.disclosure]\nmin_respondents = 80\n";

#[test]
fn no_confidential_count_can_be_recovered_from_any_published_format() {
    // The true counts: every figure with its n (no cell is confidential).
    let (truth_dir, _) = publish("[publication.disclosure]\nmin_respondents = 1\n");
    let truth = read_csv(&truth_dir.path().join("out"));
    assert!(truth.values().all(|s| s.n.is_some()));
    // The attacker's equations hold on the true table: nobody lacks a group.
    for terms in equations(&truth, &truth_dir.path().join("hierarchy.csv")) {
        let total: i128 =
            terms.iter().map(|(c, k)| i128::from(*k) * i128::from(truth.get(c).and_then(|s| s.n).unwrap_or(0))).sum();
        assert_eq!(total, 0, "{terms:?}");
    }

    // Without secondary suppression the attack succeeds: the test can fail.
    let (off_dir, off) = publish(&format!("{RULES}secondary = false\n"));
    assert!(off.stderr.contains("can be recovered exactly"), "{}", off.stderr);
    let off_table = read_csv(&off_dir.path().join("out"));
    let primary = off_table.values().filter(|s| s.conf_status == "C").count();
    assert!(primary >= 10, "only {primary} confidential cells");
    let leaked = recovered(&off_table, off_dir.path());
    assert!(leaked.len() >= 3, "the attack recovers only {} cells", leaked.len());
    for (c, value) in &leaked {
        assert_eq!(*value, Q::from_integer(i128::from(truth[c].n.unwrap())), "{c:?}");
    }

    // With it (the default), nothing is recovered from any format.
    let (dir, on) = publish(RULES);
    assert!(!on.stderr.contains("recovered"), "{}", on.stderr);
    let out = dir.path().join("out");
    let formats = tables(&out);
    for (format, table) in &formats {
        assert_eq!(table.len(), truth.len(), "{format}: every value cell has a row");
        for (c, seen) in table {
            if seen.conf_status == "C" {
                assert!(seen.n.is_none() && seen.estimate.is_none(), "{format}: {c:?} shows {seen:?}");
            } else {
                assert_eq!(seen.n, truth[c].n, "{format}: {c:?}");
            }
        }
        let found = recovered(table, dir.path());
        assert!(found.is_empty(), "{format}: the attack recovers {found:?}");
    }
    // The same cells are confidential in every format, and more than before.
    let csv = &formats[0].1;
    for (format, table) in &formats[1..] {
        for (c, seen) in table {
            assert_eq!(seen.conf_status, csv[c].conf_status, "{format}: {c:?}");
        }
    }
    let suppressed = csv.values().filter(|s| s.conf_status == "C").count();
    assert!(suppressed > primary, "{suppressed} confidential cells, {primary} primary");
    for (c, seen) in &off_table {
        if seen.conf_status == "C" {
            assert_eq!(csv[c].conf_status, "C", "{c:?} is primary");
        }
    }

    let review: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("review.json")).unwrap()).unwrap();
    assert_eq!(review["unprotected"], 0);
    let secondary = review["counts"]["secondary"].as_u64().unwrap();
    let entries = review["entries"].as_array().unwrap();
    let listed = entries.iter().filter(|e| e["action"] == "secondary").count();
    assert_eq!(listed as u64, secondary);
    assert!(entries
        .iter()
        .filter(|e| e["action"] == "secondary")
        .all(|e| e["reason"].as_str().unwrap().starts_with("protects ")));
    let text = std::fs::read_to_string(out.join("review.txt")).unwrap();
    assert!(text.contains("confidential (secondary)") && text.contains("secondary: "), "{text}");
}

//! The (n,k)-dominance rule end to end: the run's decision for every
//! median-income cell against the contributions recomputed here from the
//! microdata (households within districts, weight × |income|).

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{data, urbis};
use urbis_core::{IndicatorRow, Measure};

const CONFIG: &str = r#"[project]
name = "Dominance"
country = "AT"

[[source]]
name = "silc"
file = "pooled_years.csv"
year_column = "year"

[source.design]
strata = "stratum"
ids = "psu_id"
weights = "weight"

[source.variables]
age = "age"
citizenship = "citizenship"
income = "eq_income"
household_id = "hh_id"
geo = "district"

[geography]
hierarchy = "pooled_years_hierarchy.csv"
levels = ["district", "city"]

[indicators]
compute = ["median_income", "arop"]

[publication.reliability]
min_n = 0
reliable_n = 0

[publication.disclosure]
min_respondents = 0
"#;

fn run(extra: &str) -> (tempfile::TempDir, common::Run, Vec<IndicatorRow>) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["pooled_years.csv", "pooled_years_hierarchy.csv"] {
        std::fs::copy(data(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("urbis.toml"), format!("{CONFIG}{extra}")).unwrap();
    let out = dir.path().join("out");
    let result = urbis(&[
        "indicators",
        dir.path().join("urbis.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let rows = if result.status == 0 {
        urbis_io::tables::csv::parse(&std::fs::read(out.join("indicators.csv")).unwrap()).unwrap()
    } else {
        Vec::new()
    };
    (dir, result, rows)
}

const EU: [&str; 27] = [
    "BE", "BG", "CZ", "DK", "DE", "EE", "IE", "EL", "GR", "ES", "FR", "HR", "IT", "CY", "LV", "LT", "LU", "HU", "MT",
    "NL", "PL", "PT", "RO", "SI", "SK", "FI", "SE",
];

/// (year, level, area, group) of a cell.
type Cell = (String, String, String, String);

/// Contributions per (year, level, area, group): household (within its
/// district) → Σ weight × |income| of its members 18 and over in the group.
fn contributions() -> BTreeMap<Cell, Vec<f64>> {
    let mut reader = csv::Reader::from_path(data("pooled_years.csv")).unwrap();
    let mut cells: BTreeMap<Cell, HashMap<(String, String), f64>> = BTreeMap::new();
    for rec in reader.deserialize::<HashMap<String, String>>() {
        let r = rec.unwrap();
        let age: f64 = r["age"].parse().unwrap();
        if age < 18.0 || r["eq_income"].is_empty() {
            continue;
        }
        let group = match r["citizenship"].as_str() {
            "AT" => "NAT",
            c if EU.contains(&c) => "EU27_2020_FOR",
            _ => "NEU27_2020_FOR",
        };
        let mut groups = vec![group, "TOTAL"];
        if group != "NAT" {
            groups.push("FOR");
        }
        let c = r["weight"].parse::<f64>().unwrap() * r["eq_income"].parse::<f64>().unwrap().abs();
        for (level, area) in [("district", r["district"].as_str()), ("city", "AT130")] {
            for g in &groups {
                let key = (r["year"].clone(), level.to_string(), area.to_string(), g.to_string());
                *cells.entry(key).or_default().entry((r["district"].clone(), r["hh_id"].clone())).or_default() += c;
            }
        }
    }
    cells.into_iter().map(|(k, v)| (k, v.into_values().collect())).collect()
}

#[test]
fn magnitude_cells_failing_the_dominance_rule_are_confidential() {
    let cells = contributions();
    for (n, k) in [(1usize, 20.0), (3, 50.0)] {
        let (dir, result, rows) = run(&format!("[publication.dominance]\nn = {n}\nk = {k}\n"));
        assert_eq!(result.status, 0, "{}", result.stderr);
        // Cells suppressed to protect others (secondary suppression), as the review lists them.
        let review: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("out/review.json")).unwrap()).unwrap();
        let secondary: std::collections::BTreeSet<(String, String, String, String, String)> = review["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "secondary" && e["measure"] == "value")
            .map(|e| {
                let f = |k: &str| e[k].as_str().unwrap().to_string();
                (f("indicator"), f("time"), f("geo_level"), f("geo"), f("group"))
            })
            .collect();
        let mut sensitive = 0;
        for ((year, level, area, group), c) in &cells {
            let mut c = c.clone();
            c.sort_by(|a, b| b.total_cmp(a));
            let (top, total): (f64, f64) = (c.iter().take(n).sum(), c.iter().sum());
            let share = 100.0 * top / total;
            // Cells within rounding of k are not decided by this test.
            if (share - k).abs() < 1e-9 {
                continue;
            }
            let find = |indicator: &str| {
                rows.iter()
                    .find(|r| {
                        r.indicator == indicator
                            && (&r.time, &r.geo_level, &r.geo, &r.group) == (year, level, area, group)
                            && r.measure == Measure::Value
                    })
                    .unwrap_or_else(|| panic!("no {indicator} row for {year} {level} {area} {group}"))
            };
            let is_secondary = |indicator: &str| {
                secondary.contains(&(indicator.into(), year.clone(), level.clone(), area.clone(), group.clone()))
            };
            let median = find("median_income");
            let expected = if share > k || is_secondary("median_income") { "C" } else { "F" };
            assert_eq!(median.conf_status, expected, "({n}, {k}) {year} {level} {area} {group}: share {share}");
            assert!(!(share > k && is_secondary("median_income")), "a primary cell is not secondary");
            sensitive += usize::from(share > k);
            // The rate of persons at risk of poverty is a frequency, not a magnitude.
            assert_eq!(find("arop").conf_status, if is_secondary("arop") { "C" } else { "F" });
        }
        assert!(sensitive >= 3 && sensitive < cells.len() / 2, "({n}, {k}): {sensitive} of {}", cells.len());
        let review = std::fs::read_to_string(dir.path().join("out/review.txt")).unwrap();
        assert!(review.contains(&format!("dominance ({n}, {k})")), "{review}");
        // Gaps to natives follow their sides.
        for gap in rows.iter().filter(|r| r.indicator == "median_income" && r.measure != Measure::Value) {
            let side = |group: &str| {
                rows.iter()
                    .find(|r| {
                        r.indicator == gap.indicator
                            && (&r.time, &r.geo_level, &r.geo) == (&gap.time, &gap.geo_level, &gap.geo)
                            && r.group == group
                            && r.measure == Measure::Value
                    })
                    .unwrap()
                    .conf_status
                    .clone()
            };
            let confidential = side(&gap.group) == "C" || side("NAT") == "C";
            assert_eq!(gap.conf_status == "C", confidential, "{gap:?}");
        }
    }
}

#[test]
fn bad_dominance_parameters_name_their_line() {
    let lines = CONFIG.lines().count();
    let (_dir, result, _) = run("[publication.dominance]\nn = 1\nk = 120\n");
    assert_eq!(result.status, 1);
    assert!(
        result.stderr.contains(&format!("line {}:", lines + 3)) && result.stderr.contains("percentage"),
        "{}",
        result.stderr
    );
    let (_dir, result, _) = run("[publication.dominance]\nk = 60\n");
    assert_eq!(result.status, 1);
    assert!(result.stderr.contains("missing field `n`"), "{}", result.stderr);
    assert!(!result.stderr.contains("panicked"));
}

//! Pooled survey years (`[publication.pooling]`): pooled estimates against R
//! survey and convey on data pooled by hand (tests/fixtures/reference/
//! make_pooled_refs.R), the fallback rule end to end, and configuration errors.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{data, fixtures, rel_diff, urbis};
use urbis_core::{IndicatorRow, Measure};

const CONFIG: &str = r#"[project]
name = "Pooled years"
country = "AT"

[[source]]
name = "lfs"
file = "pooled_years.csv"
year_column = "year"

[source.design]
strata = "stratum"
ids = "psu_id"
weights = "weight"

[source.variables]
age = "age"
citizenship = "citizenship"
labour_status = { column = "ilo", codes = { 1 = "employed", 2 = "unemployed", 3 = "inactive" } }
income = "eq_income"
household_id = "hh_id"
geo = "district"

[geography]
hierarchy = "pooled_years_hierarchy.csv"
levels = ["district", "city"]

[indicators]
compute = ["emp_rate", "arop", "median_income"]

[output]
formats = ["parquet", "jsonstat", "sdmx"]
"#;

/// Everything published as estimated: no threshold or reliability limit.
const NO_LIMITS: &str =
    "[publication.reliability]\nmin_n = 0\nreliable_n = 0\n[publication.disclosure]\nmin_respondents = 0\n";

/// Writes the project with `extra` appended to the configuration.
fn project(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["pooled_years.csv", "pooled_years_hierarchy.csv"] {
        std::fs::copy(data(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("urbis.toml"), format!("{CONFIG}{extra}")).unwrap();
    dir
}

fn run(dir: &Path) -> Vec<IndicatorRow> {
    let out = dir.join("out");
    let result =
        urbis(&["indicators", dir.join("urbis.toml").to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(result.status, 0, "{}", result.stderr);
    urbis_io::tables::csv::parse(&std::fs::read(out.join("indicators.csv")).unwrap()).unwrap()
}

type Key = (String, String, String, String, Measure);

fn by_cell<'a>(rows: &'a [IndicatorRow], time: &str) -> HashMap<Key, &'a IndicatorRow> {
    rows.iter()
        .filter(|r| r.time == time && r.breakdown == "citizen")
        .map(|r| ((r.indicator.clone(), r.geo_level.clone(), r.geo.clone(), r.group.clone(), r.measure), r))
        .collect()
}

/// Compares every reference row of the windows produced by this run.
fn check_against_r(rows: &[IndicatorRow], windows: &[&str]) -> usize {
    let mut reader = csv::Reader::from_path(fixtures().join("reference/pooled_r.csv")).unwrap();
    let mut checked = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        if !windows.contains(&&rec[0]) {
            continue;
        }
        let measure = if &rec[5] == "value" { Measure::Value } else { Measure::GapDifference };
        let cells = by_cell(rows, &rec[0]);
        let key = (rec[1].to_string(), rec[2].to_string(), rec[3].to_string(), rec[4].to_string(), measure);
        let row = cells.get(&key).unwrap_or_else(|| panic!("no row for {key:?} in {}", &rec[0]));
        let (estimate, se): (f64, f64) = (rec[6].parse().unwrap(), rec[7].parse().unwrap());
        assert!(rel_diff(row.estimate, estimate) < 1e-9, "{key:?} {}: {} vs R {estimate}", &rec[0], row.estimate);
        // Quantile SEs come from R's Woodruff interval, printed to 15 digits.
        assert!(rel_diff(row.se, se) < 1e-6, "{key:?} {}: se {} vs R {se}", &rec[0], row.se);
        assert_eq!(row.method, "pooled", "{row:?}");
        checked += 1;
    }
    checked
}

#[test]
fn pooled_estimates_match_r_survey_on_data_pooled_by_hand() {
    let dir = project(&format!("{NO_LIMITS}[publication.pooling]\nmode = \"always\"\nyears = 2\n"));
    let rows = run(dir.path());
    // Rolling two-year windows ending at each year that has a full window;
    // with `always`, no annual figure.
    let mut times: Vec<&str> = rows.iter().map(|r| r.time.as_str()).collect();
    times.sort_unstable();
    times.dedup();
    assert_eq!(times, ["2021-2022", "2022-2023"]);
    assert!(rows.iter().all(|r| r.method == "pooled"));
    let checked = check_against_r(&rows, &["2021-2022", "2022-2023"]);
    assert!(checked > 150, "{checked} reference rows checked");

    let out = dir.path().join("out");
    let sdmx = std::fs::read_to_string(out.join("indicators.sdmx.csv")).unwrap();
    assert!(sdmx.contains(",2021-01-01/P2Y,") && sdmx.contains(",2022-01-01/P2Y,"), "SDMX time ranges");
    assert!(!sdmx.contains(",2021-2022,"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("indicators.json")).unwrap()).unwrap();
    let times = &json["dimension"]["time"]["category"]["index"];
    assert!(times.get("2021-2022").is_some() && times.get("2022-2023").is_some(), "{times}");
    assert!(json["extension"]["method"].as_array().unwrap().iter().any(|m| m == "pooled"));
    let parquet = std::fs::read(out.join("indicators.parquet")).unwrap();
    assert!(parquet.windows(9).any(|w| w == b"2021-2022"));
    let metadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(metadata["pooling"]["mode"], "always");
    assert_eq!(metadata["pooling"]["years"], 2);
    assert_eq!(metadata["sources"][0]["pooled"], serde_json::json!(["2021-2022", "2022-2023"]));

    let dir = project(&format!("{NO_LIMITS}[publication.pooling]\nmode = \"always\"\n"));
    let rows = run(dir.path());
    assert!(rows.iter().all(|r| r.time == "2021-2023"), "three years by default");
    assert!(check_against_r(&rows, &["2021-2023"]) > 70);
}

/// How bad a published status is: F, F with u, N, C.
fn severity(r: &IndicatorRow) -> u8 {
    match (r.conf_status.as_str(), r.flag.contains('u')) {
        ("F", false) => 0,
        ("F", true) => 1,
        ("N", _) => 2,
        _ => 3,
    }
}

#[test]
fn fallback_publishes_the_pooled_figure_only_where_the_annual_one_fails() {
    // The choice between annual and pooled figures, compared figure by
    // figure with the runs of one method: secondary suppression (tested in
    // secondary.rs and, with pooled years, in the publication unit tests)
    // would change other figures of each run.
    let pooling = "[publication.pooling]\nmode = \"%\"\nyears = 2\n[publication.disclosure]\nsecondary = false\n";
    let annual = run(project(&pooling.replace('%', "never")).path());
    let pooled = run(project(&pooling.replace('%', "always")).path());
    let dir = project(&pooling.replace('%', "fallback"));
    let published = run(dir.path());
    assert!(annual.iter().all(|r| r.method == "direct"));

    let mut replaced = 0;
    let mut kept_failing = 0;
    for year in ["2021", "2022", "2023"] {
        let annual = by_cell(&annual, year);
        let window = format!("{}-{year}", year.parse::<u32>().unwrap() - 1);
        let pooled = by_cell(&pooled, &window);
        let out_annual = by_cell(&published, year);
        let out_pooled = by_cell(&published, &window);
        for (key, a) in &annual {
            match pooled.get(key).filter(|p| severity(p) < severity(a)) {
                Some(p) => {
                    assert!(!out_annual.contains_key(key), "{a:?} replaced");
                    assert_eq!(format!("{:?}", out_pooled[key]), format!("{p:?}"), "{key:?} {year}");
                    replaced += 1;
                }
                None => {
                    assert_eq!(format!("{:?}", out_annual[key]), format!("{a:?}"), "{key:?} {year}");
                    assert!(!out_pooled.contains_key(key), "{key:?}: pooled {window} not needed");
                    kept_failing += usize::from(severity(a) > 0);
                }
            }
        }
    }
    // The fixture has small groups: some annual figures are replaced, some
    // fail in 2021 (no window ends there) or fail pooled as well.
    assert!(replaced > 10 && kept_failing > 10, "{replaced} replaced, {kept_failing} still failing");
    let review = std::fs::read_to_string(dir.path().join("out/review.txt")).unwrap();
    assert!(
        review.contains("replaced by pooled years") && review.contains("published from the pooled years 2022-2023")
    );
    assert!(review.contains(&format!("pooled: {replaced}")), "{review}");
    // Published gaps come from one design: both sides from the same window.
    let both: Vec<IndicatorRow> = annual.iter().chain(&pooled).cloned().collect();
    for gap in published.iter().filter(|r| r.measure != Measure::Value && r.conf_status == "F") {
        let sides = by_cell(&both, &gap.time);
        for group in [gap.group.as_str(), "NAT"] {
            let key =
                (gap.indicator.clone(), gap.geo_level.clone(), gap.geo.clone(), group.to_string(), Measure::Value);
            assert_eq!(sides[&key].conf_status, "F", "{gap:?}");
        }
    }
}

#[test]
fn a_window_longer_than_the_survey_years_names_its_line() {
    let dir = project("[publication.pooling]\nmode = \"fallback\"\nyears = 4\n");
    let lines = CONFIG.lines().count();
    let result = urbis(&["check", dir.path().join("urbis.toml").to_str().unwrap(), "--quiet"]);
    assert_eq!(result.status, 1, "{}", result.stderr);
    assert!(result.stderr.contains(&format!("urbis.toml: line {}:", lines + 3)), "{}", result.stderr);
    assert!(
        result.stderr.contains("4 consecutive survey years") && result.stderr.contains("2021, 2022, 2023"),
        "{}",
        result.stderr
    );
    assert!(!result.stderr.contains("panicked"));

    let dir = project("[publication.pooling]\nmode = \"often\"\n");
    let result = urbis(&["check", dir.path().join("urbis.toml").to_str().unwrap(), "--quiet"]);
    assert_eq!(result.status, 1);
    assert!(
        result.stderr.contains(&format!("line {}:", lines + 2)) && result.stderr.contains("never, fallback, always")
    );

    // One survey year only.
    let dir = project("[publication.pooling]\nmode = \"always\"\nyears = 2\n");
    let config = std::fs::read_to_string(dir.path().join("urbis.toml")).unwrap();
    std::fs::write(dir.path().join("urbis.toml"), config.replace("year_column = \"year\"", "year = 2023")).unwrap();
    let result = urbis(&["check", dir.path().join("urbis.toml").to_str().unwrap(), "--quiet"]);
    assert_eq!(result.status, 1);
    assert!(result.stderr.contains("only the year 2023"), "{}", result.stderr);
}

//! Small-area estimates in the indicator table (`[[small_area]]`): on the
//! synthetic LFS of examples/cities with register-like covariates
//! (tests/fixtures/data/cities_district_covariates.csv, provenance in
//! tests/fixtures/SOURCES.md), exactly the districts whose direct figure
//! fails the rules get method `fh`, with the EBLUP and MSE that `urbis sae`
//! gives on the same direct estimates, variances and covariates; and
//! configuration errors name their line.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use common::{csv_rows, data, rel_diff, urbis};
use urbis_core::{IndicatorRow, Measure};

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/cities")
}

const CONFIG: &str = r#"breakdowns = ["c_birth"]

[project]
name = "Small areas"
level = 0.95

[[source]]
name = "lfs"
file = "lfs_cities.parquet"
year_column = "year"

[source.design]
strata = "stratum"
ids = "psu"
nest = true
weights = "weight"

[source.variables]
age = "age"
country_birth = "cob"
citizenship = "citizenship"
labour_status = { column = "ilo", codes = { 1 = "employed", 2 = "unemployed", 3 = "inactive" } }
household_id = "hh_id"
geo = "district"

[geography]
hierarchy = "hierarchy.csv"
levels = ["district", "city", "country"]

[indicators]
compute = ["emp_rate"]
"#;

/// Everything published as estimated: the direct figures and their SEs.
const NO_LIMITS: &str =
    "\n[publication.reliability]\nmin_n = 0\nreliable_n = 0\n[publication.disclosure]\nmin_respondents = 0\n";

const SMALL_AREA: &str = r#"
[[small_area]]
indicator = "emp_rate"
level = "district"
covariates = "covariates.csv"
area = "district"
formula = "~ share_foreign_born + factor(city)"
method = "reml"
groups = ["EU27_2020_FOR", "NEU27_2020_FOR"]
"#;

const FORMULA: &str = "~ share_foreign_born + factor(city)";
const GROUPS: [&str; 2] = ["EU27_2020_FOR", "NEU27_2020_FOR"];

/// The project in a temporary folder: the cities' sample, their hierarchy
/// with a fifth Warsaw district that has no respondent, the covariates.
fn project(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(examples().join("lfs_cities.parquet"), dir.path().join("lfs_cities.parquet")).unwrap();
    let mut hierarchy = std::fs::read_to_string(examples().join("hierarchy.csv")).unwrap();
    let warsaw = hierarchy.lines().find(|l| l.starts_with("PL911_D04")).unwrap().replacen("PL911_D04", "PL911_D05", 1);
    hierarchy.push_str(&format!("{warsaw}\n"));
    std::fs::write(dir.path().join("hierarchy.csv"), hierarchy).unwrap();
    std::fs::copy(data("cities_district_covariates.csv"), dir.path().join("covariates.csv")).unwrap();
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

fn district_values<'a>(rows: &'a [IndicatorRow], group: &str) -> HashMap<&'a str, &'a IndicatorRow> {
    rows.iter()
        .filter(|r| r.geo_level == "district" && r.group == group && r.measure == Measure::Value)
        .map(|r| (r.geo.as_str(), r))
        .collect()
}

/// `urbis sae` on the direct estimates of `group` (all districts, the
/// fifth Warsaw one without a direct estimate) and the covariates.
fn urbis_sae(dir: &Path, direct: &HashMap<&str, &IndicatorRow>) -> HashMap<String, HashMap<String, String>> {
    let covariates = csv_rows(&std::fs::read_to_string(data("cities_district_covariates.csv")).unwrap());
    let mut table = String::from("district,city,share_foreign_born,direct,var\n");
    for c in &covariates {
        let (y, v) = match direct.get(c["district"].as_str()) {
            Some(r) => (r.estimate.to_string(), (r.se * r.se).to_string()),
            None => (String::new(), String::new()),
        };
        table.push_str(&format!("{},{},{},{y},{v}\n", c["district"], c["city"], c["share_foreign_born"]));
    }
    let file = dir.join("direct.csv");
    std::fs::write(&file, table).unwrap();
    let summary = dir.join("summary.json");
    let r = urbis(&[
        "sae",
        file.to_str().unwrap(),
        "--area",
        "district",
        "--direct",
        "direct",
        "--var",
        "var",
        "--formula",
        FORMULA,
        "--method",
        "reml",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    csv_rows(&r.stdout).into_iter().map(|row| (row["area"].clone(), row)).collect()
}

#[test]
fn failing_districts_get_the_fay_herriot_estimate_of_urbis_sae() {
    let baseline_dir = project(NO_LIMITS);
    let baseline = run(baseline_dir.path());
    let dir = project(SMALL_AREA);
    let rows = run(dir.path());
    let z = 1.959963984540054;
    let metadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/metadata.json")).unwrap()).unwrap();
    let review = std::fs::read_to_string(dir.path().join("out/review.txt")).unwrap();
    let mut replaced_total = 0;
    for group in GROUPS {
        let direct = district_values(&baseline, group);
        let published = district_values(&rows, group);
        // The default rules: fewer than 50 respondents fail (flag u or not
        // published); the district without respondents has no direct figure.
        let mut expected: BTreeSet<&str> =
            direct.iter().filter(|(_, r)| r.n.unwrap() < 50).map(|(geo, _)| *geo).collect();
        expected.insert("PL911_D05");
        assert!(expected.len() >= 2, "{group}: the fixture must have failing districts: {expected:?}");
        let got: BTreeSet<&str> = published.iter().filter(|(_, r)| r.method == "fh").map(|(g, _)| *g).collect();
        assert_eq!(got, expected, "{group}");
        replaced_total += got.len();
        let sae = urbis_sae(dir.path(), &direct);
        for (geo, r) in &published {
            if r.method != "fh" {
                assert_eq!(r.method, "direct");
                assert_eq!(r.estimate, direct[geo].estimate, "{group} {geo}: a passing direct figure stays");
                continue;
            }
            let s = &sae[*geo];
            let (eblup, mse): (f64, f64) = (s["eblup"].parse().unwrap(), s["mse"].parse().unwrap());
            assert!(rel_diff(r.estimate, eblup) < 1e-9, "{group} {geo}: {} vs urbis sae {eblup}", r.estimate);
            assert!(rel_diff(r.se, mse.sqrt()) < 1e-9, "{group} {geo}: SE is the root of the MSE");
            assert!(rel_diff(r.ci_low, eblup - z * mse.sqrt()) < 1e-9, "{group} {geo}");
            assert!(rel_diff(r.ci_high, eblup + z * mse.sqrt()) < 1e-9, "{group} {geo}");
            // The model figure is not the direct one, and is more precise.
            if let Some(d) = direct.get(geo) {
                assert_ne!(r.estimate, d.estimate);
                assert!(r.se < d.se, "{group} {geo}: MSE-based SE {} vs direct {}", r.se, d.se);
                assert_eq!(r.n, d.n, "{group} {geo}: n stays the area's respondents");
            } else {
                assert_eq!(s["sampled"], "false");
                assert_eq!(r.n, Some(0));
            }
            // No CV limit is configured and n limits do not apply to model estimates.
            assert_eq!((r.flag.as_str(), r.conf_status.as_str()), ("", "F"), "{group} {geo}");
            assert!(review
                .lines()
                .any(|l| l.contains(geo) && l.contains(group) && l.contains("small-area model (fh)")));
        }
        // Gaps of districts with an fh side are not published (mixed methods).
        for r in rows.iter().filter(|r| r.geo_level == "district" && r.group == group && r.measure != Measure::Value) {
            let fh = published.get(r.geo.as_str()).is_some_and(|v| v.method == "fh");
            assert_eq!(r.estimate.is_nan(), fh, "{group} {}: gap {:?}", r.geo, r.estimate);
            if fh {
                assert_eq!(r.conf_status, "N");
            }
        }
        // The diagnostics in the metadata, as `urbis sae` reports them.
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
        let models = metadata["small_area"].as_array().unwrap();
        let m = models.iter().find(|m| m["group"] == group).unwrap();
        assert_eq!(
            (m["indicator"].as_str(), m["level"].as_str(), m["time"].as_str()),
            (Some("emp_rate"), Some("district"), Some("2023"))
        );
        assert_eq!((m["method"].as_str(), m["breakdown"].as_str()), (Some("REML"), Some("c_birth")));
        assert_eq!((m["areas"].as_u64(), m["areas_sampled"].as_u64()), (Some(37), Some(36)));
        assert_eq!(m["converged"], true);
        let sigma2 = m["sigma2_u"].as_f64().unwrap();
        assert!(rel_diff(sigma2, summary["variance"].as_f64().unwrap()) < 1e-9);
        assert!(rel_diff(m["loglik"].as_f64().unwrap(), summary["loglik"].as_f64().unwrap()) < 1e-9);
        assert_eq!(m["beta"].as_array().unwrap().len(), 10, "intercept, share, 8 cities");
        let listed: BTreeSet<&str> =
            m["areas_replaced"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        assert_eq!(listed, expected);
    }
    assert_eq!(metadata["small_area"].as_array().unwrap().len(), 2, "only the groups asked for");
    let counts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/review.json")).unwrap()).unwrap();
    assert_eq!(counts["counts"]["small_area"].as_u64(), Some(replaced_total as u64));
    // Groups not asked for keep their direct (flagged or suppressed) figures.
    assert!(rows.iter().filter(|r| r.group == "NAT" || r.geo_level == "city").all(|r| r.method == "direct"));
}

/// Runs `extra` and returns (exit code, stderr).
fn fails(extra: &str, tweak: impl Fn(&Path)) -> (i32, String) {
    let dir = project(extra);
    tweak(dir.path());
    let r = urbis(&[
        "indicators",
        dir.path().join("urbis.toml").to_str().unwrap(),
        "--out",
        "/nonexistent/never",
        "--quiet",
    ]);
    (r.status, r.stderr)
}

/// The line of `needle` in the configuration with `extra` appended.
fn line_of(extra: &str, needle: &str) -> usize {
    let text = format!("{CONFIG}{extra}");
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn configuration_errors_name_their_line() {
    let cases: [(&str, &str, &str, &str); 7] = [
        (
            "indicator = \"emp_rate\"",
            "indicator = \"edu_low\"",
            "indicator = \"edu_low\"",
            "not among indicators.compute",
        ),
        ("level = \"district\"", "level = \"nuts3\"", "level = \"nuts3\"", "not one of geography.levels"),
        ("covariates = \"covariates.csv\"", "covariates = \"nope.csv\"", "covariates = \"nope.csv\"", "nope.csv"),
        ("method = \"reml\"", "method = \"bayes\"", "method = \"bayes\"", "unknown method 'bayes'"),
        ("formula = \"~ share_foreign_born + factor(city)\"", "formula = \"~ log(share)\"", "formula = ", "log"),
        (
            "formula = \"~ share_foreign_born + factor(city)\"",
            "formula = \"~ register_share\"",
            "covariates = ",
            "'register_share'",
        ),
        (
            "groups = [\"EU27_2020_FOR\", \"NEU27_2020_FOR\"]",
            "groups = [\"EU27_2020_FOR\",\n \"MARS\"]",
            "\"MARS\"",
            "no figure for group 'MARS'",
        ),
    ];
    for (from, to, at, message) in cases {
        let extra = SMALL_AREA.replace(from, to);
        assert_ne!(extra, SMALL_AREA);
        let (status, stderr) = fails(&extra, |_| {});
        assert_ne!(status, 0, "{to}");
        let line = line_of(&extra, at);
        assert!(stderr.contains(&format!("line {line}:")), "{to}: expected line {line}: {stderr}");
        assert!(stderr.contains(message), "{to}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn districts_missing_from_the_covariates_are_listed() {
    let drop = |dir: &Path| {
        let table = std::fs::read_to_string(dir.join("covariates.csv")).unwrap();
        let kept: String = table
            .lines()
            .filter(|l| !l.starts_with("SE110") && !l.starts_with("AT130_D01") && !l.starts_with("AT130_D02"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.join("covariates.csv"), kept).unwrap();
    };
    let (status, stderr) = fails(SMALL_AREA, drop);
    assert_ne!(status, 0);
    let line = line_of(SMALL_AREA, "covariates = ");
    assert!(stderr.contains(&format!("line {line}:")), "{stderr}");
    assert!(stderr.contains("6 area(s) of level 'district' have no row"), "{stderr}");
    assert!(stderr.contains("'AT130_D01', 'AT130_D02', 'SE110_D01'") && stderr.contains("and 1 more"), "{stderr}");
    // A missing covariate value names the file's row and column.
    let blank = |dir: &Path| {
        let table = std::fs::read_to_string(dir.join("covariates.csv")).unwrap();
        std::fs::write(dir.join("covariates.csv"), table.replacen("AT130_D02,AT130,25.9", "AT130_D02,AT130,", 1))
            .unwrap();
    };
    let (status, stderr) = fails(SMALL_AREA, blank);
    assert_ne!(status, 0);
    assert!(stderr.contains("row 2, column 'share_foreign_born': missing value"), "{stderr}");
}

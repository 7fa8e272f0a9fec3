//! `urbis indicators`: the shipped EU-SILC example against R convey, and the
//! bad-input contract (config line or data row named, nothing written).

mod common;

use std::path::{Path, PathBuf};

use common::{csv_rows, rel_diff, urbis};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/eusilc")
}

/// Copies the EU-SILC example into a temporary folder, with the configuration
/// changed by `edit`.
fn project(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["eusilc_laeken.csv", "eusilc_db040_to_nuts2.csv", "hierarchy.csv"] {
        std::fs::copy(example().join(f), dir.path().join(f)).unwrap();
    }
    let config = std::fs::read_to_string(example().join("urbis.toml")).unwrap();
    std::fs::write(dir.path().join("urbis.toml"), edit(config)).unwrap();
    dir
}

fn run(dir: &Path) -> common::Run {
    let config = dir.join("urbis.toml");
    let out = dir.join("out");
    urbis(&["indicators", config.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
}

#[test]
fn eusilc_example_matches_r_convey() {
    let dir = project(|c| c);
    let result = run(dir.path());
    assert_eq!(result.status, 0, "{}", result.stderr);
    let out = dir.path().join("out");
    for f in ["indicators.csv", "indicators.parquet", "indicators.json", "indicators.sdmx.csv", "metadata.json"] {
        assert!(out.join(f).exists(), "{f} written");
    }
    let rows = csv_rows(&std::fs::read_to_string(out.join("indicators.csv")).unwrap());
    let find = |indicator: &str, geo: &str, group: &str, measure: &str| {
        rows.iter()
            .find(|r| r["indicator"] == indicator && r["geo"] == geo && r["group"] == group && r["measure"] == measure)
            .unwrap_or_else(|| panic!("no row {indicator} {geo} {group} {measure}"))
    };
    // R: svyby(~eqIncome, ~pb220a, subset(convey_prep(svydesign(ids=~db030,
    // strata=~db040, weights=~rb050)), age >= 18), svyarpr) × 100 (age -1 as 0).
    for (group, estimate, se) in [
        ("NAT", 12.858526580076, 0.426998914919),
        ("EU27_2020_FOR", 15.945579308700, 2.274132401043),
        ("NEU27_2020_FOR", 23.205500703947, 1.822770522478),
        ("TOTAL", 13.587028783781, 0.435117084517),
    ] {
        let r = find("arop", "AT", group, "value");
        assert!(rel_diff(r["estimate"].parse().unwrap(), estimate) < 1e-10, "{group} {}", r["estimate"]);
        assert!(rel_diff(r["se"].parse().unwrap(), se) < 1e-8, "{group} {}", r["se"]);
        assert_eq!(r["unit"], "PC");
        assert_eq!(r["method"], "direct");
        assert_eq!(r["conf_status"], "F");
    }
    // R: svyby(~eqIncome, ~pb220a, subset(design, age >= 18), svyquantile, quantiles = 0.5)
    for (group, estimate, se) in [("NAT", 18903.2333333333, 134.5331), ("EU27_2020_FOR", 18227.44, 777.3817)] {
        let r = find("median_income", "AT", group, "value");
        assert!(rel_diff(r["estimate"].parse().unwrap(), estimate) < 1e-10);
        assert!(rel_diff(r["se"].parse().unwrap(), se) < 1e-6);
    }
    // The gap is the difference of the two domain values, in percentage points.
    let gap = find("arop", "AT", "NEU27_2020_FOR", "gap_diff");
    let diff: f64 = gap["estimate"].parse().unwrap();
    assert!((diff - (23.205500703947 - 12.858526580076)).abs() < 1e-9);
    assert_eq!(gap["unit"], "PP");
    assert_eq!(gap["significant"], "true");
    // Every NUTS 2 region and the country are there; definitions are recorded.
    for geo in ["AT11", "AT12", "AT13", "AT21", "AT22", "AT31", "AT32", "AT33", "AT34", "AT"] {
        find("arop", geo, "NAT", "value");
    }
    assert!(rows.iter().all(|r| r["definition"].starts_with("citizen.map")));
    let metadata = std::fs::read_to_string(out.join("metadata.json")).unwrap();
    assert!(metadata.contains("\"definitions\"") && metadata.contains("citizen.map"));
}

fn fails(dir: &Path, needle: &str) {
    let result = run(dir);
    assert_eq!(result.status, 1, "should fail: {}", result.stderr);
    assert!(result.stderr.contains(needle), "expected '{needle}' in: {}", result.stderr);
    assert!(!result.stderr.contains("panicked"));
    assert!(!dir.join("out").exists(), "nothing written");
}

#[test]
fn unknown_indicator_names_its_line() {
    let dir = project(|c| c.replace("compute = [\"arop\"", "compute = [\"arope\""));
    fails(dir.path(), "urbis.toml: line 33: unknown indicator 'arope'");
}

#[test]
fn unknown_column_is_reported() {
    let dir = project(|c| c.replace("income = \"eqIncome\"", "income = \"eqIncom\""));
    fails(dir.path(), "column 'eqIncom' not found");
}

#[test]
fn unmapped_codes_are_reported_with_counts_or_kept_as_unknown() {
    let dir = project(|c| c.replace(", Other = \"NEU27_2020_FOR\" }", " }"));
    fails(dir.path(), "'Other' (751 rows)");
    let dir = project(|c| c.replace(", Other = \"NEU27_2020_FOR\" } }", " }, unknown = \"unknown\" }"));
    let result = run(dir.path());
    assert_eq!(result.status, 0, "{}", result.stderr);
    assert!(result.stderr.contains("'Other' (751 rows)"), "{}", result.stderr);
    let rows = csv_rows(&std::fs::read_to_string(dir.path().join("out/indicators.csv")).unwrap());
    assert!(rows.iter().any(|r| r["group"] == "UNK"));
}

#[test]
fn area_missing_from_the_hierarchy() {
    let dir = project(|c| c);
    let hierarchy = std::fs::read_to_string(dir.path().join("hierarchy.csv")).unwrap();
    std::fs::write(dir.path().join("hierarchy.csv"), hierarchy.replace("AT34,AT\n", "")).unwrap();
    fails(dir.path(), "area 'AT34' is missing from the hierarchy");
}

#[test]
fn age_band_outside_the_data() {
    let dir = project(|c| {
        c.replace("compute = [", "compute = [\"very_old\", ")
            + "\n[[indicators.custom]]\nid = \"very_old\"\npopulation = \"age >= 200\"\nnumerator = \"age >= 0\"\nstatistic = \"share\"\n"
    });
    fails(dir.path(), "no row of source 'eusilc' is in its population (age >= 200)");
}

#[test]
fn custom_indicator_with_the_same_building_blocks() {
    let dir = project(|c| {
        c.replace("compute = [", "compute = [\"arop_women\", \"older_share\", ")
            .replace("age = { column", "sex = { column = \"rb090\", codes = { female = \"F\", male = \"M\" } }\nage = { column")
            + "\n[[indicators.custom]]\nid = \"arop_women\"\nlabel = \"At-risk-of-poverty rate, women 18+\"\npopulation = \"age >= 18 and sex == 'F'\"\nstatistic = \"arpr\"\nvariable = \"income\"\n\n[[indicators.custom]]\nid = \"older_share\"\npopulation = \"age >= 18\"\nnumerator = \"age >= 65\"\nstatistic = \"share\"\n"
    });
    let result = run(dir.path());
    assert_eq!(result.status, 0, "{}", result.stderr);
    let rows = csv_rows(&std::fs::read_to_string(dir.path().join("out/indicators.csv")).unwrap());
    assert!(rows.iter().any(|r| r["indicator"] == "arop_women" && r["group"] == "NEU27_2020_FOR"));
    assert!(rows.iter().any(|r| r["indicator"] == "older_share" && r["measure"] == "gap_diff"));
}

#[test]
fn bad_condition_names_its_line() {
    let dir = project(|c| {
        c + "\n[[indicators.custom]]\nid = \"broken\"\npopulation = \"age >=\"\nnumerator = \"age > 1\"\nstatistic = \"share\"\n"
    });
    fails(dir.path(), "population: expected a number");
}

#[test]
fn the_poverty_threshold_comes_from_each_year() {
    // Two survey years with the same people; incomes doubled in the second.
    // A threshold per year gives the same rates; a pooled one would not.
    let dir = project(|c| c.replace("year = 2006", "year_column = \"year\"").replace("db030", "hh"));
    let mut reader = csv::Reader::from_path(example().join("eusilc_laeken.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let income = headers.iter().position(|h| h == "eqIncome").unwrap();
    let household = headers.iter().position(|h| h == "db030").unwrap();
    let mut writer = csv::Writer::from_path(dir.path().join("eusilc_laeken.csv")).unwrap();
    let mut header: Vec<&str> = headers.iter().collect();
    header.extend(["year", "hh"]);
    writer.write_record(&header).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for (year, factor) in [("2006", 1.0), ("2007", 2.0)] {
        for r in &records {
            let mut fields: Vec<String> = r.iter().map(str::to_string).collect();
            let x: f64 = fields[income].parse().unwrap();
            fields[income] = format!("{}", x * factor);
            let hh = format!("{year}-{}", fields[household]);
            fields.extend([year.to_string(), hh]);
            writer.write_record(&fields).unwrap();
        }
    }
    writer.flush().unwrap();
    let result = run(dir.path());
    assert_eq!(result.status, 0, "{}", result.stderr);
    let rows = csv_rows(&std::fs::read_to_string(dir.path().join("out/indicators.csv")).unwrap());
    let rate = |time: &str| -> f64 {
        rows.iter()
            .find(|r| r["indicator"] == "arop" && r["geo"] == "AT" && r["group"] == "TOTAL" && r["time"] == time)
            .unwrap()["estimate"]
            .parse()
            .unwrap()
    };
    assert!((rate("2006") - rate("2007")).abs() < 1e-9, "{} vs {}", rate("2006"), rate("2007"));
    assert!((rate("2006") - 13.587028783781).abs() < 1e-9);
}

/// The example with `geography.population` and a population column in the
/// hierarchy: 500 000 residents in each region but Vienna (AT13), whose
/// value is `vienna`.
fn with_population(vienna: &str) -> tempfile::TempDir {
    let dir = project(|c| {
        c.replace(
            "levels = [\"nuts2\", \"country\"]",
            "levels = [\"nuts2\", \"country\"]\npopulation = \"population\"\npopulation_date = \"2024-01-01\"",
        )
    });
    let path = dir.path().join("hierarchy.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for (k, line) in text.lines().enumerate() {
        let value = match k {
            0 => "population",
            _ if line.starts_with("AT13,") => vienna,
            _ => "500000",
        };
        out.push_str(&format!("{line},{value}\n"));
    }
    std::fs::write(path, out).unwrap();
    dir
}

#[test]
fn bad_populations_in_the_hierarchy_name_file_row_and_column() {
    let dir = with_population("n/a");
    fails(dir.path(), "hierarchy.csv: row 3, column 'population': 'n/a' is not a population (a number ≥ 0)");
    let dir = with_population("-5");
    fails(dir.path(), "row 3, column 'population': '-5' is not a population");
    let dir = with_population("");
    fails(dir.path(), "hierarchy.csv: row 3, column 'population': the population is missing");
}

#[test]
fn populations_are_stored_and_add_up_to_the_country() {
    let dir = with_population("2000000");
    let db = dir.path().join("store.sqlite");
    let config = dir.path().join("urbis.toml");
    let out = dir.path().join("out");
    let result = urbis(&[
        "indicators",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--store",
        db.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(result.status, 0, "{}", result.stderr);
    let store = urbis_store::Store::open_read_only(&db).unwrap();
    let country = store.area_facts("country").unwrap();
    assert_eq!(country.len(), 1);
    assert_eq!((country[0].code.as_str(), country[0].population), ("AT", Some(8.0 * 500_000.0 + 2_000_000.0)));
    assert_eq!(country[0].population_date.as_deref(), Some("2024-01-01"));
    let vienna = store.area_facts("nuts2").unwrap().into_iter().find(|f| f.code == "AT13").unwrap();
    assert_eq!((vienna.population, vienna.city_share), (Some(2_000_000.0), None));
}

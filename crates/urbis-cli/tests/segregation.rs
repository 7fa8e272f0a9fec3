//! `urbis segregation`: golden values from PySAL segregation 2.5.4 (the toy
//! table of the oracle `EXPECTED.md`, its multigroup indices, and the Munich
//! census grid at four scales), and the bad-input contract.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::{csv_rows, data, fixtures, urbis};

fn munich() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/munich")
}

/// Runs the command, expecting success; returns its CSV rows.
fn rows(args: &[&str]) -> Vec<HashMap<String, String>> {
    let run = urbis(args);
    assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    csv_rows(&run.stdout)
}

fn value(rows: &[HashMap<String, String>], index: &str, scale: &str, group: &str) -> f64 {
    let row = rows
        .iter()
        .find(|r| r["index"] == index && r["scale"] == scale && r["group"] == group)
        .unwrap_or_else(|| panic!("no row {index} {scale} {group}"));
    row["value"].parse().expect("a number")
}

/// EXPECTED.md, "Residential segregation", seg_toy.csv (PySAL segregation 2.5.4).
const TOY: [(&str, f64); 6] = [
    ("dissimilarity", 0.5852187028657617),
    ("isolation", 0.5676470588235294),
    ("exposure", 0.4323529411764706),
    ("entropy", 0.3369001294677172),
    ("gini", 0.7269984917043743),
    ("atkinson", 0.48325124907270356),
];

#[test]
fn toy_two_group_indices_match_expected_md() {
    let toy = data("seg_toy.csv");
    let out = rows(&["segregation", toy.to_str().unwrap(), "--group", "migr", "--total", "tot", "--unit", "area"]);
    assert_eq!(out.len(), TOY.len());
    for (index, want) in TOY {
        let got = value(&out, index, "unit", "migr");
        assert!((got - want).abs() < 1e-9, "{index}: {got} vs {want}");
    }
}

#[test]
fn toy_location_quotients_match_expected_md() {
    let toy = data("seg_toy.csv");
    let out =
        rows(&["segregation", toy.to_str().unwrap(), "--group", "migr", "--total", "tot", "--unit", "area", "--lq"]);
    let want = [0.32941176, 1.64705882, 0.16470588, 2.63529412, 0.0, 0.82352941];
    let units: Vec<&str> = out.iter().map(|r| r["unit"].as_str()).collect();
    assert_eq!(units, ["a1", "a2", "a3", "a4", "a5", "a6"]);
    for (row, want) in out.iter().zip(want) {
        let got: f64 = row["lq"].parse().unwrap();
        assert!((got - want).abs() < 5e-9, "{}: {got} vs {want}", row["unit"]);
    }
}

#[test]
fn toy_multigroup_indices_match_pysal() {
    let toy = data("seg_toy.csv");
    let out = rows(&["segregation", toy.to_str().unwrap(), "--groups", "migr,nat"]);
    let reference = std::fs::read_to_string(fixtures().join("reference/seg_toy_multigroup_pysal.csv")).unwrap();
    let reference = csv_rows(&reference);
    assert_eq!(reference.len(), 10);
    for r in &reference {
        let (got, want) = (value(&out, &r["index"], "unit", ""), r["value"].parse::<f64>().unwrap());
        assert!((got - want).abs() < 1e-9, "{}: {got} vs {want}", r["index"]);
    }
    // With two groups, each group's two-group indices are those of --group/--total.
    for (index, want) in TOY {
        assert!((value(&out, index, "unit", "migr") - want).abs() < 1e-9, "{index}");
    }
}

/// Every index and location quotient that `reference/make_expected_pysal.py`
/// computed with PySAL for the Munich grid at 1, 2, 5 and 10 km.
#[test]
fn munich_grid_matches_pysal_at_every_scale() {
    let file = munich().join("munich_1km_country_of_birth.csv");
    let file = file.to_str().unwrap();
    let scales = ["--unit", "GRD_ID", "--scales", "1000,2000,5000,10000"];
    let mut two = vec!["segregation", file, "--group", "foreign_born", "--total", "total_known"];
    two.extend(scales);
    let mut multi = vec!["segregation", file, "--groups", "born_DE,born_EU27,born_other_europe,born_rest_world"];
    multi.extend(scales);
    let mut lq =
        vec!["segregation", file, "--group", "foreign_born", "--total", "total_known", "--unit", "GRD_ID", "--lq"];
    let (two, multi, lq) = (rows(&two), rows(&multi), rows(&std::mem::take(&mut lq)));

    let text = std::fs::read_to_string(munich().join("reference/expected_pysal.csv")).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    let reference = csv_rows(&body);
    assert_eq!(reference.len(), 709);
    for r in &reference {
        let want: f64 = r["value"].parse().unwrap();
        let got = if r["index"] == "lq" {
            let row = lq.iter().find(|x| x["unit"] == r["unit"]).unwrap_or_else(|| panic!("no unit {}", r["unit"]));
            row["lq"].parse::<f64>().unwrap()
        } else {
            let source = if r["group"] == "foreign_born" { &two } else { &multi };
            let row = source
                .iter()
                .find(|x| x["index"] == r["index"] && x["scale"] == r["scale"] && x["group"] == r["group"])
                .unwrap_or_else(|| panic!("no row {:?}", r));
            assert_eq!(row["units"], r["units"], "units of {:?}", r);
            row["value"].parse::<f64>().unwrap()
        };
        assert!((got - want).abs() < 1e-9, "{:?}: urbis {got}", r);
    }
}

/// Runs the command and checks the failure contract; returns stderr.
fn fails(args: &[&str]) -> String {
    let run = urbis(args);
    assert_eq!(run.status, 1, "exit code for {args:?}: stderr {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout, got {}", run.stdout);
    assert!(!run.stderr.contains("panicked"), "no panic: {}", run.stderr);
    run.stderr
}

fn write(dir: &tempfile::TempDir, content: &str) -> String {
    let path = dir.path().join("counts.csv");
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn bad_counts_name_file_row_column_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "id,a,t\nx,1,5\ny,7,6\n");
    let err = fails(&["segregation", &f, "--group", "a", "--total", "t"]);
    assert!(err.contains("counts.csv: row 2, column 'a': the group count 7 exceeds the total 6"), "{err}");

    let f = write(&dir, "id,a,b\nx,1,5\ny,-2,6\n");
    let err = fails(&["segregation", &f, "--groups", "a,b"]);
    assert!(err.contains("counts.csv: row 2, column 'a': -2 is not a non-negative number"), "{err}");

    let f = write(&dir, "id,a,b\nx,1,5\ny,,6\n");
    let err = fails(&["segregation", &f, "--groups", "a,b"]);
    assert!(err.contains("counts.csv: row 2, column 'a': the count is missing"), "{err}");

    let f = write(&dir, "id,a,b\nx,1,5\ny,many,6\n");
    let err = fails(&["segregation", &f, "--groups", "a,b"]);
    assert!(err.contains("row 2, column 'a': the value is not a number"), "{err}");

    let f = write(&dir, "id,a,b\nx,0,5\ny,0,6\n");
    let err = fails(&["segregation", &f, "--groups", "a,b"]);
    assert!(err.contains("group a has 0 people"), "{err}");
}

#[test]
fn scales_need_grid_ids_that_nest() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "id,a,b\nCRS3035RES1000mN2772000E4422000,1,5\nx9,2,6\n");
    let err = fails(&["segregation", &f, "--groups", "a,b", "--unit", "id", "--scales", "2000"]);
    assert!(err.contains("row 2, column 'id': 'x9' is not an INSPIRE grid cell id"), "{err}");

    let f = write(&dir, "id,a,b\nCRS3035RES1000mN2772000E4422000,1,5\nCRS3035RES1000mN2773000E4422000,2,6\n");
    let err = fails(&["segregation", &f, "--groups", "a,b", "--unit", "id", "--scales", "2500"]);
    assert!(err.contains("row 1, column 'id'") && err.contains("multiple of the cell size"), "{err}");
}

const CELLS: &str = "id,a,b
CRS3035RES1000mN2772000E4422000,1,9
CRS3035RES1000mN2772000E4423000,4,6
CRS3035RES1000mN2772000E4425000,8,2
CRS3035RES1000mN2773000E4425000,3,3
";

/// The same counts summed by hand: west = the first two cells, east = the others.
const BY_HAND: &str = "area,a,b\nwest,5,15\neast,11,5\n";

fn multigroup_values(args: &[&str], scale: &str) -> Vec<(String, String)> {
    rows(args).into_iter().filter(|r| r["scale"] == scale).map(|r| (r["index"].clone(), r["value"].clone())).collect()
}

#[test]
fn cells_summed_into_areas_by_polygon_or_table_equal_the_summed_file() {
    let dir = tempfile::tempdir().unwrap();
    let cells = write(&dir, CELLS);
    let hand = dir.path().join("hand.csv");
    std::fs::write(&hand, BY_HAND).unwrap();
    let want = multigroup_values(&["segregation", hand.to_str().unwrap(), "--groups", "a,b"], "unit");
    assert_eq!(want.len(), 22);

    let areas = dir.path().join("districts.geojson");
    std::fs::write(
        &areas,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3035"}},"features":[
      {"type":"Feature","properties":{"d":"west"},"geometry":{"type":"Polygon","coordinates":[[[4420000,2770000],[4424000,2770000],[4424000,2780000],[4420000,2780000],[4420000,2770000]]]}},
      {"type":"Feature","properties":{"d":"east"},"geometry":{"type":"Polygon","coordinates":[[[4424000,2770000],[4430000,2770000],[4430000,2780000],[4424000,2780000],[4424000,2770000]]]}}]}"#,
    )
    .unwrap();
    let by_polygon = multigroup_values(
        &[
            "segregation",
            &cells,
            "--groups",
            "a,b",
            "--unit",
            "id",
            "--areas",
            areas.to_str().unwrap(),
            "--area-code",
            "d",
        ],
        "districts",
    );
    assert_eq!(by_polygon, want);

    let table = dir.path().join("cell_district.csv");
    std::fs::write(
        &table,
        "cell,district\nCRS3035RES1000mN2772000E4422000,west\nCRS3035RES1000mN2772000E4423000,west\n\
         CRS3035RES1000mN2772000E4425000,east\nCRS3035RES1000mN2773000E4425000,east\n",
    )
    .unwrap();
    let by_table = multigroup_values(
        &["segregation", &cells, "--groups", "a,b", "--unit", "id", "--unit-areas", table.to_str().unwrap()],
        "cell_district",
    );
    assert_eq!(by_table, want);

    std::fs::write(&table, "cell,district\nCRS3035RES1000mN2772000E4422000,west\n").unwrap();
    let err =
        fails(&["segregation", &cells, "--groups", "a,b", "--unit", "id", "--unit-areas", table.to_str().unwrap()]);
    assert!(err.contains("row 2, column 'id': unit CRS3035RES1000mN2772000E4423000 is in none of the areas"), "{err}");
}

/// Bootstrap intervals (units resampled with replacement): reproducible for
/// a seed, around the estimate, and of the width PySAL's bootstrap gives
/// (500 PySAL replicates of the Munich 1 km dissimilarity: SE 0.0076,
/// 95 % percentile interval 0.143–0.173).
#[test]
fn bootstrap_intervals_are_reproducible_and_plausible() {
    let file = munich().join("munich_1km_country_of_birth.csv");
    let file = file.to_str().unwrap();
    let args = ["segregation", file, "--group", "foreign_born", "--total", "total_known", "--bootstrap", "200"];
    let (a, b) = (urbis(&args), urbis(&args));
    assert_eq!(a.status, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout, "same seed, same intervals");
    let mut other = args.to_vec();
    other.extend(["--seed", "2"]);
    assert_ne!(urbis(&other).stdout, a.stdout);
    let out = csv_rows(&a.stdout);
    let d = out.iter().find(|r| r["index"] == "dissimilarity").unwrap();
    let num = |c: &str| d[c].parse::<f64>().unwrap();
    assert!(num("ci_low") < num("value") && num("value") < num("ci_high"), "{d:?}");
    assert!((0.005..0.01).contains(&num("se")), "{d:?}");
    assert!((num("ci_low") - 0.143).abs() < 0.005 && (num("ci_high") - 0.173).abs() < 0.005, "{d:?}");
    // Without --bootstrap the interval columns are empty.
    let plain = rows(&["segregation", file, "--group", "foreign_born", "--total", "total_known"]);
    assert!(plain.iter().all(|r| r["se"].is_empty() && r["ci_low"].is_empty()));
}

#[test]
fn json_output_carries_the_same_values_with_null_for_missing() {
    let toy = data("seg_toy.csv");
    let run = urbis(&["segregation", toy.to_str().unwrap(), "--group", "migr", "--total", "tot", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), TOY.len());
    for (row, (index, want)) in rows.iter().zip(TOY) {
        assert_eq!(row["index"], index);
        assert_eq!(row["scale"], "unit");
        assert!((row["value"].as_f64().unwrap() - want).abs() < 1e-9);
        assert!(row["se"].is_null());
    }
}

/// Person permutation (PySAL's `person_permutation` null): with 2 000
/// permutations of the toy table, PySAL's mean dissimilarity without
/// segregation was 0.0817–0.0828 over four seeds (SD 0.027), isolation 0.3099;
/// the observed values lie far above every permutation.
#[test]
fn person_permutation_gives_the_unsegregated_level_and_p_values() {
    let toy = data("seg_toy.csv");
    let toy = toy.to_str().unwrap();
    let args = ["segregation", toy, "--group", "migr", "--total", "tot", "--permutations", "1000"];
    let out = rows(&args);
    assert_eq!(urbis(&args).stdout, urbis(&args).stdout, "reproducible for a seed");
    let get =
        |index: &str, col: &str| -> f64 { out.iter().find(|r| r["index"] == index).unwrap()[col].parse().unwrap() };
    assert!((get("dissimilarity", "null_mean") - 0.0822).abs() < 0.004, "{}", get("dissimilarity", "null_mean"));
    assert!((get("isolation", "null_mean") - 0.3099).abs() < 0.0008, "{}", get("isolation", "null_mean"));
    for index in ["dissimilarity", "isolation", "entropy", "gini", "atkinson"] {
        assert_eq!(get(index, "p_value"), 0.0, "{index}");
    }
    // Exposure lies below every permutation: two-tailed, also p = 0.
    assert_eq!(get("exposure", "p_value"), 0.0);

    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "id,a,b\nx,1.5,5\ny,2,6\n");
    let err = fails(&["segregation", &f, "--groups", "a,b", "--permutations", "10"]);
    assert!(err.contains("1.5 is not a whole number of persons"), "{err}");
}

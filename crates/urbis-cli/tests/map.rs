//! `urbis map`: choropleths of an indicator table by area and grid maps of
//! the Munich census grid; the bad-input contract (nothing written).

mod common;

use std::path::PathBuf;

use common::urbis;

const HEADER: &str =
    "indicator,geo,geo_level,time,breakdown,group,measure,unit,estimate,se,ci_low,ci_high,n,flag,conf_status,method,definition,significant\n";

/// Three districts side by side in EPSG:3035, codes in property `d`.
const DISTRICTS: &str = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3035"}},"features":[
 {"type":"Feature","properties":{"d":"D1","name":"North"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1000,0],[1000,1000],[0,1000],[0,0]]]}},
 {"type":"Feature","properties":{"d":"D2","name":"Middle"},"geometry":{"type":"Polygon","coordinates":[[[1000,0],[2000,0],[2000,1000],[1000,1000],[1000,0]]]}},
 {"type":"Feature","properties":{"d":"D3","name":"South"},"geometry":{"type":"Polygon","coordinates":[[[2000,0],[3000,0],[3000,1000],[2000,1000],[2000,0]]]}}]}"#;

fn table_row(geo: &str, group: &str, estimate: &str, flag: &str) -> String {
    format!("emp_rate,{geo},district,2023,c_birth,{group},value,PC,{estimate},1,0,2,100,{flag},F,direct,def,\n")
}

struct Files {
    _dir: tempfile::TempDir,
    table: String,
    districts: String,
    out: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("indicators.csv");
    let mut text = HEADER.to_string();
    for (geo, group, estimate, flag) in
        [("D1", "FOR", "40", ""), ("D2", "FOR", "70", "u"), ("D3", "FOR", "", ""), ("D1", "NAT", "75", "")]
    {
        text.push_str(&table_row(geo, group, estimate, flag));
    }
    std::fs::write(&table, text).unwrap();
    let districts = dir.path().join("districts.geojson");
    std::fs::write(&districts, DISTRICTS).unwrap();
    let out = dir.path().join("map.svg");
    Files { table: table.to_str().unwrap().into(), districts: districts.to_str().unwrap().into(), out, _dir: dir }
}

fn path_of<'a>(svg: &'a str, code: &str) -> &'a str {
    let at = svg.find(&format!("data-code=\"{code}\"")).unwrap_or_else(|| panic!("no shape {code}"));
    let start = svg[..at].rfind("<path").unwrap();
    &svg[start..at]
}

#[test]
fn area_map_styles_classes_no_data_and_low_reliability() {
    let f = files();
    let run = urbis(&[
        "map",
        &f.table,
        "--boundaries",
        &f.districts,
        "--area-code",
        "d",
        "--area-name",
        "name",
        "--group",
        "FOR",
        "--classes",
        "fixed",
        "--limits",
        "50",
        "--out",
        f.out.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let svg = std::fs::read_to_string(&f.out).unwrap();
    assert!(svg.contains(r#"role="img" aria-labelledby="map-title map-desc""#));
    assert!(svg.contains("<title id=\"map-title\">emp_rate, FOR 2023</title>"));
    assert!(svg.contains("3 units in 2 classes; 1 without data; 1 of low reliability. Lowest: North (D1) (40); highest: Middle (D2) (70)."));
    // Two classes of the sequential palette: light (low) and dark (high).
    assert!(path_of(&svg, "D1").contains(r##"fill="#fde725""##));
    assert!(path_of(&svg, "D2").contains(r##"fill="#440154""##));
    assert!(path_of(&svg, "D3").contains(r#"fill="url(#urbis-no-data)""#));
    assert_eq!(svg.matches(r#"fill="url(#urbis-hatch)" fill-rule"#).count(), 1, "only D2 is hatched");
    assert!(svg.contains("<title>Middle (D2): 70 (low reliability)</title>"));
}

#[test]
fn area_map_errors_write_nothing() {
    let f = files();
    let out = f.out.to_str().unwrap();
    let run = urbis(&["map", &f.table, "--boundaries", &f.districts, "--area-code", "d", "--out", out]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("several rows for area D1 (they differ in: group); choose one with --group"),
        "{}",
        run.stderr
    );
    let run =
        urbis(&["map", &f.table, "--boundaries", &f.districts, "--area-code", "code", "--group", "FOR", "--out", out]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("districts.geojson: feature 1: no property 'code' to join on"), "{}", run.stderr);
    assert!(!f.out.exists());
}

#[test]
fn munich_grid_map_of_location_quotients() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lq.svg");
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/munich/munich_1km_country_of_birth.csv");
    let run = urbis(&[
        "map",
        file.to_str().unwrap(),
        "--unit",
        "GRD_ID",
        "--count",
        "foreign_born",
        "--total",
        "total_known",
        "--lq",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let svg = std::fs::read_to_string(&out).unwrap();
    assert_eq!(svg.matches("<path d=").count(), 549);
    // 46 of 526 against 15.78 % overall: LQ 0.383, the lowest diverging class (≤ 0.5).
    let first = path_of(&svg, "CRS3035RES1000mN2772000E4422000");
    assert!(first.contains(r##"fill="#b2182b""##), "{first}");
    assert!(svg.contains("(46 of 526): 0.3834</title>"));
}

/// The built-in NUTS 2024 regions: only the countries in the table are drawn,
/// regions without a row are "no data", and codes not in the level are noted.
#[test]
fn nuts_map_draws_the_countries_of_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("indicators.csv");
    let mut text = HEADER.to_string();
    for (geo, estimate) in [("AT11", "12"), ("AT12", "15"), ("AT13", "31"), ("AT", "17")] {
        text.push_str(&table_row(geo, "FOR", estimate, ""));
    }
    std::fs::write(&table, text).unwrap();
    let out = dir.path().join("at.svg");
    let run = urbis(&["map", table.to_str().unwrap(), "--boundaries", "nuts2", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("note: 1 areas of") && run.stderr.contains("not drawn: AT"), "{}", run.stderr);
    let svg = std::fs::read_to_string(&out).unwrap();
    // Austria has nine NUTS 2 regions; six have no row.
    assert_eq!(svg.matches("<path d=").count(), 9);
    assert_eq!(svg.matches(r#"fill="url(#urbis-no-data)" fill-rule"#).count(), 6);
    assert!(svg.contains("<title>Wien (AT13): 31</title>"));
}

#[test]
fn class_options_are_checked() {
    let f = files();
    let out = f.out.to_str().unwrap();
    let base = ["map", &f.table, "--boundaries", &f.districts, "--area-code", "d", "--group", "FOR", "--out", out];
    for (extra, message) in [
        (&["--classes", "fixed"][..], "--classes fixed needs --limits"),
        (&["--classes", "fixed", "--limits", "5,1"][..], "fixed limits must be finite and strictly increasing"),
        (&["-k", "12"][..], "the number of classes must be between 2 and 9, not 12"),
        (&["--limits", "1,2"][..], "--limits needs --classes fixed"),
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let run = urbis(&args);
        assert_eq!(run.status, 1, "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    assert!(!f.out.exists());
}

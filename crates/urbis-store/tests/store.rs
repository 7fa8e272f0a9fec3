//! The store round-trips runs exactly, shows the latest run of a project,
//! keeps history, and leaves itself unchanged when a write fails.

use urbis_core::{IndicatorRow, Measure};
use urbis_store::{
    AreaInfo, DatasetInfo, GridCounts, IndicatorInfo, ObservationFilter, RunInput, SegregationInput, SegregationRow,
    Store, StoreError,
};

fn row(geo: &str, group: &str, estimate: f64, n: Option<u64>, conf: &str) -> IndicatorRow {
    IndicatorRow {
        indicator: "emp_rate".into(),
        geo: geo.into(),
        geo_level: "nuts2".into(),
        time: "2023".into(),
        breakdown: "c_birth".into(),
        group: group.into(),
        measure: Measure::Value,
        unit: "PC".into(),
        estimate,
        se: if estimate.is_finite() { 1.5 } else { f64::NAN },
        ci_low: estimate - 2.9,
        ci_high: estimate + 2.9,
        n,
        flag: if n.is_some_and(|n| n < 50) { "u".into() } else { String::new() },
        conf_status: conf.into(),
        method: "direct".into(),
        definition: "c_birth.iso.v1".into(),
        significant: None,
    }
}

fn indicator() -> IndicatorInfo {
    IndicatorInfo {
        id: "emp_rate".into(),
        label: "Employment rate 20-64".into(),
        family: "employment".into(),
        unit: "PC".into(),
        statistic: "share".into(),
        population: "age >= 20 && age <= 64".into(),
        numerator: "labour_status == employed".into(),
        variable: String::new(),
        source_type: "LFS".into(),
        reference: "lfsa_ergacob".into(),
    }
}

fn input<'a>(
    project: &'a str,
    rows: &'a [IndicatorRow],
    indicators: &'a [IndicatorInfo],
    datasets: &'a [DatasetInfo],
    areas: &'a [AreaInfo],
) -> RunInput<'a> {
    RunInput {
        project,
        software: "urbis test",
        created_at: "2026-11-25T00:00:00Z",
        config: Some("[project]"),
        metadata_json: r#"{"definitions":{"c_birth.iso.v1":"country of birth"}}"#,
        review_json: "{}",
        indicators,
        datasets,
        areas,
        rows,
        facts: &[],
    }
}

fn dataset(name: &str) -> DatasetInfo {
    DatasetInfo {
        name: name.into(),
        file: "lfs.csv".into(),
        rows: 1000,
        years: vec!["2023".into()],
        design: "strata".into(),
    }
}

fn area(code: &str, level: &str, parent: Option<&str>) -> AreaInfo {
    AreaInfo { code: code.into(), name: None, level: level.into(), parent: parent.map(str::to_string) }
}

#[test]
fn a_run_reads_back_exactly_with_missing_values_as_nan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let rows = vec![
        row("AT13", "NAT", 72.25, Some(812), "F"),
        row("AT13", "FOR", f64::NAN, None, "C"),
        row("AT34", "FOR", 61.0, Some(31), "F"),
    ];
    let areas = [area("AT13", "nuts2", Some("AT")), area("AT34", "nuts2", Some("AT")), area("AT", "country", None)];
    let mut store = Store::open(&path).unwrap();
    store.write_run(&input("p", &rows, &[indicator()], &[dataset("lfs")], &areas)).unwrap();
    drop(store);
    let store = Store::open_read_only(&path).unwrap();
    let back = store.observations(&ObservationFilter::default()).unwrap();
    assert_eq!(back.len(), 3);
    let suppressed = back.iter().find(|r| r.group == "FOR" && r.geo == "AT13").unwrap();
    assert!(suppressed.estimate.is_nan() && suppressed.se.is_nan() && suppressed.n.is_none());
    assert_eq!(suppressed.conf_status, "C");
    let nat = back.iter().find(|r| r.group == "NAT").unwrap();
    assert_eq!(nat, &rows[0]);
    assert_eq!(store.indicators().unwrap(), vec![indicator()]);
    assert_eq!(store.area("AT34").unwrap().unwrap().parent.as_deref(), Some("AT"));
    let filtered = store
        .observations(&ObservationFilter { geo: vec!["AT34".into()], group: vec!["FOR".into()], ..Default::default() })
        .unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn the_latest_run_of_a_project_is_shown_and_earlier_ones_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let mut store = Store::open(&path).unwrap();
    let first = vec![row("AT13", "NAT", 70.0, Some(500), "F")];
    let second = vec![row("AT13", "NAT", 71.0, Some(510), "F")];
    let other = vec![row("DE21", "NAT", 75.0, Some(900), "F")];
    let ind = [indicator()];
    store.write_run(&input("vienna", &first, &ind, &[], &[])).unwrap();
    store.write_run(&input("vienna", &second, &ind, &[], &[])).unwrap();
    store.write_run(&input("munich", &other, &ind, &[], &[])).unwrap();
    let shown = store.observations(&ObservationFilter::default()).unwrap();
    let estimates: Vec<f64> = shown.iter().map(|r| r.estimate).collect();
    assert_eq!(estimates, vec![71.0, 75.0]);
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs.iter().filter(|r| r.current).count(), 2);
}

#[test]
fn a_failed_write_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let mut store = Store::open(&path).unwrap();
    let rows = vec![row("AT13", "NAT", 70.0, Some(500), "F")];
    store.write_run(&input("p", &rows, &[indicator()], &[dataset("a")], &[])).unwrap();
    // Two data sets with the same name break the primary key half-way through the run.
    let more = vec![row("AT34", "NAT", 60.0, Some(500), "F")];
    let err = store.write_run(&input("p", &more, &[indicator()], &[dataset("b"), dataset("b")], &[])).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err}");
    assert_eq!(store.runs().unwrap().len(), 1);
    let shown = store.observations(&ObservationFilter::default()).unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].geo, "AT13");
}

#[test]
fn segregation_results_and_grid_counts_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let mut store = Store::open(&path).unwrap();
    let rows = vec![SegregationRow {
        scale: "1000".into(),
        index: "dissimilarity".into(),
        group: "foreign_born".into(),
        value: 0.158,
        se: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        units: 549,
    }];
    let grid = vec![GridCounts {
        cell: "CRS3035RES1000mN2772000E4422000".into(),
        group: "foreign_born".into(),
        count: 46.0,
        total: 526.0,
    }];
    let groups = vec!["foreign_born".to_string()];
    let input = SegregationInput {
        dataset: "munich",
        software: "urbis test",
        created_at: "2026-11-25T00:00:00Z",
        source: "census",
        groups: &groups,
        total: "total_known",
        rows: &rows,
        grid: &grid,
    };
    store.write_segregation(&input).unwrap();
    assert_eq!(store.segregation_datasets().unwrap(), vec!["munich".to_string()]);
    let back = store.segregation("munich").unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].value, 0.158);
    assert!(back[0].ci_low.is_nan());
    assert_eq!(store.grid("munich", "foreign_born").unwrap(), vec![(grid[0].cell.clone(), 46.0, 526.0)]);
}

#[test]
fn files_that_are_not_stores_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = Store::open_read_only(&dir.path().join("none.sqlite"));
    assert!(missing.is_err());
    let empty = dir.path().join("empty.sqlite");
    rusqlite::Connection::open(&empty).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    let err = Store::open_read_only(&empty).err().unwrap();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    let newer = dir.path().join("newer.sqlite");
    rusqlite::Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
    let err = Store::open(&newer).err().unwrap();
    assert!(err.to_string().contains("newer than this urbis knows"), "{err}");
    let text = dir.path().join("text.sqlite");
    std::fs::write(&text, "this is not a database, just text that is long enough to look like a header..........")
        .unwrap();
    assert!(Store::open_read_only(&text).is_err());
}

#[test]
fn opening_again_does_not_migrate_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    drop(Store::open(&path).unwrap());
    let store = Store::open(&path).unwrap();
    assert_eq!(store.runs().unwrap().len(), 0);
}

fn facts(code: &str, population: Option<f64>, city_share: Option<f64>) -> urbis_core::AreaFacts {
    urbis_core::AreaFacts {
        code: code.into(),
        level: "nuts2".into(),
        population,
        population_date: population.map(|_| "2024-01-01".to_string()),
        degurba: city_share.map(|s| if s == 100.0 { "DEG1" } else { "DEG3" }.to_string()),
        city_share,
    }
}

#[test]
fn area_facts_round_trip_and_follow_the_current_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let mut store = Store::open(&path).unwrap();
    let ind = [indicator()];
    let figures = vec![row("AT13", "NAT", 70.0, Some(500), "F")];
    let old = [facts("AT13", Some(1_900_000.0), Some(100.0))];
    let new = [facts("AT13", Some(2_000_000.0), Some(100.0)), facts("AT34", None, None)];
    let munich = [facts("DE21", Some(4_700_000.0), Some(0.0))];
    for (project, f) in [("vienna", &old[..]), ("vienna", &new[..]), ("munich", &munich[..])] {
        let mut run = input(project, &figures, &ind, &[], &[]);
        run.facts = f;
        store.write_run(&run).unwrap();
    }
    let shown = store.area_facts("nuts2").unwrap();
    assert_eq!(shown, vec![new[0].clone(), new[1].clone(), munich[0].clone()]);
    assert_eq!(store.run_area_facts(1).unwrap(), old.to_vec());
    assert!(store.area_facts("country").unwrap().is_empty());
    drop(store);
    let read_only = Store::open_read_only(&path).unwrap();
    assert_eq!(read_only.area_facts("nuts2").unwrap().len(), 3);
}

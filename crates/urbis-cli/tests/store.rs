//! `--store`: the indicator table and segregation results written into the
//! store equal the files written beside them; bad stores are refused and
//! left untouched.

mod common;

use common::{csv_rows, urbis};
use urbis_store::{ObservationFilter, Store};

fn example(path: &str) -> String {
    format!("{}/../../examples/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_run_in_the_store_equals_the_indicator_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("city.sqlite");
    let out = dir.path().join("out");
    let config = example("eusilc/urbis.toml");
    let run = urbis(&["indicators", &config, "--out", out.to_str().unwrap(), "--store", db.to_str().unwrap(), "-q"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let csv = csv_rows(&std::fs::read_to_string(out.join("indicators.csv")).unwrap());
    let store = Store::open_read_only(&db).unwrap();
    let stored = store.observations(&ObservationFilter::default()).unwrap();
    assert_eq!(stored.len(), csv.len());
    for r in &stored {
        let line = csv
            .iter()
            .find(|c| {
                c["indicator"] == r.indicator
                    && c["geo"] == r.geo
                    && c["group"] == r.group
                    && c["measure"] == r.measure.code()
                    && c["breakdown"] == r.breakdown
            })
            .unwrap_or_else(|| panic!("{r:?} is not in indicators.csv"));
        let estimate: f64 = line["estimate"].parse().unwrap_or(f64::NAN);
        assert!(estimate.to_bits() == r.estimate.to_bits() || (estimate.is_nan() && r.estimate.is_nan()), "{r:?}");
        assert_eq!(line["n"], r.n.map(|n| n.to_string()).unwrap_or_default());
        assert_eq!(line["conf_status"], r.conf_status);
    }
    let areas = store.areas().unwrap();
    let vienna = areas.iter().find(|a| a.code == "AT13").expect("Vienna is an area");
    assert_eq!(vienna.parent.as_deref(), Some("AT"));
    assert_eq!(vienna.name.as_deref(), Some("Wien"), "names come from NUTS 2024");
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].datasets[0].rows, 14827);
    drop(store);

    // A second run of the same project replaces what is shown and keeps the first as history.
    let again = urbis(&["indicators", &config, "--store", db.to_str().unwrap(), "-q"]);
    assert_eq!(again.status, 0, "{}", again.stderr);
    let store = Store::open_read_only(&db).unwrap();
    assert_eq!(store.runs().unwrap().len(), 2);
    assert_eq!(store.observations(&ObservationFilter::default()).unwrap().len(), csv.len());
}

#[test]
fn a_file_that_is_not_a_store_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_store = dir.path().join("notes.sqlite");
    std::fs::write(&not_a_store, "my notes, not a database; please keep them safe and sound\n").unwrap();
    let before = std::fs::read(&not_a_store).unwrap();
    let run = urbis(&["indicators", &example("eusilc/urbis.toml"), "--store", not_a_store.to_str().unwrap(), "-q"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("notes.sqlite"), "{}", run.stderr);
    assert_eq!(std::fs::read(&not_a_store).unwrap(), before);
    let serve = urbis(&["serve", "--db", dir.path().join("none.sqlite").to_str().unwrap()]);
    assert_eq!(serve.status, 1);
    assert!(serve.stderr.contains("no such store"), "{}", serve.stderr);
}

#[test]
fn segregation_results_in_the_store_equal_the_printed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("seg.sqlite");
    let file = example("munich/munich_1km_country_of_birth.csv");
    let args = [
        "segregation",
        &file,
        "--group",
        "foreign_born",
        "--total",
        "total_known",
        "--unit",
        "GRD_ID",
        "--scales",
        "1000,2000",
    ];
    let printed = urbis(&args);
    assert_eq!(printed.status, 0, "{}", printed.stderr);
    let mut with_store = args.to_vec();
    with_store.extend(["--store", db.to_str().unwrap(), "--dataset", "munich"]);
    let stored = urbis(&with_store);
    assert_eq!(stored.status, 0, "{}", stored.stderr);
    assert!(stored.stdout.is_empty(), "with --store and no --out nothing is printed");
    let store = Store::open_read_only(&db).unwrap();
    let values = store.segregation("munich").unwrap();
    let rows = csv_rows(&printed.stdout);
    assert_eq!(values.len(), rows.len());
    for (v, r) in values.iter().zip(&rows) {
        assert_eq!(v.index, r["index"]);
        assert_eq!(v.scale, r["scale"]);
        assert_eq!(v.value, r["value"].parse::<f64>().unwrap());
    }
    let cells = store.grid("munich", "foreign_born").unwrap();
    assert_eq!(cells.len(), 549, "every 1 km cell, for the maps");
}

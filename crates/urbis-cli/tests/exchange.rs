//! `urbis export` and `urbis import` through the real binary: a city's run
//! exported and imported into an empty store gives the same published
//! figures bit for bit; re-import changes nothing; a tampered bundle is
//! refused with a clear message and leaves the store untouched; `urbis
//! catalogue` imports and exports CSV and JSON.

mod common;

use common::urbis;
use urbis_store::{ObservationFilter, Store};

fn example(path: &str) -> String {
    format!("{}/../../examples/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn export_then_import_gives_the_same_published_figures() {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city.sqlite");
    let run = urbis(&["indicators", &example("eusilc/urbis.toml"), "--store", city.to_str().unwrap(), "-q"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let bundle = dir.path().join("austria-bundle");
    let out =
        urbis(&["export", "--db", city.to_str().unwrap(), "--out", bundle.to_str().unwrap(), "--publisher", "AT"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stderr.contains("figures"), "{}", out.stderr);
    for file in ["manifest.json", "indicators.sdmx.csv", "indicators.parquet", "metadata.json"] {
        assert!(bundle.join(file).is_file(), "{file}");
    }
    let again = urbis(&["export", "--db", city.to_str().unwrap(), "--out", bundle.to_str().unwrap()]);
    assert_eq!(again.status, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);

    let target = dir.path().join("other.sqlite");
    let import = urbis(&["import", bundle.to_str().unwrap(), "--db", target.to_str().unwrap()]);
    assert_eq!(import.status, 0, "{}", import.stderr);
    let source = Store::open_read_only(&city).unwrap().observations(&ObservationFilter::default()).unwrap();
    let imported = Store::open_read_only(&target).unwrap().observations(&ObservationFilter::default()).unwrap();
    assert_eq!(source.len(), imported.len());
    let mut published = 0;
    for (s, i) in source.iter().zip(&imported) {
        assert_eq!(
            (&s.indicator, &s.geo, &s.time, &s.group, s.measure),
            (&i.indicator, &i.geo, &i.time, &i.group, i.measure)
        );
        assert_eq!(
            (&s.flag, &s.conf_status, &s.method, &s.definition),
            (&i.flag, &i.conf_status, &i.method, &i.definition)
        );
        if s.conf_status == "F" && s.estimate.is_finite() {
            published += 1;
            for (a, b) in [(s.estimate, i.estimate), (s.se, i.se), (s.ci_low, i.ci_low), (s.ci_high, i.ci_high)] {
                assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{a} became {b}");
            }
            assert_eq!((s.n, s.significant), (i.n, i.significant));
        } else {
            assert!(i.estimate.is_nan() && i.n.is_none(), "{i:?}");
        }
    }
    assert!(published > 100, "{published}");
    let store = Store::open_read_only(&target).unwrap();
    let source_store = Store::open_read_only(&city).unwrap();
    assert_eq!(store.indicators().unwrap(), source_store.indicators().unwrap());
    let id = store.runs().unwrap()[0].id;
    let metadata: serde_json::Value = serde_json::from_str(&store.run_metadata(id).unwrap().unwrap()).unwrap();
    let source_metadata: serde_json::Value =
        serde_json::from_str(&source_store.run_metadata(source_store.runs().unwrap()[0].id).unwrap().unwrap()).unwrap();
    assert_eq!(metadata["definitions"], source_metadata["definitions"]);
    drop(store);

    let twice = urbis(&["import", bundle.to_str().unwrap(), "--db", target.to_str().unwrap()]);
    assert_eq!(twice.status, 0, "{}", twice.stderr);
    assert!(twice.stderr.contains("already imported"), "{}", twice.stderr);
    assert_eq!(Store::open_read_only(&target).unwrap().runs().unwrap().len(), 1);

    // Tampered: one digit of a published value changed (same size). Refused, the store is left as it was.
    let table = std::fs::read_to_string(bundle.join("indicators.sdmx.csv")).unwrap();
    let line = table.lines().find(|l| l.contains(",F,")).unwrap();
    let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
    let last = fields[11].pop().unwrap();
    fields[11].push(if last == '1' { '2' } else { '1' });
    std::fs::write(bundle.join("indicators.sdmx.csv"), table.replacen(line, &fields.join(","), 1)).unwrap();
    let fresh = dir.path().join("fresh.sqlite");
    let refused = urbis(&["import", bundle.to_str().unwrap(), "--db", fresh.to_str().unwrap()]);
    assert_eq!(refused.status, 1);
    assert!(refused.stderr.contains("checksum mismatch for indicators.sdmx.csv"), "{}", refused.stderr);
    assert!(!fresh.exists(), "nothing is created for a refused bundle");
}

#[test]
fn the_catalogue_imports_and_exports_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let import = urbis(&["catalogue", "import", &example("catalogue/initiatives.csv"), "--db", db.to_str().unwrap()]);
    assert_eq!(import.status, 0, "{}", import.stderr);
    assert!(import.stderr.contains("9 entries added, 0 replaced"), "{}", import.stderr);
    let json = dir.path().join("c.json");
    let export = urbis(&["catalogue", "export", "--db", db.to_str().unwrap(), "--out", json.to_str().unwrap()]);
    assert_eq!(export.status, 0, "{}", export.stderr);
    let other = dir.path().join("d.sqlite");
    let back = urbis(&["catalogue", "import", json.to_str().unwrap(), "--db", other.to_str().unwrap()]);
    assert_eq!(back.status, 0, "{}", back.stderr);
    let csv = dir.path().join("d.csv");
    assert_eq!(
        urbis(&["catalogue", "export", "--db", other.to_str().unwrap(), "--out", csv.to_str().unwrap()]).status,
        0
    );
    let again = dir.path().join("e.csv");
    assert_eq!(
        urbis(&["catalogue", "export", "--db", db.to_str().unwrap(), "--out", again.to_str().unwrap()]).status,
        0
    );
    assert_eq!(std::fs::read(&csv).unwrap(), std::fs::read(&again).unwrap(), "CSV -> store -> JSON -> store -> CSV");

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,kind,title,place,topics,description,links\nx,initiative,T,AT,employment,D,www.example.eu\n",
    )
    .unwrap();
    let refused = urbis(&["catalogue", "import", bad.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(refused.status, 1);
    assert!(
        refused.stderr.contains("bad.csv") && refused.stderr.contains("row 1, column 'links'"),
        "{}",
        refused.stderr
    );
    let txt = urbis(&["catalogue", "import", "notes.txt", "--db", db.to_str().unwrap()]);
    assert_eq!(txt.status, 1);
    assert!(txt.stderr.contains(".csv or .json"), "{}", txt.stderr);
}

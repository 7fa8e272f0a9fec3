//! Exchange bundles: export → import into an empty store gives the same
//! published figures (bit for bit) and metadata; nothing unpublished leaves;
//! damaged or tampered bundles are refused and leave the store untouched;
//! re-imports change nothing; newer figures replace older ones and keep the
//! history; figures under another concept definition are flagged `d`.

use std::path::{Path, PathBuf};

use urbis_core::{IndicatorRow, Measure};
use urbis_store::bundle::{self, ExportOptions, ImportOutcome};
use urbis_store::{AreaInfo, DatasetInfo, IndicatorInfo, ObservationFilter, RunInput, Store, StoreError};

fn row(geo: &str, group: &str, estimate: f64, conf: &str, definition: &str) -> IndicatorRow {
    IndicatorRow {
        indicator: "emp_rate".into(),
        geo: geo.into(),
        geo_level: "city".into(),
        time: "2023".into(),
        breakdown: "c_birth".into(),
        group: group.into(),
        measure: Measure::Value,
        unit: "PC".into(),
        estimate,
        se: estimate / 37.0,
        ci_low: estimate - 0.1 - 0.2,
        ci_high: estimate + 1.0 / 3.0,
        n: Some(12_345),
        flag: if estimate < 50.0 { "u".into() } else { String::new() },
        conf_status: conf.into(),
        method: "direct".into(),
        definition: definition.into(),
        significant: Some(true),
    }
}

/// A city's run: published figures with awkward decimals, one confidential
/// cell that still holds its value and n in the store (as a careless writer
/// might leave it), one not-for-publication cell.
fn rows(geo: &str, definition: &str, shift: f64) -> Vec<IndicatorRow> {
    vec![
        row(geo, "NAT", 74.0 + 1.0 / 9.0 + shift, "F", definition),
        row(geo, "FOR", 61.0 / 7.0 * 7.1 + shift, "F", definition),
        row(geo, "EU27_2020_FOR", 48.2 + shift, "F", definition),
        row(geo, "NEU27_2020_FOR", 55.5 + shift, "C", definition),
        row(geo, "FOR_LT5Y", 43.21987 + shift, "N", definition),
    ]
}

fn write(path: &Path, project: &str, created_at: &str, rows: &[IndicatorRow], definition: &str) -> i64 {
    let indicators = [IndicatorInfo {
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
    }];
    let datasets = [DatasetInfo {
        name: "lfs".into(),
        file: "lfs.parquet".into(),
        rows: 5000,
        years: vec!["2023".into()],
        design: "stratified".into(),
    }];
    let areas: Vec<AreaInfo> = rows
        .iter()
        .map(|r| AreaInfo {
            code: r.geo.clone(),
            name: Some(format!("City {}", r.geo)),
            level: "city".into(),
            parent: None,
        })
        .collect();
    let mut facts: Vec<urbis_core::AreaFacts> = areas.iter().map(|a| city_facts(&a.code)).collect();
    facts.dedup();
    facts.push(city_facts("NOT_IN_THE_TABLE"));
    let metadata = format!(
        r#"{{"project":"{project}","confidence_level":0.95,"reporting_country":"AT","levels":["city"],"definitions":{{"{definition}":"Country of birth ({definition})"}}}}"#
    );
    let mut store = Store::open(path).unwrap();
    store
        .write_run(&RunInput {
            project,
            software: "urbis test",
            created_at,
            config: Some("[project]\nname = \"x\"\n[publication]\nmin_respondents = 25\n"),
            metadata_json: &metadata,
            review_json: r#"{"counts":{"published":3,"primary":1,"not_published":1},"entries":[{"secret":55.5}],"unprotected":1}"#,
            indicators: &indicators,
            datasets: &datasets,
            areas: &areas,
            rows,
            facts: &facts,
        })
        .unwrap()
}

/// A city of 1 234 567 residents, all in cities (DEG1), on 1 January 2024.
fn city_facts(code: &str) -> urbis_core::AreaFacts {
    urbis_core::AreaFacts {
        code: code.into(),
        level: "city".into(),
        population: Some(1_234_567.0),
        population_date: Some("2024-01-01".into()),
        degurba: Some("DEG1".into()),
        city_share: Some(100.0),
    }
}

fn export(db: &Path, out: &Path, created_at: &str) {
    let store = Store::open_read_only(db).unwrap();
    let export = store
        .export_bundle(&ExportOptions {
            project: None,
            publisher_code: Some("AT130"),
            created_at,
            software: "urbis test",
        })
        .unwrap();
    std::fs::create_dir_all(out).unwrap();
    for (name, bytes) in &export.files {
        std::fs::write(out.join(name), bytes).unwrap();
    }
}

struct Setup {
    dir: tempfile::TempDir,
    source: PathBuf,
    bundle: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("vienna.sqlite");
    write(&source, "Vienna", "2026-01-10T08:00:00Z", &rows("AT130", "c_birth.iso.v1", 0.0), "c_birth.iso.v1");
    let bundle = dir.path().join("vienna-bundle");
    export(&source, &bundle, "2026-01-11T09:00:00Z");
    Setup { dir, source, bundle }
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn round_trip_gives_identical_published_figures_and_metadata() {
    let s = setup();
    let target = s.dir.path().join("empty.sqlite");
    let checked = bundle::read(&s.bundle).unwrap();
    let mut store = Store::open(&target).unwrap();
    let outcome = store.import_bundle(&checked, "2026-01-12T00:00:00Z").unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { replaced: None, .. }), "{outcome:?}");

    let original = Store::open_read_only(&s.source).unwrap().observations(&ObservationFilter::default()).unwrap();
    let imported = store.observations(&ObservationFilter::default()).unwrap();
    assert_eq!(imported.len(), original.len());
    for (o, i) in original.iter().zip(&imported) {
        assert_eq!(
            (&o.indicator, &o.geo, &o.group, &o.conf_status, &o.flag),
            (&i.indicator, &i.geo, &i.group, &i.conf_status, &i.flag)
        );
        assert_eq!((&o.method, &o.definition, &o.unit, o.measure), (&i.method, &i.definition, &i.unit, i.measure));
        if o.conf_status == "F" {
            for (a, b) in [(o.estimate, i.estimate), (o.se, i.se), (o.ci_low, i.ci_low), (o.ci_high, i.ci_high)] {
                assert!(same(a, b), "{a} became {b}");
            }
            assert_eq!((o.n, o.significant), (i.n, i.significant));
        } else {
            assert!(i.estimate.is_nan() && i.se.is_nan() && i.ci_low.is_nan() && i.n.is_none(), "{i:?}");
            assert_eq!(i.significant, None);
        }
    }
    let source_indicators = Store::open_read_only(&s.source).unwrap().indicators().unwrap();
    assert_eq!(store.indicators().unwrap(), source_indicators);
    let run = store.runs().unwrap().remove(0);
    assert_eq!((run.project.as_str(), run.origin.as_str()), ("Vienna", "imported"));
    let p = run.provenance.expect("provenance of an imported run");
    assert_eq!(p.publisher_code.as_deref(), Some("AT130"));
    assert_eq!((p.source_run_id, p.source_created_at.as_str()), (1, "2026-01-10T08:00:00Z"));
    assert_eq!(
        (p.bundle_created_at.as_str(), p.imported_at.as_str()),
        ("2026-01-11T09:00:00Z", "2026-01-12T00:00:00Z")
    );
    assert_eq!(run.datasets[0].rows, 5000);
    let metadata: serde_json::Value = serde_json::from_str(&store.run_metadata(run.id).unwrap().unwrap()).unwrap();
    assert_eq!(metadata["definitions"]["c_birth.iso.v1"], "Country of birth (c_birth.iso.v1)");
    assert_eq!(metadata["confidence_level"], 0.95);
    assert_eq!(metadata["publication"]["config"], "[publication]\nmin_respondents = 25\n");
    assert_eq!(metadata["publication"]["review_counts"]["primary"], 1);
    assert_eq!(store.area("AT130").unwrap().unwrap().name.as_deref(), Some("City AT130"));
    // Area facts travel in metadata.json, for the areas of the figures only.
    let source_facts = Store::open_read_only(&s.source).unwrap().area_facts("city").unwrap();
    assert!(source_facts.iter().any(|f| f.code == "NOT_IN_THE_TABLE"));
    let expected: Vec<_> = source_facts.into_iter().filter(|f| f.code != "NOT_IN_THE_TABLE").collect();
    assert!(!expected.is_empty());
    assert_eq!(store.area_facts("city").unwrap(), expected);
    assert_eq!(checked.metadata.area_facts, expected);
}

#[test]
fn no_value_or_n_of_an_unpublished_figure_leaves_the_store() {
    let s = setup();
    let table = std::fs::read_to_string(s.bundle.join(bundle::TABLE)).unwrap();
    assert!(!table.contains("55.5") && !table.contains("43.21987"), "{table}");
    assert_eq!(table.matches(",12345,").count(), 3, "n of the three published figures only");
    let metadata = std::fs::read_to_string(s.bundle.join(bundle::METADATA)).unwrap();
    assert!(!metadata.contains("secret"), "the review's entries stay home");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.bundle.join(bundle::MANIFEST)).unwrap()).unwrap();
    assert_eq!((manifest["figures"].as_u64(), manifest["published"].as_u64()), (Some(5), Some(3)));
    assert_eq!(manifest["format"], "urbis-bundle");
    assert_eq!(manifest["format_version"], 1);
}

/// Imports into a fresh store and returns the error; the store must hold nothing after.
fn refused(dir: &Path, bundle: &Path) -> String {
    let target = dir.join(format!("t{}.sqlite", std::process::id()));
    let message = match bundle::read(bundle) {
        Err(e) => e.to_string(),
        Ok(b) => {
            let mut store = Store::open(&target).unwrap();
            store.import_bundle(&b, "now").map(|o| format!("{o:?}")).unwrap_or_else(|e| e.to_string())
        }
    };
    if target.exists() {
        assert!(Store::open_read_only(&target).unwrap().runs().unwrap().is_empty());
        std::fs::remove_file(&target).unwrap();
    }
    message
}

fn rewrite_manifest(bundle: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = bundle.join(bundle::MANIFEST);
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut manifest);
    std::fs::write(path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

#[test]
fn damaged_or_tampered_bundles_are_refused_with_a_clear_message() {
    let s = setup();
    let copy = |name: &str| {
        let to = s.dir.path().join(name);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(&s.bundle).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
        to
    };
    // A figure changed after export.
    let b = copy("changed");
    let table = std::fs::read_to_string(b.join(bundle::TABLE)).unwrap();
    let first = table.lines().nth(1).unwrap().split(',').nth(11).unwrap().to_string();
    std::fs::write(b.join(bundle::TABLE), table.replacen(&first, "99.9", 1)).unwrap();
    let e = refused(s.dir.path(), &b);
    assert!(e.contains("indicators.sdmx.csv") && e.contains("the file was changed"), "{e}");
    // A file missing.
    let b = copy("missing");
    std::fs::remove_file(b.join(bundle::PARQUET)).unwrap();
    let e = refused(s.dir.path(), &b);
    assert!(e.contains("indicators.parquet is listed in manifest.json but cannot be read"), "{e}");
    // No manifest at all.
    let b = copy("nomanifest");
    std::fs::remove_file(b.join(bundle::MANIFEST)).unwrap();
    assert!(refused(s.dir.path(), &b).contains("not an urbis bundle"));
    // An unknown format version.
    let b = copy("version");
    rewrite_manifest(&b, |m| m["format_version"] = 2.into());
    let e = refused(s.dir.path(), &b);
    assert!(e.contains("format version 2 is unknown") && e.contains("reads version 1"), "{e}");
    // The metadata left out of the manifest.
    let b = copy("unlisted");
    rewrite_manifest(&b, |m| m["files"].as_array_mut().unwrap().retain(|f| f["name"] != bundle::METADATA));
    assert!(refused(s.dir.path(), &b).contains("does not list metadata.json"));
    // A path outside the bundle.
    let b = copy("escape");
    rewrite_manifest(&b, |m| m["files"][0]["name"] = "../vienna.sqlite".into());
    assert!(refused(s.dir.path(), &b).contains("which a bundle cannot hold"));
    // A confidential value put back and the checksums recomputed: still refused.
    let b = copy("reveal");
    let table = std::fs::read_to_string(b.join(bundle::TABLE)).unwrap();
    let line = table.lines().find(|l| l.contains(",C,")).unwrap();
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[11] = "55.5";
    let tampered = table.replace(line, &fields.join(","));
    std::fs::write(b.join(bundle::TABLE), &tampered).unwrap();
    let sum = bundle::sha256_hex(tampered.as_bytes());
    rewrite_manifest(&b, |m| {
        m["table_sha256"] = sum.clone().into();
        m["files"][0]["sha256"] = sum.clone().into();
        m["files"][0]["bytes"] = tampered.len().into();
    });
    let e = refused(s.dir.path(), &b);
    assert!(e.contains("CONF_STATUS 'C' carries a value"), "{e}");
    // A file that is not a bundle archive (the store itself).
    let e = refused(s.dir.path(), &s.source);
    assert!(e.contains("not a tar archive"), "{e}");
}

#[test]
fn reimport_changes_nothing_and_newer_figures_replace_older_ones_keeping_history() {
    let s = setup();
    let target = s.dir.path().join("city.sqlite");
    let mut store = Store::open(&target).unwrap();
    let first = store.import_bundle(&bundle::read(&s.bundle).unwrap(), "2026-01-12T00:00:00Z").unwrap();
    let ImportOutcome::Imported { run_id, .. } = first else { panic!("{first:?}") };
    let again = store.import_bundle(&bundle::read(&s.bundle).unwrap(), "2026-01-13T00:00:00Z").unwrap();
    assert_eq!(again, ImportOutcome::AlreadyImported { run_id });
    assert_eq!(store.runs().unwrap().len(), 1);

    // Vienna runs again with revised figures and exports them.
    write(&s.source, "Vienna", "2026-02-01T08:00:00Z", &rows("AT130", "c_birth.iso.v1", 1.0), "c_birth.iso.v1");
    let newer = s.dir.path().join("vienna-newer");
    export(&s.source, &newer, "2026-02-02T09:00:00Z");
    let outcome = store.import_bundle(&bundle::read(&newer).unwrap(), "2026-02-03T00:00:00Z").unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { replaced: Some(r), .. } if r == run_id), "{outcome:?}");
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 2, "the older figures stay as history");
    assert!(runs[0].current && !runs[1].current);
    let nat = store.observations(&ObservationFilter { group: vec!["NAT".into()], ..Default::default() }).unwrap();
    assert_eq!(nat.len(), 1);
    assert!(same(nat[0].estimate, 74.0 + 1.0 / 9.0 + 1.0));

    // The older bundle once more: it is in the history already.
    let again = store.import_bundle(&bundle::read(&s.bundle).unwrap(), "2026-02-04T00:00:00Z").unwrap();
    assert_eq!(again, ImportOutcome::AlreadyImported { run_id });
    assert!(store.runs().unwrap()[0].current);

    // In a store that has the newer figures only, the older ones are refused and nothing changes.
    let other = s.dir.path().join("other.sqlite");
    let mut store = Store::open(&other).unwrap();
    store.import_bundle(&bundle::read(&newer).unwrap(), "2026-02-03T00:00:00Z").unwrap();
    let e = store.import_bundle(&bundle::read(&s.bundle).unwrap(), "2026-02-04T00:00:00Z").unwrap_err();
    assert!(matches!(e, StoreError::Bundle { .. }) && e.to_string().contains("not newer"), "{e}");
    assert_eq!(store.runs().unwrap().len(), 1);

    // A store's own project cannot be overwritten by a bundle of the same name.
    let e = refused_own(&s);
    assert!(e.contains("project of its own named 'Vienna'"), "{e}");
}

fn refused_own(s: &Setup) -> String {
    let mut store = Store::open(&s.source).unwrap();
    let before = store.runs().unwrap().len();
    let e = store.import_bundle(&bundle::read(&s.bundle).unwrap(), "now").unwrap_err().to_string();
    assert_eq!(store.runs().unwrap().len(), before);
    e
}

#[test]
fn figures_under_another_concept_definition_are_flagged_d() {
    let s = setup();
    // Munich's own store uses another definition of country of birth.
    let munich = s.dir.path().join("munich.sqlite");
    write(&munich, "Munich", "2026-01-05T00:00:00Z", &rows("DE212", "c_birth.national.v1", 2.0), "c_birth.national.v1");
    let mut store = Store::open(&munich).unwrap();
    let before = store.observations(&ObservationFilter::default()).unwrap();
    assert!(before.iter().all(|r| !r.flag.contains('d')));
    store.import_bundle(&bundle::read(&s.bundle).unwrap(), "now").unwrap();
    let all = store.observations(&ObservationFilter::default()).unwrap();
    assert_eq!(all.len(), 10);
    for r in &all {
        assert_eq!(r.flag.contains('d'), r.geo == "AT130", "{r:?}");
    }
    let reference = store.comparability().unwrap();
    let c = &reference[&("emp_rate".to_string(), "c_birth".to_string())];
    assert_eq!(c.definitions.iter().collect::<Vec<_>>(), ["c_birth.national.v1"]);
    // The same definition on both sides: no flag.
    let vienna_only = s.dir.path().join("alone.sqlite");
    write(&vienna_only, "Graz", "2026-01-05T00:00:00Z", &rows("AT221", "c_birth.iso.v1", 2.0), "c_birth.iso.v1");
    let mut store = Store::open(&vienna_only).unwrap();
    store.import_bundle(&bundle::read(&s.bundle).unwrap(), "now").unwrap();
    assert!(store.observations(&ObservationFilter::default()).unwrap().iter().all(|r| !r.flag.contains('d')));
}

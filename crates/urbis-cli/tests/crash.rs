//! Crash safety: `urbis indicators --store` and `urbis import` are killed
//! (SIGKILL) at many points of their work. After every kill the store
//! opens, passes `PRAGMA integrity_check`, and holds either the runs before
//! the kill or those plus one complete new run — never a run with only part
//! of its figures, data sets or indicators.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use urbis_store::{ObservationFilter, Store};

fn example(path: &str) -> String {
    format!("{}/../../examples/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `urbis indicators CONFIG --store DB`, killed after `after` (or left to finish).
fn run(config: &str, db: &Path, after: Option<Duration>) {
    urbis(&["indicators", config, "--store", db.to_str().unwrap(), "-q"], after);
}

/// Runs urbis with `args`, killed after `after` (or left to finish, and then it must succeed).
fn urbis(args: &[&str], after: Option<Duration>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_urbis"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    match after {
        Some(delay) => {
            std::thread::sleep(delay);
            let _ = child.kill(); // SIGKILL
        }
        None => assert!(child.wait().unwrap().success()),
    }
    let _ = child.wait();
}

/// The number of runs and the figures of each, after checking that the store
/// opens, is sound, and that every run has its data set.
fn state(db: &Path) -> (usize, Vec<u64>) {
    let store = Store::open(db).expect("the store opens after a kill");
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let runs = store.runs().unwrap();
    for r in &runs {
        assert_eq!(r.datasets.len(), 1, "run {} has all its data sets", r.id);
    }
    let shown = store.observations(&ObservationFilter::default()).unwrap().len() as u64;
    if let Some(current) = runs.iter().find(|r| r.current) {
        assert_eq!(shown, current.figures);
    }
    (runs.len(), runs.iter().map(|r| r.figures).collect())
}

#[test]
fn killing_a_run_at_any_point_leaves_the_old_or_the_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let config = example("eusilc/urbis.toml");
    let clock = Instant::now();
    run(&config, &db, None);
    let full = clock.elapsed();
    let (mut runs, figures) = state(&db);
    assert_eq!(runs, 1);
    let complete = figures[0];
    // Kills spread over the whole run, denser near its end where it writes.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut completed_during_test = 0;
    for k in 0..24 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let u = (seed % 10_000) as f64 / 10_000.0;
        let fraction = if k % 2 == 0 { u * 1.1 } else { 0.8 + 0.4 * u };
        run(&config, &db, Some(full.mul_f64(fraction)));
        let (now, figures) = state(&db);
        assert!(now == runs || now == runs + 1, "after kill {k}: {runs} runs became {now}");
        assert!(figures.iter().all(|&f| f == complete), "after kill {k}: a run is incomplete: {figures:?}");
        completed_during_test += now - runs;
        runs = now;
    }
    eprintln!("24 kills: {completed_during_test} runs had committed before their kill");
    // The store still takes runs.
    run(&config, &db, None);
    assert_eq!(state(&db).0, runs + 1);
}

#[test]
fn killing_an_import_at_any_point_leaves_no_part_of_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.sqlite");
    run(&example("eusilc/urbis.toml"), &source, None);
    let bundle = dir.path().join("bundle");
    urbis(&["export", "--db", source.to_str().unwrap(), "--out", bundle.to_str().unwrap()], None);
    let clock = Instant::now();
    let whole = dir.path().join("whole.sqlite");
    urbis(&["import", bundle.to_str().unwrap(), "--db", whole.to_str().unwrap()], None);
    let full = clock.elapsed();
    let (runs, figures) = state(&whole);
    assert_eq!(runs, 1);
    let complete = figures[0];
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut imported = 0;
    for k in 0..24 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let fraction = (seed % 10_000) as f64 / 10_000.0 * 1.2;
        let db = dir.path().join(format!("target{k}.sqlite"));
        urbis(&["import", bundle.to_str().unwrap(), "--db", db.to_str().unwrap()], Some(full.mul_f64(fraction)));
        if !db.exists() {
            continue; // killed before the store was created
        }
        let (runs, figures) = state(&db);
        assert!(runs <= 1, "after kill {k}: {runs} runs");
        assert!(figures.iter().all(|&f| f == complete), "after kill {k}: a partial import: {figures:?}");
        imported += runs;
    }
    eprintln!("24 killed imports: {imported} had committed before their kill");
}

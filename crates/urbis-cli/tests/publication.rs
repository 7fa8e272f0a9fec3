//! Publication rules end to end on the nine-cities example: confidential and
//! unreliable figures are blanked in every format, and `urbis check` prints
//! the review without writing anything.

mod common;

use std::path::PathBuf;

use common::urbis;
use urbis_core::{IndicatorRow, Measure};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/cities")
}

/// The cities example restricted to two indicators and one breakdown, with
/// `publication` appended to its configuration; returns the folder and table.
fn publish(publication: &str) -> (tempfile::TempDir, Vec<IndicatorRow>) {
    let dir = tempfile::tempdir().unwrap();
    common::cities(dir.path(), &["c_birth"], &["emp_rate", "pop_share"], publication);
    let out = dir.path().join("out");
    let run = urbis(&[
        "indicators",
        dir.path().join("urbis.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Every configuration here makes confidential cells; secondary
    // suppression protects them, so no warning.
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let rows = urbis_io::tables::csv::parse(&std::fs::read(out.join("indicators.csv")).unwrap()).unwrap();
    (dir, rows)
}

const STRICT: &str =
    "[publication.disclosure]\nmin_respondents = 40\n[publication.reliability]\nmin_n = 60\nreliable_n = 100\n";

#[test]
fn suppressed_figures_are_blank_in_every_format() {
    let (dir, rows) = publish(STRICT);
    let confidential: Vec<&IndicatorRow> = rows.iter().filter(|r| r.conf_status == "C").collect();
    let unreliable: Vec<&IndicatorRow> = rows.iter().filter(|r| r.conf_status == "N").collect();
    // Figures not published for reliability are the cheapest complements of
    // secondary suppression (only their n is lost), so few stay `N`.
    assert!(confidential.len() > 5 && unreliable.len() > 2, "{} C, {} N", confidential.len(), unreliable.len());
    for r in &confidential {
        assert!(r.estimate.is_nan() && r.se.is_nan() && r.ci_high.is_nan() && r.n.is_none(), "{r:?}");
        assert!(r.flag.contains('c'), "{r:?}");
    }
    for r in &unreliable {
        assert!(r.estimate.is_nan() && r.n.is_some_and(|n| n < 60 || r.measure != Measure::Value), "{r:?}");
        assert!(r.flag.contains('u'), "{r:?}");
    }
    for r in rows.iter().filter(|r| r.conf_status == "F" && r.measure == Measure::Value && r.method == "direct") {
        assert!(r.n.unwrap() >= 60 && r.estimate.is_finite(), "{r:?}");
        assert_eq!(r.flag.contains('u'), r.n.unwrap() < 100, "{r:?}");
    }
    // A gap is published only when both sides are.
    for gap in rows.iter().filter(|r| r.measure != Measure::Value && r.conf_status == "F") {
        for group in [gap.group.as_str(), "NAT"] {
            let side = rows
                .iter()
                .find(|r| {
                    r.measure == Measure::Value
                        && (&r.indicator, &r.geo, &r.time, &r.breakdown)
                            == (&gap.indicator, &gap.geo, &gap.time, &gap.breakdown)
                        && r.group == group
                })
                .unwrap();
            assert_eq!(side.conf_status, "F", "{gap:?} has side {side:?}");
        }
    }
    let review = std::fs::read_to_string(dir.path().join("out/review.json")).unwrap();
    assert!(review.contains("\"primary\"") && review.contains("\"secondary\""), "{review}");
    let json: serde_json::Value = serde_json::from_str(&review).unwrap();
    assert_eq!(json["unprotected"], 0, "{review}");
    // SDMX-CSV: no OBS_VALUE, flag c, CONF_STATUS C.
    let sdmx = std::fs::read_to_string(dir.path().join("out/indicators.sdmx.csv")).unwrap();
    assert!(sdmx.contains(",,c,C,"), "no confidential observation in SDMX-CSV");
}

#[test]
fn check_prints_the_review_and_writes_nothing() {
    let (dir, _) = publish(STRICT);
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    let run = urbis(&["check", dir.path().join("urbis.toml").to_str().unwrap(), "--quiet"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for needle in
        ["confidential (primary)", "not published", "flag u", "respondents", "confidential (secondary)", "protects "]
    {
        assert!(run.stdout.contains(needle), "no '{needle}' in {}", run.stdout);
    }
    let after: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(before, after);
    let json = urbis(&["check", dir.path().join("urbis.toml").to_str().unwrap(), "--quiet", "--json"]);
    assert!(json.stdout.trim_start().starts_with('{') && json.stdout.contains("\"entries\""), "{}", json.stdout);
}

#[test]
fn a_bad_threshold_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(example().join("urbis.toml")).unwrap();
    let lines = config.lines().count();
    std::fs::write(
        dir.path().join("urbis.toml"),
        format!("{config}\n[publication.reliability]\nmin_n = 50\nreliable_n = 20\n"),
    )
    .unwrap();
    let run = urbis(&["check", dir.path().join("urbis.toml").to_str().unwrap(), "--quiet"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains(&format!("line {}", lines + 4)) && run.stderr.contains("reliable_n"), "{}", run.stderr);
}

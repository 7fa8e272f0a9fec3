//! `urbis sae` and `urbis sae-unit`: the oracle's milk figures (R sae 1.3),
//! the outputs' shape, benchmarking, the bootstrap's reproducibility, the
//! corn data of `sae::eblupBHF`, and the bad-input contract.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::{csv_rows, rel_diff, urbis};

fn sae_data(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../urbis-sae/tests/data").join(file).display().to_string()
}

fn rows(args: &[&str]) -> Vec<HashMap<String, String>> {
    let run = urbis(args);
    assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    csv_rows(&run.stdout)
}

fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    let v = &row[column];
    if v.is_empty() {
        f64::NAN
    } else {
        v.parse().unwrap_or_else(|_| panic!("{column}: {v}"))
    }
}

fn milk(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["sae", &sae_data("milk.csv"), "--area", "SmallArea", "--direct", "yi", "--var", "var"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--formula".to_string(), "~ factor(MajorArea)".to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// EXPECTED.md, milk_sae.csv: all 43 EBLUPs and MSEs of R sae's mseFH (REML).
#[test]
fn milk_reml_eblups_and_mses_match_the_oracle() {
    let args = milk(&[]);
    let out = rows(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let expected = csv_rows(&std::fs::read_to_string(sae_data("milk_fh_REML_expected.csv")).unwrap());
    assert_eq!(out.len(), 43);
    for (got, want) in out.iter().zip(&expected) {
        assert_eq!(got["area"], want["SmallArea"]);
        for (g, w) in [("direct", "direct"), ("eblup", "eblup"), ("mse", "mse")] {
            let d = rel_diff(num(got, g), num(want, w));
            assert!(d < 1e-9, "area {} {g}: {} vs {} ({d:e})", got["area"], got[g], want[w]);
        }
        let gamma = num(got, "gamma");
        assert!(gamma > 0.0 && gamma < 1.0);
        assert_eq!(got["sampled"], "true");
    }
}

#[test]
fn milk_summary_json_has_the_fit_statistics_of_r_sae() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("model.json");
    let args = milk(&["--summary", summary.to_str().unwrap()]);
    let run = urbis(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "the summary went to the file: {}", run.stderr);
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let close = |got: &serde_json::Value, want: f64| rel_diff(got.as_f64().unwrap(), want) < 1e-9;
    assert!(close(&s["variance"], 0.0185502223227));
    assert!(close(&s["loglik"], 12.677478132));
    assert!(close(&s["aic"], -15.354956264));
    assert!(close(&s["bic"], -6.548955686));
    assert_eq!(s["method"], "REML");
    assert_eq!(s["mse_method"], "Prasad-Rao");
    let se = [0.06936208412, 0.10300072435, 0.09232981035, 0.08161707047];
    for (c, want) in s["coefficients"].as_array().unwrap().iter().zip(se) {
        assert!(close(&c["std_error"], want), "{c}");
    }
    assert_eq!(s["coefficients"][1]["name"], "factor(MajorArea)2");
}

#[test]
fn the_summary_goes_to_stderr_without_summary_and_json_carries_both() {
    let args = milk(&["--method", "ml"]);
    let run = urbis(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run.stderr.contains("Fay-Herriot model, ML") && run.stderr.contains("Datta-Lahiri"), "{}", run.stderr);
    let args = milk(&["--method", "fh", "--format", "json"]);
    let run = urbis(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["summary"]["method"], "FH");
    assert_eq!(v["areas"].as_array().unwrap().len(), 43);
}

#[test]
fn areas_without_a_direct_estimate_get_the_synthetic_estimate() {
    let out = rows(&[
        "sae",
        &sae_data("synth_fh.csv"),
        "--area",
        "area",
        "--direct",
        "y",
        "--var",
        "psi",
        "--formula",
        "y ~ x1 + x2 + factor(region)",
    ]);
    assert_eq!(out.len(), 60);
    let unsampled: Vec<&HashMap<String, String>> = out.iter().filter(|r| r["sampled"] == "false").collect();
    assert_eq!(unsampled.iter().map(|r| r["area"].as_str()).collect::<Vec<_>>(), ["A07", "A19", "A33", "A48", "A60"]);
    for r in unsampled {
        assert_eq!(r["direct"], "");
        assert_eq!(num(r, "eblup"), num(r, "synthetic"));
        assert_eq!(num(r, "gamma"), 0.0);
    }
    // fh_sae_refs.csv, synth_REML: x'β and A + x'Qx of area A07.
    let a07 = out.iter().find(|r| r["area"] == "A07").unwrap();
    assert!(rel_diff(num(a07, "eblup"), 8.711082118409008) < 1e-9);
    assert!(rel_diff(num(a07, "mse"), 1.04536146548743) < 1e-9);
}

#[test]
fn ratio_benchmarking_reproduces_the_total_and_keeps_the_eblups() {
    let plain = rows(&milk(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    let bench =
        rows(&milk(&["--benchmark", "ni", "--benchmark-total", "1.0"]).iter().map(String::as_str).collect::<Vec<_>>());
    let milk_rows = csv_rows(&std::fs::read_to_string(sae_data("milk.csv")).unwrap());
    let (mut total, mut weights) = (0.0, 0.0);
    for ((b, p), m) in bench.iter().zip(&plain).zip(&milk_rows) {
        assert_eq!(b["eblup"], p["eblup"]);
        let w = num(m, "ni");
        total += w * num(b, "eblup_bench");
        weights += w;
    }
    assert!((total / weights - 1.0).abs() < 1e-12);
    // Without a total, the target is the size-weighted mean of the direct estimates.
    let default = rows(&milk(&["--benchmark", "ni"]).iter().map(String::as_str).collect::<Vec<_>>());
    let (mut t, mut d) = (0.0, 0.0);
    for (b, m) in default.iter().zip(&milk_rows) {
        t += num(m, "ni") * num(b, "eblup_bench");
        d += num(m, "ni") * num(m, "yi");
    }
    assert!((t - d).abs() < 1e-9 * d);
}

fn proportions(dir: &std::path::Path) -> String {
    let path = dir.join("prop.csv");
    let mut text = String::from("area,p,n,x\n");
    for i in 0..30 {
        let x = (i % 7) as f64 / 7.0;
        let p = (0.15 + 0.4 * x + 0.05 * ((i * 37 % 11) as f64 / 11.0 - 0.5)).clamp(0.0, 1.0);
        let n = 30 + 17 * (i % 5);
        if i % 10 == 9 {
            text += &format!("d{i},,,{x}\n");
        } else {
            text += &format!("d{i},{p:.4},{n},{x}\n");
        }
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn arcsine_model_is_reproducible_and_stays_in_the_unit_interval() {
    let dir = tempfile::tempdir().unwrap();
    let file = proportions(dir.path());
    let args = |seed: &str| {
        vec![
            "sae".to_string(),
            file.clone(),
            "--area".into(),
            "area".into(),
            "--direct".into(),
            "p".into(),
            "--n".into(),
            "n".into(),
            "--transform".into(),
            "arcsin".into(),
            "--formula".into(),
            "~ x".into(),
            "--bootstrap".into(),
            "50".into(),
            "--seed".into(),
            seed.to_string(),
        ]
    };
    let run = |seed: &str| urbis(&args(seed).iter().map(String::as_str).collect::<Vec<_>>());
    let (a, b, c) = (run("7"), run("7"), run("8"));
    assert_eq!(a.status, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout, "same seed, same output");
    assert_ne!(a.stdout, c.stdout, "another seed, other bootstrap MSEs");
    let out = csv_rows(&a.stdout);
    assert_eq!(out.len(), 30);
    for r in &out {
        let (e, m) = (num(r, "eblup"), num(r, "mse"));
        assert!((0.0..=1.0).contains(&e), "{e}");
        assert!(m > 0.0 && m < 0.05, "{m}");
    }
    assert!(a.stderr.contains("transform arcsin") && a.stderr.contains("bootstrap"), "{}", a.stderr);
}

#[test]
fn sae_unit_matches_r_sae_eblup_bhf_on_corn() {
    let out = rows(&[
        "sae-unit",
        &sae_data("cornsoybean.csv"),
        "--area",
        "County",
        "--formula",
        "CornHec ~ CornPix + SoyBeansPix",
        "--means",
        &sae_data("cornsoybeanmeans.csv"),
        "--means-area",
        "CountyIndex",
        "--pop-size",
        "PopnSegments",
        "--mean-column",
        "CornPix=MeanCornPixPerSeg",
        "--mean-column",
        "SoyBeansPix=MeanSoyBeansPixPerSeg",
    ]);
    let refs = csv_rows(&std::fs::read_to_string(sae_data("bhf_sae_refs.csv")).unwrap());
    let want: HashMap<&str, f64> = refs
        .iter()
        .filter(|r| r["case"] == "bhf_CornHec" && r["quantity"] == "eblup")
        .map(|r| (r["key"].as_str(), r["value"].parse().unwrap()))
        .collect();
    assert_eq!(out.len(), 12);
    for r in &out {
        let d = rel_diff(num(r, "eblup"), want[r["area"].as_str()]);
        assert!(d < 1e-8, "county {}: {d:e}", r["area"]);
    }
}

/// Runs a command that must fail: exit 1, the message on stderr, nothing written.
fn fails(args: &[&str], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let mut all: Vec<&str> = args.to_vec();
    let out_str = out.display().to_string();
    all.extend(["--out", &out_str]);
    let run = urbis(&all);
    assert_eq!(run.status, 1, "{args:?} should fail: {}", run.stderr);
    assert!(run.stderr.contains(message), "{args:?}: expected '{message}' in: {}", run.stderr);
    assert!(!out.exists(), "nothing is written on error");
    assert!(run.stdout.is_empty());
}

fn with_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("areas.csv");
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    (dir, p)
}

const GOOD: &str =
    "area,y,v,x,g\na,1.0,0.1,1,r\nb,2.0,0.2,2,s\nc,1.5,0.1,3,r\nd,2.5,0.3,4,s\ne,3.1,0.2,5,r\nf,2.2,0.1,6,s\n";

fn base(file: &str) -> Vec<&str> {
    vec!["sae", file, "--area", "area", "--direct", "y", "--var", "v", "--formula"]
}

#[test]
fn bad_inputs_fail_with_a_clear_message() {
    let (_d, good) = with_file(GOOD);
    let mut a = base(&good);
    a.push("~ x + missing_col");
    fails(&a, "column 'missing_col' not found");

    let (_d2, text) = with_file(&GOOD.replace("c,1.5,0.1,3,r", "c,1.5,0.1,abc,r"));
    let mut a = base(&text);
    a.push("~ x");
    fails(&a, "row 3, column 'x': the value is not a number");

    let (_d3, neg) = with_file(&GOOD.replace("d,2.5,0.3", "d,2.5,-0.3"));
    let mut a = base(&neg);
    a.push("~ x");
    fails(&a, "row 4, column 'v': the sampling variance must be a positive number, not -0.3");

    let (_d4, nov) = with_file(&GOOD.replace("d,2.5,0.3", "d,2.5,"));
    let mut a = base(&nov);
    a.push("~ x");
    fails(&a, "row 4, column 'v': the sampling variance is missing");

    let (_d5, sing) = with_file("area,y,v,x,z\na,1,0.1,1,2\nb,2,0.2,2,4\nc,1.5,0.1,3,6\nd,2.5,0.3,4,8\ne,3,0.2,5,10\n");
    let mut a = base(&sing);
    a.push("~ x + z");
    fails(&a, "singular design: column 'z' is a linear combination of the columns before it");

    for (formula, message) in [
        ("~ log(x)", "the function log() is not supported"),
        ("x", "no '~'"),
        ("~ x * g", "'*' is not supported"),
        ("other ~ x", "left-hand side 'other' is not the --direct column 'y'"),
    ] {
        let mut a = base(&good);
        a.push(formula);
        fails(&a, message);
    }

    let (_d6, dup) = with_file(&GOOD.replace("c,1.5", "a,1.5"));
    let mut a = base(&dup);
    a.push("~ x");
    fails(&a, "row 3, column 'area': area 'a' appears again (first in row 1)");

    let (_d7, missing_cov) = with_file(&GOOD.replace("e,3.1,0.2,5,r", "e,3.1,0.2,,r"));
    let mut a = base(&missing_cov);
    a.push("~ x");
    fails(&a, "row 5, column 'x': missing value in a covariate");

    fails(&["sae", &good, "--area", "area", "--direct", "y", "--formula", "~ x"], "--var COL");
    fails(
        &["sae", &good, "--area", "area", "--direct", "y", "--formula", "~ x", "--transform", "arcsin"],
        "--transform arcsin needs --n",
    );
    let (_d8, prop) = with_file("area,p,n,x\na,0.2,10,1\nb,1.3,10,2\nc,0.4,10,3\nd,0.5,10,4\n");
    fails(
        &["sae", &prop, "--area", "area", "--direct", "p", "--n", "n", "--formula", "~ x", "--transform", "arcsin"],
        "row 2, column 'p': a proportion must lie in [0, 1], not 1.3",
    );
    let mut a = base(&good);
    a.extend(["~ x + factor(g) + factor(area)"]);
    fails(&a, "model needs more areas than coefficients");
    fails(
        &["sae", "/nonexistent/file.csv", "--area", "a", "--direct", "y", "--var", "v", "--formula", "~ 1"],
        "nonexistent",
    );
}

#[test]
fn sae_unit_bad_inputs_fail_with_a_clear_message() {
    let corn = sae_data("cornsoybean.csv");
    let means = sae_data("cornsoybeanmeans.csv");
    let base = |formula: &'static str| {
        vec![
            "sae-unit".to_string(),
            corn.clone(),
            "--area".into(),
            "County".into(),
            "--formula".into(),
            formula.into(),
            "--means".into(),
            means.clone(),
            "--means-area".into(),
            "CountyIndex".into(),
        ]
    };
    let run = |args: Vec<String>, message: &str| fails(&args.iter().map(String::as_str).collect::<Vec<_>>(), message);
    run(base("~ CornPix"), "needs the response on the left");
    run(base("CornHec ~ factor(SoyBeansPix)"), "factor(SoyBeansPix) is not supported in the unit-level model");
    run(base("CornHec ~ CornPix"), "column 'CornPix' not found");
}

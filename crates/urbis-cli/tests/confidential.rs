//! Microdata stay in: a person's recognisable values never appear in what
//! urbis prints, writes beside the figures, or serves — not in logs, not in
//! error messages, not in HTTP answers. Errors name file, row, column and
//! reason, never the value.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::urbis;

/// A distinctive income and household weight planted in the first person's row.
const INCOME: &str = "987654.321";
const WEIGHT: &str = "4321.98765";

fn example(file: &str) -> String {
    format!("{}/../../examples/eusilc/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// The Austrian EU-SILC example with the first person's income and weight
/// replaced, and its configuration, in `dir`; returns the configuration.
fn plant(dir: &Path, edit: impl Fn(usize, &mut Vec<String>)) -> String {
    for file in ["urbis.toml", "hierarchy.csv", "eusilc_db040_to_nuts2.csv"] {
        std::fs::copy(example(file), dir.join(file)).unwrap();
    }
    let text = std::fs::read_to_string(example("eusilc_laeken.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        if i == 1 {
            fields[25] = INCOME.into(); // eqIncome
            fields[27] = WEIGHT.into(); // rb050
        }
        edit(i, &mut fields);
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    std::fs::write(dir.join("eusilc_laeken.csv"), out).unwrap();
    dir.join("urbis.toml").display().to_string()
}

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{what} shows the microdata value {s}");
    }
}

fn http_get(address: &str, path: &str) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn outputs_logs_and_pages_hold_no_microdata_value() {
    let dir = tempfile::tempdir().unwrap();
    let config = plant(dir.path(), |_, _| {});
    let out = dir.path().join("out");
    let db = dir.path().join("store.sqlite");
    let secrets = [INCOME, WEIGHT, "987654", "4321.98"];

    let run = urbis(&["indicators", &config, "--out", out.to_str().unwrap(), "--store", db.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_clean("urbis indicators (stdout)", &run.stdout, &secrets);
    assert_clean("urbis indicators (stderr)", &run.stderr, &secrets);
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert_clean(&path.display().to_string(), &String::from_utf8_lossy(&bytes), &secrets);
    }
    for args in [vec!["check", &config], vec!["check", &config, "--json"]] {
        let check = urbis(&args);
        assert_clean("urbis check", &(check.stdout + &check.stderr), &secrets);
    }
    let data = dir.path().join("eusilc_laeken.csv");
    let estimate = urbis(&[
        "estimate",
        data.to_str().unwrap(),
        "--ids",
        "db030",
        "--strata",
        "db040",
        "--weights",
        "rb050",
        "--mean",
        "eqIncome",
        "--quantile",
        "eqIncome:0.5",
        "--by",
        "pb220a",
        "--format",
        "json",
    ]);
    assert_eq!(estimate.status, 0, "{}", estimate.stderr);
    assert_clean("urbis estimate", &(estimate.stdout + &estimate.stderr), &secrets);

    let mut server = Command::new(env!("CARGO_BIN_EXE_urbis"))
        .args(["serve", "--db", db.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .map(Result::unwrap)
        .find_map(|l| l.strip_prefix("urbis serve: ").map(|r| r.split_whitespace().next().unwrap().to_string()))
        .expect("the server says where it listens");
    for path in [
        "/",
        "/indicators",
        "/indicator/median_income?tab=table&level=nuts2",
        "/indicator/arop?tab=about",
        "/area/AT13",
        "/areas",
        "/about",
        "/compare?indicator=median_income&geo=AT13~AT34",
        "/api/v1/data",
        "/api/v1/runs",
        "/api/v1/indicators/median_income",
        "/api/v1/data?format=csv",
        "/indicator/median_income?format=sdmx",
        "/nothing/here",
    ] {
        let answer = http_get(&address, path);
        assert!(answer.starts_with("HTTP/1.1 "), "{path}");
        assert_clean(&format!("GET {path}"), &answer, &secrets);
    }
    server.kill().unwrap();
    let _ = server.wait();
    let mut log = String::new();
    for line in lines.map_while(Result::ok) {
        log.push_str(&line);
    }
    assert_clean("the server's log", &log, &secrets);
}

#[test]
fn errors_name_row_and_column_but_never_the_value() {
    let dir = tempfile::tempdir().unwrap();
    // The second person has a text where the age is; then the third a negative weight.
    let config = plant(dir.path(), |i, f| {
        if i == 2 {
            f[4] = "SECRET-AGE-31415".into();
        }
    });
    let run = urbis(&["indicators", &config, "--out", dir.path().join("out").to_str().unwrap()]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("row 2") && run.stderr.contains("'age'"), "{}", run.stderr);
    assert_clean("the error", &run.stderr, &["SECRET", "31415", INCOME]);
    assert!(!dir.path().join("out").exists(), "nothing is written");

    let dir = tempfile::tempdir().unwrap();
    let config = plant(dir.path(), |i, f| {
        if i == 3 {
            f[27] = "-2718.28182".into();
        }
    });
    let run = urbis(&["indicators", &config, "--out", dir.path().join("out").to_str().unwrap()]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("row 3") && run.stderr.contains("rb050"), "{}", run.stderr);
    assert_clean("the error", &run.stderr, &["2718.28", INCOME, WEIGHT]);
}

//! `urbis token` and `urbis serve --hub` through the real binary
//! (docs/hub.md): the hub refuses to start without an active token; a token
//! is printed once and listed without itself; a bundle written by `urbis
//! export --archive` is uploaded over HTTP and served; refused requests are
//! logged without the token; a revoked token stops the hub from starting.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use common::urbis;

fn example(path: &str) -> String {
    format!("{}/../../examples/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// One HTTP/1.1 request; the answer's status line and body.
fn http(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (String, String) {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn the_hub_needs_tokens_and_takes_a_citys_own_archive() {
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub.sqlite");
    let db = hub.to_str().unwrap();
    let catalogue = urbis(&["catalogue", "import", &example("catalogue/initiatives.csv"), "--db", db]);
    assert_eq!(catalogue.status, 0, "{}", catalogue.stderr);

    // No token: refused, clearly, with a non-zero exit.
    let refused = urbis(&["serve", "--hub", "--db", db, "--addr", "127.0.0.1:0"]);
    assert_eq!(refused.status, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("needs at least one active API token"), "{}", refused.stderr);
    assert!(refused.stderr.contains("urbis token create --city CODE"), "{}", refused.stderr);
    let missing = dir.path().join("missing.sqlite");
    let refused = urbis(&["serve", "--hub", "--db", missing.to_str().unwrap()]);
    assert_eq!(refused.status, 1, "{}", refused.stderr);
    assert!(!missing.exists());
    assert_eq!(urbis(&["serve", "--hub", "--demo"]).status, 2, "--hub needs --db");

    let created = urbis(&["token", "create", "--city", "AT", "--label", "Statistik Austria", "--db", db]);
    assert_eq!(created.status, 0, "{}", created.stderr);
    let token = created.stdout.trim().to_string();
    assert!(token.starts_with("urbis_") && token.len() == 70, "{token}");
    assert!(!created.stderr.contains(&token), "printed once, on stdout");
    let list = urbis(&["token", "list", "--db", db]);
    assert_eq!(list.status, 0, "{}", list.stderr);
    assert!(list.stdout.starts_with("id,city,label,created_at,revoked_at\n1,AT,Statistik Austria,"), "{}", list.stdout);
    assert!(!list.stdout.contains(&token[6..]));
    let bytes = std::fs::read(&hub).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(&token[6..]), "the store holds no token");
    let bad = urbis(&["token", "create", "--city", "A T", "--db", db]);
    assert_eq!(bad.status, 1);
    assert!(bad.stderr.contains("not a city code"), "{}", bad.stderr);

    // The city's bundle, as one tar file.
    let city = dir.path().join("city.sqlite");
    let run = urbis(&["indicators", &example("eusilc/urbis.toml"), "--store", city.to_str().unwrap(), "-q"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let tar = dir.path().join("austria-2023.tar");
    let export = urbis(&[
        "export",
        "--db",
        city.to_str().unwrap(),
        "--out",
        tar.to_str().unwrap(),
        "--publisher",
        "AT",
        "--archive",
    ]);
    assert_eq!(export.status, 0, "{}", export.stderr);
    let archive = std::fs::read(&tar).unwrap();
    assert_eq!(&archive[..13], b"austria-2023/", "the files are inside a folder named after the archive");
    // `urbis import` reads the archive as it reads the folder.
    let local = dir.path().join("local.sqlite");
    let import = urbis(&["import", tar.to_str().unwrap(), "--db", local.to_str().unwrap()]);
    assert_eq!(import.status, 0, "{}", import.stderr);

    let mut server = Command::new(env!("CARGO_BIN_EXE_urbis"))
        .args(["serve", "--hub", "--db", db, "--addr", "127.0.0.1:0", "--max-upload-mib", "8"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let started = lines.by_ref().map(Result::unwrap).find(|l| l.starts_with("urbis serve: ")).expect("started");
    assert!(started.contains("hub mode"), "{started}");
    let address = started.strip_prefix("urbis serve: ").unwrap().split_whitespace().next().unwrap().to_string();
    let tar_type = ("Content-Type", "application/x-tar");
    let (status, _) = http(&address, "POST", "/api/v1/bundles", &[tar_type], &archive);
    assert!(status.contains(" 401 "), "{status}");
    let bearer = format!("Bearer {token}");
    let (status, body) = http(&address, "POST", "/api/v1/bundles", &[tar_type, ("Authorization", &bearer)], &archive);
    assert!(status.contains(" 201 "), "{status}: {body}");
    let (_, runs) = http(&address, "GET", "/api/v1/runs", &[], b"");
    assert!(runs.contains("\"publisher_code\":\"AT\""), "{runs}");
    let (status, body) = http(
        &address,
        "POST",
        "/api/v1/initiatives",
        &[("Content-Type", "application/json"), ("Authorization", &bearer)],
        b"{oops",
    );
    assert!(status.contains(" 400 "), "{status}: {body}");
    server.kill().unwrap();
    let _ = server.wait();
    let log: String = lines.map_while(Result::ok).collect::<Vec<_>>().join("\n");
    assert!(log.contains("refused POST /api/v1/bundles: 401"), "{log}");
    assert!(log.contains("refused POST /api/v1/initiatives: 400"), "{log}");
    assert!(log.contains("AT uploaded"), "{log}");
    assert!(!log.contains(&token[6..]) && !log.contains("oops"), "no token or body in the log: {log}");

    let revoke = urbis(&["token", "revoke", "1", "--db", db]);
    assert_eq!(revoke.status, 0, "{}", revoke.stderr);
    assert_eq!(urbis(&["token", "revoke", "1", "--db", db]).status, 1, "already revoked");
    assert!(urbis(&["token", "list", "--db", db])
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(4)
        .is_some_and(|r| !r.is_empty()));
    let refused = urbis(&["serve", "--hub", "--db", db, "--addr", "127.0.0.1:0"]);
    assert_eq!(refused.status, 1, "no active token left: {}", refused.stderr);
}

//! The server against hostile or broken clients on a real socket: slow
//! clients are cut off, oversized headers and malformed requests refused,
//! paths outside the routes never reach a file, and the server keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod common;

/// Starts the server on a free loopback port with short limits.
fn start() -> (tempfile::TempDir, String, tokio::runtime::Runtime) {
    let (dir, path) = common::fixture();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let state = urbis_server::AppState::open(path).unwrap();
    let limits = urbis_server::Limits {
        header_read: Duration::from_secs(1),
        request: Duration::from_secs(5),
        max_header_bytes: 16 * 1024,
    };
    runtime.spawn(urbis_server::serve_on(listener, state, limits, std::future::pending()));
    (dir, address, runtime)
}

/// Sends raw bytes and reads the answer until the server closes or `wait` passes.
fn exchange(address: &str, bytes: &[u8], wait: Duration) -> (String, Duration) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let clock = Instant::now();
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (String::from_utf8_lossy(&answer).into_owned(), clock.elapsed())
}

fn get(address: &str, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    exchange(address, request.as_bytes(), Duration::from_secs(10)).0
}

#[test]
fn slow_clients_are_cut_off() {
    let (_dir, address, _rt) = start();
    // Half a request, then silence: the server must not wait for ever.
    let (answer, took) = exchange(&address, b"GET / HTTP/1.1\r\nHost: localhost\r\n", Duration::from_secs(10));
    assert!(took < Duration::from_secs(5), "the connection stayed open {took:?}");
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(get(&address, "/healthz").contains("200 OK"), "the server still serves");
}

#[test]
fn oversized_headers_and_malformed_requests_are_refused() {
    let (_dir, address, _rt) = start();
    let big = format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n", "a".repeat(200 * 1024));
    let (answer, _) = exchange(&address, big.as_bytes(), Duration::from_secs(5));
    assert!(!answer.contains("200 OK"), "an oversized request was answered: {}", &answer[..answer.len().min(200)]);
    let (answer, _) = exchange(&address, b"BLAH BLAH BLAH\r\n\r\n", Duration::from_secs(5));
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 400"), "{answer}");
    let (answer, _) = exchange(&address, b"\x00\x01\x02\xff\xfe garbage\r\n\r\n", Duration::from_secs(5));
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(get(&address, "/healthz").contains("200 OK"), "the server still serves");
}

#[test]
fn paths_outside_the_routes_never_reach_a_file() {
    let (_dir, address, _rt) = start();
    for path in [
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/indicator/..%2f..%2fetc%2fpasswd",
        "/area/%00",
        "//etc/passwd",
    ] {
        let answer = get(&address, path);
        assert!(!answer.contains("root:"), "{path}");
        let status = answer.split_whitespace().nth(1).unwrap_or("");
        assert!(status == "404" || status == "400", "{path}: {}", answer.lines().next().unwrap_or(""));
        assert!(
            !answer.to_lowercase().contains("panicked") && !answer.contains("sqlite"),
            "{path}: no internal detail"
        );
    }
}

#[test]
fn bad_query_strings_are_answered_not_crashed_on() {
    let (_dir, address, _rt) = start();
    for path in [
        "/indicator/emp_rate?level=%ff%fe",
        "/compare?geo=%E0%A4%A&indicator=emp_rate",
        "/api/v1/data?geo=~~~~&group=~",
        "/indicator/emp_rate?sort=%3Cscript%3E&tab=table",
        "/api/v1/data?format=%3Cscript%3Ealert(1)%3C/script%3E",
    ] {
        let answer = get(&address, path);
        let status = answer.split_whitespace().nth(1).unwrap_or("");
        assert!(["200", "400", "404"].contains(&status), "{path}: {}", answer.lines().next().unwrap_or(""));
        assert!(!answer.contains("<script>"), "{path}: input is escaped");
    }
}

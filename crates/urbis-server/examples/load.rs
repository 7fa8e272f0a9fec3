//! A small HTTP/1.1 load generator for the benchmark in bench/README.md:
//! `C` keep-alive connections send `N` GET requests in total, spread
//! round-robin over the given paths, and the latency of every request is
//! recorded. Prints p50/p90/p99/max per path and overall, and the errors
//! (any status but 200, or a broken connection). `{k}` in a path is replaced
//! by the request's number, so that `?nocache={k}` makes every URL new and
//! defeats the server's response cache.
//!
//! cargo run --release -p urbis-server --example load -- 127.0.0.1:8080 10000 200 / /indicator/emp_rate /api/v1/data?indicator=arop

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: load HOST:PORT REQUESTS CONNECTIONS PATH [PATH ...]");
        std::process::exit(2);
    }
    let addr = args[0].clone();
    let (Ok(total), Ok(connections)) = (args[1].parse::<usize>(), args[2].parse::<usize>()) else {
        eprintln!("REQUESTS and CONNECTIONS must be whole numbers");
        std::process::exit(2);
    };
    let paths: Arc<Vec<String>> = Arc::new(args[3..].to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (addr, paths, next) = (addr.clone(), paths.clone(), next.clone());
        tasks.push(tokio::spawn(async move { client(&addr, &paths, &next, total).await }));
    }
    let mut latencies: Vec<Vec<Duration>> = vec![Vec::new(); paths.len()];
    let mut errors = 0;
    for task in tasks {
        let (lat, err) = task.await.expect("client task");
        for (k, l) in lat {
            latencies[k].push(l);
        }
        errors += err;
    }
    let elapsed = started.elapsed();
    println!(
        "{total} requests, {connections} connections, {:.2} s, {:.0} requests/s, {errors} errors",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!("{:<50} {:>7} {:>9} {:>9} {:>9} {:>9}", "path", "n", "p50 ms", "p90 ms", "p99 ms", "max ms");
    let mut all: Vec<Duration> = Vec::new();
    for (path, lat) in paths.iter().zip(&mut latencies) {
        report(path, lat);
        all.extend(lat.iter());
    }
    report("all", &mut all);
    if errors > 0 {
        std::process::exit(1);
    }
}

fn report(name: &str, lat: &mut [Duration]) {
    lat.sort();
    let q = |p: f64| {
        lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1)).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!("{:<50} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2}", name, lat.len(), q(0.5), q(0.9), q(0.99), q(1.0));
}

/// One keep-alive connection sending requests until `total` have been taken.
async fn client(addr: &str, paths: &[String], next: &AtomicUsize, total: usize) -> (Vec<(usize, Duration)>, usize) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut connection: Option<BufReader<TcpStream>> = None;
    loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        if k >= total {
            break;
        }
        let which = k % paths.len();
        let start = Instant::now();
        if connection.is_none() {
            connection = TcpStream::connect(addr).await.ok().map(BufReader::new);
        }
        let ok = match connection.as_mut() {
            Some(stream) => request(stream, &paths[which].replace("{k}", &k.to_string())).await.unwrap_or(false),
            None => false,
        };
        if ok {
            latencies.push((which, start.elapsed()));
        } else {
            errors += 1;
            connection = None;
        }
    }
    (latencies, errors)
}

/// Sends one GET and reads the whole answer; true for status 200.
async fn request(stream: &mut BufReader<TcpStream>, path: &str) -> std::io::Result<bool> {
    let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: identity\r\n\r\n");
    stream.get_mut().write_all(head.as_bytes()).await?;
    let mut status_line = String::new();
    stream.read_line(&mut status_line).await?;
    let ok = status_line.split_whitespace().nth(1) == Some("200");
    let mut length = None;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(false);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let Some(length) = length else { return Ok(false) };
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok(ok)
}

//! End to end in headless Chromium: `urbis serve --demo` builds the demo
//! store and serves it; every page type is loaded in the browser, must show
//! its charts or maps and log nothing to the console (no script errors, no
//! content-security-policy violations, no failed resources), and is saved
//! as a screenshot in `target/tmp/e2e-screenshots/`.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it and sets URBIS_E2E=1,
//! which makes a missing browser an error); without it, locally, the test
//! says so and passes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(name)).find(|p| p.is_file())
    })
}

/// Starts the demo server on a free port; returns it and its address.
fn start_demo(db: &Path) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_urbis"))
        .args(["serve", "--demo", "--db", db.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start urbis serve");
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("urbis serve: ") {
            let address = rest.split_whitespace().next().unwrap().to_string();
            return (server, address);
        }
    }
    panic!("urbis serve ended before it served");
}

/// Runs headless Chromium with `args` on `url`; returns (stdout, console lines).
fn browse(browser: &Path, url: &str, args: &[&str]) -> (String, Vec<String>) {
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"])
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Refused to"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

#[test]
fn every_page_type_renders_in_a_browser_without_console_errors() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("URBIS_E2E").is_none(), "URBIS_E2E is set but chromium is not installed");
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_server, address) = start_demo(&dir.path().join("demo.sqlite"));
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    // (name, path, what the page must hold)
    let pages: [(&str, &str, &[&str]); 11] = [
        ("overview", "/", &["Headline map", "<svg"]),
        ("indicator-chart", "/indicator/emp_rate", &["chart-title", "<table"]),
        ("indicator-map", "/indicator/arop?tab=map", &["map-title", "Wien (AT13)"]),
        ("indicator-table", "/indicator/emp_rate?tab=table&level=district", &["<table", "Significant"]),
        ("indicator-about", "/indicator/emp_rate?tab=about", &["Concepts used"]),
        ("area", "/area/AT13", &["Gap to natives", "<svg", "Compare with peers"]),
        ("compare", "/compare?indicator=arop&geo=AT13~AT34", &["chart-title", "<table"]),
        ("segregation", "/segregation", &["map-title", "dissimilarity"]),
        ("about", "/about", &["Runs"]),
        ("initiatives", "/initiatives?topic=employment", &["Initiatives and sources", "/initiative/start-wien"]),
        ("initiative", "/initiative/start-wien", &["StartWien", "https://www.eipa.eu/epsa/startwien"]),
    ];
    for (name, path, must) in pages {
        let url = format!("{address}{path}");
        let (dom, console) = browse(&browser, &url, &["--dump-dom"]);
        for needle in must {
            assert!(dom.contains(needle), "{name} ({url}) lacks {needle}");
        }
        assert!(console.is_empty(), "{name} ({url}) logged to the console: {console:#?}");
        let shot = shots.join(format!("{name}.png"));
        let (_, console) = browse(
            &browser,
            &url,
            &["--hide-scrollbars", "--window-size=1280,1600", &format!("--screenshot={}", shot.display())],
        );
        assert!(console.is_empty(), "{name}: {console:#?}");
        assert!(std::fs::metadata(&shot).map(|m| m.len() > 10_000).unwrap_or(false), "{name}: no screenshot");
    }
    // A phone-sized window: the overview still renders.
    let shot = shots.join("overview-phone.png");
    browse(&browser, &address, &["--window-size=390,844", &format!("--screenshot={}", shot.display())]);
    assert!(shot.exists());
}

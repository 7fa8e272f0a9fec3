//! The dashboard and API on arbitrary request targets, and hub mode's write
//! routes on arbitrary bodies sent with a valid token: every request is
//! answered, and never with 500 (an internal error).
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use urbis_core::{IndicatorRow, Measure};
use urbis_store::{AreaInfo, IndicatorInfo, RunInput, Store};

/// The read-only router, the hub router over the same store, the token of
/// the hub's city (AT13), and the runtime.
struct App {
    router: axum::Router,
    hub: axum::Router,
    token: String,
    runtime: tokio::runtime::Runtime,
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("urbis-fuzz-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut rows = Vec::new();
        for (geo, group, estimate) in [("AT13", "NAT", 74.0), ("AT13", "FOR", 61.0), ("AT34", "NAT", 78.0), ("AT34", "FOR", f64::NAN)] {
            rows.push(IndicatorRow {
                indicator: "emp_rate".into(),
                geo: geo.into(),
                geo_level: "nuts2".into(),
                time: "2023".into(),
                breakdown: "c_birth".into(),
                group: group.into(),
                measure: Measure::Value,
                unit: "PC".into(),
                estimate,
                se: 1.0,
                ci_low: estimate - 2.0,
                ci_high: estimate + 2.0,
                n: estimate.is_finite().then_some(100),
                flag: String::new(),
                conf_status: if estimate.is_finite() { "F".into() } else { "C".into() },
                method: "direct".into(),
                definition: "c_birth.iso.v1".into(),
                significant: None,
            });
        }
        let indicators = [IndicatorInfo {
            id: "emp_rate".into(),
            label: "Employment rate".into(),
            family: "employment".into(),
            unit: "PC".into(),
            statistic: "share".into(),
            population: "20-64".into(),
            numerator: "employed".into(),
            variable: String::new(),
            source_type: "LFS".into(),
            reference: "lfsa_ergacob".into(),
        }];
        let areas = [AreaInfo { code: "AT13".into(), name: Some("Wien".into()), level: "nuts2".into(), parent: None }];
        let mut store = Store::open(&path).expect("store");
        store
            .write_run(&RunInput {
                project: "fuzz",
                software: "fuzz",
                created_at: "2026-01-01T00:00:00Z",
                config: None,
                metadata_json: "{}",
                review_json: "{}",
                indicators: &indicators,
                datasets: &[],
                areas: &areas,
                rows: &rows,
                facts: &[],
            })
            .expect("run");
        let (_, token) = store.create_token("AT13", "fuzz", "2026-01-01T00:00:00Z").expect("token");
        drop(store);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let router = urbis_server::router(urbis_server::AppState::open(path.clone()).expect("state"));
        let options = urbis_server::HubOptions { max_body: 1 << 20 };
        let hub = urbis_server::router(urbis_server::AppState::open_hub(path, options).expect("hub"));
        App { router, hub, token, runtime }
    })
}

/// The write routes of hub mode: method, target and media type.
const WRITES: [(&str, &str, &str); 5] = [
    ("POST", "/api/v1/bundles", "application/x-tar"),
    ("DELETE", "/api/v1/bundles/AT13", "application/json"),
    ("POST", "/api/v1/initiatives", "application/json"),
    ("PUT", "/api/v1/initiatives/fuzz-entry", "application/json"),
    ("DELETE", "/api/v1/initiatives/fuzz-entry", "application/json"),
];

fuzz_target!(|data: &[u8]| {
    let app = app();
    // A first byte 0 sends the rest as the body of a hub write route (chosen by the second byte).
    if let [0, route, body @ ..] = data {
        let (method, target, media) = WRITES[usize::from(*route) % WRITES.len()];
        let request = Request::builder()
            .method(method)
            .uri(target)
            .header("content-type", media)
            .header("authorization", format!("Bearer {}", app.token))
            .body(Body::from(body.to_vec()))
            .expect("request");
        let response = app.runtime.block_on(app.hub.clone().oneshot(request)).expect("infallible");
        assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{method} {target}");
        return;
    }
    let Ok(target) = std::str::from_utf8(data) else { return };
    let Ok(request) = Request::get(format!("/{}", target.trim_start_matches('/'))).body(Body::empty()) else { return };
    let response = app.runtime.block_on(app.router.clone().oneshot(request)).expect("infallible");
    assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{target}");
});

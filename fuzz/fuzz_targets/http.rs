//! The dashboard and API on arbitrary request targets: every request is
//! answered, and never with 500 (an internal error).
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use urbis_core::{IndicatorRow, Measure};
use urbis_store::{AreaInfo, IndicatorInfo, RunInput, Store};

fn app() -> &'static (axum::Router, tokio::runtime::Runtime) {
    static APP: OnceLock<(axum::Router, tokio::runtime::Runtime)> = OnceLock::new();
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
            })
            .expect("run");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        (urbis_server::router(urbis_server::AppState::open(path).expect("state")), runtime)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(target) = std::str::from_utf8(data) else { return };
    let Ok(request) = Request::get(format!("/{}", target.trim_start_matches('/'))).body(Body::empty()) else { return };
    let (router, runtime) = app();
    let response = runtime.block_on(router.clone().oneshot(request)).expect("infallible");
    assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{target}");
});

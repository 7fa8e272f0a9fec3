//! Hub mode over HTTP, in process (docs/hub.md): tokens and permissions,
//! uploads and deletions of bundles, catalogue edits, malformed and
//! oversized bodies, and the cache after a change.

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use tower::ServiceExt;

mod common;
use common::{fixture, row};
use urbis_core::Measure;
use urbis_server::{AppState, HubOptions};
use urbis_store::bundle::ExportOptions;
use urbis_store::{AreaInfo, RunInput, Store};

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    json: serde_json::Value,
}

async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Answer { status, headers, json }
}

fn request(method: Method, uri: &str, token: Option<&str>, kind: &str, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, kind);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body)).unwrap()
}

async fn get(app: &axum::Router, uri: &str) -> Answer {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// A hub over the test store, with tokens for Vienna (AT13) and
/// Vorarlberg (AT34) and a revoked one of Vienna.
struct Hub {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    app: axum::Router,
    vienna: String,
    vorarlberg: String,
    revoked: String,
}

fn hub_with(options: HubOptions) -> Hub {
    let (dir, path) = fixture();
    let mut store = Store::open(&path).unwrap();
    let (_, vienna) = store.create_token("AT13", "Vienna", "2026-12-01T00:00:00Z").unwrap();
    let (_, vorarlberg) = store.create_token("AT34", "Vorarlberg", "2026-12-01T00:00:00Z").unwrap();
    let (old, revoked) = store.create_token("AT13", "old", "2026-12-01T00:00:00Z").unwrap();
    assert!(store.revoke_token(old.id, "2026-12-02T00:00:00Z").unwrap());
    drop(store);
    let app = urbis_server::router(AppState::open_hub(path.clone(), options).unwrap());
    Hub { dir, path, app, vienna, vorarlberg, revoked }
}

fn hub() -> Hub {
    hub_with(HubOptions::default())
}

/// Vienna's own store, exported as a bundle archive with `code` as
/// publisher code and `created_at` as the run's time.
fn bundle(dir: &std::path::Path, code: Option<&str>, created_at: &str) -> Vec<u8> {
    bundle_with(dir, code, created_at, 75.0)
}

/// The same, with natives' employment rate `nat`.
fn bundle_with(dir: &std::path::Path, code: Option<&str>, created_at: &str, nat: f64) -> Vec<u8> {
    let path = dir.join(format!("vienna-{}-{nat}.sqlite", created_at.replace(':', "")));
    let mut rows = Vec::new();
    for (group, estimate) in [("NAT", nat), ("FOR", 62.5)] {
        rows.push(row("AT13", "nuts2", group, Measure::Value, estimate));
    }
    let areas = [AreaInfo { code: "AT13".into(), name: Some("Wien".into()), level: "nuts2".into(), parent: None }];
    let mut store = Store::open(&path).unwrap();
    store
        .write_run(&RunInput {
            project: "Wien statistics",
            software: "urbis test",
            created_at,
            config: None,
            metadata_json: r#"{"confidence_level":0.95,"definitions":{"c_birth.iso.v1":"Country of birth"}}"#,
            review_json: r#"{"counts":{"published":2}}"#,
            indicators: &[],
            datasets: &[],
            areas: &areas,
            rows: &rows,
            facts: &[],
        })
        .unwrap();
    let export = store
        .export_bundle(&ExportOptions {
            project: None,
            publisher_code: code,
            created_at: "2026-12-03T00:00:00Z",
            software: "urbis test",
        })
        .unwrap();
    urbis_store::archive::write(Some("vienna"), &export.files, 0).unwrap()
}

fn upload(token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    request(Method::POST, "/api/v1/bundles", token, "application/x-tar", body)
}

async fn runs(app: &axum::Router) -> Vec<serde_json::Value> {
    get(app, "/api/v1/runs").await.json.as_array().unwrap().clone()
}

#[tokio::test]
async fn missing_invalid_and_revoked_tokens_are_refused_and_change_nothing() {
    let h = hub();
    let before = runs(&h.app).await;
    let tar = bundle(h.dir.path(), Some("AT13"), "2026-12-01T08:00:00Z");
    let wrong = "urbis_".to_string() + &"0".repeat(64);
    for token in [None, Some(wrong.as_str()), Some(h.revoked.as_str()), Some(""), Some(&"x".repeat(10_000))] {
        let a = send(&h.app, upload(token, tar.clone())).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{token:?}: {}", a.json);
        assert!(a.headers.contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(a.json["status"], 401);
    }
    let basic = Request::post("/api/v1/bundles")
        .header(header::AUTHORIZATION, format!("Basic {}", h.vienna))
        .header(header::CONTENT_TYPE, "application/x-tar")
        .body(Body::from(tar.clone()))
        .unwrap();
    assert_eq!(send(&h.app, basic).await.status, StatusCode::UNAUTHORIZED, "only bearer tokens");
    for (method, uri) in [(Method::DELETE, "/api/v1/bundles/AT13"), (Method::DELETE, "/api/v1/initiatives/start-wien")]
    {
        let a = send(&h.app, request(method, uri, Some(&h.revoked), "application/json", Vec::new())).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    assert_eq!(runs(&h.app).await, before, "the store is unchanged");
    assert!(get(&h.app, "/api/v1/initiatives/start-wien").await.status == StatusCode::OK);
}

#[tokio::test]
async fn a_city_uploads_its_own_bundle_once_and_never_another_citys() {
    let h = hub();
    let tar = bundle(h.dir.path(), Some("AT13"), "2026-12-01T08:00:00Z");
    // Read (and cache) the runs and the data first.
    let before = runs(&h.app).await;
    assert_eq!(runs(&h.app).await, before);
    let data = "/api/v1/data?indicator=emp_rate&geo=AT13&group=FOR&time=2023&measure=value";
    assert_eq!(get(&h.app, data).await.json["count"], 1);

    let a = send(&h.app, upload(Some(&h.vorarlberg), tar.clone())).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.json);
    assert!(a.json["error"].as_str().unwrap().contains("own figures"), "{}", a.json);
    let uncoded = bundle(h.dir.path(), None, "2026-12-01T09:00:00Z");
    let a = send(&h.app, upload(Some(&h.vienna), uncoded)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "a bundle without publisher code: {}", a.json);
    assert_eq!(runs(&h.app).await, before);

    let a = send(&h.app, upload(Some(&h.vienna), tar.clone())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    assert_eq!(a.json["outcome"], "imported");
    let after = runs(&h.app).await;
    assert_eq!(after.len(), before.len() + 1, "the cached answer was forgotten");
    let imported = after.iter().find(|r| r["origin"] == "imported").unwrap();
    assert_eq!(imported["project"], "Wien statistics");
    assert_eq!(imported["provenance"]["publisher_code"], "AT13", "{imported}");
    assert_eq!(get(&h.app, data).await.json["count"], 2, "the uploaded figure is served");

    let a = send(&h.app, upload(Some(&h.vienna), tar.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json);
    assert_eq!(a.json["outcome"], "already_imported");
    assert_eq!(runs(&h.app).await, after, "the same bundle again changes nothing");

    // Another city cannot take over the name either.
    let a = send(&h.app, upload(Some(&h.vorarlberg), bundle(h.dir.path(), Some("AT34"), "2026-12-05T00:00:00Z"))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.json);
    assert!(a.json["error"].as_str().unwrap().contains("another publisher"), "{}", a.json);
    // An older bundle than the one held: conflict.
    let older = bundle_with(h.dir.path(), Some("AT13"), "2026-11-01T00:00:00Z", 74.0);
    let a = send(&h.app, upload(Some(&h.vienna), older)).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.json);
    assert_eq!(runs(&h.app).await, after);
}

#[tokio::test]
async fn damaged_bundles_and_wrong_media_types_are_refused_with_the_store_untouched() {
    let h = hub();
    let before = runs(&h.app).await;
    let tar = bundle(h.dir.path(), Some("AT13"), "2026-12-01T08:00:00Z");
    // A figure changed inside the archive, its checksum not.
    let text = String::from_utf8_lossy(&tar).to_string();
    let at = text.find(",75,").expect("the NAT figure in the table");
    let mut tampered = tar.clone();
    tampered[at + 1] = b'9';
    let a = send(&h.app, upload(Some(&h.vienna), tampered)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.json);
    assert!(a.json["error"].as_str().unwrap().contains("checksum"), "{}", a.json);
    for junk in [b"not a tar".to_vec(), vec![0u8; 4096], tar[..700].to_vec()] {
        let a = send(&h.app, upload(Some(&h.vienna), junk)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.json);
    }
    for name in ["../../etc/passwd", "/etc/passwd", "a/b/manifest.json"] {
        let evil = urbis_store::archive::write(None, &[(name.into(), b"{}".to_vec())], 0).unwrap();
        let a = send(&h.app, upload(Some(&h.vienna), evil)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.json);
        assert!(a.json["error"].as_str().unwrap().contains("plain names"), "{}", a.json);
    }
    let a = send(&h.app, request(Method::POST, "/api/v1/bundles", Some(&h.vienna), "text/plain", tar.clone())).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", a.json);
    assert_eq!(runs(&h.app).await, before);
    // Error answers carry no internal detail.
    let a = send(&h.app, upload(Some(&h.vienna), b"x".to_vec())).await;
    let message = a.json["error"].as_str().unwrap();
    assert!(!message.contains(h.path.to_str().unwrap()) && !message.contains("sqlite"), "{message}");
}

#[tokio::test]
async fn a_city_deletes_its_own_figures_only() {
    let h = hub();
    let before = runs(&h.app).await;
    let tar = bundle(h.dir.path(), Some("AT13"), "2026-12-01T08:00:00Z");
    assert_eq!(send(&h.app, upload(Some(&h.vienna), tar)).await.status, StatusCode::CREATED);
    let delete = |token: &str, code: &str| {
        request(Method::DELETE, &format!("/api/v1/bundles/{code}"), Some(token), "application/json", Vec::new())
    };
    let a = send(&h.app, delete(&h.vorarlberg, "AT13")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.json);
    assert_eq!(runs(&h.app).await.len(), before.len() + 1);
    let a = send(&h.app, delete(&h.vienna, "AT13")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json);
    assert_eq!(a.json["deleted_runs"], 1);
    assert_eq!(runs(&h.app).await, before, "the figures are gone, the store's own untouched");
    assert_eq!(send(&h.app, delete(&h.vienna, "AT13")).await.status, StatusCode::NOT_FOUND);
}

fn entry(id: &str, place: &str, title: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id, "kind": "practice", "title": title, "place": place, "topics": ["housing"],
        "description": "Shared flats for young refugees", "links": ["https://example.org/flats"],
    }))
    .unwrap()
}

#[tokio::test]
async fn token_holders_edit_their_own_catalogue_entries() {
    let h = hub();
    let json = "application/json";
    let post = |token: &str, body: Vec<u8>| request(Method::POST, "/api/v1/initiatives", Some(token), json, body);
    let put = |token: &str, id: &str, body: Vec<u8>| {
        request(Method::PUT, &format!("/api/v1/initiatives/{id}"), Some(token), json, body)
    };
    let a = send(&h.app, post(&h.vienna, entry("flats-wien", "AT13", "Flats"))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    assert_eq!(get(&h.app, "/api/v1/initiatives/flats-wien").await.json["title"], "Flats");
    assert_eq!(get(&h.app, "/api/v1/initiatives?q=refugees").await.json.as_array().unwrap().len(), 1);
    assert_eq!(send(&h.app, post(&h.vienna, entry("flats-wien", "AT13", "Again"))).await.status, StatusCode::CONFLICT);

    let a = send(&h.app, put(&h.vienna, "flats-wien", entry("flats-wien", "AT13", "Shared flats"))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json);
    assert_eq!(get(&h.app, "/api/v1/initiatives/flats-wien").await.json["title"], "Shared flats", "cache forgotten");
    // Another city's entry, a place outside the city, the parent area, Europe-wide entries: refused.
    let a = send(&h.app, put(&h.vorarlberg, "flats-wien", entry("flats-wien", "AT34", "Mine now"))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.json);
    for place in ["AT34", "AT", "EU"] {
        let a = send(&h.app, post(&h.vienna, entry("elsewhere", place, "T"))).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{place}: {}", a.json);
    }
    let delete = |token: &str, id: &str| {
        request(Method::DELETE, &format!("/api/v1/initiatives/{id}"), Some(token), json, Vec::new())
    };
    assert_eq!(send(&h.app, delete(&h.vienna, "eu-plan")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&h.app, delete(&h.vorarlberg, "flats-wien")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&h.app, "/api/v1/initiatives/flats-wien").await.json["title"], "Shared flats");

    // Bodies that are not entries.
    let cases: [(&[u8], StatusCode); 6] = [
        (b"{\"id\": \"a\",", StatusCode::BAD_REQUEST),
        (b"", StatusCode::BAD_REQUEST),
        (b"\xff\xfe{}", StatusCode::BAD_REQUEST),
        (b"[1, 2]", StatusCode::UNPROCESSABLE_ENTITY),
        (b"{\"id\": \"a\"}", StatusCode::UNPROCESSABLE_ENTITY),
        (br#"{"id":"Bad Id","kind":"practice","title":"T","place":"AT13","topics":["housing"],"description":"D","links":[]}"#, StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (body, status) in cases {
        let a = send(&h.app, post(&h.vienna, body.to_vec())).await;
        assert_eq!(a.status, status, "{}: {}", String::from_utf8_lossy(body), a.json);
        assert!(a.json["error"].is_string());
    }
    let a = send(&h.app, put(&h.vienna, "flats-wien", entry("other-id", "AT13", "T"))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "the id of the address and the body differ");
    let a = send(
        &h.app,
        request(Method::POST, "/api/v1/initiatives", Some(&h.vienna), "text/csv", entry("x", "AT13", "T")),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert_eq!(send(&h.app, delete(&h.vienna, "flats-wien")).await.status, StatusCode::OK);
    assert_eq!(send(&h.app, delete(&h.vienna, "start-wien")).await.status, StatusCode::OK, "an entry of the city");
    assert_eq!(get(&h.app, "/api/v1/initiatives/flats-wien").await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&h.app, delete(&h.vienna, "flats-wien")).await.status, StatusCode::NOT_FOUND);
    let left: Vec<String> = get(&h.app, "/api/v1/initiatives")
        .await
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, ["eu-plan"]);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let h = hub_with(HubOptions { max_body: 1024 });
    let big = vec![b' '; 4096];
    // Sent without a length: cut off at the limit.
    let a =
        send(&h.app, request(Method::POST, "/api/v1/initiatives", Some(&h.vienna), "application/json", big.clone()))
            .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.json);
    // Declared too large: refused before reading.
    let mut declared = request(Method::POST, "/api/v1/bundles", Some(&h.vienna), "application/x-tar", big.clone());
    declared.headers_mut().insert(header::CONTENT_LENGTH, "4096".parse().unwrap());
    assert_eq!(send(&h.app, declared).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a valid token, the body is not read at all: 401.
    let a = send(&h.app, request(Method::POST, "/api/v1/bundles", None, "application/x-tar", big)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn hub_mode_refuses_to_start_without_an_active_token() {
    let (_dir, path) = fixture();
    let e = AppState::open_hub(path.clone(), HubOptions::default()).err().expect("no tokens: refused").to_string();
    assert!(e.contains("urbis token create"), "{e}");
    let mut store = Store::open(&path).unwrap();
    let (t, _) = store.create_token("AT13", "", "2026-12-01T00:00:00Z").unwrap();
    assert!(AppState::open_hub(path.clone(), HubOptions::default()).is_ok());
    store.revoke_token(t.id, "2026-12-02T00:00:00Z").unwrap();
    assert!(AppState::open_hub(path.clone(), HubOptions::default()).is_err(), "revoked tokens do not count");
    let missing = path.with_file_name("missing.sqlite");
    assert!(AppState::open_hub(missing.clone(), HubOptions::default()).is_err());
    assert!(!missing.exists(), "no store is created");
}

#[tokio::test]
async fn without_hub_mode_the_server_takes_no_writes() {
    let h = hub();
    let read_only = urbis_server::router(AppState::open(h.path.clone()).unwrap());
    let tar = bundle(h.dir.path(), Some("AT13"), "2026-12-01T08:00:00Z");
    assert_eq!(send(&read_only, upload(Some(&h.vienna), tar)).await.status, StatusCode::NOT_FOUND);
    let a = send(
        &read_only,
        request(Method::POST, "/api/v1/initiatives", Some(&h.vienna), "application/json", entry("x", "AT13", "T")),
    )
    .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(runs(&read_only).await.len(), 1);
}

#[tokio::test]
async fn every_documented_write_route_answers_401_without_a_token() {
    let h = hub();
    let doc = get(&h.app, "/api/v1/openapi.json").await.json;
    let mut writes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "get" {
                continue;
            }
            assert!(operation["security"].is_array(), "{method} {path} names its security");
            assert!(operation["responses"]["401"].is_object(), "{method} {path} documents 401");
            let mut uri = format!("/api/v1{path}");
            for p in operation["parameters"].as_array().into_iter().flatten() {
                uri = uri.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), p["example"].as_str().unwrap());
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = send(&h.app, request(m, &uri, None, "application/json", b"{}".to_vec())).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {uri}: {}", a.json);
            writes += 1;
        }
    }
    assert_eq!(writes, 5);
}

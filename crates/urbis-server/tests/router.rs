//! Every page and API route, in process: status, content type, the HTML
//! that must be there (charts, maps, flags, tables, download links), the
//! downloads, refusals, and the security headers.

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

mod common;
use common::fixture;

struct Answer {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn get(app: &axum::Router, uri: &str) -> Answer {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = String::from_utf8(to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
    Answer { status, content_type, headers, body }
}

fn app() -> (tempfile::TempDir, axum::Router) {
    let (dir, path) = fixture();
    (dir, urbis_server::router(urbis_server::AppState::open(path).unwrap()))
}

fn assert_page(a: &Answer, uri: &str) {
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
    assert!(a.content_type.starts_with("text/html"), "{uri}: {}", a.content_type);
    assert!(a.body.starts_with("<!DOCTYPE html>"), "{uri}");
    assert!(a.body.contains(r#"<html lang="en">"#) && a.body.contains("Skip to content"), "{uri}");
    assert!(a.body.contains(r#"aria-current="page""#) || uri == "/nothing", "{uri}: the current page is marked");
    assert!(!a.body.contains("<script"), "{uri}: no script at all");
}

#[tokio::test]
async fn every_page_answers_with_its_content() {
    let (_dir, app) = app();
    let overview = get(&app, "/").await;
    assert_page(&overview, "/");
    assert!(
        overview.body.contains("Headline map") && overview.body.contains("<svg"),
        "a map of the headline indicator"
    );
    assert!(overview.body.contains("Austria test") && overview.body.contains("Österreich (AT)"));

    let list = get(&app, "/indicators").await;
    assert_page(&list, "/indicators");
    assert!(list.body.contains(r#"href="/indicator/emp_rate""#));

    let chart = get(&app, "/indicator/emp_rate").await;
    assert_page(&chart, "/indicator/emp_rate");
    assert!(
        chart.body.contains(r#"role="img""#) && chart.body.contains("<title id=\"chart-title\">"),
        "an accessible chart"
    );
    assert!(chart.body.contains("[u]</text>"), "a low-reliability point is marked on the chart");
    assert!(chart.body.contains(">[c]</text>"), "a suppressed value is a visible gap");
    assert!(chart.body.contains("<table"), "the chart's figures as a table");
    assert!(chart.body.contains("Over time") && chart.body.contains("<polyline"), "Vienna over 2022-2023");
    assert!(chart.body.contains(r#"<option value="2023" selected>"#), "the latest period by default");
    for format in ["csv", "jsonstat", "sdmx", "svg"] {
        assert!(chart.body.contains(&format!("format={format}")), "download link {format}");
    }

    let map = get(&app, "/indicator/emp_rate?tab=map").await;
    assert_page(&map, "map tab");
    assert!(map.body.contains("Wien (AT13)") && map.body.contains("<svg"), "the NUTS 2 map names its regions");

    let table = get(&app, "/indicator/emp_rate?tab=table&sort=estimate&dir=desc").await;
    assert_page(&table, "table tab");
    let (vorarlberg, wien) = (table.body.find("78.0").unwrap(), table.body.find("74.0").unwrap());
    assert!(vorarlberg < wien, "sorted by estimate, descending");
    assert!(table.body.contains("suppressed"), "suppressed cells say so");

    let about = get(&app, "/indicator/emp_rate?tab=about").await;
    assert_page(&about, "about tab");
    assert!(about.body.contains("Country of birth, ISO codes") && about.body.contains("lfs.csv"));

    let area = get(&app, "/area/AT13").await;
    assert_page(&area, "/area/AT13");
    assert!(area.body.contains("Gap to natives") && area.body.contains("Value in Österreich (AT)"));
    assert!(area.body.contains("-13.0"), "the gap of Vienna's foreign-born");

    let areas = get(&app, "/areas").await;
    assert_page(&areas, "/areas");

    let compare = get(&app, "/compare?indicator=emp_rate&geo=AT13~AT34").await;
    assert_page(&compare, "/compare");
    assert!(compare.body.contains("<svg") && compare.body.contains("Vorarlberg (AT34)"));
    assert!(compare.body.contains("geo=AT13~AT34") || compare.body.contains("geo=AT13%7EAT34"), "permalink kept");

    let segregation = get(&app, "/segregation").await;
    assert_page(&segregation, "/segregation");
    assert!(segregation.body.contains("0.158") && segregation.body.contains("<svg"), "indices and the grid map");

    let about = get(&app, "/about").await;
    assert_page(&about, "/about");
}

#[tokio::test]
async fn every_view_downloads() {
    let (_dir, app) = app();
    let csv = get(&app, "/indicator/emp_rate?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    assert!(csv.body.starts_with("indicator,geo,geo_level"));
    assert!(
        csv.body.lines().any(|l| l.contains("AT34") && l.contains("EU27_2020_FOR") && l.contains(",C,")),
        "suppressed kept as C"
    );
    let jsonstat: serde_json::Value =
        serde_json::from_str(&get(&app, "/indicator/emp_rate?format=jsonstat").await.body).unwrap();
    assert_eq!(jsonstat["class"], "dataset");
    let sdmx = get(&app, "/compare?indicator=emp_rate&geo=AT13~AT34&format=sdmx").await;
    assert!(sdmx.body.starts_with("STRUCTURE,STRUCTURE_ID"), "{}", sdmx.body);
    for uri in [
        "/indicator/emp_rate?format=svg",
        "/indicator/emp_rate?tab=map&format=svg",
        "/area/AT13?format=svg",
        "/segregation?format=svg",
    ] {
        let svg = get(&app, uri).await;
        assert_eq!(svg.status, StatusCode::OK, "{uri}");
        assert_eq!(svg.content_type, "image/svg+xml", "{uri}");
        assert!(svg.body.starts_with("<svg"), "{uri}");
    }
    let seg = get(&app, "/segregation?format=csv").await;
    assert!(seg.body.starts_with("dataset,scale,index"));
}

#[tokio::test]
async fn bad_requests_are_refused_clearly() {
    let (_dir, app) = app();
    let unknown = get(&app, "/indicator/nothing").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("no indicator 'nothing'"));
    let format = get(&app, "/indicator/emp_rate?format=xls").await;
    assert_eq!(format.status, StatusCode::BAD_REQUEST);
    assert!(format.body.contains("unknown format"));
    let level = get(&app, "/indicator/emp_rate?level=district").await;
    assert_eq!(level.status, StatusCode::BAD_REQUEST);
    assert!(level.body.contains("nuts2"), "names the levels there are");
    let area = get(&app, "/compare?indicator=emp_rate&geo=XX99").await;
    assert_eq!(area.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, "/no/such/page").await.status, StatusCode::NOT_FOUND);
    let api = get(&app, "/api/v1/indicators/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let error: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(error["status"], 404);
}

#[tokio::test]
async fn every_documented_api_route_answers_as_documented() {
    let (_dir, app) = app();
    let doc: serde_json::Value = serde_json::from_str(&get(&app, "/api/v1/openapi.json").await.body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    for (path, item) in paths {
        let mut uri = format!("/api/v1{path}");
        for p in item["get"]["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                let example = match p["name"].as_str().unwrap() {
                    "dataset" => "grid_test",
                    _ => p["example"].as_str().unwrap(),
                };
                uri = uri.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), example);
            }
        }
        let a = get(&app, &uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        assert!(item["get"]["responses"]["200"].is_object(), "{path} documents its answer");
        assert!(a.content_type.starts_with("application/json"), "{uri}");
        let value: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        let kind = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["type"].as_str();
        match kind {
            Some("array") => assert!(value.is_array(), "{uri}"),
            Some("object") => assert!(value.is_object(), "{uri}"),
            _ => assert!(value.is_object(), "{uri}: /data answers an object"),
        }
    }
}

#[tokio::test]
async fn the_data_route_filters_and_keeps_suppressed_values_null() {
    let (_dir, app) = app();
    let a = get(&app, "/api/v1/data?indicator=emp_rate&geo=AT34&group=EU27_2020_FOR").await;
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["count"], 1);
    let figure = &v["values"][0];
    assert!(figure["estimate"].is_null() && figure["n"].is_null(), "{figure}");
    assert_eq!(figure["conf_status"], "C");
    let csv = get(&app, "/api/v1/data?geo=AT13~AT34&measure=value&time=2023&format=csv").await;
    assert_eq!(csv.body.lines().count(), 1 + 8, "header and four groups in each of two areas");
}

#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let (_dir, app) = app();
    for uri in ["/", "/api/v1/indicators", "/static/urbis.css", "/no/such/page", "/indicator/emp_rate?format=svg"] {
        let a = get(&app, uri).await;
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{uri}");
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(a.headers[header::X_FRAME_OPTIONS], "DENY", "{uri}");
    }
}

#[tokio::test]
async fn a_cached_answer_is_the_same_as_the_first() {
    let (_dir, app) = app();
    let first = get(&app, "/indicator/emp_rate?tab=table").await;
    let second = get(&app, "/indicator/emp_rate?tab=table").await;
    assert_eq!(first.body, second.body);
    assert_eq!(first.content_type, second.content_type);
}

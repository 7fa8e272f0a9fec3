//! Every page and API route, in process: status, content type, the HTML
//! that must be there (charts, maps, flags, tables, download links), the
//! downloads, refusals, and the security headers.

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

mod common;
use common::{fixture, row};
use urbis_core::Measure;
use urbis_store::{AreaInfo, IndicatorInfo, RunInput, Store};

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
        if item.get("get").is_none() {
            continue; // hub mode's write routes: crates/urbis-server/tests/hub.rs
        }
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
    assert_eq!(
        csv.body.lines().count(),
        1 + 8 + 6,
        "header, four groups of emp_rate in each of two areas, and the peers characteristics"
    );
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

#[tokio::test]
async fn the_catalogue_pages_search_filter_and_download() {
    let (_dir, app) = app();
    let list = get(&app, "/initiatives").await;
    assert_page(&list, "/initiatives");
    assert!(list.body.contains(r#"href="/initiative/start-wien""#) && list.body.contains("2 entries"));
    assert!(list.body.contains(r#"role="search""#) && list.body.contains("format=csv"));
    let found = get(&app, "/initiatives?q=coaching").await;
    assert!(found.body.contains("1 entry") && found.body.contains("StartWien"), "{}", found.body);
    let topic = get(&app, "/initiatives?topic=housing").await;
    assert!(topic.body.contains("EU action plan") && !topic.body.contains("/initiative/start-wien"));
    let place = get(&app, "/initiatives?place=AT13").await;
    assert!(place.body.contains("1 entry"));
    assert_eq!(get(&app, "/initiatives?topic=nothing").await.status, StatusCode::BAD_REQUEST);
    let entry = get(&app, "/initiative/start-wien").await;
    assert_page(&entry, "/initiative/start-wien");
    assert!(entry.body.contains(r#"href="https://www.eipa.eu/epsa/startwien""#));
    assert!(entry.body.contains(r#"href="/area/AT13""#) && entry.body.contains(r#"href="/indicator/emp_rate""#));
    assert_eq!(get(&app, "/initiative/nothing").await.status, StatusCode::NOT_FOUND);
    let csv = get(&app, "/initiatives?q=coaching&format=csv").await;
    assert!(csv.content_type.starts_with("text/csv") && csv.body.starts_with("id,kind,title"));
    assert_eq!(csv.body.lines().count(), 2);
    let json: serde_json::Value =
        serde_json::from_str(&get(&app, "/initiative/start-wien?format=json").await.body).unwrap();
    assert_eq!(json[0]["place"], "AT13");
    // Linked from the indicator and area pages.
    assert!(get(&app, "/indicator/emp_rate").await.body.contains(r#"href="/initiative/start-wien""#));
    let area = get(&app, "/area/AT13").await.body;
    assert!(area.contains(r#"href="/initiative/start-wien""#) && area.contains(r#"href="/initiative/eu-plan""#));
    let api: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/initiatives?q=vienna&topic=employment").await.body).unwrap();
    assert_eq!(api.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_area_profile_and_the_api_show_peers() {
    let (_dir, app) = app();
    let area = get(&app, "/area/AT13").await;
    assert!(area.body.contains("Compare with peers") && area.body.contains(r#"href="/area/AT34""#), "{}", area.body);
    assert!(area.body.contains("geo=AT13~AT34") || area.body.contains("geo=AT13%7EAT34"), "a link to compare them");
    let peers: serde_json::Value = serde_json::from_str(&get(&app, "/api/v1/areas/AT13/peers?k=3").await.body).unwrap();
    assert_eq!(peers["peers"][0]["code"], "AT34");
    // Two areas: each characteristic's z-scores are -1 and 1, so every one adds 4 to the squared
    // distance: three figures, and population and degurba, which both areas have.
    assert!((peers["peers"][0]["distance"].as_f64().unwrap() - 20f64.sqrt()).abs() < 1e-12, "{peers}");
    let names: Vec<&str> =
        peers["scales"].as_array().unwrap().iter().map(|s| s["characteristic"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["foreign_born", "non_eu_of_foreign_born", "unemployment", "population", "degurba"]);
    let facts: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/areas/AT13/peers?vars=population~degurba").await.body).unwrap();
    assert!((facts["peers"][0]["distance"].as_f64().unwrap() - 8f64.sqrt()).abs() < 1e-12, "{facts}");
    assert_eq!(facts["scales"][0]["characteristic"]["fact"], "population");
    assert!((facts["scales"][0]["value"].as_f64().unwrap() - 2e6f64.log10()).abs() < 1e-12, "{facts}");
    assert_eq!(facts["peers"][0]["parts"][1]["value"], 0.0);
    let page = get(&app, "/area/AT13?vars=population~degurba").await;
    assert!(page.body.contains("<td class=\"num\">2000000</td>") && page.body.contains("400000"), "{}", page.body);
    let one: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/areas/AT13/peers?vars=emp_rate:c_birth:FOR").await.body).unwrap();
    assert_eq!(one["scales"][0]["value"], 61.0);
    let bad = get(&app, "/api/v1/areas/AT13/peers?vars=nothing").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("is not a characteristic"));
    assert_eq!(get(&app, "/api/v1/areas/AT13/peers?k=0").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, "/api/v1/areas/XX/peers").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn imported_figures_under_another_definition_are_flagged_d_everywhere() {
    let (dir, path) = fixture();
    // Another city's bundle: Vorarlberg's figures under another concept definition and method.
    let other = dir.path().join("other.sqlite");
    let mut rows =
        vec![row("AT33", "nuts2", "FOR", Measure::Value, 63.0), row("AT33", "nuts2", "NAT", Measure::Value, 75.0)];
    for r in &mut rows {
        r.definition = "c_birth.national.v2".into();
        r.method = "fh".into();
    }
    let indicators = [IndicatorInfo {
        id: "emp_rate".into(),
        label: "Employment rate 20-64".into(),
        family: "employment".into(),
        unit: "PC".into(),
        statistic: "share".into(),
        population: "age 20-64".into(),
        numerator: "employed".into(),
        variable: String::new(),
        source_type: "LFS".into(),
        reference: "lfsa_ergacob".into(),
    }];
    let areas = [AreaInfo {
        code: "AT33".into(),
        name: Some("Tirol".into()),
        level: "nuts2".into(),
        parent: Some("AT".into()),
    }];
    let mut store = Store::open(&other).unwrap();
    store
        .write_run(&RunInput {
            project: "Tyrol",
            software: "urbis test",
            created_at: "2026-11-20T00:00:00Z",
            config: None,
            metadata_json: r#"{"definitions":{"c_birth.national.v2":"Country of birth, national codes"}}"#,
            review_json: "{}",
            indicators: &indicators,
            datasets: &[],
            areas: &areas,
            rows: &rows,
            facts: &[],
        })
        .unwrap();
    let export = store
        .export_bundle(&urbis_store::bundle::ExportOptions {
            project: None,
            publisher_code: Some("AT33"),
            created_at: "2026-11-21T00:00:00Z",
            software: "urbis test",
        })
        .unwrap();
    let folder = dir.path().join("tyrol");
    std::fs::create_dir(&folder).unwrap();
    for (name, bytes) in &export.files {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    let bundle = urbis_store::bundle::read(&folder).unwrap();
    Store::open(&path).unwrap().import_bundle(&bundle, "2026-11-22T00:00:00Z").unwrap();
    let app = urbis_server::router(urbis_server::AppState::open(path).unwrap());

    let data: serde_json::Value = serde_json::from_str(
        &get(&app, "/api/v1/data?indicator=emp_rate&measure=value&group=FOR&geo=AT13~AT33").await.body,
    )
    .unwrap();
    let flag = |geo: &str| data["values"].as_array().unwrap().iter().find(|v| v["geo"] == geo).unwrap()["flag"].clone();
    assert_eq!(flag("AT33"), "d");
    assert_eq!(flag("AT13"), "");
    assert_eq!(data["comparability"][0]["reference_definitions"][0], "c_birth.iso.v1");
    assert_eq!(data["comparability"][0]["reference_methods"][0], "direct");
    let compare = get(&app, "/compare?indicator=emp_rate&geo=AT13~AT33").await;
    assert_page(&compare, "/compare with an imported city");
    assert!(
        compare.body.contains("definition c_birth.national.v2") && compare.body.contains("method fh"),
        "{}",
        compare.body
    );
    let csv = get(&app, "/compare?indicator=emp_rate&geo=AT13~AT33&format=csv").await.body;
    assert!(csv.lines().any(|l| l.starts_with("emp_rate,AT33") && l.contains(",d,F,fh,")), "{csv}");
    let sdmx = get(&app, "/indicator/emp_rate?format=sdmx").await.body;
    assert!(sdmx.lines().any(|l| l.contains(",AT33,") && l.contains(",d,F,")), "{sdmx}");
    let about = get(&app, "/about").await;
    assert!(about.body.contains("Imported from an exchange bundle of <strong>Tyrol</strong> (AT33)"), "{}", about.body);
    let runs: serde_json::Value = serde_json::from_str(&get(&app, "/api/v1/runs").await.body).unwrap();
    assert_eq!(runs[0]["origin"], "imported");
    assert_eq!(runs[0]["provenance"]["publisher_code"], "AT33");
}

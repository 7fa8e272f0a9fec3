//! The JSON API under `/api/v1`: the same data as the pages, with flags and
//! metadata, described by the OpenAPI document at `/api/v1/openapi.json`.

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use urbis_store::ObservationFilter;

use crate::app::{blocking, AppError, Shared};
use crate::view::{table_download, Format, Params};

/// The API's routes; with `hub`, also the write routes of hub mode
/// ([`crate::hub`]).
pub fn router(hub: bool) -> Router<Shared> {
    use crate::hub as h;
    let (mut list, mut one) = (get(initiatives), get(initiative));
    let mut writes = Router::new();
    if hub {
        list = list.post(h::create_initiative);
        one = one.put(h::replace_initiative).delete(h::delete_initiative);
        writes = writes.route("/bundles", post(h::upload)).route("/bundles/{code}", delete(h::remove));
    }
    Router::new()
        .route("/", get(index))
        .route("/openapi.json", get(openapi))
        .route("/indicators", get(indicators))
        .route("/indicators/{id}", get(indicator))
        .route("/areas", get(areas))
        .route("/areas/{code}", get(area))
        .route("/areas/{code}/peers", get(peers))
        .route("/groups", get(groups))
        .route("/time", get(time))
        .route("/data", get(data))
        .route("/runs", get(runs))
        .route("/segregation", get(segregation_datasets))
        .route("/segregation/{dataset}", get(segregation))
        .route("/initiatives", list)
        .route("/initiatives/{id}", one)
        .merge(writes)
        .fallback(|| async { AppError::not_found("no such API route; see /api/v1/openapi.json").json() })
}

async fn json_of<T: serde::Serialize + Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&urbis_store::Store) -> Result<T, AppError> + Send + 'static,
) -> Result<Json<T>, AppError> {
    blocking(state, move |_, store| work(store)).await.map(Json).map_err(AppError::json)
}

async fn index() -> Json<Value> {
    Json(json!({
        "name": "urbis API",
        "version": "v1",
        "openapi": "/api/v1/openapi.json",
        "hub_routes": ["POST /api/v1/bundles", "DELETE /api/v1/bundles/{code}", "POST /api/v1/initiatives",
                       "PUT /api/v1/initiatives/{id}", "DELETE /api/v1/initiatives/{id}"],
        "routes": ["/api/v1/indicators", "/api/v1/indicators/{id}", "/api/v1/areas", "/api/v1/areas/{code}", "/api/v1/areas/{code}/peers",
                   "/api/v1/groups", "/api/v1/time", "/api/v1/data", "/api/v1/runs",
                   "/api/v1/segregation", "/api/v1/segregation/{dataset}",
                   "/api/v1/initiatives", "/api/v1/initiatives/{id}"],
    }))
}

async fn openapi() -> Json<Value> {
    Json(crate::api::openapi_document())
}

async fn indicators(State(state): State<Shared>) -> Result<Json<Vec<urbis_store::IndicatorInfo>>, AppError> {
    json_of(&state, |store| Ok(store.indicators()?)).await
}

async fn indicator(State(state): State<Shared>, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    json_of(&state, move |store| {
        let (info, run_id) =
            store.indicator(&id)?.ok_or_else(|| AppError::not_found(format!("no indicator '{id}'")))?;
        let metadata: Value =
            store.run_metadata(run_id)?.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default();
        let run = store.runs()?.into_iter().find(|r| r.id == run_id);
        Ok(json!({
            "indicator": info,
            "definitions": metadata["definitions"],
            "confidence_level": metadata["confidence_level"],
            "run": run,
        }))
    })
    .await
}

async fn areas(State(state): State<Shared>) -> Result<Json<Vec<urbis_store::AreaInfo>>, AppError> {
    json_of(&state, |store| Ok(store.areas()?)).await
}

async fn area(State(state): State<Shared>, Path(code): Path<String>) -> Result<Json<Value>, AppError> {
    json_of(&state, move |store| {
        let area = store.area(&code)?.ok_or_else(|| AppError::not_found(format!("no area '{code}'")))?;
        let children: Vec<String> =
            store.areas()?.into_iter().filter(|a| a.parent.as_deref() == Some(code.as_str())).map(|a| a.code).collect();
        Ok(json!({ "area": area, "children": children }))
    })
    .await
}

/// The characteristics and k of a peers query (`vars=a~b`, `k=`); no
/// characteristics for the store's default (`Store::default_characteristics`).
pub fn peers_query(params: &Params) -> Result<(Vec<urbis_store::peers::Characteristic>, usize), AppError> {
    let characteristics = params
        .list("vars")
        .iter()
        .map(|v| urbis_store::peers::Characteristic::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::bad_request)?;
    let k = match params.get("k") {
        None => 5,
        Some(k) => k
            .parse::<usize>()
            .ok()
            .filter(|k| (1..=100).contains(k))
            .ok_or_else(|| AppError::bad_request(format!("k must be a whole number from 1 to 100, not '{k}'")))?,
    };
    Ok((characteristics, k))
}

async fn peers(
    State(state): State<Shared>,
    Path(code): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<urbis_store::peers::Peers>, AppError> {
    let (characteristics, k) = peers_query(&Params(pairs)).map_err(AppError::json)?;
    json_of(&state, move |store| {
        if store.area(&code)?.is_none() {
            return Err(AppError::not_found(format!("no area '{code}'")));
        }
        store.peers(&code, &characteristics, k)?.map_err(AppError::bad_request)
    })
    .await
}

async fn groups(State(state): State<Shared>) -> Result<Json<Value>, AppError> {
    json_of(&state, |store| {
        let rows = store.observations(&ObservationFilter::default())?;
        let pairs: BTreeSet<(&str, &str)> = rows.iter().map(|r| (r.breakdown.as_str(), r.group.as_str())).collect();
        let list: Vec<Value> = pairs
            .into_iter()
            .map(|(b, g)| json!({ "breakdown": b, "group": g, "label": crate::labels::group(g) }))
            .collect();
        Ok(Value::Array(list))
    })
    .await
}

async fn time(State(state): State<Shared>) -> Result<Json<Vec<String>>, AppError> {
    json_of(&state, |store| {
        let rows = store.observations(&ObservationFilter::default())?;
        Ok(rows.iter().map(|r| r.time.clone()).collect::<BTreeSet<_>>().into_iter().collect())
    })
    .await
}

/// The filter of `/data` from its query parameters.
fn data_filter(params: &Params) -> ObservationFilter {
    ObservationFilter {
        indicator: params.get("indicator").map(str::to_string),
        geo: params.list("geo"),
        geo_level: params.get("geo_level").map(str::to_string),
        time: params.get("time").map(str::to_string),
        breakdown: params.get("breakdown").map(str::to_string),
        group: params.list("group"),
        measure: params.get("measure").map(str::to_string),
    }
}

async fn data(State(state): State<Shared>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let params = Params(pairs);
    let format = params.format().map_err(AppError::json)?;
    blocking(&state, move |_, store| {
        let rows = store.observations(&data_filter(&params))?;
        match format {
            Format::Html | Format::Json => {
                let values: Vec<Value> = rows
                    .iter()
                    .map(|r| {
                        let mut v = serde_json::to_value(r).unwrap_or_default();
                        for key in ["estimate", "se", "ci_low", "ci_high"] {
                            if v[key].as_f64().is_none() {
                                v[key] = Value::Null;
                            }
                        }
                        v
                    })
                    .collect();
                let mut answer = json!({ "count": values.len(), "values": values });
                if store.has_current_imports()? {
                    // The reference of each indicator and breakdown in the answer (docs/bundle.md).
                    let keys: BTreeSet<(String, String)> =
                        rows.iter().map(|r| (r.indicator.clone(), r.breakdown.clone())).collect();
                    let reference = store.comparability()?;
                    let list: Vec<Value> = keys
                        .iter()
                        .filter_map(|k| {
                            reference.get(k).map(|c| {
                                json!({
                                    "indicator": k.0, "breakdown": k.1,
                                    "reference_definitions": c.definitions, "reference_methods": c.methods,
                                })
                            })
                        })
                        .collect();
                    answer["comparability"] = Value::Array(list);
                }
                Ok(Json(answer).into_response())
            }
            Format::Svg => Err(AppError::bad_request("/data answers json, csv, jsonstat or sdmx")),
            other => table_download(&rows, other, "urbis_data", "urbis data"),
        }
    })
    .await
    .map_err(AppError::json)
}

async fn runs(State(state): State<Shared>) -> Result<Json<Vec<urbis_store::RunInfo>>, AppError> {
    json_of(&state, |store| Ok(store.runs()?)).await
}

async fn segregation_datasets(State(state): State<Shared>) -> Result<Json<Vec<String>>, AppError> {
    json_of(&state, |store| Ok(store.segregation_datasets()?)).await
}

async fn segregation(
    State(state): State<Shared>,
    Path(dataset): Path<String>,
) -> Result<Json<Vec<urbis_store::SegregationValue>>, AppError> {
    json_of(&state, move |store| {
        let values = store.segregation(&dataset)?;
        if values.is_empty() {
            return Err(AppError::not_found(format!("no segregation results for '{dataset}'")));
        }
        Ok(values)
    })
    .await
}

async fn initiatives(
    State(state): State<Shared>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<urbis_store::catalogue::Initiative>>, AppError> {
    let search = crate::pages::initiatives::search_of(&Params(pairs));
    json_of(&state, move |store| Ok(store.initiatives(&search)?)).await
}

async fn initiative(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<urbis_store::catalogue::Initiative>, AppError> {
    json_of(&state, move |store| {
        store.initiative(&id)?.ok_or_else(|| AppError::not_found(format!("no catalogue entry '{id}'")))
    })
    .await
}

/// The OpenAPI 3.1 document of the routes above.
pub fn openapi_document() -> Value {
    let text = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": { "type": "object" } } } });
    let list = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": { "type": "array" } } } });
    let path_param = |name: &str, description: &str, example: &str| json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" }, "example": example });
    let query = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } });
    let refused = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let not_found = refused("Not found");
    let entry_body = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Initiative" } } } });
    json!({
        "openapi": "3.1.0",
        "info": { "title": "urbis API", "version": "v1", "license": { "name": "EUPL-1.2", "identifier": "EUPL-1.2" },
                  "description": "Migrant-integration indicators with uncertainty, flags and metadata. Suppressed values are null, never 0." },
        "servers": [{ "url": "/api/v1" }],
        "paths": {
            "/indicators": { "get": { "summary": "Indicators and their definitions", "responses": { "200": list("Indicator definitions") } } },
            "/indicators/{id}": { "get": { "summary": "One indicator with concept definitions and its run's provenance",
                "parameters": [path_param("id", "Indicator id", "emp_rate")],
                "responses": { "200": text("Definition, concepts and run"), "404": not_found } } },
            "/areas": { "get": { "summary": "Areas with level and parent", "responses": { "200": list("Areas") } } },
            "/areas/{code}": { "get": { "summary": "One area and its children", "parameters": [path_param("code", "Area code", "AT13")],
                "responses": { "200": text("Area"), "404": not_found } } },
            "/areas/{code}/peers": { "get": { "summary": "The k areas of the same level most like this one on standardised structural characteristics, with distances and what drives them",
                "parameters": [path_param("code", "Area code", "AT13"),
                               query("vars", "Characteristics joined by ~: foreign_born, non_eu_born, non_eu_of_foreign_born, unemployment, population, degurba or INDICATOR:BREAKDOWN:GROUP (default foreign_born~non_eu_of_foreign_born~unemployment, with population and degurba where every area of the level has them)"),
                               query("k", "How many peers (1-100, default 5)")],
                "responses": { "200": text("Peers"), "400": not_found, "404": not_found } } },
            "/groups": { "get": { "summary": "Breakdowns and groups with figures", "responses": { "200": list("Breakdown and group codes") } } },
            "/time": { "get": { "summary": "Periods with figures", "responses": { "200": list("Periods") } } },
            "/data": { "get": { "summary": "Figures with SE, interval, n, flag, confidentiality status, method and definition",
                "parameters": [query("indicator", "Indicator id"), query("geo", "Area codes, joined by ~"), query("geo_level", "Area level"),
                               query("time", "Period"), query("breakdown", "Breakdown"), query("group", "Group codes, joined by ~"),
                               query("measure", "value, gap_diff or gap_ratio"), query("format", "json (default), csv, jsonstat or sdmx")],
                "responses": { "200": { "description": "Figures", "content": {
                    "application/json": { "schema": { "$ref": "#/components/schemas/Data" } },
                    "text/csv": { "schema": { "type": "string" } } } }, "400": not_found } } },
            "/runs": { "get": { "summary": "Runs with provenance and data sets", "responses": { "200": list("Runs") } } },
            "/segregation": { "get": { "summary": "Data sets with segregation results", "responses": { "200": list("Data set names") } } },
            "/segregation/{dataset}": { "get": { "summary": "Segregation indices by scale",
                "parameters": [path_param("dataset", "Data set", "munich_census_2011")],
                "responses": { "200": list("Indices"), "404": not_found } } },
            "/initiatives": { "get": { "summary": "Catalogue of initiatives, networks, instruments and data sources: full-text search with filters",
                "parameters": [query("q", "Words to find (every word, as a prefix)"), query("place", "Area codes (or EU), joined by ~"),
                               query("topic", "Topic (employment, education, housing, health, participation, ...)"),
                               query("indicator", "Related indicator id")],
                "responses": { "200": list("Catalogue entries, best match first") } },
                "post": { "summary": "Hub mode: adds a catalogue entry of the token's city (or an area inside it)", "security": [{ "token": [] }],
                    "requestBody": entry_body.clone(),
                    "responses": { "201": text("Created"), "400": refused("Not JSON"), "401": refused("No valid token"),
                                   "403": refused("Not the city's entry"), "409": refused("The id is taken"),
                                   "413": refused("Body too large"), "415": refused("Not application/json"), "422": refused("Not a valid entry") } } },
            "/initiatives/{id}": { "get": { "summary": "One catalogue entry", "parameters": [path_param("id", "Entry id", "start-wien")],
                "responses": { "200": text("Entry"), "404": not_found } },
                "put": { "summary": "Hub mode: replaces (or adds) a catalogue entry of the token's city", "security": [{ "token": [] }],
                    "parameters": [path_param("id", "Entry id", "start-wien")], "requestBody": entry_body,
                    "responses": { "200": text("Replaced"), "201": text("Created"), "400": refused("Not JSON"), "401": refused("No valid token"),
                                   "403": refused("Not the city's entry"), "413": refused("Body too large"),
                                   "415": refused("Not application/json"), "422": refused("Not a valid entry, or another id") } },
                "delete": { "summary": "Hub mode: removes a catalogue entry of the token's city", "security": [{ "token": [] }],
                    "parameters": [path_param("id", "Entry id", "start-wien")],
                    "responses": { "200": text("Deleted"), "401": refused("No valid token"), "403": refused("Not the city's entry"), "404": not_found } } },
            "/bundles": { "post": { "summary": "Hub mode: uploads a bundle (docs/bundle.md) of the token's city as an uncompressed tar archive; imported whole or not at all",
                "security": [{ "token": [] }],
                "requestBody": { "required": true, "content": { "application/x-tar": { "schema": { "type": "string", "format": "binary" } } } },
                "responses": { "201": text("Imported"), "200": text("Already imported; nothing changed"), "401": refused("No valid token"),
                               "403": refused("Another city's bundle"), "409": refused("Older than the figures held, or a name held by another publisher"),
                               "413": refused("Body too large"), "415": refused("Not application/x-tar"), "422": refused("Damaged or tampered bundle") } } },
            "/bundles/{code}": { "delete": { "summary": "Hub mode: removes the figures (and their history) the token's city uploaded",
                "security": [{ "token": [] }], "parameters": [path_param("code", "The city's publisher code", "AT130")],
                "responses": { "200": text("Deleted"), "401": refused("No valid token"), "403": refused("Another city's figures"), "404": not_found } } },
        },
        "components": {
          "securitySchemes": { "token": { "type": "http", "scheme": "bearer",
              "description": "Hub mode only: a city's API token (`urbis token create --city CODE`)" } },
          "schemas": {
            "Error": { "type": "object", "properties": { "error": { "type": "string" }, "status": { "type": "integer" } } },
            "Initiative": { "type": "object", "required": ["id", "kind", "title", "place", "topics", "description", "links"],
                "description": "A catalogue entry (docs/catalogue.md)",
                "properties": { "id": { "type": "string" }, "kind": { "type": "string" }, "title": { "type": "string" }, "place": { "type": "string" },
                    "topics": { "type": "array", "items": { "type": "string" } }, "target_group": { "type": "string" }, "period": { "type": "string" },
                    "description": { "type": "string" }, "links": { "type": "array", "items": { "type": "string" } },
                    "indicators": { "type": "array", "items": { "type": "string" } }, "organisation": { "type": "string" } } },
            "Data": { "type": "object", "properties": { "count": { "type": "integer" }, "values": { "type": "array", "items": { "$ref": "#/components/schemas/Figure" } } } },
            "Figure": { "type": "object", "properties": {
                "indicator": { "type": "string" }, "geo": { "type": "string" }, "geo_level": { "type": "string" }, "time": { "type": "string" },
                "breakdown": { "type": "string" }, "group": { "type": "string" }, "measure": { "type": "string" }, "unit": { "type": "string" },
                "estimate": { "type": ["number", "null"] }, "se": { "type": ["number", "null"] }, "ci_low": { "type": ["number", "null"] },
                "ci_high": { "type": ["number", "null"] }, "n": { "type": ["integer", "null"] }, "flag": { "type": "string" },
                "conf_status": { "type": "string" }, "method": { "type": "string" }, "definition": { "type": "string" },
                "significant": { "type": ["boolean", "null"] } } }
        } }
    })
}

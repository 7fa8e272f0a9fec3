//! Hub mode (`urbis serve --hub`, docs/hub.md): cities upload their
//! bundles and edit their catalogue entries over HTTP with a per-city API
//! token; reading stays public.
//!
//! - `POST /api/v1/bundles` (a bundle as an uncompressed tar,
//!   `application/x-tar`): checked like `urbis import`, then imported in one
//!   transaction if its publisher code is the token's city;
//! - `DELETE /api/v1/bundles/{code}`: the city's own figures, with history;
//! - `POST /api/v1/initiatives`, `PUT` and `DELETE /api/v1/initiatives/{id}`
//!   (JSON): catalogue entries of the city or of areas inside it.
//!
//! Every write goes through the one writer connection and is followed by
//! [`AppState::invalidate`]. Refusals are JSON errors without internal
//! text, and every refused request is logged (method, path, status,
//! reason; never the token or the body).

use std::path::Path;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use urbis_store::bundle::{self, ImportOutcome};
use urbis_store::catalogue::{Change, Changed, Initiative};
use urbis_store::{Store, StoreError};

use crate::app::{blocking, AppError, Shared};

/// The media type of an uploaded bundle.
pub const TAR: &str = "application/x-tar";
/// The default limit of a request's body: 64 MiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024 * 1024;

/// The settings of a hub.
#[derive(Debug, Clone, Copy)]
pub struct HubOptions {
    /// Bodies larger than this are refused (413).
    pub max_body: usize,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions { max_body: DEFAULT_MAX_BODY }
    }
}

/// The writer of a hub and its limits.
pub struct Hub {
    writer: Mutex<Store>,
    pub options: HubOptions,
}

impl Hub {
    /// Opens the writer connection (applying the store's migrations).
    /// Refused when the file is missing or the store has no active token.
    pub fn open(db: &Path, options: HubOptions) -> urbis_store::Result<Hub> {
        let path = db.display().to_string();
        if !db.is_file() {
            return Err(StoreError::NotAStore { path });
        }
        let writer = Store::open(db)?;
        if writer.active_tokens()? == 0 {
            return Err(StoreError::Invalid {
                path,
                message: format!(
                    "hub mode needs at least one active API token; create one with `urbis token create --city CODE --db {}`",
                    db.display()
                ),
            });
        }
        Ok(Hub { writer: Mutex::new(writer), options })
    }
}

/// Why a request was refused, carried on the response for the log.
#[derive(Debug, Clone)]
pub struct Reason(pub String);

/// In hub mode, logs every refused request other than a read: method,
/// path, status and reason (never the token or the body).
pub async fn log_refusals(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let response = next.run(request).await;
    let status = response.status();
    let writes = !matches!(method, axum::http::Method::GET | axum::http::Method::HEAD);
    if state.hub.is_some() && writes && (status.is_client_error() || status.is_server_error()) {
        let reason = response.extensions().get::<Reason>().map(|r| r.0.as_str()).unwrap_or("");
        eprintln!("urbis serve: refused {method} {path}: {} {reason}", status.as_u16());
    }
    response
}

fn refuse(status: StatusCode, message: impl Into<String>) -> AppError {
    AppError::new(status, message).json()
}

/// The city of the request's bearer token, or 401.
async fn city(state: &Shared, headers: &HeaderMap) -> Result<String, AppError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    let Some(token) = presented else {
        return Err(refuse(StatusCode::UNAUTHORIZED, "an API token is needed: Authorization: Bearer TOKEN"));
    };
    let found = if token.len() > 128 {
        None
    } else {
        blocking(state, move |_, store| Ok(store.authenticate(&token)?)).await.map_err(AppError::json)?
    };
    found
        .map(|t| t.city)
        .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "the API token is not valid (unknown or revoked)"))
}

/// The request's body, if its media type is one of `kinds` and it is not
/// larger than the hub's limit.
async fn body(state: &Shared, headers: &HeaderMap, body: Body, kinds: &[&str]) -> Result<Bytes, AppError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !kinds.contains(&media.as_str()) {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("the body must be sent as {} (Content-Type)", kinds.join(" or ")),
        ));
    }
    let limit = state.hub.as_ref().map_or(0, |h| h.options.max_body);
    let too_large = || refuse(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {limit} bytes"));
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner().is::<http_body_util::LengthLimitError>() {
            too_large()
        } else {
            refuse(StatusCode::BAD_REQUEST, "the body could not be read")
        }
    })
}

/// The city of the request's token, then the request's body (read only
/// once the token is accepted).
async fn authorised(state: &Shared, request: Request, kinds: &[&str]) -> Result<(String, Bytes), AppError> {
    let (parts, raw) = request.into_parts();
    let city = city(state, &parts.headers).await?;
    let bytes = body(state, &parts.headers, raw, kinds).await?;
    Ok((city, bytes))
}

/// Runs `work` with the writer on the blocking thread pool; after it
/// succeeds, the cached answers are forgotten.
async fn write<T: Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&mut Store) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let hub = state.hub.as_ref().ok_or_else(|| AppError::internal("a hub route without a hub"))?;
        let out = {
            let mut writer = hub.writer.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut writer)?
        };
        state.invalidate();
        Ok(out)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::json)
}

/// A store error as an answer: what a city may not do (403), a bundle in
/// conflict with the store (409), an invalid entry (422); anything else is
/// internal.
fn answer(e: StoreError) -> AppError {
    match e {
        StoreError::NotAllowed { message } => refuse(StatusCode::FORBIDDEN, message),
        StoreError::Bundle { message, .. } => refuse(StatusCode::CONFLICT, message),
        StoreError::Invalid { message, .. } => refuse(StatusCode::UNPROCESSABLE_ENTITY, message),
        other => AppError::internal(other).json(),
    }
}

/// `POST /api/v1/bundles`.
pub async fn upload(State(state): State<Shared>, request: Request) -> Result<Response, AppError> {
    let (city, bytes) = authorised(&state, request, &[TAR, "application/octet-stream"]).await?;
    let checked = tokio::task::spawn_blocking(move || bundle::read_archive("upload", &bytes))
        .await
        .map_err(|e| AppError::internal(e).json())?
        .map_err(|e| match e {
            StoreError::Bundle { message, .. } => {
                refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("the bundle is refused: {message}"))
            }
            other => AppError::internal(other).json(),
        })?;
    let (name, figures) = (checked.manifest.publisher.name.clone(), checked.manifest.figures);
    let who = city.clone();
    let outcome =
        write(&state, move |store| store.import_own_bundle(&checked, &urbis_store::now_utc(), &who).map_err(answer))
            .await?;
    Ok(match outcome {
        ImportOutcome::Imported { run_id, replaced } => {
            eprintln!("urbis serve: {city} uploaded '{name}': run {run_id}, {figures} figures");
            let body = json!({ "outcome": "imported", "publisher": name, "code": city, "run": run_id,
                               "replaces": replaced, "figures": figures });
            (StatusCode::CREATED, Json(body)).into_response()
        }
        ImportOutcome::AlreadyImported { run_id } => {
            let body = json!({ "outcome": "already_imported", "publisher": name, "code": city, "run": run_id });
            (StatusCode::OK, Json(body)).into_response()
        }
    })
}

/// `DELETE /api/v1/bundles/{code}`.
pub async fn remove(
    State(state): State<Shared>,
    axum::extract::Path(code): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let city = city(&state, &headers).await?;
    if code != city {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!("the token is of '{city}', which can only delete its own figures, not those of '{code}'"),
        ));
    }
    let target = code.clone();
    let removed = write(&state, move |store| store.delete_publisher(&target).map_err(answer)).await?;
    if removed == 0 {
        return Err(refuse(StatusCode::NOT_FOUND, format!("the hub holds no figures of '{code}'")));
    }
    eprintln!("urbis serve: {city} deleted its figures: {removed} runs");
    Ok(Json(json!({ "deleted_runs": removed, "code": code })).into_response())
}

/// A catalogue entry from a JSON body: 400 when the body is not JSON, 422
/// when it is not an entry.
fn entry(bytes: &[u8]) -> Result<Initiative, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("the body is not valid JSON: {e}")))?;
    serde_json::from_value(value)
        .map_err(|e| refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("the body is not a catalogue entry: {e}")))
}

async fn change(state: &Shared, city: String, change: OwnedChange) -> Result<Response, AppError> {
    let who = city.clone();
    let (changed, id) = write(state, move |store| {
        let change_ref = match &change {
            OwnedChange::Create(e) => Change::Create(e),
            OwnedChange::Replace(e) => Change::Replace(e),
            OwnedChange::Delete(id) => Change::Delete(id),
        };
        let changed = store.change_catalogue_as(change_ref, &who).map_err(answer)?;
        Ok((changed, change.id().to_string()))
    })
    .await?;
    let status = match changed {
        Changed::Exists => {
            return Err(refuse(
                StatusCode::CONFLICT,
                format!("there is an entry '{id}' already; PUT /api/v1/initiatives/{id} replaces it"),
            ))
        }
        Changed::NotFound => return Err(refuse(StatusCode::NOT_FOUND, format!("no catalogue entry '{id}'"))),
        Changed::Created => StatusCode::CREATED,
        Changed::Replaced | Changed::Deleted => StatusCode::OK,
    };
    let done = match changed {
        Changed::Created => "created",
        Changed::Replaced => "replaced",
        _ => "deleted",
    };
    eprintln!("urbis serve: {city} {done} catalogue entry '{id}'");
    Ok((status, Json(json!({ "outcome": done, "id": id }))).into_response())
}

/// A [`Change`] that owns its entry, to move to the writer's thread.
enum OwnedChange {
    Create(Initiative),
    Replace(Initiative),
    Delete(String),
}

impl OwnedChange {
    fn id(&self) -> &str {
        match self {
            OwnedChange::Create(e) | OwnedChange::Replace(e) => &e.id,
            OwnedChange::Delete(id) => id,
        }
    }
}

/// `POST /api/v1/initiatives`.
pub async fn create_initiative(State(state): State<Shared>, request: Request) -> Result<Response, AppError> {
    let (city, bytes) = authorised(&state, request, &["application/json"]).await?;
    change(&state, city, OwnedChange::Create(entry(&bytes)?)).await
}

/// `PUT /api/v1/initiatives/{id}`.
pub async fn replace_initiative(
    State(state): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let (city, bytes) = authorised(&state, request, &["application/json"]).await?;
    let e = entry(&bytes)?;
    if e.id != id {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the entry's id '{}' is not the id of the address ('{id}')", e.id),
        ));
    }
    change(&state, city, OwnedChange::Replace(e)).await
}

/// `DELETE /api/v1/initiatives/{id}`.
pub async fn delete_initiative(
    State(state): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let city = city(&state, &headers).await?;
    change(&state, city, OwnedChange::Delete(id)).await
}

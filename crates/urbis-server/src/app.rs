//! The router, the state shared by handlers, errors and security headers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use urbis_store::Store;

use crate::geo::Boundaries;
use crate::pool::Pool;

/// What every handler shares: the store, the built-in boundaries, a cache
/// of finished responses and drawings, and in hub mode the writer. The
/// store changes only through the hub's writer, which calls
/// [`AppState::invalidate`] after each change; until then a response for a
/// URL never changes.
pub struct AppState {
    pub pool: Pool,
    pub boundaries: Boundaries,
    /// The hub's writer and limits; `None` when the server is read-only.
    pub hub: Option<crate::hub::Hub>,
    /// Bumped by every change of the store; cached answers of an earlier
    /// generation are not served.
    generation: AtomicU64,
    cache: Mutex<HashMap<String, Cached>>,
    drawings: Mutex<HashMap<String, Drawing>>,
}

/// A drawing and the store generation it was made for.
type Drawing = (u64, Option<Arc<String>>);

pub type Shared = Arc<AppState>;

#[derive(Clone)]
struct Cached {
    generation: u64,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    body: axum::body::Bytes,
}

/// Responses kept at most; the cache is emptied when it is full.
const CACHE_ENTRIES: usize = 4096;

impl AppState {
    /// Opens the store read-only.
    pub fn open(db: PathBuf) -> urbis_store::Result<Shared> {
        Self::with_hub(Pool::open(db)?, None)
    }

    /// Opens the store for a hub (docs/hub.md): one writer connection (the
    /// store's migrations are applied) and read-only connections for
    /// everything else. Refused when the store has no active token.
    pub fn open_hub(db: PathBuf, options: crate::hub::HubOptions) -> urbis_store::Result<Shared> {
        let hub = crate::hub::Hub::open(&db, options)?;
        Self::with_hub(Pool::open(db)?, Some(hub))
    }

    fn with_hub(pool: Pool, hub: Option<crate::hub::Hub>) -> urbis_store::Result<Shared> {
        Ok(Arc::new(AppState {
            pool,
            boundaries: Boundaries::default(),
            hub,
            generation: AtomicU64::new(0),
            cache: Mutex::default(),
            drawings: Mutex::default(),
        }))
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Forgets every cached answer and drawing: called after the store
    /// changed. Answers being made meanwhile are not cached.
    pub fn invalidate(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        cache.clear();
        drop(cache);
        self.drawings.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// A drawing (map) made once per key and store generation: `draw` runs
    /// on the first request only; `None` (nothing to draw) is remembered too.
    pub fn svg(&self, key: &str, draw: impl FnOnce() -> Option<String>) -> Option<Arc<String>> {
        let generation = self.generation();
        if let Some((made, done)) = self.drawings.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            if *made == generation {
                return done.clone();
            }
        }
        let drawn = draw().map(Arc::new);
        self.drawings.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), (generation, drawn.clone()));
        drawn
    }
}

/// A refused or failed request. The message is shown to the user; internal
/// errors are logged with their detail and answered without it.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
    pub json: bool,
}

impl AppError {
    pub fn not_found(message: impl Into<String>) -> Self {
        AppError { status: StatusCode::NOT_FOUND, message: message.into(), json: false }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError { status: StatusCode::BAD_REQUEST, message: message.into(), json: false }
    }

    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        AppError { status, message: message.into(), json: false }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        eprintln!("urbis serve: internal error: {detail}");
        AppError { status: StatusCode::INTERNAL_SERVER_ERROR, message: "internal error".into(), json: false }
    }

    /// The same error, answered as JSON (for the API).
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }
}

impl From<urbis_store::StoreError> for AppError {
    fn from(e: urbis_store::StoreError) -> Self {
        AppError::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({ "error": self.message, "status": self.status.as_u16() });
            let mut response = (self.status, axum::Json(body)).into_response();
            if self.status == StatusCode::UNAUTHORIZED {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"urbis hub\""));
            }
            // The reason, for the log of refused requests (crate::hub).
            response.extensions_mut().insert(crate::hub::Reason(self.message));
            return response;
        }
        let page = crate::pages::layout::page(
            &format!("{} — urbis", self.status.canonical_reason().unwrap_or("Error")),
            crate::pages::layout::Nav::None,
            maud::html! {
                h1 { (self.status.canonical_reason().unwrap_or("Error")) }
                p { (self.message) }
                p { a href="/" { "Back to the overview" } }
            },
        );
        (self.status, page).into_response()
    }
}

/// Runs `work` with a store connection on the blocking thread pool.
pub async fn blocking<T: Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&AppState, &Store) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || state.pool.with(|store| work(&state, store))?)
        .await
        .map_err(AppError::internal)?
}

/// Every page and API route.
pub fn router(state: Shared) -> Router {
    use crate::{api, pages};
    Router::new()
        .route("/", get(pages::overview::handler))
        .route("/indicators", get(pages::indicator::list))
        .route("/indicator/{id}", get(pages::indicator::handler))
        .route("/areas", get(pages::area::list))
        .route("/area/{code}", get(pages::area::handler))
        .route("/compare", get(pages::compare::handler))
        .route("/segregation", get(pages::segregation::handler))
        .route("/about", get(pages::about::handler))
        .route("/initiatives", get(pages::initiatives::list))
        .route("/initiative/{id}", get(pages::initiatives::handler))
        .route("/static/urbis.css", get(stylesheet))
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api/v1", api::router(state.hub.is_some()))
        .fallback(|| async { AppError::not_found("There is no page at this address.") })
        .layer(middleware::from_fn_with_state(state.clone(), crate::hub::log_refusals))
        .layer(middleware::from_fn_with_state(state.clone(), cache))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../assets/urbis.css"))
}

/// Serves answers to GET requests from the cache, and caches successful ones.
async fn cache(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let cacheable = request.method() == axum::http::Method::GET;
    let key = request.uri().to_string();
    let generation = state.generation();
    if cacheable {
        let hit = state.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        if let Some(hit) = hit.filter(|h| h.generation == generation) {
            let mut response = Response::new(Body::from(hit.body));
            response.headers_mut().extend(hit.headers);
            return response;
        }
    }
    let response = next.run(request).await;
    if !cacheable || response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return AppError::internal("response body could not be read").into_response();
    };
    let headers: Vec<_> = parts.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    {
        let mut cache = state.cache.lock().unwrap_or_else(|p| p.into_inner());
        if state.generation() == generation {
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, Cached { generation, headers, body: bytes.clone() });
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers on every answer: a content security policy without inline
/// script (there is no script at all), no MIME sniffing, no framing.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Limits that protect the server from slow or greedy clients.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A client must send a request's headers within this time (slow-loris).
    pub header_read: Duration,
    /// A request must be answered within this time, or it is answered 503.
    pub request: Duration,
    /// Request headers larger than this are refused (431).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { header_read: Duration::from_secs(10), request: Duration::from_secs(30), max_header_bytes: 64 * 1024 }
    }
}

/// Serves the store at `addr` until Ctrl-C.
pub async fn serve(addr: SocketAddr, state: Shared) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let mode = if state.hub.is_some() { ", hub mode: cities may upload with their API tokens" } else { "" };
    eprintln!("urbis serve: http://{} (store {}{mode})", listener.local_addr()?, state.pool.path().display());
    serve_on(listener, state, Limits::default(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serves on a bound listener until `shutdown` completes: HTTP/1.1 with
/// keep-alive, a deadline for reading each request's headers, a size limit
/// on them, and a deadline for answering.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: Shared,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let app = router(state).layer(middleware::from_fn(move |request: Request, next: Next| async move {
        match tokio::time::timeout(limits.request, next.run(request)).await {
            Ok(response) => response,
            Err(_) => {
                eprintln!("urbis serve: a request took longer than {:?} and was answered 503", limits.request);
                (StatusCode::SERVICE_UNAVAILABLE, "the server is busy; try again").into_response()
            }
        }
    }));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("urbis serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .max_buf_size(limits.max_header_bytes.max(8192))
                .keep_alive(true);
            if let Err(e) = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await {
                eprintln!("urbis serve: connection from {peer} refused or broken: {e}");
            }
        });
    }
}

//! The urbis dashboard and API over an urbis store (`urbis serve`).
//!
//! Pages are HTML rendered on the server (maud) with charts and maps drawn
//! as SVG by urbis itself; there is no JavaScript at all. Every view reads
//! its state from the URL (so every view is a permalink) and can be
//! downloaded in the formats of the indicator table (CSV, JSON-stat,
//! SDMX-CSV) and as SVG. The JSON API under `/api/v1` serves the same data,
//! described by the OpenAPI document at `/api/v1/openapi.json`.
//!
//! - [`app`]: the router, shared state, errors and security headers;
//! - [`pool`]: read-only store connections shared by the request handlers;
//! - [`hub`]: hub mode: uploads, deletions and catalogue edits with per-city
//!   API tokens, through one writer connection;
//! - [`view`]: query parameters of a view and the downloads every view offers;
//! - [`chart`]: SVG dot and time charts with intervals and flags;
//! - [`geo`]: map shapes for areas (NUTS 2024 built in) and grid cells;
//! - [`labels`]: names, colours and marker shapes of groups and levels;
//! - [`pages`]: the HTML pages; [`api`]: the JSON API and its OpenAPI document.

pub mod api;
pub mod app;
pub mod chart;
pub mod geo;
pub mod hub;
pub mod labels;
pub mod pages;
pub mod pool;
pub mod view;

pub use app::{router, serve, serve_on, AppState, Limits};
pub use hub::HubOptions;

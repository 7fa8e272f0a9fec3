//! Data and methods: every run with its provenance, the data sets read, the
//! concept definitions and the publication rules' review.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use urbis_store::Store;

use super::layout::{page, Nav};
use crate::app::{blocking, AppError, Shared};

pub async fn handler(State(state): State<Shared>) -> Result<Response, AppError> {
    blocking(&state, |_, store| about(store)).await
}

fn about(store: &Store) -> Result<Response, AppError> {
    let runs = store.runs()?;
    let body = html! {
        h1 { "Data and methods" }
        p.lead { "Every figure is a design-based estimate with its standard error, confidence interval, unweighted number of respondents, flag and method. Figures from too few respondents are not published; confidential cells are suppressed and shown as [c], never as 0." }
        h2 { "Flags and statuses" }
        dl.defs {
            dt { "[u] — low reliability" } dd { "Published, but based on few respondents or with a wide interval (Eurostat flag u)." }
            dt { "[c] — suppressed" } dd { "Not published: confidential (CONF_STATUS C) or too few observations (N)." }
            dt { "Significant" } dd { "For gaps to natives: whether the confidence interval of the difference excludes zero." }
        }
        h2 { "Runs" }
        @for run in &runs {
            @let metadata: serde_json::Value = store.run_metadata(run.id)?.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default();
            @let review: serde_json::Value = store.run_review(run.id)?.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default();
            h3 { (run.project) @if !run.current { " (superseded)" } }
            p.muted { "Run " (run.id) ", " (run.created_at) ", " (run.software) ", " (run.figures) " figures" }
            @if let Some(p) = &run.provenance {
                p { "Imported from an exchange bundle of " strong { (run.project) }
                    @if let Some(code) = &p.publisher_code { " (" (code) ")" }
                    ": their run " (p.source_run_id) " of " (p.source_created_at) ", bundle made " (p.bundle_created_at)
                    ", imported " (p.imported_at) "; table SHA-256 " code { (p.table_sha256.get(..16).unwrap_or(&p.table_sha256)) "…" } "." }
            }
            ul { @for d in &run.datasets { li { (d.name) " — " (d.file) ", " (d.rows) " records, " (d.years.join(", ")) "; design: " (d.design) } } }
            @if let Some(defs) = metadata["definitions"].as_object() {
                details { summary { "Concept definitions (" (defs.len()) ")" }
                    dl.defs { @for (id, text) in defs { dt { code { (id) } } dd { (text.as_str().unwrap_or("")) } } } }
            }
            @if let Some(summary) = review["counts"].as_object() {
                details { summary { "Publication review" }
                    ul { @for (k, v) in summary { li { (k.replace('_', " ")) ": " (v) } } } }
            }
        }
    };
    Ok(page("Data and methods — urbis", Nav::About, body).into_response())
}

//! Residential segregation: the indices of a data set by scale, and the grid
//! map of a group's share.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use urbis_store::{SegregationValue, Store};

use super::layout::{downloads, page, select, Nav};
use crate::app::{blocking, AppError, Shared};
use crate::view::{attachment, svg_download, Format, Params};

pub async fn handler(
    State(state): State<Shared>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let params = Params(pairs);
    blocking(&state, move |app, store| segregation(app, store, &params)).await
}

/// Cell ids of the stored grid start with their resolution (`CRS3035RES1000m…`).
fn scale_options(values: &[SegregationValue]) -> Vec<String> {
    let mut scales: Vec<String> = Vec::new();
    for v in values {
        if !scales.contains(&v.scale) {
            scales.push(v.scale.clone());
        }
    }
    scales
}

fn segregation(app: &crate::AppState, store: &Store, params: &Params) -> Result<Response, AppError> {
    let format = params.format()?;
    let datasets = store.segregation_datasets()?;
    let Some(first) = datasets.first() else {
        let body = html! { h1 { "Segregation" } p { "This store has no segregation results. Add some with " code { "urbis segregation FILE … --store DB" } "." } };
        return Ok(page("Segregation — urbis", Nav::Segregation, body).into_response());
    };
    let dataset = params.get("dataset").unwrap_or(first).to_string();
    if !datasets.contains(&dataset) {
        return Err(AppError::not_found(format!("There are no segregation results for '{dataset}'.")));
    }
    let values = store.segregation(&dataset)?;
    // Groups in the order the run listed them.
    let mut groups: Vec<String> = Vec::new();
    for v in values.iter().filter(|v| !v.group.is_empty()) {
        if !groups.contains(&v.group) {
            groups.push(v.group.clone());
        }
    }
    let group = params.get("group").map(str::to_string).or_else(|| groups.first().cloned()).unwrap_or_default();
    let scales = scale_options(&values);
    let scale = params.get("scale").map(str::to_string).or_else(|| scales.first().cloned()).unwrap_or_default();
    let scale_m: Option<u32> = scale.parse().ok();
    let source = store.segregation_source(&dataset)?.unwrap_or_default();
    let map_title = format!("Share of {group} in each cell, {scale} m grid");
    let key = format!("grid|{dataset}|{group}|{scale}");
    let cells = store.grid(&dataset, &group)?;
    let map = app.svg(&key, || {
        (!cells.is_empty()).then(|| crate::geo::grid_map(&cells, scale_m, map_title.clone()).ok()).flatten()
    });
    let file = format!("segregation_{dataset}");
    match format {
        Format::Html => {}
        Format::Svg => {
            let svg = map.ok_or_else(|| AppError::not_found("There are no grid cells to draw for this choice."))?;
            return Ok(svg_download(svg.to_string(), &format!("{file}_{group}_{scale}")));
        }
        Format::Csv => {
            let mut out = String::new();
            out.push_str("dataset,scale,index,group,value,se,ci_low,ci_high,units\n");
            for v in &values {
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{}\n",
                    v.dataset,
                    v.scale,
                    v.index,
                    v.group,
                    num(v.value),
                    num(v.se),
                    num(v.ci_low),
                    num(v.ci_high),
                    v.units
                ));
            }
            return Ok(attachment(out.into_bytes(), "text/csv; charset=utf-8", &format!("{file}.csv")));
        }
        Format::Json => {
            let bytes = serde_json::to_vec_pretty(&values).map_err(AppError::internal)?;
            return Ok(attachment(bytes, "application/json", &format!("{file}.json")));
        }
        other => {
            return Err(AppError::bad_request(format!(
                "segregation results download as csv, json or svg, not {}",
                other.code()
            )))
        }
    }
    let indices: Vec<(String, String)> =
        values.iter().map(|v| (v.index.clone(), v.group.clone())).fold(Vec::new(), |mut acc, k| {
            if !acc.contains(&k) {
                acc.push(k);
            }
            acc
        });
    let has_ci = values.iter().any(|v| v.ci_low.is_finite());
    let state = vec![("dataset", dataset.clone()), ("group", group.clone()), ("scale", scale.clone())];
    let dataset_options: Vec<(String, String)> = datasets.iter().map(|d| (d.clone(), d.clone())).collect();
    let group_options: Vec<(String, String)> = groups.iter().map(|g| (g.clone(), g.clone())).collect();
    let scale_options: Vec<(String, String)> = scales.iter().map(|s| (s.clone(), format!("{s} m"))).collect();
    let body = html! {
        h1 { "Residential segregation" }
        p.lead { (source) }
        form.filters method="get" action="/segregation" {
            (select("dataset", "Data set", &dataset_options, &dataset))
            (select("group", "Group on the map", &group_options, &group))
            (select("scale", "Map scale", &scale_options, &scale))
            button type="submit" { "Show" }
        }
        @if let Some(svg) = &map { div.figure { (maud::PreEscaped(svg.as_str())) } }
        div.scroll { table {
            caption { "Indices by scale (grid size in metres" @if has_ci { "; 95% bootstrap intervals in brackets" } ")" }
            thead { tr { th scope="col" { "Index" } th scope="col" { "Group" } @for s in &scales { th.num scope="col" { (s) } } } }
            tbody { @for (index, g) in &indices { tr {
                th scope="row" { (index.replace('_', " ")) } td { (if g.is_empty() { "all groups" } else { g.as_str() }) }
                @for s in &scales { td.num {
                    @if let Some(v) = values.iter().find(|v| &v.index == index && &v.group == g && &v.scale == s) {
                        (format!("{:.3}", v.value))
                        @if v.ci_low.is_finite() { " " span.muted { (format!("[{:.3}, {:.3}]", v.ci_low, v.ci_high)) } }
                    }
                } }
            } } }
        } }
        p.muted { "Indices as PySAL segregation defines them; units are grid cells at each scale. Dissimilarity, Gini and Theil's H range from 0 (even) to 1 (complete segregation)." }
        (downloads("/segregation", &state, &[Format::Csv, Format::Json, Format::Svg]))
    };
    Ok(page("Segregation — urbis", Nav::Segregation, body).into_response())
}

fn num(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    }
}

//! Compare areas on one indicator. The whole state is in the URL
//! (`/compare?indicator=arop&geo=AT13~AT34`), so every comparison is a permalink.

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use urbis_core::{IndicatorRow, Measure};
use urbis_store::{ObservationFilter, Store};

use super::indicator::choose;
use super::layout::{downloads, page, select, Nav};
use super::shared::{area_names, figures_table, group_chart, name};
use crate::app::{blocking, AppError, Shared};
use crate::chart::dot_chart;
use crate::labels;
use crate::view::{svg_download, table_download, Format, Params, TABLE_FORMATS};

pub async fn handler(
    State(state): State<Shared>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let params = Params(pairs);
    blocking(&state, move |_, store| compare(store, &params)).await
}

fn compare(store: &Store, params: &Params) -> Result<Response, AppError> {
    let format = params.format()?;
    let indicators = store.indicators()?;
    let Some(first) = indicators.first() else {
        return Err(AppError::not_found("This store has no indicators yet."));
    };
    let id = params.get("indicator").unwrap_or(&first.id).to_string();
    let info = indicators
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| AppError::not_found(format!("There is no indicator '{id}' in this store.")))?;
    let all = store.observations(&ObservationFilter { indicator: Some(id.clone()), ..Default::default() })?;
    let choice = choose(&all, &Params(params.0.iter().filter(|(k, _)| k != "level").cloned().collect()))?;
    let names = area_names(store)?;
    let available: BTreeSet<&str> = all.iter().map(|r| r.geo.as_str()).collect();
    let geo = params.list("geo");
    if let Some(unknown) = geo.iter().find(|g| !available.contains(g.as_str())) {
        return Err(AppError::bad_request(format!("there are no figures of '{id}' for area '{unknown}'")));
    }
    let rows: Vec<&IndicatorRow> = all
        .iter()
        .filter(|r| geo.contains(&r.geo) && r.breakdown == choice.breakdown && r.time == choice.time)
        .collect();
    let mut values: Vec<&IndicatorRow> = rows.iter().copied().filter(|r| r.measure == Measure::Value).collect();
    values.sort_by_key(|r| geo.iter().position(|g| *g == r.geo));
    let title = format!(
        "{}: {} ({})",
        info.label,
        geo.iter().map(|g| name(&names, g)).collect::<Vec<_>>().join(", "),
        choice.time
    );
    let chart = group_chart(
        &values,
        |r| name(&names, &r.geo).to_string(),
        title.clone(),
        format!("{} ({})", info.label, labels::unit(&info.unit)),
    );
    let file = format!("compare_{id}_{}", geo.join("_"));
    match format {
        Format::Html => {}
        _ if geo.is_empty() => return Err(AppError::bad_request("choose areas to compare with geo=CODE~CODE")),
        Format::Svg => return Ok(svg_download(dot_chart(&chart), &file)),
        other => return table_download(&rows.iter().map(|r| (*r).clone()).collect::<Vec<_>>(), other, &file, &title),
    }
    // Figures under another concept definition (flag d) or by another method than the reference's.
    let differ: Vec<(&IndicatorRow, String)> = if store.has_current_imports()? {
        let reference = store.comparability()?;
        rows.iter()
            .filter_map(|r| {
                let c = reference.get(&(r.indicator.clone(), r.breakdown.clone()))?;
                let mut what = Vec::new();
                if r.flag.contains('d') {
                    what.push(format!(
                        "definition {} (reference: {})",
                        r.definition,
                        c.definitions.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
                if !c.methods.contains(&r.method) {
                    what.push(format!(
                        "method {} (reference: {})",
                        r.method,
                        c.methods.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
                (!what.is_empty()).then(|| (*r, what.join("; ")))
            })
            .collect()
    } else {
        Vec::new()
    };
    let indicator_options: Vec<(String, String)> = indicators.iter().map(|i| (i.id.clone(), i.label.clone())).collect();
    let breakdown_options: Vec<(String, String)> =
        choice.breakdowns.iter().map(|b| (b.clone(), labels::breakdown(b))).collect();
    let time_options: Vec<(String, String)> = choice.times.iter().map(|t| (t.clone(), t.clone())).collect();
    let mut areas: Vec<(&str, &str)> =
        all.iter().map(|r| (r.geo_level.as_str(), r.geo.as_str())).collect::<BTreeSet<_>>().into_iter().collect();
    areas.sort();
    let state = vec![
        ("indicator", id.clone()),
        ("geo", geo.join("~")),
        ("breakdown", choice.breakdown.clone()),
        ("time", choice.time.clone()),
    ];
    let body = html! {
        h1 { "Compare areas" }
        p.lead { "Choose an indicator and areas; the address of this page keeps your choice, so you can share it." }
        form.filters method="get" action="/compare" {
            (select("indicator", "Indicator", &indicator_options, &id))
            label { "Areas (several with Ctrl or Shift)"
                select name="geo" multiple {
                    @for (level, code) in &areas {
                        @if geo.iter().any(|g| g == code) { option value=(code) selected { (name(&names, code)) " — " (level) } }
                        @else { option value=(code) { (name(&names, code)) " — " (level) } }
                    }
                }
            }
            (select("breakdown", "Groups by", &breakdown_options, &choice.breakdown))
            (select("time", "Period", &time_options, &choice.time))
            button type="submit" { "Compare" }
        }
        @if geo.is_empty() {
            p { "No areas chosen yet." }
        } @else {
            div.figure { (maud::PreEscaped(dot_chart(&chart))) }
            (figures_table(&title, &rows, &names, |_, text| html! { (text) }))
            @if !differ.is_empty() {
                div.note role="note" {
                    p { "These figures were computed differently from the reference (this store's own figures, see " a href="/about" { "data and methods" } "):" }
                    ul { @for (r, what) in &differ { li { (name(&names, &r.geo)) ", " (labels::group(&r.group)) ": " (what) } } }
                }
            }
            (downloads("/compare", &state, &TABLE_FORMATS))
        }
    };
    Ok(page("Compare — urbis", Nav::Compare, body).into_response())
}

//! The overview: what the store holds, a map of a headline indicator and
//! the latest figures.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use urbis_core::{IndicatorRow, Measure};
use urbis_store::{ObservationFilter, Store};

use super::layout::{page, Nav};
use super::shared::{area_names, ci_text, name, value_cell};
use crate::app::{blocking, AppError, Shared};
use crate::labels;
use crate::view::href;

pub async fn handler(State(state): State<Shared>) -> Result<Response, AppError> {
    blocking(&state, overview).await
}

/// The headline: the first indicator with a map-able level, with the rows of
/// the foreign-born group at that level and period.
fn headline(app: &crate::AppState, store: &Store) -> Result<Option<(String, String, Vec<IndicatorRow>)>, AppError> {
    let levels = store.levels()?;
    for info in store.indicators()? {
        let rows = store.observations(&ObservationFilter {
            indicator: Some(info.id.clone()),
            measure: Some("value".into()),
            ..Default::default()
        })?;
        let latest = rows.iter().map(|r| r.time.clone()).max().unwrap_or_default();
        for level in &levels {
            let kept: Vec<IndicatorRow> = rows
                .iter()
                .filter(|r| &r.geo_level == level && r.time == latest && r.group == "FOR")
                .filter(|r| r.breakdown == "c_birth" || !rows.iter().any(|x| x.breakdown == "c_birth"))
                .cloned()
                .collect();
            let nuts = crate::geo::nuts_level(kept.iter().map(|r| r.geo.as_str()));
            if kept.len() > 1
                && nuts.is_some_and(|l| app.boundaries.nuts(l).iter().any(|a| kept.iter().any(|r| r.geo == a.code)))
            {
                return Ok(Some((info.id.clone(), info.label.clone(), kept)));
            }
        }
    }
    Ok(None)
}

fn overview(app: &crate::AppState, store: &Store) -> Result<Response, AppError> {
    let summary = store.summary()?;
    let names = area_names(store)?;
    let headline = headline(app, store)?;
    let map = headline.as_ref().and_then(|(id, label, rows)| {
        let refs: Vec<&IndicatorRow> = rows.iter().collect();
        let level = rows.first().map(|r| r.geo_level.clone()).unwrap_or_default();
        let time = rows.first().map(|r| r.time.clone()).unwrap_or_default();
        let unit = rows.first().map(|r| labels::unit(&r.unit).to_string()).unwrap_or_default();
        app.svg(&format!("overview|{id}|{level}|{time}"), || {
            crate::geo::area_map(&app.boundaries, &refs, format!("{label}, foreign-born, by {level}, {time}"), unit)
        })
        .map(|svg| (id.clone(), svg))
    });
    // Latest figures: natives, foreign-born and the gap, at the coarsest level.
    let coarsest = store.levels()?.into_iter().rfind(|l| l != "degurba");
    let latest = match &coarsest {
        Some(level) => store.observations(&ObservationFilter {
            geo_level: Some(level.clone()),
            breakdown: Some("c_birth".into()),
            group: vec!["NAT".into(), "FOR".into()],
            ..Default::default()
        })?,
        None => Vec::new(),
    };
    let latest = if latest.is_empty() {
        match &coarsest {
            Some(level) => store.observations(&ObservationFilter {
                geo_level: Some(level.clone()),
                group: vec!["NAT".into(), "FOR".into(), "NEU27_2020_FOR".into()],
                ..Default::default()
            })?,
            None => Vec::new(),
        }
    } else {
        latest
    };
    let indicators = store.indicators()?;
    let find = |ind: &str, geo: &str, group: &str, measure: Measure| {
        latest.iter().find(|r| r.indicator == ind && r.geo == geo && r.group == group && r.measure == measure)
    };
    let mut keys: Vec<(&str, &str, &str)> = latest
        .iter()
        .filter(|r| r.group != "NAT")
        .map(|r| (r.indicator.as_str(), r.geo.as_str(), r.group.as_str()))
        .collect();
    keys.dedup();
    let body = html! {
        h1 { "Migrant integration in figures" }
        p.lead { "How migrants are doing compared with natives — employment, education, income and poverty, housing, health and citizenship — for every area level, with confidence intervals, reliability flags and disclosure control." }
        div.cards {
            div.card { strong { (summary.figures) } "published figures" }
            div.card { strong { (summary.indicators) } "indicators" }
            div.card { strong { (summary.areas) } "areas" }
            div.card { strong { (summary.runs.iter().filter(|r| r.current).count()) } "projects" }
            div.card { strong { (summary.segregation_datasets.len()) } "segregation data sets" }
        }
        @if let Some((id, svg)) = &map {
            h2 { "Headline map" }
            div.figure { (maud::PreEscaped(svg.as_str())) }
            p { a href={"/indicator/" (id) "?tab=map"} { "More on this indicator" } }
        }
        h2 { "What is inside" }
        ul { @for run in summary.runs.iter().filter(|r| r.current) {
            li { strong { (run.project) } " — " (run.figures) " figures from "
                (run.datasets.iter().map(|d| format!("{} ({} records, {})", d.name, d.rows, d.years.join(", "))).collect::<Vec<_>>().join("; "))
                ", computed " (run.created_at) }
        } }
        @if !summary.segregation_datasets.is_empty() {
            p { "Segregation indices: " @for d in &summary.segregation_datasets { a href=(href("/segregation", &[("dataset", d.clone())])) { (d) } " " } }
        }
        @if !keys.is_empty() {
            h2 { "Latest figures: natives and migrants" }
            div.scroll { table {
                caption { "At the " (coarsest.clone().unwrap_or_default()) " level; [u] low reliability, [c] suppressed" }
                thead { tr { th scope="col" { "Indicator" } th scope="col" { "Area" } th scope="col" { "Group" } th.num scope="col" { "Natives" } th.num scope="col" { "Group's value" } th.num scope="col" { "95% CI" } th.num scope="col" { "Gap" } th scope="col" { "Significant" } } }
                tbody { @for (ind, geo, group) in &keys {
                    @if let Some(value) = find(ind, geo, group, Measure::Value) {
                        @let gap = find(ind, geo, group, Measure::GapDifference).or_else(|| find(ind, geo, group, Measure::GapRatio));
                        tr {
                            th scope="row" { a href={"/indicator/" (ind)} { (indicators.iter().find(|i| i.id == *ind).map_or(*ind, |i| i.label.as_str())) } }
                            td { a href={"/area/" (geo)} { (name(&names, geo)) } }
                            td { (labels::group(group)) }
                            td.num { @if let Some(n) = find(ind, geo, "NAT", Measure::Value) { (value_cell(n)) } }
                            td.num { (value_cell(value)) }
                            td.num { (ci_text(value)) }
                            td.num { @if let Some(g) = gap { (value_cell(g)) } }
                            td { @if let Some(g) = gap { @match g.significant { Some(true) => span.sig { "yes" }, Some(false) => "no", None => "" } } }
                        }
                    }
                } }
            } }
        }
    };
    Ok(page("urbis — migrant integration in figures", Nav::Overview, body).into_response())
}

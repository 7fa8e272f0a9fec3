//! Areas: the list by level, and one area's profile — every indicator, each
//! group's value and gap to natives with its interval and significance, next
//! to the parent area's figures.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use urbis_core::{IndicatorRow, Measure};
use urbis_store::catalogue::Search;
use urbis_store::peers::Peers;
use urbis_store::{AreaInfo, ObservationFilter, Store};

use super::initiatives::related;
use super::layout::{downloads, page, select, Nav};
use super::shared::{area_names, ci_text, group_chart, group_rank, name, value_cell};
use crate::app::{blocking, AppError, Shared};
use crate::chart::dot_chart;
use crate::labels;
use crate::view::{href, svg_download, table_download, Format, Params, TABLE_FORMATS};

pub async fn list(State(state): State<Shared>) -> Result<Response, AppError> {
    blocking(&state, |_, store| {
        let mut by_level: BTreeMap<String, Vec<AreaInfo>> = BTreeMap::new();
        for a in store.areas()? {
            by_level.entry(a.level.clone()).or_default().push(a);
        }
        let body = html! {
            h1 { "Areas" }
            p.lead { "Every area with figures, by level. An area's profile shows all its indicators next to its parent area." }
            @for (level, areas) in &by_level {
                h2 { (level) " (" (areas.len()) ")" }
                ul { @for a in areas { li {
                    a href={"/area/" (a.code)} { (a.name.clone().unwrap_or_else(|| a.code.clone())) }
                    " " span.muted { (a.code) @if let Some(p) = &a.parent { " in " (p) } }
                } } }
            }
        };
        Ok(page("Areas — urbis", Nav::Areas, body).into_response())
    })
    .await
}

pub async fn handler(
    State(state): State<Shared>,
    Path(code): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let params = Params(pairs);
    blocking(&state, move |_, store| profile(store, &code, &params)).await
}

fn profile(store: &Store, code: &str, params: &Params) -> Result<Response, AppError> {
    let format = params.format()?;
    let area =
        store.area(code)?.ok_or_else(|| AppError::not_found(format!("There is no area '{code}' in this store.")))?;
    let mut codes = vec![code.to_string()];
    codes.extend(area.parent.clone());
    let rows = store.observations(&ObservationFilter { geo: codes, ..Default::default() })?;
    if rows.is_empty() {
        return Err(AppError::not_found(format!("There are no figures for area '{code}'.")));
    }
    let breakdowns: Vec<String> =
        rows.iter().map(|r| r.breakdown.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let breakdown = match params.get("breakdown") {
        Some(b) if breakdowns.iter().any(|x| x == b) => b.to_string(),
        Some(b) => {
            return Err(AppError::bad_request(format!(
                "no figures by '{b}' here (there are: {})",
                breakdowns.join(", ")
            )))
        }
        None => breakdowns.iter().find(|b| *b == "c_birth").unwrap_or(&breakdowns[0]).clone(),
    };
    let latest: BTreeMap<&str, &str> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        let t = m.entry(r.indicator.as_str()).or_insert(r.time.as_str());
        if r.time.as_str() > *t {
            *t = r.time.as_str();
        }
        m
    });
    let kept: Vec<&IndicatorRow> = rows
        .iter()
        .filter(|r| r.breakdown == breakdown && latest.get(r.indicator.as_str()) == Some(&r.time.as_str()))
        .collect();
    let names = area_names(store)?;
    let label = name(&names, code).to_string();
    let file = format!("area_{code}_{breakdown}");
    let indicators = store.indicators()?;
    let own: Vec<&IndicatorRow> = kept.iter().copied().filter(|r| r.geo == code).collect();
    let title = format!("{label}: indicators in percent by group, {}", labels::breakdown(&breakdown).to_lowercase());
    let chart_rows: Vec<&IndicatorRow> =
        own.iter().copied().filter(|r| r.measure == Measure::Value && r.unit == "PC").collect();
    let label_of = |id: &str| indicators.iter().find(|i| i.id == id).map_or(id.to_string(), |i| i.label.clone());
    let chart = group_chart(&chart_rows, |r| label_of(&r.indicator), title.clone(), "%".into());
    match format {
        Format::Html => {}
        Format::Svg => return Ok(svg_download(dot_chart(&chart), &file)),
        other => return table_download(&kept.iter().map(|r| (*r).clone()).collect::<Vec<_>>(), other, &file, &title),
    }
    let parent = area.parent.as_deref();
    let find = |geo: &str, indicator: &str, group: &str, measure: Measure| {
        kept.iter()
            .find(|r| r.geo == geo && r.indicator == indicator && r.group == group && r.measure == measure)
            .copied()
    };
    let state = vec![("breakdown", breakdown.clone())];
    // Entries of the area, of the areas containing it, and Europe-wide ones.
    let mut places = vec![code.to_string()];
    let mut up = area.parent.clone();
    while let Some(p) = up.filter(|p| !places.contains(p)) {
        up = store.area(&p)?.and_then(|a| a.parent);
        places.push(p);
    }
    places.push("EU".into());
    let initiatives = store.initiatives(&Search { places: places.clone(), ..Default::default() })?;
    let (characteristics, k) = crate::api::peers_query(params)?;
    let peers = store.peers(code, &characteristics, k)?;
    let options: Vec<(String, String)> = breakdowns.iter().map(|b| (b.clone(), labels::breakdown(b))).collect();
    let body = html! {
        h1 { (label) }
        p.lead { "Level: " (area.level)
            @if let Some(p) = parent { " · part of " a href={"/area/" (p)} { (name(&names, p)) } } }
        form.filters method="get" action={"/area/" (code)} {
            (select("breakdown", "Groups by", &options, &breakdown))
            button type="submit" { "Show" }
        }
        @if !chart_rows.is_empty() { div.figure { (maud::PreEscaped(dot_chart(&chart))) } }
        @for info in indicators.iter().filter(|i| own.iter().any(|r| r.indicator == i.id)) {
            @let groups: BTreeSet<(usize, &str)> = own.iter().filter(|r| r.indicator == info.id).map(|r| (group_rank(&r.group), r.group.as_str())).collect();
            div.scroll { table {
                caption { a href=(href(&format!("/indicator/{}", info.id), &[("breakdown", breakdown.clone())])) { (info.label) } " (" (labels::unit(&info.unit)) ", " (latest.get(info.id.as_str()).copied().unwrap_or("")) ")" }
                thead { tr {
                    th scope="col" { "Group" } th.num scope="col" { "Value" } th.num scope="col" { "95% CI" } th.num scope="col" { "n" }
                    th.num scope="col" { "Gap to natives" } th.num scope="col" { "Gap CI" } th scope="col" { "Significant" }
                    @if let Some(p) = parent { th.num scope="col" { "Value in " (name(&names, p)) } }
                } }
                tbody { @for (_, g) in &groups {
                    @let value = find(code, &info.id, g, Measure::Value);
                    @let gap = find(code, &info.id, g, Measure::GapDifference).or_else(|| find(code, &info.id, g, Measure::GapRatio));
                    tr {
                        th scope="row" { (labels::group(g)) }
                        td.num { @if let Some(v) = value { (value_cell(v)) } }
                        td.num { @if let Some(v) = value { (ci_text(v)) } }
                        td.num { @if let Some(n) = value.and_then(|v| v.n) { (n) } }
                        td.num { @if let Some(v) = gap { (value_cell(v)) " " span.muted { (labels::unit(&v.unit)) } } }
                        td.num { @if let Some(v) = gap { (ci_text(v)) } }
                        td { @if let Some(v) = gap { @match v.significant { Some(true) => span.sig { "yes" }, Some(false) => "no", None => "" } } }
                        @if let Some(p) = parent { td.num { @if let Some(v) = find(p, &info.id, g, Measure::Value) { (value_cell(v)) } } }
                    }
                } }
            } }
        }
        (downloads(&format!("/area/{code}"), &state, &TABLE_FORMATS))
        p { a href=(href("/compare", &[("geo", [Some(code.to_string()), parent.map(str::to_string)].into_iter().flatten().collect::<Vec<_>>().join("~"))])) { "Compare with the parent area" } }
        (peers_section(&peers, code, &label, &names, own.first().map(|r| r.indicator.as_str())))
        (related("Initiatives in this area and around it", &initiatives, &href("/initiatives", &[("place", places.join("~"))])))
    };
    Ok(page(&format!("{label} — urbis"), Nav::Areas, body).into_response())
}

/// "Compare with peers": the areas of the same level most like this one on
/// standardised structural characteristics (docs/dashboard.md), or why
/// there are none.
fn peers_section(
    peers: &Result<Peers, String>,
    code: &str,
    label: &str,
    names: &std::collections::HashMap<String, String>,
    indicator: Option<&str>,
) -> maud::Markup {
    html! {
        section aria-labelledby="peers" {
            h2 id="peers" { "Compare with peers" }
            @match peers {
                Err(why) => p.muted { "No peers: " (why) "." },
                Ok(p) if p.peers.is_empty() => p.muted { "No other area of level " (p.level) " has every characteristic." },
                Ok(p) => {
                    p { "The " (p.peers.len()) " areas of level " (p.level) " (of " (p.candidates) ") most like " (label)
                        " on standardised characteristics (z-scores across these areas; distance is Euclidean). "
                        "The main driver is the characteristic that makes up most of the squared distance." }
                    div.scroll { table {
                        caption { "Peers of " (label) }
                        thead { tr {
                            th scope="col" { "Area" } th.num scope="col" { "Distance" } th scope="col" { "Main driver" }
                            @for s in &p.scales { th.num scope="col" title=(s.characteristic.label) { (s.characteristic.name.replace('_', " ")) } }
                        } }
                        tbody {
                            tr {
                                th scope="row" { (label) " (this area)" } td.num { "0" } td {}
                                @for s in &p.scales { td.num { (s.characteristic.display(s.value)) } }
                            }
                            @for peer in &p.peers { tr {
                                th scope="row" { a href={"/area/" (peer.code)} { (name(names, &peer.code)) } }
                                td.num { (format!("{:.2}", peer.distance)) }
                                td { @if let Some(d) = peer.driver() { (d.name.replace('_', " ")) " (" (format!("{:.0}", d.share * 100.0)) "%)" } }
                                @for (s, part) in p.scales.iter().zip(&peer.parts) { td.num { (s.characteristic.display(part.value)) } }
                            } }
                        }
                    } }
                    @if !p.left_out.is_empty() { p.muted { (p.left_out.len()) " areas of the level are left out for missing figures." } }
                    @if let Some(i) = indicator {
                        @let geo = std::iter::once(code.to_string()).chain(p.peers.iter().map(|x| x.code.clone())).collect::<Vec<_>>().join("~");
                        p { a href=(href("/compare", &[("indicator", i.to_string()), ("geo", geo)])) { "Compare " (label) " with its peers" } }
                    }
                    p.muted { "Characteristics: " (p.scales.iter().map(|s| s.characteristic.label.clone()).collect::<Vec<_>>().join("; "))
                        ". Choose others with vars= (see the " a href="/api/v1/openapi.json" { "API" } ")." }
                }
            }
        }
    }
}

//! The catalogue of initiatives: search with filters by place and topic
//! (`/initiatives?q=&place=&topic=&indicator=`), one entry
//! (`/initiative/{id}`), and the short lists the indicator and area pages
//! link to.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use urbis_store::catalogue::{self, Initiative, Search};
use urbis_store::Store;

use super::layout::{downloads, page, select, Nav};
use super::shared::{area_names, name};
use crate::app::{blocking, AppError, Shared};
use crate::view::{attachment, href, Format, Params};

/// The search a URL asks for.
pub fn search_of(params: &Params) -> Search {
    Search {
        text: params.get("q").map(str::to_string),
        places: params.list("place"),
        topic: params.get("topic").map(str::to_string),
        indicator: params.get("indicator").map(str::to_string),
    }
}

/// The entries as a download: `format=csv` or `format=json`.
pub fn download(entries: &[Initiative], format: Format, file: &str) -> Result<Response, AppError> {
    match format {
        Format::Csv => Ok(attachment(
            catalogue::render_csv(entries).map_err(AppError::internal)?,
            "text/csv; charset=utf-8",
            &format!("{file}.csv"),
        )),
        Format::Json => Ok(attachment(catalogue::render_json(entries), "application/json", &format!("{file}.json"))),
        _ => Err(AppError::bad_request("the catalogue downloads as csv or json")),
    }
}

pub async fn list(
    State(state): State<Shared>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let params = Params(pairs);
    blocking(&state, move |_, store| search_page(store, &params)).await
}

fn search_page(store: &Store, params: &Params) -> Result<Response, AppError> {
    let format = params.format()?;
    let search = search_of(params);
    let (topics, places) = store.catalogue_facets()?;
    if let Some(t) = &search.topic {
        if !topics.contains(t) {
            return Err(AppError::bad_request(format!(
                "there is no topic '{t}' in the catalogue (there are: {})",
                topics.join(", ")
            )));
        }
    }
    let found = store.initiatives(&search)?;
    if format != Format::Html {
        return download(&found, format, "initiatives");
    }
    let names = area_names(store)?;
    let place_label = |p: &str| if p == "EU" { "Europe-wide (EU)".to_string() } else { name(&names, p).to_string() };
    let mut topic_options = vec![(String::new(), "Any topic".to_string())];
    topic_options.extend(topics.iter().map(|t| (t.clone(), topic_label(t))));
    let mut place_options = vec![(String::new(), "Anywhere".to_string())];
    place_options.extend(places.iter().map(|p| (p.clone(), place_label(p))));
    let state = vec![
        ("q", search.text.clone().unwrap_or_default()),
        ("place", search.places.join("~")),
        ("topic", search.topic.clone().unwrap_or_default()),
        ("indicator", search.indicator.clone().unwrap_or_default()),
    ];
    let body = html! {
        h1 { "Initiatives and sources" }
        p.lead { "A catalogue of integration initiatives and practices, city networks, policy instruments and data sources, with links to their public pages. Search by words, or filter by place and topic." }
        form.filters method="get" action="/initiatives" role="search" {
            label { "Words" input type="search" name="q" value=(search.text.clone().unwrap_or_default()); }
            (select("place", "Place", &place_options, &search.places.first().cloned().unwrap_or_default()))
            (select("topic", "Topic", &topic_options, &search.topic.clone().unwrap_or_default()))
            @if let Some(i) = &search.indicator { input type="hidden" name="indicator" value=(i); }
            button type="submit" { "Search" }
        }
        @if let Some(i) = &search.indicator {
            p { "Related to the indicator " a href={"/indicator/" (i)} { code { (i) } } ". " a href="/initiatives" { "Show the whole catalogue" } }
        }
        p { (found.len()) @if found.len() == 1 { " entry" } @else { " entries" } }
        (entries_list(&found, &place_label))
        (downloads("/initiatives", &state, &[Format::Csv, Format::Json]))
    };
    Ok(page("Initiatives — urbis", Nav::Initiatives, body).into_response())
}

/// A topic code as words (`social_inclusion` → `social inclusion`).
pub fn topic_label(topic: &str) -> String {
    topic.replace('_', " ")
}

/// Entries as a list: title (linked), kind, place, period and topics.
pub fn entries_list(entries: &[Initiative], place_label: &dyn Fn(&str) -> String) -> Markup {
    html! {
        ul.entries {
            @for e in entries {
                li {
                    a href={"/initiative/" (e.id)} { (e.title) }
                    " " span.muted { "(" (kind_label(&e.kind)) ", " (place_label(&e.place))
                        @if !e.period.is_empty() { ", " (e.period) } ")" }
                    br;
                    span.muted { @for (k, t) in e.topics.iter().enumerate() {
                        @if k > 0 { " · " }
                        a href=(href("/initiatives", &[("topic", t.clone())])) { (topic_label(t)) }
                    } }
                }
            }
        }
    }
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "initiative" => "initiative",
        "practice" => "practice",
        "network" => "city network",
        "instrument" => "policy instrument",
        "data_source" => "data source",
        _ => "entry",
    }
}

pub async fn handler(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let params = Params(pairs);
    blocking(&state, move |_, store| entry_page(store, &id, &params)).await
}

fn entry_page(store: &Store, id: &str, params: &Params) -> Result<Response, AppError> {
    let format = params.format()?;
    let e = store
        .initiative(id)?
        .ok_or_else(|| AppError::not_found(format!("There is no entry '{id}' in the catalogue.")))?;
    if format != Format::Html {
        return download(std::slice::from_ref(&e), format, &format!("initiative_{id}"));
    }
    let names = area_names(store)?;
    let indicators = store.indicators()?;
    let known_area = store.area(&e.place)?.is_some();
    let body = html! {
        h1 { (e.title) }
        p.lead { (e.description) }
        dl.defs {
            dt { "Kind" } dd { (kind_label(&e.kind)) }
            dt { "Place" } dd {
                @if known_area { a href={"/area/" (e.place)} { (name(&names, &e.place)) } }
                @else if e.place == "EU" { "Europe-wide (EU)" }
                @else { (e.place) }
                " · " a href=(href("/initiatives", &[("place", e.place.clone())])) { "more from this place" }
            }
            dt { "Topics" } dd { @for (k, t) in e.topics.iter().enumerate() {
                @if k > 0 { ", " }
                a href=(href("/initiatives", &[("topic", t.clone())])) { (topic_label(t)) }
            } }
            @if !e.target_group.is_empty() { dt { "Target group" } dd { (e.target_group) } }
            @if !e.period.is_empty() { dt { "Period" } dd { (e.period) } }
            @if !e.organisation.is_empty() { dt { "Run by" } dd { (e.organisation) } }
            dt { "Links" } dd { ul { @for l in &e.links { li { a href=(l) rel="noopener noreferrer" { (l) } } } } }
            @if !e.indicators.is_empty() {
                dt { "Related indicators" } dd { ul { @for i in &e.indicators {
                    li { @match indicators.iter().find(|x| &x.id == i) {
                        Some(info) => a href={"/indicator/" (i)} { (info.label) },
                        None => { code { (i) } " " span.muted { "(not in this store)" } },
                    } }
                } } }
            }
        }
        (downloads(&format!("/initiative/{id}"), &[], &[Format::Csv, Format::Json]))
        p { a href="/initiatives" { "Back to the catalogue" } }
    };
    Ok(page(&format!("{} — urbis", e.title), Nav::Initiatives, body).into_response())
}

/// The "related initiatives" section of an indicator or area page; nothing
/// when there are none.
pub fn related(title: &str, entries: &[Initiative], more: &str) -> Markup {
    html! {
        @if !entries.is_empty() {
            section aria-labelledby="related" {
                h2 id="related" { (title) }
                ul { @for e in entries.iter().take(8) {
                    li { a href={"/initiative/" (e.id)} { (e.title) } " " span.muted { "(" (kind_label(&e.kind)) ")" } }
                } }
                @if entries.len() > 8 { p { a href=(more) { "All " (entries.len()) " in the catalogue" } } }
                @else { p { a href=(more) { "See them in the catalogue" } } }
            }
        }
    }
}

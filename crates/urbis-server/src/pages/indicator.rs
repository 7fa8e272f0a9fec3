//! The indicator pages: the list of indicators, and one indicator with tabs
//! (chart, map, table, definitions) over a chosen area level, breakdown and
//! period.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use urbis_core::{IndicatorRow, Measure};
use urbis_store::catalogue::Search;
use urbis_store::{IndicatorInfo, ObservationFilter, Store};

use super::initiatives::related;
use super::layout::{downloads, page, select, Nav};
use super::shared::{area_names, figures_table, group_chart, name, sort_rows, SORTABLE};
use crate::app::{blocking, AppError, Shared};
use crate::chart::{dot_chart, time_chart};
use crate::labels;
use crate::view::{href, svg_download, table_download, Format, Params, TABLE_FORMATS};

pub async fn list(State(state): State<Shared>) -> Result<Response, AppError> {
    blocking(&state, |_, store| {
        let indicators = store.indicators()?;
        let mut families: BTreeMap<String, Vec<IndicatorInfo>> = BTreeMap::new();
        for i in indicators {
            families.entry(i.family.clone()).or_default().push(i);
        }
        let body = html! {
            h1 { "Indicators" }
            p.lead { "The EU migrant-integration indicators in this store, by topic. Each page shows the groups against natives across areas, with confidence intervals and flags." }
            @for (family, list) in &families {
                h2 { (capitalise(family)) }
                ul { @for i in list { li { a href={"/indicator/" (i.id)} { (i.label) } " " span.muted { "(" (i.id) ", " (labels::unit(&i.unit)) ")" } } } }
            }
        };
        Ok(page("Indicators — urbis", Nav::Indicators, body).into_response())
    })
    .await
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The choices of a view of one indicator, with their defaults.
pub struct Choice {
    pub levels: Vec<(String, usize)>,
    pub level: String,
    pub breakdowns: Vec<String>,
    pub breakdown: String,
    pub times: Vec<String>,
    pub time: String,
}

/// The levels (finest first, with their number of areas), breakdowns and
/// periods of an indicator's rows, and the ones the URL chooses: by default
/// the finest level with at most 30 areas, country of birth, the latest period.
pub fn choose(rows: &[IndicatorRow], params: &Params) -> Result<Choice, AppError> {
    let mut areas: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in rows {
        areas.entry(&r.geo_level).or_default().insert(&r.geo);
    }
    let mut levels: Vec<(String, usize)> = areas.iter().map(|(l, a)| (l.to_string(), a.len())).collect();
    levels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let breakdowns: Vec<String> =
        rows.iter().map(|r| r.breakdown.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let times: Vec<String> = rows.iter().map(|r| r.time.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let pick = |key: &str, options: &[String], default: Option<&String>| -> Result<String, AppError> {
        match params.get(key) {
            Some(v) if options.iter().any(|o| o == v) => Ok(v.to_string()),
            Some(v) => Err(AppError::bad_request(format!(
                "there are no figures for {key} '{v}' (there are: {})",
                options.join(", ")
            ))),
            None => Ok(default.cloned().unwrap_or_default()),
        }
    };
    let level_names: Vec<String> = levels.iter().map(|l| l.0.clone()).collect();
    let default_level = levels.iter().find(|l| l.1 <= 30).or(levels.last()).map(|l| &l.0);
    let default_breakdown = breakdowns.iter().find(|b| *b == "c_birth").or(breakdowns.first());
    Ok(Choice {
        level: pick("level", &level_names, default_level)?,
        breakdown: pick("breakdown", &breakdowns, default_breakdown)?,
        time: pick("time", &times, times.last())?,
        levels,
        breakdowns,
        times,
    })
}

const TABS: [(&str, &str); 4] =
    [("chart", "Chart"), ("map", "Map"), ("table", "Table"), ("about", "Definitions and sources")];

pub async fn handler(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let params = Params(pairs);
    blocking(&state, move |app, store| indicator_page(app, store, &id, &params)).await
}

fn indicator_page(app: &crate::AppState, store: &Store, id: &str, params: &Params) -> Result<Response, AppError> {
    let format = params.format()?;
    let (info, run_id) = store
        .indicator(id)?
        .ok_or_else(|| AppError::not_found(format!("There is no indicator '{id}' in this store.")))?;
    let all = store.observations(&ObservationFilter { indicator: Some(id.to_string()), ..Default::default() })?;
    let choice = choose(&all, params)?;
    let tab = params.get("tab").unwrap_or("chart");
    if !TABS.iter().any(|(t, _)| *t == tab) {
        return Err(AppError::bad_request(format!("unknown tab '{tab}': use chart, map, table or about")));
    }
    let names = area_names(store)?;
    let selected: Vec<&IndicatorRow> = all
        .iter()
        .filter(|r| r.geo_level == choice.level && r.breakdown == choice.breakdown && r.time == choice.time)
        .collect();
    let state: Vec<(&str, String)> =
        vec![("level", choice.level.clone()), ("breakdown", choice.breakdown.clone()), ("time", choice.time.clone())];
    let values: Vec<&IndicatorRow> = selected.iter().copied().filter(|r| r.measure == Measure::Value).collect();
    let title = format!(
        "{}, by {} ({}), {}",
        info.label,
        labels::breakdown(&choice.breakdown).to_lowercase(),
        choice.level,
        choice.time
    );
    let axis = format!("{} ({})", info.label, labels::unit(&info.unit));
    let chart = group_chart(&values, |r| name(&names, &r.geo).to_string(), title.clone(), axis.clone());
    // Over time, for one area: the chosen one or the first of the level.
    let time_area = params.get("geo").map(str::to_string).or_else(|| values.first().map(|r| r.geo.clone()));
    let over_time: Vec<&IndicatorRow> = all
        .iter()
        .filter(|r| {
            Some(&r.geo) == time_area.as_ref() && r.breakdown == choice.breakdown && r.measure == Measure::Value
        })
        .collect();
    let time_chart_svg = (choice.times.len() > 1).then(|| {
        let mut rows = over_time.clone();
        rows.sort_by(|a, b| a.time.cmp(&b.time));
        let area = time_area.as_deref().map(|g| name(&names, g).to_string()).unwrap_or_default();
        time_chart(&group_chart(&rows, |r| r.time.clone(), format!("{}, {area}, over time", info.label), axis.clone()))
    });
    let map_group = params.get("group").map(str::to_string).unwrap_or_else(|| {
        let groups: BTreeSet<&str> = values.iter().map(|r| r.group.as_str()).collect();
        ["FOR", "1GEN", "FOR_GE5Y"]
            .iter()
            .find(|g| groups.contains(**g))
            .map_or_else(|| groups.iter().next().map(|g| g.to_string()).unwrap_or_default(), |g| g.to_string())
    });
    let map_rows: Vec<&IndicatorRow> = values.iter().copied().filter(|r| r.group == map_group).collect();
    let map_title = format!(
        "{}, {}, {} ({}), {}",
        info.label,
        labels::group(&map_group),
        choice.level,
        labels::unit(&info.unit),
        choice.time
    );
    let map_key = format!("map|{id}|{}|{}|{}|{map_group}", choice.level, choice.breakdown, choice.time);
    let map_svg = || {
        app.svg(&map_key, || {
            crate::geo::area_map(&app.boundaries, &map_rows, map_title.clone(), labels::unit(&info.unit).to_string())
        })
    };
    let file = format!("{id}_{}_{}_{}", choice.level, choice.breakdown, choice.time);
    match format {
        Format::Html => {}
        Format::Svg if tab == "map" => {
            let svg = map_svg()
                .ok_or_else(|| AppError::not_found("There are no boundaries for this level to draw a map."))?;
            return Ok(svg_download(svg.to_string(), &file));
        }
        Format::Svg => return Ok(svg_download(dot_chart(&chart), &file)),
        other => {
            return table_download(&selected.iter().map(|r| (*r).clone()).collect::<Vec<_>>(), other, &file, &title)
        }
    }

    let link = |extra: &[(&str, String)]| {
        let mut p = state.clone();
        for (k, v) in extra {
            p.retain(|(key, _)| key != k);
            p.push((k, v.clone()));
        }
        href(&format!("/indicator/{id}"), &p)
    };
    let mut tab_state = state.clone();
    tab_state.push(("tab", tab.to_string()));
    let content = match tab {
        "map" => html! {
            @if let Some(svg) = map_svg() {
                div.figure { (maud::PreEscaped(svg.as_str())) }
                p.muted { "Groups: " @for g in values.iter().map(|r| r.group.as_str()).collect::<BTreeSet<_>>() {
                    a href=(link(&[("tab", "map".into()), ("group", g.to_string())])) { (labels::group(g)) } " "
                } }
            } @else {
                p { "There are no built-in boundaries for the areas of level '" (choice.level) "' (maps are drawn for NUTS regions). The chart and the table show every area." }
            }
        },
        "table" => {
            let mut rows = selected.clone();
            let by = params.get("sort").filter(|s| SORTABLE.iter().any(|(c, _)| c == s)).unwrap_or("area");
            let descending = params.get("dir") == Some("desc");
            sort_rows(&mut rows, &names, by, descending);
            let header = |column: &str, text: &str| {
                let dir = if by == column && !descending { "desc" } else { "asc" };
                let mark = if by == column {
                    if descending {
                        " ▼"
                    } else {
                        " ▲"
                    }
                } else {
                    ""
                };
                html! { a href=(link(&[("tab", "table".into()), ("sort", column.into()), ("dir", dir.into())])) { (text) (mark) } }
            };
            figures_table(&title, &rows, &names, header)
        }
        "about" => about(store, &info, run_id, &selected)?,
        _ => html! {
            div.figure { (maud::PreEscaped(dot_chart(&chart))) }
            details { summary { "The chart's figures as a table" }
                (figures_table(&title, &values, &names, |_, text| html! { (text) })) }
            @if let Some(svg) = &time_chart_svg { h2 { "Over time" } div.figure { (maud::PreEscaped(svg.as_str())) } }
        },
    };
    let initiatives = store.initiatives(&Search { indicator: Some(id.to_string()), ..Default::default() })?;
    let level_options: Vec<(String, String)> =
        choice.levels.iter().map(|(l, n)| (l.clone(), format!("{l} ({n} areas)"))).collect();
    let breakdown_options: Vec<(String, String)> =
        choice.breakdowns.iter().map(|b| (b.clone(), labels::breakdown(b))).collect();
    let time_options: Vec<(String, String)> = choice.times.iter().map(|t| (t.clone(), t.clone())).collect();
    let body = html! {
        h1 { (info.label) }
        p.lead { (info.family) " · " (labels::unit(&info.unit)) " · " (info.source_type) " · " (info.reference) }
        form.filters method="get" action={"/indicator/" (id)} {
            input type="hidden" name="tab" value=(tab);
            (select("level", "Area level", &level_options, &choice.level))
            (select("breakdown", "Groups by", &breakdown_options, &choice.breakdown))
            (select("time", "Period", &time_options, &choice.time))
            button type="submit" { "Show" }
        }
        nav aria-label="Views" { ul.tabs { @for (t, text) in TABS {
            li { @if t == tab { a href=(link(&[("tab", t.into())])) aria-current="page" { (text) } }
                 @else { a href=(link(&[("tab", t.into())])) { (text) } } }
        } } }
        (content)
        (downloads(&format!("/indicator/{id}"), &tab_state, &TABLE_FORMATS))
        p { a href=(href("/compare", &[("indicator", id.to_string())])) { "Compare areas on this indicator" } }
        (related("Related initiatives and sources", &initiatives, &href("/initiatives", &[("indicator", id.to_string())])))
    };
    Ok(page(&format!("{} — urbis", info.label), Nav::Indicators, body).into_response())
}

/// The definitions tab: what is counted, concepts, method and sources.
fn about(store: &Store, info: &IndicatorInfo, run_id: i64, rows: &[&IndicatorRow]) -> Result<Markup, AppError> {
    let metadata: serde_json::Value =
        store.run_metadata(run_id)?.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default();
    let used: BTreeSet<&str> = rows.iter().map(|r| r.definition.as_str()).collect();
    let methods: BTreeSet<&str> = rows.iter().map(|r| r.method.as_str()).collect();
    let run = store.runs()?.into_iter().find(|r| r.id == run_id);
    Ok(html! {
        dl.defs {
            dt { "Indicator" } dd { (info.label) " (" code { (info.id) } ")" }
            dt { "Population" } dd { code { (info.population) } }
            @if !info.numerator.is_empty() { dt { "Counted in the numerator" } dd { code { (info.numerator) } } }
            @if !info.variable.is_empty() { dt { "Variable" } dd { (info.variable) } }
            dt { "Statistic and unit" } dd { (info.statistic) ", " (labels::unit(&info.unit)) }
            dt { "Source type and reference" } dd { (info.source_type) "; " (info.reference) }
            dt { "Method" } dd { (methods.into_iter().collect::<Vec<_>>().join(", ")) " — design-based estimates with linearised standard errors; intervals at " (metadata["confidence_level"].as_f64().map_or("95".into(), |l| format!("{}", l * 100.0))) "%." }
            dt { "Concepts used" }
            dd { ul { @for d in used { li { code { (d) } ": " (metadata["definitions"][d].as_str().unwrap_or("")) } } } }
            @if let Some(run) = run {
                dt { "Data sources" }
                dd { ul { @for d in &run.datasets { li { (d.name) " (" (d.file) "): " (d.rows) " records, " (d.years.join(", ")) "; design " (d.design) } } } }
                dt { "Run" } dd { (run.project) ", " (run.created_at) ", " (run.software) }
            }
            dt { "Flags" } dd { "[u] low reliability (few observations or a wide interval); [c] suppressed or not published. See " a href="/about" { "data and methods" } "." }
        }
    })
}

//! Pieces several pages use: numbers with their flags, the figures table,
//! the chart of groups across areas, and area names.

use std::collections::HashMap;

use maud::{html, Markup};
use urbis_core::IndicatorRow;
use urbis_store::Store;

use crate::app::AppError;
use crate::chart::{Chart, Point, Series};
use crate::labels;

/// A figure is shown when it is published (free) and finite.
pub fn shown(r: &IndicatorRow) -> bool {
    r.conf_status == "F" && r.estimate.is_finite()
}

/// A number in the unit's usual precision.
pub fn number(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return String::new();
    }
    match unit {
        "EUR" => format!("{v:.0}"),
        "RT" => format!("{v:.3}"),
        _ => format!("{v:.1}"),
    }
}

/// The value with its flag, or why there is none.
pub fn value_cell(r: &IndicatorRow) -> Markup {
    html! {
        @if !shown(r) {
            span.flag title=(labels::status(&r.conf_status, &r.flag)) { "[c]" }
            span.muted { " " (if r.conf_status == "N" { "not published" } else { "suppressed" }) }
        } @else {
            (number(r.estimate, &r.unit))
            @if r.flag.contains('u') { " " span.flag title="low reliability" { "[u]" } }
        }
    }
}

/// The confidence interval, when the figure is shown.
pub fn ci_text(r: &IndicatorRow) -> String {
    if !shown(r) || !r.ci_low.is_finite() {
        return String::new();
    }
    format!("{} – {}", number(r.ci_low, &r.unit), number(r.ci_high, &r.unit))
}

/// Area code → "Name (CODE)" (or the code alone) for every known area.
pub fn area_names(store: &Store) -> Result<HashMap<String, String>, AppError> {
    Ok(store
        .areas()?
        .into_iter()
        .map(|a| {
            let label = a.name.map_or_else(|| a.code.clone(), |n| format!("{n} ({})", a.code));
            (a.code, label)
        })
        .collect())
}

pub fn name<'a>(names: &'a HashMap<String, String>, code: &'a str) -> &'a str {
    names.get(code).map_or(code, String::as_str)
}

/// Sort order of groups: total, natives, then the migrant groups.
pub fn group_rank(code: &str) -> usize {
    const ORDER: [&str; 11] = [
        "TOTAL",
        "NAT",
        "FOR",
        "EU27_2020_FOR",
        "NEU27_2020_FOR",
        "1GEN",
        "2GEN",
        "2GEN_BOTH",
        "2GEN_ONE",
        "FOR_LT5Y",
        "FOR_GE5Y",
    ];
    ORDER.iter().position(|g| *g == code).unwrap_or(ORDER.len())
}

/// The chart of groups (series) across areas or other categories, from rows
/// of one measure; `category` gives each row's category label.
pub fn group_chart(
    rows: &[&IndicatorRow],
    category: impl Fn(&IndicatorRow) -> String,
    title: String,
    axis: String,
) -> Chart {
    let mut categories: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for r in rows {
        let c = category(r);
        if !categories.contains(&c) {
            categories.push(c);
        }
        if !groups.contains(&r.group) {
            groups.push(r.group.clone());
        }
    }
    groups.sort_by_key(|g| (group_rank(g), g.clone()));
    let points = rows
        .iter()
        .map(|r| Point {
            category: categories.iter().position(|c| *c == category(r)).unwrap_or(0),
            series: groups.iter().position(|g| *g == r.group).unwrap_or(0),
            estimate: r.estimate,
            low: r.ci_low,
            high: r.ci_high,
            unreliable: r.flag.contains('u'),
            suppressed: !shown(r),
        })
        .collect();
    let description = format!(
        "{} groups across {} categories; each marker is an estimate with its confidence interval. The table below gives the same figures.",
        groups.len(),
        categories.len()
    );
    Chart {
        title,
        description,
        axis,
        categories,
        series: groups.iter().map(|g| Series { code: g.clone(), label: labels::group(g) }).collect(),
        points,
    }
}

/// A column the figures table can be sorted by.
pub const SORTABLE: [(&str, &str); 6] =
    [("area", "Area"), ("group", "Group"), ("measure", "Measure"), ("estimate", "Estimate"), ("se", "SE"), ("n", "n")];

/// Sorts rows by a column of [`SORTABLE`].
pub fn sort_rows(rows: &mut [&IndicatorRow], names: &HashMap<String, String>, by: &str, descending: bool) {
    let number = |v: f64| if v.is_finite() { v } else { f64::NEG_INFINITY };
    rows.sort_by(|a, b| {
        let order = match by {
            "group" => group_rank(&a.group).cmp(&group_rank(&b.group)),
            "measure" => a.measure.cmp(&b.measure),
            "estimate" => number(a.estimate).total_cmp(&number(b.estimate)),
            "se" => number(a.se).total_cmp(&number(b.se)),
            "n" => a.n.cmp(&b.n),
            _ => name(names, &a.geo).cmp(name(names, &b.geo)),
        };
        let order = order.then_with(|| group_rank(&a.group).cmp(&group_rank(&b.group)));
        if descending {
            order.reverse()
        } else {
            order
        }
    });
}

/// The figures as a table: estimate, interval, SE, n, flag, status, method
/// and, for gaps, significance. `header` gives each sortable column's link.
pub fn figures_table(
    caption: &str,
    rows: &[&IndicatorRow],
    names: &HashMap<String, String>,
    header: impl Fn(&str, &str) -> Markup,
) -> Markup {
    html! {
        div.scroll {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (header("area", "Area")) }
                    th scope="col" { (header("group", "Group")) }
                    th scope="col" { (header("measure", "Measure")) }
                    th.num scope="col" { (header("estimate", "Estimate")) }
                    th.num scope="col" { "95% CI" }
                    th.num scope="col" { (header("se", "SE")) }
                    th.num scope="col" { (header("n", "n")) }
                    th scope="col" { "Flag" }
                    th scope="col" { "Status" }
                    th scope="col" { "Method" }
                    th scope="col" { "Significant" }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            th scope="row" { a href={"/area/" (r.geo)} { (name(names, &r.geo)) } }
                            td { (labels::group(&r.group)) }
                            td { (labels::measure(r.measure.code())) " (" (labels::unit(&r.unit)) ")" }
                            td.num { (value_cell(r)) }
                            td.num { (ci_text(r)) }
                            td.num { @if shown(r) { (number(r.se, &r.unit)) } }
                            td.num { @if let Some(n) = r.n { (n) } @else { span.muted title="confidential" { "–" } } }
                            td { (r.flag) }
                            td { (r.conf_status) }
                            td { (r.method) }
                            td { @match r.significant { Some(true) => span.sig { "yes" }, Some(false) => "no", None => "" } }
                        }
                    }
                }
            }
        }
    }
}

//! SVG charts drawn by urbis: a dot chart (categories down the side, one
//! marker per group with its confidence interval as an error bar) and a time
//! chart (periods along the bottom, one line per group with error bars).
//! Low-reliability points are hollow and marked `[u]`; suppressed values
//! leave a visible gap marked `[c]`. Every chart has a `<title>` and a
//! `<desc>`, and pages show the same numbers in a table.

use std::fmt::Write;

use crate::labels::{style, Marker};

/// One series: a group, with its code (for colour and marker) and name.
#[derive(Debug, Clone)]
pub struct Series {
    pub code: String,
    pub label: String,
}

/// One point: the category (area, indicator or period) and series it
/// belongs to, the estimate with its interval, and its flags.
#[derive(Debug, Clone)]
pub struct Point {
    pub category: usize,
    pub series: usize,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// Published with low reliability (flag `u`).
    pub unreliable: bool,
    /// Suppressed or not published: drawn as a gap marked `[c]`.
    pub suppressed: bool,
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub description: String,
    /// Axis label (indicator and unit).
    pub axis: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub points: Vec<Point>,
}

const WIDTH: f64 = 820.0;
const LABEL_WIDTH: f64 = 230.0;
const TOP: f64 = 84.0;
const ROW: f64 = 16.0;

/// A horizontal dot chart: one band per category, one row per series.
pub fn dot_chart(chart: &Chart) -> String {
    let rows = chart.series.len().max(1) as f64;
    let band = rows * ROW + 10.0;
    let plot_height = band * chart.categories.len().max(1) as f64;
    let height = TOP + plot_height + 50.0;
    let (left, right) = (LABEL_WIDTH, WIDTH - 60.0);
    let (lo, hi, ticks) = axis_range(&chart.points);
    let x = |v: f64| left + (v - lo) / (hi - lo) * (right - left);
    let mut s = header(chart, WIDTH, height);
    legend(&mut s, &chart.series);
    for &t in &ticks {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="#ddd"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle" font-size="12">{4}</text>"##,
            x(t),
            TOP - 4.0,
            TOP + plot_height,
            TOP + plot_height + 16.0,
            tick_label(t)
        );
    }
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}</text>"##,
        (left + right) / 2.0,
        TOP + plot_height + 36.0,
        escape(&chart.axis)
    );
    for (c, name) in chart.categories.iter().enumerate() {
        let y0 = TOP + band * c as f64;
        if c % 2 == 1 {
            let _ = write!(s, r##"<rect x="0" y="{y0:.1}" width="{WIDTH}" height="{band:.1}" fill="#f4f6f8"/>"##);
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="13"><title>{}</title>{}</text>"##,
            left - 10.0,
            y0 + band / 2.0 + 4.0,
            escape(name),
            escape(&shorten(name, 32))
        );
    }
    for p in &chart.points {
        let y = TOP + band * p.category as f64 + 5.0 + ROW * (p.series as f64 + 0.5);
        point(&mut s, p, &chart.series, x, |_| y, x(lo) + 4.0);
    }
    s.push_str("</svg>");
    s
}

/// A time chart: periods along the bottom, values up the side, one line per series.
pub fn time_chart(chart: &Chart) -> String {
    let height = 420.0;
    let (left, right, bottom) = (70.0, WIDTH - 40.0, height - 60.0);
    let (lo, hi, ticks) = axis_range(&chart.points);
    let y = |v: f64| bottom - (v - lo) / (hi - lo) * (bottom - TOP);
    let step = (right - left) / chart.categories.len().max(1) as f64;
    let mut s = header(chart, WIDTH, height);
    legend(&mut s, &chart.series);
    for &t in &ticks {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{right}" y1="{0:.1}" y2="{0:.1}" stroke="#ddd"/><text x="{1}" y="{2:.1}" text-anchor="end" font-size="12">{3}</text>"##,
            y(t),
            left - 6.0,
            y(t) + 4.0,
            tick_label(t)
        );
    }
    for (c, name) in chart.categories.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}</text>"##,
            left + step * (c as f64 + 0.5),
            bottom + 18.0,
            escape(name)
        );
    }
    let _ = write!(
        s,
        r##"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle" font-size="12">{}</text>"##,
        (TOP + bottom) / 2.0,
        escape(&chart.axis)
    );
    // Series are offset a little so their error bars do not overlap.
    let offset = |series: usize| (series as f64 - (chart.series.len() as f64 - 1.0) / 2.0) * 6.0;
    let xc = |p: &Point| left + step * (p.category as f64 + 0.5) + offset(p.series);
    for (k, series) in chart.series.iter().enumerate() {
        let (colour, _) = style(&series.code, k);
        let mut line: Vec<(f64, f64)> = Vec::new();
        let flush = |line: &mut Vec<(f64, f64)>, s: &mut String| {
            if line.len() > 1 {
                let d: Vec<String> = line.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
                let _ = write!(
                    s,
                    r##"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"##,
                    d.join(" ")
                );
            }
            line.clear();
        };
        let mut points: Vec<&Point> = chart.points.iter().filter(|p| p.series == k).collect();
        points.sort_by_key(|p| p.category);
        let mut previous: Option<usize> = None;
        for p in points {
            if p.suppressed || !p.estimate.is_finite() || previous.is_some_and(|c| c + 1 != p.category) {
                flush(&mut line, &mut s);
            }
            if !p.suppressed && p.estimate.is_finite() {
                line.push((xc(p), y(p.estimate)));
            }
            previous = Some(p.category);
        }
        flush(&mut line, &mut s);
    }
    for p in &chart.points {
        let cx = xc(p);
        vertical_point(&mut s, p, &chart.series, cx, y, bottom - 4.0);
    }
    s.push_str("</svg>");
    s
}

fn header(chart: &Chart, width: f64, height: f64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="100%" role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" class="chart"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc><rect width="{width:.0}" height="{height:.0}" fill="#fff"/><text x="10" y="22" font-size="16" font-weight="bold">{}</text>"##,
        escape(&chart.title),
        escape(&chart.description),
        escape(&chart.title)
    );
    s
}

fn legend(s: &mut String, series: &[Series]) {
    let mut x = 10.0;
    for (k, item) in series.iter().enumerate() {
        let (colour, marker) = style(&item.code, k);
        marker_svg(s, marker, colour, x + 6.0, 44.0, true);
        let _ = write!(s, r##"<text x="{:.1}" y="48" font-size="12">{}</text>"##, x + 16.0, escape(&item.label));
        x += 30.0 + 6.5 * item.label.chars().count() as f64;
    }
    s.push_str(
        r##"<text x="10" y="68" font-size="12" fill="#444">hollow [u]: low reliability · [c]: suppressed · bars: confidence interval</text>"##,
    );
}

/// A point of a horizontal chart at height `y(v)`; `gap_x` is where `[c]` goes.
fn point(s: &mut String, p: &Point, series: &[Series], x: impl Fn(f64) -> f64, y: impl Fn(f64) -> f64, gap_x: f64) {
    let (colour, marker) = style(&series[p.series].code, p.series);
    let yy = y(p.estimate);
    if p.suppressed || !p.estimate.is_finite() {
        let _ = write!(s, r##"<text x="{gap_x:.1}" y="{:.1}" font-size="11" fill="{colour}">[c]</text>"##, yy + 4.0);
        return;
    }
    if p.low.is_finite() && p.high.is_finite() {
        let _ = write!(
            s,
            r##"<line x1="{:.1}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="{colour}" stroke-width="1.5"/>"##,
            x(p.low),
            x(p.high)
        );
    }
    marker_svg(s, marker, colour, x(p.estimate), yy, !p.unreliable);
    if p.unreliable {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#333">[u]</text>"##,
            x(p.high.max(p.estimate)) + 4.0,
            yy + 4.0
        );
    }
}

/// A point of the time chart at abscissa `cx`.
fn vertical_point(s: &mut String, p: &Point, series: &[Series], cx: f64, y: impl Fn(f64) -> f64, gap_y: f64) {
    let (colour, marker) = style(&series[p.series].code, p.series);
    if p.suppressed || !p.estimate.is_finite() {
        let _ = write!(
            s,
            r##"<text x="{cx:.1}" y="{gap_y:.1}" font-size="11" text-anchor="middle" fill="{colour}">[c]</text>"##
        );
        return;
    }
    if p.low.is_finite() && p.high.is_finite() {
        let _ = write!(
            s,
            r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5"/>"##,
            y(p.low),
            y(p.high)
        );
    }
    marker_svg(s, marker, colour, cx, y(p.estimate), !p.unreliable);
    if p.unreliable {
        let _ = write!(s, r##"<text x="{:.1}" y="{:.1}" font-size="10">[u]</text>"##, cx + 6.0, y(p.estimate) - 6.0);
    }
}

fn marker_svg(s: &mut String, marker: Marker, colour: &str, x: f64, y: f64, filled: bool) {
    let fill = if filled { colour } else { "#fff" };
    let paint = format!(r#"fill="{fill}" stroke="{colour}" stroke-width="1.8""#);
    let r = 5.0;
    let _ = match marker {
        Marker::Circle => write!(s, r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" {paint}/>"#),
        Marker::Square => write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" {paint}/>"#,
            x - r * 0.9,
            y - r * 0.9,
            r * 1.8,
            r * 1.8
        ),
        Marker::Triangle => write!(
            s,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" {paint}/>"#,
            x,
            y - r * 1.2,
            x + r * 1.1,
            y + r * 0.8,
            x - r * 1.1,
            y + r * 0.8
        ),
        Marker::TriangleDown => write!(
            s,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" {paint}/>"#,
            x,
            y + r * 1.2,
            x + r * 1.1,
            y - r * 0.8,
            x - r * 1.1,
            y - r * 0.8
        ),
        Marker::Diamond => write!(
            s,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" {paint}/>"#,
            x,
            y - r * 1.3,
            x + r * 1.3,
            y,
            x,
            y + r * 1.3,
            x - r * 1.3,
            y
        ),
    };
}

/// The axis range over every drawn value and interval, widened to round
/// ticks (about five of them).
fn axis_range(points: &[Point]) -> (f64, f64, Vec<f64>) {
    let values =
        points.iter().filter(|p| !p.suppressed).flat_map(|p| [p.estimate, p.low, p.high]).filter(|v| v.is_finite());
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if lo > 0.0 && lo < 0.25 * hi {
        lo = 0.0;
    }
    if hi - lo < 1e-12 {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let raw = (hi - lo) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    let n = ((hi - lo) / step).round() as usize;
    (lo, hi, (0..=n).map(|k| lo + step * k as f64).collect())
}

fn tick_label(v: f64) -> String {
    let v = if v.abs() < 1e-9 { 0.0 } else { v };
    if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A label cut to `max` characters (with an ellipsis), keeping a trailing
/// code in brackets: "Région de Bruxelles-Capitale… (BE100)".
fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let (name, code) = match label.rfind(" (") {
        Some(i) if label.ends_with(')') => (&label[..i], &label[i..]),
        _ => (label, ""),
    };
    let keep = max.saturating_sub(code.chars().count() + 1).max(8);
    format!("{}…{code}", name.chars().take(keep).collect::<String>().trim_end())
}

/// Text escaped for XML content and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(points: Vec<Point>) -> Chart {
        Chart {
            title: "Employment rate".into(),
            description: "test".into(),
            axis: "%".into(),
            categories: vec!["Vienna".into(), "Munich".into()],
            series: vec![
                Series { code: "NAT".into(), label: "Natives".into() },
                Series { code: "FOR".into(), label: "Foreign".into() },
            ],
            points,
        }
    }

    fn p(category: usize, series: usize, estimate: f64, unreliable: bool, suppressed: bool) -> Point {
        Point { category, series, estimate, low: estimate - 2.0, high: estimate + 2.0, unreliable, suppressed }
    }

    #[test]
    fn unreliable_points_are_hollow_and_marked_and_suppressed_ones_are_gaps() {
        let svg = dot_chart(&chart(vec![
            p(0, 0, 70.0, false, false),
            p(0, 1, 60.0, true, false),
            p(1, 0, f64::NAN, false, true),
        ]));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"chart-title\">Employment rate</title>"));
        assert_eq!(svg.matches(">[u]</text>").count(), 1, "the unreliable point");
        assert!(svg.contains("hollow [u]: low reliability"), "the legend explains the marks");
        assert_eq!(svg.matches(">[c]</text>").count(), 1);
        // The hollow marker is white inside, drawn in the group's colour.
        assert!(svg.contains(r##"fill="#fff" stroke="#D55E00""##));
        assert!(svg.contains(r##"fill="#0072B2" stroke="#0072B2""##));
    }

    #[test]
    fn axis_ticks_are_round_and_cover_every_interval() {
        let (lo, hi, ticks) = axis_range(&[p(0, 0, 63.0, false, false), p(0, 1, 71.5, false, false)]);
        assert!(lo <= 61.0 && hi >= 73.5, "{lo} {hi}");
        assert!(ticks.iter().all(|t| (t * 2.0).fract() == 0.0), "{ticks:?}");
        let svg = time_chart(&chart(vec![p(0, 0, 1.0, false, false), p(1, 0, 2.0, false, false)]));
        assert!(svg.contains("<polyline"));
    }
}

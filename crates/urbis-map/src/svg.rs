//! The SVG document: shapes filled by class, hatching over low-reliability
//! values, a distinct no-data pattern, a legend, and `<title>`/`<desc>` for
//! screen readers. Shapes are in a projected plane (EPSG:3035 metres); north
//! is up.

use std::fmt::Write;

use crate::classify::class_of;

/// One area or grid cell: its rings (outer rings and holes, filled by the
/// even–odd rule), its value (`None` when missing or suppressed) and whether
/// the value is of low reliability (Eurostat flag `u`).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub code: String,
    /// Shown as the shape's tooltip title, before its value.
    pub label: String,
    pub rings: Vec<Vec<(f64, f64)>>,
    pub value: Option<f64>,
    pub low_reliability: bool,
}

/// A map to draw.
#[derive(Debug, Clone)]
pub struct Map<'a> {
    pub title: String,
    /// Read by screen readers; when empty, a summary of the data is written.
    pub description: String,
    pub legend_title: String,
    pub shapes: &'a [Shape],
    /// Inner class limits (see [`crate::classify`]).
    pub breaks: Vec<f64>,
    /// One colour per class: `breaks.len() + 1`.
    pub colours: Vec<String>,
}

const MAP_WIDTH: f64 = 760.0;
const LEGEND_WIDTH: f64 = 220.0;
const MARGIN: f64 = 20.0;
const TITLE_HEIGHT: f64 = 40.0;
const NO_DATA: &str = "url(#urbis-no-data)";

/// The map as a standalone SVG document.
pub fn render(map: &Map) -> String {
    let [x0, y0, x1, y1] = extent(map.shapes);
    let scale = if x1 > x0 { MAP_WIDTH / (x1 - x0) } else { 1.0 };
    let map_height = ((y1 - y0) * scale).clamp(200.0, 1200.0);
    let scale = scale.min(if y1 > y0 { map_height / (y1 - y0) } else { scale });
    let width = MAP_WIDTH + LEGEND_WIDTH + 3.0 * MARGIN;
    let height = (map_height + TITLE_HEIGHT + 2.0 * MARGIN).max(TITLE_HEIGHT + 2.0 * MARGIN + legend_height(map));
    let project = |(x, y): (f64, f64)| (MARGIN + (x - x0) * scale, TITLE_HEIGHT + MARGIN + (y1 - y) * scale);

    let description = if map.description.is_empty() { summary(map) } else { map.description.clone() };
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="map-title map-desc" font-family="sans-serif">
<title id="map-title">{}</title>
<desc id="map-desc">{}</desc>
<defs>
<pattern id="urbis-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#000000" stroke-width="1.6" stroke-opacity="0.55"/></pattern>
<pattern id="urbis-no-data" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="#ffffff"/><circle cx="3" cy="3" r="1" fill="#8c8c8c"/></pattern>
</defs>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{MARGIN}" y="28" font-size="18" font-weight="bold">{}</text>
<g stroke="#8c8c8c" stroke-width="0.3" stroke-linejoin="round">
"##,
        escape(&map.title),
        escape(&description),
        escape(&map.title)
    );
    let mut hatched = String::new();
    for shape in map.shapes {
        let d = path(&shape.rings, &project);
        let (fill, text) = match shape.value {
            Some(v) if v.is_finite() => {
                (map.colours[class_of(v, &map.breaks).min(map.colours.len() - 1)].as_str(), format_value(v))
            }
            _ => (NO_DATA, "no data".to_string()),
        };
        let note = if shape.low_reliability { " (low reliability)" } else { "" };
        let _ = writeln!(
            s,
            r#"<path d="{d}" fill="{fill}" fill-rule="evenodd" data-code="{}"><title>{}: {text}{note}</title></path>"#,
            escape(&shape.code),
            escape(&shape.label)
        );
        if shape.low_reliability && shape.value.is_some() {
            let _ = writeln!(
                hatched,
                r#"<path d="{d}" fill="url(#urbis-hatch)" fill-rule="evenodd" pointer-events="none"/>"#
            );
        }
    }
    s.push_str("</g>\n");
    if !hatched.is_empty() {
        s.push_str("<g stroke=\"none\">\n");
        s.push_str(&hatched);
        s.push_str("</g>\n");
    }
    legend(&mut s, map, MARGIN * 2.0 + MAP_WIDTH, TITLE_HEIGHT + MARGIN);
    s.push_str("</svg>\n");
    s
}

fn extent(shapes: &[Shape]) -> [f64; 4] {
    let mut e = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for &(x, y) in shapes.iter().flat_map(|s| s.rings.iter().flatten()) {
        e = [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)];
    }
    if e[0].is_finite() {
        e
    } else {
        [0.0, 0.0, 1.0, 1.0]
    }
}

fn path(rings: &[Vec<(f64, f64)>], project: &impl Fn((f64, f64)) -> (f64, f64)) -> String {
    let mut d = String::new();
    for ring in rings.iter().filter(|r| r.len() >= 3) {
        for (i, &p) in ring.iter().enumerate() {
            let (x, y) = project(p);
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
        }
        d.push('Z');
    }
    d
}

const ROW: f64 = 22.0;

fn legend_height(map: &Map) -> f64 {
    (map.colours.len() + 3) as f64 * ROW + 30.0
}

fn legend(s: &mut String, map: &Map, x: f64, y: f64) {
    let _ = writeln!(s, r#"<g font-size="12" aria-hidden="true">"#);
    let _ = writeln!(s, r#"<text x="{x}" y="{:.1}" font-weight="bold">{}</text>"#, y + 12.0, escape(&map.legend_title));
    let values: Vec<f64> = map.shapes.iter().filter_map(|s| s.value).filter(|v| v.is_finite()).collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut row_y = y + 24.0;
    let mut entry = |s: &mut String, fill: &str, label: String| {
        let _ = writeln!(
            s,
            r##"<rect x="{x}" y="{row_y:.1}" width="18" height="14" fill="{fill}" stroke="#666666" stroke-width="0.5"/><text x="{:.1}" y="{:.1}">{}</text>"##,
            x + 26.0,
            row_y + 11.0,
            escape(&label)
        );
        row_y += ROW;
    };
    for (k, colour) in map.colours.iter().enumerate() {
        let lo = if k == 0 { min } else { map.breaks[k - 1] };
        let hi = if k == map.breaks.len() { max } else { map.breaks[k] };
        let label = if values.is_empty() {
            "–".to_string()
        } else if k == 0 {
            format!("≤ {}", format_value(hi))
        } else if k == map.breaks.len() {
            format!("> {}", format_value(lo))
        } else {
            format!("{} – {}", format_value(lo), format_value(hi))
        };
        entry(s, colour, label);
    }
    entry(s, NO_DATA, "no data".into());
    if map.shapes.iter().any(|s| s.low_reliability && s.value.is_some()) {
        entry(s, "url(#urbis-hatch)", "low reliability (u)".into());
    }
    s.push_str("</g>\n");
}

/// A plain-language summary for screen readers.
fn summary(map: &Map) -> String {
    let with: Vec<&Shape> = map.shapes.iter().filter(|s| s.value.is_some_and(f64::is_finite)).collect();
    let missing = map.shapes.len() - with.len();
    let low = with.iter().filter(|s| s.low_reliability).count();
    let mut text = format!(
        "Map of {} for {} units in {} classes; {missing} without data; {low} of low reliability.",
        map.legend_title,
        map.shapes.len(),
        map.colours.len()
    );
    let by_value = |a: &&&Shape, b: &&&Shape| a.value.unwrap_or(0.0).total_cmp(&b.value.unwrap_or(0.0));
    if let (Some(lo), Some(hi)) = (with.iter().min_by(by_value), with.iter().max_by(by_value)) {
        let _ = write!(
            text,
            " Lowest: {} ({}); highest: {} ({}).",
            lo.label,
            format_value(lo.value.unwrap_or(0.0)),
            hi.label,
            format_value(hi.value.unwrap_or(0.0))
        );
    }
    text
}

/// A value with about four significant digits.
pub fn format_value(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(code: &str, x: f64, value: Option<f64>, low: bool) -> Shape {
        Shape {
            code: code.into(),
            label: format!("area {code}"),
            rings: vec![vec![(x, 0.0), (x + 10.0, 0.0), (x + 10.0, 10.0), (x, 10.0)]],
            value,
            low_reliability: low,
        }
    }

    #[test]
    fn classes_no_data_and_low_reliability_are_drawn_distinctly() {
        let shapes = vec![
            square("A", 0.0, Some(1.0), false),
            square("B&C", 10.0, Some(5.0), true),
            square("D", 20.0, None, false),
        ];
        let map = Map {
            title: "Employment <rate>".into(),
            description: String::new(),
            legend_title: "percent".into(),
            shapes: &shapes,
            breaks: vec![2.0],
            colours: vec!["#fde725".into(), "#440154".into()],
        };
        let svg = render(&map);
        assert!(svg.contains(r#"role="img" aria-labelledby="map-title map-desc""#));
        assert!(svg.contains("<title id=\"map-title\">Employment &lt;rate&gt;</title>"));
        assert!(svg.contains("3 units in 2 classes; 1 without data; 1 of low reliability. Lowest: area A (1); highest: area B&amp;C (5)."));
        assert!(svg.contains(r##"fill="#fde725" fill-rule="evenodd" data-code="A""##));
        assert!(svg.contains(r##"fill="#440154" fill-rule="evenodd" data-code="B&amp;C""##));
        assert!(svg.contains(r#"fill="url(#urbis-no-data)" fill-rule="evenodd" data-code="D""#));
        assert_eq!(svg.matches(r#"fill="url(#urbis-hatch)" fill-rule"#).count(), 1);
        assert!(svg.contains(">≤ 2<") && svg.contains(">&gt; 2<") && svg.contains(">low reliability (u)<"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn north_is_up() {
        let project_y = |y: f64| {
            let shapes =
                vec![Shape { rings: vec![vec![(0.0, 0.0), (10.0, 0.0), (0.0, y)]], ..square("A", 0.0, None, false) }];
            let map = Map {
                title: String::new(),
                description: String::new(),
                legend_title: String::new(),
                shapes: &shapes,
                breaks: vec![],
                colours: vec!["#000000".into()],
            };
            let svg = render(&map);
            let d = svg.split("d=\"M").nth(1).unwrap().split('"').next().unwrap().to_string();
            d.split('L')
                .map(|p| p.trim_end_matches('Z').split(',').nth(1).unwrap().parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        };
        let ys = project_y(10.0);
        assert!(ys[2] < ys[0], "the northern vertex is higher on the page: {ys:?}");
    }

    #[test]
    fn values_keep_four_significant_digits() {
        assert_eq!(format_value(0.123456), "0.1235");
        assert_eq!(format_value(0.5), "0.5");
        assert_eq!(format_value(2.0), "2");
        assert_eq!(format_value(1234.5), "1234");
        assert_eq!(format_value(0.0), "0");
    }
}

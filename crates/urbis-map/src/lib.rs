//! SVG maps drawn by urbis: choropleths of any indicator by area and grid
//! maps of shares or location quotients. The same SVG serves the dashboard
//! and downloads: it is self-contained, scales with its `viewBox`, and is
//! accessible (`role="img"`, `<title>` and `<desc>` for screen readers, a
//! tooltip title per shape).
//!
//! Values are put in classes ([`classify`]: quantiles, natural breaks or fixed
//! limits) and coloured with colour-blind-safe palettes ([`palette`]:
//! viridis-like sequential, ColorBrewer RdBu diverging). Areas without a
//! value have their own style; low-reliability values are hatched.
//!
//! ```
//! use urbis_map::{classify::{breaks, Classes}, palette::{colours, Palette}, svg::{render, Map, Shape}};
//! let square = |x: f64, v: f64| Shape {
//!     code: format!("c{x}"), label: format!("cell {x}"),
//!     rings: vec![vec![(x, 0.0), (x + 1.0, 0.0), (x + 1.0, 1.0), (x, 1.0)]],
//!     value: Some(v), low_reliability: false,
//! };
//! let shapes = vec![square(0.0, 0.1), square(1.0, 0.5), square(2.0, 0.9)];
//! let limits = breaks(&[0.1, 0.5, 0.9], &Classes::Quantiles(3)).unwrap();
//! let map = Map { title: "Share".into(), description: String::new(), legend_title: "share".into(),
//!     shapes: &shapes, colours: colours(Palette::Sequential, limits.len() + 1), breaks: limits };
//! let svg = render(&map);
//! assert!(svg.starts_with("<svg") && svg.contains("<title id=\"map-title\">Share</title>"));
//! ```

pub mod classify;
pub mod palette;
pub mod shapes;
pub mod svg;

/// Classifies the shapes' values, colours them and draws the map: the one
/// way every urbis map (command line, dashboard) is made.
pub fn draw(
    shapes: &[svg::Shape],
    classes: &classify::Classes,
    palette: palette::Palette,
    title: String,
    description: String,
    legend_title: String,
) -> Result<String, MapError> {
    let values: Vec<f64> = shapes.iter().filter_map(|s| s.value).collect();
    let limits = classify::breaks(&values, classes)?;
    let map = svg::Map {
        title,
        description,
        legend_title,
        shapes,
        colours: palette::colours(palette, limits.len() + 1),
        breaks: limits,
    };
    Ok(svg::render(&map))
}

/// Errors of map making.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MapError {
    #[error("{0}")]
    Classes(String),
}

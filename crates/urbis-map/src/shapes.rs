//! Shapes from geography: areas (NUTS regions or GeoJSON polygons) joined to
//! values by code, and INSPIRE grid cells.

use std::collections::{BTreeSet, HashMap};

use urbis_geo::geojson::Area;
use urbis_geo::grid::CellId;

use crate::svg::Shape;

/// A value to draw for an area: `None` when missing or suppressed, and
/// whether it is of low reliability.
pub type AreaValue = (Option<f64>, bool);

/// The shapes of the areas of every country that has at least one value
/// (the country being the first two letters of the code, as in NUTS), so a
/// map of a few regions shows them in their country rather than alone, or
/// of every area when `whole_countries` is false.
pub fn area_shapes(areas: &[Area], values: &HashMap<&str, AreaValue>, whole_countries: bool) -> Vec<Shape> {
    let countries: BTreeSet<&str> =
        areas.iter().filter(|a| values.contains_key(a.code.as_str())).map(|a| country(&a.code)).collect();
    areas
        .iter()
        .filter(|a| !whole_countries || countries.contains(country(&a.code)))
        .map(|a| {
            let value = values.get(a.code.as_str());
            Shape {
                code: a.code.clone(),
                label: a.name.as_ref().map_or_else(|| a.code.clone(), |n| format!("{n} ({})", a.code)),
                rings: a.polygons.iter().flatten().cloned().collect(),
                value: value.and_then(|v| v.0).filter(|v| v.is_finite()),
                low_reliability: value.is_some_and(|v| v.1),
            }
        })
        .collect()
}

/// The square of a grid cell.
pub fn cell_shape(cell: &CellId, label: String, value: Option<f64>) -> Shape {
    let (e, n, r) = (cell.east as f64, cell.north as f64, f64::from(cell.resolution));
    Shape {
        code: cell.to_string(),
        label,
        rings: vec![vec![(e, n), (e + r, n), (e + r, n + r), (e, n + r)]],
        value: value.filter(|v| v.is_finite()),
        low_reliability: false,
    }
}

/// The country of an area code: its first two letters.
pub fn country(code: &str) -> &str {
    code.get(..2).unwrap_or(code)
}

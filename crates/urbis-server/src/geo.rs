//! Map shapes for the dashboard: areas whose codes are NUTS 2024 codes are
//! drawn with the built-in boundaries (loaded on first use); grid cells from
//! their INSPIRE ids, summed into coarser cells when asked.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use urbis_core::IndicatorRow;
use urbis_geo::geojson::Area;
use urbis_geo::grid::CellId;
use urbis_map::classify::Classes;
use urbis_map::palette::Palette;
use urbis_map::shapes::{area_shapes, cell_shape, AreaValue};

/// The built-in NUTS 2024 boundaries, levels 0 to 3, each read once.
#[derive(Default)]
pub struct Boundaries {
    levels: [OnceLock<Vec<Area>>; 4],
}

impl Boundaries {
    /// The regions of a NUTS level (empty if the built-in file cannot be read).
    pub fn nuts(&self, level: u8) -> &[Area] {
        self.levels[usize::from(level.min(3))].get_or_init(|| urbis_geo::nuts::regions(level).unwrap_or_default())
    }
}

/// The NUTS level of a set of area codes, when every code looks like a NUTS
/// code of the same length (`AT` level 0 … `AT130` level 3).
pub fn nuts_level<'a>(codes: impl IntoIterator<Item = &'a str>) -> Option<u8> {
    let mut level = None;
    for code in codes {
        let ok = (2..=5).contains(&code.len())
            && code.bytes().take(2).all(|b| b.is_ascii_uppercase())
            && code.bytes().all(|b| b.is_ascii_alphanumeric());
        let this = (code.len() - 2) as u8;
        if !ok || level.is_some_and(|l| l != this) {
            return None;
        }
        level = Some(this);
    }
    level
}

/// A choropleth of one row per area, when the areas are NUTS regions; `None`
/// when they are not (districts and other areas without built-in boundaries).
pub fn area_map(boundaries: &Boundaries, rows: &[&IndicatorRow], title: String, legend: String) -> Option<String> {
    let level = nuts_level(rows.iter().map(|r| r.geo.as_str()))?;
    let areas = boundaries.nuts(level);
    let values: HashMap<&str, AreaValue> = rows
        .iter()
        .map(|r| {
            let shown = r.conf_status == "F" && r.estimate.is_finite();
            (r.geo.as_str(), (shown.then_some(r.estimate), r.flag.contains('u')))
        })
        .collect();
    if !areas.iter().any(|a| values.contains_key(a.code.as_str())) {
        return None;
    }
    let shapes = area_shapes(areas, &values, true);
    let diverging = rows.iter().any(|r| r.measure != urbis_core::Measure::Value);
    let palette = if diverging { Palette::Diverging } else { Palette::Sequential };
    let description = format!(
        "Map of {} areas; darker classes hold higher values, hatched areas are of low reliability, patterned areas have no published value.",
        rows.len()
    );
    urbis_map::draw(&shapes, &Classes::Quantiles(5), palette, title, description, legend).ok()
}

/// A grid map of the share of a group in each cell's total, at the cells'
/// own resolution or summed into cells of `scale` metres.
pub fn grid_map(cells: &[(String, f64, f64)], scale: Option<u32>, title: String) -> Result<String, String> {
    let mut sums: BTreeMap<CellId, (f64, f64)> = BTreeMap::new();
    for (id, count, total) in cells {
        let mut cell: CellId = id.parse().map_err(|e| format!("grid cell {id}: {e}"))?;
        if let Some(s) = scale {
            cell = cell.coarsen(s).map_err(|e| format!("grid cell {id}: {e}"))?;
        }
        let entry = sums.entry(cell).or_default();
        entry.0 += count;
        entry.1 += total;
    }
    let shapes: Vec<_> = sums
        .iter()
        .map(|(c, (x, t))| {
            let share = if *t > 0.0 { Some(100.0 * x / t) } else { None };
            cell_shape(c, format!("{c}: {x} of {t}"), share)
        })
        .collect();
    let description = format!("Grid map of {} cells; darker cells hold a higher share.", shapes.len());
    urbis_map::draw(&shapes, &Classes::Quantiles(5), Palette::Sequential, title, description, "share (%)".into())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::nuts_level;

    #[test]
    fn nuts_levels_from_codes() {
        assert_eq!(nuts_level(["AT13", "AT34"]), Some(2));
        assert_eq!(nuts_level(["AT", "DE"]), Some(0));
        assert_eq!(nuts_level(["AT130", "DE212"]), Some(3));
        assert_eq!(nuts_level(["AT13", "AT130"]), None);
        assert_eq!(nuts_level(["AT130_D01"]), None);
        assert_eq!(nuts_level(["DEG1"]), Some(2), "looks like NUTS; it simply matches no region");
    }
}

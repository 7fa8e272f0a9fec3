//! Area boundaries named on the command line: `nuts0` … `nuts3` for the
//! built-in NUTS 2024 regions, or a GeoJSON file joined on a code property.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use urbis_geo::geojson::{read_areas, Area};

/// The areas of `source`; `code_property` names the join property of a
/// GeoJSON file (the built-in NUTS regions use `NUTS_ID`).
pub fn load(source: &str, code_property: &str, name_property: Option<&str>) -> Result<Vec<Area>> {
    if let Some(level) = source.strip_prefix("nuts").and_then(|l| l.parse::<u8>().ok()) {
        return urbis_geo::nuts::regions(level).map_err(|e| anyhow!("{e}"));
    }
    let path = Path::new(source);
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read boundaries {source}"))?;
    let areas = read_areas(&text, source, code_property, name_property).map_err(|e| anyhow!("{e}"))?;
    if areas.is_empty() {
        anyhow::bail!("{source}: no areas");
    }
    Ok(areas)
}

/// A short label for the areas of `source`: `nuts3`, or the file's stem.
pub fn label(source: &str) -> String {
    Path::new(source).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| source.to_string())
}

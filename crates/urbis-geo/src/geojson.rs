//! A small GeoJSON reader for area boundaries (NUTS, LAU, districts, custom
//! areas): `Polygon` and `MultiPolygon` features of a `FeatureCollection`,
//! joined on a code property. Coordinates are longitude/latitude (RFC 7946)
//! and are projected to EPSG:3035, unless the file's legacy `crs` member
//! names EPSG:3035, in which case they are used as they are.

use serde_json::Value;

use crate::projection::forward;
use crate::{GeoError, Result};

/// A ring of (easting, northing) points in EPSG:3035 metres.
pub type Ring = Vec<(f64, f64)>;

/// One area: its code, optional name and polygons (each an outer ring
/// followed by its holes), in EPSG:3035.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub code: String,
    pub name: Option<String>,
    pub polygons: Vec<Vec<Ring>>,
    /// Bounding box: min easting, min northing, max easting, max northing.
    pub bbox: [f64; 4],
}

impl Area {
    /// Whether the point (easting, northing) lies inside (even–odd rule over
    /// all rings, so holes are outside).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        if x < self.bbox[0] || x > self.bbox[2] || y < self.bbox[1] || y > self.bbox[3] {
            return false;
        }
        let mut inside = false;
        for ring in self.polygons.iter().flatten() {
            let mut j = ring.len().wrapping_sub(1);
            for (i, &(xi, yi)) in ring.iter().enumerate() {
                let (xj, yj) = ring[j];
                if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                    inside = !inside;
                }
                j = i;
            }
        }
        inside
    }

    /// Area in square metres (exact for the equal-area projection up to the
    /// straight edges between vertices): outer rings minus holes.
    pub fn area_m2(&self) -> f64 {
        self.polygons
            .iter()
            .map(|rings| {
                rings.iter().enumerate().map(|(k, r)| if k == 0 { shoelace(r) } else { -shoelace(r) }).sum::<f64>()
            })
            .sum()
    }
}

fn shoelace(ring: &[(f64, f64)]) -> f64 {
    let n = ring.len();
    let twice: f64 = (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum();
    (twice / 2.0).abs()
}

/// Reads the areas of a GeoJSON `FeatureCollection`, taking each feature's
/// code from the property `code_property` and its name from `name_property`
/// when given. `source` names the file in errors.
pub fn read_areas(text: &str, source: &str, code_property: &str, name_property: Option<&str>) -> Result<Vec<Area>> {
    let bad = |reason: String| GeoError::GeoJson { file: source.to_string(), reason };
    let root: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let projected =
        root.pointer("/crs/properties/name").and_then(Value::as_str).is_some_and(|name| name.ends_with("3035"));
    let features = root
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("not a FeatureCollection (no 'features' array)".into()))?;
    let mut areas = Vec::with_capacity(features.len());
    for (k, feature) in features.iter().enumerate() {
        let at = |reason: String| bad(format!("feature {}: {reason}", k + 1));
        let props = feature.get("properties").unwrap_or(&Value::Null);
        let code = match props.get(code_property) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(at(format!("no property '{code_property}' to join on"))),
        };
        let name = name_property.and_then(|p| props.get(p)).and_then(Value::as_str).map(String::from);
        let geometry = feature.get("geometry").ok_or_else(|| at("no geometry".into()))?;
        let coords = geometry.get("coordinates").ok_or_else(|| at("geometry without coordinates".into()))?;
        let raw = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![coords],
            Some("MultiPolygon") => coords
                .as_array()
                .ok_or_else(|| at("MultiPolygon coordinates are not an array".into()))?
                .iter()
                .collect(),
            other => return Err(at(format!("geometry type {other:?} is not Polygon or MultiPolygon"))),
        };
        let mut polygons = Vec::with_capacity(raw.len());
        for polygon in raw {
            let rings = polygon.as_array().ok_or_else(|| at("a polygon is not an array of rings".into()))?;
            let rings = rings.iter().map(|r| ring(r, projected)).collect::<Option<Vec<Ring>>>();
            polygons.push(rings.ok_or_else(|| at("a ring is not an array of [x, y] numbers".into()))?);
        }
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for &(x, y) in polygons.iter().flatten().flatten() {
            bbox = [bbox[0].min(x), bbox[1].min(y), bbox[2].max(x), bbox[3].max(y)];
        }
        areas.push(Area { code, name, polygons, bbox });
    }
    Ok(areas)
}

fn ring(value: &Value, projected: bool) -> Option<Ring> {
    value
        .as_array()?
        .iter()
        .map(|p| {
            let (x, y) = (p.get(0)?.as_f64()?, p.get(1)?.as_f64()?);
            Some(if projected { (x, y) } else { forward(x, y) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARES: &str = r#"{"type":"FeatureCollection",
      "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3035"}},
      "features":[
        {"type":"Feature","properties":{"id":"A","name":"Square with a hole"},
         "geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}},
        {"type":"Feature","properties":{"id":7},
         "geometry":{"type":"MultiPolygon","coordinates":[[[[20,0],[30,0],[30,10],[20,0]]]]}}]}"#;

    #[test]
    fn reads_polygons_with_holes_and_multipolygons() {
        let areas = read_areas(SQUARES, "squares.geojson", "id", Some("name")).unwrap();
        assert_eq!(areas[0].code, "A");
        assert_eq!(areas[0].name.as_deref(), Some("Square with a hole"));
        assert_eq!(areas[1].code, "7");
        assert_eq!(areas[0].area_m2(), 96.0);
        assert_eq!(areas[1].area_m2(), 50.0);
        assert!(areas[0].contains(1.0, 1.0) && !areas[0].contains(5.0, 5.0) && !areas[0].contains(11.0, 5.0));
        assert!(areas[1].contains(29.0, 5.0) && !areas[1].contains(21.0, 5.0));
    }

    #[test]
    fn errors_name_the_file_and_feature() {
        let err = read_areas(SQUARES, "squares.geojson", "code", None).unwrap_err().to_string();
        assert_eq!(err, "squares.geojson: feature 1: no property 'code' to join on");
        assert!(read_areas("[1]", "x.geojson", "id", None).unwrap_err().to_string().contains("FeatureCollection"));
    }
}

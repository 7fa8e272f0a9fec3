//! Summing counts of units into larger units (coarser grid cells, areas),
//! and assigning points (grid cell centres) to the areas containing them.

use std::collections::HashMap;
use std::hash::Hash;

use crate::geojson::Area;

/// Buckets per side of the index that [`locate`] builds over the areas' extent.
const BUCKETS: usize = 64;

/// For each point (easting, northing), the index of the first area that
/// contains it, or `None` when no area does. The areas' bounding boxes are
/// put in a uniform grid of buckets, so each point is tested only against
/// the areas whose box covers its bucket.
pub fn locate(points: &[(f64, f64)], areas: &[Area]) -> Vec<Option<usize>> {
    let mut extent = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for a in areas {
        extent =
            [extent[0].min(a.bbox[0]), extent[1].min(a.bbox[1]), extent[2].max(a.bbox[2]), extent[3].max(a.bbox[3])];
    }
    if !extent[0].is_finite() {
        return vec![None; points.len()];
    }
    let size = ((extent[2] - extent[0]).max(extent[3] - extent[1]) / BUCKETS as f64).max(f64::MIN_POSITIVE);
    let bucket = |v: f64, origin: f64| (((v - origin) / size).floor().max(0.0) as usize).min(BUCKETS - 1);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); BUCKETS * BUCKETS];
    for (k, a) in areas.iter().enumerate() {
        for by in bucket(a.bbox[1], extent[1])..=bucket(a.bbox[3], extent[1]) {
            for bx in bucket(a.bbox[0], extent[0])..=bucket(a.bbox[2], extent[0]) {
                buckets[by * BUCKETS + bx].push(k);
            }
        }
    }
    points
        .iter()
        .map(|&(x, y)| {
            if x < extent[0] || x > extent[2] || y < extent[1] || y > extent[3] {
                return None;
            }
            let candidates = &buckets[bucket(y, extent[1]) * BUCKETS + bucket(x, extent[0])];
            candidates.iter().copied().find(|&k| areas[k].contains(x, y))
        })
        .collect()
}

/// Sums each column of `columns` (one value per unit) over the units sharing
/// a key. Keys come out in the order of their first appearance.
pub fn sum_by_key<K: Clone + Eq + Hash>(keys: &[K], columns: &[&[f64]]) -> (Vec<K>, Vec<Vec<f64>>) {
    let mut index: HashMap<&K, usize> = HashMap::new();
    let mut out_keys = Vec::new();
    let mut slot = Vec::with_capacity(keys.len());
    for key in keys {
        let next = out_keys.len();
        let k = *index.entry(key).or_insert_with(|| {
            out_keys.push(key.clone());
            next
        });
        slot.push(k);
    }
    let sums = columns
        .iter()
        .map(|column| {
            let mut s = vec![0.0; out_keys.len()];
            for (&k, v) in slot.iter().zip(column.iter()) {
                s[k] += v;
            }
            s
        })
        .collect();
    (out_keys, sums)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bucket_index_finds_what_a_scan_finds() {
        let regions = crate::nuts::regions(2).unwrap();
        let points: Vec<(f64, f64)> = (0..400)
            .map(|i| (2_600_000.0 + (i % 20) as f64 * 150_000.0, 1_500_000.0 + (i / 20) as f64 * 180_000.0))
            .collect();
        let scanned: Vec<Option<usize>> =
            points.iter().map(|&(x, y)| regions.iter().position(|a| a.contains(x, y))).collect();
        assert_eq!(super::locate(&points, &regions), scanned);
        assert!(scanned.iter().filter(|s| s.is_some()).count() > 50);
    }

    #[test]
    fn cell_centres_fall_in_their_areas() {
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3035"}},"features":[
          {"type":"Feature","properties":{"c":"W"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1000,0],[1000,2000],[0,2000],[0,0]]]}},
          {"type":"Feature","properties":{"c":"E"},"geometry":{"type":"Polygon","coordinates":[[[1000,0],[3000,0],[3000,2000],[1000,2000],[1000,0]]]}}]}"#;
        let areas = crate::geojson::read_areas(text, "t", "c", None).unwrap();
        let cells: Vec<crate::grid::CellId> =
            ["1kmN0E0", "1kmN1E2", "1kmN5E5"].iter().map(|c| c.parse().unwrap()).collect();
        let centres: Vec<(f64, f64)> = cells.iter().map(|c| c.centre()).collect();
        assert_eq!(super::locate(&centres, &areas), [Some(0), Some(1), None]);
    }

    #[test]
    fn sums_in_order_of_first_appearance() {
        let (keys, sums) = super::sum_by_key(&["b", "a", "b"], &[&[1.0, 2.0, 3.0], &[0.5, 0.0, 0.5]]);
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(sums, [vec![4.0, 2.0], vec![1.0, 0.0]]);
    }
}

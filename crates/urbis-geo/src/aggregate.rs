//! Summing counts of units into larger units (coarser grid cells, areas),
//! and assigning points (grid cell centres) to the areas containing them.

use std::collections::HashMap;
use std::hash::Hash;

use crate::geojson::Area;

/// For each point (easting, northing), the index of the first area that
/// contains it, or `None` when no area does.
pub fn locate(points: &[(f64, f64)], areas: &[Area]) -> Vec<Option<usize>> {
    points.iter().map(|&(x, y)| areas.iter().position(|a| a.contains(x, y))).collect()
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

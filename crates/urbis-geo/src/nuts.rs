//! NUTS 2024 regions built in: codes, names, levels and boundaries at
//! 1:20 million (Eurostat GISCO, © EuroGeographics for the administrative
//! boundaries), levels 0–3, from the files in `data/nuts`.

use crate::geojson::{read_areas, Area};
use crate::{GeoError, Result};

const LEVELS: [&str; 4] = [
    include_str!("../data/nuts/NUTS_RG_20M_2024_4326_LEVL_0.geojson"),
    include_str!("../data/nuts/NUTS_RG_20M_2024_4326_LEVL_1.geojson"),
    include_str!("../data/nuts/NUTS_RG_20M_2024_4326_LEVL_2.geojson"),
    include_str!("../data/nuts/NUTS_RG_20M_2024_4326_LEVL_3.geojson"),
];

/// The regions of NUTS level 0 (countries) to 3, projected to EPSG:3035;
/// `code` is `NUTS_ID`, `name` is `NAME_LATN`.
pub fn regions(level: u8) -> Result<Vec<Area>> {
    let text = LEVELS
        .get(usize::from(level))
        .ok_or_else(|| GeoError::Scale(format!("NUTS levels are 0 to 3, not {level}")))?;
    read_areas(text, &format!("built-in NUTS 2024 level {level}"), "NUTS_ID", Some("NAME_LATN"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn level_two_has_its_regions_and_upper_bavaria_holds_munich() {
        let regions = super::regions(2).unwrap();
        assert_eq!(regions.len(), 299);
        let obb = regions.iter().find(|r| r.code == "DE21").unwrap();
        assert_eq!(obb.name.as_deref(), Some("Oberbayern"));
        let (x, y) = crate::projection::forward(11.576, 48.137);
        assert!(obb.contains(x, y));
        let holding: Vec<&str> = regions.iter().filter(|r| r.contains(x, y)).map(|r| r.code.as_str()).collect();
        assert_eq!(holding, ["DE21"]);
        // Oberbayern is 17,530 km²; the 1:20 million outline is coarse.
        let km2 = obb.area_m2() / 1e6;
        assert!((km2 - 17_530.0).abs() < 0.05 * 17_530.0, "{km2}");
        assert!(super::regions(4).is_err());
    }
}

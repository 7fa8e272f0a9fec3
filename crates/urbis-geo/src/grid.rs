//! INSPIRE grid cells (EPSG:3035) as the Eurostat GEOSTAT and national census
//! grids name them.
//!
//! Two spellings are read: the full INSPIRE form
//! `CRS3035RES1000mN2772000E4422000` (lower-left corner in metres) and the
//! short GEOSTAT form `1kmN2772E4422` (corner in units of the resolution:
//! `100mN27720E44220`, `1kmN2772E4422`). Cells are written in the full form.

use std::fmt;
use std::str::FromStr;

use crate::{GeoError, Result};

/// A square grid cell: its size and lower-left corner, in metres of EPSG:3035.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellId {
    /// Side length in metres.
    pub resolution: u32,
    /// Northing of the lower-left corner, metres.
    pub north: i64,
    /// Easting of the lower-left corner, metres.
    pub east: i64,
}

impl CellId {
    /// The cell of the grid of side `scale` metres containing this cell;
    /// `scale` must be a multiple of the cell's resolution.
    // `%` rather than `is_multiple_of`, which needs Rust 1.87 (the workspace declares 1.85).
    #[allow(clippy::manual_is_multiple_of)]
    pub fn coarsen(&self, scale: u32) -> Result<CellId> {
        if scale == 0 || scale % self.resolution != 0 {
            return Err(GeoError::Scale(format!(
                "a {scale} m grid cannot be built from {} m cells: the scale must be a multiple of the cell size",
                self.resolution
            )));
        }
        let s = i64::from(scale);
        Ok(CellId { resolution: scale, north: self.north.div_euclid(s) * s, east: self.east.div_euclid(s) * s })
    }

    /// The cell's centre (easting, northing) in metres.
    pub fn centre(&self) -> (f64, f64) {
        let half = f64::from(self.resolution) / 2.0;
        (self.east as f64 + half, self.north as f64 + half)
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CRS3035RES{}mN{}E{}", self.resolution, self.north, self.east)
    }
}

impl FromStr for CellId {
    type Err = GeoError;

    fn from_str(id: &str) -> Result<CellId> {
        let bad = |reason: &str| GeoError::CellId { id: id.to_string(), reason: reason.to_string() };
        let s = id.trim();
        let (resolution, unit, rest) = if let Some(rest) = s.strip_prefix("CRS3035RES") {
            let (res, rest) = rest.split_once('m').ok_or_else(|| bad("no 'm' after the resolution"))?;
            (number(res).ok_or_else(|| bad("the resolution is not a whole number of metres"))?, 1, rest)
        } else {
            let (res, rest) = if let Some(k) = s.find("km") {
                (number(&s[..k]).map(|r| r * 1000), &s[k + 2..])
            } else if let Some(k) = s.find('m') {
                (number(&s[..k]), &s[k + 1..])
            } else {
                return Err(bad("expected CRS3035RES<size>mN<north>E<east> or <size>kmN<north>E<east>"));
            };
            let res = res.ok_or_else(|| bad("the resolution is not a whole number"))?;
            (res, res, rest)
        };
        if resolution == 0 || resolution > u32::MAX as i64 {
            return Err(bad("the resolution must be positive"));
        }
        let rest = rest.strip_prefix('N').ok_or_else(|| bad("no 'N' before the northing"))?;
        let (north, east) = rest.split_once('E').ok_or_else(|| bad("no 'E' before the easting"))?;
        let north = number(north).ok_or_else(|| bad("the northing is not a whole number"))?;
        let east = number(east).ok_or_else(|| bad("the easting is not a whole number"))?;
        let (north, east) = (
            north.checked_mul(unit).ok_or_else(|| bad("the northing is too large"))?,
            east.checked_mul(unit).ok_or_else(|| bad("the easting is too large"))?,
        );
        if north % resolution != 0 || east % resolution != 0 {
            return Err(bad("the corner is not on the grid of its resolution"));
        }
        Ok(CellId { resolution: resolution as u32, north, east })
    }
}

fn number(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spellings_and_writes_the_full_one() {
        let full: CellId = "CRS3035RES1000mN2772000E4422000".parse().unwrap();
        assert_eq!(full, CellId { resolution: 1000, north: 2_772_000, east: 4_422_000 });
        assert_eq!(full.to_string(), "CRS3035RES1000mN2772000E4422000");
        assert_eq!("1kmN2772E4422".parse::<CellId>().unwrap(), full);
        let small: CellId = "100mN27720E44221".parse().unwrap();
        assert_eq!(small, CellId { resolution: 100, north: 2_772_000, east: 4_422_100 });
        assert_eq!(small.centre(), (4_422_150.0, 2_772_050.0));
    }

    #[test]
    fn coarsens_to_nesting_grids_only() {
        let c: CellId = "CRS3035RES1000mN2773000E4429000".parse().unwrap();
        assert_eq!(c.coarsen(2000).unwrap().to_string(), "CRS3035RES2000mN2772000E4428000");
        assert_eq!(c.coarsen(1000).unwrap(), c);
        assert!(c.coarsen(2500).unwrap_err().to_string().contains("multiple of the cell size"));
    }

    #[test]
    fn rejects_malformed_ids_with_a_reason() {
        for id in ["", "CRS3035RES1000mN27E", "CRS3035RESxmN1E1", "1kmN2772", "CRS3035RES1000mN2772500E4422000", "2772"]
        {
            let err = id.parse::<CellId>().unwrap_err().to_string();
            assert!(err.contains("is not an INSPIRE grid cell id ("), "{id}: {err}");
        }
    }
}

//! Geography for urbis: INSPIRE census grid cells ([`grid`]), the EPSG:3035
//! Lambert azimuthal equal-area projection ([`projection`], no C library),
//! area boundaries from GeoJSON ([`geojson`]), the NUTS 2024 regions built in
//! ([`nuts`]) and the aggregation of counts
//! to coarser grids and to areas ([`aggregate`]).
//!
//! ```
//! use urbis_geo::grid::CellId;
//! let cell: CellId = "CRS3035RES1000mN2772000E4422000".parse().unwrap();
//! assert_eq!(cell.coarsen(5000).unwrap().to_string(), "CRS3035RES5000mN2770000E4420000");
//! ```

pub mod aggregate;
mod error;
pub mod geojson;
pub mod grid;
pub mod nuts;
pub mod projection;

pub use error::{GeoError, Result};

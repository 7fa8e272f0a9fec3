//! Migrant-integration indicators for urbis: a city statistician points a
//! configuration at microdata and gets the EU integration ("Zaragoza")
//! indicators for every migrant group and area level, with design-based
//! uncertainty and the gap of each group to natives.
//!
//! - [`config`]: the TOML project configuration;
//! - [`expr`]: conditions on canonical variables (indicator building blocks);
//! - [`classify`]: EU27_2020, ISO 3166, ISCED and ISCO groupings, group codes;
//! - [`harmonise`]: raw columns and codes to canonical variables, migrant groups;
//! - [`catalogue`]: the built-in indicators;
//! - [`geography`]: area levels from a hierarchy table;
//! - [`area_facts`]: areas' populations and degrees of urbanisation from it;
//! - [`pipeline`]: the run from configuration to indicator table.
//!
//! ```
//! use urbis_indicators::expr::Expr;
//! let band = Expr::parse("age >= 20 and age <= 64").unwrap();
//! assert_eq!(band.variables(), ["age", "age"]);
//! ```

pub mod area_facts;
pub mod catalogue;
pub mod classify;
pub mod config;
pub mod expr;
pub mod geography;
pub mod harmonise;
pub mod pipeline;
pub mod publication;
mod register;
pub mod small_area;

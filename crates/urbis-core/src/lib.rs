//! Domain types shared by every urbis crate. No I/O lives here.
//!
//! - [`frame`]: the in-memory column store that readers fill and estimators
//!   consume (numbers with explicit missing values, and text categories);
//! - [`estimate`]: a published figure with its uncertainty — an estimate never
//!   travels without its standard error, interval, sample size and method;
//! - [`indicator`]: the tidy row of the indicator table that every output format carries;
//! - [`area`]: an area's population and degree of urbanisation, which are no survey figures;
//! - [`dist`]: normal and Student-t distribution functions for intervals and tests.
//!
//! ```
//! use urbis_core::dist::qt;
//! let t = qt(0.975, 10.0);
//! assert!((t - 2.228138851986274).abs() < 1e-12);
//! ```

pub mod area;
pub mod dist;
pub mod estimate;
pub mod frame;
pub mod hash;
pub mod indicator;
pub mod rng;

pub use area::AreaFacts;
pub use estimate::Estimate;
pub use frame::{Column, Frame, TextColumn, MISSING_CODE};
pub use indicator::{IndicatorRow, Measure};

//! Design-based estimation for urbis: declare a survey design once, then
//! estimate totals, means, proportions, ratios, quantiles and EU-SILC poverty
//! and inequality indicators for the whole sample or for domains, each with
//! its standard error, confidence interval, CV, unweighted n and degrees of
//! freedom. Numbers follow R `survey` and `convey` (see docs/methods).
//!
//! ```
//! use urbis_core::{Column, Frame};
//! use urbis_survey::{estimate, Design, LinearSpec, NamedColumn, Options, Statistic};
//!
//! let mut frame = Frame::new("example", 4);
//! frame.push("y", Column::Number(vec![1.0, 2.0, 3.0, 4.0]));
//! frame.push("w", Column::Number(vec![1.0, 1.0, 2.0, 2.0]));
//! let w = frame.column("w").unwrap();
//! let spec = LinearSpec { weights: Some(NamedColumn { name: "w", column: w }), ..Default::default() };
//! let design = Design::linear(frame.n_rows(), &spec).unwrap();
//! let rows = estimate(&frame, &design, &[], &[Statistic::Mean("y".into())], &Options::default()).unwrap();
//! assert!((rows[0].estimate.estimate - 17.0 / 6.0).abs() < 1e-12);
//! ```

mod aggregate;
mod columns;
mod design;
mod domain;
mod error;
mod estimate;
mod grouping;
mod medians;
mod moments;
mod poverty;
mod poverty_cells;
mod quantile;
mod sample;
mod statistic;
mod variance;

pub use design::{Design, DesignSummary, LinearSpec, LonelyPsu, NamedColumn, RepType, ReplicateSpec};
pub use domain::DomainValue;
pub use error::{Result, SurveyError};
pub use estimate::{
    domains_of, estimate, estimate_domain_sets, estimate_domain_sets_within, estimate_domains, estimate_in,
    DomainEstimates, Row, SortedValues,
};
pub use grouping::{cells_of, number_codes, DomainSets, Grouping};
pub use sample::QuantileRule;
pub use statistic::{GiniRule, Options, Statistic};

//! Small-area estimation: reliable figures for areas whose own samples are
//! small, borrowing strength from covariates known for every area.
//!
//! - [`fay_herriot`]: the area-level model of Fay & Herriot (1979) with the
//!   random-effect variance by REML, ML or the moment method, EBLUPs,
//!   synthetic estimates for areas without a sample, and MSEs by Prasad–Rao
//!   (1990) or Datta–Lahiri (2000), all as R `sae` (Molina & Marhuenda 2015).
//! - [`fay_herriot_arcsin`]: the same model for proportions on the arcsine
//!   scale with emdi's bias-corrected back-transformation and bootstrap MSE.
//! - [`ratio_benchmark`]: estimates that add up to the parent area's.
//! - [`battese_harter_fuller`]: the nested-error unit-level model (REML) and
//!   the EBLUPs of area means, as R `sae::eblupBHF`.
//! - [`formula`]: `~ x1 + factor(x2)` formulas and their design matrices.
//!
//! Inputs are validated: bad input is an error naming the row and column,
//! never a panic.
//!
//! ```
//! use urbis_sae::formula::{design, parse, Covariate};
//! use urbis_sae::{fay_herriot, FhMethod, FhOptions};
//! let direct = [1.10, 1.07, 1.11, 0.63, 0.75, 0.98, 1.20, 0.86];
//! let vardir = [0.027, 0.006, 0.007, 0.012, 0.016, 0.012, 0.013, 0.025];
//! let region = Covariate::Number(vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]);
//! let f = parse("~ factor(region)").unwrap();
//! let x = design(&f, direct.len(), |_| Some(&region)).unwrap();
//! let fit = fay_herriot(&direct, &vardir, &x, &FhOptions { method: FhMethod::Reml, ..Default::default() }).unwrap();
//! assert_eq!(fit.coefficients.len(), 2);
//! for area in &fit.areas {
//!     assert!(area.mse > 0.0 && area.gamma > 0.0 && area.gamma < 1.0);
//! }
//! ```

mod arcsin;
mod benchmark;
mod bhf;
pub mod covariates;
mod error;
mod fh;
pub mod formula;
mod integrate;
mod linalg;
mod rng;

pub use arcsin::{arcsin_back, arcsin_transform, fay_herriot_arcsin, ArcsinFit, ArcsinOptions};
pub use benchmark::{ratio_benchmark, weighted_direct_mean};
pub use bhf::{battese_harter_fuller, BhfFit, PopulationArea, UnitAreaEstimate};
pub use error::{Result, SaeError};
pub use fh::{fay_herriot, AreaEstimate, Coefficient, Convergence, FhFit, FhMethod, FhOptions};

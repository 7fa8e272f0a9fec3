//! The Fay–Herriot model for proportions on the arcsine scale, as R emdi's
//! `fh(transformation = "arcsin", backtransformation = "bc", mse_type = "boot")`
//! (Hadam, Würz & Kreutzmann 2020): the direct proportions are transformed
//! to `asin(√p)` with sampling variance `1 / (4 n_eff)`, the model is fitted
//! on that scale, and each EBLUP `μ_d` is brought back with the bias
//! correction `∫₀^{π/2} sin²(t) φ(t; μ_d, A(1-γ_d)) dt` (areas without a
//! sample: `sin²(x'β)`). The MSE is the parametric bootstrap of emdi
//! (González-Manteiga et al. 2008): B populations are drawn from the fitted
//! model, the model is refitted on each, and the MSE is the mean squared
//! difference between the bootstrap estimate and the bootstrap truth
//! `sin²(min(max(x'β + u_d, 0), π/2))`.

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Result, SaeError};
use crate::fh::{fay_herriot, FhFit, FhOptions};
use crate::formula::Design;
use crate::integrate::integrate;
use crate::rng::Rng;

/// Options of [`fay_herriot_arcsin`].
#[derive(Clone, Debug)]
pub struct ArcsinOptions {
    pub fh: FhOptions,
    /// Bootstrap replicates for the MSE (0: no MSE).
    pub bootstrap: usize,
    pub seed: u64,
}

impl Default for ArcsinOptions {
    fn default() -> Self {
        ArcsinOptions { fh: FhOptions::default(), bootstrap: 200, seed: 1 }
    }
}

/// The arcsine model: the fit on the transformed scale, the back-transformed
/// estimates and their bootstrap MSEs (NaN without bootstrap).
#[derive(Clone, Debug, Serialize)]
pub struct ArcsinFit {
    pub transformed: FhFit,
    pub estimates: Vec<f64>,
    pub mse: Vec<f64>,
    /// Bootstrap replicates used, and those redrawn because the refit failed.
    pub replicates: usize,
    pub failed_replicates: usize,
}

/// `asin(√p)`.
pub fn arcsin_transform(p: f64) -> f64 {
    p.sqrt().asin()
}

/// The bias-corrected back-transformation: `∫₀^{π/2} sin²(t) φ(t; μ, σ²) dt`,
/// or `sin²(min(max(μ, 0), π/2))` when `σ² = 0`.
pub fn arcsin_back(mu: f64, var: f64) -> f64 {
    if var <= 0.0 {
        return mu.clamp(0.0, std::f64::consts::FRAC_PI_2).sin().powi(2);
    }
    let sd = var.sqrt();
    let norm = 1.0 / (sd * (2.0 * std::f64::consts::PI).sqrt());
    // Beyond 40 standard deviations the density is below 1e-340; the break
    // points follow the density's shape, clipped to [0, π/2].
    let breaks: Vec<f64> = [-40.0, -10.0, -5.0, -2.5, 0.0, 2.5, 5.0, 10.0, 40.0]
        .iter()
        .map(|z| (mu + sd * z).clamp(0.0, std::f64::consts::FRAC_PI_2))
        .collect();
    integrate(|t| t.sin().powi(2) * norm * (-0.5 * ((t - mu) / sd).powi(2)).exp(), &breaks, 1e-14)
}

/// Point estimates on the original scale from a fit on the arcsine scale.
fn back_transform(fit: &FhFit) -> Vec<f64> {
    fit.areas
        .iter()
        .map(|a| if a.in_sample { arcsin_back(a.eblup, fit.variance * (1.0 - a.gamma)) } else { a.eblup.sin().powi(2) })
        .collect()
}

/// Fits the arcsine model. `direct` are proportions in [0, 1] (NaN: no
/// sample), `n_eff` the effective sample sizes.
pub fn fay_herriot_arcsin(direct: &[f64], n_eff: &[f64], x: &Design, options: &ArcsinOptions) -> Result<ArcsinFit> {
    if n_eff.len() != direct.len() {
        return Err(SaeError::Shape(format!("{} proportions and {} sample sizes", direct.len(), n_eff.len())));
    }
    let mut y = vec![f64::NAN; direct.len()];
    let mut psi = vec![f64::NAN; direct.len()];
    for (i, (&p, &n)) in direct.iter().zip(n_eff).enumerate() {
        if p.is_nan() {
            continue;
        }
        if !(0.0..=1.0).contains(&p) {
            return Err(SaeError::BadValue {
                row: i,
                column: "direct".into(),
                reason: format!("a proportion must lie in [0, 1], not {p}"),
            });
        }
        if !(n.is_finite() && n > 0.0) {
            return Err(SaeError::BadValue {
                row: i,
                column: "n".into(),
                reason: format!("the effective sample size must be a positive number, not {n}"),
            });
        }
        y[i] = arcsin_transform(p);
        psi[i] = 1.0 / (4.0 * n);
    }
    let fit = fay_herriot(&y, &psi, x, &options.fh)?;
    let estimates = back_transform(&fit);
    let (mse, failed) =
        if options.bootstrap > 0 { bootstrap_mse(&fit, &psi, x, options)? } else { (vec![f64::NAN; direct.len()], 0) };
    Ok(ArcsinFit { transformed: fit, estimates, mse, replicates: options.bootstrap, failed_replicates: failed })
}

/// One bootstrap replicate: squared errors per area, or `None` when the refit failed.
fn replicate(fit: &FhFit, psi: &[f64], x: &Design, fh: &FhOptions, rng: &mut Rng) -> Option<Vec<f64>> {
    let sd_u = fit.variance.sqrt();
    let mut truth = Vec::with_capacity(psi.len());
    let mut y = Vec::with_capacity(psi.len());
    for (area, &p) in fit.areas.iter().zip(psi) {
        let theta = area.synthetic + sd_u * rng.normal();
        truth.push(theta.clamp(0.0, std::f64::consts::FRAC_PI_2).sin().powi(2));
        y.push(if area.in_sample { theta + p.sqrt() * rng.normal() } else { f64::NAN });
    }
    let refit = fay_herriot(&y, psi, x, fh).ok()?;
    let est = back_transform(&refit);
    Some(est.iter().zip(&truth).map(|(e, t)| (e - t) * (e - t)).collect())
}

fn bootstrap_mse(fit: &FhFit, psi: &[f64], x: &Design, options: &ArcsinOptions) -> Result<(Vec<f64>, usize)> {
    let b = options.bootstrap;
    // Replicate r draws from its own stream; a failed refit draws again from
    // the next stream of the same replicate (at most 20 times).
    let results: Vec<(Option<Vec<f64>>, usize)> = (0..b as u64)
        .into_par_iter()
        .map(|r| {
            for attempt in 0..20u64 {
                let mut rng = Rng::new(options.seed, r * 20 + attempt);
                if let Some(errors) = replicate(fit, psi, x, &options.fh, &mut rng) {
                    return (Some(errors), attempt as usize);
                }
            }
            (None, 20)
        })
        .collect();
    let mut sum = vec![0.0; psi.len()];
    let mut failed = 0;
    for (errors, fails) in results {
        failed += fails;
        let errors = errors.ok_or_else(|| {
            SaeError::Undefined("the bootstrap refit failed 20 times in a row for one replicate".into())
        })?;
        for (s, e) in sum.iter_mut().zip(errors) {
            *s += e;
        }
    }
    Ok((sum.into_iter().map(|s| s / b as f64).collect(), failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_transformation_is_the_truncated_normal_integral() {
        // Without variance it is the naive inverse.
        assert_eq!(arcsin_back(0.5, 0.0), 0.5f64.sin().powi(2));
        // E[sin²(T)] for T ~ N(μ, σ²) far from the bounds: (1 - e^{-2σ²} cos 2μ) / 2.
        let (mu, var) = (0.7f64, 0.01f64);
        let exact = 0.5 * (1.0 - (-2.0 * var).exp() * (2.0 * mu).cos());
        assert!((arcsin_back(mu, var) - exact).abs() < 1e-12);
    }
}

//! The nested-error unit-level model of Battese, Harter & Fuller (1988):
//! `y_dj = x_dj'β + u_d + e_dj`, `u_d ~ N(0, σ²u)`, `e_dj ~ N(0, σ²e)`, with
//! the variance components by REML, and the EBLUP of each area's population
//! mean as R `sae::eblupBHF`:
//! `f_d ȳ_d + (X̄_d - f_d x̄_d)'β + (1 - f_d) û_d` with `f_d = n_d / N_d`,
//! `û_d = γ_d (ȳ_d - x̄_d'β)` and `γ_d = σ²u / (σ²u + σ²e / n_d)`;
//! areas without a sample get `X̄_d'β`.
//!
//! REML is maximised over the variance ratio `λ = σ²u / σ²e` with `σ²e`
//! profiled out, as lme4 does, using per-area sums only (O(m p²) per
//! evaluation): the root of the criterion's derivative is bracketed and
//! bisected to machine precision, `λ = 0` when the derivative is positive there.

use nalgebra::DMatrix;
use serde::Serialize;

use crate::error::{Result, SaeError};
use crate::fh::Coefficient;
use crate::formula::Design;
use crate::linalg::{check_rank, quad_form, spd_inverse};

/// An area's population: its code's position in the sample's areas is
/// matched by the caller; here, its covariate means and size.
#[derive(Clone, Debug)]
pub struct PopulationArea {
    /// Population means of the design's columns (the intercept's is 1).
    pub means: Vec<f64>,
    /// Population size N_d (NaN or infinite: the sampling fraction is taken as 0).
    pub size: f64,
}

/// One area's estimate.
#[derive(Clone, Debug, Serialize)]
pub struct UnitAreaEstimate {
    /// Sample size.
    pub n: usize,
    /// Sample mean of y (NaN without sample).
    pub sample_mean: f64,
    /// Predicted random effect (0 without sample).
    pub u: f64,
    /// `γ_d = σ²u / (σ²u + σ²e / n_d)`.
    pub gamma: f64,
    /// The synthetic estimate `X̄_d'β`.
    pub synthetic: f64,
    /// The EBLUP of the population mean.
    pub eblup: f64,
}

/// A fitted nested-error model.
#[derive(Clone, Debug, Serialize)]
pub struct BhfFit {
    /// Random-effect variance σ²u.
    pub variance_u: f64,
    /// Unit-level error variance σ²e.
    pub variance_e: f64,
    /// Coefficients with SEs from `σ²e (X'H⁻¹X)⁻¹` (normal p-values).
    pub coefficients: Vec<Coefficient>,
    /// The REML log-likelihood (as lme4's `logLik` of a REML fit).
    pub loglik_reml: f64,
    /// Units and areas with a sample.
    pub n: usize,
    pub areas_sampled: usize,
    /// Evaluations of the REML derivative.
    pub evaluations: usize,
    /// One entry per population area, in the order given.
    pub areas: Vec<UnitAreaEstimate>,
}

/// Per-area sums of the sample.
struct AreaSums {
    n: f64,
    sx: Vec<f64>,
    sy: f64,
}

struct Sums {
    xx: DMatrix<f64>,
    xy: Vec<f64>,
    yy: f64,
    areas: Vec<AreaSums>,
    n: usize,
    p: usize,
}

struct Profile {
    q: DMatrix<f64>,
    beta: Vec<f64>,
    rhr: f64,
    /// Derivative of -2 × REML log-likelihood with respect to λ.
    derivative: f64,
    /// -2 × REML log-likelihood.
    deviance: f64,
}

fn profile(s: &Sums, lambda: f64) -> Result<Profile> {
    let p = s.p;
    let mut xhx = s.xx.clone();
    let mut xhy = s.xy.clone();
    let mut yhy = s.yy;
    let mut log_det_h = 0.0;
    for a in &s.areas {
        let c = lambda / (1.0 + lambda * a.n);
        for i in 0..p {
            for j in 0..p {
                xhx[(i, j)] -= c * a.sx[i] * a.sx[j];
            }
            xhy[i] -= c * a.sx[i] * a.sy;
        }
        yhy -= c * a.sy * a.sy;
        log_det_h += (1.0 + lambda * a.n).ln();
    }
    let chol = xhx.clone().cholesky().ok_or_else(|| SaeError::Singular("X' H⁻¹ X cannot be inverted".into()))?;
    let log_det_xhx = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
    let q = spd_inverse(&xhx).ok_or_else(|| SaeError::Singular("X' H⁻¹ X cannot be inverted".into()))?;
    let beta: Vec<f64> = (0..p).map(|i| (0..p).map(|j| q[(i, j)] * xhy[j]).sum()).collect();
    let rhr = yhy - beta.iter().zip(&xhy).map(|(b, v)| b * v).sum::<f64>();
    let nmp = (s.n - p) as f64;
    let (mut d_rhr, mut d_logdet, mut d_trace) = (0.0, 0.0, 0.0);
    for a in &s.areas {
        let dc = 1.0 / (1.0 + lambda * a.n).powi(2);
        let r1 = a.sy - a.sx.iter().zip(&beta).map(|(x, b)| x * b).sum::<f64>();
        d_rhr -= dc * r1 * r1;
        d_logdet += a.n / (1.0 + lambda * a.n);
        d_trace -= dc * quad_form(&q, &a.sx);
    }
    let derivative = nmp * d_rhr / rhr + d_logdet + d_trace;
    let deviance = nmp * (1.0 + (2.0 * std::f64::consts::PI * rhr / nmp).ln()) + log_det_h + log_det_xhx;
    Ok(Profile { q, beta, rhr, derivative, deviance })
}

/// Fits the model on the sample (`y`, design `x`, `area` = each unit's area
/// index into `population`) and predicts every population area.
pub fn battese_harter_fuller(y: &[f64], x: &Design, area: &[usize], population: &[PopulationArea]) -> Result<BhfFit> {
    let (n, p) = (y.len(), x.cols());
    if x.rows() != n || area.len() != n {
        return Err(SaeError::Shape(format!("{n} responses, {} design rows and {} area codes", x.rows(), area.len())));
    }
    if let Some(row) = y.iter().position(|v| !v.is_finite()) {
        return Err(SaeError::BadValue {
            row,
            column: "response".into(),
            reason: "missing or not a finite number".into(),
        });
    }
    let m = population.len();
    if let Some(row) = area.iter().position(|&d| d >= m) {
        return Err(SaeError::BadValue { row, column: "area".into(), reason: "area without population data".into() });
    }
    for (d, pop) in population.iter().enumerate() {
        if pop.means.len() != p || pop.means.iter().any(|v| !v.is_finite()) {
            return Err(SaeError::BadValue {
                row: d,
                column: "population means".into(),
                reason: format!("needs {p} finite means"),
            });
        }
    }
    if n <= p {
        return Err(SaeError::Undefined(format!("{n} units for {p} coefficients")));
    }
    check_rank(x, "sample units")?;
    let mut sums = Sums {
        xx: DMatrix::zeros(p, p),
        xy: vec![0.0; p],
        yy: 0.0,
        areas: (0..m).map(|_| AreaSums { n: 0.0, sx: vec![0.0; p], sy: 0.0 }).collect(),
        n,
        p,
    };
    for i in 0..n {
        let row = x.row(i);
        let a = &mut sums.areas[area[i]];
        a.n += 1.0;
        a.sy += y[i];
        for j in 0..p {
            a.sx[j] += row[j];
            sums.xy[j] += row[j] * y[i];
            for k in 0..p {
                sums.xx[(j, k)] += row[j] * row[k];
            }
        }
        sums.yy += y[i] * y[i];
    }
    let sampled: Vec<usize> = (0..m).filter(|&d| sums.areas[d].n > 0.0).collect();
    if sampled.len() < 2 {
        return Err(SaeError::Undefined("the unit-level model needs units in at least two areas".into()));
    }
    let all_areas = std::mem::take(&mut sums.areas);
    sums.areas = sampled
        .iter()
        .map(|&d| AreaSums { n: all_areas[d].n, sx: all_areas[d].sx.clone(), sy: all_areas[d].sy })
        .collect();

    // REML: root of the derivative in λ ≥ 0.
    let mut evaluations = 1;
    let mut lambda = 0.0;
    if profile(&sums, 0.0)?.derivative < 0.0 {
        let (mut lo, mut hi) = (0.0, 1.0);
        loop {
            evaluations += 1;
            if profile(&sums, hi)?.derivative >= 0.0 {
                break;
            }
            lo = hi;
            hi *= 4.0;
            if hi > 1e15 {
                return Err(SaeError::Undefined(
                    "the unit-level error variance goes to zero (REML has no interior maximum)".into(),
                ));
            }
        }
        while hi - lo > 4.0 * f64::EPSILON * hi {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            evaluations += 1;
            if profile(&sums, mid)?.derivative < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lambda = 0.5 * (lo + hi);
    }
    let fit = profile(&sums, lambda)?;
    let variance_e = fit.rhr / (n - p) as f64;
    let variance_u = lambda * variance_e;
    let coefficients = x
        .names()
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let se = (variance_e * fit.q[(j, j)]).sqrt();
            let z = fit.beta[j] / se;
            Coefficient {
                name: name.clone(),
                estimate: fit.beta[j],
                std_error: se,
                z_value: z,
                p_value: 2.0 * urbis_core::dist::pnorm(-z.abs()),
            }
        })
        .collect();
    let areas = population
        .iter()
        .zip(&all_areas)
        .map(|(pop, s)| {
            let synthetic: f64 = pop.means.iter().zip(&fit.beta).map(|(x, b)| x * b).sum();
            if s.n == 0.0 {
                return UnitAreaEstimate {
                    n: 0,
                    sample_mean: f64::NAN,
                    u: 0.0,
                    gamma: 0.0,
                    synthetic,
                    eblup: synthetic,
                };
            }
            let ybar = s.sy / s.n;
            let xbar_beta: f64 = s.sx.iter().zip(&fit.beta).map(|(x, b)| x * b).sum::<f64>() / s.n;
            let gamma = lambda * s.n / (1.0 + lambda * s.n);
            let u = gamma * (ybar - xbar_beta);
            let f = if pop.size.is_finite() { s.n / pop.size } else { 0.0 };
            let eblup = f * ybar + synthetic - f * xbar_beta + (1.0 - f) * u;
            UnitAreaEstimate { n: s.n as usize, sample_mean: ybar, u, gamma, synthetic, eblup }
        })
        .collect();
    Ok(BhfFit {
        variance_u,
        variance_e,
        coefficients,
        loglik_reml: -0.5 * fit.deviance,
        n,
        areas_sampled: sampled.len(),
        evaluations,
        areas,
    })
}

//! The Fay–Herriot area-level model (Fay & Herriot 1979):
//! `y_d = x_d'β + u_d + e_d`, `u_d ~ N(0, A)`, `e_d ~ N(0, ψ_d)` with the
//! sampling variances `ψ_d` known. The random-effect variance `A` is
//! estimated by REML, ML or the Fay–Herriot moment method with the
//! Fisher-scoring iterations of R `sae::eblupFH` (start at the median of
//! `ψ_d`, stop when the relative change is below the precision), and the MSE
//! of each EBLUP is that of `sae::mseFH`: Prasad & Rao (1990) for REML and
//! the moment method (with the bias term of the latter), Datta & Lahiri
//! (2000) for ML.
//!
//! Everything is computed in O(m p²) for m areas and p coefficients: the
//! traces of the REML information are expanded so that no m x m matrix is
//! ever formed.

use nalgebra::DMatrix;
use serde::Serialize;

use crate::error::{Result, SaeError};
use crate::formula::Design;
use crate::linalg::{check_rank, crossprod_vec, mat_vec, quad_form, spd_inverse, trace_product, weighted_crossprod};

/// How the random-effect variance is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FhMethod {
    /// Restricted maximum likelihood.
    #[serde(rename = "REML")]
    Reml,
    /// Maximum likelihood.
    #[serde(rename = "ML")]
    Ml,
    /// Fay–Herriot's method of moments.
    #[serde(rename = "FH")]
    Fh,
}

impl FhMethod {
    /// The name R `sae` uses.
    pub fn name(self) -> &'static str {
        match self {
            FhMethod::Reml => "REML",
            FhMethod::Ml => "ML",
            FhMethod::Fh => "FH",
        }
    }
}

/// Options of [`fay_herriot`]; the defaults are those of R `sae::eblupFH`.
#[derive(Clone, Debug)]
pub struct FhOptions {
    pub method: FhMethod,
    /// Maximum number of Fisher-scoring iterations (R: `MAXITER = 100`).
    pub max_iter: usize,
    /// Stop when `|A_{k+1} - A_k| / A_k` falls below this (R: `PRECISION = 1e-4`).
    pub precision: f64,
}

impl Default for FhOptions {
    fn default() -> Self {
        FhOptions { method: FhMethod::Reml, max_iter: 100, precision: 1e-4 }
    }
}

/// One regression coefficient with its standard error and Wald test
/// (normal reference distribution, as R `sae`).
#[derive(Clone, Debug, Serialize)]
pub struct Coefficient {
    pub name: String,
    pub estimate: f64,
    pub std_error: f64,
    pub z_value: f64,
    pub p_value: f64,
}

/// How the variance iteration went.
#[derive(Clone, Debug, Serialize)]
pub struct Convergence {
    /// Fisher-scoring iterations done.
    pub iterations: usize,
    /// The last relative change of the variance.
    pub relative_change: f64,
    /// Whether the variance was set to 0 because the iteration ended below it.
    pub truncated_at_zero: bool,
    /// The variance after each iteration (starting value first).
    pub path: Vec<f64>,
}

/// The estimates for one area.
#[derive(Clone, Debug, Serialize)]
pub struct AreaEstimate {
    /// Direct estimate (NaN when the area has no sample).
    pub direct: f64,
    /// Sampling variance of the direct estimate (NaN when none).
    pub vardir: f64,
    /// Whether the area entered the fit (has a direct estimate).
    pub in_sample: bool,
    /// The synthetic (regression) estimate `x'β`.
    pub synthetic: f64,
    /// The EBLUP; the synthetic estimate for areas without a sample.
    pub eblup: f64,
    /// Its estimated MSE.
    pub mse: f64,
    /// Shrinkage factor `A / (A + ψ_d)`, the weight of the direct estimate (0 without a sample).
    pub gamma: f64,
    /// The MSE's terms: `g1` (leading term), `g2` (estimating β), `g3` (estimating A).
    pub g1: f64,
    pub g2: f64,
    pub g3: f64,
}

/// A fitted Fay–Herriot model.
#[derive(Clone, Debug, Serialize)]
pub struct FhFit {
    pub method: FhMethod,
    /// The random-effect variance A.
    pub variance: f64,
    /// Asymptotic variance of the estimate of A (`2 / Σ 1/(A+ψ)²` for REML and ML,
    /// `2m / (Σ 1/(A+ψ))²` for the moment method).
    pub variance_var: f64,
    pub coefficients: Vec<Coefficient>,
    /// `(X' V⁻¹ X)⁻¹`, the covariance of β, row-major p x p.
    pub cov_beta: Vec<f64>,
    /// Log-likelihood at the estimates (the unrestricted one, whatever the method, as `sae`).
    pub loglik: f64,
    /// `-2 loglik + 2 (p + 1)`.
    pub aic: f64,
    /// `-2 loglik + (p + 1) log m`.
    pub bic: f64,
    /// Areas in the fit.
    pub m: usize,
    /// Coefficients.
    pub p: usize,
    pub convergence: Convergence,
    /// One entry per input area, in input order.
    pub areas: Vec<AreaEstimate>,
}

/// Weighted least squares at a given A: `Q = (X'WX)⁻¹`, β, residuals.
struct Gls {
    w: Vec<f64>,
    q: DMatrix<f64>,
    beta: Vec<f64>,
    resid: Vec<f64>,
}

fn gls(x: &Design, y: &[f64], psi: &[f64], a: f64) -> Result<Gls> {
    let w: Vec<f64> = psi.iter().map(|p| 1.0 / (a + p)).collect();
    if w.iter().any(|w| !w.is_finite() || *w <= 0.0) {
        return Err(SaeError::Undefined(format!(
            "the variance iteration reached A = {a:e}, where A + ψ is not positive for some area"
        )));
    }
    let q = spd_inverse(&weighted_crossprod(x, &w))
        .ok_or_else(|| SaeError::Singular("X' V⁻¹ X cannot be inverted".into()))?;
    let wy: Vec<f64> = w.iter().zip(y).map(|(w, y)| w * y).collect();
    let beta = mat_vec(&q, &crossprod_vec(x, &wy));
    let resid = (0..y.len()).map(|i| y[i] - dot(x.row(i), &beta)).collect();
    Ok(Gls { w, q, beta, resid })
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// One Fisher-scoring step: score and information at `a`.
fn score_information(method: FhMethod, x: &Design, g: &Gls) -> (f64, f64) {
    let m = g.w.len();
    let p = x.cols();
    let sum_w: f64 = g.w.iter().sum();
    let sum_w2: f64 = g.w.iter().map(|w| w * w).sum();
    // Py = V⁻¹ (y - Xβ)
    let py2: f64 = g.w.iter().zip(&g.resid).map(|(w, r)| (w * r) * (w * r)).sum();
    match method {
        FhMethod::Ml => (-0.5 * sum_w + 0.5 * py2, 0.5 * sum_w2),
        FhMethod::Reml => {
            // P = W - W X Q X' W with W = V⁻¹ diagonal:
            // tr P = Σw - tr(Q X'W²X),
            // tr P² = Σw² - 2 tr(Q X'W³X) + tr((Q X'W²X)²).
            let w2: Vec<f64> = g.w.iter().map(|w| w * w).collect();
            let w3: Vec<f64> = g.w.iter().map(|w| w * w * w).collect();
            let qx2 = &g.q * weighted_crossprod(x, &w2);
            let tr_p = sum_w - qx2.trace();
            let tr_pp = sum_w2 - 2.0 * trace_product(&g.q, &weighted_crossprod(x, &w3)) + trace_product(&qx2, &qx2);
            (-0.5 * tr_p + 0.5 * py2, 0.5 * tr_pp)
        }
        FhMethod::Fh => {
            let s: f64 = g.w.iter().zip(&g.resid).map(|(w, r)| r * r * w).sum::<f64>() - (m as f64 - p as f64);
            (s, sum_w)
        }
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Checks the inputs; returns the rows with a direct estimate.
fn validate(direct: &[f64], vardir: &[f64], x: &Design) -> Result<Vec<usize>> {
    let n = direct.len();
    if vardir.len() != n || x.rows() != n {
        return Err(SaeError::Shape(format!(
            "{n} direct estimates, {} sampling variances and {} design rows",
            vardir.len(),
            x.rows()
        )));
    }
    let mut sampled = Vec::with_capacity(n);
    for i in 0..n {
        let (y, v) = (direct[i], vardir[i]);
        if y.is_nan() {
            continue;
        }
        if !y.is_finite() {
            return Err(SaeError::BadValue { row: i, column: "direct".into(), reason: format!("{y} is not finite") });
        }
        if v.is_nan() {
            return Err(SaeError::BadValue {
                row: i,
                column: "vardir".into(),
                reason: "the sampling variance is missing for an area with a direct estimate".into(),
            });
        }
        if !(v.is_finite() && v > 0.0) {
            return Err(SaeError::BadValue {
                row: i,
                column: "vardir".into(),
                reason: format!("the sampling variance must be a positive number, not {v}"),
            });
        }
        sampled.push(i);
    }
    Ok(sampled)
}

/// Fits the Fay–Herriot model and predicts every area: areas whose direct
/// estimate is NaN are left out of the fit and get the synthetic estimate
/// `x'β` with MSE `A + x'(X'V⁻¹X)⁻¹x` (as R `emdi` for out-of-sample areas).
///
/// ```
/// use urbis_sae::{fay_herriot, formula::Design, FhOptions};
/// let x = Design::from_rows(vec!["(Intercept)".into()], 4, vec![1.0; 4]).unwrap();
/// let fit = fay_herriot(&[1.0, 2.0, 4.0, f64::NAN], &[0.5, 0.5, 0.5, f64::NAN], &x, &FhOptions::default()).unwrap();
/// assert!(fit.variance > 0.0);
/// assert_eq!(fit.areas[3].eblup, fit.coefficients[0].estimate);
/// ```
pub fn fay_herriot(direct: &[f64], vardir: &[f64], x: &Design, options: &FhOptions) -> Result<FhFit> {
    let sampled = validate(direct, vardir, x)?;
    let xs = x.select(&sampled);
    let y: Vec<f64> = sampled.iter().map(|&i| direct[i]).collect();
    let psi: Vec<f64> = sampled.iter().map(|&i| vardir[i]).collect();
    let (m, p) = (y.len(), x.cols());
    if m <= p {
        return Err(SaeError::Undefined(format!(
            "{m} areas with a direct estimate for {p} coefficients: the model needs more areas than coefficients"
        )));
    }
    check_rank(&xs, "areas with a direct estimate")?;

    // Fisher scoring as R sae::eblupFH.
    let mut a = median(&psi);
    let mut path = vec![a];
    let mut k = 0;
    let mut change = f64::INFINITY;
    let min_psi = psi.iter().copied().fold(f64::INFINITY, f64::min);
    let mut left_space = false;
    while change > options.precision && k < options.max_iter {
        k += 1;
        let g = gls(&xs, &y, &psi, a)?;
        let (s, f) = score_information(options.method, &xs, &g);
        let next = a + s / f;
        change = ((next - a) / a).abs();
        if !next.is_finite() || change.is_nan() {
            return Err(SaeError::Undefined(format!(
                "the {} iteration for the random-effect variance broke down at iteration {k}",
                options.method.name()
            )));
        }
        a = next;
        path.push(a);
        if a + min_psi <= 0.0 {
            // The step left the parameter space (A + ψ ≤ 0 for some area):
            // the likelihood increases towards A = 0, where the estimate is truncated.
            left_space = true;
            break;
        }
    }
    if !left_space && k >= options.max_iter && change >= options.precision {
        return Err(SaeError::NoConvergence { method: options.method.name(), iterations: k, change });
    }
    let truncated_at_zero = a < 0.0;
    let a = a.max(0.0);

    let g = gls(&xs, &y, &psi, a)?;
    let coefficients = coefficient_table(x.names(), &g);
    let loglik = -0.5
        * psi
            .iter()
            .zip(&g.resid)
            .map(|(p, r)| (2.0 * std::f64::consts::PI * (a + p)).ln() + r * r / (a + p))
            .sum::<f64>();
    let n_par = (p + 1) as f64;
    let aic = -2.0 * loglik + 2.0 * n_par;
    let bic = -2.0 * loglik + n_par * (m as f64).ln();

    // MSE terms (sae::mseFH).
    let sum_w: f64 = g.w.iter().sum();
    let sum_w2: f64 = g.w.iter().map(|w| w * w).sum();
    let (variance_var, bias) = match options.method {
        FhMethod::Reml => (2.0 / sum_w2, 0.0),
        FhMethod::Ml => {
            let w2: Vec<f64> = g.w.iter().map(|w| w * w).collect();
            (2.0 / sum_w2, -trace_product(&g.q, &weighted_crossprod(&xs, &w2)) / sum_w2)
        }
        FhMethod::Fh => {
            let mf = m as f64;
            (2.0 * mf / (sum_w * sum_w), 2.0 * (mf * sum_w2 - sum_w * sum_w) / (sum_w * sum_w * sum_w))
        }
    };
    let mut areas = Vec::with_capacity(direct.len());
    let mut next_sampled = sampled.iter().enumerate().peekable();
    for (i, &vardir_i) in vardir.iter().enumerate() {
        let xi = x.row(i);
        let synthetic = dot(xi, &g.beta);
        let h = quad_form(&g.q, xi);
        let area = match next_sampled.peek() {
            Some(&(j, &row)) if row == i => {
                next_sampled.next();
                let psi_d = psi[j];
                let w = g.w[j];
                let b = psi_d * w;
                let gamma = a * w;
                let g1 = psi_d * (1.0 - b);
                let g2 = b * b * h;
                let g3 = b * b * variance_var * w;
                AreaEstimate {
                    direct: y[j],
                    vardir: psi_d,
                    in_sample: true,
                    synthetic,
                    eblup: synthetic + gamma * g.resid[j],
                    mse: g1 + g2 + 2.0 * g3 - bias * b * b,
                    gamma,
                    g1,
                    g2,
                    g3,
                }
            }
            _ => AreaEstimate {
                direct: f64::NAN,
                vardir: vardir_i,
                in_sample: false,
                synthetic,
                eblup: synthetic,
                mse: a + h,
                gamma: 0.0,
                g1: a,
                g2: h,
                g3: 0.0,
            },
        };
        areas.push(area);
    }
    Ok(FhFit {
        method: options.method,
        variance: a,
        variance_var,
        coefficients,
        cov_beta: g.q.transpose().iter().copied().collect(),
        loglik,
        aic,
        bic,
        m,
        p,
        convergence: Convergence { iterations: k, relative_change: change, truncated_at_zero, path },
        areas,
    })
}

fn coefficient_table(names: &[String], g: &Gls) -> Vec<Coefficient> {
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let se = g.q[(j, j)].sqrt();
            let z = g.beta[j] / se;
            Coefficient {
                name: name.clone(),
                estimate: g.beta[j],
                std_error: se,
                z_value: z,
                p_value: 2.0 * urbis_core::dist::pnorm(-z.abs()),
            }
        })
        .collect()
}

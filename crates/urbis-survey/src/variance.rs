//! Variances from the partial aggregates: the stratified between-PSU formula
//! for linearisation designs (R survey's `svyrecvar`, one stage) and the
//! replicate formula (`svrVar`).

use crate::design::{Linear, LonelyPsu, Replicate};
use crate::error::{Result, SurveyError};

/// Strata whose PSUs all were sampled (sampling fraction 1) contribute nothing.
const CERTAINTY: f64 = 1e-7;

/// Variance of a linearised statistic from its PSU-level scores
/// `(psu, Σ w·z)`, sorted by PSU; PSUs not listed have score 0.
/// `present` lists the strata holding rows of the domain (for `average`).
pub(crate) fn linear_variance(design: &Linear, scores: &[(u32, f64)], present: &[bool]) -> Result<f64> {
    let mut at = 0usize;
    let strata = present.iter().enumerate().filter_map(|(h, &is_present)| {
        let end = design.first_psu[h] + design.n_psu[h];
        let start = at;
        while at < scores.len() && scores[at].0 < end {
            at += 1;
        }
        let z = &scores[start..at];
        debug_assert!(z.iter().all(|(p, _)| *p >= design.first_psu[h]));
        if !is_present {
            return None;
        }
        Some(StratumScores::of(h, design.n_psu[h] as usize, z))
    });
    strata_variance(design, strata)
}

/// One stratum holding rows of a domain: the sum of squares of its PSUs'
/// scores about their mean over all `n_h` PSUs of the stratum (those
/// without rows score 0), and about zero (used for a lonely PSU).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StratumScores {
    pub stratum: usize,
    pub centred: f64,
    pub raw: f64,
}

impl StratumScores {
    /// From the scores `(_, z)` of the PSUs of stratum `stratum` that have
    /// rows; the others of its `n_h` PSUs score 0.
    pub fn of(stratum: usize, n_h: usize, z: &[(u32, f64)]) -> Self {
        let mean = z.iter().map(|(_, v)| v).sum::<f64>() / n_h as f64;
        let centred = z.iter().map(|(_, v)| (v - mean).powi(2)).sum::<f64>() + (n_h - z.len()) as f64 * mean * mean;
        // Centred at zero for a lonely PSU under `adjust`.
        let raw = if n_h == 1 { z.iter().map(|(_, v)| v * v).sum::<f64>() } else { 0.0 };
        StratumScores { stratum, centred, raw }
    }
}

/// The stratified between-PSU variance from the strata holding rows of a
/// domain, in stratum order: `Σ_h (1 − f_h) n_h/(n_h − 1) · centred_h`,
/// with R survey's treatment of certainty strata and lonely PSUs.
pub(crate) fn strata_variance(design: &Linear, present: impl Iterator<Item = StratumScores>) -> Result<f64> {
    let mut total = 0.0;
    let mut n_present = 0usize;
    let mut n_ok = 0usize;
    for s in present {
        let h = s.stratum;
        let n_h = design.n_psu[h] as usize;
        n_present += 1;
        let f = 1.0 - design.fraction[h];
        if f < CERTAINTY {
            n_ok += 1;
            continue;
        }
        if n_h > 1 {
            total += f * n_h as f64 / (n_h as f64 - 1.0) * s.centred;
            n_ok += 1;
            continue;
        }
        match design.lonely_psu {
            LonelyPsu::Fail => {
                return Err(SurveyError::LonelyPsu { stratum: design.stratum_labels[h].clone() });
            }
            LonelyPsu::Remove | LonelyPsu::Certainty => n_ok += 1,
            LonelyPsu::Adjust => {
                // Centred at zero: the scores of a mean or ratio are already
                // deviations from the estimate.
                total += f * s.raw;
                n_ok += 1;
            }
            LonelyPsu::Average => {}
        }
    }
    if n_ok == 0 {
        return Ok(if n_present == 0 { 0.0 } else { f64::NAN });
    }
    Ok(total * n_present as f64 / n_ok as f64)
}

/// Replicate variance `scale · Σ_r c_r (θ_r − centre)²`; replicates whose
/// estimate is undefined (NaN) are left out with their scale.
pub(crate) fn replicate_variance(design: &Replicate, full: f64, thetas: &[f64]) -> f64 {
    let kept = || thetas.iter().zip(&design.rscales).filter(|(t, _)| !t.is_nan());
    let centre = if design.mse {
        full
    } else {
        let (sum, n) = kept().filter(|(_, c)| **c > 0.0).fold((0.0, 0usize), |(s, n), (t, _)| (s + t, n + 1));
        sum / n as f64
    };
    design.scale * kept().map(|(t, c)| c * (t - centre).powi(2)).sum::<f64>()
}

//! Quantiles with Woodruff confidence intervals (R survey's `svyquantile`,
//! `interval.type = "mean"`): the interval for the share of the population at
//! or below the estimated quantile is mapped back through the same quantile rule.

use urbis_core::dist::qt;
use urbis_core::MISSING_CODE;

use crate::domain::{DomainValue, Spread};
use crate::error::Result;
use crate::estimate::{smooth, Context, Form};
use crate::sample::{survey_quantile, Sorted};

/// The rows of each domain with a value of `x`, sorted by it.
pub(crate) fn domain_samples(ctx: &Context, x: &[f64]) -> Vec<Sorted> {
    let codes = &ctx.domains.codes;
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); ctx.n_domains()];
    if let Some((sorted, domains)) = &ctx.presorted {
        // Taking the rows of a stable sort in order keeps each domain sorted
        // exactly as sorting it on its own would.
        let mut sizes = vec![0usize; ctx.n_domains()];
        for &d in domains.iter().filter(|&&d| d != MISSING_CODE) {
            sizes[d as usize] += 1;
        }
        // The weights carried by the shared sort are carried on, in the same way.
        let carried = sorted.carries(ctx.weights());
        let mut out: Vec<Sorted> = sizes
            .iter()
            .map(|&n| Sorted {
                rows: Vec::with_capacity(n),
                x: Vec::with_capacity(n),
                w: Vec::with_capacity(if carried { n } else { 0 }),
                carried_from: if carried { sorted.carried_from } else { 0 },
            })
            .collect();
        for (j, ((&d, &r), &v)) in domains.iter().zip(&sorted.rows).zip(&sorted.x).enumerate() {
            if d != MISSING_CODE {
                let s = &mut out[d as usize];
                s.rows.push(r);
                s.x.push(v);
                if carried {
                    s.w.push(sorted.w[j]);
                }
            }
        }
        return out;
    }
    for (i, &d) in codes.iter().enumerate() {
        if d != MISSING_CODE && !x[i].is_nan() {
            rows[d as usize].push(i as u32);
        }
    }
    use rayon::prelude::*;
    rows.into_par_iter().map(|r| Sorted::new(r, x)).collect()
}

pub(crate) fn quantiles(ctx: &Context, x: &[f64], p: f64) -> Result<Vec<Option<DomainValue>>> {
    let w = ctx.weights();
    let rule = ctx.options.qrule;
    let samples = domain_samples(ctx, x);
    let weights: Vec<std::borrow::Cow<[f64]>> = samples.iter().map(|s| s.weights(w)).collect();
    let qhat: Vec<f64> = samples.iter().zip(&weights).map(|(s, w)| survey_quantile(&s.x, w, p, rule)).collect();
    let codes = &ctx.domains.codes;
    let below = |i: usize, out: &mut [f64]| {
        if x[i].is_nan() {
            return false;
        }
        out[0] = f64::from(u8::from(x[i] <= qhat[codes[i] as usize]));
        out[1] = 1.0;
        true
    };
    let shares = smooth(ctx, 2, &below, &[Form::Ratio(0, 1)], &[1]).remove(0);
    let level = ctx.options.level;
    shares
        .into_iter()
        .enumerate()
        .map(|(d, share)| {
            let Some(share) = share else { return Ok(None) };
            let e = share.finish(ctx.design, level)?;
            let t = qt(1.0 - (1.0 - level) / 2.0, e.df);
            let (p_low, p_high) = (e.estimate - t * e.se, e.estimate + t * e.se);
            let invert = |q: f64| {
                if (0.0..=1.0).contains(&q) {
                    survey_quantile(&samples[d].x, &weights[d], q, rule)
                } else {
                    f64::NAN
                }
            };
            let (low, high) = (invert(p_low), invert(p_high));
            Ok(Some(DomainValue {
                estimate: qhat[d],
                n: share.n,
                pop_size: share.pop_size,
                spread: Spread::Interval { se: (high - low) / (2.0 * t), low, high, df: e.df },
            }))
        })
        .collect()
}

//! The median of every domain twice, from one sorted order and one pass over
//! the data ([`crate::Statistic::Medians`]): as R survey's `svyquantile`
//! with Woodruff's interval (what [`crate::Statistic::Quantile`] at 0.5
//! gives) and with convey's linearisation (what [`crate::Statistic::Median`]
//! gives, combinable in gaps and ratios). Both need, per (PSU, domain), the
//! weight at or below the domain's median by each rule and the weight in
//! all, so one pass sums those three; the domains' order, sums and quantile
//! searches are shared too.

use urbis_core::MISSING_CODE;

use crate::aggregate::psu_totals;
use crate::design::Kind;
use crate::domain::{DomainValue, LinearDomains};
use crate::error::Result;
use crate::estimate::{Context, Form, Outputs};
use crate::poverty::{arpt, medians as convey_medians};
use crate::quantile::{quantiles, woodruff, Quantiles};
use crate::sample::QuantileRule;

/// Woodruff's and the linearised median of every domain of the context,
/// labelled `VAR:0.5` and `VAR` (the labels of `Quantile` and `Median`).
pub(crate) fn medians(ctx: &Context, x: &[f64], variable: &str) -> Result<Outputs> {
    let labels = (format!("{variable}:0.5"), variable.to_string());
    let Kind::Linear(lin) = &ctx.design.kind else {
        return Ok(vec![(labels.0, quantiles(ctx, x, 0.5)?), (labels.1, arpt(ctx, x, 1.0))]);
    };
    if ctx.options.qrule != QuantileRule::Math {
        return Ok(vec![(labels.0, quantiles(ctx, x, 0.5)?), (labels.1, arpt(ctx, x, 1.0))]);
    }
    let found = Quantiles::new(ctx, x);
    let Quantiles::Order(order, sums) = &found else { unreachable!("the math rule walks the order") };
    let nd = ctx.n_domains();
    let qhat = order.math_quantiles(sums, &[&vec![0.5; nd]]).remove(0);
    let linearised = convey_medians(order, sums);
    let q_convey: Vec<f64> = linearised.iter().map(|m| m.map_or(f64::NAN, |m| m.q)).collect();

    // Per (PSU, domain): weight at or below each median, and in all.
    let codes = &ctx.domains.codes;
    let row = |i: usize, out: &mut [f64]| {
        let d = codes[i];
        if x[i].is_nan() || d == MISSING_CODE {
            return false;
        }
        out[0] = f64::from(u8::from(x[i] <= qhat[d as usize]));
        out[1] = f64::from(u8::from(x[i] <= q_convey[d as usize]));
        out[2] = 1.0;
        true
    };
    let (cells, _) = ctx.cells();
    let totals = psu_totals(lin, ctx.weights(), &cells, nd, 3, &row);
    let domains = LinearDomains::new(lin, &totals);

    let mut shares = Vec::with_capacity(nd);
    let mut linear = Vec::with_capacity(nd);
    for d in 0..nd {
        if domains.is_empty(d) {
            shares.push(None);
            linear.push(None);
            continue;
        }
        let t = domains.total(d);
        // The share at or below Woodruff's median, a ratio of totals.
        let share = Form::Ratio(0, 2);
        shares.push(Some(DomainValue {
            estimate: share.value(&t),
            n: domains.n(d),
            pop_size: t[2],
            spread: domains.spread(d, |s| share.score(&t, s)),
        }));
        // convey's influence −(1(x ≤ q) − ½)/(N f̂(q)), summed per PSU.
        linear.push(linearised[d].map(|m| DomainValue {
            estimate: m.q,
            n: sums[d].positive,
            pop_size: sums[d].total,
            spread: domains.spread(d, |s| -(s[1] - 0.5 * s[2]) / (m.n * m.f)),
        }));
    }
    drop(totals);
    Ok(vec![(labels.0, woodruff(ctx, &found, &qhat, shares)?), (labels.1, linear)])
}

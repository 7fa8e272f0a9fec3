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
use crate::poverty::{arpt, Median};
use crate::quantile::{quantiles, Order, WoodruffTargets};
use crate::sample::{bandwidth_of, QuantileRule};

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
    let order = Order::of_domains(ctx, x);
    let sums = order.sums();
    let nd = ctx.n_domains();
    let (qhat, q_convey) = order.both_medians(&sums);

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

    // Woodruff: the share at or below the median, a ratio of totals, and
    // the probabilities of its interval's bounds.
    let share = Form::Ratio(0, 2);
    let shares = (0..nd)
        .map(|d| {
            (!domains.is_empty(d)).then(|| {
                let t = domains.total(d);
                DomainValue {
                    estimate: share.value(&t),
                    n: domains.n(d),
                    pop_size: t[2],
                    spread: domains.spread(d, |s| share.score(&t, s)),
                }
            })
        })
        .collect();
    let targets = WoodruffTargets::new(ctx, shares)?;
    let (low, high) = targets.probabilities();
    // One walk: the kernel density at convey's median (with the domain's
    // bandwidth) and the bounds' quantiles.
    let (n, h): (Vec<f64>, Vec<f64>) = sums.iter().map(|s| bandwidth_of(s.total, s.wx, s.wxx)).unzip();
    let (at, mut bounds) = order.at_and_quantiles(&q_convey, &h, &sums, &[&low, &high]);
    drop(order);
    let highs = bounds.pop().expect("two lists");
    let lows = bounds.pop().expect("two lists");

    // convey's influence −(1(x ≤ q) − ½)/(N f̂(q)), summed per PSU.
    let linear = (0..nd)
        .map(|d| {
            (sums[d].rows > 0 && !domains.is_empty(d)).then(|| {
                let m = Median { q: q_convey[d], n: n[d], f: at[d].kernel / (n[d] * h[d]) };
                DomainValue {
                    estimate: m.q,
                    n: sums[d].positive,
                    pop_size: sums[d].total,
                    spread: domains.spread(d, |s| -(s[1] - 0.5 * s[2]) / (m.n * m.f)),
                }
            })
        })
        .collect();
    Ok(vec![(labels.0, targets.values(&qhat, &lows, &highs)), (labels.1, linear)])
}

//! The median of every domain twice, from one sorted order and one pass over
//! the data ([`crate::Statistic::Medians`]): as R survey's `svyquantile`
//! with Woodruff's interval (what [`crate::Statistic::Quantile`] at 0.5
//! gives) and with convey's linearisation (what [`crate::Statistic::Median`]
//! gives, combinable in gaps and ratios). Both need, per (PSU, domain), the
//! weight at or below the domain's median by each rule and the weight in
//! all, so one pass sums those three; the domains' order, sums and quantile
//! searches are shared too.

use rayon::prelude::*;
use urbis_core::MISSING_CODE;

use crate::aggregate::{psu_totals, psu_totals_per_domain, PsuTotals};
use crate::design::{Design, Kind, Linear};
use crate::domain::{DomainValue, LinearDomains};
use crate::error::Result;
use crate::estimate::{Context, Form, Outputs};
use crate::grouping::DomainSets;
use crate::poverty::{arpt, Median};
use crate::quantile::{bandwidths, quantiles, Order, WoodruffTargets};
use crate::sample::{QuantileRule, Sorted};

/// Woodruff's and the linearised median of every domain of the context,
/// labelled `VAR:0.5` and `VAR` (the labels of `Quantile` and `Median`).
pub(crate) fn medians(ctx: &Context, x: &[f64], variable: &str) -> Result<Outputs> {
    let labels = labels(variable);
    // One pass needs a linearisation design and the `math` rule.
    let (Kind::Linear(lin), QuantileRule::Math) = (&ctx.design.kind, ctx.options.qrule) else {
        return Ok(vec![(labels.0, quantiles(ctx, x, 0.5)?), (labels.1, arpt(ctx, x, 1.0))]);
    };
    let codes = &ctx.domains.codes;
    let (cells, _) = ctx.cells();
    let order = Order::of_domains(ctx, x);
    let (woodruff, linear) = both(ctx.design, lin, ctx.options.level, order, |qhat, q_convey| {
        psu_totals(lin, ctx.weights(), &cells, ctx.n_domains(), 3, &|i: usize, out: &mut [f64]| {
            let d = codes[i];
            !x[i].is_nan() && d != MISSING_CODE && below(x[i], qhat[d as usize], q_convey[d as usize], out)
        })
    })?;
    Ok(vec![(labels.0, woodruff), (labels.1, linear)])
}

/// The labels of Woodruff's and the linearised medians of `variable`.
fn labels(variable: &str) -> (String, String) {
    (format!("{variable}:0.5"), variable.to_string())
}

/// A row's values in the pass: at or below each median, and 1.
fn below(x: f64, qhat: f64, q_convey: f64, out: &mut [f64]) -> bool {
    out[0] = f64::from(u8::from(x <= qhat));
    out[1] = f64::from(u8::from(x <= q_convey));
    out[2] = 1.0;
    true
}

/// Sets whose medians are found in one walk over the sorted values and one
/// pass over the data (their (PSU, domain) sums held at once: four sets
/// were 1 s faster at 10M persons but held 0.2 GB more).
const SETS_TOGETHER: usize = 2;

/// [`medians`] of every set of domains over cells at once, for a
/// linearisation design and R survey's `math` rule: the sets are taken a
/// few at a time, each group walking the shared sort once per step (the
/// rows' domains read from their cells) and passing over the data once.
/// The numbers are those of [`medians`] set by set. Per set, the outputs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn medians_over_cells(
    design: &Design,
    lin: &Linear,
    sets: &DomainSets,
    level: f64,
    x: &[f64],
    variable: &str,
    sorted: &Sorted,
    sorted_cells: &[u32],
) -> Result<Vec<Outputs>> {
    let (cells, n_domains) = sets.cells();
    let groups: Vec<Result<Vec<Outputs>>> = cells
        .groups(n_domains, SETS_TOGETHER)
        .into_par_iter()
        .map(|group| {
            let n_domains = group.n_domains();
            let order = Order::over_cells(sorted, sorted_cells, group.cells.sets.clone(), n_domains);
            let (woodruff, linear) = both(design, lin, level, order, |qhat, q_convey| {
                psu_totals_per_domain(lin, design.weights(), &group.cells, n_domains, 3, &|i, d, out| {
                    !x[i].is_nan() && below(x[i], qhat[d], q_convey[d], out)
                })
            })?;
            // Back to one list per set.
            let (mut woodruff, mut linear) = (woodruff.into_iter(), linear.into_iter());
            let labels = labels(variable);
            Ok(group
                .sizes
                .iter()
                .map(|&n| {
                    vec![
                        (labels.0.clone(), woodruff.by_ref().take(n).collect()),
                        (labels.1.clone(), linear.by_ref().take(n).collect()),
                    ]
                })
                .collect())
        })
        .collect();
    Ok(groups.into_iter().collect::<Result<Vec<_>>>()?.into_iter().flatten().collect())
}

/// Per domain, a value (`None`: no row).
type Values = Vec<Option<DomainValue>>;

/// Both medians of every domain of `order`: one walk for both searches, one
/// pass (`pass(qhat, q_convey)`, the (PSU, domain) sums of [`below`]), one
/// walk for the kernel densities and Woodruff's bounds.
fn both(
    design: &Design,
    lin: &Linear,
    level: f64,
    order: Order,
    pass: impl FnOnce(&[f64], &[f64]) -> PsuTotals,
) -> Result<(Values, Values)> {
    let sums = order.sums();
    let nd = order.n_domains();
    let (qhat, q_convey) = order.both_medians(&sums);
    let totals = pass(&qhat, &q_convey);
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
    let targets = WoodruffTargets::new(design, level, shares)?;
    let (low, high) = targets.probabilities();
    // One walk: the kernel density at convey's median (with the domain's
    // bandwidth) and the bounds' quantiles.
    let (n, h) = bandwidths(&sums);
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
    Ok((targets.values(&qhat, &lows, &highs), linear))
}

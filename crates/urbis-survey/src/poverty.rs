//! Poverty and inequality as in EU-SILC, with R convey's linearisation
//! (Osier 2009; Deville 1999) for linearisation designs and recomputation per
//! replicate for replicate designs.
//!
//! The poverty threshold always comes from the whole population, also when
//! the rate is estimated for a domain.

use std::sync::Arc;

use rayon::prelude::*;
use urbis_core::MISSING_CODE;

use crate::aggregate::{psu_totals, Cells};
use crate::design::{Design, Kind};
use crate::domain::{DomainValue, LinearDomains, Spread};
use crate::error::{Result, SurveyError};
use crate::estimate::Context;
use crate::quantile::{bandwidths, domain_samples, DomainSums, Order};
use crate::sample::{bandwidth, convey_quantile, cumulative, density, density_weighted_x, Sorted};
use crate::statistic::GiniRule;

/// A domain's sorted values with the weights of one replicate (or the full sample).
struct Weighted<'a> {
    x: &'a [f64],
    w: std::borrow::Cow<'a, [f64]>,
}

impl<'a> Weighted<'a> {
    fn new(s: &'a Sorted, weights: &[f64]) -> Self {
        Weighted { x: &s.x, w: s.weights(weights) }
    }

    fn total(&self) -> f64 {
        self.w.iter().sum()
    }

    fn median(&self) -> f64 {
        convey_quantile(self.x, &self.w, 0.5)
    }

    /// Weighted share of values at or below `t`.
    fn share_below(&self, t: f64) -> f64 {
        let below: f64 = self.x.iter().zip(self.w.iter()).filter(|(x, _)| **x <= t).map(|(_, w)| w).sum();
        below / self.total()
    }
}

/// Inputs of one poverty statistic: each whole population (one, unless the
/// context names populations such as survey years or countries) and each
/// domain with the population it lies in.
struct Samples {
    full: Vec<Sorted>,
    domains: Vec<Sorted>,
    population_of: Vec<u32>,
}

/// A domain that spans several populations has no population.
pub(crate) const NO_POPULATION: u32 = u32::MAX;

fn samples(ctx: &Context, x: &[f64]) -> Samples {
    let domains = domain_samples(ctx, x);
    let population_of = populations_of(ctx, &domains);
    Samples { full: full_samples(ctx, x), domains, population_of }
}

/// The whole populations' values, each sorted.
fn full_samples(ctx: &Context, x: &[f64]) -> Vec<Sorted> {
    let all = match &ctx.presorted {
        Some((sorted, _)) => (*sorted).clone(),
        None => Sorted::new((0..x.len() as u32).filter(|&i| !x[i as usize].is_nan()).collect(), x),
    };
    let Some(populations) = ctx.populations else { return vec![all] };
    // Taking the rows of a stable sort in order keeps each population sorted.
    let mut out = vec![Sorted::default(); populations.len()];
    let carried = all.carries(ctx.weights());
    for (j, (&r, &v)) in all.rows.iter().zip(&all.x).enumerate() {
        let p = populations.codes[r as usize];
        if p != MISSING_CODE {
            out[p as usize].rows.push(r);
            out[p as usize].x.push(v);
            if carried {
                out[p as usize].w.push(all.w[j]);
            }
        }
    }
    if carried {
        out.iter_mut().for_each(|s| s.carried_from = all.carried_from);
    }
    out
}

/// The population of each domain (all its rows in one), or [`NO_POPULATION`].
fn populations_of(ctx: &Context, domains: &[Sorted]) -> Vec<u32> {
    let Some(populations) = ctx.populations else { return vec![0; domains.len()] };
    domains
        .iter()
        .map(|d| {
            let seen = d.rows.iter().fold(UNSEEN, |seen, &r| join_population(seen, populations.codes[r as usize]));
            if seen == UNSEEN {
                NO_POPULATION
            } else {
                seen
            }
        })
        .collect()
}

/// [`populations_of`] the domains of an order, in one pass over it.
fn populations_in_order(ctx: &Context, order: &Order) -> Vec<u32> {
    let Some(populations) = ctx.populations else { return vec![0; order.n_domains()] };
    let mut seen = vec![UNSEEN; order.n_domains()];
    match sorted_populations(ctx) {
        // The order is the shared sort: its rows' populations read in order.
        Some(codes) => order.each_position(|d, j| seen[d] = join_population(seen[d], codes[j])),
        None => order.each_row(|d, r| seen[d] = join_population(seen[d], populations.codes[r as usize])),
    }
    seen.iter().map(|&p| if p == UNSEEN { NO_POPULATION } else { p }).collect()
}

/// The population of each row of the shared sort, in its order, looked up
/// once per estimation for every set (`None` without a shared sort or
/// populations).
fn sorted_populations<'c>(ctx: &Context<'c>) -> Option<&'c [u32]> {
    let (shared, sorted, populations) = (ctx.shared?, ctx.presorted.as_ref()?.0, ctx.populations?);
    Some(shared.sorted_populations.get_or_init(|| sorted.rows.iter().map(|&r| populations.codes[r as usize]).collect()))
}

/// The population of no row yet.
pub(crate) const UNSEEN: u32 = u32::MAX - 1;

/// The population of a domain's rows so far (`seen`), one more row being in `code`.
pub(crate) fn join_population(seen: u32, code: u32) -> u32 {
    match seen {
        _ if code == MISSING_CODE => NO_POPULATION,
        UNSEEN => code,
        _ if seen == code => seen,
        _ => NO_POPULATION,
    }
}

thread_local! {
    /// Row-sized scratch vectors kept by each thread during one estimation
    /// ([`release_scratch`] frees them): a fresh one for every set of
    /// domains would be mapped from the kernel page by page each time.
    static SPARE: std::cell::RefCell<Vec<Vec<f64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A row-sized vector of NaN, taken from this thread's spare vectors and
/// given back when dropped.
struct RowScratch(Vec<f64>);

impl RowScratch {
    fn nan(n: usize) -> Self {
        let mut v = SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_default();
        v.clear();
        v.resize(n, f64::NAN);
        RowScratch(v)
    }
}

impl Drop for RowScratch {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        SPARE.with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < 2 {
                s.push(v);
            }
        });
    }
}

impl std::ops::Deref for RowScratch {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.0
    }
}

impl std::ops::DerefMut for RowScratch {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.0
    }
}

/// Frees the spare scratch vectors of every thread (at the end of an estimation).
pub(crate) fn release_scratch() {
    SPARE.with(|s| s.borrow_mut().clear());
    rayon::broadcast(|_| SPARE.with(|s| s.borrow_mut().clear()));
}

/// The weight vectors of the design: full sample first, then each replicate.
fn weight_sets(design: &Design) -> Vec<&[f64]> {
    let mut sets: Vec<&[f64]> = vec![&design.weights];
    if let Kind::Replicate(r) = &design.kind {
        sets.extend(r.columns.iter().map(Vec::as_slice));
    }
    sets
}

/// Per-domain values for replicate designs: the statistic recomputed with
/// every replicate's weights.
fn by_replicate(
    ctx: &Context,
    s: &Samples,
    full_df: bool,
    value: impl Fn(&Weighted, &Weighted) -> f64 + Sync,
) -> Vec<Option<DomainValue>> {
    let sets = weight_sets(ctx.design);
    let per_rep: Vec<Vec<f64>> = sets
        .par_iter()
        .map(|w| {
            let fulls: Vec<Weighted> = s.full.iter().map(|f| Weighted::new(f, w)).collect();
            s.domains
                .iter()
                .zip(&s.population_of)
                .map(|(d, &p)| match fulls.get(p as usize) {
                    Some(full) => value(&Weighted::new(d, w), full),
                    None => f64::NAN,
                })
                .collect()
        })
        .collect();
    let (dfs, whole) = ctx.replicate_df.as_ref().expect("replicate design has df");
    s.domains
        .iter()
        .enumerate()
        .map(|(d, sample)| {
            (sample.len() > 0 && s.population_of[d] != NO_POPULATION).then(|| {
                let (n, pop_size) = size(sample, ctx.weights());
                DomainValue {
                    estimate: per_rep[0][d],
                    n,
                    pop_size,
                    spread: Spread::Replicate {
                        thetas: per_rep[1..].iter().map(|v| v[d]).collect(),
                        df: if full_df { *whole } else { dfs[d] },
                    },
                }
            })
        })
        .collect()
}

/// Rows with a positive weight and the weight total of a sample, in one pass
/// (the total summed in the same order, from the same −0, as [`Weighted::total`]).
fn size(s: &Sorted, w: &[f64]) -> (u64, f64) {
    s.weights(w).iter().fold((0, -0.0), |(n, total), &wi| (n + u64::from(wi > 0.0), total + wi))
}

/// Linearised spreads per domain from row-level influence values
/// (`influence(row)`, only asked for rows in a domain of `codes`; `None`
/// marks rows that do not contribute, while an undefined influence, NaN,
/// contributes and makes the variance undefined); the engine weights them.
fn domain_spreads(
    ctx: &Context,
    codes: &[u32],
    nd: usize,
    influence: impl Fn(usize) -> Option<f64> + Sync,
) -> Vec<Spread> {
    let Kind::Linear(lin) = &ctx.design.kind else { unreachable!("linearisation only") };
    let row = |i: usize, out: &mut [f64]| match influence(i) {
        Some(v) => {
            out[0] = v;
            true
        }
        None => false,
    };
    let totals =
        psu_totals(lin, ctx.weights(), &Cells { fine: None, sets: vec![(codes, 0)], regions: None }, nd, 1, &row);
    let domains = LinearDomains::new(lin, &totals);
    (0..nd).map(|d| domains.spread(d, |s| s[0])).collect()
}

/// The influence values of a statistic defined per domain by `params` (`None`:
/// no estimate), a function `of(value, params)` of the row's value; rows
/// without a value do not contribute.
fn per_domain<'p, P: Sync>(
    x: &'p [f64],
    codes: &'p [u32],
    params: &'p [Option<P>],
    of: impl Fn(f64, &P) -> f64 + Sync + 'p,
) -> impl Fn(usize) -> Option<f64> + Sync + 'p {
    move |i| match &params[codes[i] as usize] {
        Some(p) if !x[i].is_nan() => Some(of(x[i], p)),
        _ => None,
    }
}

/// A domain's median `q` with the pieces of its influence values, from the
/// sorted order: N = Σw and the kernel density f̂(q).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Median {
    pub q: f64,
    pub n: f64,
    pub f: f64,
}

impl Median {
    /// Influence value of the median for a row with value `x`,
    /// −(1(x ≤ q) − 1/2) / (N f̂(q)).
    pub fn influence(&self, x: f64) -> f64 {
        -(indicator(x <= self.q) - 0.5) / (self.n * self.f)
    }
}

/// The median of each domain of an order with non-empty `sums` (`None` for the others).
fn medians(order: &Order, sums: &[DomainSums]) -> Vec<Option<Median>> {
    let totals: Vec<f64> = sums.iter().map(|s| s.cumulative.value()).collect();
    let q = order.convey_quantiles(sums, &totals, 0.5, None);
    let (n, h) = bandwidths(sums);
    let at = order.at(&q, &h);
    (0..sums.len())
        .map(|d| (sums[d].rows > 0).then(|| Median { q: q[d], n: n[d], f: at[d].kernel / (n[d] * h[d]) }))
        .collect()
}

fn indicator(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// `A_d + c_d · B`: a domain part plus a multiple of a whole-population part
/// (shared, not copied).
fn combine(a: Spread, c: f64, b: &Arc<Spread>) -> Spread {
    match a {
        Spread::Linear { scores, .. } => Spread::Combined { own: scores, c, base: Arc::clone(b), scale: 1.0 },
        _ => unreachable!("linear spreads"),
    }
}

/// Assembles domain values from point estimates and spreads; `sizes` gives
/// each domain's rows with a positive weight and weight total (`None`: no row).
fn assemble(sizes: Vec<Option<(u64, f64)>>, estimates: &[f64], spreads: Vec<Spread>) -> Vec<Option<DomainValue>> {
    sizes
        .into_iter()
        .zip(estimates)
        .zip(spreads)
        .map(|((size, &estimate), spread)| size.map(|(n, pop_size)| DomainValue { estimate, n, pop_size, spread }))
        .collect()
}

/// [`assemble`]'s sizes of domain samples.
fn sample_sizes(ctx: &Context, domains: &[Sorted]) -> Vec<Option<(u64, f64)>> {
    domains.iter().map(|s| (s.len() > 0).then(|| size(s, ctx.weights()))).collect()
}

/// [`assemble`]'s sizes from the sums over an order.
fn order_sizes(sums: &[DomainSums]) -> Vec<Option<(u64, f64)>> {
    sums.iter().map(|s| (s.rows > 0).then_some((s.positive, s.total))).collect()
}

/// At-risk-of-poverty rate (convey's `svyarpr`): share of the domain at or
/// below `share ×` the median of the whole population.
pub(crate) fn arpr(ctx: &Context, x: &[f64]) -> Vec<Option<DomainValue>> {
    let share = ctx.options.poverty_share;
    let value = |d: &Weighted, full: &Weighted| d.share_below(share * full.median());
    if ctx.design.is_replicate() {
        return by_replicate(ctx, &samples(ctx, x), true, value);
    }
    // Per domain: the threshold t, the rate and N.
    with_population_median(
        ctx,
        x,
        share,
        |order, sums, t| {
            let (n, h) = bandwidths(sums);
            let at = order.at(t, &h);
            (0..sums.len())
                .map(|d| {
                    let rate = at[d].below / sums[d].total;
                    (rate, at[d].kernel / (n[d] * h[d]), (t[d], rate, n[d]))
                })
                .collect()
        },
        |x, &(t, rate, n)| (indicator(x <= t) - rate) / n,
    )
}

/// A domain's estimate, the coefficient of the influence of the population
/// part, and the parameters of its own influence values.
type DomainPart<P> = (f64, f64, P);

/// Linearisation of statistics that depend on the whole population's median
/// `m` through `c = scale · m` (the poverty threshold, or the median itself):
/// `domain(order, sums, c)` gives, for each domain (`c[d]` being its
/// population's, NaN where it has none), the estimate, the coefficient of the
/// influence of `c`, and the parameters of the domain part of the influence
/// values, which `influence(value, parameters)` gives for each row.
fn with_population_median<P: Sync>(
    ctx: &Context,
    x: &[f64],
    scale: f64,
    domain: impl FnOnce(&Order, &[DomainSums], &[f64]) -> Vec<DomainPart<P>>,
    influence: impl Fn(f64, &P) -> f64 + Sync,
) -> Vec<Option<DomainValue>> {
    let own_part;
    let (thresholds, whole) = match ctx.shared {
        Some(shared) => shared.population.get_or_init(|| population_part(ctx, x, scale)),
        None => {
            own_part = population_part(ctx, x, scale);
            &own_part
        }
    };
    let order = Order::of_domains(ctx, x);
    let sums = order.sums();
    let population_of = populations_in_order(ctx, &order);
    let c: Vec<f64> = population_of.iter().map(|&p| thresholds.get(p as usize).copied().unwrap_or(f64::NAN)).collect();
    let parts = domain(&order, &sums, &c);
    drop(order);
    let (mut estimates, mut slopes, mut params) = (Vec::new(), Vec::new(), Vec::new());
    for ((estimate, slope, p), (s, &population)) in parts.into_iter().zip(sums.iter().zip(&population_of)) {
        let kept = s.rows > 0 && population != NO_POPULATION;
        estimates.push(if kept { estimate } else { f64::NAN });
        slopes.push(if kept { slope } else { 0.0 });
        params.push(kept.then_some(p));
    }
    let codes = &ctx.domains.codes;
    let spreads = domain_spreads(ctx, codes, ctx.n_domains(), per_domain(x, codes, &params, influence));
    let spreads = spreads
        .into_iter()
        .zip(&slopes)
        .zip(&population_of)
        .map(|((a, &slope), &p)| match whole.get(p as usize) {
            Some(whole) => combine(a, slope, whole),
            None => a,
        })
        .collect();
    let mut values = assemble(order_sizes(&sums), &estimates, spreads);
    for (v, &p) in values.iter_mut().zip(&population_of) {
        if p == NO_POPULATION {
            *v = None;
        }
    }
    values
}

/// The parts of a poverty statistic that do not depend on the domains, shared
/// by every set of domains of one estimation (one statistic, one variable).
#[derive(Default)]
pub(crate) struct Shared {
    /// `scale ×` each population's median, and the spread of its influence.
    population: std::sync::OnceLock<(Vec<f64>, Vec<Arc<Spread>>)>,
    /// The population of each row of the shared sort, in its order.
    sorted_populations: std::sync::OnceLock<Vec<u32>>,
}

/// `scale ×` the median of each whole population and the spreads of their
/// influence values.
fn population_part(ctx: &Context, x: &[f64], scale: f64) -> (Vec<f64>, Vec<Arc<Spread>>) {
    let medians = population_medians(ctx, x);
    let thresholds = medians.iter().map(|m| m.map_or(f64::NAN, |m| scale * m.q)).collect();
    let influence = |codes| per_domain(x, codes, &medians, move |x, m: &Median| m.influence(x) * scale);
    let whole = match ctx.populations {
        None => {
            let everyone = vec![0; ctx.design.n_rows()];
            domain_spreads(ctx, &everyone, 1, influence(&everyone))
        }
        Some(p) => domain_spreads(ctx, &p.codes, p.len(), influence(&p.codes)),
    };
    (thresholds, whole.into_iter().map(Arc::new).collect())
}

/// The median of each whole population (the context's populations, or one
/// holding every row), `None` for a population without values.
pub(crate) fn population_medians(ctx: &Context, x: &[f64]) -> Vec<Option<Median>> {
    let order = Order::of_populations(ctx, x, ctx.populations, sorted_populations(ctx));
    medians(&order, &order.sums())
}

/// `share ×` the median of each domain with convey's linearisation
/// (`svyarpt`): the at-risk-of-poverty threshold, or with `share = 1` the median.
pub(crate) fn arpt(ctx: &Context, x: &[f64], share: f64) -> Vec<Option<DomainValue>> {
    if ctx.design.is_replicate() {
        return by_replicate(ctx, &samples(ctx, x), false, |d, _| share * d.median());
    }
    let order = Order::of_domains(ctx, x);
    let sums = order.sums();
    let medians = medians(&order, &sums);
    drop(order);
    let estimates: Vec<f64> = medians.iter().map(|m| m.map_or(f64::NAN, |m| share * m.q)).collect();
    let codes = &ctx.domains.codes;
    let influence = per_domain(x, codes, &medians, |x, m| m.influence(x) * share);
    let spreads = domain_spreads(ctx, codes, ctx.n_domains(), influence);
    assemble(order_sizes(&sums), &estimates, spreads)
}

/// Median of the domain over the median of the whole population.
pub(crate) fn median_ratio(ctx: &Context, x: &[f64]) -> Vec<Option<DomainValue>> {
    if ctx.design.is_replicate() {
        return by_replicate(ctx, &samples(ctx, x), true, |d, full| d.median() / full.median());
    }
    with_population_median(
        ctx,
        x,
        1.0,
        |order, sums, q| {
            medians(order, sums)
                .into_iter()
                .zip(q)
                .map(|(m, &q)| {
                    let m = m.unwrap_or(Median { q: f64::NAN, n: f64::NAN, f: f64::NAN });
                    let ratio = m.q / q;
                    (ratio, -ratio / q, (m, q))
                })
                .collect()
        },
        |x, (m, q)| m.influence(x) / q,
    )
}

fn gini_value(d: &Weighted, rule: GiniRule) -> f64 {
    let cw = cumulative(&d.w);
    let total_x: f64 = d.x.iter().zip(d.w.iter()).map(|(x, w)| w * x).sum();
    let n = d.total();
    let sum: f64 =
        d.x.iter()
            .zip(d.w.iter())
            .zip(&cw)
            .map(|((x, w), c)| {
                let own = match rule {
                    GiniRule::Eurostat => *w,
                    GiniRule::Convey => 1.0,
                };
                (2.0 * c - own) * w * x
            })
            .sum();
    sum / (n * total_x) - 1.0
}

/// Gini coefficient of the domain (a proportion between 0 and 1).
pub(crate) fn gini(ctx: &Context, x: &[f64]) -> Vec<Option<DomainValue>> {
    let s = samples(ctx, x);
    let rule = ctx.options.gini_rule;
    if ctx.design.is_replicate() {
        return by_replicate(ctx, &s, false, |d, _| gini_value(d, rule));
    }
    let w = ctx.weights();
    let mut influence = RowScratch::nan(x.len());
    let mut estimates = Vec::new();
    for sample in &s.domains {
        let d = Weighted::new(sample, w);
        if sample.len() == 0 {
            estimates.push(f64::NAN);
            continue;
        }
        let cw = cumulative(&d.w);
        let wx: Vec<f64> = d.x.iter().zip(d.w.iter()).map(|(x, w)| w * x).collect();
        let cwx = cumulative(&wx);
        let t2: f64 = wx.iter().sum();
        let t3 = d.total();
        let t1: f64 = cw.iter().zip(&wx).map(|(c, v)| c * v).sum();
        let own: f64 = match rule {
            GiniRule::Eurostat => wx.iter().zip(d.w.iter()).map(|(v, w)| v * w).sum(),
            GiniRule::Convey => t2,
        };
        let numerator = 2.0 * t1 - own;
        for i in 0..sample.len() {
            // Derivative of Σ cw·w·x with respect to the weight of unit i.
            let t1_lin = (t2 - cwx[i] + wx[i]) + cw[i] * d.x[i];
            let own_lin = match rule {
                GiniRule::Eurostat => 2.0 * wx[i],
                GiniRule::Convey => d.x[i],
            };
            let lin =
                (2.0 * t1_lin - own_lin) / (t2 * t3) - numerator * d.x[i] / (t2 * t2 * t3) - numerator / (t2 * t3 * t3);
            influence[sample.rows[i] as usize] = if d.w[i] != 0.0 { lin } else { 0.0 };
        }
        estimates.push(numerator / (t2 * t3) - 1.0);
    }
    let spreads =
        domain_spreads(ctx, &ctx.domains.codes, ctx.n_domains(), |i| Some(influence[i]).filter(|v| !v.is_nan()));
    assemble(sample_sizes(ctx, &s.domains), &estimates, spreads)
}

/// Income share of the units at or below the α-quantile (convey's `svyisq`),
/// with its influence values.
fn share_below_quantile(d: &Weighted, alpha: f64) -> (f64, Vec<f64>) {
    let q = convey_quantile(d.x, &d.w, alpha);
    let (n, h) = bandwidth(d.x, &d.w);
    let f0 = density(d.x, &d.w, q, n, h);
    let f1 = density_weighted_x(d.x, &d.w, q, h);
    let value = d.x.iter().zip(d.w.iter()).filter(|(x, _)| **x <= q).map(|(x, w)| w * x).sum();
    let lin = d.x.iter().map(|&x| x * indicator(x <= q) - f1 * (indicator(x <= q) - alpha) / (n * f0)).collect();
    (value, lin)
}

fn qsr_value(d: &Weighted) -> f64 {
    let q20 = convey_quantile(d.x, &d.w, 0.2);
    let q80 = convey_quantile(d.x, &d.w, 0.8);
    let top: f64 = d.x.iter().zip(d.w.iter()).filter(|(x, _)| **x > q80).map(|(x, w)| w * x).sum();
    let bottom: f64 = d.x.iter().zip(d.w.iter()).filter(|(x, _)| **x <= q20).map(|(x, w)| w * x).sum();
    top / bottom
}

/// Quintile share ratio S80/S20 of the domain.
pub(crate) fn qsr(ctx: &Context, x: &[f64]) -> Result<Vec<Option<DomainValue>>> {
    let s = samples(ctx, x);
    if ctx.design.is_replicate() {
        return Ok(by_replicate(ctx, &s, false, |d, _| qsr_value(d)));
    }
    let w = ctx.weights();
    let mut influence = RowScratch::nan(x.len());
    let mut estimates = Vec::new();
    for sample in &s.domains {
        let d = Weighted::new(sample, w);
        if sample.len() == 0 {
            estimates.push(f64::NAN);
            continue;
        }
        let (s20, lin20) = share_below_quantile(&d, 0.2);
        let (s80, lin80) = share_below_quantile(&d, 0.8);
        if s20 == 0.0 {
            return Err(SurveyError::Invalid("S20 is zero: the bottom quintile has no income".into()));
        }
        let total: f64 = d.x.iter().zip(d.w.iter()).map(|(x, w)| w * x).sum();
        let ratio = (total - s80) / s20;
        for i in 0..sample.len() {
            influence[sample.rows[i] as usize] = (d.x[i] - lin80[i]) / s20 - ratio * lin20[i] / s20;
        }
        estimates.push(ratio);
    }
    let spreads =
        domain_spreads(ctx, &ctx.domains.codes, ctx.n_domains(), |i| Some(influence[i]).filter(|v| !v.is_nan()));
    Ok(assemble(sample_sizes(ctx, &s.domains), &estimates, spreads))
}

/// Relative median at-risk-of-poverty gap of the domain, 1 − median of the
/// poor / threshold (convey's `svyrmpg`; the threshold from the whole population).
pub(crate) fn rmpg(ctx: &Context, x: &[f64]) -> Vec<Option<DomainValue>> {
    let share = ctx.options.poverty_share;
    let gap = |d: &Weighted, t: f64| {
        let (poor_x, poor_w): (Vec<f64>, Vec<f64>) =
            d.x.iter().zip(d.w.iter()).filter(|(x, _)| **x <= t).map(|(x, w)| (*x, *w)).unzip();
        1.0 - convey_quantile(&poor_x, &poor_w, 0.5) / t
    };
    if ctx.design.is_replicate() {
        return by_replicate(ctx, &samples(ctx, x), true, |d, full| gap(d, share * full.median()));
    }
    with_population_median(
        ctx,
        x,
        share,
        |order, sums, t| {
            let (n, h) = bandwidths(sums);
            let at_threshold = order.at(t, &h);
            // The poor are the domain's first values: their median is found in the same order.
            let poor = order.convey_quantiles(sums, &order.cumulative_below(t), 0.5, Some(t));
            let gaps: Vec<f64> = poor.iter().zip(t).map(|(m, t)| 1.0 - m / t).collect();
            let poor_medians: Vec<f64> = gaps.iter().zip(t).map(|(gap, t)| (1.0 - gap) * t).collect();
            let at_median = order.at(&poor_medians, &h);
            (0..sums.len())
                .map(|d| {
                    let (t, poor_median) = (t[d], poor_medians[d]);
                    let at_median = at_median[d].kernel / (n[d] * h[d]);
                    let at_threshold = at_threshold[d].kernel / (n[d] * h[d]);
                    // Influence of the poor's median: (½·ARPR' − F'(m))/f(m), ARPR' as in svyarpr.
                    let slope = poor_median / (t * t) - 0.5 * at_threshold / (at_median * t);
                    (gaps[d], slope, (poor_median, t, n[d] * at_median * t))
                })
                .collect()
        },
        |x, &(poor_median, t, scale)| (indicator(x <= poor_median) - 0.5 * indicator(x <= t)) / scale,
    )
}

//! Quantiles with Woodruff confidence intervals (R survey's `svyquantile`,
//! `interval.type = "mean"`): the interval for the share of the population at
//! or below the estimated quantile is mapped back through the same quantile
//! rule. Also the per-domain passes over the shared sorted order ([`Order`])
//! that quantile-based statistics use instead of copying each domain's sample.

use std::borrow::Cow;

use urbis_core::dist::qt;
use urbis_core::MISSING_CODE;

use crate::design::Design;
use crate::domain::{DomainValue, Spread};
use crate::error::Result;
use crate::estimate::{smooth, Context, Form};
use crate::grouping::Grouping;
use crate::sample::{bandwidth_of, kernel, survey_quantile, ConveySearch, MathSearch, Neumaier, QuantileRule, Sorted};

/// The rows with a value, stably sorted by it with their design weights, and
/// the domain of each (`MISSING_CODE`: none). Each domain's rows are taken in
/// the order of a stable sort of that domain alone, so a pass over the order
/// computes, per domain, exactly the sums and quantiles of the domain's own
/// sorted sample, without copying the samples (each row lies in some 40
/// domains of an indicator's sets).
pub(crate) struct Order<'a> {
    sorted: Cow<'a, Sorted>,
    domains: Positions<'a>,
    n_domains: usize,
}

/// The domains of the sorted rows: one per row, or each row's cell and the
/// maps from cells to domains of several sets (a row then lies in one domain
/// of each set, the sets' domains numbered one after the other).
enum Positions<'a> {
    Domains(Cow<'a, [u32]>),
    Cells { cells: &'a [u32], sets: Vec<(&'a [u32], u32)> },
}

/// One domain's rows and weighted sums over the sorted order, each summed in
/// that order from −0 as `Iterator::sum` does (so the same numbers as sums over
/// the domain's sorted sample).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DomainSums {
    pub rows: u64,
    /// Rows with a positive weight.
    pub positive: u64,
    /// Σw.
    pub total: f64,
    /// Σwx and Σwx² (for the kernel bandwidth).
    pub wx: f64,
    pub wxx: f64,
    /// Σw in extended precision (the total of the quantile rules).
    pub cumulative: Neumaier,
}

/// Each domain's weight total and kernel bandwidth, from its sums.
pub(crate) fn bandwidths(sums: &[DomainSums]) -> (Vec<f64>, Vec<f64>) {
    sums.iter().map(|s| bandwidth_of(s.total, s.wx, s.wxx)).unzip()
}

impl Default for DomainSums {
    fn default() -> Self {
        DomainSums { rows: 0, positive: 0, total: -0.0, wx: -0.0, wxx: -0.0, cumulative: Neumaier::default() }
    }
}

/// A domain's kernel sum and weight at or below a point ([`Order::at`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AtPoint {
    /// Σ w K((t − x)/h).
    pub kernel: f64,
    /// Σw over the values at or below t.
    pub below: f64,
}

impl Default for AtPoint {
    fn default() -> Self {
        AtPoint { kernel: -0.0, below: -0.0 }
    }
}

impl<'a> Order<'a> {
    /// The order of the context's domains: its shared sort, or one made here.
    pub fn of_domains(ctx: &'a Context, x: &[f64]) -> Self {
        let w = ctx.weights();
        let (sorted, domains) = match &ctx.presorted {
            Some((sorted, domains)) => (carrying(sorted, w), Cow::Borrowed(domains.as_slice())),
            None => {
                let sorted = sort(x, w);
                let codes = &ctx.domains.codes;
                let domains = sorted.rows.iter().map(|&r| codes[r as usize]).collect();
                (Cow::Owned(sorted), Cow::Owned(domains))
            }
        };
        Order { sorted, domains: Positions::Domains(domains), n_domains: ctx.n_domains() }
    }

    /// The order of several sets of domains over cells: `sorted` carrying
    /// the design weights, `cells` the cell of each of its rows, and each
    /// set's map from cells to domains with the number of its first domain.
    pub fn over_cells(sorted: &'a Sorted, cells: &'a [u32], sets: Vec<(&'a [u32], u32)>, n_domains: usize) -> Self {
        Order { sorted: Cow::Borrowed(sorted), domains: Positions::Cells { cells, sets }, n_domains }
    }

    /// The order of the whole populations: each of `populations`, or one
    /// holding every row. `of_shared` gives the population of each row of
    /// the context's shared sort when it is known already.
    pub fn of_populations(
        ctx: &'a Context,
        x: &[f64],
        populations: Option<&Grouping>,
        of_shared: Option<&'a [u32]>,
    ) -> Self {
        let w = ctx.weights();
        let sorted = match &ctx.presorted {
            Some((sorted, _)) => carrying(sorted, w),
            None => Cow::Owned(sort(x, w)),
        };
        let (domains, n_domains) = match (populations, of_shared) {
            (None, _) => (Cow::Owned(vec![0; sorted.len()]), 1),
            (Some(p), Some(codes)) if ctx.presorted.is_some() => (Cow::Borrowed(codes), p.len()),
            (Some(p), _) => (Cow::Owned(sorted.rows.iter().map(|&r| p.codes[r as usize]).collect()), p.len()),
        };
        Order { sorted, domains: Positions::Domains(domains), n_domains }
    }

    pub fn n_domains(&self) -> usize {
        self.n_domains
    }

    /// Visits the rows in order with each of their domains, as (domain,
    /// position in the order); stops early once `pending` visits have
    /// returned true.
    fn visit(&self, mut pending: usize, mut visit: impl FnMut(usize, usize) -> bool) {
        if pending == 0 {
            return;
        }
        let mut seen = |d: usize, j: usize| {
            if visit(d, j) {
                pending -= 1;
            }
            pending == 0
        };
        match &self.domains {
            Positions::Domains(domains) => {
                for (j, &d) in domains.iter().enumerate() {
                    if d != MISSING_CODE && seen(d as usize, j) {
                        return;
                    }
                }
            }
            Positions::Cells { cells, sets } => {
                for (j, &c) in cells.iter().enumerate() {
                    if c == MISSING_CODE {
                        continue;
                    }
                    for &(map, first) in sets {
                        let d = map[c as usize];
                        if d != MISSING_CODE && seen((d + first) as usize, j) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Visits the rows in order as (domain, value, weight); stops early once
    /// `pending` visits have returned true (each domain returns true once,
    /// when it needs no more rows).
    fn walk(&self, pending: usize, mut visit: impl FnMut(usize, f64, f64) -> bool) {
        let s = &*self.sorted;
        self.visit(pending, |d, j| visit(d, s.x[j], s.w[j]));
    }

    /// Visits the rows in order as (domain, position in the order).
    pub fn each_position(&self, mut visit: impl FnMut(usize, usize)) {
        self.visit(usize::MAX, |d, j| {
            visit(d, j);
            false
        });
    }

    /// Visits the rows in order as (domain, row).
    pub fn each_row(&self, mut visit: impl FnMut(usize, u32)) {
        let rows = &self.sorted.rows;
        self.visit(usize::MAX, |d, j| {
            visit(d, rows[j]);
            false
        });
    }

    /// Each domain's rows and sums, in one pass.
    pub fn sums(&self) -> Vec<DomainSums> {
        let mut out = vec![DomainSums::default(); self.n_domains];
        self.walk(usize::MAX, |d, x, w| {
            let s = &mut out[d];
            s.rows += 1;
            s.positive += u64::from(w > 0.0);
            s.total += w;
            s.wx += w * x;
            s.wxx += w * x * x;
            s.cumulative.add(w);
            false
        });
        out
    }

    /// Each domain's kernel sum at `t[d]` with bandwidth `h[d]`, and its
    /// weight at or below `t[d]`, in one pass.
    pub fn at(&self, t: &[f64], h: &[f64]) -> Vec<AtPoint> {
        self.at_and_quantiles(t, h, &[], &[]).0
    }

    /// [`Self::at`] and, in the same walk, [`Self::math_quantiles`] at the
    /// lists of probabilities `ps` (`sums` giving the domains' totals).
    pub fn at_and_quantiles(
        &self,
        t: &[f64],
        h: &[f64],
        sums: &[DomainSums],
        ps: &[&[f64]],
    ) -> (Vec<AtPoint>, Vec<Vec<f64>>) {
        let mut out = vec![AtPoint::default(); self.n_domains];
        let mut searches = MathSearches::new(sums, ps, self.n_domains);
        self.walk(usize::MAX, |d, x, w| {
            let a = &mut out[d];
            a.kernel += kernel(x, w, t[d], h[d]);
            if x <= t[d] {
                a.below += w;
            }
            searches.push(d, x, w);
            false
        });
        (out, searches.quantiles())
    }

    /// Each domain's weight at or below `t[d]` in extended precision (the
    /// total of the quantile rules over those values).
    pub fn cumulative_below(&self, t: &[f64]) -> Vec<f64> {
        let mut out = vec![Neumaier::default(); self.n_domains];
        self.walk(usize::MAX, |d, x, w| {
            if x <= t[d] {
                out[d].add(w);
            }
            false
        });
        out.iter().map(Neumaier::value).collect()
    }

    /// Each domain's `p`-quantile by convey's rule, the weights totalling
    /// `totals[d]`, among its values at or below `upto[d]` when given (NaN
    /// for domains without values).
    pub fn convey_quantiles(&self, sums: &[DomainSums], totals: &[f64], p: f64, upto: Option<&[f64]>) -> Vec<f64> {
        let mut searches: Vec<ConveySearch> = totals.iter().map(|&t| ConveySearch::new(p, t)).collect();
        let mut done = vec![false; self.n_domains];
        self.walk(occupied(sums), |d, x, w| {
            if done[d] {
                return false;
            }
            let beyond = !upto.is_none_or(|u| x <= u[d]);
            done[d] = beyond || searches[d].push(x, w);
            done[d]
        });
        searches.iter().map(ConveySearch::quantile).collect()
    }

    /// Each domain's `p[d]`-quantile by R survey's `qrule = "math"` (NaN for
    /// domains without values), for each list `p` of `ps`, in one walk.
    pub fn math_quantiles(&self, sums: &[DomainSums], ps: &[&[f64]]) -> Vec<Vec<f64>> {
        let mut searches = MathSearches::new(sums, ps, self.n_domains);
        self.walk(occupied(sums), |d, x, w| searches.push(d, x, w));
        searches.quantiles()
    }

    /// Each domain's median by R survey's `math` rule and by convey's rule
    /// (as [`Self::math_quantiles`] and [`Self::convey_quantiles`] at ½ give
    /// them), in one walk.
    pub fn both_medians(&self, sums: &[DomainSums]) -> (Vec<f64>, Vec<f64>) {
        let mut math = MathSearches::new(sums, &[&vec![0.5; self.n_domains]], self.n_domains);
        let mut convey: Vec<ConveySearch> = sums.iter().map(|s| ConveySearch::new(0.5, s.cumulative.value())).collect();
        let mut done = vec![false; self.n_domains];
        self.walk(occupied(sums), |d, x, w| {
            if done[d] {
                return false;
            }
            math.push(d, x, w);
            done[d] = convey[d].push(x, w) && math.done[d];
            done[d]
        });
        (math.quantiles().remove(0), convey.iter().map(ConveySearch::quantile).collect())
    }
}

/// Searches by R survey's `math` rule for each domain at each of several
/// lists of probabilities, fed the domains' values as a walk meets them.
struct MathSearches {
    lists: Vec<Vec<MathSearch>>,
    done: Vec<bool>,
}

impl MathSearches {
    fn new(sums: &[DomainSums], ps: &[&[f64]], n_domains: usize) -> Self {
        let lists = ps
            .iter()
            .map(|p| sums.iter().zip(p.iter()).map(|(s, &p)| MathSearch::new(p, s.cumulative.value())).collect())
            .collect();
        MathSearches { lists, done: vec![ps.is_empty(); n_domains] }
    }

    /// Feeds domain `d`'s next value to its searches; true the first time
    /// all of them are done (then never again).
    fn push(&mut self, d: usize, x: f64, w: f64) -> bool {
        if self.done[d] {
            return false;
        }
        let mut all = true;
        for list in self.lists.iter_mut() {
            all &= list[d].push(x, w);
        }
        self.done[d] = all;
        all
    }

    fn quantiles(&self) -> Vec<Vec<f64>> {
        self.lists.iter().map(|list| list.iter().map(MathSearch::quantile).collect()).collect()
    }
}

/// The number of domains with rows: an upper bound on the searches that
/// finish, so that a pass may stop when that many have.
fn occupied(sums: &[DomainSums]) -> usize {
    sums.iter().filter(|s| s.rows > 0).count()
}

/// The rows of `x` with a value, sorted by it, carrying the weights `w`.
fn sort(x: &[f64], w: &[f64]) -> Sorted {
    Sorted::new((0..x.len() as u32).filter(|&i| !x[i as usize].is_nan()).collect(), x).carrying(w)
}

/// `sorted` carrying the weights `w` (borrowed when it already does).
fn carrying<'s>(sorted: &'s Sorted, w: &[f64]) -> Cow<'s, Sorted> {
    if sorted.carries(w) {
        Cow::Borrowed(sorted)
    } else {
        Cow::Owned(sorted.clone().carrying(w))
    }
}

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

/// Each domain's quantiles at per-domain probabilities, by the context's
/// rule: from passes over the sorted order for the `math` rule, from the
/// domains' sorted samples for `hf7`.
pub(crate) enum Quantiles<'a> {
    Order(Order<'a>, Vec<DomainSums>),
    Samples(Vec<Sorted>, &'a [f64]),
}

impl<'a> Quantiles<'a> {
    pub fn new(ctx: &'a Context, x: &[f64]) -> Self {
        match ctx.options.qrule {
            QuantileRule::Math => {
                let order = Order::of_domains(ctx, x);
                let sums = order.sums();
                Quantiles::Order(order, sums)
            }
            QuantileRule::Hf7 => Quantiles::Samples(domain_samples(ctx, x), ctx.weights()),
        }
    }

    /// The `p[d]`-quantile of each domain `d` for each list `p` of `ps`
    /// (NaN where `p[d]` is not between 0 and 1 or the domain has no value).
    fn at(&self, ps: &[&[f64]]) -> Vec<Vec<f64>> {
        let ps: Vec<Vec<f64>> = ps.iter().map(|p| p.iter().map(|&p| probability(p)).collect()).collect();
        match self {
            Quantiles::Order(order, sums) => {
                order.math_quantiles(sums, &ps.iter().map(Vec::as_slice).collect::<Vec<_>>())
            }
            Quantiles::Samples(samples, w) => ps
                .iter()
                .map(|p| {
                    samples
                        .iter()
                        .zip(p)
                        .map(|(s, &p)| survey_quantile(&s.x, &s.weights(w), p, QuantileRule::Hf7))
                        .collect()
                })
                .collect(),
        }
    }
}

/// A probability as the quantile searches take it: NaN outside 0 to 1.
fn probability(p: f64) -> f64 {
    if (0.0..=1.0).contains(&p) {
        p
    } else {
        f64::NAN
    }
}

pub(crate) fn quantiles(ctx: &Context, x: &[f64], p: f64) -> Result<Vec<Option<DomainValue>>> {
    let found = Quantiles::new(ctx, x);
    let qhat = found.at(&[&vec![p; ctx.n_domains()]]).remove(0);
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
    woodruff(ctx, &found, &qhat, shares)
}

/// Woodruff's interval for the quantiles `qhat`: the interval for the share
/// of each domain at or below its quantile (`shares`), mapped back through
/// the quantile rule (both bounds in one walk).
pub(crate) fn woodruff(
    ctx: &Context,
    found: &Quantiles,
    qhat: &[f64],
    shares: Vec<Option<DomainValue>>,
) -> Result<Vec<Option<DomainValue>>> {
    let targets = WoodruffTargets::new(ctx.design, ctx.options.level, shares)?;
    let (low, high) = targets.probabilities();
    let mut bounds = found.at(&[&low, &high]).into_iter();
    let (lows, highs) = (bounds.next().expect("two lists"), bounds.next().expect("two lists"));
    Ok(targets.values(qhat, &lows, &highs))
}

/// Per domain, the share at or below its quantile and the interval for it
/// (Woodruff's method, before the interval is mapped back to values).
pub(crate) struct WoodruffTargets(Vec<Option<Target>>);

struct Target {
    share: DomainValue,
    df: f64,
    /// The t quantile of the interval.
    t: f64,
    low: f64,
    high: f64,
}

impl WoodruffTargets {
    pub fn new(design: &Design, level: f64, shares: Vec<Option<DomainValue>>) -> Result<Self> {
        let mut targets = Vec::with_capacity(shares.len());
        for share in shares {
            targets.push(match share {
                Some(share) => {
                    let e = share.finish(design, level)?;
                    let t = qt(1.0 - (1.0 - level) / 2.0, e.df);
                    Some(Target { share, df: e.df, t, low: e.estimate - t * e.se, high: e.estimate + t * e.se })
                }
                None => None,
            });
        }
        Ok(WoodruffTargets(targets))
    }

    /// The probabilities of the lower and the upper bounds (NaN where there
    /// is no share or the bound is not between 0 and 1).
    pub fn probabilities(&self) -> (Vec<f64>, Vec<f64>) {
        let pick = |f: fn(&Target) -> f64| -> Vec<f64> {
            self.0.iter().map(|t| t.as_ref().map_or(f64::NAN, |t| probability(f(t)))).collect()
        };
        (pick(|t| t.low), pick(|t| t.high))
    }

    /// The quantiles with their intervals, given the bounds' quantiles.
    pub fn values(self, qhat: &[f64], lows: &[f64], highs: &[f64]) -> Vec<Option<DomainValue>> {
        self.0
            .into_iter()
            .enumerate()
            .map(|(d, target)| {
                let Target { share, df, t, .. } = target?;
                let (low, high) = (lows[d], highs[d]);
                Some(DomainValue {
                    estimate: qhat[d],
                    n: share.n,
                    pop_size: share.pop_size,
                    spread: Spread::Interval { se: (high - low) / (2.0 * t), low, high, df },
                })
            })
            .collect()
    }
}

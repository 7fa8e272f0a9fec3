//! Per-domain results before they become published estimates, and the
//! pieces every estimator shares: how a domain's uncertainty is represented
//! and turned into a standard error, interval and degrees of freedom.

use urbis_core::Estimate;

use crate::aggregate::PsuTotals;
use crate::design::{Design, Kind, Linear};
use crate::error::Result;
use crate::estimate::Form;
use crate::moments::{MomentTable, Terms};
use crate::variance::{linear_variance, replicate_variance};

/// How the uncertainty of one domain estimate is known.
#[derive(Debug, Clone)]
pub(crate) enum Spread {
    /// PSU-level scores of the linearised statistic, sorted by PSU, and the
    /// PSUs with positive-weight rows that the statistic touches (for df) and
    /// the strata holding its rows.
    Linear { scores: Vec<(u32, f64)>, support: Vec<u32>, present: Vec<bool> },
    /// Replicate estimates θ_r and the design degrees of freedom.
    Replicate { thetas: Vec<f64>, df: f64 },
    /// An interval computed by the estimator itself (Woodruff quantile intervals).
    Interval { se: f64, low: f64, high: f64, df: f64 },
    /// `scale · (own + c · base)`: PSU scores of a domain part (sorted by
    /// PSU) plus a multiple of a linear spread shared by many values (a
    /// population's part of a poverty statistic), whose PSUs and strata it
    /// takes. The sum is formed only when needed ([`Spread::linear`]), so
    /// that each value does not hold a copy of the shared part.
    Combined { own: Vec<(u32, f64)>, c: f64, base: std::sync::Arc<Spread>, scale: f64 },
    /// `scale ·` the scores of a smooth statistic (`form`, given the
    /// domain's totals `t`) in `domain`, formed from the pass's aggregates
    /// (shared by all values of the pass) only when needed, instead of each
    /// value holding its scores.
    Deferred { totals: std::sync::Arc<SharedTotals>, domain: u32, form: Form, t: Box<[f64]>, scale: f64 },
    /// A linear function of the PSU totals of the pass's domains, whose
    /// variance comes from the pass's per-stratum moments (`moments.rs`);
    /// differences and ratios of such values are again such values.
    Moments { table: std::sync::Arc<MomentTable>, terms: Terms },
}

/// The linearisation aggregates of one pass, shared by the values computed
/// from them, with what forming a domain's scores needs from the design.
#[derive(Debug)]
pub(crate) struct SharedTotals {
    totals: PsuTotals,
    n_strata: usize,
    stratum_of_psu: Vec<u32>,
}

impl SharedTotals {
    pub fn new(design: &Linear, totals: PsuTotals) -> Self {
        SharedTotals { totals, n_strata: design.n_psu.len(), stratum_of_psu: design.stratum_of_psu.clone() }
    }

    pub fn domains(&self) -> LinearDomains<'_> {
        LinearDomains { totals: &self.totals, n_strata: self.n_strata, stratum_of_psu: &self.stratum_of_psu }
    }
}

impl Spread {
    /// The spread as [`Spread::Linear`] scores where it is one or a
    /// [`Spread::Combined`] (merged here: per PSU `(u + c·v)·scale`, the
    /// numbers of merging at once and then scaling); `None` otherwise.
    pub(crate) fn linear(&self) -> Option<std::borrow::Cow<'_, Spread>> {
        match self {
            Spread::Linear { .. } => Some(std::borrow::Cow::Borrowed(self)),
            Spread::Combined { own, c, base, scale } => {
                let Spread::Linear { scores: b, support, present } = &**base else { return None };
                let mut scores = merge_sorted(own, b, |u, v| u + c * v);
                if *scale != 1.0 {
                    scores.iter_mut().for_each(|(_, v)| *v *= scale);
                }
                Some(std::borrow::Cow::Owned(Spread::Linear {
                    scores,
                    support: support.clone(),
                    present: present.clone(),
                }))
            }
            Spread::Deferred { totals, domain, form, t, scale } => {
                // As the pass would have formed them, then scaled.
                let mut spread = totals.domains().spread(*domain as usize, |s| form.score(t, s));
                if let (Spread::Linear { scores, .. }, true) = (&mut spread, *scale != 1.0) {
                    scores.iter_mut().for_each(|(_, v)| *v *= scale);
                }
                Some(std::borrow::Cow::Owned(spread))
            }
            _ => None,
        }
    }
}

/// A domain estimate with its uncertainty (linearised scores, replicate
/// estimates or an interval), not yet summarised. Differences and ratios of
/// two values of the same design keep their covariance.
#[derive(Debug, Clone)]
pub struct DomainValue {
    pub(crate) estimate: f64,
    pub(crate) n: u64,
    pub(crate) pop_size: f64,
    pub(crate) spread: Spread,
}

impl DomainValue {
    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// Unweighted number of contributing rows.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The same value with its scores formed (when it holds them only
    /// through shared aggregates), for a value finished or contrasted
    /// several times: the same numbers, formed once. Borrowed when the value
    /// has nothing to form.
    pub fn formed_ref(&self) -> std::borrow::Cow<'_, DomainValue> {
        match self.spread.linear() {
            Some(std::borrow::Cow::Owned(spread)) => std::borrow::Cow::Owned(DomainValue { spread, ..*self }),
            _ => std::borrow::Cow::Borrowed(self),
        }
    }

    /// [`Self::formed_ref`], moving the value when it has nothing to form.
    pub fn into_formed(self) -> DomainValue {
        match self.spread.linear() {
            Some(std::borrow::Cow::Owned(spread)) => DomainValue { spread, ..self },
            _ => self,
        }
    }

    /// The value multiplied by a constant, in place (the same numbers as [`Self::scaled`]).
    pub fn into_scaled(mut self, c: f64) -> DomainValue {
        match &mut self.spread {
            Spread::Linear { scores, .. } => scores.iter_mut().for_each(|(_, v)| *v *= c),
            Spread::Replicate { thetas, .. } => thetas.iter_mut().for_each(|t| *t *= c),
            Spread::Combined { scale, .. } | Spread::Deferred { scale, .. } if *scale == 1.0 => *scale = c,
            Spread::Moments { terms, .. } => terms.iter_mut().for_each(|(_, a)| a.iter_mut().for_each(|x| *x *= c)),
            Spread::Interval { .. } | Spread::Combined { .. } | Spread::Deferred { .. } => return self.scaled(c),
        }
        self.estimate *= c;
        self
    }

    /// The value multiplied by a constant (for example 100 for percentages).
    pub fn scaled(&self, c: f64) -> DomainValue {
        let linear = self.spread.linear();
        let spread = match linear.as_deref().unwrap_or(&self.spread) {
            Spread::Linear { scores, support, present } => Spread::Linear {
                scores: scores.iter().map(|(p, v)| (*p, v * c)).collect(),
                support: support.clone(),
                present: present.clone(),
            },
            Spread::Replicate { thetas, df } => {
                Spread::Replicate { thetas: thetas.iter().map(|t| t * c).collect(), df: *df }
            }
            Spread::Interval { se, low, high, df } => {
                let (low, high) = if c >= 0.0 { (low * c, high * c) } else { (high * c, low * c) };
                Spread::Interval { se: se * c.abs(), low, high, df: *df }
            }
            Spread::Moments { table, terms } => {
                Spread::Moments { table: std::sync::Arc::clone(table), terms: combine_terms(terms, c, &[], 0.0) }
            }
            Spread::Combined { .. } | Spread::Deferred { .. } => unreachable!("merged above"),
        };
        DomainValue { estimate: self.estimate * c, n: self.n, pop_size: self.pop_size, spread }
    }

    /// The ratio `self / other` with its linearised (or replicate) variance,
    /// or `None` when the uncertainty cannot be combined.
    pub fn ratio(&self, other: &DomainValue) -> Option<DomainValue> {
        let r = self.estimate / other.estimate;
        let (a, b) = (self.spread.linear(), other.spread.linear());
        let spread = match (a.as_deref().unwrap_or(&self.spread), b.as_deref().unwrap_or(&other.spread)) {
            (
                Spread::Linear { scores: a, support: sa, present: pa },
                Spread::Linear { scores: b, support: sb, present: pb },
            ) => Spread::Linear {
                scores: merge_sorted(a, b, |x, y| (x - r * y) / other.estimate),
                support: union_sorted(sa, sb),
                present: pa.iter().zip(pb).map(|(x, y)| *x || *y).collect(),
            },
            (Spread::Replicate { thetas: a, df }, Spread::Replicate { thetas: b, df: db }) => {
                Spread::Replicate { thetas: a.iter().zip(b).map(|(x, y)| x / y).collect(), df: df.min(*db) }
            }
            (Spread::Moments { table, terms: a }, Spread::Moments { table: tb, terms: b })
                if std::sync::Arc::ptr_eq(table, tb) =>
            {
                Spread::Moments {
                    table: std::sync::Arc::clone(table),
                    terms: combine_terms(a, 1.0 / other.estimate, b, -r / other.estimate),
                }
            }
            _ => return None,
        };
        Some(DomainValue { estimate: r, n: self.n, pop_size: self.pop_size, spread })
    }

    /// Standard error, interval and df at the given confidence level.
    pub fn finish(&self, design: &Design, level: f64) -> Result<Estimate> {
        let linear = self.spread.linear();
        let (se, df) = match (linear.as_deref().unwrap_or(&self.spread), &design.kind) {
            (Spread::Linear { scores, support, present }, Kind::Linear(l)) => {
                (linear_variance(l, scores, present)?.sqrt(), linear_df(l, support))
            }
            (Spread::Replicate { thetas, df }, Kind::Replicate(r)) => {
                (replicate_variance(r, self.estimate, thetas).sqrt(), *df)
            }
            (Spread::Moments { table, terms }, Kind::Linear(l)) => {
                let (variance, df) = table.variance(l, terms)?;
                (variance.sqrt(), df)
            }
            (Spread::Interval { se, low, high, df }, _) => {
                let mut e = Estimate::symmetric(self.estimate, *se, level, *df, self.n, self.pop_size);
                e.ci_low = *low;
                e.ci_high = *high;
                return Ok(e);
            }
            _ => unreachable!("spread matches its design"),
        };
        Ok(Estimate::symmetric(self.estimate, se, level, df, self.n, self.pop_size))
    }

    /// The same value with its uncertainty summarised (standard error,
    /// interval, df): much smaller, but no longer combinable with others.
    /// A value whose uncertainty cannot be summarised (a lonely PSU under
    /// `fail`) is returned as it is, so that publishing reports the error.
    pub(crate) fn summarised(self, design: &Design, level: f64) -> DomainValue {
        match self.finish(design, level) {
            Ok(e) if !matches!(self.spread, Spread::Interval { .. }) => {
                DomainValue { spread: Spread::Interval { se: e.se, low: e.ci_low, high: e.ci_high, df: e.df }, ..self }
            }
            _ => self,
        }
    }

    /// The difference `self − other` with its covariance accounted for, or
    /// `None` when the uncertainty cannot be combined (estimator intervals).
    pub fn minus(&self, other: &DomainValue) -> Option<DomainValue> {
        let (a, b) = (self.spread.linear(), other.spread.linear());
        let spread = match (a.as_deref().unwrap_or(&self.spread), b.as_deref().unwrap_or(&other.spread)) {
            (
                Spread::Linear { scores: a, support: sa, present: pa },
                Spread::Linear { scores: b, support: sb, present: pb },
            ) => Spread::Linear {
                scores: merge_sorted(a, b, |x, y| x - y),
                support: union_sorted(sa, sb),
                present: pa.iter().zip(pb).map(|(x, y)| *x || *y).collect(),
            },
            (Spread::Replicate { thetas: a, df }, Spread::Replicate { thetas: b, df: db }) => {
                Spread::Replicate { thetas: a.iter().zip(b).map(|(x, y)| x - y).collect(), df: df.min(*db) }
            }
            (Spread::Moments { table, terms: a }, Spread::Moments { table: tb, terms: b })
                if std::sync::Arc::ptr_eq(table, tb) =>
            {
                Spread::Moments { table: std::sync::Arc::clone(table), terms: combine_terms(a, 1.0, b, -1.0) }
            }
            _ => return None,
        };
        Some(DomainValue {
            estimate: self.estimate - other.estimate,
            n: self.n + other.n,
            pop_size: self.pop_size + other.pop_size,
            spread,
        })
    }
}

/// `x · a + y · b` of two linear functions of domains' PSU totals.
fn combine_terms(a: &[(u32, Box<[f64]>)], x: f64, b: &[(u32, Box<[f64]>)], y: f64) -> Terms {
    let part = |terms: &[(u32, Box<[f64]>)], c: f64| {
        terms.iter().map(move |(d, coef)| (*d, coef.iter().map(|v| v * c).collect::<Box<[f64]>>())).collect::<Vec<_>>()
    };
    let mut out = part(a, x);
    out.extend(part(b, y));
    out
}

/// Design degrees of freedom of a linearised statistic: PSUs with
/// positive-weight rows it touches minus the strata they lie in.
fn linear_df(design: &Linear, support: &[u32]) -> f64 {
    let mut strata = 0usize;
    let mut last = u32::MAX;
    for &p in support {
        let h = design.stratum_of_psu[p as usize];
        if h != last {
            strata += 1;
            last = h;
        }
    }
    support.len() as f64 - strata as f64
}

/// Merges two PSU-sorted score lists with `op` (absent entries count as 0).
pub(crate) fn merge_sorted(a: &[(u32, f64)], b: &[(u32, f64)], op: impl Fn(f64, f64) -> f64) -> Vec<(u32, f64)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        let pa = a.get(i).map_or(u32::MAX, |x| x.0);
        let pb = b.get(j).map_or(u32::MAX, |x| x.0);
        if pa == pb {
            out.push((pa, op(a[i].1, b[j].1)));
            i += 1;
            j += 1;
        } else if pa < pb {
            out.push((pa, op(a[i].1, 0.0)));
            i += 1;
        } else {
            out.push((pb, op(0.0, b[j].1)));
            j += 1;
        }
    }
    out
}

/// The union of two increasing lists, increasing.
fn union_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        let (x, y) = (a.get(i).copied().unwrap_or(u32::MAX), b.get(j).copied().unwrap_or(u32::MAX));
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out
}

/// Per-domain view of linearisation aggregates: totals, counts, and the
/// pieces of a [`Spread::Linear`].
pub(crate) struct LinearDomains<'a> {
    pub totals: &'a PsuTotals,
    n_strata: usize,
    stratum_of_psu: &'a [u32],
}

impl<'a> LinearDomains<'a> {
    pub fn new(design: &'a Linear, totals: &'a PsuTotals) -> Self {
        LinearDomains { totals, n_strata: design.n_psu.len(), stratum_of_psu: &design.stratum_of_psu }
    }

    /// Domain totals of the k aggregated values.
    pub fn total(&self, d: usize) -> Vec<f64> {
        let mut t = vec![0.0; self.totals.k];
        for c in self.totals.range(d) {
            for (a, b) in t.iter_mut().zip(self.totals.sums(c)) {
                *a += b;
            }
        }
        t
    }

    pub fn n(&self, d: usize) -> u64 {
        self.totals.cells[self.totals.range(d)].iter().map(|c| c.n as u64).sum()
    }

    pub fn is_empty(&self, d: usize) -> bool {
        self.totals.range(d).is_empty()
    }

    /// The spread of a statistic whose PSU score is `score(cell sums)`.
    pub fn spread(&self, d: usize, score: impl Fn(&[f64]) -> f64) -> Spread {
        let mut present = vec![false; self.n_strata];
        let mut support = Vec::new();
        let scores = self
            .totals
            .range(d)
            .map(|c| {
                let cell = self.totals.cells[c];
                present[self.stratum_of_psu[cell.psu as usize] as usize] = true;
                if cell.n > 0 {
                    support.push(cell.psu);
                }
                (cell.psu, score(self.totals.sums(c)))
            })
            .collect();
        Spread::Linear { scores, support, present }
    }
}

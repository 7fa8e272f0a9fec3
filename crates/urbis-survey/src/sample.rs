//! Sorted samples and the weighted quantile rules of R survey, convey and laeken.

use rayon::slice::ParallelSliceMut;
use serde::Serialize;

/// Samples above which sorting runs in parallel.
const PARALLEL_SORT: usize = 1 << 16;

/// The rows of one domain that contribute to a statistic, stably sorted by value.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sorted {
    pub rows: Vec<u32>,
    pub x: Vec<f64>,
    /// The rows' weights from one weight vector, carried along so that
    /// samples taken from this one in order need not gather them again
    /// (empty when not carried).
    pub w: Vec<f64>,
    /// Address of the weight vector `w` was taken from (0: none); only
    /// compared, to know whether `w` holds the weights asked for.
    pub carried_from: usize,
}

impl Sorted {
    /// Stable sort of `rows` by `values[row]` (ties keep the order of
    /// `rows`, as R's `order`). The values travel with their rows, so the
    /// comparisons read memory in order; a large sample is sorted in
    /// parallel (a stable sort has one result, however it is computed).
    pub fn new(rows: Vec<u32>, values: &[f64]) -> Sorted {
        let mut pairs: Vec<(f64, u32)> = rows.iter().map(|&r| (values[r as usize], r)).collect();
        drop(rows);
        let by_value = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0);
        if pairs.len() >= PARALLEL_SORT {
            pairs.par_sort_by(by_value);
        } else {
            pairs.sort_by(by_value);
        }
        let (x, rows) = pairs.into_iter().unzip();
        Sorted { rows, x, w: Vec::new(), carried_from: 0 }
    }

    /// The same sample carrying the weights `w` of its rows.
    pub fn carrying(mut self, w: &[f64]) -> Sorted {
        self.w = self.rows.iter().map(|&r| w[r as usize]).collect();
        self.carried_from = w.as_ptr() as usize;
        self
    }

    /// Whether the sample carries the weights `w`.
    pub fn carries(&self, w: &[f64]) -> bool {
        self.carried_from == w.as_ptr() as usize && self.w.len() == self.rows.len()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The weights of the sorted rows (the carried ones when they are `w`'s).
    pub fn weights(&self, w: &[f64]) -> std::borrow::Cow<'_, [f64]> {
        if self.carries(w) {
            return std::borrow::Cow::Borrowed(&self.w);
        }
        std::borrow::Cow::Owned(self.rows.iter().map(|&r| w[r as usize]).collect())
    }
}

/// A running sum carried in extended precision (Neumaier), each partial sum
/// rounded to f64, as R's `cumsum` accumulates in long double.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Neumaier {
    sum: f64,
    carry: f64,
}

impl Neumaier {
    /// Adds `v` and returns the partial sum.
    pub fn add(&mut self, v: f64) -> f64 {
        let t = self.sum + v;
        self.carry += if self.sum.abs() >= v.abs() { (self.sum - t) + v } else { (v - t) + self.sum };
        self.sum = t;
        self.value()
    }

    /// The sum so far.
    pub fn value(&self) -> f64 {
        self.sum + self.carry
    }
}

/// Cumulative sums carried in extended precision ([`Neumaier`]).
pub(crate) fn cumulative(w: &[f64]) -> Vec<f64> {
    let mut sum = Neumaier::default();
    w.iter().map(|&v| sum.add(v)).collect()
}

/// The Neumaier total of `w` (the last of its [`cumulative`] sums).
fn neumaier_total(w: &[f64]) -> f64 {
    let mut sum = Neumaier::default();
    w.iter().for_each(|&v| {
        sum.add(v);
    });
    sum.value()
}

/// Quantile rules of R survey's `svyquantile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuantileRule {
    /// The inverse of the weighted empirical distribution function (`qrule = "math"`).
    #[default]
    Math,
    /// Weighted analogue of Hyndman & Fan's type 7 (`qrule = "hf7"`).
    Hf7,
}

/// R survey's quantile of sorted `x` with weights `w` (zero weights are dropped first).
pub(crate) fn survey_quantile(x: &[f64], w: &[f64], p: f64, rule: QuantileRule) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if rule == QuantileRule::Math {
        let mut search = MathSearch::new(p, neumaier_total(w));
        for (&x, &w) in x.iter().zip(w) {
            if search.push(x, w) {
                break;
            }
        }
        return search.quantile();
    }
    let (x, w): (Vec<f64>, Vec<f64>) = x.iter().zip(w).filter(|(_, w)| **w != 0.0).map(|(a, b)| (*a, *b)).unzip();
    let n = x.len();
    if n == 0 {
        return f64::NAN;
    }
    let c = cumulative(&w);
    // Weighted analogue of Hyndman & Fan's type 7.
    if n == 1 {
        return x[0];
    }
    // Knots C_{k-1}/C_{n-1}: the largest observation's weight is not used.
    let denom = c[n - 2];
    let knot = |k: usize| if k == 0 { 0.0 } else { c[k - 1] / denom };
    if p <= 0.0 {
        return x[0];
    }
    if p >= 1.0 {
        return x[n - 1];
    }
    // Linear interpolation between the knots around p (R's approx, ties = mean not needed
    // because equal knots come from zero weights, which were dropped).
    let hi = (1..n).find(|&k| knot(k) >= p).unwrap_or(n - 1);
    let (k0, k1) = (knot(hi - 1), knot(hi));
    if k1 == p {
        return x[hi];
    }
    x[hi - 1] + (x[hi] - x[hi - 1]) * (p - k0) / (k1 - k0)
}

/// R survey's `qrule = "math"` fed sorted values one at a time, zero weights
/// skipped: with `C_k` the cumulative weights (Neumaier, of the non-zero
/// weights) and `pos = max{k : C_k ≤ pW}` (the first when none qualifies),
/// the value at `pos` when `p − C_pos/W` is exactly 0, otherwise the next one.
/// Values can be fed from a scan that interleaves several domains.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MathSearch {
    p: f64,
    total: f64,
    cum: Neumaier,
    /// The last value with `C_k ≤ pW` and its `C_k`.
    last_below: Option<(f64, f64)>,
    state: MathState,
}

#[derive(Debug, Clone, Copy)]
enum MathState {
    /// Every value so far is at or below the target.
    Below,
    /// The first value was already above it and is not the quantile: the next one is.
    Next(f64),
    Done(f64),
}

impl MathSearch {
    /// A search for the `p`-quantile of values whose weights total `total`.
    pub fn new(p: f64, total: f64) -> Self {
        MathSearch { p, total, cum: Neumaier::default(), last_below: None, state: MathState::Below }
    }

    /// Feeds the next value; true once the quantile is known.
    pub fn push(&mut self, x: f64, w: f64) -> bool {
        if w == 0.0 {
            return matches!(self.state, MathState::Done(_));
        }
        self.state = match self.state {
            MathState::Done(_) => return true,
            MathState::Next(_) => MathState::Done(x),
            MathState::Below => {
                let c = self.cum.add(w);
                if c <= self.p * self.total {
                    self.last_below = Some((x, c));
                    return false;
                }
                let (at, c_at) = self.last_below.unwrap_or((x, c));
                if self.p - c_at / self.total == 0.0 {
                    MathState::Done(at)
                } else if self.last_below.is_some() {
                    MathState::Done(x)
                } else {
                    MathState::Next(x)
                }
            }
        };
        matches!(self.state, MathState::Done(_))
    }

    /// The quantile of the values fed (NaN when none had a non-zero weight).
    pub fn quantile(&self) -> f64 {
        if self.p.is_nan() {
            return f64::NAN;
        }
        match self.state {
            MathState::Done(q) | MathState::Next(q) => q,
            MathState::Below => self.last_below.map_or(f64::NAN, |(x, _)| x),
        }
    }
}

/// convey's quantile: the smallest sorted x whose cumulative weight share is ≥ p.
pub(crate) fn convey_quantile(x: &[f64], w: &[f64], p: f64) -> f64 {
    let mut search = ConveySearch::new(p, neumaier_total(w));
    for (&x, &w) in x.iter().zip(w) {
        if search.push(x, w) {
            break;
        }
    }
    search.quantile()
}

/// convey's quantile rule fed sorted values one at a time (see
/// [`MathSearch`]): the first value whose cumulative weight share reaches
/// `p`, the last value when none does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConveySearch {
    p: f64,
    total: f64,
    cum: Neumaier,
    last: f64,
    found: Option<f64>,
}

impl ConveySearch {
    /// A search for the `p`-quantile of values whose weights total `total`.
    pub fn new(p: f64, total: f64) -> Self {
        ConveySearch { p, total, cum: Neumaier::default(), last: f64::NAN, found: None }
    }

    /// Feeds the next value; true once the quantile is known.
    pub fn push(&mut self, x: f64, w: f64) -> bool {
        if self.found.is_none() {
            self.last = x;
            if self.cum.add(w) / self.total >= self.p {
                self.found = Some(x);
            }
        }
        self.found.is_some()
    }

    /// The quantile of the values fed (NaN when none was, or their weights
    /// total zero).
    pub fn quantile(&self) -> f64 {
        if self.total <= 0.0 {
            return f64::NAN;
        }
        self.found.unwrap_or(self.last)
    }
}

/// Weighted mean and variance pieces for the kernel density: N = Σw and
/// the bandwidth h = sd · N^(-1/5) (convey's `h_fun`, N being the weight total).
pub(crate) fn bandwidth(x: &[f64], w: &[f64]) -> (f64, f64) {
    let n: f64 = w.iter().sum();
    let sx: f64 = x.iter().zip(w).map(|(x, w)| w * x).sum();
    let sxx: f64 = x.iter().zip(w).map(|(x, w)| w * x * x).sum();
    bandwidth_of(n, sx, sxx)
}

/// [`bandwidth`] from the sums Σw, Σwx and Σwx² (each summed in sorted order).
pub(crate) fn bandwidth_of(n: f64, sx: f64, sxx: f64) -> (f64, f64) {
    let sd = ((sxx - sx * sx / n) / n).sqrt();
    (n, sd / (0.2 * n.ln()).exp())
}

fn gaussian(u: f64) -> f64 {
    (-0.5 * u * u).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// One value's term of the kernel density at `t`: w K((t − x)/h).
pub(crate) fn kernel(x: f64, w: f64, t: f64, h: f64) -> f64 {
    w * gaussian((t - x) / h)
}

/// Gaussian kernel density estimate at `t`: Σ w K((t − x)/h) / (N h).
pub(crate) fn density(x: &[f64], w: &[f64], t: f64, n: f64, h: f64) -> f64 {
    x.iter().zip(w).map(|(x, w)| kernel(*x, *w, t, h)).sum::<f64>() / (n * h)
}

/// Σ w x K((t − x)/h) / h (convey's `densfun(FUN = "big_s")`).
pub(crate) fn density_weighted_x(x: &[f64], w: &[f64], t: f64, h: f64) -> f64 {
    x.iter().zip(w).map(|(x, w)| w * x * gaussian((t - x) / h)).sum::<f64>() / h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_rule_matches_r_including_its_first_observation_quirk() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let w = [1.0, 1.0, 1.0, 1.0, 1.0, 10.0];
        assert_eq!(survey_quantile(&x, &w, 0.01, QuantileRule::Math), 2.0);
        assert_eq!(survey_quantile(&x, &w, 0.5, QuantileRule::Math), 6.0);
        let eq = [1.0; 4];
        assert_eq!(survey_quantile(&x[..4], &eq, 0.5, QuantileRule::Math), 2.0);
    }

    #[test]
    fn hf7_rule_matches_r() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let w = [1.0, 1.0, 1.0, 1.0, 1.0, 10.0];
        assert!((survey_quantile(&x, &w, 0.5, QuantileRule::Hf7) - 3.5).abs() < 1e-12);
        assert!((survey_quantile(&x, &w, 0.05, QuantileRule::Hf7) - 1.25).abs() < 1e-12);
    }

    #[test]
    fn convey_rule_takes_the_first_value_reaching_p() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(convey_quantile(&x, &[1.0; 4], 0.5), 2.0);
        assert_eq!(convey_quantile(&x, &[1.0; 4], 0.51), 3.0);
    }
}

//! Class limits for choropleths: quantiles, natural breaks (Jenks–Fisher,
//! exact) or fixed limits. `k` classes have `k − 1` inner limits; a value
//! belongs to the first class whose upper limit it does not exceed.

use crate::MapError;

/// How to form the classes.
#[derive(Debug, Clone, PartialEq)]
pub enum Classes {
    /// `k` classes holding about equal numbers of values (limits at the
    /// quantiles `j/k`, linear interpolation between order statistics as R's type 7).
    Quantiles(usize),
    /// `k` classes minimising the within-class sum of squared deviations
    /// (Jenks 1977; Fisher 1958's exact dynamic programme).
    NaturalBreaks(usize),
    /// Given inner limits, ascending.
    Fixed(Vec<f64>),
}

/// Values above which natural breaks are computed on evenly spaced order
/// statistics of the data (the exact programme is quadratic in their number).
const JENKS_MAX: usize = 2000;

/// The inner class limits for `values` (missing values are ignored).
pub fn breaks(values: &[f64], classes: &Classes) -> Result<Vec<f64>, MapError> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let limits = match classes {
        Classes::Fixed(limits) => {
            if limits.is_empty() || limits.windows(2).any(|w| w[0] >= w[1]) || limits.iter().any(|l| !l.is_finite()) {
                return Err(MapError::Classes("fixed limits must be finite and strictly increasing".into()));
            }
            return Ok(limits.clone());
        }
        _ if sorted.is_empty() => return Ok(Vec::new()),
        Classes::Quantiles(k) => {
            check_k(*k)?;
            (1..*k).map(|j| quantile(&sorted, j as f64 / *k as f64)).collect::<Vec<f64>>()
        }
        Classes::NaturalBreaks(k) => {
            check_k(*k)?;
            let sample: Vec<f64> = if sorted.len() > JENKS_MAX {
                (0..JENKS_MAX).map(|i| sorted[i * (sorted.len() - 1) / (JENKS_MAX - 1)]).collect()
            } else {
                sorted.clone()
            };
            jenks(&sample, *k)
        }
    };
    let mut limits: Vec<f64> = limits;
    limits.dedup();
    limits.retain(|&l| l < sorted[sorted.len() - 1]);
    Ok(limits)
}

fn check_k(k: usize) -> Result<(), MapError> {
    if (2..=9).contains(&k) {
        Ok(())
    } else {
        Err(MapError::Classes(format!("the number of classes must be between 2 and 9, not {k}")))
    }
}

/// The class (0-based) of `value` for the inner limits `breaks`.
pub fn class_of(value: f64, breaks: &[f64]) -> usize {
    breaks.iter().position(|&b| value <= b).unwrap_or(breaks.len())
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Fisher's exact optimal partition of sorted values into `k` classes; the
/// inner limits are the largest value of each class but the last.
fn jenks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    let k = k.min(n);
    if k < 2 {
        return Vec::new();
    }
    // Prefix sums give the squared deviation of any run in O(1).
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for (i, &v) in sorted.iter().enumerate() {
        s1[i + 1] = s1[i] + v;
        s2[i + 1] = s2[i] + v * v;
    }
    let ssd = |a: usize, b: usize| {
        let (m, s) = ((b - a) as f64, s1[b] - s1[a]);
        s2[b] - s2[a] - s * s / m
    };
    // cost[c][j]: best cost of the first j values in c + 1 classes; start[c][j]: where its last class begins.
    let mut cost = vec![vec![f64::INFINITY; n + 1]; k];
    let mut start = vec![vec![0usize; n + 1]; k];
    for (j, c) in cost[0].iter_mut().enumerate().skip(1) {
        *c = ssd(0, j);
    }
    for c in 1..k {
        for j in (c + 1)..=n {
            for i in c..j {
                let v = cost[c - 1][i] + ssd(i, j);
                if v < cost[c][j] {
                    cost[c][j] = v;
                    start[c][j] = i;
                }
            }
        }
    }
    let mut limits = Vec::with_capacity(k - 1);
    let mut j = n;
    for c in (1..k).rev() {
        let i = start[c][j];
        limits.push(sorted[i - 1]);
        j = i;
    }
    limits.reverse();
    limits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_limits_split_evenly() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(breaks(&v, &Classes::Quantiles(4)).unwrap(), [25.75, 50.5, 75.25]);
        assert_eq!(class_of(25.75, &[25.75, 50.5]), 0);
        assert_eq!(class_of(99.0, &[25.75, 50.5]), 2);
    }

    #[test]
    fn natural_breaks_find_the_gaps() {
        let v = [1.0, 1.2, 0.9, 10.0, 10.5, 9.8, 30.0, 31.0, f64::NAN];
        assert_eq!(breaks(&v, &Classes::NaturalBreaks(3)).unwrap(), [1.2, 10.5]);
    }

    #[test]
    fn fixed_limits_must_increase_and_k_is_bounded() {
        assert_eq!(breaks(&[1.0], &Classes::Fixed(vec![0.5, 2.0])).unwrap(), [0.5, 2.0]);
        assert!(breaks(&[1.0], &Classes::Fixed(vec![2.0, 0.5])).is_err());
        assert!(breaks(&[1.0, 2.0], &Classes::Quantiles(12)).is_err());
    }

    #[test]
    fn ties_collapse_classes() {
        assert_eq!(breaks(&[0.0, 0.0, 0.0, 0.0, 1.0], &Classes::Quantiles(4)).unwrap(), [0.0]);
    }
}

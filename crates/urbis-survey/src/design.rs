//! Survey designs, declared once and validated: a linearisation design
//! (weights, strata, first-stage PSUs, fpc, lonely-PSU policy) or a
//! replicate-weight design (BRR, Fay, JK1, JKn, bootstrap).

use serde::Serialize;
use urbis_core::{Column, MISSING_CODE};

use crate::error::{Result, SurveyError};
use crate::grouping::Grouping;

/// A column and its name, for messages.
#[derive(Clone, Copy)]
pub struct NamedColumn<'a> {
    pub name: &'a str,
    pub column: &'a Column,
}

/// What to do with a stratum that holds a single PSU (R survey's `survey.lonely.psu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LonelyPsu {
    /// Refuse to estimate a variance (the default).
    #[default]
    Fail,
    /// The stratum contributes nothing to the variance.
    Remove,
    /// The single PSU's score is taken as its deviation from zero (R survey's
    /// "adjust": for means and ratios the scores are already centred at the estimate).
    Adjust,
    /// The stratum gets the average variance contribution of the other strata.
    Average,
    /// The single PSU was sampled with certainty and contributes nothing.
    Certainty,
}

/// Options of a linearisation (Taylor series) design.
#[derive(Clone, Copy, Default)]
pub struct LinearSpec<'a> {
    pub weights: Option<NamedColumn<'a>>,
    pub strata: Option<NamedColumn<'a>>,
    /// First-stage cluster (PSU) ids; without them every row is its own PSU.
    pub ids: Option<NamedColumn<'a>>,
    /// Population size (number of PSUs) per stratum, or sampling fraction (all values ≤ 1).
    pub fpc: Option<NamedColumn<'a>>,
    /// PSU ids repeat across strata and are made unique within them.
    pub nest: bool,
    pub lonely_psu: LonelyPsu,
}

/// Replicate-weight methods, named as in R survey's `svrepdesign(type=)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RepType {
    Brr,
    Fay,
    Jk1,
    Jkn,
    Bootstrap,
}

/// Options of a replicate-weight design. Replicate columns hold full
/// replicate weights (R's `combined.weights = TRUE`); the design takes them
/// over, so that large replicate columns are not held twice.
#[derive(Clone)]
pub struct ReplicateSpec<'a> {
    pub weights: NamedColumn<'a>,
    pub replicates: Vec<(String, Column)>,
    pub rep_type: RepType,
    /// Fay's rho (only for `Fay`).
    pub rho: Option<f64>,
    /// Overall scale; defaults as in R survey for each type.
    pub scale: Option<f64>,
    /// Per-replicate scales (required for JKn); one value applies to all.
    pub rscales: Option<Vec<f64>>,
    /// Centre the replicates at the full-sample estimate instead of their mean.
    pub mse: bool,
}

/// A validated design over the rows of one frame.
#[derive(Debug, Clone)]
pub struct Design {
    pub(crate) weights: Vec<f64>,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Linear(Linear),
    Replicate(Replicate),
}

/// Linearisation layout: PSUs numbered densely, ordered by stratum.
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    /// PSU → stratum.
    pub stratum_of_psu: Vec<u32>,
    /// Rows ordered by PSU (stable), and where each PSU's rows start in it.
    pub rows_by_psu: Vec<u32>,
    pub psu_start: Vec<usize>,
    /// Number of PSUs per stratum in the sample (the full design, never a domain).
    pub n_psu: Vec<u32>,
    /// First PSU of each stratum (PSUs of a stratum are contiguous).
    pub first_psu: Vec<u32>,
    /// Sampling fraction per stratum (0 without fpc).
    pub fraction: Vec<f64>,
    pub stratum_labels: Vec<String>,
    pub lonely_psu: LonelyPsu,
}

#[derive(Debug, Clone)]
pub(crate) struct Replicate {
    pub columns: Vec<Vec<f64>>,
    pub scale: f64,
    pub rscales: Vec<f64>,
    pub mse: bool,
    pub df: f64,
}

/// What the design is, for output metadata.
#[derive(Debug, Clone, Serialize)]
pub struct DesignSummary {
    pub kind: &'static str,
    pub n_rows: usize,
    pub n_strata: usize,
    pub n_psu: usize,
    pub n_replicates: usize,
    pub df: f64,
}

impl Design {
    pub fn n_rows(&self) -> usize {
        self.weights.len()
    }

    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    pub fn is_replicate(&self) -> bool {
        matches!(self.kind, Kind::Replicate(_))
    }

    pub fn summary(&self) -> DesignSummary {
        match &self.kind {
            Kind::Linear(l) => DesignSummary {
                kind: "linearisation",
                n_rows: self.n_rows(),
                n_strata: l.n_psu.len(),
                n_psu: l.stratum_of_psu.len(),
                n_replicates: 0,
                df: (l.stratum_of_psu.len() - l.n_psu.len()) as f64,
            },
            Kind::Replicate(r) => DesignSummary {
                kind: "replicate",
                n_rows: self.n_rows(),
                n_strata: 0,
                n_psu: 0,
                n_replicates: r.columns.len(),
                df: r.df,
            },
        }
    }

    /// A linearisation design.
    pub fn linear(n_rows: usize, spec: &LinearSpec) -> Result<Design> {
        let strata = match spec.strata {
            Some(c) => keys(c, "stratum")?,
            None => Grouping::single(n_rows),
        };
        let ids = match spec.ids {
            Some(c) => Some((c.name, keys(c, "PSU id")?)),
            None => None,
        };
        if let (Some((name, g)), false) = (&ids, spec.nest) {
            check_nested(name, g, &strata)?;
        }
        // PSU key: (stratum, id), or (stratum, row) without ids; PSUs are
        // numbered densely in key order. Per-row intermediates are freed as
        // soon as possible: this is the memory peak of a run on large files.
        let (psu_of_row, psu_keys) = match &ids {
            Some((_, g)) => number_pairs(&strata.codes, strata.len(), g.len(), |i| g.codes[i]),
            None => number_pairs(&strata.codes, strata.len(), n_rows, |i| i as u32),
        };
        drop(ids);
        let stratum_of_psu: Vec<u32> = psu_keys.iter().map(|&(h, _)| h).collect();
        let n_strata = strata.len();
        let mut n_psu = vec![0u32; n_strata];
        for &h in &stratum_of_psu {
            n_psu[h as usize] += 1;
        }
        let mut first_psu = vec![0u32; n_strata];
        let mut acc = 0u32;
        for h in 0..n_strata {
            first_psu[h] = acc;
            acc += n_psu[h];
        }
        let (rows_by_psu, psu_start) = counting_sort(&psu_of_row, stratum_of_psu.len());

        let fraction = match spec.fpc {
            Some(c) => sampling_fractions(c, &strata, &n_psu, &psu_of_row, &stratum_of_psu)?,
            None => vec![0.0; n_strata],
        };
        let mut strata = strata;
        strata.codes = Vec::new();
        let weights = match spec.weights {
            Some(c) => weight_values(c)?,
            None => (0..n_rows)
                .map(|i| {
                    let f = fraction[stratum_of_psu[psu_of_row[i] as usize] as usize];
                    if f > 0.0 {
                        1.0 / f
                    } else {
                        1.0
                    }
                })
                .collect(),
        };
        check_total(&weights, "sample")?;
        Ok(Design {
            weights,
            kind: Kind::Linear(Linear {
                stratum_of_psu,
                rows_by_psu,
                psu_start,
                n_psu,
                first_psu,
                fraction,
                stratum_labels: strata.labels,
                lonely_psu: spec.lonely_psu,
            }),
        })
    }

    /// A replicate-weight design.
    pub fn replicate(spec: ReplicateSpec) -> Result<Design> {
        let weights = weight_values(spec.weights)?;
        check_total(&weights, "sample")?;
        let r = spec.replicates.len();
        if r < 2 {
            return Err(SurveyError::Replicates(format!(
                "found {r} replicate weight column(s); at least 2 are needed"
            )));
        }
        let columns = spec
            .replicates
            .into_iter()
            .map(|(name, column)| {
                check_weights(NamedColumn { name: &name, column: &column })?;
                match column {
                    Column::Number(v) => Ok(v),
                    Column::Text(_) => unreachable!("checked by weight_values"),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let rf = r as f64;
        let default_scale = match spec.rep_type {
            RepType::Brr => 1.0 / rf,
            RepType::Fay => {
                let rho = spec.rho.ok_or_else(|| SurveyError::Replicates("Fay's method needs --rho".into()))?;
                if !(0.0..1.0).contains(&rho) {
                    return Err(SurveyError::Replicates(format!("rho must be in [0, 1), got {rho}")));
                }
                1.0 / (rf * (1.0 - rho).powi(2))
            }
            RepType::Jk1 => (rf - 1.0) / rf,
            RepType::Jkn => 1.0,
            RepType::Bootstrap => 1.0 / (rf - 1.0),
        };
        if spec.scale.is_some() && matches!(spec.rep_type, RepType::Brr | RepType::Fay) {
            return Err(SurveyError::Replicates(
                "the scale of BRR and Fay designs is fixed (1/R, 1/(R(1-rho)^2)); remove --scale".into(),
            ));
        }
        if spec.rho.is_some() && spec.rep_type != RepType::Fay {
            return Err(SurveyError::Replicates("--rho applies to Fay's method only (--reptype fay)".into()));
        }
        let scale = spec.scale.unwrap_or(default_scale);
        let rscales = match &spec.rscales {
            Some(v) if v.len() == 1 => vec![v[0]; r],
            Some(v) if v.len() == r => v.clone(),
            Some(v) => {
                return Err(SurveyError::Replicates(format!("{} rscales given for {r} replicates", v.len())));
            }
            None if spec.rep_type == RepType::Jkn => {
                return Err(SurveyError::Replicates("JKn needs --rscales ((n_h - 1)/n_h for each replicate)".into()));
            }
            None => vec![1.0; r],
        };
        if !(scale.is_finite() && scale > 0.0) || rscales.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
            return Err(SurveyError::Replicates("scale and rscales must be positive numbers".into()));
        }
        let df = replicate_rank(&columns, 0..weights.len()) as f64 - 1.0;
        Ok(Design { weights, kind: Kind::Replicate(Replicate { columns, scale, rscales, mse: spec.mse, df }) })
    }
}

/// Without nesting, a PSU id names one PSU: it must lie in one stratum.
fn check_nested(name: &str, ids: &Grouping, strata: &Grouping) -> Result<()> {
    let mut stratum_of_id = vec![MISSING_CODE; ids.len()];
    for (&id, &h) in ids.codes.iter().zip(&strata.codes) {
        let first = &mut stratum_of_id[id as usize];
        if *first == MISSING_CODE {
            *first = h;
        } else if *first != h {
            return Err(SurveyError::NotNested {
                column: name.to_string(),
                psu: ids.labels[id as usize].clone(),
                first: strata.labels[*first as usize].clone(),
                second: strata.labels[h as usize].clone(),
            });
        }
    }
    Ok(())
}

/// Dense codes of the pairs (`outer[i]`, `inner(i)`) of every row, numbered
/// in the order of the pairs (outer first), and the pairs. `inner` is below
/// `width`. Pairs are marked in a table when it is small, sorted otherwise.
fn number_pairs(
    outer: &[u32],
    n_outer: usize,
    width: usize,
    inner: impl Fn(usize) -> u32,
) -> (Vec<u32>, Vec<(u32, u32)>) {
    const DENSE: usize = 1 << 24;
    if n_outer.saturating_mul(width) <= DENSE {
        // Pairs present are marked 0, then numbered in table order.
        let mut code = vec![MISSING_CODE; n_outer * width];
        for (i, &h) in outer.iter().enumerate() {
            code[h as usize * width + inner(i) as usize] = 0;
        }
        let mut pairs = Vec::new();
        for (k, c) in code.iter_mut().enumerate() {
            if *c == 0 {
                *c = pairs.len() as u32;
                pairs.push(((k / width) as u32, (k % width) as u32));
            }
        }
        let codes = outer.iter().enumerate().map(|(i, &h)| code[h as usize * width + inner(i) as usize]).collect();
        return (codes, pairs);
    }
    let key = |i: usize| (u64::from(outer[i]) << 32) | u64::from(inner(i));
    let mut sorted: Vec<u64> = (0..outer.len()).map(key).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let codes = (0..outer.len()).map(|i| sorted.binary_search(&key(i)).map_or(MISSING_CODE, |p| p as u32)).collect();
    let pairs = sorted.iter().map(|&k| ((k >> 32) as u32, k as u32)).collect();
    (codes, pairs)
}

fn keys(c: NamedColumn, what: &str) -> Result<Grouping> {
    let g = Grouping::of_column(c.column);
    if let Some(i) = g.codes.iter().position(|&k| k == MISSING_CODE) {
        return Err(SurveyError::BadValue { column: c.name.into(), row: i + 1, reason: format!("{what} is missing") });
    }
    Ok(g)
}

fn weight_values(c: NamedColumn) -> Result<Vec<f64>> {
    check_weights(c).map(<[f64]>::to_vec)
}

/// The weights of a column, checked: numbers, none missing or negative.
fn check_weights<'c>(c: NamedColumn<'c>) -> Result<&'c [f64]> {
    let values = crate::columns::numbers(c.name, c.column)?;
    for (i, &w) in values.iter().enumerate() {
        let reason = if w.is_nan() {
            "weight is missing".to_string()
        } else if !w.is_finite() {
            "weight is infinite".to_string()
        } else if w < 0.0 {
            "weight is negative".to_string()
        } else {
            continue;
        };
        return Err(SurveyError::BadValue { column: c.name.into(), row: i + 1, reason });
    }
    Ok(values)
}

fn check_total(weights: &[f64], what: &str) -> Result<()> {
    if weights.iter().sum::<f64>() > 0.0 {
        Ok(())
    } else {
        Err(SurveyError::ZeroTotalWeight { what: what.into() })
    }
}

/// Sampling fraction per stratum from an fpc column holding population sizes
/// (number of PSUs) or, when every value is at most 1, fractions.
fn sampling_fractions(
    c: NamedColumn,
    strata: &Grouping,
    n_psu: &[u32],
    psu_of_row: &[u32],
    stratum_of_psu: &[u32],
) -> Result<Vec<f64>> {
    let Column::Number(v) = c.column else {
        return Err(SurveyError::BadColumn { column: c.name.into(), reason: "fpc must be numeric".into() });
    };
    let as_fraction = v.iter().all(|x| *x <= 1.0);
    if v.iter().all(|x| *x == 1.0) {
        return Err(SurveyError::BadColumn {
            column: c.name.into(),
            reason: "every fpc value is 1: give population sizes (> 1) or sampling fractions (< 1)".into(),
        });
    }
    if !as_fraction {
        if let Some(i) = v.iter().position(|x| *x < 1.0) {
            return Err(SurveyError::BadValue {
                column: c.name.into(),
                row: i + 1,
                reason: "fpc mixes population sizes (> 1) and sampling fractions (< 1)".into(),
            });
        }
    }
    let mut value = vec![f64::NAN; n_psu.len()];
    for (i, &x) in v.iter().enumerate() {
        let bad = |reason: String| SurveyError::BadValue { column: c.name.into(), row: i + 1, reason };
        if !x.is_finite() || x < 0.0 {
            return Err(bad("fpc is missing or not a non-negative number".into()));
        }
        let h = stratum_of_psu[psu_of_row[i] as usize] as usize;
        if value[h].is_nan() {
            value[h] = x;
        } else if value[h] != x {
            return Err(bad(format!("fpc differs within stratum '{}'", strata.labels[h])));
        }
        if !as_fraction && x < n_psu[h] as f64 {
            return Err(bad(format!(
                "population size {x} is smaller than the {} sampled PSUs of stratum '{}'",
                n_psu[h], strata.labels[h]
            )));
        }
    }
    Ok(value.iter().zip(n_psu).map(|(&x, &n)| if as_fraction { x } else { n as f64 / x }).collect())
}

/// Rows grouped by key (stable), with each key's start offset.
fn counting_sort(keys: &[u32], n_keys: usize) -> (Vec<u32>, Vec<usize>) {
    let mut start = vec![0usize; n_keys + 1];
    for &k in keys {
        start[k as usize + 1] += 1;
    }
    for k in 0..n_keys {
        start[k + 1] += start[k];
    }
    let mut next = start.clone();
    let mut order = vec![0u32; keys.len()];
    for (i, &k) in keys.iter().enumerate() {
        order[next[k as usize]] = i as u32;
        next[k as usize] += 1;
    }
    (order, start)
}

/// Numerical rank of the replicate weight matrix restricted to `rows` (as R
/// survey's `degf(svrepdesign)` = rank − 1): rows are taken one by one into
/// an orthonormal basis of the row space (Gram–Schmidt, applied twice);
/// a row adds a dimension when its residual keeps more than `1e-5` of its
/// norm, the tolerance R's `qr` uses. Rows equal up to scale are skipped, and
/// the search stops as soon as the rank is full.
fn replicate_rank(columns: &[Vec<f64>], rows: impl Iterator<Item = usize>) -> usize {
    const TOLERANCE: f64 = 1e-5;
    let r = columns.len();
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(r);
    let mut previous: Vec<f64> = Vec::new();
    let mut v = vec![0.0; r];
    for i in rows {
        for (j, c) in columns.iter().enumerate() {
            v[j] = c[i];
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        v.iter_mut().for_each(|x| *x /= norm);
        if v == previous {
            continue;
        }
        previous.clone_from(&v);
        let mut residual = v.clone();
        for _ in 0..2 {
            for q in &basis {
                let dot: f64 = residual.iter().zip(q).map(|(a, b)| a * b).sum();
                residual.iter_mut().zip(q).for_each(|(a, b)| *a -= dot * b);
            }
        }
        let rest = residual.iter().map(|x| x * x).sum::<f64>().sqrt();
        if rest > TOLERANCE {
            residual.iter_mut().for_each(|x| *x /= rest);
            basis.push(residual);
            if basis.len() == r {
                break;
            }
        }
    }
    basis.len()
}

/// Degrees of freedom of a replicate design within each domain (the rank of
/// the domain's replicate weights minus one, as R's `degf` of a subset) and
/// for the whole sample.
pub(crate) fn replicate_df(design: &Replicate, domains: &Grouping) -> (Vec<f64>, f64) {
    if domains.len() == 1 && domains.codes.iter().all(|&c| c == 0) {
        return (vec![design.df], design.df);
    }
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); domains.len()];
    for (i, &d) in domains.codes.iter().enumerate() {
        if d != MISSING_CODE {
            rows[d as usize].push(i);
        }
    }
    let per_domain = rows.into_iter().map(|r| replicate_rank(&design.columns, r.into_iter()) as f64 - 1.0).collect();
    (per_domain, design.df)
}

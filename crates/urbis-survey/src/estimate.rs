//! The entry point: statistics for the whole sample or for domains, in one
//! pass over the data per family of statistics.

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use urbis_core::{Estimate, Frame, MISSING_CODE};

use crate::aggregate::{psu_totals, replicate_totals, Cells, RowFn};
use crate::design::{Design, Kind};
use crate::domain::{DomainValue, SharedTotals, Spread};
use crate::error::{Result, SurveyError};
use crate::grouping::{DomainSets, Grouping, LABEL_SEPARATOR};
use crate::poverty;
use crate::quantile;
use crate::sample::Sorted;
use crate::statistic::{Options, Statistic};

/// One output row: a statistic of a variable in a domain.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub statistic: String,
    pub variable: String,
    /// The values of the `by` variables (empty without domains).
    pub domain: Vec<String>,
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// Shared state of one estimation call.
pub(crate) struct Context<'a> {
    pub frame: &'a Frame,
    pub design: &'a Design,
    pub domains: std::borrow::Cow<'a, Grouping>,
    /// All sets of domains estimated in the same pass, `domains` being the
    /// first (smooth statistics only).
    pub sets: Option<&'a DomainSets<'a>>,
    /// Rows with a value of the statistic's variable, stably sorted by it
    /// (shared by the sets of domains of one estimation), and the domain of
    /// each of those rows in this context's set.
    pub presorted: Option<(&'a Sorted, Vec<u32>)>,
    /// Populations whose own median gives the poverty threshold and the
    /// reference median (survey years, countries); the whole sample without.
    pub populations: Option<&'a Grouping>,
    /// What does not depend on the domains (the populations' thresholds and
    /// their influence), computed by the first set of domains that needs it
    /// and shared by the others.
    pub shared: Option<&'a crate::poverty::Shared>,
    /// Summarise each smooth domain value as soon as it is computed (when no
    /// contrast between domains will be asked for), to hold less memory.
    pub summarise: bool,
    pub options: &'a Options,
    /// Replicate designs: degrees of freedom per domain and for the whole sample.
    pub replicate_df: Option<(Vec<f64>, f64)>,
}

impl Context<'_> {
    pub fn weights(&self) -> &[f64] {
        &self.design.weights
    }

    /// Domains of the primary set.
    pub fn n_domains(&self) -> usize {
        self.domains.len()
    }

    /// Every set of domains of the pass, and the number of their domains.
    pub fn cells(&self) -> (Cells<'_>, usize) {
        match self.sets {
            Some(sets) => sets.cells(),
            None => (
                Cells { fine: None, sets: vec![(self.domains.codes.as_slice(), 0)], regions: None },
                self.domains.len(),
            ),
        }
    }

    /// A numeric column, or an error naming the first value that is not a number.
    pub fn numeric(&self, name: &str) -> Result<&[f64]> {
        numeric(self.frame, name)
    }
}

pub(crate) fn numeric<'f>(frame: &'f Frame, name: &str) -> Result<&'f [f64]> {
    match frame.column(name) {
        Some(column) => crate::columns::numbers(name, column),
        None => Err(SurveyError::BadColumn { column: name.into(), reason: "not found".into() }),
    }
}

/// Estimates every statistic for the whole sample (no `by`) or for every
/// domain formed by the `by` columns. Rows outside a domain stay in the design.
pub fn estimate(
    frame: &Frame,
    design: &Design,
    by: &[&str],
    stats: &[Statistic],
    options: &Options,
) -> Result<Vec<Row>> {
    estimate_in(frame, design, &domains_of(frame, by)?, by.len(), stats, options)
}

/// The domains formed by the `by` columns of a frame (one domain holding
/// every row without `by`).
pub fn domains_of(frame: &Frame, by: &[&str]) -> Result<Grouping> {
    if by.is_empty() {
        return Ok(Grouping::single(frame.n_rows()));
    }
    let mut parts = by
        .iter()
        .map(|name| {
            frame
                .column(name)
                .map(Grouping::of_column)
                .ok_or_else(|| SurveyError::BadColumn { column: name.to_string(), reason: "not found".into() })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(if parts.len() == 1 { parts.remove(0) } else { Grouping::combine(&parts) })
}

/// [`estimate`] over domains built beforehand with [`domains_of`] from
/// `n_by` columns (so that the caller may free those columns first).
pub fn estimate_in(
    frame: &Frame,
    design: &Design,
    domains: &Grouping,
    n_by: usize,
    stats: &[Statistic],
    options: &Options,
) -> Result<Vec<Row>> {
    let mut ctx = Context::new(frame, design, std::borrow::Cow::Borrowed(domains), options)?;
    ctx.summarise = options.diff.is_none();
    let mut rows = Vec::new();
    let mut next = 0;
    while next < stats.len() {
        // On replicate designs consecutive smooth statistics share one pass.
        let mut specs = Vec::new();
        while design.is_replicate() && next + specs.len() < stats.len() {
            match smooth_spec(&ctx, &stats[next + specs.len()])? {
                Some(spec) => specs.push(spec),
                None => break,
            }
        }
        let (group, outputs) = if specs.is_empty() {
            (&stats[next..next + 1], vec![compute(&ctx, &stats[next])?])
        } else {
            let n = specs.len();
            (&stats[next..next + n], run_smooth(&ctx, specs))
        };
        next += group.len();
        for (stat, outputs) in group.iter().zip(outputs) {
            for (variable, values) in outputs {
                rows.extend(publish(&ctx, stat.name(), &variable, &values)?);
                if let Some((a, b)) = &options.diff {
                    rows.extend(differences(&ctx, stat.name(), &variable, &values, a, b, n_by)?);
                }
            }
        }
    }
    Ok(rows)
}

/// The estimates of one statistic (one output variable) in every domain of a
/// grouping, with their uncertainty kept so that they can be contrasted.
#[derive(Debug, Clone)]
pub struct DomainEstimates {
    /// The output variable (`COL`, `COL=category`, `NUM/DEN`, `COL:P`).
    pub variable: String,
    /// Indexed by domain code; `None` where the domain has no contributing row.
    pub values: Vec<Option<DomainValue>>,
}

/// Estimates one statistic in every domain of `domains` (rows with a missing
/// code belong to no domain but stay in the design). This is the building
/// block for pipelines that need contrasts across domains and calls.
pub fn estimate_domains(
    frame: &Frame,
    design: &Design,
    domains: Grouping,
    stat: &Statistic,
    options: &Options,
) -> Result<Vec<DomainEstimates>> {
    Ok(estimate_domain_sets(frame, design, std::slice::from_ref(&domains), stat, options)?.remove(0))
}

/// Estimates one statistic for several sets of domains (for example every
/// area level × group partition). Means, totals, ratios and proportions take
/// a single pass over the data for all sets; other statistics share one sort.
/// Returns, per set, the estimates of each output variable.
pub fn estimate_domain_sets(
    frame: &Frame,
    design: &Design,
    sets: &[Grouping],
    stat: &Statistic,
    options: &Options,
) -> Result<Vec<Vec<DomainEstimates>>> {
    estimate_domain_sets_within(frame, design, &DomainSets::of_groupings(sets), None, stat, options, None)
}

/// The rows with a value of a variable, stably sorted by it, with their
/// design weights: made once and shared by several estimations of
/// quantile-based statistics of that variable
/// ([`estimate_domain_sets_within`]).
pub struct SortedValues(Sorted);

impl SortedValues {
    pub fn new(x: &[f64], design: &Design) -> Self {
        SortedValues(
            Sorted::new((0..x.len() as u32).filter(|&i| !x[i as usize].is_nan()).collect(), x)
                .carrying(design.weights()),
        )
    }
}

/// [`estimate_domain_sets`] where poverty thresholds and reference medians
/// come from each row's population (for example its survey year and
/// country) instead of the whole sample. A domain spanning several
/// populations has no poverty estimate. `sorted` is the sort of the
/// statistic's variable made beforehand ([`SortedValues::new`] of the same
/// values and design) to share it between estimations; without it, it is
/// made here when needed.
pub fn estimate_domain_sets_within(
    frame: &Frame,
    design: &Design,
    sets: &DomainSets,
    populations: Option<&Grouping>,
    stat: &Statistic,
    options: &Options,
    sorted: Option<&SortedValues>,
) -> Result<Vec<Vec<DomainEstimates>>> {
    if sets.is_empty() {
        return Ok(Vec::new());
    }
    let smooth =
        matches!(stat, Statistic::Mean(_) | Statistic::Total(_) | Statistic::Ratio { .. } | Statistic::Prop(_));
    if smooth {
        let sizes: Vec<usize> = (0..sets.len()).map(|s| sets.size(s)).collect();
        let mut ctx = Context::new(frame, design, sets.grouping(0), options)?;
        ctx.sets = Some(sets);
        if let Some((dfs, _)) = &mut ctx.replicate_df {
            if let Kind::Replicate(r) = &design.kind {
                for s in 1..sets.len() {
                    dfs.extend(crate::design::replicate_df(r, &sets.grouping(s)).0);
                }
            }
        }
        let outputs = compute(&ctx, stat)?;
        let mut per_set: Vec<Vec<DomainEstimates>> = sizes.iter().map(|_| Vec::new()).collect();
        for (variable, values) in outputs {
            let mut values = values.into_iter();
            for (set, &size) in per_set.iter_mut().zip(&sizes) {
                set.push(DomainEstimates { variable: variable.clone(), values: values.by_ref().take(size).collect() });
            }
        }
        return Ok(per_set);
    }
    // The design weights travel with the sorted rows, so that the sets'
    // samples do not gather them in random order again.
    let made;
    let presorted: Option<&Sorted> = match stat.columns().first() {
        Some(variable) if sets.len() > 1 => {
            let x = numeric(frame, variable)?;
            match sorted {
                Some(SortedValues(s)) => {
                    // Checked cheaply: as many rows as values, all in the frame.
                    let present = x.iter().filter(|v| !v.is_nan()).count();
                    if s.len() != present || s.rows.iter().any(|&r| r as usize >= x.len()) {
                        return Err(SurveyError::Invalid(format!("the sorted values are not those of '{variable}'")));
                    }
                    Some(s)
                }
                None => {
                    made = SortedValues::new(x, design);
                    Some(&made.0)
                }
            }
        }
        _ => None,
    };
    // With sets over cells, the cell of each sorted row once for all sets.
    let sorted_cells = presorted.and_then(|p| sets.cells_of_rows(&p.rows));
    // Both medians over cells: the sets a few at a time, from the shared sort.
    if let (Statistic::Medians(variable), Kind::Linear(lin), Some(sorted), Some(sorted_cells)) =
        (stat, &design.kind, presorted, sorted_cells.as_deref())
    {
        if options.qrule == crate::sample::QuantileRule::Math && sorted.carries(design.weights()) {
            check_inputs(frame, design, options)?;
            let x = numeric(frame, variable)?;
            let per_set = crate::medians::medians_over_cells(
                design,
                lin,
                sets,
                options.level,
                x,
                variable,
                sorted,
                sorted_cells,
            )?;
            return Ok(estimates_per_set(per_set));
        }
    }
    // Poverty rates over cells with regions: every set in one moments pass.
    if let (Statistic::Arpr(variable), Some(sorted), Some(sorted_cells)) = (stat, presorted, sorted_cells.as_deref()) {
        if !design.is_replicate() && sets.cells().0.regions.is_some() && sorted.carries(design.weights()) {
            check_inputs(frame, design, options)?;
            let x = numeric(frame, variable)?;
            let population_medians = || {
                let everyone = std::borrow::Cow::Owned(Grouping::single(design.n_rows()));
                let mut ctx = Context::new(frame, design, everyone, options)?;
                ctx.presorted = Some((sorted, Vec::new()));
                ctx.populations = populations;
                Ok(crate::poverty::population_medians(&ctx, x))
            };
            let share = options.poverty_share;
            if let Some(per_set) = crate::poverty_cells::arpr_over_cells(
                design,
                sets,
                populations,
                population_medians,
                share,
                x,
                sorted,
                sorted_cells,
            )? {
                let label = stat.label();
                return Ok(estimates_per_set(per_set.into_iter().map(|values| vec![(label.clone(), values)])));
            }
        }
    }
    // Sets are independent: computed in parallel, collected in order.
    let shared = crate::poverty::Shared::default();
    // Each set's row-sized code vectors are handed on to the next set.
    let spare: std::sync::Mutex<Vec<Vec<u32>>> = std::sync::Mutex::new(Vec::new());
    let take = || spare.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
    let out = (0..sets.len())
        .into_par_iter()
        .map(|s| {
            let mut ctx = Context::new(frame, design, sets.grouping_in(s, take()), options)?;
            ctx.presorted = presorted.map(|p| (p, sets.domains_of_rows(s, &p.rows, sorted_cells.as_deref(), take())));
            ctx.populations = populations;
            ctx.shared = Some(&shared);
            let outputs = compute(&ctx, stat);
            if let Ok(mut spare) = spare.lock() {
                if let std::borrow::Cow::Owned(g) = ctx.domains {
                    spare.push(g.codes);
                }
                spare.extend(ctx.presorted.map(|(_, codes)| codes));
            }
            Ok(outputs?.into_iter().map(|(variable, values)| DomainEstimates { variable, values }).collect())
        })
        .collect();
    crate::poverty::release_scratch();
    out
}

impl<'a> Context<'a> {
    fn new(
        frame: &'a Frame,
        design: &'a Design,
        domains: std::borrow::Cow<'a, Grouping>,
        options: &'a Options,
    ) -> Result<Self> {
        if domains.codes.len() != design.n_rows() {
            return Err(rows_differ());
        }
        check_inputs(frame, design, options)?;
        let replicate_df = match &design.kind {
            Kind::Replicate(r) => Some(crate::design::replicate_df(r, &domains)),
            Kind::Linear(_) => None,
        };
        Ok(Context {
            frame,
            design,
            domains,
            sets: None,
            presorted: None,
            populations: None,
            shared: None,
            summarise: false,
            options,
            replicate_df,
        })
    }
}

/// Per set, the estimates of each output.
fn estimates_per_set(per_set: impl IntoIterator<Item = Outputs>) -> Vec<Vec<DomainEstimates>> {
    per_set
        .into_iter()
        .map(|outputs| outputs.into_iter().map(|(variable, values)| DomainEstimates { variable, values }).collect())
        .collect()
}

/// The error of data, design and domains with different numbers of rows.
fn rows_differ() -> SurveyError {
    SurveyError::Invalid("the design, the data and the domains have different numbers of rows".into())
}

/// The checks every estimation makes of its data, design and options.
fn check_inputs(frame: &Frame, design: &Design, options: &Options) -> Result<()> {
    if frame.n_rows() != design.n_rows() {
        return Err(rows_differ());
    }
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(SurveyError::Invalid(format!(
            "the confidence level must be between 0 and 1, got {}",
            options.level
        )));
    }
    if !(options.poverty_share > 0.0 && options.poverty_share.is_finite()) {
        return Err(SurveyError::Invalid(format!(
            "the poverty threshold share must be a positive number, got {}",
            options.poverty_share
        )));
    }
    Ok(())
}

/// Per-domain values of one statistic: one list per output variable.
pub(crate) type Outputs = Vec<(String, Vec<Option<DomainValue>>)>;

/// Row values of a smooth statistic (see [`RowFn`]).
type BoxedRow<'a> = Box<dyn Fn(usize, &mut [f64]) -> bool + Sync + 'a>;

/// A smooth statistic (a function of domain totals) ready for a pass: its
/// row values, the forms giving its outputs, and their labels.
pub(crate) struct SmoothSpec<'a> {
    k: usize,
    row: BoxedRow<'a>,
    forms: Vec<Form>,
    /// Index of the aggregated value 1 (the domain's population size).
    pop: usize,
    labels: Vec<String>,
}

fn smooth_spec<'a>(ctx: &Context<'a>, stat: &Statistic) -> Result<Option<SmoothSpec<'a>>> {
    let label = stat.label();
    let frame: &'a Frame = ctx.frame;
    let numeric = |name: &str| numeric(frame, name);
    Ok(Some(match stat {
        Statistic::Mean(v) | Statistic::Total(v) => {
            let y = numeric(v)?;
            SmoothSpec {
                k: 2,
                row: Box::new(move |i: usize, out: &mut [f64]| present(y[i]) && set(out, &[y[i], 1.0])),
                forms: vec![if matches!(stat, Statistic::Mean(_)) { Form::Ratio(0, 1) } else { Form::Total(0) }],
                pop: 1,
                labels: vec![label],
            }
        }
        Statistic::Ratio { numerator, denominator } => {
            let (y, x) = (numeric(numerator)?, numeric(denominator)?);
            SmoothSpec {
                k: 3,
                row: Box::new(move |i: usize, out: &mut [f64]| {
                    present(y[i]) && present(x[i]) && set(out, &[y[i], x[i], 1.0])
                }),
                forms: vec![Form::Ratio(0, 1)],
                pop: 2,
                labels: vec![label],
            }
        }
        Statistic::Prop(v) => {
            let column = frame
                .column(v)
                .ok_or_else(|| SurveyError::BadColumn { column: v.clone(), reason: "not found".into() })?;
            let categories = Grouping::of_column(column);
            let c = categories.len();
            let labels = categories.labels.iter().map(|cat| format!("{v}={cat}")).collect();
            let codes = categories.codes;
            SmoothSpec {
                k: c + 1,
                row: Box::new(move |i: usize, out: &mut [f64]| {
                    let code = codes[i];
                    if code == MISSING_CODE {
                        return false;
                    }
                    out.iter_mut().for_each(|o| *o = 0.0);
                    out[code as usize] = 1.0;
                    out[c] = 1.0;
                    true
                }),
                forms: (0..c).map(|j| Form::Ratio(j, c)).collect(),
                pop: c,
                labels,
            }
        }
        _ => return Ok(None),
    }))
}

/// Runs smooth statistics in one pass. Several statistics share a pass only
/// on replicate designs (where a domain's uncertainty does not depend on
/// which PSUs hold its rows); each keeps its own unweighted n.
fn run_smooth(ctx: &Context, specs: Vec<SmoothSpec>) -> Vec<Outputs> {
    if specs.len() == 1 {
        let spec = specs.into_iter().next().expect("one");
        let pops = vec![spec.pop; spec.forms.len()];
        let values = smooth(ctx, spec.k, &spec.row, &spec.forms, &pops);
        return vec![spec.labels.into_iter().zip(values).collect()];
    }
    let offsets: Vec<usize> = specs
        .iter()
        .scan(0, |acc, s| {
            let at = *acc;
            *acc += s.k;
            Some(at)
        })
        .collect();
    let k: usize = specs.iter().map(|s| s.k).sum();
    let row = |i: usize, out: &mut [f64]| {
        let mut any = false;
        for (spec, &at) in specs.iter().zip(&offsets) {
            let part = &mut out[at..at + spec.k];
            if (spec.row)(i, part) {
                any = true;
            } else {
                part.iter_mut().for_each(|v| *v = 0.0);
            }
        }
        any
    };
    let mut forms = Vec::new();
    let mut pops = Vec::new();
    for (spec, &at) in specs.iter().zip(&offsets) {
        for f in &spec.forms {
            forms.push(match *f {
                Form::Total(a) => Form::Total(a + at),
                Form::Ratio(a, b) => Form::Ratio(a + at, b + at),
            });
            pops.push(spec.pop + at);
        }
    }
    let mut values = smooth(ctx, k, &row, &forms, &pops).into_iter();
    let (cells, nd) = ctx.cells();
    let weights = ctx.weights();
    specs
        .iter()
        .map(|spec| {
            // This statistic's own rows per domain: all, and with a positive weight.
            let (mut rows, mut positive) = (vec![0u64; nd], vec![0u64; nd]);
            let mut scratch = vec![0.0; spec.k];
            for (i, &wi) in weights.iter().enumerate() {
                let Some(c) = cells.cell(i) else { continue };
                if !(spec.row)(i, &mut scratch) {
                    continue;
                }
                for d in cells.domains(c) {
                    rows[d] += 1;
                    positive[d] += u64::from(wi > 0.0);
                }
            }
            spec.labels
                .iter()
                .map(|label| {
                    let mut per_domain = values.next().expect("one output per form");
                    for (d, v) in per_domain.iter_mut().enumerate() {
                        if rows[d] == 0 {
                            *v = None;
                        } else if let Some(v) = v {
                            v.n = positive[d];
                        }
                    }
                    (label.clone(), per_domain)
                })
                .collect()
        })
        .collect()
}

fn compute(ctx: &Context, stat: &Statistic) -> Result<Outputs> {
    let label = stat.label();
    if let Some(spec) = smooth_spec(ctx, stat)? {
        return Ok(run_smooth(ctx, vec![spec]).remove(0));
    }
    match stat {
        Statistic::Mean(_) | Statistic::Total(_) | Statistic::Ratio { .. } | Statistic::Prop(_) => {
            unreachable!("smooth statistics are handled above")
        }
        Statistic::Quantile { variable, p } => {
            if !(0.0..=1.0).contains(p) {
                return Err(SurveyError::Invalid(format!("quantile probability {p} is not between 0 and 1")));
            }
            Ok(vec![(label, quantile::quantiles(ctx, ctx.numeric(variable)?, *p)?)])
        }
        Statistic::Arpr(v) => Ok(vec![(label, poverty::arpr(ctx, ctx.numeric(v)?))]),
        Statistic::Arpt(v) => Ok(vec![(label, poverty::arpt(ctx, ctx.numeric(v)?, ctx.options.poverty_share))]),
        Statistic::Median(v) => Ok(vec![(label, poverty::arpt(ctx, ctx.numeric(v)?, 1.0))]),
        Statistic::Gini(v) => Ok(vec![(label, poverty::gini(ctx, ctx.numeric(v)?))]),
        Statistic::Qsr(v) => Ok(vec![(label, poverty::qsr(ctx, ctx.numeric(v)?)?)]),
        Statistic::MedianRatio(v) => Ok(vec![(label, poverty::median_ratio(ctx, ctx.numeric(v)?))]),
        Statistic::Rmpg(v) => Ok(vec![(label, poverty::rmpg(ctx, ctx.numeric(v)?))]),
        Statistic::Medians(v) => crate::medians::medians(ctx, ctx.numeric(v)?, v),
    }
}

fn present(x: f64) -> bool {
    !x.is_nan()
}

fn set(out: &mut [f64], values: &[f64]) -> bool {
    out.copy_from_slice(values);
    true
}

/// A smooth function of domain totals.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Form {
    Total(usize),
    Ratio(usize, usize),
}

impl Form {
    pub(crate) fn value(self, t: &[f64]) -> f64 {
        match self {
            Form::Total(a) => t[a],
            Form::Ratio(a, b) => t[a] / t[b],
        }
    }

    /// The coefficients `a` of the linearised score `a · s` of a PSU with
    /// totals `s`, given domain totals `t` (the function [`Form::score`] computes).
    pub(crate) fn coefficients(self, t: &[f64]) -> Box<[f64]> {
        let mut a = vec![0.0; t.len()];
        match self {
            Form::Total(i) => a[i] = 1.0,
            Form::Ratio(i, j) => {
                a[i] = 1.0 / t[j];
                a[j] -= t[i] / t[j] / t[j];
            }
        }
        a.into_boxed_slice()
    }

    /// The linearised score of a PSU with totals `s`, given domain totals `t`.
    pub(crate) fn score(self, t: &[f64], s: &[f64]) -> f64 {
        match self {
            Form::Total(a) => s[a],
            Form::Ratio(a, b) => (s[a] - t[a] / t[b] * s[b]) / t[b],
        }
    }
}

/// Smooth statistics: one aggregation pass, then each form per domain.
/// `pops[f]` is the index of the aggregated value 1 (the population size) of form `f`.
pub(crate) fn smooth(
    ctx: &Context,
    k: usize,
    row: &impl RowFn,
    forms: &[Form],
    pops: &[usize],
) -> Vec<Vec<Option<DomainValue>>> {
    let (cells, nd) = ctx.cells();
    let mut out = vec![Vec::with_capacity(nd); forms.len()];
    match &ctx.design.kind {
        Kind::Linear(lin) if cells.regions.is_some() => {
            let ratios: Vec<(usize, usize)> =
                forms.iter().filter_map(|f| if let Form::Ratio(a, b) = *f { Some((a, b)) } else { None }).collect();
            if let Some((table, sums)) = crate::moments::moments(lin, ctx.weights(), &cells, nd, k, &ratios, row) {
                let table = Arc::new(table);
                for d in 0..nd {
                    let t = &sums.totals[d * k..(d + 1) * k];
                    for (f, form) in forms.iter().enumerate() {
                        let value = (sums.rows[d] > 0).then(|| DomainValue {
                            estimate: form.value(t),
                            n: sums.positive[d],
                            pop_size: t[pops[f]],
                            spread: Spread::Moments {
                                table: Arc::clone(&table),
                                terms: vec![(d as u32, form.coefficients(t))],
                            },
                        });
                        out[f].push(kept(ctx, value));
                    }
                }
                return out;
            }
            linear_values(ctx, lin, &cells, nd, k, row, forms, pops, &mut out);
        }
        Kind::Linear(lin) => linear_values(ctx, lin, &cells, nd, k, row, forms, pops, &mut out),
        Kind::Replicate(rep) => {
            let totals = replicate_totals(rep, ctx.weights(), &cells, nd, k, row);
            let (dfs, _) = ctx.replicate_df.as_ref().expect("replicate design has df");
            for (d, &df) in dfs.iter().enumerate() {
                for (f, form) in forms.iter().enumerate() {
                    out[f].push(totals.present[d].then(|| DomainValue {
                        estimate: form.value(totals.sums(d, 0)),
                        n: totals.n[d],
                        pop_size: totals.sums(d, 0)[pops[f]],
                        spread: Spread::Replicate {
                            thetas: (1..totals.n_reps).map(|r| form.value(totals.sums(d, r))).collect(),
                            df,
                        },
                    }));
                }
            }
        }
    }
    out
}

/// A value as the context keeps it: summarised at once when no contrast
/// will be asked for. A value that cannot be summarised keeps its scores,
/// so that publishing reports the error.
fn kept(ctx: &Context, value: Option<DomainValue>) -> Option<DomainValue> {
    match value {
        Some(v) if ctx.summarise => Some(v.summarised(ctx.design, ctx.options.level)),
        other => other,
    }
}

/// Smooth values of a linearisation design from (PSU, domain) totals.
#[allow(clippy::too_many_arguments)]
fn linear_values(
    ctx: &Context,
    lin: &crate::design::Linear,
    cells: &Cells,
    nd: usize,
    k: usize,
    row: &impl RowFn,
    forms: &[Form],
    pops: &[usize],
    out: &mut [Vec<Option<DomainValue>>],
) {
    // Values that may be contrasted share the aggregates and form
    // their scores when needed; summarised values form them at once.
    let shared = Arc::new(SharedTotals::new(lin, psu_totals(lin, ctx.weights(), cells, nd, k, row)));
    let domains = shared.domains();
    for d in 0..nd {
        let t = domains.total(d);
        for (f, form) in forms.iter().enumerate() {
            let value = (!domains.is_empty(d)).then(|| DomainValue {
                estimate: form.value(&t),
                n: domains.n(d),
                pop_size: t[pops[f]],
                spread: if ctx.summarise {
                    domains.spread(d, |s| form.score(&t, s))
                } else {
                    Spread::Deferred {
                        totals: Arc::clone(&shared),
                        domain: d as u32,
                        form: *form,
                        t: t.clone().into_boxed_slice(),
                        scale: 1.0,
                    }
                },
            });
            out[f].push(kept(ctx, value));
        }
    }
}

fn domain_labels(ctx: &Context, d: usize) -> Vec<String> {
    if ctx.domains.len() == 1 && ctx.domains.labels[0].is_empty() {
        Vec::new()
    } else {
        ctx.domains.labels[d].split(LABEL_SEPARATOR).map(str::to_string).collect()
    }
}

fn publish(ctx: &Context, statistic: &str, variable: &str, values: &[Option<DomainValue>]) -> Result<Vec<Row>> {
    let finished: Vec<Option<Result<Estimate>>> =
        values.par_iter().map(|v| v.as_ref().map(|v| v.finish(ctx.design, ctx.options.level))).collect();
    let mut rows = Vec::new();
    for (d, e) in finished.into_iter().enumerate() {
        if let Some(e) = e {
            rows.push(Row {
                statistic: statistic.to_string(),
                variable: variable.to_string(),
                domain: domain_labels(ctx, d),
                estimate: e?,
            });
        }
    }
    Ok(rows)
}

/// Differences between levels `a` and `b` of the last `by` variable, within
/// each combination of the other `by` variables.
fn differences(
    ctx: &Context,
    statistic: &str,
    variable: &str,
    values: &[Option<DomainValue>],
    a: &str,
    b: &str,
    n_by: usize,
) -> Result<Vec<Row>> {
    if n_by == 0 {
        return Err(SurveyError::Invalid("differences between domains need --by".into()));
    }
    let mut rows = Vec::new();
    for (da, label) in ctx.domains.labels.iter().enumerate() {
        let mut parts: Vec<&str> = label.split(LABEL_SEPARATOR).collect();
        if parts.last() != Some(&a) {
            continue;
        }
        *parts.last_mut().expect("non-empty") = b;
        let other = parts.join(&LABEL_SEPARATOR.to_string());
        let Some(db) = ctx.domains.labels.iter().position(|l| *l == other) else { continue };
        let (Some(va), Some(vb)) = (&values[da], &values[db]) else { continue };
        let Some(diff) = va.minus(vb) else {
            return Err(SurveyError::Invalid(format!("differences are not available for the {statistic} statistic")));
        };
        let mut domain = domain_labels(ctx, da);
        *domain.last_mut().expect("non-empty") = format!("{a}-{b}");
        rows.push(Row {
            statistic: format!("diff_{statistic}"),
            variable: variable.to_string(),
            domain,
            estimate: diff.finish(ctx.design, ctx.options.level)?,
        });
    }
    Ok(rows)
}

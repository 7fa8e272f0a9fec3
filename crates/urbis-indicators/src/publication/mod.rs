//! Publication safety (docs/publication.md): every figure is checked before
//! it is written.
//!
//! 1. Primary disclosure control: the threshold rule marks survey figures
//!    from fewer than `min_respondents` respondents, and register figures
//!    from fewer than `min_count` persons, confidential (CONF_STATUS `C`);
//!    the (n,k)-dominance rule marks magnitude cells whose `n` largest
//!    contributors hold more than `k` % of the total ([`Concentration`]).
//! 2. Reliability: survey figures below `min_n` respondents (or above the
//!    CV or half-width limits) are not published (flag `u`, CONF_STATUS
//!    `N`); those below `reliable_n` (or the `reliable_` limits) carry flag `u`.
//! 3. Gaps to natives are published only when both sides are.
//! 4. Pooled years as a fallback: an annual figure that fails the rules is
//!    replaced by the pooled figure of the window ending that year when that
//!    one fares better ([`fallback`]).
//! 5. Small-area estimates (method `fh`, [`ModelNote`]): the reliability
//!    limits on the CV and the half-width apply, those on `n` do not (the
//!    figure is not a tabulation of the area's respondents); the threshold
//!    and dominance rules apply when the direct estimate weighs more than
//!    half in the model estimate (`gamma > 0.5`). Gaps are published only
//!    between figures of one method.
//!
//! 6. Secondary suppression ([`secondary`]): published figures that would
//!    let a confidential one be recovered by subtraction (groups add up to
//!    `TOTAL`, areas to the area containing them, years to their pooled
//!    window) are suppressed too, as few and as small as possible, and an
//!    exact check confirms that no confidential value is determined. Gaps
//!    follow their sides again.
//!
//! Suppressed figures have no estimate, SE or interval; confidential ones
//! no `n` either. The [`Review`] lists every figure that is not published
//! as it came out of estimation, and why.

pub mod rules;
pub mod secondary;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use urbis_core::{IndicatorRow, Measure};

use crate::catalogue::{Indicator, Kind};
use crate::classify::NAT;
use crate::geography::AreaSum;
use rules::PoolMode;
pub use rules::Rules;

/// The `method` of figures from pooled survey years.
pub const POOLED: &str = "pooled";

/// The `method` of small-area model estimates (Fay–Herriot EBLUPs and
/// synthetic estimates).
pub const FH: &str = "fh";

/// Above this weight of the direct estimate in a model estimate, the
/// threshold and dominance rules of the direct figure stay on the model
/// figure: it is then mostly the direct tabulation (docs/publication.md).
pub const DIRECT_WEIGHT_FOR_DISCLOSURE: f64 = 0.5;

/// What the rules need to know about a small-area model estimate (one per
/// row, parallel to the rows; `None` for other figures).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelNote {
    /// Weight of the direct estimate in the EBLUP (0 for a synthetic estimate).
    pub gamma: f64,
    /// Why the model estimate is published (what happened to the direct figure).
    pub reason: String,
}

/// What happened to a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Published with flag `u` (low reliability).
    Flagged,
    /// Not published: below a reliability limit (CONF_STATUS `N`).
    NotPublished,
    /// Confidential by the threshold rule (CONF_STATUS `C`).
    Primary,
    /// Confidential because a side of a gap is (CONF_STATUS `C`).
    ConfidentialGap,
    /// The annual figure failed the rules and the pooled one of the window
    /// ending that year is published instead (`[publication.pooling]`
    /// `mode = "fallback"`).
    Pooled,
    /// The direct figure failed the rules (or there was none) and the
    /// small-area model estimate is published instead (`[[small_area]]`).
    SmallArea,
    /// Suppressed so that a confidential figure cannot be recovered from
    /// published totals (CONF_STATUS `C`).
    Secondary,
}

/// One line of the review.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub indicator: String,
    pub geo_level: String,
    pub geo: String,
    pub time: String,
    pub breakdown: String,
    pub group: String,
    pub measure: String,
    pub action: Action,
    pub reason: String,
}

/// The report for the statistician's review before release.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Review {
    /// Figures by outcome: `published`, `flagged`, `not_published`, `primary`,
    /// `secondary`, `confidential_gap`, `pooled` (annual figures replaced by
    /// pooled ones) and `small_area` (model estimates published for failing
    /// direct ones).
    pub counts: BTreeMap<String, usize>,
    pub entries: Vec<Entry>,
    /// Confidential values that the published figures still determine
    /// (recovered exactly by sums and differences): 0 with secondary
    /// suppression, which protects them all.
    pub unprotected: usize,
}

impl Review {
    /// What the statistician must do before release, if anything.
    pub fn warning(&self) -> Option<String> {
        (self.unprotected > 0).then(|| {
            format!(
                "{} confidential values can be recovered exactly from the published figures by sums and \
                 differences (secondary suppression is off, or found no figure left to suppress); \
                 protect them before release",
                self.unprotected
            )
        })
    }

    /// The review as text: counts, then one line per figure.
    pub fn to_text(&self) -> String {
        let mut out = String::from("Publication review\n\n");
        for (what, n) in &self.counts {
            out.push_str(&format!("{what:>14}: {n}\n"));
        }
        if let Some(warning) = self.warning() {
            out.push_str(&format!("\nwarning: {warning}\n"));
        }
        if !self.entries.is_empty() {
            out.push_str("\nindicator\ttime\tgeo_level\tgeo\tbreakdown\tgroup\tmeasure\taction\treason\n");
        }
        for e in &self.entries {
            let action = match e.action {
                Action::Flagged => "flag u",
                Action::NotPublished => "not published",
                Action::Primary => "confidential (primary)",
                Action::ConfidentialGap => "confidential (gap)",
                Action::Pooled => "replaced by pooled years",
                Action::SmallArea => "small-area model (fh)",
                Action::Secondary => "confidential (secondary)",
            };
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{action}\t{}\n",
                e.indicator, e.time, e.geo_level, e.geo, e.breakdown, e.group, e.measure, e.reason
            ));
        }
        out
    }
}

/// Each row's outcome while the rules are applied.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Free,
    Flagged(String),
    NotPublished(String),
    Primary(String),
    ConfidentialGap(String),
    Secondary(String),
}

/// The contributions behind a magnitude cell, for the (n,k)-dominance rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concentration {
    /// Sum of the `n` largest contributions.
    pub top: f64,
    /// The cell total: sum of all contributions.
    pub total: f64,
    /// Number of contributors with a contribution.
    pub contributors: usize,
}

impl Concentration {
    /// From the contributions of a cell's contributors (non-negative).
    /// With `n` or fewer contributors, the top holds them all.
    pub fn of(mut contributions: Vec<f64>, n: usize) -> Concentration {
        let total = contributions.iter().sum();
        contributions.sort_unstable_by(|a, b| b.total_cmp(a));
        Concentration { top: contributions.iter().take(n).sum(), total, contributors: contributions.len() }
    }
}

/// Applies the rules to the run's rows in place and returns the review.
/// `concentration` is parallel to `rows` (missing entries: no magnitude).
/// With pooling as a fallback, `rows` holds the annual and the pooled
/// figures, and only those published are kept (see [`fallback`]).
pub fn apply(
    rows: &mut Vec<IndicatorRow>,
    concentration: &[Option<Concentration>],
    indicators: &[Indicator],
    rules: &Rules,
) -> Review {
    apply_with_models(rows, concentration, &[], indicators, rules, &[])
}

/// [`apply`] with small-area model estimates among the rows (`models` is
/// parallel to `rows`; missing entries: not a model estimate) and the areas
/// of the hierarchy as sums of their parts, for secondary suppression.
pub fn apply_with_models(
    rows: &mut Vec<IndicatorRow>,
    concentration: &[Option<Concentration>],
    models: &[Option<ModelNote>],
    indicators: &[Indicator],
    rules: &Rules,
    areas: &[AreaSum],
) -> Review {
    let by_id: HashMap<&str, &Indicator> = indicators.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut status: Vec<Status> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let concentration = concentration.get(i).copied().flatten();
            let model = models.get(i).and_then(Option::as_ref);
            first_status(r, by_id.get(r.indicator.as_str()), concentration.as_ref(), model, rules)
        })
        .collect();
    gaps(rows, &mut status);
    let mut review = Review::default();
    for (row, model) in rows.iter().zip(models) {
        if let Some(m) = model {
            review.entries.push(entry(row, Action::SmallArea, m.reason.clone()));
            review.count(Action::SmallArea);
        }
    }
    let hidden =
        if rules.pooling.mode == PoolMode::Fallback { fallback(rows, &mut status, &mut review) } else { Vec::new() };
    let shares = indicators.iter().filter(|i| i.kind == Kind::GroupShare).map(|i| i.id.clone()).collect();
    review.unprotected = suppress_secondary(rows, &mut status, &hidden, areas, shares, rules.secondary);
    for (row, status) in rows.iter_mut().zip(&status) {
        let (action, reason) = match status {
            Status::Free => {
                *review.counts.entry("published".into()).or_default() += 1;
                continue;
            }
            Status::Flagged(why) => (Action::Flagged, why),
            Status::NotPublished(why) => (Action::NotPublished, why),
            Status::Primary(why) => (Action::Primary, why),
            Status::ConfidentialGap(why) => (Action::ConfidentialGap, why),
            Status::Secondary(why) => (Action::Secondary, why),
        };
        review.count(action);
        review.entries.push(entry(row, action, reason.clone()));
        mark(row, action);
    }
    review
}

fn entry(row: &IndicatorRow, action: Action, reason: String) -> Entry {
    Entry {
        indicator: row.indicator.clone(),
        geo_level: row.geo_level.clone(),
        geo: row.geo.clone(),
        time: row.time.clone(),
        breakdown: row.breakdown.clone(),
        group: row.group.clone(),
        measure: row.measure.code().to_string(),
        action,
        reason,
    }
}

impl Review {
    fn count(&mut self, action: Action) {
        let name = match action {
            Action::Flagged => "flagged",
            Action::NotPublished => "not_published",
            Action::Primary => "primary",
            Action::ConfidentialGap => "confidential_gap",
            Action::Pooled => "pooled",
            Action::SmallArea => "small_area",
            Action::Secondary => "secondary",
        };
        *self.counts.entry(name.into()).or_default() += 1;
    }
}

/// How bad a status is: published, flagged, not published, confidential.
fn severity(status: &Status) -> u8 {
    match status {
        Status::Free => 0,
        Status::Flagged(_) => 1,
        Status::NotPublished(_) => 2,
        Status::Primary(_) | Status::ConfidentialGap(_) | Status::Secondary(_) => 3,
    }
}

/// A figure's cell and year: indicator, level, area, breakdown, group, measure, year.
type Cell<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, Measure, &'a str);

fn cell<'a>(r: &'a IndicatorRow, year: &'a str) -> Cell<'a> {
    (&r.indicator, &r.geo_level, &r.geo, &r.breakdown, &r.group, r.measure, year)
}

/// The year a pooled figure's window ends (`2021-2023` → `2023`).
fn window_end(time: &str) -> &str {
    time.rsplit_once('-').map_or(time, |(_, end)| end)
}

/// Pooling as a fallback: each annual figure that is not published as
/// estimated (flagged, not published or confidential) is replaced by the
/// pooled figure of the same cell (indicator, level, area, breakdown, group,
/// measure) from the window ending that year, when the pooled figure fares
/// strictly better under the same rules. A cell with pooled but no annual
/// figure (no respondent that year) gets its pooled figure. The other pooled
/// figures are dropped. Values and gaps are replaced each on their own
/// status, and a gap's status comes from its own sides (same time, same
/// method), so a published gap is always the contrast of two values of one
/// design. Returns the figures left out (replaced annual figures, pooled
/// figures not chosen) with their status: secondary suppression must keep
/// the confidential ones among them from being recovered.
fn fallback(
    rows: &mut Vec<IndicatorRow>,
    status: &mut Vec<Status>,
    review: &mut Review,
) -> Vec<(IndicatorRow, Status)> {
    let mut pooled: HashMap<Cell, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.method == POOLED {
            pooled.insert(cell(r, window_end(&r.time)), i);
        }
    }
    // For each row: the row published in its place (itself, or a pooled one), or none.
    let mut take: Vec<Option<usize>> = vec![None; rows.len()];
    let mut replaced = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.method == POOLED {
            continue;
        }
        take[i] = Some(i);
        let Some(j) = pooled.remove(&cell(r, &r.time)) else { continue };
        if severity(&status[j]) < severity(&status[i]) {
            take[i] = Some(j);
            replaced.push((i, j));
        }
    }
    let mut orphans: Vec<usize> = pooled.into_values().collect();
    orphans.sort_unstable();
    for (i, j) in replaced {
        let why = match &status[i] {
            Status::Free => unreachable!("a published figure is never replaced"),
            Status::Flagged(why) => format!("annual figure flagged u ({why})"),
            Status::NotPublished(why) => format!("annual figure not published ({why})"),
            Status::Primary(why) | Status::ConfidentialGap(why) | Status::Secondary(why) => {
                format!("annual figure confidential ({why})")
            }
        };
        let reason = format!("{why}; published from the pooled years {}", rows[j].time);
        review.entries.push(entry(&rows[i], Action::Pooled, reason));
        review.count(Action::Pooled);
    }
    let order: Vec<usize> = take.into_iter().flatten().chain(orphans).collect();
    let mut old_rows: Vec<Option<IndicatorRow>> = std::mem::take(rows).into_iter().map(Some).collect();
    let mut old_status: Vec<Option<Status>> = std::mem::take(status).into_iter().map(Some).collect();
    for i in order {
        rows.push(old_rows[i].take().expect("each row is published once"));
        status.push(old_status[i].take().expect("each row is published once"));
    }
    old_rows.into_iter().zip(old_status).filter_map(|(r, s)| Some((r?, s?))).collect()
}

/// Secondary suppression over the published rows (and the figures left out
/// by pooling, `hidden`), then gaps whose side became suppressed. Returns
/// the number of confidential values that the published figures still
/// determine.
fn suppress_secondary(
    rows: &[IndicatorRow],
    status: &mut [Status],
    hidden: &[(IndicatorRow, Status)],
    areas: &[AreaSum],
    shares: std::collections::BTreeSet<String>,
    enabled: bool,
) -> usize {
    let figure = |row, status: &Status, published| secondary::Figure {
        row,
        confidential: matches!(status, Status::Primary(_)),
        published,
        weight: match status {
            Status::Free => 1.0,
            Status::Flagged(_) => 0.5,
            _ => 0.1,
        },
    };
    let figures: Vec<secondary::Figure> = rows
        .iter()
        .zip(status.iter())
        .map(|(r, s)| figure(r, s, true))
        .chain(hidden.iter().map(|(r, s)| figure(r, s, false)))
        .collect();
    let decision = secondary::protect(&figures, areas, shares, enabled);
    if decision.suppress.is_empty() {
        return decision.unprotected;
    }
    for (i, why) in decision.suppress {
        status[i] = Status::Secondary(why);
    }
    // A gap next to a suppressed side would give that side away.
    let suppressed: std::collections::HashSet<SideKey> = rows
        .iter()
        .zip(status.iter())
        .filter(|(r, s)| r.measure == Measure::Value && matches!(s, Status::Secondary(_)))
        .map(|(r, _)| side_key(r, &r.group))
        .collect();
    for (r, s) in rows.iter().zip(status.iter_mut()) {
        let side = |group: &str| suppressed.contains(&side_key(r, group));
        if r.measure != Measure::Value && severity(s) < 3 && (side(&r.group) || side(NAT)) {
            *s = Status::ConfidentialGap("a side is confidential (secondary)".into());
        }
    }
    decision.unprotected
}

/// Writes the outcome into the row: flags, status, and blanks.
fn mark(row: &mut IndicatorRow, action: Action) {
    let add_flag = |row: &mut IndicatorRow, f: char| {
        if !row.flag.contains(f) {
            row.flag.push(f);
        }
    };
    if action == Action::Flagged {
        add_flag(row, 'u');
        return;
    }
    row.estimate = f64::NAN;
    row.se = f64::NAN;
    row.ci_low = f64::NAN;
    row.ci_high = f64::NAN;
    row.significant = None;
    if action == Action::NotPublished {
        add_flag(row, 'u');
        row.conf_status = "N".into();
    } else {
        add_flag(row, 'c');
        row.conf_status = "C".into();
        row.n = None;
    }
}

/// Why a figure as estimated is not published as it is (flagged, not
/// published or confidential), or `None` when it passes every rule: the
/// same rules as [`apply`], for deciding which direct figures a small-area
/// model estimate replaces.
pub fn fails(
    row: &IndicatorRow,
    def: Option<&Indicator>,
    concentration: Option<&Concentration>,
    rules: &Rules,
) -> Option<String> {
    match first_status(row, def.as_ref(), concentration, None, rules) {
        Status::Free => None,
        Status::Flagged(why) => Some(format!("flagged u ({why})")),
        Status::NotPublished(why) => Some(format!("not published ({why})")),
        Status::Primary(why) | Status::ConfidentialGap(why) | Status::Secondary(why) => {
            Some(format!("confidential ({why})"))
        }
    }
}

/// The threshold and dominance rules, then the reliability limits, for
/// value rows. For model estimates, the threshold and dominance rules only
/// when the direct estimate weighs more than half, and no limit on `n`.
fn first_status(
    row: &IndicatorRow,
    def: Option<&&Indicator>,
    concentration: Option<&Concentration>,
    model: Option<&ModelNote>,
    rules: &Rules,
) -> Status {
    if row.measure != Measure::Value {
        return Status::Free;
    }
    let n = row.n.unwrap_or(0);
    if row.method == "register" {
        let numerator = (row.estimate * n as f64 / 100.0).round() as u64;
        if n < rules.min_count {
            return Status::Primary(format!("{n} persons < {}", rules.min_count));
        }
        if numerator > 0 && numerator < rules.min_count {
            return Status::Primary(format!("numerator of {numerator} persons < {}", rules.min_count));
        }
        return Status::Free;
    }
    let direct_rules = model.is_none_or(|m| m.gamma > DIRECT_WEIGHT_FOR_DISCLOSURE);
    if direct_rules && n < rules.min_respondents {
        let model = match model {
            Some(m) => format!(" (model estimate with gamma = {:.2} > {DIRECT_WEIGHT_FOR_DISCLOSURE})", m.gamma),
            None => String::new(),
        };
        return Status::Primary(format!("n = {n} < {} respondents{model}", rules.min_respondents));
    }
    if let (true, Some(rule), Some(c)) = (direct_rules, &rules.dominance, concentration) {
        if rule.is_sensitive(c.top, c.total) {
            let largest = match rule.n {
                1 => "the largest contributor holds".to_string(),
                n => format!("the {n} largest contributors hold"),
            };
            return Status::Primary(format!(
                "dominance ({}, {}): {largest} {:.1} % of the total > {} % (contributors: {})",
                rule.n,
                rule.k,
                100.0 * c.top / c.total,
                rule.k,
                c.contributors
            ));
        }
    }
    let limits = rules.reliability(def.map_or("custom", |d| d.family.as_str()));
    if !row.estimate.is_finite() {
        return Status::NotPublished("no finite estimate".into());
    }
    let cv = if row.se == 0.0 { 0.0 } else { 100.0 * row.se / row.estimate.abs() };
    let half = (row.ci_high - row.ci_low) / 2.0;
    let fails = |n_limit: u64, cv_limit: Option<f64>, half_limit: Option<f64>| -> Option<String> {
        if n < n_limit {
            return Some(format!("n = {n} < {n_limit}"));
        }
        if let Some(limit) = cv_limit.filter(|&l| cv.is_nan() || cv > l) {
            return Some(format!("CV = {cv:.1} % > {limit} %"));
        }
        if let Some(limit) = half_limit.filter(|&l| half.is_nan() || half > l) {
            return Some(format!("CI half-width = {half:.3} > {limit}"));
        }
        None
    };
    // A model estimate is not a tabulation of the area's respondents: its
    // reliability is its MSE, judged by the CV and half-width limits.
    let (min_n, reliable_n) = if model.is_some() { (0, 0) } else { (limits.min_n, limits.reliable_n) };
    if let Some(why) = fails(min_n, limits.max_cv, limits.max_half_width) {
        return Status::NotPublished(why);
    }
    if let Some(why) = fails(reliable_n, limits.reliable_cv, limits.reliable_half_width) {
        return Status::Flagged(why);
    }
    Status::Free
}

/// A value figure a gap of `row` contrasts: indicator, level, area, period,
/// breakdown and `group`.
type SideKey<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

fn side_key<'a>(row: &'a IndicatorRow, group: &'a str) -> SideKey<'a> {
    (&row.indicator, &row.geo_level, &row.geo, &row.time, &row.breakdown, group)
}

/// Gaps follow their sides: published only when both are, and only when
/// both sides come from the gap's own method (a gap is a contrast of two
/// domain estimates of one design; a side replaced by a model estimate has
/// no covariance with the other side that could be used).
fn gaps(rows: &[IndicatorRow], status: &mut [Status]) {
    let index: HashMap<SideKey, usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.measure == Measure::Value)
        .map(|(i, r)| (side_key(r, &r.group), i))
        .collect();
    for (i, r) in rows.iter().enumerate() {
        if r.measure == Measure::Value {
            continue;
        }
        let side = |group| index.get(&side_key(r, group)).copied();
        let sides = [side(r.group.as_str()), side(NAT)];
        if let Some(other) = sides.iter().flatten().map(|&s| &rows[s]).find(|s| s.method != r.method) {
            status[i] = Status::NotPublished(format!(
                "the {} side is a '{}' figure, not '{}': gaps are published between figures of one method",
                other.group, other.method, r.method
            ));
            continue;
        }
        let worst = sides
            .iter()
            .map(|s| match s {
                Some(s) => status[*s].clone(),
                None => Status::NotPublished("a side has no figure".into()),
            })
            .max_by_key(severity)
            .expect("two sides");
        status[i] = match worst {
            Status::Free => Status::Free,
            Status::Flagged(why) => Status::Flagged(format!("a side is flagged u ({why})")),
            Status::NotPublished(why) => Status::NotPublished(format!("a side is not published ({why})")),
            Status::Primary(_) | Status::ConfidentialGap(_) | Status::Secondary(_) => {
                Status::ConfidentialGap("a side is confidential".into())
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    fn value(level: &str, geo: &str, group: &str, n: u64) -> IndicatorRow {
        IndicatorRow {
            indicator: "emp_rate".into(),
            geo: geo.into(),
            geo_level: level.into(),
            time: "2023".into(),
            breakdown: "c_birth".into(),
            group: group.into(),
            measure: Measure::Value,
            unit: "PC".into(),
            estimate: 60.0,
            se: 3.0,
            ci_low: 54.0,
            ci_high: 66.0,
            n: Some(n),
            flag: String::new(),
            conf_status: "F".into(),
            method: "direct".into(),
            definition: "c_birth.v1".into(),
            significant: None,
        }
    }

    fn gap(level: &str, geo: &str, group: &str) -> IndicatorRow {
        IndicatorRow { measure: Measure::GapDifference, unit: "PP".into(), ..value(level, geo, group, 100) }
    }

    /// An area with its natives, the two foreign groups (and FOR) and TOTAL.
    fn area(level: &str, geo: &str, [nat, eu, neu]: [u64; 3]) -> Vec<IndicatorRow> {
        vec![
            value(level, geo, "NAT", nat),
            value(level, geo, "EU27_2020_FOR", eu),
            value(level, geo, "NEU27_2020_FOR", neu),
            value(level, geo, "FOR", eu + neu),
            value(level, geo, "TOTAL", nat + eu + neu),
        ]
    }

    fn find<'a>(rows: &'a [IndicatorRow], geo: &str, group: &str, measure: Measure) -> &'a IndicatorRow {
        rows.iter().find(|r| r.geo == geo && r.group == group && r.measure == measure).unwrap()
    }

    #[test]
    fn figures_exactly_at_a_threshold_pass_it() {
        let mut rows = vec![
            value("city", "A", "NAT", 10),
            value("city", "B", "NAT", 9),
            value("city", "C", "NAT", 20),
            value("city", "D", "NAT", 19),
            value("city", "E", "NAT", 50),
            value("city", "F", "NAT", 49),
        ];
        apply(&mut rows, &[], &catalogue(), &Rules::default());
        let status: Vec<(&str, &str)> = rows.iter().map(|r| (r.conf_status.as_str(), r.flag.as_str())).collect();
        // n = 10 passes the threshold rule but not min_n = 20; 20 is published, flagged.
        assert_eq!(status, [("N", "u"), ("C", "c"), ("F", "u"), ("N", "u"), ("F", ""), ("F", "u")]);
        assert!(rows[1].estimate.is_nan() && rows[1].n.is_none());
        assert!(rows[0].estimate.is_nan() && rows[0].n == Some(10), "not published keeps its n");
        assert_eq!(rows[2].estimate, 60.0);
    }

    #[test]
    fn cv_and_half_width_limits() {
        let mut rows = vec![value("city", "A", "NAT", 500), value("city", "B", "NAT", 500)];
        rows[1].se = 15.0;
        let mut rules = Rules::default();
        rules.general.reliable_cv = Some(4.0);
        rules.general.max_cv = Some(20.0);
        let review = apply(&mut rows, &[], &catalogue(), &rules);
        assert_eq!((rows[0].flag.as_str(), rows[0].conf_status.as_str()), ("u", "F"), "CV 5 % > 4 %");
        assert_eq!(rows[1].conf_status, "N", "CV 25 % > 20 %");
        assert!(review.entries[1].reason.starts_with("CV = 25.0 %"), "{:?}", review.entries[1]);
        let mut rows = vec![value("city", "A", "NAT", 500)];
        let mut rules = Rules::default();
        rules.general.max_half_width = Some(5.0);
        apply(&mut rows, &[], &catalogue(), &rules);
        assert_eq!(rows[0].conf_status, "N", "half-width 6 > 5");
    }

    #[test]
    fn a_gap_follows_its_sides() {
        let mut rows = area("city", "A", [400, 30, 200]);
        rows.extend([gap("city", "A", "EU27_2020_FOR"), gap("city", "A", "NEU27_2020_FOR"), gap("city", "A", "FOR")]);
        rows[5].significant = Some(true);
        apply(&mut rows, &[], &catalogue(), &Rules::default());
        let eu = find(&rows, "A", "EU27_2020_FOR", Measure::GapDifference);
        assert_eq!((eu.flag.as_str(), eu.conf_status.as_str()), ("u", "F"), "n = 30 side is flagged");
        assert!(eu.estimate.is_finite() && eu.significant == Some(true));
        assert_eq!(find(&rows, "A", "NEU27_2020_FOR", Measure::GapDifference).flag, "");

        let mut rows = area("city", "A", [400, 5, 200]);
        rows.push(gap("city", "A", "EU27_2020_FOR"));
        apply(&mut rows, &[], &catalogue(), &Rules::default());
        let eu = find(&rows, "A", "EU27_2020_FOR", Measure::GapDifference);
        assert_eq!(eu.conf_status, "C");
        assert!(eu.estimate.is_nan() && eu.n.is_none());
    }

    fn pooled(row: IndicatorRow, window: &str, n: u64) -> IndicatorRow {
        IndicatorRow { time: window.into(), method: POOLED.into(), n: Some(n), estimate: 61.0, ..row }
    }

    fn fallback_rules() -> Rules {
        Rules { pooling: rules::Pooling { mode: PoolMode::Fallback, years: 3, line: None }, ..Rules::default() }
    }

    #[test]
    fn fallback_keeps_annual_figures_that_pass_and_exactly_at_a_threshold() {
        // n = 50 is exactly reliable_n: published without flag, kept.
        let annual = value("city", "A", "NAT", 50);
        let mut rows = vec![annual.clone(), pooled(annual, "2021-2023", 150)];
        let review = apply(&mut rows, &[], &catalogue(), &fallback_rules());
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].time.as_str(), rows[0].method.as_str(), rows[0].flag.as_str()), ("2023", "direct", ""));
        assert!(review.entries.is_empty() && !review.counts.contains_key("pooled"));
    }

    #[test]
    fn fallback_replaces_failing_annual_figures_by_better_pooled_ones() {
        let flagged = value("city", "A", "NAT", 49); // one below reliable_n: flag u
        let not_published = value("city", "B", "NAT", 12);
        let confidential = value("city", "C", "NAT", 4);
        let both_fail = value("city", "D", "NAT", 15);
        let mut rows = vec![
            flagged.clone(),
            not_published.clone(),
            confidential.clone(),
            both_fail.clone(),
            pooled(flagged, "2021-2023", 140),
            pooled(not_published, "2021-2023", 30),
            pooled(confidential, "2021-2023", 15),
            pooled(both_fail, "2021-2023", 19),
            // A window ending in another year does not stand for 2023.
            pooled(value("city", "B", "NAT", 0), "2020-2022", 400),
        ];
        let review = apply(&mut rows, &[], &catalogue(), &fallback_rules());
        let got: Vec<(&str, &str, &str, &str)> =
            rows.iter().map(|r| (r.geo.as_str(), r.time.as_str(), r.conf_status.as_str(), r.flag.as_str())).collect();
        assert_eq!(
            got,
            [
                ("A", "2021-2023", "F", ""),
                ("B", "2021-2023", "F", "u"),
                ("C", "2021-2023", "N", "u"),
                ("D", "2023", "N", "u"),
                // No annual figure for 2022 in the rows: the pooled one stands alone.
                ("B", "2020-2022", "F", ""),
            ]
        );
        assert_eq!(rows[0].estimate, 61.0);
        assert_eq!(review.counts["pooled"], 3);
        let entry = review.entries.iter().find(|e| e.action == Action::Pooled && e.geo == "A").unwrap();
        assert_eq!(entry.time, "2023");
        assert_eq!(entry.reason, "annual figure flagged u (n = 49 < 50); published from the pooled years 2021-2023");
        assert_eq!(review.unprotected, 0, "the confidential annual figure is not published");
    }

    #[test]
    fn fallback_gaps_come_with_their_own_window() {
        let mut annual = area("city", "A", [400, 30, 200]);
        annual.extend([gap("city", "A", "EU27_2020_FOR"), gap("city", "A", "NEU27_2020_FOR")]);
        let pooled_rows: Vec<IndicatorRow> = area("city", "A", [1200, 90, 600])
            .into_iter()
            .chain([gap("city", "A", "EU27_2020_FOR"), gap("city", "A", "NEU27_2020_FOR")])
            .map(|r| {
                let n = r.n.unwrap();
                pooled(r, "2021-2023", n)
            })
            .collect();
        let mut rows = annual.into_iter().chain(pooled_rows).collect::<Vec<_>>();
        apply(&mut rows, &[], &catalogue(), &fallback_rules());
        // The EU value (n = 30, flagged) and its gap (flagged through that
        // side) come from the window; natives and the non-EU gap stay annual.
        let eu = find(&rows, "A", "EU27_2020_FOR", Measure::Value);
        assert_eq!((eu.time.as_str(), eu.flag.as_str()), ("2021-2023", ""));
        let eu_gap = find(&rows, "A", "EU27_2020_FOR", Measure::GapDifference);
        assert_eq!((eu_gap.time.as_str(), eu_gap.method.as_str(), eu_gap.flag.as_str()), ("2021-2023", "pooled", ""));
        assert_eq!(find(&rows, "A", "NAT", Measure::Value).time, "2023");
        assert_eq!(find(&rows, "A", "NEU27_2020_FOR", Measure::GapDifference).time, "2023");
        assert_eq!(rows.len(), 7);
    }

    #[test]
    fn without_fallback_pooled_and_annual_rows_are_all_kept() {
        let annual = value("city", "A", "NAT", 30);
        let mut rows = vec![annual.clone(), pooled(annual, "2021-2023", 90)];
        apply(&mut rows, &[], &catalogue(), &Rules::default());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].flag, "u");
    }

    fn model(row: IndicatorRow, gamma: f64) -> (IndicatorRow, Option<ModelNote>) {
        (IndicatorRow { method: FH.into(), ..row }, Some(ModelNote { gamma, reason: "direct figure failed".into() }))
    }

    #[test]
    fn model_estimates_keep_the_threshold_rule_only_when_mostly_direct() {
        // n = 5 < min_respondents = 10; n = 12 < min_n = 20.
        let cases = [
            (model(value("district", "A", "NAT", 5), 0.51), "C"),
            (model(value("district", "B", "NAT", 5), 0.5), "F"),
            (model(value("district", "C", "NAT", 0), 0.0), "F"),
            (model(value("district", "D", "NAT", 12), 0.9), "F"),
            ((value("district", "E", "NAT", 12), None), "N"),
        ];
        let (mut rows, models): (Vec<_>, Vec<_>) = cases.iter().map(|(m, _)| m.clone()).unzip();
        let review = apply_with_models(&mut rows, &[], &models, &catalogue(), &Rules::default(), &[]);
        let got: Vec<&str> = rows.iter().map(|r| r.conf_status.as_str()).collect();
        assert_eq!(got, cases.iter().map(|(_, s)| *s).collect::<Vec<_>>());
        assert_eq!(rows[3].flag, "", "no n limit on a model estimate");
        assert_eq!(review.counts["small_area"], 4);
        let primary = review.entries.iter().find(|e| e.action == Action::Primary).unwrap();
        assert_eq!(primary.reason, "n = 5 < 10 respondents (model estimate with gamma = 0.51 > 0.5)");
    }

    #[test]
    fn model_estimates_face_the_cv_limits_and_gaps_need_one_method() {
        let mut rules = Rules::default();
        rules.general.reliable_cv = Some(4.0);
        rules.general.max_cv = Some(20.0);
        let mut rows = area("district", "A", [400, 30, 200]);
        rows.extend([gap("district", "A", "EU27_2020_FOR"), gap("district", "A", "NEU27_2020_FOR")]);
        let mut models = vec![None; rows.len()];
        let (eu, note) = model(IndicatorRow { se: 2.0, ..rows[1].clone() }, 0.2);
        rows[1] = eu;
        models[1] = note;
        rows[0].se = 2.0;
        rows[2].se = 2.0;
        let (neu, note) = model(IndicatorRow { se: 15.0, ..rows[2].clone() }, 0.2);
        rows[2] = neu;
        models[2] = note;
        apply_with_models(&mut rows, &[], &models, &catalogue(), &rules, &[]);
        let eu = find(&rows, "A", "EU27_2020_FOR", Measure::Value);
        assert_eq!((eu.flag.as_str(), eu.conf_status.as_str()), ("", "F"), "CV 3.3 % of a model estimate passes");
        assert_eq!(find(&rows, "A", "NEU27_2020_FOR", Measure::Value).conf_status, "N", "CV 25 % > 20 %");
        let eu_gap = find(&rows, "A", "EU27_2020_FOR", Measure::GapDifference);
        assert_eq!(eu_gap.conf_status, "N", "a direct gap with a model side");
        assert!(eu_gap.estimate.is_nan());
    }

    fn dominance_rules(n: usize, k: f64) -> Rules {
        Rules { dominance: Some(rules::Dominance { n, k }), ..Rules::default() }
    }

    #[test]
    fn concentration_of_the_largest_contributions() {
        let c = Concentration::of(vec![10.0, 50.0, 25.0, 15.0], 1);
        assert_eq!((c.top, c.total, c.contributors), (50.0, 100.0, 4));
        assert_eq!(Concentration::of(vec![10.0, 50.0, 25.0, 15.0], 2).top, 75.0);
        assert_eq!(Concentration::of(vec![10.0, 50.0, 25.0, 15.0], 3).top, 90.0);
        // n or fewer contributors: the top is the whole cell.
        let c = Concentration::of(vec![30.0, 70.0], 3);
        assert_eq!((c.top, c.total, c.contributors), (100.0, 100.0, 2));
    }

    #[test]
    fn dominance_marks_magnitude_cells_confidential_above_k_percent() {
        let contributions =
            [vec![60.0, 30.0, 10.0], vec![61.0, 30.0, 9.0], vec![40.0, 40.0, 20.0], vec![45.0, 40.0, 15.0]];
        let run = |n: usize, k: f64| -> (Vec<String>, Review) {
            let mut rows: Vec<IndicatorRow> =
                ["A", "B", "C", "D"].iter().map(|geo| value("city", geo, "NAT", 100)).collect();
            let concentration: Vec<Option<Concentration>> =
                contributions.iter().map(|c| Some(Concentration::of(c.clone(), n))).collect();
            let review = apply(&mut rows, &concentration, &catalogue(), &dominance_rules(n, k));
            (rows.iter().map(|r| r.conf_status.clone()).collect(), review)
        };
        // (1, 60): exactly 60 % is not sensitive, 61 % is.
        let (status, review) = run(1, 60.0);
        assert_eq!(status, ["F", "C", "F", "F"]);
        assert_eq!(
            review.entries[0].reason,
            "dominance (1, 60): the largest contributor holds 61.0 % of the total > 60 % (contributors: 3)"
        );
        assert_eq!(review.unprotected, 0, "a lone group of a city without TOTAL cannot be subtracted out");
        // (2, 80): 90, 91 and 85 % exceed 80; 80 % exactly does not.
        assert_eq!(run(2, 80.0).0, ["C", "C", "F", "C"]);
        assert_eq!(run(2, 85.0).0, ["C", "C", "F", "F"]);
        // (3, k): three contributors hold everything.
        assert_eq!(run(3, 99.9).0, ["C", "C", "C", "C"]);
        assert!(run(2, 80.0).1.entries[0]
            .reason
            .starts_with("dominance (2, 80): the 2 largest contributors hold 90.0 %"));
    }

    #[test]
    fn dominance_applies_only_to_cells_with_contributions_and_gaps_follow() {
        let mut rows = area("city", "A", [400, 300, 200]);
        rows.push(gap("city", "A", "EU27_2020_FOR"));
        let mut concentration = vec![None; rows.len()];
        concentration[1] = Some(Concentration::of(vec![900.0, 50.0, 50.0], 1)); // EU27_2020_FOR
        concentration[2] = Some(Concentration::of(vec![10.0; 200], 1));
        let review = apply(&mut rows, &concentration, &catalogue(), &dominance_rules(1, 60.0));
        assert_eq!(find(&rows, "A", "EU27_2020_FOR", Measure::Value).conf_status, "C");
        assert!(find(&rows, "A", "EU27_2020_FOR", Measure::Value).n.is_none());
        // NEU27_2020_FOR would give EU27_2020_FOR away (FOR − NEU): secondary.
        assert_eq!(find(&rows, "A", "NEU27_2020_FOR", Measure::Value).conf_status, "C");
        assert_eq!(review.counts["secondary"], 1);
        assert_eq!(find(&rows, "A", "NAT", Measure::Value).conf_status, "F", "no contributions: not a magnitude");
        assert_eq!(find(&rows, "A", "EU27_2020_FOR", Measure::GapDifference).conf_status, "C");
        assert_eq!(review.counts["primary"], 1);
        assert_eq!(review.counts["confidential_gap"], 1);
        // Without the rule, contributions change nothing.
        let mut rows = area("city", "A", [400, 300, 200]);
        apply(&mut rows, &concentration, &catalogue(), &Rules::default());
        assert!(rows.iter().all(|r| r.conf_status == "F"));
    }

    fn sum(level: &str, code: &str, part_level: &str, parts: &[&str]) -> AreaSum {
        AreaSum {
            level: level.into(),
            code: code.into(),
            part_level: part_level.into(),
            parts: parts.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn statuses<'a>(rows: &'a [IndicatorRow], geo: &str) -> Vec<(&'a str, &'a str)> {
        rows.iter()
            .filter(|r| r.geo == geo && r.measure == Measure::Value)
            .map(|r| (r.group.as_str(), r.conf_status.as_str()))
            .collect()
    }

    fn secondary_off() -> Rules {
        Rules { secondary: false, ..Rules::default() }
    }

    #[test]
    fn secondary_suppression_stops_recovery_by_subtraction_from_total() {
        // EU27_2020_FOR = TOTAL − NAT − NEU27_2020_FOR = FOR − NEU27_2020_FOR.
        let rows = || {
            let mut rows = area("city", "A", [400, 5, 200]);
            rows.extend([gap("city", "A", "EU27_2020_FOR"), gap("city", "A", "NEU27_2020_FOR")]);
            rows
        };
        let mut off = rows();
        let review = apply_with_models(&mut off, &[], &[], &catalogue(), &secondary_off(), &[]);
        assert_eq!(review.unprotected, 1);
        assert!(review.warning().unwrap().contains("recovered exactly"));
        let mut on = rows();
        let review = apply_with_models(&mut on, &[], &[], &catalogue(), &Rules::default(), &[]);
        assert_eq!(review.unprotected, 0);
        assert!(review.warning().is_none());
        // The cheapest complement: NEU27_2020_FOR (n = 200) rather than NAT, FOR or TOTAL.
        assert_eq!(
            statuses(&on, "A"),
            [("NAT", "F"), ("EU27_2020_FOR", "C"), ("NEU27_2020_FOR", "C"), ("FOR", "F"), ("TOTAL", "F")]
        );
        let neu = find(&on, "A", "NEU27_2020_FOR", Measure::Value);
        assert!(neu.estimate.is_nan() && neu.n.is_none() && neu.flag.contains('c'));
        assert_eq!(find(&on, "A", "NEU27_2020_FOR", Measure::GapDifference).conf_status, "C", "its gap follows");
        assert_eq!(review.counts["secondary"], 1);
        let entry = review.entries.iter().find(|e| e.action == Action::Secondary).unwrap();
        assert!(
            entry.reason.starts_with("protects emp_rate 2023 city A EU27_2020_FOR (c_birth) ("),
            "{}",
            entry.reason
        );
        assert!(review.to_text().contains("confidential (secondary)"));
    }

    #[test]
    fn a_cell_exactly_at_the_threshold_needs_no_protection() {
        // n = 10 is not confidential (min_respondents = 10): nothing to protect.
        let mut rows = area("city", "A", [400, 10, 200]);
        let review = apply(&mut rows, &[], &catalogue(), &Rules::default());
        assert!(!review.counts.contains_key("secondary") && !review.counts.contains_key("primary"));
        assert_eq!(find(&rows, "A", "NEU27_2020_FOR", Measure::Value).conf_status, "F");
    }

    #[test]
    fn a_row_of_confidential_groups_needs_no_complement() {
        // NAT, EU, NEU and FOR are all confidential; TOTAL (n = 12, not
        // published, its n visible) alone determines none of them.
        let mut rows = area("city", "A", [5, 4, 3]);
        let review = apply(&mut rows, &[], &catalogue(), &Rules::default());
        assert_eq!(review.counts["primary"], 4);
        assert!(!review.counts.contains_key("secondary"));
        assert_eq!(find(&rows, "A", "TOTAL", Measure::Value).conf_status, "N");
        assert_eq!(review.unprotected, 0);
    }

    #[test]
    fn areas_add_up_to_their_parent_and_a_single_child_is_its_parent() {
        // City C = districts D1 + D2; D1's EU group is confidential. Its
        // city's EU group is not, and C − D2 would give D1 away.
        let mut rows = area("district", "D1", [300, 6, 100]);
        rows.extend(area("district", "D2", [200, 40, 90]));
        rows.extend(area("city", "C", [500, 46, 190]));
        let areas = [sum("city", "C", "district", &["D1", "D2"])];
        let mut off = rows.clone();
        let review = apply_with_models(&mut off, &[], &[], &catalogue(), &secondary_off(), &areas);
        assert_eq!(review.unprotected, 1);
        let review = apply_with_models(&mut rows, &[], &[], &catalogue(), &Rules::default(), &areas);
        assert_eq!(review.unprotected, 0);
        assert!(review.counts["secondary"] >= 3, "{:?}", review.counts);
        assert!(statuses(&rows, "D2").contains(&("EU27_2020_FOR", "C")), "{:?}", statuses(&rows, "D2"));

        // City C has one district D: the same persons under two names. The
        // complement chosen in D must be suppressed in C as well.
        let mut rows = area("district", "D", [300, 6, 100]);
        rows.extend(area("city", "C", [300, 6, 100]));
        let review = apply_with_models(
            &mut rows,
            &[],
            &[],
            &catalogue(),
            &Rules::default(),
            &[sum("city", "C", "district", &["D"])],
        );
        assert_eq!(review.unprotected, 0);
        assert_eq!(statuses(&rows, "D"), statuses(&rows, "C"));
        assert_eq!(statuses(&rows, "D").iter().filter(|s| s.1 == "C").count(), 2);
    }

    #[test]
    fn shares_of_the_population_add_up_to_all_without_a_published_total() {
        // A share indicator publishes no TOTAL: its groups still add up to
        // 100 %, so EU27_2020_FOR = 100 − NAT − NEU27_2020_FOR.
        let rows = || -> Vec<IndicatorRow> {
            area("city", "A", [400, 5, 200])
                .into_iter()
                .filter(|r| r.group != "TOTAL" && r.group != "FOR")
                .map(|r| IndicatorRow { indicator: "pop_share".into(), ..r })
                .collect()
        };
        let review = apply_with_models(&mut rows(), &[], &[], &catalogue(), &secondary_off(), &[]);
        assert_eq!(review.unprotected, 1);
        let review = apply(&mut rows(), &[], &catalogue(), &Rules::default());
        assert_eq!((review.unprotected, review.counts["secondary"]), (0, 1));
        // Another indicator without TOTAL (not a share): nothing adds up to a known total.
        let mut other: Vec<IndicatorRow> =
            rows().into_iter().map(|r| IndicatorRow { indicator: "emp_rate".into(), ..r }).collect();
        assert_eq!(apply(&mut other, &[], &catalogue(), &Rules::default()).unprotected, 0);
    }

    #[test]
    fn total_is_one_cell_across_breakdowns() {
        // By citizenship everything is published; by country of birth the
        // EU group is confidential. TOTAL is the same cell in both.
        let mut rows = area("city", "A", [400, 5, 200]);
        rows.extend(
            area("city", "A", [450, 50, 105]).into_iter().map(|r| IndicatorRow { breakdown: "citizen".into(), ..r }),
        );
        let review = apply(&mut rows, &[], &catalogue(), &Rules::default());
        assert_eq!(review.unprotected, 0);
        let totals: Vec<&str> = rows.iter().filter(|r| r.group == "TOTAL").map(|r| r.conf_status.as_str()).collect();
        assert!(totals.iter().all(|s| *s == totals[0]), "{totals:?}");
    }

    #[test]
    fn a_replaced_confidential_annual_figure_stays_protected() {
        // 2023's EU figure (n = 4) is replaced by the pooled one; the annual
        // table still publishes TOTAL, NAT and NEU of 2023, which would give
        // the annual n away.
        let annual = area("city", "A", [400, 4, 200]);
        let pooled_rows: Vec<IndicatorRow> = area("city", "A", [1200, 15, 600])
            .into_iter()
            .map(|r| {
                let n = r.n.unwrap();
                pooled(r, "2021-2023", n)
            })
            .collect();
        let mut rows: Vec<IndicatorRow> = annual.into_iter().chain(pooled_rows).collect();
        let review = apply(&mut rows, &[], &catalogue(), &fallback_rules());
        assert_eq!(find(&rows, "A", "EU27_2020_FOR", Measure::Value).time, "2021-2023");
        assert_eq!(review.unprotected, 0);
        let published_annual: Vec<&str> = rows
            .iter()
            .filter(|r| r.time == "2023" && r.conf_status == "F" && r.group != "NAT" && r.group != "TOTAL")
            .map(|r| r.group.as_str())
            .collect();
        assert!(published_annual.len() < 2, "FOR and NEU of 2023 would give EU away: {published_annual:?}");
    }
}

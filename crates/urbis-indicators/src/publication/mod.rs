//! Publication safety (docs/publication.md): every figure is checked before
//! it is written.
//!
//! 1. Primary disclosure control: the threshold rule marks survey figures
//!    from fewer than `min_respondents` respondents, and register figures
//!    from fewer than `min_count` persons, confidential (CONF_STATUS `C`).
//! 2. Reliability: survey figures below `min_n` respondents (or above the
//!    CV or half-width limits) are not published (flag `u`, CONF_STATUS
//!    `N`); those below `reliable_n` (or the `reliable_` limits) carry flag `u`.
//! 3. Gaps to natives are published only when both sides are.
//!
//! Secondary suppression (protecting confidential cells against recovery by
//! subtraction from published totals) is not done yet: the review counts the
//! confidential cells left unprotected.
//!
//! Suppressed figures have no estimate, SE or interval; confidential ones
//! no `n` either. The [`Review`] lists every figure that is not published
//! as it came out of estimation, and why.

pub mod rules;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use urbis_core::{IndicatorRow, Measure};

use crate::catalogue::Indicator;
use crate::classify::NAT;
pub use rules::Rules;

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
    /// Figures by outcome: `published`, `flagged`, `not_published`, `primary`, `confidential_gap`.
    pub counts: BTreeMap<String, usize>,
    pub entries: Vec<Entry>,
    /// Confidential values not protected against recovery from published
    /// totals (secondary suppression is not implemented yet).
    pub unprotected: usize,
}

impl Review {
    /// What the statistician must do before release, if anything.
    pub fn warning(&self) -> Option<String> {
        (self.unprotected > 0).then(|| {
            format!(
                "{} confidential values are not protected by secondary suppression (not implemented yet); \
                 check that they cannot be recovered from published totals before release",
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
}

/// Applies the rules to the run's rows in place and returns the review.
pub fn apply(rows: &mut [IndicatorRow], indicators: &[Indicator], rules: &Rules) -> Review {
    let by_id: HashMap<&str, &Indicator> = indicators.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut status: Vec<Status> =
        rows.iter().map(|r| first_status(r, by_id.get(r.indicator.as_str()), rules)).collect();
    let unprotected = status.iter().filter(|s| matches!(s, Status::Primary(_))).count();
    gaps(rows, &mut status);
    let mut review = Review { unprotected, ..Default::default() };
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
        };
        let name = match action {
            Action::Flagged => "flagged",
            Action::NotPublished => "not_published",
            Action::Primary => "primary",
            Action::ConfidentialGap => "confidential_gap",
        };
        *review.counts.entry(name.into()).or_default() += 1;
        review.entries.push(Entry {
            indicator: row.indicator.clone(),
            geo_level: row.geo_level.clone(),
            geo: row.geo.clone(),
            time: row.time.clone(),
            breakdown: row.breakdown.clone(),
            group: row.group.clone(),
            measure: row.measure.code().to_string(),
            action,
            reason: reason.clone(),
        });
        mark(row, action);
    }
    review
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

/// The threshold rule, then the reliability limits, for value rows.
fn first_status(row: &IndicatorRow, def: Option<&&Indicator>, rules: &Rules) -> Status {
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
    if n < rules.min_respondents {
        return Status::Primary(format!("n = {n} < {} respondents", rules.min_respondents));
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
    if let Some(why) = fails(limits.min_n, limits.max_cv, limits.max_half_width) {
        return Status::NotPublished(why);
    }
    if let Some(why) = fails(limits.reliable_n, limits.reliable_cv, limits.reliable_half_width) {
        return Status::Flagged(why);
    }
    Status::Free
}

/// Gaps follow their sides: published only when both are.
fn gaps(rows: &[IndicatorRow], status: &mut [Status]) {
    let index: HashMap<(&str, &str, &str, &str, &str, &str), usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.measure == Measure::Value)
        .map(|(i, r)| ((&*r.indicator, &*r.geo_level, &*r.geo, &*r.time, &*r.breakdown, &*r.group), i))
        .collect();
    for (i, r) in rows.iter().enumerate() {
        if r.measure == Measure::Value {
            continue;
        }
        let side = |group| index.get(&(&*r.indicator, &*r.geo_level, &*r.geo, &*r.time, &*r.breakdown, group)).copied();
        let sides = [side(r.group.as_str()), side(NAT)];
        let worst = sides
            .iter()
            .map(|s| match s {
                Some(s) => status[*s].clone(),
                None => Status::NotPublished("a side has no figure".into()),
            })
            .max_by_key(|s| match s {
                Status::Free => 0,
                Status::Flagged(_) => 1,
                Status::NotPublished(_) => 2,
                Status::Primary(_) | Status::ConfidentialGap(_) => 3,
            })
            .expect("two sides");
        status[i] = match worst {
            Status::Free => Status::Free,
            Status::Flagged(why) => Status::Flagged(format!("a side is flagged u ({why})")),
            Status::NotPublished(why) => Status::NotPublished(format!("a side is not published ({why})")),
            Status::Primary(_) | Status::ConfidentialGap(_) => Status::ConfidentialGap("a side is confidential".into()),
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
        apply(&mut rows, &catalogue(), &Rules::default());
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
        let review = apply(&mut rows, &catalogue(), &rules);
        assert_eq!((rows[0].flag.as_str(), rows[0].conf_status.as_str()), ("u", "F"), "CV 5 % > 4 %");
        assert_eq!(rows[1].conf_status, "N", "CV 25 % > 20 %");
        assert!(review.entries[1].reason.starts_with("CV = 25.0 %"), "{:?}", review.entries[1]);
        let mut rows = vec![value("city", "A", "NAT", 500)];
        let mut rules = Rules::default();
        rules.general.max_half_width = Some(5.0);
        apply(&mut rows, &catalogue(), &rules);
        assert_eq!(rows[0].conf_status, "N", "half-width 6 > 5");
    }

    #[test]
    fn a_gap_follows_its_sides() {
        let mut rows = area("city", "A", [400, 30, 200]);
        rows.extend([gap("city", "A", "EU27_2020_FOR"), gap("city", "A", "NEU27_2020_FOR"), gap("city", "A", "FOR")]);
        rows[5].significant = Some(true);
        apply(&mut rows, &catalogue(), &Rules::default());
        let eu = find(&rows, "A", "EU27_2020_FOR", Measure::GapDifference);
        assert_eq!((eu.flag.as_str(), eu.conf_status.as_str()), ("u", "F"), "n = 30 side is flagged");
        assert!(eu.estimate.is_finite() && eu.significant == Some(true));
        assert_eq!(find(&rows, "A", "NEU27_2020_FOR", Measure::GapDifference).flag, "");

        let mut rows = area("city", "A", [400, 5, 200]);
        rows.push(gap("city", "A", "EU27_2020_FOR"));
        apply(&mut rows, &catalogue(), &Rules::default());
        let eu = find(&rows, "A", "EU27_2020_FOR", Measure::GapDifference);
        assert_eq!(eu.conf_status, "C");
        assert!(eu.estimate.is_nan() && eu.n.is_none());
    }
}

//! Secondary suppression (docs/publication.md): published figures must not
//! let anyone recover a confidential cell by subtraction.
//!
//! The attacker's model is linear: each value cell (indicator, period,
//! level, area, group) is one unknown — its unweighted `n`, or its weighted
//! total, which add up the same way — and the table's additivity gives the
//! equations ([`equations`]): `TOTAL` is the sum of the finest groups of
//! each breakdown plus the persons without a group, aggregate groups the sum
//! of their parts (`FOR = EU27_2020_FOR + NEU27_2020_FOR`), every area the
//! sum of its parts at the level below, each degree of urbanisation the sum
//! of the lowest-level areas it classifies, and a pooled window the sum of
//! its years. Cells that are the same population under two names (`TOTAL`
//! of every breakdown, `NAT` by country of birth and by duration of
//! residence, `FOR` by country of birth and `1GEN`) are one unknown.
//! [`search`] then chooses the complementary suppressions and checks
//! exactly ([`exact`]) that no confidential cell is determined.

mod equations;
pub mod exact;
pub mod search;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use urbis_core::IndicatorRow;

use crate::geography::AreaSum;

pub use equations::Tables;

/// A value figure as the secondary suppression sees it.
#[derive(Debug, Clone, Copy)]
pub struct Figure<'a> {
    pub row: &'a IndicatorRow,
    /// Confidential by a primary rule (its `n` is hidden).
    pub confidential: bool,
    /// In the published table (false for figures that pooled years replaced
    /// and pooled figures not chosen: never shown, but still cells).
    pub published: bool,
    /// Information lost per respondent when suppressed: 1 for a published
    /// figure, less for one flagged or not published (only its `n` is lost).
    pub weight: f64,
}

/// What secondary suppression decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Figures (indices into the input) to suppress, with the reason.
    pub suppress: Vec<(usize, String)>,
    /// Published confidential figures that the published ones still
    /// determine (0 unless suppression was switched off or impossible).
    pub unprotected: usize,
}

/// Chooses the secondary suppressions (when `enabled`) and counts the
/// confidential figures left determined. `shares` names the indicators that
/// are shares of the population (their groups add up to 100 %).
pub fn protect(figures: &[Figure], areas: &[AreaSum], shares: BTreeSet<String>, enabled: bool) -> Decision {
    // Indicators are separate systems (no equation joins two of them), so
    // each is solved on its own, in parallel; the decisions are the same as
    // for one system over all of them, and collected in indicator order.
    let mut by_indicator: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in figures.iter().enumerate() {
        by_indicator.entry(f.row.indicator.as_str()).or_default().push(i);
    }
    let parts: Vec<Vec<usize>> = by_indicator.into_values().collect();
    let decisions: Vec<(Decision, &Vec<usize>)> = parts
        .par_iter()
        .map(|indices| {
            let own: Vec<Figure> = indices.iter().map(|&i| figures[i]).collect();
            (protect_indicator(&own, areas, shares.clone(), enabled), indices)
        })
        .collect();
    let mut all = Decision::default();
    for (decision, indices) in decisions {
        all.suppress.extend(decision.suppress.into_iter().map(|(f, why)| (indices[f], why)));
        all.unprotected += decision.unprotected;
    }
    all.suppress.sort_by_key(|s| s.0);
    all
}

/// [`protect`] for the figures of one indicator.
fn protect_indicator(figures: &[Figure], areas: &[AreaSum], shares: BTreeSet<String>, enabled: bool) -> Decision {
    let tables = Tables::build(figures, areas, shares);
    let outcome = if enabled {
        tables.system.protect()
    } else {
        let unknown: Vec<bool> = tables
            .system
            .roles
            .iter()
            .map(|r| matches!(r, search::Role::Confidential | search::Role::Hidden))
            .collect();
        search::Outcome { complements: Vec::new(), unprotected: tables.system.determined_confidential(&unknown) }
    };
    let mut suppress = Vec::new();
    for c in &outcome.complements {
        let reason = format!("protects {} ({})", tables.label(c.protects), tables.equation_label(c.equation));
        for &f in tables.members(c.cell) {
            if figures[f].published {
                suppress.push((f, reason.clone()));
            }
        }
    }
    suppress.sort_by_key(|s| s.0);
    let unprotected = outcome
        .unprotected
        .iter()
        .flat_map(|&c| tables.members(c))
        .filter(|&&f| figures[f].published && figures[f].confidential)
        .count();
    Decision { suppress, unprotected }
}

//! The cells of the published table and the additivity equations between
//! them, per indicator: groups add up to `TOTAL` within each breakdown,
//! areas to the area containing them (and lowest-level areas to their degree
//! of urbanisation), years to the pooled window containing them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use urbis_core::Measure;

use super::search::{Role, System};
use super::Figure;
use crate::classify::{FOR, NAT, TOTAL};
use crate::geography::AreaSum;
use crate::harmonise::Breakdown;

/// A cell: indicator, period, level, area and group bucket ([`bucket`]).
type Key = (String, String, String, String, String);

/// The suffix of the bucket of persons in `TOTAL` without a group of a
/// breakdown (unknown or missing origin, parents or duration).
const REST: &str = "~rest";

/// The cell a breakdown's group stands for: one name for one population.
fn bucket(breakdown: &str, group: &str) -> String {
    let (birth, residence, generation) =
        (Breakdown::CountryOfBirth.code(), Breakdown::Residence.code(), Breakdown::Generation.code());
    match group {
        TOTAL => TOTAL.to_string(),
        NAT if breakdown == residence => format!("{birth}:{NAT}"),
        "1GEN" if breakdown == generation => format!("{birth}:{FOR}"),
        _ => format!("{breakdown}:{group}"),
    }
}

/// How a bucket reads in the review.
fn bucket_label(bucket: &str) -> String {
    match bucket.split_once(':') {
        Some((b, REST)) => format!("persons without a {b} group"),
        Some((b, g)) => format!("{g} ({b})"),
        None => bucket.to_string(),
    }
}

/// The system of one run with the names of its cells and equations.
#[derive(Debug, Default)]
pub struct Tables {
    pub system: System,
    keys: Vec<Key>,
    index: HashMap<Key, usize>,
    members: Vec<Vec<usize>>,
    /// Respondents of each cell (from its figures), when known.
    n: Vec<Option<u64>>,
    equation_labels: Vec<String>,
    /// Tables (indicator, period) that publish `TOTAL`.
    with_total: BTreeSet<(String, String)>,
    /// Indicators that are shares of the population: their groups add up
    /// to 100 % of `TOTAL`.
    shares: BTreeSet<String>,
}

impl Tables {
    /// Cells of every value figure and the equations between them;
    /// `shares` names the indicators that are shares of the population.
    pub fn build(figures: &[Figure], areas: &[AreaSum], shares: BTreeSet<String>) -> Tables {
        let mut t = Tables { shares, ..Tables::default() };
        for (i, f) in figures.iter().enumerate() {
            let r = f.row;
            if r.measure != Measure::Value {
                continue;
            }
            if r.group == TOTAL {
                t.with_total.insert((r.indicator.clone(), r.time.clone()));
            }
            let key = (
                r.indicator.clone(),
                r.time.clone(),
                r.geo_level.clone(),
                r.geo.clone(),
                bucket(&r.breakdown, &r.group),
            );
            let c = t.cell(key);
            t.members[c].push(i);
            let role = &mut t.system.roles[c];
            *role = match (*role, f.confidential, f.published) {
                (_, true, _) | (Role::Confidential, _, _) => Role::Confidential,
                (_, false, true) | (Role::Published, _, _) => Role::Published,
                _ => Role::Hidden,
            };
            t.n[c] = r.n.or(t.n[c]);
            if f.published && !f.confidential {
                t.system.costs[c] += f.weight * r.n.unwrap_or(0).max(1) as f64 * if r.group == NAT { 2.0 } else { 1.0 };
            }
        }
        t.groups(figures);
        t.areas(areas);
        t.years();
        t
    }

    /// The cell of a key, created if new. Without a figure a cell is known:
    /// a group of an area without respondents is 0, and the `TOTAL` of a
    /// share of the population is 100 % of its groups. Only the `TOTAL` of
    /// another table that publishes none, and the persons without a group
    /// there, are unknown.
    fn cell(&mut self, key: Key) -> usize {
        if let Some(&c) = self.index.get(&key) {
            return c;
        }
        let unknowable = (key.4 == TOTAL || key.4.ends_with(REST))
            && !self.with_total.contains(&(key.0.clone(), key.1.clone()))
            && !self.shares.contains(&key.0);
        let c = self.keys.len();
        self.index.insert(key.clone(), c);
        self.keys.push(key);
        self.system.roles.push(if unknowable { Role::Hidden } else { Role::Fixed });
        self.system.costs.push(0.0);
        self.members.push(Vec::new());
        self.n.push(None);
        c
    }

    fn equation(&mut self, total: usize, parts: &[usize], label: String) {
        let terms = std::iter::once((total, 1)).chain(parts.iter().map(|&p| (p, -1))).collect();
        self.system.equations.push(terms);
        self.equation_labels.push(label);
    }

    /// Within each table, area and breakdown: `TOTAL` = the finest groups +
    /// the persons without a group; aggregate groups = their parts.
    fn groups(&mut self, figures: &[Figure]) {
        let mut seen: BTreeSet<(String, String, String, String, String)> = BTreeSet::new();
        for f in figures {
            let r = f.row;
            if r.measure == Measure::Value && r.group != TOTAL {
                seen.insert((
                    r.indicator.clone(),
                    r.time.clone(),
                    r.geo_level.clone(),
                    r.geo.clone(),
                    r.breakdown.clone(),
                ));
            }
        }
        for (indicator, time, level, geo, breakdown) in seen {
            let Some(b) = Breakdown::from_code(&breakdown) else { continue };
            let key = |bucket: String| (indicator.clone(), time.clone(), level.clone(), geo.clone(), bucket);
            let partitions = b.partitions();
            let total = self.cell(key(TOTAL.to_string()));
            let fine: Vec<usize> = partitions[0].groups.iter().map(|g| self.cell(key(bucket(&breakdown, g)))).collect();
            let rest = self.cell(key(format!("{breakdown}:{REST}")));
            // The persons without a group are known to be none when the
            // counts add up (the attacker can check it when they are
            // published). Shares of the population add up to 100 % without
            // a published TOTAL: the rest is taken as known there too.
            let has_total = self.with_total.contains(&(indicator.clone(), time.clone()));
            let known: Option<u64> = fine.iter().map(|&c| self.count(c)).sum();
            let adds_up = match (self.count(total), known) {
                (Some(total), Some(known)) => total == known,
                _ => false,
            };
            if has_total && !adds_up {
                self.system.roles[rest] = Role::Hidden;
            }
            // (Without a published TOTAL, `cell` made the rest unknown
            // unless the indicator is a share of the population.)
            let mut parts = fine.clone();
            parts.push(rest);
            let names: Vec<&str> = partitions[0].groups.to_vec();
            self.equation(
                total,
                &parts,
                format!("TOTAL = {} + persons without a group, by {breakdown}, {level} {geo}", names.join(" + ")),
            );
            for p in &partitions[1..] {
                for &group in &p.groups {
                    let members: Vec<&str> = p.merge.iter().filter(|m| m.1 == group).map(|m| m.0).collect();
                    let whole = self.cell(key(bucket(&breakdown, group)));
                    let parts: Vec<usize> = members.iter().map(|g| self.cell(key(bucket(&breakdown, g)))).collect();
                    let label = format!("{group} = {}, by {breakdown}, {level} {geo}", members.join(" + "));
                    self.equation(whole, &parts, label);
                }
            }
        }
    }

    /// The respondents of a cell: its figure's `n`, 0 for a cell without one.
    fn count(&self, c: usize) -> Option<u64> {
        if self.members[c].is_empty() {
            Some(0)
        } else {
            self.n[c]
        }
    }

    /// Every area = the sum of its parts, for every table and group bucket.
    fn areas(&mut self, areas: &[AreaSum]) {
        let mut buckets: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for k in &self.keys {
            buckets.entry((k.0.clone(), k.1.clone())).or_default().insert(k.4.clone());
        }
        for ((indicator, time), buckets) in buckets {
            for bucket in &buckets {
                for a in areas {
                    let key = |level: &str, geo: &str| {
                        (indicator.clone(), time.clone(), level.to_string(), geo.to_string(), bucket.clone())
                    };
                    let present = std::iter::once(key(&a.level, &a.code))
                        .chain(a.parts.iter().map(|p| key(&a.part_level, p)))
                        .any(|k| self.index.contains_key(&k));
                    if !present {
                        continue;
                    }
                    let total = self.cell(key(&a.level, &a.code));
                    let parts: Vec<usize> = a.parts.iter().map(|p| self.cell(key(&a.part_level, p))).collect();
                    let label = format!(
                        "{} {} = its {} {}, {}",
                        a.level,
                        a.code,
                        a.parts.len(),
                        if a.parts.len() == 1 { a.part_level.clone() } else { format!("{} areas", a.part_level) },
                        bucket_label(bucket)
                    );
                    self.equation(total, &parts, label);
                }
            }
        }
    }

    /// A pooled window (`2021-2023`) = the sum of its years, where every
    /// year of the window is a period of the same indicator.
    fn years(&mut self) {
        let periods: BTreeSet<(String, String)> = self.keys.iter().map(|k| (k.0.clone(), k.1.clone())).collect();
        let pooled: Vec<Key> = self.keys.iter().filter(|k| k.1.contains('-')).cloned().collect();
        for k in pooled {
            let Some((from, to)) = k.1.split_once('-') else { continue };
            let (Ok(from), Ok(to)) = (from.parse::<i32>(), to.parse::<i32>()) else { continue };
            let years: Vec<String> = (from..=to).map(|y| y.to_string()).collect();
            if years.is_empty() || !years.iter().all(|y| periods.contains(&(k.0.clone(), y.clone()))) {
                continue;
            }
            let total = self.index[&k];
            let parts: Vec<usize> = years
                .iter()
                .map(|y| self.cell((k.0.clone(), y.clone(), k.2.clone(), k.3.clone(), k.4.clone())))
                .collect();
            let label = format!("{} = {}, {} {}, {}", k.1, years.join(" + "), k.2, k.3, bucket_label(&k.4));
            self.equation(total, &parts, label);
        }
    }

    /// The figures (indices into the input) of a cell.
    pub fn members(&self, c: usize) -> &[usize] {
        &self.members[c]
    }

    /// A cell as the review names it.
    pub fn label(&self, c: usize) -> String {
        let (indicator, time, level, geo, bucket) = &self.keys[c];
        format!("{indicator} {time} {level} {geo} {}", bucket_label(bucket))
    }

    pub fn equation_label(&self, e: usize) -> String {
        self.equation_labels[e].clone()
    }
}

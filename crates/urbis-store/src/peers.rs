//! Peer areas (docs/peers.md): for an area, the k most similar areas of the
//! same level on standardised structural characteristics, with the distance
//! and what drives it.
//!
//! Each characteristic is a published figure of the store (the latest period
//! each area has): a built-in one (`foreign_born`, `non_eu_born`,
//! `non_eu_of_foreign_born`, `unemployment`) or any figure named
//! `INDICATOR:BREAKDOWN:GROUP`. Values are standardised to z-scores across
//! the candidate areas (the areas of the level that have every
//! characteristic); the distance is Euclidean over the z-scores, and each
//! characteristic's share of the squared distance says what drives it.

use std::collections::BTreeMap;

use serde::Serialize;
use urbis_core::{IndicatorRow, Measure};

use crate::{ObservationFilter, Result, Store, StoreError};

/// The characteristics used when none are asked for.
pub const DEFAULT: [&str; 3] = ["foreign_born", "non_eu_of_foreign_born", "unemployment"];

/// A structural characteristic: a figure, or the ratio of two figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Characteristic {
    pub name: String,
    pub label: String,
    /// The figure: indicator, breakdown, group (value measure).
    pub indicator: String,
    pub breakdown: String,
    pub group: String,
    /// For a ratio: the group whose value divides (×100).
    pub per: Option<String>,
}

impl Characteristic {
    /// A built-in name or `INDICATOR:BREAKDOWN:GROUP`.
    pub fn parse(spec: &str) -> std::result::Result<Characteristic, String> {
        let figure = |name: &str, label: &str, indicator: &str, breakdown: &str, group: &str, per: Option<&str>| {
            Characteristic {
                name: name.into(),
                label: label.into(),
                indicator: indicator.into(),
                breakdown: breakdown.into(),
                group: group.into(),
                per: per.map(str::to_string),
            }
        };
        Ok(match spec {
            "foreign_born" => {
                figure(spec, "Foreign-born share of the population (%)", "pop_share", "c_birth", "FOR", None)
            }
            "non_eu_born" => figure(
                spec,
                "Born outside the EU, share of the population (%)",
                "pop_share",
                "c_birth",
                "NEU27_2020_FOR",
                None,
            ),
            "non_eu_of_foreign_born" => figure(
                spec,
                "Origin mix: born outside the EU, share of the foreign-born (%)",
                "pop_share",
                "c_birth",
                "NEU27_2020_FOR",
                Some("FOR"),
            ),
            "unemployment" => figure(spec, "Unemployment rate, all (%)", "unemp_rate", "c_birth", "TOTAL", None),
            other => {
                let parts: Vec<&str> = other.split(':').collect();
                match parts.as_slice() {
                    [i, b, g] if [i, b, g].iter().all(|p| !p.is_empty()) => {
                        figure(other, &format!("{i}, {g} ({b})"), i, b, g, None)
                    }
                    _ => {
                        return Err(format!(
                            "'{other}' is not a characteristic: use foreign_born, non_eu_born, non_eu_of_foreign_born, unemployment or INDICATOR:BREAKDOWN:GROUP"
                        ))
                    }
                }
            }
        })
    }
}

/// One characteristic across the candidates: the target's value, and the
/// mean and standard deviation used to standardise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale {
    pub characteristic: Characteristic,
    pub value: f64,
    pub mean: f64,
    pub sd: f64,
}

/// One characteristic of a peer: its value, z-score, and its part of the
/// squared distance (`contribution`, and as a share of the total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub name: String,
    pub value: f64,
    pub z: f64,
    pub contribution: f64,
    pub share: f64,
}

/// A peer area: its distance to the target and what makes it up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peer {
    pub code: String,
    pub distance: f64,
    pub parts: Vec<Part>,
}

impl Peer {
    /// The characteristic with the largest part of the distance.
    pub fn driver(&self) -> Option<&Part> {
        self.parts.iter().max_by(|a, b| a.contribution.total_cmp(&b.contribution))
    }
}

/// The peers of an area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peers {
    pub area: String,
    pub level: String,
    pub scales: Vec<Scale>,
    pub peers: Vec<Peer>,
    /// Candidates of the level, and areas left out with the reason.
    pub candidates: usize,
    pub left_out: Vec<(String, String)>,
}

/// The latest published value of each area for a figure.
fn values(rows: &[IndicatorRow], c: &Characteristic, group: &str) -> BTreeMap<String, f64> {
    let mut latest: BTreeMap<String, (String, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| {
        r.indicator == c.indicator
            && r.breakdown == c.breakdown
            && r.group == group
            && r.measure == Measure::Value
            && r.conf_status == "F"
            && r.estimate.is_finite()
    }) {
        let e = latest.entry(r.geo.clone()).or_insert_with(|| (r.time.clone(), r.estimate));
        if r.time > e.0 {
            *e = (r.time.clone(), r.estimate);
        }
    }
    latest.into_iter().map(|(g, (_, v))| (g, v)).collect()
}

/// The k nearest areas to `area` at its level on `characteristics`.
pub fn nearest(
    area: &str,
    level: &str,
    rows: &[IndicatorRow],
    characteristics: &[Characteristic],
    k: usize,
) -> std::result::Result<Peers, String> {
    let mut table: Vec<BTreeMap<String, f64>> = Vec::new();
    for c in characteristics {
        let mut v = values(rows, c, &c.group);
        if let Some(per) = &c.per {
            let base = values(rows, c, per);
            v = v
                .into_iter()
                .filter_map(|(g, x)| base.get(&g).filter(|b| **b > 0.0).map(|b| (g, 100.0 * x / b)))
                .collect();
        }
        table.push(v);
    }
    let mut areas: Vec<&str> = rows
        .iter()
        .filter(|r| r.geo_level == level)
        .map(|r| r.geo.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    areas.sort_unstable();
    let mut left_out = Vec::new();
    let mut candidates = Vec::new();
    for a in areas {
        match characteristics.iter().zip(&table).find(|(_, t)| !t.contains_key(a)) {
            Some((c, _)) => left_out.push((a.to_string(), format!("no published {}", c.name))),
            None => candidates.push(a),
        }
    }
    if !candidates.contains(&area) {
        let why = left_out.iter().find(|(a, _)| a == area).map_or("no figures at this level".into(), |l| l.1.clone());
        return Err(format!("area '{area}' cannot be compared: {why}"));
    }
    let n = candidates.len() as f64;
    let scales: Vec<Scale> = characteristics
        .iter()
        .zip(&table)
        .map(|(c, t)| {
            let xs: Vec<f64> = candidates.iter().map(|a| t[*a]).collect();
            let mean = xs.iter().sum::<f64>() / n;
            let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            Scale { characteristic: c.clone(), value: t[area], mean, sd }
        })
        .collect();
    let z = |s: &Scale, x: f64| if s.sd > 0.0 { (x - s.mean) / s.sd } else { 0.0 };
    let mut peers: Vec<Peer> = candidates
        .iter()
        .filter(|a| **a != area)
        .map(|a| {
            let mut parts: Vec<Part> = scales
                .iter()
                .zip(&table)
                .map(|(s, t)| {
                    let value = t[*a];
                    let zi = z(s, value);
                    let contribution = (zi - z(s, s.value)).powi(2);
                    Part { name: s.characteristic.name.clone(), value, z: zi, contribution, share: 0.0 }
                })
                .collect();
            let total: f64 = parts.iter().map(|p| p.contribution).sum();
            for p in &mut parts {
                p.share = if total > 0.0 { p.contribution / total } else { 0.0 };
            }
            Peer { code: a.to_string(), distance: total.sqrt(), parts }
        })
        .collect();
    peers.sort_by(|a, b| a.distance.total_cmp(&b.distance).then_with(|| a.code.cmp(&b.code)));
    peers.truncate(k);
    Ok(Peers { area: area.into(), level: level.into(), scales, peers, candidates: candidates.len(), left_out })
}

impl Store {
    /// The k areas most like `area` at its level (see [`nearest`]).
    pub fn peers(
        &self,
        area: &str,
        characteristics: &[Characteristic],
        k: usize,
    ) -> Result<std::result::Result<Peers, String>> {
        let bad = |message: String| StoreError::Invalid { path: self.path.clone(), message };
        let Some(info) = self.area(area)? else {
            return Ok(Err(format!("there is no area '{area}'")));
        };
        let mut indicators: Vec<String> = characteristics.iter().map(|c| c.indicator.clone()).collect();
        indicators.sort();
        indicators.dedup();
        let mut rows = Vec::new();
        for i in indicators {
            rows.extend(self.observations(&ObservationFilter {
                indicator: Some(i),
                geo_level: Some(info.level.clone()),
                ..Default::default()
            })?);
        }
        if characteristics.is_empty() {
            return Err(bad("no characteristics to compare on".into()));
        }
        Ok(nearest(area, &info.level, &rows, characteristics, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(geo: &str, indicator: &str, group: &str, estimate: f64) -> IndicatorRow {
        IndicatorRow {
            indicator: indicator.into(),
            geo: geo.into(),
            geo_level: "city".into(),
            time: "2023".into(),
            breakdown: "c_birth".into(),
            group: group.into(),
            measure: Measure::Value,
            unit: "PC".into(),
            estimate,
            se: 1.0,
            ci_low: estimate - 2.0,
            ci_high: estimate + 2.0,
            n: Some(100),
            flag: String::new(),
            conf_status: "F".into(),
            method: "direct".into(),
            definition: "d".into(),
            significant: None,
        }
    }

    /// Four cities on two characteristics whose z-scores are easy by hand:
    /// foreign-born 10, 20, 30, 40 (mean 25, sd √125) and unemployment
    /// 5, 5, 15, 15 (mean 10, sd 5).
    fn cities() -> Vec<IndicatorRow> {
        let mut rows = Vec::new();
        for (geo, fo, un) in [("A", 10.0, 5.0), ("B", 20.0, 5.0), ("C", 30.0, 15.0), ("D", 40.0, 15.0)] {
            rows.push(row(geo, "pop_share", "FOR", fo));
            rows.push(row(geo, "unemp_rate", "TOTAL", un));
        }
        rows
    }

    fn characteristics() -> Vec<Characteristic> {
        ["foreign_born", "unemployment"].iter().map(|s| Characteristic::parse(s).unwrap()).collect()
    }

    #[test]
    fn peers_on_a_known_configuration() {
        let p = nearest("A", "city", &cities(), &characteristics(), 3).unwrap();
        let sd = 125f64.sqrt();
        assert_eq!(p.scales[0].mean, 25.0);
        assert!((p.scales[0].sd - sd).abs() < 1e-12);
        assert_eq!((p.scales[1].mean, p.scales[1].sd), (10.0, 5.0));
        let codes: Vec<&str> = p.peers.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["B", "C", "D"]);
        // B: differs by 10 points of foreign-born only: distance 10/sd.
        assert!((p.peers[0].distance - 10.0 / sd).abs() < 1e-12);
        assert_eq!(p.peers[0].driver().unwrap().name, "foreign_born");
        assert_eq!(p.peers[0].parts[1].contribution, 0.0);
        // C: (20/sd)² + 2² = 3.2 + 4.
        assert!((p.peers[1].distance - 7.2f64.sqrt()).abs() < 1e-12);
        assert_eq!(p.peers[1].driver().unwrap().name, "unemployment");
        assert!((p.peers[1].parts[1].share - 4.0 / 7.2).abs() < 1e-12);
        // D: (30/sd)² + 2² = 7.2 + 4.
        assert!((p.peers[2].distance - 11.2f64.sqrt()).abs() < 1e-12);
        let two = nearest("A", "city", &cities(), &characteristics(), 1).unwrap();
        assert_eq!(two.peers.len(), 1);
    }

    #[test]
    fn areas_without_a_characteristic_are_left_out_and_named() {
        let mut rows = cities();
        rows.push(row("E", "pop_share", "FOR", 25.0));
        let mut hidden = row("F", "unemp_rate", "TOTAL", 9.0);
        hidden.conf_status = "C".into();
        rows.push(hidden);
        rows.push(row("F", "pop_share", "FOR", 12.0));
        let p = nearest("A", "city", &rows, &characteristics(), 10).unwrap();
        assert_eq!(p.candidates, 4);
        assert_eq!(
            p.left_out,
            vec![("E".into(), "no published unemployment".into()), ("F".into(), "no published unemployment".into())]
        );
        let e = nearest("E", "city", &rows, &characteristics(), 3).unwrap_err();
        assert!(e.contains("no published unemployment"), "{e}");
    }

    #[test]
    fn origin_mix_is_a_ratio_and_specs_are_checked() {
        let mut rows = Vec::new();
        for (geo, fo, neu) in [("A", 20.0, 5.0), ("B", 10.0, 5.0), ("C", 40.0, 30.0)] {
            rows.push(row(geo, "pop_share", "FOR", fo));
            rows.push(row(geo, "pop_share", "NEU27_2020_FOR", neu));
        }
        let mix = vec![Characteristic::parse("non_eu_of_foreign_born").unwrap()];
        let p = nearest("A", "city", &rows, &mix, 2).unwrap();
        assert_eq!(p.scales[0].value, 25.0);
        let values: Vec<f64> = p.peers.iter().map(|x| x.parts[0].value).collect();
        assert_eq!(values, [50.0, 75.0]);
        assert_eq!(Characteristic::parse("emp_rate:c_birth:FOR").unwrap().group, "FOR");
        assert!(Characteristic::parse("emp_rate:FOR").unwrap_err().contains("INDICATOR:BREAKDOWN:GROUP"));
    }
}

//! Peer areas (docs/dashboard.md, peers): for an area, the k most similar
//! areas of the same level on standardised structural characteristics, with
//! the distance and what drives it.
//!
//! A characteristic is a published figure of the store (the latest period
//! each area has): a built-in one (`foreign_born`, `non_eu_born`,
//! `non_eu_of_foreign_born`, `unemployment`) or any figure named
//! `INDICATOR:BREAKDOWN:GROUP`; or an area fact of the current runs
//! ([`crate::facts`]): `population` (log10 of the residents) and `degurba`
//! (the share of the residents living in cities). Values are standardised
//! to z-scores across the candidate areas (the areas of the level that have
//! every characteristic); the distance is Euclidean over the z-scores, and
//! each characteristic's share of the squared distance says what drives it.

use std::collections::BTreeMap;

use serde::Serialize;
use urbis_core::{AreaFacts, IndicatorRow, Measure};

use crate::{ObservationFilter, Result, Store, StoreError};

/// The characteristics used when none are asked for; [`FACTS`] join them
/// where every area of the level has the fact.
pub const DEFAULT: [&str; 3] = ["foreign_born", "non_eu_of_foreign_born", "unemployment"];

/// The characteristics that are area facts rather than figures.
pub const FACTS: [&str; 2] = ["population", "degurba"];

/// A structural characteristic: a figure, the ratio of two figures, or an area fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Characteristic {
    pub name: String,
    pub label: String,
    #[serde(flatten)]
    pub basis: Basis,
}

/// Where a characteristic's values come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Basis {
    /// A figure: indicator, breakdown, group (value measure); for a ratio,
    /// the group whose value divides (×100).
    Figure { indicator: String, breakdown: String, group: String, per: Option<String> },
    /// An area fact.
    Fact { fact: Fact },
}

/// The area facts peers compare on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// log10 of the resident population.
    Population,
    /// Share of the residents living in cities (DEG1), %.
    CityShare,
}

impl Fact {
    fn value(self, f: &AreaFacts) -> Option<f64> {
        match self {
            Fact::Population => f.population.filter(|p| *p > 0.0).map(f64::log10),
            Fact::CityShare => f.city_share,
        }
    }
}

impl Characteristic {
    /// A built-in name or `INDICATOR:BREAKDOWN:GROUP`.
    pub fn parse(spec: &str) -> std::result::Result<Characteristic, String> {
        let figure = |name: &str, label: &str, indicator: &str, breakdown: &str, group: &str, per: Option<&str>| {
            Characteristic {
                name: name.into(),
                label: label.into(),
                basis: Basis::Figure {
                    indicator: indicator.into(),
                    breakdown: breakdown.into(),
                    group: group.into(),
                    per: per.map(str::to_string),
                },
            }
        };
        let fact = |label: &str, fact: Fact| Characteristic {
            name: spec.into(),
            label: label.into(),
            basis: Basis::Fact { fact },
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
            "population" => fact("Population size (log10 of the residents)", Fact::Population),
            "degurba" => fact("Degree of urbanisation: residents living in cities, DEG1 (%)", Fact::CityShare),
            other => {
                let parts: Vec<&str> = other.split(':').collect();
                match parts.as_slice() {
                    [i, b, g] if [i, b, g].iter().all(|p| !p.is_empty()) => {
                        figure(other, &format!("{i}, {g} ({b})"), i, b, g, None)
                    }
                    _ => {
                        return Err(format!(
                            "'{other}' is not a characteristic: use foreign_born, non_eu_born, non_eu_of_foreign_born, unemployment, population, degurba or INDICATOR:BREAKDOWN:GROUP"
                        ))
                    }
                }
            }
        })
    }

    /// The value as a reader expects it: a population as residents (the
    /// characteristic is its log10), anything else to one decimal.
    pub fn display(&self, value: f64) -> String {
        match self.basis {
            Basis::Fact { fact: Fact::Population } => format!("{:.0}", 10f64.powf(value)),
            _ => format!("{value:.1}"),
        }
    }

    /// Each area's value: the figures' or the facts'.
    fn values(&self, rows: &[IndicatorRow], facts: &[AreaFacts]) -> BTreeMap<String, f64> {
        match &self.basis {
            Basis::Figure { indicator, breakdown, group, per } => {
                let of = |g: &str| figures(rows, indicator, breakdown, g);
                let v = of(group);
                match per {
                    None => v,
                    Some(per) => {
                        let base = of(per);
                        v.into_iter()
                            .filter_map(|(g, x)| base.get(&g).filter(|b| **b > 0.0).map(|b| (g, 100.0 * x / b)))
                            .collect()
                    }
                }
            }
            Basis::Fact { fact } => facts.iter().filter_map(|f| Some((f.code.clone(), fact.value(f)?))).collect(),
        }
    }

    /// Why an area without a value is left out.
    fn missing(&self) -> String {
        match self.basis {
            Basis::Figure { .. } => format!("no published {}", self.name),
            Basis::Fact { fact: Fact::Population } => "no population in the hierarchy of its run".into(),
            Basis::Fact { fact: Fact::CityShare } => {
                "no degree of urbanisation (or no population to weight its classes) in the hierarchy of its run".into()
            }
        }
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
fn figures(rows: &[IndicatorRow], indicator: &str, breakdown: &str, group: &str) -> BTreeMap<String, f64> {
    let mut latest: BTreeMap<String, (String, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| {
        r.indicator == indicator
            && r.breakdown == breakdown
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

/// The k nearest areas to `area` at its level on `characteristics`, from
/// the level's figures (`rows`) and area facts (`facts`).
pub fn nearest(
    area: &str,
    level: &str,
    rows: &[IndicatorRow],
    facts: &[AreaFacts],
    characteristics: &[Characteristic],
    k: usize,
) -> std::result::Result<Peers, String> {
    let table: Vec<BTreeMap<String, f64>> = characteristics.iter().map(|c| c.values(rows, facts)).collect();
    let areas: Vec<&str> = rows
        .iter()
        .filter(|r| r.geo_level == level)
        .map(|r| r.geo.as_str())
        .chain(facts.iter().filter(|f| f.level == level).map(|f| f.code.as_str()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut left_out = Vec::new();
    let mut candidates = Vec::new();
    for a in areas {
        match characteristics.iter().zip(&table).find(|(_, t)| !t.contains_key(a)) {
            Some((c, _)) => left_out.push((a.to_string(), c.missing())),
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
    /// The k areas most like `area` at its level (see [`nearest`]); with
    /// no characteristics, [`Store::default_characteristics`].
    pub fn peers(
        &self,
        area: &str,
        characteristics: &[Characteristic],
        k: usize,
    ) -> Result<std::result::Result<Peers, String>> {
        let Some(info) = self.area(area)? else {
            return Ok(Err(format!("there is no area '{area}'")));
        };
        let facts = self.area_facts(&info.level)?;
        let characteristics = match characteristics {
            [] => self.default_characteristics(&info.level, &facts)?,
            given => given.to_vec(),
        };
        let mut indicators: Vec<&str> = characteristics
            .iter()
            .filter_map(|c| match &c.basis {
                Basis::Figure { indicator, .. } => Some(indicator.as_str()),
                Basis::Fact { .. } => None,
            })
            .collect();
        indicators.sort();
        indicators.dedup();
        let mut rows = Vec::new();
        for i in indicators {
            rows.extend(self.observations(&ObservationFilter {
                indicator: Some(i.to_string()),
                geo_level: Some(info.level.clone()),
                ..Default::default()
            })?);
        }
        Ok(nearest(area, &info.level, &rows, &facts, &characteristics, k))
    }

    /// [`DEFAULT`], and each of [`FACTS`] that every area of the level has:
    /// the default never leaves an area out for lack of a population or a
    /// degree of urbanisation (a store without them compares as before).
    pub fn default_characteristics(&self, level: &str, facts: &[AreaFacts]) -> Result<Vec<Characteristic>> {
        let bad = |message: String| StoreError::Invalid { path: self.path.clone(), message };
        let areas: Vec<String> = self.areas()?.into_iter().filter(|a| a.level == level).map(|a| a.code).collect();
        let mut out = Vec::new();
        for name in DEFAULT.iter().chain(&FACTS) {
            let c = Characteristic::parse(name).map_err(bad)?;
            let everywhere = match c.basis {
                Basis::Figure { .. } => true,
                Basis::Fact { .. } => {
                    let known = c.values(&[], facts);
                    !areas.is_empty() && areas.iter().all(|a| known.contains_key(a))
                }
            };
            if everywhere {
                out.push(c);
            }
        }
        Ok(out)
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
        let p = nearest("A", "city", &cities(), &[], &characteristics(), 3).unwrap();
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
        let two = nearest("A", "city", &cities(), &[], &characteristics(), 1).unwrap();
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
        let p = nearest("A", "city", &rows, &[], &characteristics(), 10).unwrap();
        assert_eq!(p.candidates, 4);
        assert_eq!(
            p.left_out,
            vec![("E".into(), "no published unemployment".into()), ("F".into(), "no published unemployment".into())]
        );
        let e = nearest("E", "city", &rows, &[], &characteristics(), 3).unwrap_err();
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
        let p = nearest("A", "city", &rows, &[], &mix, 2).unwrap();
        assert_eq!(p.scales[0].value, 25.0);
        let values: Vec<f64> = p.peers.iter().map(|x| x.parts[0].value).collect();
        assert_eq!(values, [50.0, 75.0]);
        assert!(
            matches!(Characteristic::parse("emp_rate:c_birth:FOR").unwrap().basis, Basis::Figure { group, .. } if group == "FOR")
        );
        assert!(Characteristic::parse("emp_rate:FOR").unwrap_err().contains("INDICATOR:BREAKDOWN:GROUP"));
    }

    fn facts(code: &str, population: Option<f64>, city_share: Option<f64>) -> AreaFacts {
        AreaFacts {
            code: code.into(),
            level: "city".into(),
            population,
            population_date: None,
            degurba: None,
            city_share,
        }
    }

    /// Populations 10⁵, 10⁶, 10⁶, 10⁷ (log10 5, 6, 6, 7: mean 6, sd √½) and
    /// city shares 100, 100, 50, 50 (mean 75, sd 25); foreign-born 20
    /// everywhere (sd 0). From A, z-score differences are √2 and 0 to B,
    /// √2 and 2 to C, 2√2 and 2 to D.
    #[test]
    fn population_and_degurba_by_hand_and_a_constant_characteristic() {
        let facts = vec![
            facts("A", Some(1e5), Some(100.0)),
            facts("B", Some(1e6), Some(100.0)),
            facts("C", Some(1e6), Some(50.0)),
            facts("D", Some(1e7), Some(50.0)),
            facts("E", None, Some(50.0)),
        ];
        let rows: Vec<IndicatorRow> =
            ["A", "B", "C", "D", "E"].iter().map(|g| row(g, "pop_share", "FOR", 20.0)).collect();
        let chosen: Vec<Characteristic> =
            ["population", "degurba", "foreign_born"].iter().map(|s| Characteristic::parse(s).unwrap()).collect();
        let p = nearest("A", "city", &rows, &facts, &chosen, 3).unwrap();
        assert_eq!((p.scales[0].value, p.scales[0].mean), (5.0, 6.0));
        assert!((p.scales[0].sd - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!((p.scales[1].mean, p.scales[1].sd), (75.0, 25.0));
        assert_eq!((p.scales[2].mean, p.scales[2].sd), (20.0, 0.0));
        assert_eq!(p.left_out, vec![("E".to_string(), "no population in the hierarchy of its run".to_string())]);
        let codes: Vec<&str> = p.peers.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["B", "C", "D"]);
        let expected = [2f64, 6.0, 12.0];
        for (peer, d2) in p.peers.iter().zip(expected) {
            assert!((peer.distance - d2.sqrt()).abs() < 1e-12, "{peer:?}");
            assert!(peer.parts.iter().all(|x| x.z.is_finite() && x.share.is_finite()), "{peer:?}");
            assert_eq!(peer.parts[2].contribution, 0.0);
        }
        assert_eq!(p.peers[0].driver().unwrap().name, "population");
        assert!((p.peers[1].parts[1].share - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(p.peers[1].driver().unwrap().name, "degurba");
        assert!((p.peers[2].parts[0].share - 8.0 / 12.0).abs() < 1e-12);
        assert_eq!(chosen[0].display(p.peers[2].parts[0].value), "10000000");
        assert_eq!(chosen[1].display(62.5), "62.5");
    }
}

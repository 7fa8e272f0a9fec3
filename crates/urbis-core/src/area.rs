//! Structural facts of an area that are not survey figures: its resident
//! population (an official figure, from the population register) and its
//! degree of urbanisation (Eurostat's DEGURBA: `DEG1` cities, `DEG2` towns
//! and suburbs, `DEG3` rural areas). The indicator pipeline derives them
//! from the hierarchy table, the store keeps them with a run, bundles carry
//! them, and peer areas compare on them.

use serde::{Deserialize, Serialize};

/// The degree-of-urbanisation class of cities.
pub const CITIES: &str = "DEG1";

/// The facts of one area of one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaFacts {
    pub code: String,
    pub level: String,
    /// Residents: the hierarchy's figure for a lowest-level area, the sum
    /// over its lowest-level areas above that; none when not given.
    #[serde(default)]
    pub population: Option<f64>,
    /// The reference date of the population (free text, e.g. `2024-01-01`).
    #[serde(default)]
    pub population_date: Option<String>,
    /// The class (`DEG1`, `DEG2`, `DEG3`) of a lowest-level area, or of
    /// an area whose lowest-level areas all have the same class.
    #[serde(default)]
    pub degurba: Option<String>,
    /// Share of the residents living in cities (`DEG1`), in percent: 100 or
    /// 0 for an area of one class; above that, weighted by population (none
    /// when a population or a class is missing).
    #[serde(default)]
    pub city_share: Option<f64>,
}

impl AreaFacts {
    /// What is wrong with the facts, if anything: a population that is not a
    /// finite number ≥ 0, a class other than DEG1–3, a share outside 0–100.
    pub fn problem(&self) -> Option<String> {
        if let Some(p) = self.population.filter(|p| !(p.is_finite() && *p >= 0.0)) {
            return Some(format!("area '{}': population {p} is not a number ≥ 0", self.code));
        }
        if let Some(d) = self.degurba.as_deref().filter(|d| !["DEG1", "DEG2", "DEG3"].contains(d)) {
            return Some(format!("area '{}': '{d}' is not a degree of urbanisation (DEG1, DEG2, DEG3)", self.code));
        }
        if let Some(s) = self.city_share.filter(|s| !(0.0..=100.0).contains(s)) {
            return Some(format!("area '{}': share living in cities {s} is not between 0 and 100", self.code));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_named() {
        let good = AreaFacts {
            code: "X".into(),
            level: "city".into(),
            population: Some(10.0),
            population_date: None,
            degurba: Some("DEG2".into()),
            city_share: Some(0.0),
        };
        assert_eq!(good.problem(), None);
        let bad = |f: fn(&mut AreaFacts)| {
            let mut x = good.clone();
            f(&mut x);
            x.problem().unwrap()
        };
        assert!(bad(|x| x.population = Some(-1.0)).contains("population -1"));
        assert!(bad(|x| x.population = Some(f64::NAN)).contains("population NaN"));
        assert!(bad(|x| x.degurba = Some("urban".into())).contains("'urban' is not a degree of urbanisation"));
        assert!(bad(|x| x.city_share = Some(101.0)).contains("between 0 and 100"));
    }
}

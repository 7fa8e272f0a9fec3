//! Area facts from the hierarchy table (docs/config.md, hierarchy table):
//! the resident population of each lowest-level area, from the column that
//! `geography.population` names, and its degree of urbanisation, from the
//! `degurba` level. Every area of every level gets the sum of its
//! lowest-level areas' populations (when all of them have one) and the
//! share of its residents living in cities (`DEG1`).

use std::collections::BTreeMap;

use urbis_core::{AreaFacts, Frame};

use crate::geography::{is_classification, Hierarchy};

/// Where the facts come from: the population column and its reference date.
#[derive(Debug, Clone, Default)]
pub struct Sources<'a> {
    pub population: Option<&'a str>,
    pub date: Option<&'a str>,
}

/// Sums over the lowest-level areas of one area.
#[derive(Default)]
struct Sums {
    population: f64,
    cities: f64,
    without_population: bool,
    without_class: bool,
    classes: std::collections::BTreeSet<&'static str>,
}

/// The facts of every area of every level, sorted by level then code; none
/// when the table has neither a population column nor a `degurba` level.
/// A bad population or class is an error naming the row and column.
pub fn from_table(table: &Frame, hierarchy: &Hierarchy, sources: &Sources) -> Result<Vec<AreaFacts>, String> {
    let degurba = hierarchy.levels.iter().position(|l| is_classification(l));
    if sources.population.is_none() && degurba.is_none() {
        return Ok(Vec::new());
    }
    let column = |name: &str| {
        table
            .column(name)
            .ok_or_else(|| format!("the hierarchy has no column '{name}' (columns are: {})", table.names().join(", ")))
    };
    let lowest = column(&hierarchy.levels[0])?;
    let population = sources.population.map(|c| column(c).map(|col| (c, col))).transpose()?;
    let mut sums: BTreeMap<(usize, String), Sums> = BTreeMap::new();
    for row in 0..table.n_rows() {
        let code = lowest.display(row).trim().to_string();
        let Some(codes) = hierarchy.codes_of(&code) else { continue };
        let residents = match population {
            Some((name, col)) => Some(residents(&col.display(row), name, row)?),
            None => None,
        };
        let class = match degurba {
            Some(k) => class(&codes[k], &hierarchy.levels[k], row)?,
            None => None,
        };
        for (k, area) in codes.iter().enumerate().filter(|(_, a)| !a.is_empty()) {
            let s = sums.entry((k, area.clone())).or_default();
            match residents {
                Some(p) => s.population += p,
                None => s.without_population = true,
            }
            match class {
                Some(c) => {
                    s.classes.insert(c);
                    if c == urbis_core::area::CITIES {
                        s.cities += residents.unwrap_or(0.0);
                    }
                }
                None => s.without_class = true,
            }
        }
    }
    let mut facts: Vec<AreaFacts> = sums
        .into_iter()
        .map(|((k, code), s)| {
            let population = (!s.without_population).then_some(s.population);
            let one_class = (!s.without_class && s.classes.len() == 1).then(|| s.classes.iter().next().copied());
            let city_share = match (one_class.flatten(), population) {
                _ if s.without_class => None,
                (Some(c), _) => Some(if c == urbis_core::area::CITIES { 100.0 } else { 0.0 }),
                (None, Some(p)) if p > 0.0 => Some(100.0 * s.cities / p),
                (None, _) => None,
            };
            AreaFacts {
                code,
                level: hierarchy.levels[k].clone(),
                population,
                population_date: population.and(sources.date.map(str::to_string)),
                degurba: one_class.flatten().map(str::to_string),
                city_share,
            }
        })
        .collect();
    facts.sort_by(|a, b| (&a.level, &a.code).cmp(&(&b.level, &b.code)));
    Ok(facts)
}

/// A population: a finite number ≥ 0 (a missing one is an error too).
fn residents(text: &str, column: &str, row: usize) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("row {}, column '{column}': the population is missing", row + 1));
    }
    text.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p >= 0.0)
        .ok_or_else(|| format!("row {}, column '{column}': '{text}' is not a population (a number ≥ 0)", row + 1))
}

/// A degree of urbanisation: `DEG1`–`DEG3` (or Eurostat's `1`–`3`); empty is none.
fn class(text: &str, column: &str, row: usize) -> Result<Option<&'static str>, String> {
    Ok(match text.trim() {
        "" => None,
        "DEG1" | "1" => Some("DEG1"),
        "DEG2" | "2" => Some("DEG2"),
        "DEG3" | "3" => Some("DEG3"),
        other => {
            return Err(format!(
                "row {}, column '{column}': '{other}' is not a degree of urbanisation (DEG1, DEG2, DEG3)",
                row + 1
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geography::tests::text;

    /// Three districts of two cities: city X has a DEG1 district of 300
    /// residents and a DEG2 one of 100; city Y one DEG3 district of 50.
    fn table(population: &[&str]) -> (Frame, Hierarchy) {
        let mut f = Frame::new("h", 3);
        f.push("district", text(&["X1", "X2", "Y1"]));
        f.push("city", text(&["X", "X", "Y"]));
        f.push("degurba", text(&["DEG1", "2", "DEG3"]));
        f.push("pop", text(population));
        let levels: Vec<String> = ["district", "city", "degurba"].iter().map(|s| s.to_string()).collect();
        let (h, _) = Hierarchy::from_table(&f, &levels).unwrap();
        (f, h)
    }

    fn find<'a>(facts: &'a [AreaFacts], level: &str, code: &str) -> &'a AreaFacts {
        facts.iter().find(|f| f.level == level && f.code == code).unwrap()
    }

    #[test]
    fn populations_add_up_and_shares_are_weighted() {
        let (f, h) = table(&["300", "100", "50"]);
        let facts = from_table(&f, &h, &Sources { population: Some("pop"), date: Some("2024-01-01") }).unwrap();
        let x = find(&facts, "city", "X");
        assert_eq!(x.population, Some(400.0));
        assert_eq!(x.city_share, Some(75.0));
        assert_eq!(x.degurba, None);
        assert_eq!(x.population_date.as_deref(), Some("2024-01-01"));
        let x2 = find(&facts, "district", "X2");
        assert_eq!((x2.degurba.as_deref(), x2.city_share), (Some("DEG2"), Some(0.0)));
        let y = find(&facts, "city", "Y");
        assert_eq!((y.population, y.degurba.as_deref(), y.city_share), (Some(50.0), Some("DEG3"), Some(0.0)));
        assert_eq!(find(&facts, "degurba", "DEG1").population, Some(300.0));
        assert_eq!(facts.len(), 3 + 2 + 3);
    }

    #[test]
    fn without_population_only_areas_of_one_class_have_a_share() {
        let (f, h) = table(&["", "", ""]);
        let facts = from_table(&f, &h, &Sources::default()).unwrap();
        assert_eq!(find(&facts, "city", "X").city_share, None);
        assert_eq!(find(&facts, "city", "Y").city_share, Some(0.0));
        assert_eq!(find(&facts, "district", "X1").city_share, Some(100.0));
        assert!(facts.iter().all(|f| f.population.is_none() && f.population_date.is_none()));
    }

    #[test]
    fn bad_populations_name_the_row_and_column() {
        let with = |p: &[&str]| {
            let (f, h) = table(p);
            from_table(&f, &h, &Sources { population: Some("pop"), date: None })
        };
        assert_eq!(
            with(&["300", "-1", "50"]).unwrap_err(),
            "row 2, column 'pop': '-1' is not a population (a number ≥ 0)"
        );
        assert_eq!(
            with(&["300", "100", "many"]).unwrap_err(),
            "row 3, column 'pop': 'many' is not a population (a number ≥ 0)"
        );
        assert_eq!(with(&["", "100", "50"]).unwrap_err(), "row 1, column 'pop': the population is missing");
        let (f, h) = table(&["1", "2", "3"]);
        let e = from_table(&f, &h, &Sources { population: Some("residents"), date: None }).unwrap_err();
        assert!(e.contains("no column 'residents'") && e.contains("pop"), "{e}");
    }

    #[test]
    fn unknown_classes_are_errors() {
        let mut f = Frame::new("h", 1);
        f.push("district", text(&["X1"]));
        f.push("degurba", text(&["urban"]));
        let levels: Vec<String> = ["district", "degurba"].iter().map(|s| s.to_string()).collect();
        let (h, _) = Hierarchy::from_table(&f, &levels).unwrap();
        let e = from_table(&f, &h, &Sources::default()).unwrap_err();
        assert_eq!(e, "row 1, column 'degurba': 'urban' is not a degree of urbanisation (DEG1, DEG2, DEG3)");
    }
}

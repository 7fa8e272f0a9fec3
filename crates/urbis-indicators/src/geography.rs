//! Area levels: a hierarchy table maps each area of the lowest level (the
//! codes of the `geo` variable) to its area at every higher level, for
//! example district → city → NUTS 3 → NUTS 2 → country, plus degree of
//! urbanisation. Survey totals of lower levels then add up to upper levels by
//! construction; the inputs are checked for inconsistent parents.

use std::collections::{BTreeMap, HashMap};

use urbis_core::{Column, Frame, MISSING_CODE};

/// The hierarchy: per lowest-level code, its code at each level.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    pub levels: Vec<String>,
    parents: HashMap<String, Vec<String>>,
}

impl Hierarchy {
    /// A single level: the `geo` codes themselves.
    pub fn flat(level: &str) -> Self {
        Hierarchy { levels: vec![level.to_string()], parents: HashMap::new() }
    }

    /// Builds the hierarchy from a table with one column per level (the first
    /// being the lowest); returns it with the inconsistencies found.
    pub fn from_table(table: &Frame, levels: &[String]) -> Result<(Self, Vec<String>), String> {
        let columns: Vec<&Column> = levels
            .iter()
            .map(|l| {
                table.column(l).ok_or_else(|| {
                    format!("the hierarchy has no column '{l}' (columns are: {})", table.names().join(", "))
                })
            })
            .collect::<Result<_, _>>()?;
        let mut parents: HashMap<String, Vec<String>> = HashMap::new();
        let mut warnings = Vec::new();
        // Parent of each code at each level, to find codes with two parents.
        let mut seen: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); levels.len()];
        for row in 0..table.n_rows() {
            let codes: Vec<String> = columns.iter().map(|c| c.display(row).trim().to_string()).collect();
            if codes[0].is_empty() {
                return Err(format!("row {}: the area code of level '{}' is missing", row + 1, levels[0]));
            }
            if parents.insert(codes[0].clone(), codes.clone()).is_some() {
                return Err(format!("row {}: area '{}' appears twice", row + 1, codes[0]));
            }
            for k in 1..levels.len().saturating_sub(1) {
                // The degree of urbanisation classifies areas; it is no parent level.
                if codes[k].is_empty() || is_classification(&levels[k + 1]) || is_classification(&levels[k]) {
                    continue;
                }
                let parent = &codes[k + 1];
                if let Some(previous) = seen[k].insert(codes[k].clone(), parent.clone()) {
                    if &previous != parent {
                        warnings.push(format!(
                            "area '{}' of level '{}' has two parents at level '{}': '{}' and '{}'",
                            codes[k],
                            levels[k],
                            levels[k + 1],
                            previous,
                            parent
                        ));
                    }
                }
            }
            for k in 0..levels.len().saturating_sub(1) {
                if is_classification(&levels[k + 1]) {
                    continue;
                }
                let (child, parent) = (&codes[k], &codes[k + 1]);
                if is_nuts(child)
                    && is_nuts(parent)
                    && parent.len() < child.len()
                    && !child.starts_with(parent.as_str())
                {
                    warnings.push(format!(
                        "NUTS code '{child}' (level '{}') lies under '{parent}' (level '{}'), which is not its NUTS parent",
                        levels[k],
                        levels[k + 1]
                    ));
                }
            }
        }
        warnings.sort();
        warnings.dedup();
        Ok((Hierarchy { levels: levels.to_vec(), parents }, warnings))
    }

    /// The codes at every level of a lowest-level area.
    pub fn codes_of(&self, code: &str) -> Option<&[String]> {
        self.parents.get(code).map(Vec::as_slice)
    }

    /// The code at level `k` of every row, from the rows' lowest-level codes.
    /// A code missing from the hierarchy is an error naming it and its row.
    pub fn codes_at(&self, geo: &Column, k: usize) -> Result<Column, String> {
        let Column::Text(t) = geo else { return Err("the geo variable must hold area codes".into()) };
        if k == 0 {
            return Ok(geo.clone());
        }
        let mut levels = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut remap = Vec::with_capacity(t.levels.len());
        for code in &t.levels {
            let mapped = match self.parents.get(code) {
                Some(p) if !p[k].is_empty() => {
                    let next = levels.len() as u32;
                    *index.entry(p[k].clone()).or_insert_with(|| {
                        levels.push(p[k].clone());
                        next
                    })
                }
                Some(_) => MISSING_CODE,
                None => u32::MAX - 1,
            };
            remap.push(mapped);
        }
        let mut codes = Vec::with_capacity(t.codes.len());
        for (row, &c) in t.codes.iter().enumerate() {
            if c == MISSING_CODE {
                codes.push(MISSING_CODE);
                continue;
            }
            let m = remap[c as usize];
            if m == u32::MAX - 1 {
                return Err(format!("row {}: area '{}' is missing from the hierarchy", row + 1, t.levels[c as usize]));
            }
            codes.push(m);
        }
        Ok(Column::Text(urbis_core::TextColumn { codes, levels }))
    }
}

/// An area of the hierarchy, its level and the area containing it at the
/// next level up (none at the top level and for classifications such as the
/// degree of urbanisation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct AreaLink {
    pub code: String,
    pub level: String,
    pub parent: Option<String>,
}

impl Hierarchy {
    /// Every area of every level once, with its parent, sorted by level then code.
    pub fn links(&self) -> Vec<AreaLink> {
        let mut seen = std::collections::BTreeSet::new();
        for codes in self.parents.values() {
            for (k, code) in codes.iter().enumerate() {
                if code.is_empty() {
                    continue;
                }
                let parent = (!is_classification(&self.levels[k]))
                    .then(|| {
                        (k + 1..codes.len())
                            .find(|&j| !is_classification(&self.levels[j]) && !codes[j].is_empty())
                            .map(|j| codes[j].clone())
                    })
                    .flatten();
                seen.insert((k, code.clone(), parent));
            }
        }
        seen.into_iter().map(|(k, code, parent)| AreaLink { code, level: self.levels[k].clone(), parent }).collect()
    }
}

/// An area as the sum of its parts: the areas of the next lower level that
/// it contains, or, for a classification such as the degree of urbanisation,
/// the lowest-level areas it classifies. Counts of respondents add up along
/// these sums (docs/publication.md, secondary suppression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaSum {
    pub level: String,
    pub code: String,
    /// The parts' level and codes, sorted.
    pub part_level: String,
    pub parts: Vec<String>,
}

impl Hierarchy {
    /// Every area of a level above the lowest as the sum of its parts,
    /// sorted by level and code. A part whose own code at the level below
    /// is empty is skipped down to the next level with a code.
    pub fn sums(&self) -> Vec<AreaSum> {
        let mut sums: BTreeMap<(usize, String), (usize, std::collections::BTreeSet<String>)> = BTreeMap::new();
        for codes in self.parents.values() {
            for k in 1..codes.len() {
                if codes[k].is_empty() {
                    continue;
                }
                let below = if is_classification(&self.levels[k]) {
                    Some(0)
                } else {
                    (0..k).rev().find(|&j| !is_classification(&self.levels[j]) && !codes[j].is_empty())
                };
                let Some(j) = below else { continue };
                let entry = sums.entry((k, codes[k].clone())).or_insert((j, Default::default()));
                if entry.0 == j {
                    entry.1.insert(codes[j].clone());
                }
            }
        }
        sums.into_iter()
            .map(|((k, code), (j, parts))| AreaSum {
                level: self.levels[k].clone(),
                code,
                part_level: self.levels[j].clone(),
                parts: parts.into_iter().collect(),
            })
            .collect()
    }
}

/// Levels that classify areas rather than contain them (degree of urbanisation).
pub(crate) fn is_classification(level: &str) -> bool {
    level.eq_ignore_ascii_case("degurba")
}

fn is_nuts(code: &str) -> bool {
    (3..=5).contains(&code.len())
        && code[..2].bytes().all(|b| b.is_ascii_uppercase())
        && code[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use urbis_core::TextColumn;

    pub(crate) fn text(values: &[&str]) -> Column {
        let mut levels: Vec<String> = Vec::new();
        let codes = values
            .iter()
            .map(|v| match levels.iter().position(|l| l == v) {
                Some(i) => i as u32,
                None => {
                    levels.push(v.to_string());
                    (levels.len() - 1) as u32
                }
            })
            .collect();
        Column::Text(TextColumn { codes, levels })
    }

    fn table() -> Frame {
        let mut f = Frame::new("h", 3);
        f.push("district", text(&["AT130_D1", "AT130_D2", "AT323_D1"]));
        f.push("nuts3", text(&["AT130", "AT130", "AT323"]));
        f.push("nuts2", text(&["AT13", "AT13", "AT32"]));
        f.push("country", text(&["AT", "AT", "AT"]));
        f
    }

    #[test]
    fn maps_rows_to_every_level() {
        let levels: Vec<String> = ["district", "nuts3", "nuts2", "country"].iter().map(|s| s.to_string()).collect();
        let (h, warnings) = Hierarchy::from_table(&table(), &levels).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let geo = text(&["AT323_D1", "AT130_D2"]);
        let nuts2 = h.codes_at(&geo, 2).unwrap();
        assert_eq!(nuts2.display(0), "AT32");
        assert_eq!(nuts2.display(1), "AT13");
        let err = h.codes_at(&text(&["XX"]), 1).unwrap_err();
        assert!(err.contains("'XX' is missing from the hierarchy"), "{err}");
    }

    #[test]
    fn areas_are_sums_of_their_parts_and_degurba_of_the_lowest_areas() {
        let mut f = table();
        f.push("degurba", text(&["DEG1", "DEG2", "DEG1"]));
        let levels: Vec<String> =
            ["district", "nuts3", "nuts2", "country", "degurba"].iter().map(|s| s.to_string()).collect();
        let (h, _) = Hierarchy::from_table(&f, &levels).unwrap();
        let sums: Vec<(String, String, String, Vec<String>)> =
            h.sums().into_iter().map(|s| (s.level, s.code, s.part_level, s.parts)).collect();
        let s = |l: &str, c: &str, pl: &str, p: &[&str]| {
            (l.to_string(), c.to_string(), pl.to_string(), p.iter().map(|x| x.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            sums,
            [
                s("nuts3", "AT130", "district", &["AT130_D1", "AT130_D2"]),
                s("nuts3", "AT323", "district", &["AT323_D1"]),
                s("nuts2", "AT13", "nuts3", &["AT130"]),
                s("nuts2", "AT32", "nuts3", &["AT323"]),
                s("country", "AT", "nuts2", &["AT13", "AT32"]),
                s("degurba", "DEG1", "district", &["AT130_D1", "AT323_D1"]),
                s("degurba", "DEG2", "district", &["AT130_D2"]),
            ]
        );
    }

    #[test]
    fn reports_inconsistent_parents() {
        let mut f = table();
        f = {
            let mut g = Frame::new("h", 3);
            g.push("district", f.column("district").unwrap().clone());
            g.push("nuts3", f.column("nuts3").unwrap().clone());
            g.push("nuts2", text(&["AT13", "AT12", "AT32"]));
            g.push("country", f.column("country").unwrap().clone());
            f = g;
            f
        };
        let levels: Vec<String> = ["district", "nuts3", "nuts2", "country"].iter().map(|s| s.to_string()).collect();
        let (_, warnings) = Hierarchy::from_table(&f, &levels).unwrap();
        assert!(warnings.iter().any(|w| w.contains("two parents")), "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("not its NUTS parent")), "{warnings:?}");
    }
}

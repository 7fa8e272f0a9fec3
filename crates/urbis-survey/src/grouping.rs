//! Turning key columns (strata, PSU ids, domains, categories) into dense codes.

use std::collections::HashMap;

use urbis_core::frame::format_number;
use urbis_core::{Column, MISSING_CODE};

/// Dense codes per row (`MISSING_CODE` where the key is missing) and the label
/// of each code. Labels are sorted: numerically for number columns,
/// lexicographically for text, as R orders factor levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub codes: Vec<u32>,
    pub labels: Vec<String>,
}

impl Grouping {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// One group holding every row.
    pub fn single(n_rows: usize) -> Self {
        Grouping { codes: vec![0; n_rows], labels: vec![String::new()] }
    }

    pub fn of_column(column: &Column) -> Self {
        match column {
            Column::Text(t) => {
                let mut order: Vec<u32> = (0..t.levels.len() as u32).collect();
                order.sort_by(|a, b| t.levels[*a as usize].cmp(&t.levels[*b as usize]));
                let mut rank = vec![0u32; t.levels.len()];
                for (r, &level) in order.iter().enumerate() {
                    rank[level as usize] = r as u32;
                }
                let codes =
                    t.codes.iter().map(|&c| if c == MISSING_CODE { MISSING_CODE } else { rank[c as usize] }).collect();
                let labels = order.iter().map(|&l| t.levels[l as usize].clone()).collect();
                Grouping { codes, labels }.drop_unused()
            }
            Column::Number(v) => {
                // Distinct values first (few), then sorted; codes in one more pass.
                let mut first: HashMap<u64, u32> = HashMap::new();
                let mut distinct: Vec<f64> = Vec::new();
                let raw: Vec<u32> = v
                    .iter()
                    .map(|&x| {
                        if x.is_nan() {
                            return MISSING_CODE;
                        }
                        *first.entry(normal_bits(x)).or_insert_with(|| {
                            distinct.push(if x == 0.0 { 0.0 } else { x });
                            (distinct.len() - 1) as u32
                        })
                    })
                    .collect();
                let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
                order.sort_by(|a, b| distinct[*a as usize].total_cmp(&distinct[*b as usize]));
                let mut rank = vec![0u32; order.len()];
                for (r, &d) in order.iter().enumerate() {
                    rank[d as usize] = r as u32;
                }
                let mut codes = raw;
                for c in &mut codes {
                    if *c != MISSING_CODE {
                        *c = rank[*c as usize];
                    }
                }
                let labels = order.iter().map(|&d| format_number(distinct[d as usize])).collect();
                Grouping { codes, labels }
            }
        }
    }

    /// The combination of several groupings: one code per distinct tuple of
    /// codes present in the data, ordered lexicographically by the tuple.
    /// A row missing any key is missing in the combination.
    pub fn combine(parts: &[Grouping]) -> Grouping {
        match parts {
            [] => panic!("combine needs at least one grouping"),
            [one] => one.clone(),
            _ => {
                let n = parts[0].codes.len();
                let mut seen: HashMap<Vec<u32>, u32> = HashMap::new();
                let mut tuples: Vec<Vec<u32>> = Vec::new();
                let mut raw = Vec::with_capacity(n);
                for i in 0..n {
                    let key: Vec<u32> = parts.iter().map(|g| g.codes[i]).collect();
                    if key.contains(&MISSING_CODE) {
                        raw.push(MISSING_CODE);
                        continue;
                    }
                    let next = tuples.len() as u32;
                    let code = *seen.entry(key.clone()).or_insert_with(|| {
                        tuples.push(key);
                        next
                    });
                    raw.push(code);
                }
                let mut order: Vec<u32> = (0..tuples.len() as u32).collect();
                order.sort_by(|a, b| tuples[*a as usize].cmp(&tuples[*b as usize]));
                let mut rank = vec![0u32; tuples.len()];
                for (r, &t) in order.iter().enumerate() {
                    rank[t as usize] = r as u32;
                }
                let codes = raw.iter().map(|&c| if c == MISSING_CODE { c } else { rank[c as usize] }).collect();
                let labels = order
                    .iter()
                    .map(|&t| {
                        tuples[t as usize]
                            .iter()
                            .zip(parts)
                            .map(|(&c, g)| g.labels[c as usize].as_str())
                            .collect::<Vec<_>>()
                            .join("\u{1f}")
                    })
                    .collect();
                Grouping { codes, labels }
            }
        }
    }

    /// Removes labels no row uses (text columns can carry unused levels).
    fn drop_unused(self) -> Self {
        let mut used = vec![false; self.labels.len()];
        for &c in &self.codes {
            if c != MISSING_CODE {
                used[c as usize] = true;
            }
        }
        if used.iter().all(|u| *u) {
            return self;
        }
        let mut remap = vec![MISSING_CODE; self.labels.len()];
        let mut labels = Vec::new();
        for (i, label) in self.labels.into_iter().enumerate() {
            if used[i] {
                remap[i] = labels.len() as u32;
                labels.push(label);
            }
        }
        let codes = self.codes.iter().map(|&c| if c == MISSING_CODE { c } else { remap[c as usize] }).collect();
        Grouping { codes, labels }
    }
}

/// Bits of a number with -0 folded into +0, for use as a hash key.
fn normal_bits(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// Separator between the parts of a combined label (see [`Grouping::combine`]).
pub const LABEL_SEPARATOR: char = '\u{1f}';

#[cfg(test)]
mod tests {
    use super::*;
    use urbis_core::TextColumn;

    #[test]
    fn numbers_sort_numerically() {
        let g = Grouping::of_column(&Column::Number(vec![10.0, 2.0, f64::NAN, 2.0]));
        assert_eq!(g.labels, vec!["2", "10"]);
        assert_eq!(g.codes, vec![1, 0, MISSING_CODE, 0]);
    }

    #[test]
    fn combination_orders_tuples() {
        let a = Grouping::of_column(&Column::Text(TextColumn {
            codes: vec![0, 1, 0, 1],
            levels: vec!["b".into(), "a".into()],
        }));
        let b = Grouping::of_column(&Column::Number(vec![1.0, 1.0, 2.0, f64::NAN]));
        let c = Grouping::combine(&[a, b]);
        assert_eq!(c.labels, vec!["a\u{1f}1", "b\u{1f}1", "b\u{1f}2"]);
        assert_eq!(c.codes, vec![1, 0, 2, MISSING_CODE]);
    }
}

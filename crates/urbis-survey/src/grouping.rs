//! Turning key columns (strata, PSU ids, domains, categories) into dense codes.

use std::collections::HashMap;

use urbis_core::frame::format_number;
use urbis_core::hash::KeyMap;
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
                let (raw, distinct) = number_codes(v);
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

/// Several sets of domains estimated together (for example every area level
/// × group partition of an indicator). Either each set gives the domain of
/// every row, or the rows are grouped into cells (a partition at least as
/// fine as every set) and each set gives the domain of every cell: a pass
/// then sums each PSU's rows per cell first and adds the cells to their
/// domains, instead of adding every row to each of its domains.
#[derive(Debug, Clone)]
pub struct DomainSets<'a> {
    layout: Layout<'a>,
}

#[derive(Debug, Clone)]
enum Layout<'a> {
    Rows(&'a [Grouping]),
    Cells { cells: &'a [u32], n_cells: usize, sets: Vec<(&'a [u32], usize)>, regions: Option<&'a [u32]> },
}

impl<'a> DomainSets<'a> {
    /// Sets given by the domain of every row.
    pub fn of_groupings(sets: &'a [Grouping]) -> Self {
        DomainSets { layout: Layout::Rows(sets) }
    }

    /// Sets over cells: `cells` gives the cell of every row (`MISSING_CODE`
    /// for rows in no domain of any set); sets are added with [`Self::push`].
    pub fn over_cells(cells: &'a [u32], n_cells: usize) -> Self {
        DomainSets { layout: Layout::Cells { cells, n_cells, sets: Vec::new(), regions: None } }
    }

    /// Gives the region of every cell: a partition of the cells such that
    /// the rows of each PSU lie in one region (in a survey, a PSU lies in one
    /// lowest-level area and one year). Smooth statistics then keep
    /// per-stratum moments per region instead of (PSU, domain) totals; when
    /// a PSU turns out to span regions, the pass keeps the totals. Only for
    /// sets over cells.
    pub fn with_regions(mut self, region_of_cell: &'a [u32]) -> Self {
        match &mut self.layout {
            Layout::Cells { n_cells, regions, .. } => {
                assert_eq!(region_of_cell.len(), *n_cells, "one region per cell");
                *regions = Some(region_of_cell);
            }
            Layout::Rows(_) => panic!("sets given by rows take no cells"),
        }
        self
    }

    /// Adds a set of `n_domains` domains given by the domain of every cell
    /// (`MISSING_CODE`: none). Only for sets over cells.
    pub fn push(&mut self, domain_of_cell: &'a [u32], n_domains: usize) {
        match &mut self.layout {
            Layout::Cells { n_cells, sets, .. } => {
                assert_eq!(domain_of_cell.len(), *n_cells, "one domain per cell");
                sets.push((domain_of_cell, n_domains));
            }
            Layout::Rows(_) => panic!("sets given by rows take no cells"),
        }
    }

    /// Number of sets.
    pub fn len(&self) -> usize {
        match &self.layout {
            Layout::Rows(g) => g.len(),
            Layout::Cells { sets, .. } => sets.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of domains of set `s`.
    pub fn size(&self, s: usize) -> usize {
        match &self.layout {
            Layout::Rows(g) => g[s].len(),
            Layout::Cells { sets, .. } => sets[s].1,
        }
    }

    /// Set `s` as the domain of every row (unlabelled when built from cells).
    pub fn grouping(&self, s: usize) -> std::borrow::Cow<'a, Grouping> {
        self.grouping_in(s, Vec::new())
    }

    /// [`Self::grouping`], its codes written into `buffer` (a vector used
    /// before, so that its memory is not mapped afresh).
    pub(crate) fn grouping_in(&self, s: usize, mut buffer: Vec<u32>) -> std::borrow::Cow<'a, Grouping> {
        match &self.layout {
            Layout::Rows(g) => std::borrow::Cow::Borrowed(&g[s]),
            Layout::Cells { cells, sets, .. } => {
                let (map, n) = sets[s];
                buffer.clear();
                buffer.extend(cells.iter().map(|&c| if c == MISSING_CODE { c } else { map[c as usize] }));
                std::borrow::Cow::Owned(Grouping { codes: buffer, labels: vec![String::new(); n] })
            }
        }
    }

    /// The cell of each of `rows` (`None` for sets given by rows).
    pub(crate) fn cells_of_rows(&self, rows: &[u32]) -> Option<Vec<u32>> {
        match &self.layout {
            Layout::Rows(_) => None,
            Layout::Cells { cells, .. } => Some(rows.iter().map(|&r| cells[r as usize]).collect()),
        }
    }

    /// The domain in set `s` of each of `rows`; `cells` is
    /// [`Self::cells_of_rows`] of the same rows (computed once for all sets).
    /// Written into `buffer` (a vector used before, so that its memory is
    /// not mapped afresh).
    pub(crate) fn domains_of_rows(
        &self,
        s: usize,
        rows: &[u32],
        cells: Option<&[u32]>,
        mut buffer: Vec<u32>,
    ) -> Vec<u32> {
        buffer.clear();
        match (&self.layout, cells) {
            (Layout::Cells { sets, .. }, Some(cells)) => {
                let map = sets[s].0;
                buffer.extend(cells.iter().map(|&c| if c == MISSING_CODE { c } else { map[c as usize] }));
            }
            _ => {
                let codes = &self.grouping(s).codes;
                buffer.extend(rows.iter().map(|&r| codes[r as usize]));
            }
        }
        buffer
    }

    /// The sets for a pass over the data, and the number of domains of all sets.
    pub(crate) fn cells(&self) -> (crate::aggregate::Cells<'_>, usize) {
        let mut offset = 0u32;
        let mut with_offsets = |sets: Vec<(&'a [u32], usize)>| {
            sets.into_iter()
                .map(|(map, n)| {
                    let at = offset;
                    offset += n as u32;
                    (map, at)
                })
                .collect()
        };
        let cells = match &self.layout {
            Layout::Rows(g) => crate::aggregate::Cells {
                fine: None,
                sets: with_offsets(g.iter().map(|g| (g.codes.as_slice(), g.len())).collect()),
                regions: None,
            },
            Layout::Cells { cells, n_cells, sets, regions } => crate::aggregate::Cells {
                fine: Some((cells, *n_cells)),
                sets: with_offsets(sets.clone()),
                regions: *regions,
            },
        };
        (cells, offset as usize)
    }
}

/// The finest partition of the rows by several codes: the cell of every row
/// (numbered by first appearance) and the codes of each cell. `parts` gives
/// each part's codes per row and its number of codes; `MISSING_CODE` is kept
/// as a value of its own.
pub fn cells_of(parts: &[(&[u32], usize)]) -> (Vec<u32>, Vec<Vec<u32>>) {
    let n = parts.first().map_or(0, |p| p.0.len());
    let mut codes = vec![0u32; n];
    let mut keys: Vec<Vec<u32>> = vec![Vec::new()];
    for &(part, size) in parts {
        // Missing is the value `size`; pairs (cell, value) numbered on first use.
        let width = size + 1;
        let mut next: Vec<Vec<u32>> = Vec::new();
        let mut dense = (keys.len().saturating_mul(width) <= 1 << 24).then(|| vec![MISSING_CODE; keys.len() * width]);
        let mut sparse: HashMap<(u32, u32), u32> = HashMap::new();
        for (c, &v) in codes.iter_mut().zip(part) {
            let value = if v == MISSING_CODE { size as u32 } else { v };
            let slot = match &mut dense {
                Some(table) => &mut table[*c as usize * width + value as usize],
                None => sparse.entry((*c, value)).or_insert(MISSING_CODE),
            };
            if *slot == MISSING_CODE {
                *slot = next.len() as u32;
                let mut key = keys[*c as usize].clone();
                key.push(v);
                next.push(key);
            }
            *c = *slot;
        }
        keys = next;
    }
    (codes, keys)
}

/// Dense codes of the numbers of a column in order of first appearance
/// (`MISSING_CODE` for NaN), and the distinct numbers (-0 counted as 0).
/// Small whole numbers (the usual codes) are looked up directly, other
/// values by their bits; runs of one value (household ids) by the last one.
pub fn number_codes(v: &[f64]) -> (Vec<u32>, Vec<f64>) {
    const SMALL: usize = 1024;
    let mut small = vec![MISSING_CODE; SMALL];
    let mut other: KeyMap<u32> = KeyMap::default();
    let mut distinct: Vec<f64> = Vec::new();
    let mut last: Option<(u64, u32)> = None;
    let codes = v
        .iter()
        .map(|&x| {
            if x.is_nan() {
                return MISSING_CODE;
            }
            let bits = normal_bits(x);
            if let Some((b, code)) = last {
                if b == bits {
                    return code;
                }
            }
            let slot = if (0.0..SMALL as f64).contains(&x) && x.fract() == 0.0 {
                &mut small[x as usize]
            } else {
                other.entry(bits).or_insert(MISSING_CODE)
            };
            if *slot == MISSING_CODE {
                *slot = distinct.len() as u32;
                distinct.push(if x == 0.0 { 0.0 } else { x });
            }
            last = Some((bits, *slot));
            *slot
        })
        .collect();
    (codes, distinct)
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

//! The one pass over the microdata: mergeable partial aggregates.
//!
//! Estimators describe each row by `k` unweighted values (`row(i, out)`); the
//! engine weights them and sums them per (domain × PSU) for linearisation
//! designs, or per (domain × replicate) for replicate designs. The work is
//! split into a fixed number of partitions (independent of the thread count),
//! processed in parallel and merged in partition order, so results are
//! bit-for-bit reproducible. Partitions by PSU merge by concatenation, which
//! is exact; partitions by row merge by addition of entries with equal keys.

use rayon::prelude::*;
use urbis_core::MISSING_CODE;

use crate::design::{Linear, Replicate};

/// Number of partitions a pass is split into (fixed, so results do not depend
/// on the number of threads).
const PARTITIONS: usize = 16;

/// Describes one row for an estimator: writes its `k` values and says whether
/// the row contributes at all (false for missing values).
pub(crate) trait RowFn: Fn(usize, &mut [f64]) -> bool + Sync {}
impl<T: Fn(usize, &mut [f64]) -> bool + Sync> RowFn for T {}

/// One (PSU, domain) cell of the linearisation aggregates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub psu: u32,
    pub domain: u32,
    /// Contributing rows with a positive weight.
    pub n: u32,
}

/// Weighted sums per (PSU, domain), cells sorted by domain then PSU: the
/// cells of domain `d` are `start[d]..start[d + 1]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct PsuTotals {
    pub k: usize,
    pub cells: Vec<Cell>,
    pub sums: Vec<f64>,
    pub start: Vec<usize>,
}

impl PsuTotals {
    pub fn sums(&self, cell: usize) -> &[f64] {
        &self.sums[cell * self.k..(cell + 1) * self.k]
    }

    /// The cells of domain `d`.
    pub fn range(&self, d: usize) -> std::ops::Range<usize> {
        self.start[d]..self.start[d + 1]
    }
}

/// The sets of domains of a pass, described through cells: the rows are
/// grouped into cells (the finest partition of all sets, or each row its own
/// cell), and every set gives the domain of each cell. A row belongs to at
/// most one domain of each set.
pub(crate) struct Cells<'a> {
    /// The cell of each row (`MISSING_CODE`: in no domain) and the number of
    /// cells; `None` when each row is its own cell.
    pub fine: Option<(&'a [u32], usize)>,
    /// Per set: the domain of each cell (`MISSING_CODE`: none) and the index
    /// of the set's first domain among all domains of the pass.
    pub sets: Vec<(&'a [u32], u32)>,
    /// The region of each cell (with fine cells): a partition in which every
    /// PSU is expected to lie within one region (see `moments`).
    pub regions: Option<&'a [u32]>,
}

/// Some consecutive sets of a pass ([`Cells::groups`]).
pub(crate) struct SetGroup<'a> {
    /// The group's sets over the same cells, their domains numbered from 0.
    pub cells: Cells<'a>,
    /// The number of the group's first domain among all domains of the pass.
    pub first: usize,
    /// The number of domains of each of the group's sets.
    pub sizes: Vec<usize>,
}

impl SetGroup<'_> {
    /// The group's domains.
    pub fn n_domains(&self) -> usize {
        self.sizes.iter().sum()
    }
}

impl<'a> Cells<'a> {
    /// The sets taken `size` at a time (`n_domains`: the pass's domains), for
    /// work done on a few sets at once.
    pub fn groups(&self, n_domains: usize, size: usize) -> Vec<SetGroup<'a>> {
        let ends: Vec<u32> = self.sets.iter().skip(1).map(|&(_, first)| first).chain([n_domains as u32]).collect();
        self.sets
            .chunks(size)
            .zip(ends.chunks(size))
            .map(|(sets, ends)| {
                let first = sets[0].1;
                SetGroup {
                    cells: Cells {
                        fine: self.fine,
                        sets: sets.iter().map(|&(map, offset)| (map, offset - first)).collect(),
                        regions: None,
                    },
                    first: first as usize,
                    sizes: sets.iter().zip(ends).map(|(&(_, offset), &end)| (end - offset) as usize).collect(),
                }
            })
            .collect()
    }
}

impl Cells<'_> {
    /// The cell of row `i`, or `None` when the row is in no domain.
    pub fn cell(&self, i: usize) -> Option<usize> {
        match self.fine {
            Some((codes, _)) => (codes[i] != MISSING_CODE).then_some(codes[i] as usize),
            None => self.sets.iter().any(|(codes, _)| codes[i] != MISSING_CODE).then_some(i),
        }
    }

    /// The domains of cell `c`, one per set at most, in the order of the sets.
    pub fn domains(&self, c: usize) -> impl Iterator<Item = usize> + '_ {
        self.sets
            .iter()
            .filter(move |(map, _)| map[c] != MISSING_CODE)
            .map(move |&(map, offset)| (map[c] + offset) as usize)
    }
}

/// Sums of `k` values per key (cell or domain) within one PSU, with the keys touched.
struct Sums {
    k: usize,
    sums: Vec<f64>,
    /// Contributing rows with a positive weight, and whether the key was touched.
    counts: Vec<(u32, bool)>,
    touched: Vec<u32>,
}

impl Sums {
    fn new(n_keys: usize, k: usize) -> Self {
        Sums { k, sums: vec![0.0; n_keys * k], counts: vec![(0, false); n_keys], touched: Vec::new() }
    }

    fn touch(&mut self, key: usize, n: u32) -> &mut [f64] {
        let count = &mut self.counts[key];
        if !count.1 {
            count.1 = true;
            self.touched.push(key as u32);
        }
        count.0 += n;
        &mut self.sums[key * self.k..(key + 1) * self.k]
    }

    /// Adds `w · values` for one row.
    fn add_row(&mut self, key: usize, w: f64, values: &[f64]) {
        for (s, v) in self.touch(key, u32::from(w > 0.0)).iter_mut().zip(values) {
            *s += w * v;
        }
    }

    /// Adds the sums of a cell holding `n` positive-weight rows.
    fn add_sums(&mut self, key: usize, sums: &[f64], n: u32) {
        for (s, v) in self.touch(key, n).iter_mut().zip(sums) {
            *s += v;
        }
    }

    /// Hands each touched key to `take` (in key order when `sort`, otherwise
    /// in the order first touched), then clears it.
    fn drain(&mut self, sort: bool, mut take: impl FnMut(usize, &[f64], u32)) {
        if sort {
            self.touched.sort_unstable();
        }
        for &key in &self.touched {
            let key = key as usize;
            let sums = &mut self.sums[key * self.k..(key + 1) * self.k];
            take(key, sums, self.counts[key].0);
            sums.iter_mut().for_each(|s| *s = 0.0);
            self.counts[key] = (0, false);
        }
        self.touched.clear();
    }
}

/// Sums `w_i · row(i)` per (PSU, domain) over rows in some domain, for
/// every set of domains in the same pass. With fine cells, each PSU's rows
/// are summed per cell first (one operation per row) and the cells then
/// added to their domains; otherwise each row is added to its domains.
pub(crate) fn psu_totals(
    design: &Linear,
    weights: &[f64],
    cells: &Cells,
    n_domains: usize,
    k: usize,
    row: &impl RowFn,
) -> PsuTotals {
    totals_by_psu(design, cells, n_domains, k, true, |i, c, fine, domains, values| {
        if !row(i, values) {
            return;
        }
        match fine {
            Some(fine) => fine.add_row(c, weights[i], values),
            None => cells.domains(c).for_each(|d| domains.add_row(d, weights[i], values)),
        }
    })
}

/// [`psu_totals`] of row values that depend on the domain: `w_i · row(i, d)`
/// for each domain `d` of row `i` (`row` returning false where the row does
/// not contribute to `d`). Each row is added to its domains one by one.
pub(crate) fn psu_totals_per_domain(
    design: &Linear,
    weights: &[f64],
    cells: &Cells,
    n_domains: usize,
    k: usize,
    row: &(impl Fn(usize, usize, &mut [f64]) -> bool + Sync),
) -> PsuTotals {
    totals_by_psu(design, cells, n_domains, k, false, |i, c, _, domains, values| {
        for d in cells.domains(c) {
            if row(i, d, values) {
                domains.add_row(d, weights[i], values);
            }
        }
    })
}

/// The pass of [`psu_totals`]: `add(row, cell, fine sums, domain sums,
/// scratch)` adds each row of each PSU (with fine cells and `by_cell`, to
/// sums per cell that are then added to the cells' domains); the PSU's sums
/// are then stored per domain, domain-major.
fn totals_by_psu(
    design: &Linear,
    cells: &Cells,
    n_domains: usize,
    k: usize,
    by_cell: bool,
    add: impl Fn(usize, usize, Option<&mut Sums>, &mut Sums, &mut [f64]) + Sync,
) -> PsuTotals {
    let n_psu = design.psu_start.len() - 1;
    let bounds = balanced_bounds(&design.psu_start, PARTITIONS);
    let parts: Vec<PsuTotals> = bounds
        .par_windows(2)
        .map(|w| {
            let mut out = PsuTotals { k, ..Default::default() };
            let mut domains = Sums::new(n_domains, k);
            let mut fine = cells.fine.filter(|_| by_cell).map(|(_, n)| Sums::new(n, k));
            let mut values = vec![0.0; k];
            for p in w[0]..w[1] {
                for &i in &design.rows_by_psu[design.psu_start[p]..design.psu_start[p + 1]] {
                    let i = i as usize;
                    let Some(c) = cells.cell(i) else { continue };
                    add(i, c, fine.as_mut(), &mut domains, &mut values);
                }
                if let Some(fine) = &mut fine {
                    fine.drain(false, |c, sums, n| cells.domains(c).for_each(|d| domains.add_sums(d, sums, n)));
                }
                domains.drain(true, |d, sums, n| {
                    out.cells.push(Cell { psu: p as u32, domain: d as u32, n });
                    out.sums.extend_from_slice(sums);
                });
            }
            out
        })
        .collect();
    // Domain-major, each domain's cells in PSU order: sized once, each
    // partition (in PSU order) copied to its domains' ranges and freed.
    let mut start = vec![0usize; n_domains + 1];
    for cell in parts.iter().flat_map(|p| &p.cells) {
        start[cell.domain as usize + 1] += 1;
    }
    for d in 0..n_domains {
        start[d + 1] += start[d];
    }
    let n_cells = start[n_domains];
    let mut all = PsuTotals {
        k,
        cells: vec![Cell { psu: 0, domain: 0, n: 0 }; n_cells],
        sums: vec![0.0; n_cells * k],
        start: start.clone(),
    };
    let mut next = start;
    for part in parts {
        for (j, cell) in part.cells.iter().enumerate() {
            let at = next[cell.domain as usize];
            next[cell.domain as usize] += 1;
            all.cells[at] = *cell;
            all.sums[at * k..(at + 1) * k].copy_from_slice(part.sums(j));
        }
    }
    debug_assert!(all.cells.iter().all(|c| (c.psu as usize) < n_psu));
    all
}

/// PSU boundaries splitting the rows into about `parts` equal partitions.
fn balanced_bounds(psu_start: &[usize], parts: usize) -> Vec<usize> {
    let n_psu = psu_start.len() - 1;
    let n_rows = psu_start[n_psu];
    let mut bounds = vec![0];
    for j in 1..parts {
        let target = n_rows * j / parts;
        let p = psu_start.partition_point(|&s| s < target).min(n_psu);
        if p > *bounds.last().expect("non-empty") {
            bounds.push(p);
        }
    }
    if *bounds.last().expect("non-empty") < n_psu {
        bounds.push(n_psu);
    }
    if bounds.len() == 1 {
        bounds.push(n_psu);
    }
    bounds
}

/// Weighted sums per (domain, replicate): replicate 0 uses the full-sample
/// weights, replicate r ≥ 1 the r-th replicate weights.
#[derive(Debug, Clone)]
pub(crate) struct ReplicateTotals {
    pub k: usize,
    pub n_reps: usize,
    /// `[domain][replicate][k]`.
    pub sums: Vec<f64>,
    /// Contributing rows with a positive full-sample weight, per domain.
    pub n: Vec<u64>,
    /// Whether any row of the domain contributes.
    pub present: Vec<bool>,
}

impl ReplicateTotals {
    pub fn sums(&self, domain: usize, rep: usize) -> &[f64] {
        let at = (domain * self.n_reps + rep) * self.k;
        &self.sums[at..at + self.k]
    }
}

const CHUNK: usize = 1 << 14;

pub(crate) fn replicate_totals(
    design: &Replicate,
    weights: &[f64],
    cells: &Cells,
    n_domains: usize,
    k: usize,
    row: &impl RowFn,
) -> ReplicateTotals {
    let n = weights.len();
    let n_reps = design.columns.len() + 1;
    let part_len = n.div_ceil(PARTITIONS).max(1);
    let parts: Vec<ReplicateTotals> = (0..n.div_ceil(part_len))
        .into_par_iter()
        .map(|part| {
            let mut acc = ReplicateTotals {
                k,
                n_reps,
                sums: vec![0.0; n_domains * n_reps * k],
                n: vec![0; n_domains],
                present: vec![false; n_domains],
            };
            let mut values = vec![0.0; CHUNK * k];
            // Sums laid out [replicate][domain][k] while accumulating.
            let mut scratch = vec![0.0; n_reps * n_domains * k];
            let end = ((part + 1) * part_len).min(n);
            let mut start = part * part_len;
            while start < end {
                let stop = (start + CHUNK).min(end);
                // (row, domain, slot of the row's values)
                let mut filled = 0usize;
                let mut entries: Vec<(u32, u32, u32)> = Vec::with_capacity(CHUNK);
                for (i, &wi) in weights.iter().enumerate().take(stop).skip(start) {
                    let Some(c) = cells.cell(i) else { continue };
                    if !row(i, &mut values[filled * k..(filled + 1) * k]) {
                        continue;
                    }
                    for d in cells.domains(c) {
                        acc.present[d] = true;
                        if wi > 0.0 {
                            acc.n[d] += 1;
                        }
                        entries.push((i as u32, d as u32, filled as u32));
                    }
                    filled += 1;
                }
                // Replicate-major: each replicate's weights are read in order and
                // its sums for all domains stay in cache. No branch on zero
                // weights (they are frequent in bootstrap replicates).
                for rep in 0..n_reps {
                    let w = if rep == 0 { weights } else { &design.columns[rep - 1] };
                    let sums = &mut scratch[rep * n_domains * k..(rep + 1) * n_domains * k];
                    for &(i, d, slot) in &entries {
                        let wi = w[i as usize];
                        let (at, from) = (d as usize * k, slot as usize * k);
                        for (s, v) in sums[at..at + k].iter_mut().zip(&values[from..from + k]) {
                            *s += wi * v;
                        }
                    }
                }
                start = stop;
            }
            for rep in 0..n_reps {
                for d in 0..n_domains {
                    let from = (rep * n_domains + d) * k;
                    let to = (d * n_reps + rep) * k;
                    acc.sums[to..to + k].copy_from_slice(&scratch[from..from + k]);
                }
            }
            acc
        })
        .collect();
    let mut parts = parts.into_iter();
    let mut all = parts.next().expect("at least one partition");
    for p in parts {
        for (a, b) in all.sums.iter_mut().zip(&p.sums) {
            *a += b;
        }
        for (a, b) in all.n.iter_mut().zip(&p.n) {
            *a += b;
        }
        for (a, b) in all.present.iter_mut().zip(&p.present) {
            *a |= b;
        }
    }
    all
}

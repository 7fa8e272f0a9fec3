//! Linearisation variances from per-stratum moments of PSU totals, for many
//! sets of domains over cells whose PSUs each lie in one **region** (for the
//! indicator pipeline: one survey year × lowest-level area).
//!
//! The linearised score of a smooth statistic in a domain is, for each PSU,
//! a linear function `a · T_p` of the PSU's totals `T_p` in that domain, with
//! coefficients `a` that depend only on the domain's totals. The stratified
//! between-PSU variance needs, per stratum, only `Σ_p z_p` and `Σ_p z_p²`,
//! and so only the sums and the sums of products of the PSUs' totals. A PSU
//! lying in one region touches, in every set of domains, only domains that
//! are unions of cells of that region, and within the region many domains
//! of different sets have the same cells (a group at every area level):
//! such domains share a **slot**. So the pass keeps, per (region, stratum)
//! block, the sums and the products of the PSUs' slot totals, instead of
//! every (PSU, domain) total: a few kilobytes per block instead of a row per
//! PSU and domain, and every variance and covariance (differences and
//! ratios of domains, gaps to natives) follows from them.
//!
//! Sums of squares formed from products can cancel. Two guards keep them
//! to rounding: each ratio's numerator is kept centred at the block's ratio
//! in the slot (so a domain whose rows all have nearly the same ratio does
//! not leave noise), and a value whose quadratic form or centring keeps
//! fewer than six digits has its sums of squares formed score by score from
//! the PSUs' slot totals, which each block keeps. Supports (PSUs with
//! positive-weight rows, for degrees of freedom) are kept exactly as bit sets.

use std::collections::HashMap;

use rayon::prelude::*;
use urbis_core::MISSING_CODE;

use crate::aggregate::{Cells, RowFn};
use crate::design::Linear;
use crate::error::Result;
use crate::variance::{strata_variance, StratumScores};

/// At most this many products are kept over all blocks (beyond it, the pass
/// falls back to (PSU, domain) totals).
const MAX_PRODUCTS: usize = 1 << 25;

/// The moments of one pass: per (region, stratum) block, the sums and sums
/// of products of the PSUs' slot totals, and which PSUs touch each slot.
#[derive(Debug)]
pub(crate) struct MomentTable {
    k: usize,
    /// The value each aggregated value is centred by in the products ([`centring`]).
    centre_by: Vec<Option<usize>>,
    /// Slots of each region.
    n_slots: Vec<usize>,
    /// The (region, slot) pairs of every domain, region by region:
    /// domain `d`'s are `entries[entry_start[d]..entry_start[d + 1]]`.
    entry_start: Vec<usize>,
    entries: Vec<(u32, u32)>,
    /// Blocks sorted by region, then stratum; region `r`'s are
    /// `blocks[block_start[r]..block_start[r + 1]]`.
    blocks: Vec<Block>,
    block_start: Vec<usize>,
}

/// The PSUs of one stratum lying in one region.
#[derive(Debug)]
struct Block {
    stratum: u32,
    /// Σ_p T_p, slot-major (`slot * k + j`).
    sums: Vec<f64>,
    /// Σ_p E_p E_pᵀ over the `slots · k` values, row-major, where `E_p` is
    /// `T_p` with each centred value `a` (see [`centring`]) replaced by
    /// `T_pa − centres[a] · T_pb`.
    products: Vec<f64>,
    /// The block's ratio in each slot for each centred value (else 0).
    centres: Vec<f64>,
    /// Each PSU's touched slots and their totals (`k` per slot), PSU `j`'s
    /// at `psu_start[j]..psu_start[j + 1]`: for sums of squares the
    /// products cannot give accurately.
    psu_start: Vec<usize>,
    psu_slots: Vec<u32>,
    psu_totals: Vec<f64>,
    /// Per slot: PSUs with a contributing row, and with a positive-weight one.
    touching: Vec<u32>,
    supporting: Vec<u32>,
    /// Per slot, a bit per PSU of the block: has a positive-weight row.
    support_bits: Vec<Vec<u64>>,
    /// Per slot: contributing rows, and positive-weight ones.
    rows: Vec<u64>,
    positive_rows: Vec<u64>,
}

/// Per domain: totals of the k values, contributing rows, positive-weight rows.
pub(crate) struct DomainSums {
    pub totals: Vec<f64>,
    pub rows: Vec<u64>,
    pub positive: Vec<u64>,
}

/// Slots of the cells: for each region its cells, and for each cell the
/// slots holding it.
struct Slots {
    n_slots: Vec<usize>,
    /// Position of each cell among its region's cells.
    local: Vec<u32>,
    /// Cells of each region.
    region_cells: Vec<Vec<u32>>,
    /// Slots holding cell `c`: `cell_slots[cell_start[c]..cell_start[c + 1]]`.
    cell_start: Vec<usize>,
    cell_slots: Vec<u32>,
    entry_start: Vec<usize>,
    entries: Vec<(u32, u32)>,
}

fn slots(cells: &Cells, regions: &[u32], n_regions: usize, n_domains: usize) -> Slots {
    let n_cells = regions.len();
    let mut region_cells: Vec<Vec<u32>> = vec![Vec::new(); n_regions];
    let mut local = vec![MISSING_CODE; n_cells];
    for (c, &r) in regions.iter().enumerate() {
        if r != MISSING_CODE {
            local[c] = region_cells[r as usize].len() as u32;
            region_cells[r as usize].push(c as u32);
        }
    }
    let mut per_cell: Vec<Vec<u32>> = vec![Vec::new(); n_cells];
    let mut per_domain: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n_domains];
    let mut n_slots = vec![0usize; n_regions];
    for (r, members) in region_cells.iter().enumerate() {
        // Each domain's cells in this region; equal lists share a slot.
        let mut slot_of: HashMap<Vec<u32>, u32> = HashMap::new();
        for &(map, offset) in &cells.sets {
            let mut of_domain: Vec<(u32, Vec<u32>)> = Vec::new();
            for &c in members {
                let d = map[c as usize];
                if d == MISSING_CODE {
                    continue;
                }
                match of_domain.iter_mut().find(|(x, _)| *x == d) {
                    Some((_, list)) => list.push(c),
                    None => of_domain.push((d, vec![c])),
                }
            }
            for (d, list) in of_domain {
                let next = slot_of.len() as u32;
                let slot = *slot_of.entry(list.clone()).or_insert_with(|| {
                    list.iter().for_each(|&c| per_cell[c as usize].push(next));
                    next
                });
                per_domain[(d + offset) as usize].push((r as u32, slot));
            }
        }
        n_slots[r] = slot_of.len();
    }
    let mut cell_start = vec![0usize];
    let mut cell_slots = Vec::new();
    for list in per_cell {
        cell_slots.extend(list);
        cell_start.push(cell_slots.len());
    }
    let mut entry_start = vec![0usize];
    let mut entries = Vec::new();
    for list in per_domain {
        entries.extend(list);
        entry_start.push(entries.len());
    }
    Slots { n_slots, local, region_cells, cell_start, cell_slots, entry_start, entries }
}

/// The region of each PSU's contributing rows (`MISSING_CODE`: none), or
/// `None` when some PSU has rows in two regions.
fn psu_regions(design: &Linear, cells: &Cells, regions: &[u32]) -> Option<Vec<u32>> {
    let n_psu = design.psu_start.len() - 1;
    (0..n_psu)
        .into_par_iter()
        .with_min_len(1024)
        .map(|p| {
            let mut region = MISSING_CODE;
            for &i in &design.rows_by_psu[design.psu_start[p]..design.psu_start[p + 1]] {
                let Some(c) = cells.cell(i as usize) else { continue };
                let r = regions[c];
                if region == MISSING_CODE {
                    region = r;
                } else if r != region {
                    return None;
                }
            }
            Some(region)
        })
        .collect()
}

/// The moments of `w_i · row(i)` for every set of domains over `cells`
/// (whose `regions` gives each cell's region), with each domain's totals;
/// `None` when a PSU has rows in two regions or the products would be too
/// many (the caller then keeps (PSU, domain) totals).
pub(crate) fn moments(
    design: &Linear,
    weights: &[f64],
    cells: &Cells,
    n_domains: usize,
    k: usize,
    ratios: &[(usize, usize)],
    row: &impl RowFn,
) -> Option<(MomentTable, DomainSums)> {
    Some(Plan::new(design, cells, n_domains, k)?.run(design, weights, cells, ratios, row))
}

/// What a moments pass knows before it reads a row: the slots of the
/// domains and the PSUs of each (region, stratum) block. Made first, so
/// that a caller learns whether the pass applies before preparing its rows.
pub(crate) struct Plan {
    n_domains: usize,
    k: usize,
    n_regions: usize,
    slots: Slots,
    /// (region, stratum, PSU) of every PSU with contributing rows, sorted.
    keyed: Vec<(u32, u32, u32)>,
    /// Each block's run of `keyed`.
    runs: Vec<std::ops::Range<usize>>,
}

impl Plan {
    /// The plan of a pass over `cells` with `k` values per row, or `None`
    /// when a PSU has rows in two regions or the products would be too many.
    pub fn new(design: &Linear, cells: &Cells, n_domains: usize, k: usize) -> Option<Plan> {
        let regions = cells.regions?;
        let n_regions = regions.iter().filter(|&&r| r != MISSING_CODE).map(|&r| r as usize + 1).max().unwrap_or(0);
        let psu_region = psu_regions(design, cells, regions)?;
        let slots = slots(cells, regions, n_regions, n_domains);
        // Blocks: the PSUs of each (region, stratum), in PSU order.
        let mut keyed: Vec<(u32, u32, u32)> = psu_region
            .iter()
            .enumerate()
            .filter(|(_, &r)| r != MISSING_CODE)
            .map(|(p, &r)| (r, design.stratum_of_psu[p], p as u32))
            .collect();
        keyed.sort_unstable();
        let mut runs = Vec::new();
        let mut start = 0;
        for run in keyed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            runs.push(start..start + run.len());
            start += run.len();
        }
        let products: usize = runs.iter().map(|run| (slots.n_slots[keyed[run.start].0 as usize] * k).pow(2)).sum();
        if products > MAX_PRODUCTS {
            return None;
        }
        Some(Plan { n_domains, k, n_regions, slots, keyed, runs })
    }

    /// The pass: every block accumulated (in parallel), then each domain's totals.
    pub fn run(
        self,
        design: &Linear,
        weights: &[f64],
        cells: &Cells,
        ratios: &[(usize, usize)],
        row: &impl RowFn,
    ) -> (MomentTable, DomainSums) {
        let Plan { n_domains, k, n_regions, slots, keyed, runs } = self;
        let centre_by = centring(k, ratios);
        let blocks: Vec<Block> = runs
            .par_iter()
            .map(|run| {
                let psus = &keyed[run.clone()];
                let (r, h, _) = psus[0];
                block(design, weights, cells, &slots, (r as usize, h), psus, k, &centre_by, row)
            })
            .collect();
        let mut block_start = vec![0usize; n_regions + 1];
        for run in &runs {
            block_start[keyed[run.start].0 as usize + 1] += 1;
        }
        for r in 0..n_regions {
            block_start[r + 1] += block_start[r];
        }
        let table = MomentTable {
            k,
            centre_by,
            n_slots: slots.n_slots,
            entry_start: slots.entry_start,
            entries: slots.entries,
            blocks,
            block_start,
        };
        let sums = table.domain_sums(n_domains);
        (table, sums)
    }
}

/// Which aggregated values are centred, and by which: value `a` of a ratio
/// `a / b` is kept as `T_a − R T_b`, `R` being the block's ratio in the slot,
/// so that the products of a domain whose rows all have nearly the same
/// ratio do not cancel to noise (a denominator is never itself centred).
fn centring(k: usize, ratios: &[(usize, usize)]) -> Vec<Option<usize>> {
    let mut by = vec![None; k];
    for &(a, b) in ratios {
        if a != b && by[a].is_none() && ratios.iter().all(|&(x, _)| x != b) {
            by[a] = Some(b);
        }
    }
    by
}

/// Accumulates one block: for each PSU, its rows summed per cell and the
/// cells added to their slots; then the slot totals' sums, and the products
/// of the totals with ratios centred at the block's slot ratios.
#[allow(clippy::too_many_arguments)]
fn block(
    design: &Linear,
    weights: &[f64],
    cells: &Cells,
    slots: &Slots,
    (region, stratum): (usize, u32),
    psus: &[(u32, u32, u32)],
    k: usize,
    centre_by: &[Option<usize>],
    row: &impl RowFn,
) -> Block {
    let n_slots = slots.n_slots[region];
    let width = n_slots * k;
    let words = psus.len().div_ceil(64);
    let mut b = Block {
        stratum,
        sums: vec![0.0; width],
        products: vec![0.0; width * width],
        centres: vec![0.0; width],
        psu_start: Vec::new(),
        psu_slots: Vec::new(),
        psu_totals: Vec::new(),
        touching: vec![0; n_slots],
        supporting: vec![0; n_slots],
        support_bits: vec![vec![0; words]; n_slots],
        rows: vec![0; n_slots],
        positive_rows: vec![0; n_slots],
    };
    let n_cells = slots.region_cells[region].len();
    // Per cell of the region: sums, contributing rows, positive-weight rows.
    let mut cell_sums = vec![0.0; n_cells * k];
    let mut cell_rows = vec![(0u32, 0u32); n_cells];
    let mut touched_cells: Vec<u32> = Vec::new();
    let mut slot_sums = vec![0.0; width];
    let (mut slot_seen, mut slot_positive) = (vec![false; n_slots], vec![false; n_slots]);
    let mut touched_slots: Vec<u32> = Vec::new();
    let mut values = vec![0.0; k];
    // Every PSU's touched slots and their totals, kept for the products.
    let mut psu_start = vec![0usize];
    let mut psu_slots: Vec<u32> = Vec::new();
    let mut psu_totals: Vec<f64> = Vec::new();
    for (j, &(_, _, p)) in psus.iter().enumerate() {
        let p = p as usize;
        for &i in &design.rows_by_psu[design.psu_start[p]..design.psu_start[p + 1]] {
            let i = i as usize;
            let Some(c) = cells.cell(i) else { continue };
            if !row(i, &mut values) {
                continue;
            }
            let at = slots.local[c] as usize;
            if cell_rows[at] == (0, 0) {
                touched_cells.push(c as u32);
            }
            cell_rows[at].0 += 1;
            cell_rows[at].1 += u32::from(weights[i] > 0.0);
            for (s, v) in cell_sums[at * k..(at + 1) * k].iter_mut().zip(&values) {
                *s += weights[i] * v;
            }
        }
        for &c in &touched_cells {
            let at = slots.local[c as usize] as usize;
            let (n_rows, n_positive) = cell_rows[at];
            for &slot in &slots.cell_slots[slots.cell_start[c as usize]..slots.cell_start[c as usize + 1]] {
                let s = slot as usize;
                if !slot_seen[s] {
                    slot_seen[s] = true;
                    touched_slots.push(slot);
                }
                b.rows[s] += u64::from(n_rows);
                b.positive_rows[s] += u64::from(n_positive);
                slot_positive[s] |= n_positive > 0;
                for (t, v) in slot_sums[s * k..(s + 1) * k].iter_mut().zip(&cell_sums[at * k..(at + 1) * k]) {
                    *t += v;
                }
            }
            cell_sums[at * k..(at + 1) * k].iter_mut().for_each(|v| *v = 0.0);
            cell_rows[at] = (0, 0);
        }
        touched_cells.clear();
        touched_slots.sort_unstable();
        for &s in &touched_slots {
            let s = s as usize;
            b.touching[s] += 1;
            if slot_positive[s] {
                b.supporting[s] += 1;
                b.support_bits[s][j / 64] |= 1 << (j % 64);
            }
            let totals = &mut slot_sums[s * k..(s + 1) * k];
            b.sums[s * k..(s + 1) * k].iter_mut().zip(totals.iter()).for_each(|(x, v)| *x += v);
            psu_slots.push(s as u32);
            psu_totals.extend_from_slice(totals);
            totals.iter_mut().for_each(|v| *v = 0.0);
            (slot_seen[s], slot_positive[s]) = (false, false);
        }
        psu_start.push(psu_slots.len());
        touched_slots.clear();
    }
    for s in 0..n_slots {
        for (a, by) in centre_by.iter().enumerate() {
            if let Some(by) = *by {
                let (num, den) = (b.sums[s * k + a], b.sums[s * k + by]);
                b.centres[s * k + a] = if den != 0.0 { num / den } else { 0.0 };
            }
        }
    }
    let mut centred = vec![0.0; k];
    let mut row_values: Vec<f64> = Vec::new();
    for w in psu_start.windows(2) {
        // This PSU's centred totals, slot by slot.
        row_values.clear();
        for (e, &s) in (w[0]..w[1]).zip(&psu_slots[w[0]..w[1]]) {
            let totals = &psu_totals[e * k..(e + 1) * k];
            for (a, out) in centred.iter_mut().enumerate() {
                *out = match centre_by[a] {
                    Some(by) => totals[a] - b.centres[s as usize * k + a] * totals[by],
                    None => totals[a],
                };
            }
            row_values.extend_from_slice(&centred);
        }
        for (x_at, &s) in psu_slots[w[0]..w[1]].iter().enumerate() {
            for a in 0..k {
                let x = row_values[x_at * k + a];
                let out = &mut b.products[(s as usize * k + a) * width..(s as usize * k + a + 1) * width];
                for (y_at, &t) in psu_slots[w[0]..w[1]].iter().enumerate() {
                    let ys = &row_values[y_at * k..(y_at + 1) * k];
                    for (o, y) in out[t as usize * k..(t as usize + 1) * k].iter_mut().zip(ys) {
                        *o += x * y;
                    }
                }
            }
        }
    }
    (b.psu_start, b.psu_slots, b.psu_totals) = (psu_start, psu_slots, psu_totals);
    b
}

/// A linear function of domains' PSU totals: `Σ_terms coef · T_p(domain)`.
pub(crate) type Terms = Vec<(u32, Box<[f64]>)>;

impl MomentTable {
    /// Totals and row counts per domain (sums over blocks in table order).
    fn domain_sums(&self, n_domains: usize) -> DomainSums {
        let k = self.k;
        let mut out =
            DomainSums { totals: vec![0.0; n_domains * k], rows: vec![0; n_domains], positive: vec![0; n_domains] };
        for d in 0..n_domains {
            for &(r, slot) in &self.entries[self.entry_start[d]..self.entry_start[d + 1]] {
                let s = slot as usize;
                for b in &self.blocks[self.block_start[r as usize]..self.block_start[r as usize + 1]] {
                    for (t, v) in out.totals[d * k..(d + 1) * k].iter_mut().zip(&b.sums[s * k..(s + 1) * k]) {
                        *t += v;
                    }
                    out.rows[d] += b.rows[s];
                    out.positive[d] += b.positive_rows[s];
                }
            }
        }
        out
    }

    /// Variance and degrees of freedom of the linear function `terms` of
    /// PSU totals (R survey's `svyrecvar`, one stage). From the products
    /// when they keep at least six digits of the sums of squares, otherwise
    /// (a domain whose scores nearly vanish, such as a ratio of two totals
    /// held by one PSU) from the PSUs' totals, score by score.
    pub(crate) fn variance(&self, design: &Linear, terms: &[(u32, Box<[f64]>)]) -> Result<(f64, f64)> {
        let coef = self.coefficients(terms);
        let mut strata = self.strata_by_products(&coef);
        let n_h = |h: u32| f64::from(design.n_psu[h as usize]);
        let lost = |m: &StratumPart| {
            let centred = m.square - m.sum * m.sum / n_h(m.stratum);
            m.square < CANCELLATION * m.magnitude || (n_h(m.stratum) > 1.0 && centred < CANCELLATION * m.square)
        };
        let exact = strata.iter().any(|m| m.touched && lost(m));
        if exact {
            self.strata_by_scores(&coef, design, &mut strata);
        }
        let support: u64 = strata.iter().map(|m| m.support).sum();
        let supported = strata.iter().filter(|m| m.support > 0).count();
        let present = strata.iter().filter(|m| m.touched).map(|m| {
            m.scores.unwrap_or_else(|| {
                // Rounding may leave a zero sum of squares slightly negative (NaN stays NaN).
                let centred = m.square - m.sum * m.sum / n_h(m.stratum);
                let centred = if centred < 0.0 { 0.0 } else { centred };
                StratumScores { stratum: m.stratum as usize, centred, raw: m.square }
            })
        });
        let variance = strata_variance(design, present)?;
        Ok((variance, support as f64 - supported as f64))
    }

    /// (region, slot, coefficients) of `terms`, merged where terms meet in a slot.
    fn coefficients(&self, terms: &[(u32, Box<[f64]>)]) -> Vec<(u32, u32, Vec<f64>)> {
        let mut coef: Vec<(u32, u32, Vec<f64>)> = Vec::new();
        for (d, c) in terms {
            for &(r, s) in &self.entries[self.entry_start[*d as usize]..self.entry_start[*d as usize + 1]] {
                coef.push((r, s, c.to_vec()));
            }
        }
        coef.sort_by_key(|(r, s, _)| (*r, *s));
        coef.dedup_by(|b, a| {
            let same = (a.0, a.1) == (b.0, b.1);
            if same {
                a.2.iter_mut().zip(&b.2).for_each(|(x, y)| *x += y);
            }
            same
        });
        coef
    }

    /// Per stratum touched: Σ z and Σ z² from the blocks' sums and products.
    fn strata_by_products(&self, coef: &[(u32, u32, Vec<f64>)]) -> Vec<StratumPart> {
        let k = self.k;
        let mut centred: Vec<(usize, Vec<f64>)> = Vec::new();
        let mut parts: Vec<StratumPart> = Vec::new();
        for region in coef.chunk_by(|a, b| a.0 == b.0) {
            let r = region[0].0 as usize;
            let width = self.n_slots[r] * k;
            for b in &self.blocks[self.block_start[r]..self.block_start[r + 1]] {
                let mut sum = 0.0;
                // The coefficients on the centred totals: a · T = a' · E.
                centred.clear();
                // Slots no PSU of the block touches add nothing (not even
                // the NaN of an undefined coefficient).
                for (_, s, a) in region.iter().filter(|(_, s, _)| b.touching[*s as usize] > 0) {
                    let x0 = *s as usize * k;
                    sum += a.iter().zip(&b.sums[x0..x0 + k]).map(|(aj, t)| aj * t).sum::<f64>();
                    let mut a2 = a.clone();
                    for (j, by) in self.centre_by.iter().enumerate() {
                        if let Some(by) = *by {
                            a2[by] += a[j] * b.centres[x0 + j];
                        }
                    }
                    centred.push((x0, a2));
                }
                let (mut square, mut magnitude) = (0.0, 0.0);
                for (x0, a) in &centred {
                    for (j, aj) in a.iter().enumerate() {
                        for (y0, c) in &centred {
                            let products = &b.products[(x0 + j) * width + y0..(x0 + j) * width + y0 + k];
                            for (cl, p) in c.iter().zip(products) {
                                square += aj * cl * p;
                                magnitude += (aj * cl * p).abs();
                            }
                        }
                    }
                }
                let touched = region.iter().any(|(_, s, _)| b.touching[*s as usize] > 0);
                let support = match region {
                    [(_, s, _)] => u64::from(b.supporting[*s as usize]),
                    _ => {
                        let words = b.support_bits[region[0].1 as usize].len();
                        (0..words)
                            .map(|w| region.iter().fold(0u64, |acc, (_, s, _)| acc | b.support_bits[*s as usize][w]))
                            .map(|w| u64::from(w.count_ones()))
                            .sum()
                    }
                };
                parts.push(StratumPart { stratum: b.stratum, sum, square, magnitude, support, touched, scores: None });
            }
        }
        parts.sort_by_key(|m| m.stratum);
        let mut merged: Vec<StratumPart> = Vec::new();
        for x in parts {
            match merged.last_mut() {
                Some(m) if m.stratum == x.stratum => {
                    m.sum += x.sum;
                    m.square += x.square;
                    m.magnitude += x.magnitude;
                    m.support += x.support;
                    m.touched |= x.touched;
                }
                _ => merged.push(x),
            }
        }
        merged
    }

    /// The sums of squares of each stratum in `strata` from every PSU's
    /// score (as [`crate::variance::linear_variance`] forms them).
    fn strata_by_scores(&self, coef: &[(u32, u32, Vec<f64>)], design: &Linear, strata: &mut [StratumPart]) {
        let k = self.k;
        let mut scores: Vec<(u32, f64)> = Vec::new();
        for region in coef.chunk_by(|a, b| a.0 == b.0) {
            let r = region[0].0 as usize;
            for b in &self.blocks[self.block_start[r]..self.block_start[r + 1]] {
                for w in b.psu_start.windows(2) {
                    let mut z = 0.0;
                    for (e, slot) in (w[0]..w[1]).zip(&b.psu_slots[w[0]..w[1]]) {
                        if let Ok(at) = region.binary_search_by_key(slot, |(_, s, _)| *s) {
                            let totals = &b.psu_totals[e * k..(e + 1) * k];
                            z += region[at].2.iter().zip(totals).map(|(a, t)| a * t).sum::<f64>();
                        }
                    }
                    scores.push((b.stratum, z));
                }
            }
        }
        scores.sort_by_key(|x| x.0);
        for m in strata.iter_mut() {
            let from = scores.partition_point(|x| x.0 < m.stratum);
            let to = scores.partition_point(|x| x.0 <= m.stratum);
            let h = m.stratum as usize;
            m.scores = Some(StratumScores::of(h, design.n_psu[h] as usize, &scores[from..to]));
        }
    }
}

/// Below this share of the magnitude of its terms, a sum of squares formed
/// from products has lost more than six digits: it is formed from the scores.
const CANCELLATION: f64 = 1e-6;

/// One stratum's part of a variance.
struct StratumPart {
    stratum: u32,
    /// Σ z and Σ z² over the stratum's PSUs touching the value.
    sum: f64,
    square: f64,
    /// Σ of the absolute terms that make up `square`.
    magnitude: f64,
    /// PSUs with positive-weight rows of the value, and whether any PSU has rows.
    support: u64,
    touched: bool,
    /// The sums of squares, when formed from the scores.
    scores: Option<StratumScores>,
}

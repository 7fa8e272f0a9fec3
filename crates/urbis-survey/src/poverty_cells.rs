//! At-risk-of-poverty rates of many sets of domains at once, through the
//! per-stratum moments of `moments.rs`, for a linearisation design whose
//! sets lie over cells with regions (the indicator pipeline).
//!
//! convey's linearisation of the rate of domain `d` in population `p` is
//! `z_i = (1(x_i ≤ t_p) − R_d) / N_d` on the domain's rows plus
//! `f_d(t_p) · u_i` on every row of the population, `u_i` being the
//! influence of the threshold `t_p = share × median_p` and `f_d` the
//! domain's kernel density at the threshold. Both parts are linear in PSU
//! totals of row values that do not depend on the domain: `1(x ≤ t_p)` and
//! `1` over the domain's cells, and `u` over the population's cells. So one
//! moments pass over every set, plus the populations as one more set, gives
//! every rate, gap and variance; only the kernel densities need a pass over
//! the sorted values per set. Rows outside the indicator's population but
//! inside a poverty population must have cells too (in no domain of any
//! set), so that the threshold's influence covers them.

use std::sync::Arc;

use rayon::prelude::*;
use urbis_core::MISSING_CODE;

use crate::aggregate::Cells;
use crate::design::{Design, Kind};
use crate::domain::{DomainValue, Spread};
use crate::error::Result;
use crate::estimate::Form;
use crate::grouping::{DomainSets, Grouping};
use crate::moments::Plan;
use crate::poverty::{join_population, Median, NO_POPULATION, UNSEEN};
use crate::quantile::Order;
use crate::sample::{bandwidth_of, Sorted};

/// The row values of the pass: `1(x ≤ t_p)`, `1` and the threshold's influence.
const K: usize = 3;

/// The at-risk-of-poverty rate of every domain of every set (per set, per
/// domain), or `None` when this path does not apply: not a linearisation
/// design, sets without regions, a cell whose rows lie in two populations
/// or in none, a row of a population outside every cell, or a PSU spanning
/// regions. The caller then estimates set by set. `sorted` is the shared
/// sort of `x`, carrying the design weights, and `sorted_cells` the cell of
/// each of its rows. `population_medians` (the median of each population,
/// or of everyone without populations) is called only once the path is
/// known to apply.
#[allow(clippy::too_many_arguments)]
pub(crate) fn arpr_over_cells(
    design: &Design,
    sets: &DomainSets,
    populations: Option<&Grouping>,
    population_medians: impl FnOnce() -> Result<Vec<Option<Median>>>,
    share: f64,
    x: &[f64],
    sorted: &Sorted,
    sorted_cells: &[u32],
) -> Result<Option<Vec<Vec<Option<DomainValue>>>>> {
    let Kind::Linear(lin) = &design.kind else { return Ok(None) };
    let (cells, n_domains) = sets.cells();
    let Some((cell_of_row, n_cells)) = cells.fine else { return Ok(None) };
    let population_of = |i: usize| populations.map_or(0, |p| p.codes[i]);
    let Some(population_of_cell) = cell_populations(x, cell_of_row, n_cells, &population_of) else {
        return Ok(None);
    };
    // The populations as one more set, after the sets' domains.
    let population_map: Vec<u32> =
        population_of_cell.iter().map(|&p| if p == UNSEEN { MISSING_CODE } else { p }).collect();
    // (A cell of rows in no population is in no population's domain.)
    let mut with_populations = Cells { fine: cells.fine, sets: cells.sets.clone(), regions: cells.regions };
    with_populations.sets.push((&population_map, n_domains as u32));
    let n_populations = populations.map_or(1, Grouping::len);
    let Some(plan) = Plan::new(lin, &with_populations, n_domains + n_populations, K) else { return Ok(None) };
    let population_medians = population_medians()?;
    let thresholds: Vec<f64> = population_medians.iter().map(|m| m.map_or(f64::NAN, |m| share * m.q)).collect();
    let row = |i: usize, out: &mut [f64]| {
        let p = population_of(i) as usize;
        match population_medians.get(p) {
            Some(Some(m)) if !x[i].is_nan() => {
                out[0] = f64::from(u8::from(x[i] <= thresholds[p]));
                out[1] = 1.0;
                out[2] = m.influence(x[i]) * share;
                true
            }
            _ => false,
        }
    };
    let (table, sums) = plan.run(lin, design.weights(), &with_populations, &[(0, 1)], &row);
    let table = Arc::new(table);

    // Per domain: its population, the threshold there and the kernel bandwidth.
    let domain_population = domain_populations(&cells, &population_of_cell, n_domains);
    let (n, h) = bandwidths(&cells, x, design.weights(), n_domains);
    let t: Vec<f64> =
        domain_population.iter().map(|&p| thresholds.get(p as usize).copied().unwrap_or(f64::NAN)).collect();
    let kernels = kernels(&cells, sorted, sorted_cells, &t, &h, n_domains);

    let mut values: Vec<Option<DomainValue>> = (0..n_domains)
        .map(|d| {
            let p = domain_population[d];
            if sums.rows[d] == 0 || p == NO_POPULATION || p == UNSEEN {
                return None;
            }
            let totals = &sums.totals[d * K..(d + 1) * K];
            let rate = Form::Ratio(0, 1);
            let density = kernels[d] / (n[d] * h[d]);
            let mut on_population = vec![0.0; K].into_boxed_slice();
            on_population[2] = density;
            Some(DomainValue {
                estimate: rate.value(totals),
                n: sums.positive[d],
                pop_size: totals[1],
                spread: Spread::Moments {
                    table: Arc::clone(&table),
                    terms: vec![(d as u32, rate.coefficients(totals)), ((n_domains as u32) + p, on_population)],
                },
            })
        })
        .collect();
    let mut per_set = Vec::with_capacity(cells.sets.len());
    for s in (0..sets.len()).rev() {
        per_set.push(values.split_off(values.len() - sets.size(s)));
    }
    per_set.reverse();
    Ok(Some(per_set))
}

/// The population of each cell's rows with a value (`UNSEEN`: none;
/// `MISSING_CODE`: rows in no population, whose domains have no rate), or
/// `None` when a cell's rows lie in two populations, or in one and in none,
/// or a row of a population lies in no cell: the threshold's influence
/// could then not be carried by whole cells.
fn cell_populations(
    x: &[f64],
    cell_of_row: &[u32],
    n_cells: usize,
    population_of: &impl Fn(usize) -> u32,
) -> Option<Vec<u32>> {
    let mut of_cell = vec![UNSEEN; n_cells];
    for (i, &c) in cell_of_row.iter().enumerate() {
        if x[i].is_nan() {
            continue;
        }
        let p = population_of(i);
        if c == MISSING_CODE {
            if p != MISSING_CODE {
                return None;
            }
            continue;
        }
        let seen = &mut of_cell[c as usize];
        if *seen == UNSEEN {
            *seen = p;
        } else if *seen != p {
            return None;
        }
    }
    Some(of_cell)
}

/// The population of each domain (all its cells' rows in one population),
/// `NO_POPULATION` when its cells span several or hold rows in none,
/// `UNSEEN` when they hold no value.
fn domain_populations(cells: &Cells, population_of_cell: &[u32], n_domains: usize) -> Vec<u32> {
    let mut of_domain = vec![UNSEEN; n_domains];
    for &(map, offset) in &cells.sets {
        for (c, &d) in map.iter().enumerate() {
            let p = population_of_cell[c];
            if d != MISSING_CODE && p != UNSEEN {
                let d = (d + offset) as usize;
                of_domain[d] = join_population(of_domain[d], p);
            }
        }
    }
    of_domain
}

/// Each domain's weight total and kernel bandwidth (`bandwidth_of` of its
/// Σw, Σwx, Σwx²), summed per cell first and then over the domain's cells.
fn bandwidths(cells: &Cells, x: &[f64], w: &[f64], n_domains: usize) -> (Vec<f64>, Vec<f64>) {
    let (cell_of_row, n_cells) = cells.fine.expect("sets over cells");
    let mut per_cell = vec![[0.0f64; 3]; n_cells];
    for (i, &c) in cell_of_row.iter().enumerate() {
        if c != MISSING_CODE && !x[i].is_nan() {
            let s = &mut per_cell[c as usize];
            s[0] += w[i];
            s[1] += w[i] * x[i];
            s[2] += w[i] * x[i] * x[i];
        }
    }
    let mut per_domain = vec![[0.0f64; 3]; n_domains];
    for &(map, offset) in &cells.sets {
        for (c, &d) in map.iter().enumerate() {
            if d != MISSING_CODE {
                let s = &mut per_domain[(d + offset) as usize];
                s.iter_mut().zip(&per_cell[c]).for_each(|(a, b)| *a += b);
            }
        }
    }
    per_domain.iter().map(|s| bandwidth_of(s[0], s[1], s[2])).unzip()
}

/// Sets whose kernel sums are taken in one walk over the sorted values.
const SETS_PER_WALK: usize = 4;

/// Each domain's kernel sum `Σ w K((t_d − x)/h_d)` over its rows, summed in
/// the sorted order (as a walk over the domain's own sorted sample would):
/// [`Order::at`] over the sets taken a few at a time, the groups in parallel.
fn kernels(cells: &Cells, sorted: &Sorted, sorted_cells: &[u32], t: &[f64], h: &[f64], n_domains: usize) -> Vec<f64> {
    let sums: Vec<Vec<f64>> = cells
        .groups(n_domains, SETS_PER_WALK)
        .into_par_iter()
        .map(|group| {
            let n = group.n_domains();
            let domains = group.first..group.first + n;
            Order::over_cells(sorted, sorted_cells, group.cells.sets, n)
                .at(&t[domains.clone()], &h[domains])
                .iter()
                .map(|at| at.kernel)
                .collect()
        })
        .collect();
    sums.concat()
}

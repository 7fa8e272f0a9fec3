//! Choosing the complementary suppressions: a greedy phase adds, for each
//! confidential cell the published figures determine, the cheapest published
//! cell of the equation through it with the fewest other unknowns; an exact
//! check of the component ([`super::exact::determined`]) follows each round,
//! until none of its confidential cells is determined. A component found
//! safe stays safe while others grow: more unknowns never make a cell easier
//! to recover. A pruning pass then tries to publish each secondary
//! cell again, the most informative first, and keeps it published when every
//! confidential cell stays undetermined. The work is done per connected
//! component of unknown cells (cells linked through equations).

use std::collections::{HashMap, HashSet};

use super::exact::determined;

/// What the attacker knows of a cell before secondary suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A published figure: known, and may be suppressed as a complement.
    Published,
    /// Confidential (primary): unknown, and must stay undetermined.
    Confidential,
    /// Not published but not confidential (a residual of persons without a
    /// group, a figure replaced by pooled years): unknown, may be determined.
    Hidden,
    /// Known without being a figure (an area or group without respondents,
    /// whose count is 0): never a complement.
    Fixed,
}

/// A secondary suppression and why it was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Complement {
    pub cell: usize,
    /// The confidential cell it was chosen for.
    pub protects: usize,
    /// The equation through both.
    pub equation: usize,
}

/// The result of the search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub complements: Vec<Complement>,
    /// Confidential cells still determined (none unless an equation could
    /// not be solved exactly or no complement was left).
    pub unprotected: Vec<usize>,
}

/// Cells, their roles and costs, and the equations over them (integer
/// coefficients; a cell's count is the sum of its parts).
#[derive(Debug, Clone, Default)]
pub struct System {
    pub roles: Vec<Role>,
    /// Information lost by suppressing the cell (only for `Published` cells).
    pub costs: Vec<f64>,
    pub equations: Vec<Vec<(usize, i64)>>,
}

impl System {
    /// The equations each cell appears in.
    fn by_cell(&self) -> Vec<Vec<usize>> {
        let mut by_cell = vec![Vec::new(); self.roles.len()];
        for (e, terms) in self.equations.iter().enumerate() {
            for &(c, _) in terms {
                if by_cell[c].last() != Some(&e) {
                    by_cell[c].push(e);
                }
            }
        }
        by_cell
    }

    /// The confidential cells determined by the published ones, when
    /// `unknown` says which cells are not published.
    pub fn determined_confidential(&self, unknown: &[bool]) -> Vec<usize> {
        let by_cell = self.by_cell();
        let mut seen = vec![false; self.roles.len()];
        let mut out = Vec::new();
        for c in 0..self.roles.len() {
            if self.roles[c] == Role::Confidential && !seen[c] {
                let component = self.component(c, unknown, &by_cell, &mut seen);
                out.extend(self.check(&component, unknown, &by_cell));
            }
        }
        out.sort_unstable();
        out
    }

    /// The unknown cells linked to `start` through equations.
    fn component(&self, start: usize, unknown: &[bool], by_cell: &[Vec<usize>], seen: &mut [bool]) -> Vec<usize> {
        let mut out = vec![start];
        seen[start] = true;
        let mut next = 0;
        while next < out.len() {
            let c = out[next];
            next += 1;
            for &e in &by_cell[c] {
                for &(d, _) in &self.equations[e] {
                    if unknown[d] && !seen[d] {
                        seen[d] = true;
                        out.push(d);
                    }
                }
            }
        }
        out
    }

    /// The confidential cells of a component that its equations determine
    /// (all of them when the exact solution overflows).
    fn check(&self, component: &[usize], unknown: &[bool], by_cell: &[Vec<usize>]) -> Vec<usize> {
        let confidential: Vec<usize> =
            component.iter().copied().filter(|&c| self.roles[c] == Role::Confidential).collect();
        if confidential.is_empty() {
            return Vec::new();
        }
        let local: HashMap<usize, u32> = component.iter().enumerate().map(|(i, &c)| (c, i as u32)).collect();
        let mut equations: Vec<usize> = component.iter().flat_map(|&c| by_cell[c].iter().copied()).collect();
        equations.sort_unstable();
        equations.dedup();
        let rows: Vec<Vec<(u32, i64)>> = equations
            .iter()
            .map(|&e| self.equations[e].iter().filter(|t| unknown[t.0]).map(|&(c, v)| (local[&c], v)).collect())
            .collect();
        match determined(&rows) {
            Ok(columns) => columns
                .into_iter()
                .map(|i| component[i as usize])
                .filter(|&c| self.roles[c] == Role::Confidential)
                .collect(),
            Err(_) => confidential,
        }
    }

    /// Secondary suppression: complements until no confidential cell is
    /// determined, then pruning.
    pub fn protect(&self) -> Outcome {
        let by_cell = self.by_cell();
        let mut unknown: Vec<bool> =
            self.roles.iter().map(|r| matches!(r, Role::Confidential | Role::Hidden)).collect();
        let mut chosen: Vec<Complement> = Vec::new();
        // Confidential cells whose component was found safe. Suppressing
        // more cells never makes a cell easier to recover, so a safe
        // component stays safe while complements are added elsewhere.
        let mut safe = vec![false; self.roles.len()];
        let mut given_up: HashSet<usize> = HashSet::new();
        let mut seen = vec![false; self.roles.len()];
        for start in 0..self.roles.len() {
            if self.roles[start] != Role::Confidential || safe[start] {
                continue;
            }
            loop {
                let component = self.component(start, &unknown, &by_cell, &mut seen);
                for &c in &component {
                    seen[c] = false;
                }
                let exposed: Vec<usize> =
                    self.check(&component, &unknown, &by_cell).into_iter().filter(|c| !given_up.contains(c)).collect();
                if exposed.is_empty() {
                    for &c in &component {
                        safe[c] = true;
                    }
                    break;
                }
                // One complement per equation and round: the next exact
                // check decides whether more are needed.
                let mut used: HashSet<usize> = HashSet::new();
                for c in exposed {
                    if by_cell[c].iter().any(|e| used.contains(e)) {
                        continue;
                    }
                    match self.cheapest(c, &unknown, &by_cell) {
                        Some((cell, equation)) => {
                            unknown[cell] = true;
                            used.insert(equation);
                            chosen.push(Complement { cell, protects: c, equation });
                        }
                        None => {
                            given_up.insert(c);
                        }
                    }
                }
            }
        }
        let kept = self.prune(chosen, &mut unknown, &by_cell);
        Outcome { complements: kept, unprotected: self.determined_confidential(&unknown) }
    }

    /// The published cell to suppress for a determined cell `c`: in the
    /// equation through `c` with the fewest unknowns, its cheapest published
    /// cell; without any, the cheapest published cell of an equation of the
    /// component.
    fn cheapest(&self, c: usize, unknown: &[bool], by_cell: &[Vec<usize>]) -> Option<(usize, usize)> {
        let best_in = |e: usize| -> Option<(usize, f64)> {
            self.equations[e]
                .iter()
                .map(|t| t.0)
                .filter(|&d| self.roles[d] == Role::Published && !unknown[d])
                .map(|d| (d, self.costs[d]))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        };
        let direct = by_cell[c]
            .iter()
            .filter_map(|&e| {
                let open = self.equations[e].iter().filter(|t| unknown[t.0] && t.0 != c).count();
                best_in(e).map(|(d, cost)| (open, cost, d, e))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        if let Some((_, _, d, e)) = direct {
            return Some((d, e));
        }
        let mut seen = vec![false; self.roles.len()];
        let component = self.component(c, unknown, by_cell, &mut seen);
        let mut equations: Vec<usize> = component.iter().flat_map(|&d| by_cell[d].iter().copied()).collect();
        equations.sort_unstable();
        equations.dedup();
        equations
            .into_iter()
            .filter_map(|e| best_in(e).map(|(d, cost)| (cost, d, e)))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, d, e)| (d, e))
    }

    /// Publishes each complement again, the costliest first, when no
    /// confidential cell of the components around it becomes determined.
    fn prune(&self, chosen: Vec<Complement>, unknown: &mut [bool], by_cell: &[Vec<usize>]) -> Vec<Complement> {
        let mut order: Vec<usize> = (0..chosen.len()).collect();
        order.sort_by(|&a, &b| {
            self.costs[chosen[b].cell].total_cmp(&self.costs[chosen[a].cell]).then(chosen[a].cell.cmp(&chosen[b].cell))
        });
        let mut released = vec![false; chosen.len()];
        let mut seen = vec![false; self.roles.len()];
        for i in order {
            let s = chosen[i].cell;
            unknown[s] = false;
            let mut safe = true;
            let mut visited = Vec::new();
            'around: for &e in &by_cell[s] {
                for &(d, _) in &self.equations[e] {
                    if unknown[d] && !seen[d] {
                        let component = self.component(d, unknown, by_cell, &mut seen);
                        let exposed = !self.check(&component, unknown, by_cell).is_empty();
                        visited.extend(component);
                        if exposed {
                            safe = false;
                            break 'around;
                        }
                    }
                }
            }
            for c in visited {
                seen[c] = false;
            }
            if safe {
                released[i] = true;
            } else {
                unknown[s] = true;
            }
        }
        chosen.into_iter().zip(released).filter(|(_, r)| !r).map(|(c, _)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One equation `total = parts…` per entry, over cells 0..roles.len().
    fn system(roles: &[Role], costs: &[f64], sums: &[(usize, &[usize])]) -> System {
        System {
            roles: roles.to_vec(),
            costs: costs.to_vec(),
            equations: sums
                .iter()
                .map(|(total, parts)| std::iter::once((*total, 1)).chain(parts.iter().map(|&p| (p, -1))).collect())
                .collect(),
        }
    }

    use Role::{Confidential as C, Fixed as X, Hidden as H, Published as P};

    fn suppressed(outcome: &Outcome) -> Vec<usize> {
        let mut cells: Vec<usize> = outcome.complements.iter().map(|c| c.cell).collect();
        cells.sort_unstable();
        cells
    }

    #[test]
    fn a_group_is_protected_by_the_cheapest_other_group() {
        // TOTAL(0) = NAT(1) + EU(2) + NEU(3); NEU confidential.
        let s = system(&[P, P, P, C], &[100.0, 60.0, 30.0, 0.0], &[(0, &[1, 2, 3])]);
        let before = s.determined_confidential(&[false, false, false, true]);
        assert_eq!(before, [3], "subtraction recovers the confidential cell");
        let out = s.protect();
        assert_eq!(suppressed(&out), [2]);
        assert_eq!(out.complements[0], Complement { cell: 2, protects: 3, equation: 0 });
        assert!(out.unprotected.is_empty());
    }

    #[test]
    fn a_two_way_table_needs_a_rectangle() {
        // Cells r×c for r, c in 0..3 at index 3r + c; row totals 9..12,
        // column totals 12..15, grand total 15. Cell (0, 0) confidential.
        let mut roles = vec![P; 16];
        roles[0] = C;
        let costs: Vec<f64> = (0..16).map(|i| if i >= 9 { 1000.0 } else { 10.0 + i as f64 }).collect();
        let rows: Vec<(usize, Vec<usize>)> = (0..3).map(|r| (9 + r, (0..3).map(|c| 3 * r + c).collect())).collect();
        let cols: Vec<(usize, Vec<usize>)> = (0..3).map(|c| (12 + c, (0..3).map(|r| 3 * r + c).collect())).collect();
        let totals = [(15, vec![9, 10, 11]), (15, vec![12, 13, 14])];
        let sums: Vec<(usize, &[usize])> =
            rows.iter().chain(&cols).chain(&totals).map(|(t, p)| (*t, p.as_slice())).collect();
        let s = system(&roles, &costs, &sums);
        let out = s.protect();
        // The cheapest rectangle through (0, 0): (0, 1), (1, 0) and (1, 1).
        assert_eq!(suppressed(&out), [1, 3, 4]);
        let mut unknown = vec![false; 16];
        for c in [0, 1, 3, 4] {
            unknown[c] = true;
        }
        assert!(s.determined_confidential(&unknown).is_empty());
        assert!(out.unprotected.is_empty());
    }

    #[test]
    fn a_parent_with_one_child_is_suppressed_with_it() {
        // City(0) = district(1): the same cell under two names.
        let s = system(&[P, C], &[50.0, 0.0], &[(0, &[1])]);
        let out = s.protect();
        assert_eq!(suppressed(&out), [0]);
        // And a single-member group: FOR(0) = NEU(1) when EU is empty (fixed 0).
        let s = system(&[P, C, X], &[50.0, 0.0, 0.0], &[(0, &[1, 2])]);
        assert_eq!(suppressed(&s.protect()), [0]);
    }

    #[test]
    fn empty_cells_are_never_complements() {
        // TOTAL(0) = NAT(1) + EU(2, empty: known 0) + NEU(3); NEU confidential.
        // EU would be the cheapest, but there is nothing to suppress.
        let s = system(&[P, P, X, C], &[100.0, 60.0, 0.0, 0.0], &[(0, &[1, 2, 3])]);
        assert_eq!(suppressed(&s.protect()), [1]);
    }

    #[test]
    fn a_row_of_confidential_cells_needs_no_complement_but_its_total() {
        // Every part confidential: the total alone determines none of them.
        let s = system(&[P, C, C, C], &[100.0, 0.0, 0.0, 0.0], &[(0, &[1, 2, 3])]);
        assert!(s.protect().complements.is_empty());
        // Two parts: both confidential, the total published: still two unknowns.
        let s = system(&[P, C, C], &[100.0, 0.0, 0.0], &[(0, &[1, 2])]);
        assert!(s.protect().complements.is_empty());
    }

    #[test]
    fn hidden_residuals_protect_and_pruning_releases_what_is_not_needed() {
        // TOTAL(0) = NAT(1) + NEU(2) + residual(3, hidden): nothing to do.
        let s = system(&[P, P, C, H], &[100.0, 60.0, 0.0, 0.0], &[(0, &[1, 2, 3])]);
        assert!(s.protect().complements.is_empty());
        // Two equations through the confidential cell 2: 0 = 1 + 2 and
        // 3 = 2 + 4. Complements 1 and 4 are both needed; nothing is pruned.
        let s = system(&[P, P, C, P, P], &[100.0, 10.0, 0.0, 100.0, 20.0], &[(0, &[1, 2]), (3, &[2, 4])]);
        let out = s.protect();
        assert_eq!(suppressed(&out), [1, 4]);
        assert!(out.unprotected.is_empty());
    }

    #[test]
    fn a_cell_without_any_complement_is_reported_unprotected() {
        // Total(0) = part(1): the total is fixed (an empty cell) and nothing can be suppressed.
        let s = system(&[X, C], &[0.0, 0.0], &[(0, &[1])]);
        let out = s.protect();
        assert_eq!(out.unprotected, [1]);
        assert!(out.complements.is_empty());
    }
}

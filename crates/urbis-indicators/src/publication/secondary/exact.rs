//! Exact recoverability: which unknowns of a linear system are determined
//! by it. The system is a set of equations with integer coefficients over
//! cells; the attacker knows every published cell, so only the columns of
//! the unknown cells matter. A cell is recoverable exactly when its unit
//! vector lies in the row space of the equations restricted to the unknowns,
//! that is when the reduced row echelon form has a row equal to that unit
//! vector (Hundepool et al. 2012, §4.4: a suppressed cell whose feasible
//! interval has width 0).
//!
//! Arithmetic is on rationals of `i128` with every operation checked, so
//! that no rounding can hide a recovery; an overflow is reported, never
//! wrapped (the caller then counts the cells as unprotected).

use std::collections::HashMap;

/// A rational number in lowest terms with a positive denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rational {
    num: i128,
    den: i128,
}

/// An intermediate value did not fit in `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Rational {
    fn int(n: i128) -> Rational {
        Rational { num: n, den: 1 }
    }

    fn new(num: i128, den: i128) -> Result<Rational, Overflow> {
        let g = gcd(num, den).max(1);
        let (num, den) = (num / g, den / g);
        if den < 0 {
            Ok(Rational { num: num.checked_neg().ok_or(Overflow)?, den: den.checked_neg().ok_or(Overflow)? })
        } else {
            Ok(Rational { num, den })
        }
    }

    fn is_zero(self) -> bool {
        self.num == 0
    }

    /// `self − k × other`.
    fn minus_times(self, k: Rational, other: Rational) -> Result<Rational, Overflow> {
        let (pn, pd) = (k.num.checked_mul(other.num).ok_or(Overflow)?, k.den.checked_mul(other.den).ok_or(Overflow)?);
        let g = gcd(pn, pd).max(1);
        let (pn, pd) = (pn / g, pd / g);
        let num = self.num.checked_mul(pd).and_then(|a| pn.checked_mul(self.den).and_then(|b| a.checked_sub(b)));
        let den = self.den.checked_mul(pd);
        match (num, den) {
            (Some(n), Some(d)) => Rational::new(n, d),
            _ => Err(Overflow),
        }
    }

    fn divided_by(self, d: Rational) -> Result<Rational, Overflow> {
        let num = self.num.checked_mul(d.den).ok_or(Overflow)?;
        let den = self.den.checked_mul(d.num).ok_or(Overflow)?;
        Rational::new(num, den)
    }
}

/// A sparse row: (column, coefficient), columns increasing, no zeros.
type Row = Vec<(u32, Rational)>;

/// `row − k × pivot_row`, both sparse and sorted.
fn subtract(row: &Row, k: Rational, pivot_row: &Row) -> Result<Row, Overflow> {
    let mut out = Vec::with_capacity(row.len() + pivot_row.len());
    let (mut i, mut j) = (0, 0);
    while i < row.len() || j < pivot_row.len() {
        let a = row.get(i).map_or(u32::MAX, |e| e.0);
        let b = pivot_row.get(j).map_or(u32::MAX, |e| e.0);
        if a < b {
            out.push(row[i]);
            i += 1;
        } else if b < a {
            let v = Rational::int(0).minus_times(k, pivot_row[j].1)?;
            out.push((b, v));
            j += 1;
        } else {
            let v = row[i].1.minus_times(k, pivot_row[j].1)?;
            if !v.is_zero() {
                out.push((a, v));
            }
            i += 1;
            j += 1;
        }
    }
    Ok(out)
}

/// The columns whose unit vector lies in the row space of `rows` (integer
/// coefficients over columns `0..`): the unknowns the equations determine.
/// Rows are reduced one at a time into a reduced row echelon form.
pub fn determined(rows: &[Vec<(u32, i64)>]) -> Result<Vec<u32>, Overflow> {
    let mut basis: Vec<Row> = Vec::new();
    // Pivot column → index in `basis`.
    let mut pivots: HashMap<u32, usize> = HashMap::new();
    for raw in rows {
        let mut row: Row = {
            let mut r: Vec<(u32, Rational)> =
                raw.iter().filter(|e| e.1 != 0).map(|&(c, v)| (c, Rational::int(i128::from(v)))).collect();
            r.sort_unstable_by_key(|e| e.0);
            // Merge repeated columns.
            let mut merged: Row = Vec::with_capacity(r.len());
            for (c, v) in r {
                match merged.last_mut() {
                    Some(last) if last.0 == c => last.1 = last.1.minus_times(Rational::int(-1), v)?,
                    _ => merged.push((c, v)),
                }
            }
            merged.retain(|e| !e.1.is_zero());
            merged
        };
        // Eliminate the existing pivots (their rows are zero in every other
        // pivot column, so one pass over the row's pivot entries suffices).
        let hits: Vec<(u32, usize)> = row.iter().filter_map(|e| pivots.get(&e.0).map(|&p| (e.0, p))).collect();
        for (col, p) in hits {
            let Ok(at) = row.binary_search_by_key(&col, |e| e.0) else { continue };
            row = subtract(&row, row[at].1, &basis[p])?;
        }
        let Some(&(col, lead)) = row.first() else { continue };
        let row: Row = row.into_iter().map(|(c, v)| Ok((c, v.divided_by(lead)?))).collect::<Result<_, _>>()?;
        // Clear the new pivot column from the other rows.
        for other in basis.iter_mut() {
            if let Ok(at) = other.binary_search_by_key(&col, |e| e.0) {
                *other = subtract(other, other[at].1, &row)?;
            }
        }
        pivots.insert(col, basis.len());
        basis.push(row);
    }
    let mut out: Vec<u32> = basis.iter().filter(|r| r.len() == 1).map(|r| r[0].0).collect();
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_unknown_in_an_equation_is_determined() {
        // x0 + x1 = K with x1 known: the restricted row is x0.
        assert_eq!(determined(&[vec![(0, 1)]]).unwrap(), [0]);
        // x0 + x1 = K, both unknown: neither.
        assert!(determined(&[vec![(0, 1), (1, 1)]]).unwrap().is_empty());
    }

    #[test]
    fn combinations_of_equations_are_found() {
        // A 2 × 2 table with margins known: x0 + x1, x2 + x3, x0 + x2, x1 + x3
        // — the hypercube: nothing is determined.
        let square = [vec![(0, 1), (1, 1)], vec![(2, 1), (3, 1)], vec![(0, 1), (2, 1)], vec![(1, 1), (3, 1)]];
        assert!(determined(&square).unwrap().is_empty());
        // With x3 published (dropped from the rows), x1, x2 and then x0 follow.
        let three = [vec![(0, 1), (1, 1)], vec![(2, 1)], vec![(0, 1), (2, 1)], vec![(1, 1)]];
        assert_eq!(determined(&three).unwrap(), [0, 1, 2]);
        // x0 − x1 + x2 and x0 + x1 + x2 determine x1 only (difference / 2).
        let rows = [vec![(0, 1), (1, -1), (2, 1)], vec![(0, 1), (1, 1), (2, 1)]];
        assert_eq!(determined(&rows).unwrap(), [1]);
    }

    #[test]
    fn repeated_and_cancelling_columns() {
        assert!(determined(&[vec![(0, 1), (0, -1)]]).unwrap().is_empty());
        assert_eq!(determined(&[vec![(0, 1), (0, 1), (1, 0)]]).unwrap(), [0]);
    }
}

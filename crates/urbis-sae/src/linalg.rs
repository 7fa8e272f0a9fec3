//! The few dense operations the models need, on p x p matrices (p is the
//! number of coefficients): weighted cross-products of a design, inverses of
//! symmetric positive definite matrices, and a rank check that names the
//! first column that depends on the others.

use nalgebra::DMatrix;

use crate::error::{Result, SaeError};
use crate::formula::Design;

/// `X' diag(w) X`.
pub(crate) fn weighted_crossprod(x: &Design, w: &[f64]) -> DMatrix<f64> {
    let p = x.cols();
    let mut g = vec![0.0; p * p];
    for (i, &wi) in w.iter().enumerate() {
        let row = x.row(i);
        for a in 0..p {
            let wa = wi * row[a];
            let ga = &mut g[a * p..a * p + a + 1];
            for (b, gab) in ga.iter_mut().enumerate() {
                *gab += wa * row[b];
            }
        }
    }
    let mut m = DMatrix::zeros(p, p);
    for a in 0..p {
        for b in 0..=a {
            m[(a, b)] = g[a * p + b];
            m[(b, a)] = g[a * p + b];
        }
    }
    m
}

/// `X' v` for a vector `v` over the rows.
pub(crate) fn crossprod_vec(x: &Design, v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.cols()];
    for (i, &vi) in v.iter().enumerate() {
        for (o, xij) in out.iter_mut().zip(x.row(i)) {
            *o += xij * vi;
        }
    }
    out
}

/// `M v` for a square matrix `M`.
pub(crate) fn mat_vec(m: &DMatrix<f64>, v: &[f64]) -> Vec<f64> {
    (0..m.nrows()).map(|a| (0..m.ncols()).map(|b| m[(a, b)] * v[b]).sum()).collect()
}

/// `x' M x` for a row `x`.
pub(crate) fn quad_form(m: &DMatrix<f64>, x: &[f64]) -> f64 {
    let p = x.len();
    let mut s = 0.0;
    for a in 0..p {
        let mut t = 0.0;
        for b in 0..p {
            t += m[(a, b)] * x[b];
        }
        s += x[a] * t;
    }
    s
}

/// `tr(A B)` for square matrices of the same size.
pub(crate) fn trace_product(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let p = a.nrows();
    let mut s = 0.0;
    for i in 0..p {
        for k in 0..p {
            s += a[(i, k)] * b[(k, i)];
        }
    }
    s
}

/// The inverse of a symmetric positive definite matrix, or `None`.
pub(crate) fn spd_inverse(m: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let inv = m.clone().cholesky()?.inverse();
    inv.iter().all(|v| v.is_finite()).then_some(inv)
}

/// Checks that the columns of `x` are linearly independent; the error names
/// the first column that is zero or a combination of the columns before it.
/// `rows` names the rows in plural (for the message).
pub(crate) fn check_rank(x: &Design, rows: &str) -> Result<()> {
    let p = x.cols();
    let g = weighted_crossprod(x, &vec![1.0; x.rows()]);
    let scale: Vec<f64> = (0..p).map(|j| g[(j, j)].sqrt()).collect();
    // Cholesky of the scaled cross-product, column by column: the pivot of
    // column j is 1 - R² of column j on the columns before it.
    let mut l = DMatrix::<f64>::zeros(p, p);
    for j in 0..p {
        if scale[j] == 0.0 {
            return Err(SaeError::Singular(format!("column '{}' is zero in all {rows}", x.names()[j])));
        }
        let mut pivot = 1.0;
        for k in 0..j {
            pivot -= l[(j, k)] * l[(j, k)];
        }
        if pivot < 1e-10 {
            return Err(SaeError::Singular(format!(
                "column '{}' is a linear combination of the columns before it over the {rows}",
                x.names()[j]
            )));
        }
        let d = pivot.sqrt();
        l[(j, j)] = d;
        for i in j + 1..p {
            let mut s = g[(i, j)] / (scale[i] * scale[j]);
            for k in 0..j {
                s -= l[(i, k)] * l[(j, k)];
            }
            l[(i, j)] = s / d;
        }
    }
    Ok(())
}

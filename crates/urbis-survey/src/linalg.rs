//! The little linear algebra the survey engine needs.

/// Rank of a symmetric positive semi-definite `n × n` matrix (row-major, destroyed)
/// by Cholesky factorisation with full pivoting: a pivot below
/// `tol × largest diagonal` ends the factorisation.
pub fn pivoted_cholesky_rank(a: &mut [f64], n: usize, tol: f64) -> usize {
    let max_diag = (0..n).map(|i| a[i * n + i]).fold(0.0, f64::max);
    if max_diag <= 0.0 {
        return 0;
    }
    let mut perm: Vec<usize> = (0..n).collect();
    for k in 0..n {
        let (p, &best) = perm[k..]
            .iter()
            .enumerate()
            .map(|(j, &i)| (k + j, &a[i * n + i]))
            .max_by(|x, y| x.1.total_cmp(y.1))
            .expect("non-empty");
        if best <= tol * max_diag {
            return k;
        }
        perm.swap(k, p);
        let pk = perm[k];
        let d = a[pk * n + pk].sqrt();
        for &i in &perm[k + 1..] {
            a[i * n + pk] /= d;
        }
        for (jj, &j) in perm[k + 1..].iter().enumerate() {
            let ljk = a[j * n + pk];
            for &i in &perm[k + 1 + jj..] {
                let v = a[i * n + j] - a[i * n + pk] * ljk;
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_of_a_rank_two_matrix() {
        // Gram matrix of vectors (1,0,1), (0,1,1), (1,1,2): the third is the sum.
        let v = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 2.0]];
        let mut g = vec![0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                g[i * 3 + j] = (0..3).map(|k| v[i][k] * v[j][k]).sum();
            }
        }
        assert_eq!(pivoted_cholesky_rank(&mut g, 3, 1e-10), 2);
    }
}

//! Sums over units in fixed chunks, computed in parallel and added in order,
//! so results are identical whatever the number of threads.

use rayon::prelude::*;

const CHUNK: usize = 1 << 15;

/// `Σ_i f(i)` for `i in 0..n`, componentwise.
pub(crate) fn sum_units<const N: usize>(n: usize, f: impl Fn(usize) -> [f64; N] + Sync) -> [f64; N] {
    let chunk = |start: usize| {
        let mut acc = [0.0; N];
        for i in start..(start + CHUNK).min(n) {
            let v = f(i);
            for k in 0..N {
                acc[k] += v[k];
            }
        }
        acc
    };
    let partials: Vec<[f64; N]> = if n > CHUNK {
        (0..n.div_ceil(CHUNK)).into_par_iter().map(|c| chunk(c * CHUNK)).collect()
    } else {
        vec![chunk(0)]
    };
    let mut total = [0.0; N];
    for p in partials {
        for k in 0..N {
            total[k] += p[k];
        }
    }
    total
}

#[cfg(test)]
mod tests {
    #[test]
    fn sums_across_chunks() {
        let n = 3 * super::CHUNK + 7;
        let [a, b] = super::sum_units(n, |i| [1.0, i as f64]);
        assert_eq!(a, n as f64);
        assert_eq!(b, (n * (n - 1) / 2) as f64);
    }
}

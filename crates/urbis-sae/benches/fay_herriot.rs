//! Fay–Herriot REML fit plus Prasad–Rao MSEs for 10,000 areas and 10
//! covariates (issue 5, §6: under 1 second). `cargo bench -p urbis-sae`.

use criterion::{criterion_group, criterion_main, Criterion};
use urbis_sae::formula::Design;
use urbis_sae::{fay_herriot, FhMethod, FhOptions};

/// Deterministic synthetic areas: intercept + 9 covariates, true A = 0.5.
pub fn synthetic(m: usize, p: usize) -> (Vec<f64>, Vec<f64>, Design) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut normal = || {
        let (u, v) = (uniform().max(1e-300), uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let mut x = Vec::with_capacity(m * p);
    let (mut y, mut psi) = (Vec::with_capacity(m), Vec::with_capacity(m));
    for _ in 0..m {
        let mut mean = 1.0;
        x.push(1.0);
        for j in 1..p {
            let v = normal();
            x.push(v);
            mean += 0.1 * j as f64 * v;
        }
        let s = 0.2 + 1.8 * normal().abs().min(3.0) / 3.0;
        psi.push(s);
        y.push(mean + 0.5f64.sqrt() * normal() + s.sqrt() * normal());
    }
    let names = (0..p).map(|j| if j == 0 { "(Intercept)".to_string() } else { format!("x{j}") }).collect();
    (y, psi, Design::from_rows(names, m, x).unwrap())
}

fn bench(c: &mut Criterion) {
    let (y, psi, x) = synthetic(10_000, 10);
    for (method, name) in [(FhMethod::Reml, "reml"), (FhMethod::Ml, "ml"), (FhMethod::Fh, "fh")] {
        let options = FhOptions { method, ..Default::default() };
        c.bench_function(&format!("fay_herriot_{name}_10000_areas_10_covariates"), |b| {
            b.iter(|| fay_herriot(&y, &psi, &x, &options).unwrap())
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);

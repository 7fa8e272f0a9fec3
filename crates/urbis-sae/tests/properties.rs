//! Properties of the Fay–Herriot model that hold for any data: the EBLUP is
//! the γ-weighted mix of the direct and synthetic estimates, shifting the
//! direct estimates shifts the EBLUPs, rescaling rescales everything, and
//! benchmarked estimates add up to the target.

use proptest::prelude::*;
use urbis_sae::formula::Design;
use urbis_sae::{fay_herriot, ratio_benchmark, FhFit, FhMethod, FhOptions};

fn areas() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
    (8usize..40).prop_flat_map(|m| {
        (
            proptest::collection::vec(-5.0f64..5.0, m),
            proptest::collection::vec(0.05f64..2.0, m),
            proptest::collection::vec(-3.0f64..3.0, m),
        )
    })
}

fn design(x: &[f64]) -> Design {
    let values = x.iter().flat_map(|v| [1.0, *v]).collect();
    Design::from_rows(vec!["(Intercept)".into(), "x".into()], x.len(), values).unwrap()
}

fn method(k: u8) -> FhMethod {
    [FhMethod::Reml, FhMethod::Ml, FhMethod::Fh][k as usize % 3]
}

fn fit(y: &[f64], psi: &[f64], x: &[f64], k: u8) -> Option<FhFit> {
    fay_herriot(y, psi, &design(x), &FhOptions { method: method(k), ..Default::default() }).ok()
}

proptest! {
    #[test]
    fn eblup_mixes_direct_and_synthetic((y, psi, x) in areas(), k in 0u8..3) {
        if let Some(f) = fit(&y, &psi, &x, k) {
            prop_assert!(f.variance >= 0.0);
            for (a, yd) in f.areas.iter().zip(&y) {
                prop_assert!((0.0..1.0).contains(&a.gamma));
                let mix = a.gamma * yd + (1.0 - a.gamma) * a.synthetic;
                prop_assert!((a.eblup - mix).abs() <= 1e-9 * (1.0 + mix.abs()));
                prop_assert!(a.g1 <= a.vardir + 1e-15 && a.g2 >= 0.0 && a.g3 >= 0.0);
            }
        }
    }

    #[test]
    fn shifting_the_direct_estimates_shifts_the_eblups((y, psi, x) in areas(), c in -10.0f64..10.0, k in 0u8..3) {
        let shifted: Vec<f64> = y.iter().map(|v| v + c).collect();
        if let (Some(a), Some(b)) = (fit(&y, &psi, &x, k), fit(&shifted, &psi, &x, k)) {
            prop_assert!((a.variance - b.variance).abs() <= 1e-8 * (1.0 + a.variance));
            for (p, q) in a.areas.iter().zip(&b.areas) {
                prop_assert!((p.eblup + c - q.eblup).abs() <= 1e-7 * (1.0 + q.eblup.abs()));
                prop_assert!((p.mse - q.mse).abs() <= 1e-7 * p.mse);
            }
        }
    }

    #[test]
    fn rescaling_rescales((y, psi, x) in areas(), s in 0.01f64..100.0, k in 0u8..3) {
        let ys: Vec<f64> = y.iter().map(|v| v * s).collect();
        let ps: Vec<f64> = psi.iter().map(|v| v * s * s).collect();
        if let (Some(a), Some(b)) = (fit(&y, &psi, &x, k), fit(&ys, &ps, &x, k)) {
            prop_assert_eq!(a.convergence.iterations, b.convergence.iterations);
            prop_assert!((a.variance * s * s - b.variance).abs() <= 1e-8 * (1e-12 + b.variance));
            for (p, q) in a.areas.iter().zip(&b.areas) {
                prop_assert!((p.eblup * s - q.eblup).abs() <= 1e-8 * (s + q.eblup.abs()));
                prop_assert!((p.mse * s * s - q.mse).abs() <= 1e-8 * q.mse);
            }
        }
    }

    #[test]
    fn benchmarked_estimates_add_up_to_the_target(
        e in proptest::collection::vec(0.1f64..10.0, 1..30),
        target in 0.1f64..10.0,
    ) {
        let w: Vec<f64> = (0..e.len()).map(|i| 1.0 + i as f64).collect();
        let b = ratio_benchmark(&e, &w, target).unwrap();
        let total: f64 = w.iter().sum();
        let got: f64 = b.iter().zip(&w).map(|(b, w)| b * w / total).sum();
        prop_assert!((got - target).abs() <= 1e-12 * target);
    }
}

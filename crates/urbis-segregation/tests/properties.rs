//! Properties every set of counts must satisfy: indices stay in their
//! ranges, do not change when all counts are scaled, and the multigroup
//! indices with two groups equal the two-group ones.

use proptest::prelude::*;
use urbis_segregation::{location_quotients, multi_group, single_group, SingleOptions};

/// Units with counts of three groups, at least one person of each group overall.
fn counts() -> impl Strategy<Value = Vec<[f64; 3]>> {
    prop::collection::vec([0u32..60, 0u32..60, 0u32..60], 2..40)
        .prop_map(|v| v.into_iter().map(|c| c.map(f64::from)).collect::<Vec<_>>())
        .prop_filter("every group present", |v| (0..3).all(|k| v.iter().any(|c| c[k] > 0.0)))
}

fn column(units: &[[f64; 3]], k: usize) -> Vec<f64> {
    units.iter().map(|c| c[k]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn two_group_indices_stay_in_range(units in counts()) {
        let x = column(&units, 0);
        let t: Vec<f64> = units.iter().map(|c| c.iter().sum()).collect();
        let s = single_group(&x, &t, &SingleOptions::default()).unwrap();
        for v in [s.dissimilarity, s.isolation, s.exposure, s.entropy, s.gini, s.atkinson] {
            prop_assert!((-1e-12..=1.0 + 1e-12).contains(&v), "{:?}", s);
        }
        prop_assert!((s.isolation + s.exposure - 1.0).abs() < 1e-12);
        // The Gini index is never below the dissimilarity index.
        prop_assert!(s.gini >= s.dissimilarity - 1e-12, "{:?}", s);
        let lq = location_quotients(&x, &t).unwrap();
        let weighted: f64 = lq.iter().zip(&t).filter(|(l, _)| l.is_finite()).map(|(l, t)| l * t).sum();
        prop_assert!((weighted / t.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn scaling_every_count_changes_nothing(units in counts(), factor in 0.5f64..20.0) {
        let groups: Vec<Vec<f64>> = (0..3).map(|k| column(&units, k)).collect();
        let scaled: Vec<Vec<f64>> = groups.iter().map(|g| g.iter().map(|v| v * factor).collect()).collect();
        let names = ["g0", "g1", "g2"];
        let a: Vec<(&str, &[f64])> = names.iter().copied().zip(groups.iter().map(Vec::as_slice)).collect();
        let b: Vec<(&str, &[f64])> = names.iter().copied().zip(scaled.iter().map(Vec::as_slice)).collect();
        let (m, n) = (multi_group(&a, &SingleOptions::default()).unwrap(), multi_group(&b, &SingleOptions::default()).unwrap());
        for (u, v) in [
            (m.dissimilarity, n.dissimilarity),
            (m.gini, n.gini),
            (m.information_theory, n.information_theory),
            (m.normalized_exposure, n.normalized_exposure),
            (m.relative_diversity, n.relative_diversity),
            (m.squared_coefficient_of_variation, n.squared_coefficient_of_variation),
        ] {
            prop_assert!((u - v).abs() < 1e-9, "{u} vs {v}");
            prop_assert!((-1e-12..=1.0 + 1e-12).contains(&u), "{:?}", m);
        }
    }
}

//! Properties every design-based estimator must have, on random samples.

mod common;

use proptest::prelude::*;
use urbis_core::{Column, Frame};
use urbis_survey::{estimate, Design, LinearSpec, LonelyPsu, Options, Row, Statistic};

/// The stratified cluster design of a random sample.
fn design(f: &Frame) -> Design {
    common::design(f, LonelyPsu::Remove, false)
}

#[derive(Debug, Clone)]
struct Sample {
    y: Vec<f64>,
    w: Vec<f64>,
    stratum: Vec<f64>,
    psu: Vec<f64>,
    group: Vec<f64>,
}

fn sample() -> impl Strategy<Value = Sample> {
    (8usize..60).prop_flat_map(|n| {
        (
            prop::collection::vec(-100.0f64..100.0, n),
            prop::collection::vec(0.1f64..10.0, n),
            prop::collection::vec(0u8..3, n),
            prop::collection::vec(0u8..4, n),
            prop::collection::vec(0u8..3, n),
        )
            .prop_map(|(y, w, s, p, g)| Sample {
                y,
                w,
                stratum: s.iter().map(|&v| f64::from(v)).collect(),
                // PSU ids nested in strata.
                psu: s.iter().zip(&p).map(|(&s, &p)| f64::from(s) * 10.0 + f64::from(p)).collect(),
                group: g.iter().map(|&v| f64::from(v)).collect(),
            })
    })
}

fn frame(s: &Sample, weight_scale: f64) -> Frame {
    let mut f = Frame::new("random", s.y.len());
    f.push("y", Column::Number(s.y.clone()));
    f.push("w", Column::Number(s.w.iter().map(|w| w * weight_scale).collect()));
    f.push("s", Column::Number(s.stratum.clone()));
    f.push("psu", Column::Number(s.psu.clone()));
    f.push("g", Column::Number(s.group.clone()));
    f.push("cat", Column::Number(s.y.iter().map(|y| f64::from(*y > 0.0)).collect()));
    f
}

fn run(f: &Frame, by: &[&str], stats: &[Statistic], options: &Options) -> Vec<Row> {
    estimate(f, &design(f), by, stats, options).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #[test]
    fn scaling_weights_leaves_means_and_proportions_unchanged(s in sample(), c in 0.01f64..100.0) {
        let stats = [Statistic::Mean("y".into()), Statistic::Prop("cat".into())];
        let a = run(&frame(&s, 1.0), &["g"], &stats, &Options::default());
        let b = run(&frame(&s, c), &["g"], &stats, &Options::default());
        prop_assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            prop_assert!(close(x.estimate.estimate, y.estimate.estimate, 1e-10));
            prop_assert!(close(x.estimate.se, y.estimate.se, 1e-9) || (x.estimate.se.is_nan() && y.estimate.se.is_nan()));
        }
    }

    #[test]
    fn domain_totals_add_up_to_the_total(s in sample()) {
        let stats = [Statistic::Total("y".into())];
        let whole = run(&frame(&s, 1.0), &[], &stats, &Options::default());
        let parts = run(&frame(&s, 1.0), &["g"], &stats, &Options::default());
        let sum: f64 = parts.iter().map(|r| r.estimate.estimate).sum();
        prop_assert!(close(sum, whole[0].estimate.estimate, 1e-10));
        let pop: f64 = parts.iter().map(|r| r.estimate.pop_size).sum();
        prop_assert!(close(pop, whole[0].estimate.pop_size, 1e-10));
    }

    #[test]
    fn a_domain_compared_with_itself_has_no_gap(s in sample()) {
        let options = Options { diff: Some(("0".into(), "0".into())), ..Options::default() };
        let f = frame(&s, 1.0);
        let rows = run(&f, &["g"], &[Statistic::Mean("y".into())], &options);
        for r in rows.iter().filter(|r| r.statistic == "diff_mean") {
            prop_assert_eq!(r.estimate.estimate, 0.0);
            prop_assert_eq!(r.estimate.se, 0.0);
        }
    }
}

proptest! {
    #[test]
    fn equal_weights_without_design_give_the_textbook_standard_error(y in prop::collection::vec(-50.0f64..50.0, 3..80)) {
        let n = y.len() as f64;
        let mut f = Frame::new("srs", y.len());
        f.push("y", Column::Number(y.clone()));
        let design = Design::linear(y.len(), &LinearSpec::default()).unwrap();
        let rows = estimate(&f, &design, &[], &[Statistic::Mean("y".into())], &Options::default()).unwrap();
        let mean = y.iter().sum::<f64>() / n;
        let s2 = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        prop_assert!(close(rows[0].estimate.estimate, mean, 1e-12));
        prop_assert!(close(rows[0].estimate.se, (s2 / n).sqrt(), 1e-10));
        prop_assert_eq!(rows[0].estimate.df, n - 1.0);
    }
}

proptest! {
    #[test]
    fn several_sets_of_domains_in_one_pass_equal_separate_passes(s in sample()) {
        use urbis_survey::{estimate_domain_sets, estimate_domains, Grouping};
        let f = frame(&s, 1.0);
        let design = design(&f);
        let sets = vec![Grouping::of_column(f.column("g").unwrap()), Grouping::of_column(f.column("cat").unwrap())];
        for stat in [Statistic::Mean("y".into()), Statistic::Median("y".into())] {
            let together = estimate_domain_sets(&f, &design, &sets, &stat, &Options::default()).unwrap();
            for (set, joint) in sets.iter().zip(&together) {
                let alone = estimate_domains(&f, &design, set.clone(), &stat, &Options::default()).unwrap();
                for (a, b) in alone[0].values.iter().zip(&joint[0].values) {
                    let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
                    let (ea, eb) = (a.finish(&design, 0.95).unwrap(), b.finish(&design, 0.95).unwrap());
                    prop_assert_eq!(ea.estimate, eb.estimate);
                    prop_assert!(ea.se == eb.se || (ea.se.is_nan() && eb.se.is_nan()));
                    prop_assert_eq!(ea.n, eb.n);
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn both_medians_from_one_pass_equal_each_median_alone(s in sample(), hf7 in any::<bool>(), y_ties in any::<bool>()) {
        use urbis_survey::{estimate_domain_sets, Grouping, QuantileRule};
        let mut s = s;
        if y_ties {
            // Ties at the medians: values on a coarse grid.
            s.y.iter_mut().for_each(|y| *y = (*y / 40.0).round());
        }
        let f = frame(&s, 1.0);
        let design = design(&f);
        let options = Options { qrule: if hf7 { QuantileRule::Hf7 } else { QuantileRule::Math }, ..Options::default() };
        let sets = vec![Grouping::of_column(f.column("g").unwrap()), Grouping::of_column(f.column("cat").unwrap())];
        let both = estimate_domain_sets(&f, &design, &sets, &Statistic::Medians("y".into()), &options).unwrap();
        let quantile = Statistic::Quantile { variable: "y".into(), p: 0.5 };
        let alone = [
            estimate_domain_sets(&f, &design, &sets, &quantile, &options).unwrap(),
            estimate_domain_sets(&f, &design, &sets, &Statistic::Median("y".into()), &options).unwrap(),
        ];
        for (set, joint) in both.iter().enumerate() {
            prop_assert_eq!(joint.len(), 2);
            for (output, one) in alone.iter().enumerate() {
                prop_assert_eq!(&joint[output].variable, &one[set][0].variable);
                for (a, b) in joint[output].values.iter().zip(&one[set][0].values) {
                    let (Some(a), Some(b)) = (a, b) else {
                        prop_assert!(a.is_none() && b.is_none());
                        continue;
                    };
                    let (ea, eb) = (a.finish(&design, 0.95).unwrap(), b.finish(&design, 0.95).unwrap());
                    prop_assert_eq!(ea.estimate, eb.estimate);
                    prop_assert_eq!(ea.n, eb.n);
                    prop_assert_eq!(ea.df, eb.df);
                    let near = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || close(a, b, 1e-9);
                    prop_assert!(near(ea.se, eb.se), "se {} vs {}", ea.se, eb.se);
                    prop_assert!(near(ea.ci_low, eb.ci_low) && near(ea.ci_high, eb.ci_high));
                }
            }
        }
    }
}

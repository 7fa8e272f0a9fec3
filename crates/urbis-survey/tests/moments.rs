//! Variances from per-stratum moments (sets over cells with regions) agree
//! with variances from (PSU, domain) totals (the same sets without regions),
//! for values and for differences and ratios of domains, on random designs:
//! strata that cut across regions, lonely PSUs under every policy, finite
//! population corrections, zero weights, rows outside every domain.

use proptest::prelude::*;
use urbis_core::{Column, Frame, MISSING_CODE};
use urbis_survey::{
    estimate_domain_sets_within, Design, DomainSets, DomainValue, LinearSpec, LonelyPsu, NamedColumn, Options,
    Statistic,
};

const REGIONS: u32 = 4;
const GROUPS: u32 = 3;

#[derive(Debug, Clone)]
struct Row {
    stratum: u8,
    psu: u8,
    group: u8,
    y: f64,
    w: f64,
    used: bool,
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            0u8..3,
            0u8..4,
            0u8..3,
            -50.0f64..50.0,
            prop_oneof![9 => 0.5f64..5.0, 1 => Just(0.0)],
            prop::bool::weighted(0.9),
        ),
        10..120,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(stratum, psu, group, y, w, used)| Row { stratum, psu, group, y: y.round(), w, used })
            .collect()
    })
}

/// The region of a PSU: PSUs lie in one region, strata span several.
fn region(r: &Row) -> u32 {
    (u32::from(r.stratum) + u32::from(r.psu)) % REGIONS
}

struct Fixture {
    frame: Frame,
    cells: Vec<u32>,
    cell_region: Vec<u32>,
    /// Sets: total per region; region × group; pairs of regions × (group 0 | groups 1–2).
    sets: Vec<(Vec<u32>, usize)>,
}

fn fixture(rows: &[Row], fpc: bool) -> Fixture {
    let n = rows.len();
    let mut frame = Frame::new("random", n);
    let num = |f: &dyn Fn(&Row) -> f64| Column::Number(rows.iter().map(f).collect());
    frame.push("y", num(&|r| r.y));
    frame.push("cat", num(&|r| f64::from(u8::from(r.y > 0.0)) + f64::from(u8::from(r.y > 20.0))));
    frame.push("w", num(&|r| r.w));
    frame.push("s", num(&|r| f64::from(r.stratum)));
    frame.push("psu", num(&|r| f64::from(r.stratum) * 10.0 + f64::from(r.psu)));
    // Sampling fraction per stratum.
    frame.push("fpc", num(&|r| if fpc { 0.1 + 0.3 * f64::from(r.stratum) } else { 0.0 }));
    let n_cells = (REGIONS * GROUPS) as usize;
    let cells =
        rows.iter().map(|r| if r.used { region(r) * GROUPS + u32::from(r.group) } else { MISSING_CODE }).collect();
    let cell_region = (0..n_cells as u32).map(|c| c / GROUPS).collect();
    let total = (0..n_cells as u32).map(|c| c / GROUPS).collect();
    let by_group = (0..n_cells as u32).collect();
    let merged = (0..n_cells as u32).map(|c| (c / GROUPS / 2) * 2 + u32::from(c % GROUPS > 0)).collect();
    Fixture {
        frame,
        cells,
        cell_region,
        sets: vec![(total, REGIONS as usize), (by_group, n_cells), (merged, (REGIONS / 2 * 2) as usize)],
    }
}

fn design(f: &Frame, lonely_psu: LonelyPsu, fpc: bool) -> Design {
    let named = |name| NamedColumn { name, column: f.column(name).unwrap() };
    let spec = LinearSpec {
        weights: Some(named("w")),
        strata: Some(named("s")),
        ids: Some(named("psu")),
        fpc: fpc.then(|| named("fpc")),
        lonely_psu,
        ..Default::default()
    };
    Design::linear(f.n_rows(), &spec).unwrap()
}

/// Per set, the values of the statistic's first output, with or without regions.
fn values(x: &Fixture, design: &Design, stat: &Statistic, with_regions: bool) -> Vec<Vec<Option<DomainValue>>> {
    let mut sets = DomainSets::over_cells(&x.cells, x.cell_region.len());
    for (map, n) in &x.sets {
        sets.push(map, *n);
    }
    if with_regions {
        sets = sets.with_regions(&x.cell_region);
    }
    estimate_domain_sets_within(&x.frame, design, &sets, None, stat, &Options::default(), None)
        .unwrap()
        .into_iter()
        .map(|mut outputs| outputs.remove(0).values)
        .collect()
}

/// How a value holds its uncertainty (the variant's name in its debug form).
fn spread_kind(v: &DomainValue) -> String {
    let text = format!("{v:?}");
    let spread = text.split("spread: ").nth(1).unwrap_or_default();
    spread.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn same(a: Option<DomainValue>, b: Option<DomainValue>, design: &Design, what: &str) -> Result<(), TestCaseError> {
    let (a, b) = match (a, b) {
        (None, None) => return Ok(()),
        (Some(a), Some(b)) => (a, b),
        (a, b) => return Err(TestCaseError::fail(format!("one side missing: {a:?} / {b:?}"))),
    };
    prop_assert_eq!(a.n(), b.n());
    match (a.finish(design, 0.95), b.finish(design, 0.95)) {
        (Ok(x), Ok(y)) => {
            prop_assert!(close(x.estimate, y.estimate, 1e-11), "{what}: estimate {} vs {}", x.estimate, y.estimate);
            prop_assert!(close(x.se, y.se, 1e-7), "{what}: se {} vs {}", x.se, y.se);
            prop_assert!(close(x.df, y.df, 0.0), "{what}: df {} vs {}", x.df, y.df);
            prop_assert!(close(x.ci_low, y.ci_low, 1e-7) && close(x.ci_high, y.ci_high, 1e-7));
        }
        (Err(x), Err(y)) => prop_assert_eq!(x.to_string(), y.to_string()),
        (x, y) => return Err(TestCaseError::fail(format!("{x:?} / {y:?}"))),
    }
    Ok(())
}

fn check(rows: &[Row], lonely: LonelyPsu, fpc: bool, stat: &Statistic) -> Result<(), TestCaseError> {
    let x = fixture(rows, fpc);
    let design = design(&x.frame, lonely, fpc);
    let (a, b) = (values(&x, &design, stat, true), values(&x, &design, stat, false));
    // The regions are a partition the PSUs nest in: the moments were used.
    let kinds = |v: &[Vec<Option<DomainValue>>]| v.iter().flatten().flatten().map(spread_kind).collect::<Vec<_>>();
    prop_assert!(kinds(&a).iter().all(|k| *k == "Moments"), "{:?}", kinds(&a));
    prop_assert!(kinds(&b).iter().all(|k| *k != "Moments"), "{:?}", kinds(&b));
    for (sa, sb) in a.iter().zip(&b) {
        for (va, vb) in sa.iter().zip(sb) {
            same(va.clone(), vb.clone(), &design, &format!("{stat:?} value"))?;
        }
    }
    // Contrasts across sets: each region × group against its region's
    // total and against the next group of the region.
    for c in 0..(REGIONS * GROUPS) as usize {
        let region = c / GROUPS as usize;
        let next = region * GROUPS as usize + (c + 1) % GROUPS as usize;
        for (other_set, other) in [(0, region), (1, next)] {
            let pair = |v: &[Vec<Option<DomainValue>>]| (v[1][c].clone(), v[other_set][other].clone());
            if let ((Some(ga), Some(oa)), (Some(gb), Some(ob))) = (pair(&a), pair(&b)) {
                same(ga.minus(&oa), gb.minus(&ob), &design, &format!("{stat:?} {c} minus {other_set}/{other}"))?;
                if oa.estimate() != 0.0 {
                    same(ga.ratio(&oa), gb.ratio(&ob), &design, &format!("{stat:?} {c} ratio {other_set}/{other}"))?;
                }
                same(Some(ga.scaled(100.0)), Some(gb.scaled(100.0)), &design, "scaled")?;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn moments_agree_with_psu_totals(
        rows in rows(),
        lonely in prop_oneof![
            Just(LonelyPsu::Remove), Just(LonelyPsu::Adjust), Just(LonelyPsu::Average),
            Just(LonelyPsu::Certainty), Just(LonelyPsu::Fail)
        ],
        fpc in any::<bool>(),
    ) {
        for stat in [Statistic::Mean("y".into()), Statistic::Total("y".into()), Statistic::Prop("cat".into())] {
            check(&rows, lonely, fpc, &stat)?;
        }
    }
}

#[test]
fn a_psu_spanning_regions_falls_back_to_psu_totals() {
    // Rows of PSU 0 in regions 0 and 1: the regions are not a partition the
    // PSUs nest in, so the pass keeps (PSU, domain) totals; same numbers.
    let rows: Vec<Row> = (0..40)
        .map(|i| Row {
            stratum: (i % 2) as u8,
            psu: (i % 4) as u8,
            group: (i % 3) as u8,
            y: i as f64,
            w: 1.0,
            used: true,
        })
        .collect();
    let mut x = fixture(&rows, false);
    x.cells[0] = GROUPS; // row 0 (PSU 0 of stratum 0) moved to region 1
    let design = design(&x.frame, LonelyPsu::Remove, false);
    let stat = Statistic::Mean("y".into());
    let (a, b) = (values(&x, &design, &stat, true), values(&x, &design, &stat, false));
    assert!(a.iter().flatten().flatten().all(|v| spread_kind(v) != "Moments"));
    for (sa, sb) in a.iter().zip(&b) {
        for (va, vb) in sa.iter().zip(sb) {
            let (ea, eb) = (
                va.as_ref().map(|v| v.finish(&design, 0.95).unwrap()),
                vb.as_ref().map(|v| v.finish(&design, 0.95).unwrap()),
            );
            assert_eq!(format!("{ea:?}"), format!("{eb:?}"));
        }
    }
}

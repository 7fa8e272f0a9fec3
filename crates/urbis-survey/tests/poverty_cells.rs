//! At-risk-of-poverty rates of every set in one moments pass (sets over
//! cells with regions) agree with the rates estimated set by set (the same
//! sets without regions), for values and for differences across sets, on
//! random designs: two poverty populations, rows outside the indicator's
//! population (in shadow cells of no domain) that still set the threshold,
//! missing incomes, zero weights, strata across regions, every lonely-PSU
//! policy, finite population corrections.

mod common;

use common::{cell, design, frame, region, rows, same, spread_kind, Row, CELLS, GROUPS, REGIONS};
use proptest::prelude::*;
use urbis_core::{Frame, MISSING_CODE};
use urbis_survey::{
    estimate_domain_sets_within, Design, DomainSets, DomainValue, Grouping, LonelyPsu, Options, Statistic,
};

struct Fixture {
    frame: Frame,
    /// Rows outside the indicator's population are in a shadow cell (`+ CELLS`).
    cells: Vec<u32>,
    cell_region: Vec<u32>,
    populations: Grouping,
    sets: Vec<(Vec<u32>, usize)>,
}

fn fixture(rows: &[Row], fpc: bool) -> Fixture {
    let frame = frame(rows, fpc);
    let cells = rows.iter().map(|r| cell(r) + if r.used { 0 } else { CELLS }).collect();
    let cell_region = (0..2 * CELLS).map(|c| (c % CELLS) / GROUPS).collect();
    let populations = Grouping { codes: rows.iter().map(|r| region(r) / 2).collect(), labels: vec![String::new(); 2] };
    // Shadow cells are in no domain.
    let set = |f: &dyn Fn(u32) -> u32| (0..2 * CELLS).map(|c| if c < CELLS { f(c) } else { MISSING_CODE }).collect();
    let sets = vec![
        (set(&|c| c / GROUPS), REGIONS as usize),
        (set(&|c| c), CELLS as usize),
        // Pairs of regions (one population each) × (group 0 | groups 1–2).
        (set(&|c| (c / GROUPS / 2) * 2 + u32::from(c % GROUPS > 0)), (REGIONS / 2 * 2) as usize),
        // Every region: spans both populations, so no rate.
        (set(&|_| 0), 1),
    ];
    Fixture { frame, cells, cell_region, populations, sets }
}

/// Per set, the rates with or without regions.
fn rates(x: &Fixture, design: &Design, with_regions: bool) -> Vec<Vec<Option<DomainValue>>> {
    let mut sets = DomainSets::over_cells(&x.cells, x.cell_region.len());
    for (map, n) in &x.sets {
        sets.push(map, *n);
    }
    if with_regions {
        sets = sets.with_regions(&x.cell_region);
    }
    let stat = Statistic::Arpr("y".into());
    estimate_domain_sets_within(&x.frame, design, &sets, Some(&x.populations), &stat, &Options::default(), None)
        .unwrap()
        .into_iter()
        .map(|mut outputs| outputs.remove(0).values)
        .collect()
}

fn check(rows: &[Row], lonely: LonelyPsu, fpc: bool) -> Result<(), TestCaseError> {
    let x = fixture(rows, fpc);
    let design = design(&x.frame, lonely, fpc);
    let (a, b) = (rates(&x, &design, true), rates(&x, &design, false));
    let kinds = |v: &[Vec<Option<DomainValue>>]| v.iter().flatten().flatten().map(spread_kind).collect::<Vec<_>>();
    prop_assert!(kinds(&a).iter().all(|k| *k == "Moments"), "{:?}", kinds(&a));
    prop_assert!(kinds(&b).iter().all(|k| *k != "Moments"), "{:?}", kinds(&b));
    let in_population = |p: u32| rows.iter().any(|r| r.used && !r.y.is_nan() && region(r) / 2 == p);
    if in_population(0) && in_population(1) {
        prop_assert!(a[3][0].is_none(), "a domain spanning populations has no rate");
    }
    for (s, (sa, sb)) in a.iter().zip(&b).enumerate() {
        for (d, (va, vb)) in sa.iter().zip(sb).enumerate() {
            same(va.clone(), vb.clone(), &design, &format!("set {s} domain {d}"))?;
        }
    }
    // Gaps: each region × group against its region's total and against the
    // next group of the region (they share the threshold's influence).
    for c in 0..CELLS as usize {
        let region = c / GROUPS as usize;
        let next = region * GROUPS as usize + (c + 1) % GROUPS as usize;
        for (other_set, other) in [(0, region), (1, next)] {
            let pair = |v: &[Vec<Option<DomainValue>>]| (v[1][c].clone(), v[other_set][other].clone());
            if let ((Some(ga), Some(oa)), (Some(gb), Some(ob))) = (pair(&a), pair(&b)) {
                let what = format!("{c} minus {other_set}/{other}");
                same(ga.minus(&oa), gb.minus(&ob), &design, &what)?;
                same(Some(ga.scaled(100.0)), Some(gb.scaled(100.0)), &design, "scaled")?;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rates_over_cells_agree_with_rates_set_by_set(
        rows in rows(prop_oneof![19 => 1.0f64..100.0, 1 => Just(f64::NAN)], 0.7, 20..150),
        lonely in prop_oneof![
            Just(LonelyPsu::Remove), Just(LonelyPsu::Adjust), Just(LonelyPsu::Average),
            Just(LonelyPsu::Certainty), Just(LonelyPsu::Fail)
        ],
        fpc in any::<bool>(),
    ) {
        check(&rows, lonely, fpc)?;
    }
}

/// Fixed rows: strata alternate, PSUs cycle through 4, groups through 3.
fn fixed_rows(used: impl Fn(usize) -> bool) -> Vec<Row> {
    (0..60)
        .map(|i| Row {
            stratum: (i % 2) as u8,
            psu: (i % 4) as u8,
            group: (i % 3) as u8,
            y: (i * 7 % 50) as f64 + 1.0,
            w: 1.0 + (i % 3) as f64,
            used: used(i),
        })
        .collect()
}

/// The rates with regions are estimated set by set, as without them.
fn assert_falls_back(x: &Fixture) {
    let design = design(&x.frame, LonelyPsu::Remove, false);
    let (a, b) = (rates(x, &design, true), rates(x, &design, false));
    assert!(a.iter().flatten().flatten().count() > 0);
    assert!(a.iter().flatten().flatten().all(|v| spread_kind(v) != "Moments"));
    for (sa, sb) in a.iter().zip(&b) {
        for (va, vb) in sa.iter().zip(sb) {
            let finish = |v: &Option<DomainValue>| v.as_ref().map(|v| v.finish(&design, 0.95).unwrap());
            assert_eq!(format!("{:?}", finish(va)), format!("{:?}", finish(vb)));
        }
    }
}

#[test]
fn a_cell_spanning_populations_falls_back_to_sets_one_by_one() {
    let mut x = fixture(&fixed_rows(|i| i % 5 != 0), false);
    // Row 1 joins the other population: its cell now spans two.
    x.populations.codes[1] = 1 - x.populations.codes[1];
    assert_falls_back(&x);
}

#[test]
fn a_psu_spanning_regions_falls_back_to_sets_one_by_one() {
    let rows = fixed_rows(|_| true);
    let mut x = fixture(&rows, false);
    // Row 0 (PSU 0 of stratum 0, region 0, like row 4) moves to a cell of
    // region 1, in the same population: the cells still each lie in one
    // population, but PSU 0 now spans two regions.
    assert_eq!((region(&rows[0]), region(&rows[4])), (0, 0));
    x.cells[0] = GROUPS;
    assert_falls_back(&x);
}

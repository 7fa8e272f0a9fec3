//! Both medians of every set over cells at once (sets taken a few at a time
//! from one sort) are the numbers of the same sets estimated one by one
//! (sets given by rows): Woodruff's medians with their intervals and the
//! linearised medians, also in gaps between sets; on random designs with
//! missing values, zero weights, ties and rows in no domain.

mod common;

use common::{cell, frame, rows, CELLS, GROUPS, REGIONS};

use proptest::prelude::*;
use urbis_core::{Frame, MISSING_CODE};
use urbis_survey::{
    estimate_domain_sets_within, Design, DomainSets, DomainValue, Grouping, LonelyPsu, Options, Statistic,
};

/// Sets over cells (region × group): the regions, the cells, pairs of
/// regions × (group 0 | groups 1–2), every region at once, and one set per
/// odd number of sets so that the last group of sets is not full.
fn sets() -> Vec<(Vec<u32>, usize)> {
    vec![
        ((0..CELLS).map(|c| c / GROUPS).collect(), REGIONS as usize),
        ((0..CELLS).collect(), CELLS as usize),
        ((0..CELLS).map(|c| (c / GROUPS / 2) * 2 + u32::from(c % GROUPS > 0)).collect(), (REGIONS / 2 * 2) as usize),
        ((0..CELLS).map(|_| 0).collect(), 1),
        ((0..CELLS).map(|c| if c % GROUPS == 1 { MISSING_CODE } else { c % GROUPS / 2 }).collect(), 2),
    ]
}

type PerSet = Vec<Vec<Vec<Option<DomainValue>>>>;

/// Per set, per output (Woodruff's, linearised), the medians.
fn medians(f: &Frame, design: &Design, sets: &DomainSets) -> PerSet {
    estimate_domain_sets_within(f, design, sets, None, &Statistic::Medians("y".into()), &Options::default(), None)
        .unwrap()
        .into_iter()
        .map(|outputs| outputs.into_iter().map(|o| o.values).collect())
        .collect()
}

fn identical(
    a: &Option<DomainValue>,
    b: &Option<DomainValue>,
    design: &Design,
    what: &str,
) -> Result<(), TestCaseError> {
    let (Some(a), Some(b)) = (a, b) else {
        prop_assert!(a.is_none() && b.is_none(), "{what}: one side missing");
        return Ok(());
    };
    let (x, y) = (a.finish(design, 0.95).unwrap(), b.finish(design, 0.95).unwrap());
    // The same numbers, summed in the same order.
    prop_assert_eq!(format!("{x:?}"), format!("{y:?}"), "{}", what);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn medians_over_cells_are_those_of_each_set_alone(
        // Some values on a coarse grid, for ties at the medians.
        rows in rows(prop_oneof![8 => 1.0f64..100.0, 1 => (0.0f64..5.0).prop_map(f64::round), 1 => Just(f64::NAN)], 0.9, 10..150),
    ) {
        let f = frame(&rows, false);
        let design = common::design(&f, LonelyPsu::Adjust, false);
        let cells: Vec<u32> =
            rows.iter().map(|r| if r.used { cell(r) } else { MISSING_CODE }).collect();
        let sets = sets();
        let mut over_cells = DomainSets::over_cells(&cells, CELLS as usize);
        for (map, n) in &sets {
            over_cells.push(map, *n);
        }
        let by_rows: Vec<Grouping> = sets
            .iter()
            .map(|(map, n)| Grouping {
                codes: cells.iter().map(|&c| if c == MISSING_CODE { c } else { map[c as usize] }).collect(),
                labels: vec![String::new(); *n],
            })
            .collect();
        let (a, b) = (medians(&f, &design, &over_cells), medians(&f, &design, &DomainSets::of_groupings(&by_rows)));
        for (s, (sa, sb)) in a.iter().zip(&b).enumerate() {
            for (o, (oa, ob)) in sa.iter().zip(sb).enumerate() {
                for (d, (va, vb)) in oa.iter().zip(ob).enumerate() {
                    identical(va, vb, &design, &format!("set {s} output {o} domain {d}"))?;
                }
            }
        }
        // Gaps of linearised medians across sets: each cell against its region.
        for c in 0..CELLS as usize {
            let pair = |v: &PerSet| (v[1][1][c].clone(), v[0][1][c / GROUPS as usize].clone());
            if let ((Some(ga), Some(ra)), (Some(gb), Some(rb))) = (pair(&a), pair(&b)) {
                identical(&ga.minus(&ra), &gb.minus(&rb), &design, &format!("gap {c}"))?;
            }
        }
    }
}

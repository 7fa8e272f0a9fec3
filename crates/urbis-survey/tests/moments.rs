//! Variances from per-stratum moments (sets over cells with regions) agree
//! with variances from (PSU, domain) totals (the same sets without regions),
//! for values and for differences and ratios of domains, on random designs:
//! strata that cut across regions, lonely PSUs under every policy, finite
//! population corrections, zero weights, rows outside every domain.

mod common;

use common::{cell, design, frame, rows, same, spread_kind, Row, CELLS, GROUPS, REGIONS};
use proptest::prelude::*;
use urbis_core::{Column, Frame, MISSING_CODE};
use urbis_survey::{estimate_domain_sets_within, Design, DomainSets, DomainValue, LonelyPsu, Options, Statistic};

struct Fixture {
    frame: Frame,
    cells: Vec<u32>,
    cell_region: Vec<u32>,
    /// Sets: total per region; region × group; pairs of regions × (group 0 | groups 1–2).
    sets: Vec<(Vec<u32>, usize)>,
}

fn fixture(rows: &[Row], fpc: bool) -> Fixture {
    let mut frame = frame(rows, fpc);
    let cat = rows.iter().map(|r| f64::from(u8::from(r.y > 0.0)) + f64::from(u8::from(r.y > 20.0))).collect();
    frame.push("cat", Column::Number(cat));
    let n_cells = CELLS as usize;
    let cells = rows.iter().map(|r| if r.used { cell(r) } else { MISSING_CODE }).collect();
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
        rows in rows((-50.0f64..50.0).prop_map(f64::round), 0.9, 10..120),
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

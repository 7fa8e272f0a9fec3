//! At-risk-of-poverty rates of every set in one moments pass (sets over
//! cells with regions) agree with the rates estimated set by set (the same
//! sets without regions), for values and for differences across sets, on
//! random designs: two poverty populations, rows outside the indicator's
//! population (in shadow cells of no domain) that still set the threshold,
//! missing incomes, zero weights, strata across regions, every lonely-PSU
//! policy, finite population corrections.

use proptest::prelude::*;
use urbis_core::{Column, Frame, MISSING_CODE};
use urbis_survey::{
    estimate_domain_sets_within, Design, DomainSets, DomainValue, Grouping, LinearSpec, LonelyPsu, NamedColumn,
    Options, Statistic,
};

const REGIONS: u32 = 4;
const GROUPS: u32 = 3;
const CELLS: u32 = REGIONS * GROUPS;

#[derive(Debug, Clone)]
struct Row {
    stratum: u8,
    psu: u8,
    group: u8,
    income: f64,
    w: f64,
    /// In the indicator's population (else only in the poverty population).
    used: bool,
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            0u8..3,
            0u8..4,
            0u8..3,
            prop_oneof![19 => 1.0f64..100.0, 1 => Just(f64::NAN)],
            prop_oneof![9 => 0.5f64..5.0, 1 => Just(0.0)],
            prop::bool::weighted(0.7),
        ),
        20..150,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(stratum, psu, group, income, w, used)| Row { stratum, psu, group, income, w, used })
            .collect()
    })
}

/// PSUs lie in one region; strata span regions; populations are pairs of regions.
fn region(r: &Row) -> u32 {
    (u32::from(r.stratum) + u32::from(r.psu)) % REGIONS
}

struct Fixture {
    frame: Frame,
    /// Rows outside the indicator's population are in a shadow cell (`+ CELLS`).
    cells: Vec<u32>,
    cell_region: Vec<u32>,
    populations: Grouping,
    sets: Vec<(Vec<u32>, usize)>,
}

fn fixture(rows: &[Row], fpc: bool) -> Fixture {
    let n = rows.len();
    let mut frame = Frame::new("random", n);
    let num = |f: &dyn Fn(&Row) -> f64| Column::Number(rows.iter().map(f).collect());
    frame.push("income", num(&|r| r.income));
    frame.push("w", num(&|r| r.w));
    frame.push("s", num(&|r| f64::from(r.stratum)));
    frame.push("psu", num(&|r| f64::from(r.stratum) * 10.0 + f64::from(r.psu)));
    frame.push("fpc", num(&|r| if fpc { 0.1 + 0.3 * f64::from(r.stratum) } else { 0.0 }));
    let cells = rows.iter().map(|r| region(r) * GROUPS + u32::from(r.group) + if r.used { 0 } else { CELLS }).collect();
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

/// Per set, the rates with or without regions.
fn rates(x: &Fixture, design: &Design, with_regions: bool) -> Vec<Vec<Option<DomainValue>>> {
    let mut sets = DomainSets::over_cells(&x.cells, x.cell_region.len());
    for (map, n) in &x.sets {
        sets.push(map, *n);
    }
    if with_regions {
        sets = sets.with_regions(&x.cell_region);
    }
    let stat = Statistic::Arpr("income".into());
    estimate_domain_sets_within(&x.frame, design, &sets, Some(&x.populations), &stat, &Options::default(), None)
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
        (a, b) => return Err(TestCaseError::fail(format!("{what}: one side missing: {a:?} / {b:?}"))),
    };
    prop_assert_eq!(a.n(), b.n());
    match (a.finish(design, 0.95), b.finish(design, 0.95)) {
        (Ok(x), Ok(y)) => {
            prop_assert!(close(x.estimate, y.estimate, 1e-11), "{what}: estimate {} vs {}", x.estimate, y.estimate);
            prop_assert!(close(x.se, y.se, 1e-7), "{what}: se {} vs {}", x.se, y.se);
            prop_assert!(close(x.df, y.df, 0.0), "{what}: df {} vs {}", x.df, y.df);
        }
        (Err(x), Err(y)) => prop_assert_eq!(x.to_string(), y.to_string()),
        (x, y) => return Err(TestCaseError::fail(format!("{what}: {x:?} / {y:?}"))),
    }
    Ok(())
}

fn check(rows: &[Row], lonely: LonelyPsu, fpc: bool) -> Result<(), TestCaseError> {
    let x = fixture(rows, fpc);
    let design = design(&x.frame, lonely, fpc);
    let (a, b) = (rates(&x, &design, true), rates(&x, &design, false));
    let kinds = |v: &[Vec<Option<DomainValue>>]| v.iter().flatten().flatten().map(spread_kind).collect::<Vec<_>>();
    prop_assert!(kinds(&a).iter().all(|k| *k == "Moments"), "{:?}", kinds(&a));
    prop_assert!(kinds(&b).iter().all(|k| *k != "Moments"), "{:?}", kinds(&b));
    let in_population = |p: u32| rows.iter().any(|r| r.used && !r.income.is_nan() && region(r) / 2 == p);
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
        rows in rows(),
        lonely in prop_oneof![
            Just(LonelyPsu::Remove), Just(LonelyPsu::Adjust), Just(LonelyPsu::Average),
            Just(LonelyPsu::Certainty), Just(LonelyPsu::Fail)
        ],
        fpc in any::<bool>(),
    ) {
        check(&rows, lonely, fpc)?;
    }
}

#[test]
fn a_cell_spanning_populations_falls_back_to_sets_one_by_one() {
    let rows: Vec<Row> = (0..60)
        .map(|i| Row {
            stratum: (i % 2) as u8,
            psu: (i % 4) as u8,
            group: (i % 3) as u8,
            income: (i * 7 % 50) as f64 + 1.0,
            w: 1.0 + (i % 3) as f64,
            used: i % 5 != 0,
        })
        .collect();
    let mut x = fixture(&rows, false);
    // Row 1 joins the other population: its cell now spans two.
    x.populations.codes[1] = 1 - x.populations.codes[1];
    let design = design(&x.frame, LonelyPsu::Remove, false);
    let (a, b) = (rates(&x, &design, true), rates(&x, &design, false));
    assert!(a.iter().flatten().flatten().all(|v| spread_kind(v) != "Moments"));
    for (sa, sb) in a.iter().zip(&b) {
        for (va, vb) in sa.iter().zip(sb) {
            let finish = |v: &Option<DomainValue>| v.as_ref().map(|v| v.finish(&design, 0.95).unwrap());
            assert_eq!(format!("{:?}", finish(va)), format!("{:?}", finish(vb)));
        }
    }
}

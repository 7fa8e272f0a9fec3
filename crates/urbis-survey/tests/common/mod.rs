//! Helpers shared by the property tests: random rows of a stratified
//! cluster sample over regions, their frame and design, and comparisons of
//! domain values.
#![allow(dead_code)] // each test file uses some of them

use proptest::prelude::*;
use urbis_core::{Column, Frame};
use urbis_survey::{Design, DomainValue, LinearSpec, LonelyPsu, NamedColumn};

pub const REGIONS: u32 = 4;
pub const GROUPS: u32 = 3;
/// Cells are region × group.
pub const CELLS: u32 = REGIONS * GROUPS;

/// One random row: 3 strata of 4 PSUs, 3 groups.
#[derive(Debug, Clone)]
pub struct Row {
    pub stratum: u8,
    pub psu: u8,
    pub group: u8,
    pub y: f64,
    pub w: f64,
    /// In the rows' domains (else outside every domain, or in a shadow cell).
    pub used: bool,
}

/// Random rows with values from `y`, about one weight in ten zero, and a
/// row used with probability `used`.
pub fn rows(y: impl Strategy<Value = f64>, used: f64, size: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (0u8..3, 0u8..4, 0u8..3, y, prop_oneof![9 => 0.5f64..5.0, 1 => Just(0.0)], prop::bool::weighted(used)),
        size,
    )
    .prop_map(|v| {
        v.into_iter().map(|(stratum, psu, group, y, w, used)| Row { stratum, psu, group, y, w, used }).collect()
    })
}

/// The region of a row's PSU: PSUs lie in one region, strata span several.
pub fn region(r: &Row) -> u32 {
    (u32::from(r.stratum) + u32::from(r.psu)) % REGIONS
}

/// The row's cell (region × group).
pub fn cell(r: &Row) -> u32 {
    region(r) * GROUPS + u32::from(r.group)
}

/// The frame of the rows: `y`, `w`, strata `s`, PSUs `psu` and sampling
/// fractions `fpc` (per stratum with `fpc`, else 0).
pub fn frame(rows: &[Row], fpc: bool) -> Frame {
    let mut frame = Frame::new("random", rows.len());
    let num = |f: &dyn Fn(&Row) -> f64| Column::Number(rows.iter().map(f).collect());
    frame.push("y", num(&|r| r.y));
    frame.push("w", num(&|r| r.w));
    frame.push("s", num(&|r| f64::from(r.stratum)));
    frame.push("psu", num(&|r| f64::from(r.stratum) * 10.0 + f64::from(r.psu)));
    frame.push("fpc", num(&|r| if fpc { 0.1 + 0.3 * f64::from(r.stratum) } else { 0.0 }));
    frame
}

/// The design of a random frame: weights `w`, strata `s`, PSUs `psu`
/// (numbered within strata), and with `fpc` the sampling fractions `fpc`.
pub fn design(f: &Frame, lonely_psu: LonelyPsu, fpc: bool) -> Design {
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

/// How a value holds its uncertainty (the variant's name in its debug form).
pub fn spread_kind(v: &DomainValue) -> String {
    let text = format!("{v:?}");
    let spread = text.split("spread: ").nth(1).unwrap_or_default();
    spread.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

/// Equal within `tol` relative (plus `tol` absolute), or both NaN.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// Two values give the same n, estimate (1e-11), SE, df and interval (1e-7),
/// or the same error.
pub fn same(a: Option<DomainValue>, b: Option<DomainValue>, design: &Design, what: &str) -> Result<(), TestCaseError> {
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
            prop_assert!(close(x.ci_low, y.ci_low, 1e-7) && close(x.ci_high, y.ci_high, 1e-7));
        }
        (Err(x), Err(y)) => prop_assert_eq!(x.to_string(), y.to_string()),
        (x, y) => return Err(TestCaseError::fail(format!("{what}: {x:?} / {y:?}"))),
    }
    Ok(())
}

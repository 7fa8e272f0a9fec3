//! The arcsine model's point estimates against emdi 2.2.2's bias-corrected
//! back-transformation (`arcsin_bc`, numerical integration of sin² against
//! the normal density on [0, π/2]) applied to R sae's fit on the arcsine
//! scale (`tests/data/arcsin_refs.csv`, made by `make_refs.R`). The
//! bootstrap MSE uses other random numbers than R: it is checked for
//! reproducibility instead (CLI tests).

mod common;

use common::{close, Refs, Table};
use urbis_sae::formula::{design, parse};
use urbis_sae::{fay_herriot_arcsin, ArcsinOptions, FhMethod, FhOptions};

#[test]
fn back_transformed_estimates_match_emdi() {
    let refs = Refs::read("arcsin_refs.csv");
    let t = Table::read("arcsin_prop.csv");
    let xcol = t.covariate("x");
    let x = design(&parse("~ x").unwrap(), t.rows.len(), |_| Some(&xcol)).unwrap();
    let areas = t.text("area");
    for (method, name) in [(FhMethod::Reml, "REML"), (FhMethod::Ml, "ML")] {
        let case = format!("arcsin_{name}");
        let options = ArcsinOptions { fh: FhOptions { method, ..Default::default() }, bootstrap: 0, seed: 1 };
        let fit = fay_herriot_arcsin(&t.numbers("p"), &t.numbers("n"), &x, &options).unwrap();
        close(&format!("{case} variance"), fit.transformed.variance, refs.get(&case, "variance", ""), 1e-9);
        for (area, est) in areas.iter().zip(&fit.estimates) {
            close(&format!("{case} {area}"), *est, refs.get(&case, "estimate", area), 1e-9);
        }
        assert!(fit.mse.iter().all(|m| m.is_nan()), "no MSE without bootstrap");
    }
}

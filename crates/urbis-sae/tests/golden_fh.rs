//! The Fay–Herriot model against R sae 1.3 (`eblupFH`, `mseFH`): milk
//! (the oracle's EXPECTED.md and `make_refs.R`), grapes (no intercept) and a
//! synthetic set with a text factor and areas without a sample. References
//! in `tests/data/fh_sae_refs.csv`, made by `tests/data/make_refs.R`.

mod common;

use common::{close, Refs, Table};
use urbis_sae::formula::{design, parse};
use urbis_sae::{fay_herriot, FhFit, FhMethod, FhOptions};

fn fit(file: &str, formula: &str, direct: &str, vardir: &str, method: FhMethod) -> FhFit {
    let t = Table::read(file);
    let f = parse(formula).unwrap();
    let covariates: Vec<(String, urbis_sae::formula::Covariate)> =
        f.columns().into_iter().map(|c| (c.clone(), t.covariate(&c))).collect();
    let x = design(&f, t.rows.len(), |c| covariates.iter().find(|(n, _)| n == c).map(|(_, v)| v)).unwrap();
    fay_herriot(&t.numbers(direct), &t.numbers(vardir), &x, &FhOptions { method, ..Default::default() }).unwrap()
}

fn methods() -> [(FhMethod, &'static str); 3] {
    [(FhMethod::Reml, "REML"), (FhMethod::Ml, "ML"), (FhMethod::Fh, "FH")]
}

/// Compares a fit with the references of `case`; `areas` maps reference keys to fit rows.
fn check(case: &str, fit: &FhFit, refs: &Refs, areas: &[(String, usize)], tol: f64) {
    close(&format!("{case} variance"), fit.variance, refs.get(case, "variance", ""), tol);
    assert_eq!(fit.convergence.iterations as f64, refs.get(case, "iterations", ""), "{case} iterations");
    for q in ["loglik", "aic", "bic"] {
        let got = match q {
            "loglik" => fit.loglik,
            "aic" => fit.aic,
            _ => fit.bic,
        };
        close(&format!("{case} {q}"), got, refs.get(case, q, ""), tol);
    }
    for (j, c) in fit.coefficients.iter().enumerate() {
        let key = (j + 1).to_string();
        close(&format!("{case} beta {}", c.name), c.estimate, refs.get(case, "beta", &key), tol);
        close(&format!("{case} se {}", c.name), c.std_error, refs.get(case, "se", &key), tol);
        close(&format!("{case} z {}", c.name), c.z_value, refs.get(case, "z", &key), tol);
        close(&format!("{case} p {}", c.name), c.p_value, refs.get(case, "p", &key), 1e-6);
    }
    for (key, i) in areas {
        let a = &fit.areas[*i];
        if refs.has(case, "eblup", key) {
            close(&format!("{case} eblup {key}"), a.eblup, refs.get(case, "eblup", key), tol);
            close(&format!("{case} mse {key}"), a.mse, refs.get(case, "mse", key), tol);
        } else {
            close(&format!("{case} synthetic {key}"), a.eblup, refs.get(case, "synthetic", key), tol);
            close(&format!("{case} synthetic mse {key}"), a.mse, refs.get(case, "synthetic_mse", key), tol);
        }
    }
}

#[test]
fn milk_matches_r_sae_for_reml_ml_and_moments() {
    let refs = Refs::read("fh_sae_refs.csv");
    let areas: Vec<(String, usize)> = (0..43).map(|i| ((i + 1).to_string(), i)).collect();
    for (method, name) in methods() {
        let fit = fit("milk.csv", "yi ~ as.factor(MajorArea)", "yi", "var", method);
        check(&format!("milk_{name}"), &fit, &refs, &areas, 1e-9);
    }
}

/// EXPECTED.md, section milk_sae.csv (REML), and `milk_fh_REML_expected.csv`.
#[test]
fn milk_reml_matches_the_oracle() {
    let fit = fit("milk.csv", "~ factor(MajorArea)", "yi", "var", FhMethod::Reml);
    close("refvar", fit.variance, 0.0185502223227, 1e-9);
    let beta = [0.9681889704, 0.1327801425, 0.2269462189, -0.2413010797];
    let se = [0.06936208412, 0.10300072435, 0.09232981035, 0.08161707047];
    for (j, c) in fit.coefficients.iter().enumerate() {
        close("beta", c.estimate, beta[j], 1e-9);
        close("se", c.std_error, se[j], 1e-9);
    }
    close("loglik", fit.loglik, 12.677478132, 1e-9);
    close("aic", fit.aic, -15.354956264, 1e-9);
    close("bic", fit.bic, -6.548955686, 1e-9);
    let expected = Table::read("milk_fh_REML_expected.csv");
    let (eblup, mse) = (expected.numbers("eblup"), expected.numbers("mse"));
    assert_eq!(eblup.len(), 43);
    for (i, a) in fit.areas.iter().enumerate() {
        close(&format!("eblup {}", i + 1), a.eblup, eblup[i], 1e-9);
        close(&format!("mse {}", i + 1), a.mse, mse[i], 1e-9);
    }
}

#[test]
fn grapes_without_intercept_matches_r_sae() {
    let refs = Refs::read("fh_sae_refs.csv");
    let areas: Vec<(String, usize)> = (0..274).map(|i| ((i + 1).to_string(), i)).collect();
    for (method, name) in methods() {
        let fit = fit("grapes.csv", "grapehect ~ area + workdays - 1", "grapehect", "var", method);
        check(&format!("grapes_{name}"), &fit, &refs, &areas, 1e-8);
    }
}

#[test]
fn synthetic_with_text_factor_and_unsampled_areas_matches_r_sae() {
    let refs = Refs::read("fh_sae_refs.csv");
    let t = Table::read("synth_fh.csv");
    let names = t.text("area");
    let y = t.numbers("y");
    // sae numbers the sampled areas 1..; the others are named.
    let mut areas = Vec::new();
    let mut k = 0;
    for (i, name) in names.iter().enumerate() {
        if y[i].is_nan() {
            areas.push((name.clone(), i));
        } else {
            k += 1;
            areas.push((k.to_string(), i));
        }
    }
    for (method, name) in methods() {
        let fit = fit("synth_fh.csv", "~ x1 + x2 + factor(region)", "y", "psi", method);
        assert_eq!(fit.m, 55);
        check(&format!("synth_{name}"), &fit, &refs, &areas, 1e-9);
    }
}

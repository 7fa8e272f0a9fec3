//! The unit-level model against R sae 1.3 `eblupBHF` (REML by lme4 1.1-31)
//! on Battese, Harter & Fuller's corn and soybean data
//! (`tests/data/bhf_sae_refs.csv`, made by `tests/data/make_refs.R`).

mod common;

use common::{close, Refs, Table};
use urbis_sae::formula::{design, parse};
use urbis_sae::{battese_harter_fuller, BhfFit, PopulationArea};

fn fit(response: &str) -> BhfFit {
    let t = Table::read("cornsoybean.csv");
    let f = parse(&format!("{response} ~ CornPix + SoyBeansPix")).unwrap();
    let (corn, soy) = (t.covariate("CornPix"), t.covariate("SoyBeansPix"));
    let x = design(&f, t.rows.len(), |c| if c == "CornPix" { Some(&corn) } else { Some(&soy) }).unwrap();
    let means = Table::read("cornsoybeanmeans.csv");
    let codes = means.numbers("CountyIndex");
    let (mc, ms, size) =
        (means.numbers("MeanCornPixPerSeg"), means.numbers("MeanSoyBeansPixPerSeg"), means.numbers("PopnSegments"));
    let population: Vec<PopulationArea> =
        (0..codes.len()).map(|d| PopulationArea { means: vec![1.0, mc[d], ms[d]], size: size[d] }).collect();
    let area: Vec<usize> =
        t.numbers("County").iter().map(|c| codes.iter().position(|k| k == c).expect("county")).collect();
    battese_harter_fuller(&t.numbers(response), &x, &area, &population).unwrap()
}

#[test]
fn corn_and_soybeans_match_r_sae_eblup_bhf() {
    let refs = Refs::read("bhf_sae_refs.csv");
    for response in ["CornHec", "SoyBeansHec"] {
        let case = format!("bhf_{response}");
        let fit = fit(response);
        // lme4 stops its optimiser short of the optimum (3e-8 relative in
        // σ²u here); urbis solves the REML equation to machine precision.
        close(&format!("{case} sigma2u"), fit.variance_u, refs.get(&case, "sigma2u", ""), 1e-7);
        close(&format!("{case} sigma2e"), fit.variance_e, refs.get(&case, "sigma2e", ""), 1e-7);
        close(&format!("{case} loglik"), fit.loglik_reml, refs.get(&case, "loglik", ""), 1e-9);
        for (j, c) in fit.coefficients.iter().enumerate() {
            let key = (j + 1).to_string();
            close(&format!("{case} beta {j}"), c.estimate, refs.get(&case, "beta", &key), 1e-7);
            close(&format!("{case} se {j}"), c.std_error, refs.get(&case, "se", &key), 1e-8);
        }
        for (d, a) in fit.areas.iter().enumerate() {
            let key = (d + 1).to_string();
            close(&format!("{case} eblup {key}"), a.eblup, refs.get(&case, "eblup", &key), 1e-8);
            close(&format!("{case} u {key}"), a.u, refs.get(&case, "u", &key), 1e-6);
        }
    }
}

//! The reference figures of the project's oracle `EXPECTED.md` (R survey
//! 4.1-1, convey 0.2.5, laeken 0.5.2), checked to the digits printed there.

mod common;

use common::{csv_rows, data, urbis};

/// Runs `urbis estimate FILE ARGS` and returns (statistic, variable, domain) → (estimate, se, ci_low, ci_high).
fn run(file: &str, args: &str) -> Vec<(String, [f64; 4])> {
    let path = data(file);
    let mut argv = vec!["estimate", path.to_str().expect("path")];
    argv.extend(args.split_whitespace());
    let out = urbis(&argv);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let by: Vec<&str> = argv.windows(2).find(|w| w[0] == "--by").map(|w| w[1].split(',').collect()).unwrap_or_default();
    csv_rows(&out.stdout)
        .into_iter()
        .map(|r| {
            let mut key = format!("{} {}", r["statistic"], r["variable"]);
            for b in &by {
                key.push_str(&format!(" {}={}", b, r[*b]));
            }
            let num = |c: &str| r[c].parse::<f64>().unwrap_or(f64::NAN);
            (key, [num("estimate"), num("se"), num("ci_low"), num("ci_high")])
        })
        .collect()
}

/// Agreement to the last printed digit of `printed`.
fn agrees(got: f64, printed: &str) -> bool {
    let want: f64 = printed.parse().expect("number");
    let decimals = printed.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    (got - want).abs() <= 0.5 * 10f64.powi(-decimals) * 1.000001 + 1e-12 * want.abs()
}

fn check(results: &[(String, [f64; 4])], key: &str, field: usize, printed: &str) {
    let (_, v) = results.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no row {key}"));
    assert!(agrees(v[field], printed), "{key}: field {field} is {} but EXPECTED.md says {printed}", v[field]);
}

const EST: usize = 0;
const SE: usize = 1;
const LOW: usize = 2;
const HIGH: usize = 3;

#[test]
fn apistrat_stratified_design() {
    let r = run(
        "apistrat.csv",
        "--strata stype --weights pw --fpc fpc --mean api00 --total enroll --ratio api.stu/enroll --prop sch.wide --quantile api00:0.5 --quantile api00:0.25",
    );
    check(&r, "mean api00", EST, "662.2873631593");
    check(&r, "mean api00", SE, "9.4089408028");
    check(&r, "total enroll", EST, "3687177.5324");
    check(&r, "total enroll", SE, "114641.716101");
    check(&r, "ratio api.stu/enroll", EST, "0.8369568869");
    check(&r, "ratio api.stu/enroll", SE, "0.0077571032");
    check(&r, "prop sch.wide=Yes", EST, "0.82794801");
    check(&r, "prop sch.wide=Yes", SE, "0.02434");
    check(&r, "quantile api00:0.5", EST, "668");
    check(&r, "quantile api00:0.5", LOW, "642");
    check(&r, "quantile api00:0.5", HIGH, "694");
    check(&r, "quantile api00:0.5", SE, "13.18405579");
    check(&r, "quantile api00:0.25", EST, "565");
    check(&r, "quantile api00:0.25", LOW, "535");
    check(&r, "quantile api00:0.25", HIGH, "597");
    check(&r, "quantile api00:0.25", SE, "15.71945113");

    let hf7 = run("apistrat.csv", "--strata stype --weights pw --fpc fpc --quantile api00:0.5 --qrule hf7");
    check(&hf7, "quantile api00:0.5", EST, "667.6085725");
    check(&hf7, "quantile api00:0.5", SE, "11.10163589");

    let no_fpc = run("apistrat.csv", "--strata stype --weights pw --mean api00");
    check(&no_fpc, "mean api00", SE, "9.5361322969");

    let by =
        run("apistrat.csv", "--strata stype --weights pw --fpc fpc --ratio api.stu/enroll --mean api00 --by stype");
    for (stype, ratio, ratio_se, mean, mean_se) in [
        ("E", "0.8518163060", "0.007032359593", "674.43", "12.38247979"),
        ("H", "0.8105701522", "0.020477256756", "625.82", "14.93712919"),
        ("M", "0.8356957525", "0.018187438390", "636.60", "16.21470731"),
    ] {
        check(&by, &format!("ratio api.stu/enroll stype={stype}"), EST, ratio);
        check(&by, &format!("ratio api.stu/enroll stype={stype}"), SE, ratio_se);
        check(&by, &format!("mean api00 stype={stype}"), EST, mean);
        check(&by, &format!("mean api00 stype={stype}"), SE, mean_se);
    }
}

#[test]
fn apiclus1_cluster_design_and_its_jackknife() {
    let r = run("apiclus1.csv", "--ids dnum --weights pw --fpc fpc --mean api00 --total enroll");
    check(&r, "mean api00", EST, "644.1693989071");
    check(&r, "mean api00", SE, "23.5422406938");
    check(&r, "total enroll", EST, "3404940.1345");
    check(&r, "total enroll", SE, "932235.027041");
    // as.svrepdesign(type = "JK1") of the same design: replicate weights in
    // apiclus1_jk1.csv, scale (1 - 15/757) · 14/15 as R derives it.
    let jk = run(
        "apiclus1_jk1.csv",
        "--weights pw --repweights repw_[0-9]+ --reptype jk1 --scale 0.9148392778511668 --mean api00",
    );
    check(&jk, "mean api00", EST, "644.1693989071");
    check(&jk, "mean api00", SE, "26.3293605895");
}

#[test]
fn nhanes2_nested_psus() {
    let r = run(
        "nhanes2.csv",
        "--strata stratid --ids psuid --nest --weights finalwgt --mean zinc --mean highbp --mean highlead --mean diabetes",
    );
    check(&r, "mean zinc", EST, "87.1820670507");
    check(&r, "mean zinc", SE, "0.4944826862");
    check(&r, "mean highbp", EST, "0.3687432983");
    check(&r, "mean highbp", SE, "0.0143201227");
    check(&r, "mean highlead", EST, "0.0617646335");
    check(&r, "mean highlead", SE, "0.0056842979");
    check(&r, "mean diabetes", EST, "0.0342852568");
    check(&r, "mean diabetes", SE, "0.0018197264");
    let by = run("nhanes2.csv", "--strata stratid --ids psuid --nest --weights finalwgt --mean zinc --by region");
    for (region, est, se) in [
        ("1", "87.22534751", "0.4231294906"),
        ("2", "87.33667349", "0.7814448634"),
        ("3", "86.28939655", "0.7715230216"),
        ("4", "87.90549807", "1.5225610648"),
    ] {
        check(&by, &format!("mean zinc region={region}"), EST, est);
        check(&by, &format!("mean zinc region={region}"), SE, se);
    }
}

#[test]
fn nhanes2_brr_replicates() {
    let r = run(
        "nhanes2brr_subset.csv",
        "--weights finalwgt --repweights brr_[0-9]+ --reptype brr --mean height --mean weight --ratio weight/height",
    );
    check(&r, "mean height", EST, "168.6190268828");
    check(&r, "mean height", SE, "0.3522677550");
    check(&r, "mean weight", EST, "71.8455573627");
    check(&r, "mean weight", SE, "0.5190137755");
    check(&r, "ratio weight/height", EST, "0.4260821492");
    check(&r, "ratio weight/height", SE, "0.0027301046");
}

#[test]
fn eusilc_poverty_and_inequality() {
    let design = "--ids db030 --strata db040 --weights rb050";
    let r = run(
        "eusilc_laeken.csv",
        &format!("{design} --arpt eqIncome --arpr eqIncome --gini eqIncome --qsr eqIncome --median-ratio eqIncome --rmpg eqIncome"),
    );
    check(&r, "arpt eqIncome", EST, "10859.236");
    check(&r, "arpt eqIncome", SE, "87.9470857362");
    let (_, arpt) = r.iter().find(|(k, _)| k == "arpt eqIncome").expect("arpt");
    assert!(agrees(arpt[EST] / 0.6, "18098.72667"), "median {}", arpt[EST] / 0.6);
    check(&r, "arpr eqIncome", EST, "0.1444421817");
    check(&r, "arpr eqIncome", SE, "0.0047595428");
    // Gini as Eurostat/laeken define it, reported as a proportion (laeken: 26.48961921 %).
    let (_, gini) = r.iter().find(|(k, _)| k == "gini eqIncome").expect("gini");
    assert!(agrees(gini[EST] * 100.0, "26.48961921"), "gini {}", gini[EST]);
    check(&r, "qsr eqIncome", EST, "3.970004326");
    check(&r, "median_ratio eqIncome", EST, "1");
    let (_, rmpg) = r.iter().find(|(k, _)| k == "rmpg eqIncome").expect("rmpg");
    assert!(agrees(rmpg[EST] * 100.0, "18.92859682"), "rmpg {}", rmpg[EST]);

    let plain = run("eusilc_laeken.csv", "--weights rb050 --arpr eqIncome");
    check(&plain, "arpr eqIncome", SE, "0.0027661730");

    let by = run("eusilc_laeken.csv", &format!("{design} --arpr eqIncome --by pb220a"));
    check(&by, "arpr eqIncome pb220a=AT", EST, "0.1288876340");
    check(&by, "arpr eqIncome pb220a=EU", EST, "0.1617185469");
    check(&by, "arpr eqIncome pb220a=Other", EST, "0.2281581949");
    let regions = run("eusilc_laeken.csv", &format!("{design} --arpr eqIncome --by db040"));
    check(&regions, "arpr eqIncome db040=Burgenland", EST, "0.1953983651");
    check(&regions, "arpr eqIncome db040=Vienna", EST, "0.1723468321");
    check(&regions, "arpr eqIncome db040=Upper Austria", EST, "0.1088977339");
}

//! `urbis sae` (area-level Fay–Herriot model) and `urbis sae-unit`
//! (nested-error unit-level model): small-area estimates with their MSE,
//! one row per area on stdout, the model summary to `--summary` or stderr.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use clap::ValueEnum;
use serde::Serialize;
use urbis_core::{Column, Frame};
use urbis_io::{read_table, ColumnType, ReadOptions};
use urbis_sae::covariates::{columns_to_read, design_from_frame};
use urbis_sae::formula::{parse, Formula, Term};
use urbis_sae::{
    battese_harter_fuller, fay_herriot, fay_herriot_arcsin, ratio_benchmark, weighted_direct_mean, ArcsinOptions,
    Coefficient, FhFit, FhMethod, FhOptions, PopulationArea, SaeError,
};

use crate::output::{emit, json, number, write_atomic};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  urbis sae crates/urbis-sae/tests/data/milk.csv --area SmallArea --direct yi --var var --formula '~ factor(MajorArea)'\n  urbis sae areas.csv --area code --direct share --var share_var --formula '~ foreign_born' --transform arcsin --n n \\\n      --benchmark population --benchmark-total 0.123"
)]
pub struct Args {
    /// One row per area: CSV (any common delimiter) or Parquet.
    pub file: PathBuf,
    /// Column with the area codes.
    #[arg(long, value_name = "COL")]
    pub area: String,
    /// Column with the direct estimates (empty: an area without a sample, which gets the synthetic estimate).
    #[arg(long, value_name = "COL")]
    pub direct: String,
    /// Column with the sampling variances of the direct estimates (required unless --transform arcsin).
    #[arg(long, value_name = "COL")]
    pub var: Option<String>,
    /// Covariates, as in R: "~ x1 + x2 + factor(region)"; "- 1" drops the intercept.
    #[arg(long, value_name = "FORMULA")]
    pub formula: String,
    /// Estimator of the random-effect variance.
    #[arg(long, value_enum, default_value = "reml")]
    pub method: Method,
    /// Arcsine transformation for proportions (needs --n).
    #[arg(long, value_enum, default_value = "none")]
    pub transform: Transform,
    /// Column with the effective sample sizes (--transform arcsin: sampling variance 1/(4n)).
    #[arg(long, value_name = "COL")]
    pub n: Option<String>,
    /// Bootstrap replicates for the MSE of the arcsine model.
    #[arg(long, value_name = "B", default_value_t = 200)]
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Ratio benchmarking: column with each area's population size (or share).
    #[arg(long, value_name = "COL")]
    pub benchmark: Option<String>,
    /// The parent area's reliable estimate that the population-weighted
    /// estimates must reproduce (default: the weighted mean of the direct estimates).
    #[arg(long, value_name = "VALUE", requires = "benchmark")]
    pub benchmark_total: Option<f64>,
    /// Confidence level of the intervals (normal, from the MSE).
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Maximum Fisher-scoring iterations (R sae: 100).
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Relative change of the variance at which the iteration stops (R sae: 1e-4).
    #[arg(long, default_value_t = 1e-4)]
    pub precision: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write the model summary here (JSON if the name ends in .json, text otherwise) instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the estimates to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Method {
    Reml,
    Ml,
    Fh,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum Transform {
    None,
    Arcsin,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// One area's row.
#[derive(Serialize)]
struct AreaRow {
    area: String,
    direct: f64,
    var: f64,
    eblup: f64,
    mse: f64,
    cv: f64,
    ci_low: f64,
    ci_high: f64,
    gamma: f64,
    synthetic: f64,
    sampled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    eblup_bench: Option<f64>,
}

/// The model summary.
#[derive(Serialize)]
struct Summary {
    model: &'static str,
    method: &'static str,
    formula: String,
    transform: &'static str,
    areas: usize,
    areas_sampled: usize,
    variance: f64,
    variance_se: f64,
    coefficients: Vec<Coefficient>,
    loglik: f64,
    aic: f64,
    bic: f64,
    iterations: usize,
    relative_change: f64,
    variance_truncated_at_zero: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bootstrap: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    benchmark_total: Option<f64>,
    mse_method: &'static str,
}

#[derive(Serialize)]
struct JsonOut<'a, S: Serialize, R: Serialize> {
    summary: &'a S,
    areas: &'a [R],
}

/// The columns of the file by name, and the table they came from.
struct Columns {
    frame: urbis_core::Frame,
    numbers: HashMap<String, Vec<f64>>,
    text: HashMap<String, Vec<Option<String>>>,
    rows: usize,
}

/// Reads `number` columns as numbers and `text` columns as text.
fn read_columns(path: &Path, number: &[String], text: &[String]) -> Result<Columns> {
    let file = path.display().to_string();
    let mut options = ReadOptions::default();
    for c in text.iter().chain(number) {
        if !options.columns.contains(c) {
            options.columns.push(c.clone());
        }
    }
    for c in number {
        options.types.insert(c.clone(), ColumnType::Number);
    }
    for c in text {
        options.types.insert(c.clone(), ColumnType::Text);
    }
    let frame = read_table(path, &options)?;
    let rows = frame.n_rows();
    if rows == 0 {
        bail!("{file}: no rows");
    }
    let mut columns = Columns { numbers: HashMap::new(), text: HashMap::new(), rows, frame: Frame::new("", 0) };
    for c in text {
        match frame.column(c) {
            Some(Column::Text(t)) => {
                columns.text.insert(c.clone(), (0..rows).map(|i| t.get(i).map(String::from)).collect());
            }
            _ => bail!("{file}: column '{c}' could not be read as text"),
        }
    }
    for c in number {
        match frame.column(c) {
            Some(Column::Number(v)) => {
                columns.numbers.insert(c.clone(), v.clone());
            }
            _ => bail!("{file}: column '{c}' could not be read as numbers"),
        }
    }
    columns.frame = frame;
    Ok(columns)
}

/// Area codes, each present and unique.
fn area_codes(file: &str, column: &str, columns: &Columns) -> Result<Vec<String>> {
    urbis_sae::covariates::area_codes(&columns.frame, column).map_err(|e| sae_error(file, e, &HashMap::new()))
}

/// The formula's design matrix over the file's rows.
fn covariates(file: &str, formula: &Formula, columns: &Columns) -> Result<urbis_sae::formula::Design> {
    design_from_frame(formula, &columns.frame).map_err(|e| sae_error(file, e, &HashMap::new()))
}

/// A library error with the file name, and the library's generic column
/// names replaced by the user's.
fn sae_error(file: &str, e: SaeError, names: &HashMap<&str, String>) -> anyhow::Error {
    match e {
        SaeError::BadValue { row, column, reason } => {
            let column = names.get(column.as_str()).cloned().unwrap_or(column);
            anyhow!("{file}: row {}, column '{column}': {reason}", row + 1)
        }
        SaeError::MissingColumn(c) => anyhow!("{file}: column '{c}' not found"),
        other => anyhow!("{file}: {other}"),
    }
}

fn check_response(formula: &Formula, direct: &str) -> Result<()> {
    match &formula.response {
        Some(r) if r != direct => {
            bail!("formula '{}': its left-hand side '{r}' is not the --direct column '{direct}'", formula.text)
        }
        _ => Ok(()),
    }
}

pub fn run(args: Args) -> Result<()> {
    let file = args.file.display().to_string();
    if !(args.level > 0.0 && args.level < 1.0) {
        bail!("--level must be between 0 and 1, not {}", args.level);
    }
    let formula = parse(&args.formula)?;
    check_response(&formula, &args.direct)?;
    let arcsin = args.transform == Transform::Arcsin;
    if arcsin && args.n.is_none() {
        bail!("--transform arcsin needs --n COL (the effective sample sizes)");
    }
    if !arcsin && args.var.is_none() {
        bail!("--var COL (the sampling variances of the direct estimates) is required");
    }
    let (mut number, mut text) = columns_to_read(&formula);
    number.extend(
        [Some(args.direct.clone()), args.var.clone(), args.n.clone(), args.benchmark.clone()].into_iter().flatten(),
    );
    text.insert(0, args.area.clone());
    let columns = read_columns(&args.file, &number, &text)?;
    let areas = area_codes(&file, &args.area, &columns)?;
    let x = covariates(&file, &formula, &columns)?;
    let direct = &columns.numbers[&args.direct];
    let nan = vec![f64::NAN; columns.rows];
    let var = args.var.as_ref().map_or(&nan, |c| &columns.numbers[c]);
    let mut names: HashMap<&str, String> = HashMap::new();
    names.insert("direct", args.direct.clone());
    names.insert("vardir", args.var.clone().unwrap_or_default());
    names.insert("n", args.n.clone().unwrap_or_default());
    names.insert("benchmark", args.benchmark.clone().unwrap_or_default());
    if let Some(v) = &args.var {
        if let Some(i) = (0..columns.rows).find(|&i| direct[i].is_finite() && !(var[i].is_finite() && var[i] > 0.0)) {
            let reason = if var[i].is_nan() {
                "the sampling variance is missing for an area with a direct estimate".to_string()
            } else {
                format!("the sampling variance must be a positive number, not {}", var[i])
            };
            bail!("{file}: row {}, column '{v}': {reason}", i + 1);
        }
    }
    let fh = FhOptions {
        method: match args.method {
            Method::Reml => FhMethod::Reml,
            Method::Ml => FhMethod::Ml,
            Method::Fh => FhMethod::Fh,
        },
        max_iter: args.max_iter,
        precision: args.precision,
    };
    let (fit, estimates, mse) = if arcsin {
        let n = &columns.numbers[args.n.as_deref().unwrap_or_default()];
        let options = ArcsinOptions { fh, bootstrap: args.bootstrap, seed: args.seed };
        let a = fay_herriot_arcsin(direct, n, &x, &options).map_err(|e| sae_error(&file, e, &names))?;
        (a.transformed, a.estimates, a.mse)
    } else {
        let f = fay_herriot(direct, var, &x, &fh).map_err(|e| sae_error(&file, e, &names))?;
        let (e, m) = (f.areas.iter().map(|a| a.eblup).collect(), f.areas.iter().map(|a| a.mse).collect());
        (f, e, m)
    };
    let bench = match &args.benchmark {
        None => None,
        Some(c) => {
            let w = &columns.numbers[c];
            let target = args.benchmark_total.unwrap_or_else(|| weighted_direct_mean(direct, w));
            let b = ratio_benchmark(&estimates, w, target).map_err(|e| sae_error(&file, e, &names))?;
            Some((b, target))
        }
    };
    let z = urbis_core::dist::qnorm(0.5 + args.level / 2.0);
    let rows: Vec<AreaRow> = (0..columns.rows)
        .map(|i| {
            let a = &fit.areas[i];
            let (est, m) = (estimates[i], mse[i]);
            let rmse = m.sqrt();
            AreaRow {
                area: areas[i].clone(),
                direct: direct[i],
                var: var[i],
                eblup: est,
                mse: m,
                cv: rmse / est.abs(),
                ci_low: est - z * rmse,
                ci_high: est + z * rmse,
                gamma: a.gamma,
                synthetic: if arcsin { a.synthetic.sin().powi(2) } else { a.synthetic },
                sampled: a.in_sample,
                eblup_bench: bench.as_ref().map(|(b, _)| b[i]),
            }
        })
        .collect();
    let summary = Summary {
        model: "Fay-Herriot",
        method: fit.method.name(),
        formula: formula.text.clone(),
        transform: if arcsin { "arcsin" } else { "none" },
        areas: columns.rows,
        areas_sampled: fit.m,
        variance: fit.variance,
        variance_se: fit.variance_var.sqrt(),
        coefficients: fit.coefficients.clone(),
        loglik: fit.loglik,
        aic: fit.aic,
        bic: fit.bic,
        iterations: fit.convergence.iterations,
        relative_change: fit.convergence.relative_change,
        variance_truncated_at_zero: fit.convergence.truncated_at_zero,
        bootstrap: arcsin.then_some(args.bootstrap),
        benchmark_total: bench.as_ref().map(|(_, t)| *t),
        mse_method: mse_method(&fit, arcsin, args.bootstrap),
    };
    let bytes = match args.format {
        Format::Csv => area_csv(&rows)?,
        Format::Json => json(&JsonOut { summary: &summary, areas: &rows })?,
    };
    let summary_bytes = summary_bytes(&summary, args.summary.as_deref())?;
    emit(args.out.as_deref(), &bytes)?;
    write_summary(args.summary.as_deref(), &summary_bytes)
}

fn mse_method(fit: &FhFit, arcsin: bool, bootstrap: usize) -> &'static str {
    match (arcsin, bootstrap, fit.method) {
        (true, 0, _) => "none",
        (true, _, _) => "parametric bootstrap (emdi)",
        (false, _, FhMethod::Ml) => "Datta-Lahiri",
        (false, _, _) => "Prasad-Rao",
    }
}

fn area_csv(rows: &[AreaRow]) -> Result<Vec<u8>> {
    let bench = rows.first().is_some_and(|r| r.eblup_bench.is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header =
        vec!["area", "direct", "var", "eblup", "mse", "cv", "ci_low", "ci_high", "gamma", "synthetic", "sampled"];
    if bench {
        header.push("eblup_bench");
    }
    w.write_record(&header)?;
    for r in rows {
        let mut record = vec![
            r.area.clone(),
            number(r.direct),
            number(r.var),
            number(r.eblup),
            number(r.mse),
            number(r.cv),
            number(r.ci_low),
            number(r.ci_high),
            number(r.gamma),
            number(r.synthetic),
            r.sampled.to_string(),
        ];
        if let Some(b) = r.eblup_bench {
            record.push(number(b));
        }
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| anyhow!("{e}"))
}

/// The summary as JSON (for a .json file) or text.
fn summary_bytes(summary: &Summary, path: Option<&Path>) -> Result<Vec<u8>> {
    if path.is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))) {
        return json(summary);
    }
    let mut t = String::new();
    writeln!(t, "{} model, {} ({}), transform {}", summary.model, summary.method, summary.formula, summary.transform)?;
    writeln!(t, "areas: {} ({} with a direct estimate)", summary.areas, summary.areas_sampled)?;
    writeln!(t, "random-effect variance: {} (SE {})", summary.variance, summary.variance_se)?;
    writeln!(t, "log-likelihood {}  AIC {}  BIC {}", summary.loglik, summary.aic, summary.bic)?;
    writeln!(
        t,
        "iterations {} (last relative change {:.3e}){}",
        summary.iterations,
        summary.relative_change,
        if summary.variance_truncated_at_zero { "; variance truncated at 0" } else { "" }
    )?;
    coefficient_text(&mut t, &summary.coefficients)?;
    writeln!(t, "MSE: {}", summary.mse_method)?;
    if let Some(total) = summary.benchmark_total {
        writeln!(t, "ratio benchmarking to {total}")?;
    }
    Ok(t.into_bytes())
}

fn coefficient_text(t: &mut String, coefficients: &[Coefficient]) -> Result<()> {
    writeln!(t, "{:<24} {:>14} {:>14} {:>10} {:>10}", "coefficient", "estimate", "std.error", "z", "p")?;
    for c in coefficients {
        writeln!(
            t,
            "{:<24} {:>14.6e} {:>14.6e} {:>10.4} {:>10.3e}",
            c.name, c.estimate, c.std_error, c.z_value, c.p_value
        )?;
    }
    Ok(())
}

fn write_summary(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => write_atomic(p, bytes),
        None => {
            eprint!("{}", String::from_utf8_lossy(bytes));
            Ok(())
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example (Battese, Harter & Fuller's corn data):\n  urbis sae-unit crates/urbis-sae/tests/data/cornsoybean.csv --area County --formula 'CornHec ~ CornPix + SoyBeansPix' \\\n      --means crates/urbis-sae/tests/data/cornsoybeanmeans.csv --means-area CountyIndex --pop-size PopnSegments \\\n      --mean-column CornPix=MeanCornPixPerSeg --mean-column SoyBeansPix=MeanSoyBeansPixPerSeg"
)]
pub struct UnitArgs {
    /// The sample: one row per unit (CSV or Parquet).
    pub file: PathBuf,
    /// Column with each unit's area code (in FILE and, unless --means-area, in --means).
    #[arg(long, value_name = "COL")]
    pub area: String,
    /// The model: "y ~ x1 + x2" with numeric covariates.
    #[arg(long, value_name = "FORMULA")]
    pub formula: String,
    /// Population table: one row per area with the population mean of every covariate.
    #[arg(long, value_name = "FILE")]
    pub means: PathBuf,
    /// Column of --means with the area codes (default: the --area name).
    #[arg(long, value_name = "COL")]
    pub means_area: Option<String>,
    /// Column of --means with the population sizes N_d (without it, sampling fractions are taken as 0).
    #[arg(long, value_name = "COL")]
    pub pop_size: Option<String>,
    /// A covariate whose population mean has another name in --means: COVARIATE=COLUMN (repeatable).
    #[arg(long, value_name = "X=COL")]
    pub mean_column: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write the model summary here (JSON if the name ends in .json) instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the estimates to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
struct UnitRow {
    area: String,
    n: usize,
    sample_mean: f64,
    eblup: f64,
    synthetic: f64,
    u: f64,
    gamma: f64,
}

#[derive(Serialize)]
struct UnitSummary {
    model: &'static str,
    method: &'static str,
    formula: String,
    units: usize,
    areas: usize,
    areas_sampled: usize,
    variance_u: f64,
    variance_e: f64,
    coefficients: Vec<Coefficient>,
    loglik_reml: f64,
}

pub fn run_unit(args: UnitArgs) -> Result<()> {
    let file = args.file.display().to_string();
    let means_file = args.means.display().to_string();
    let formula = parse(&args.formula)?;
    let Some(response) = formula.response.clone() else {
        bail!("formula '{}': the unit-level model needs the response on the left, as 'y ~ x1 + x2'", formula.text)
    };
    if let Some(t) = formula.terms.iter().find(|t| matches!(t, Term::Factor(_))) {
        bail!(
            "formula '{}': factor({}) is not supported in the unit-level model; give each level's 0/1 column and its population share",
            formula.text,
            t.column()
        );
    }
    let mut renamed: HashMap<String, String> = HashMap::new();
    for m in &args.mean_column {
        let Some((x, c)) = m.split_once('=') else { bail!("--mean-column '{m}': write it as COVARIATE=COLUMN") };
        renamed.insert(x.trim().to_string(), c.trim().to_string());
    }
    let covariates_used = formula.columns();
    let mut sample_columns = covariates_used.clone();
    sample_columns.push(response.clone());
    let sample = read_columns(&args.file, &sample_columns, std::slice::from_ref(&args.area))?;
    let x = covariates(&file, &formula, &sample)?;
    let means_area = args.means_area.clone().unwrap_or_else(|| args.area.clone());
    let mean_columns: Vec<String> =
        covariates_used.iter().map(|c| renamed.get(c).cloned().unwrap_or_else(|| c.clone())).collect();
    let mut pop_number = mean_columns.clone();
    pop_number.extend(args.pop_size.clone());
    let pop = read_columns(&args.means, &pop_number, std::slice::from_ref(&means_area))?;
    let codes = area_codes(&means_file, &means_area, &pop)?;
    let index: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    let mut area = Vec::with_capacity(sample.rows);
    for (i, code) in sample.text[&args.area].iter().enumerate() {
        let Some(code) = code else { bail!("{file}: row {}, column '{}': the area code is missing", i + 1, args.area) };
        let Some(&d) = index.get(code.as_str()) else {
            bail!("{file}: row {}, column '{}': area '{code}' is not in {means_file}", i + 1, args.area)
        };
        area.push(d);
    }
    let mut population = Vec::with_capacity(pop.rows);
    for d in 0..pop.rows {
        let mut means = Vec::with_capacity(x.cols());
        if formula.intercept {
            means.push(1.0);
        }
        for c in &mean_columns {
            let v = pop.numbers[c][d];
            if !v.is_finite() {
                bail!("{means_file}: row {}, column '{c}': the population mean is missing", d + 1);
            }
            means.push(v);
        }
        let size = args.pop_size.as_ref().map_or(f64::INFINITY, |c| pop.numbers[c][d]);
        if args.pop_size.is_some() && !(size.is_finite() && size > 0.0) {
            bail!(
                "{means_file}: row {}, column '{}': the population size must be positive",
                d + 1,
                args.pop_size.as_deref().unwrap_or_default()
            );
        }
        population.push(PopulationArea { means, size });
    }
    let names = HashMap::from([("response", response.clone())]);
    let fit = battese_harter_fuller(&sample.numbers[&response], &x, &area, &population)
        .map_err(|e| sae_error(&file, e, &names))?;
    let rows: Vec<UnitRow> = fit
        .areas
        .iter()
        .zip(&codes)
        .map(|(a, code)| UnitRow {
            area: code.clone(),
            n: a.n,
            sample_mean: a.sample_mean,
            eblup: a.eblup,
            synthetic: a.synthetic,
            u: a.u,
            gamma: a.gamma,
        })
        .collect();
    let summary = UnitSummary {
        model: "Battese-Harter-Fuller",
        method: "REML",
        formula: formula.text.clone(),
        units: fit.n,
        areas: pop.rows,
        areas_sampled: fit.areas_sampled,
        variance_u: fit.variance_u,
        variance_e: fit.variance_e,
        coefficients: fit.coefficients.clone(),
        loglik_reml: fit.loglik_reml,
    };
    let bytes = match args.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["area", "n", "sample_mean", "eblup", "synthetic", "u", "gamma"])?;
            for r in &rows {
                w.write_record([
                    r.area.clone(),
                    r.n.to_string(),
                    number(r.sample_mean),
                    number(r.eblup),
                    number(r.synthetic),
                    number(r.u),
                    number(r.gamma),
                ])?;
            }
            w.into_inner().map_err(|e| anyhow!("{e}"))?
        }
        Format::Json => json(&JsonOut { summary: &summary, areas: &rows })?,
    };
    let summary_bytes = if args
        .summary
        .as_deref()
        .is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")))
    {
        json(&summary)?
    } else {
        let mut t = String::new();
        writeln!(t, "{} model, {} ({})", summary.model, summary.method, summary.formula)?;
        writeln!(t, "units: {}; areas: {} ({} with a sample)", summary.units, summary.areas, summary.areas_sampled)?;
        writeln!(
            t,
            "variance of the area effects: {}; of the unit errors: {}",
            summary.variance_u, summary.variance_e
        )?;
        writeln!(t, "REML log-likelihood {}", summary.loglik_reml)?;
        coefficient_text(&mut t, &summary.coefficients)?;
        t.into_bytes()
    };
    emit(args.out.as_deref(), &bytes)?;
    write_summary(args.summary.as_deref(), &summary_bytes)
}

//! Small-area estimates in the indicator table (`[[small_area]]`,
//! docs/methods/sae.md): for an indicator at a level, the direct figures of
//! every (breakdown, group, year) and their sampling variances (SE², before
//! the publication rules blank anything) are fitted with the Fay–Herriot
//! model on covariates from a table joined by area code. Areas whose direct
//! figure fails the publication rules (flagged, not published or
//! confidential: [`crate::publication::fails`]), and areas of the level
//! without a direct figure, get the model estimate with method `fh`:
//! the EBLUP (the synthetic estimate `x'β` without a sample), SE the root of
//! its MSE and a normal interval from it. The rules then judge the model
//! figure ([`crate::publication::ModelNote`]). The covariate table is read
//! as `urbis sae` reads it ([`urbis_sae::covariates`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;
use urbis_core::{IndicatorRow, Measure};
use urbis_io::{read_table, ColumnType, ReadOptions};
use urbis_sae::covariates::{area_codes, columns_to_read, design_from_frame};
use urbis_sae::formula::{parse, Design};
use urbis_sae::{fay_herriot, Coefficient, FhMethod, FhOptions, SaeError};

use crate::catalogue::{Indicator, Kind};
use crate::config::{Config, ConfigError, SmallAreaSpec, Source};
use crate::geography::Hierarchy;
use crate::pipeline::{RunError, Selected};
use crate::publication::{fails, Concentration, ModelNote, Rules, FH};

/// The method of the direct figures a model may replace.
const DIRECT: &str = "direct";

/// A `[[small_area]]` table, checked, with its design matrix.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub indicator: String,
    pub level: String,
    pub method: FhMethod,
    pub formula: String,
    pub covariates: String,
    /// The level's areas, in the order of the design's rows.
    pub areas: Vec<String>,
    pub design: Design,
    /// The groups to model, with their configuration lines (all when `None`).
    pub groups: Option<Vec<(String, usize)>>,
}

/// One model fitted, for `metadata.json` (docs/formats.md).
#[derive(Debug, Clone, Serialize)]
pub struct SmallAreaMeta {
    pub indicator: String,
    pub level: String,
    pub breakdown: String,
    pub group: String,
    pub time: String,
    /// `REML`, `ML` or `FH` (the estimator of the random-effect variance).
    pub method: String,
    pub formula: String,
    pub covariates: String,
    /// Areas of the level, and those with a direct estimate in the fit.
    pub areas: usize,
    pub areas_sampled: usize,
    /// The random-effect variance σ²_u and its standard error.
    #[serde(serialize_with = "number")]
    pub sigma2_u: f64,
    #[serde(serialize_with = "number")]
    pub sigma2_u_se: f64,
    pub beta: Vec<Coefficient>,
    #[serde(serialize_with = "number")]
    pub loglik: f64,
    #[serde(serialize_with = "number")]
    pub aic: f64,
    #[serde(serialize_with = "number")]
    pub bic: f64,
    pub iterations: usize,
    pub converged: bool,
    pub variance_truncated_at_zero: bool,
    /// `Prasad-Rao` or `Datta-Lahiri`.
    pub mse: String,
    /// Areas published with the model estimate (method `fh`).
    pub areas_replaced: Vec<String>,
    /// Why the model could not be fitted (then nothing is replaced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// NaN (a model that was not fitted) as null.
fn number<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else {
        s.serialize_none()
    }
}

/// Checks every `[[small_area]]` table and reads its covariates; errors name
/// the configuration line.
pub(crate) fn load(
    config: &Config,
    text: &Source,
    base: &Path,
    hierarchy: &Hierarchy,
    levels: &[String],
    indicators: &[Selected],
) -> Result<Vec<Model>, RunError> {
    let mut models = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for spec in &config.small_areas {
        models.push(load_one(spec, text, base, hierarchy, levels, indicators, &mut seen)?);
    }
    Ok(models)
}

fn load_one(
    spec: &SmallAreaSpec,
    text: &Source,
    base: &Path,
    hierarchy: &Hierarchy,
    levels: &[String],
    indicators: &[Selected],
    seen: &mut BTreeSet<(String, String)>,
) -> Result<Model, RunError> {
    let err = |at: &toml::Spanned<String>, m: String| RunError(text.error(at, m));
    let id = spec.indicator.get_ref().trim().to_string();
    let Some(indicator) = indicators.iter().find(|s| s.def.id == id) else {
        return Err(err(&spec.indicator, format!("small_area: indicator '{id}' is not among indicators.compute")));
    };
    if indicator.def.kind == Kind::Register {
        return Err(err(
            &spec.indicator,
            format!(
                "small_area: indicator '{id}' comes from register counts; small-area models are for survey figures"
            ),
        ));
    }
    let level = spec.level.get_ref().trim().to_string();
    if !levels.contains(&level) {
        return Err(err(
            &spec.level,
            format!("small_area: '{level}' is not one of geography.levels ({})", levels.join(", ")),
        ));
    }
    if !seen.insert((id.clone(), level.clone())) {
        return Err(err(&spec.indicator, format!("small_area: a second model for '{id}' at level '{level}'")));
    }
    let method = match &spec.method {
        None => FhMethod::Reml,
        Some(m) => match m.get_ref().trim().to_lowercase().as_str() {
            "reml" => FhMethod::Reml,
            "ml" => FhMethod::Ml,
            "fh" => FhMethod::Fh,
            other => return Err(err(m, format!("small_area: unknown method '{other}' (reml, ml, fh)"))),
        },
    };
    let formula = parse(spec.formula.get_ref()).map_err(|e| err(&spec.formula, format!("small_area: {e}")))?;
    if let Some(r) = &formula.response {
        return Err(err(
            &spec.formula,
            format!(
                "small_area: formula '{}': no left-hand side ('{r}'): the response is the indicator, write '~ x1 + ...'",
                formula.text
            ),
        ));
    }
    // Read as `urbis sae` reads its table.
    let area = spec.area.get_ref().clone();
    let (numeric, factors) = columns_to_read(&formula);
    let mut options = ReadOptions::default();
    options.columns.push(area.clone());
    options.types.insert(area.clone(), ColumnType::Text);
    for c in numeric.iter().chain(&factors) {
        if !options.columns.contains(c) {
            options.columns.push(c.clone());
        }
    }
    for c in &numeric {
        options.types.insert(c.clone(), ColumnType::Number);
    }
    for c in &factors {
        if *c != area {
            options.types.insert(c.clone(), ColumnType::Text);
        }
    }
    let path = base.join(spec.covariates.get_ref());
    let file = path.display().to_string();
    let table = read_table(&path, &options).map_err(|e| err(&spec.covariates, format!("small_area: {e}")))?;
    let in_file = |e: SaeError| match e {
        SaeError::BadValue { row, column, reason } => {
            err(&spec.covariates, format!("small_area: {file}: row {}, column '{column}': {reason}", row + 1))
        }
        SaeError::MissingColumn(c) => err(&spec.covariates, format!("small_area: {file}: column '{c}' not found")),
        SaeError::Formula { .. } => err(&spec.formula, format!("small_area: {e}")),
        other => err(&spec.covariates, format!("small_area: {file}: {other}")),
    };
    let codes = area_codes(&table, &area).map_err(in_file)?;
    let full = design_from_frame(&formula, &table).map_err(in_file)?;
    let index: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    // The level's areas: from the hierarchy, or (a single level without
    // one) the table's.
    let k = levels.iter().position(|l| *l == level).expect("checked");
    let mut areas: Vec<String> =
        hierarchy.links().into_iter().filter(|l| l.level == level).map(|l| l.code).collect::<Vec<_>>();
    if areas.is_empty() && k == 0 {
        areas = codes.clone();
        areas.sort();
    }
    let missing: Vec<&str> = areas.iter().filter(|a| !index.contains_key(a.as_str())).map(String::as_str).collect();
    if !missing.is_empty() {
        let shown = missing.iter().take(5).map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
        let more = if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() };
        return Err(err(
            &spec.covariates,
            format!(
                "small_area: {file}: {} area(s) of level '{level}' have no row (column '{area}'): {shown}{more}",
                missing.len()
            ),
        ));
    }
    let rows: Vec<usize> = areas.iter().map(|a| index[a.as_str()]).collect();
    let groups = spec
        .groups
        .as_ref()
        .map(|g| g.iter().map(|g| (g.get_ref().trim().to_string(), text.line(g.span().start))).collect::<Vec<_>>());
    Ok(Model {
        indicator: id,
        level,
        method,
        formula: formula.text.clone(),
        covariates: spec.covariates.get_ref().clone(),
        areas,
        design: full.select(&rows),
        groups,
    })
}

/// What [`apply`] did: per row, the note for the publication rules.
pub(crate) struct Applied {
    pub notes: Vec<Option<ModelNote>>,
    pub meta: Vec<SmallAreaMeta>,
}

/// Fits every model and puts the model estimates in place of the failing
/// direct figures (and adds figures for areas without one). `rows` and
/// `concentration` stay parallel; the returned notes are parallel to them.
pub(crate) fn apply(
    models: &[Model],
    rows: &mut Vec<IndicatorRow>,
    concentration: &mut Vec<Option<Concentration>>,
    indicators: &[Indicator],
    rules: &Rules,
    level: f64,
) -> Result<Applied, RunError> {
    let z = urbis_core::dist::qnorm(0.5 + level / 2.0);
    let mut notes: Vec<Option<ModelNote>> = vec![None; rows.len()];
    let mut meta = Vec::new();
    let by_id: HashMap<&str, &Indicator> = indicators.iter().map(|i| (i.id.as_str(), i)).collect();
    for model in models {
        // (breakdown, group, time) → area → row.
        type Cell = (String, String, String);
        let mut cells: BTreeMap<Cell, HashMap<String, usize>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            if r.indicator == model.indicator
                && r.geo_level == model.level
                && r.measure == Measure::Value
                && r.method == DIRECT
            {
                cells
                    .entry((r.breakdown.clone(), r.group.clone(), r.time.clone()))
                    .or_default()
                    .insert(r.geo.clone(), i);
            }
        }
        if let Some(groups) = &model.groups {
            for (g, line) in groups {
                if !cells.keys().any(|(_, group, _)| group == g) {
                    return Err(RunError(ConfigError {
                        line: Some(*line),
                        message: format!(
                            "small_area: indicator '{}' has no figure for group '{g}' at level '{}'",
                            model.indicator, model.level
                        ),
                    }));
                }
            }
        }
        let def = by_id.get(model.indicator.as_str()).copied();
        for ((breakdown, group, time), by_area) in cells {
            if model.groups.as_ref().is_some_and(|g| !g.iter().any(|(g, _)| *g == group)) {
                continue;
            }
            let template = rows[*by_area.values().min().expect("a cell has a row")].clone();
            let mut direct = vec![f64::NAN; model.areas.len()];
            let mut vardir = vec![f64::NAN; model.areas.len()];
            for (d, area) in model.areas.iter().enumerate() {
                let Some(&i) = by_area.get(area) else { continue };
                let (y, se) = (rows[i].estimate, rows[i].se);
                // No sample, or no sampling variance: no direct estimate.
                if y.is_finite() && se.is_finite() && se > 0.0 {
                    direct[d] = y;
                    vardir[d] = se * se;
                }
            }
            let options = FhOptions { method: model.method, ..FhOptions::default() };
            let mut entry = SmallAreaMeta {
                indicator: model.indicator.clone(),
                level: model.level.clone(),
                breakdown: breakdown.clone(),
                group: group.clone(),
                time: time.clone(),
                method: model.method.name().into(),
                formula: model.formula.clone(),
                covariates: model.covariates.clone(),
                areas: model.areas.len(),
                areas_sampled: direct.iter().filter(|y| y.is_finite()).count(),
                sigma2_u: f64::NAN,
                sigma2_u_se: f64::NAN,
                beta: Vec::new(),
                loglik: f64::NAN,
                aic: f64::NAN,
                bic: f64::NAN,
                iterations: 0,
                converged: false,
                variance_truncated_at_zero: false,
                mse: if model.method == FhMethod::Ml { "Datta-Lahiri" } else { "Prasad-Rao" }.into(),
                areas_replaced: Vec::new(),
                error: None,
            };
            let fit = match fay_herriot(&direct, &vardir, &model.design, &options) {
                Ok(fit) => fit,
                Err(e) => {
                    // A caveat, not an error: the direct figures stay.
                    entry.error = Some(e.to_string());
                    meta.push(entry);
                    continue;
                }
            };
            entry.sigma2_u = fit.variance;
            entry.sigma2_u_se = fit.variance_var.sqrt();
            entry.beta = fit.coefficients.clone();
            entry.loglik = fit.loglik;
            entry.aic = fit.aic;
            entry.bic = fit.bic;
            entry.iterations = fit.convergence.iterations;
            entry.converged = true;
            entry.variance_truncated_at_zero = fit.convergence.truncated_at_zero;
            for (d, area) in model.areas.iter().enumerate() {
                let a = &fit.areas[d];
                let existing = by_area.get(area).copied();
                let why = match existing {
                    None => "no direct figure (no respondent)".to_string(),
                    Some(i) => {
                        let conc = concentration.get(i).copied().flatten();
                        match fails(&rows[i], def, conc.as_ref(), rules) {
                            Some(why) => format!("direct figure {why}"),
                            None => continue,
                        }
                    }
                };
                if !(a.eblup.is_finite() && a.mse.is_finite() && a.mse >= 0.0) {
                    continue;
                }
                let rmse = a.mse.sqrt();
                let what = if a.in_sample {
                    format!("EBLUP, gamma = {:.3}", a.gamma)
                } else {
                    "synthetic estimate, no direct estimate in the fit".to_string()
                };
                let reason = format!(
                    "{why}; Fay-Herriot {} model estimate ({what}, CV = {:.1} %)",
                    model.method.name(),
                    100.0 * rmse / a.eblup.abs()
                );
                let note = Some(ModelNote { gamma: a.gamma, reason });
                let mut row = match existing {
                    Some(i) => rows[i].clone(),
                    None => IndicatorRow { geo: area.clone(), n: Some(0), ..template.clone() },
                };
                row.estimate = a.eblup;
                row.se = rmse;
                row.ci_low = a.eblup - z * rmse;
                row.ci_high = a.eblup + z * rmse;
                row.method = FH.into();
                row.flag = String::new();
                row.conf_status = "F".into();
                row.significant = None;
                match existing {
                    Some(i) => {
                        rows[i] = row;
                        notes[i] = note;
                    }
                    None => {
                        rows.push(row);
                        concentration.push(None);
                        notes.push(note);
                    }
                }
                entry.areas_replaced.push(area.clone());
            }
            meta.push(entry);
        }
    }
    Ok(Applied { notes, meta })
}

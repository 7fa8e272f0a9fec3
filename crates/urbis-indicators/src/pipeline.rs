//! `urbis indicators`: from a configuration to the indicator table. For every
//! source year, indicator, area level and migrant-group partition, one
//! estimation pass over the data gives every domain at once; gaps to natives
//! are differences (or ratios) of domain values of the same pass, so their
//! covariance is accounted for. Pooled survey years ([`pool`]) are estimated
//! the same way, from a prepared source holding a window's rows.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use urbis_core::{Column, Estimate, Frame, IndicatorRow, Measure, TextColumn, MISSING_CODE};
use urbis_io::{read_table, ColumnType, ReadOptions};
use urbis_survey::{
    cells_of, estimate_domain_sets_within, Design, DomainSets, DomainValue, Grouping, LinearSpec, LonelyPsu,
    NamedColumn, Options, RepType, ReplicateSpec, SortedValues, Statistic,
};

use crate::catalogue::{catalogue, Gap, Indicator, Kind};
use crate::classify::{looks_like_iso2, NAT, TOTAL};
use crate::config::{Config, ConfigError, SourceSpec, Text, VariableSpec};
use crate::expr::{Expr, Truth};
use crate::geography::Hierarchy;
use crate::harmonise::{
    canonical_variable, definition_id, derive_groups, derive_overcrowded, kind_of, Breakdown, Mapping, UnknownCodes,
    CANONICAL,
};
use crate::publication::rules::{Dominance, PoolMode, Pooling};
use crate::publication::Concentration;

/// An error of a run: a configuration line, or a data problem naming its file.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError(pub ConfigError);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for RunError {}

type Result<T> = std::result::Result<T, RunError>;

fn data_error(message: impl Into<String>) -> RunError {
    RunError(ConfigError { line: None, message: message.into() })
}

/// What a run produced besides the table: for the statistician's review.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Codes no mapping covered, kept as unknown (per source and variable).
    pub unknown_codes: Vec<String>,
    /// Inconsistencies found in the hierarchy.
    pub hierarchy: Vec<String>,
    /// Indicators of `all` that the sources cannot compute, and why.
    pub skipped: Vec<String>,
    /// Small-area models that could not be fitted (their direct figures stay).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub small_area: Vec<String>,
    /// Sum of weights per level (the same at every level: levels add up).
    pub population_by_level: BTreeMap<String, f64>,
    /// Seconds spent reading and harmonising each source and on each indicator.
    pub seconds: Vec<(String, f64)>,
}

/// The indicator table and everything needed to describe it.
#[derive(Debug, Clone)]
pub struct Run {
    /// The figures, after the publication rules (suppressed ones blanked).
    pub rows: Vec<IndicatorRow>,
    pub report: Report,
    /// What the publication rules flagged or suppressed, and why.
    pub review: crate::publication::Review,
    pub metadata: Metadata,
    /// Every area of the hierarchy with its parent (for the store and the dashboard).
    pub areas: Vec<crate::geography::AreaLink>,
    /// Population and degree of urbanisation of the areas (`crate::area_facts`).
    pub facts: Vec<urbis_core::AreaFacts>,
}

/// Metadata file content: indicators, concepts and sources used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metadata {
    pub project: String,
    pub software: String,
    pub reporting_country: String,
    pub confidence_level: f64,
    pub indicators: Vec<Indicator>,
    pub definitions: BTreeMap<String, String>,
    pub sources: Vec<SourceMeta>,
    pub levels: Vec<String>,
    /// How pooled years were used, when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooling: Option<PoolingMeta>,
    /// The small-area models fitted (`[[small_area]]`): one per indicator,
    /// level, breakdown, group and year, with their diagnostics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub small_area: Vec<crate::small_area::SmallAreaMeta>,
}

/// The pooling of survey years, for the metadata (docs/publication.md).
#[derive(Debug, Clone, Serialize)]
pub struct PoolingMeta {
    /// `fallback` or `always`.
    pub mode: String,
    /// Years per window.
    pub years: usize,
    pub method: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceMeta {
    pub name: String,
    pub file: String,
    pub rows: usize,
    pub years: Vec<String>,
    pub design: String,
    pub variables: BTreeMap<String, String>,
    /// Windows of pooled years computed from the source (`2021-2023`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pooled: Vec<String>,
}

/// Runs the configuration. `base` is the configuration's folder (relative
/// paths resolve from it); `progress(done, total)` is called after each step.
pub fn run(
    config: &Config,
    text: &crate::config::Source,
    base: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Run> {
    let country = match &config.project.country {
        Some(c) => {
            let code = c.get_ref().trim().to_string();
            if !looks_like_iso2(&code) {
                return Err(RunError(text.error(c, format!("'{code}' is not an ISO 3166 alpha-2 country code"))));
            }
            Some(code)
        }
        None => None,
    };
    if !(config.project.level > 0.0 && config.project.level < 1.0) {
        return Err(data_error(format!("project.level must be between 0 and 1, got {}", config.project.level)));
    }
    let rules = crate::publication::Rules::from_config(&config.publication, text).map_err(RunError)?;
    let indicators = select_indicators(config, text)?;
    let breakdowns = select_breakdowns(config, text)?;
    for f in &config.output.formats {
        if !["csv", "parquet", "jsonstat", "sdmx"].contains(&f.get_ref().as_str()) {
            return Err(RunError(
                text.error(f, format!("unknown output format '{}' (csv, parquet, jsonstat, sdmx)", f.get_ref())),
            ));
        }
    }
    let mut report = Report::default();
    let (hierarchy, levels, facts) = load_hierarchy(config, text, base, &mut report)?;
    let models = crate::small_area::load(config, text, base, &hierarchy, &levels, &indicators)?;
    let mut metadata = Metadata {
        project: config.project.name.clone(),
        software: format!("urbis {}", env!("CARGO_PKG_VERSION")),
        reporting_country: country.clone().unwrap_or_else(|| "country of each area".into()),
        confidence_level: config.project.level,
        levels: levels.clone(),
        pooling: match rules.pooling.mode {
            PoolMode::Never => None,
            mode => Some(PoolingMeta {
                mode: if mode == PoolMode::Always { "always" } else { "fallback" }.into(),
                years: rules.pooling.years,
                method: format!(
                    "rolling windows of {} consecutive survey years, one ending at each survey year with a full window; \
                     weights divided by {}, strata and PSU ids made unique per year; the poverty threshold is 60 % of the \
                     median of the pooled window",
                    rules.pooling.years, rules.pooling.years
                ),
            }),
        },
        ..Default::default()
    };
    let mut rows = Vec::new();
    // Parallel to the survey rows: the contributions behind magnitude cells.
    let mut concentration: Vec<Option<Concentration>> = Vec::new();
    let pooling = &rules.pooling;
    let mut steps = config.sources.len() * indicators.len().max(1);
    let mut done = 0;
    // Each indicator comes from the first source that can compute it (an LFS
    // file for employment, a SILC file for income); why the others could not
    // is kept for the message when none can.
    let mut computed: BTreeSet<String> = BTreeSet::new();
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();
    for source in &config.sources {
        let clock = std::time::Instant::now();
        let keep_design = pooling.mode != PoolMode::Never;
        let mut prepared =
            prepare_source(text, source, base, &country, &breakdowns, &hierarchy, &levels, keep_design, &mut report)?;
        report.seconds.push((format!("source {}", source.name.get_ref()), clock.elapsed().as_secs_f64()));
        for (id, definition) in &prepared.definitions {
            metadata.definitions.insert(
                definition.clone(),
                describe_definition(id, country.as_deref().unwrap_or("the area's country")),
            );
        }
        let mut todo: Vec<&Indicator> = Vec::new();
        for indicator in &indicators {
            let id = &indicator.def.id;
            if computed.contains(id) || indicator.def.kind == Kind::Register {
                done += 1;
                progress(done, steps);
                continue;
            }
            if let Some(missing) = missing_variables(indicator, &prepared.frame) {
                reasons.entry(id.clone()).or_insert_with(|| {
                    format!(
                        "needs the variable(s) {} which source '{}' does not provide",
                        missing.join(", "),
                        source.name.get_ref()
                    )
                });
                done += 1;
                progress(done, steps);
                continue;
            }
            if population_is_empty(&indicator.def, &prepared.frame) {
                reasons.entry(id.clone()).or_insert_with(|| {
                    format!(
                        "no row of source '{}' is in its population ({})",
                        source.name.get_ref(),
                        indicator.def.population
                    )
                });
                done += 1;
                progress(done, steps);
                continue;
            }
            todo.push(&indicator.def);
            computed.insert(id.clone());
        }
        let windows = match pooling.mode {
            PoolMode::Never => Vec::new(),
            _ if todo.is_empty() => Vec::new(),
            _ => windows(&prepared, pooling, source.name.get_ref())?,
        };
        prepared.meta.pooled = windows.iter().map(|w| w.label.clone()).collect();
        metadata.sources.push(prepared.meta.clone());
        steps += todo.len() * windows.len();
        let (level, dominance) = (config.project.level, rules.dominance.as_ref());
        let done_now = AtomicUsize::new(done);
        if pooling.mode == PoolMode::Always {
            steps -= todo.len();
        } else {
            let tick = || progress(done_now.fetch_add(1, Ordering::Relaxed) + 1, steps);
            for (def, figures) in todo.iter().zip(compute_indicators(&todo, &prepared, level, dominance, &tick)) {
                let ((r, c), seconds) = figures?;
                rows.extend(r);
                concentration.extend(c);
                report.seconds.push((def.id.clone(), seconds));
            }
            done = done_now.load(Ordering::Relaxed);
        }
        for window in &windows {
            let clock = std::time::Instant::now();
            let pooled = pool(&prepared, window)?;
            report
                .seconds
                .push((format!("pooled {} {}", source.name.get_ref(), window.label), clock.elapsed().as_secs_f64()));
            done_now.store(done, Ordering::Relaxed);
            let tick = || progress(done_now.fetch_add(1, Ordering::Relaxed) + 1, steps);
            for (def, figures) in todo.iter().zip(compute_indicators(&todo, &pooled, level, dominance, &tick)) {
                let ((r, c), seconds) = figures?;
                rows.extend(r);
                concentration.extend(c);
                report.seconds.push((format!("{} {}", def.id, window.label), seconds));
            }
            done = done_now.load(Ordering::Relaxed);
        }
    }
    for indicator in &indicators {
        let id = &indicator.def.id;
        if computed.contains(id) || (indicator.def.kind == Kind::Register && config.register.is_some()) {
            continue;
        }
        let reason = match indicator.def.kind {
            Kind::Register => "needs administrative counts: add a [register] section".to_string(),
            _ => reasons.get(id).cloned().unwrap_or_else(|| "no source could compute it".into()),
        };
        if indicator.explicit {
            return Err(RunError(text.error(&indicator.at, format!("indicator '{id}' {reason}"))));
        }
        report.skipped.push(format!("{id}: {reason}"));
    }
    if let Some(register) = &config.register {
        rows.extend(crate::register::rows(register, text, base, &hierarchy, &levels, &indicators)?);
    }
    metadata.indicators = indicators.iter().map(|i| i.def.clone()).collect();
    let clock = std::time::Instant::now();
    concentration.resize(rows.len(), None);
    let models = crate::small_area::apply(
        &models,
        &mut rows,
        &mut concentration,
        &metadata.indicators,
        &rules,
        config.project.level,
    )?;
    for m in &models.meta {
        if let Some(e) = &m.error {
            report.small_area.push(format!(
                "small-area model for {} at level {} ({}, {}, {}) not fitted, direct figures kept: {e}",
                m.indicator, m.level, m.breakdown, m.group, m.time
            ));
        }
    }
    metadata.small_area = models.meta;
    report.seconds.push(("small-area models".into(), clock.elapsed().as_secs_f64()));
    let clock = std::time::Instant::now();
    let review = crate::publication::apply_with_models(
        &mut rows,
        &concentration,
        &models.notes,
        &metadata.indicators,
        &rules,
        &hierarchy.sums(),
    );
    report.seconds.push(("publication rules".into(), clock.elapsed().as_secs_f64()));
    Ok(Run { rows, report, review, metadata, areas: hierarchy.links(), facts })
}

/// An indicator to compute, and where the configuration asked for it.
pub(crate) struct Selected {
    pub def: Indicator,
    pub at: Text,
    /// Named explicitly (an error when it cannot be computed) or through `all`.
    pub explicit: bool,
}

fn select_indicators(config: &Config, text: &crate::config::Source) -> Result<Vec<Selected>> {
    let mut known: Vec<Indicator> = catalogue();
    for custom in &config.indicators.custom {
        let id = custom.id.get_ref().clone();
        if known.iter().any(|k| k.id == id) {
            return Err(RunError(text.error(&custom.id, format!("indicator id '{id}' is already defined"))));
        }
        let kind = Kind::parse(custom.statistic.get_ref()).ok_or_else(|| {
            RunError(text.error(
                &custom.statistic,
                format!("unknown statistic '{}' (share, mean, median, arpr, median_ratio)", custom.statistic.get_ref()),
            ))
        })?;
        let population = custom.population.as_ref().map(|p| p.get_ref().clone()).unwrap_or_default();
        if let Some(p) = &custom.population {
            Expr::parse(p.get_ref()).map_err(|e| RunError(text.error(p, format!("population: {e}"))))?;
        }
        let numerator = match (&custom.numerator, kind) {
            (Some(n), _) => {
                Expr::parse(n.get_ref()).map_err(|e| RunError(text.error(n, format!("numerator: {e}"))))?;
                n.get_ref().clone()
            }
            (None, Kind::Share) => {
                return Err(RunError(text.error(&custom.statistic, "a share needs a numerator condition")));
            }
            (None, _) => String::new(),
        };
        let variable = match (&custom.variable, kind) {
            (Some(v), _) => v.get_ref().clone(),
            (None, Kind::Share) => String::new(),
            (None, _) => return Err(RunError(text.error(&custom.statistic, "this statistic needs a variable"))),
        };
        let (unit, gap) = match kind {
            Kind::Share | Kind::Arpr => ("PC", Gap::Difference),
            Kind::MedianRatio => ("RT", Gap::Difference),
            _ => ("", Gap::Ratio),
        };
        known.push(Indicator {
            id,
            label: custom.label.clone().unwrap_or_else(|| custom.id.get_ref().clone()),
            family: "custom".into(),
            population,
            numerator,
            variable,
            kind,
            unit: custom.unit.clone().unwrap_or_else(|| unit.to_string()),
            gap,
            source: "survey".into(),
            reference: "defined in the configuration".into(),
        });
    }
    let mut selected = Vec::new();
    for wanted in &config.indicators.compute {
        if wanted.get_ref() == "all" {
            for def in &known {
                if !selected.iter().any(|s: &Selected| s.def.id == def.id) {
                    selected.push(Selected { def: def.clone(), at: wanted.clone(), explicit: false });
                }
            }
            continue;
        }
        let def =
            known.iter().find(|k| &k.id == wanted.get_ref()).ok_or_else(|| {
                let ids: Vec<&str> = known.iter().map(|k| k.id.as_str()).collect();
                RunError(text.error(
                    wanted,
                    format!("unknown indicator '{}' (known: {}, all)", wanted.get_ref(), ids.join(", ")),
                ))
            })?;
        selected.retain(|s| s.def.id != def.id);
        selected.push(Selected { def: def.clone(), at: wanted.clone(), explicit: true });
    }
    Ok(selected)
}

fn select_breakdowns(config: &Config, text: &crate::config::Source) -> Result<Option<Vec<Breakdown>>> {
    let Some(list) = &config.breakdowns else { return Ok(None) };
    list.iter()
        .map(|b| {
            Breakdown::from_code(b.get_ref()).ok_or_else(|| {
                RunError(
                    text.error(
                        b,
                        format!("unknown breakdown '{}' (c_birth, citizen, generation, residence)", b.get_ref()),
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn load_hierarchy(
    config: &Config,
    text: &crate::config::Source,
    base: &Path,
    report: &mut Report,
) -> Result<(Hierarchy, Vec<String>, Vec<urbis_core::AreaFacts>)> {
    let levels: Vec<String> = config.geography.levels.iter().map(|l| l.get_ref().clone()).collect();
    if levels.is_empty() {
        return Err(data_error("geography.levels names no level"));
    }
    let Some(file) = &config.geography.hierarchy else {
        if levels.len() > 1 {
            return Err(RunError(text.error(&config.geography.levels[1], "several levels need geography.hierarchy")));
        }
        if let Some(p) = &config.geography.population {
            return Err(RunError(text.error(p, "geography.population names a column of geography.hierarchy")));
        }
        return Ok((Hierarchy::flat(&levels[0]), levels, Vec::new()));
    };
    let population = config.geography.population.as_ref().map(|p| p.get_ref().as_str());
    let path = base.join(file.get_ref());
    let options = ReadOptions {
        columns: Vec::new(),
        types: levels.iter().map(String::as_str).chain(population).map(|l| (l.to_string(), ColumnType::Text)).collect(),
        missing: vec![String::new()],
        ..Default::default()
    };
    let table = read_table(&path, &options).map_err(|e| RunError(text.error(file, e.to_string())))?;
    let (hierarchy, warnings) = Hierarchy::from_table(&table, &levels)
        .map_err(|e| RunError(text.error(file, format!("{}: {e}", path.display()))))?;
    report.hierarchy = warnings;
    let sources = crate::area_facts::Sources { population, date: config.geography.population_date.as_deref() };
    let facts = crate::area_facts::from_table(&table, &hierarchy, &sources)
        .map_err(|e| RunError(text.error(file, format!("{}: {e}", path.display()))))?;
    Ok((hierarchy, levels, facts))
}

/// A source read, harmonised and ready for estimation.
pub(crate) struct Prepared {
    pub frame: Frame,
    pub design: Design,
    /// Year code per row and the year labels.
    pub years: Grouping,
    /// Area code per row at each level.
    pub geo: Vec<Grouping>,
    pub levels: Vec<String>,
    /// Breakdowns available, with their group columns.
    pub breakdowns: Vec<Breakdown>,
    pub definitions: BTreeMap<Breakdown, String>,
    /// Reporting country of every row.
    pub reporting: TextColumn,
    /// The finest cells of the rows: year, area at every level and group of
    /// every breakdown. Every domain of every indicator is a union of cells.
    pub cells: Vec<u32>,
    /// Per cell: its year, area code at each level, then group code of each breakdown.
    pub cell_keys: Vec<Vec<u32>>,
    /// Per cell: its region (year and area at every level), in which each PSU lies.
    pub cell_regions: Vec<u32>,
    pub meta: SourceMeta,
    /// `direct` for the annual data, `pooled` for a window of pooled years.
    pub method: &'static str,
    /// The design's columns, kept to build pooled designs (linearisation
    /// designs, when pooling is configured).
    pub design_columns: Option<DesignColumns>,
}

/// The columns and options of a linearisation design, by their configured names.
pub(crate) struct DesignColumns {
    pub strata: Option<(String, Column)>,
    pub ids: Option<(String, Column)>,
    pub fpc: Option<(String, Column)>,
    pub nest: bool,
    pub lonely_psu: LonelyPsu,
}

#[allow(clippy::too_many_arguments)]
fn prepare_source(
    text: &crate::config::Source,
    source: &SourceSpec,
    base: &Path,
    country: &Option<String>,
    wanted: &Option<Vec<Breakdown>>,
    hierarchy: &Hierarchy,
    levels: &[String],
    keep_design: bool,
    report: &mut Report,
) -> Result<Prepared> {
    let path: PathBuf = base.join(source.file.get_ref());
    let file = path.display().to_string();
    let d = &source.design;
    let mut columns: BTreeSet<String> = BTreeSet::new();
    for c in [Some(&d.weights), d.strata.as_ref(), d.ids.as_ref(), d.fpc.as_ref(), source.year_column.as_ref()]
        .into_iter()
        .flatten()
    {
        columns.insert(c.get_ref().clone());
    }
    for (name, spec) in &source.variables {
        if kind_of(name.get_ref()).is_none() {
            let known: Vec<&str> = CANONICAL.iter().map(|(n, _, _)| *n).collect();
            return Err(RunError(text.error(
                name,
                format!("unknown canonical variable '{}' (known: {})", name.get_ref(), known.join(", ")),
            )));
        }
        columns.insert(spec.get_ref().column().to_string());
    }
    if !source.variables.keys().any(|k| k.get_ref() == "geo") {
        return Err(RunError(text.error(&source.name, "the source maps no 'geo' variable (the area of each row)")));
    }
    let delimiter = match &source.delimiter {
        Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
        Some(s) => {
            return Err(data_error(format!("source '{}': delimiter '{s}' is not one character", source.name.get_ref())))
        }
        None => None,
    };
    let replicate_columns = match &d.repweights {
        Some(pattern) => {
            let re = regex::Regex::new(pattern.get_ref())
                .map_err(|e| RunError(text.error(pattern, format!("invalid regular expression: {e}"))))?;
            let names = urbis_io::column_names(&path, delimiter)
                .map_err(|e| RunError(text.error(&source.file, e.to_string())))?;
            let found: Vec<String> = names.into_iter().filter(|n| re.is_match(n)).collect();
            if found.is_empty() {
                return Err(RunError(
                    text.error(pattern, format!("no column of {file} matches '{}'", pattern.get_ref())),
                ));
            }
            found
        }
        None => Vec::new(),
    };
    columns.extend(replicate_columns.iter().cloned());
    let mut options = ReadOptions { columns: columns.into_iter().collect(), delimiter, ..Default::default() };
    options.missing.extend(source.missing.iter().cloned());
    for c in std::iter::once(&d.weights).chain(d.fpc.as_ref()) {
        options.types.insert(c.get_ref().clone(), ColumnType::Number);
    }
    let mut raw = read_table(&path, &options).map_err(|e| RunError(text.error(&source.file, e.to_string())))?;
    // The design takes the replicate columns over (unless a variable reads one too).
    let mapped: BTreeSet<&str> = source.variables.values().map(|v| v.get_ref().column()).collect();
    let replicates: Vec<(String, Column)> = replicate_columns
        .iter()
        .map(|c| {
            let column = if mapped.contains(c.as_str()) { raw.column(c).cloned() } else { raw.take(c) };
            (c.clone(), column.expect("column was read"))
        })
        .collect();
    if raw.n_rows() == 0 {
        return Err(RunError(text.error(&source.file, format!("{file}: no data rows"))));
    }

    // Canonical variables. A raw column is dropped once its last variable is
    // made (unless the design or the years read it), so that the raw and the
    // canonical frame are not held in full at the same time.
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for spec in source.variables.values() {
        *uses.entry(spec.get_ref().column()).or_insert(0) += 1;
    }
    for c in [Some(&d.weights), d.strata.as_ref(), d.ids.as_ref(), d.fpc.as_ref(), source.year_column.as_ref()]
        .into_iter()
        .flatten()
    {
        uses.insert(c.get_ref().as_str(), usize::MAX);
    }
    let mut work = Vec::new();
    for (name, spec) in &source.variables {
        let column = spec.get_ref().column();
        let left = uses.get_mut(column).expect("counted above");
        *left = left.saturating_sub(1);
        let taken = if *left == 0 { raw.take(column) } else { None };
        work.push((name, spec, mapping_of(spec, text, base), taken));
    }
    // The variables are made in parallel, then taken in order (so errors
    // and reports come as when made one by one).
    let raw = raw;
    let made: Vec<_> = work
        .into_par_iter()
        .map(|(name, spec, mapping, taken)| {
            let made = mapping.as_ref().ok().map(|mapping| {
                let kind = kind_of(name.get_ref()).expect("checked above");
                let raw_column =
                    taken.or_else(|| raw.column(spec.get_ref().column()).cloned()).expect("column was read");
                canonical_variable(kind, raw_column, mapping)
            });
            (name, spec, mapping, made)
        })
        .collect();
    let mut frame = Frame::new(file.clone(), raw.n_rows());
    let mut mappings: HashMap<String, Mapping> = HashMap::new();
    let mut meta_variables = BTreeMap::new();
    for (name, spec, mapping, made) in made {
        let mapping = mapping?;
        let (column, unknown, first_row) = made.expect("made when mapped");
        if !unknown.is_empty() {
            let at = first_row.map(|r| format!("first in row {}, ", r + 1)).unwrap_or_default();
            let u = UnknownCodes {
                variable: name.get_ref().clone(),
                column: spec.get_ref().column().into(),
                codes: unknown,
            };
            if mapping.keep_unknown {
                report.unknown_codes.push(format!("{} in {file}: {u}", source.name.get_ref()));
            } else {
                return Err(RunError(
                    text.error(spec, format!("{file}: {at}{u}; map these codes or set unknown = \"unknown\"")),
                ));
            }
        }
        meta_variables.insert(name.get_ref().clone(), spec.get_ref().column().to_string());
        frame.push(name.get_ref().clone(), column);
        mappings.insert(name.get_ref().clone(), mapping);
    }
    if frame.column("overcrowded").is_none() {
        if let Some(c) = derive_overcrowded(&frame) {
            frame.push("overcrowded", c);
        }
    }
    // Reporting country of every row.
    let reporting = match country {
        Some(c) => TextColumn { codes: vec![0; raw.n_rows()], levels: vec![c.clone()] },
        None => {
            let Some(k) = levels.iter().position(|l| l == "country") else {
                return Err(data_error(
                    "project.country is not set and geography.levels has no 'country' level to take it from",
                ));
            };
            let geo_column = frame.column("geo").ok_or_else(|| data_error("the source maps no 'geo' variable"))?;
            match hierarchy.codes_at(geo_column, k).map_err(|e| data_error(format!("{file}: {e}")))? {
                Column::Text(t) => t,
                Column::Number(_) => unreachable!("area codes are text"),
            }
        }
    };
    let mut breakdowns = Vec::new();
    let mut definitions = BTreeMap::new();
    for b in Breakdown::ALL {
        let requested = wanted.as_ref().is_none_or(|w| w.contains(&b));
        if !requested {
            continue;
        }
        let available = b.needs().iter().all(|v| frame.column(v).is_some());
        if !available {
            if wanted.is_some() {
                return Err(data_error(format!(
                    "source '{}': breakdown '{}' needs the variable(s) {}",
                    source.name.get_ref(),
                    b.code(),
                    b.needs().join(", ")
                )));
            }
            continue;
        }
        let used: Vec<(&str, &Mapping)> = b.needs().iter().map(|v| (*v, &mappings[*v])).collect();
        definitions.insert(b, definition_id(b, country.as_deref().unwrap_or("byarea"), &used));
        breakdowns.push(b);
    }
    let groups: Vec<Column> =
        breakdowns.par_iter().map(|&b| derive_groups(&frame, b, &reporting).expect("variables present")).collect();
    for (b, column) in breakdowns.iter().zip(groups) {
        frame.push(b.column(), column);
    }
    if breakdowns.is_empty() {
        return Err(data_error(format!(
            "source '{}' maps none of country_birth or citizenship: no migrant group can be formed",
            source.name.get_ref()
        )));
    }

    // Years.
    let years = match (&source.year, &source.year_column) {
        (Some(y), None) => Grouping { codes: vec![0; raw.n_rows()], labels: vec![y.get_ref().to_string()] },
        (None, Some(c)) => {
            let g = Grouping::of_column(raw.column(c.get_ref()).expect("column was read"));
            if let Some(i) = g.codes.iter().position(|&c| c == MISSING_CODE) {
                return Err(data_error(format!("{file}: row {}: the year ('{}') is missing", i + 1, c.get_ref())));
            }
            g
        }
        _ => return Err(RunError(text.error(&source.name, "give exactly one of year or year_column"))),
    };

    // Areas at every level.
    let geo_column = frame.column("geo").expect("geo is mapped");
    let geo: Vec<std::result::Result<Grouping, String>> = (0..levels.len())
        .into_par_iter()
        .map(|k| hierarchy.codes_at(geo_column, k).map(|column| Grouping::of_column(&column)))
        .collect();
    let geo =
        geo.into_iter().collect::<std::result::Result<Vec<_>, _>>().map_err(|e| data_error(format!("{file}: {e}")))?;

    // The design, and the cells of the rows meanwhile.
    let (design, (cells, cell_keys, cell_regions)) = rayon::join(
        || design_of(text, d, &raw, replicates, keep_design, &file),
        || cells(&frame, &years, &geo, &breakdowns),
    );
    let (design, design_columns) = design?;

    let total: f64 = design.weights().iter().sum();
    for level in levels {
        report.population_by_level.insert(level.clone(), total);
    }
    let summary = design.summary();
    let meta = SourceMeta {
        name: source.name.get_ref().clone(),
        file: source.file.get_ref().clone(),
        rows: raw.n_rows(),
        years: years.labels.clone(),
        design: format!(
            "{} design, {} strata, {} PSUs, {} replicates, {} degrees of freedom",
            summary.kind, summary.n_strata, summary.n_psu, summary.n_replicates, summary.df
        ),
        variables: meta_variables,
        pooled: Vec::new(),
    };
    Ok(Prepared {
        frame,
        design,
        years,
        geo,
        levels: levels.to_vec(),
        breakdowns,
        definitions,
        reporting,
        cells,
        cell_keys,
        cell_regions,
        meta,
        method: "direct",
        design_columns,
    })
}

/// The design of a source from its raw columns (the replicate columns are
/// taken over), and its columns when kept for pooling.
fn design_of(
    text: &crate::config::Source,
    d: &crate::config::DesignSpec,
    raw: &Frame,
    replicates: Vec<(String, Column)>,
    keep_design: bool,
    file: &str,
) -> Result<(Design, Option<DesignColumns>)> {
    fn named<'a>(raw: &'a Frame, c: &'a Text) -> NamedColumn<'a> {
        NamedColumn { name: c.get_ref(), column: raw.column(c.get_ref()).expect("column was read") }
    }
    let mut design_columns = None;
    let design = if let Some(reptype) = &d.reptype {
        let rep_type = match reptype.get_ref().as_str() {
            "brr" => RepType::Brr,
            "fay" => RepType::Fay,
            "jk1" => RepType::Jk1,
            "jkn" => RepType::Jkn,
            "bootstrap" => RepType::Bootstrap,
            other => {
                return Err(RunError(
                    text.error(reptype, format!("unknown reptype '{other}' (brr, fay, jk1, jkn, bootstrap)")),
                ))
            }
        };
        Design::replicate(ReplicateSpec {
            weights: named(raw, &d.weights),
            replicates,
            rep_type,
            rho: d.rho,
            scale: d.scale,
            rscales: d.rscales.clone(),
            mse: d.mse,
        })
    } else {
        let lonely_psu = match d.lonely_psu.as_ref().map(|l| l.get_ref().as_str()) {
            None | Some("fail") => LonelyPsu::Fail,
            Some("remove") => LonelyPsu::Remove,
            Some("adjust") => LonelyPsu::Adjust,
            Some("average") => LonelyPsu::Average,
            Some("certainty") => LonelyPsu::Certainty,
            Some(other) => {
                return Err(RunError(text.error(
                    d.lonely_psu.as_ref().expect("given"),
                    format!("unknown lonely_psu '{other}' (fail, remove, adjust, average, certainty)"),
                )))
            }
        };
        if keep_design {
            let kept = |c: &Option<Text>| c.as_ref().map(|c| (c.get_ref().clone(), named(raw, c).column.clone()));
            design_columns = Some(DesignColumns {
                strata: kept(&d.strata),
                ids: kept(&d.ids),
                fpc: kept(&d.fpc),
                nest: d.nest,
                lonely_psu,
            });
        }
        Design::linear(
            raw.n_rows(),
            &LinearSpec {
                weights: Some(named(raw, &d.weights)),
                strata: d.strata.as_ref().map(|c| named(raw, c)),
                ids: d.ids.as_ref().map(|c| named(raw, c)),
                fpc: d.fpc.as_ref().map(|c| named(raw, c)),
                nest: d.nest,
                lonely_psu,
            },
        )
    }
    .map_err(|e| data_error(format!("{file}: {e}")))?;
    Ok((design, design_columns))
}

/// The finest cells of the rows: year × area at every level × group of every breakdown.
/// Returns the cell of every row, the key of every cell and its region ([`regions`]).
fn cells(
    frame: &Frame,
    years: &Grouping,
    geo: &[Grouping],
    breakdowns: &[Breakdown],
) -> (Vec<u32>, Vec<Vec<u32>>, Vec<u32>) {
    let mut parts: Vec<(&[u32], usize)> = vec![(&years.codes, years.len())];
    parts.extend(geo.iter().map(|g| (g.codes.as_slice(), g.len())));
    for b in breakdowns {
        match frame.column(&b.column()) {
            Some(Column::Text(t)) => parts.push((&t.codes, t.levels.len())),
            _ => unreachable!("group columns are text"),
        }
    }
    let (cells, keys) = cells_of(&parts);
    let regions = regions(&keys, geo.len());
    (cells, keys, regions)
}

/// A window of consecutive survey years to pool.
pub(crate) struct Window {
    /// Year codes of the source in the window.
    pub years: Vec<u32>,
    /// `2021-2023`: the time of its figures.
    pub label: String,
}

/// The rolling windows of `pooling.years` consecutive survey years of a
/// source, one ending at each survey year that has the full window.
fn windows(p: &Prepared, pooling: &Pooling, source: &str) -> Result<Vec<Window>> {
    let error = |message: String| RunError(ConfigError { line: pooling.line, message });
    if p.design_columns.is_none() {
        return Err(error(format!(
            "source '{source}' has a replicate-weight design; pooled years need a linearisation design \
             (strata and PSU ids made unique per year)"
        )));
    }
    let mut years: Vec<(i64, u32)> = Vec::new();
    for (code, label) in p.years.labels.iter().enumerate() {
        let year = label.trim().parse::<i64>().map_err(|_| {
            error(format!("source '{source}': pooled years need whole survey years, got the year '{label}'"))
        })?;
        years.push((year, code as u32));
    }
    years.sort_unstable();
    let length = pooling.years as i64;
    let mut out = Vec::new();
    for &(end, _) in &years {
        let span: Vec<u32> =
            years.iter().filter(|(y, _)| (end - length + 1..=end).contains(y)).map(|&(_, code)| code).collect();
        if span.len() == pooling.years {
            out.push(Window { years: span, label: format!("{}-{end}", end - length + 1) });
        }
    }
    if out.is_empty() {
        let have: Vec<String> = years.iter().map(|(y, _)| y.to_string()).collect();
        return Err(error(format!(
            "a pooling window of {length} years needs {length} consecutive survey years, \
             but source '{source}' has {} {}",
            if have.len() == 1 { "only the year" } else { "the years" },
            have.join(", ")
        )));
    }
    Ok(out)
}

/// The rows of one column at the given positions.
fn gather(column: &Column, rows: &[usize]) -> Column {
    match column {
        Column::Number(v) => Column::Number(rows.iter().map(|&i| v[i]).collect()),
        Column::Text(t) => {
            Column::Text(TextColumn { codes: rows.iter().map(|&i| t.codes[i]).collect(), levels: t.levels.clone() })
        }
    }
}

/// The rows of a window of survey years as one sample: weights divided by
/// the number of years (totals are annual averages), strata and PSU ids
/// prefixed with the year (the years are independent samples; a source
/// without strata gets the years as strata), one poverty population per
/// country over the whole window. Every indicator then runs on it as on
/// annual data.
fn pool(p: &Prepared, window: &Window) -> Result<Prepared> {
    let columns = p.design_columns.as_ref().expect("checked by windows()");
    let in_window: Vec<bool> = (0..p.years.len() as u32).map(|c| window.years.contains(&c)).collect();
    let rows: Vec<usize> = (0..p.frame.n_rows())
        .filter(|&i| p.years.codes[i] != MISSING_CODE && in_window[p.years.codes[i] as usize])
        .collect();
    let mut frame = Frame::new(p.frame.source.clone(), rows.len());
    for (name, column) in p.frame.columns() {
        frame.push(name, gather(column, &rows));
    }
    // Text codes `year:value` (the year alone without a column).
    let by_year = |column: Option<&Column>| -> Column {
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut levels = Vec::new();
        let codes = rows
            .iter()
            .map(|&i| {
                let year = &p.years.labels[p.years.codes[i] as usize];
                let key = match column {
                    Some(c) if c.is_missing(i) => return MISSING_CODE,
                    Some(c) => format!("{year}:{}", c.display(i)),
                    None => year.clone(),
                };
                *index.entry(key).or_insert_with_key(|key| {
                    levels.push(key.clone());
                    (levels.len() - 1) as u32
                })
            })
            .collect();
        Column::Text(TextColumn { codes, levels })
    };
    let n_years = window.years.len() as f64;
    let weights = Column::Number(rows.iter().map(|&i| p.design.weights()[i] / n_years).collect());
    let strata = by_year(columns.strata.as_ref().map(|(_, c)| c));
    let ids = columns.ids.as_ref().map(|(name, c)| (name.as_str(), by_year(Some(c))));
    let fpc = columns.fpc.as_ref().map(|(name, c)| (name.as_str(), gather(c, &rows)));
    let strata_name = columns.strata.as_ref().map_or("year", |(name, _)| name.as_str());
    let design = Design::linear(
        rows.len(),
        &LinearSpec {
            weights: Some(NamedColumn { name: "weights", column: &weights }),
            strata: Some(NamedColumn { name: strata_name, column: &strata }),
            ids: ids.as_ref().map(|(name, column)| NamedColumn { name, column }),
            fpc: fpc.as_ref().map(|(name, column)| NamedColumn { name, column }),
            nest: columns.nest,
            lonely_psu: columns.lonely_psu,
        },
    )
    .map_err(|e| data_error(format!("{}: pooled years {}: {e}", p.frame.source, window.label)))?;
    let years = Grouping { codes: vec![0; rows.len()], labels: vec![window.label.clone()] };
    let geo: Vec<Grouping> = p
        .geo
        .iter()
        .map(|g| Grouping { codes: rows.iter().map(|&i| g.codes[i]).collect(), labels: g.labels.clone() })
        .collect();
    let reporting =
        TextColumn { codes: rows.iter().map(|&i| p.reporting.codes[i]).collect(), levels: p.reporting.levels.clone() };
    let (cells, cell_keys, cell_regions) = cells(&frame, &years, &geo, &p.breakdowns);
    Ok(Prepared {
        frame,
        design,
        years,
        geo,
        levels: p.levels.clone(),
        breakdowns: p.breakdowns.clone(),
        definitions: p.definitions.clone(),
        reporting,
        cells,
        cell_keys,
        cell_regions,
        meta: p.meta.clone(),
        method: "pooled",
        design_columns: None,
    })
}

fn mapping_of(spec: &toml::Spanned<VariableSpec>, text: &crate::config::Source, base: &Path) -> Result<Mapping> {
    let VariableSpec::Mapped(m) = spec.get_ref() else { return Ok(Mapping::default()) };
    let mut codes = BTreeMap::new();
    for (from, to) in &m.codes {
        let to = match to {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => urbis_core::frame::format_number(*f),
            toml::Value::Boolean(b) => u8::from(*b).to_string(),
            other => {
                return Err(RunError(
                    text.error(spec, format!("code '{from}' maps to {}, not a code", other.type_str())),
                ))
            }
        };
        codes.insert(from.clone(), to);
    }
    if let Some(table) = &m.table {
        let (from, to) = match (&m.from, &m.to) {
            (Some(f), Some(t)) => (f.clone(), t.clone()),
            _ => return Err(RunError(text.error(spec, "a mapping table needs `from` and `to` column names"))),
        };
        let path = base.join(table);
        let options = ReadOptions {
            columns: vec![from.clone(), to.clone()],
            types: [(from.clone(), ColumnType::Text), (to.clone(), ColumnType::Text)].into(),
            missing: vec![],
            ..Default::default()
        };
        let frame = read_table(&path, &options).map_err(|e| RunError(text.error(spec, e.to_string())))?;
        let (f, t) = (frame.column(&from).expect("read"), frame.column(&to).expect("read"));
        for i in 0..frame.n_rows() {
            codes.insert(f.display(i).trim().to_string(), t.display(i).trim().to_string());
        }
    }
    let keep_unknown = match m.unknown.as_deref() {
        None | Some("error") => false,
        Some("unknown") => true,
        Some(other) => {
            return Err(RunError(text.error(spec, format!("unknown = '{other}': use \"error\" or \"unknown\""))))
        }
    };
    Ok(Mapping { codes, keep_unknown })
}

fn missing_variables(indicator: &Selected, frame: &Frame) -> Option<Vec<String>> {
    let def = &indicator.def;
    if def.kind == Kind::Register {
        return None;
    }
    let mut needed: Vec<String> = Vec::new();
    for e in [&def.population, &def.numerator] {
        if def.kind != Kind::Share && std::ptr::eq(e, &def.numerator) {
            continue;
        }
        if let Ok(expr) = Expr::parse(e) {
            needed.extend(expr.variables().into_iter().map(str::to_string));
        }
    }
    if !def.variable.is_empty() {
        needed.push(def.variable.clone());
    }
    let missing: BTreeSet<String> = needed.into_iter().filter(|v| frame.column(v).is_none()).collect();
    (!missing.is_empty()).then(|| missing.into_iter().collect())
}

/// Whether no row meets the indicator's population condition (for example
/// an age band outside the ages in the data).
fn population_is_empty(def: &Indicator, frame: &Frame) -> bool {
    Expr::parse(&def.population).and_then(|e| e.evaluate(frame)).is_ok_and(|truth| !truth.contains(&Truth::True))
}

fn describe_definition(breakdown: &Breakdown, country: &str) -> String {
    match breakdown {
        Breakdown::CountryOfBirth => format!(
            "Groups by country of birth relative to {country}: NAT born in {country}, EU27_2020_FOR born in another EU member state, NEU27_2020_FOR born outside the EU, FOR all foreign-born"
        ),
        Breakdown::Citizenship => format!(
            "Groups by citizenship relative to {country}: NAT citizens of {country}, EU27_2020_FOR citizens of another EU member state, NEU27_2020_FOR non-EU citizens, FOR all foreign citizens"
        ),
        Breakdown::Generation => "Generations: 1GEN foreign-born, 2GEN native-born with at least one foreign-born parent (2GEN_ONE one, 2GEN_BOTH both), NAT native-born with native-born parents".into(),
        Breakdown::Residence => "Duration of residence of the foreign-born: FOR_LT5Y fewer than 5 years, FOR_GE5Y 5 years or more; NAT native-born".into(),
    }
}

/// (year code, area code, group label) of a domain.
type DomainKey = (u32, u32, String);

/// Every set of domains of an indicator: the domain of each cell and the
/// key of each domain.
#[derive(Default)]
struct IndicatorSets {
    domain_of: Vec<Vec<u32>>,
    keys: Vec<Vec<DomainKey>>,
}

impl IndicatorSets {
    fn push(&mut self, d: Domains) {
        self.domain_of.push(d.domain_of);
        self.keys.push(d.keys);
    }

    /// The sets for the estimator, over the cell of every row.
    fn view<'a>(&'a self, cells: &'a [u32], n_cells: usize) -> DomainSets<'a> {
        let mut view = DomainSets::over_cells(cells, n_cells);
        for (domain_of, keys) in self.domain_of.iter().zip(&self.keys) {
            view.push(domain_of, keys.len());
        }
        view
    }
}

/// The region of every cell: its year and area at every level (a PSU lies
/// in one lowest-level area and one year, so in one region; the estimator
/// checks it and keeps (PSU, domain) totals when a PSU spans regions).
fn regions(cell_keys: &[Vec<u32>], n_levels: usize) -> Vec<u32> {
    let geo = 1 + n_levels;
    let mut code: HashMap<&[u32], u32> = HashMap::new();
    cell_keys
        .iter()
        .map(|key| {
            let next = code.len() as u32;
            *code.entry(&key[..geo]).or_insert(next)
        })
        .collect()
}

/// Domains (year × area × group) of one set, as the domain of every cell;
/// cells outside the population (`used` false) or without a group belong to none.
struct Domains {
    domain_of: Vec<u32>,
    /// (year code, area code, group label) of each domain.
    keys: Vec<(u32, u32, String)>,
}

/// The domains of the areas of `level`, by the groups of the breakdown
/// `groups` (its index among the source's breakdowns and its column) after
/// merging, or of the whole population of each area without.
fn domains(
    p: &Prepared,
    used: &[bool],
    level: usize,
    groups: Option<(usize, &TextColumn)>,
    merge: &[(&str, &str)],
    keep: &[&str],
) -> Domains {
    // Group of each text code after merging, as an index into `labels`.
    let mut labels: Vec<String> = Vec::new();
    let group_of: Vec<u32> = match groups {
        None => {
            labels.push(TOTAL.to_string());
            Vec::new()
        }
        Some((_, t)) => t
            .levels
            .iter()
            .map(|l| {
                let merged = merge.iter().find(|(from, _)| from == l).map_or(l.as_str(), |(_, to)| to);
                if !keep.contains(&merged) {
                    return MISSING_CODE;
                }
                match labels.iter().position(|x| x == merged) {
                    Some(i) => i as u32,
                    None => {
                        labels.push(merged.to_string());
                        (labels.len() - 1) as u32
                    }
                }
            })
            .collect(),
    };
    // Dense (year, area, group) index → domain code, allocated on first use.
    let (n_geo, n_groups) = (p.geo[level].len().max(1), labels.len().max(1));
    let mut code_of = vec![MISSING_CODE; p.years.len().max(1) * n_geo * n_groups];
    let mut keys: Vec<(u32, u32, String)> = Vec::new();
    let group_part = 1 + p.levels.len();
    let domain_of = p
        .cell_keys
        .iter()
        .zip(used)
        .map(|(key, &used)| {
            let (y, g) = (key[0], key[1 + level]);
            let group = match groups {
                None => 0,
                Some((b, _)) => match key[group_part + b] {
                    MISSING_CODE => MISSING_CODE,
                    c => group_of[c as usize],
                },
            };
            if !used || group == MISSING_CODE || y == MISSING_CODE || g == MISSING_CODE {
                return MISSING_CODE;
            }
            let slot = (y as usize * n_geo + g as usize) * n_groups + group as usize;
            if code_of[slot] == MISSING_CODE {
                code_of[slot] = keys.len() as u32;
                keys.push((y, g, labels[group as usize].clone()));
            }
            code_of[slot]
        })
        .collect();
    Domains { domain_of, keys }
}

/// Per group domain: the published value and, for medians, the linearised
/// value used for gaps.
type GroupValues<'a> = BTreeMap<DomainKey, (Cow<'a, DomainValue>, Option<Cow<'a, DomainValue>>)>;

/// What one set of domains of an indicator's pass stands for.
#[derive(Debug, Clone, Copy)]
enum SetRole {
    /// Every area of a level (the TOTAL group).
    Total { level: usize },
    /// The groups of one partition of a breakdown, in every area of a level.
    Groups { level: usize, breakdown: Breakdown },
}

/// The rows of one indicator for one source: one estimation over every
/// area level × group partition, then values and gaps to natives.
/// The rows of an indicator and, parallel to them, the concentration of the
/// contributions behind each magnitude value (when the dominance rule is on).
type Figures = (Vec<IndicatorRow>, Vec<Option<Concentration>>);

/// The sorts of the numeric variables of one prepared source, made by the
/// first quantile-based indicator of a variable and shared by the others
/// (medians and poverty rates of the same income); an indicator asking for
/// a sort another is making waits for it.
#[derive(Default)]
struct Sorts(std::sync::Mutex<HashMap<String, Arc<OnceLock<Arc<SortedValues>>>>>);

impl Sorts {
    fn of(&self, variable: &str, x: &[f64], design: &Design) -> Arc<SortedValues> {
        let slot = {
            let mut sorts = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(sorts.entry(variable.to_string()).or_default())
        };
        Arc::clone(slot.get_or_init(|| Arc::new(SortedValues::new(x, design))))
    }

    /// Frees the sorts (once no indicator will ask for one).
    fn clear(&self) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

/// Values per set of domains and domain, owned by one indicator or shared
/// with others ([`SharedMedians`]).
enum SetValues {
    Owned(PerSet),
    Shared(Arc<PerSet>),
}

impl SetValues {
    /// The owned values (moved out one by one with [`take`]) and the shared
    /// ones (borrowed).
    fn parts(self) -> (PerSet, Option<Arc<PerSet>>) {
        match self {
            SetValues::Owned(values) => (values, None),
            SetValues::Shared(values) => (Vec::new(), Some(values)),
        }
    }
}

/// Domain `d` of set `s`: borrowed from the shared values when there are
/// some, otherwise moved out of the owned ones.
fn take<'a>(owned: &mut PerSet, shared: Option<&'a PerSet>, s: usize, d: usize) -> Option<Cow<'a, DomainValue>> {
    match shared {
        Some(values) => values[s][d].as_ref().map(Cow::Borrowed),
        None => owned.get_mut(s)?.get_mut(d)?.take().map(Cow::Owned),
    }
}

/// A value with its scores formed, copied only when they had to be formed.
fn formed(v: Cow<'_, DomainValue>) -> Cow<'_, DomainValue> {
    match v {
        Cow::Borrowed(v) => v.formed_ref(),
        Cow::Owned(v) => Cow::Owned(v.into_formed()),
    }
}

/// Per set of domains, each domain's value.
type PerSet = Vec<Vec<Option<DomainValue>>>;

/// The linearised medians (`Statistic::Median`) of a variable over a
/// population's sets of domains, which both `median_income` (for its gaps)
/// and `median_income_ratio` use: computed by the first indicator that
/// needs them and kept only until the last one has taken them.
#[derive(Default)]
struct SharedMedians(std::sync::Mutex<HashMap<MedianKey, (Arc<PerSet>, usize)>>);

/// An indicator's population and variable.
type MedianKey = (String, String);

impl SharedMedians {
    /// The key of an indicator using linearised medians, if it does.
    fn key(def: &Indicator) -> Option<MedianKey> {
        matches!(def.kind, Kind::Median | Kind::MedianRatio).then(|| (def.population.clone(), def.variable.clone()))
    }

    /// The medians of `def`'s key if another indicator kept them: shared
    /// while further indicators will use them, handed over to the last.
    fn take(&self, def: &Indicator) -> Option<SetValues> {
        let key = Self::key(def)?;
        let mut kept = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (values, left) = kept.get_mut(&key)?;
        *left -= 1;
        if *left > 0 {
            return Some(SetValues::Shared(Arc::clone(values)));
        }
        let (values, _) = kept.remove(&key).expect("present");
        Some(Arc::try_unwrap(values).map_or_else(SetValues::Shared, SetValues::Owned))
    }

    /// Keeps the medians `def` computed for the other indicators of its key
    /// (`users` indicators of the run use it, `def` being one).
    fn keep(&self, def: &Indicator, users: usize, values: PerSet) -> SetValues {
        match Self::key(def) {
            Some(key) if users > 1 => {
                let values = Arc::new(values);
                let mut kept = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                kept.insert(key, (Arc::clone(&values), users - 1));
                SetValues::Shared(values)
            }
            _ => SetValues::Owned(values),
        }
    }
}

/// What the indicators of one prepared source share: sorts and medians.
#[derive(Default)]
struct SharedWork {
    sorts: Sorts,
    medians: SharedMedians,
    /// How many indicators of the run use each key of `medians`.
    median_users: HashMap<MedianKey, usize>,
}

/// Every indicator of `todo` on one prepared source, with its seconds, in
/// the order of `todo`. Indicators run side by side (each also spreads its
/// own work over the threads), so that one's sequential steps overlap
/// another's: the quantile-based ones, which hold the most memory, one
/// after the other, the others beside them. Every indicator's numbers are
/// the same as when run alone.
fn compute_indicators(
    todo: &[&Indicator],
    p: &Prepared,
    level: f64,
    dominance: Option<&Dominance>,
    tick: &(dyn Fn() + Sync),
) -> Vec<Result<(Figures, f64)>> {
    let mut shared = SharedWork::default();
    for key in todo.iter().filter_map(|def| SharedMedians::key(def)) {
        *shared.median_users.entry(key).or_default() += 1;
    }
    let shared = &shared;
    let one = |def: &Indicator| {
        let clock = std::time::Instant::now();
        let figures = compute_indicator(def, p, shared, level, dominance)?;
        tick();
        Ok((figures, clock.elapsed().as_secs_f64()))
    };
    let heavy = |def: &&Indicator| matches!(def.kind, Kind::Median | Kind::Arpr | Kind::MedianRatio);
    let (mut figures, mut others) = rayon::join(
        || {
            let figures: Vec<_> = todo.iter().enumerate().filter(|(_, d)| heavy(d)).map(|(i, d)| (i, one(d))).collect();
            // Only the quantile-based indicators sort.
            shared.sorts.clear();
            figures
        },
        || todo.par_iter().enumerate().filter(|(_, d)| !heavy(d)).map(|(i, d)| (i, one(d))).collect::<Vec<_>>(),
    );
    figures.append(&mut others);
    figures.sort_by_key(|(i, _)| *i);
    figures.into_iter().map(|(_, f)| f).collect()
}

fn compute_indicator(
    def: &Indicator,
    p: &Prepared,
    shared: &SharedWork,
    level: f64,
    dominance: Option<&Dominance>,
) -> Result<Figures> {
    let population = Expr::parse(&def.population)
        .and_then(|e| e.evaluate(&p.frame))
        .map_err(|e| data_error(format!("indicator {}: population: {e}", def.id)))?;
    let Inputs { work, variable, stat, scale, gap_stat } = indicator_inputs(def, p)?;
    let work = work.as_ref().unwrap_or(&p.frame);
    let options = Options { level, ..Options::default() };

    // The cells of the rows in the population, and every set of domains of
    // this indicator over them. For poverty rates, the rows outside the
    // population keep a cell too (a shadow of their own cell, in no domain),
    // so that the estimator sees every row of a poverty population by cell.
    let n_cells = p.cell_keys.len();
    let shadows = def.kind == Kind::Arpr;
    let mut used = vec![false; n_cells];
    let cells: Vec<u32> = p
        .cells
        .iter()
        .zip(&population)
        .map(|(&c, truth)| {
            if *truth != Truth::True {
                return if shadows && c != MISSING_CODE { c + n_cells as u32 } else { MISSING_CODE };
            }
            used[c as usize] = true;
            c
        })
        .collect();
    drop(population);
    let mut roles = Vec::new();
    let mut sets = IndicatorSets::default();
    for k in 0..p.levels.len() {
        roles.push(SetRole::Total { level: k });
        sets.push(domains(p, &used, k, None, &[], &[]));
        for (j, &b) in p.breakdowns.iter().enumerate() {
            let Some(Column::Text(groups)) = p.frame.column(&b.column()) else { continue };
            for partition in b.partitions() {
                roles.push(SetRole::Groups { level: k, breakdown: b });
                sets.push(domains(p, &used, k, Some((j, groups)), &partition.merge, &partition.groups));
            }
        }
    }
    let shadow_regions: Vec<u32>;
    let view = if shadows {
        sets.domain_of.iter_mut().for_each(|d| d.resize(2 * n_cells, MISSING_CODE));
        shadow_regions = p.cell_regions.iter().chain(&p.cell_regions).copied().collect();
        sets.view(&cells, 2 * n_cells).with_regions(&shadow_regions)
    } else {
        sets.view(&cells, n_cells).with_regions(&p.cell_regions)
    };
    let fail = |e: urbis_survey::SurveyError| data_error(format!("{}: indicator {}: {e}", p.frame.source, def.id));
    // Quantile-based statistics of the same variable share one sort.
    let sorted = match (def.kind, work.column(&variable)) {
        (Kind::Median | Kind::Arpr | Kind::MedianRatio, Some(Column::Number(x))) => {
            Some(shared.sorts.of(&def.variable, x, &p.design))
        }
        _ => None,
    };
    // Per set, each output of a statistic (with the poverty populations
    // for poverty rates); and the first output's values, scaled.
    let populations = (def.kind == Kind::Arpr).then(|| poverty_populations(p));
    let estimate_outputs = |stat: &Statistic| {
        estimate_domain_sets_within(work, &p.design, &view, populations.as_ref(), stat, &options, sorted.as_deref())
            .map_err(fail)
    };
    let scaled = |output: urbis_survey::DomainEstimates| -> Vec<Option<DomainValue>> {
        output.values.into_iter().map(|v| v.map(|v| v.into_scaled(scale))).collect()
    };
    let estimate = |stat: &Statistic| -> Result<PerSet> {
        Ok(estimate_outputs(stat)?.into_iter().map(|mut outputs| scaled(outputs.remove(0))).collect())
    };
    // Linearised medians: shared by the indicators of the same population and variable.
    let users = SharedMedians::key(def).and_then(|key| shared.median_users.get(&key).copied()).unwrap_or(1);
    let (values, gap_values) = match def.kind {
        Kind::GroupShare => (SetValues::Owned(group_shares(p, &view, &sets.keys, &roles, &options)?), None),
        Kind::MedianRatio => {
            let medians = match shared.medians.take(def) {
                Some(kept) => kept,
                None => shared.medians.keep(def, users, estimate(&stat)?),
            };
            (medians, None)
        }
        Kind::Median => match shared.medians.take(def) {
            // Another indicator's linearised medians serve the gaps.
            Some(kept) => (SetValues::Owned(estimate(&stat)?), Some(kept)),
            // Woodruff's and the linearised medians from one pass.
            None => {
                let both = estimate_outputs(&Statistic::Medians(variable.clone()))?;
                let (mut woodruff, mut linearised) = (Vec::new(), Vec::new());
                for mut outputs in both {
                    let linear = outputs.pop().expect("two outputs");
                    linearised.push(scaled(linear));
                    woodruff.push(scaled(outputs.pop().expect("two outputs")));
                }
                (SetValues::Owned(woodruff), Some(shared.medians.keep(def, users, linearised)))
            }
        },
        _ => (SetValues::Owned(estimate(&stat)?), gap_stat.as_ref().map(estimate).transpose()?.map(SetValues::Owned)),
    };
    let (mut values, shared_values) = values.parts();
    let (mut gap_values, shared_gaps) = gap_values.map_or((Vec::new(), None), SetValues::parts);
    let (shared_values, shared_gaps) = (shared_values.as_deref(), shared_gaps.as_deref());
    let finish = |v: &DomainValue| -> Result<Estimate> { v.finish(&p.design, level).map_err(fail) };
    let concentration = match (dominance, def.kind) {
        (Some(rule), Kind::Mean | Kind::Median | Kind::MedianRatio) => {
            let Some(Column::Number(x)) = work.column(&variable) else { unreachable!("checked by indicator_inputs") };
            Some(concentrations(p, x, &cells, &sets, rule.n))
        }
        _ => None,
    };
    let conc = |s: usize, d: usize| concentration.as_ref().map(|c| c[s][d]);

    // TOTAL of each (year, area) per level, for ratios to the total.
    let mut totals: HashMap<(usize, u32, u32), Cow<DomainValue>> = HashMap::new();
    let mut total_conc: HashMap<(usize, u32, u32), Concentration> = HashMap::new();
    for (s, role) in roles.iter().enumerate() {
        if let SetRole::Total { level } = role {
            for (d, key) in sets.keys[s].iter().enumerate() {
                if let Some(v) = take(&mut values, shared_values, s, d) {
                    totals.insert((*level, key.0, key.1), v);
                    if let Some(c) = conc(s, d) {
                        total_conc.insert((*level, key.0, key.1), c);
                    }
                }
            }
        }
    }
    // Formed once: ratios to the total and every breakdown's rows use them.
    let totals: HashMap<(usize, u32, u32), Cow<DomainValue>> =
        totals.into_iter().map(|(key, v)| (key, formed(v))).collect();
    let mut group_conc: HashMap<(usize, Breakdown, DomainKey), Concentration> = HashMap::new();
    let mut rows = Vec::new();
    let mut row_conc = Vec::new();
    // Per (level, breakdown): the group values (first partition wins for
    // groups that appear in several), then TOTAL and gaps.
    let mut by_breakdown: BTreeMap<(usize, Breakdown), GroupValues> = BTreeMap::new();
    for (s, role) in roles.iter().enumerate() {
        let SetRole::Groups { level, breakdown } = *role else { continue };
        let entry = by_breakdown.entry((level, breakdown)).or_default();
        for (d, key) in sets.keys[s].iter().enumerate() {
            let Some(mut v) = take(&mut values, shared_values, s, d) else { continue };
            if def.kind == Kind::MedianRatio {
                let Some(total) = totals.get(&(level, key.0, key.1)) else { continue };
                let Some(r) = v.ratio(total) else { continue };
                v = Cow::Owned(r);
            }
            let gap = take(&mut gap_values, shared_gaps, s, d);
            if entry.contains_key(key) {
                continue;
            }
            entry.insert(key.clone(), (v, gap));
            if let Some(c) = conc(s, d) {
                group_conc.insert((level, breakdown, key.clone()), c);
            }
        }
    }
    for ((k, b), values) in by_breakdown {
        let (k, b) = (&k, &b);
        // Each value's scores formed once for its row and its gaps.
        let values: GroupValues =
            values.into_iter().map(|(key, (v, gap))| (key, (formed(v), gap.map(formed)))).collect();
        let values = &values;
        let definition = &p.definitions[b];
        for (key, (v, _)) in values {
            let (y, g, group) = key;
            row_conc.push(group_conc.get(&(*k, *b, key.clone())).copied());
            rows.push(row(
                def,
                p,
                *k,
                *y,
                *g,
                *b,
                group,
                Measure::Value,
                &def.unit,
                &finish(v)?,
                v.n(),
                definition,
                None,
            ));
        }
        if def.kind != Kind::GroupShare {
            let mut areas: Vec<(&(usize, u32, u32), &DomainValue)> =
                totals.iter().filter(|(key, _)| key.0 == *k).map(|(key, v)| (key, v.as_ref())).collect();
            areas.sort_by_key(|(key, _)| **key);
            for (key, v) in areas {
                let (_, y, g) = key;
                let v = if def.kind == Kind::MedianRatio { v.ratio(v).map(Cow::Owned) } else { Some(Cow::Borrowed(v)) };
                let Some(v) = v else { continue };
                row_conc.push(total_conc.get(key).copied());
                rows.push(row(
                    def,
                    p,
                    *k,
                    *y,
                    *g,
                    *b,
                    TOTAL,
                    Measure::Value,
                    &def.unit,
                    &finish(&v)?,
                    v.n(),
                    definition,
                    None,
                ));
            }
            for ((y, g, group), (v, gv)) in values {
                if group == NAT {
                    continue;
                }
                let Some((nat, nat_gap)) = values.get(&(*y, *g, NAT.to_string())) else { continue };
                let (a, b_) = match (gv, nat_gap) {
                    (Some(x), Some(y)) => (x, y),
                    _ => (v, nat),
                };
                let (gap, measure, unit, null) = match def.gap {
                    Gap::Difference => (a.minus(b_), Measure::GapDifference, gap_unit(&def.unit), 0.0),
                    Gap::Ratio => (a.ratio(b_), Measure::GapRatio, "RT".to_string(), 1.0),
                };
                let Some(gap) = gap else { continue };
                let e = finish(&gap)?;
                let significant =
                    (e.ci_low.is_finite() && e.ci_high.is_finite()).then_some(e.ci_low > null || e.ci_high < null);
                row_conc.push(None);
                rows.push(row(def, p, *k, *y, *g, *b, group, measure, &unit, &e, gap.n(), definition, significant));
            }
        }
    }
    Ok((rows, row_conc))
}

/// For the (n,k)-dominance rule: per set and domain, the contributions to
/// the domain's weighted total of the magnitude `x` (docs/publication.md).
/// A contributor is a household (`household_id` within its lowest-level
/// area) or, without household ids, a person; its contribution is the sum
/// of `weight × |x|` over its members in the domain. Sums run in a fixed
/// order (by cell and contributor), so the outcome never depends on hashing.
fn concentrations(p: &Prepared, x: &[f64], cells: &[u32], sets: &IndicatorSets, n: usize) -> Vec<Vec<Concentration>> {
    let weights = p.design.weights();
    // Dense contributor of every row.
    let household = p.frame.column("household_id");
    let mut ids: HashMap<(u32, u64), u32> = HashMap::new();
    let mut next = 0u32;
    let mut per_cell: HashMap<(u32, u32), f64> = HashMap::new();
    for i in 0..x.len() {
        let (cell, w, v) = (cells[i], weights[i], x[i]);
        if cell == MISSING_CODE || !v.is_finite() || w.is_nan() || w <= 0.0 {
            continue;
        }
        let key = match household {
            Some(Column::Text(t)) if t.codes[i] != MISSING_CODE => Some(u64::from(t.codes[i])),
            Some(Column::Number(h)) if !h[i].is_nan() => Some(h[i].to_bits()),
            _ => None,
        };
        let contributor = match key {
            Some(h) => *ids.entry((p.geo[0].codes[i], h)).or_insert_with(|| {
                next += 1;
                next - 1
            }),
            None => {
                next += 1;
                next - 1
            }
        };
        *per_cell.entry((cell, contributor)).or_insert(0.0) += w * v.abs();
    }
    let mut per_cell: Vec<((u32, u32), f64)> = per_cell.into_iter().collect();
    per_cell.sort_unstable_by_key(|(key, _)| *key);
    sets.domain_of
        .iter()
        .zip(&sets.keys)
        .map(|(domain_of, keys)| {
            let mut items: Vec<(u32, u32, f64)> = per_cell
                .iter()
                .filter_map(|&((cell, who), c)| match domain_of[cell as usize] {
                    MISSING_CODE => None,
                    d => Some((d, who, c)),
                })
                .collect();
            items.sort_by_key(|&(d, who, _)| (d, who));
            let mut contributions: Vec<Vec<f64>> = vec![Vec::new(); keys.len()];
            for (j, &(d, who, c)) in items.iter().enumerate() {
                match j.checked_sub(1).map(|prev| items[prev]) {
                    Some((pd, pwho, _)) if (pd, pwho) == (d, who) => {
                        *contributions[d as usize].last_mut().expect("pushed before") += c;
                    }
                    _ => contributions[d as usize].push(c),
                }
            }
            contributions.into_iter().map(|c| Concentration::of(c, n)).collect()
        })
        .collect()
}

/// The poverty populations: each (survey year, reporting country), whose own
/// median gives the at-risk-of-poverty threshold of its rows.
fn poverty_populations(p: &Prepared) -> Grouping {
    let n_countries = p.reporting.levels.len().max(1) as u32;
    let mut index: HashMap<u32, u32> = HashMap::new();
    let codes = (0..p.frame.n_rows())
        .map(|i| {
            let (y, c) = (p.years.codes[i], p.reporting.codes[i]);
            if y == MISSING_CODE || c == MISSING_CODE {
                return MISSING_CODE;
            }
            let next = index.len() as u32;
            *index.entry(y * n_countries + c).or_insert(next)
        })
        .collect();
    Grouping { codes, labels: vec![String::new(); index.len()] }
}

/// The inputs of an indicator's estimation: a working frame holding its
/// value column when the value is computed (shares; `None`: the source's
/// frame), the value column's name, the statistic that publishes it, the
/// scale (100 for percentages) and, for medians, the linearised statistic
/// used for gaps.
struct Inputs {
    work: Option<Frame>,
    variable: String,
    stat: Statistic,
    scale: f64,
    gap_stat: Option<Statistic>,
}

fn indicator_inputs(def: &Indicator, p: &Prepared) -> Result<Inputs> {
    let computed = |values: Option<Vec<f64>>| {
        let mut work = Frame::new(p.frame.source.clone(), p.frame.n_rows());
        if let Some(values) = values {
            work.push("value", Column::Number(values));
        }
        let variable = "value".to_string();
        Inputs { work: Some(work), stat: Statistic::Mean(variable.clone()), variable, scale: 100.0, gap_stat: None }
    };
    Ok(match def.kind {
        Kind::Share => {
            let numerator = Expr::parse(&def.numerator)
                .and_then(|e| e.evaluate(&p.frame))
                .map_err(|e| data_error(format!("indicator {}: numerator: {e}", def.id)))?;
            let values = numerator
                .iter()
                .map(|t| match t {
                    Truth::True => 1.0,
                    Truth::False => 0.0,
                    Truth::Unknown => f64::NAN,
                })
                .collect();
            computed(Some(values))
        }
        Kind::GroupShare => computed(None),
        Kind::Mean | Kind::Median | Kind::Arpr | Kind::MedianRatio => {
            // The source's own column, read where it is.
            if !matches!(p.frame.column(&def.variable), Some(Column::Number(_))) {
                return Err(data_error(format!("indicator {}: variable '{}' is not numeric", def.id, def.variable)));
            }
            let v = def.variable.clone();
            let (stat, scale, gap_stat) = match def.kind {
                Kind::Mean => (Statistic::Mean(v.clone()), 1.0, None),
                Kind::Median => {
                    (Statistic::Quantile { variable: v.clone(), p: 0.5 }, 1.0, Some(Statistic::Median(v.clone())))
                }
                Kind::Arpr => (Statistic::Arpr(v.clone()), 100.0, None),
                _ => (Statistic::Median(v.clone()), 1.0, None),
            };
            Inputs { work: None, variable: v, stat, scale, gap_stat }
        }
        Kind::Register => unreachable!("register indicators are computed from counts"),
    })
}

fn gap_unit(unit: &str) -> String {
    if unit == "PC" {
        "PP".into()
    } else {
        unit.to_string()
    }
}

/// Percentage of each area's population (within the indicator's
/// population) in each group: the ratio of the group's estimated population
/// to the area's, both from one pass over every set of domains.
fn group_shares(
    p: &Prepared,
    sets: &DomainSets,
    keys: &[Vec<DomainKey>],
    roles: &[SetRole],
    options: &Options,
) -> Result<Vec<Vec<Option<DomainValue>>>> {
    let mut frame = Frame::new(p.frame.source.clone(), p.frame.n_rows());
    frame.push("one", Column::Number(vec![1.0; p.frame.n_rows()]));
    let sizes: Vec<Vec<Option<DomainValue>>> =
        estimate_domain_sets_within(&frame, &p.design, sets, None, &Statistic::Total("one".into()), options, None)
            .map_err(|e| data_error(format!("{}: pop_share: {e}", p.frame.source)))?
            .into_iter()
            .map(|mut outputs| outputs.remove(0).values)
            .collect();
    let mut out: Vec<Vec<Option<DomainValue>>> = keys.iter().map(|k| vec![None; k.len()]).collect();
    for (s, role) in roles.iter().enumerate() {
        let SetRole::Groups { level, .. } = *role else { continue };
        let areas = roles
            .iter()
            .position(|r| matches!(r, SetRole::Total { level: l } if *l == level))
            .expect("every level has its total");
        let area_index: HashMap<(u32, u32), usize> =
            keys[areas].iter().enumerate().map(|(d, k)| ((k.0, k.1), d)).collect();
        for (d, key) in keys[s].iter().enumerate() {
            let (Some(group), Some(&a)) = (&sizes[s][d], area_index.get(&(key.0, key.1))) else { continue };
            let Some(area) = &sizes[areas][a] else { continue };
            out[s][d] = group.ratio(area).map(|v| v.into_scaled(100.0));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn row(
    def: &Indicator,
    p: &Prepared,
    k: usize,
    year: u32,
    geo_code: u32,
    breakdown: Breakdown,
    group: &str,
    measure: Measure,
    unit: &str,
    e: &Estimate,
    n: u64,
    definition: &str,
    significant: Option<bool>,
) -> IndicatorRow {
    IndicatorRow {
        indicator: def.id.clone(),
        geo: p.geo[k].labels[geo_code as usize].clone(),
        geo_level: p.levels[k].clone(),
        time: p.years.labels[year as usize].clone(),
        breakdown: breakdown.code().to_string(),
        group: group.to_string(),
        measure,
        unit: unit.to_string(),
        estimate: e.estimate,
        se: e.se,
        ci_low: e.ci_low,
        ci_high: e.ci_high,
        n: Some(n),
        flag: String::new(),
        conf_status: "F".into(),
        method: if def.kind == Kind::Register { "register".into() } else { p.method.into() },
        definition: definition.to_string(),
        significant,
    }
}

//! `urbis segregation`: segregation and concentration indices from counts per
//! unit (grid cell or area), at one or several grid scales.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use clap::ValueEnum;
use serde::Serialize;
use urbis_core::{Column, TextColumn, MISSING_CODE};
use urbis_geo::aggregate::{locate, sum_by_key};
use urbis_geo::grid::CellId;
use urbis_io::{column_names, read_table, ColumnType, ReadOptions};
use urbis_segregation::{
    bootstrap, location_quotients, multi_group, person_permutation, single_group, validate_counts, validate_within,
    SegError, SingleIndices, SingleOptions,
};
use urbis_store::{GridCounts, SegregationInput, SegregationRow};
use urbis_synth::rng::Rng;

use crate::boundaries;
use crate::output::{emit, number};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  urbis segregation examples/munich/munich_1km_country_of_birth.csv --group foreign_born --total total_known \\\n      --unit GRD_ID --scales 1000,2000,5000\n  urbis segregation cells.csv --groups born_DE,born_EU27,born_other_europe,born_rest_world --unit GRD_ID --lq"
)]
pub struct Args {
    /// Counts per unit: CSV (any common delimiter) or Parquet, one row per unit.
    pub file: PathBuf,
    /// Two-group indices: the column counting the group of interest.
    #[arg(long, value_name = "COL", requires = "total", conflicts_with = "groups")]
    pub group: Option<String>,
    /// Two-group indices: the column with each unit's total population.
    #[arg(long, value_name = "COL", requires = "group")]
    pub total: Option<String>,
    /// Multigroup indices: the columns counting each group (a unit's total is their sum).
    #[arg(long, value_delimiter = ',', value_name = "COL,COL[,...]", required_unless_present = "group")]
    pub groups: Vec<String>,
    /// Column with unit ids; INSPIRE grid cell ids (CRS3035RES1000mN…E…) allow --scales.
    #[arg(long, value_name = "COL")]
    pub unit: Option<String>,
    /// Grid sizes in metres: the cells are summed into the cells of each coarser grid.
    #[arg(long, value_delimiter = ',', value_name = "M[,M...]", requires = "unit")]
    pub scales: Vec<u32>,
    /// Also sum the cells into areas, by the area containing each cell's centre:
    /// nuts0..nuts3 (built-in NUTS 2024) or a GeoJSON file of polygons.
    #[arg(long, value_name = "nuts3|FILE.geojson", requires = "unit")]
    pub areas: Option<String>,
    /// Property of the --areas GeoJSON features holding the area code.
    #[arg(long, value_name = "PROP", default_value = "code")]
    pub area_code: String,
    /// Also sum the units into areas by a table: first column unit id, second column area code.
    #[arg(long, value_name = "FILE", requires = "unit")]
    pub unit_areas: Option<PathBuf>,
    /// Location quotients: one row per unit (and group) instead of the indices.
    #[arg(long)]
    pub lq: bool,
    /// Bootstrap intervals from this many resamples of the units (with replacement).
    #[arg(long, value_name = "R", conflicts_with = "lq")]
    pub bootstrap: Option<usize>,
    /// Person permutation test with this many permutations: each index's mean
    /// without segregation and a two-tailed pseudo p-value (counts must be whole).
    #[arg(long, value_name = "R", conflicts_with = "lq")]
    pub permutations: Option<usize>,
    /// Seed of the bootstrap resamples and permutations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Confidence level of the bootstrap intervals.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Atkinson's shape parameter b, in [0, 1).
    #[arg(long, default_value_t = 0.5)]
    pub atkinson_b: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Write the indices, and the grid counts behind them, into this urbis
    /// store (SQLite; created if needed) instead of standard output.
    #[arg(long, value_name = "FILE", conflicts_with = "lq", help_heading = "Store")]
    pub store: Option<PathBuf>,
    /// Name of the data set in the store (default: the file's name without extension).
    #[arg(long, requires = "store", help_heading = "Store")]
    pub dataset: Option<String>,
    /// What the counts are, shown with the indices (default: the file's name).
    #[arg(long, requires = "store", help_heading = "Store")]
    pub description: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// One index at one scale.
#[derive(Serialize)]
struct IndexRow {
    index: &'static str,
    scale: String,
    group: String,
    value: f64,
    units: usize,
    /// Bootstrap standard error and percentile interval (missing without --bootstrap).
    se: f64,
    ci_low: f64,
    ci_high: f64,
    /// Person permutation: mean without segregation and p-value (missing without --permutations).
    null_mean: f64,
    p_value: f64,
}

/// One unit's location quotient for one group at one scale.
#[derive(Serialize)]
struct LqRow {
    unit: String,
    scale: String,
    group: String,
    count: f64,
    total: f64,
    lq: f64,
}

/// The units at one scale: ids (empty when the file has no unit column) and,
/// per count column, one value per unit.
pub(crate) struct Units {
    pub scale: String,
    pub ids: Vec<String>,
    pub counts: Vec<Vec<f64>>,
}

impl Units {
    fn len(&self) -> usize {
        self.counts.first().map_or(0, Vec::len)
    }

    /// The id of unit `i`: its id, or its row number.
    fn id(&self, i: usize) -> String {
        self.ids.get(i).cloned().unwrap_or_else(|| (i + 1).to_string())
    }
}

pub fn run(args: Args) -> Result<()> {
    let file = args.file.display().to_string();
    let count_columns: Vec<String> = match (&args.group, &args.total) {
        (Some(g), Some(t)) => vec![g.clone(), t.clone()],
        _ => args.groups.clone(),
    };
    if args.group.is_none() && count_columns.len() < 2 {
        bail!("--groups needs at least two columns (or use --group COL --total COL)");
    }
    let (ids, counts) = read_counts(&args.file, &file, args.unit.as_deref(), &count_columns)?;
    if args.group.is_some() {
        validate_within(&counts[0], &counts[1]).map_err(|e| row_error(&file, &count_columns[0], e))?;
    }
    let area_units = area_partitions(&args, &file, &ids, &counts)?;
    let grid = args.store.as_ref().map(|_| grid_counts(&ids, &counts, &count_columns, args.group.is_some()));
    let mut scales = units_at_scales(&file, args.unit.as_deref(), ids, counts, &args.scales)?;
    scales.extend(area_units);
    let options = SingleOptions { atkinson_b: args.atkinson_b };
    let bytes = if args.lq {
        let rows = lq_rows(&scales, &count_columns, args.group.is_some())?;
        render(&rows, args.format)?
    } else {
        let inference = Inference {
            bootstrap: args.bootstrap,
            permutations: args.permutations,
            seed: args.seed,
            level: args.level,
        };
        let mut rows = Vec::new();
        for units in &scales {
            rows.extend(
                index_rows(units, &count_columns, args.group.is_some(), &options, &inference)
                    .map_err(|e| anyhow!("{file} at scale {}: {e}", units.scale))?,
            );
        }
        if let Some(store) = &args.store {
            store_indices(&args, store, &file, &count_columns, &rows, grid.unwrap_or_default())?;
            if args.out.is_none() {
                return Ok(());
            }
        }
        render(&rows, args.format)?
    };
    emit(args.out.as_deref(), &bytes)
}

/// Grid counts per group for the store's maps: each group's count and its
/// unit's total (the total column, or the sum of the groups). Empty unless
/// the units are INSPIRE grid cells.
fn grid_counts(ids: &[String], counts: &[Vec<f64>], names: &[String], two_group: bool) -> Vec<GridCounts> {
    if ids.is_empty() || ids.iter().any(|id| id.parse::<CellId>().is_err()) {
        return Vec::new();
    }
    let totals: Vec<f64> =
        if two_group { counts[1].clone() } else { (0..ids.len()).map(|i| counts.iter().map(|c| c[i]).sum()).collect() };
    let groups = if two_group { 1 } else { names.len() };
    (0..groups)
        .flat_map(|g| ids.iter().enumerate().map(move |(i, id)| (g, i, id)))
        .map(|(g, i, id)| GridCounts {
            cell: id.clone(),
            group: names[g].clone(),
            count: counts[g][i],
            total: totals[i],
        })
        .collect()
}

fn store_indices(
    args: &Args,
    store: &Path,
    file: &str,
    names: &[String],
    rows: &[IndexRow],
    grid: Vec<GridCounts>,
) -> Result<()> {
    let stem = args.file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| file.to_string());
    let rows: Vec<SegregationRow> = rows
        .iter()
        .map(|r| SegregationRow {
            scale: r.scale.clone(),
            index: r.index.to_string(),
            group: r.group.clone(),
            value: r.value,
            se: r.se,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
            units: r.units as u64,
        })
        .collect();
    let (groups, total) = match (&args.group, &args.total) {
        (Some(g), Some(t)) => (vec![g.clone()], t.clone()),
        _ => (names.to_vec(), String::new()),
    };
    let input = SegregationInput {
        dataset: args.dataset.as_deref().unwrap_or(&stem),
        software: &format!("urbis {}", env!("CARGO_PKG_VERSION")),
        created_at: &urbis_store::now_utc(),
        source: args.description.as_deref().unwrap_or(file),
        groups: &groups,
        total: &total,
        rows: &rows,
        grid: &grid,
    };
    crate::store::write_segregation(store, &input)?;
    Ok(())
}

/// The units summed into areas: by `--unit-areas` (a table) and by
/// `--areas` (the polygon containing each cell's centre), in that order.
fn area_partitions(args: &Args, file: &str, ids: &[String], counts: &[Vec<f64>]) -> Result<Vec<Units>> {
    let mut area_units = Vec::new();
    if let Some(table) = &args.unit_areas {
        let area_of = read_unit_areas(table)?;
        let codes = ids.iter().map(|id| area_of.get(id).cloned()).collect();
        area_units.push(units_in_areas(
            file,
            args.unit.as_deref(),
            ids,
            counts,
            codes,
            &boundaries::label(&table.display().to_string()),
        )?);
    }
    if let Some(source) = &args.areas {
        let areas = boundaries::load(source, &args.area_code, None)?;
        let centres = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                id.parse::<CellId>().map(|c| c.centre()).map_err(|e| {
                    anyhow!(
                        "{file}: row {}, column '{}': {e}; --areas needs grid cell ids",
                        i + 1,
                        args.unit.as_deref().unwrap_or_default()
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let codes = locate(&centres, &areas).into_iter().map(|a| a.map(|k| areas[k].code.clone())).collect();
        area_units.push(units_in_areas(file, args.unit.as_deref(), ids, counts, codes, &boundaries::label(source))?);
    }
    Ok(area_units)
}

/// Reads the unit ids (none when there is no unit column) and the count
/// columns, rejecting missing, negative or non-finite counts by row and column.
pub(crate) fn read_counts(
    path: &Path,
    file: &str,
    unit: Option<&str>,
    columns: &[String],
) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let mut options = ReadOptions { columns: unit.into_iter().map(String::from).collect(), ..Default::default() };
    options.columns.extend(columns.iter().cloned());
    for c in columns {
        options.types.insert(c.clone(), ColumnType::Number);
    }
    if let Some(u) = unit {
        options.types.insert(u.to_string(), ColumnType::Text);
    }
    let mut frame = read_table(path, &options)?;
    let n = frame.n_rows();
    if n == 0 {
        bail!("{file}: no rows");
    }
    let ids = match unit {
        None => Vec::new(),
        Some(u) => match frame.take(u) {
            Some(Column::Text(t)) => {
                unit_ids(t).map_err(|row| anyhow!("{file}: row {row}, column '{u}': the unit id is missing"))?
            }
            _ => bail!("{file}: column '{u}' could not be read as text"),
        },
    };
    let mut counts = Vec::with_capacity(columns.len());
    for c in columns {
        let Some(Column::Number(v)) = frame.take(c) else { bail!("{file}: column '{c}' could not be read as numbers") };
        if let Some(i) = v.iter().position(|x| x.is_nan()) {
            bail!("{file}: row {}, column '{c}': the count is missing", i + 1);
        }
        validate_counts(&v, c).map_err(|e| row_error(file, c, e))?;
        counts.push(v);
    }
    Ok((ids, counts))
}

/// The id of every row, moving each distinct id out of the column (unit ids
/// are mostly distinct: copying them would double the allocations); the
/// error is the first row with a missing id.
fn unit_ids(column: TextColumn) -> std::result::Result<Vec<String>, usize> {
    let mut levels: Vec<Option<String>> = column.levels.into_iter().map(Some).collect();
    let mut first_row = vec![usize::MAX; levels.len()];
    let mut ids = Vec::with_capacity(column.codes.len());
    for (i, &code) in column.codes.iter().enumerate() {
        if code == MISSING_CODE {
            return Err(i + 1);
        }
        let c = code as usize;
        let id = match levels[c].take() {
            Some(id) => {
                first_row[c] = i;
                id
            }
            None => ids.get(first_row[c]).cloned().unwrap_or_default(),
        };
        ids.push(id);
    }
    Ok(ids)
}

/// A count error of the library, where units are still the file's rows.
pub(crate) fn row_error(file: &str, column: &str, e: SegError) -> anyhow::Error {
    match e {
        SegError::BadCount { unit, reason, .. } => anyhow!("{file}: row {}, column '{column}': {reason}", unit + 1),
        other => anyhow!("{file}: {other}"),
    }
}

/// The units at each requested grid scale, or the file's own units.
pub(crate) fn units_at_scales(
    file: &str,
    unit: Option<&str>,
    ids: Vec<String>,
    counts: Vec<Vec<f64>>,
    scales: &[u32],
) -> Result<Vec<Units>> {
    let cells: Option<Vec<CellId>> = if ids.is_empty() { None } else { ids.iter().map(|id| id.parse().ok()).collect() };
    if scales.is_empty() {
        let scale = match &cells {
            Some(c) if c.iter().all(|x| x.resolution == c[0].resolution) => c[0].resolution.to_string(),
            _ => "unit".to_string(),
        };
        return Ok(vec![Units { scale, ids, counts }]);
    }
    let column = unit.unwrap_or_default();
    let cells = match cells {
        Some(c) => c,
        None => {
            let (row, err) = ids
                .iter()
                .enumerate()
                .find_map(|(i, id)| id.parse::<CellId>().err().map(|e| (i + 1, e)))
                .expect("some id does not parse");
            bail!("{file}: row {row}, column '{column}': {err}; --scales needs grid cell ids");
        }
    };
    let columns: Vec<&[f64]> = counts.iter().map(Vec::as_slice).collect();
    let mut out = Vec::with_capacity(scales.len());
    for &scale in scales {
        let keys = cells
            .iter()
            .enumerate()
            .map(|(i, c)| c.coarsen(scale).map_err(|e| anyhow!("{file}: row {}, column '{column}': {e}", i + 1)))
            .collect::<Result<Vec<_>>>()?;
        let (keys, sums) = sum_by_key(&keys, &columns);
        out.push(Units { scale: scale.to_string(), ids: keys.iter().map(CellId::to_string).collect(), counts: sums });
    }
    Ok(out)
}

/// The table of `--unit-areas`: unit id (first column) → area code (second).
fn read_unit_areas(path: &Path) -> Result<HashMap<String, String>> {
    let file = path.display().to_string();
    let names = column_names(path, None)?;
    if names.len() < 2 {
        bail!("{file}: needs two columns, unit id and area code");
    }
    let mut options = ReadOptions { columns: names[..2].to_vec(), ..Default::default() };
    for n in &names[..2] {
        options.types.insert(n.clone(), ColumnType::Text);
    }
    let frame = read_table(path, &options)?;
    let (Some(Column::Text(units)), Some(Column::Text(areas))) = (frame.column(&names[0]), frame.column(&names[1]))
    else {
        bail!("{file}: the columns could not be read as text");
    };
    let mut map = HashMap::with_capacity(frame.n_rows());
    for i in 0..frame.n_rows() {
        match (units.get(i), areas.get(i)) {
            (Some(u), Some(a)) => {
                if let Some(before) = map.insert(u.to_string(), a.to_string()) {
                    if before != a {
                        bail!("{file}: row {}: unit {u} is in area {before} and in area {a}", i + 1);
                    }
                }
            }
            _ => bail!("{file}: row {}: the unit id or the area code is missing", i + 1),
        }
    }
    Ok(map)
}

/// The units summed into areas, `codes` giving each unit's area; a unit
/// in no area is an error naming its row.
fn units_in_areas(
    file: &str,
    unit: Option<&str>,
    ids: &[String],
    counts: &[Vec<f64>],
    codes: Vec<Option<String>>,
    label: &str,
) -> Result<Units> {
    if let Some(i) = codes.iter().position(Option::is_none) {
        let outside = codes.iter().filter(|c| c.is_none()).count();
        bail!(
            "{file}: row {}, column '{}': unit {} is in none of the areas of {label} ({outside} units are outside)",
            i + 1,
            unit.unwrap_or_default(),
            ids[i]
        );
    }
    let codes: Vec<String> = codes.into_iter().flatten().collect();
    let columns: Vec<&[f64]> = counts.iter().map(Vec::as_slice).collect();
    let (keys, sums) = sum_by_key(&codes, &columns);
    Ok(Units { scale: label.to_string(), ids: keys, counts: sums })
}

const SINGLE_NAMES: [&str; 6] = ["dissimilarity", "isolation", "exposure", "entropy", "gini", "atkinson"];

fn single_values(s: &SingleIndices) -> [f64; 6] {
    [s.dissimilarity, s.isolation, s.exposure, s.entropy, s.gini, s.atkinson]
}

/// The indices of one set of counts, as (index, group, value): two-group
/// indices of `--group`, or the multigroup indices followed by each group's
/// two-group indices.
fn index_values(
    counts: &[Vec<f64>],
    names: &[String],
    two_group: bool,
    options: &SingleOptions,
) -> std::result::Result<Vec<(&'static str, String, f64)>, SegError> {
    let mut out = Vec::new();
    if two_group {
        let s = single_group(&counts[0], &counts[1], options)?;
        out.extend(SINGLE_NAMES.iter().zip(single_values(&s)).map(|(i, v)| (*i, names[0].clone(), v)));
        return Ok(out);
    }
    let groups: Vec<(&str, &[f64])> = names.iter().map(String::as_str).zip(counts.iter().map(Vec::as_slice)).collect();
    let m = multi_group(&groups, options)?;
    for (index, value) in [
        ("multi_dissimilarity", m.dissimilarity),
        ("multi_gini", m.gini),
        ("multi_information_theory", m.information_theory),
        ("multi_normalized_exposure", m.normalized_exposure),
        ("multi_relative_diversity", m.relative_diversity),
        ("multi_squared_coefficient_of_variation", m.squared_coefficient_of_variation),
        ("multi_divergence", m.divergence),
        ("multi_diversity", m.diversity),
        ("simpsons_concentration", m.simpsons_concentration),
        ("simpsons_interaction", m.simpsons_interaction),
    ] {
        out.push((index, String::new(), value));
    }
    for (name, s) in names.iter().zip(&m.per_group) {
        out.extend(SINGLE_NAMES.iter().zip(single_values(s)).map(|(i, v)| (*i, name.clone(), v)));
    }
    Ok(out)
}

/// The rows of one scale, with bootstrap intervals when asked for.
fn index_rows(
    units: &Units,
    names: &[String],
    two_group: bool,
    options: &SingleOptions,
    inference: &Inference,
) -> std::result::Result<Vec<IndexRow>, SegError> {
    let values = index_values(&units.counts, names, two_group, options)?;
    let statistic = |counts: &[Vec<f64>]| {
        index_values(counts, names, two_group, options).map(|v| v.into_iter().map(|(_, _, x)| x).collect())
    };
    let intervals = match inference.bootstrap {
        None => Vec::new(),
        Some(replicates) => {
            let n = units.len();
            let columns: Vec<&[f64]> = units.counts.iter().map(Vec::as_slice).collect();
            let draw = |r: usize| {
                let mut rng = Rng::new(inference.seed, &[1, r as u64]);
                (0..n).map(|_| uniform_below(&mut rng, n)).collect()
            };
            bootstrap(&columns, replicates, inference.level, draw, statistic)?
        }
    };
    let nulls = match inference.permutations {
        None => Vec::new(),
        Some(replicates) => {
            // Persons are permuted by group: for --group/--total, the group and the rest.
            let rest: Vec<f64>;
            let groups: Vec<&[f64]> = if two_group {
                rest = units.counts[1].iter().zip(&units.counts[0]).map(|(t, x)| t - x).collect();
                vec![&units.counts[0], &rest]
            } else {
                units.counts.iter().map(Vec::as_slice).collect()
            };
            let shuffle = |r: usize, labels: &mut [u8]| {
                let mut rng = Rng::new(inference.seed, &[2, r as u64]);
                for i in (1..labels.len()).rev() {
                    labels.swap(i, uniform_below(&mut rng, i + 1));
                }
            };
            let observed: Vec<f64> = values.iter().map(|(_, _, v)| *v).collect();
            let by_group = |counts: &[Vec<f64>]| {
                if two_group {
                    let total: Vec<f64> = counts[0].iter().zip(&counts[1]).map(|(x, y)| x + y).collect();
                    statistic(&[counts[0].clone(), total])
                } else {
                    statistic(counts)
                }
            };
            person_permutation(&groups, &observed, replicates, shuffle, by_group)?
        }
    };
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(k, (index, group, value))| {
            let ci = intervals.get(k);
            let null = nulls.get(k);
            IndexRow {
                index,
                scale: units.scale.clone(),
                group,
                value,
                units: units.len(),
                se: ci.map_or(f64::NAN, |c| c.se),
                ci_low: ci.map_or(f64::NAN, |c| c.low),
                ci_high: ci.map_or(f64::NAN, |c| c.high),
                null_mean: null.map_or(f64::NAN, |t| t.mean),
                p_value: null.map_or(f64::NAN, |t| t.p_value),
            }
        })
        .collect())
}

/// Inference asked for on the command line.
struct Inference {
    bootstrap: Option<usize>,
    permutations: Option<usize>,
    seed: u64,
    level: f64,
}

/// A uniform draw from `0..n` (Lemire's multiply-shift).
fn uniform_below(rng: &mut Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// Location quotients of `--group`, or of every group of `--groups`, per unit and scale.
fn lq_rows(scales: &[Units], names: &[String], two_group: bool) -> Result<Vec<LqRow>> {
    let mut rows = Vec::new();
    for units in scales {
        let totals: Vec<f64> = if two_group {
            units.counts[1].clone()
        } else {
            (0..units.len()).map(|i| units.counts.iter().map(|c| c[i]).sum()).collect()
        };
        let n_groups = if two_group { 1 } else { names.len() };
        for (name, x) in names.iter().zip(&units.counts).take(n_groups) {
            let lq =
                location_quotients(x, &totals).map_err(|e| anyhow!("group {name} at scale {}: {e}", units.scale))?;
            for i in 0..units.len() {
                rows.push(LqRow {
                    unit: units.id(i),
                    scale: units.scale.clone(),
                    group: name.clone(),
                    count: x[i],
                    total: totals[i],
                    lq: lq[i],
                });
            }
        }
    }
    Ok(rows)
}

/// A row of a CSV output: its header and its fields as text.
trait Record: Serialize {
    const HEADER: &'static [&'static str];
    fn fields(&self) -> Vec<String>;
}

impl Record for IndexRow {
    const HEADER: &'static [&'static str] =
        &["index", "scale", "group", "value", "units", "se", "ci_low", "ci_high", "null_mean", "p_value"];
    fn fields(&self) -> Vec<String> {
        vec![
            self.index.into(),
            self.scale.clone(),
            self.group.clone(),
            number(self.value),
            self.units.to_string(),
            number(self.se),
            number(self.ci_low),
            number(self.ci_high),
            number(self.null_mean),
            number(self.p_value),
        ]
    }
}

impl Record for LqRow {
    const HEADER: &'static [&'static str] = &["unit", "scale", "group", "count", "total", "lq"];
    fn fields(&self) -> Vec<String> {
        vec![
            self.unit.clone(),
            self.scale.clone(),
            self.group.clone(),
            number(self.count),
            number(self.total),
            number(self.lq),
        ]
    }
}

/// CSV (numbers in shortest round-trip form, missing as empty) or JSON
/// (missing as null).
fn render<T: Record>(rows: &[T], format: Format) -> Result<Vec<u8>> {
    match format {
        Format::Json => crate::output::json(&rows),
        Format::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(T::HEADER)?;
            for row in rows {
                out.write_record(row.fields())?;
            }
            out.into_inner().map_err(|e| anyhow!("cannot render CSV: {e}"))
        }
    }
}

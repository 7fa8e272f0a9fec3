//! `urbis map`: SVG maps — a choropleth of an indicator table by area
//! (`--boundaries`), or a grid map of shares or location quotients of grid
//! cell counts (`--unit`).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::ValueEnum;
use urbis_core::IndicatorRow;
use urbis_geo::grid::CellId;
use urbis_map::classify::Classes;
use urbis_map::draw;
use urbis_map::palette::Palette;
use urbis_map::shapes::{area_shapes, cell_shape, AreaValue};
use urbis_map::svg::Shape;
use urbis_segregation::{location_quotients, validate_within};

use crate::boundaries;
use crate::cmd::segregation::{read_counts, row_error, units_at_scales};
use crate::output::write_atomic;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  urbis map out/indicators.csv --boundaries nuts2 --indicator emp_rate --group FOR --time 2023 --out emp.svg\n  urbis map examples/munich/munich_1km_country_of_birth.csv --unit GRD_ID --count foreign_born --total total_known --lq --out lq.svg"
)]
pub struct Args {
    /// An indicator table (indicators.csv) with --boundaries, or grid cell counts with --unit.
    pub file: PathBuf,
    /// The SVG file to write.
    #[arg(long, short)]
    pub out: PathBuf,

    /// Area map: nuts0..nuts3 (built-in NUTS 2024) or a GeoJSON file of the areas.
    #[arg(long, value_name = "nuts2|FILE.geojson", help_heading = "Area map", conflicts_with = "unit")]
    pub boundaries: Option<String>,
    /// Property of the GeoJSON features holding the area code (joined to the table's `geo`).
    #[arg(long, value_name = "PROP", default_value = "code", help_heading = "Area map")]
    pub area_code: String,
    /// Property of the GeoJSON features holding the area name.
    #[arg(long, value_name = "PROP", help_heading = "Area map")]
    pub area_name: Option<String>,
    /// Keep the rows of this indicator.
    #[arg(long, help_heading = "Area map")]
    pub indicator: Option<String>,
    /// Keep the rows of this group (NAT, FOR, TOTAL, …).
    #[arg(long, help_heading = "Area map")]
    pub group: Option<String>,
    /// Keep the rows of this period.
    #[arg(long, help_heading = "Area map")]
    pub time: Option<String>,
    /// Keep the rows of this measure (value, gap_diff, gap_ratio).
    #[arg(long, help_heading = "Area map")]
    pub measure: Option<String>,
    /// Keep the rows of this area level.
    #[arg(long, help_heading = "Area map")]
    pub geo_level: Option<String>,
    /// Keep the rows of this breakdown.
    #[arg(long, help_heading = "Area map")]
    pub breakdown: Option<String>,

    /// Grid map: the column of INSPIRE grid cell ids.
    #[arg(long, value_name = "COL", help_heading = "Grid map", requires_all = ["count", "total"])]
    pub unit: Option<String>,
    /// Grid map: the column counting the group.
    #[arg(long, value_name = "COL", help_heading = "Grid map")]
    pub count: Option<String>,
    /// Grid map: the column with each cell's total.
    #[arg(long, value_name = "COL", help_heading = "Grid map")]
    pub total: Option<String>,
    /// Grid map: draw location quotients instead of shares.
    #[arg(long, help_heading = "Grid map")]
    pub lq: bool,
    /// Grid map: sum the cells into a coarser grid of this size (metres) first.
    #[arg(long, value_name = "M", help_heading = "Grid map")]
    pub scale: Option<u32>,

    /// Classes (default: quantiles; for --lq fixed limits 0.5,0.8,1.25,2).
    #[arg(long, value_enum, help_heading = "Drawing")]
    pub classes: Option<ClassesArg>,
    /// Number of classes for quantiles and natural breaks.
    #[arg(long, short, default_value_t = 5, help_heading = "Drawing")]
    pub k: usize,
    /// Inner class limits for --classes fixed, ascending.
    #[arg(long, value_delimiter = ',', value_name = "X,X[,...]", help_heading = "Drawing")]
    pub limits: Vec<f64>,
    /// Palette (default: sequential; diverging for --lq).
    #[arg(long, value_enum, help_heading = "Drawing")]
    pub palette: Option<PaletteArg>,
    /// Map title (default: from the data drawn).
    #[arg(long, help_heading = "Drawing")]
    pub title: Option<String>,
    /// Description for screen readers (default: a summary of the data).
    #[arg(long, help_heading = "Drawing")]
    pub description: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum ClassesArg {
    Quantiles,
    NaturalBreaks,
    Fixed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PaletteArg {
    Sequential,
    Diverging,
}

/// What the shapes show, for the default title and the legend.
struct Drawn {
    shapes: Vec<Shape>,
    title: String,
    legend: String,
}

pub fn run(args: Args) -> Result<()> {
    let drawn = match (&args.boundaries, &args.unit) {
        (Some(source), _) => area_map(&args, source)?,
        (None, Some(unit)) => grid_map(&args, unit)?,
        (None, None) => {
            bail!("say what to draw: --boundaries for an indicator table by area, or --unit for grid cells")
        }
    };
    let classes = match (args.classes, args.lq) {
        (Some(ClassesArg::Fixed), _) => Classes::Fixed(args.limits.clone()),
        (None, true) if args.limits.is_empty() => Classes::Fixed(vec![0.5, 0.8, 1.25, 2.0]),
        (None, true) => Classes::Fixed(args.limits.clone()),
        (Some(ClassesArg::NaturalBreaks), _) => Classes::NaturalBreaks(args.k),
        _ => Classes::Quantiles(args.k),
    };
    if matches!(&classes, Classes::Fixed(l) if l.is_empty()) {
        bail!("--classes fixed needs --limits X,X[,...] (inner class limits, ascending)");
    }
    if matches!(classes, Classes::Quantiles(_) | Classes::NaturalBreaks(_)) && !args.limits.is_empty() {
        bail!("--limits needs --classes fixed");
    }
    let palette = match (args.palette, args.lq) {
        (Some(PaletteArg::Diverging), _) | (None, true) => Palette::Diverging,
        _ => Palette::Sequential,
    };
    let svg = draw(
        &drawn.shapes,
        &classes,
        palette,
        args.title.clone().unwrap_or(drawn.title),
        args.description.clone().unwrap_or_default(),
        drawn.legend,
    )
    .map_err(|e| anyhow!("{e}"))?;
    write_atomic(&args.out, svg.as_bytes())
}

/// A filter of the indicator table: its column, the value asked for, and how to read the column.
type Filter<'a> = (&'static str, &'a Option<String>, fn(&IndicatorRow) -> &str);

fn area_map(args: &Args, source: &str) -> Result<Drawn> {
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {file}"))?;
    let rows = urbis_io::tables::csv::parse_named(&bytes, &file)?;
    let filters: [Filter; 6] = [
        ("indicator", &args.indicator, |r| &r.indicator),
        ("group", &args.group, |r| &r.group),
        ("time", &args.time, |r| &r.time),
        ("measure", &args.measure, |r| r.measure.code()),
        ("geo_level", &args.geo_level, |r| &r.geo_level),
        ("breakdown", &args.breakdown, |r| &r.breakdown),
    ];
    let kept: Vec<&IndicatorRow> = rows
        .iter()
        .filter(|r| filters.iter().all(|(_, want, get)| want.as_deref().is_none_or(|w| get(r) == w)))
        .collect();
    if kept.is_empty() {
        bail!("{file}: no rows left after the filters");
    }
    let mut by_geo: HashMap<&str, &IndicatorRow> = HashMap::new();
    for r in &kept {
        if by_geo.insert(&r.geo, r).is_some() {
            let varying: Vec<&str> = filters
                .iter()
                .filter(|(_, _, get)| {
                    kept.iter().filter(|k| k.geo == r.geo).map(|k| get(k)).collect::<BTreeSet<_>>().len() > 1
                })
                .map(|(name, _, _)| *name)
                .collect();
            bail!(
                "{file}: several rows for area {} (they differ in: {}); choose one with --{}",
                r.geo,
                varying.join(", "),
                varying.first().copied().unwrap_or("indicator").replace('_', "-")
            );
        }
    }
    let areas = boundaries::load(source, &args.area_code, args.area_name.as_deref())?;
    let builtin = source.starts_with("nuts");
    let matched = areas.iter().filter(|a| by_geo.contains_key(a.code.as_str())).count();
    if matched == 0 {
        bail!("{file}: none of its areas ({}) is among the areas of {source}", first_codes(by_geo.keys().copied()));
    }
    let unmatched: Vec<&str> = by_geo.keys().copied().filter(|g| !areas.iter().any(|a| a.code == *g)).collect();
    if !unmatched.is_empty() {
        eprintln!(
            "note: {} areas of {file} are not in {source} and are not drawn: {}",
            unmatched.len(),
            first_codes(unmatched.iter().copied())
        );
    }
    let values: HashMap<&str, AreaValue> =
        by_geo.iter().map(|(g, r)| (*g, (Some(r.estimate), r.flag.contains('u')))).collect();
    let shapes = area_shapes(&areas, &values, builtin);
    let one = |get: fn(&IndicatorRow) -> &str| {
        let values: BTreeSet<&str> = kept.iter().map(|r| get(r)).collect();
        values.into_iter().collect::<Vec<_>>().join("/")
    };
    Ok(Drawn {
        shapes,
        title: format!("{}, {} {}", one(|r| &r.indicator), one(|r| &r.group), one(|r| &r.time)),
        legend: format!("{} ({})", one(|r| r.measure.code()), one(|r| &r.unit)),
    })
}

fn first_codes<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = codes.collect();
    all.sort_unstable();
    let more = all.len().saturating_sub(5);
    let mut text = all.into_iter().take(5).collect::<Vec<_>>().join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

fn grid_map(args: &Args, unit: &str) -> Result<Drawn> {
    let file = args.file.display().to_string();
    let (count, total) = (args.count.clone().unwrap_or_default(), args.total.clone().unwrap_or_default());
    let (ids, counts) = read_counts(&args.file, &file, Some(unit), &[count.clone(), total.clone()])?;
    validate_within(&counts[0], &counts[1]).map_err(|e| row_error(&file, &count, e))?;
    let scales: Vec<u32> = args.scale.into_iter().collect();
    let units = units_at_scales(&file, Some(unit), ids, counts, &scales)?.remove(0);
    let cells = units
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| id.parse::<CellId>().map_err(|e| anyhow!("{file}: row {}, column '{unit}': {e}", i + 1)))
        .collect::<Result<Vec<_>>>()?;
    let (x, t) = (&units.counts[0], &units.counts[1]);
    let values: Vec<f64> = if args.lq {
        location_quotients(x, t).map_err(|e| anyhow!("{file}: {e}"))?
    } else {
        x.iter().zip(t).map(|(&x, &t)| if t > 0.0 { x / t } else { f64::NAN }).collect()
    };
    let shapes = cells
        .iter()
        .zip(&values)
        .zip(x.iter().zip(t))
        .map(|((c, &v), (x, t))| cell_shape(c, format!("{c} ({x} of {t})"), Some(v)))
        .collect();
    let what = if args.lq { "Location quotient" } else { "Share" };
    Ok(Drawn {
        shapes,
        title: format!("{what} of {count} in {total}, {} m grid", units.scale),
        legend: if args.lq { "location quotient".into() } else { format!("{count} / {total}") },
    })
}

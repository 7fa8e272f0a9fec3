//! `urbis estimate`: design-based estimates from one microdata file.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::{ArgMatches, ValueEnum};
use regex::Regex;
use serde::Serialize;
use urbis_io::{read_table, ColumnType, ReadOptions};
use urbis_survey::{
    domains_of, estimate_in, Design, DesignSummary, GiniRule, LinearSpec, LonelyPsu, NamedColumn, Options,
    QuantileRule, RepType, ReplicateSpec, Row, Statistic,
};

use crate::output::{emit, number};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  urbis estimate examples/eusilc/eusilc.csv --ids db030 --strata db040 --weights rb050 \\\n      --arpr eqIncome --median-ratio eqIncome --by pb220a"
)]
pub struct Args {
    /// Microdata file: CSV (any common delimiter) or Parquet.
    pub file: PathBuf,

    /// Sampling weights column (default: all 1, or N_h/n_h with --fpc).
    #[arg(long, help_heading = "Design")]
    pub weights: Option<String>,
    /// Strata column.
    #[arg(long, help_heading = "Design")]
    pub strata: Option<String>,
    /// First-stage cluster (PSU) ids column.
    #[arg(long, help_heading = "Design")]
    pub ids: Option<String>,
    /// Finite population correction: population size per stratum, or sampling fraction.
    #[arg(long, help_heading = "Design")]
    pub fpc: Option<String>,
    /// PSU ids repeat across strata (nested in strata).
    #[arg(long, help_heading = "Design")]
    pub nest: bool,
    /// Treatment of strata with a single PSU.
    #[arg(long, value_enum, default_value = "fail", help_heading = "Design")]
    pub lonely_psu: LonelyArg,

    /// Regular expression matching the replicate weight columns (full weights).
    #[arg(long, help_heading = "Replicate weights")]
    pub repweights: Option<String>,
    /// Replicate method.
    #[arg(long, value_enum, help_heading = "Replicate weights")]
    pub reptype: Option<RepTypeArg>,
    /// Fay's rho.
    #[arg(long, help_heading = "Replicate weights")]
    pub rho: Option<f64>,
    /// Overall variance scale (default depends on the method, as in R survey).
    #[arg(long, help_heading = "Replicate weights")]
    pub scale: Option<f64>,
    /// Per-replicate scales: one number for all, or a comma-separated list.
    #[arg(long, value_delimiter = ',', help_heading = "Replicate weights")]
    pub rscales: Option<Vec<f64>>,
    /// Centre replicates at the full-sample estimate (mean squared error).
    #[arg(long, help_heading = "Replicate weights")]
    pub mse: bool,

    /// Mean of COL.
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub mean: Vec<String>,
    /// Total of COL.
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub total: Vec<String>,
    /// Ratio of two totals.
    #[arg(long, value_name = "NUM/DEN", help_heading = "Statistics")]
    pub ratio: Vec<String>,
    /// Proportion of each category of COL.
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub prop: Vec<String>,
    /// Quantile P of COL, with a Woodruff interval.
    #[arg(long, value_name = "COL:P", help_heading = "Statistics")]
    pub quantile: Vec<String>,
    /// At-risk-of-poverty rate (threshold from the whole population).
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub arpr: Vec<String>,
    /// At-risk-of-poverty threshold.
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub arpt: Vec<String>,
    /// Gini coefficient (0–1).
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub gini: Vec<String>,
    /// Quintile share ratio S80/S20.
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub qsr: Vec<String>,
    /// Domain median over whole-population median.
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub median_ratio: Vec<String>,
    /// Relative median at-risk-of-poverty gap.
    #[arg(long, value_name = "COL", help_heading = "Statistics")]
    pub rmpg: Vec<String>,

    /// Domains: estimate for each combination of these columns.
    #[arg(long, value_delimiter = ',', value_name = "COL[,COL...]", help_heading = "Options")]
    pub by: Vec<String>,
    /// Also estimate the difference A − B between two levels of the last --by column, with its SE.
    #[arg(long, value_name = "A,B", help_heading = "Options")]
    pub diff: Option<String>,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95, help_heading = "Options")]
    pub level: f64,
    /// Quantile rule (R survey's qrule).
    #[arg(long, value_enum, default_value = "math", help_heading = "Options")]
    pub qrule: QRuleArg,
    /// Gini definition: Eurostat's EU-SILC formula (as R laeken) or R convey's svygini.
    #[arg(long, value_enum, default_value = "eurostat", help_heading = "Options")]
    pub gini_rule: GiniRuleArg,
    /// Share of the median used as the poverty threshold.
    #[arg(long, default_value_t = 0.6, help_heading = "Options")]
    pub poverty_share: f64,

    /// Output format.
    #[arg(long, value_enum, default_value = "csv", help_heading = "Input and output")]
    pub format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short, help_heading = "Input and output")]
    pub out: Option<PathBuf>,
    /// CSV delimiter (sniffed from the header when not given).
    #[arg(long, help_heading = "Input and output")]
    pub delimiter: Option<char>,
    /// Extra codes meaning "missing" (empty and NA always do).
    #[arg(long, value_delimiter = ',', value_name = "CODE[,CODE...]", help_heading = "Input and output")]
    pub na: Vec<String>,
    /// Column type override.
    #[arg(long = "type", value_name = "COL=number|text", help_heading = "Input and output")]
    pub types: Vec<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LonelyArg {
    Fail,
    Remove,
    Adjust,
    Average,
    Certainty,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RepTypeArg {
    Brr,
    Fay,
    Jk1,
    Jkn,
    Bootstrap,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum QRuleArg {
    Math,
    Hf7,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GiniRuleArg {
    Eurostat,
    Convey,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Statistic flags in the order they appear on the command line.
const STAT_FLAGS: [&str; 11] =
    ["mean", "total", "ratio", "prop", "quantile", "arpr", "arpt", "gini", "qsr", "median_ratio", "rmpg"];

fn statistics(matches: &ArgMatches) -> Result<Vec<Statistic>> {
    let mut ordered: Vec<(usize, Statistic)> = Vec::new();
    for flag in STAT_FLAGS {
        let values: Vec<&String> = matches.get_many::<String>(flag).map(|v| v.collect()).unwrap_or_default();
        let indices: Vec<usize> = matches.indices_of(flag).map(|i| i.collect()).unwrap_or_default();
        for (value, index) in values.into_iter().zip(indices) {
            ordered.push((index, parse_statistic(flag, value)?));
        }
    }
    ordered.sort_by_key(|(i, _)| *i);
    let stats: Vec<Statistic> = ordered.into_iter().map(|(_, s)| s).collect();
    if stats.is_empty() {
        bail!("no statistic requested: add --mean, --total, --ratio, --prop, --quantile, --arpr, --arpt, --gini, --qsr, --median-ratio or --rmpg");
    }
    Ok(stats)
}

fn parse_statistic(flag: &str, value: &str) -> Result<Statistic> {
    let v = value.to_string();
    Ok(match flag {
        "mean" => Statistic::Mean(v),
        "total" => Statistic::Total(v),
        "prop" => Statistic::Prop(v),
        "arpr" => Statistic::Arpr(v),
        "arpt" => Statistic::Arpt(v),
        "gini" => Statistic::Gini(v),
        "qsr" => Statistic::Qsr(v),
        "median_ratio" => Statistic::MedianRatio(v),
        "rmpg" => Statistic::Rmpg(v),
        "ratio" => {
            let (numerator, denominator) =
                value.split_once('/').ok_or_else(|| anyhow!("--ratio expects NUM/DEN, got '{value}'"))?;
            Statistic::Ratio { numerator: numerator.into(), denominator: denominator.into() }
        }
        "quantile" => {
            let (variable, p) =
                value.rsplit_once(':').ok_or_else(|| anyhow!("--quantile expects COL:P, got '{value}'"))?;
            let p: f64 = p.parse().map_err(|_| anyhow!("--quantile {value}: '{p}' is not a probability"))?;
            if !(0.0..=1.0).contains(&p) {
                bail!("--quantile {value}: the probability must be between 0 and 1");
            }
            Statistic::Quantile { variable: variable.into(), p }
        }
        other => unreachable!("unknown statistic flag {other}"),
    })
}

pub fn run(args: Args, matches: &ArgMatches) -> Result<()> {
    let stats = statistics(matches)?;
    let file = args.file.display().to_string();
    let delimiter = match args.delimiter {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => bail!("--delimiter must be a single ASCII character, got '{c}'"),
        None => None,
    };
    let replicate_columns = match &args.repweights {
        Some(pattern) => {
            let re =
                Regex::new(pattern).with_context(|| format!("--repweights: invalid regular expression '{pattern}'"))?;
            let names = urbis_io::column_names(&args.file, delimiter)?;
            let found: Vec<String> = names.into_iter().filter(|n| re.is_match(n)).collect();
            if found.is_empty() {
                bail!("{file}: no column matches the replicate weight pattern '{pattern}'");
            }
            found
        }
        None => Vec::new(),
    };
    if args.repweights.is_some() != args.reptype.is_some() {
        bail!("--repweights and --reptype go together");
    }
    if args.repweights.is_some() && (args.strata.is_some() || args.ids.is_some() || args.fpc.is_some()) {
        bail!("a replicate-weight design takes no --strata, --ids or --fpc: the replicate weights carry the design");
    }
    if args.repweights.is_some() && args.weights.is_none() {
        bail!("a replicate-weight design needs --weights (the full-sample weights)");
    }

    // Only the columns the estimates need are read.
    let mut columns: BTreeSet<String> = BTreeSet::new();
    for c in [&args.weights, &args.strata, &args.ids, &args.fpc].into_iter().flatten() {
        columns.insert(c.clone());
    }
    columns.extend(args.by.iter().cloned());
    for s in &stats {
        columns.extend(s.columns().into_iter().map(str::to_string));
    }
    let mut ordered: Vec<String> = columns.into_iter().collect();
    ordered.extend(replicate_columns.iter().filter(|c| !ordered.contains(c)).cloned().collect::<Vec<_>>());

    let mut read = ReadOptions { columns: ordered, delimiter, ..Default::default() };
    read.missing.extend(args.na.iter().cloned());
    for t in &args.types {
        let (col, ty) = t.split_once('=').ok_or_else(|| anyhow!("--type expects COL=number|text, got '{t}'"))?;
        let ty = match ty {
            "number" => ColumnType::Number,
            "text" => ColumnType::Text,
            other => bail!("--type {t}: unknown type '{other}' (number or text)"),
        };
        read.types.insert(col.to_string(), ty);
    }
    // Weights and replicate weights must be numbers: say so at the bad row.
    for c in args.weights.iter().chain(&replicate_columns).chain(&args.fpc) {
        read.types.entry(c.clone()).or_insert(ColumnType::Number);
    }
    let mut frame = read_table(&args.file, &read)?;
    if frame.n_rows() == 0 {
        bail!("{file}: no data rows");
    }
    // The design takes the replicate columns over (unless a statistic reads one too).
    let analysed: BTreeSet<&str> =
        stats.iter().flat_map(|s| s.columns()).chain(args.by.iter().map(String::as_str)).collect();
    let replicates: Vec<(String, urbis_core::Column)> = replicate_columns
        .iter()
        .map(|c| {
            let column = if analysed.contains(c.as_str()) { frame.column(c).cloned() } else { frame.take(c) };
            (c.clone(), column.expect("column was read"))
        })
        .collect();
    fn named<'a>(frame: &'a urbis_core::Frame, name: &'a str) -> NamedColumn<'a> {
        NamedColumn { name, column: frame.column(name).expect("column was read") }
    }
    let design = if let Some(rep_type) = args.reptype {
        Design::replicate(ReplicateSpec {
            weights: named(&frame, args.weights.as_ref().expect("checked above")),
            replicates,
            rep_type: match rep_type {
                RepTypeArg::Brr => RepType::Brr,
                RepTypeArg::Fay => RepType::Fay,
                RepTypeArg::Jk1 => RepType::Jk1,
                RepTypeArg::Jkn => RepType::Jkn,
                RepTypeArg::Bootstrap => RepType::Bootstrap,
            },
            rho: args.rho,
            scale: args.scale,
            rscales: args.rscales.clone(),
            mse: args.mse,
        })
    } else {
        Design::linear(
            frame.n_rows(),
            &LinearSpec {
                weights: args.weights.as_deref().map(|c| named(&frame, c)),
                strata: args.strata.as_deref().map(|c| named(&frame, c)),
                ids: args.ids.as_deref().map(|c| named(&frame, c)),
                fpc: args.fpc.as_deref().map(|c| named(&frame, c)),
                nest: args.nest,
                lonely_psu: match args.lonely_psu {
                    LonelyArg::Fail => LonelyPsu::Fail,
                    LonelyArg::Remove => LonelyPsu::Remove,
                    LonelyArg::Adjust => LonelyPsu::Adjust,
                    LonelyArg::Average => LonelyPsu::Average,
                    LonelyArg::Certainty => LonelyPsu::Certainty,
                },
            },
        )
    }
    .map_err(|e| anyhow!("{file}: {e}"))?;
    // The design holds what it needs of its columns: free them before estimating.
    for c in [&args.weights, &args.strata, &args.ids, &args.fpc].into_iter().flatten() {
        if !analysed.contains(c.as_str()) {
            frame.take(c);
        }
    }

    let diff = match &args.diff {
        Some(d) => {
            let (a, b) = d.split_once(',').ok_or_else(|| anyhow!("--diff expects A,B, got '{d}'"))?;
            Some((a.to_string(), b.to_string()))
        }
        None => None,
    };
    let options = Options {
        level: args.level,
        qrule: match args.qrule {
            QRuleArg::Math => QuantileRule::Math,
            QRuleArg::Hf7 => QuantileRule::Hf7,
        },
        gini_rule: match args.gini_rule {
            GiniRuleArg::Eurostat => GiniRule::Eurostat,
            GiniRuleArg::Convey => GiniRule::Convey,
        },
        poverty_share: args.poverty_share,
        diff,
    };
    let by: Vec<&str> = args.by.iter().map(String::as_str).collect();
    let domains = domains_of(&frame, &by).map_err(|e| anyhow!("{file}: {e}"))?;
    // The domain codes are all the estimates need of the `by` columns.
    let used: BTreeSet<&str> = stats.iter().flat_map(|s| s.columns()).collect();
    for b in &by {
        if !used.contains(b) {
            frame.take(b);
        }
    }
    let rows =
        estimate_in(&frame, &design, &domains, by.len(), &stats, &options).map_err(|e| anyhow!("{file}: {e}"))?;
    let bytes = match args.format {
        Format::Csv => to_csv(&rows, &args.by)?,
        Format::Json => to_json(&rows, &args.by, &design.summary(), &options)?,
    };
    emit(args.out.as_deref(), &bytes)
}

fn to_csv(rows: &[Row], by: &[String]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = vec!["statistic", "variable"];
    header.extend(by.iter().map(String::as_str));
    header.extend(["estimate", "se", "ci_low", "ci_high", "cv", "n", "pop_size", "df"]);
    w.write_record(&header)?;
    for r in rows {
        let e = &r.estimate;
        let mut record = vec![r.statistic.clone(), r.variable.clone()];
        record.extend(r.domain.iter().cloned());
        record.extend([e.estimate, e.se, e.ci_low, e.ci_high, e.cv].map(number));
        record.push(e.n.to_string());
        record.extend([e.pop_size, e.df].map(number));
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| anyhow!("{e}"))
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    design: &'a DesignSummary,
    options: &'a Options,
    results: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    statistic: &'a str,
    variable: &'a str,
    domain: serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    estimate: &'a urbis_core::Estimate,
}

fn to_json(rows: &[Row], by: &[String], design: &DesignSummary, options: &Options) -> Result<Vec<u8>> {
    let results = rows
        .iter()
        .map(|r| JsonRow {
            statistic: &r.statistic,
            variable: &r.variable,
            domain: by.iter().cloned().zip(r.domain.iter().map(|d| serde_json::Value::String(d.clone()))).collect(),
            estimate: &r.estimate,
        })
        .collect();
    crate::output::json(&JsonOutput { design, options, results })
}

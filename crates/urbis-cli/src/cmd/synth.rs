//! `urbis synth`: deterministic synthetic LFS/SILC-like microdata (see the
//! `urbis-synth` crate for the model and the columns). This module only
//! parses arguments, reads `--areas-file` and writes atomically.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use urbis_synth::{Config, Format, Generator, Kind};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Columns and codes: see the urbis-synth crate documentation.\n\nExample:\n  urbis synth --persons 1M --areas DE212,AT130,FR101 --years 2022-2024 --replicates 80 --out synth.parquet \\\n      --hierarchy-out hierarchy.csv"
)]
pub struct Args {
    /// Number of persons to generate (accepts 200k, 1M, 1e6, 1_000_000).
    #[arg(long, value_parser = parse_count)]
    pub persons: u64,
    /// Area codes (NUTS 3), comma-separated, e.g. DE212,AT130,FR101.
    #[arg(long, value_delimiter = ',', value_name = "CODE[,CODE...]")]
    pub areas: Vec<String>,
    /// File of area codes: one per line (or comma-separated); blank lines and lines starting with # are skipped.
    #[arg(long, value_name = "FILE")]
    pub areas_file: Option<PathBuf>,
    /// Districts per area (codes <AREA>_D01, <AREA>_D02, ...).
    #[arg(long, default_value_t = 6, value_name = "K")]
    pub districts: usize,
    /// Survey year.
    #[arg(long, conflicts_with = "years", value_name = "Y")]
    pub year: Option<i32>,
    /// Range of survey years, e.g. 2022-2024 (strata become district × year).
    #[arg(long, value_parser = parse_years, value_name = "Y1-Y2")]
    pub years: Option<(i32, i32)>,
    /// Number of bootstrap replicate weights rep_1..rep_R (Rao–Wu).
    #[arg(long, default_value_t = 0, value_name = "R")]
    pub replicates: usize,
    /// Random seed: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Columns to write: LFS-like, SILC-like, or both.
    #[arg(long, value_enum, default_value = "both")]
    pub kind: KindArg,
    /// Output format (default: csv if --out ends in .csv, otherwise parquet).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Output file (written atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the district hierarchy as CSV: district,city,nuts3,nuts2,country,degurba.
    #[arg(long, value_name = "FILE")]
    pub hierarchy_out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    Lfs,
    Silc,
    Both,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Parquet,
    Csv,
}

/// A count with an optional k/M/G suffix, underscores or exponent notation.
fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('m' | 'M') => (&t[..t.len() - 1], 1e6),
        Some('g' | 'G') => (&t[..t.len() - 1], 1e9),
        _ => (&t[..], 1.0),
    };
    if let Ok(n) = num.parse::<u64>() {
        return Ok(n * mult as u64);
    }
    let x = num.parse::<f64>().map_err(|_| format!("'{s}' is not a number of persons"))? * mult;
    if !(x.is_finite() && x >= 1.0 && x.fract() == 0.0 && x < 1e15) {
        return Err(format!("'{s}' is not a whole positive number of persons"));
    }
    Ok(x as u64)
}

fn parse_years(s: &str) -> Result<(i32, i32), String> {
    let bad = || format!("'{s}' is not a range of years like 2022-2024");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let (a, b) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    Ok((a, b))
}

fn read_areas_file(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|l| l.split([',', ';', '\t', ' ']))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect())
}

pub fn run(args: Args) -> Result<()> {
    let mut areas: Vec<String> = args.areas.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    if let Some(f) = &args.areas_file {
        areas.extend(read_areas_file(f)?);
    }
    let years = match (args.year, args.years) {
        (_, Some(range)) => range,
        (Some(y), None) => (y, y),
        (None, None) => (2024, 2024),
    };
    let kind = match args.kind {
        KindArg::Lfs => Kind::Lfs,
        KindArg::Silc => Kind::Silc,
        KindArg::Both => Kind::Both,
    };
    let format = match args.format {
        Some(FormatArg::Csv) => Format::Csv,
        Some(FormatArg::Parquet) => Format::Parquet,
        None if args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => Format::Csv,
        None => Format::Parquet,
    };
    if args.hierarchy_out.as_ref() == Some(&args.out) {
        bail!("--out and --hierarchy-out must be different files");
    }
    let config = Config {
        persons: args.persons,
        areas,
        districts: args.districts,
        years,
        replicates: args.replicates,
        seed: args.seed,
        kind,
    };
    let generator = Generator::new(config)?;

    let start = Instant::now();
    let show = std::io::stderr().is_terminal();
    let progress = move |done: u64, total: u64| {
        if show {
            eprint!("\r{done} / {total} persons");
        }
    };
    let data = temp_in_dir(&args.out)?;
    let hierarchy = match &args.hierarchy_out {
        Some(path) => {
            let mut t = temp_in_dir(path)?;
            t.write_all(generator.hierarchy_csv().as_bytes())?;
            Some((t, path))
        }
        None => None,
    };
    let mut out = BufWriter::with_capacity(1 << 20, data);
    let summary = generator
        .write(format, &mut out, Some(&progress))
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let data = out.into_inner().map_err(|e| e.into_error())?;
    persist(data, &args.out)?;
    if let Some((t, path)) = hierarchy {
        persist(t, path)?;
    }
    let secs = start.elapsed().as_secs_f64();
    if show {
        eprintln!();
    }
    eprintln!(
        "wrote {} persons in {} households, {} PSUs, {} strata to {} ({:.1} s, {:.0} persons/s)",
        summary.persons,
        summary.households,
        summary.psus,
        summary.strata,
        args.out.display(),
        secs,
        summary.persons as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn temp_in_dir(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))
}

fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    // Temporary files are private (0600); the output is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_years_parse() {
        assert_eq!(parse_count("200k"), Ok(200_000));
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        assert_eq!(parse_count("1.5M"), Ok(1_500_000));
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        assert_eq!(parse_count("1_000"), Ok(1_000));
        assert!(parse_count("many").is_err() && parse_count("-5").is_err() && parse_count("0.5").is_err());
        assert_eq!(parse_years("2022-2024"), Ok((2022, 2024)));
        assert!(parse_years("2022").is_err());
    }
}

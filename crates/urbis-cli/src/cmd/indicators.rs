//! `urbis indicators CONFIG --out DIR`: the indicator table, its metadata and
//! the publication review (`review.txt`, `review.json`).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use urbis_indicators::pipeline::{self, Metadata, Report, Run};
use urbis_io::tables;

use crate::output::{json, write_all_atomic};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Project configuration (TOML, see docs/config.md).
    pub config: PathBuf,
    /// Folder for indicators.csv, the formats the configuration asks for, metadata.json (with the run report) and the publication review (review.txt, review.json).
    #[arg(long, required_unless_present = "store")]
    pub out: Option<PathBuf>,
    /// Also write the run into this urbis store (SQLite; created if needed), in one transaction.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Reads and runs a configuration; errors name the configuration file and line.
pub fn load_and_run(config_path: &Path, quiet: bool) -> Result<(urbis_indicators::config::Config, Run)> {
    let name = config_path.display().to_string();
    let text = std::fs::read_to_string(config_path).with_context(|| format!("cannot read {name}"))?;
    let (config, source) = urbis_indicators::config::parse(&text).map_err(|e| anyhow!("{name}: {e}"))?;
    let base = config_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let bar = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} indicator runs {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let run = pipeline::run(&config, &source, base, &progress).map_err(|e| anyhow!("{name}: {e}"))?;
    bar.finish_and_clear();
    Ok((config, run))
}

/// The run's notes for the statistician: unmapped codes, hierarchy
/// inconsistencies, indicators skipped, small-area models not fitted.
pub fn notes(run: &Run) -> impl Iterator<Item = &String> {
    run.report
        .unknown_codes
        .iter()
        .chain(&run.report.hierarchy)
        .chain(&run.report.skipped)
        .chain(&run.report.small_area)
}

#[derive(Serialize)]
struct MetadataFile<'a> {
    #[serde(flatten)]
    metadata: &'a Metadata,
    report: &'a Report,
}

pub fn run(args: Args) -> Result<()> {
    let (config, run) = load_and_run(&args.config, args.quiet)?;
    // Everything is rendered (each format beside the others) before
    // anything is written.
    let rows = &run.rows;
    let mut jobs: Vec<(&str, Render)> = vec![("indicators.csv", Box::new(|| Ok(tables::csv::render(rows)?)))];
    for format in &config.output.formats {
        match format.get_ref().as_str() {
            "csv" => {}
            "parquet" => jobs.push(("indicators.parquet", Box::new(|| Ok(tables::parquet::render(rows)?)))),
            "jsonstat" => {
                let meta = tables::jsonstat::DatasetMeta {
                    label: run.metadata.project.clone(),
                    source: run.metadata.software.clone(),
                    updated: today(),
                    labels: [(
                        "indicator".to_string(),
                        run.metadata.indicators.iter().map(|i| (i.id.clone(), i.label.clone())).collect(),
                    )]
                    .into(),
                };
                jobs.push(("indicators.json", Box::new(move || Ok(tables::jsonstat::render(rows, &meta)?))));
            }
            "sdmx" => {
                let dataflow = &config.output.dataflow;
                jobs.push(("indicators.sdmx.csv", Box::new(move || Ok(tables::sdmx::render(rows, dataflow)?))));
            }
            other => return Err(anyhow!("unknown output format {other}")),
        }
    }
    let mut files = render_all(jobs)?;
    files.push(("metadata.json", json(&MetadataFile { metadata: &run.metadata, report: &run.report })?));
    files.push(("review.txt", run.review.to_text().into_bytes()));
    files.push(("review.json", json(&run.review)?));
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        write_all_atomic(out, &files)?;
    }
    if let Some(store) = &args.store {
        let text =
            std::fs::read_to_string(&args.config).with_context(|| format!("cannot read {}", args.config.display()))?;
        let id = crate::store::write_run(store, &text, &run)?;
        if !args.quiet {
            eprintln!("run {id} written to the store {}", store.display());
        }
    }
    for note in notes(&run) {
        eprintln!("note: {note}");
    }
    if let Some(warning) = run.review.warning() {
        eprintln!("warning: {warning} (see review.txt)");
    }
    if let (false, Some(out)) = (args.quiet, &args.out) {
        eprintln!("{} figures written to {}", run.rows.len(), out.display());
    }
    Ok(())
}

/// Renders one output file.
type Render<'a> = Box<dyn FnOnce() -> Result<Vec<u8>> + Send + 'a>;

/// Runs every render side by side; the files in the order of `jobs`.
fn render_all<'a>(jobs: Vec<(&'a str, Render<'_>)>) -> Result<Vec<(&'a str, Vec<u8>)>> {
    std::thread::scope(|scope| {
        let running: Vec<_> = jobs.into_iter().map(|(name, job)| (name, scope.spawn(job))).collect();
        running
            .into_iter()
            .map(|(name, job)| {
                let bytes = job.join().unwrap_or_else(|_| Err(anyhow!("rendering {name} failed")))?;
                Ok((name, bytes))
            })
            .collect()
    })
}

/// Today's date (UTC) as YYYY-MM-DD.
fn today() -> String {
    let days =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() / 86_400).unwrap_or(0);
    urbis_store::civil_date(days)
}

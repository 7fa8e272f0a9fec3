//! The `urbis` command line. Each subcommand lives in `cmd/<name>.rs`; this
//! file only parses arguments and turns the outcome into an exit code:
//! 0 success, 1 bad input or failed estimation, 2 bad usage.

mod boundaries;
mod cmd;
mod output;
mod store;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "urbis",
    version,
    about = "Migrant-integration indicators for cities and regions, with honest uncertainty"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Design-based estimates (means, totals, ratios, proportions, quantiles, poverty) from survey microdata.
    Estimate(Box<cmd::estimate::Args>),
    /// The EU migrant-integration indicators for every group and area level, from a project configuration.
    Indicators(cmd::indicators::Args),
    /// Runs a configuration without writing anything and prints the publication review (flags, suppressions, reasons).
    Check(cmd::check::Args),
    /// SVG maps: an indicator table by area (choropleth) or grid cells (shares, location quotients).
    Map(Box<cmd::map::Args>),
    /// Residential segregation and concentration indices from counts per grid cell or area, at several scales.
    Segregation(Box<cmd::segregation::Args>),
    /// The dashboard and API over a store (`--db FILE`) or the built-in demo (`--demo`); `--hub` lets cities upload with tokens.
    Serve(cmd::serve::Args),
    /// Small-area estimates from direct estimates per area (Fay-Herriot model: EBLUP, MSE, benchmarking).
    Sae(Box<cmd::sae::Args>),
    /// Small-area estimates of area means from unit-level data (Battese-Harter-Fuller nested-error model).
    SaeUnit(Box<cmd::sae::UnitArgs>),
    /// Deterministic synthetic LFS/SILC-like person microdata for tests, examples and benchmarks.
    Synth(Box<cmd::synth::Args>),
    /// A bundle of a project's published figures and metadata with checksums, for other cities (docs/bundle.md).
    Export(cmd::export::Args),
    /// Adds another city's bundle to a store, keeping who published it, when and from which run.
    Import(cmd::import::Args),
    /// The catalogue of integration initiatives, networks, instruments and data sources: import and export as CSV or JSON.
    Catalogue(cmd::catalogue::Args),
    /// The API tokens of a hub (`serve --hub`): create (printed once, stored hashed), list, revoke.
    Token(cmd::token::Args),
}

/// Buffers of this size or more are mapped on their own and returned to the
/// system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_MAPPING_FROM: i32 = 1 << 20;

/// glibc raises the size from which it maps buffers on their own each time
/// such a buffer is freed, so that later buffers of up to 32 MiB come from
/// its heaps and stay there after they are freed: a run that builds and
/// frees many row-sized vectors (one indicator after another) keeps
/// hundreds of megabytes it no longer uses. A fixed size keeps the peak
/// memory close to what is live (10M persons, whole catalogue: 4.0 -> 3.7 GB,
/// the same time; bench/README.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_buffers() {
    // SAFETY: mallopt only changes an allocator setting; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_buffers() {}

fn main() {
    return_freed_buffers();
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let outcome = match cli.command {
        Command::Estimate(args) => {
            let sub = matches.subcommand_matches("estimate").expect("estimate subcommand");
            cmd::estimate::run(*args, sub)
        }
        Command::Indicators(args) => cmd::indicators::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Map(args) => cmd::map::run(*args),
        Command::Segregation(args) => cmd::segregation::run(*args),
        Command::Sae(args) => cmd::sae::run(*args),
        Command::SaeUnit(args) => cmd::sae::run_unit(*args),
        Command::Synth(args) => cmd::synth::run(*args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Catalogue(args) => cmd::catalogue::run(args),
        Command::Token(args) => cmd::token::run(args),
    };
    if let Err(e) = outcome {
        if is_broken_pipe(&e) {
            std::process::exit(0);
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

//! `urbis check CONFIG`: runs everything `urbis indicators` does, writes
//! nothing, and prints the publication review (what is flagged or
//! suppressed, and why) with the run's notes, for review before release.

use std::path::PathBuf;

use anyhow::Result;

use super::indicators::{load_and_run, notes};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Project configuration (TOML, see docs/config.md).
    pub config: PathBuf,
    /// Print the review as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let (_, run) = load_and_run(&args.config, args.quiet)?;
    let out = if args.json {
        crate::output::json(&run.review)?
    } else {
        let mut text = run.review.to_text();
        for note in notes(&run) {
            text.push_str(&format!("note: {note}\n"));
        }
        text.into_bytes()
    };
    use std::io::Write;
    std::io::stdout().lock().write_all(&out)?;
    Ok(())
}

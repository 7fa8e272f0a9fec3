//! `urbis import BUNDLE --db FILE`: adds another city's bundle to a store,
//! with its provenance (docs/bundle.md). Everything is checked before the
//! store is opened; the import is one transaction.

use std::path::PathBuf;

use anyhow::Result;
use urbis_store::bundle::{self, ImportOutcome};
use urbis_store::Store;

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  urbis import vienna-2023 --db city.sqlite")]
pub struct Args {
    /// The bundle: a folder, or a tar file (`urbis export --archive`).
    pub bundle: PathBuf,
    /// The store to add it to (created if needed).
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let checked = bundle::read(&args.bundle)?;
    let mut store = Store::open(&args.db)?;
    let m = &checked.manifest;
    match store.import_bundle(&checked, &urbis_store::now_utc())? {
        ImportOutcome::AlreadyImported { run_id } => eprintln!(
            "already imported: these figures of '{}' are run {run_id} of {}; nothing changed",
            m.publisher.name,
            args.db.display()
        ),
        ImportOutcome::Imported { run_id, replaced } => {
            eprintln!(
                "imported '{}' (their run {} of {}, bundle of {}) as run {run_id} of {}: {} figures",
                m.publisher.name,
                m.source_run.id,
                m.source_run.created_at,
                m.created_at,
                args.db.display(),
                m.figures
            );
            if let Some(old) = replaced {
                eprintln!(
                    "it replaces run {old} as the current figures of '{}'; run {old} is kept as history",
                    m.publisher.name
                );
            }
        }
    }
    Ok(())
}

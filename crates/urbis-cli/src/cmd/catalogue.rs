//! `urbis catalogue import FILE --db FILE` and `urbis catalogue export --db
//! FILE --out FILE`: the catalogue of initiatives, networks, instruments and
//! data sources (docs/catalogue.md), as CSV or JSON (by the file's extension).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use urbis_store::catalogue::{self, Search};
use urbis_store::Store;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Adds the entries of a CSV or JSON file to the store's catalogue (an entry with a known id replaces it), in one transaction.
    Import {
        /// The catalogue file (.csv or .json).
        file: PathBuf,
        /// The store (created if needed).
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Writes the store's catalogue as CSV or JSON (by the extension of --out).
    Export {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The file to write (.csv or .json).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy)]
enum Form {
    Csv,
    Json,
}

fn form(path: &Path) -> Result<Form> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(Form::Csv),
        Some("json") => Ok(Form::Json),
        _ => bail!("{}: the catalogue is read and written as .csv or .json", path.display()),
    }
}

pub fn run(args: Args) -> Result<()> {
    match args.action {
        Action::Import { file, db } => {
            let kind = form(&file)?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let entries = match kind {
                Form::Csv => catalogue::parse_csv(&bytes, &name)?,
                Form::Json => catalogue::parse_json(&bytes, &name)?,
            };
            let mut store = Store::open(&db)?;
            let (added, replaced) = store.import_catalogue(&entries)?;
            eprintln!("catalogue of {}: {added} entries added, {replaced} replaced", db.display());
            Ok(())
        }
        Action::Export { db, out } => {
            let kind = form(&out)?;
            if !db.exists() {
                bail!("{}: no such store", db.display());
            }
            let store = Store::open_read_only(&db)?;
            let entries = store.initiatives(&Search::default())?;
            let bytes = match kind {
                Form::Csv => catalogue::render_csv(&entries)?,
                Form::Json => catalogue::render_json(&entries),
            };
            crate::output::write_atomic(&out, &bytes)?;
            eprintln!("{} catalogue entries written to {}", entries.len(), out.display());
            Ok(())
        }
    }
}

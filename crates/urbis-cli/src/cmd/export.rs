//! `urbis export --db FILE --out BUNDLE [--archive]`: a bundle of a
//! project's published figures and metadata, with checksums
//! (docs/bundle.md), for other cities: a folder, or one tar file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use urbis_store::bundle::{ExportOptions, MANIFEST};
use urbis_store::Store;

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  urbis export --db city.sqlite --out vienna-2023 --publisher AT130")]
pub struct Args {
    /// The store holding the figures (made by `urbis indicators CONFIG --store FILE`).
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// The bundle folder to write (with --archive, the .tar file); it must not exist yet.
    #[arg(long, value_name = "BUNDLE")]
    pub out: PathBuf,
    /// Writes the bundle as one uncompressed tar file (its files inside a folder named after it), as a hub takes it.
    #[arg(long)]
    pub archive: bool,
    /// The project to export, when the store holds several.
    #[arg(long)]
    pub project: Option<String>,
    /// A code for the publisher, kept with the figures (e.g. a LAU or NUTS code).
    #[arg(long)]
    pub publisher: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    if !args.db.exists() {
        bail!("{}: no such store", args.db.display());
    }
    if args.out.exists() {
        bail!("{} already exists; choose another folder for the bundle or remove it", args.out.display());
    }
    let store = Store::open_read_only(&args.db)?;
    let created_at = urbis_store::now_utc();
    let software = format!("urbis {}", env!("CARGO_PKG_VERSION"));
    let export = store.export_bundle(&ExportOptions {
        project: args.project.as_deref(),
        publisher_code: args.publisher.as_deref(),
        created_at: &created_at,
        software: &software,
    })?;
    if args.archive {
        write_archive(&args.out, &export.files)?;
    } else {
        write_folder(&args.out, &export.files)?;
    }
    let m = &export.manifest;
    eprintln!(
        "bundle of '{}' (run {} of {}) written to {}: {} figures, {} with published values",
        m.publisher.name,
        m.source_run.id,
        m.source_run.created_at,
        args.out.display(),
        m.figures,
        m.published
    );
    Ok(())
}

/// Writes the files as one tar archive (atomically), inside a folder named
/// after the file (`vienna-2023.tar` holds `vienna-2023/manifest.json`, …).
fn write_archive(out: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("bundle");
    let plain = !stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    let folder = if plain && !stem.starts_with('.') { stem } else { "bundle" };
    let mtime = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let bytes = urbis_store::archive::write(Some(folder), files, mtime).map_err(anyhow::Error::msg)?;
    crate::output::write_atomic(out, &bytes)
}

/// Writes the files into a temporary folder beside `out`, then renames it,
/// so an interrupted export leaves no bundle at all. The manifest is the
/// last file of `files`.
fn write_folder(out: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let partial = tempfile::Builder::new()
        .prefix(".urbis-bundle-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot write in {}", parent.display()))?;
    for (name, bytes) in files {
        crate::output::write_atomic(&partial.path().join(name), bytes)?;
    }
    debug_assert!(files.last().is_some_and(|(n, _)| n == MANIFEST));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(partial.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    let path = partial.keep();
    std::fs::rename(&path, out).with_context(|| {
        let _ = std::fs::remove_dir_all(&path);
        format!("cannot write {}", out.display())
    })?;
    Ok(())
}

//! Writing results: everything is rendered in memory first, then written to
//! stdout or atomically to a file (temporary file + rename), so a failure
//! never leaves partial output.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically, or to stdout when `path` is `None`.
pub fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
        Some(path) => write_atomic(path, bytes),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it. The
/// file gets the usual permissions of a new file (0666 less the umask), not
/// the private 0600 of temporary files.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    written(path, bytes)?.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes each `(name, bytes)` into `dir`: every file to a temporary file
/// first, side by side, and only once all are written and synced are they
/// renamed, so that a failure leaves none of them half-written.
pub fn write_all_atomic(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    let temporary: Vec<Result<tempfile::NamedTempFile>> = std::thread::scope(|scope| {
        let writers: Vec<_> =
            files.iter().map(|(name, bytes)| scope.spawn(move || written(&dir.join(name), bytes))).collect();
        writers.into_iter().map(|w| w.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a writer failed")))).collect()
    });
    let temporary = temporary.into_iter().collect::<Result<Vec<_>>>()?;
    for (tmp, (name, _)) in temporary.into_iter().zip(files) {
        let path = dir.join(name);
        tmp.persist(&path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `bytes` written and synced to a temporary file beside `path`.
fn written(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Pretty-printed JSON ending with a newline, as every JSON output is written.
pub fn json(value: &impl serde::Serialize) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A number as text for CSV: shortest round-trip form, empty when missing.
pub fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else if x.is_nan() {
        String::new()
    } else if x > 0.0 {
        "Inf".into()
    } else {
        "-Inf".into()
    }
}

#[cfg(all(test, unix))]
mod permission_tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_files_get_the_permissions_of_any_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let atomic = dir.path().join("atomic");
        super::write_atomic(&atomic, b"x").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
    }
}

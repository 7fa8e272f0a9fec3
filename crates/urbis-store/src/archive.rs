//! A bundle as one file: an uncompressed POSIX tar archive (ustar), the
//! single-body form a bundle is uploaded in (docs/hub.md) and that
//! `urbis export --archive` writes. Any `tar` reads and makes it
//! (`tar -cf vienna-2023.tar vienna-2023`).
//!
//! The reader is written for untrusted input: it never panics, reads no
//! more than the bytes it is given, and accepts only regular files with
//! plain names, either at the top or all inside one folder. Directory
//! entries and pax extended headers are skipped; links, devices, absolute
//! names, `..` and deeper folders are refused.

use std::collections::BTreeMap;

/// A tar block.
const BLOCK: usize = 512;
/// Files an archive may hold (a bundle has four).
pub const MAX_ENTRIES: usize = 64;

/// The files of an archive by name (without the folder), and the folder
/// they were in, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    pub folder: Option<String>,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Makes a ustar archive of `files`, each inside `folder` when given.
/// `mtime` is the files' modification time in seconds since 1970. A name
/// (with its folder) longer than ustar's 100 bytes is an error.
pub fn write(folder: Option<&str>, files: &[(String, Vec<u8>)], mtime: u64) -> Result<Vec<u8>, String> {
    let fits = |name: &str| {
        if name.len() <= 100 {
            Ok(())
        } else {
            Err(format!("'{name}' is longer than the 100 bytes a tar name may have; choose a shorter name"))
        }
    };
    let mut out = Vec::new();
    if let Some(folder) = folder {
        let name = format!("{folder}/");
        fits(&name)?;
        out.extend_from_slice(&header(&name, 0, b'5', 0o755, mtime));
    }
    for (name, bytes) in files {
        let full = match folder {
            Some(f) => format!("{f}/{name}"),
            None => name.clone(),
        };
        fits(&full)?;
        out.extend_from_slice(&header(&full, bytes.len() as u64, b'0', 0o644, mtime));
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

fn header(name: &str, size: u64, kind: u8, mode: u32, mtime: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    let name = name.as_bytes();
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[148..156].fill(b' ');
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    seal(&mut h);
    h
}

/// The header's checksum: the sum of its bytes, the checksum field counted as spaces.
fn checksum(h: &[u8]) -> u64 {
    h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) }).sum()
}

/// Writes the header's checksum into it.
fn seal(h: &mut [u8]) {
    let sum = checksum(h);
    octal(&mut h[148..155], sum);
    h[155] = b' ';
}

/// Writes `value` in octal, zero-padded, ending with NUL.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    let bytes = text.as_bytes();
    let start = bytes.len().saturating_sub(width);
    field[..width].copy_from_slice(&bytes[start..]);
    field[width] = 0;
}

/// Reads an octal field (spaces and NULs around the digits allowed).
fn parse_octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// Reads the files of a tar archive. Errors say what is wrong, in words
/// for the person who made the archive.
pub fn read(bytes: &[u8]) -> Result<Files, String> {
    let mut files = BTreeMap::new();
    let mut folder: Option<Option<String>> = None;
    let mut at = 0usize;
    loop {
        let Some(h) = bytes.get(at..at + BLOCK) else {
            if at == bytes.len() && at > 0 {
                break; // no end-of-archive blocks: accepted, as GNU tar does
            }
            return Err("the archive is cut short (not a whole tar block)".into());
        };
        if h.iter().all(|&b| b == 0) {
            break;
        }
        if &h[257..262] != b"ustar" {
            return Err(
                "not a tar archive (no ustar header); make it with `urbis export --archive` or `tar -cf`".into()
            );
        }
        let stored = parse_octal(&h[148..156]).ok_or("a tar header has an unreadable checksum")?;
        if stored != checksum(h) {
            return Err("a tar header's checksum does not match: the archive is damaged".into());
        }
        let size = parse_octal(&h[124..136]).ok_or("a tar header has an unreadable size")?;
        let data_start = at + BLOCK;
        let size = usize::try_from(size).ok().filter(|s| *s <= bytes.len().saturating_sub(data_start));
        let Some(size) = size else {
            return Err("the archive is cut short (a file is larger than what follows it)".into());
        };
        let name = entry_name(h)?;
        let next = data_start + size.div_ceil(BLOCK) * BLOCK;
        match h[156] {
            b'0' | 0 => {
                let (dir, file) = split(&name)?;
                match &folder {
                    None => folder = Some(dir),
                    Some(f) if *f == dir => {}
                    Some(_) => return Err(format!("'{name}' is in another folder than the archive's other files")),
                }
                if files.len() >= MAX_ENTRIES {
                    return Err(format!("the archive holds more than {MAX_ENTRIES} files; a bundle has four"));
                }
                if files.insert(file.clone(), bytes[data_start..data_start + size].to_vec()).is_some() {
                    return Err(format!("the archive holds '{file}' twice"));
                }
            }
            // Folders (checked like file names), pax extended and global headers: skipped.
            b'5' => {
                let dir = name.trim_end_matches('/');
                if dir != "." {
                    split(dir).map_err(|_| format!("the archive has a folder named '{name}'"))?;
                }
            }
            b'x' | b'g' => {}
            other => {
                return Err(format!(
                    "'{name}' is not a regular file (tar type '{}'); a bundle holds plain files only",
                    char::from(other).escape_default()
                ))
            }
        }
        at = next;
    }
    Ok(Files { folder: folder.flatten(), files })
}

/// The entry's name (ustar prefix and name joined).
fn entry_name(h: &[u8]) -> Result<String, String> {
    let text = |field: &[u8]| -> Result<String, String> {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        String::from_utf8(field[..end].to_vec()).map_err(|_| "a name in the archive is not UTF-8".to_string())
    };
    let (name, prefix) = (text(&h[..100])?, text(&h[345..500])?);
    Ok(if prefix.is_empty() { name } else { format!("{prefix}/{name}") })
}

/// A file name as `(folder, file)`: a plain name, or a plain name inside
/// one plain folder (`./` in front is allowed). Anything else is refused.
fn split(name: &str) -> Result<(Option<String>, String), String> {
    let refuse = || {
        format!("the archive has a file named '{name}'; a bundle holds plain names only (no '..', no absolute paths, at most one folder)")
    };
    let trimmed = name.strip_prefix("./").unwrap_or(name);
    let parts: Vec<&str> = trimmed.split('/').collect();
    let plain = |p: &str| {
        !p.is_empty() && p != "." && p != ".." && p.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    match parts.as_slice() {
        [file] if plain(file) => Ok((None, file.to_string())),
        [dir, file] if plain(dir) && plain(file) => Ok((Some(dir.to_string()), file.to_string())),
        _ => Err(refuse()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(String, Vec<u8>)> {
        vec![("a.csv".into(), b"x,y\n1,2\n".to_vec()), ("manifest.json".into(), vec![b'{'; 700])]
    }

    #[test]
    fn archives_round_trip_with_and_without_a_folder() {
        for folder in [None, Some("vienna-2023")] {
            let bytes = write(folder, &sample(), 1_700_000_000).unwrap();
            assert_eq!(bytes.len() % BLOCK, 0);
            let read = read(&bytes).unwrap();
            assert_eq!(read.folder.as_deref(), folder);
            assert_eq!(read.files.into_iter().collect::<Vec<_>>(), sample());
        }
    }

    #[test]
    fn archives_of_a_folders_contents_are_read() {
        // `tar -cf b.tar .` inside the folder: a `./` entry and `./`-prefixed names.
        let mut bytes = header("./", 0, b'5', 0o755, 0).to_vec();
        bytes.extend(write(None, &[("./a.csv".to_string(), b"x".to_vec())], 0).unwrap());
        let read = read(&bytes).unwrap();
        assert_eq!(read.folder, None);
        assert_eq!(read.files.keys().collect::<Vec<_>>(), ["a.csv"]);
    }

    #[test]
    fn unsafe_names_and_other_entries_are_refused() {
        for name in ["../etc/passwd", "/etc/passwd", "a/b/c.csv", "a/../b", "..", ""] {
            let bytes = write(None, &[(name.to_string(), b"x".to_vec())], 0).unwrap();
            let e = read(&bytes).unwrap_err();
            assert!(e.contains("plain names"), "{name}: {e}");
        }
        let mut link = write(None, &[("a".to_string(), Vec::new())], 0).unwrap();
        link[156] = b'2';
        seal(&mut link[..BLOCK]);
        assert!(read(&link).unwrap_err().contains("not a regular file"));
        let first = write(Some("a"), &sample()[..1], 0).unwrap();
        let mixed = [&first[..first.len() - 2 * BLOCK], &write(Some("b"), &sample()[1..], 0).unwrap()].concat();
        assert!(read(&mixed).unwrap_err().contains("another folder"));
    }

    #[test]
    fn damaged_archives_are_errors_never_panics() {
        let good = write(Some("b"), &sample(), 0).unwrap();
        for cut in 0..good.len() {
            let _ = read(&good[..cut]);
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            let _ = read(&bad);
        }
        let mut bad = good.clone();
        bad[0] ^= 1;
        assert!(read(&bad).unwrap_err().contains("checksum"));
        assert!(read(b"hello").unwrap_err().contains("cut short"));
        assert!(read(&[7u8; 1024]).unwrap_err().contains("not a tar archive"));
        // A size far beyond the archive's end.
        let mut big = write(None, &sample()[..1], 0).unwrap();
        assert!(write(Some(&"x".repeat(100)), &sample(), 0).unwrap_err().contains("100 bytes"));
        octal(&mut big[124..136], 0o77777777777);
        seal(&mut big[..BLOCK]);
        assert!(read(&big).unwrap_err().contains("cut short"));
    }
}

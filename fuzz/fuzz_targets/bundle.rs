//! The bundle importer on arbitrary tables and metadata: the input is split
//! at its first 0xFF byte into `indicators.sdmx.csv` and `metadata.json`,
//! wrapped in a folder whose manifest has the right sizes and checksums (so
//! the fuzzer reaches the parsers and the import, not only the checksum
//! test), then read and imported into an empty store. An error or an
//! import, never a panic; a refused bundle leaves the store empty.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urbis_store::bundle::{self, FileEntry, Manifest, Publisher, SourceRun};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0xFF).unwrap_or(data.len());
    let (table, metadata) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let dir = std::env::temp_dir().join(format!("urbis-fuzz-bundle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    // The manifest's counts agree with the table when it parses, so the
    // fuzzer gets past that test too.
    let (figures, published) = match urbis_io::tables::sdmx::parse_named(table, "indicators.sdmx.csv") {
        Ok(rows) => (rows.len() as u64, rows.iter().filter(|r| bundle::is_published(r)).count() as u64),
        Err(_) => (0, 0),
    };
    let entry = |name: &str, bytes: &[u8]| FileEntry { name: name.into(), bytes: bytes.len() as u64, sha256: bundle::sha256_hex(bytes) };
    let manifest = Manifest {
        format: "urbis-bundle".into(),
        format_version: 1,
        publisher: Publisher { name: "Fuzz city".into(), code: Some("FZ".into()) },
        created_at: "2026-11-25T00:00:00Z".into(),
        software: "fuzz".into(),
        source_run: SourceRun { id: 1, created_at: "2026-11-25T00:00:00Z".into(), software: "fuzz".into() },
        figures,
        published,
        table_sha256: bundle::sha256_hex(table),
        files: vec![entry("indicators.sdmx.csv", table), entry("metadata.json", metadata)],
    };
    let Ok(manifest) = serde_json::to_vec(&manifest) else { return };
    for (name, bytes) in [("manifest.json", &manifest[..]), ("indicators.sdmx.csv", table), ("metadata.json", metadata)] {
        if std::fs::write(dir.join(name), bytes).is_err() {
            return;
        }
    }
    let Ok(read) = bundle::read(&dir) else { return };
    let db = dir.join("store.sqlite");
    let mut store = urbis_store::Store::open(&db).expect("a new store opens");
    if store.import_bundle(&read, "2026-11-25T00:00:00Z").is_err() {
        assert!(store.runs().expect("runs").is_empty(), "a refused bundle left something in the store");
    }
});

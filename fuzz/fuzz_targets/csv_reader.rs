//! The CSV reader on arbitrary bytes: an error or a frame, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("urbis-fuzz-{}.csv", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = urbis_io::read_table(&path, &urbis_io::ReadOptions::default());
    let _ = urbis_io::column_names(&path, None);
});

//! The Parquet reader on arbitrary bytes: an error or a frame, never a
//! panic out of `read_table`.
//!
//! The Parquet decoder itself panics on some damaged pages; urbis reads
//! columns in its own threads and turns such a panic into a "damaged file"
//! error. libFuzzer's panic hook would abort on that handled panic, so the
//! hook is silenced here: a panic that escapes `read_table` still aborts the
//! run (libfuzzer-sys catches it and aborts), and is reported as a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let path = std::env::temp_dir().join(format!("urbis-fuzz-{}.parquet", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = urbis_io::read_table(&path, &urbis_io::ReadOptions::default());
    let _ = urbis_io::column_names(&path, None);
});

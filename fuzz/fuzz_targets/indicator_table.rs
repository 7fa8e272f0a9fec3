//! The indicator table reader (indicators.csv, used by `urbis map`) on
//! arbitrary bytes; what it reads renders back and reads again the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = urbis_io::tables::csv::parse(data) {
        let bytes = urbis_io::tables::csv::render(&rows).expect("rows read render");
        let again = urbis_io::tables::csv::parse(&bytes).expect("rendered rows read");
        assert_eq!(rows.len(), again.len());
    }
});

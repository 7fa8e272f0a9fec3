//! The model formula parser on arbitrary text: a formula or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = urbis_sae::formula::parse(text);
    }
});

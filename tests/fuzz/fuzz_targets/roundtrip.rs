//! Fuzz target `roundtrip`: see `clipvg_fuzz::checks::roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clipvg_fuzz::checks::roundtrip(data, clipvg_fuzz::mode());
});

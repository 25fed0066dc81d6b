//! Fuzz target `path_data`: see `clipvg_fuzz::checks::path_data`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clipvg_fuzz::checks::path_data(data, clipvg_fuzz::mode());
});

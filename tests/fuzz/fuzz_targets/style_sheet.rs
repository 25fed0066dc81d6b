//! Fuzz target `style_sheet`: see `clipvg_fuzz::checks::style_sheet`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clipvg_fuzz::checks::style_sheet(data, clipvg_fuzz::mode());
});

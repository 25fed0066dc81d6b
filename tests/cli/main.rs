//! The `clipvg` command line as a person runs it (the clipvg-cli package's integration tests, one
//! test binary: each of the ~110 MB binaries that link burn and wgpu costs CI a link and disk).
//! Run one part with `cargo test --release -p clipvg-cli --test cli controls::`.

#[path = "../cli_common/mod.rs"]
mod cli_common;
#[path = "../clip_common/mod.rs"]
mod clip_common;

mod clip_model;
mod commands;
mod controls;
mod edit_inputs;
mod edit_interrupt;
mod variations;
mod vectorize;

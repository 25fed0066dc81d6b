//! clipvg inside real Inkscape 1.2, headless (`harness.rs`), and `clipvg install inkscape`: one
//! test binary of the clipvg-cli package. Needs `inkscape xvfb xdotool xclip`; a test fails
//! (never skips) without them. Run one part with `cargo test --release -p clipvg-cli --test
//! inkscape stop::`.

#[path = "../cdylib/mod.rs"]
mod cdylib;
mod harness;

mod controls;
mod effects;
mod inputs;
mod install;
mod stop;
mod variations;

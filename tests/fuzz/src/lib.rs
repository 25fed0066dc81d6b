//! The checks of clipvg's fuzz targets (see `checks.rs`; the document crate's regression test
//! includes the same file).

#[path = "checks.rs"]
pub mod checks;

pub use checks::Mode;

/// The mode every target runs in, read once from `CLIPVG_FUZZ_STRICT`.
pub fn mode() -> Mode {
    static MODE: std::sync::OnceLock<Mode> = std::sync::OnceLock::new();
    *MODE.get_or_init(Mode::from_env)
}

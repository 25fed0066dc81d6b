//! The `clipvg` command of the tests that run it (`tests/cli`).

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `clipvg` built for this test run, or `CLIPVG_BIN` (a given build; several checkouts that
/// share one target folder overwrite each other's `clipvg`).
pub fn bin() -> PathBuf {
    std::env::var_os("CLIPVG_BIN")
        .filter(|p| !p.is_empty())
        .map_or_else(|| env!("CARGO_BIN_EXE_clipvg").into(), Into::into)
}

/// Runs `clipvg args…` to the end.
pub fn clipvg(args: &[&str]) -> Output {
    Command::new(bin()).args(args).env("XDG_RUNTIME_DIR", std::env::temp_dir()).output().expect("run clipvg")
}

/// A run's stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

//! Where the plugin library built for this test run lies, for the tests that load it.

use std::path::PathBuf;

/// `libclipvg.so` (platform name) built for this test run. Cargo writes it into `deps/` next to
/// the test executables when it builds the library for the tests, and `cargo build` copies its
/// own build one level up into the profile folder; the newer of the two is this checkout's.
///
/// `CLIPVG_CDYLIB=PATH` names another library instead (to test a given build, or when several
/// checkouts share one target folder and overwrite each other's unhashed `libclipvg.so`).
pub fn cdylib_path() -> PathBuf {
    if let Some(path) = std::env::var_os("CLIPVG_CDYLIB").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps folder");
    let name = library_file_name();
    [deps.join(&name), deps.parent().expect("target profile folder").join(&name)]
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| panic!("{name} not found next to {}: cargo builds it with the tests", exe.display()))
}

/// The plugin library's file name on this platform.
pub fn library_file_name() -> String {
    format!("{}clipvg{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

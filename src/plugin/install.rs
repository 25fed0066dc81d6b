//! `clipvg install inkscape` / `clipvg uninstall inkscape`: put the plugin into (or take it out
//! of) the user's Inkscape extensions folder.
//!
//! Installed into `$INKSCAPE_PROFILE_DIR/extensions/clipvg/` when that variable is set (as
//! Inkscape itself does), else `$XDG_CONFIG_HOME/inkscape/extensions/clipvg/` (an absolute
//! `$XDG_CONFIG_HOME`; a relative one is ignored, as the XDG spec says), else
//! `~/.config/inkscape/extensions/clipvg/` (`~` from `$HOME`, else the user database): the `.inx` files (embedded in this binary), the shim
//! `clipvg-inkscape` and the plugin library `libclipvg.so`, both copied from the folder of the
//! running `clipvg` (cargo builds all three into the same target folder). Both are idempotent.

use std::path::{Path, PathBuf};

use super::manifest::INKSCAPE_INX;
use crate::error::{Error, Result};
use crate::util::write_atomic;

/// The file name of the Inkscape shim executable.
pub const SHIM_NAME: &str = "clipvg-inkscape";

/// The shim's file name on this platform (`clipvg-inkscape`, `clipvg-inkscape.exe`).
pub fn shim_file_name() -> String {
    format!("{SHIM_NAME}{}", std::env::consts::EXE_SUFFIX)
}

/// The plugin library's file name on this platform (`libclipvg.so`, `libclipvg.dylib`, `clipvg.dll`).
pub fn library_file_name() -> String {
    format!("{}clipvg{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// Inkscape's extensions folder for clipvg, from the environment (see the module docs).
pub fn inkscape_extension_dir() -> Result<PathBuf> {
    use etcetera::BaseStrategy as _;
    let base = match std::env::var_os("INKSCAPE_PROFILE_DIR").filter(|v| !v.is_empty()) {
        Some(profile) => PathBuf::from(profile),
        // `$XDG_CONFIG_HOME` (when absolute), else `~/.config`, on every platform (Inkscape's own
        // choice on Linux and macOS).
        None => etcetera::base_strategy::Xdg::new().map(|xdg| xdg.config_dir().join("inkscape")).map_err(|_| {
            Error::InvalidInput(
                "cannot find Inkscape's profile folder: set INKSCAPE_PROFILE_DIR or HOME, or pass --dir".into(),
            )
        })?,
    };
    Ok(base.join("extensions").join("clipvg"))
}

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileChange {
    Written,
    Unchanged,
    Removed,
    Absent,
}

/// What an install or uninstall did.
#[derive(Clone, Debug)]
pub struct InstallReport {
    pub dir: PathBuf,
    pub files: Vec<(String, FileChange)>,
    /// Files in the folder that clipvg did not put there (left alone by uninstall).
    pub foreign: Vec<String>,
}

impl InstallReport {
    pub fn to_text(&self, verb: &str, tail: &str) -> String {
        let mut s = format!("{verb} {}:\n", self.dir.display());
        for (name, change) in &self.files {
            let what = match change {
                FileChange::Written => "written",
                FileChange::Unchanged => "already up to date",
                FileChange::Removed => "removed",
                FileChange::Absent => "was not there",
            };
            s += &format!("  {name:<24} {what}\n");
        }
        if !self.foreign.is_empty() {
            s += &format!("  left alone (not clipvg's): {}\n", self.foreign.join(", "));
        }
        s + tail
    }
}

/// The files of an Inkscape install: (name, bytes, executable).
fn inkscape_files(source_dir: &Path) -> Result<Vec<(String, Vec<u8>, bool)>> {
    let mut files: Vec<(String, Vec<u8>, bool)> =
        INKSCAPE_INX.iter().map(|(name, text)| (name.to_string(), text.as_bytes().to_vec(), false)).collect();
    for name in [shim_file_name(), library_file_name()] {
        let path = source_dir.join(&name);
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::InvalidInput(format!(
                    "{} not found: the installer copies the Inkscape shim and the plugin library from the folder of \
                     the running clipvg ({}); build all three with `cargo build --release --workspace`",
                    name,
                    source_dir.display()
                ))
            } else {
                Error::io(&path, e)
            }
        })?;
        files.push((name, bytes, true));
    }
    Ok(files)
}

/// Installs the Inkscape extension into `dir`, copying the shim and library from `source_dir`.
pub fn install_inkscape(source_dir: &Path, dir: &Path) -> Result<InstallReport> {
    let files = inkscape_files(source_dir)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut report = InstallReport { dir: dir.to_path_buf(), files: Vec::new(), foreign: Vec::new() };
    for (name, bytes, executable) in files {
        let path = dir.join(&name);
        let same = std::fs::read(&path).is_ok_and(|old| old == bytes);
        if !same {
            write_atomic(&path, &bytes)?;
        }
        let mode_ok = set_mode(&path, if executable { 0o755 } else { 0o644 })?;
        report.files.push((name, if same && mode_ok { FileChange::Unchanged } else { FileChange::Written }));
    }
    Ok(report)
}

/// Removes what [`install_inkscape`] put into `dir`, and `dir` itself when nothing else is in it.
pub fn uninstall_inkscape(dir: &Path) -> Result<InstallReport> {
    let ours: Vec<String> =
        INKSCAPE_INX.iter().map(|(n, _)| n.to_string()).chain([shim_file_name(), library_file_name()]).collect();
    let mut report = InstallReport { dir: dir.to_path_buf(), files: Vec::new(), foreign: Vec::new() };
    for name in &ours {
        let path = dir.join(name);
        let change = match std::fs::remove_file(&path) {
            Ok(()) => FileChange::Removed,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileChange::Absent,
            Err(e) => return Err(Error::io(&path, e)),
        };
        report.files.push((name.clone(), change));
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        report.foreign = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        report.foreign.sort();
        if report.foreign.is_empty() {
            std::fs::remove_dir(dir).map_err(|e| Error::io(dir, e))?;
        }
    }
    Ok(report)
}

/// Sets the permission bits of `path`; returns whether they already were `mode`.
#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.permissions().mode() & 0o777 == mode {
        return Ok(true);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| Error::io(path, e))?;
    Ok(false)
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<bool> {
    Ok(true)
}

/// The folder of the running executable, where cargo also put the shim and the library.
pub fn own_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| Error::io("the running clipvg executable", e))?;
    Ok(exe.parent().map(Path::to_path_buf).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints [`inkscape_extension_dir`] under the environment it is run with: run by
    /// `extension_dir_precedence` in a child process.
    #[test]
    #[ignore = "a probe run by extension_dir_precedence with its own environment"]
    fn extension_dir_probe() {
        println!("DIR={}", inkscape_extension_dir().unwrap().display());
    }

    #[test]
    #[cfg(unix)] // the paths below are absolute on Unix only
    fn extension_dir_precedence() {
        let probe = |env: &[(&str, &str)]| {
            let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
            cmd.args(["--exact", "plugin::install::tests::extension_dir_probe", "--ignored", "--nocapture"]);
            for var in ["INKSCAPE_PROFILE_DIR", "XDG_CONFIG_HOME"] {
                cmd.env_remove(var);
            }
            cmd.envs(env.iter().copied());
            let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
            out.lines().find_map(|l| l.strip_prefix("DIR=")).map(PathBuf::from).expect("the probe ran")
        };
        let ext = |base: &str| Path::new(base).join("extensions").join("clipvg");
        let all = [("INKSCAPE_PROFILE_DIR", "/p"), ("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")];
        assert_eq!(probe(&all), ext("/p"));
        assert_eq!(probe(&all[1..]), ext("/x/inkscape"));
        assert_eq!(probe(&all[2..]), ext("/h/.config/inkscape"));
        // Empty variables count as unset.
        assert_eq!(
            probe(&[("INKSCAPE_PROFILE_DIR", ""), ("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]),
            ext("/x/inkscape")
        );
    }

    #[test]
    fn install_is_idempotent_and_uninstall_leaves_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("target");
        std::fs::create_dir(&src).unwrap();
        assert!(install_inkscape(&src, &tmp.path().join("x")).unwrap_err().to_string().contains("not found"));
        std::fs::write(src.join(shim_file_name()), b"shim").unwrap();
        std::fs::write(src.join(library_file_name()), b"lib").unwrap();
        let dir = tmp.path().join("ext").join("clipvg");
        let first = install_inkscape(&src, &dir).unwrap();
        assert!(first.files.iter().all(|(_, c)| *c == FileChange::Written));
        assert_eq!(first.files.len(), 5);
        let again = install_inkscape(&src, &dir).unwrap();
        assert!(again.files.iter().all(|(_, c)| *c == FileChange::Unchanged), "{again:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(shim_file_name())).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o755);
        }
        std::fs::write(dir.join("mine.txt"), b"x").unwrap();
        let gone = uninstall_inkscape(&dir).unwrap();
        assert!(gone.files.iter().all(|(_, c)| *c == FileChange::Removed));
        assert_eq!(gone.foreign, ["mine.txt"]);
        std::fs::remove_file(dir.join("mine.txt")).unwrap();
        let twice = uninstall_inkscape(&dir).unwrap();
        assert!(twice.files.iter().all(|(_, c)| *c == FileChange::Absent));
        assert!(!dir.exists());
    }
}

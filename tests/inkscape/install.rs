//! `clipvg install inkscape` / `clipvg uninstall inkscape` as a user runs them: files land in
//! `$INKSCAPE_PROFILE_DIR/extensions/clipvg` (else `~/.config/inkscape/extensions/clipvg`),
//! executables executable, a second run changes nothing, uninstall removes it all.

use crate::harness as inkscape;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the `clipvg` that the harness built and set apart with the shim and the library.
fn clipvg(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(inkscape::build_plugin());
    cmd.args(args).env_remove("INKSCAPE_PROFILE_DIR").env_remove("XDG_CONFIG_HOME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("clipvg runs")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "clipvg failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn install_and_uninstall_inkscape() {
    let profile = tempfile::tempdir().unwrap();
    let env = [("INKSCAPE_PROFILE_DIR", profile.path())];
    let dir = profile.path().join("extensions/clipvg");

    let first = stdout(&clipvg(&["install", "inkscape"], &env));
    assert!(first.contains(&dir.display().to_string()) && first.contains("written"), "{first}");
    let lib = inkscape::library_file_name();
    for (name, mode) in [
        ("clipvg-edit.inx", 0o644),
        ("clipvg-recolor.inx", 0o644),
        ("clipvg-vectorize.inx", 0o644),
        ("clipvg-inkscape", 0o755),
        (lib.as_str(), 0o755),
    ] {
        let meta = std::fs::metadata(dir.join(name)).unwrap_or_else(|_| panic!("{name} not installed"));
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{name}");
    }
    let built = std::fs::read(inkscape::build_plugin().with_file_name(&lib)).unwrap();
    assert!(std::fs::read(dir.join(&lib)).unwrap() == built, "the installed library is not the built one");

    let again = stdout(&clipvg(&["install", "inkscape"], &env));
    assert_eq!(again.matches("already up to date").count(), 5, "{again}");

    let removed = stdout(&clipvg(&["uninstall", "inkscape"], &env));
    assert_eq!(removed.matches("removed").count(), 5, "{removed}");
    assert!(!dir.exists());
    let nothing = stdout(&clipvg(&["uninstall", "inkscape"], &env));
    assert!(nothing.starts_with("Nothing to remove"), "{nothing}");

    // Without INKSCAPE_PROFILE_DIR: the user's config folder.
    let home = tempfile::tempdir().unwrap();
    stdout(&clipvg(&["install", "inkscape"], &[("HOME", home.path())]));
    assert!(home.path().join(".config/inkscape/extensions/clipvg/clipvg-edit.inx").is_file());
}

#[test]
fn install_says_where_it_looked_for_the_shim() {
    // A clipvg alone in a folder, without the shim and the library beside it.
    let alone = tempfile::tempdir().unwrap();
    let exe = alone.path().join("clipvg");
    std::fs::copy(inkscape::build_plugin(), &exe).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out =
        Command::new(&exe).args(["install", "inkscape"]).env("INKSCAPE_PROFILE_DIR", profile.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("clipvg-inkscape not found") && err.contains(&alone.path().display().to_string()), "{err}");
    assert!(!profile.path().join("extensions/clipvg").exists(), "a failed install left files behind");
}

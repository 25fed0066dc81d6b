//! A harness that runs clipvg's effects inside real Inkscape 1.2, headless, the way a user would
//! reach them: installed by `clipvg install inkscape` into a throw-away profile, started from
//! Inkscape's action system on a document with a selection and dialog params.
//!
//! The recipe: `inkscape --with-gui --batch-process --actions=
//! "select-by-id:…;EFFECT.noprefs;export-filename:OUT;export-do" IN` under its own Xvfb, params in
//! `$INKSCAPE_PROFILE_DIR/preferences.xml`. An extension that writes to stderr makes Inkscape
//! open a modal dialog, which in batch mode waits forever; the harness watches the X server for
//! such dialogs, copies their text (select all in the text view, read the X PRIMARY selection)
//! and presses Escape, so a test can assert on exactly what the user would have read, and the run
//! goes on to export. Every run has a timeout.
//!
//! Needs `inkscape`, `Xvfb`, `xdotool` and `xclip` (`apt-get install -y inkscape xvfb xdotool
//! xclip`); a test that needs them fails with that message when one is missing.
//!
//! Use: `let ink = Inkscape::install();` in a test, then
//! `ink.run_effect("org.clipvg.edit", &input, &["path1", "path2"], &[("prompt", "gold")])` →
//! [`EffectRun`] (output document, dialogs shown, Inkscape's log), and [`changed_elements`] to
//! compare the output with [`Inkscape::export_unchanged`] of the same input.

use crate::cdylib;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A path in the repository (the harness's tests are built in the clipvg-cli package).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(relative)
}

/// The test document `tests/inkscape/two-paths.svg` (`left`, `right`, `group`, `photo`, …).
pub fn two_paths() -> PathBuf {
    repo_path("tests/inkscape/two-paths.svg")
}

/// A CLIP model folder of the test fixtures: `A` (tiny, random weights) or `semantic` (the toy).
pub fn fixture_model(name: &str) -> String {
    repo_path(&format!("tests/fixtures/clip/{name}")).to_string_lossy().into_owned()
}

/// The dialog params of a tiny edit with `model` on the CPU ("a gold statue", 3 iterations, 2
/// patches), then `extra`.
pub fn tiny_edit<'a>(model: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("prompt", "a gold statue"),
        ("iterations", "3"),
        ("n_patches", "2"),
        ("model", model),
        ("backend", "cpu"),
    ];
    params.extend_from_slice(extra);
    params
}

/// How long one Inkscape run may take (override: `CLIPVG_INKSCAPE_TIMEOUT` in seconds).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The test-only extension (`test-mark` action), installed next to the real ones.
const TEST_INX: &str = include_str!("clipvg-test-mark.inx");

/// Inkscape runs one at a time: the machine is small and each run is ~200 MB and a whole core.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The tools the harness drives; a missing one fails the test with the install command.
pub fn require_tools() {
    for (tool, package) in [("inkscape", "inkscape"), ("Xvfb", "xvfb"), ("xdotool", "xdotool"), ("xclip", "xclip")] {
        let found = std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()));
        assert!(
            found,
            "the Inkscape tests need `{tool}` (package {package}); install them with \
             `apt-get install -y inkscape xvfb xdotool xclip` — CI does"
        );
    }
}

/// The cargo target profile folder holding `clipvg`, `libclipvg.so` and `clipvg-inkscape`.
pub fn target_profile_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_clipvg")).parent().expect("target profile folder").to_path_buf()
}

/// Gathers `clipvg` and the plugin library that `cargo test` built for this run, builds the shim
/// (a separate workspace member that `cargo test` does not build as a program), and copies the
/// three into a private folder, so that a build from another checkout sharing the target folder
/// cannot swap them during the tests. Returns that folder's `clipvg`.
///
/// `clipvg` and the library are taken from the test build (`CARGO_BIN_EXE_clipvg`, and
/// `deps/libclipvg.so`, which cargo writes when it builds the library for the tests) instead of
/// running `cargo build -p clipvg`: without the dev-dependencies that build resolves some shared
/// crates' features differently (indexmap's `std`, which reaches naga, wgpu and all of burn), so
/// it compiled the whole stack a second time, ~10 minutes of CI. The shim does not depend on
/// clipvg, so building it is cheap.
pub fn build_plugin() -> PathBuf {
    static DIST: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let dist = DIST.get_or_init(|| {
        let dist = dist_folder();
        // A target folder shared with other checkouts (CARGO_TARGET_DIR) can have their build
        // copied over ours between our build and our copy: build, copy, check, and try again.
        for _ in 0..5 {
            build_and_copy(&dist);
            if is_ours(&dist) {
                return dist;
            }
            std::thread::sleep(Duration::from_secs(2));
        }
        panic!(
            "the clipvg in {} is not this checkout's (another checkout sharing the target folder keeps \
             rebuilding it); run the tests again when that build is done",
            target_profile_dir().display()
        );
    });
    dist.join("clipvg")
}

/// This process's folder for the copies, `$CARGO_TARGET_TMPDIR/inkscape-dist/PID`, after removing
/// the folders of test processes that have ended. A static is never dropped, so a temporary
/// folder here outlived every run: ~240 MB left in /tmp per run filled CI's disk.
fn dist_folder() -> PathBuf {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inkscape-dist");
    for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dist = parent.join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).expect("the copies' folder in the target folder");
    dist
}

fn build_and_copy(dist: &Path) {
    let profile_dir = target_profile_dir();
    let target_dir = profile_dir.parent().expect("target folder");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(["build", "--quiet", "-p", "clipvg-inkscape", "--target-dir"]).arg(target_dir);
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("release") => {
            cmd.arg("--release");
        }
        Some("debug") | None => {}
        Some(other) => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "building the shim (clipvg-inkscape) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = library_file_name();
    for (from, name) in [
        (PathBuf::from(env!("CARGO_BIN_EXE_clipvg")), "clipvg"),
        (profile_dir.join("clipvg-inkscape"), "clipvg-inkscape"),
        (cdylib::cdylib_path(), lib.as_str()),
    ] {
        std::fs::copy(&from, dist.join(name)).unwrap_or_else(|e| panic!("{} was not built: {e}", from.display()));
    }
}

/// Whether the copied `clipvg` has this checkout's commands and the library its C ABI.
fn is_ours(dist: &Path) -> bool {
    let install_help = Command::new(dist.join("clipvg")).args(["install", "--help"]).output();
    let library = std::fs::read(dist.join(library_file_name())).unwrap_or_default();
    let symbol = b"clipvg_manifest_json";
    install_help.is_ok_and(|o| o.status.success()) && library.windows(symbol.len()).any(|w| w == symbol)
}

pub use cdylib::library_file_name;

/// An installed extension in a throw-away profile.
pub struct Inkscape {
    /// The profile `clipvg install inkscape` installed into.
    pub profile: tempfile::TempDir,
    /// What `clipvg install inkscape` printed.
    pub install_output: String,
    /// A folder put first on Inkscape's `PATH` (a fake program for one test), if any.
    pub path_prefix: Option<PathBuf>,
}

/// What one run of an effect left behind.
#[derive(Debug)]
pub struct EffectRun {
    /// The exported document, if Inkscape wrote one.
    pub output: Option<String>,
    /// The text of every dialog Inkscape showed (an extension's stderr), in order.
    pub dialogs: Vec<String>,
    /// Inkscape's own stdout and stderr.
    pub log: String,
    /// The entries of `$profile/extension-errors.log` about clipvg's extensions (Inkscape logs
    /// its own extensions whose helper programs are missing there too; those are left out).
    pub extension_errors: String,
    /// Inkscape was killed at the timeout.
    pub timed_out: bool,
}

impl EffectRun {
    /// Panics with everything known unless Inkscape finished by itself and exported a file.
    #[track_caller]
    pub fn output(&self) -> &str {
        assert!(!self.timed_out, "Inkscape hung (killed at the timeout); dialogs: {:?}\n{}", self.dialogs, self.log);
        assert!(
            self.extension_errors.trim().is_empty(),
            "Inkscape could not load an extension:\n{}",
            self.extension_errors
        );
        self.output
            .as_deref()
            .unwrap_or_else(|| panic!("Inkscape exported nothing; dialogs: {:?}\n{}", self.dialogs, self.log))
    }
}

impl Inkscape {
    /// Builds the shim and installs the extension with `clipvg install inkscape` into a new
    /// profile (`INKSCAPE_PROFILE_DIR`), plus the test-only `org.clipvg.test.mark` effect.
    pub fn install() -> Inkscape {
        require_tools();
        let clipvg = build_plugin();
        let profile = tempfile::tempdir().expect("temporary profile");
        let out = Command::new(clipvg)
            .args(["install", "inkscape"])
            .env("INKSCAPE_PROFILE_DIR", profile.path())
            .output()
            .expect("clipvg runs");
        let install_output = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "clipvg install inkscape failed: {}", String::from_utf8_lossy(&out.stderr));
        let ext_dir = profile.path().join("extensions").join("clipvg");
        std::fs::write(ext_dir.join("clipvg-test-mark.inx"), TEST_INX).expect("test .inx written");
        Inkscape { profile, install_output, path_prefix: None }
    }

    /// Runs effect `effect_id` on `input` with `ids` selected and `params` set in the dialog's
    /// preferences. The output document is what Inkscape exported after the effect.
    pub fn run_effect(&self, effect_id: &str, input: &Path, ids: &[&str], params: &[(&str, &str)]) -> EffectRun {
        let mut actions = String::new();
        if !ids.is_empty() {
            actions += &format!("select-by-id:{};", ids.join(","));
        }
        actions += &format!("{effect_id}.noprefs;");
        self.run(input, &actions, effect_id, params)
    }

    /// `input` exported by Inkscape with no effect: the baseline an effect's output is compared
    /// with (Inkscape normalises what it writes).
    pub fn export_unchanged(&self, input: &Path) -> String {
        self.run(input, "", "none", &[]).output().to_string()
    }

    fn run(&self, input: &Path, actions: &str, effect_id: &str, params: &[(&str, &str)]) -> EffectRun {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let run_dir = tempfile::tempdir().expect("temporary run folder");
        // A profile per run: the installed extensions, and preferences holding this run's params.
        let profile = run_dir.path().join("profile");
        std::fs::create_dir(&profile).unwrap();
        std::os::unix::fs::symlink(self.profile.path().join("extensions"), profile.join("extensions")).unwrap();
        std::fs::write(profile.join("preferences.xml"), preferences(effect_id, params)).unwrap();
        let out_path = run_dir.path().join("out.svg");
        let actions = format!("{actions}export-filename:{};export-do", out_path.display());

        let xvfb = Xvfb::start();
        let log_path = run_dir.path().join("inkscape.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut inkscape = Command::new("inkscape");
        if let Some(prefix) = &self.path_prefix {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let paths = std::iter::once(prefix.clone()).chain(std::env::split_paths(&path));
            inkscape.env("PATH", std::env::join_paths(paths).expect("PATH"));
        }
        let mut inkscape = inkscape
            .args(["--with-gui", "--batch-process"])
            .arg(format!("--actions={actions}"))
            .arg(input)
            .env("DISPLAY", &xvfb.display)
            .env("INKSCAPE_PROFILE_DIR", &profile)
            .env("CLIPVG_TEST_ACTIONS", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("inkscape starts");
        let timeout = std::env::var("CLIPVG_INKSCAPE_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
        let start = Instant::now();
        // CLIPVG_INKSCAPE_DEBUG=1: print every scan for dialogs (shown with a failing test).
        let debug = std::env::var_os("CLIPVG_INKSCAPE_DEBUG").is_some();
        let mut dialogs = Vec::new();
        let mut seen = Vec::new();
        let timed_out = loop {
            if inkscape.try_wait().expect("inkscape status").is_some() {
                break false;
            }
            if start.elapsed() > timeout {
                let _ = inkscape.kill();
                let _ = inkscape.wait();
                break true;
            }
            let windows = xvfb.dialogs();
            if debug {
                let all = xvfb.xdotool(&["search", "--onlyvisible", "--name", ""]);
                eprintln!(
                    "{:>6.1}s on {}: windows {all:?}, dialogs {windows:?}",
                    start.elapsed().as_secs_f64(),
                    xvfb.display
                );
            }
            for window in windows {
                if !seen.contains(&window.id) {
                    seen.push(window.id.clone());
                    dialogs.push(xvfb.read_and_dismiss(&window));
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let log = log.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n");
        EffectRun {
            output: std::fs::read_to_string(&out_path).ok(),
            dialogs,
            log,
            extension_errors: clipvg_extension_errors(&profile),
            timed_out,
        }
    }
}

/// The entries of the profile's `extension-errors.log` that name one of clipvg's extensions.
fn clipvg_extension_errors(profile: &Path) -> String {
    let log = std::fs::read_to_string(profile.join("extension-errors.log")).unwrap_or_default();
    let names: Vec<String> = std::fs::read_dir(profile.join("extensions/clipvg"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "inx"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|inx| Some(inx.split_once("<name>")?.1.split_once("</name>")?.0.to_string()))
        .collect();
    // Entries start with `Extension "NAME" failed to load`.
    log.split("Extension \"")
        .filter(|entry| names.iter().any(|n| entry.starts_with(&format!("{n}\""))))
        .map(|entry| format!("Extension \"{entry}"))
        .collect()
}

/// `preferences.xml` with `EFFECT.PARAM="value"` on the extensions group.
fn preferences(effect_id: &str, params: &[(&str, &str)]) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    let attrs: String = params.iter().map(|(k, v)| format!("\n     {effect_id}.{k}=\"{}\"", escape(v))).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
         <inkscape xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\" version=\"1.2\">\n  \
         <group id=\"extensions\"{attrs} />\n</inkscape>\n"
    )
}

/// A private X server for one run.
struct Xvfb {
    child: Child,
    display: String,
}

/// A window on the X server.
#[derive(Clone, Debug)]
struct Window {
    id: String,
    x: i64,
    y: i64,
    width: i64,
    height: i64,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        // Xvfb writes the display number it picked, then a newline, when it is ready.
        let mut stdout = child.stdout.take().unwrap();
        let mut number = String::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).map(|n| n == 1).unwrap_or(false) && byte[0] != b'\n' {
            number.push(byte[0] as char);
        }
        assert!(!number.is_empty(), "Xvfb did not start");
        Xvfb { child, display: format!(":{}", number.trim()) }
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool").args(args).env("DISPLAY", &self.display).output().expect("xdotool runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Inkscape's visible windows that are dialogs with room for a message: untitled, at least
    /// 200 px high (the main window is titled; the "working, please wait" note is smaller).
    fn dialogs(&self) -> Vec<Window> {
        // WM_CLASS is ("org.inkscape.Inkscape", "Inkscape"); --class matches the second.
        let ids = self.xdotool(&["search", "--onlyvisible", "--class", "Inkscape"]);
        ids.split_whitespace()
            .filter(|id| self.xdotool(&["getwindowname", id]).trim().is_empty())
            .filter_map(|id| {
                let shell = self.xdotool(&["getwindowgeometry", "--shell", id]);
                let v: BTreeMap<&str, i64> = shell
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                    .collect();
                let window = Window {
                    id: id.to_string(),
                    x: *v.get("X")?,
                    y: *v.get("Y")?,
                    width: *v.get("WIDTH")?,
                    height: *v.get("HEIGHT")?,
                };
                (window.height >= 200).then_some(window)
            })
            .collect()
    }

    /// The text of a message dialog (clicked into, all selected, read from PRIMARY), then Escape.
    fn read_and_dismiss(&self, w: &Window) -> String {
        let mut text = String::new();
        for _ in 0..10 {
            self.xdotool(&["windowfocus", "--sync", &w.id]);
            let (cx, cy) = (w.x + w.width / 2, w.y + w.height / 2);
            self.xdotool(&["mousemove", &cx.to_string(), &cy.to_string(), "click", "1"]);
            self.xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
            std::thread::sleep(Duration::from_millis(150));
            let out = Command::new("timeout")
                .args(["3", "xclip", "-o", "-selection", "primary"])
                .env("DISPLAY", &self.display)
                .output()
                .expect("xclip runs");
            text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if !text.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        self.xdotool(&["windowfocus", "--sync", &w.id]);
        self.xdotool(&["key", "Escape"]);
        text
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Elements whose attributes differ between two documents, compared by `id` (elements without
/// an id by document position), ignoring `sodipodi:namedview` (Inkscape's view state). Each entry
/// is `id: what differs`. An empty list means the documents are the same.
pub fn changed_elements(before: &str, after: &str) -> Vec<String> {
    fn index(svg: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not valid XML ({e}):\n{svg}"));
        doc.descendants()
            .filter(|n| n.is_element() && n.tag_name().name() != "namedview")
            .enumerate()
            .map(|(i, n)| {
                let key = n.attribute("id").map_or_else(|| format!("#{i} <{}>", n.tag_name().name()), str::to_string);
                let attrs = n
                    .attributes()
                    .map(|a| {
                        (
                            format!("{}{}", a.namespace().map(|ns| format!("{{{ns}}}")).unwrap_or_default(), a.name()),
                            a.value().to_string(),
                        )
                    })
                    .collect();
                (key, attrs)
            })
            .collect()
    }
    let (a, b) = (index(before), index(after));
    let mut changed = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) if x == y => {}
            (Some(x), Some(y)) => {
                let diff: Vec<String> = x
                    .keys()
                    .chain(y.keys().filter(|k| !x.contains_key(*k)))
                    .filter(|k| x.get(*k) != y.get(*k))
                    .map(|k| format!("{k}: {:?} → {:?}", x.get(k), y.get(k)))
                    .collect();
                changed.push(format!("{key}: {}", diff.join(", ")));
            }
            (Some(_), None) => changed.push(format!("{key}: removed")),
            (None, _) => changed.push(format!("{key}: added")),
        }
    }
    changed
}

//! Every input the fuzz targets of `tests/fuzz` (at the repository root) crashed on, replayed through the same checks
//! (parse → scene build → write-back → re-parse; the checks file is shared with the targets).
//!
//! Fixtures live in `tests/fuzz_regressions/TARGET/` (`roundtrip`, `path_data`, `style_sheet`),
//! one raw input per file, as `cargo fuzz tmin` wrote it. A name containing `.strict.` is
//! replayed with the strict (semantic) checks. A name starting with `open-` is a known crash that
//! is not fixed yet: it is replayed and reported but does not fail the suite; once it passes,
//! drop the prefix so it guards against the bug coming back.
//!
//! Each fixture runs in a child process (this test binary again, `replay_one`) with a time and
//! memory limit, so a stack overflow, an abort on allocation or a hang fails that fixture only,
//! with its message, instead of killing the whole test run.

#[path = "../../../tests/fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REPLAY: &str = "CLIPVG_FUZZ_REPLAY";
/// Per fixture: a correct document stage answers any of them in well under a second.
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Per fixture, virtual memory in KiB (`ulimit -v`): 4 GiB.
const MEMORY_LIMIT_KIB: u64 = 4 << 20;
const TARGETS: &[&str] = &["roundtrip", "path_data", "style_sheet"];

fn fixtures() -> Vec<(&'static str, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut out = Vec::new();
    for &target in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(target)) else { continue };
        let mut files: Vec<PathBuf> = dir.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        out.extend(files.into_iter().map(|p| (target, p)));
    }
    out
}

/// Child side: replays the fixture named in `CLIPVG_FUZZ_REPLAY` (`TARGET:PATH`); a no-op in a
/// normal test run.
#[test]
fn replay_one() {
    let Ok(spec) = std::env::var(REPLAY) else { return };
    let (target, path) = spec.split_once(':').expect("TARGET:PATH");
    let data = std::fs::read(path).expect("fixture readable");
    let mode = if path.contains(".strict.") { checks::Mode::Strict } else { checks::Mode::Structural };
    match target {
        "roundtrip" => checks::roundtrip(&data, mode),
        "path_data" => checks::path_data(&data, mode),
        "style_sheet" => checks::style_sheet(&data, mode),
        other => panic!("unknown fuzz target {other}"),
    }
}

enum Outcome {
    Pass,
    Fail(String),
}

fn run_child(target: &str, path: &Path) -> Outcome {
    let exe = std::env::current_exe().expect("test binary path");
    let args = ["--exact", "replay_one", "--nocapture", "--test-threads=1"];
    let mut cmd = if cfg!(unix) {
        // `ulimit -v` bounds the child's memory, so an allocation bomb fails fast instead of
        // swapping the machine.
        let mut c = Command::new("sh");
        c.arg("-c").arg(format!("ulimit -v {MEMORY_LIMIT_KIB} 2>/dev/null; exec \"$0\" \"$@\"")).arg(&exe).args(args);
        c
    } else {
        let mut c = Command::new(&exe);
        c.args(args);
        c
    };
    cmd.env(REPLAY, format!("{target}:{}", path.display()))
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn the replay child");
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the replay child") {
            break Some(status);
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = |v: Vec<u8>| String::from_utf8_lossy(&v).into_owned();
    let log = format!("{}{}", text(t_out.join().unwrap_or_default()), text(t_err.join().unwrap_or_default()));
    let tail = |s: &str| {
        // Messages quote whole documents: keep the panic line and a bounded tail.
        let s = s.trim();
        let cut = s.char_indices().rev().nth(1500).map_or(0, |(i, _)| i);
        if cut > 0 { format!("…{}", &s[cut..]) } else { s.to_string() }
    };
    match status {
        None => Outcome::Fail(format!("timed out after {TIME_LIMIT:?} (hang or super-linear work)")),
        Some(s) if s.success() => Outcome::Pass,
        Some(s) if s.code() == Some(101) => Outcome::Fail(format!("panicked:\n{}", tail(&log))),
        Some(s) => Outcome::Fail(format!("died, {s} (abort, stack overflow or out of memory):\n{}", tail(&log))),
    }
}

/// The first line of a failure and, for a panic, the line of its message.
fn summary(why: &str) -> String {
    let mut lines = why.lines();
    let first = lines.next().unwrap_or("");
    match lines.skip_while(|l| !l.contains("panicked at")).nth(1) {
        Some(message) => format!("{first} {}", message.chars().take(200).collect::<String>()),
        None => first.to_string(),
    }
}

#[test]
fn every_fuzz_crash_stays_fixed() {
    if std::env::var_os(REPLAY).is_some() {
        return; // we are a replay child
    }
    let all = fixtures();
    assert!(!all.is_empty(), "no fixtures found under tests/fuzz_regressions");
    let mut failed = Vec::new();
    let mut still_open = Vec::new();
    let mut now_fixed = Vec::new();
    for (target, path) in &all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let open = name.starts_with("open-");
        match (run_child(target, path), open) {
            (Outcome::Pass, false) => {}
            (Outcome::Pass, true) => now_fixed.push(format!("{target}/{name}")),
            (Outcome::Fail(why), true) => still_open.push(format!("{target}/{name}: {}", summary(&why))),
            (Outcome::Fail(why), false) => failed.push(format!("{target}/{name}: {why}")),
        }
    }
    for s in &still_open {
        eprintln!("known open fuzz crash (not failing the suite): {s}");
    }
    for s in &now_fixed {
        eprintln!("fuzz fixture now passes, drop its `open-` prefix: {s}");
    }
    assert!(failed.is_empty(), "{} fuzz regression(s) came back:\n\n{}", failed.len(), failed.join("\n\n"));
}

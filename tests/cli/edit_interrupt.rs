//! `clipvg edit --keep-on-interrupt`: Ctrl-C (SIGINT) stops the edit at the end of its iteration
//! and writes the result so far (exit code 0, "interrupted after K of N iterations; …"); a second
//! Ctrl-C, or one without the flag, ends the process by the signal and writes nothing.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use cli_common::bin;

use crate::cli_common;

const INPUT: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><path id="p" d="M10 10 L50 12 L30 50 Z" fill="#c03030"/><path id="q" d="M40 40 h10 v10 h-10 z"/></svg>"##;

fn model_a() -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/clip/A")
        .to_string_lossy()
        .into_owned()
}

/// Starts a long edit of `dir/in.svg` into `dir/out.svg` (5000 iterations: it never finishes in
/// a test's time) and waits for its first progress line on stderr. Returns the child and the
/// channel that receives the rest of stderr, line by line.
fn start_edit(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, mpsc::Receiver<String>) {
    std::fs::write(dir.join("in.svg"), INPUT).unwrap();
    let model = model_a();
    let mut cmd = Command::new(bin());
    cmd.args(["edit", "in.svg", "-o", "out.svg", "--prompt", "a cat", "--select", "p", "--model", &model])
        .args(["--backend", "cpu", "--iters", "5000", "--patches", "2", "--size", "64"])
        .args(extra)
        .current_dir(dir)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("clipvg starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let started =
        std::iter::from_fn(|| rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())).ok())
            .any(|line| line.starts_with("iteration ") || line.starts_with("first iteration"));
    if !started {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no progress line within 2 minutes");
    }
    (child, rx)
}

fn interrupt(child: &Child) {
    // SAFETY: sends a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
}

/// The names in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn ctrl_c_with_keep_on_interrupt_writes_the_result_so_far() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, rx) = start_edit(dir.path(), &["--keep-on-interrupt"], &[]);
    interrupt(&child);
    let status = child.wait().unwrap();
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(status.code(), Some(0), "exit code 0 when the result so far is written; stderr: {rest:?}");
    let last = rest.last().cloned().unwrap_or_default();
    assert!(last.starts_with("interrupted after "), "{rest:?}");
    assert!(last.contains(" of 5000 iterations; result so far written to out.svg"), "{last}");
    let k: usize = last["interrupted after ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!((1..5000).contains(&k), "{last}");
    assert_eq!(std::fs::read_to_string(dir.path().join("in.svg")).unwrap(), INPUT, "the input is never touched");
    let out = std::fs::read_to_string(dir.path().join("out.svg")).unwrap();
    let doc = roxmltree::Document::parse(&out).expect("the result so far is valid SVG");
    let d = |id: &str| doc.descendants().find(|n| n.attribute("id") == Some(id)).unwrap().attribute("d").unwrap();
    assert_eq!(d("q"), "M40 40 h10 v10 h-10 z", "the unselected path is unchanged");
    assert_ne!(out, INPUT, "the selected path moved");
    assert_eq!(files(dir.path()), ["in.svg", "out.svg"], "no temporary file left");
}

#[test]
fn ctrl_c_without_the_flag_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _rx) = start_edit(dir.path(), &[], &[]);
    interrupt(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "ended by the signal: {status:?}");
    assert_eq!(files(dir.path()), ["in.svg"]);
}

#[test]
fn a_second_ctrl_c_exits_at_once_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The write of the result is held for 5 s before its rename, so that the second Ctrl-C lands
    // before the output exists whether or not the iteration ended between the two.
    let pause = [("CLIPVG_TEST_PAUSE_BEFORE_RENAME_MS", "5000")];
    let (mut child, _rx) = start_edit(dir.path(), &["--keep-on-interrupt"], &pause);
    interrupt(&child);
    std::thread::sleep(std::time::Duration::from_millis(50));
    interrupt(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "ended by the signal: {status:?}");
    assert_eq!(files(dir.path()), ["in.svg"], "no output and no temporary file");
}

//! A progress window for long runs: a `zenity --progress` child fed by the library's progress
//! callback, whose Cancel button asks the run to stop. Inkscape 1.2 has no progress channel for
//! extensions, so this is the only feedback a user gets during a minutes-long edit.
//!
//! Shown only when a display is there (`DISPLAY` or `WAYLAND_DISPLAY`), `zenity` is on `PATH`,
//! and the run is still going after [`SHOW_AFTER`] (quick runs never flash a window). Otherwise
//! silent. The child's stdout and stderr go to /dev/null: anything on the shim's stderr would
//! open a dialog in Inkscape.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a run goes before the window appears.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// The progress window, shown lazily.
pub struct ProgressWindow {
    program: Option<PathBuf>,
    show_after: Duration,
    started: Instant,
    child: Option<(Child, ChildStdin)>,
    cancelled: bool,
}

impl ProgressWindow {
    /// zenity from `PATH` when a display is there, else a window that never shows.
    pub fn from_env() -> ProgressWindow {
        let has_display =
            ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        let zenity = std::env::var_os("PATH")
            .filter(|_| has_display)
            .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join("zenity")).find(|p| p.is_file()));
        ProgressWindow::with_program(zenity, SHOW_AFTER)
    }

    /// A window run by `program` (zenity's command line), shown after `show_after`.
    pub fn with_program(program: Option<PathBuf>, show_after: Duration) -> ProgressWindow {
        ProgressWindow { program, show_after, started: Instant::now(), child: None, cancelled: false }
    }

    fn spawn(&mut self, message: &str) {
        let Some(program) = self.program.take() else { return };
        let child = Command::new(program)
            .args(["--progress", "--auto-close", "--title=CLIPVG", "--width=420", "--percentage=0"])
            .arg(format!("--text={}", one_line(message)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = child
            && let Some(stdin) = child.stdin.take()
        {
            self.child = Some((child, stdin));
        }
    }

    /// Shows `fraction` and `message`; returns whether the user pressed Cancel (now or before).
    pub fn update(&mut self, fraction: f64, message: &str) -> bool {
        if self.cancelled {
            return true;
        }
        if self.child.is_none() && self.started.elapsed() >= self.show_after && fraction < 1.0 {
            self.spawn(message);
        }
        let Some((child, stdin)) = self.child.as_mut() else { return false };
        // zenity exits when Cancel is pressed (or its window is closed); before 100 % that is a cancel.
        if !matches!(child.try_wait(), Ok(None)) {
            self.cancelled = true;
            return true;
        }
        // 100 would close the window (--auto-close) before the run has returned.
        let percent = (fraction.clamp(0.0, 1.0) * 100.0).floor().min(99.0);
        if writeln!(stdin, "# {}\n{percent}", one_line(message)).and_then(|()| stdin.flush()).is_err() {
            self.cancelled = true;
        }
        self.cancelled
    }

    /// Closes the window.
    pub fn finish(mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A stand-in for zenity: logs what it reads, and "presses Cancel" once it reads 50.
    fn fake_zenity(dir: &std::path::Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("zenity");
        let log = dir.join("log");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"args: $*\" > '{0}'\nwhile read -r line; do echo \"$line\" >> '{0}'; \
                 [ \"$line\" = 50 ] && exit 1; done\nexit 0\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    #[test]
    fn feeds_zenity_and_turns_its_exit_into_cancel() {
        let dir = tempfile_dir();
        let mut w = ProgressWindow::with_program(Some(fake_zenity(&dir)), Duration::ZERO);
        assert!(!w.update(0.1, "iteration 1\nof 10"));
        assert!(!w.update(0.5, "iteration 5"));
        // Give the fake time to read 50 and exit.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !w.update(0.6, "iteration 6") {
            assert!(Instant::now() < deadline, "cancel was never seen");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(w.update(0.7, "after cancel"));
        w.finish();
        let log = std::fs::read_to_string(dir.join("log")).unwrap();
        assert!(log.starts_with("args: --progress --auto-close"), "{log}");
        assert!(log.contains("# iteration 1 of 10\n10\n# iteration 5\n50\n"), "{log}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn quick_runs_and_no_zenity_show_nothing() {
        let dir = tempfile_dir();
        let mut w = ProgressWindow::with_program(Some(fake_zenity(&dir)), Duration::from_secs(3600));
        assert!(!w.update(0.5, "quick"));
        assert!(w.child.is_none());
        w.finish();
        let mut none = ProgressWindow::with_program(None, Duration::ZERO);
        assert!(!none.update(0.5, "nothing"));
        assert!(!dir.join("log").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "clipvg-inkscape-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

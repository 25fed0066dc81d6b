//! Small helpers shared by the commands: atomic file output (with its temporary file removed on
//! Ctrl-C / SIGTERM), the output check made before any work, the never-overwrite-the-input check.

use std::cell::UnsafeCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Test-only: milliseconds `write_atomic` waits between writing the temporary file and renaming
/// it, so that a test can interrupt a command at that moment.
pub const TEST_PAUSE_ENV: &str = "CLIPVG_TEST_PAUSE_BEFORE_RENAME_MS";

/// The folder `path` goes into ("." for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh temporary file name in `dir`: `.clipvg-PID-N.tmp`. Not derived from the output's
/// name, so a valid output name never makes it too long.
fn temp_path(dir: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    dir.join(format!(".clipvg-{}-{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)))
}

/// Writes `bytes` to `path` atomically: into a temporary file beside it, then renamed over it.
/// A reader never sees a half-written file, and on failure the old file (if any) is untouched.
/// While the temporary file exists it is registered for [`remove_temp_files_on_signals`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.file_name().is_none() {
        return Err(Error::InvalidInput(format!("{} is not a file path", path.display())));
    }
    let tmp = temp_path(folder_of(path));
    let registered = TempRegistration::new(&tmp);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Some(ms) = std::env::var(TEST_PAUSE_ENV).ok().and_then(|v| v.parse().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    drop(registered);
    Ok(())
}

/// Checks, before any work, that `path` can be written as an output: its folder exists and is
/// a folder, `path` is not a folder, its name is not too long for the file system, and a file
/// can be created in the folder (a temporary file is created and removed to find out).
pub fn check_output(path: &Path) -> Result<()> {
    let Some(name) = path.file_name() else {
        return Err(Error::InvalidInput(format!("the output {} is not a file path", path.display())));
    };
    let dir = folder_of(path);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::InvalidInput(format!(
                "cannot write {}: {} is not a folder",
                path.display(),
                dir.display()
            )));
        }
        Err(e) => {
            return Err(Error::InvalidInput(format!(
                "cannot write {}: the folder {} is not there ({e})",
                path.display(),
                dir.display()
            )));
        }
    }
    if path.is_dir() {
        return Err(Error::InvalidInput(format!("cannot write {}: it is a folder", path.display())));
    }
    let max = name_max(dir);
    if name.len() > max {
        return Err(Error::InvalidInput(format!(
            "cannot write {}: the file name is {} bytes long, the file system allows at most {max}",
            path.display(),
            name.len()
        )));
    }
    let probe = temp_path(dir);
    let registered = TempRegistration::new(&probe);
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => {
            return Err(Error::InvalidInput(format!(
                "cannot write {}: no file can be created in {} ({e})",
                path.display(),
                dir.display()
            )));
        }
    }
    drop(registered);
    Ok(())
}

/// The longest file name the file system of `dir` allows, in bytes (255 where it cannot be
/// asked).
fn name_max(dir: &Path) -> usize {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        if let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) {
            // SAFETY: a NUL-terminated path; pathconf only reads it.
            let n = unsafe { libc::pathconf(c.as_ptr(), libc::_PC_NAME_MAX) };
            if n > 0 {
                return n as usize;
            }
        }
    }
    255
}

/// Writes `text` to stdout; a closed or full stdout (`clipvg … | head -c1`, a full disk) is an
/// error naming standard output, never a panic as `print!` would give.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| Error::io("standard output", e))
}

/// Refuses an output path that names the input file (also through another spelling of the
/// path): clipvg never writes over its input.
pub fn refuse_overwriting_input(input: &Path, output: &Path) -> Result<()> {
    match (input.canonicalize(), output.canonicalize()) {
        (Ok(x), Ok(y)) if x == y => Err(Error::InvalidInput(format!(
            "the output {} is the input; clipvg never overwrites its input, choose another -o",
            output.display()
        ))),
        _ => Ok(()),
    }
}

// ---- temporary files removed on SIGINT / SIGTERM ----
//
// A signal handler may only call async-signal-safe functions: no allocation, no locks. So the
// paths of the temporary files that exist right now live in a fixed table of NUL-terminated byte
// buffers, each with an atomic state; the handler `unlink`s the armed ones and then dies of the
// signal as it would have without a handler.

const SLOTS: usize = 8;
const PATH_BYTES: usize = 4096;
const FREE: u8 = 0;
const WRITING: u8 = 1;
const ARMED: u8 = 2;

struct Slot {
    state: AtomicU8,
    path: UnsafeCell<[u8; PATH_BYTES]>,
}

// SAFETY: `path` is written only by the thread that moved `state` from FREE to WRITING, and read
// (by the signal handler) only while `state` is ARMED, which is published with Release after the
// write and withdrawn before the slot is reused.
unsafe impl Sync for Slot {}

static TEMP_FILES: [Slot; SLOTS] =
    [const { Slot { state: AtomicU8::new(FREE), path: UnsafeCell::new([0; PATH_BYTES]) } }; SLOTS];

/// A temporary file registered for removal on a signal while this lives.
struct TempRegistration(Option<usize>);

impl TempRegistration {
    fn new(path: &Path) -> TempRegistration {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let bytes = path.as_os_str().as_bytes();
            if bytes.len() >= PATH_BYTES || bytes.contains(&0) {
                return TempRegistration(None);
            }
            for (i, slot) in TEMP_FILES.iter().enumerate() {
                if slot.state.compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    // SAFETY: this thread owns the slot (state WRITING); the handler does not read it.
                    let buf = unsafe { &mut *slot.path.get() };
                    buf[..bytes.len()].copy_from_slice(bytes);
                    buf[bytes.len()] = 0;
                    slot.state.store(ARMED, Ordering::Release);
                    return TempRegistration(Some(i));
                }
            }
        }
        let _ = path;
        TempRegistration(None)
    }
}

impl Drop for TempRegistration {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            TEMP_FILES[i].state.store(FREE, Ordering::Release);
        }
    }
}

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    for slot in &TEMP_FILES {
        if slot.state.load(Ordering::Acquire) == ARMED {
            // SAFETY: an armed slot holds a NUL-terminated path; unlink is async-signal-safe.
            unsafe { libc::unlink(slot.path.get().cast::<libc::c_char>()) };
        }
    }
    // SAFETY: async-signal-safe calls: back to the default action, and die of the signal.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// For programs (the `clipvg` command), never for the library: on SIGINT, SIGTERM and SIGHUP,
/// removes the temporary files of [`write_atomic`] and [`check_output`] that exist at that
/// moment, then ends the process by the signal as before.
pub fn remove_temp_files_on_signals() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe { libc::signal(signal, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.svg");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let bad = dir.path().join("missing-dir").join("x.svg");
        assert!(write_atomic(&bad, b"x").is_err());
        assert!(TEMP_FILES.iter().all(|s| s.state.load(Ordering::Relaxed) == FREE));
    }

    #[test]
    fn a_name_of_the_longest_valid_length_can_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let max = name_max(dir.path());
        let p = dir.path().join("n".repeat(max));
        check_output(&p).unwrap();
        write_atomic(&p, b"x").unwrap();
        let e = check_output(&dir.path().join("n".repeat(max + 1))).unwrap_err().to_string();
        assert!(e.contains("bytes long"), "{e}");
    }

    #[test]
    fn outputs_are_checked_before_work() {
        let dir = tempfile::tempdir().unwrap();
        check_output(&dir.path().join("ok.svg")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the probe is removed");
        let e = check_output(&dir.path().join("no/such/x.svg")).unwrap_err().to_string();
        assert!(e.contains("is not there"), "{e}");
        std::fs::write(dir.path().join("file"), "").unwrap();
        let e = check_output(&dir.path().join("file/x.svg")).unwrap_err().to_string();
        assert!(e.contains("is not a folder"), "{e}");
        let e = check_output(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a folder") || e.contains("not a file path"), "{e}");
    }
}

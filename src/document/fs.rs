//! clipvg's one atomic file writer, shared by every crate that writes a file (the engine's
//! outputs, the CLIP registry's manifests): a temporary file in the output's folder, synced,
//! then renamed over the output; the temporary file is removed on failure, and on Ctrl-C /
//! SIGTERM / SIGHUP once a program has called [`remove_temp_files_on_signals`].
//!
//! It lives in the document crate because that is the one crate below both the engine and
//! clipvg-clip that has no heavy dependencies (only `libc`, for the signal handler).

use std::cell::UnsafeCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Test-only: milliseconds [`write_atomic`] waits between writing the temporary file and
/// renaming it, so that a test can interrupt a command at that moment.
pub const TEST_PAUSE_ENV: &str = "CLIPVG_TEST_PAUSE_BEFORE_RENAME_MS";

/// The folder `path` goes into ("." for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
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
/// Failures are an [`Error::Io`] naming `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.file_name().is_none() {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path");
        return Err(Error::io(path, e));
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

/// Creates a temporary file in `dir` and removes it again: whether a file can be created there
/// (the file is registered for [`remove_temp_files_on_signals`] while it exists).
pub fn probe_create(dir: &Path) -> std::io::Result<()> {
    let probe = temp_path(dir);
    let registered = TempRegistration::new(&probe);
    let f = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    drop(f);
    let _ = std::fs::remove_file(&probe);
    drop(registered);
    Ok(())
}

/// The longest file name the file system of `dir` allows, in bytes (255 where it cannot be
/// asked).
pub fn name_max(dir: &Path) -> usize {
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
    #[cfg(not(unix))]
    let _ = dir;
    255
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

// ---- stop and keep: the first Ctrl-C only asks the running edit to stop ----
//
// With [`keep_on_interrupt`] armed, the handler's answer to the first SIGINT is to set
// `INTERRUPTED` (an atomic store: async-signal-safe) and return; the edit's progress callback
// polls [`interrupted`] and stops at the end of its iteration. A second SIGINT (or SIGTERM,
// SIGHUP) removes the temporary files and ends the process as before.

static KEEP_ON_INTERRUPT: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Arms (or disarms) "the first Ctrl-C asks to stop": while armed, the handler of
/// [`remove_temp_files_on_signals`] answers the first SIGINT by setting [`interrupted`] instead
/// of ending the process.
pub fn keep_on_interrupt(armed: bool) {
    KEEP_ON_INTERRUPT.store(armed, Ordering::SeqCst);
}

/// Whether a SIGINT arrived while [`keep_on_interrupt`] was armed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    if signal == libc::SIGINT && KEEP_ON_INTERRUPT.load(Ordering::SeqCst) && !INTERRUPTED.swap(true, Ordering::SeqCst) {
        return;
    }
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

/// For programs (the `clipvg` command), never for a library: on SIGINT, SIGTERM and SIGHUP,
/// removes the temporary files of [`write_atomic`] and [`probe_create`] that exist at that
/// moment, then ends the process by the signal as before (a first SIGINT only sets
/// [`interrupted`] while [`keep_on_interrupt`] is armed).
pub fn remove_temp_files_on_signals() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe { libc::signal(signal, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Held by every test that registers temporary files, so that one can see all slots free.
    static SLOTS_IN_USE: Mutex<()> = Mutex::new(());

    #[test]
    fn atomic_write_replaces_and_cleans_up() {
        let _serial = SLOTS_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.svg");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let bad = dir.path().join("missing-dir").join("x.svg");
        assert!(matches!(write_atomic(&bad, b"x"), Err(Error::Io { path, .. }) if path == bad));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        assert!(TEMP_FILES.iter().all(|s| s.state.load(Ordering::Acquire) == FREE));
    }

    #[test]
    #[cfg(unix)]
    fn a_registration_arms_its_slot_while_it_lives() {
        let _serial = SLOTS_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
        let path = Path::new("/tmp/.clipvg-registration-test.tmp");
        let r = TempRegistration::new(path);
        let i = r.0.expect("a free slot");
        assert_eq!(TEMP_FILES[i].state.load(Ordering::Acquire), ARMED);
        // SAFETY: the slot is armed by this test and read only (the handler is not installed).
        let buf = unsafe { &*TEMP_FILES[i].path.get() };
        assert_eq!(&buf[..path.as_os_str().len() + 1], b"/tmp/.clipvg-registration-test.tmp\0");
        drop(r);
        assert_eq!(TEMP_FILES[i].state.load(Ordering::Acquire), FREE);
    }

    #[test]
    fn a_name_of_the_longest_valid_length_can_be_written() {
        let _serial = SLOTS_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let max = name_max(dir.path());
        write_atomic(&dir.path().join("n".repeat(max)), b"x").unwrap();
        assert!(write_atomic(&dir.path().join("n".repeat(max + 1)), b"x").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_probe_leaves_nothing_behind() {
        let _serial = SLOTS_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        probe_create(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(probe_create(&dir.path().join("missing")).is_err());
        assert_eq!(folder_of(Path::new("x.svg")), Path::new("."));
        assert_eq!(folder_of(Path::new("a/x.svg")), Path::new("a"));
    }
}

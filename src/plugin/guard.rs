//! What keeps the plugin's promises at the boundary: no output from panics the library catches,
//! messages that are safe to show, and one engine never entered twice at once.
//!
//! **Panics.** Every export runs inside `catch_unwind` and turns a panic into
//! `CLIPVG_STATUS_PANIC`. Catching is not enough: Rust's panic hook runs *before* unwinding and
//! by default prints "thread … panicked at …" to stderr. We must not replace the host's hook
//! (a Rust host that links clipvg as a crate has its own), so [`Inside`] installs, once per
//! process, a hook that *chains*: it stays silent while the current thread is inside a clipvg call
//! (a thread-local depth counter) and hands every other panic to the hook that was there before.
//! While the library calls back into the host (the progress callback) the counter is set to 0
//! ([`host_call`]), so a panic in host code still reaches the host's hook.
//!
//! Panics on the library's rayon worker threads (the CPU rasterizer, the CPU tensor backend) are
//! raised on a worker, not on the calling thread, and rayon re-raises them on the caller; the hook
//! treats a rayon worker as inside clipvg while any clipvg call is running in the process. In the
//! cdylib that is exact: the library carries its own copy of std and rayon, so every rayon worker
//! and every panic hook call there is the library's. A Rust program that links clipvg as a crate
//! and runs its own rayon work at the same moment would have a panic on a shared worker silenced
//! (it still unwinds and is reported by rayon to its caller): the one approximation.
//!
//! **Engine work.** [`catch_gpu`] runs an edit or a refinement and turns a panic of the GPU stack
//! into an error instead of a crash (see its docs).

use std::cell::{Cell, RefCell};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

thread_local! {
    /// How many clipvg calls the current thread is inside (nested: a host may call clipvg from a
    /// progress callback, on another engine).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The source file of the last panic raised on this thread (for [`last_panic_file`]).
    static LAST_PANIC_FILE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// How many threads are inside a clipvg call right now.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

static HOOK: Once = Once::new();

/// Whether a panic raised on the current thread is one the library will catch and report.
fn ours() -> bool {
    DEPTH.try_with(|d| d.get() > 0).unwrap_or(false)
        || (ACTIVE.load(Ordering::Acquire) > 0 && rayon::current_thread_index().is_some())
}

/// Installs the chaining hook (once per process). Besides staying silent for clipvg's own
/// panics, it remembers on each thread the source file of its last panic
/// ([`last_panic_file`]), so that a caught panic can be told apart by where it came from.
pub(crate) fn install_hook() {
    // `set_hook` may not be called while panicking; the next call installs it then.
    if std::thread::panicking() {
        return;
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_string());
            let _ = LAST_PANIC_FILE.try_with(|f| f.try_borrow_mut().map(|mut f| *f = file));
            if !ours() {
                previous(info);
            }
        }));
    });
}

/// The source file of the last panic raised on the current thread, taken (once the hook is
/// installed; `None` before, or when the panic was raised on another thread, such as a rayon
/// worker).
pub(crate) fn last_panic_file() -> Option<String> {
    LAST_PANIC_FILE.try_with(|f| f.try_borrow_mut().ok().and_then(|mut f| f.take())).ok().flatten()
}

/// Guards engine work (an edit, a refinement) against panics inside burn and the tensor
/// runtime: a panic becomes an [`Error::Gpu`] when the work runs on a GPU `device` and the panic
/// came from the GPU stack (wgpu, naga, cubecl, the fusion runtime, clipvg's GPU rasterizer) or
/// from a thread that cannot tell; anything else (every panic on the CPU) is a bug,
/// [`Error::Internal`].
pub fn catch_gpu<T>(device: &burn::tensor::Device, f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_hook();
    let _stale = last_panic_file();
    let on_gpu = !crate::compute::is_cpu(device);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|e| {
        // A budget exceeded inside the raster op (inside burn's graph) can only unwind; it
        // carries its `Error` as the payload and is an error like any other, not a bug.
        let e = match e.downcast::<crate::raster::RasterError>() {
            Ok(err) => return Err((*err).into()),
            Err(e) => e,
        };
        let message = crate::raster::panic_message(&e);
        let from_gpu_stack = last_panic_file().is_none_or(|file| {
            ["wgpu", "naga", "cubecl", "fusion", "raster/gpu"].iter().any(|part| file.contains(part))
        });
        Err(if on_gpu && from_gpu_stack { Error::Gpu(message) } else { Error::Internal(message) })
    })
}

/// The current thread is inside a clipvg call while this lives: panics raised here are caught
/// by the call and reported as a status, never printed.
pub(crate) struct Inside {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Inside {
    pub(crate) fn enter() -> Inside {
        install_hook();
        DEPTH.with(|d| d.set(d.get() + 1));
        ACTIVE.fetch_add(1, Ordering::AcqRel);
        Inside { _not_send: std::marker::PhantomData }
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, Ordering::AcqRel);
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs host code (a progress callback) from inside a clipvg call: panics raised in it are the
/// host's and reach the host's panic hook.
pub(crate) fn host_call<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = DEPTH.try_with(|d| d.set(self.0));
        }
    }
    let _restore = Restore(DEPTH.with(|d| d.replace(0)));
    f()
}

/// The longest message handed to a host, in bytes (a little more with the closing "…").
pub const MAX_MESSAGE_BYTES: usize = 2048;

pub use clipvg_document::message::{MAX_ECHO_CHARS, bound_quoted, echo, escape};

/// A message as the plugin hands it to a host: one line (a line break of clipvg's own becomes a
/// space; input echoed in it was escaped where it was quoted), every other control character
/// escaped, at most [`MAX_MESSAGE_BYTES`] bytes (cut at a character boundary, "…" appended).
pub fn host_message(message: &str) -> String {
    // Escaping never shortens: the first MAX_MESSAGE_BYTES + 1 characters are all that can show.
    let head: String = message.chars().take(MAX_MESSAGE_BYTES + 1).map(|c| if c == '\n' { ' ' } else { c }).collect();
    let mut escaped = escape(&head, usize::MAX);
    if escaped.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !escaped.is_char_boundary(cut) {
            cut -= 1;
        }
        escaped.truncate(cut);
        escaped.push('…');
    }
    escaped
}

/// The message of an internal error (a caught panic): "internal error: " and the panic's own
/// message (the status, `CLIPVG_STATUS_PANIC`, says it is a bug to report).
pub fn internal_message(panic: &str) -> String {
    format!("internal error: {panic}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_escaped_and_bounded() {
        assert_eq!(escape("a\nb\u{1b}[31m\u{202e}c", 100), "a\\nb\\u{1b}[31m\\u{202e}c");
        assert_eq!(echo(&"x".repeat(1 << 20)).chars().count(), MAX_ECHO_CHARS + 1);
        let long = host_message(&"é".repeat(5000));
        assert!(long.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8() && long.ends_with('…'));
        assert_eq!(host_message("plain"), "plain");
        let quoted = bound_quoted(&format!("unknown field `{}`, expected `a`", "z".repeat(500)), '`');
        assert!(quoted.starts_with("unknown field `zzz") && quoted.ends_with("…`, expected `a`"), "{quoted}");
    }

    #[test]
    fn only_panics_inside_are_silenced() {
        assert!(!ours());
        {
            let _inside = Inside::enter();
            assert!(ours());
            host_call(|| assert!(!ours()));
            assert!(ours());
        }
        assert!(!ours());
        // A caught panic inside prints nothing (checked by the plugin tests through the cdylib);
        // here: it is caught and the flag is restored.
        let _inside = Inside::enter();
        assert!(std::panic::catch_unwind(|| panic!("quiet")).is_err());
        assert!(ours());
    }
}

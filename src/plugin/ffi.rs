//! The C ABI: `include/clipvg.h` is generated from this file by cbindgen (`cbindgen.toml`) and a
//! test fails when the two drift apart (`CLIPVG_UPDATE_HEADER=1 cargo test --release --test
//! plugin_header` rewrites it).
//!
//! Conventions (as in regex's rure and resvg's C API): opaque handles with create/free pairs;
//! strings in as pointer + byte length, checked as UTF-8; every fallible call returns a
//! [`ClipvgStatus`] and can hand out an owned [`ClipvgError`]; every export runs inside
//! `catch_unwind` (the [`ffi_guard!`] macro), so no panic crosses the boundary, and inside
//! [`guard::Inside`], so a caught panic prints nothing; NULL where a value is required is an
//! error, never a crash; every message is escaped and bounded ([`guard::host_message`]).

// The exports are the C ABI: C callers pass raw pointers by contract (documented per function
// and in the header), and each is checked for NULL before it is read. Marking them `unsafe fn`
// would change nothing for C and only hide the checks from review.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::ffi::{c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use super::context::Progress;
use super::engine::{Engine, RunOutput};
use super::guard;
use crate::error::Error;

/// The ABI version of this header. `clipvg_abi_version()` returns the library's; a host must
/// refuse a library whose version differs from the one it was compiled against.
pub const CLIPVG_ABI_VERSION: u32 = 1;

/// What a call returned. `CLIPVG_STATUS_OK` is 0; every other value comes with a
/// `ClipvgError` (when the caller asked for one) whose message says what to do. The status says
/// what kind of thing went wrong, so a host can act on it without reading the message; a host
/// must treat a value it does not know as a failure (later versions may add statuses).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, abi_stable::StableAbi)]
pub enum ClipvgStatus {
    /// Success.
    Ok = 0,
    /// A caller mistake at the ABI level: a NULL pointer where a value is required, a string that
    /// is not UTF-8.
    InvalidArgument = 1,
    /// The request is wrong: malformed JSON, an unknown field or action, a value out of range, an
    /// empty prompt, an unknown model name or a model folder that does not exist.
    InvalidRequest = 2,
    /// The document is not well-formed XML or not a usable SVG.
    InvalidDocument = 3,
    /// The selection is empty, names an id that is not in the document, or has no shapes.
    InvalidSelection = 4,
    /// The progress callback asked to stop and the action had no partial result to return.
    Cancelled = 5,
    /// A file could not be read or written, or an image could not be decoded.
    Io = 6,
    /// The GPU was asked for and cannot be used, or failed while running (on the GPU, a failure
    /// inside the tensor runtime is reported as this too). Retrying with `"backend": "cpu"` may work.
    Gpu = 7,
    /// An internal error: a bug in clipvg (a caught panic); the message starts with
    /// "internal error:" and says what happened. The engine stays usable.
    Panic = 8,
    /// The engine is already running an action: a call from its own progress callback, or from
    /// another thread while a run is under way. Returned at once; nothing was done. Runs on one
    /// engine never wait for each other: use one engine per thread to run in parallel.
    Busy = 9,
    /// The document (or the request) needs more than a budget of the limits allows (nesting
    /// depth, nodes, shapes, segments, pixels, memory, ...). The message names the limit and how
    /// to raise it (`"limits": {"NAME": N}` in the request). Nothing was allocated for it.
    LimitExceeded = 10,
    /// The CLIP model is not on this machine: a model folder lacks `config.json` or
    /// `model.safetensors`. A host can offer to fetch it (`clipvg weights fetch NAME`).
    ModelMissing = 11,
    /// Downloading the CLIP model failed (offline, server error). Retrying later may work.
    ModelDownload = 12,
    /// The CLIP model's files are not usable: a download or cached file failed verification
    /// (size or SHA-256; the file was removed), or the weights, config or tokenizer are corrupt or
    /// not a CLIP checkpoint. Fetching the model again may work.
    ModelInvalid = 13,
}

impl ClipvgStatus {
    /// The status of a clipvg error.
    pub(crate) fn of(error: &Error) -> ClipvgStatus {
        use crate::clip::ClipError as C;
        match error {
            Error::Io { .. } | Error::Image { .. } => ClipvgStatus::Io,
            Error::Document(_) | Error::NotSvg(_) => ClipvgStatus::InvalidDocument,
            Error::UnknownId(_) | Error::EmptySelection(_) => ClipvgStatus::InvalidSelection,
            Error::InvalidInput(_) | Error::ParamMismatch(_) => ClipvgStatus::InvalidRequest,
            Error::WriteBack(_) => ClipvgStatus::InvalidDocument,
            Error::GpuUnavailable(_) | Error::Gpu(_) | Error::Raster(_) => ClipvgStatus::Gpu,
            Error::Cancelled => ClipvgStatus::Cancelled,
            Error::Busy => ClipvgStatus::Busy,
            Error::Limit(_) => ClipvgStatus::LimitExceeded,
            Error::Internal(_) => ClipvgStatus::Panic,
            Error::Clip(clip) => match clip {
                C::MissingModelFile { .. } => ClipvgStatus::ModelMissing,
                C::Download { .. } => ClipvgStatus::ModelDownload,
                C::Verification { .. }
                | C::Safetensors { .. }
                | C::Config { .. }
                | C::MissingTensor { .. }
                | C::ShapeMismatch { .. }
                | C::UnsupportedDtype { .. }
                | C::Tokenizer { .. } => ClipvgStatus::ModelInvalid,
                C::Io { .. } | C::Image { .. } => ClipvgStatus::Io,
                C::UnknownModel { .. } | C::EmptyPrompt { .. } | C::InvalidTokens { .. } => {
                    ClipvgStatus::InvalidRequest
                }
                C::Backend(_) => ClipvgStatus::Gpu,
                C::Registry(_) => ClipvgStatus::Panic,
            },
        }
    }
}

/// A string argument: `len` bytes of UTF-8 at `ptr` (no NUL terminator needed). `ptr` may be
/// NULL only when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ClipvgStr {
    pub ptr: *const c_char,
    pub len: usize,
}

/// Progress callback: `fraction` in [0, 1] and a short UTF-8 message (`message_len` bytes,
/// NUL-terminated as well, valid only during the call). Return `true` to ask the run to stop:
/// the action stops at its next check and returns its last good state (report `"cancelled":
/// true`) or `CLIPVG_STATUS_CANCELLED`. Called on the thread that called `clipvg_run`, never
/// concurrently, never after `clipvg_run` returned. May be NULL (no progress wanted).
pub type ClipvgProgressFn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, fraction: f64, message: *const c_char, message_len: usize) -> bool,
>;

/// An engine: options fixed at creation (model, backend), and later the loaded model.
/// Created by `clipvg_engine_new`, owned by the caller, freed with `clipvg_engine_free`.
/// Thread-safe: it may be used from any thread and shared between threads; a run on an engine
/// that is already running returns `CLIPVG_STATUS_BUSY` at once (use one engine per thread to run
/// in parallel).
pub struct ClipvgEngine {
    engine: Engine,
    /// `clipvg_engine_free` was called while a run was under way (from the progress callback):
    /// the run frees the engine when it returns.
    free_requested: AtomicBool,
}

/// The result of a successful run: the new SVG, the JSON report, and for `render` a PNG.
/// Created by `clipvg_run`, owned by the caller, freed with `clipvg_result_free`. Immutable:
/// may be read from any thread.
pub struct ClipvgResult {
    svg: NulTerminated,
    report: NulTerminated,
    png: Option<Vec<u8>>,
    changed: bool,
    cancelled: bool,
}

/// An error: a status and a one-sentence message for the user. Created by a failing call when
/// the caller passed a non-NULL `out_error`, owned by the caller, freed with
/// `clipvg_error_free`. Immutable: may be read from any thread.
pub struct ClipvgError {
    status: ClipvgStatus,
    message: NulTerminated,
}

/// Bytes with a NUL after them, so C can use them as a string or as (pointer, length).
struct NulTerminated(Vec<u8>);

impl NulTerminated {
    fn new(text: impl Into<Vec<u8>>) -> Self {
        let mut bytes = text.into();
        bytes.push(0);
        NulTerminated(bytes)
    }

    /// The bytes without the NUL, as a C string pointer; writes the length to `out_len`.
    fn as_c(&self, out_len: *mut usize) -> *const c_char {
        if !out_len.is_null() {
            // SAFETY: the caller passed a writable `size_t *` (or NULL, checked above).
            unsafe { *out_len = self.0.len() - 1 };
        }
        self.0.as_ptr().cast()
    }
}

/// Why an export failed, before it becomes a [`ClipvgError`].
enum Failure {
    Null(&'static str),
    NotUtf8(&'static str, std::str::Utf8Error),
    Clipvg(Error),
    Panic(String),
}

impl Failure {
    fn into_error(self) -> ClipvgError {
        let (status, message) = match self {
            Failure::Null(arg) => (ClipvgStatus::InvalidArgument, format!("argument `{arg}` is NULL")),
            Failure::NotUtf8(arg, e) => (
                ClipvgStatus::InvalidArgument,
                format!("argument `{arg}` is not valid UTF-8 (bad byte at offset {})", e.valid_up_to()),
            ),
            Failure::Clipvg(e) => (ClipvgStatus::of(&e), e.to_string()),
            Failure::Panic(what) => (ClipvgStatus::Panic, guard::internal_message(&what)),
        };
        ClipvgError { status, message: NulTerminated::new(guard::host_message(&message)) }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Clipvg(e)
    }
}

/// The text of a panic payload (a `String` or `&str` message, else "a panic").
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "a panic".into(), |s| s.to_string()),
    }
}

/// Runs an export's body inside `catch_unwind`.
///
/// `ffi_guard!(out_error, { ... Ok(()) })` for calls that return a [`ClipvgStatus`]: the body
/// returns `Result<(), Failure>`; a failure or a panic becomes a status and, when `out_error` is
/// not NULL, an owned error. `ffi_guard!(fallback = VALUE, { ... })` for the infallible calls
/// (accessors, frees): a panic returns `VALUE`.
macro_rules! ffi_guard {
    (fallback = $fallback:expr, $body:block) => {{
        let _inside = guard::Inside::enter();
        catch_unwind(AssertUnwindSafe(|| $body)).unwrap_or($fallback)
    }};
    ($out_error:expr, $body:block) => {{
        let _inside = guard::Inside::enter();
        let out_error: *mut *mut ClipvgError = $out_error;
        if !out_error.is_null() {
            // SAFETY: the caller passed a writable `ClipvgError **` (or NULL, checked above).
            unsafe { *out_error = ptr::null_mut() };
        }
        let result: Result<(), Failure> = match catch_unwind(AssertUnwindSafe(|| -> Result<(), Failure> { $body })) {
            Ok(result) => result,
            Err(payload) => Err(Failure::Panic(panic_message(payload))),
        };
        match result {
            Ok(()) => ClipvgStatus::Ok,
            Err(failure) => {
                let error = failure.into_error();
                let status = error.status;
                if !out_error.is_null() {
                    // SAFETY: as above; the box is handed to the caller, who frees it.
                    unsafe { *out_error = Box::into_raw(Box::new(error)) };
                }
                status
            }
        }
    }};
}

/// `len` bytes at `ptr` as UTF-8. NULL with length 0 is the empty string.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that outlive `'a`.
unsafe fn str_arg<'a>(name: &'static str, ptr: *const c_char, len: usize) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return if len == 0 { Ok("") } else { Err(Failure::Null(name)) };
    }
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|e| Failure::NotUtf8(name, e))
}

/// The library's ABI version; equal to `CLIPVG_ABI_VERSION` of the header it was built with.
#[unsafe(no_mangle)]
pub extern "C" fn clipvg_abi_version() -> u32 {
    CLIPVG_ABI_VERSION
}

/// The library's version ("0.1.0"), a static NUL-terminated string; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn clipvg_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The host-neutral manifest (`plugin-manifest/clipvg.json`): every action with its params,
/// types, ranges and defaults, for hosts that build their dialogs from it. Static,
/// NUL-terminated; its length in bytes is written to `out_len` when that is not NULL; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn clipvg_manifest_json(out_len: *mut usize) -> *const c_char {
    ffi_guard!(fallback = ptr::null(), {
        let json = super::manifest::NEUTRAL_MANIFEST_NUL;
        if !out_len.is_null() {
            // SAFETY: the caller passed a writable `size_t *`.
            unsafe { *out_len = json.len() - 1 };
        }
        json.as_ptr().cast()
    })
}

/// Creates an engine from JSON options `{"model": "PATH-OR-NAME", "backend": "auto|cpu|gpu"}`
/// (every field optional; NULL with length 0 means `{}`). On success `*out_engine` receives an
/// engine the caller frees with `clipvg_engine_free`. On failure `*out_engine` is NULL and, when
/// `out_error` is not NULL, `*out_error` receives an error the caller frees with
/// `clipvg_error_free` (else `*out_error` is set to NULL).
///
/// # Safety
/// Pointers must be NULL or valid for the lengths given; `out_engine` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_engine_new(
    options_json: *const c_char,
    options_json_len: usize,
    out_engine: *mut *mut ClipvgEngine,
    out_error: *mut *mut ClipvgError,
) -> ClipvgStatus {
    ffi_guard!(out_error, {
        if out_engine.is_null() {
            return Err(Failure::Null("out_engine"));
        }
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { *out_engine = ptr::null_mut() };
        // SAFETY: guaranteed by the caller.
        let options = unsafe { str_arg("options_json", options_json, options_json_len)? };
        let engine = Engine::from_json(options)?;
        // SAFETY: as above.
        let engine = ClipvgEngine { engine, free_requested: AtomicBool::new(false) };
        unsafe { *out_engine = Box::into_raw(Box::new(engine)) };
        Ok(())
    })
}

/// Frees an engine. NULL is ignored. The engine must not be in use by another thread. Called
/// from the engine's own progress callback, it takes effect when that run returns.
///
/// # Safety
/// `engine` must be NULL or come from `clipvg_engine_new` and not have been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_engine_free(engine: *mut ClipvgEngine) {
    ffi_guard!(fallback = (), {
        // SAFETY: guaranteed by the caller.
        if let Some(e) = unsafe { engine.as_ref() } {
            if e.engine.is_busy() {
                // Inside the engine's own run (its progress callback): that run frees it.
                e.free_requested.store(true, Ordering::Release);
                return;
            }
            // SAFETY: guaranteed by the caller.
            drop(unsafe { Box::from_raw(engine) });
        }
    })
}

/// Runs an action on a document.
///
/// - `action`: `"inspect"`, `"render"`, `"edit"`, `"recolor"` or `"vectorize"` (UTF-8, `action_len` bytes).
/// - `request_json`: the request (see `Request` in `src/plugin/request.rs`); NULL
///   with length 0 means `{}` (every field at its default). Unknown fields are an error.
/// - `svg`: the whole document, UTF-8.
/// - `selected`: the ids of the selected objects in selection order, `selected_len` of them
///   (NULL when 0).
/// - `progress`: called with progress and asked whether to cancel; may be NULL. `user_data` is
///   passed to it untouched.
/// - `out_result`: on success receives a result the caller frees with `clipvg_result_free`; NULL on failure.
/// - `out_error`: may be NULL; on failure receives an error the caller frees with `clipvg_error_free`.
///
/// The engine is borrowed for the call. Nothing is kept after the call returns. On an engine
/// that is already running (a call from its own progress callback, or from another thread) it
/// returns `CLIPVG_STATUS_BUSY` at once and does nothing.
///
/// # Safety
/// `engine` must come from `clipvg_engine_new`; every pointer must be NULL or valid for the
/// length given; `selected` must point to `selected_len` `ClipvgStr`; `out_result` must be writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "a flat C signature; each argument is documented above")]
pub unsafe extern "C" fn clipvg_run(
    engine: *const ClipvgEngine,
    action: *const c_char,
    action_len: usize,
    request_json: *const c_char,
    request_json_len: usize,
    svg: *const c_char,
    svg_len: usize,
    selected: *const ClipvgStr,
    selected_len: usize,
    progress: ClipvgProgressFn,
    user_data: *mut c_void,
    out_result: *mut *mut ClipvgResult,
    out_error: *mut *mut ClipvgError,
) -> ClipvgStatus {
    ffi_guard!(out_error, {
        if out_result.is_null() {
            return Err(Failure::Null("out_result"));
        }
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { *out_result = ptr::null_mut() };
        if engine.is_null() {
            return Err(Failure::Null("engine"));
        }
        // SAFETY: guaranteed by the caller (a live engine, readable strings).
        let (handle, action, request_json) = unsafe {
            (&*engine, str_arg("action", action, action_len)?, str_arg("request_json", request_json, request_json_len)?)
        };
        if svg.is_null() {
            return Err(Failure::Null("svg"));
        }
        // SAFETY: guaranteed by the caller.
        let svg = unsafe { str_arg("svg", svg, svg_len)? };
        let selection = if selected_len == 0 {
            Vec::new()
        } else if selected.is_null() {
            return Err(Failure::Null("selected"));
        } else {
            // SAFETY: guaranteed by the caller.
            let items = unsafe { std::slice::from_raw_parts(selected, selected_len) };
            items
                .iter()
                // SAFETY: guaranteed by the caller.
                .map(|s| unsafe { str_arg("selected[i]", s.ptr, s.len) }.map(str::to_string))
                .collect::<Result<Vec<_>, _>>()?
        };
        let mut forward = |fraction: f64, message: &str| -> bool {
            let Some(callback) = progress else { return false };
            let message = NulTerminated::new(guard::host_message(message));
            // SAFETY: the host's callback, called as its type documents; host code, so a panic
            // there (a Rust host) is the host's to see.
            guard::host_call(|| unsafe {
                callback(user_data, fraction, message.0.as_ptr().cast(), message.0.len() - 1)
            })
        };
        let mut progress = Progress::new(Some(&mut forward));
        let output = handle.engine.run_json(action, request_json, svg, &selection, &mut progress);
        if !handle.engine.is_busy() && handle.free_requested.load(Ordering::Acquire) {
            // The progress callback freed the engine: the run is over, free it now.
            // SAFETY: the engine came from `clipvg_engine_new` (caller's guarantee) and
            // `clipvg_engine_free` left it to this run; `handle` is not used after this.
            drop(unsafe { Box::from_raw(engine.cast_mut()) });
        }
        let output = output?;
        let RunOutput { svg, report_json, png, changed, cancelled } = output;
        let result = ClipvgResult {
            svg: NulTerminated::new(svg),
            report: NulTerminated::new(report_json),
            png,
            changed,
            cancelled,
        };
        // SAFETY: checked writable above; the box is handed to the caller.
        unsafe { *out_result = Box::into_raw(Box::new(result)) };
        Ok(())
    })
}

/// The new document: UTF-8, NUL-terminated, `*out_len` bytes (without the NUL) when `out_len`
/// is not NULL. Borrowed from `result`: valid until `clipvg_result_free(result)`. NULL if
/// `result` is NULL.
///
/// # Safety
/// `result` must be NULL or a live result; `out_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_result_svg(result: *const ClipvgResult, out_len: *mut usize) -> *const c_char {
    ffi_guard!(fallback = ptr::null(), {
        // SAFETY: guaranteed by the caller.
        match unsafe { result.as_ref() } {
            Some(r) => r.svg.as_c(out_len),
            None => null_with_len(out_len),
        }
    })
}

/// The JSON report: `{"action", "clipvg_version", "changed", "cancelled", "elapsed_s",
/// "details"}` (details are per action). Same ownership and length rules as `clipvg_result_svg`.
///
/// # Safety
/// `result` must be NULL or a live result; `out_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_result_report(result: *const ClipvgResult, out_len: *mut usize) -> *const c_char {
    ffi_guard!(fallback = ptr::null(), {
        // SAFETY: guaranteed by the caller.
        match unsafe { result.as_ref() } {
            Some(r) => r.report.as_c(out_len),
            None => null_with_len(out_len),
        }
    })
}

/// The rendered PNG (`render`), `*out_len` bytes; NULL (length 0) when the action made none.
/// Borrowed from `result`: valid until `clipvg_result_free(result)`.
///
/// # Safety
/// `result` must be NULL or a live result; `out_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_result_png(result: *const ClipvgResult, out_len: *mut usize) -> *const u8 {
    ffi_guard!(fallback = ptr::null(), {
        // SAFETY: guaranteed by the caller.
        match unsafe { result.as_ref() }.and_then(|r| r.png.as_ref()) {
            Some(png) => {
                if !out_len.is_null() {
                    // SAFETY: guaranteed by the caller.
                    unsafe { *out_len = png.len() };
                }
                png.as_ptr()
            }
            None => null_with_len(out_len).cast(),
        }
    })
}

/// Whether the run changed the document. False for NULL.
///
/// # Safety
/// `result` must be NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_result_changed(result: *const ClipvgResult) -> bool {
    // SAFETY: guaranteed by the caller.
    ffi_guard!(fallback = false, { unsafe { result.as_ref() }.is_some_and(|r| r.changed) })
}

/// Whether the run was cancelled and the SVG is its last good state. False for NULL.
///
/// # Safety
/// `result` must be NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_result_cancelled(result: *const ClipvgResult) -> bool {
    // SAFETY: guaranteed by the caller.
    ffi_guard!(fallback = false, { unsafe { result.as_ref() }.is_some_and(|r| r.cancelled) })
}

/// Frees a result (and with it every pointer its accessors returned). NULL is ignored.
///
/// # Safety
/// `result` must be NULL or come from `clipvg_run` and not have been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_result_free(result: *mut ClipvgResult) {
    ffi_guard!(fallback = (), {
        if !result.is_null() {
            // SAFETY: guaranteed by the caller.
            drop(unsafe { Box::from_raw(result) });
        }
    })
}

/// The status of an error; `CLIPVG_STATUS_INVALID_ARGUMENT` for NULL.
///
/// # Safety
/// `error` must be NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_error_status(error: *const ClipvgError) -> ClipvgStatus {
    ffi_guard!(fallback = ClipvgStatus::Panic, {
        // SAFETY: guaranteed by the caller.
        unsafe { error.as_ref() }.map_or(ClipvgStatus::InvalidArgument, |e| e.status)
    })
}

/// The error's message: one sentence for the user, UTF-8, NUL-terminated, `*out_len` bytes when
/// `out_len` is not NULL. Borrowed from `error`: valid until `clipvg_error_free(error)`. NULL for
/// NULL.
///
/// # Safety
/// `error` must be NULL or a live error; `out_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_error_message(error: *const ClipvgError, out_len: *mut usize) -> *const c_char {
    ffi_guard!(fallback = ptr::null(), {
        // SAFETY: guaranteed by the caller.
        match unsafe { error.as_ref() } {
            Some(e) => e.message.as_c(out_len),
            None => null_with_len(out_len),
        }
    })
}

/// Frees an error. NULL is ignored.
///
/// # Safety
/// `error` must be NULL or come from a clipvg call and not have been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clipvg_error_free(error: *mut ClipvgError) {
    ffi_guard!(fallback = (), {
        if !error.is_null() {
            // SAFETY: guaranteed by the caller.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

fn null_with_len(out_len: *mut usize) -> *const c_char {
    if !out_len.is_null() {
        // SAFETY: the callers pass a writable `size_t *` or NULL.
        unsafe { *out_len = 0 };
    }
    ptr::null()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: *mut ClipvgError) -> String {
        let mut len = 0;
        let p = unsafe { clipvg_error_message(e, &mut len) };
        let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn panics_become_errors() {
        let mut error = ptr::null_mut();
        let status = ffi_guard!(&mut error, {
            if true {
                panic!("boom");
            }
            Ok(())
        });
        assert_eq!(status, ClipvgStatus::Panic);
        assert_eq!(unsafe { clipvg_error_status(error) }, ClipvgStatus::Panic);
        assert_eq!(message(error), "internal error: boom");
        unsafe { clipvg_error_free(error) };
        let value: i32 = ffi_guard!(fallback = -1, { panic!("again") });
        assert_eq!(value, -1);
    }

    #[test]
    fn run_checks_arguments() {
        let mut engine = ptr::null_mut();
        assert_eq!(unsafe { clipvg_engine_new(ptr::null(), 0, &mut engine, ptr::null_mut()) }, ClipvgStatus::Ok);
        let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
        let svg = "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/>";
        let run = |action: &[u8], svg: Option<&str>, result: &mut *mut ClipvgResult, error: &mut *mut ClipvgError| {
            let (svg_ptr, svg_len) = svg.map_or((ptr::null(), 5), |s| (s.as_ptr().cast(), s.len()));
            unsafe {
                clipvg_run(
                    engine,
                    action.as_ptr().cast(),
                    action.len(),
                    ptr::null(),
                    0,
                    svg_ptr,
                    svg_len,
                    ptr::null(),
                    0,
                    None,
                    ptr::null_mut(),
                    result,
                    error,
                )
            }
        };
        assert_eq!(run(b"inspect", Some(svg), &mut result, &mut error), ClipvgStatus::Ok);
        assert!(error.is_null() && !result.is_null());
        unsafe { clipvg_result_free(result) };
        assert_eq!(run(b"inspect", None, &mut result, &mut error), ClipvgStatus::InvalidArgument);
        assert!(result.is_null());
        assert_eq!(message(error), "argument `svg` is NULL");
        unsafe { clipvg_error_free(error) };
        assert_eq!(run(b"insp\xffct", Some(svg), &mut result, &mut error), ClipvgStatus::InvalidArgument);
        assert_eq!(message(error), "argument `action` is not valid UTF-8 (bad byte at offset 4)");
        unsafe { clipvg_error_free(error) };
        unsafe { clipvg_engine_free(engine) };
    }
}

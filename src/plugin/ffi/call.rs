//! How every export runs: inside `catch_unwind` and [`guard::Inside`](crate::plugin::guard::Inside),
//! so that no panic crosses the boundary and a caught one prints nothing.

/// Runs an export's body inside `catch_unwind`.
///
/// `ffi_guard!(out_error, { ... Ok(()) })` for calls that return a [`ClipvgStatus`]: the body
/// returns `Result<(), Failure>`; a failure or a panic becomes a status and, when `out_error` is
/// not NULL, an owned error. `ffi_guard!(fallback = VALUE, { ... })` for the infallible calls
/// (accessors, frees): a panic returns `VALUE`.
///
/// [`ClipvgStatus`]: super::ClipvgStatus
macro_rules! ffi_guard {
    (fallback = $fallback:expr, $body:block) => {{
        use std::panic::{AssertUnwindSafe, catch_unwind};
        let _inside = $crate::plugin::guard::Inside::enter();
        catch_unwind(AssertUnwindSafe(|| $body)).unwrap_or($fallback)
    }};
    ($out_error:expr, $body:block) => {{
        use std::panic::{AssertUnwindSafe, catch_unwind};
        use $crate::plugin::ffi::status::{Failure, panic_message};
        use $crate::plugin::ffi::{ClipvgError, ClipvgStatus};
        let _inside = $crate::plugin::guard::Inside::enter();
        let out_error: *mut *mut ClipvgError = $out_error;
        if !out_error.is_null() {
            // SAFETY: the caller passed a writable `ClipvgError **` (or NULL, checked above).
            unsafe { *out_error = std::ptr::null_mut() };
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

pub(super) use ffi_guard;

//! Strings across the boundary: the (pointer, length) arguments read as UTF-8, and the
//! NUL-terminated texts handed out with their length.

use std::ffi::c_char;
use std::ptr;

use super::status::Failure;

/// Bytes with a NUL after them, so C can use them as a string or as (pointer, length).
pub(super) struct NulTerminated(pub(super) Vec<u8>);

impl NulTerminated {
    pub(super) fn new(text: impl Into<Vec<u8>>) -> Self {
        let mut bytes = text.into();
        bytes.push(0);
        NulTerminated(bytes)
    }

    /// The bytes without the NUL, as a C string pointer; writes the length to `out_len`.
    pub(super) fn as_c(&self, out_len: *mut usize) -> *const c_char {
        if !out_len.is_null() {
            // SAFETY: the caller passed a writable `size_t *` (or NULL, checked above).
            unsafe { *out_len = self.0.len() - 1 };
        }
        self.0.as_ptr().cast()
    }
}

/// `len` bytes at `ptr` as UTF-8. NULL with length 0 is the empty string.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that outlive `'a`.
pub(super) unsafe fn str_arg<'a>(name: &'static str, ptr: *const c_char, len: usize) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return if len == 0 { Ok("") } else { Err(Failure::Null(name)) };
    }
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|e| Failure::NotUtf8(name, e))
}

/// NULL, with 0 written to `out_len` when that is not NULL: the answer of an accessor given NULL.
pub(super) fn null_with_len(out_len: *mut usize) -> *const c_char {
    if !out_len.is_null() {
        // SAFETY: the callers pass a writable `size_t *` or NULL.
        unsafe { *out_len = 0 };
    }
    ptr::null()
}

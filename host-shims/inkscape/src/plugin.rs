//! The clipvg plugin library, loaded at run time with libloading, and one run through its C ABI
//! (`include/clipvg.h`; the declarations below mirror it, and `tests` check them against it).

use std::ffi::{c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr;

/// The ABI version this shim speaks (`CLIPVG_ABI_VERSION` in the header).
pub const ABI_VERSION: u32 = 1;
/// `CLIPVG_STATUS_OK`.
const STATUS_OK: c_int = 0;
/// `CLIPVG_STATUS_CANCELLED`.
pub const STATUS_CANCELLED: c_int = 5;

/// `ClipvgStr`.
#[repr(C)]
struct ClipvgStr {
    ptr: *const c_char,
    len: usize,
}

type ProgressFn = Option<unsafe extern "C" fn(*mut c_void, f64, *const c_char, usize) -> bool>;
type AbiVersionFn = unsafe extern "C" fn() -> u32;
type EngineNewFn = unsafe extern "C" fn(*const c_char, usize, *mut *mut c_void, *mut *mut c_void) -> c_int;
type EngineFreeFn = unsafe extern "C" fn(*mut c_void);
type RunFn = unsafe extern "C" fn(
    *const c_void,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const ClipvgStr,
    usize,
    ProgressFn,
    *mut c_void,
    *mut *mut c_void,
    *mut *mut c_void,
) -> c_int;
type BytesFn = unsafe extern "C" fn(*const c_void, *mut usize) -> *const c_char;
type FlagFn = unsafe extern "C" fn(*const c_void) -> bool;
type StatusFn = unsafe extern "C" fn(*const c_void) -> c_int;
type FreeFn = unsafe extern "C" fn(*mut c_void);

/// The loaded library and its entry points.
pub struct Plugin {
    engine_new: EngineNewFn,
    engine_free: EngineFreeFn,
    run: RunFn,
    result_svg: BytesFn,
    result_cancelled: FlagFn,
    result_free: FreeFn,
    error_status: StatusFn,
    error_message: BytesFn,
    error_free: FreeFn,
    /// Kept last so that it is dropped (unloaded) after everything above.
    _library: libloading::Library,
}

/// A finished run: the new document, and whether it was cancelled (then `svg` is the last good
/// state, which the request's `on_cancel` keeps or discards).
#[derive(Debug)]
pub struct Ran {
    pub svg: String,
    pub cancelled: bool,
}

/// A failed run: the library's status and its message for the user.
#[derive(Debug)]
pub struct Failure {
    pub status: c_int,
    pub message: String,
}

impl Plugin {
    /// Loads the library at `path` and checks its ABI version.
    pub fn load(path: &Path) -> Result<Plugin, String> {
        let reinstall = "reinstall the extension with `clipvg install inkscape`";
        if !path.is_file() {
            return Err(format!(
                "the clipvg plugin library is missing: expected {} next to clipvg-inkscape; {reinstall}",
                path.display()
            ));
        }
        // SAFETY: loading runs the library's initialisers; libclipvg has none with side effects.
        let library = unsafe { libloading::Library::new(path) }
            .map_err(|e| format!("the clipvg plugin library {} cannot be loaded ({e}); {reinstall}", path.display()))?;
        macro_rules! symbol {
            ($name:literal, $ty:ty) => {
                // SAFETY: the symbol has this type in include/clipvg.h (checked by a test).
                *unsafe { library.get::<$ty>(concat!($name, "\0").as_bytes()) }.map_err(|_| {
                    format!("{} is not a clipvg plugin library (it has no {}); {reinstall}", path.display(), $name)
                })?
            };
        }
        let abi_version = symbol!("clipvg_abi_version", AbiVersionFn);
        // SAFETY: a plain function without arguments.
        let version = unsafe { abi_version() };
        if version != ABI_VERSION {
            return Err(format!(
                "the clipvg plugin library {} speaks ABI version {version} but this clipvg-inkscape speaks \
                 {ABI_VERSION}; {reinstall}",
                path.display()
            ));
        }
        Ok(Plugin {
            engine_new: symbol!("clipvg_engine_new", EngineNewFn),
            engine_free: symbol!("clipvg_engine_free", EngineFreeFn),
            run: symbol!("clipvg_run", RunFn),
            result_svg: symbol!("clipvg_result_svg", BytesFn),
            result_cancelled: symbol!("clipvg_result_cancelled", FlagFn),
            result_free: symbol!("clipvg_result_free", FreeFn),
            error_status: symbol!("clipvg_error_status", StatusFn),
            error_message: symbol!("clipvg_error_message", BytesFn),
            error_free: symbol!("clipvg_error_free", FreeFn),
            _library: library,
        })
    }

    /// Takes an owned error: its status and message; frees it.
    fn take_error(&self, status: c_int, error: *mut c_void) -> Failure {
        if error.is_null() {
            return Failure { status, message: format!("the clipvg plugin failed with status {status}") };
        }
        let mut len = 0;
        // SAFETY: `error` came from the library and is freed once, below.
        unsafe {
            let message = bytes((self.error_message)(error, &mut len), len);
            let status = (self.error_status)(error);
            (self.error_free)(error);
            Failure { status, message }
        }
    }

    /// Runs `action` with `request_json` on `svg` and the selected `ids`; `progress` is asked
    /// after every report whether to cancel.
    pub fn run(
        &self,
        action: &str,
        request_json: &str,
        svg: &str,
        ids: &[String],
        progress: &mut dyn FnMut(f64, &str) -> bool,
    ) -> Result<Ran, Failure> {
        let (mut engine, mut error) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: as declared in the header; NULL options mean defaults.
        let status = unsafe { (self.engine_new)(ptr::null(), 0, &mut engine, &mut error) };
        if status != STATUS_OK {
            return Err(self.take_error(status, error));
        }
        let selected: Vec<ClipvgStr> =
            ids.iter().map(|id| ClipvgStr { ptr: id.as_ptr().cast(), len: id.len() }).collect();
        let mut sink: &mut dyn FnMut(f64, &str) -> bool = progress;
        let mut result = ptr::null_mut();
        // SAFETY: every pointer is valid for its length during the call; `sink` outlives it.
        let status = unsafe {
            (self.run)(
                engine,
                action.as_ptr().cast(),
                action.len(),
                request_json.as_ptr().cast(),
                request_json.len(),
                svg.as_ptr().cast(),
                svg.len(),
                selected.as_ptr(),
                selected.len(),
                Some(on_progress),
                (&mut sink as *mut &mut dyn FnMut(f64, &str) -> bool).cast(),
                &mut result,
                &mut error,
            )
        };
        // SAFETY: the engine came from engine_new and is freed once.
        unsafe { (self.engine_free)(engine) };
        if status != STATUS_OK {
            return Err(self.take_error(status, error));
        }
        // SAFETY: `result` came from the library and is freed once, below.
        unsafe {
            let mut len = 0;
            let cancelled = (self.result_cancelled)(result);
            let svg = bytes((self.result_svg)(result, &mut len), len);
            (self.result_free)(result);
            Ok(Ran { svg, cancelled })
        }
    }
}

/// Copies `len` bytes at `ptr` into a String (lossy: the library hands out UTF-8).
///
/// # Safety
/// `ptr` must be NULL or valid for `len` bytes.
unsafe fn bytes(ptr: *const c_char, len: usize) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) }).into_owned()
}

/// The progress callback handed to the library: forwards to the `&mut dyn FnMut` in `user_data`.
unsafe extern "C" fn on_progress(user_data: *mut c_void, fraction: f64, message: *const c_char, len: usize) -> bool {
    // SAFETY: `user_data` is the `&mut &mut dyn FnMut` passed to clipvg_run, alive during the call;
    // the message is valid for `len` bytes during this call.
    let (sink, message) = unsafe { (&mut *user_data.cast::<&mut dyn FnMut(f64, &str) -> bool>(), bytes(message, len)) };
    // Nothing may unwind into the library: a panic here asks to cancel instead.
    catch_unwind(AssertUnwindSafe(|| sink(fraction, &message))).unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every symbol the shim loads.
    const SYMBOLS: [&str; 10] = [
        "clipvg_abi_version",
        "clipvg_engine_new",
        "clipvg_engine_free",
        "clipvg_run",
        "clipvg_result_svg",
        "clipvg_result_cancelled",
        "clipvg_result_free",
        "clipvg_error_status",
        "clipvg_error_message",
        "clipvg_error_free",
    ];

    #[test]
    fn declarations_match_the_header() {
        let header = include_str!("../../../include/clipvg.h");
        assert!(header.contains(&format!("#define CLIPVG_ABI_VERSION {ABI_VERSION}")));
        assert!(header.contains("CLIPVG_STATUS_OK = 0,"));
        assert!(header.contains(&format!("CLIPVG_STATUS_CANCELLED = {STATUS_CANCELLED},")));
        for symbol in SYMBOLS {
            let declared = [" ", "*"].iter().any(|before| header.contains(&format!("{before}{symbol}(")));
            assert!(declared, "{symbol} is not in include/clipvg.h");
        }
        // clipvg_run's 13 parameters, in the order RunFn declares them.
        let run = header.split("ClipvgStatus clipvg_run(").nth(1).unwrap().split(");").next().unwrap();
        let params: Vec<&str> = run.split(',').map(str::trim).collect();
        assert_eq!(params.len(), 13, "{params:?}");
        assert!(params[7].starts_with("const ClipvgStr *") && params[9].starts_with("ClipvgProgressFn"));
    }

    #[test]
    fn a_missing_library_is_one_clear_sentence() {
        let e = Plugin::load(Path::new("/nonexistent/libclipvg.so")).err().unwrap();
        assert!(e.starts_with("the clipvg plugin library is missing: expected /nonexistent/libclipvg.so"), "{e}");
        let not_a_library = std::env::current_exe().unwrap();
        let e = Plugin::load(&not_a_library).err().unwrap();
        assert!(e.contains("cannot be loaded"), "{e}");
    }
}

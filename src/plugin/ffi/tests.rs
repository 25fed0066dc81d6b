//! The exports' guard and argument checks, called as C would.

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

//! `include/clipvg.h` is generated from `src/plugin/ffi.rs` by cbindgen (`cbindgen.toml`); this
//! test regenerates it and fails when the checked-in header differs.
//! `CLIPVG_UPDATE_HEADER=1 cargo test --release --test plugin header::` rewrites it instead.
//! cbindgen reads that one file, so the helpers in `src/plugin/ffi/` must export nothing.

use std::path::Path;

#[test]
fn header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml is readable");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/plugin/ffi.rs"))
        .generate()
        .expect("cbindgen reads src/plugin/ffi.rs");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");
    let path = root.join("include/clipvg.h");
    if std::env::var_os("CLIPVG_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("include/clipvg.h is writable");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/clipvg.h is out of date with src/plugin/ffi.rs: run \
         `CLIPVG_UPDATE_HEADER=1 cargo test --release --test plugin header::` and commit the header"
    );
}

/// The modules under `src/plugin/ffi/` (status mapping, strings, the guard) hold no export and
/// no C type: cbindgen reads only `src/plugin/ffi.rs`, so one there would be missing from the
/// header.
#[test]
fn ffi_helpers_export_nothing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plugin/ffi");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("src/plugin/ffi exists") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for marker in ["no_mangle", "extern \"C\" fn clipvg_", "#[repr(C)]"] {
            assert!(!text.contains(marker), "{} has `{marker}`: move it to src/plugin/ffi.rs", path.display());
        }
        files += 1;
    }
    assert!(files >= 3, "{files} files in {}", dir.display());
}

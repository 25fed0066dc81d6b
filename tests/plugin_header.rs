//! `include/clipvg.h` is generated from `src/plugin/ffi.rs` by cbindgen (`cbindgen.toml`); this
//! test regenerates it and fails when the checked-in header differs.
//! `CLIPVG_UPDATE_HEADER=1 cargo test --release --test plugin_header` rewrites it instead.

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
         `CLIPVG_UPDATE_HEADER=1 cargo test --release --test plugin_header` and commit the header"
    );
}

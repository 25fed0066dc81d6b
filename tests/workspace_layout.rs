//! The workspace keeps its layering (issue 11): the document and request crates build without
//! the burn/wgpu/CubeCL stack, and the plugin library (`clipvg`, the cdylib) links no
//! command-line crates. Checked on cargo's own dependency graph, so a new dependency that breaks
//! a layer fails here, not in review.

use std::process::Command;

/// `cargo tree -p PACKAGE -e normal` (build dependencies and dev-dependencies left out: they
/// are not linked into the library), as one line per crate name.
fn normal_dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "--prefix", "none", "--format", "{p}", "-e", "normal", "-p", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo tree -p {package} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let names: Vec<String> = text.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect();
    assert!(names.iter().any(|n| n == package), "cargo tree printed no {package}:\n{text}");
    names
}

fn assert_none_of(package: &str, forbidden: &[&str]) {
    let deps = normal_dependencies(package);
    // A forbidden entry is a crate name ("indicatif": any version) or a name and a version
    // prefix ("clap v4"); `deps` lines are "name vX.Y.Z".
    let prefix = |f: &str| if f.contains(' ') { f.to_string() } else { format!("{f} v") };
    let found: Vec<&String> = deps.iter().filter(|d| forbidden.iter().any(|f| d.starts_with(&prefix(f)))).collect();
    assert!(found.is_empty(), "{package} depends on {found:?}; it must not ({forbidden:?})");
}

#[test]
fn document_and_request_crates_build_without_the_gpu_and_ml_stack() {
    let stack = ["burn", "burn-core", "wgpu", "cubecl", "naga", "tokenizers"];
    assert_none_of("clipvg-document", &stack);
    assert_none_of("clipvg-request", &stack);
}

#[test]
fn the_plugin_library_links_no_command_line_crates() {
    // clap 2 still comes with vtracer (its own command line, compiled in though unused) until the
    // tracer calls visioncortex directly; the command line's clap 4 and indicatif must not.
    assert_none_of("clipvg", &["clap v4", "clap_builder", "clap_derive", "indicatif", "clipvg-cli"]);
}

#[test]
fn the_rasterizer_does_not_need_clip_or_the_engine() {
    assert_none_of("clipvg-raster", &["clipvg", "clipvg-clip", "tokenizers", "clap"]);
    assert_none_of("clipvg-clip", &["clipvg", "clipvg-raster", "clap"]);
}

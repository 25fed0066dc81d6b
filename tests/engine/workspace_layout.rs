//! The workspace keeps its layering (issue 11): the document and request crates build without
//! the burn/wgpu/CubeCL stack, and the plugin library (`clipvg`, the cdylib) links no
//! command-line crates. Checked on cargo's own dependency graph, so a new dependency that breaks
//! a layer fails here, not in review.

use std::process::Command;

/// `cargo tree -p PACKAGE -e normal` (build dependencies and dev-dependencies left out: they
/// are not linked into the library), as `(name, version)` pairs, one per line of the tree.
fn normal_dependencies(package: &str) -> Vec<(String, String)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "--prefix", "none", "--format", "{p}", "-e", "normal", "-p", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo tree -p {package} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    // Lines read "name vX.Y.Z", then a path or "(*)" for some.
    let deps: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_string(), words.next()?.to_string()))
        })
        .collect();
    assert!(deps.iter().any(|(n, _)| n == package), "cargo tree printed no {package}:\n{text}");
    deps
}

/// Fails if `package` depends on a crate named in `forbidden`, whatever its version.
fn assert_none_of(package: &str, forbidden: &[&str]) {
    let deps = normal_dependencies(package);
    let found: Vec<String> =
        deps.iter().filter(|(n, _)| forbidden.contains(&n.as_str())).map(|(n, v)| format!("{n} {v}")).collect();
    assert!(found.is_empty(), "{package} depends on {found:?}; it must not ({forbidden:?})");
}

/// Fails if `package` links two versions of `name`.
fn assert_one_version(package: &str, name: &str) {
    let mut versions: Vec<String> =
        normal_dependencies(package).into_iter().filter(|(n, _)| n == name).map(|(_, v)| v).collect();
    versions.sort();
    versions.dedup();
    assert!(versions.len() <= 1, "{package} links {name} {versions:?}; one version only");
}

#[test]
fn document_and_request_crates_build_without_the_gpu_and_ml_stack() {
    let stack = ["burn", "burn-core", "wgpu", "cubecl", "naga", "tokenizers"];
    assert_none_of("clipvg-document", &stack);
    assert_none_of("clipvg-request", &stack);
}

#[test]
fn the_plugin_library_links_no_command_line_crates() {
    // No clap of any version: the tracer drives visioncortex itself, without vtracer's
    // command line (clap 2, and image 0.23 beside our image 0.25).
    assert_none_of("clipvg", &["clap", "clap_builder", "clap_derive", "indicatif", "clipvg-cli", "vtracer"]);
    assert_one_version("clipvg", "image");
}

#[test]
fn the_forbidden_crate_check_sees_names_and_versions() {
    // The checks above must be able to fail: the command line does link clap and indicatif.
    let cli = normal_dependencies("clipvg-cli");
    assert!(cli.iter().any(|(n, v)| n == "clap" && v.starts_with("v4")), "{cli:?}");
    assert!(cli.iter().any(|(n, _)| n == "indicatif"), "{cli:?}");
    assert!(cli.iter().any(|(n, _)| n == "image"), "{cli:?}");
}

#[test]
fn the_rasterizer_does_not_need_clip_or_the_engine() {
    assert_none_of("clipvg-raster", &["clipvg", "clipvg-clip", "tokenizers", "clap"]);
    assert_none_of("clipvg-clip", &["clipvg", "clipvg-raster", "clap"]);
}

//! The `clipvg` command as a person uses it: output formats, exit codes, one clear sentence on
//! bad input, never a panic, never a half-written output.

use std::path::Path;
use std::process::{Command, Output};

fn clipvg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clipvg"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("run clipvg")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn manifest(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p).to_string_lossy().into_owned()
}

/// A failure: non-zero exit, a message starting with `error:`, no panic text.
fn assert_clean_error(o: &Output, needle: &str) {
    let e = stderr(o);
    assert!(!o.status.success(), "expected failure, stderr: {e}");
    assert!(e.starts_with("error: "), "stderr: {e}");
    assert!(e.contains(needle), "expected \"{needle}\" in: {e}");
    assert!(!e.contains("panicked"), "panic: {e}");
}

#[test]
fn inspect_json_has_canvas_shapes_and_unsupported() {
    let o = clipvg(&["inspect", &manifest("examples/tajmahal.svg"), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["canvas"]["width"], 1024.0);
    assert!(v["shapes"].as_array().unwrap().len() > 3000);
    assert!(v["unsupported"].is_array());
    let o = clipvg(&["inspect", &manifest("examples/tajmahal.svg")]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("canvas      1024 × 1024 px"));
}

#[test]
fn bad_inputs_are_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.svg");
    std::fs::write(&bad, "<svg><g></svg>").unwrap();
    assert_clean_error(&clipvg(&["inspect", bad.to_str().unwrap()]), "not valid XML");
    assert_clean_error(&clipvg(&["inspect", "/nonexistent/file.svg"]), "/nonexistent/file.svg");
    let html = dir.path().join("x.svg");
    std::fs::write(&html, "<html/>").unwrap();
    assert_clean_error(&clipvg(&["inspect", html.to_str().unwrap()]), "not <svg>");
    let out = dir.path().join("o.png");
    let svg = manifest("tests/fixtures/render/rules.svg");
    assert_clean_error(&clipvg(&["render", &svg, "-o", out.to_str().unwrap(), "--width", "0"]), "render size");
    assert_clean_error(&clipvg(&["render", &svg, "-o", out.to_str().unwrap(), "--background", "plaid"]), "background");
    assert!(!out.exists(), "no output on failure");
}

#[test]
fn render_writes_a_png_of_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.png");
    let o = clipvg(&["render", &manifest("tests/fixtures/render/rules.svg"), "-o", out.to_str().unwrap(), "--width", "64", "--backend", "cpu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "nothing on stderr on success: {}", stderr(&o));
    let img = image::open(&out).unwrap();
    assert_eq!((img.width(), img.height()), (64, 64));
}

#[test]
fn edit_with_the_tiny_model_and_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.svg");
    let src = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><path id="p" d="M10 10 L50 12 L30 50 Z" fill="#c03030"/><path id="q" d="M40 40 h10 v10 h-10 z"/></svg>"##;
    std::fs::write(&input, src).unwrap();
    let out = dir.path().join("out.svg");
    let model = manifest("tests/fixtures/clip/A");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let ok = clipvg(&["edit", i, "-o", o, "--prompt", "a cat", "--select", "p", "--model", &model, "--backend", "cpu", "--iters", "3", "--patches", "2", "--size", "64"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), src, "the input is never touched");
    let edited = std::fs::read_to_string(&out).unwrap();
    assert!(edited.contains("id=\"q\" d=\"M40 40 h10 v10 h-10 z\""), "unselected path unchanged");
    assert_ne!(edited, src);

    let o2 = dir.path().join("o2.svg");
    let o2s = o2.to_str().unwrap();
    assert_clean_error(&clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--select", "nope", "--model", &model]), "nope");
    assert_clean_error(&clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--model", &model]), "nothing to edit");
    assert_clean_error(&clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--select", "p", "--model", "/nonexistent/model"]), "--model");
    assert_clean_error(&clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--roi-box", "1,2,3=x", "--model", &model]), "four numbers");
    assert!(!o2.exists());
    // -o naming the input (also through another spelling of the path) is refused, input intact.
    let same = dir.path().join(".").join("in.svg");
    assert_clean_error(&clipvg(&["edit", i, "-o", same.to_str().unwrap(), "--prompt", "a cat", "--select", "p", "--model", &model]), "is the input");
    assert_clean_error(&clipvg(&["render", i, "-o", i]), "is the input");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), src);
}

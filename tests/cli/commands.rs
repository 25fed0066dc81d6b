//! The `clipvg` command as a person uses it: output formats, exit codes, one clear sentence on
//! bad input, never a panic, never a half-written output.

use std::path::Path;
use std::process::{Command, Output};

use cli_common::{bin, clipvg, stderr};

use crate::cli_common;

fn manifest(p: &str) -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(p).to_string_lossy().into_owned()
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
    let o = clipvg(&[
        "render",
        &manifest("tests/fixtures/render/rules.svg"),
        "-o",
        out.to_str().unwrap(),
        "--width",
        "64",
        "--backend",
        "cpu",
    ]);
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
    let ok = clipvg(&[
        "edit",
        i,
        "-o",
        o,
        "--prompt",
        "a cat",
        "--select",
        "p",
        "--model",
        &model,
        "--backend",
        "cpu",
        "--iters",
        "3",
        "--patches",
        "2",
        "--size",
        "64",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), src, "the input is never touched");
    let edited = std::fs::read_to_string(&out).unwrap();
    assert!(edited.contains("id=\"q\" d=\"M40 40 h10 v10 h-10 z\""), "unselected path unchanged");
    assert_ne!(edited, src);

    let o2 = dir.path().join("o2.svg");
    let o2s = o2.to_str().unwrap();
    assert_clean_error(
        &clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--select", "nope", "--model", &model]),
        "nope",
    );
    assert_clean_error(&clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--model", &model]), "nothing to edit");
    assert_clean_error(
        &clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--select", "p", "--model", "/nonexistent/model"]),
        "--model",
    );
    assert_clean_error(
        &clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--roi-box", "1,2,3=x", "--model", &model]),
        "four numbers",
    );
    assert_clean_error(
        &clipvg(&[
            "edit",
            i,
            "-o",
            o2s,
            "--prompt",
            "a cat",
            "--select",
            "p",
            "--model",
            &model,
            "--backend",
            "cpu",
            "--clip-precision",
            "f16",
        ]),
        "needs the GPU backend",
    );
    assert_clean_error(
        &clipvg(&["edit", i, "-o", o2s, "--prompt", "a cat", "--select", "p", "--clip-precision", "f8"]),
        "f8",
    );
    assert!(!o2.exists());
    // -o naming the input (also through another spelling of the path) is refused, input intact.
    let same = dir.path().join(".").join("in.svg");
    assert_clean_error(
        &clipvg(&["edit", i, "-o", same.to_str().unwrap(), "--prompt", "a cat", "--select", "p", "--model", &model]),
        "is the input",
    );
    assert_clean_error(&clipvg(&["render", i, "-o", i]), "is the input");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), src);
}

/// A GPU edit keeps nothing of the tensor runtime on disk: cubecl's defaults would put a database
/// of records and autotune results in `target/environment` under the outermost `Cargo.toml` above
/// the working directory (else in the user's cache folder); a host's working directory is not
/// clipvg's to write in (`compute::configure_gpu_runtime`). And with nothing kept between runs,
/// every run still gives the same bytes: GPU kernels are not chosen by timing (no autotune).
#[test]
fn a_gpu_edit_writes_nothing_but_its_output_and_repeats_in_a_new_process() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("project");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(work.join("Cargo.toml"), "[package]\nname = \"someone-elses\"\n").unwrap();
    let input = tiny_svg(&work);
    let model = manifest("tests/fixtures/clip/A");
    // The edit in `cwd`, its output `out` there, with `home` as HOME and clipvg's cache in it.
    let gpu_edit = |cwd: &Path, out: &str| {
        let o = Command::new(bin())
            .current_dir(cwd)
            .env("HOME", &home)
            .env("CLIPVG_CACHE", home.join("clipvg-cache"))
            .env_remove("XDG_CACHE_HOME")
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .args(["edit", &input, "-o", out, "--prompt", "a cat", "--select", "p", "--model", &model])
            .args(["--backend", "gpu", "--iters", "2", "--patches", "2", "--size", "64"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    gpu_edit(&work, "out.svg");
    let mut left: Vec<_> = std::fs::read_dir(&work).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, ["Cargo.toml", "out.svg", "tiny.svg"], "the working directory holds only the input and output");
    let mut in_home = Vec::new();
    let mut stack = vec![home.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                in_home.push(e.path());
            }
        }
    }
    assert!(in_home.is_empty(), "nothing is cached in the home folder: {in_home:?}");

    gpu_edit(dir.path(), "again.svg");
    assert_eq!(
        std::fs::read(dir.path().join("again.svg")).unwrap(),
        std::fs::read(work.join("out.svg")).unwrap(),
        "the same GPU edit in another process gives the same bytes"
    );
}

/// A tiny SVG in `dir`, its path.
fn tiny_svg(dir: &Path) -> String {
    let p = dir.join("tiny.svg");
    std::fs::write(&p, r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><path id="p" d="M10 10 L50 12 L30 50 Z" fill="#c03030"/></svg>"##).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn an_unwritable_output_fails_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let model = manifest("tests/fixtures/clip/A");
    let long_name = dir.path().join(format!("{}.svg", "n".repeat(300)));
    let in_a_file = dir.path().join("tiny.svg").join("out.svg");
    for (output, needle) in [
        ("/nonexistent-clipvg-dir/out.svg".to_string(), "is not there"),
        (in_a_file.to_string_lossy().into_owned(), "is not a folder"),
        (long_name.to_string_lossy().into_owned(), "bytes long"),
        // Unwritable even for root.
        ("/proc/clipvg-out.svg".to_string(), "no file can be created"),
    ] {
        // 100,000 iterations would take many minutes: failing within seconds shows nothing ran.
        let start = std::time::Instant::now();
        let o = clipvg(&[
            "edit",
            &input,
            "-o",
            &output,
            "--prompt",
            "a cat",
            "--select",
            "p",
            "--model",
            &model,
            "--backend",
            "cpu",
            "--iters",
            "100000",
            "--size",
            "64",
        ]);
        assert_clean_error(&o, needle);
        assert!(start.elapsed().as_secs() < 20, "{output}: failed only after {:?}", start.elapsed());
        // The output is checked before the input is even read.
        assert_clean_error(&clipvg(&["render", "/nonexistent/in.svg", "-o", &output]), needle);
        assert_clean_error(&clipvg(&["vectorize", "/nonexistent/in.png", "-o", &output]), needle);
    }
}

#[test]
fn the_longest_valid_output_name_can_be_written() {
    // The temporary file is not named after the output, so a 255-byte name works.
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let out = dir.path().join(format!("{}.png", "n".repeat(251)));
    let o = clipvg(&["render", &input, "-o", out.to_str().unwrap(), "--width", "16", "--backend", "cpu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.is_file());
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
}

#[test]
fn a_closed_stdout_is_a_clean_error() {
    // `clipvg inspect --json big.svg | head -c1`: the reader goes away before the report is
    // written (it is far larger than a pipe's buffer).
    for json in [true, false] {
        let mut args = vec!["inspect".to_string(), manifest("examples/tajmahal.svg")];
        if json {
            args.push("--json".into());
        }
        let mut child = Command::new(bin())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "json {json}: {:?}, stderr: {e}", o.status);
        assert!(e.starts_with("error: ") && !e.contains("panicked"), "json {json}: {e}");
        assert!(e.contains("standard output"), "{e}");
    }
}

#[cfg(unix)]
#[test]
fn sigterm_during_the_final_write_removes_the_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("r.png");
    let mut child = Command::new(bin())
        .args(["render", &input, "-o", out.to_str().unwrap(), "--width", "16", "--backend", "cpu"])
        .env("CLIPVG_TEST_PAUSE_BEFORE_RENAME_MS", "60000")
        .spawn()
        .unwrap();
    let temp_files = || -> Vec<_> { std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name()).collect() };
    // The output check's probe file is empty and short-lived; the final write's is the PNG.
    let final_write_started =
        || std::fs::read_dir(&out_dir).unwrap().any(|e| e.unwrap().metadata().is_ok_and(|m| m.len() > 0));
    let start = std::time::Instant::now();
    while !final_write_started() {
        assert!(start.elapsed().as_secs() < 60, "no temporary file appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let written = temp_files();
    assert!(written[0].to_string_lossy().starts_with(".clipvg-"), "{written:?}");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "ended by SIGTERM: {status:?}");
    assert!(temp_files().is_empty(), "left behind: {:?}", temp_files());
}

#[test]
fn limits_are_parsed_and_render_pixels_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let out = dir.path().join("o.png");
    let o = out.to_str().unwrap();
    assert_clean_error(
        &clipvg(&["render", &input, "-o", o, "--width", "64", "--limit", "render_pixels=100"]),
        "render_pixels",
    );
    assert_clean_error(&clipvg(&["inspect", &input, "--limit", "depht=5"]), "unknown limit");
    assert_clean_error(&clipvg(&["inspect", &input, "--limit", "depth"]), "NAME=VALUE");
    assert_clean_error(&clipvg(&["inspect", &input, "--limit", "depth=-1"]), "whole number");
    assert!(!out.exists());
    let ok = clipvg(&["inspect", &input, "--limit", "depth=4096", "--limit", "nodes=1_000"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    // Echoed input is escaped and bounded: no raw escape byte, no 100 KB message.
    let hostile = format!("\u{1b}[2J{}=1", "x".repeat(100_000));
    let e = clipvg(&["inspect", &input, "--limit", &hostile]);
    assert_clean_error(&e, "\\u{1b}[2J");
    assert!(!e.stderr.contains(&0x1b) && e.stderr.len() < 1000, "{} bytes", e.stderr.len());
}

#[test]
fn a_huge_canvas_renders_at_a_bounded_default_size_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("huge.svg");
    std::fs::write(&input, r##"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="50000"><rect width="50000" height="50000" fill="#336699"/></svg>"##).unwrap();
    let out = dir.path().join("huge.png");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    // The default is at most 4096 × 4096 pixels, or the render_pixels limit when that is lower
    // (used here to keep the test small).
    let run = clipvg(&["render", i, "-o", o, "--backend", "cpu", "--limit", "render_pixels=20000"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let note = stderr(&run);
    assert!(
        note.starts_with("note: the canvas is 100000×50000 px; rendering at ") && note.contains("at most 20000 pixels"),
        "{note}"
    );
    let (w, h) = image::image_dimensions(&out).unwrap();
    assert!(w as u64 * h as u64 <= 20000 && w >= 190 && (w as i64 - 2 * h as i64).abs() <= 2, "{w}×{h}");
    // A size asked for is rendered as asked, without a note.
    let run = clipvg(&["render", i, "-o", o, "--backend", "cpu", "--width", "100"]);
    assert!(run.status.success() && run.stderr.is_empty(), "{}", stderr(&run));
    assert_eq!(image::image_dimensions(&out).unwrap(), (100, 50));
}

/// The request JSON the Inkscape shim sends (built by the shim's own code from Inkscape's
/// arguments: every param of the edit and recolour dialogs at its manifest default) is taken
/// unchanged by `clipvg edit --request FILE`; the selection travels as `--select`, as it travels
/// beside the request in `clipvg_run`.
#[test]
fn the_inkscape_shims_request_is_accepted_by_edit_request() {
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let manifest_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest("plugin-manifest/clipvg.json")).unwrap()).unwrap();
    for action in ["edit", "recolor"] {
        let entry = manifest_json["actions"].as_array().unwrap().iter().find(|a| a["action"] == action).unwrap();
        let mut args = vec!["--id=p".to_string(), "--tab=prompt".into(), format!("--action={action}")];
        for p in entry["params"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            let value = match name {
                "prompt" => "a cat".to_string(),
                "iterations" => "2".into(),
                "n_patches" => "1".into(),
                _ => match &p["default"] {
                    serde_json::Value::String(s) => s.clone(),
                    v => v.to_string(),
                },
            };
            args.push(format!("--{name}={value}"));
        }
        args.push(input.clone());
        let invocation = clipvg_inkscape::args::parse(&args).unwrap();
        assert_eq!(invocation.ids, ["p"]);
        let json = clipvg_inkscape::request_json(&invocation, None);
        for p in entry["params"].as_array().unwrap() {
            // A param at its "from Quality" value is left out for the preset to fill.
            let sent = json.contains(&format!("\"{}\":", p["name"].as_str().unwrap()));
            let unset = p.get("unset").is_some_and(|u| u.as_f64() == p["default"].as_f64())
                && !["iterations", "n_patches"].contains(&p["name"].as_str().unwrap());
            assert_eq!(sent, !unset, "{action}: {}: {json}", p["name"]);
        }
        let file = dir.path().join(format!("{action}.json"));
        std::fs::write(&file, &json).unwrap();
        let out = dir.path().join(format!("{action}.svg"));
        let model = manifest("tests/fixtures/clip/A");
        let o = clipvg(&[
            "edit",
            &input,
            "-o",
            out.to_str().unwrap(),
            "--request",
            file.to_str().unwrap(),
            "--select",
            "p",
            "--model",
            &model,
            "--size",
            "64",
        ]);
        assert!(o.status.success(), "{action}: {json}\n{}", stderr(&o));
        assert_ne!(std::fs::read_to_string(&out).unwrap(), std::fs::read_to_string(&input).unwrap());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), json);
    }
}

/// A file in `dir` with `text`, its path.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// The PNG of the plugin's `render` of `svg` with the request `json` (the C ABI's engine).
fn plugin_render(json: &str, svg: &str) -> Vec<u8> {
    let engine = clipvg::plugin::Engine::new(Default::default());
    let out = engine.run_json("render", json, svg, &[], &mut clipvg::plugin::Progress::silent()).unwrap();
    out.png.expect("render makes a PNG")
}

/// `clipvg render --request FILE` takes the plugin's render request: the same PNG as the same
/// values given as flags, and as the plugin's `render` of that request.
#[test]
fn a_render_request_gives_the_same_png_as_its_flags_and_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let json = r#"{"render_size": 40, "backend": "cpu", "limits": {"depth": 64}}"#;
    let file = write(dir.path(), "r.json", json);
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    let o = clipvg(&["render", &input, "-o", a.to_str().unwrap(), "--request", &file]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = clipvg(&["render", &input, "-o", b.to_str().unwrap(), "--size", "40", "--backend", "cpu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let png = std::fs::read(&a).unwrap();
    assert_eq!(image::image_dimensions(&a).unwrap(), (40, 40));
    assert_eq!(png, std::fs::read(&b).unwrap());
    assert_eq!(png, plugin_render(json, &std::fs::read_to_string(&input).unwrap()));
    // Flags override the file: --width, then --size.
    let o = clipvg(&["render", &input, "-o", a.to_str().unwrap(), "--request", &file, "--width", "20"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::image_dimensions(&a).unwrap(), (20, 20));
    let o = clipvg(&["render", &input, "-o", a.to_str().unwrap(), "--request", &file, "--size", "24"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::image_dimensions(&a).unwrap(), (24, 24));
    // The file's limits hold, and --limit goes over them.
    let tight = write(dir.path(), "tight.json", r#"{"render_size": 40, "limits": {"render_pixels": 100}}"#);
    assert_clean_error(&clipvg(&["render", &input, "-o", a.to_str().unwrap(), "--request", &tight]), "render_pixels");
    let o = clipvg(&[
        "render",
        &input,
        "-o",
        a.to_str().unwrap(),
        "--request",
        &tight,
        "--limit",
        "render_pixels=2000",
        "--backend",
        "cpu",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `clipvg vectorize --request FILE` takes the plugin's vectorize request: the same SVG as the
/// same values given as flags, and as the plugin's `vectorize` of the selected `<image>`.
#[test]
fn a_vectorize_request_gives_the_same_svg_as_its_flags_and_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let picture = image::RgbaImage::from_fn(32, 24, |x, y| {
        let inside = (x as i32 - 12).pow(2) + (y as i32 - 12).pow(2) < 64;
        if inside { image::Rgba([200, 40, 40, 255]) } else { image::Rgba([(x * 7) as u8, 90, (y * 9) as u8, 255]) }
    });
    picture.save(dir.path().join("pic.png")).unwrap();
    let host = r#"<svg xmlns="http://www.w3.org/2000/svg" width="32" height="24"><image id="photo" href="pic.png" width="32" height="24"/></svg>"#;
    let input = write(dir.path(), "host.svg", host);
    let base = dir.path().to_str().unwrap();
    let json = format!(
        r#"{{"rounds": ["coarse", "fine"], "refine_steps": 2, "detail_box": [4, 4, 16, 12], "backend": "cpu", "base_dir": {}}}"#,
        serde_json::Value::from(base)
    );
    let file = write(dir.path(), "v.json", &json);
    let (a, b) = (dir.path().join("a.svg"), dir.path().join("b.svg"));
    let o = clipvg(&["vectorize", &input, "-o", a.to_str().unwrap(), "--request", &file, "--select", "photo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let flags = ["--rounds", "coarse,fine", "--refine", "2", "--detail-box", "4,4,16,12", "--backend", "cpu"];
    let mut args = vec!["vectorize", &input, "-o", b.to_str().unwrap(), "--select", "photo"];
    args.extend_from_slice(&flags);
    let o = clipvg(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&a).unwrap();
    assert!(svg.contains("<path") && !svg.contains("<image"), "{svg}");
    assert_eq!(svg, std::fs::read_to_string(&b).unwrap());
    let engine = clipvg::plugin::Engine::new(Default::default());
    let out = engine
        .run_json("vectorize", &json, host, &["photo".to_string()], &mut clipvg::plugin::Progress::silent())
        .unwrap();
    assert_eq!(svg, out.svg);
}

/// A wrong request file is one sentence naming the field, with the exit status of every other
/// failure (that of `clipvg edit --request`), and no output.
#[test]
fn a_bad_render_or_vectorize_request_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let out = dir.path().join("o.png");
    let o = out.to_str().unwrap();
    let edit_file = write(dir.path(), "e.json", r#"{"prompt": "x", "whole_canvas": true, "iteratons": 3}"#);
    let edit = clipvg(&["edit", &input, "-o", o, "--request", &edit_file]);
    assert_clean_error(&edit, "unknown field `iteratons`");
    for (action, json, needle) in [
        ("render", r#"{"render_sise": 40}"#, "invalid render request: unknown field `render_sise`"),
        ("render", r#"{"render_size": 3}"#, "request field `render_size` must be between 16 and 8192, not 3"),
        ("render", r#"{"backend": "tpu"}"#, "unknown variant `tpu`"),
        ("render", r#"{"limits": {"dpeth": 3}}"#, "unknown field `dpeth`"),
        ("vectorize", r#"{"refine": 3}"#, "invalid vectorize request: unknown field `refine`"),
        ("vectorize", r#"{"rounds": ["ultra"]}"#, "unknown variant `ultra`"),
        ("vectorize", r#"{"rounds": []}"#, "request field `rounds` must name at least one round"),
        ("vectorize", r#"{"refine_steps": 100001}"#, "request field `refine_steps` must be between -1 and 100000"),
    ] {
        let file = write(dir.path(), "bad.json", json);
        let run = clipvg(&[action, &input, "-o", o, "--request", &file]);
        assert_clean_error(&run, needle);
        assert_eq!(run.status.code(), edit.status.code(), "{json}");
        assert!(!out.exists(), "{json}");
    }
    assert_clean_error(
        &clipvg(&["render", &input, "-o", o, "--request", "/nonexistent/r.json"]),
        "/nonexistent/r.json",
    );
    assert_clean_error(&clipvg(&["render", &input, "-o", o, "--size", "9000"]), "`render_size` must be between");
}

/// The defaults and ranges `--help` shows are the request table's (`clipvg_request::fields`).
#[test]
fn help_shows_the_tables_defaults() {
    use clipvg_request::fields;
    let help = |command: &str| {
        let o = clipvg(&[command, "--help"]);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let render = help("render");
    assert!(render.contains(&format!("({})", fields::RENDER_SIZE.rule())), "{render}");
    assert!(render.contains(&format!("else {}]", fields::RENDER_SIZE.number())), "{render}");
    assert!(render.contains(&fields::BACKEND.help_with_default()), "{render}");
    assert!(render.contains("--request <FILE>"), "{render}");
    let vectorize = help("vectorize");
    assert!(vectorize.contains(&format!("[default: {}, or the --request file's rounds]", fields::ROUNDS.text())));
    for f in [&fields::REFINE_STEPS, &fields::REFINE_SECONDS, &fields::MAX_PATHS] {
        assert!(vectorize.contains(&f.help_with_default()), "{vectorize}");
    }
    assert!(vectorize.contains("--request <FILE>"), "{vectorize}");
    let edit = help("edit");
    assert!(edit.contains(&fields::SEED.help_with_default()), "{edit}");
    // The settings a preset fills show the presets' values.
    let (paper, fast) = (clipvg_request::Preset::Paper.settings(), clipvg_request::Preset::Fast.settings());
    for (f, p, q) in [
        (&fields::ITERATIONS, paper.iterations.to_string(), fast.iterations.to_string()),
        (&fields::N_PATCHES, paper.n_patches.to_string(), fast.n_patches.to_string()),
        (&fields::RENDER_SIZE, paper.render_size.to_string(), fast.render_size.to_string()),
        (&fields::SHAPE_LR, paper.shape_lr.to_string(), fast.shape_lr.to_string()),
    ] {
        let want = format!("{} [default: the preset's: {p} paper, {q} fast]", f.help);
        assert!(edit.contains(&want), "{want}: {edit}");
    }
    assert!(edit.contains("[default: auto; with --request, the file's preset and values]"), "{edit}");
}

/// The Inkscape dialog's defaults (every param of the edit dialog at its manifest default: the
/// Quality choice `auto`, the raw settings at "from Quality") give the auto preset: on the CPU,
/// fast's 40 iterations.
#[test]
fn the_inkscape_dialogs_defaults_run_the_auto_preset() {
    let dir = tempfile::tempdir().unwrap();
    let input = tiny_svg(dir.path());
    let manifest_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest("plugin-manifest/clipvg.json")).unwrap()).unwrap();
    let entry = manifest_json["actions"].as_array().unwrap().iter().find(|a| a["action"] == "edit").unwrap();
    let mut args = vec!["--id=p".to_string(), "--action=edit".into()];
    for p in entry["params"].as_array().unwrap() {
        let value = match (p["name"].as_str().unwrap(), &p["default"]) {
            ("prompt", _) => "a cat".to_string(),
            (_, serde_json::Value::String(s)) => s.clone(),
            (_, v) => v.to_string(),
        };
        args.push(format!("--{}={value}", p["name"].as_str().unwrap()));
    }
    args.push(input.clone());
    let json = clipvg_inkscape::request_json(&clipvg_inkscape::args::parse(&args).unwrap(), None);
    let request: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(request["preset"], "auto", "{json}");
    for name in ["iterations", "n_patches", "shape_lr", "colour_lr"] {
        assert!(request.get(name).is_none(), "{name} is the preset's: {json}");
    }
    let file = write(dir.path(), "dialog.json", &json);
    let out = dir.path().join("out.svg");
    let model = manifest("tests/fixtures/clip/A");
    let o = clipvg(&[
        "edit",
        &input,
        "-o",
        out.to_str().unwrap(),
        "--request",
        &file,
        "--select",
        "p",
        "--model",
        &model,
        "--backend",
        "cpu",
        "--size",
        "64",
    ]);
    let e = stderr(&o);
    assert!(o.status.success(), "{json}\n{e}");
    assert!(e.contains("finished: 40 iterations in"), "{e}");
    assert!(e.contains("for 40 iterations"), "the first iteration tells the expected duration: {e}");
}

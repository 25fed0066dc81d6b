//! `clipvg edit` with the inputs of issue 13: a bitmap (vectorized first, then edited; only the
//! SVG is written) and `--roi-mask` (shaped element ROIs).

use std::path::Path;
use std::process::{Command, Output};

use cli_common::bin;

use crate::cli_common;

fn clipvg(dir: &Path, args: &[&str]) -> Output {
    let model = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures/clip/A");
    Command::new(bin())
        .args(args)
        .args([
            "--model",
            model.to_str().unwrap(),
            "--backend",
            "cpu",
            "--iters",
            "2",
            "--patches",
            "2",
            "--size",
            "64",
        ])
        .current_dir(dir)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("clipvg runs")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// A 32×32 picture: a red square on white.
fn write_png(path: &Path) {
    let img = image::RgbImage::from_fn(32, 32, |x, y| {
        if (8..24).contains(&x) && (8..24).contains(&y) {
            image::Rgb([220, 30, 30])
        } else {
            image::Rgb([255, 255, 255])
        }
    });
    img.save(path).unwrap();
}

#[test]
fn a_bitmap_is_vectorized_then_edited_and_only_the_svg_is_written() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("photo.png"));
    let png = std::fs::read(dir.path().join("photo.png")).unwrap();
    let o = clipvg(dir.path(), &["edit", "photo.png", "--prompt", "a cat", "-o", "out.svg"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("photo.png is a bitmap: vectorizing it first"), "{err}");
    assert!(err.contains("vectorized into "), "{err}");
    let svg = std::fs::read_to_string(dir.path().join("out.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("valid SVG");
    assert!(doc.descendants().filter(|n| n.has_tag_name("path")).count() >= 2, "{svg}");
    assert!(!doc.descendants().any(|n| n.has_tag_name("image")), "no bitmap left in the output");
    assert_eq!(std::fs::read(dir.path().join("photo.png")).unwrap(), png, "the picture is never touched");
    assert_eq!(names(dir.path()), ["out.svg", "photo.png"]);
    // A box ROI instead of the whole canvas, and an edit that differs from the whole canvas's.
    let o = clipvg(dir.path(), &["edit", "photo.png", "--roi-box", "0,0,16,16=a dog", "-o", "box.svg"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_ne!(std::fs::read_to_string(dir.path().join("box.svg")).unwrap(), svg);
}

const TWO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect id="q" x="4" y="4" width="30" height="30" fill="#20a040"/><circle id="p" cx="36" cy="36" r="20" fill="#c03030"/></svg>"##;

#[test]
fn roi_mask_runs_changes_only_the_selection_and_changes_what_the_loss_sees() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.svg"), TWO).unwrap();
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec!["edit", "in.svg", "-o", out, "--prompt", "a cat", "--select", "p"];
        args.extend_from_slice(extra);
        let o = clipvg(dir.path(), &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(dir.path().join(out)).unwrap()
    };
    let shaped = run("shaped.svg", &["--roi-mask"]);
    assert!(shaped.contains(r##"<rect id="q" x="4" y="4" width="30" height="30" fill="#20a040"/>"##), "{shaped}");
    assert_ne!(shaped, TWO);
    assert_ne!(run("boxed.svg", &[]), shaped, "the mask changes the edit");
}

//! `clipvg edit --variations N` as a person runs it: OUT.svg, OUT-2.svg … OUT-N.svg and the
//! contact sheet OUT-variations.png, the input untouched, the files named on stderr.

use std::path::Path;
use std::process::Command;

use cli_common::bin;

use crate::cli_common;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn three_variations_write_three_svgs_and_a_contact_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.svg");
    let original = std::fs::read(root().join("tests/inkscape/two-paths.svg")).unwrap();
    std::fs::write(&input, &original).unwrap();
    let out = dir.path().join("out.svg");
    let model = root().join("tests/fixtures/clip/A");
    let o = Command::new(bin())
        .args(["edit", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--select", "left", "--select", "right"])
        .args(["--prompt", "a gold statue", "--iters", "3", "--patches", "2", "--size", "64", "--backend", "cpu"])
        .args(["--model", model.to_str().unwrap(), "--variations", "3", "--seed", "4"])
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), original, "the input changed");
    let svgs: Vec<String> = ["out.svg", "out-2.svg", "out-3.svg"]
        .iter()
        .map(|n| std::fs::read_to_string(dir.path().join(n)).unwrap_or_else(|e| panic!("{n}: {e}")))
        .collect();
    for (i, svg) in svgs.iter().enumerate() {
        clipvg::svg::Document::parse(svg.as_str()).unwrap();
        assert_ne!(svg.as_bytes(), original, "variation {} is the input", i + 1);
        assert!(err.contains(&format!("variation {} (seed {})", i + 1, 4 + i)), "{err}");
    }
    assert!(svgs[0] != svgs[1] && svgs[1] != svgs[2] && svgs[0] != svgs[2], "variations alike");
    // Variation 1 is the plain edit of seed 4.
    let single = dir.path().join("single.svg");
    let o = Command::new(bin())
        .args([
            "edit",
            input.to_str().unwrap(),
            "-o",
            single.to_str().unwrap(),
            "--select",
            "left",
            "--select",
            "right",
        ])
        .args(["--prompt", "a gold statue", "--iters", "3", "--patches", "2", "--size", "64", "--backend", "cpu"])
        .args(["--model", model.to_str().unwrap(), "--seed", "4"])
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("variation"), "one edit says nothing of variations");
    assert_eq!(std::fs::read_to_string(&single).unwrap(), svgs[0]);
    // The sheet: three 256×128 pictures (the 200×100 canvas) 8 px apart on white.
    let sheet = dir.path().join("out-variations.png");
    assert!(err.contains(&sheet.display().to_string()), "{err}");
    let img = image::open(&sheet).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (3 * (256 + 8) + 8, 128 + 16));
    assert_eq!(img.get_pixel(2, 2).0, [255, 255, 255, 255]);
    // The gold-ish left triangle in each picture is not white.
    for k in 0..3u32 {
        let p = img.get_pixel(8 + k * 264 + 50 * 256 / 200, 8 + 70 * 128 / 100).0;
        assert_ne!(p, [255, 255, 255, 255], "picture {k} is blank");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 6, "in, single and the four outputs, no temporaries");
}

#[test]
fn variations_that_would_overwrite_the_input_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("out-2.svg");
    std::fs::copy(root().join("tests/inkscape/two-paths.svg"), &input).unwrap();
    let o = Command::new(bin())
        .args(["edit", input.to_str().unwrap(), "-o", dir.path().join("out.svg").to_str().unwrap()])
        .args(["--select", "left", "--prompt", "x", "--variations", "2", "--backend", "cpu"])
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("out-2.svg is the input; clipvg never overwrites its input"), "{err}");
    assert!(!dir.path().join("out.svg").exists());
}

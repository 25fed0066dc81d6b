//! Vectorization quality against the anchors, on the same photos in one run: for each photo at
//! `--size` px, PSNR (dB, over white, against the working bitmap) of
//!
//! 1. clipvg's default (the multi-round stack, then refinement within its time budget);
//! 2. one stacked round at the same path count (the stack's top round traced stacked, its
//!    speckle filter walked over the stack's count: the round just below it and the one just at
//!    or above it), refined for the same steps: the multi-round claim at equal paths;
//! 3. the paper's two rounds (coarse, fine) without the thinning, and the former default
//!    (coarse, medium, fine; the upper rounds cut out and not thinned), refined for the same
//!    steps;
//! 4. vtracer alone (the PyPI package, run by `--python`/`$CLIPVG_PYTHON`): its defaults, and
//!    the best of a small grid (speckle × colour precision) with at most the stack's path count.
//!
//! Each SVG is measured with our renderer and with resvg, timed (vtracer's time is its own
//! call, without Python's start-up), and jittered (every point by a seeded 1 px Gaussian, a
//! stand-in for an edit: PSNR drop and the share of opaque pixels that show the background).
//! Prints a Markdown table.
//!
//! Run: `cargo bench --bench vectorize_anchors -- [--photos DIR] [--size 512] [--rounds R]
//! [--python PY]` (`--rounds`: the stack under test, default clipvg's).
//! DIR holds the photos (default `$CLIPVG_PHOTOS`, else the small fixture copies); without a
//! Python that imports `vtracer` the vtracer rows say so.

mod photos;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use clipvg::scene::{BuildOptions, build};
use clipvg::svg::Document;
use clipvg::vectorize::metrics::{WHITE, psnr, robustness};
use clipvg::vectorize::{Precision, RefineBudget, VectorizeOptions, bitmap, parse_rounds, vectorize_bitmap};
use photos::{arg, photo_dir, photos};

/// resvg's render of `svg` at `w × h` over white, RGBA floats.
fn resvg_render(svg: &str, w: u32, h: u32) -> Option<Vec<f32>> {
    let tree = usvg::Tree::from_data(svg.as_bytes(), &usvg::Options::default()).ok()?;
    let mut pixmap = tiny_skia::Pixmap::new(w, h)?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let size = tree.size();
    let ts = tiny_skia::Transform::from_scale(w as f32 / size.width(), h as f32 / size.height());
    resvg::render(&tree, ts, &mut pixmap.as_mut());
    Some(pixmap.data().iter().map(|&b| b as f32 / 255.0).collect())
}

/// Our renderer's render of `svg` at `w × h` over white.
fn our_render(svg: &str, w: u32, h: u32) -> Option<Vec<f32>> {
    let doc = Document::parse(svg).ok()?;
    let built = build(&doc, &BuildOptions::default()).ok()?;
    Some(clipvg::raster::render(&built.scene, w, h, WHITE).ok()?.data)
}

/// One measured vectorization.
struct Row {
    method: String,
    paths: usize,
    seconds: f64,
    ours_db: Option<f64>,
    resvg_db: Option<f64>,
    /// PSNR drop and crack fraction under a seeded 1 px jitter of every point (our renderer).
    jitter: Option<(f64, f64)>,
}

fn measure(method: String, svg: &str, seconds: f64, working: &image::RgbaImage) -> Row {
    let (w, h) = working.dimensions();
    let target = bitmap::to_float_over(working, WHITE);
    let paths = svg.matches("<path").count();
    let ours_db = our_render(svg, w, h).map(|img| psnr(&img, &target));
    let resvg_db = resvg_render(svg, w, h).map(|img| psnr(&img, &target));
    let straight = bitmap::to_float_over(working, [0.0; 4]);
    let jitter = Document::parse(svg)
        .ok()
        .and_then(|doc| build(&doc, &BuildOptions::default()).ok())
        .and_then(|b| robustness(&b.scene, &target, &straight, w, h, 1.0, 0).ok())
        .map(|r| (r.psnr_drop(), r.jittered_cracks));
    Row { method, paths, seconds, ours_db, resvg_db, jitter }
}

fn db(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.2}"))
}

/// One round like `top` but stacked, its speckle filter walked over the path count `target`:
/// the round with the most paths below it and the one with the fewest at or above it (either
/// may not exist), so that the stack is compared at equal paths from both sides.
fn stacked_around(img: &image::RgbaImage, size: u32, top: &Precision, target: usize) -> Vec<Precision> {
    let fine = Precision { stacked: Some(true), ..top.clone() };
    let count = |p: &Precision| {
        let o = VectorizeOptions {
            rounds: vec![p.clone()],
            refine: RefineBudget::Steps(0),
            long_side: Some(size),
            ..Default::default()
        };
        vectorize_bitmap(img, Path::new("photo"), &o, &mut |_| true).expect("tracing").report.paths()
    };
    // Counts fall as the filter grows.
    let mut above = None;
    for speckle in 1..=40 {
        let p = Precision { filter_speckle: speckle, ..fine.clone() };
        if count(&p) < target {
            return above.into_iter().chain([p]).collect();
        }
        above = Some(p);
    }
    above.into_iter().collect()
}

/// vtracer (Python) on `png` with `knobs` (`name=value` keyword arguments): its SVG and the
/// seconds of the call, or why not.
fn vtracer(python: &str, png: &Path, out: &Path, knobs: &str) -> Result<(String, f64), String> {
    let script = format!(
        "import time, vtracer\nt = time.perf_counter()\nvtracer.convert_image_to_svg_py({:?}, {:?}{knobs})\nprint(time.perf_counter() - t)",
        png.display().to_string(),
        out.display().to_string()
    );
    let o = Command::new(python).args(["-c", &script]).output().map_err(|e| format!("{python}: {e}"))?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("failed").to_string());
    }
    let secs = String::from_utf8_lossy(&o.stdout).trim().parse().map_err(|_| "no timing".to_string())?;
    Ok((std::fs::read_to_string(out).map_err(|e| e.to_string())?, secs))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = photo_dir(&args);
    let size: u32 = arg(&args, "--size").map_or(512, |s| s.parse().expect("--size N"));
    let rounds = arg(&args, "--rounds").unwrap_or_else(|| clipvg::vectorize::DEFAULT_ROUNDS.into());
    let python = arg(&args, "--python").or_else(|| std::env::var("CLIPVG_PYTHON").ok());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("photos {} · long side {size} px · rounds {rounds} · {threads} CPU threads\n", dir.display());
    println!(
        "| photo | vectorization | paths | seconds | PSNR ours | PSNR resvg | σ = 1 px: drop / cracks |\n|---|---|--:|--:|--:|--:|--:|"
    );
    let tmp = tempfile::tempdir().expect("a temporary folder");
    for path in photos(&dir) {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let img = bitmap::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut rows = Vec::new();
        let run = |method: String, options: VectorizeOptions| {
            let t = Instant::now();
            let v = vectorize_bitmap(&img, &path, &options, &mut |_| true).unwrap_or_else(|e| panic!("{e}"));
            let secs = t.elapsed().as_secs_f64();
            (measure(method, &v.svg, secs, &v.working), v)
        };
        let stack = parse_rounds(&rounds).expect("--rounds");
        let top = stack.last().expect("a round").resolved();
        let default = VectorizeOptions { rounds: stack, long_side: Some(size), ..Default::default() };
        let (row, ours) = run(format!("clipvg ({rounds}; refined)"), default.clone());
        rows.push(row);
        let steps = ours.report.refine.as_ref().map_or(0, |r| r.steps);
        let stack_paths = ours.report.paths();
        for stacked in stacked_around(&img, size, &top, stack_paths) {
            let label = format!("one stacked round ({}:{}), refined {steps} steps", top.name, stacked.knobs());
            let options =
                VectorizeOptions { rounds: vec![stacked], refine: RefineBudget::Steps(steps), ..default.clone() };
            rows.push(run(label, options).0);
        }
        let paper = parse_rounds("coarse,fine").expect("rounds");
        let label = format!("paper's two rounds (coarse, fine; not thinned), refined {steps} steps");
        let options =
            VectorizeOptions { rounds: paper, min_gain: None, refine: RefineBudget::Steps(steps), ..default.clone() };
        rows.push(run(label, options).0);
        let former = parse_rounds("coarse,medium:hierarchical=cutout,fine:hierarchical=cutout").expect("rounds");
        let label = format!("former default (coarse, medium, fine cut out, not thinned), refined {steps} steps");
        let options =
            VectorizeOptions { rounds: former, min_gain: None, refine: RefineBudget::Steps(steps), ..default.clone() };
        rows.push(run(label, options).0);
        // vtracer on the same working bitmap.
        let png = tmp.path().join(format!("{name}.png"));
        ours.working.save(&png).expect("working bitmap saved");
        match &python {
            None => println!("| {name} | vtracer | — | — | — | — | (no --python / $CLIPVG_PYTHON) |"),
            Some(py) => {
                let out = tmp.path().join("vtracer.svg");
                match vtracer(py, &png, &out, "") {
                    Err(e) => println!("| {name} | vtracer | — | — | — | — | ({e}) |"),
                    Ok((svg, secs)) => {
                        rows.push(measure("vtracer, defaults".into(), &svg, secs, &ours.working));
                        let mut best: Option<(Row, String)> = None;
                        for speckle in [2, 4, 8, 16] {
                            for precision in [6, 7, 8] {
                                let knobs = format!(", filter_speckle={speckle}, color_precision={precision}");
                                let Ok((svg, secs)) = vtracer(py, &png, &out, &knobs) else { continue };
                                let r = measure(String::new(), &svg, secs, &ours.working);
                                let better = best.as_ref().is_none_or(|(b, _)| r.resvg_db > b.resvg_db);
                                if r.paths <= stack_paths && better {
                                    best = Some((r, knobs));
                                }
                            }
                        }
                        if let Some((mut r, knobs)) = best {
                            r.method = format!("vtracer, best of grid ≤ {stack_paths} paths ({})", &knobs[2..]);
                            rows.push(r);
                        }
                    }
                }
            }
        }
        for r in rows {
            let jitter = r.jitter.map_or("—".into(), |(d, c)| format!("{d:.2} / {:.2} %", 100.0 * c));
            println!(
                "| {name} | {} | {} | {:.1} | {} | {} | {jitter} |",
                r.method,
                r.paths,
                r.seconds,
                db(r.ours_db),
                db(r.resvg_db)
            );
        }
    }
}

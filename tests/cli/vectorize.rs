//! Multi-round vectorization end to end: the paper's claim on real photos, the output through
//! the foundation's loader and rasterizer, refinement, `<image>` replacement that leaves the rest
//! of the document byte for byte, the command, and bad input.
//!
//! The photos are 128 px copies of scikit-image's astronaut, chelsea and coffee
//! (`tests/fixtures/vectorize/photos`, see the LICENSE note there). Set `CLIPVG_PHOTOS` to a
//! folder with the full-size photos to also assert the claim on them at 512 px.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use clipvg::raster;
use clipvg::scene::build;
use clipvg::svg::Document;
use clipvg::vectorize::metrics::{Entry, WHITE, compare_rounds, psnr};
use clipvg::vectorize::{
    RefineBudget, VectorizeOptions, bitmap, parse_rounds, vectorize_bitmap, vectorize_file, vectorize_image_element,
};
use clipvg_cli::vectorize::{VectorizeArgs, run};
use image::{Rgba, RgbaImage};

const PHOTOS: [&str; 3] = ["astronaut", "chelsea", "coffee"];
/// Jitter of the crack test, canvas pixels (the brief's 1–2 px).
const SIGMAS: [f32; 2] = [1.0, 2.0];
/// Jitter seeds averaged in the crack test, so one lucky draw cannot decide it.
const SEEDS: [u64; 3] = [0, 1, 2];
/// The share of opaque pixels that may show the background after the jitter.
const MAX_CRACKS: f64 = 0.01;
/// How much farther from the photo the jittered stack may be than the jittered single stacked
/// round of at least its paths (measured at 512 px, mean of the three seeds: from 0.16 dB behind,
/// chelsea at σ = 2, to 0.43 dB ahead, astronaut at σ = 1).
const JITTERED_TOL_DB: f64 = 0.2;
/// A render and its re-render from the written SVG differ only by the 2-decimal coordinates.
const PSNR_REPRODUCED_DB: f64 = 0.05;

fn fixtures() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures/vectorize")
}

fn photo(name: &str) -> PathBuf {
    fixtures().join("photos").join(format!("{name}.png"))
}

/// The default options without refinement: what the tests of tracing measure.
fn traced() -> VectorizeOptions {
    VectorizeOptions { refine: RefineBudget::Steps(0), ..VectorizeOptions::default() }
}

fn never_cancel() -> impl FnMut(clipvg::vectorize::Progress<'_>) -> bool {
    |_| true
}

fn png_bytes(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

/// Mean over seeds of (PSNR drop, crack fraction, PSNR after the jitter) per sigma, per entry.
fn averaged(img: &RgbaImage, source: &Path, options: &VectorizeOptions) -> Vec<(Entry, Vec<(f64, f64, f64)>)> {
    let runs: Vec<Vec<Entry>> =
        SEEDS.iter().map(|&s| compare_rounds(img, source, options, &SIGMAS, s).unwrap()).collect();
    (0..runs[0].len())
        .map(|i| {
            let per_sigma = (0..SIGMAS.len())
                .map(|k| {
                    let n = runs.len() as f64;
                    let mean = |f: &dyn Fn(&clipvg::vectorize::metrics::Robustness) -> f64| {
                        runs.iter().map(|r| f(&r[i].robustness[k])).sum::<f64>() / n
                    };
                    (mean(&|r| r.psnr_drop()), mean(&|r| r.jittered_cracks), mean(&|r| r.jittered_psnr_db))
                })
                .collect();
            (runs[0][i].clone(), per_sigma)
        })
        .collect()
}

/// The paper's claim (CLIPVG §1): stacked rounds hide the cracks that open when shapes move;
/// and issue 14's: the stack is closer to the photo than one stacked round of the same paths.
///
/// `at_equal_paths`: also assert issue 14's claim (on the 512 px photos; on the 128 px fixture
/// copies the nearest stacked round has 17 % more paths than the stack on chelsea and ties it).
fn assert_claim(name: &str, img: &RgbaImage, source: &Path, options: &VectorizeOptions, at_equal_paths: bool) {
    let entries = averaged(img, source, options);
    let find = |label: &str| entries.iter().find(|(e, _)| e.label == label).unwrap();
    let multi = find("multi-round");
    let one = find("one-shot");
    let comparable = entries.last().unwrap();
    for (k, sigma) in SIGMAS.iter().enumerate() {
        let (m, o, c) = (multi.1[k], one.1[k], comparable.1[k]);
        eprintln!(
            "{name} σ={sigma}: drop/cracks/jittered PSNR: multi {:.2} dB {:.3}% {:.2} dB · one-shot {:.2} dB {:.3}% \
             {:.2} dB · {} {:.2} dB {:.3}% {:.2} dB",
            m.0,
            100.0 * m.1,
            m.2,
            o.0,
            100.0 * o.1,
            o.2,
            comparable.0.label,
            c.0,
            100.0 * c.1,
            c.2
        );
        // Against the paper's baseline, one trace of the top round alone (cut out): both measures.
        assert!(m.0 < o.0, "{name} σ={sigma}: multi-round lost {:.2} dB, one-shot only {:.2}", m.0, o.0);
        assert!(m.1 < o.1, "{name} σ={sigma}: multi-round cracks {:.4} not below one-shot {:.4}", m.1, o.1);
        // No cracks to speak of (the one-shot trace shows 11–22 % at 512 px).
        assert!(m.1 < MAX_CRACKS, "{name} σ={sigma}: multi-round cracks {:.4}", m.1);
        // Against the strongest single round (stacked, at least the stack's paths): the
        // jittered picture (what an edit that moves shapes starts from) is as close to the photo
        // within JITTERED_TOL_DB. (Its PSNR *drop* is larger: the thinned fine shapes lie on the
        // coarse round, not on a parent of nearly their colour, and the stack starts closer;
        // see the README.)
        assert!(
            m.2 > c.2 - JITTERED_TOL_DB,
            "{name} σ={sigma}: jittered multi-round {:.2} dB, {} {:.2}",
            m.2,
            comparable.0.label,
            c.2
        );
    }
    // And the untouched stack is closer to the photo than the single trace it is built around,
    // and than one stacked round with at least its paths.
    assert!(multi.0.psnr_db() > one.0.psnr_db(), "{name}: {:.2} vs {:.2} dB", multi.0.psnr_db(), one.0.psnr_db());
    assert!(comparable.0.paths >= multi.0.paths, "{name}: {} has fewer paths", comparable.0.label);
    if !at_equal_paths {
        return;
    }
    assert!(
        multi.0.psnr_db() > comparable.0.psnr_db(),
        "{name}: {:.2} dB with {} paths vs {} {:.2} dB with {}",
        multi.0.psnr_db(),
        multi.0.paths,
        comparable.0.label,
        comparable.0.psnr_db(),
        comparable.0.paths
    );
}

#[test]
fn multi_round_hides_cracks_on_the_fixture_photos() {
    for name in PHOTOS {
        let path = photo(name);
        let img = bitmap::open(&path).unwrap();
        assert_claim(name, &img, &path, &traced(), false);
    }
}

#[test]
fn multi_round_hides_cracks_on_the_full_photos() {
    let Ok(dir) = std::env::var("CLIPVG_PHOTOS") else {
        eprintln!("CLIPVG_PHOTOS not set: the full-size photos are measured by `cargo bench --bench vectorize`");
        return;
    };
    let options = VectorizeOptions { long_side: Some(512), ..traced() };
    for name in PHOTOS {
        let path = Path::new(&dir).join(format!("{name}.png"));
        let img = bitmap::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_claim(name, &img, &path, &options, true);
    }
}

/// Every `<path>` of a layered document, with the id of its group, in document order.
fn paths_by_group(doc: &Document) -> Vec<(String, String)> {
    doc.element_ids()
        .filter(|&e| doc.element(e).name == "path")
        .map(|e| {
            let el = doc.element(e);
            let group = doc.element(el.parent.unwrap()).id().unwrap_or("").to_string();
            (group, el.id().unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn output_loads_renders_to_the_reported_psnr_and_is_addressable() {
    let path = photo("coffee");
    let v = vectorize_file(&path, &traced(), &mut never_cancel()).unwrap();
    let [w, h] = v.report.size;
    assert_eq!([w, h], [128, 85]);
    let doc = Document::parse(v.svg.as_str()).unwrap();
    let root = doc.element(doc.root());
    assert_eq!(root.attr("viewBox"), Some("0 0 128 85"));
    assert_eq!((root.attr("width"), root.attr("height")), (Some("128"), Some("85")));
    // Groups in painter's order, coarse at the bottom; every path named after its round.
    let groups: Vec<&str> = root.children.iter().map(|&c| doc.element(c).id().unwrap()).collect();
    assert_eq!(groups, ["clipvg-round-1", "clipvg-round-2"]);
    let paths = paths_by_group(&doc);
    assert_eq!(paths.len(), v.report.paths());
    for (k, round) in v.report.rounds.iter().enumerate() {
        let ids: Vec<&str> =
            paths.iter().filter(|(g, _)| *g == format!("clipvg-round-{}", k + 1)).map(|(_, p)| p.as_str()).collect();
        assert_eq!(ids.len(), round.paths);
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(*id, format!("clipvg-r{}-{n}", k + 1));
        }
    }
    for e in doc.element_ids().filter(|&e| doc.element(e).name == "path") {
        let fill = doc.element(e).attr("fill").unwrap();
        assert!(fill.len() == 7 && fill.starts_with('#'), "fill {fill}");
    }
    // The foundation's loader and rasterizer reproduce the reported PSNR.
    let built = build(&doc, &Default::default()).unwrap();
    assert!(built.diagnostics.is_empty(), "{:?}", built.diagnostics);
    assert_eq!(built.scene.shapes.len(), v.report.paths());
    let img = raster::render(&built.scene, w, h, WHITE).unwrap();
    let target = bitmap::to_float_over(&bitmap::open(&path).unwrap(), WHITE);
    let measured = psnr(&img.data, &target);
    assert!(
        (measured - v.report.psnr_db).abs() < PSNR_REPRODUCED_DB,
        "rendered {measured:.3} dB, reported {:.3}",
        v.report.psnr_db
    );
    assert!(measured > 20.0, "{measured:.2} dB");
    // The fine round adds to the picture: its shapes are the ones that improve on the coarse one.
    let psnrs: Vec<f64> = v.report.rounds.iter().map(|r| r.psnr_db).collect();
    assert!(psnrs[1] > psnrs[0] + 1.0, "{psnrs:?}");
    assert!(v.report.thinned > 0, "the fine round repeats some of the coarse one");
}

#[test]
fn refinement_raises_psnr_and_writes_back_into_the_same_paths() {
    let img = bitmap::resize(&bitmap::open(&photo("chelsea")).unwrap(), 64, 43);
    let plain = traced();
    let traced = vectorize_bitmap(&img, Path::new("chelsea"), &plain, &mut never_cancel()).unwrap();
    let options = VectorizeOptions { refine: RefineBudget::Steps(15), ..plain };
    let mut steps = 0;
    let v = vectorize_bitmap(&img, Path::new("chelsea"), &options, &mut |p| {
        if let clipvg::vectorize::Progress::Refine { step, .. } = p {
            steps = step;
        }
        true
    })
    .unwrap();
    assert_eq!(steps, 15);
    let r = v.report.refine.as_ref().unwrap();
    assert!((r.psnr_before_db - traced.report.psnr_db).abs() < 1e-9);
    assert!(r.psnr_after_db > r.psnr_before_db + 0.3, "{:.2} → {:.2} dB", r.psnr_before_db, r.psnr_after_db);
    // Same elements and ids, new geometry; the render of the written SVG has the new PSNR.
    let (before, after) = (Document::parse(traced.svg.as_str()).unwrap(), Document::parse(v.svg.as_str()).unwrap());
    assert_eq!(paths_by_group(&before), paths_by_group(&after));
    assert_ne!(traced.svg, v.svg);
    let scene = build(&after, &Default::default()).unwrap().scene;
    let rendered = raster::render(&scene, 64, 43, WHITE).unwrap();
    let measured = psnr(&rendered.data, &bitmap::to_float_over(&img, WHITE));
    assert!((measured - r.psnr_after_db).abs() < 0.01, "{measured} vs {}", r.psnr_after_db);
}

#[test]
fn refinement_runs_by_default_for_the_steps_its_budget_buys() {
    let img = bitmap::resize(&bitmap::open(&photo("coffee")).unwrap(), 48, 32);
    let default = VectorizeOptions::default();
    assert_eq!(default.refine, RefineBudget::Seconds(30.0));
    let a = vectorize_bitmap(&img, Path::new("coffee"), &default, &mut never_cancel()).unwrap();
    let r = a.report.refine.as_ref().expect("the default refines");
    let segments: Vec<usize> = a.report.rounds.iter().map(|r| r.segments).collect();
    assert_eq!(r.steps, default.refine.steps((48, 32), &segments));
    assert!(r.steps > 0 && r.budget_seconds == Some(30.0));
    assert!(r.psnr_after_db > r.psnr_before_db + 0.5, "{:.2} → {:.2} dB", r.psnr_before_db, r.psnr_after_db);
    // The steps are counted before the run, not timed: the same bytes again.
    let b = vectorize_bitmap(&img, Path::new("coffee"), &default, &mut never_cancel()).unwrap();
    assert_eq!(a.svg, b.svg);
    // A budget buys more steps on a smaller picture and with more seconds, never more than
    // the cap, and none for 0 s.
    let budget = |s: f64, size: (u32, u32)| RefineBudget::Seconds(s).steps(size, &[8_000, 12_000, 20_000]);
    assert!(budget(30.0, (512, 512)) > budget(30.0, (1024, 1024)));
    assert!(budget(30.0, (512, 512)) > budget(10.0, (512, 512)));
    assert!(budget(30.0, (512, 512)) >= 100, "{}", budget(30.0, (512, 512)));
    assert_eq!(budget(1e6, (16, 16)), clipvg::vectorize::refine::MAX_BUDGET_STEPS);
    assert_eq!(budget(0.0, (512, 512)), 0);
    assert_eq!(RefineBudget::Steps(7).steps((512, 512), &[40_000]), 7);
    // The lower rounds' phases render less, so a stack buys more steps than one round of the
    // same segments.
    assert!(budget(30.0, (512, 512)) > RefineBudget::Seconds(30.0).steps((512, 512), &[40_000]));
}

#[test]
fn max_paths_keeps_the_budget_and_the_bottom_round() {
    let img = bitmap::open(&photo("astronaut")).unwrap();
    let all = vectorize_bitmap(&img, Path::new("astronaut"), &traced(), &mut never_cancel()).unwrap();
    let n = all.report.paths();
    let bottom = all.report.rounds[0].paths;
    let max = n - (n - bottom) / 4;
    let options = VectorizeOptions { max_paths: max, ..traced() };
    let some = vectorize_bitmap(&img, Path::new("astronaut"), &options, &mut never_cancel()).unwrap();
    assert!(
        some.report.paths() <= max && some.report.paths() * 10 >= max * 9,
        "{} paths for {max}",
        some.report.paths()
    );
    assert_eq!(some.report.rounds[0].paths, bottom, "the bottom round keeps every shape");
    assert!(some.report.notes.iter().any(|n| n.contains("max_paths")), "{:?}", some.report.notes);
    // Graceful: the shapes that add the least go first, so dropping a quarter of the upper rounds' shapes
    // (this 128 px picture has few, each carrying detail; the ones that add the least go first) costs less than dropping half, and
    // neither costs more than a few dB.
    let half = VectorizeOptions { max_paths: bottom + (n - bottom) / 2, ..traced() };
    let fewer = vectorize_bitmap(&img, Path::new("astronaut"), &half, &mut never_cancel()).unwrap();
    let (p0, p1, p2) = (all.report.psnr_db, some.report.psnr_db, fewer.report.psnr_db);
    assert!(p0 > p1 && p1 > p2 && p0 - p2 < 3.0, "{p0:.2} → {p1:.2} → {p2:.2} dB");
    let doc = Document::parse(some.svg.as_str()).unwrap();
    assert_eq!(paths_by_group(&doc).len(), some.report.paths());
}

#[test]
fn detail_round_traces_only_its_box() {
    let path = photo("astronaut");
    let img = bitmap::open(&path).unwrap();
    let rect = [40.0, 10.0, 40.0, 40.0];
    let options = VectorizeOptions {
        detail: vec![clipvg::vectorize::DetailRound {
            rect,
            precision: clipvg::vectorize::Precision::parse("fine").unwrap(),
        }],
        long_side: Some(256),
        ..traced()
    };
    let v = vectorize_bitmap(&img, &path, &options, &mut never_cancel()).unwrap();
    let detail = v.report.rounds.last().unwrap();
    assert_eq!(detail.label, "detail");
    assert!(detail.knobs.contains("hierarchical=stacked"));
    assert!(detail.paths > 20, "{} paths", detail.paths);
    let doc = Document::parse(v.svg.as_str()).unwrap();
    let g = doc.require_id("clipvg-round-3").unwrap();
    assert_eq!(doc.element(g).attr("data-clipvg-box"), Some("80,20,80,80"));
    let built = build(&doc, &Default::default()).unwrap();
    let first = built.scene.shapes.len() - detail.paths;
    // Spline fits may bulge a fraction of a pixel past the pixels they trace.
    for shape in &built.scene.shapes[first..] {
        let b = built.scene.shape_bounds(shape).unwrap();
        assert!(b.x0 >= 79.0 && b.y0 >= 19.0 && b.x1 <= 161.0 && b.y1 <= 101.0, "{b:?}");
    }
    assert!(v.report.psnr_db >= v.report.rounds[2].psnr_db - 0.05);
}

const HOST: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<!-- hand-written host document -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="300" height="200" viewBox="0 0 300 200">
  <defs><linearGradient id="lg"><stop offset="0" stop-color="#f00"/></linearGradient></defs>
  <g id="layer1" inkscape:label="Layer &amp; 1" inkscape:groupmode="layer">
    <rect id="bg" x="0" y="0" width="300" height="200" fill="#eeeeee"/>
    <image id="photo" x="20" y="30" width="128" height="85" preserveAspectRatio="none"
           inkscape:label="the cat" opacity="0.9" transform="rotate(5 20 30)" xlink:href="@HREF@"/>
    <path id="after" d='M 200 10 L 290 10 L 290 90 Z' style="fill:url(#lg)"/>
  </g>
</svg>
"##;

/// Every element of `a` except `skip` (and its descendants) has a twin in `b` with the same
/// name and the same attributes, in the same order.
fn assert_same_elements(a: &Document, b: &Document, skip: &str) {
    let skip_el = a.require_id(skip).unwrap();
    let kept: Vec<_> = a.element_ids().filter(|&e| !a.is_ancestor_or_self(skip_el, e)).collect();
    for e in kept {
        let ea = a.element(e);
        let Some(id) = ea.id() else { continue };
        let eb = b.element(b.require_id(id).unwrap());
        assert_eq!(ea.name, eb.name);
        let attrs = |el: &clipvg::svg::Element| {
            el.attributes.iter().map(|x| (x.namespace.clone(), x.name.clone(), x.value.clone())).collect::<Vec<_>>()
        };
        if id != skip {
            assert_eq!(attrs(ea), attrs(eb), "element {id}");
        }
    }
}

#[test]
fn embedded_data_uri_image_is_replaced_in_place() {
    let img = bitmap::open(&photo("chelsea")).unwrap();
    let uri = format!("data:image/png;base64,{}", bitmap::base64_encode(&png_bytes(&img)));
    let src = HOST.replace("@HREF@", &uri);
    let doc = Document::parse(src.as_str()).unwrap();
    let out = vectorize_image_element(&doc, "photo", &traced()).unwrap();

    // Bytes outside the <image> element are untouched.
    let range = doc.element(doc.require_id("photo").unwrap()).source_range();
    let tail = src.len() - range.end;
    assert_eq!(&out[..range.start], &src[..range.start]);
    assert_eq!(&out[out.len() - tail..], &src[range.end..]);

    let new = Document::parse(out.as_str()).unwrap();
    assert_same_elements(&doc, &new, "photo");
    let g = new.element(new.require_id("photo").unwrap());
    assert_eq!(g.name, "g");
    assert_eq!(g.attr_ns(clipvg::svg::INKSCAPE_NS, "label"), Some("the cat"));
    assert_eq!(g.attr("opacity"), Some("0.9"));
    assert!(g.attr("x").is_none() && g.href().is_none());
    // 128×85 bitmap into a 128×85 viewport at (20, 30): the matrix is a pure translation.
    assert_eq!(g.attr("transform"), Some("rotate(5 20 30) matrix(1 0 0 1 20 30)"));
    let rounds: Vec<&str> = g.children.iter().map(|&c| new.element(c).id().unwrap()).collect();
    assert_eq!(rounds, ["clipvg-photo-round-1", "clipvg-photo-round-2"]);
    assert!(new.by_id("clipvg-photo-r2-0").is_some());

    // It renders where the image was: compare the unrotated document's region with the bitmap.
    let unrotated = Document::parse(out.replace("rotate(5 20 30) ", "").replace("opacity=\"0.9\"", "")).unwrap();
    let scene = build(&unrotated, &Default::default()).unwrap().scene;
    let full = raster::render(&scene, 300, 200, WHITE).unwrap();
    let mut crop = Vec::new();
    for y in 30..115 {
        crop.extend_from_slice(&full.data[(y * 300 + 20) * 4..(y * 300 + 148) * 4]);
    }
    let measured = psnr(&crop, &bitmap::to_float_over(&img, WHITE));
    assert!(measured > 20.0, "{measured:.2} dB");
}

#[test]
fn embedded_file_image_with_slice_traces_the_visible_part() {
    let dir = tempfile::tempdir().unwrap();
    let img = bitmap::open(&photo("coffee")).unwrap();
    std::fs::write(dir.path().join("cup.png"), png_bytes(&img)).unwrap();
    // A 128×85 bitmap sliced into a 50×50 viewport: scale 85/50, centred horizontally.
    let src = HOST
        .replace("@HREF@", "cup.png")
        .replace(
            "width=\"128\" height=\"85\" preserveAspectRatio=\"none\"",
            "width=\"50\" height=\"50\" preserveAspectRatio=\"xMidYMid slice\"",
        )
        .replace("xlink:href", "href");
    let doc = Document::parse(src.as_str()).unwrap();
    let options = VectorizeOptions { base_dir: Some(dir.path().into()), ..traced() };
    let out = vectorize_image_element(&doc, "photo", &options).unwrap();
    let new = Document::parse(out.as_str()).unwrap();
    assert_same_elements(&doc, &new, "photo");
    let built = build(&new, &Default::default()).unwrap();
    let group = new.require_id("photo").unwrap();
    // Undo the image's own rotation: every traced shape lies in the 50×50 viewport, give or take
    // the crop rounded out to whole bitmap pixels (0.59 units each) and spline bulges.
    let rot = kurbo::Affine::rotate_about(-5f64.to_radians(), (20.0, 30.0));
    let mut shapes = 0;
    for (shape, src) in built.scene.shapes.iter().zip(&built.map.shapes) {
        if !new.is_ancestor_or_self(group, src.element) {
            continue;
        }
        shapes += 1;
        for sp in &built.scene.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize] {
            for p in built.scene.subpath_points(sp) {
                let q = rot * kurbo::Point::new(p[0] as f64, p[1] as f64);
                assert!(q.x > 18.5 && q.x < 71.5 && q.y > 28.5 && q.y < 81.5, "{q:?}");
            }
        }
    }
    assert!(shapes > 50, "{shapes} shapes");
    // Without a base folder the relative link cannot be resolved: one sentence, no panic.
    let e = vectorize_image_element(&doc, "photo", &traced()).unwrap_err().to_string();
    assert!(e.contains("cup.png") && e.contains("relative"), "{e}");
    let missing = Document::parse(src.replace("cup.png", "gone.png")).unwrap();
    let e = vectorize_image_element(&missing, "photo", &options).unwrap_err().to_string();
    assert!(e.contains("gone.png") && e.contains("does not exist"), "{e}");
    let e = vectorize_image_element(&doc, "after", &options).unwrap_err().to_string();
    assert!(e.contains("not an <image>"), "{e}");
}

fn args(input: &Path, output: &Path) -> VectorizeArgs {
    VectorizeArgs {
        backend: Some(clipvg::compute::BackendChoice::Cpu),
        refine: Some(0),
        ..VectorizeArgs::new(input, output)
    }
}

#[test]
fn command_writes_bitmaps_and_svg_inputs_and_never_touches_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.svg");
    let input = photo("coffee");
    let before = std::fs::read(&input).unwrap();
    let mut a = args(&input, &out);
    a.rounds = Some("coarse,fine:speckle=2,color=8,layer=8".into());
    a.size = Some(96);
    a.detail_box = vec!["10,10,40,30".into()];
    run(&a).unwrap();
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let doc = Document::open(&out).unwrap();
    assert_eq!(doc.element(doc.root()).attr("width"), Some("96"));
    assert!(doc.by_id("clipvg-round-3").is_some() && doc.by_id("clipvg-round-4").is_none());

    // An SVG input: its <image> elements are vectorized (file next to the document).
    let svg_in = dir.path().join("host.svg");
    std::fs::write(dir.path().join("cat.png"), std::fs::read(photo("chelsea")).unwrap()).unwrap();
    std::fs::write(&svg_in, HOST.replace("@HREF@", "cat.png")).unwrap();
    let mut a = args(&svg_in, &dir.path().join("host-out.svg"));
    a.select = vec!["photo".into()];
    run(&a).unwrap();
    let doc = Document::open(dir.path().join("host-out.svg")).unwrap();
    assert_eq!(doc.element(doc.require_id("photo").unwrap()).name, "g");
    a.select = vec!["bg".into()];
    assert!(run(&a).unwrap_err().to_string().contains("not an <image>"));
    // Writing over the input is refused.
    assert!(run(&args(&svg_in, &svg_in)).is_err());
    assert_eq!(std::fs::read_to_string(&svg_in).unwrap(), HOST.replace("@HREF@", "cat.png"));
}

/// Runs the command on `input`; the error text, and no output file left behind.
fn fails(input: &Path, tweak: impl FnOnce(&mut VectorizeArgs)) -> String {
    let out = input.with_extension("out.svg");
    let mut a = args(input, &out);
    tweak(&mut a);
    let e = run(&a).unwrap_err().to_string();
    assert!(!out.exists(), "partial output {} for: {e}", out.display());
    let leftovers: Vec<_> = std::fs::read_dir(input.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    e
}

/// CRC-32 of PNG chunks (ISO 3309, reflected, polynomial 0xEDB88320).
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

#[test]
fn bad_input_is_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);

    std::fs::write(at("corrupt.png"), b"\x89PNG\r\n\x1a\nthis is not a png").unwrap();
    let e = fails(&at("corrupt.png"), |_| {});
    assert!(e.contains("corrupt.png"), "{e}");

    let good = png_bytes(&bitmap::open(&photo("coffee")).unwrap());
    std::fs::write(at("truncated.png"), &good[..good.len() / 3]).unwrap();
    assert!(fails(&at("truncated.png"), |_| {}).contains("truncated.png"));

    // A header claiming 100 000 × 100 000 pixels is refused before anything is allocated.
    let mut huge = good[..33].to_vec();
    huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(at("huge.png"), &huge).unwrap();
    let e = fails(&at("huge.png"), |_| {});
    assert!(e.contains("huge.png") && e.contains("16384"), "{e}");

    RgbaImage::from_pixel(40, 30, Rgba([10, 20, 30, 0])).save(at("clear.png")).unwrap();
    let e = fails(&at("clear.png"), |_| {});
    assert!(e.contains("clear.png") && e.contains("transparent"), "{e}");

    let e = fails(&photo("coffee"), |a| a.rounds = Some("coarse,ultra".into()));
    assert!(e.contains("\"ultra\""), "{e}");
    let e = fails(&photo("coffee"), |a| a.detail_box = vec!["500,500,10,10".into()]);
    assert!(e.contains("outside"), "{e}");
    assert!(fails(&photo("coffee"), |a| a.detail_box = vec!["1,2,3".into()]).contains("X,Y,W,H"));
    assert!(fails(&photo("coffee"), |a| a.size = Some(0)).contains("--size"));
    assert!(fails(&at("missing.png"), |_| {}).contains("missing.png"));

    let svg = at("noimage.svg");
    std::fs::write(&svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect id=\"r\" width=\"5\" height=\"5\"/></svg>").unwrap();
    assert!(fails(&svg, |_| {}).contains("no <image>"));
    assert!(fails(&svg, |a| a.select = vec!["nope".into()]).contains("nope"));
    let svg = at("broken-link.svg");
    std::fs::write(&svg, HOST.replace("@HREF@", "nowhere/cat.png")).unwrap();
    let e = fails(&svg, |_| {});
    assert!(e.contains("nowhere/cat.png"), "{e}");
    let svg = at("bad-uri.svg");
    std::fs::write(&svg, HOST.replace("@HREF@", "data:image/png;base64,@@@@")).unwrap();
    assert!(fails(&svg, |_| {}).contains("base64"));
}

#[test]
fn odd_but_valid_bitmaps_vectorize() {
    let dir = tempfile::tempdir().unwrap();
    let source = bitmap::open(&photo("astronaut")).unwrap();
    // Grayscale, 16-bit, single colour, partly transparent.
    let gray = image::DynamicImage::ImageRgba8(source.clone()).to_luma8();
    gray.save(dir.path().join("gray.png")).unwrap();
    let deep = image::DynamicImage::ImageRgba8(source.clone()).to_rgb16();
    deep.save(dir.path().join("deep.png")).unwrap();
    RgbaImage::from_pixel(50, 40, Rgba([30, 120, 200, 255])).save(dir.path().join("flat.png")).unwrap();
    let mut cutout = source.clone();
    for (x, y, p) in cutout.enumerate_pixels_mut() {
        if (x as i32 - 64).pow(2) + (y as i32 - 64).pow(2) > 50 * 50 {
            p.0[3] = 0;
        }
    }
    cutout.save(dir.path().join("cutout.png")).unwrap();
    RgbaImage::from_pixel(1, 1, Rgba([200, 10, 10, 255])).save(dir.path().join("dot.png")).unwrap();
    RgbaImage::from_fn(7, 1, |x, _| Rgba([(x * 30) as u8, 0, 0, 255])).save(dir.path().join("strip.png")).unwrap();
    for name in ["dot.png", "strip.png"] {
        let v = vectorize_file(&dir.path().join(name), &traced(), &mut never_cancel());
        let v = v.unwrap_or_else(|e| panic!("{name}: {e}"));
        Document::parse(v.svg.as_str()).unwrap();
    }
    for name in ["gray.png", "deep.png", "flat.png", "cutout.png"] {
        let path = dir.path().join(name);
        let v = vectorize_file(&path, &traced(), &mut never_cancel()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc = Document::parse(v.svg.as_str()).unwrap();
        let scene = build(&doc, &Default::default()).unwrap().scene;
        assert!(!scene.shapes.is_empty(), "{name}");
        assert!(v.report.psnr_db > 18.0, "{name}: {:.2} dB", v.report.psnr_db);
        if name == "flat.png" {
            assert!(v.report.psnr_db > 40.0, "{:.2}", v.report.psnr_db);
        }
        if name == "cutout.png" {
            // Transparent corners stay empty.
            let clear = raster::render(&scene, 128, 128, [0.0; 4]).unwrap();
            assert!(clear.data[3] < 0.01 && clear.data[(128 * 128 - 1) * 4 + 3] < 0.01);
        }
    }
}

/// A picture with transparent areas traces to the same bytes every time, and the colour that
/// marks its transparent pixels for the tracer (the key, src/vectorize/tracer.rs) neither
/// becomes a path nor covers the transparent areas. The picture holds all six pure colours the
/// key is first chosen from (where vtracer went on with random colours), so the key is
/// `#000001`: the first colour from `0x000001` up that the picture lacks.
#[test]
fn transparent_pictures_trace_deterministically_and_never_in_the_key_colour() {
    let pure = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]];
    let img = RgbaImage::from_fn(96, 64, |x, y| {
        let hole = (x as i32 - 70).pow(2) + (y as i32 - 40).pow(2) < 12 * 12;
        if y < 12 || hole {
            Rgba([0, 0, 0, 0])
        } else if x < 48 {
            let [r, g, b] = pure[(y as usize / 9) % 6];
            Rgba([r, g, b, 255])
        } else {
            Rgba([(x * 2) as u8, (y * 3) as u8, 90, 255])
        }
    });
    for rounds in ["coarse,medium,fine", "fine:hierarchical=stacked", "medium:hierarchical=cutout"] {
        let options = VectorizeOptions { rounds: parse_rounds(rounds).unwrap(), ..traced() };
        let first = vectorize_bitmap(&img, Path::new("t.png"), &options, &mut never_cancel()).unwrap();
        let again = vectorize_bitmap(&img, Path::new("t.png"), &options, &mut never_cancel()).unwrap();
        assert_eq!(first.svg, again.svg, "{rounds}");
        assert!(first.svg.contains("fill=\"#ff00ff\""), "{rounds}: the pure colours are traced");
        assert!(!first.svg.contains("fill=\"#000001\""), "{rounds}: a path has the key colour");
        let doc = Document::parse(first.svg.as_str()).unwrap();
        let scene = build(&doc, &Default::default()).unwrap().scene;
        let r = raster::render(&scene, 96, 64, [0.0; 4]).unwrap();
        let alpha = |x: usize, y: usize| r.data[(y * 96 + x) * 4 + 3];
        for (x, y) in [(10, 3), (48, 5), (90, 8), (70, 40)] {
            assert!(alpha(x, y) < 0.01, "{rounds}: transparent pixel ({x}, {y}) covered, alpha {}", alpha(x, y));
        }
        assert!(alpha(20, 30) > 0.99 && alpha(90, 60) > 0.99, "{rounds}: opaque pixels left out");
    }
}

#[test]
fn huge_pictures_are_capped_and_said_so() {
    let img = RgbaImage::from_fn(2400, 1200, |x, y| Rgba([(x / 10) as u8, (y / 6) as u8, 128, 255]));
    let options = VectorizeOptions { rounds: parse_rounds("coarse").unwrap(), ..traced() };
    let v = vectorize_bitmap(&img, Path::new("big.png"), &options, &mut never_cancel()).unwrap();
    assert_eq!(v.report.size, [1024, 512]);
    assert_eq!(v.report.source_size, [2400, 1200]);
    assert!(v.report.notes.iter().any(|n| n.contains("big.png") && n.contains("1024×512")), "{:?}", v.report.notes);
}

#[test]
fn cancelling_stops_with_an_error() {
    let e = vectorize_file(&photo("coffee"), &traced(), &mut |_| false).unwrap_err();
    assert!(matches!(e, clipvg::Error::Cancelled));
}

/// Rewrites the 128 px fixture copies from the full photos in `CLIPVG_PHOTOS` (see the
/// fixtures' LICENSE.md): `CLIPVG_PHOTOS=/tmp/photos cargo test --release -p clipvg-cli --test cli vectorize:: -- --ignored`.
#[test]
#[ignore = "regenerates checked-in fixtures"]
fn regenerate_fixture_photos() {
    let dir = PathBuf::from(std::env::var("CLIPVG_PHOTOS").expect("CLIPVG_PHOTOS=folder of the full photos"));
    for name in PHOTOS {
        let img = bitmap::open(&dir.join(format!("{name}.png"))).unwrap();
        let (w, h) = bitmap::working_size(img.width(), img.height(), Some(128)).unwrap();
        let small = image::DynamicImage::ImageRgba8(bitmap::resize(&img, w, h)).to_rgb8();
        small.save(photo(name)).unwrap();
    }
}

#[test]
fn several_images_of_a_prefixed_document_in_one_pass() {
    let small = bitmap::resize(&bitmap::open(&photo("coffee")).unwrap(), 48, 32);
    let uri = format!("data:image/png;base64,{}", bitmap::base64_encode(&png_bytes(&small)));
    let src = format!(
        "<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"40\">\n\
         <svg:image id=\"a\" width=\"48\" height=\"32\" href=\"{uri}\"/>\n\
         <svg:image x=\"50\" href=\"{uri}\"><svg:title>no id</svg:title></svg:image>\n</svg:svg>\n"
    );
    let doc = Document::parse(src.as_str()).unwrap();
    let images = clipvg::vectorize::image_elements(&doc);
    assert_eq!(images.len(), 2);
    let options = VectorizeOptions { rounds: parse_rounds("coarse,fine").unwrap(), ..traced() };
    let out = clipvg::vectorize::vectorize_images(&doc, &images, &options, &mut never_cancel()).unwrap();
    assert_eq!(out.images.iter().map(|i| i.id_prefix.as_str()).collect::<Vec<_>>(), ["clipvg-a", "clipvg-image2"]);
    assert!(out.svg.contains("<svg:g id=\"a\" transform=\"matrix(1 0 0 1 0 0)\">"), "{}", &out.svg[..300]);
    assert!(out.svg.contains("<svg:g transform=\"matrix(1 0 0 1 50 0)\">"));
    let new = Document::parse(out.svg.as_str()).unwrap();
    assert!(new.by_id("clipvg-a-r2-0").is_some() && new.by_id("clipvg-image2-round-1").is_some());
    assert!(clipvg::vectorize::image_elements(&new).is_empty());
    let built = build(&new, &Default::default()).unwrap();
    assert_eq!(built.scene.shapes.len(), out.images.iter().map(|i| i.report.paths()).sum::<usize>());
}

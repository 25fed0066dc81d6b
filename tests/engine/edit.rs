//! The CLIPVG edit with the tiny CLIP model A (random weights, 64² input): the loss falls, only
//! the selected elements change, modes freeze what they say, seeds reproduce, cancel returns a
//! valid document, image targets pull the render towards them, and the loss and its gradient
//! for a fixed view equal an independent computation.

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use clipvg::clip::{directional_loss, normalize};
use clipvg::edit::text::embed_text;
use clipvg::edit::views::{View, sample_views, whole_view};
use clipvg::edit::{EditMode, EditRequest, Hooks, Model, Roi, Stop, edit};
use clipvg::svg::Document;

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="96" height="96" viewBox="0 0 96 96">
  <rect id="bg" width="96" height="96" fill="#e0e0ff"/>
  <g id="pair" inkscape:label="two shapes">
    <path id="a" d="M 20 20 C 40 10 60 20 70 40 C 60 60 40 70 20 60 Z" fill="#c04020"/>
    <circle id="b" cx="60" cy="60" r="18" fill="#2060c0" fill-opacity="0.8"/>
  </g>
  <path id="c" d="M 10 80 L 40 70 L 30 90 Z" fill="#20a040"/>
</svg>
"##;

fn model() -> Model {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/A");
    Model::from_dir(&dir, clipvg::compute::cpu_device()).unwrap()
}

fn request(select: &[&str], iterations: usize, seed: u64) -> EditRequest {
    EditRequest {
        prompt: Some("a red apple".into()),
        rois: select
            .iter()
            .map(|s| Roi { element: Some(s.to_string()), n_patches: Some(3), ..Default::default() })
            .collect(),
        iterations,
        render_size: 96,
        seed,
        prompt_templates: false,
        ..Default::default()
    }
}

fn run(doc: &Document, req: &EditRequest, m: &Model) -> clipvg::edit::EditOutcome {
    let mut progress = |_: &clipvg::edit::Progress| true;
    edit(doc, req, m, Hooks { progress: &mut progress, snapshot: None }).unwrap()
}

/// Element name and plain attributes, per element id.
fn attrs(doc: &Document, id: &str) -> (String, Vec<(String, String)>) {
    let e = doc.element(doc.require_id(id).unwrap());
    (e.name.clone(), e.attributes.iter().map(|a| (a.name.clone(), a.value.clone())).collect())
}

#[test]
fn loss_decreases_and_only_the_selection_changes() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let out = run(&doc, &request(&["pair"], 30, 1), &m);
    let l = &out.report.losses;
    assert_eq!(l.len(), 30);
    let head = l[..5].iter().sum::<f32>() / 5.0;
    let tail = l[25..].iter().sum::<f32>() / 5.0;
    assert!(tail < head * 0.95, "loss did not fall: first {head}, last {tail}");
    let new = Document::parse(out.svg.clone()).unwrap();
    for id in ["bg", "c", "pair"] {
        assert_eq!(attrs(&doc, id), attrs(&new, id), "{id} changed");
    }
    for id in ["a", "b"] {
        assert_ne!(attrs(&doc, id), attrs(&new, id), "{id} did not change");
    }
    assert_eq!(new.len(), doc.len());
    let mut changed = out.report.changed.clone();
    changed.sort();
    assert_eq!(changed, vec!["a", "b"]);
}

#[test]
fn colour_mode_keeps_geometry_and_shape_mode_keeps_colours() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let mut req = request(&["a", "b"], 8, 2);
    req.mode = EditMode::Colour;
    let out = Document::parse(run(&doc, &req, &m).svg).unwrap();
    assert_eq!(
        doc.element(doc.require_id("a").unwrap()).attr("d"),
        out.element(out.require_id("a").unwrap()).attr("d")
    );
    let b = out.element(out.require_id("b").unwrap());
    assert_eq!(b.name, "circle", "a colour edit must not turn the circle into a path");
    assert_ne!(attrs(&doc, "a"), attrs(&out, "a"), "colours should change");

    req.mode = EditMode::Shape;
    let out = Document::parse(run(&doc, &req, &m).svg).unwrap();
    for id in ["a", "b"] {
        let (o, n) = (doc.element(doc.require_id(id).unwrap()), out.element(out.require_id(id).unwrap()));
        assert_eq!(o.attr("fill"), n.attr("fill"));
        assert_eq!(o.attr("fill-opacity"), n.attr("fill-opacity"));
        assert!(n.attr("style").is_none());
        assert_ne!(o.attr("d"), n.attr("d"));
    }
}

#[test]
fn seeds_reproduce_and_differ() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let a = run(&doc, &request(&["a"], 5, 7), &m).svg;
    let b = run(&doc, &request(&["a"], 5, 7), &m).svg;
    let c = run(&doc, &request(&["a"], 5, 8), &m).svg;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn cancel_stops_within_one_iteration_with_a_valid_document() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let mut calls = 0;
    let mut progress = |p: &clipvg::edit::Progress| {
        calls += 1;
        p.iteration < 2
    };
    let out = edit(&doc, &request(&["a"], 50, 3), &m, Hooks { progress: &mut progress, snapshot: None }).unwrap();
    assert_eq!(out.report.iterations_done, 2);
    assert_eq!(out.report.stop, Stop::Cancelled);
    assert_eq!(calls, 2);
    Document::parse(out.svg).unwrap();
}

#[test]
fn snapshots_come_every_k_iterations() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let mut seen = Vec::new();
    let mut progress = |_: &clipvg::edit::Progress| true;
    let mut snap = |it: usize, svg: &str| {
        Document::parse(svg).unwrap();
        seen.push(it);
    };
    edit(&doc, &request(&["a"], 7, 3), &m, Hooks { progress: &mut progress, snapshot: Some((3, &mut snap)) }).unwrap();
    assert_eq!(seen, vec![3, 6]);
}

#[test]
fn bad_requests_are_clear_errors() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let mut progress = |_: &clipvg::edit::Progress| true;
    let mut go = |req: EditRequest| {
        edit(&doc, &req, &m, Hooks { progress: &mut progress, snapshot: None }).unwrap_err().to_string()
    };
    assert!(go(request(&["nope"], 1, 0)).contains("nope"));
    let mut r = request(&[], 1, 0);
    assert!(go(r.clone()).contains("nothing to edit"));
    r.rois.push(Roi::rect([500.0, 500.0, 10.0, 10.0]));
    assert!(go(r).contains("outside the canvas"));
    let mut r = request(&["a"], 1, 0);
    r.prompt = Some("".into());
    assert!(go(r).contains("prompt"));
}

/// Bilinear sampling (align_corners = false, zero padding) of an `h × w × 3` image at
/// normalised grid points, with the weights it used: an independent implementation of the
/// views (plain loops, no burn).
fn sample_cpu(img: &[f32], w: usize, h: usize, grid: &[f32]) -> (Vec<f32>, Vec<[(usize, f32); 4]>) {
    let n = grid.len() / 2;
    let mut out = vec![0.0; n * 3];
    let mut taps = Vec::with_capacity(n);
    for i in 0..n {
        let x = ((grid[2 * i] + 1.0) * w as f32 - 1.0) / 2.0;
        let y = ((grid[2 * i + 1] + 1.0) * h as f32 - 1.0) / 2.0;
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let mut t = [(usize::MAX, 0.0); 4];
        for (k, (dx, dy, wt)) in
            [(0, 0, (1.0 - fx) * (1.0 - fy)), (1, 0, fx * (1.0 - fy)), (0, 1, (1.0 - fx) * fy), (1, 1, fx * fy)]
                .into_iter()
                .enumerate()
        {
            let (xi, yi) = (x0 as i64 + dx, y0 as i64 + dy);
            if xi >= 0 && yi >= 0 && (xi as usize) < w && (yi as usize) < h {
                let p = yi as usize * w + xi as usize;
                t[k] = (p, wt);
                for c in 0..3 {
                    // (img − 1) sampled with zero padding, plus 1.
                    out[c * n + i] += wt * (img[p * 3 + c] - 1.0);
                }
            }
        }
        for c in 0..3 {
            out[c * n + i] += 1.0;
        }
        taps.push(t);
    }
    (out, taps)
}

#[test]
fn fixed_view_loss_and_gradient_match_an_independent_computation() {
    let m = model();
    let device = m.device.clone().autodiff();
    let s = m.clip.image_size();
    let (w, h) = (80usize, 72usize);
    // A smooth test image, as if rendered.
    let img: Vec<f32> = (0..w * h * 3)
        .map(|i| {
            let (p, c) = (i / 3, i % 3);
            let (x, y) = ((p % w) as f32, (p / w) as f32);
            0.5 + 0.4 * ((x * 0.13 + c as f32).sin() * (y * 0.07 - c as f32).cos())
        })
        .collect();
    let view: View = whole_view([10.0, 6.0, 50.0, 40.0], s, None::<&mut rand_chacha::ChaCha8Rng>);
    let txt = embed_text(&m.clip, &m.tokenizer, "a red apple", false, &device).unwrap();
    let txt0 = embed_text(&m.clip, &m.tokenizer, "A photo", false, &device).unwrap();
    let img0 = Tensor::<2>::ones([1, m.clip.projection_dim()], &device);

    // (a) The edit's pipeline: render tensor → view sampling → CLIP → directional loss.
    let render =
        Tensor::<1>::from_data(TensorData::new(img.clone(), [h * w * 3]), &device).reshape([h, w, 3]).require_grad();
    let rgba = Tensor::cat(vec![render.clone(), Tensor::ones([h, w, 1], &device)], 2);
    let pixels = sample_views(rgba, &[view], s);
    let loss = directional_loss(m.clip.encode_image(normalize(pixels)), img0.clone(), txt.clone(), txt0.clone());
    let la = loss.clone().into_scalar::<f32>();
    let grads = loss.backward();
    let ga: Vec<f32> = render.grad(&grads).unwrap().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();

    // (b) Independent: plain-loop bilinear sampling at the same grid, 2×2 box average, CLIP on
    // those pixels, and the gradient carried back by the transpose of the same weights.
    let ss = 2;
    let grid = clipvg::edit::views::sampling_grid(&[view], s, ss, w as u32, h as u32);
    let (fine, taps) = sample_cpu(&img, w, h, &grid);
    let n = s * ss;
    let mut pix = vec![0.0f32; 3 * s * s];
    for c in 0..3 {
        for j in 0..s {
            for i in 0..s {
                let mut acc = 0.0;
                for (dj, di) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    acc += fine[c * n * n + (ss * j + dj) * n + ss * i + di];
                }
                pix[c * s * s + j * s + i] = acc / 4.0;
            }
        }
    }
    let pixels =
        Tensor::<1>::from_data(TensorData::new(pix, [3 * s * s]), &device).reshape([1, 3, s, s]).require_grad();
    let loss = directional_loss(m.clip.encode_image(normalize(pixels.clone())), img0, txt, txt0);
    let lb = loss.clone().into_scalar::<f32>();
    let grads = loss.backward();
    let gpix: Vec<f32> = pixels.grad(&grads).unwrap().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
    let mut gb = vec![0.0f32; w * h * 3];
    for c in 0..3 {
        for j in 0..n {
            for i in 0..n {
                let g = gpix[c * s * s + (j / ss) * s + i / ss] / 4.0;
                for &(p, wt) in &taps[j * n + i] {
                    if p != usize::MAX {
                        gb[p * 3 + c] += wt * g;
                    }
                }
            }
        }
    }
    assert!((la - lb).abs() < 1e-5, "loss {la} vs {lb}");
    let scale = gb.iter().fold(0.0f32, |a, v| a.max(v.abs()));
    assert!(scale > 0.0);
    let err = ga.iter().zip(&gb).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(err <= 1e-3 * scale, "gradient differs by {err} (max |g| {scale})");
}

#[test]
fn image_target_moves_the_render_towards_it() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    // The target: the same picture with the two shapes recoloured and moved.
    let target_svg = SVG.replace("#c04020", "#20c0c0").replace("#2060c0", "#f0d000").replace("cx=\"60\"", "cx=\"45\"");
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.png");
    let tdoc = Document::parse(target_svg).unwrap();
    let scene = clipvg::scene::build(&tdoc, &Default::default()).unwrap().scene;
    clipvg::raster::render(&scene, 96, 96, [1.0; 4]).unwrap().to_rgba8().save(&target).unwrap();

    let device = m.device.clone().autodiff();
    let proc = clipvg::clip::ImageProcessor::new(m.clip.image_size());
    let embed_png =
        |p: &std::path::Path| m.clip.encode_image(proc.to_tensor(&[proc.preprocess_file(p).unwrap()], &device));
    let cos = |a: Tensor<2>, b: Tensor<2>| clipvg::clip::loss::cosine_similarity(a, b).into_scalar::<f32>();
    let t = embed_png(&target);
    let before_png = dir.path().join("before.png");
    let s0 = clipvg::scene::build(&doc, &Default::default()).unwrap().scene;
    clipvg::raster::render(&s0, 96, 96, [1.0; 4]).unwrap().to_rgba8().save(&before_png).unwrap();
    let before = cos(embed_png(&before_png), t.clone());

    let mut req = request(&["a", "b"], 40, 4);
    req.prompt = None;
    req.target_image = Some(target.clone());
    let out = run(&doc, &req, &m);
    let after_png = dir.path().join("after.png");
    let s1 = clipvg::scene::build(&Document::parse(out.svg).unwrap(), &Default::default()).unwrap().scene;
    clipvg::raster::render(&s1, 96, 96, [1.0; 4]).unwrap().to_rgba8().save(&after_png).unwrap();
    let after = cos(embed_png(&after_png), t);
    assert!(after > before, "CLIP cosine to the target: before {before}, after {after}");
}

#[test]
fn xing_loss_penalises_self_intersecting_cubics_only() {
    use clipvg::edit::loss::xing_loss;
    let device = clipvg::compute::cpu_device().autodiff();
    let pts = |v: &[[f32; 2]]| {
        Tensor::<2>::from_data(TensorData::new(v.iter().flatten().copied().collect::<Vec<_>>(), [v.len(), 2]), &device)
    };
    // A simple arc: both turns agree.
    let simple = pts(&[[0.0, 0.0], [1.0, 1.0], [2.0, 1.0], [3.0, 0.0]]);
    assert_eq!(xing_loss(simple, &[[0, 1, 2, 3]]).into_scalar::<f32>(), 0.0);
    // A loop: the control polygon crosses itself.
    let looped = pts(&[[0.0, 0.0], [3.0, 2.0], [0.0, 2.0], [3.0, 0.0]]);
    let l = xing_loss(looped.clone(), &[[0, 1, 2, 3]]).into_scalar::<f32>();
    assert!(l > 0.1, "{l}");
    // Its gradient undoes the loop.
    let p = looped.require_grad();
    let g = p.grad(&xing_loss(p.clone(), &[[0, 1, 2, 3]]).backward()).unwrap();
    let moved = p.inner() - g * 0.5;
    assert!(xing_loss(Tensor::from_inner(moved), &[[0, 1, 2, 3]]).into_scalar::<f32>() < l);
}

#[test]
fn background_layer_is_trained_and_written_as_the_first_child() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let mut req = request(&["a"], 4, 5);
    req.background_layer = Some(clipvg::edit::request::BackgroundLayer::Colour([0.5, 0.5, 0.5, 1.0]));
    let out = run(&doc, &req, &m);
    let new = Document::parse(out.svg.clone()).unwrap();
    let root = new.element(new.root());
    let first = new.element(root.children[0]);
    assert_eq!(first.id(), Some("clipvg-background"));
    assert_eq!(first.name, "path");
    assert!(out.report.changed.contains(&"clipvg-background".to_string()));
    // Everything else as before: the same elements after it.
    assert_eq!(new.len(), doc.len() + 1);
    for id in ["bg", "c", "pair", "b"] {
        assert_eq!(attrs(&doc, id), attrs(&new, id), "{id} changed");
    }
    // Written by write-back in its number format: the opacity as the shortest number (not
    // `1.0000`), and it re-builds into the first shape, a closed path of four cubic segments.
    let opacity = first.attr("fill-opacity").unwrap();
    assert!(opacity.parse::<f32>().is_ok_and(|o| (0.0..=1.0).contains(&o)), "{opacity}");
    assert!(opacity == "0" || !(opacity.ends_with('0') || opacity.ends_with('.')), "{opacity}");
    let rebuilt = clipvg::scene::build(&new, &Default::default()).unwrap().scene;
    let sp = rebuilt.subpaths[rebuilt.shapes[0].subpaths.start as usize];
    assert!(sp.closed && sp.segments == 4, "{sp:?}");

    // Colour mode: the rectangle keeps its points, so its path data is known exactly; shape
    // mode: the colour is not trained, so the fill is the one asked for.
    for (mode, attribute, want) in [
        (EditMode::Colour, "d", "M 0,0 C 32,0 64,0 96,0 C 96,32 96,64 96,96 C 64,96 32,96 0,96 C 0,64 0,32 0,0 Z"),
        (EditMode::Shape, "fill", "#808080"),
        (EditMode::Shape, "fill-opacity", "1"),
    ] {
        let out = run(&doc, &EditRequest { mode, ..req.clone() }, &m);
        let new = Document::parse(out.svg).unwrap();
        let first = new.element(new.element(new.root()).children[0]);
        assert_eq!(first.attr(attribute), Some(want), "{mode:?}");
    }
}

#[test]
fn the_background_layer_goes_before_a_leading_comment_and_defs() {
    let m = model();
    let (head, body) = SVG.split_at(SVG.find('>').unwrap() + 1);
    let lead = "\n  <!-- a leading comment -->\n  <defs><linearGradient id=\"lg\"/></defs>";
    let src = format!("{head}{lead}{body}");
    let doc = Document::parse(src.as_str()).unwrap();
    let mut req = request(&["a"], 2, 5);
    req.background_layer = Some(clipvg::edit::request::BackgroundLayer::Colour([0.5, 0.5, 0.5, 1.0]));
    let out = run(&doc, &req, &m).svg;
    // The root's start tag, then the layer, then the leading comment and defs byte for byte.
    let rest = out.strip_prefix(head).unwrap().strip_prefix("<path id=\"clipvg-background\" d=\"M ").unwrap();
    let after = &rest[rest.find("/>").unwrap() + 2..];
    assert!(
        after.starts_with(&format!("{lead}\n  <rect id=\"bg\" width=\"96\" height=\"96\" fill=\"#e0e0ff\"/>")),
        "{out}"
    );
}

#[test]
fn the_edit_runs_on_wgpu_and_agrees_with_the_cpu() {
    assert!(!clipvg::compute::adapters().is_empty(), "no wgpu adapter: install mesa-vulkan-drivers (lavapipe)");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/A");
    let gpu = Model::from_dir(&dir, clipvg::compute::device_for(clipvg::compute::BackendChoice::Gpu).unwrap()).unwrap();
    let cpu = model();
    let doc = Document::parse(SVG).unwrap();
    let req = request(&["a"], 2, 9);
    let (g, c) = (run(&doc, &req, &gpu), run(&doc, &req, &cpu));
    assert_eq!(g.report.changed, vec!["a"]);
    // Same seed, same views: the first loss agrees up to float summation order.
    let (lg, lc) = (g.report.losses[0], c.report.losses[0]);
    assert!((lg - lc).abs() <= 1e-3 * lc.abs(), "GPU loss {lg} vs CPU loss {lc}");
}

#[test]
fn an_f16_edit_on_wgpu_agrees_with_the_f32_one() {
    use burn::tensor::FloatDType;
    use clipvg::compute::{BackendChoice, cpu_device, device_for};
    use clipvg::edit::clip_dtype;
    use clipvg::request::ClipPrecision;
    // The choice: f32 on the CPU, an error for f16 there; `auto` is f32 on a software adapter
    // (lavapipe in CI), f16 where asked on an adapter that has it.
    assert_eq!(clip_dtype(ClipPrecision::Auto, &cpu_device()).unwrap(), FloatDType::F32);
    let err = clip_dtype(ClipPrecision::F16, &cpu_device()).unwrap_err().to_string();
    assert!(err.contains("needs the GPU backend"), "{err}");
    let device = device_for(BackendChoice::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    let hardware = clipvg::compute::has_hardware_gpu();
    let auto = if hardware { FloatDType::F16 } else { FloatDType::F32 };
    assert_eq!(clip_dtype(ClipPrecision::Auto, &device).unwrap(), auto);
    assert_eq!(clip_dtype(ClipPrecision::F16, &device).unwrap(), FloatDType::F16);

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/A");
    let f32_model = Model::from_dir(&dir, device.clone()).unwrap();
    let mut f16_model = Model::from_dir(&dir, device).unwrap();
    f16_model.clip = f16_model.clip.with_dtype(FloatDType::F16);
    let doc = Document::parse(SVG).unwrap();
    let req = request(&["a"], 2, 9);
    let (h, f) = (run(&doc, &req, &f16_model), run(&doc, &req, &f32_model));
    assert_eq!(h.report.changed, vec!["a"]);
    let (lh, lf) = (h.report.losses[0], f.report.losses[0]);
    assert!((lh - lf).abs() <= 2e-3 * lf.abs().max(1.0), "f16 loss {lh} vs f32 loss {lf}");
}

#[test]
fn the_gpu_batch_of_views_is_sized_to_the_adapters_memory() {
    use burn::tensor::FloatDType;
    use clipvg::compute::{BackendChoice, cpu_device, device_for, device_memory};
    use clipvg::edit::loss::{CPU_CLIP_BATCH, clip_batch, gpu_batch};
    use clipvg::edit::views::clip_bytes_per_view;
    // Half the memory's worth of views, at least one.
    assert_eq!(gpu_batch(8_000_000_000, 50_000_000), 80);
    assert_eq!(gpu_batch(10, 50), 1);
    let cpu = model();
    assert_eq!(clip_batch(&cpu_device(), &cpu.clip), CPU_CLIP_BATCH);
    assert_eq!(device_memory(&cpu_device()), None);
    let device = device_for(BackendChoice::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    let memory = device_memory(&device).expect("Vulkan states its device-local heap (lavapipe: system memory)");
    assert!(memory > 1 << 26, "{memory} bytes");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/A");
    let m = Model::from_dir(&dir, device.clone()).unwrap();
    let per_view = clip_bytes_per_view(&m.clip);
    assert_eq!(clip_batch(&device, &m.clip), gpu_batch(memory, per_view));
    // Half precision halves a view's activations.
    assert_eq!(clip_bytes_per_view(&m.clip.clone().with_dtype(FloatDType::F16)) * 2, per_view);
}

#[test]
fn budgets_are_checked_before_the_first_iteration() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    for (field, set) in [
        (
            "memory_bytes",
            (|l: &mut clipvg::raster::Limits| l.memory_bytes = 1 << 20) as fn(&mut clipvg::raster::Limits),
        ),
        ("flattened_lines", |l| l.flattened_lines = 10),
        ("render_pixels", |l| l.render_pixels = 95 * 95),
    ] {
        let mut req = request(&["a"], 3, 1);
        set(&mut req.limits);
        let mut calls = 0;
        let mut progress = |_: &clipvg::edit::Progress| {
            calls += 1;
            true
        };
        let err = edit(&doc, &req, &m, Hooks { progress: &mut progress, snapshot: None }).unwrap_err();
        assert!(matches!(&err, clipvg::Error::Limit(l) if l.field == field), "{field}: {err}");
        assert_eq!(calls, 0, "{field}");
    }
    // The defaults let the test edits run.
    let req = request(&["a"], 1, 1);
    assert_eq!(req.limits, clipvg::raster::Limits::default());
    run(&doc, &req, &m);
}

/// Model B's text tower has 16 positions and a 1,000-token vocabulary, so CLIP's tokenizer does
/// not fit it: the edit is a clean CLIP error naming the id, not a panic (it was "GPU error:
/// sequence length 77 is outside 1..=16"). The prompt is cut to the tower's 16 positions first.
#[test]
fn a_model_whose_vocabulary_does_not_fit_the_tokenizer_is_a_clean_error() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/B");
    let m = Model::from_dir(&dir, clipvg::compute::cpu_device()).unwrap();
    assert_eq!(m.clip.config().text_config.max_position_embeddings, 16);
    let doc = Document::parse(SVG).unwrap();
    let mut progress = |_: &clipvg::edit::Progress| true;
    let e = edit(&doc, &request(&["a"], 2, 5), &m, Hooks { progress: &mut progress, snapshot: None }).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, clipvg::Error::Clip(_)), "{e:?}");
    assert!(text.contains("outside the vocabulary"), "{text}");
}

/// Prompts are cut to a short text tower's context: `[BOS] + tokens + [EOS]`, padding EOS.
#[test]
fn token_rows_fit_a_short_context() {
    let t = clipvg::clip::ClipTokenizer::default_clip().unwrap();
    let (bos, eos) = t.special_ids();
    let rows = t
        .encode_batch(&[
            "a photo",
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen",
        ])
        .unwrap();
    let ids = clipvg::clip::ids_tensor_fit(&rows, 8, &clipvg::compute::cpu_device());
    assert_eq!(ids.dims(), [2, 8]);
    let v: Vec<i64> = ids.into_data().convert::<i64>().try_into_vec::<i64>().unwrap();
    let (short, long) = v.split_at(8);
    assert_eq!(short[0], bos as i64);
    assert_eq!(short[1..3], rows[0][1..3].iter().map(|&x| x as i64).collect::<Vec<_>>()[..]);
    assert!(short[3..].iter().all(|&x| x == eos as i64), "{short:?}");
    assert_eq!(long[0], bos as i64);
    assert_eq!(long[1..7], rows[1][1..7].iter().map(|&x| x as i64).collect::<Vec<_>>()[..]);
    assert_eq!(long[7], eos as i64, "a cut row ends in EOS");
}

/// An element ROI is the element's box whether or not a background layer is added under every
/// shape (the layer is shape 0 of the edited scene; the ROI used to be looked up one shape off).
#[test]
fn element_rois_are_the_same_with_a_background_layer() {
    let doc = Document::parse(SVG).unwrap();
    let plain = request(&["c", "pair"], 1, 0);
    let layered = EditRequest { background_layer: Some(clipvg::request::BackgroundLayer::Grey(true)), ..plain.clone() };
    let rects = |req: &EditRequest| -> Vec<[f64; 4]> {
        let plan = clipvg::edit::plan::plan(&doc, req, &mut clipvg_document::no_progress()).unwrap();
        plan.rois.iter().map(|r| r.rect).collect()
    };
    let want = rects(&plain);
    // c is the triangle (10,70)–(40,90); pair spans the path and the circle.
    assert_eq!(want[0], [10.0, 70.0, 30.0, 20.0]);
    assert_eq!(rects(&layered), want);
}

/// The fast preset moves as far as the paper's: an image-guided recolour of a solid blue square
/// towards a red picture ends about as far from blue after fast's 40 iterations (learning rate
/// × 150/40) as after the paper's 150, while 40 iterations at the paper's rate fall short.
/// Patches and render size are overridden alike, so only iterations and learning rates differ.
#[test]
fn the_fast_preset_moves_as_far_as_the_paper() {
    use clipvg::edit::Preset;
    let square = |fill: &str| {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#ffffff"/><rect id="s" x="8" y="8" width="48" height="48" fill="{fill}"/></svg>"##
        )
    };
    let m = model();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("red.png");
    let red = clipvg::scene::build(&Document::parse(square("#ff0000")).unwrap(), &Default::default()).unwrap().scene;
    clipvg::raster::render(&red, 64, 64, [1.0; 4]).unwrap().to_rgba8().save(&target).unwrap();
    let doc = Document::parse(square("#0000ff")).unwrap();
    // Distance of the square's fill from blue after an edit with `preset`'s settings (and `lr`
    // for the colour, if given).
    let moved = |preset: Preset, colour_lr: Option<f32>| -> f64 {
        let mut req = EditRequest {
            rois: vec![Roi::element("s")],
            target_image: Some(target.clone()),
            mode: EditMode::Colour,
            seed: 3,
            ..Default::default()
        };
        req.apply_preset(preset);
        req.n_patches = 2;
        req.render_size = 64;
        if let Some(lr) = colour_lr {
            req.colour_lr = lr;
        }
        let out = run(&doc, &req, &m);
        let new = Document::parse(out.svg).unwrap();
        let fill = new.element(new.require_id("s").unwrap()).attr("fill").unwrap().to_string();
        let rgb = clipvg::svg::paint::parse_color(&fill).unwrap_or_else(|| panic!("fill {fill}"));
        (rgb[0].powi(2) + rgb[1].powi(2) + (rgb[2] - 1.0).powi(2)).sqrt()
    };
    let paper = moved(Preset::Paper, None);
    let fast = moved(Preset::Fast, None);
    let unscaled = moved(Preset::Fast, Some(Preset::Paper.settings().colour_lr));
    eprintln!("distance from blue: paper {paper:.3}, fast {fast:.3}, fast at the paper's rate {unscaled:.3}");
    assert!(paper > 0.2, "the paper's edit moved the colour: {paper}");
    assert!((fast - paper).abs() <= 0.3 * paper, "fast {fast} vs paper {paper}");
    assert!(unscaled < 0.7 * paper, "40 steps at the paper's rate should fall short: {unscaled} vs {paper}");
}

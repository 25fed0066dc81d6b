//! Determinism (issue 10 item 7): the same input, request and seed give the same bytes on every
//! run. The CPU rasterizer's forward image and gradients are the same bits for any rayon thread
//! count; a whole edit with the tiny CLIP model gives byte-identical SVG on repeated runs on a
//! multi-threaded pool.
//!
//! Every run goes through a local rayon pool (`ThreadPool::install`), so the thread counts are
//! the ones named here whatever the machine or `RAYON_NUM_THREADS` say.

use std::path::PathBuf;

use clipvg::edit::{EditRequest, Hooks, Model, Roi, edit};
use clipvg::raster::Frame;
use clipvg::scene::{BuildOptions, Scene, Trainable, build};
use clipvg::svg::Document;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scene_of(path: &str) -> Scene {
    let doc = Document::open(root().join(path)).unwrap();
    build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap().scene
}

/// Forward image and gradients (points, colours, widths) as raw bits.
fn raster_bits(scene: &Scene, size: u32, weights: &[f32]) -> (Vec<u32>, Vec<u32>) {
    let f = Frame::new(scene, size, size, [1.0, 1.0, 1.0, 1.0]).unwrap();
    let img = f.render_cpu(scene);
    let g = f.backward_cpu(scene, weights).unwrap();
    let mut grads: Vec<u32> = g.points.iter().flatten().map(|v| v.to_bits()).collect();
    grads.extend(g.colors.iter().flatten().map(|v| v.to_bits()));
    grads.extend(g.stroke_widths.iter().map(|v| v.to_bits()));
    (img.data.iter().map(|v| v.to_bits()).collect(), grads)
}

fn weights(size: u32) -> Vec<f32> {
    // A fixed pseudo-random dL/d image (xorshift), signed, so sums cancel and rounding shows.
    let mut s = 0x2545_f491_4f6c_dd1du64;
    (0..size as usize * size as usize * 4)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn first_difference(a: &[u32], b: &[u32]) -> Option<(usize, f32, f32)> {
    a.iter().zip(b).position(|(x, y)| x != y).map(|i| (i, f32::from_bits(a[i]), f32::from_bits(b[i])))
}

#[test]
fn cpu_raster_forward_and_backward_are_the_same_bits_for_any_thread_count() {
    for (path, size) in [("examples/horseriding.svg", 320), ("benches/scenes/n256_s512.svg", 256)] {
        let scene = scene_of(path);
        let w = weights(size);
        let (img1, grad1) = pool(1).install(|| raster_bits(&scene, size, &w));
        assert!(grad1.iter().any(|b| f32::from_bits(*b) != 0.0), "{path}: the gradient is all zero");
        for threads in [2, 3, 4] {
            let p = pool(threads);
            for run in 0..3 {
                let (img, grad) = p.install(|| raster_bits(&scene, size, &w));
                assert_eq!(first_difference(&img1, &img), None, "{path}: image, {threads} threads, run {run}");
                assert_eq!(grad1.len(), grad.len());
                assert_eq!(first_difference(&grad1, &grad), None, "{path}: gradient, {threads} threads, run {run}");
            }
        }
    }
}

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <rect id="bg" width="64" height="64" fill="#e0e0ff"/>
  <path id="a" d="M 12 12 C 26 6 40 12 46 26 C 40 40 26 46 12 40 Z" fill="#c04020"/>
  <circle id="b" cx="40" cy="40" r="12" fill="#2060c0" fill-opacity="0.8" stroke="#103060" stroke-width="2"/>
  <path id="c" d="M 6 54 L 26 46 L 20 60 Z" fill="#20a040"/>
</svg>
"##;

/// The edit both whole-edit tests run: the apple with its ROI and the whole canvas, `seed`.
fn apple_request(seed: u64) -> EditRequest {
    EditRequest {
        prompt: Some("a red apple".into()),
        rois: vec![Roi { element: Some("a".into()), n_patches: Some(2), ..Default::default() }],
        select: vec!["a".into(), "b".into()],
        whole_canvas_roi: true,
        whole_canvas_patches: Some(2),
        iterations: 4,
        render_size: 64,
        seed,
        prompt_templates: false,
        ..Default::default()
    }
}

/// The edited SVG of `req` on `doc` with `model`.
fn edited(doc: &Document, req: &EditRequest, model: &Model) -> String {
    let mut progress = |_: &clipvg::edit::Progress| true;
    edit(doc, req, model, Hooks { progress: &mut progress, snapshot: None }).unwrap().svg
}

#[test]
fn same_seed_edits_on_a_multithreaded_pool_are_byte_identical() {
    let model = Model::from_dir(&root().join("tests/fixtures/clip/A"), clipvg::compute::cpu_device()).unwrap();
    let doc = Document::parse(SVG).unwrap();
    let req = apple_request(11);
    let run = || edited(&doc, &req, &model);
    let first = pool(1).install(run);
    assert_ne!(first, SVG, "the edit changed nothing");
    let mut outputs = Vec::new();
    for threads in [2, 4] {
        let p = pool(threads);
        for _ in 0..5 {
            outputs.push((threads, p.install(run)));
        }
    }
    let distinct: std::collections::BTreeSet<&str> = outputs.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(distinct.len(), 1, "{} different outputs from 10 same-seed edits", distinct.len());
    // Across thread counts too: nothing in the edit's CPU path depends on the split of work.
    assert_eq!(outputs[0].1, first, "2 threads and 1 thread give different outputs");
}

/// Two GPU edits at once on two threads of one process — a host with two documents open — both
/// finish, each with the bytes the same edit gives alone. (cubecl's kernel-choice database once
/// panicked here, inside its write-ahead log: `compute::configure_gpu_runtime`.)
#[test]
fn gpu_edits_on_two_threads_at_once_give_the_bytes_of_one_alone() {
    use clipvg::compute::{BackendChoice, device_for};
    let device = device_for(BackendChoice::Gpu).expect("a wgpu adapter: install mesa-vulkan-drivers (lavapipe)");
    let model = Model::from_dir(&root().join("tests/fixtures/clip/A"), device).unwrap();
    let doc = Document::parse(SVG).unwrap();
    let run = |seed| edited(&doc, &apple_request(seed), &model);
    let alone = [run(1), run(2)];
    assert_ne!(alone[0], alone[1], "two seeds, two edits");
    for _ in 0..3 {
        let together = std::thread::scope(|s| {
            let a = s.spawn(|| run(1));
            let b = s.spawn(|| run(2));
            [a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(together, alone, "an edit run beside another gives other bytes");
    }
}

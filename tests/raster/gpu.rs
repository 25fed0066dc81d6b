//! The WGSL stages against their CPU twins: every shader is validated by naga, each stage run
//! alone equals its CPU twin of the same name (`stage_*` tests), and the whole
//! forward and backward pass run on wgpu (Mesa lavapipe in CI, where no GPU exists) must equal
//! the CPU implementation within 1e-4. Also the burn operation on the CPU backend.
//!
//! These tests need a wgpu adapter; CI always has lavapipe, so a missing adapter is a failure
//! with instructions, never a silent skip.

use std::sync::Arc;

use burn::tensor::{Device, Tensor};
use clipvg::raster::op::{RasterJob, render_tensor, scene_tensors};
use clipvg::raster::{Frame, cpu, gpu};
use clipvg::scene::{BuildOptions, Scene, Trainable, build};
use clipvg::svg::Document;

/// Both sides compute in f32 with different summation orders.
const TOLERANCE: f32 = 1e-4;

fn manifest() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gpu_device() -> Device {
    assert!(
        !clipvg::compute::adapters().is_empty(),
        "no wgpu adapter: install Mesa's lavapipe (apt-get install mesa-vulkan-drivers libvulkan1) to run the GPU tests"
    );
    clipvg::compute::device_for(clipvg::compute::BackendChoice::Gpu).expect("the GPU device")
}

fn scene_of(path: &std::path::Path) -> Scene {
    let doc = Document::open(path).unwrap();
    build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap().scene
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}

/// Max |a − b| relative to max |b| (or absolute when b is tiny).
fn rel_max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1.0);
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max) / scale
}

#[test]
fn every_shader_validates_with_naga() {
    for name in gpu::stage_names() {
        let src = gpu::stage_source(name).unwrap();
        let module =
            naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&src)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

fn compare_scene(scene: &Scene, w: u32, h: u32, background: [f32; 4]) {
    let frame = Frame::new(scene, w, h, background).unwrap();
    let cpu = frame.render_cpu(scene);
    let weights: Vec<f32> = (0..cpu.data.len()).map(|i| ((i * 7919 % 1009) as f32 / 504.5) - 1.0).collect();
    let cpu_grad = frame.backward_cpu(scene, &weights).unwrap();

    let device = gpu_device().autodiff();
    let job = RasterJob { scene: Arc::new(scene.clone()), width: w, height: h, background, limits: Default::default() };
    let (p, c, wd) = scene_tensors(scene, &device);
    let (p, c, wd) = (p.require_grad(), c.require_grad(), wd.require_grad());
    let img = render_tensor(p.clone(), c.clone(), wd.clone(), job);
    let gpu_img = to_vec(img.clone().inner());
    let d = rel_max_diff(&gpu_img, &cpu.data);
    assert!(d <= TOLERANCE, "forward differs by {d:e}");

    let wt = Tensor::<1>::from_floats(weights.as_slice(), &device).reshape([h as usize, w as usize, 4]);
    let grads = (img * wt).sum().backward();
    let gp = to_vec(p.grad(&grads).unwrap());
    let gc = to_vec(c.grad(&grads).unwrap());
    let gw = to_vec(wd.grad(&grads).unwrap());
    let cp: Vec<f32> = cpu_grad.points.iter().flatten().copied().collect();
    let cc: Vec<f32> = cpu_grad.colors.iter().flatten().copied().collect();
    let d = rel_max_diff(&gp[..cp.len()], &cp);
    assert!(d <= TOLERANCE, "point gradients differ by {d:e}");
    let d = rel_max_diff(&gc[..cc.len()], &cc);
    assert!(d <= TOLERANCE, "colour gradients differ by {d:e}");
    let d = rel_max_diff(&gw[..cpu_grad.stroke_widths.len()], &cpu_grad.stroke_widths);
    assert!(d <= TOLERANCE, "stroke width gradients differ by {d:e}");
}

#[test]
fn gpu_equals_cpu_on_strokes_gradients_and_rules() {
    for name in ["strokes.svg", "gradients.svg", "rules.svg", "offcanvas.svg"] {
        let scene = scene_of(&manifest().join("tests/fixtures/render").join(name));
        compare_scene(&scene, 96, 80, [1.0; 4]);
        compare_scene(&scene, 64, 64, [0.0; 4]);
    }
}

#[test]
fn gpu_equals_cpu_on_a_benchmark_scene() {
    let scene = scene_of(&manifest().join("benches/scenes/n64_s224.svg"));
    compare_scene(&scene, 224, 224, [1.0; 4]);
}

#[test]
fn gpu_handles_tiny_and_empty_scenes() {
    let doc = Document::parse("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>").unwrap();
    let empty = build(&doc, &BuildOptions::default()).unwrap().scene;
    compare_scene(&empty, 1, 1, [1.0; 4]);
    let scene = scene_of(&manifest().join("tests/fixtures/render/rules.svg"));
    compare_scene(&scene, 1, 1, [1.0; 4]);
}

#[test]
fn burn_op_on_the_cpu_backend_equals_the_direct_cpu_path() {
    let scene = scene_of(&manifest().join("tests/fixtures/render/strokes.svg"));
    let device = clipvg::compute::cpu_device();
    let job = RasterJob {
        scene: Arc::new(scene.clone()),
        width: 50,
        height: 40,
        background: [1.0; 4],
        limits: Default::default(),
    };
    let (p, c, w) = scene_tensors(&scene, &device);
    let img = to_vec(render_tensor(p, c, w, job));
    let direct = Frame::new(&scene, 50, 40, [1.0; 4]).unwrap().render_cpu(&scene);
    assert_eq!(img, direct.data);
}

// Stage by stage: each WGSL stage run alone on lavapipe (through `gpu::StageRunner`) against
// its CPU twin of the same name in `raster::cpu`, on the same inputs (the CPU's outputs of the
// stage before), in the GPU's one-band layout.

/// A fixture prepared at a small size, with the CPU twins' outputs of every stage.
struct Staged {
    name: &'static str,
    scene: Scene,
    frame: Frame,
    /// Every item's first cell (the GPU's `a_off`).
    offsets: Vec<usize>,
    acc: Vec<f32>,
    /// dL/d image.
    grad: Vec<f32>,
    g: Vec<f32>,
    cg: Vec<[f32; 4]>,
    line_slots: Vec<[f32; 4]>,
}

const STAGED: [&str; 4] = ["strokes.svg", "gradients.svg", "rules.svg", "offcanvas.svg"];

fn staged(name: &'static str) -> Staged {
    let scene = scene_of(&manifest().join("tests/fixtures/render").join(name));
    let (w, h) = (48u32, 40u32);
    let frame = Frame::new(&scene, w, h, [1.0, 1.0, 1.0, 0.5]).unwrap();
    let (p, rows) = (&frame.prepared, &frame.rows);
    let offsets: Vec<usize> = gpu::cell_offsets(&rows.items).iter().map(|&o| o as usize).collect();
    let cells = *offsets.last().unwrap();
    let mut acc = vec![0.0; cells];
    for y in 0..h as usize {
        for k in rows.starts[y] as usize..rows.starts[y + 1] as usize {
            cpu::coverage(p, rows, &rows.items[k], y, &mut acc[offsets[k]..offsets[k + 1]]);
        }
    }
    let grad: Vec<f32> = (0..(w * h * 4) as usize).map(|i| ((i * 7919 % 1009) as f32 / 504.5) - 1.0).collect();
    let (mut g, mut cg) = (vec![0.0; cells], vec![[0.0; 4]; cells]);
    let mut scratch = cpu::ReplayScratch::default();
    for y in 0..h as usize {
        let (i0, i1) = (rows.starts[y] as usize, rows.starts[y + 1] as usize);
        let grad_row = &grad[y * w as usize * 4..(y + 1) * w as usize * 4];
        let (items, offs) = (&rows.items[i0..i1], &offsets[i0..i1]);
        cpu::composite_backward(
            &scene,
            p,
            items,
            offs,
            &acc,
            y,
            frame.background,
            grad_row,
            &mut g,
            &mut cg,
            &mut scratch,
        );
    }
    let mut line_slots = vec![[0.0; 4]; rows.line_ids.len()];
    let mut suffix = Vec::new();
    for (k, (it, &y)) in rows.items.iter().zip(&rows.item_rows).enumerate() {
        let slots = &mut line_slots[it.lines()];
        cpu::coverage_backward(p, rows, it, y as usize, &g[offsets[k]..offsets[k + 1]], &mut suffix, slots);
    }
    Staged { name, scene, frame, offsets, acc, grad, g, cg, line_slots }
}

fn flat(v: &[[f32; 4]]) -> Vec<f32> {
    v.iter().flatten().copied().collect()
}

/// Compares one stage's GPU output with its CPU twin's (which must not be all zeros: the
/// comparison has to be able to fail).
fn assert_parity(stage: &str, fixture: &str, gpu: &[f32], cpu: &[f32]) {
    assert!(cpu.iter().any(|v| *v != 0.0), "{stage} on {fixture}: the CPU twin's output is all zeros");
    let d = rel_max_diff(gpu, cpu);
    assert!(d <= TOLERANCE, "{stage} on {fixture}: GPU and CPU twin differ by {d:e}");
}

/// Runs `check` on every staged fixture with a stage runner on the GPU.
fn each_staged(check: impl Fn(&Staged, &gpu::StageRunner)) {
    gpu_device();
    for name in STAGED {
        let s = staged(name);
        let runner = gpu::StageRunner::new(&s.scene, &s.frame).unwrap();
        check(&s, &runner);
    }
}

#[test]
fn stage_coverage_equals_its_cpu_twin() {
    each_staged(|s, gpu| assert_parity("coverage", s.name, &gpu.coverage().unwrap(), &s.acc));
}

#[test]
fn stage_composite_equals_its_cpu_twin() {
    each_staged(|s, gpu| {
        let (p, rows) = (&s.frame.prepared, &s.frame.rows);
        let w = p.width as usize;
        let mut img = vec![0.0; w * p.height as usize * 4];
        let mut scratch = cpu::ReplayScratch::default();
        for (y, row) in img.chunks_mut(w * 4).enumerate() {
            let (i0, i1) = (rows.starts[y] as usize, rows.starts[y + 1] as usize);
            let (items, offs) = (&rows.items[i0..i1], &s.offsets[i0..i1]);
            cpu::composite(&s.scene, p, items, offs, &s.acc, y, s.frame.background, row, &mut scratch);
        }
        assert_parity("composite", s.name, &gpu.composite(&s.acc).unwrap(), &img);
    });
}

#[test]
fn stage_composite_backward_equals_its_cpu_twin() {
    each_staged(|s, gpu| {
        let (g, cg) = gpu.composite_backward(&s.acc, &s.grad).unwrap();
        assert_parity("composite_backward (dL/dA)", s.name, &g, &s.g);
        assert_parity("composite_backward (dL/d colour)", s.name, &flat(&cg), &flat(&s.cg));
    });
}

#[test]
fn stage_color_reduce_equals_its_cpu_twin() {
    each_staged(|s, gpu| {
        let (p, rows) = (&s.frame.prepared, &s.frame.rows);
        let slot_off = cpu::color_slot_offsets(&s.scene, p, rows);
        let mut slots = vec![[0.0; 4]; *slot_off.last().unwrap()];
        for (k, (it, &y)) in rows.items.iter().zip(&rows.item_rows).enumerate() {
            let cg = &s.cg[s.offsets[k]..s.offsets[k + 1]];
            cpu::color_reduce(&s.scene, p, it, y as usize, cg, &mut slots[slot_off[k]..slot_off[k + 1]]);
        }
        assert_parity("color_reduce", s.name, &flat(&gpu.color_reduce(&s.cg).unwrap()), &flat(&slots));
    });
}

#[test]
fn stage_coverage_backward_equals_its_cpu_twin() {
    each_staged(|s, gpu| {
        let slots = gpu.coverage_backward(&s.g).unwrap();
        assert_parity("coverage_backward", s.name, &flat(&slots), &flat(&s.line_slots));
    });
}

#[test]
fn stage_line_reduce_equals_its_cpu_twin() {
    each_staged(|s, gpu| {
        let mut lines = vec![[0.0; 4]; s.frame.prepared.lines.len()];
        cpu::line_reduce(&s.frame.rows.line_ids, &s.line_slots, &mut lines);
        assert_parity("line_reduce", s.name, &flat(&gpu.line_reduce(&s.line_slots).unwrap()), &flat(&lines));
    });
}

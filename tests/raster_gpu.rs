//! The WGSL stages against their CPU twins: every shader is validated by naga, and the whole
//! forward and backward pass run on wgpu (Mesa lavapipe in CI, where no GPU exists) must equal
//! the CPU implementation within 1e-4. Also the burn operation on the CPU backend.
//!
//! These tests need a wgpu adapter; CI always has lavapipe, so a missing adapter is a failure
//! with instructions, never a silent skip.

use std::sync::Arc;

use burn::tensor::{Device, Tensor};
use clipvg::raster::op::{RasterJob, render_tensor, scene_tensors};
use clipvg::raster::{Frame, gpu};
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

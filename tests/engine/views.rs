//! The fused view resampling (`clipvg_raster::view_op`, used by `edit::views::sample_views`)
//! against the grid-sample path it replaced, against finite differences, run to run, and on
//! wgpu (Mesa lavapipe in CI) against the CPU. The GPU tests need a wgpu adapter; CI always has
//! lavapipe, so a missing adapter is a failure with instructions, never a silent skip.

use burn::tensor::{Device, Tensor, TensorData};
use clipvg::compute::{BackendChoice, device_for};
use clipvg::edit::views::{View, patch_view, sample_views, sample_views_grid, to_nchw, whole_view};
use clipvg::raster::resample::{ViewSampleInfo, view_sample, view_sample_backward};
use rand::SeedableRng;

const SIZE: usize = 24;

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}

/// A smooth RGBA test render (alpha 1), `h × w × 4`.
fn render(w: usize, h: usize) -> Vec<f32> {
    (0..w * h * 4)
        .map(|i| {
            let (p, c) = (i / 4, i % 4);
            let (x, y) = ((p % w) as f32, (p / w) as f32);
            if c == 3 { 1.0 } else { 0.5 + 0.4 * ((x * 0.11 + c as f32).sin() * (y * 0.07 - c as f32).cos()) }
        })
        .collect()
}

/// One whole view and a few perspective patches of a ROI that leaves the canvas on one side.
fn views(seed: u64) -> Vec<View> {
    let roi = [6.0, -4.0, 50.0, 44.0];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut v = vec![whole_view(roi, SIZE, Some(&mut rng))];
    v.extend((0..5).map(|_| patch_view(roi, 0.8, 0.3, SIZE, &mut rng)));
    v
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Forward values and dL/d render for `L = Σ weights · views`, through `sample`.
fn value_and_grad(
    device: &Device,
    img: &[f32],
    (w, h): (usize, usize),
    weights: &[f32],
    sample: impl Fn(Tensor<3>) -> Tensor<4>,
) -> (Vec<f32>, Vec<f32>) {
    let ad = device.clone().autodiff();
    let r = Tensor::<1>::from_data(TensorData::new(img.to_vec(), [h * w * 4]), &ad).reshape([h, w, 4]).require_grad();
    let out = sample(r.clone());
    let dims = out.dims();
    let wt = Tensor::<1>::from_data(TensorData::new(weights.to_vec(), [weights.len()]), &ad).reshape(dims);
    let values = to_vec(out.clone());
    let grads = (out * wt).sum().backward();
    (values, to_vec(r.grad(&grads).unwrap()))
}

/// The sizes of `n` views of a `w × h` render at [`SIZE`], 2×2 samples a pixel.
fn info_for((w, h): (usize, usize), n: usize) -> ViewSampleInfo {
    ViewSampleInfo {
        width: w as u32,
        height: h as u32,
        size: SIZE as u32,
        ss: 2,
        n_views: n as u32,
        ..Default::default()
    }
}

fn weights(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7919 % 1009) as f32) / 1009.0 - 0.5).collect()
}

#[test]
fn fused_views_equal_the_grid_sample_path() {
    let (w, h) = (48, 40);
    let img = render(w, h);
    let vs = views(3);
    let device = device_for(BackendChoice::Cpu).unwrap();
    let wts = weights(vs.len() * 3 * SIZE * SIZE);
    let (fa, ga) = value_and_grad(&device, &img, (w, h), &wts, |r| sample_views(r, &vs, SIZE));
    let (fb, gb) = value_and_grad(&device, &img, (w, h), &wts, |r| sample_views_grid(to_nchw(r), &vs, SIZE));
    let fd = max_abs_diff(&fa, &fb);
    assert!(fd <= 1e-5, "forward differs from the grid-sample path by {fd}");
    // Views overlap, so render gradients are sums of many terms: compare relative to the largest.
    let scale = gb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let gd = max_abs_diff(&ga, &gb);
    assert!(scale > 0.1, "the test's gradient is not trivial ({scale})");
    assert!(gd <= 1e-4 * scale, "backward differs by {gd} (largest gradient {scale})");
}

#[test]
fn fused_views_backward_matches_finite_differences() {
    let (w, h) = (20, 16);
    let img = render(w, h);
    let roi = [2.0, 1.0, 15.0, 13.0];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let vs = [whole_view(roi, 8, Some(&mut rng)), patch_view(roi, 0.8, 0.3, 8, &mut rng)];
    let records: Vec<_> = vs.iter().map(View::record).collect();
    let info = ViewSampleInfo { width: w as u32, height: h as u32, size: 8, ss: 2, n_views: 2, ..Default::default() };
    let wts = weights(2 * 3 * 64);
    let loss = |img: &[f32]| -> f64 {
        view_sample(&info, &records, img).iter().zip(&wts).map(|(v, k)| (*v as f64) * (*k as f64)).sum()
    };
    let grad = view_sample_backward(&info, &records, &wts);
    let eps = 1e-2f32;
    let mut checked = 0;
    for k in (0..img.len()).filter(|k| k % 4 != 3).step_by(7) {
        let (mut up, mut down) = (img.clone(), img.clone());
        up[k] += eps;
        down[k] -= eps;
        let fd = (loss(&up) - loss(&down)) / (2.0 * eps as f64);
        assert!((fd - grad[k] as f64).abs() <= 1e-3 * (1.0 + fd.abs()), "pixel value {k}: fd {fd} vs {}", grad[k]);
        checked += usize::from(fd.abs() > 1e-3);
    }
    assert!(checked > 20, "too few pixels with a gradient: {checked}");
}

#[test]
fn fused_views_give_the_same_bytes_on_every_run_and_thread_count() {
    let (w, h) = (48, 40);
    let img = render(w, h);
    let records: Vec<_> = views(5).iter().map(View::record).collect();
    let info = info_for((w, h), records.len());
    let g = weights(records.len() * 3 * SIZE * SIZE);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| (view_sample(&info, &records, &img), view_sample_backward(&info, &records, &g)))
    };
    let (f1, b1) = run(1);
    for threads in [2, 3, 1] {
        let (f, b) = run(threads);
        assert!(f.iter().zip(&f1).all(|(a, b)| a.to_bits() == b.to_bits()), "forward with {threads} threads");
        assert!(b.iter().zip(&b1).all(|(a, b)| a.to_bits() == b.to_bits()), "backward with {threads} threads");
    }
}

fn gpu_device() -> Device {
    assert!(
        !clipvg::compute::adapters().is_empty(),
        "no wgpu adapter: install Mesa's lavapipe (apt-get install mesa-vulkan-drivers libvulkan1) to run the GPU tests"
    );
    device_for(BackendChoice::Gpu).expect("the GPU device")
}

#[test]
fn stage_view_sample_equals_its_cpu_twin() {
    let _ = gpu_device();
    let (w, h) = (48, 40);
    let img = render(w, h);
    let records: Vec<_> = views(7).iter().map(View::record).collect();
    let info = info_for((w, h), records.len());
    let cpu = view_sample(&info, &records, &img);
    let gpu = clipvg::raster::gpu::view_stage_on_host(false, &info, &records, &img).unwrap();
    let d = max_abs_diff(&cpu, &gpu);
    assert!(d <= 1e-4, "view_sample: GPU differs from CPU by {d}");
}

#[test]
fn stage_view_sample_backward_equals_its_cpu_twin_and_repeats() {
    let _ = gpu_device();
    let (w, h) = (48, 40);
    let records: Vec<_> = views(9).iter().map(View::record).collect();
    let info = info_for((w, h), records.len());
    let g = weights(records.len() * 3 * SIZE * SIZE);
    let cpu = view_sample_backward(&info, &records, &g);
    let gpu = clipvg::raster::gpu::view_stage_on_host(true, &info, &records, &g).unwrap();
    let scale = cpu.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let d = max_abs_diff(&cpu, &gpu);
    assert!(scale > 0.1 && d <= 1e-4 * scale, "view_sample_backward: GPU differs from CPU by {d} (scale {scale})");
    let again = clipvg::raster::gpu::view_stage_on_host(true, &info, &records, &g).unwrap();
    assert!(gpu.iter().zip(&again).all(|(a, b)| a.to_bits() == b.to_bits()), "GPU backward differs run to run");
}

#[test]
fn the_op_on_wgpu_agrees_with_the_cpu() {
    let device = gpu_device();
    let (w, h) = (48, 40);
    let img = render(w, h);
    let vs = views(13);
    let wts = weights(vs.len() * 3 * SIZE * SIZE);
    let cpu = device_for(BackendChoice::Cpu).unwrap();
    let (fa, ga) = value_and_grad(&cpu, &img, (w, h), &wts, |r| sample_views(r, &vs, SIZE));
    let (fb, gb) = value_and_grad(&device, &img, (w, h), &wts, |r| sample_views(r, &vs, SIZE));
    assert!(max_abs_diff(&fa, &fb) <= 1e-4);
    let scale = ga.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(max_abs_diff(&ga, &gb) <= 1e-4 * scale.max(1.0));
}

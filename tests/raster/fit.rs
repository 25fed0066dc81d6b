//! End to end through burn: the rasterizer op in an autodiff graph with an L2 loss, and burn's
//! Adam moving points and colours so that the render approaches a target bitmap.

use std::sync::Arc;

use burn::optim::{AdamConfig, Optimizer};
use burn::tensor::Tensor;
use clipvg::raster::Frame;
use clipvg::raster::op::{RasterJob, render_tensor, scene_tensors};
use clipvg::scene::{BuildOptions, Trainable, build};
use clipvg::svg::Document;

const SIZE: u32 = 64;

fn psnr(a: &[f32], b: &[f32]) -> f64 {
    let mse: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>() / a.len() as f64;
    10.0 * (1.0 / mse).log10()
}

#[test]
fn adam_fits_points_and_colours_to_a_target_render() {
    let target_svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">
        <path d="M 12 14 C 30 4 52 10 52 30 C 52 50 30 58 14 50 C 4 40 4 24 12 14 Z" fill="#d03020"/>
        <path d="M 30 20 L 46 40 L 20 44 Z" fill="#2040c0" fill-opacity="0.8"/>
        <polyline points="8,58 30,34 56,58" fill="none" stroke="#208040" stroke-width="4"/>
    </svg>"##;
    // Same structure, shapes moved and recoloured.
    let start_svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">
        <path d="M 18 18 C 32 10 46 16 46 30 C 46 44 32 50 18 46 C 10 38 10 26 18 18 Z" fill="#808080"/>
        <path d="M 26 24 L 40 36 L 24 40 Z" fill="#a0a0a0" fill-opacity="0.8"/>
        <polyline points="12,54 30,40 52,54" fill="none" stroke="#606060" stroke-width="4"/>
    </svg>"##;
    let options = BuildOptions { trainable: Trainable::All, ..Default::default() };
    let target_scene = build(&Document::parse(target_svg).unwrap(), &options).unwrap().scene;
    let start = build(&Document::parse(start_svg).unwrap(), &options).unwrap().scene;
    let bg = [1.0, 1.0, 1.0, 1.0];
    let target = Frame::new(&target_scene, SIZE, SIZE, bg).unwrap().render_cpu(&target_scene).data;
    let initial = Frame::new(&start, SIZE, SIZE, bg).unwrap().render_cpu(&start).data;

    let device = clipvg::compute::cpu_device().autodiff();
    let job = RasterJob {
        scene: Arc::new(start.clone()),
        width: SIZE,
        height: SIZE,
        background: bg,
        limits: Default::default(),
    };
    let target_t = Tensor::<1>::from_floats(target.as_slice(), &device).reshape([SIZE as usize, SIZE as usize, 4]);
    let (mut p, mut c, w) = scene_tensors(&start, &device);
    let adam = AdamConfig::new().build();
    let (mut sp, mut sc) = (None, None);
    for _ in 0..250 {
        let (pv, cv) = (p.clone().require_grad(), c.clone().require_grad());
        let img = render_tensor(pv.clone(), cv.clone(), w.clone(), job.clone());
        let loss = (img - target_t.clone()).powf_scalar(2.0).mean();
        let grads = loss.backward();
        let (gp, gc) = (pv.grad(&grads).unwrap(), cv.grad(&grads).unwrap());
        let (np, s1) = adam.step(0.3, pv.inner(), gp, sp);
        let (nc, s2) = adam.step(0.02, cv.inner(), gc, sc);
        (sp, sc) = (s1, s2);
        p = Tensor::from_inner(np);
        c = Tensor::from_inner(nc.clamp(0.0, 1.0));
    }
    let mut fitted = start.clone();
    let pv = p.inner().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
    let cv = c.inner().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
    for (i, q) in fitted.points.iter_mut().enumerate() {
        *q = [pv[2 * i], pv[2 * i + 1]];
    }
    for (i, q) in fitted.colors.iter_mut().enumerate() {
        *q = [cv[4 * i], cv[4 * i + 1], cv[4 * i + 2], cv[4 * i + 3]];
    }
    let fit = Frame::new(&fitted, SIZE, SIZE, bg).unwrap().render_cpu(&fitted).data;
    let (before, after) = (psnr(&initial, &target), psnr(&fit, &target));
    eprintln!("PSNR {before:.1} dB → {after:.1} dB");
    assert!(after - before >= 10.0, "PSNR only rose from {before:.1} to {after:.1} dB");
}

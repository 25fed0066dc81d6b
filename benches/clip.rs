//! CLIP image-tower benchmark: forward, and forward + backward with respect to the pixels, of a
//! ViT-B/32-shaped model (random weights, frozen) on a batch of images, per backend.
//!
//! ```text
//! cargo bench --bench clip [--features bench-ndarray] -- [--backends flex,ndarray,wgpu] [--batch 65] [--wgpu-batch 65] [--iters 3]
//! ```
//! The PyTorch figures to compare with come from `python benches/clip_torch.py` (same shapes).

use std::time::{Duration, Instant};

use burn::tensor::{Device, Distribution, Tensor};
use clipvg::clip::{Clip, ClipConfig};
use clipvg::compute::{BackendChoice, device_for};

struct Args {
    backends: Vec<String>,
    batch: usize,
    wgpu_batch: usize,
    iters: usize,
}

fn parse_args() -> Args {
    let mut args =
        Args { backends: vec!["flex".into(), "ndarray".into(), "wgpu".into()], batch: 65, wgpu_batch: 65, iters: 3 };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--backends" => args.backends = value().split(',').map(String::from).collect(),
            "--batch" => args.batch = value().parse().expect("--batch N"),
            "--wgpu-batch" => args.wgpu_batch = value().parse().expect("--wgpu-batch N"),
            "--iters" => args.iters = value().parse().expect("--iters N"),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// Median of `iters` timed runs after one warm-up run.
fn time(iters: usize, mut run: impl FnMut()) -> Duration {
    run();
    let mut times: Vec<Duration> = (0..iters)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn bench(name: &str, device: Device, batch: usize, iters: usize) -> (Duration, Duration) {
    let config = ClipConfig::default(); // ViT-B/32: 224 px, patch 32, width 768, 12 layers, 12 heads
    let s = config.vision_config.image_size;
    let plain: Clip = config.init(&device);
    let pixels = Tensor::<4>::random([batch, 3, s, s], Distribution::Uniform(-1.0, 1.0), &device);
    let fwd = time(iters, || {
        let e = plain.encode_image(pixels.clone());
        let _ = e.into_data();
    });
    let ad = device.autodiff();
    let model: Clip = config.init(&ad);
    let x = Tensor::<4>::random([batch, 3, s, s], Distribution::Uniform(-1.0, 1.0), &ad);
    let bwd = time(iters, || {
        let x = x.clone().require_grad();
        let loss = model.encode_image(x.clone()).powi_scalar(2).sum();
        let grads = loss.backward();
        let g = x.grad(&grads).expect("pixel gradient");
        let _ = g.sum().into_data();
    });
    eprintln!("{name}: done");
    (fwd, bwd)
}

fn main() {
    let args = parse_args();
    let mut rows = Vec::new();
    for b in &args.backends {
        let (device, batch) = match b.as_str() {
            "flex" => (Device::flex(), args.batch),
            #[cfg(feature = "bench-ndarray")]
            #[allow(deprecated)] // burn-ndarray is measured only to choose the CPU backend
            "ndarray" => (Device::ndarray(), args.batch),
            #[cfg(not(feature = "bench-ndarray"))]
            "ndarray" => {
                eprintln!("ndarray: skipped (run with --features bench-ndarray to measure it)");
                continue;
            }
            "wgpu" => (device_for(BackendChoice::Gpu).expect("a wgpu adapter"), args.wgpu_batch),
            other => panic!("unknown backend {other} (flex, ndarray, wgpu)"),
        };
        let (f, fb) = bench(b, device, batch, args.iters);
        rows.push((b.clone(), batch, f, fb));
    }
    println!("CLIP ViT-B/32 image tower, 224x224, random frozen weights, median of {} runs", args.iters);
    println!("| backend | batch | forward (s) | forward+backward wrt pixels (s) |");
    println!("|---|---|---|---|");
    for (b, batch, f, fb) in rows {
        println!("| {b} | {batch} | {:.2} | {:.2} |", f.as_secs_f64(), fb.as_secs_f64());
    }
}

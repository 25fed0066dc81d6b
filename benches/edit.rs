//! Per-iteration cost of a CLIPVG edit, split by stage, for a ViT-B/32-shaped CLIP (random
//! weights: the cost does not depend on their values) on `examples/horseriding.svg`.
//!
//! ```text
//! cargo bench --bench edit -- [--patches 64] [--size 512] [--iters 2] [--backend cpu|gpu] [--batch N] [--precision f32|f16]
//! ```
//! Stages: render (rasterizer forward through the burn op), views (whole view + patches, one
//! fused resampling), CLIP forward and CLIP backward (the edit's own loss, a batch of views at a
//! time), the backward through views and rasterizer, Adam step. When Python with torch is at
//! hand, `benches/clip_torch.py` runs the same image tower on the same batch and the ratio is
//! printed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::optim::{AdamConfig, Optimizer};
use burn::tensor::Tensor;
use clipvg::clip::ClipConfig;
use clipvg::compute::{BackendChoice, device_for};
use clipvg::edit::loss::{Batching, RoiGuide, clip_batch, roi_loss};
use clipvg::raster::op::{RasterJob, render_tensor, scene_tensors};
use clipvg::scene::{BuildOptions, Trainable, build};
use clipvg::svg::Document;
use rand::SeedableRng;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let patches: usize = arg("--patches", 64);
    let size: u32 = arg("--size", 512);
    let iters: usize = arg("--iters", 2);
    // Views per CLIP batch: the edit's choice for the device unless given.
    let batch_arg: usize = arg("--batch", 0);
    let backend =
        if arg::<String>("--backend", "cpu".into()) == "gpu" { BackendChoice::Gpu } else { BackendChoice::Cpu };
    let device = device_for(backend).expect("backend");
    let ad = device.clone().autodiff();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let doc = Document::open(root.join("examples/horseriding.svg")).unwrap();
    let scene = build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap().scene;
    // `--precision f16`: CLIP in half precision (a GPU whose adapter has shader-f16).
    let precision: String = arg("--precision", "f32".into());
    let dtype = if precision == "f16" { burn::tensor::FloatDType::F16 } else { burn::tensor::FloatDType::F32 };
    let clip = ClipConfig::default().init(&ad).with_dtype(dtype);
    let batch = if batch_arg > 0 { batch_arg } else { clip_batch(&ad, &clip) };
    println!(
        "CLIP in {precision}; device memory {}; views per CLIP batch {}",
        clipvg::compute::device_memory(&device).map_or("not stated".into(), |b| format!("{:.1} GB", b as f64 / 1e9)),
        if batch == usize::MAX { "all".to_string() } else { batch.to_string() }
    );
    let job = RasterJob {
        scene: Arc::new(scene.clone()),
        width: size,
        height: size,
        background: [1.0; 4],
        limits: Default::default(),
    };
    // The budget estimate the edit checks before its first iteration (compare with the peak
    // RSS, e.g. `/usr/bin/time -v`, less the weights: ~600 MB for ViT-B/32).
    let raster_bytes = {
        let f = clipvg::raster::Frame::new(&scene, size, size, [1.0; 4]).unwrap();
        clipvg::raster::memory_estimate(&f.prepared, f.rows.line_ids.len() as u64, true)
    };
    let views_bytes = clipvg::edit::views::views_and_clip_memory(&clip, patches + 1, batch);
    println!(
        "memory estimate: raster {:.2} GB + views and CLIP {:.2} GB = {:.2} GB",
        raster_bytes as f64 / 1e9,
        views_bytes as f64 / 1e9,
        (raster_bytes + views_bytes) as f64 / 1e9
    );
    let d = clip.projection_dim();
    let guide = RoiGuide {
        rect: [0.0, 0.0, size as f64, size as f64],
        target: Tensor::<2>::ones([1, d], &ad),
        reference: Tensor::<2>::zeros([1, d], &ad) + 0.5,
        original: Tensor::<2>::zeros([1, d], &ad) + 0.1,
        w_roi: 30.0,
        w_patch: 80.0,
        n_patches: patches,
        crop_ratio: 0.8,
        mask: None,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let adam = AdamConfig::new().build();
    let (p0, c0, w) = scene_tensors(&scene, &device);
    let w = Tensor::<1>::from_inner(w);
    let mut totals = [0.0f64; 6];
    for it in 0..=iters {
        let t_start = Instant::now();
        let p = Tensor::<2>::from_inner(p0.clone()).require_grad();
        let c = Tensor::<2>::from_inner(c0.clone()).require_grad();
        let img = render_tensor(p.clone(), c.clone(), w.clone(), job.clone());
        let _ = img.clone().slice([0..1, 0..1, 0..1]).into_scalar::<f32>();
        let t_render = t_start.elapsed().as_secs_f64();

        // The edit's own loss: views, then CLIP forward and backward a batch at a time.
        let roi =
            roi_loss(&clip, img, std::slice::from_ref(&guide), &mut rng, 0.3, Batching { views: batch, timed: true });
        let _ = roi.parts.into_scalar::<f32>();

        let t3 = Instant::now();
        let grads = roi.surrogate.backward();
        let gp = p.grad(&grads).unwrap();
        let gc = c.grad(&grads).unwrap();
        let _ = gp.clone().sum().into_scalar::<f32>();
        let t_back = t3.elapsed().as_secs_f64();

        let t4 = Instant::now();
        let (np, _) = adam.step(0.2, p.inner(), gp, None);
        let (nc, _) = adam.step(0.01, c.inner(), gc, None);
        let _ = (np.sum().into_scalar::<f32>(), nc.clamp(0.0, 1.0).sum().into_scalar::<f32>());
        let t_step = t4.elapsed().as_secs_f64();
        if it > 0 {
            let tm = roi.timings;
            let stages = [
                t_render,
                tm.views.as_secs_f64(),
                tm.clip_forward.as_secs_f64(),
                tm.clip_backward.as_secs_f64(),
                t_back,
                t_step,
            ];
            for (tot, v) in totals.iter_mut().zip(stages) {
                *tot += v;
            }
        }
    }
    let n = iters as f64;
    let [r, v, c, cb, b, st] = totals.map(|x| x / n);
    let total = r + v + c + cb + b + st;
    println!(
        "ViT-B/32 (random weights), horseriding.svg at {size}², 1 ROI × (1 + {patches}) views, {backend:?}, CLIP batches of at most {}, mean of {iters} iterations after a warm-up",
        batch.min(patches + 1)
    );
    println!();
    println!(
        "| render | views | CLIP forward | CLIP backward | views + raster backward | Adam step | total s/iteration |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!("| {r:.3} | {v:.3} | {c:.2} | {cb:.2} | {b:.3} | {st:.3} | {total:.2} |");
    torch_anchor(patches + 1, total);
}

/// PyTorch's forward + backward of the same image tower on the same batch, when Python with
/// torch and transformers is at hand (`$CLIPVG_PYTHON`, else `python3`), and the ratio.
fn torch_anchor(batch: usize, ours: f64) {
    let python = std::env::var("CLIPVG_PYTHON").unwrap_or_else(|_| "python3".into());
    let threads = rayon::current_num_threads().to_string();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/clip_torch.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(["--batch", &batch.to_string(), "--threads", &threads])
        .output();
    let text = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => {
            println!(
                "\n(no PyTorch anchor: `{python} benches/clip_torch.py` did not run; pip install torch transformers)"
            );
            return;
        }
    };
    // The script's row: `| pytorch … | batch | forward | forward+backward |`.
    let fb = text
        .lines()
        .last()
        .and_then(|l| l.trim_end_matches('|').rsplit('|').next())
        .and_then(|v| v.trim().parse::<f64>().ok());
    println!("\n{}", text.trim());
    match fb {
        Some(fb) => println!(
            "ratio: clipvg paper iteration {ours:.2} s / PyTorch CLIP forward+backward {fb:.2} s = {:.2}",
            ours / fb
        ),
        None => println!("(could not read the PyTorch figure)"),
    }
}

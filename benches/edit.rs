//! Per-iteration cost of a CLIPVG edit, split by stage, for a ViT-B/32-shaped CLIP (random
//! weights: the cost does not depend on their values) on `examples/horseriding.svg`.
//!
//! ```text
//! cargo bench --bench edit -- [--patches 64] [--size 512] [--iters 2] [--backend cpu|gpu]
//! ```
//! Stages: render (rasterizer forward through the burn op), views (whole view + patches, sampled
//! in the graph), CLIP forward of all views, backward (CLIP + views + rasterizer), Adam step.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::optim::{AdamConfig, Optimizer};
use burn::tensor::Tensor;
use clipvg::clip::{ClipConfig, directional_loss, normalize};
use clipvg::compute::{BackendChoice, device_for};
use clipvg::edit::views::{patch_view, sample_views, whole_view};
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
    let backend =
        if arg::<String>("--backend", "cpu".into()) == "gpu" { BackendChoice::Gpu } else { BackendChoice::Cpu };
    let device = device_for(backend).expect("backend");
    let ad = device.clone().autodiff();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let doc = Document::open(root.join("examples/horseriding.svg")).unwrap();
    let scene = build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap().scene;
    let clip = ClipConfig::default().init(&ad);
    let s = clip.image_size();
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
    let views_bytes = clipvg::edit::views::views_and_clip_memory(&clip, patches + 1);
    println!(
        "memory estimate: raster {:.2} GB + views and CLIP {:.2} GB = {:.2} GB",
        raster_bytes as f64 / 1e9,
        views_bytes as f64 / 1e9,
        (raster_bytes + views_bytes) as f64 / 1e9
    );
    let d = clip.projection_dim();
    let (t, t0, e0) =
        (Tensor::<2>::ones([1, d], &ad), Tensor::<2>::zeros([1, d], &ad) + 0.5, Tensor::<2>::zeros([1, d], &ad) + 0.1);
    let roi = [0.0, 0.0, size as f64, size as f64];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let adam = AdamConfig::new().build();
    let (p0, c0, w) = scene_tensors(&scene, &device);
    let w = Tensor::<1>::from_inner(w);
    let mut totals = [0.0f64; 5];
    for it in 0..=iters {
        let t_start = Instant::now();
        let p = Tensor::<2>::from_inner(p0.clone()).require_grad();
        let c = Tensor::<2>::from_inner(c0.clone()).require_grad();
        let img = render_tensor(p.clone(), c.clone(), w.clone(), job.clone());
        let img = img.clone() + 0.0; // force the forward to run before timing the next stage
        let _ = img.clone().slice([0..1, 0..1, 0..1]).into_scalar::<f32>();
        let t_render = t_start.elapsed().as_secs_f64();

        let t1 = Instant::now();
        let mut views = vec![whole_view(roi, s, Some(&mut rng))];
        views.extend((0..patches).map(|_| patch_view(roi, 0.8, 0.3, s, &mut rng)));
        let pixels = normalize(sample_views(img, &views, s));
        let _ = pixels.clone().slice([0..1, 0..1, 0..1, 0..1]).into_scalar::<f32>();
        let t_views = t1.elapsed().as_secs_f64();

        let t2 = Instant::now();
        let emb = clip.encode_image(pixels);
        let loss = directional_loss(emb.clone().slice([0..1]), e0.clone(), t.clone(), t0.clone()) * 30.0
            + directional_loss(emb.slice([1..patches + 1]), e0.clone(), t.clone(), t0.clone()) * 80.0;
        let _ = loss.clone().into_scalar::<f32>();
        let t_clip = t2.elapsed().as_secs_f64();

        let t3 = Instant::now();
        let grads = loss.backward();
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
            for (tot, v) in totals.iter_mut().zip([t_render, t_views, t_clip, t_back, t_step]) {
                *tot += v;
            }
        }
    }
    let n = iters as f64;
    let [r, v, c, b, st] = totals.map(|x| x / n);
    println!(
        "ViT-B/32 (random weights), horseriding.svg at {size}², 1 ROI × (1 + {patches}) views, {backend:?}, mean of {iters} iterations after a warm-up"
    );
    println!();
    println!("| render | views | CLIP forward | backward (CLIP + views + raster) | Adam step | total s/iteration |");
    println!("|---|---|---|---|---|---|");
    println!("| {r:.3} | {v:.3} | {c:.2} | {b:.2} | {st:.3} | {:.2} |", r + v + c + b + st);
}

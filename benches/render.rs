//! Rasterizer benchmark: forward and forward+backward times on the anchors' scenes at 512²,
//! CPU and (where a GPU adapter exists) GPU, printed as a table beside diffvg's and resvg's
//! figures measured on the same kind of machine (`benches/scenes/README.md`).
//!
//! Run: `cargo bench --bench render` (`-- --quick` for fewer repetitions, `-- --gpu` to also
//! time the wgpu backend, which on a machine without a GPU is Mesa's software lavapipe).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clipvg::raster::Frame;
use clipvg::scene::{BuildOptions, build};
use clipvg::svg::Document;

/// diffvg forward s, diffvg backward s, resvg forward ms (2-core machine of this kind).
const ANCHORS: &[(&str, f64, f64, f64)] =
    &[("n64_s512", 0.270, 1.446, 2.7), ("n256_s512", 0.782, 3.248, 16.0), ("n1024_s512", 4.9, 20.5, 51.6)];

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let gpu = args.iter().any(|a| a == "--gpu");
    let reps = if quick { 3 } else { 9 };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(String, PathBuf)> =
        ANCHORS.iter().map(|a| (a.0.to_string(), root.join(format!("benches/scenes/{}.svg", a.0)))).collect();
    inputs.push(("horseriding".into(), root.join("examples/horseriding.svg")));

    println!(
        "machine: {} logical cores, rayon threads {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        rayon::current_num_threads()
    );
    println!();
    println!(
        "| scene | lines | CPU fwd ms | CPU fwd+bwd ms | diffvg fwd+bwd ms | speed-up | resvg fwd ms | fwd / resvg |{}",
        if gpu { " GPU fwd ms | GPU fwd+bwd ms |" } else { "" }
    );
    println!("|---|---|---|---|---|---|---|---|{}", if gpu { "---|---|" } else { "" });
    for (name, path) in &inputs {
        let doc = Document::open(path).expect("bench input");
        let scene = build(&doc, &BuildOptions::default()).expect("scene").scene;
        let (w, h) = (512, 512);
        let bg = [1.0, 1.0, 1.0, 1.0];
        let lines = Frame::new(&scene, w, h, bg).unwrap().prepared.lines.len();
        let fwd = time(reps, || {
            let f = Frame::new(&scene, w, h, bg).unwrap();
            std::hint::black_box(f.render_cpu(&scene));
        });
        let grad = vec![1.0f32 / (w * h * 4) as f32; (w * h * 4) as usize];
        let both = time(reps, || {
            let f = Frame::new(&scene, w, h, bg).unwrap();
            std::hint::black_box(f.render_cpu(&scene));
            std::hint::black_box(f.backward_cpu(&scene, &grad).unwrap());
        });
        let anchor = ANCHORS.iter().find(|a| a.0 == name);
        let (diffvg, resvg) = match anchor {
            Some(a) => (format!("{:.0}", (a.1 + a.2) * 1e3), format!("{:.1}", a.3)),
            None => ("–".into(), "–".into()),
        };
        let speedup = anchor.map_or("–".into(), |a| format!("{:.0}×", (a.1 + a.2) / both));
        let ratio = anchor.map_or("–".into(), |a| format!("{:.2}", fwd * 1e3 / a.3));
        let mut row = format!(
            "| {name} | {lines} | {:.1} | {:.1} | {diffvg} | {speedup} | {resvg} | {ratio} |",
            fwd * 1e3,
            both * 1e3
        );
        if gpu {
            let (gf, gb) = gpu_times(&scene, w, h, reps);
            row += &format!(" {:.1} | {:.1} |", gf * 1e3, gb * 1e3);
        }
        println!("{row}");
    }
}

fn gpu_times(scene: &clipvg::scene::Scene, w: u32, h: u32, reps: usize) -> (f64, f64) {
    use clipvg::compute::{BackendChoice, device_for};
    use clipvg::raster::op::{RasterJob, render_tensor, scene_tensors};
    let device = device_for(BackendChoice::Gpu).expect("a wgpu adapter");
    let job = RasterJob {
        scene: std::sync::Arc::new(scene.clone()),
        width: w,
        height: h,
        background: [1.0; 4],
        limits: Default::default(),
    };
    let (p, c, wd) = scene_tensors(scene, &device);
    let fwd = time(reps, || {
        let img = render_tensor(p.clone(), c.clone(), wd.clone(), job.clone());
        std::hint::black_box(img.sum().into_scalar::<f32>());
    });
    let ad = device.autodiff();
    let both = time(reps, || {
        let (p, c, wd) = scene_tensors(scene, &ad);
        let p = p.require_grad();
        let img = render_tensor(p.clone(), c, wd, job.clone());
        let grads = img.mean().backward();
        std::hint::black_box(p.grad(&grads).map(|g| g.sum().into_scalar::<f32>()));
    });
    (fwd, both)
}

//! The paper's multi-round claim, measured: for each photo, the multi-round stack (thinned and
//! not) against one round of its finest precision (cut out, stacked, and stacked with the speckle
//! filter moved to at least the stack's path count; `metrics::compare_rounds`): path count, tracing time, PSNR of our render against the bitmap, and what a
//! seeded Gaussian jitter of every control point (σ px, a stand-in for editing) does to PSNR
//! and to the share of pixels that show the background through. Prints a Markdown table.
//!
//! Run: `cargo bench --bench vectorize -- [--photos DIR] [--size 512] [--rounds coarse,fine]
//! [--sigma 1,2] [--seed 0]`. DIR holds PNG/JPEG/WebP photos; default `$CLIPVG_PHOTOS`, else the
//! small fixture copies in `tests/fixtures/vectorize/photos`.

mod photos;

use clipvg::vectorize::metrics::compare_rounds;
use clipvg::vectorize::{VectorizeOptions, bitmap, parse_rounds};
use photos::{arg, photo_dir, photos};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = photo_dir(&args);
    let size: u32 = arg(&args, "--size").map_or(512, |s| s.parse().expect("--size N"));
    let rounds = arg(&args, "--rounds").unwrap_or_else(|| clipvg::vectorize::DEFAULT_ROUNDS.into());
    let sigmas: Vec<f32> = arg(&args, "--sigma")
        .unwrap_or_else(|| "1,2".into())
        .split(',')
        .map(|s| s.trim().parse().expect("--sigma a,b"))
        .collect();
    let seed: u64 = arg(&args, "--seed").map_or(0, |s| s.parse().expect("--seed N"));
    let options = VectorizeOptions {
        rounds: parse_rounds(&rounds).expect("--rounds"),
        long_side: Some(size),
        ..Default::default()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "photos {} · long side {size} px · rounds {rounds} · jitter seed {seed} · {threads} CPU threads\n",
        dir.display()
    );
    let mut header = "| photo | vectorization | paths | time | PSNR |".to_string();
    let mut rule = "|---|---|---:|---:|---:|".to_string();
    for s in &sigmas {
        header.push_str(&format!(" PSNR σ={s} (drop) | cracks σ={s} |"));
        rule.push_str("---:|---:|");
    }
    println!("{header}\n{rule}");
    for path in photos(&dir) {
        let img = bitmap::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let entries = compare_rounds(&img, &path, &options, &sigmas, seed).unwrap_or_else(|e| panic!("{e}"));
        for e in &entries {
            let mut row =
                format!("| {name} | {} | {} | {:.1} s | {:.2} dB |", e.label, e.paths, e.seconds, e.psnr_db());
            for r in &e.robustness {
                row.push_str(&format!(
                    " {:.2} ({:.2}) | {:.2} % |",
                    r.jittered_psnr_db,
                    r.psnr_drop(),
                    100.0 * r.jittered_cracks
                ));
            }
            println!("{row}");
        }
    }
}

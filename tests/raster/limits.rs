//! The rasterizer's budgets (issue 10 item 2): `flattened_lines` while flattening and
//! outlining, `render_pixels` per render, and the memory estimate before the big buffers; huge
//! coordinates neither hang nor allocate without bound.

use std::time::{Duration, Instant};

use clipvg::raster::{Frame, Limits};
use clipvg::scene::{BuildOptions, Scene, Trainable, build};
use clipvg::svg::Document;

fn scene(body: &str, size: u32) -> Scene {
    let svg = format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">{body}</svg>"#);
    build(&Document::parse(svg).unwrap(), &BuildOptions { trainable: Trainable::All, ..Default::default() })
        .unwrap()
        .scene
}

/// A closed path of `n` curvy cubics around (cx, cy).
fn wiggle(cx: f64, cy: f64, r: f64, n: usize) -> String {
    let mut d = format!("M {} {}", cx + r, cy);
    for i in 0..n {
        let a = |k: f64| (i as f64 + k) / n as f64 * std::f64::consts::TAU;
        let p = |k: f64, rr: f64| format!("{} {}", cx + rr * a(k).cos(), cy + rr * a(k).sin());
        d += &format!(" C {} {} {}", p(0.3, 1.6 * r), p(0.7, 0.4 * r), p(1.0, r));
    }
    d + " Z"
}

fn limit_field(r: clipvg::Result<Frame, clipvg::raster::RasterError>) -> &'static str {
    match r {
        Err(clipvg::raster::RasterError::Limit(l)) => {
            assert!(l.needed > l.limit, "{l:?}");
            l.field
        }
        Err(e) => panic!("expected a limit error, got {e}"),
        Ok(_) => panic!("expected a limit error, got a frame"),
    }
}

#[test]
fn flattened_lines_are_counted_and_refused_over_the_limit() {
    let s = scene(&format!(r##"<path d="{}" fill="#335"/>"##, wiggle(50.0, 50.0, 30.0, 40)), 100);
    let lines = Frame::new(&s, 100, 100, [1.0; 4]).unwrap().prepared.lines.len() as u64;
    assert!(lines > 200, "{lines}");
    let at = Limits { flattened_lines: lines, ..Limits::default() };
    assert_eq!(Frame::with_limits(&s, 100, 100, [1.0; 4], &at).unwrap().prepared.lines.len() as u64, lines);
    let below = Limits { flattened_lines: lines - 1, ..Limits::default() };
    assert_eq!(limit_field(Frame::with_limits(&s, 100, 100, [1.0; 4], &below)), "flattened_lines");
    // Stroke outlines count too.
    let st = scene(
        &format!(
            r##"<path d="{}" fill="none" stroke="#000" stroke-width="3" stroke-linejoin="round"/>"##,
            wiggle(50.0, 50.0, 30.0, 40)
        ),
        100,
    );
    let outline = Frame::new(&st, 100, 100, [1.0; 4]).unwrap().prepared.lines.len() as u64;
    assert!(outline > lines, "{outline} vs {lines}");
    let mid = Limits { flattened_lines: outline - 1, ..Limits::default() };
    assert_eq!(limit_field(Frame::with_limits(&st, 100, 100, [1.0; 4], &mid)), "flattened_lines");
}

#[test]
fn render_pixels_and_memory_are_checked_before_the_buffers() {
    let s = scene(r##"<circle cx="50" cy="50" r="30" fill="#c33"/>"##, 100);
    let px = Limits { render_pixels: 100 * 100 - 1, ..Limits::default() };
    assert_eq!(limit_field(Frame::with_limits(&s, 100, 100, [1.0; 4], &px)), "render_pixels");
    assert!(Frame::with_limits(&s, 100, 99, [1.0; 4], &px).is_ok());
    // The estimate covers at least the image (16 bytes a pixel), and for a backward pass its
    // gradient too (32).
    let mem = Limits { memory_bytes: 16 * 100 * 100, ..Limits::default() };
    assert_eq!(limit_field(Frame::with_limits(&s, 100, 100, [1.0; 4], &mem)), "memory_bytes");
    let msg = Frame::with_limits(&s, 100, 100, [1.0; 4], &mem).err().unwrap().to_string();
    assert!(msg.contains("bytes of memory") && msg.contains("memory_bytes"), "{msg}");
    let mem = Limits { memory_bytes: 32 * 100 * 100, ..Limits::default() };
    assert!(Frame::with_limits(&s, 100, 100, [1.0; 4], &mem).is_ok());
    assert_eq!(limit_field(Frame::with_budget(&s, 100, 100, [1.0; 4], &mem, true, 0)), "memory_bytes");
    // Other buffers beside the render count against the same budget.
    assert_eq!(
        limit_field(Frame::with_budget(&s, 100, 100, [1.0; 4], &Limits::default(), true, 8 << 30)),
        "memory_bytes"
    );
    // A 16384² render needs about 5 GiB and passes the default 8 GiB budget; its backward pass
    // (about 17 GiB) is refused by the estimate, not attempted.
    let big = Limits { render_pixels: 16_384 * 16_384, ..Limits::default() };
    assert_eq!(limit_field(Frame::with_budget(&s, 16_384, 16_384, [1.0; 4], &big, true, 0)), "memory_bytes");
    assert!(Frame::with_limits(&s, 16_384, 16_384, [1.0; 4], &big).is_ok());
    // The CPU render entry point reports the same errors.
    assert!(matches!(
        clipvg::raster::render_limited(&s, 100, 100, [1.0; 4], &px),
        Err(clipvg::raster::RasterError::Limit(_))
    ));
}

#[test]
fn huge_coordinates_neither_hang_nor_explode() {
    for big in ["1e30", "1e38", "3.4e38"] {
        // 2,000 cubics far off the canvas (above, below, right) and a few through it.
        let mut d = String::new();
        for i in 0..2000 {
            let y = if i % 3 == 0 { format!("-{big}") } else { big.to_string() };
            d += &format!("M {i} {y} C {big} {y} -{big} {y} {i} {y} Z ");
        }
        let body = format!(
            r##"<path d="{d}" fill="#123"/><path d="M 10 10 C {big} 20 -{big} 80 90 90 Z" fill="#a00" stroke="#0a0" stroke-width="2"/><path d="M 20 20 L 80 30 L 40 70 Z" fill="#00a"/>"##
        );
        let s = scene(&body, 100);
        let t = Instant::now();
        let f = Frame::new(&s, 100, 100, [1.0; 4]).unwrap();
        let img = f.render_cpu(&s);
        let grad = f.backward_cpu(&s, &vec![1.0; img.data.len()]).unwrap();
        assert!(t.elapsed() < Duration::from_secs(20), "{big}: {:?}", t.elapsed());
        // Offscreen fill-only cubics are one line each (2,000 × 256 without culling); the
        // on-canvas huge one at most 256, its stroke outline a few per vertex.
        assert!(f.prepared.lines.len() < 12_000, "{big}: {} lines", f.prepared.lines.len());
        assert!(img.data.iter().all(|v| v.is_finite()), "{big}");
        assert!(grad.points.iter().flatten().all(|v| v.is_finite()), "{big}");
    }
}

#[test]
fn culled_offscreen_cubics_change_no_pixel() {
    // Fill-only shapes wholly above, below and right of the canvas, and one partly on it.
    let off = r##"<path d="M 10 -50 C 40 -90 80 -10 90 -40 Z" fill="#f00"/><path d="M 10 150 C 40 190 80 110 90 140 Z" fill="#0f0"/><path d="M 120 10 C 190 40 110 80 140 90 Z" fill="#00f"/>"##;
    let on = r##"<path d="M 10 10 C 40 -30 110 40 90 90 C 50 120 -20 60 10 10 Z" fill="#888" fill-opacity="0.7"/>"##;
    let with = scene(&format!("{off}{on}"), 100);
    let without = scene(on, 100);
    let f = Frame::new(&with, 100, 100, [1.0; 4]).unwrap();
    let g = Frame::new(&without, 100, 100, [1.0; 4]).unwrap();
    // 3 offscreen cubics, 1 line each (plus their closing lines).
    assert_eq!(f.prepared.lines.len(), g.prepared.lines.len() + 3 * 2);
    assert_eq!(f.render_cpu(&with).data, g.render_cpu(&without).data);
}

//! The GPU implementation of stages 3–4: the WGSL kernels of `shaders/`, launched through
//! burn's CubeCL/wgpu client so their buffers live beside burn's tensors.
//!
//! Kernels, in order (each has a CPU twin, see the shader headers):
//! forward `coverage` (per layer row) → `composite` (per pixel);
//! backward `coverage` → `composite_backward` (per pixel) → `color_reduce` (per layer row) →
//! `coverage_backward` (per layer row) → `line_reduce` (per line).
//!
//! Rows are processed in bands whose cell buffers stay under [`CHUNK_CELLS`], so large renders
//! (4096², thousands of layers) need bounded GPU memory and binding sizes.

use bytemuck::Pod;
use cubecl::client::Client;
use cubecl::prelude::KernelId;
use cubecl::server::{Handle, KernelArguments};
use cubecl::{CubeCount, CubeDim};

use burn::backend::wgpu::{KernelSource, SourceKernel, SourceTemplate};

use super::Frame;
use super::cpu::RawGrad;
use crate::error::{RasterError as Error, Result};
use clipvg_document::scene::{GradientShape, Paint, Scene};
use clipvg_document::svg::paint::Spread;

/// Most accumulation cells processed at once (the per-cell backward buffers take 32 bytes a
/// cell: 128 MiB per band).
pub const CHUNK_CELLS: usize = 1 << 22;

const GEOMETRY: &str = include_str!("../../shaders/geometry.wgsl");
const PAINT: &str = include_str!("../../shaders/paint.wgsl");

/// The stages: name, source, and whether they need the paint functions.
const STAGES: &[(&str, &str, bool)] = &[
    ("coverage", include_str!("../../shaders/coverage.wgsl"), false),
    ("composite", include_str!("../../shaders/composite.wgsl"), true),
    ("composite_backward", include_str!("../../shaders/composite_backward.wgsl"), true),
    ("color_reduce", include_str!("../../shaders/color_reduce.wgsl"), true),
    ("coverage_backward", include_str!("../../shaders/coverage_backward.wgsl"), false),
    ("line_reduce", include_str!("../../shaders/line_reduce.wgsl"), false),
];

/// The full WGSL source of a stage (shared code prepended).
pub fn stage_source(name: &str) -> Option<String> {
    let (_, src, paint) = STAGES.iter().find(|s| s.0 == name)?;
    let mut s = String::from(GEOMETRY);
    if *paint {
        s.push_str(PAINT);
    }
    s.push_str(src);
    Some(s)
}

/// Names of all stages.
pub fn stage_names() -> impl Iterator<Item = &'static str> {
    STAGES.iter().map(|s| s.0)
}

#[derive(Clone, Debug)]
struct Stage(&'static str);

impl KernelSource for Stage {
    fn source(&self) -> SourceTemplate {
        SourceTemplate::new(stage_source(self.0).expect("known stage"))
    }
    fn id(&self) -> KernelId {
        KernelId::new::<Self>().info(self.0)
    }
    fn lang(&self) -> &'static str {
        "wgsl"
    }
}

fn upload<T: Pod>(client: &Client, data: &[T]) -> Handle {
    let bytes: &[u8] = bytemuck::cast_slice(data);
    if bytes.len() < 16 {
        let mut padded = bytes.to_vec();
        padded.resize(16, 0);
        return client.create_from_slice(&padded);
    }
    client.create_from_slice(bytes)
}

fn zeros(client: &Client, bytes: usize) -> Handle {
    client.create_from_slice(&vec![0u8; bytes.max(16)])
}

fn launch(client: &Client, stage: &'static str, invocations: usize, buffers: &[&Handle]) {
    let groups = invocations.div_ceil(64).max(1) as u32;
    let x = groups.min(65_535);
    let y = groups.div_ceil(x);
    let bindings = buffers.iter().map(|h| (*h).clone().binding()).collect();
    client.launch(
        Box::new(SourceKernel::new(Stage(stage), CubeDim::new_1d(64))),
        CubeCount::Static(x, y, 1),
        KernelArguments::new().with_buffers(bindings),
    );
}

/// Reads a buffer of `n` values of `T`.
pub(crate) fn read<T: Pod>(client: &Client, handle: Handle, n: usize) -> Result<Vec<T>> {
    let bytes = client.read_one(handle).map_err(|e| Error::Gpu(format!("{e:?}")))?;
    let size = n * std::mem::size_of::<T>();
    if bytes.len() < size {
        return Err(Error::Gpu(format!("read {} bytes, expected {size}", bytes.len())));
    }
    Ok(bytemuck::pod_collect_to_vec(&bytes[..size]))
}

/// One gradient as 20 floats: kind, spread, first colour, stop count, first offset, six shape
/// parameters, the canvas→gradient matrix, padding. Keep in sync with `shaders/paint.wgsl`.
fn gradient_record(g: &clipvg_document::scene::Gradient, offsets_start: usize) -> [f32; 20] {
    let mut r = [0.0f32; 20];
    let (kind, params) = match g.shape {
        GradientShape::Linear { x1, y1, x2, y2 } => (0.0, [x1, y1, x2, y2, 0.0, 0.0]),
        GradientShape::Radial { cx, cy, r, fx, fy, fr } => (1.0, [cx, cy, r, fx, fy, fr]),
    };
    r[0] = kind;
    r[1] = match g.spread {
        Spread::Pad => 0.0,
        Spread::Reflect => 1.0,
        Spread::Repeat => 2.0,
    };
    r[2] = g.first_color as f32;
    r[3] = g.offsets.len() as f32;
    r[4] = offsets_start as f32;
    r[5..11].copy_from_slice(&params);
    r[11..17].copy_from_slice(&g.canvas_to_gradient);
    r
}

/// Scene-wide buffers shared by every band.
struct Shared {
    lines: Handle,
    layers: Handle,
    colors: Handle,
    grads: Handle,
    stops: Handle,
    n_lines: usize,
}

fn shared(client: &Client, scene: &Scene, frame: &Frame) -> Shared {
    let p = &frame.prepared;
    let lines: Vec<[f32; 4]> = (0..p.lines.len())
        .map(|i| {
            let [a, b] = p.line(i);
            [a[0], a[1], b[0], b[1]]
        })
        .collect();
    let layers: Vec<[u32; 4]> = p
        .layers
        .iter()
        .map(|l| {
            let rule = match l.rule {
                clipvg_document::scene::FillRule::NonZero => 0,
                clipvg_document::scene::FillRule::EvenOdd => 1,
            };
            let (kind, index) = match l.paint {
                Paint::None => (0, 0),
                Paint::Solid(i) => (1, i),
                Paint::Gradient(g) => (2, g),
            };
            [rule, kind, index, 0]
        })
        .collect();
    let mut stops = Vec::new();
    let mut records = Vec::new();
    for g in &scene.gradients {
        records.push(gradient_record(g, stops.len()));
        stops.extend_from_slice(&g.offsets);
    }
    Shared {
        lines: upload(client, &lines),
        layers: upload(client, &layers),
        colors: upload(client, &scene.colors),
        grads: upload(client, &records),
        stops: upload(client, &stops),
        n_lines: lines.len(),
    }
}

/// A band of rows `[y0, y1)` and its chunk-relative buffers.
struct Band {
    y0: usize,
    y1: usize,
    n_items: usize,
    cells: usize,
    info: Handle,
    starts: Handle,
    items: Handle,
    item_rows: Handle,
    a_off: Handle,
    /// Range of `rows.line_ids` covered by the band (contiguous: rows are row-major).
    line_range: std::ops::Range<usize>,
}

/// Splits the rows into bands of at most [`CHUNK_CELLS`] cells (a single row may exceed it).
fn band_limits(frame: &Frame) -> Vec<(usize, usize)> {
    let rows = &frame.rows;
    let h = frame.prepared.height as usize;
    let mut out = Vec::new();
    let (mut y0, mut cells) = (0, 0usize);
    for y in 0..h {
        let row_cells: usize = rows.items[rows.starts[y] as usize..rows.starts[y + 1] as usize]
            .iter()
            .map(|it| (it.xr - it.xl + 1) as usize)
            .sum();
        if y > y0 && cells + row_cells > CHUNK_CELLS {
            out.push((y0, y));
            y0 = y;
            cells = 0;
        }
        cells += row_cells;
    }
    out.push((y0, h));
    out
}

fn band(client: &Client, frame: &Frame, y0: usize, y1: usize) -> Band {
    let p = &frame.prepared;
    let rows = &frame.rows;
    let (i0, i1) = (rows.starts[y0] as usize, rows.starts[y1] as usize);
    let items = &rows.items[i0..i1];
    let flat: Vec<u32> = items.iter().flat_map(|it| [it.layer, it.xl, it.xr, it.lines_start, it.lines_end]).collect();
    let mut a_off = Vec::with_capacity(items.len() + 1);
    let mut cells = 0u32;
    for it in items {
        a_off.push(cells);
        cells += it.xr - it.xl + 1;
    }
    a_off.push(cells);
    let starts: Vec<u32> = rows.starts[y0..=y1].iter().map(|s| s - rows.starts[y0]).collect();
    let bg = frame.background;
    let bg = [bg[0] * bg[3], bg[1] * bg[3], bg[2] * bg[3], bg[3]];
    let info: [u32; 12] = [
        p.width,
        p.height,
        items.len() as u32,
        y0 as u32,
        bg[0].to_bits(),
        bg[1].to_bits(),
        bg[2].to_bits(),
        bg[3].to_bits(),
        (1.0 / p.scale[0]).to_bits(),
        (1.0 / p.scale[1]).to_bits(),
        ((y1 - y0) * p.width as usize) as u32,
        p.lines.len() as u32,
    ];
    let line_range = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.lines_start as usize..b.lines_end as usize,
        _ => 0..0,
    };
    Band {
        y0,
        y1,
        n_items: items.len(),
        cells: cells as usize,
        info: upload(client, &info),
        starts: upload(client, &starts),
        items: upload(client, &flat),
        item_rows: upload(client, &rows.item_rows[i0..i1]),
        a_off: upload(client, &a_off),
        line_range,
    }
}

fn line_ids_handle(client: &Client, frame: &Frame) -> Handle {
    upload(client, &frame.rows.line_ids)
}

/// Renders into a new buffer of `height × width × 4` f32 (straight RGBA).
pub fn forward(client: &Client, scene: &Scene, frame: &Frame) -> Handle {
    let p = &frame.prepared;
    let sh = shared(client, scene, frame);
    let line_ids = line_ids_handle(client, frame);
    let out = zeros(client, p.width as usize * p.height as usize * 16);
    for (y0, y1) in band_limits(frame) {
        let b = band(client, frame, y0, y1);
        let acc = zeros(client, b.cells * 4);
        launch(client, "coverage", b.n_items, &[&b.info, &b.items, &b.item_rows, &b.a_off, &line_ids, &sh.lines, &acc]);
        launch(
            client,
            "composite",
            (b.y1 - b.y0) * p.width as usize,
            &[&b.info, &b.starts, &b.items, &b.a_off, &acc, &sh.layers, &sh.colors, &sh.grads, &sh.stops, &out],
        );
    }
    out
}

/// Backward: `grad` holds dL/d image (`height × width × 4` f32). Returns dL/d line endpoints
/// and dL/d colours.
pub fn backward(client: &Client, scene: &Scene, frame: &Frame, grad: &Handle) -> Result<RawGrad> {
    let p = &frame.prepared;
    let rows = &frame.rows;
    let sh = shared(client, scene, frame);
    let line_ids = line_ids_handle(client, frame);
    let line_grads = zeros(client, sh.n_lines * 16);
    let mut colors = vec![[0.0f32; 4]; scene.colors.len()];
    for (y0, y1) in band_limits(frame) {
        let b = band(client, frame, y0, y1);
        if b.n_items == 0 {
            continue;
        }
        let acc = zeros(client, b.cells * 4);
        let saved = zeros(client, b.cells * 16);
        let g = zeros(client, b.cells * 4);
        let cg = zeros(client, b.cells * 16);
        let suffix = zeros(client, b.cells * 4);
        launch(client, "coverage", b.n_items, &[&b.info, &b.items, &b.item_rows, &b.a_off, &line_ids, &sh.lines, &acc]);
        launch(
            client,
            "composite_backward",
            (b.y1 - b.y0) * p.width as usize,
            &[
                &b.info, &b.starts, &b.items, &b.a_off, &acc, &sh.layers, &sh.colors, &sh.grads, &sh.stops, grad,
                &saved, &g, &cg,
            ],
        );
        // Colour slots: one per solid paint, one per gradient stop, per item.
        let items = &rows.items[rows.starts[y0] as usize..rows.starts[y1] as usize];
        let mut slot_off = Vec::with_capacity(items.len() + 1);
        let mut slot_colors: Vec<u32> = Vec::new();
        for it in items {
            slot_off.push(slot_colors.len() as u32);
            match p.layers[it.layer as usize].paint {
                Paint::None => {}
                Paint::Solid(c) => slot_colors.push(c),
                Paint::Gradient(gi) => {
                    let gr = &scene.gradients[gi as usize];
                    slot_colors.extend(gr.first_color..gr.first_color + gr.offsets.len() as u32);
                }
            }
        }
        slot_off.push(slot_colors.len() as u32);
        let slot_off_h = upload(client, &slot_off);
        let slots = zeros(client, slot_colors.len() * 16);
        launch(
            client,
            "color_reduce",
            b.n_items,
            &[&b.info, &b.items, &b.item_rows, &b.a_off, &sh.layers, &sh.grads, &sh.stops, &cg, &slot_off_h, &slots],
        );
        let line_slots = zeros(client, b.line_range.len() * 16);
        let slot_base = upload(client, &[b.line_range.start as u32]);
        launch(
            client,
            "coverage_backward",
            b.n_items,
            &[&b.info, &b.items, &b.item_rows, &b.a_off, &line_ids, &sh.lines, &g, &suffix, &line_slots, &slot_base],
        );
        // CSR from the band's lines to their slots (each line's in slot order), over the lines
        // the band touches only: O(slots · log) per band, whatever the scene's line count.
        let band_ids = &rows.line_ids[b.line_range.clone()];
        let mut list: Vec<u32> = (0..band_ids.len() as u32).collect();
        list.sort_by_key(|&k| band_ids[k as usize]); // stable: slot order within a line
        let (mut band_lines, mut starts) = (Vec::new(), Vec::new());
        for (at, &k) in list.iter().enumerate() {
            let l = band_ids[k as usize];
            if band_lines.last() != Some(&l) {
                band_lines.push(l);
                starts.push(at as u32);
            }
        }
        starts.push(list.len() as u32);
        let count_h = upload(client, &[band_lines.len() as u32]);
        let (start_h, list_h, lines_h) = (upload(client, &starts), upload(client, &list), upload(client, &band_lines));
        launch(
            client,
            "line_reduce",
            band_lines.len(),
            &[&count_h, &start_h, &list_h, &line_slots, &line_grads, &lines_h],
        );
        let sums: Vec<[f32; 4]> = read(client, slots, slot_colors.len())?;
        for (c, s) in slot_colors.iter().zip(sums) {
            for k in 0..4 {
                colors[*c as usize][k] += s[k];
            }
        }
    }
    let lines: Vec<[f32; 4]> = read(client, line_grads, sh.n_lines)?;
    Ok(RawGrad { lines, colors })
}

//! The GPU implementation of stages 3–8 (numbered as in the crate docs): the WGSL kernels of
//! `shaders/`, launched through burn's CubeCL/wgpu client so their buffers live beside burn's
//! tensors. Their buffers' records are the structs of [`crate::layout`].
//!
//! Kernels, in order (each has a CPU twin of the same name in [`crate::cpu`], and a parity test
//! against it in `tests/raster/gpu.rs`, run one stage at a time through [`StageRunner`]):
//! forward 3 `coverage` (per layer row) → 4 `composite` (per pixel);
//! backward 3 `coverage` → 5 `composite_backward` (per pixel) → 6 `color_reduce` (per layer
//! row) → 7 `coverage_backward` (per layer row) → 8 `line_reduce` (per line).
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
use crate::layout::{BandInfo, GradientRecord, LayerRecord, LineReduceInfo};
use crate::resample::{ViewRecord, ViewSampleInfo};
use clipvg_document::scene::{FillRule, Gradient, GradientShape, Paint, Scene, Spread};

/// Most accumulation cells processed at once (the per-cell backward buffers take 32 bytes a
/// cell: 128 MiB per band).
pub const CHUNK_CELLS: usize = 1 << 22;

/// Shared by every stage: layouts, the piece walk, fill rules.
const GEOMETRY: &str = include_str!("../../shaders/geometry.wgsl");
/// Paint evaluation (stages 4–6).
const PAINT: &str = include_str!("../../shaders/paint.wgsl");
/// The forward replay of one layer row at a pixel (stages 4 and 5).
const OVER: &str = include_str!("../../shaders/over.wgsl");
/// View resampling's records and sample maps (the `view_sample` stages).
const VIEW: &str = include_str!("../../shaders/view_common.wgsl");

/// The stages in pipeline order: name, source, and the shared sources prepended to it.
const STAGES: &[(&str, &str, &[&str])] = &[
    ("coverage", include_str!("../../shaders/coverage.wgsl"), &[GEOMETRY]),
    ("composite", include_str!("../../shaders/composite.wgsl"), &[GEOMETRY, PAINT, OVER]),
    ("composite_backward", include_str!("../../shaders/composite_backward.wgsl"), &[GEOMETRY, PAINT, OVER]),
    ("color_reduce", include_str!("../../shaders/color_reduce.wgsl"), &[GEOMETRY, PAINT]),
    ("coverage_backward", include_str!("../../shaders/coverage_backward.wgsl"), &[GEOMETRY]),
    ("line_reduce", include_str!("../../shaders/line_reduce.wgsl"), &[GEOMETRY]),
    // Not a rasterizer stage: the views CLIP sees, cut out of the render ([`crate::resample`]).
    ("view_sample", include_str!("../../shaders/view_sample.wgsl"), &[GEOMETRY, VIEW]),
    ("view_sample_backward", include_str!("../../shaders/view_sample_backward.wgsl"), &[GEOMETRY, VIEW]),
];

/// The full WGSL source of a stage (shared code prepended).
pub fn stage_source(name: &str) -> Option<String> {
    let (_, src, shared) = STAGES.iter().find(|s| s.0 == name)?;
    let mut s: String = shared.concat();
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

/// A buffer holding `data`, padded to at least one record and 16 bytes (wgpu binds no runtime
/// array without an element, and nothing smaller than 16 bytes).
fn upload<T: Pod>(client: &Client, data: &[T]) -> Handle {
    let bytes: &[u8] = bytemuck::cast_slice(data);
    let min = std::mem::size_of::<T>().max(16).next_multiple_of(16);
    if bytes.len() < min {
        let mut padded = bytes.to_vec();
        padded.resize(min, 0);
        return client.create_from_slice(&padded);
    }
    client.create_from_slice(bytes)
}

/// A zeroed buffer of `bytes` (at least 16).
fn zeros(client: &Client, bytes: usize) -> Handle {
    client.create_from_slice(&vec![0u8; bytes.max(16)])
}

/// Dispatches `invocations` invocations of `stage` (64 per workgroup, as a 2-D grid past
/// 65 535 workgroups) over `buffers`, bound in order.
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

/// The GPU record of one gradient (its stops' offsets start at `stops_start` of the stop
/// buffer).
fn gradient_record(g: &Gradient, stops_start: usize) -> GradientRecord {
    let (kind, shape) = match g.shape {
        GradientShape::Linear { x1, y1, x2, y2 } => (0, [x1, y1, x2, y2, 0.0, 0.0]),
        GradientShape::Radial { cx, cy, r, fx, fy, fr } => (1, [cx, cy, r, fx, fy, fr]),
    };
    GradientRecord {
        kind,
        spread: match g.spread {
            Spread::Pad => 0,
            Spread::Reflect => 1,
            Spread::Repeat => 2,
        },
        first_color: g.first_color,
        n_stops: g.offsets.len() as u32,
        stops_start: stops_start as u32,
        shape,
        canvas_to_gradient: g.canvas_to_gradient,
    }
}

/// The GPU record of one layer.
fn layer_record(l: &super::prepare::Layer) -> LayerRecord {
    let rule = match l.rule {
        FillRule::NonZero => 0,
        FillRule::EvenOdd => 1,
    };
    let (paint_kind, paint_index) = match l.paint {
        Paint::None => (0, 0),
        Paint::Solid(i) => (1, i),
        Paint::Gradient(g) => (2, g),
    };
    LayerRecord { rule, paint_kind, paint_index }
}

/// Scene-wide buffers shared by every band.
struct Shared {
    lines: Handle,
    layers: Handle,
    colors: Handle,
    grads: Handle,
    stops: Handle,
    line_ids: Handle,
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
    let layers: Vec<LayerRecord> = p.layers.iter().map(layer_record).collect();
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
        line_ids: upload(client, &frame.rows.line_ids),
        n_lines: lines.len(),
    }
}

/// A band of rows `[y0, y1)` and its band-relative buffers.
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

impl Band {
    /// Pixels of the band.
    fn pixels(&self, width: u32) -> usize {
        (self.y1 - self.y0) * width as usize
    }
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

/// The first cell of every item (`xr − xl + 1` cells each), and the total at the end.
pub fn cell_offsets(items: &[super::rows::LayerRow]) -> Vec<u32> {
    let mut a_off = Vec::with_capacity(items.len() + 1);
    let mut cells = 0u32;
    for it in items {
        a_off.push(cells);
        cells += it.xr - it.xl + 1;
    }
    a_off.push(cells);
    a_off
}

fn band(client: &Client, frame: &Frame, y0: usize, y1: usize) -> Band {
    let p = &frame.prepared;
    let rows = &frame.rows;
    let (i0, i1) = (rows.starts[y0] as usize, rows.starts[y1] as usize);
    let items = &rows.items[i0..i1];
    let a_off = cell_offsets(items);
    let starts: Vec<u32> = rows.starts[y0..=y1].iter().map(|s| s - rows.starts[y0]).collect();
    let bg = frame.background;
    let line_range = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.lines_start as usize..b.lines_end as usize,
        _ => 0..0,
    };
    let info = BandInfo {
        width: p.width,
        height: p.height,
        n_items: items.len() as u32,
        y0: y0 as u32,
        background: [bg[0] * bg[3], bg[1] * bg[3], bg[2] * bg[3], bg[3]],
        inv_scale: [1.0 / p.scale[0], 1.0 / p.scale[1]],
        n_pixels: ((y1 - y0) * p.width as usize) as u32,
        first_line_entry: line_range.start as u32,
    };
    Band {
        y0,
        y1,
        n_items: items.len(),
        cells: *a_off.last().unwrap_or(&0) as usize,
        info: upload(client, &[info]),
        starts: upload(client, &starts),
        items: upload(client, items),
        item_rows: upload(client, &rows.item_rows[i0..i1]),
        a_off: upload(client, &a_off),
        line_range,
    }
}

/// Stage 3 over a band: `acc` gets every item's `A`.
fn run_coverage(client: &Client, sh: &Shared, b: &Band, acc: &Handle) {
    let buffers = [&b.info, &b.items, &b.item_rows, &b.a_off, &sh.line_ids, &sh.lines, acc];
    launch(client, "coverage", b.n_items, &buffers);
}

/// Stage 4 over a band: its pixels of `out` (the whole image).
fn run_composite(client: &Client, sh: &Shared, b: &Band, width: u32, acc: &Handle, out: &Handle) {
    let buffers = [&b.info, &b.starts, &b.items, &b.a_off, acc, &sh.layers, &sh.colors, &sh.grads, &sh.stops, out];
    launch(client, "composite", b.pixels(width), &buffers);
}

/// dL/d cell buffers of stage 5 over a band.
struct CellGrads {
    saved: Handle,
    g: Handle,
    cg: Handle,
}

impl CellGrads {
    fn zeros(client: &Client, cells: usize) -> Self {
        CellGrads { saved: zeros(client, cells * 16), g: zeros(client, cells * 4), cg: zeros(client, cells * 16) }
    }
}

/// Stage 5 over a band: `grad` is dL/d image (the whole image).
fn run_composite_backward(
    client: &Client,
    sh: &Shared,
    b: &Band,
    width: u32,
    acc: &Handle,
    grad: &Handle,
    out: &CellGrads,
) {
    let buffers = [
        &b.info, &b.starts, &b.items, &b.a_off, acc, &sh.layers, &sh.colors, &sh.grads, &sh.stops, grad, &out.saved,
        &out.g, &out.cg,
    ];
    launch(client, "composite_backward", b.pixels(width), &buffers);
}

/// The colour slots of a band's items: one per solid paint, one per gradient stop, per item.
struct ColorSlots {
    /// First slot of every item, and the total at the end.
    offsets: Vec<u32>,
    /// The scene colour of every slot.
    colors: Vec<u32>,
}

fn color_slots(scene: &Scene, frame: &Frame, b: &Band) -> ColorSlots {
    let rows = &frame.rows;
    let items = &rows.items[rows.starts[b.y0] as usize..rows.starts[b.y1] as usize];
    let mut offsets = Vec::with_capacity(items.len() + 1);
    let mut colors: Vec<u32> = Vec::new();
    for it in items {
        offsets.push(colors.len() as u32);
        colors.extend(super::cpu::paint_colors(scene, frame.prepared.layers[it.layer as usize].paint));
    }
    offsets.push(colors.len() as u32);
    ColorSlots { offsets, colors }
}

/// Stage 6 over a band: returns the slot buffer (`slots.colors.len()` vec4s).
fn run_color_reduce(client: &Client, sh: &Shared, b: &Band, cg: &Handle, slots: &ColorSlots) -> Handle {
    let offsets = upload(client, &slots.offsets);
    let out = zeros(client, slots.colors.len() * 16);
    let buffers = [&b.info, &b.items, &b.item_rows, &b.a_off, &sh.layers, &sh.grads, &sh.stops, cg, &offsets, &out];
    launch(client, "color_reduce", b.n_items, &buffers);
    out
}

/// Stage 7 over a band: returns one dL/d line vec4 per entry of the band's `line_range`.
fn run_coverage_backward(client: &Client, sh: &Shared, b: &Band, g: &Handle) -> Handle {
    let suffix = zeros(client, b.cells * 4);
    let line_slots = zeros(client, b.line_range.len() * 16);
    let buffers = [&b.info, &b.items, &b.item_rows, &b.a_off, &sh.line_ids, &sh.lines, g, &suffix, &line_slots];
    launch(client, "coverage_backward", b.n_items, &buffers);
    line_slots
}

/// Stage 8 over a band: adds each line's slots, in slot order, to `line_grads`. The CSR from
/// the band's lines to their slots covers the lines the band touches only: O(slots · log) per
/// band, whatever the scene's line count.
fn run_line_reduce(client: &Client, frame: &Frame, b: &Band, line_slots: &Handle, line_grads: &Handle) {
    let band_ids = &frame.rows.line_ids[b.line_range.clone()];
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
    let info = upload(client, &[LineReduceInfo { n_lines: band_lines.len() as u32 }]);
    let (start_h, list_h, lines_h) = (upload(client, &starts), upload(client, &list), upload(client, &band_lines));
    launch(client, "line_reduce", band_lines.len(), &[&info, &start_h, &list_h, line_slots, line_grads, &lines_h]);
}

/// Renders into a new buffer of `height × width × 4` f32 (straight RGBA).
pub fn forward(client: &Client, scene: &Scene, frame: &Frame) -> Handle {
    let p = &frame.prepared;
    let sh = shared(client, scene, frame);
    let out = zeros(client, p.width as usize * p.height as usize * 16);
    for (y0, y1) in band_limits(frame) {
        let b = band(client, frame, y0, y1);
        let acc = zeros(client, b.cells * 4);
        run_coverage(client, &sh, &b, &acc);
        run_composite(client, &sh, &b, p.width, &acc, &out);
    }
    out
}

/// Backward: `grad` holds dL/d image (`height × width × 4` f32). Returns dL/d line endpoints
/// and dL/d colours.
pub fn backward(client: &Client, scene: &Scene, frame: &Frame, grad: &Handle) -> Result<RawGrad> {
    let p = &frame.prepared;
    let sh = shared(client, scene, frame);
    let line_grads = zeros(client, sh.n_lines * 16);
    let mut colors = vec![[0.0f32; 4]; scene.colors.len()];
    for (y0, y1) in band_limits(frame) {
        let b = band(client, frame, y0, y1);
        if b.n_items == 0 {
            continue;
        }
        let acc = zeros(client, b.cells * 4);
        let cells = CellGrads::zeros(client, b.cells);
        run_coverage(client, &sh, &b, &acc);
        run_composite_backward(client, &sh, &b, p.width, &acc, grad, &cells);
        let slots = color_slots(scene, frame, &b);
        let slot_sums = run_color_reduce(client, &sh, &b, &cells.cg, &slots);
        let line_slots = run_coverage_backward(client, &sh, &b, &cells.g);
        run_line_reduce(client, frame, &b, &line_slots, &line_grads);
        let sums: Vec<[f32; 4]> = read(client, slot_sums, slots.colors.len())?;
        for (c, s) in slots.colors.iter().zip(sums) {
            for k in 0..4 {
                colors[*c as usize][k] += s[k];
            }
        }
    }
    let lines: Vec<[f32; 4]> = read(client, line_grads, sh.n_lines)?;
    Ok(RawGrad { lines, colors })
}

/// Stage `view_sample` on the render in `render` (`[H, W, 4]` f32): a new buffer of the views,
/// `[B, 3, S, S]` f32 (see [`crate::resample`]).
pub fn view_sample(client: &Client, info: &ViewSampleInfo, views: &[ViewRecord], render: &Handle) -> Handle {
    let n = info.n_views as usize * info.size as usize * info.size as usize;
    let out = zeros(client, n * 3 * 4);
    let (info_h, views_h) = (upload(client, &[*info]), upload(client, views));
    launch(client, "view_sample", n, &[&info_h, &views_h, render, &out]);
    out
}

/// Stage `view_sample_backward` on dL/d views in `grad`: a new buffer of dL/d render,
/// `[H, W, 4]` f32.
pub fn view_sample_backward(client: &Client, info: &ViewSampleInfo, views: &[ViewRecord], grad: &Handle) -> Handle {
    let n = info.width as usize * info.height as usize;
    let out = zeros(client, n * 16);
    let (info_h, views_h) = (upload(client, &[*info]), upload(client, views));
    launch(client, "view_sample_backward", n, &[&info_h, &views_h, grad, &out]);
    out
}

/// Runs a view stage on host data (for the parity tests against [`crate::resample`]): the
/// forward on a render, or the backward on dL/d views.
pub fn view_stage_on_host(
    backward: bool,
    info: &ViewSampleInfo,
    views: &[ViewRecord],
    input: &[f32],
) -> Result<Vec<f32>> {
    let client = crate::compute::wgpu_client();
    let input = upload(&client, input);
    if backward {
        let out = view_sample_backward(&client, info, views, &input);
        read(&client, out, info.width as usize * info.height as usize * 4)
    } else {
        let out = view_sample(&client, info, views, &input);
        read(&client, out, info.n_views as usize * 3 * info.size as usize * info.size as usize)
    }
}

/// Runs the WGSL stages one at a time on inputs given by the host, for the parity tests against
/// their CPU twins in [`crate::cpu`]. The whole frame is one band (it must fit [`CHUNK_CELLS`]);
/// cell buffers follow [`cell_offsets`] of all the frame's items, line slots the frame's
/// `rows.line_ids`, colour slots [`crate::cpu::color_slot_offsets`].
pub struct StageRunner<'a> {
    client: Client,
    scene: &'a Scene,
    frame: &'a Frame,
    sh: Shared,
    b: Band,
}

impl<'a> StageRunner<'a> {
    /// Uploads `frame` to wgpu's default device (bring it up first with
    /// [`crate::compute::device_for`]).
    pub fn new(scene: &'a Scene, frame: &'a Frame) -> Result<Self> {
        let client = crate::compute::wgpu_client();
        if band_limits(frame).len() != 1 {
            return Err(Error::InvalidInput("the frame needs more than one band".into()));
        }
        let sh = shared(&client, scene, frame);
        let b = band(&client, frame, 0, frame.prepared.height as usize);
        Ok(StageRunner { client, scene, frame, sh, b })
    }

    /// Stage 3: every item's `A`.
    pub fn coverage(&self) -> Result<Vec<f32>> {
        let acc = zeros(&self.client, self.b.cells * 4);
        run_coverage(&self.client, &self.sh, &self.b, &acc);
        read(&self.client, acc, self.b.cells)
    }

    /// Stage 4 on the cells' `acc`: the straight RGBA image.
    pub fn composite(&self, acc: &[f32]) -> Result<Vec<f32>> {
        let p = &self.frame.prepared;
        let n = p.width as usize * p.height as usize * 4;
        let out = zeros(&self.client, n * 4);
        run_composite(&self.client, &self.sh, &self.b, p.width, &upload(&self.client, acc), &out);
        read(&self.client, out, n)
    }

    /// Stage 5 on the cells' `acc` and dL/d image: dL/dA and dL/d colour per cell.
    pub fn composite_backward(&self, acc: &[f32], grad: &[f32]) -> Result<(Vec<f32>, Vec<[f32; 4]>)> {
        let (c, cells) = (&self.client, self.b.cells);
        let out = CellGrads::zeros(c, cells);
        let width = self.frame.prepared.width;
        run_composite_backward(c, &self.sh, &self.b, width, &upload(c, acc), &upload(c, grad), &out);
        Ok((read(c, out.g, cells)?, read(c, out.cg, cells)?))
    }

    /// Stage 6 on dL/d colour per cell: the colour slots.
    pub fn color_reduce(&self, cg: &[[f32; 4]]) -> Result<Vec<[f32; 4]>> {
        let slots = color_slots(self.scene, self.frame, &self.b);
        let out = run_color_reduce(&self.client, &self.sh, &self.b, &upload(&self.client, cg), &slots);
        read(&self.client, out, slots.colors.len())
    }

    /// Stage 7 on dL/dA per cell: one dL/d line per `line_ids` entry.
    pub fn coverage_backward(&self, g: &[f32]) -> Result<Vec<[f32; 4]>> {
        let out = run_coverage_backward(&self.client, &self.sh, &self.b, &upload(&self.client, g));
        read(&self.client, out, self.b.line_range.len())
    }

    /// Stage 8 on the line slots: dL/d line endpoints per line.
    pub fn line_reduce(&self, line_slots: &[[f32; 4]]) -> Result<Vec<[f32; 4]>> {
        let out = zeros(&self.client, self.sh.n_lines * 16);
        run_line_reduce(&self.client, self.frame, &self.b, &upload(&self.client, line_slots), &out);
        read(&self.client, out, self.sh.n_lines)
    }
}

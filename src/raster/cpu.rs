//! The CPU implementation of stages 3–8 (*coverage*, *composite* and their backward; numbered
//! as in the crate docs), parallel over pixel rows with rayon. Every WGSL stage of `shaders/`
//! has a CPU twin here of the same name, taking the same inputs in the same layout (a row's
//! items' cells at [`crate::gpu::cell_offsets`], one line slot per `rows.line_ids` entry, one
//! colour slot per colour a layer row's paint reads): [`coverage`], [`composite`],
//! [`composite_backward`], [`color_reduce`], [`coverage_backward`], [`line_reduce`]. The GPU
//! runs them per item or per pixel, the CPU per row; `tests/raster/gpu.rs` compares each pair
//! stage by stage.
//!
//! Both passes give the same bits for any thread count and on every run: each row is computed
//! by one task, and the backward's sums over rows are taken serially in a fixed order from
//! per-row slots, never in the order rayon's tasks happen to finish (`tests/engine/determinism.rs`).
//!
//! Compositing is source-over in premultiplied form onto the background:
//! `P_{i+1} = c_i.rgb·α_i + P_i.rgb·(1 − α_i)`, `P_{i+1}.a = α_i + P_i.a·(1 − α_i)` with
//! `α_i = c_i.a · coverage_i`; the output is straight RGBA (`P.rgb / P.a`).
//! Backward runs the recurrence in reverse per pixel, from the `P_i` saved by a forward pass
//! over the same row.

use rayon::prelude::*;

use super::coverage::{accumulate, accumulate_backward, coverage as cell_coverage, coverage_grad};
use super::paint::blend_at;
use super::prepare::{Layer, Prepared};
use super::rows::{LayerRow, Rows};
use clipvg_document::scene::Paint;
use clipvg_document::scene::Scene;

/// Per-row scratch buffers.
#[derive(Default)]
struct Scratch {
    /// Every item's cells (`A`), at `offsets`.
    acc: Vec<f32>,
    offsets: Vec<usize>,
    /// dL/dA and dL/d colour per cell (backward).
    g: Vec<f32>,
    cg: Vec<[f32; 4]>,
    suffix: Vec<f32>,
    replay: ReplayScratch,
}

/// Scratch of [`composite`] and [`composite_backward`].
#[derive(Default)]
pub struct ReplayScratch {
    /// The row's pixels (premultiplied) while compositing.
    px: Vec<[f32; 4]>,
    /// `P_i` per cell (backward).
    saved_p: Vec<[f32; 4]>,
    /// dL/dP per pixel (backward).
    gp: Vec<[f32; 4]>,
}

impl Scratch {
    /// Lays out the cells of `items` (`xr − xl + 1` each) and runs stage 3 on each.
    fn cover_row(&mut self, p: &Prepared, rows: &Rows, items: &[LayerRow], y: usize) {
        self.offsets.clear();
        self.acc.clear();
        for it in items {
            let start = self.acc.len();
            self.offsets.push(start);
            self.acc.resize(start + (it.xr - it.xl + 1) as usize, 0.0);
            coverage(p, rows, it, y, &mut self.acc[start..]);
        }
    }
}

fn lines_of<'a>(p: &'a Prepared, rows: &'a Rows, it: &LayerRow) -> impl Iterator<Item = [[f32; 2]; 2]> + 'a {
    rows.line_ids[it.lines()].iter().map(|&id| p.line(id as usize))
}

/// Row `y`'s items.
fn row_items(rows: &Rows, y: usize) -> &[LayerRow] {
    &rows.items[rows.starts[y] as usize..rows.starts[y + 1] as usize]
}

/// One source-over step in premultiplied form: `q ← c·α + q·(1 − α)` (straight colour `c`).
#[inline]
fn over(q: &mut [f32; 4], c: [f32; 4], alpha: f32) {
    for k in 0..3 {
        q[k] = c[k] * alpha + q[k] * (1.0 - alpha);
    }
    q[3] = alpha + q[3] * (1.0 - alpha);
}

/// Premultiplied background.
fn premul(bg: [f32; 4]) -> [f32; 4] {
    [bg[0] * bg[3], bg[1] * bg[3], bg[2] * bg[3], bg[3]]
}

fn to_straight(p: [f32; 4]) -> [f32; 4] {
    if p[3] > 1e-12 { [p[0] / p[3], p[1] / p[3], p[2] / p[3], p[3]] } else { [0.0; 4] }
}

/// Composites one layer over pixel `(x, y)` given its winding-weighted area `a`. Shared by the
/// forward and the backward's re-run of it, which must composite exactly alike.
/// WGSL twin: `composite_item` in `shaders/over.wgsl`.
#[inline]
pub fn composite_cell(scene: &Scene, layer: &Layer, a: f32, x: i32, y: usize, inv_scale: [f32; 2], q: &mut [f32; 4]) {
    let cov = cell_coverage(a, layer.rule);
    if cov <= 0.0 {
        return;
    }
    if let Some(b) = blend_at(scene, layer.paint, x as f32 + 0.5, y as f32 + 0.5, inv_scale) {
        let c = b.color(&scene.colors);
        over(q, c, c[3] * cov);
    }
}

/// Render pixels → canvas units, per axis.
fn inv_scale(p: &Prepared) -> [f32; 2] {
    [1.0 / p.scale[0], 1.0 / p.scale[1]]
}

/// Stage 3, *coverage*, of one item of row `y`: its `A` over cells `xl..=xr` into `acc`
/// (`xr − xl + 1` values). WGSL twin: `shaders/coverage.wgsl`.
pub fn coverage(p: &Prepared, rows: &Rows, item: &LayerRow, y: usize, acc: &mut [f32]) {
    accumulate(lines_of(p, rows, item), y as i32, item.xl as i32, item.xr as i32, acc);
}

/// Stage 4, *composite*, of row `y`: every item (with its `A` at `offsets` of `acc`)
/// source-over onto the `background` (straight), straight RGBA into `out_row` (`width × 4`).
/// WGSL twin: `shaders/composite.wgsl`.
#[allow(clippy::too_many_arguments)] // the stage's inputs, as the WGSL twin binds them
pub fn composite(
    scene: &Scene,
    p: &Prepared,
    items: &[LayerRow],
    offsets: &[usize],
    acc: &[f32],
    y: usize,
    background: [f32; 4],
    out_row: &mut [f32],
    scratch: &mut ReplayScratch,
) {
    let inv_scale = inv_scale(p);
    let px = &mut scratch.px;
    px.clear();
    px.resize(p.width as usize, premul(background));
    for (it, &off) in items.iter().zip(offsets) {
        let layer = &p.layers[it.layer as usize];
        let (xl, xr) = (it.xl as i32, it.xr as i32);
        for x in xl..xr {
            composite_cell(scene, layer, acc[off + (x - xl) as usize], x, y, inv_scale, &mut px[x as usize]);
        }
    }
    for (x, q) in px.iter().enumerate() {
        out_row[4 * x..4 * x + 4].copy_from_slice(&to_straight(*q));
    }
}

/// Renders straight RGBA rows into `out` (`height × width × 4`).
pub fn forward(scene: &Scene, p: &Prepared, rows: &Rows, background: [f32; 4], out: &mut [f32]) {
    let w = p.width as usize;
    out.par_chunks_mut(w * 4).enumerate().for_each_init(Scratch::default, |s, (y, out_row)| {
        let items = row_items(rows, y);
        s.cover_row(p, rows, items, y);
        composite(scene, p, items, &s.offsets, &s.acc, y, background, out_row, &mut s.replay);
    });
}

/// Stage 5, *composite backward*, of row `y`: replays the forward over the row (saving `P_i`),
/// then runs it in reverse from `grad_row` (dL/d straight RGBA, `width × 4`): dL/dA into `g`
/// and dL/d colour into `cg`, per cell at `offsets` (cells it skips keep their values: pass
/// zeros). WGSL twin: `shaders/composite_backward.wgsl`.
#[allow(clippy::too_many_arguments)] // the stage's inputs and outputs, as the WGSL twin binds them
pub fn composite_backward(
    scene: &Scene,
    p: &Prepared,
    items: &[LayerRow],
    offsets: &[usize],
    acc: &[f32],
    y: usize,
    background: [f32; 4],
    grad_row: &[f32],
    g: &mut [f32],
    cg: &mut [[f32; 4]],
    scratch: &mut ReplayScratch,
) {
    let inv_scale = inv_scale(p);
    let ReplayScratch { px, saved_p, gp } = scratch;
    // Forward over the row, saving P_i per cell.
    px.clear();
    px.resize(p.width as usize, premul(background));
    saved_p.clear();
    saved_p.resize(acc.len(), [0.0; 4]);
    for (it, &off) in items.iter().zip(offsets) {
        let layer = &p.layers[it.layer as usize];
        let (xl, xr) = (it.xl as i32, it.xr as i32);
        for x in xl..xr {
            let (q, i) = (&mut px[x as usize], off + (x - xl) as usize);
            saved_p[i] = *q;
            composite_cell(scene, layer, acc[i], x, y, inv_scale, q);
        }
    }
    // dL/dP at the end, from dL/d straight output.
    gp.clear();
    for (x, q) in px.iter().enumerate() {
        let g = &grad_row[x * 4..x * 4 + 4];
        if q[3] > 1e-12 {
            let inv = 1.0 / q[3];
            let dot = (0..3).map(|k| g[k] * q[k]).sum::<f32>();
            gp.push([g[0] * inv, g[1] * inv, g[2] * inv, g[3] - dot * inv * inv]);
        } else {
            gp.push([0.0; 4]);
        }
    }
    // Reverse over the items.
    for (it, &off) in items.iter().zip(offsets).rev() {
        let layer = &p.layers[it.layer as usize];
        for x in it.xl as i32..it.xr as i32 {
            let i = off + (x - it.xl as i32) as usize;
            let a = acc[i];
            let cov = cell_coverage(a, layer.rule);
            let dcov = coverage_grad(a, layer.rule);
            if cov <= 0.0 && dcov == 0.0 {
                continue;
            }
            let Some(b) = blend_at(scene, layer.paint, x as f32 + 0.5, y as f32 + 0.5, inv_scale) else {
                continue;
            };
            let c = b.color(&scene.colors);
            let q = saved_p[i];
            let gp = &mut gp[x as usize];
            let alpha = c[3] * cov;
            let g_alpha = (0..3).map(|k| gp[k] * (c[k] - q[k])).sum::<f32>() + gp[3] * (1.0 - q[3]);
            cg[i] = [gp[0] * alpha, gp[1] * alpha, gp[2] * alpha, g_alpha * cov];
            g[i] = g_alpha * c[3] * dcov;
            for v in gp.iter_mut() {
                *v *= 1.0 - alpha;
            }
        }
    }
}

/// Stage 6, *colour reduce*, of one item of row `y`: adds dL/d colour of its cells (`cg`, from
/// its first cell) into its colour `slots` (one per colour its paint reads, see
/// [`paint_colors`]), cell by cell from the left. WGSL twin: `shaders/color_reduce.wgsl`.
pub fn color_reduce(scene: &Scene, p: &Prepared, item: &LayerRow, y: usize, cg: &[[f32; 4]], slots: &mut [[f32; 4]]) {
    let layer = &p.layers[item.layer as usize];
    let first_color = paint_colors(scene, layer.paint).start;
    let inv_scale = inv_scale(p);
    for x in item.xl as i32..item.xr as i32 {
        let gc = cg[(x - item.xl as i32) as usize];
        // Adding zeros changes no slot (a slot that starts at +0 is never −0).
        if gc == [0.0; 4] {
            continue;
        }
        let Some(b) = blend_at(scene, layer.paint, x as f32 + 0.5, y as f32 + 0.5, inv_scale) else {
            continue;
        };
        let w0 = 1.0 - b.w1;
        let slot = &mut slots[(b.i0 - first_color) as usize];
        for k in 0..4 {
            slot[k] += w0 * gc[k];
        }
        if b.w1 != 0.0 {
            let slot = &mut slots[(b.i1 - first_color) as usize];
            for k in 0..4 {
                slot[k] += b.w1 * gc[k];
            }
        }
    }
}

/// Stage 7, *coverage backward*, of one item of row `y`: from dL/dA of its cells (`g`, from its
/// first cell) to dL/d(x0, y0, x1, y1) of each of its lines, one per `rows.line_ids` entry
/// into `slots`. `suffix` is scratch. WGSL twin: `shaders/coverage_backward.wgsl`.
pub fn coverage_backward(
    p: &Prepared,
    rows: &Rows,
    item: &LayerRow,
    y: usize,
    g: &[f32],
    suffix: &mut Vec<f32>,
    slots: &mut [[f32; 4]],
) {
    let (xl, xr) = (item.xl as i32, item.xr as i32);
    suffix.resize((xr - xl + 1) as usize, 0.0);
    let ids = rows.line_ids[item.lines()].iter().enumerate().map(|(j, &id)| (j, p.line(id as usize)));
    accumulate_backward(ids, y as i32, xl, xr, g, suffix, |j, g| slots[j] = g);
}

/// Stage 8, *line reduce*: adds every line's slots (one per `line_ids` entry), in slot order,
/// to its gradient in `lines`. WGSL twin: `shaders/line_reduce.wgsl`.
pub fn line_reduce(line_ids: &[u32], line_slots: &[[f32; 4]], lines: &mut [[f32; 4]]) {
    for (slot, &id) in line_slots.iter().zip(line_ids) {
        let l = &mut lines[id as usize];
        for k in 0..4 {
            l[k] += slot[k];
        }
    }
}

/// Gradients with respect to the prepared geometry and the scene colours.
pub struct RawGrad {
    /// dL/d(x0, y0, x1, y1) per line.
    pub lines: Vec<[f32; 4]>,
    /// dL/d colour per scene colour entry.
    pub colors: Vec<[f32; 4]>,
}

impl RawGrad {
    fn zeros(lines: usize, colors: usize) -> Self {
        RawGrad { lines: vec![[0.0; 4]; lines], colors: vec![[0.0; 4]; colors] }
    }
}

/// Stages 3 and 5–7 of row `y` into its line and colour slots (each item's, contiguous, from the
/// row's first).
#[allow(clippy::too_many_arguments)] // one row task of `backward`
fn backward_row(
    scene: &Scene,
    p: &Prepared,
    rows: &Rows,
    background: [f32; 4],
    grad: &[f32],
    color_off: &[usize],
    y: usize,
    s: &mut Scratch,
    lslots: &mut [[f32; 4]],
    cslots: &mut [[f32; 4]],
) {
    let w = p.width as usize;
    let i0 = rows.starts[y] as usize;
    let items = row_items(rows, y);
    let Some(first) = items.first() else { return };
    let (line_base, color_base) = (first.lines_start as usize, color_off[i0]);
    s.cover_row(p, rows, items, y);
    let n = s.acc.len();
    s.g.clear();
    s.g.resize(n, 0.0);
    s.cg.clear();
    s.cg.resize(n, [0.0; 4]);
    let grad_row = &grad[y * w * 4..(y + 1) * w * 4];
    composite_backward(
        scene,
        p,
        items,
        &s.offsets,
        &s.acc,
        y,
        background,
        grad_row,
        &mut s.g,
        &mut s.cg,
        &mut s.replay,
    );
    for (k, it) in items.iter().enumerate() {
        let cells = s.offsets[k]..s.offsets[k] + (it.xr - it.xl + 1) as usize;
        let cslot = &mut cslots[color_off[i0 + k] - color_base..color_off[i0 + k + 1] - color_base];
        color_reduce(scene, p, it, y, &s.cg[cells.clone()], cslot);
        let lslot = &mut lslots[it.lines_start as usize - line_base..it.lines_end as usize - line_base];
        coverage_backward(p, rows, it, y, &s.g[cells], &mut s.suffix, lslot);
    }
}

/// Backward of [`forward`]: `grad` is dL/d(output) in the same layout as the output.
///
/// Deterministic for any thread count: every layer row writes its lines' gradients into its own
/// slots (one per [`Rows::line_ids`] entry) and its colour gradients into its own colour slots
/// (one per colour of its paint), in parallel over rows; the slots are then added up per line
/// and per colour serially, in row-major item order. No sum depends on how rayon splits the
/// rows (as the GPU's `coverage_backward` + `line_reduce` and `color_reduce` do).
pub fn backward(scene: &Scene, p: &Prepared, rows: &Rows, background: [f32; 4], grad: &[f32]) -> RawGrad {
    let h = p.height as usize;
    let (n_lines, n_colors) = (p.lines.len(), scene.colors.len());
    let color_off = color_slot_offsets(scene, p, rows);
    let mut line_slots = vec![[0.0f32; 4]; rows.line_ids.len()];
    let mut color_slots = vec![[0.0f32; 4]; *color_off.last().unwrap_or(&0)];
    {
        // Each row's slots: its items' line entries and colour slots are contiguous.
        let mut tasks = Vec::with_capacity(h);
        let (mut ls, mut cs) = (&mut line_slots[..], &mut color_slots[..]);
        for y in 0..h {
            let (i0, i1) = (rows.starts[y] as usize, rows.starts[y + 1] as usize);
            let nl = if i1 > i0 { (rows.items[i1 - 1].lines_end - rows.items[i0].lines_start) as usize } else { 0 };
            let (a, rest) = std::mem::take(&mut ls).split_at_mut(nl);
            ls = rest;
            let (c, rest) = std::mem::take(&mut cs).split_at_mut(color_off[i1] - color_off[i0]);
            cs = rest;
            tasks.push((y, a, c));
        }
        tasks.into_par_iter().for_each_init(Scratch::default, |s, (y, lslots, cslots)| {
            backward_row(scene, p, rows, background, grad, &color_off, y, s, lslots, cslots);
        });
    }
    // Fixed-order sums: every line's and colour's slots in row-major item order.
    let mut out = RawGrad::zeros(n_lines, n_colors);
    line_reduce(&rows.line_ids, &line_slots, &mut out.lines);
    for (i, it) in rows.items.iter().enumerate() {
        let colors = paint_colors(scene, p.layers[it.layer as usize].paint);
        for (slot, c) in color_slots[color_off[i]..color_off[i + 1]].iter().zip(colors) {
            let acc = &mut out.colors[c as usize];
            for k in 0..4 {
                acc[k] += slot[k];
            }
        }
    }
    out
}

/// The colour entries a paint reads: one for a solid colour, one per stop of a gradient.
pub fn paint_colors(scene: &Scene, paint: Paint) -> std::ops::Range<u32> {
    match paint {
        Paint::None => 0..0,
        Paint::Solid(c) => c..c + 1,
        Paint::Gradient(g) => {
            let g = &scene.gradients[g as usize];
            g.first_color..g.first_color + g.offsets.len() as u32
        }
    }
}

/// First colour slot of every layer row (and the total at the end).
pub fn color_slot_offsets(scene: &Scene, p: &Prepared, rows: &Rows) -> Vec<usize> {
    let mut off = Vec::with_capacity(rows.items.len() + 1);
    let mut n = 0;
    for it in &rows.items {
        off.push(n);
        n += paint_colors(scene, p.layers[it.layer as usize].paint).len();
    }
    off.push(n);
    off
}

//! The CPU implementation of stages 2–3 (*coverage* and *composite*), forward and backward,
//! parallel over pixel rows with rayon. The WGSL shaders in `shaders/` implement the same
//! maths per row item and per pixel; tests compare the two.
//!
//! Both passes give the same bits for any thread count and on every run: each row is computed
//! by one task, and the backward's sums over rows are taken serially in a fixed order from
//! per-row slots, never in the order rayon's tasks happen to finish (`tests/determinism.rs`).
//!
//! Compositing is source-over in premultiplied form onto the background:
//! `P_{i+1} = c_i.rgb·α_i + P_i.rgb·(1 − α_i)`, `P_{i+1}.a = α_i + P_i.a·(1 − α_i)` with
//! `α_i = c_i.a · coverage_i`; the output is straight RGBA (`P.rgb / P.a`).
//! Backward runs the recurrence in reverse per pixel, from the `P_i` saved by a forward pass
//! over the same row.

use rayon::prelude::*;

use super::coverage::{accumulate, accumulate_backward, coverage, coverage_grad};
use super::paint::blend_at;
use super::prepare::{Layer, Prepared};
use super::rows::Rows;
use clipvg_document::scene::Paint;
use clipvg_document::scene::Scene;

/// Per-row scratch buffers.
#[derive(Default)]
struct Scratch {
    acc: Vec<f32>,
    suffix: Vec<f32>,
    g: Vec<f32>,
    /// Saved `A` of every item of the row, then `P_i` (4 floats per pixel).
    saved_a: Vec<f32>,
    saved_p: Vec<[f32; 4]>,
    offsets: Vec<usize>,
    gp: Vec<[f32; 4]>,
}

fn lines_of<'a>(
    p: &'a Prepared,
    rows: &'a Rows,
    it: &super::rows::LayerRow,
) -> impl Iterator<Item = [[f32; 2]; 2]> + 'a {
    rows.line_ids[it.lines()].iter().map(|&id| p.line(id as usize))
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
#[inline]
fn composite_cell(scene: &Scene, layer: &Layer, a: f32, x: i32, y: usize, inv_scale: [f32; 2], q: &mut [f32; 4]) {
    let cov = coverage(a, layer.rule);
    if cov <= 0.0 {
        return;
    }
    if let Some(b) = blend_at(scene, layer.paint, x as f32 + 0.5, y as f32 + 0.5, inv_scale) {
        let c = b.color(&scene.colors);
        over(q, c, c[3] * cov);
    }
}

/// Renders straight RGBA rows into `out` (`height × width × 4`).
pub fn forward(scene: &Scene, p: &Prepared, rows: &Rows, background: [f32; 4], out: &mut [f32]) {
    let w = p.width as usize;
    let inv_scale = [1.0 / p.scale[0], 1.0 / p.scale[1]];
    let bg = premul(background);
    out.par_chunks_mut(w * 4).enumerate().for_each_init(Scratch::default, |scratch, (y, out_row)| {
        let mut px: Vec<[f32; 4]> = vec![bg; w];
        for it in &rows.items[rows.starts[y] as usize..rows.starts[y + 1] as usize] {
            let layer = &p.layers[it.layer as usize];
            let (xl, xr) = (it.xl as i32, it.xr as i32);
            scratch.acc.resize((xr - xl + 1) as usize, 0.0);
            accumulate(lines_of(p, rows, it), y as i32, xl, xr, &mut scratch.acc);
            for x in xl..xr {
                composite_cell(scene, layer, scratch.acc[(x - xl) as usize], x, y, inv_scale, &mut px[x as usize]);
            }
        }
        for (x, q) in px.iter().enumerate() {
            out_row[4 * x..4 * x + 4].copy_from_slice(&to_straight(*q));
        }
    });
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

/// Backward of [`forward`]: `grad` is dL/d(output) in the same layout as the output.
///
/// Deterministic for any thread count: every layer row writes its lines' gradients into its own
/// slots (one per [`Rows::line_ids`] entry) and its colour gradients into its own colour slots
/// (one per colour of its paint), in parallel over rows; the slots are then added up per line
/// and per colour serially, in row-major item order. No sum depends on how rayon splits the
/// rows (as the GPU's `coverage_backward` + `line_reduce` and `color_reduce` do).
pub fn backward(scene: &Scene, p: &Prepared, rows: &Rows, background: [f32; 4], grad: &[f32]) -> RawGrad {
    let w = p.width as usize;
    let h = p.height as usize;
    let inv_scale = [1.0 / p.scale[0], 1.0 / p.scale[1]];
    let bg = premul(background);
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
            let (i0, i1) = (rows.starts[y] as usize, rows.starts[y + 1] as usize);
            let items = &rows.items[i0..i1];
            let Some(first) = items.first() else { return };
            let (line_base, color_base) = (first.lines_start as usize, color_off[i0]);
            // Forward over the row, saving A and P_i.
            let mut px: Vec<[f32; 4]> = vec![bg; w];
            s.saved_a.clear();
            s.saved_p.clear();
            s.offsets.clear();
            for it in items {
                let layer = &p.layers[it.layer as usize];
                let (xl, xr) = (it.xl as i32, it.xr as i32);
                s.acc.resize((xr - xl + 1) as usize, 0.0);
                accumulate(lines_of(p, rows, it), y as i32, xl, xr, &mut s.acc);
                s.offsets.push(s.saved_a.len());
                s.saved_a.extend_from_slice(&s.acc[..(xr - xl) as usize]);
                for x in xl..xr {
                    let q = &mut px[x as usize];
                    s.saved_p.push(*q);
                    composite_cell(scene, layer, s.acc[(x - xl) as usize], x, y, inv_scale, q);
                }
            }
            // dL/dP at the end, from dL/d straight output.
            s.gp.clear();
            for (x, q) in px.iter().enumerate() {
                let g = &grad[(y * w + x) * 4..(y * w + x) * 4 + 4];
                if q[3] > 1e-12 {
                    let inv = 1.0 / q[3];
                    let dot = (0..3).map(|k| g[k] * q[k]).sum::<f32>();
                    s.gp.push([g[0] * inv, g[1] * inv, g[2] * inv, g[3] - dot * inv * inv]);
                } else {
                    s.gp.push([0.0; 4]);
                }
            }
            // Reverse over the items.
            for (k, it) in items.iter().enumerate().rev() {
                let layer = &p.layers[it.layer as usize];
                let (xl, xr) = (it.xl as i32, it.xr as i32);
                let n = (xr - xl) as usize;
                s.g.clear();
                s.g.resize(n, 0.0);
                let a_off = s.offsets[k];
                let first_color = paint_colors(scene, layer.paint).start;
                let cslot = &mut cslots[color_off[i0 + k] - color_base..color_off[i0 + k + 1] - color_base];
                for x in xl..xr {
                    let i = (x - xl) as usize;
                    let a = s.saved_a[a_off + i];
                    let cov = coverage(a, layer.rule);
                    let dcov = coverage_grad(a, layer.rule);
                    if cov <= 0.0 && dcov == 0.0 {
                        continue;
                    }
                    let Some(b) = blend_at(scene, layer.paint, x as f32 + 0.5, y as f32 + 0.5, inv_scale) else {
                        continue;
                    };
                    let c = b.color(&scene.colors);
                    let q = s.saved_p[a_off + i];
                    let gp = &mut s.gp[x as usize];
                    let alpha = c[3] * cov;
                    let g_alpha = (0..3).map(|k| gp[k] * (c[k] - q[k])).sum::<f32>() + gp[3] * (1.0 - q[3]);
                    let gc = [gp[0] * alpha, gp[1] * alpha, gp[2] * alpha, g_alpha * cov];
                    s.g[i] = g_alpha * c[3] * dcov;
                    for v in gp.iter_mut() {
                        *v *= 1.0 - alpha;
                    }
                    let w0 = 1.0 - b.w1;
                    let slot = &mut cslot[(b.i0 - first_color) as usize];
                    for k in 0..4 {
                        slot[k] += w0 * gc[k];
                    }
                    if b.w1 != 0.0 {
                        let slot = &mut cslot[(b.i1 - first_color) as usize];
                        for k in 0..4 {
                            slot[k] += b.w1 * gc[k];
                        }
                    }
                }
                s.suffix.resize(n + 1, 0.0);
                let entries = it.lines();
                let lslot = &mut lslots[entries.start - line_base..entries.end - line_base];
                let ids = rows.line_ids[entries].iter().enumerate().map(|(j, &id)| (j, p.line(id as usize)));
                accumulate_backward(ids, y as i32, xl, xr, &s.g, &mut s.suffix, |j, g| lslot[j] = g);
            }
        });
    }
    // Fixed-order sums: every line's and colour's slots in row-major item order.
    let mut out = RawGrad::zeros(n_lines, n_colors);
    for (slot, &id) in line_slots.iter().zip(&rows.line_ids) {
        let l = &mut out.lines[id as usize];
        for k in 0..4 {
            l[k] += slot[k];
        }
    }
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
fn paint_colors(scene: &Scene, paint: Paint) -> std::ops::Range<u32> {
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
fn color_slot_offsets(scene: &Scene, p: &Prepared, rows: &Rows) -> Vec<usize> {
    let mut off = Vec::with_capacity(rows.items.len() + 1);
    let mut n = 0;
    for it in &rows.items {
        off.push(n);
        n += paint_colors(scene, p.layers[it.layer as usize].paint).len();
    }
    off.push(n);
    off
}

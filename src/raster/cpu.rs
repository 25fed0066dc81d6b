//! The CPU implementation of stages 2–3 (*coverage* and *composite*), forward and backward,
//! parallel over pixel rows with rayon. The WGSL shaders in `shaders/` implement the same
//! maths per row item and per pixel; tests compare the two.
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
use crate::scene::Scene;

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

fn lines_of<'a>(p: &'a Prepared, rows: &'a Rows, it: &super::rows::LayerRow) -> impl Iterator<Item = [[f32; 2]; 2]> + 'a {
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
    fn add(mut self, o: RawGrad) -> RawGrad {
        for (a, b) in self.lines.iter_mut().zip(&o.lines) {
            for k in 0..4 {
                a[k] += b[k];
            }
        }
        for (a, b) in self.colors.iter_mut().zip(&o.colors) {
            for k in 0..4 {
                a[k] += b[k];
            }
        }
        self
    }
}

/// Backward of [`forward`]: `grad` is dL/d(output) in the same layout as the output.
pub fn backward(scene: &Scene, p: &Prepared, rows: &Rows, background: [f32; 4], grad: &[f32]) -> RawGrad {
    let w = p.width as usize;
    let inv_scale = [1.0 / p.scale[0], 1.0 / p.scale[1]];
    let bg = premul(background);
    let (n_lines, n_colors) = (p.lines.len(), scene.colors.len());
    (0..p.height as usize)
        .into_par_iter()
        .with_min_len(4)
        .fold(
            || (RawGrad::zeros(n_lines, n_colors), Scratch::default()),
            |(mut acc_grad, mut s), y| {
                let items = &rows.items[rows.starts[y] as usize..rows.starts[y + 1] as usize];
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
                        for k in 0..4 {
                            acc_grad.colors[b.i0 as usize][k] += w0 * gc[k];
                        }
                        if b.w1 != 0.0 {
                            for k in 0..4 {
                                acc_grad.colors[b.i1 as usize][k] += b.w1 * gc[k];
                            }
                        }
                    }
                    s.suffix.resize(n + 1, 0.0);
                    let ids = rows.line_ids[it.lines()].iter().map(|&id| (id as usize, p.line(id as usize)));
                    let lines = &mut acc_grad.lines;
                    accumulate_backward(ids, y as i32, xl, xr, &s.g, &mut s.suffix, |id, g| {
                        for k in 0..4 {
                            lines[id][k] += g[k];
                        }
                    });
                }
                (acc_grad, s)
            },
        )
        .map(|(g, _)| g)
        .reduce(|| RawGrad::zeros(n_lines, n_colors), RawGrad::add)
}

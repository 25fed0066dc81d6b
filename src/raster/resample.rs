//! View resampling: the pixels CLIP sees, cut out of the render by projective maps, as one
//! fused operation (forward and backward) on the CPU here and in WGSL
//! (`shaders/view_sample.wgsl`, `shaders/view_sample_backward.wgsl`).
//!
//! Each output pixel of a view is the mean of `ss × ss` bilinear samples (a box prefilter
//! against aliasing). A sample point `(u, v)` in view pixels (pixel `i` covers `[i, i+1)`) goes
//! through the view's homography to patch space; outside the patch square (when the view has
//! one), or, after the patch → render offset, outside the view's clip rectangle, it reads white.
//! Inside, it is the bilinear interpolation of the render's RGB at pixel centres, with white
//! beyond the render's edges (the same values as `grid_sample` with `align_corners = false` on
//! `render − 1` with zero padding, plus one).
//!
//! The operation is linear in the render, so its backward needs only the views. The CPU
//! backward scatters into one buffer per fixed group of views and adds the groups in order; the
//! GPU backward gathers, per render pixel, every sample that reads it. Neither uses float
//! atomics: both give the same bytes on every run, whatever the thread count.

use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;

/// One view as the resampler reads it. WGSL twin: `struct ViewRecord` in
/// `shaders/view_sample.wgsl` (and `view_sample_backward.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ViewRecord {
    /// First row of the homography view pixel → patch pixel, `(h0, h1, h2, 0)`.
    pub row0: [f32; 4],
    /// Second row `(h3, h4, h5, 0)`.
    pub row1: [f32; 4],
    /// Third row `(h6, h7, h8, 0)`.
    pub row2: [f32; 4],
    /// Render points outside `[x0, x1] × [y0, y1]` read white: `(x0, y0, x1, y1)`.
    pub clip: [f32; 4],
    /// Patch → render translation.
    pub offset: [f32; 2],
    /// Side of the patch square (patch points outside `[0, side]²` read white); negative for a
    /// view without one.
    pub patch_side: f32,
    /// Padding to a multiple of 16 bytes.
    pub pad: u32,
}

/// Sizes of one resampling. WGSL twin: `struct ViewSampleInfo` in the view shaders.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct ViewSampleInfo {
    /// Render width in pixels.
    pub width: u32,
    /// Render height in pixels.
    pub height: u32,
    /// Side of each output view in pixels.
    pub size: u32,
    /// Samples per output pixel and axis.
    pub ss: u32,
    /// Number of views.
    pub n_views: u32,
    /// Padding to a multiple of 16 bytes.
    pub pad0: u32,
    /// Padding.
    pub pad1: u32,
    /// Padding.
    pub pad2: u32,
}

impl ViewRecord {
    /// The render point sample `(u, v)` (view pixels) reads, or `None` where it reads white.
    #[inline]
    pub fn sample_point(&self, u: f32, v: f32) -> Option<[f32; 2]> {
        let (r0, r1, r2) = (self.row0, self.row1, self.row2);
        let w = r2[0] * u + r2[1] * v + r2[2];
        let qx = (r0[0] * u + r0[1] * v + r0[2]) / w;
        let qy = (r1[0] * u + r1[1] * v + r1[2]) / w;
        let s = self.patch_side;
        if s >= 0.0 && !(qx >= 0.0 && qy >= 0.0 && qx <= s && qy <= s) {
            return None;
        }
        let (x, y) = (qx + self.offset[0], qy + self.offset[1]);
        let c = self.clip;
        (x >= c[0] && y >= c[1] && x <= c[2] && y <= c[3]).then_some([x, y])
    }
}

/// The (up to four) render pixels a sample at render point `p` reads, with their bilinear
/// weights; taps outside the render are left out (they read white).
#[inline]
fn taps(p: [f32; 2], width: u32, height: u32) -> impl Iterator<Item = (usize, f32)> {
    let (xc, yc) = (p[0] - 0.5, p[1] - 0.5);
    let (x0, y0) = (xc.floor(), yc.floor());
    let (fx, fy) = (xc - x0, yc - y0);
    let (x0, y0) = (x0 as i64, y0 as i64);
    [(0, 0, (1.0 - fx) * (1.0 - fy)), (1, 0, fx * (1.0 - fy)), (0, 1, (1.0 - fx) * fy), (1, 1, fx * fy)]
        .into_iter()
        .filter_map(move |(dx, dy, w)| {
            let (x, y) = (x0 + dx, y0 + dy);
            (x >= 0 && y >= 0 && x < width as i64 && y < height as i64)
                .then_some(((y as usize) * width as usize + x as usize, w))
        })
}

/// The centre of sample `k` (of `ss`) of output pixel `i`, in view pixels.
#[inline]
fn sub(i: usize, k: usize, ss: usize) -> f32 {
    i as f32 + (k as f32 + 0.5) / ss as f32
}

/// Calls `f(render pixel index, weight)` for every bilinear tap of every sample of output pixel
/// `(i, j)` of `view`, in a fixed order (sample rows, sample columns, taps): the walk the forward
/// pass reads along and the backward pass scatters along. Weights are not yet divided by `ss²`.
#[inline]
fn for_each_tap(info: &ViewSampleInfo, view: &ViewRecord, i: usize, j: usize, mut f: impl FnMut(usize, f32)) {
    let ss = info.ss as usize;
    for kj in 0..ss {
        for ki in 0..ss {
            if let Some(p) = view.sample_point(sub(i, ki, ss), sub(j, kj, ss)) {
                for (idx, w) in taps(p, info.width, info.height) {
                    f(idx, w);
                }
            }
        }
    }
}

/// Stage `view_sample`: the views of `render` (`[H, W, 4]` straight RGBA, alpha ignored) as
/// `[B, 3, S, S]` values (`B = views.len()`, `S = info.size`).
pub fn view_sample(info: &ViewSampleInfo, views: &[ViewRecord], render: &[f32]) -> Vec<f32> {
    let (s, ss) = (info.size as usize, info.ss as usize);
    let norm = 1.0 / (ss * ss) as f32;
    let mut out = vec![0.0f32; views.len() * 3 * s * s];
    if s == 0 {
        return out;
    }
    out.par_chunks_mut(3 * s * s).zip(views.par_iter()).for_each(|(block, view)| {
        for j in 0..s {
            for i in 0..s {
                let mut acc = [0.0f32; 3];
                for_each_tap(info, view, i, j, |idx, w| {
                    for c in 0..3 {
                        acc[c] += w * (render[4 * idx + c] - 1.0);
                    }
                });
                for c in 0..3 {
                    block[c * s * s + j * s + i] = 1.0 + acc[c] * norm;
                }
            }
        }
    });
    out
}

/// Views scattered into one buffer before the buffers are added (in group order).
const GROUP: usize = 8;

/// Stage `view_sample_backward`: dL/d render `[H, W, 4]` (alpha 0) given dL/d views
/// `[B, 3, S, S]`.
pub fn view_sample_backward(info: &ViewSampleInfo, views: &[ViewRecord], grad: &[f32]) -> Vec<f32> {
    let (w, h) = (info.width as usize, info.height as usize);
    let (s, ss) = (info.size as usize, info.ss as usize);
    let norm = 1.0 / (ss * ss) as f32;
    let scatter = |group: &[ViewRecord], first: usize| {
        let mut buf = vec![0.0f32; 3 * w * h];
        for (k, view) in group.iter().enumerate() {
            let g = &grad[(first + k) * 3 * s * s..][..3 * s * s];
            for j in 0..s {
                for i in 0..s {
                    let gp = [g[j * s + i] * norm, g[s * s + j * s + i] * norm, g[2 * s * s + j * s + i] * norm];
                    for_each_tap(info, view, i, j, |idx, wt| {
                        for c in 0..3 {
                            buf[3 * idx + c] += wt * gp[c];
                        }
                    });
                }
            }
        }
        buf
    };
    let groups: Vec<(usize, &[ViewRecord])> = views.chunks(GROUP).enumerate().map(|(n, g)| (n * GROUP, g)).collect();
    let mut total = vec![0.0f32; 3 * w * h];
    // Groups are scattered a wave at a time (one per thread) and added to the total in group
    // order: the sums do not depend on the thread count, and memory stays at a wave's buffers.
    for wave in groups.chunks(rayon::current_num_threads().max(1)) {
        let bufs: Vec<Vec<f32>> = wave.par_iter().map(|(first, g)| scatter(g, *first)).collect();
        for b in bufs {
            total.par_chunks_mut(4096).zip(b.par_chunks(4096)).for_each(|(t, b)| {
                for (t, b) in t.iter_mut().zip(b) {
                    *t += b;
                }
            });
        }
    }
    let mut out = vec![0.0f32; 4 * w * h];
    for (o, t) in out.chunks_exact_mut(4).zip(total.chunks_exact(3)) {
        o[..3].copy_from_slice(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_view(clip: [f32; 4]) -> ViewRecord {
        ViewRecord {
            row0: [1.0, 0.0, 0.0, 0.0],
            row1: [0.0, 1.0, 0.0, 0.0],
            row2: [0.0, 0.0, 1.0, 0.0],
            clip,
            offset: [0.0, 0.0],
            patch_side: -1.0,
            pad: 0,
        }
    }

    #[test]
    fn identity_view_reads_the_render_and_white_outside_the_clip() {
        // A 2×2 render, sampled at its own pixel centres (ss = 1).
        let render = [0.1, 0.2, 0.3, 1.0, 0.4, 0.5, 0.6, 1.0, 0.7, 0.8, 0.9, 1.0, 0.0, 0.0, 0.0, 1.0];
        let info = ViewSampleInfo { width: 2, height: 2, size: 2, ss: 1, n_views: 1, ..Default::default() };
        let out = view_sample(&info, &[identity_view([0.0, 0.0, 2.0, 1.0])], &render);
        // Channel-major: R of the four pixels, then G, then B; the bottom row is clipped.
        let r: Vec<f32> = out[..4].to_vec();
        assert!((r[0] - 0.1).abs() < 1e-6 && (r[1] - 0.4).abs() < 1e-6, "{r:?}");
        assert_eq!(&r[2..], &[1.0, 1.0]);
    }

    #[test]
    fn backward_is_the_transpose_of_forward() {
        // <grad, F(render)> - <grad, F(0)> = <F^T grad, render> for a linear map plus a constant.
        let (w, h) = (7u32, 5u32);
        let render: Vec<f32> = (0..w * h * 4).map(|i| ((i * 37 % 101) as f32) / 101.0).collect();
        let mut tilted = identity_view([0.5, 0.25, 6.5, 4.75]);
        tilted.row0 = [0.6, 0.1, 0.3, 0.0];
        tilted.row1 = [-0.05, 0.5, 0.2, 0.0];
        tilted.row2 = [0.01, 0.02, 1.0, 0.0];
        tilted.patch_side = 5.0;
        tilted.offset = [0.7, -0.2];
        let views = [identity_view([0.0, 0.0, 7.0, 5.0]), tilted];
        let info = ViewSampleInfo { width: w, height: h, size: 6, ss: 2, n_views: 2, ..Default::default() };
        let grad: Vec<f32> = (0..2 * 3 * 36).map(|i| ((i * 53 % 97) as f32) / 97.0 - 0.5).collect();
        let f = view_sample(&info, &views, &render);
        let f0 = view_sample(&info, &views, &vec![0.0; render.len()]);
        let lhs: f64 = grad.iter().zip(f.iter().zip(&f0)).map(|(g, (a, b))| (*g as f64) * (*a - *b) as f64).sum();
        let gr = view_sample_backward(&info, &views, &grad);
        let rhs: f64 = gr.iter().zip(&render).map(|(g, r)| (*g as f64) * (*r as f64)).sum();
        assert!((lhs - rhs).abs() < 1e-4 * lhs.abs().max(1.0), "{lhs} vs {rhs}");
        assert!(gr.chunks(4).all(|p| p[3] == 0.0));
    }
}

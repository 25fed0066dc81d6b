//! The views CLIP sees of each ROI, as homographies from view pixels to render pixels.
//!
//! CLIPVG's augmentations, per ROI and iteration (as the paper's reference implementation does them):
//! * one **whole view**: the ROI made square around its centre — padded with the background,
//!   where the reference pads with black — then a random crop of 0.98 of its side;
//! * **patches**: a random crop of side `P = crop_ratio · max(w, h)` from the ROI padded by
//!   `0.2·P`, then a random perspective warp (torchvision's `RandomPerspective`, distortion 0.3).
//!
//! Each view is a projective map `view → render` in continuous pixel coordinates (pixel `i`
//! covers `[i, i+1)`), so the whole chain of crop, warp and resize is a single bilinear
//! resampling of the render inside the autodiff graph. As in the reference (which cuts the ROI
//! out of the image before padding and warping it), CLIP sees only the ROI: samples outside the
//! ROI, and for patches outside the cropped patch before its warp, read as white. All randomness
//! comes from the seeded generator passed in.
//!
//! [`sample_views`] resamples a render into the CLIP-ready pixels of a batch of views, inside
//! the autodiff graph (one fused operation of the raster crate); [`views_and_clip_memory`] estimates what one batch costs.

use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::{AvgPoolOptions, GridSampleOptions, InterpolateMode};
use burn::tensor::{Tensor, TensorData};
use rand::Rng;

use crate::clip::Clip;
use clipvg_raster::resample::ViewRecord;
use clipvg_raster::view_op::{ViewJob, sample_views_tensor};

/// Views are sampled at this multiple of CLIP's input size and average-pooled down, a box
/// prefilter against aliasing (the reference resizes with antialiased bicubic).
const SUPERSAMPLE: usize = 2;

/// A 3×3 projective map, row-major: `(x, y, w) = H · (u, v, 1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homography(pub [f64; 9]);

impl Homography {
    pub const IDENTITY: Homography = Homography([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);

    /// `(u, v) ↦ (a·u + c, b·v + d)`.
    pub fn scale_translate(a: f64, b: f64, c: f64, d: f64) -> Homography {
        Homography([a, 0.0, c, 0.0, b, d, 0.0, 0.0, 1.0])
    }

    /// Applies the map to a point.
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        let h = &self.0;
        let w = h[6] * p[0] + h[7] * p[1] + h[8];
        [(h[0] * p[0] + h[1] * p[1] + h[2]) / w, (h[3] * p[0] + h[4] * p[1] + h[5]) / w]
    }

    /// `self ∘ other` (apply `other` first).
    pub fn then_from(&self, other: &Homography) -> Homography {
        let (a, b) = (&self.0, &other.0);
        let mut m = [0.0; 9];
        for r in 0..3 {
            for c in 0..3 {
                m[3 * r + c] = (0..3).map(|k| a[3 * r + k] * b[3 * k + c]).sum();
            }
        }
        Homography(m)
    }

    /// The map sending the four points `from[i]` to `to[i]` (direct linear transform with
    /// `h₈ = 1`), or `None` for a degenerate configuration.
    pub fn from_points(from: [[f64; 2]; 4], to: [[f64; 2]; 4]) -> Option<Homography> {
        // Two equations per correspondence in the unknowns h0..h7.
        let mut a = [[0.0f64; 9]; 8];
        for i in 0..4 {
            let ([x, y], [u, v]) = (from[i], to[i]);
            a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        // Gaussian elimination with partial pivoting on the 8×8 system.
        for col in 0..8 {
            let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
            if a[pivot][col].abs() < 1e-12 {
                return None;
            }
            a.swap(col, pivot);
            for row in 0..8 {
                if row != col {
                    let f = a[row][col] / a[col][col];
                    for k in col..9 {
                        a[row][k] -= f * a[col][k];
                    }
                }
            }
        }
        let mut h = [0.0; 9];
        for i in 0..8 {
            h[i] = a[i][8] / a[i][i];
        }
        h[8] = 1.0;
        Some(Homography(h))
    }
}

/// A region of interest in render pixels `[x, y, w, h]`.
pub type Rect = [f64; 4];

/// One view: view pixels → (patch space →) render pixels, and what is visible.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    /// View pixel → patch pixel (for whole views: directly to render pixels).
    pub to_patch: Homography,
    /// Side of the patch: patch points outside `[0, side]²` are white (torchvision's fill).
    pub patch_side: Option<f64>,
    /// Patch → render translation.
    pub offset: [f64; 2],
    /// The ROI: render points outside it are white.
    pub clip: Rect,
}

impl View {
    /// The view as the fused resampler reads it (`f32`, clip as corners).
    pub fn record(&self) -> ViewRecord {
        let h = self.to_patch.0.map(|v| v as f32);
        let c = self.clip;
        ViewRecord {
            row0: [h[0], h[1], h[2], 0.0],
            row1: [h[3], h[4], h[5], 0.0],
            row2: [h[6], h[7], h[8], 0.0],
            clip: [c[0] as f32, c[1] as f32, (c[0] + c[2]) as f32, (c[1] + c[3]) as f32],
            offset: [self.offset[0] as f32, self.offset[1] as f32],
            patch_side: self.patch_side.map_or(-1.0, |s| s as f32),
            pad: 0,
        }
    }

    /// The render point a view point samples, or `None` where the view shows white.
    pub fn sample_point(&self, p: [f64; 2]) -> Option<[f64; 2]> {
        let q = self.to_patch.apply(p);
        if let Some(s) = self.patch_side
            && !(q[0] >= 0.0 && q[1] >= 0.0 && q[0] <= s && q[1] <= s)
        {
            return None;
        }
        let r = [q[0] + self.offset[0], q[1] + self.offset[1]];
        let c = self.clip;
        (r[0] >= c[0] && r[1] >= c[1] && r[0] <= c[0] + c[2] && r[1] <= c[1] + c[3]).then_some(r)
    }
}

/// The whole-ROI view, square around the ROI's centre. With `jitter`, a random crop of 0.98 of
/// the side (so that ΔI ≠ 0 at iteration 0); without, the centred square (the original image's
/// reference view).
pub fn whole_view(roi: Rect, out: usize, jitter: Option<&mut impl Rng>) -> View {
    let side = roi[2].max(roi[3]);
    let (cx, cy) = (roi[0] + roi[2] / 2.0, roi[1] + roi[3] / 2.0);
    let (mut x0, mut y0, mut s) = (cx - side / 2.0, cy - side / 2.0, side);
    if let Some(rng) = jitter {
        let crop = 0.98 * side;
        x0 += rng.random_range(0.0..=side - crop);
        y0 += rng.random_range(0.0..=side - crop);
        s = crop;
    }
    View {
        to_patch: Homography::scale_translate(s / out as f64, s / out as f64, x0, y0),
        patch_side: None,
        offset: [0.0, 0.0],
        clip: roi,
    }
}

/// A random patch of the ROI: crop of side `crop_ratio · max(w, h)` from the ROI padded by 0.2
/// of that side, then a random perspective warp with `distortion` (as torchvision's
/// `RandomPerspective`: each corner moves inwards by up to `distortion/2` of the side).
pub fn patch_view(roi: Rect, crop_ratio: f64, distortion: f64, out: usize, rng: &mut impl Rng) -> View {
    let p = (crop_ratio * roi[2].max(roi[3])).max(1.0);
    let pad = 0.2 * p;
    let (pw, ph) = (roi[2] + 2.0 * pad, roi[3] + 2.0 * pad);
    let ox = roi[0] - pad + rng.random_range(0.0..=(pw - p).max(0.0));
    let oy = roi[1] - pad + rng.random_range(0.0..=(ph - p).max(0.0));
    // Perspective: the warped image's corners land at `end`, so a view point samples the
    // patch where the map end → start sends it.
    let half = p / 2.0;
    let mut r = || rng.random_range(0.0..=distortion * half);
    let end = [[r(), r()], [p - r(), r()], [p - r(), p - r()], [r(), p - r()]];
    let start = [[0.0, 0.0], [p, 0.0], [p, p], [0.0, p]];
    let warp = Homography::from_points(end, start).unwrap_or(Homography::IDENTITY);
    let resize = Homography::scale_translate(p / out as f64, p / out as f64, 0.0, 0.0);
    View { to_patch: warp.then_from(&resize), patch_side: Some(p), offset: [ox, oy], clip: roi }
}

/// The sampling grid of `views` for `grid_sample` (bilinear, `align_corners = false`): the
/// views side by side vertically, each `out·ss` pixels square (`ss`× supersampled, to be
/// average-pooled back to `out`), as normalised coordinates of a `width × height` render.
/// Returns `[1, B·out·ss, out·ss, 2]` values.
pub fn sampling_grid(views: &[View], out: usize, ss: usize, width: u32, height: u32) -> Vec<f32> {
    // Far outside the render: bilinear taps all fall in the zero padding (white, see
    // `sample_views`).
    const WHITE: f32 = -4.0;
    let n = out * ss;
    let mut g = Vec::with_capacity(views.len() * n * n * 2);
    for view in views {
        for j in 0..n {
            for i in 0..n {
                // Centre of sub-pixel (i, j) in view pixel units.
                let u = (i as f64 + 0.5) / ss as f64;
                let v = (j as f64 + 0.5) / ss as f64;
                match view.sample_point([u, v]) {
                    Some([x, y]) => {
                        g.push((2.0 * x / width as f64 - 1.0) as f32);
                        g.push((2.0 * y / height as f64 - 1.0) as f32);
                    }
                    None => g.extend([WHITE, WHITE]),
                }
            }
        }
    }
    g
}

/// Render `[H, W, 4]` straight RGBA → `[1, 3, H, W]`.
pub fn to_nchw(img: Tensor<3>) -> Tensor<4> {
    let [h, w, _] = img.dims();
    img.slice([0..h, 0..w, 0..3]).permute([2, 0, 1]).unsqueeze_dim(0)
}

/// Samples `views` of a `[H, W, 4]` straight-RGBA render into CLIP-ready pixels `[B, 3, S, S]`
/// (in [0, 1], not yet normalised), inside the autodiff graph: one fused resampling
/// ([`clipvg_raster::view_op`]: projective map, bilinear taps, `SUPERSAMPLE`² box prefilter)
/// on the CPU or in WGSL. Outside the render and outside each view's ROI reads as white.
pub fn sample_views(render: Tensor<3>, views: &[View], size: usize) -> Tensor<4> {
    let [h, w, _] = render.dims();
    let job = ViewJob {
        views: views.iter().map(View::record).collect(),
        width: w as u32,
        height: h as u32,
        size: size as u32,
        ss: SUPERSAMPLE as u32,
    };
    sample_views_tensor(render, job)
}

/// The same views through burn's `grid_sample` and `avg_pool2d` on a `[1, 3, H, W]` render: the
/// implementation before the fused op, kept as the reference it is tested against.
pub fn sample_views_grid(render: Tensor<4>, views: &[View], size: usize) -> Tensor<4> {
    let [_, _, h, w] = render.dims();
    let n = size * SUPERSAMPLE;
    let device = render.device();
    let grid = sampling_grid(views, size, SUPERSAMPLE, w as u32, h as u32);
    let grid = Tensor::<4>::from_data(TensorData::new(grid, [1, views.len() * n, n, 2]), &device);
    let options = GridSampleOptions::new(InterpolateMode::Bilinear);
    // Zero padding of (render − 1), plus 1: white outside the canvas.
    let sampled = (render - 1.0).grid_sample_2d(grid, options) + 1.0;
    let views_nchw = sampled.reshape([3, views.len(), n, n]).permute([1, 0, 2, 3]);
    avg_pool2d(views_nchw, AvgPoolOptions::new([SUPERSAMPLE, SUPERSAMPLE]))
}

/// Estimated peak bytes of one iteration's views and CLIP beside the render: the views' pixels
/// (sampled, normalised, a detached copy and their gradients: 4 values per pixel), and the
/// vision tower's activations kept for the backward pass of one batch of `batch` views (per
/// layer: about 8 hidden-wide and 2 MLP-wide tensors per token, and the attention scores and
/// probabilities). An estimate, not an accounting; the model's weights are not counted.
/// Calibrated on ViT-B/32 with 65 views of a 512² render in batches of 16 (`cargo bench --bench
/// edit`): estimate 0.8 GB with the render, measured peak RSS 1.3 GB of which ~0.6 GB are the
/// weights.
pub fn views_and_clip_memory(clip: &Clip, views: usize, batch: usize) -> u64 {
    let side = clip.config().vision_config.image_size as u64;
    let sampling = views as u64 * 3 * side * side * 4 * 4;
    let in_batch = views.min(batch.max(1)) as u64;
    sampling + in_batch * clip_bytes_per_view(clip)
}

/// The memory one view costs the image tower's forward and backward, bytes (see
/// [`views_and_clip_memory`]): the kept activations of every layer and one layer's worth of
/// gradients flowing back, in the model's float type.
pub fn clip_bytes_per_view(clip: &Clip) -> u64 {
    let v = &clip.config().vision_config;
    let tokens = v.num_positions() as u64;
    let (d, i, heads, layers) =
        (v.hidden_size as u64, v.intermediate_size as u64, v.num_attention_heads as u64, v.num_hidden_layers as u64);
    let per_layer = tokens * (8 * d + 2 * i) + 2 * heads * tokens * tokens;
    let bytes = burn::tensor::DType::from(clip.dtype()).size() as u64;
    (layers + 1) * per_layer * bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn close(a: [f64; 2], b: [f64; 2]) -> bool {
        (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9
    }

    #[test]
    fn four_point_homography_maps_its_points() {
        let from = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        let to = [[1.0, 2.0], [9.0, 1.0], [11.0, 12.0], [-1.0, 9.0]];
        let h = Homography::from_points(from, to).unwrap();
        for i in 0..4 {
            assert!(close(h.apply(from[i]), to[i]));
        }
        assert!(Homography::from_points(from, [[0.0, 0.0]; 4]).is_none());
    }

    #[test]
    fn whole_view_is_the_square_around_the_roi() {
        let view = whole_view(test_roi(), 224, None::<&mut rand_chacha::ChaCha8Rng>);
        let h = view.to_patch;
        // ROI 100×50 at (10, 20): the square is 100 wide, from y = -5.
        assert!(close(h.apply([0.0, 0.0]), [10.0, -5.0]));
        assert!(close(h.apply([224.0, 224.0]), [110.0, 95.0]));
        // Above and below the ROI the square is white; inside it samples the render.
        assert_eq!(view.sample_point([112.0, 1.0]), None);
        assert_eq!(view.sample_point([112.0, 112.0]), Some([60.0, 45.0]));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let j = whole_view(test_roi(), 224, Some(&mut rng)).to_patch;
        let a = j.apply([0.0, 0.0]);
        let b = j.apply([224.0, 224.0]);
        assert!((b[0] - a[0] - 98.0).abs() < 1e-9);
        assert!(a[0] >= 10.0 && a[0] <= 12.0 + 1e-9);
    }

    fn test_roi() -> Rect {
        [10.0, 20.0, 100.0, 50.0]
    }

    #[test]
    fn patches_stay_in_the_padded_roi_and_are_seeded() {
        let roi = [100.0, 50.0, 200.0, 300.0];
        let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut r2 = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let p = 0.8 * 300.0;
        for _ in 0..50 {
            let h = patch_view(roi, 0.8, 0.3, 224, &mut r1);
            assert_eq!(h, patch_view(roi, 0.8, 0.3, 224, &mut r2));
            // Every sample is white or inside the ROI; the centre always sees the patch.
            for c in [[0.0, 0.0], [224.0, 0.0], [224.0, 224.0], [0.0, 224.0], [112.0, 112.0], [50.0, 170.0]] {
                if let Some(q) = h.sample_point(c) {
                    assert!(q[0] >= roi[0] - 1e-9 && q[0] <= roi[0] + roi[2] + 1e-9, "{q:?}");
                    assert!(q[1] >= roi[1] - 1e-9 && q[1] <= roi[1] + roi[3] + 1e-9, "{q:?}");
                }
            }
            let centre = h.to_patch.apply([112.0, 112.0]);
            assert!(centre.iter().all(|v| *v >= 0.0 && *v <= p), "{centre:?}");
        }
        let mut r3 = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        assert_ne!(patch_view(roi, 0.8, 0.3, 224, &mut r3), patch_view(roi, 0.8, 0.3, 224, &mut r1));
    }

    #[test]
    fn grid_of_identity_is_pixel_centres() {
        let v =
            View { to_patch: Homography::IDENTITY, patch_side: None, offset: [0.0, 0.0], clip: [0.0, 0.0, 2.0, 1.0] };
        let g = sampling_grid(&[v], 2, 1, 2, 2);
        assert_eq!(g, vec![-0.5, -0.5, 0.5, -0.5, -4.0, -4.0, -4.0, -4.0]);
    }
}

//! The losses the edit minimises: the directional CLIP loss of every ROI over its whole view
//! and its patches (CLIPVG), and LIVE's Xing loss against self-intersecting cubics.

use burn::tensor::{Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

use super::views::{patch_view, sample_views, whole_view};
use crate::clip::{Clip, directional_loss, normalize};
use crate::scene::Scene;

/// One region of interest, ready for the loss.
#[derive(Clone, Debug)]
pub struct RoiGuide {
    /// `[x, y, w, h]` in render pixels.
    pub rect: [f64; 4],
    /// Target direction end point: `E_T(prompt)` or `E_I(target image)`, `[1, D]`.
    pub target: Tensor<2>,
    /// Its origin: `E_T(reference text)` or `E_I(original view)`, `[1, D]`.
    pub reference: Tensor<2>,
    /// `E_I` of the original render's centred whole view, `[1, D]`.
    pub original: Tensor<2>,
    /// Weight of the whole view's loss (`w_roi`).
    pub w_roi: f32,
    /// Weight of the mean patch loss (`w_patch`).
    pub w_patch: f32,
    /// Patches sampled per iteration.
    pub n_patches: usize,
    /// Patch side as a fraction of the ROI's longer side.
    pub crop_ratio: f32,
}

/// The ROI loss of one iteration for all ROIs: `Σ w_roi·L(whole) + w_patch·mean L(patches)`.
/// Returns the total `[1]` and the per-ROI values.
pub fn roi_loss(
    clip: &Clip,
    render: Tensor<3>,
    guides: &[RoiGuide],
    rng: &mut ChaCha8Rng,
    distortion: f32,
) -> (Tensor<1>, Vec<Tensor<1>>) {
    let s = clip.image_size();
    let mut all_views = Vec::new();
    let mut counts = Vec::new();
    for g in guides {
        all_views.push(whole_view(g.rect, s, Some(&mut *rng)));
        for _ in 0..g.n_patches {
            all_views.push(patch_view(g.rect, g.crop_ratio as f64, distortion as f64, s, rng));
        }
        counts.push(1 + g.n_patches);
    }
    let pixels = normalize(sample_views(render, &all_views, s));
    let emb = clip.encode_image(pixels);
    let mut total: Option<Tensor<1>> = None;
    let mut parts = Vec::new();
    let mut at = 0;
    for (g, &n) in guides.iter().zip(&counts) {
        let whole = emb.clone().slice([at..at + 1]);
        let mut l = directional_loss(whole, g.original.clone(), g.target.clone(), g.reference.clone()) * g.w_roi;
        if n > 1 {
            let patches = emb.clone().slice([at + 1..at + n]);
            l = l + directional_loss(patches, g.original.clone(), g.target.clone(), g.reference.clone()) * g.w_patch;
        }
        at += n;
        total = Some(match total {
            Some(t) => t + l.clone(),
            None => l.clone(),
        });
        parts.push(l);
    }
    (total.expect("at least one ROI"), parts)
}

/// Indices `[S, 4]` of the control points (A, B, C, D) of every cubic segment of the
/// trainable shapes.
pub fn trainable_segments(scene: &Scene) -> Vec<[u32; 4]> {
    let mut out = Vec::new();
    for shape in scene.shapes.iter().filter(|s| s.trainable) {
        for sp in &scene.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize] {
            let n = sp.point_count();
            for k in 0..sp.segments {
                let at = |i: u32| sp.first_point + (3 * k + i) % n;
                out.push([at(0), at(1), at(2), at(3)]);
            }
        }
    }
    out
}

/// The Xing loss of LIVE (Ma et al., CVPR 2022) against self-intersecting cubics: with
/// `D1 = [AB × CD ≥ 0]` and `D2 = sin∠(AB, BC)`, the mean of `D1·relu(−D2) + (1 − D1)·relu(D2)`:
/// a segment whose first turn disagrees with its overall turn is penalised. `segments` from
/// [`trainable_segments`]; `points` `[P, 2]`. Returns `[1]`.
pub fn xing_loss(points: Tensor<2>, segments: &[[u32; 4]]) -> Tensor<1> {
    let device = points.device();
    let pick = |k: usize| {
        let idx: Vec<i32> = segments.iter().map(|s| s[k] as i32).collect();
        let n = idx.len();
        points.clone().select(0, Tensor::<1, burn::tensor::Int>::from_data(TensorData::new(idx, [n]), &device))
    };
    let (a, b, c, d) = (pick(0), pick(1), pick(2), pick(3));
    let cross = |u: Tensor<2>, v: Tensor<2>| {
        let n = u.dims()[0];
        let (ux, uy) = (u.clone().slice([0..n, 0..1]), u.slice([0..n, 1..2]));
        let (vx, vy) = (v.clone().slice([0..n, 0..1]), v.slice([0..n, 1..2]));
        ux * vy - uy * vx
    };
    let norm = |u: Tensor<2>| u.powi_scalar(2).sum_dim(1).sqrt();
    let (ab, bc, cd) = (b.clone() - a, c.clone() - b, d - c);
    let d1 = cross(ab.clone(), cd).greater_equal_elem(0.0).float();
    let d2 = cross(ab.clone(), bc.clone()) / (norm(ab) * norm(bc) + 1e-8);
    let loss = d1.clone() * d2.clone().neg().clamp_min(0.0) + (d1.neg() + 1.0) * d2.clamp_min(0.0);
    loss.mean().reshape([1])
}

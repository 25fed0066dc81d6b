//! The losses the edit minimises: the directional CLIP loss of every ROI over its whole view
//! and its patches (CLIPVG), and LIVE's Xing loss against self-intersecting cubics.

use burn::tensor::{Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

use super::views::{patch_view, whole_view};
use crate::clip::{Clip, directional_terms, normalize};
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
    /// Shaped ROI (`roi_mask`): the element's coverage `[H, W, 4]` its views see the render
    /// through ([`super::mask`]); `None`: the box.
    pub mask: Option<Tensor<3>>,
}

/// Views CLIP encodes (and differentiates) at once on the CPU. The activations one batch keeps
/// for its backward pass bound the edit's memory (ViT-B/32: about 48 MB a view), and larger
/// batches are not faster on a CPU. Fixed, so that the sums, and the result, do not depend on
/// the machine's memory or thread count.
pub const CPU_CLIP_BATCH: usize = 16;

/// Views per CLIP batch of `clip` on `device`: [`CPU_CLIP_BATCH`] on the CPU; on a GPU as many
/// as half of its memory holds ([`crate::compute::device_memory`] over
/// [`super::views::clip_bytes_per_view`]: ViT-B/32 keeps about 50 MB a view in f32, so an 8 GB
/// card takes 80 views at once and the paper's 65 go in one batch), as a GPU is fastest on the
/// largest batch; the other half is for the weights, the renders and the rest of the machine.
/// Every view at once where the runtime states no memory size.
pub fn clip_batch(device: &burn::tensor::Device, clip: &Clip) -> usize {
    if crate::compute::is_cpu(device) {
        return CPU_CLIP_BATCH;
    }
    match crate::compute::device_memory(device) {
        Some(bytes) => gpu_batch(bytes, super::views::clip_bytes_per_view(clip)),
        None => usize::MAX,
    }
}

/// Views per batch on a GPU of `memory` bytes, a view costing `per_view` bytes: half the memory's
/// worth, at least one.
pub fn gpu_batch(memory: u64, per_view: u64) -> usize {
    usize::try_from((memory / 2) / per_view.max(1)).unwrap_or(usize::MAX).max(1)
}

/// The ROI loss of one iteration, computed a batch of views at a time.
pub struct RoiLoss {
    /// A `[1]` tensor whose gradient with respect to the render is the loss's (`Σ pixels ·
    /// dL/d pixels`, the pixels' gradients found batch by batch); its value is not the loss.
    pub surrogate: Tensor<1>,
    /// The loss of every ROI, `[n_rois]`, outside the graph.
    pub parts: Tensor<1>,
    /// Wall time of the stages (exact on the CPU; on a GPU only with [`Batching::timed`]).
    pub timings: LossTimings,
}

/// How [`roi_loss`] runs CLIP.
#[derive(Clone, Copy, Debug)]
pub struct Batching {
    /// Views per CLIP batch ([`clip_batch`]).
    pub views: usize,
    /// Wait for the device at each stage boundary so that [`RoiLoss::timings`] are exact on a
    /// GPU too (benchmarks; the edit does not wait).
    pub timed: bool,
}

/// Where one [`roi_loss`] spent its time.
#[derive(Clone, Copy, Debug, Default)]
pub struct LossTimings {
    /// Sampling the views out of the render.
    pub views: std::time::Duration,
    /// CLIP's forward passes and the loss terms.
    pub clip_forward: std::time::Duration,
    /// CLIP's backward passes down to the views' pixels.
    pub clip_backward: std::time::Duration,
}

/// The ROI loss of one iteration for all ROIs: `Σ w_roi·L(whole) + w_patch·mean L(patches)`.
///
/// The views are sampled from `render` (`[H, W, 4]`) in the autodiff graph; CLIP runs on them
/// `batching.views` views at a time ([`clip_batch`]), each batch's forward and backward done
/// before the next, so that only one batch's activations are alive. Every view's loss term is separate (a mean is a
/// weighted sum), so the batches add up to the loss of all views at once.
pub fn roi_loss(
    clip: &Clip,
    render: Tensor<3>,
    guides: &[RoiGuide],
    rng: &mut ChaCha8Rng,
    distortion: f32,
    batching: Batching,
) -> RoiLoss {
    let mut out = roi_losses(clip, vec![render], guides, &mut [rng], distortion, batching);
    out.pop().expect("one render, one loss")
}

/// [`roi_loss`] of several renders at once (the variations of an edit, each with its own
/// generator): every render's views are sampled with its generator, and the views of all
/// renders go through CLIP together, in batches of equal size across the renders (so a GPU
/// sees one large batch). One [`RoiLoss`] per render, in order; each one's `timings` are those of
/// the whole call. One render is exactly [`roi_loss`].
pub fn roi_losses(
    clip: &Clip,
    renders: Vec<Tensor<3>>,
    guides: &[RoiGuide],
    rngs: &mut [&mut ChaCha8Rng],
    distortion: f32,
    batching: Batching,
) -> Vec<RoiLoss> {
    let s = clip.image_size();
    let Some(device) = renders.first().map(|r| r.device()) else { return Vec::new() };
    // The time since `t`, once the device has finished (when timed).
    let lap = |t: std::time::Instant| {
        if batching.timed {
            let _ = device.sync();
        }
        t.elapsed()
    };
    let mut timings = LossTimings::default();
    let t = std::time::Instant::now();
    // Per render its views' pixels; `owner` over all of them, each term's ROI numbered
    // `render · n_rois + roi` (its guide is `guides[slot % n_rois]`).
    let masks: Vec<Option<&Tensor<3>>> = guides.iter().map(|g| g.mask.as_ref()).collect();
    let mut pixels = Vec::with_capacity(renders.len());
    let mut owner = Vec::new();
    for (k, (render, rng)) in renders.into_iter().zip(rngs.iter_mut()).enumerate() {
        let (views, own) = iteration_views(guides, s, rng, distortion);
        pixels.push(normalize(super::mask::sample_roi_views(render, &masks, &views, &own, s)));
        owner.extend(own.into_iter().map(|(r, w)| (k * guides.len() + r, w)));
    }
    timings.views = lap(t);
    let counts: Vec<usize> = pixels.iter().map(|p| p.dims()[0]).collect();
    let detached = match &pixels[..] {
        [one] => one.clone().detach(),
        many => Tensor::cat(many.iter().map(|p| p.clone().detach()).collect(), 0),
    };
    let mut pixel_grads = Vec::new();
    let mut parts: Vec<Option<Tensor<1>>> = vec![None; guides.len() * pixels.len()];
    // Batches of equal size (65 views in batches of at most 16: five of 13, not four and a
    // lone view).
    let n = owner.len();
    let batch = n.div_ceil(n.div_ceil(batching.views.max(1)).max(1)).max(1);
    for start in (0..n).step_by(batch) {
        let end = start.saturating_add(batch).min(n);
        let t = std::time::Instant::now();
        let x = detached.clone().slice([start..end]).require_grad();
        let emb = clip.encode_image(x.clone());
        let batch_loss = batch_loss(emb, guides, &owner, start..end, &mut parts);
        timings.clip_forward += lap(t);
        let t = std::time::Instant::now();
        let grads = batch_loss.backward();
        pixel_grads.push(x.grad(&grads).expect("the pixels are tracked"));
        timings.clip_backward += lap(t);
    }
    let grad = Tensor::<4>::from_inner(Tensor::cat(pixel_grads, 0));
    let mut parts = parts.into_iter().map(|p| p.expect("every ROI has a whole view"));
    let mut first = 0;
    let mut out = Vec::with_capacity(pixels.len());
    for (pixels, count) in pixels.into_iter().zip(counts) {
        let grad = if count == n { grad.clone() } else { grad.clone().slice([first..first + count]) };
        first += count;
        let surrogate = (pixels * grad).sum();
        let parts = Tensor::cat(parts.by_ref().take(guides.len()).collect(), 0);
        out.push(RoiLoss { surrogate, parts, timings });
    }
    out
}

/// One iteration's views of every ROI, in loss order (each ROI's whole view, then its patches),
/// and per view its ROI and the weight of its term (`w_roi`, or `w_patch / n_patches`).
fn iteration_views(
    guides: &[RoiGuide],
    s: usize,
    rng: &mut ChaCha8Rng,
    distortion: f32,
) -> (Vec<super::views::View>, Vec<(usize, f32)>) {
    let mut views = Vec::new();
    let mut owner = Vec::new();
    for (r, g) in guides.iter().enumerate() {
        views.push(whole_view(g.rect, s, Some(&mut *rng)));
        owner.push((r, g.w_roi));
        for _ in 0..g.n_patches {
            views.push(patch_view(g.rect, g.crop_ratio as f64, distortion as f64, s, rng));
            owner.push((r, g.w_patch / g.n_patches as f32));
        }
    }
    (views, owner)
}

/// The weighted loss terms of the views `range` (their embeddings `emb`, one row each), summed:
/// the batch's loss, in the graph. Each ROI's share is added to `parts` (outside the graph).
fn batch_loss(
    emb: Tensor<2>,
    guides: &[RoiGuide],
    owner: &[(usize, f32)],
    range: std::ops::Range<usize>,
    parts: &mut [Option<Tensor<1>>],
) -> Tensor<1> {
    let device = emb.device();
    let mut total: Option<Tensor<1>> = None;
    // Runs of views of one ROI within the batch.
    let mut a = range.start;
    while a < range.end {
        let r = owner[a].0;
        let b = (a..range.end).find(|&k| owner[k].0 != r).unwrap_or(range.end);
        let g = &guides[r % guides.len()];
        let weights: Vec<f32> = owner[a..b].iter().map(|o| o.1).collect();
        let weights = Tensor::<1>::from_data(TensorData::new(weights, [b - a]), &device);
        let rows = emb.clone().slice([a - range.start..b - range.start]);
        let l = (directional_terms(rows, g.original.clone(), g.target.clone(), g.reference.clone()) * weights).sum();
        parts[r] = Some(match parts[r].take() {
            Some(p) => p + l.clone().detach(),
            None => l.clone().detach(),
        });
        total = Some(match total {
            Some(t) => t + l,
            None => l,
        });
        a = b;
    }
    total.expect("a batch has views")
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

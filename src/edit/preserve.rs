//! Strength and palettes: loss terms beside CLIP's that the optimizer adds each iteration.
//!
//! * **Strength** `S` in [0, 1]: below 1 a preservation term pulls every trained value back to
//!   where it started, `K_KEEP · W · (1 − S)/S · (Σ ((p − p₀)·10/L)² + Σ (c − c₀)²)` over the
//!   trainable point coordinates (in tenths of the canvas's long side `L`) and colour channels.
//!   `W` is the mean ROI weight (`w_roi + w_patch`), so the term keeps its balance against the
//!   CLIP loss whatever the weights. At `S = 1` there is no term (the paper's edit, byte for
//!   byte); at `S = 0` the optimisation is skipped and the selection comes back as it was.
//! * **Palette**: `PALETTE_WEIGHT · W · Σ |rgb − nearest palette rgb|²` over the trainable
//!   colours (alpha untouched): each colour is pulled a little towards whichever palette entry
//!   is nearest at that step. The pull is soft on purpose — CLIP can carry a colour across to
//!   another entry — so only the final snap ([`super::palette::snap`]) guarantees palette colours.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::loss::RoiGuide;
use super::optimizer::{Optimized, Stop, mask_tensor, trains_colours, trains_points};
use super::request::EditRequest;
use crate::raster::params::{colors_tensor, padded_lengths, points_tensor};
use crate::scene::Scene;

/// Scale of the preservation term at `S = 0.5`, per unit of ROI weight (calibrated with the
/// semantic test model: "a red circle" on a blue circle turns its hue by 23°, 59°, 85° and 96°
/// at S = 0.25, 0.5, 0.75 and 1).
pub const K_KEEP: f32 = 0.3;
/// Weight of the palette pull per unit of ROI weight: weak enough that a prompt still decides
/// which entry a colour ends nearest to (with the semantic model it closes about 40 % of the
/// gap between a free recolour and its nearest palette entry).
pub const PALETTE_WEIGHT: f32 = 0.5;
/// Point displacements are measured in this fraction of the canvas's long side.
const POINT_UNIT: f32 = 0.1;

/// The originals and palette the terms pull towards, on the autodiff device.
pub struct Anchors {
    points: Tensor<2>,
    colors: Tensor<2>,
    /// 1 on trainable point coordinates (when points train), `[P', 2]`.
    point_mask: Tensor<2>,
    /// 1 on trainable colour channels (when colours train), `[C', 4]`.
    colour_mask: Tensor<2>,
    /// Scale of point displacements (`1 / (POINT_UNIT · L)`).
    point_scale: f32,
    /// Weight of the preservation term; 0: none.
    keep: f32,
    /// The palette `[K, 3]` and its weight, when there is one and colours train.
    palette: Option<(Tensor<2>, f32)>,
}

/// The strength is 0: nothing may move.
pub fn untouched(req: &EditRequest) -> bool {
    req.strength <= 0.0
}

/// The result of an edit at strength 0: the scene's own values, no iteration run.
pub fn unchanged(scene: &Scene) -> Optimized {
    Optimized {
        points: scene.points.clone(),
        colors: scene.colors.clone(),
        iterations_done: 0,
        stop: Stop::Finished,
        losses: Vec::new(),
        elapsed: std::time::Duration::ZERO,
    }
}

/// The request's palette as RGB (blank entries skipped; the request was validated).
pub fn palette_of(req: &EditRequest) -> Vec<[f32; 3]> {
    clipvg_request::palette_rgb(&req.palette).unwrap_or_default()
}

/// The anchors of the request's terms, or `None` when it has none (strength 1, no palette in
/// a run that trains colours): then the loss is CLIP's alone, as in the paper.
pub fn anchors(
    scene: &Scene,
    trainable_points: &[bool],
    req: &EditRequest,
    guides: &[RoiGuide],
    device: &Device,
) -> Option<Anchors> {
    let colours_train = trains_colours(req);
    let points_train = trains_points(req);
    let palette = palette_of(req);
    let strength = req.strength.clamp(0.0, 1.0);
    let keeps = strength < 1.0 && (colours_train || points_train);
    let pulls = colours_train && !palette.is_empty();
    if !keeps && !pulls {
        return None;
    }
    let weight = guides.iter().map(|g| g.w_roi + g.w_patch).sum::<f32>() / guides.len().max(1) as f32;
    let ad = device.clone().autodiff();
    let [np, nc, _] = padded_lengths(scene);
    let flags = |on: &[bool], train: bool| -> Vec<bool> { on.iter().map(|&t| t && train).collect() };
    let palette = pulls.then(|| {
        let flat: Vec<f32> = palette.iter().flatten().copied().collect();
        (Tensor::from_data(TensorData::new(flat, [palette.len(), 3]), &ad), PALETTE_WEIGHT * weight)
    });
    Some(Anchors {
        points: points_tensor(scene, &ad),
        colors: colors_tensor(scene, &ad),
        point_mask: mask_tensor::<2>(&flags(trainable_points, points_train), np, &ad),
        colour_mask: mask_tensor::<4>(&flags(&scene.color_trainable, colours_train), nc, &ad),
        point_scale: 1.0 / (POINT_UNIT * scene.width.max(scene.height).max(1.0)),
        keep: if keeps { K_KEEP * weight * (1.0 - strength) / strength.max(1e-6) } else { 0.0 },
        palette,
    })
}

/// The terms' loss for the points `pv` `[P', 2]` and colours `cv` `[C', 4]` of an iteration
/// (autodiff tensors), `[1]`; `None` without anchors.
pub fn regularisers(pv: &Tensor<2>, cv: &Tensor<2>, anchors: Option<&Anchors>) -> Option<Tensor<1>> {
    let a = anchors?;
    let mut terms = Vec::new();
    if a.keep > 0.0 {
        let dp = (pv.clone() - a.points.clone()) * a.point_mask.clone() * a.point_scale;
        let dc = (cv.clone() - a.colors.clone()) * a.colour_mask.clone();
        terms.push((dp.powi_scalar(2).sum() + dc.powi_scalar(2).sum()) * a.keep);
    }
    if let Some((palette, weight)) = &a.palette {
        let [nc, _] = cv.dims();
        let rgb = cv.clone().slice([0..nc, 0..3]);
        // The nearest entry of each colour, chosen on the detached values (a constant target).
        let d = (rgb.clone().detach().unsqueeze_dim::<3>(1) - palette.clone().unsqueeze_dim::<3>(0))
            .powi_scalar(2)
            .sum_dim(2);
        let nearest: Tensor<1, Int> = d.argmin(1).reshape([nc]);
        let target = palette.clone().select(0, nearest);
        let on = a.colour_mask.clone().slice([0..nc, 0..3]);
        terms.push(((rgb - target) * on).powi_scalar(2).sum() * *weight);
    }
    terms.into_iter().reduce(|a, b| a + b)
}

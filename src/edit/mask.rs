//! Shaped ROIs (`roi_mask`): an element ROI's views see only the element's own shape.
//!
//! The mask of an element ROI is the coverage of that element's shapes (a group: every shape in
//! it) in the **original** scene, rendered once at the render size with the ordinary rasterizer:
//! the shapes alone, opaque, on a transparent background, so that the render's alpha is the
//! coverage `m` in [0, 1]. It is the original shape's and does not follow the shape as the edit
//! moves it. Before an ROI's views are sampled, its render is composited over white through the
//! mask, `render·m + white·(1 − m)`: differentiable through the render, constant in the mask.
//! Box ROIs and the whole canvas have no mask, and without `roi_mask` no ROI has one (the
//! paper's boxes; the loss then samples exactly as before).

use burn::tensor::{Tensor, TensorData};

use super::plan::Plan;
use super::views::{View, sample_views, whole_view};
use crate::error::Result;
use crate::scene::{Built, Paint, Scene};
use crate::svg::{Document, ElementId};

/// Coverage `[h × w]` (row-major, in [0, 1]) of the shapes of `element` and its descendants in
/// the built scene, rendered at `w × h`.
pub fn element_mask(doc: &Document, built: &Built, element: ElementId, w: u32, h: u32) -> Result<Vec<f32>> {
    let (first, end) = (element.index(), doc.subtree_end(element));
    let mut scene: Scene = built.scene.clone();
    let opaque = scene.colors.len() as u32;
    scene.colors.push([0.0, 0.0, 0.0, 1.0]);
    scene.color_trainable.push(false);
    for (shape, src) in scene.shapes.iter_mut().zip(&built.map.shapes) {
        let inside = (first..end).contains(&src.element.index());
        let repaint = |p: &mut Paint| *p = if inside && *p != Paint::None { Paint::Solid(opaque) } else { Paint::None };
        repaint(&mut shape.fill);
        if let Some(stroke) = shape.stroke.as_mut() {
            repaint(&mut stroke.paint);
        }
    }
    let image = crate::raster::render(&scene, w, h, [0.0; 4])?;
    Ok(image.data.chunks_exact(4).map(|px| px[3].clamp(0.0, 1.0)).collect())
}

/// The mask of every planned ROI, in loss order: with `roi_mask`, each element ROI's
/// [`element_mask`] at the plan's render size; `None` for box ROIs, the whole canvas, and every
/// ROI without `roi_mask`.
pub fn roi_masks(doc: &Document, plan: &Plan, roi_mask: bool) -> Result<Vec<Option<Vec<f32>>>> {
    let (w, h) = plan.render;
    plan.rois
        .iter()
        .map(|r| match r.element {
            Some(el) if roi_mask => element_mask(doc, &plan.built, el, w, h).map(Some),
            _ => Ok(None),
        })
        .collect()
}

/// A coverage mask as a `[h, w, 4]` tensor (the render's layout, every channel the same) on
/// `device`, outside the graph.
pub fn to_tensor(mask: &[f32], w: u32, h: u32, device: &burn::tensor::Device) -> Tensor<3> {
    let data: Vec<f32> = mask.iter().flat_map(|&m| [m; 4]).collect();
    Tensor::<3>::from_data(TensorData::new(data, [h as usize, w as usize, 4]), device)
}

/// `render·m + white·(1 − m)`, or the render itself without a mask.
pub fn apply(render: Tensor<3>, mask: Option<&Tensor<3>>) -> Tensor<3> {
    match mask {
        Some(m) => (render - 1.0) * m.clone() + 1.0,
        None => render,
    }
}

/// The original render's centred whole view of an ROI (`rect` in render pixels) through its
/// mask: the view whose embedding is the guide's `original` (CLIP's input, not yet normalised).
pub fn original_view(original: Tensor<3>, mask: Option<&Tensor<3>>, rect: [f64; 4], size: usize) -> Tensor<4> {
    let view = whole_view(rect, size, None::<&mut rand_chacha::ChaCha8Rng>);
    sample_views(apply(original, mask), &[view], size)
}

/// The views of one iteration (`owner[i].0`: the ROI of view `i`, views of one ROI contiguous)
/// sampled from `render`, each ROI's through its mask. Without masks, one [`sample_views`] of
/// all views, as the loss has always done.
pub fn sample_roi_views(
    render: Tensor<3>,
    masks: &[Option<&Tensor<3>>],
    views: &[View],
    owner: &[(usize, f32)],
    size: usize,
) -> Tensor<4> {
    if masks.iter().all(Option::is_none) {
        return sample_views(render, views, size);
    }
    let mut parts = Vec::new();
    let mut a = 0;
    while a < views.len() {
        let r = owner[a].0;
        let b = (a..views.len()).find(|&k| owner[k].0 != r).unwrap_or(views.len());
        parts.push(sample_views(apply(render.clone(), masks[r]), &views[a..b], size));
        a = b;
    }
    Tensor::cat(parts, 0)
}

//! Shaped ROIs (`roi_mask`): an element ROI's views see only the element's own (original) shape,
//! the rest of the view white; box ROIs and the whole canvas keep their boxes; an edit with the
//! mask changes only the selection.

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use clipvg::edit::mask::{original_view, roi_masks, to_tensor};
use clipvg::edit::{EditRequest, Hooks, Model, Roi, edit};
use clipvg::svg::Document;

/// A red square below a blue circle; the square reaches into the corner of the circle's box but
/// not into the circle.
const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <rect id="square" x="6" y="6" width="22" height="22" fill="#ff0000"/>
  <circle id="dot" cx="32" cy="32" r="16" fill="#0000ff"/>
</svg>
"##;

fn request(roi_mask: bool) -> EditRequest {
    EditRequest {
        prompt: Some("a red apple".into()),
        rois: vec![
            Roi { element: Some("dot".into()), n_patches: Some(2), ..Default::default() },
            Roi { rect: Some([0.0, 0.0, 64.0, 64.0].into()), n_patches: Some(1), ..Default::default() },
        ],
        select: vec!["dot".into()],
        iterations: 3,
        render_size: 64,
        prompt_templates: false,
        roi_mask,
        ..Default::default()
    }
}

/// The guide's original view (32² pixels, `[3, 32, 32]` values in [0, 1]) of every ROI.
fn original_views(roi_mask: bool) -> Vec<Vec<f32>> {
    let doc = Document::parse(SVG).unwrap();
    let req = request(roi_mask);
    let plan = clipvg::edit::plan::plan(&doc, &req, &mut clipvg_document::no_progress()).unwrap();
    let masks = roi_masks(&doc, &plan, req.roi_mask).unwrap();
    assert_eq!(masks[0].is_some(), roi_mask, "the element ROI has a mask exactly with roi_mask");
    assert!(masks[1].is_none(), "a box ROI never has one");
    let (w, h) = plan.render;
    let device = clipvg::compute::cpu_device();
    let image = clipvg::raster::render(plan.scene(), w, h, [1.0; 4]).unwrap();
    let render = Tensor::<3>::from_data(TensorData::new(image.data, [h as usize, w as usize, 4]), &device);
    plan.rois
        .iter()
        .zip(&masks)
        .map(|(roi, m)| {
            let mask = m.as_ref().map(|m| to_tensor(m, w, h, &device));
            let rect = roi.rect.map(|v| v * plan.scale);
            original_view(render.clone(), mask.as_ref(), rect, 32)
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap()
        })
        .collect()
}

/// `[r, g, b]` of view pixel `(x, y)` of a `[1, 3, 32, 32]` view.
fn pixel(view: &[f32], x: usize, y: usize) -> [f32; 3] {
    [0, 1, 2].map(|c| view[c * 32 * 32 + y * 32 + x])
}

#[test]
fn the_mask_whitens_the_element_box_outside_the_element() {
    let boxed = original_views(false);
    let shaped = original_views(true);
    // Without the mask the square shows in the top-left corner of the circle's box.
    let [r, g, b] = pixel(&boxed[0], 1, 1);
    assert!(r > 0.9 && g < 0.1 && b < 0.1, "the square in the box's corner: {:?}", [r, g, b]);
    // With it, every corner is white and the centre is the circle.
    for (x, y) in [(1, 1), (30, 1), (1, 30), (30, 30)] {
        assert!(pixel(&shaped[0], x, y).iter().all(|&v| v > 0.99), "corner ({x}, {y}): {:?}", pixel(&shaped[0], x, y));
    }
    let [r, g, b] = pixel(&shaped[0], 16, 16);
    assert!(r < 0.1 && g < 0.1 && b > 0.9, "the circle at the centre: {:?}", [r, g, b]);
    // The box ROI (the whole canvas) is the same either way.
    assert_eq!(boxed[1], shaped[1]);
}

#[test]
fn a_masked_edit_changes_only_the_selection_and_differs_from_the_boxed_one() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/A");
    let model = Model::from_dir(&dir, clipvg::compute::cpu_device()).unwrap();
    let doc = Document::parse(SVG).unwrap();
    let run = |req: &EditRequest| {
        let mut progress = |_: &clipvg::edit::Progress| true;
        edit(&doc, req, &model, Hooks { progress: &mut progress, snapshot: None }).unwrap()
    };
    let shaped = run(&request(true));
    assert_eq!(shaped.report.changed, ["dot"]);
    assert!(shaped.svg.contains(r##"<rect id="square" x="6" y="6" width="22" height="22" fill="#ff0000"/>"##));
    assert_eq!(run(&request(true)).svg, shaped.svg, "deterministic");
    assert_ne!(run(&request(false)).svg, shaped.svg, "the mask changes what CLIP sees");
}

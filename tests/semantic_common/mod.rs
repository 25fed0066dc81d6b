//! The toy semantic CLIP of `tests/fixtures/clip/semantic` (see its README) and the colour
//! measures of the tests that use it (`semantic`, `semantic_controls`, `variations` of `tests/engine`).

use std::path::PathBuf;

use clipvg::edit::{EditMode, EditRequest, Model, Roi};
use clipvg::svg::Document;

/// The model's folder.
pub fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/semantic")
}

/// The semantic model on the CPU; a missing or broken fixture fails the test (no silent skip).
pub fn model() -> Model {
    let dir = model_dir();
    Model::from_dir(&dir, clipvg::compute::cpu_device())
        .unwrap_or_else(|e| panic!("the semantic model in {} must load: {e}", dir.display()))
}

/// The fill of element `id` as RGB in [0, 1].
pub fn fill(doc: &Document, id: &str) -> [f64; 3] {
    let e = doc.element(doc.require_id(id).unwrap());
    let f = e.attr("fill").unwrap_or_else(|| panic!("{id} has no fill"));
    let c = clipvg::svg::paint::parse_color(f).unwrap_or_else(|| panic!("{id}: fill {f}"));
    [c[0], c[1], c[2]]
}

/// Hue in degrees, [0, 360).
pub fn hue(c: [f64; 3]) -> f64 {
    let (max, min) = (c[0].max(c[1]).max(c[2]), c[0].min(c[1]).min(c[2]));
    if max - min < 1e-9 {
        return 0.0;
    }
    let d = max - min;
    let h = if max == c[0] {
        ((c[1] - c[2]) / d).rem_euclid(6.0)
    } else if max == c[1] {
        (c[2] - c[0]) / d + 2.0
    } else {
        (c[0] - c[1]) / d + 4.0
    };
    60.0 * h
}

/// Angular distance between two hues, in degrees.
pub fn hue_distance(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// A colour edit of `rois` (element id, prompt), seeded, small enough for CI.
pub fn colour_request(rois: &[(&str, &str)], seed: u64) -> EditRequest {
    EditRequest {
        rois: rois.iter().map(|(id, p)| Roi { prompt: Some(p.to_string()), ..Roi::element(*id) }).collect(),
        mode: EditMode::Colour,
        iterations: 30,
        colour_lr: 0.03,
        n_patches: 8,
        render_size: 96,
        seed,
        ..Default::default()
    }
}

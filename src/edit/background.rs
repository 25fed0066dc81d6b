//! The optional background layer (`background_layer`): a trainable canvas rectangle under
//! every shape during the edit, written into the result by [`write_back_with_layer`] as the
//! first child of the root element.

use crate::error::{Error, Result};
use crate::scene::{Built, FillRule, NewPath, Paint, Scene, Shape, Subpath, WriteBack, write_back_with_layer};
use crate::svg::Document;

/// Id of the background path that `background_layer` adds.
pub const BACKGROUND_ID: &str = "clipvg-background";

/// The scene with a trainable canvas rectangle (four cubic segments) under every shape. Its
/// points and colour go at the end of the arrays, its shape first in painter's order.
pub(super) fn with_background(scene: &Scene, rgba: [f32; 4]) -> Scene {
    let mut s = scene.clone();
    let (w, h) = (s.width, s.height);
    let corners = [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]];
    let first_point = s.points.len() as u32;
    for i in 0..4 {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        let lerp = |t: f32| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        s.points.extend([a, lerp(1.0 / 3.0), lerp(2.0 / 3.0)]);
    }
    let sp = s.subpaths.len() as u32;
    s.subpaths.push(Subpath { first_point, segments: 4, closed: true });
    let color = s.colors.len() as u32;
    s.colors.push(rgba);
    s.color_trainable.push(true);
    s.shapes.insert(
        0,
        Shape {
            subpaths: sp..sp + 1,
            fill: Paint::Solid(color),
            fill_rule: FillRule::NonZero,
            stroke: None,
            trainable: true,
        },
    );
    s
}

/// `updated` (a [`with_background`] scene) back in the structure of `base`.
pub(super) fn without_background(base: &Scene, updated: &Scene) -> Scene {
    let mut s = base.clone();
    s.points.copy_from_slice(&updated.points[..base.points.len()]);
    s.colors.copy_from_slice(&updated.colors[..base.colors.len()]);
    s
}

/// The document text of `updated` (a [`with_background`] scene of `built`): the shapes written
/// back as usual, and the background path inserted as the first child of the root element.
pub(super) fn write_with_background(doc: &Document, built: &Built, updated: &Scene) -> Result<String> {
    if doc.start_tag_end(doc.root()).is_none() {
        return Err(Error::NotSvg("the root element has no content to add a background to".into()));
    }
    let base = &built.scene;
    let layer = NewPath {
        id: BACKGROUND_ID,
        points: &updated.points[base.points.len()..],
        user_to_canvas: built.canvas.user_to_canvas,
        fill: updated.colors[base.colors.len()],
    };
    let plain = without_background(base, updated);
    Ok(write_back_with_layer(doc, base, &built.map, &plain, WriteBack::default(), &layer)?)
}

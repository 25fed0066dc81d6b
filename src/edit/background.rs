//! The optional background layer (`background_layer`): a trainable canvas rectangle under
//! every shape during the edit, written into the result as the first child of the root element.
//!
//! Why it is spliced in here rather than written by `scene::write_back` / `svg::Editor`: the
//! document crate's editor changes and replaces existing elements but has no "insert a new
//! child" edit, and its number format (8 significant digits, trailing zeros trimmed: `0`,
//! `341.33333`) differs from this layer's (`0.000`, `341.333`, `fill-opacity="1.0000"`), so going
//! through it would change the bytes of every edit with a background layer. Both would need a
//! change in the document crate and a deliberate change of output.

use crate::error::{Error, Result};
use crate::scene::{FillRule, Paint, Scene, Shape, Subpath};
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

/// Inserts the background path as the first child of the root element.
pub(super) fn insert_background(
    svg: &str,
    points: &[[f32; 2]],
    rgba: [f32; 4],
    user_to_canvas: kurbo::Affine,
) -> Result<String> {
    let doc = Document::parse(svg)?;
    let to_user = user_to_canvas.inverse();
    let pt = |p: [f32; 2]| {
        let q = to_user * kurbo::Point::new(p[0] as f64, p[1] as f64);
        format!("{:.3},{:.3}", q.x, q.y)
    };
    let mut d = format!("M {}", pt(points[0]));
    for k in 0..4 {
        d += &format!(" C {} {} {}", pt(points[3 * k + 1]), pt(points[3 * k + 2]), pt(points[(3 * k + 3) % 12]));
    }
    d += " Z";
    let b = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let element = format!(
        "<path id=\"{BACKGROUND_ID}\" d=\"{d}\" fill=\"#{:02x}{:02x}{:02x}\" fill-opacity=\"{:.4}\"/>",
        b(rgba[0]),
        b(rgba[1]),
        b(rgba[2]),
        rgba[3].clamp(0.0, 1.0)
    );
    let at = doc
        .start_tag_end(doc.root())
        .ok_or_else(|| Error::NotSvg("the root element has no content to add a background to".into()))?;
    Ok(format!("{}{}{}", &svg[..at], element, &svg[at..]))
}

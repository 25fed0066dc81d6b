//! The SVG document model: load any SVG, index it, resolve styles, paints and geometry, and
//! write changes back as minimal splices of the original text.

mod document;
pub mod edit;
pub mod geometry;
pub mod paint;
mod prescan;
pub mod style;

pub use document::{Attribute, Document, Element, ElementId, INKSCAPE_NS, SVG_NS, XLINK_NS};
pub use edit::Editor;

use kurbo::{Affine, Vec2};

use crate::error::{Error, Result};
use geometry::{Axis, parse_length};

/// The drawing area: its size in canvas pixels and the map from root user space to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Canvas {
    /// Width in canvas pixels (CSS px at 96 dpi).
    pub width: f64,
    /// Height in canvas pixels.
    pub height: f64,
    /// Root user space (`viewBox` coordinates) → canvas pixels.
    pub user_to_canvas: Affine,
    /// Size of the root viewport in user units, the reference for percentages.
    pub viewport: Vec2,
}

/// Largest canvas side we accept; anything bigger is almost surely a unit mistake.
pub const MAX_CANVAS_SIDE: f64 = 1.0e6;

impl Canvas {
    /// Reads `width`, `height`, `viewBox` and `preserveAspectRatio` of the root element.
    /// A missing size falls back to the viewBox, then to 100×100 (with a warning).
    pub fn of(doc: &Document, warnings: &mut Vec<String>) -> Result<Canvas> {
        let root = doc.element(doc.root());
        let view_box = match root.attr("viewBox") {
            Some(v) => match v.parse::<svgtypes::ViewBox>() {
                Ok(vb) if vb.w > 0.0 && vb.h > 0.0 => Some(vb),
                _ => {
                    warnings.push(format!("ignoring invalid viewBox \"{v}\""));
                    None
                }
            },
            None => None,
        };
        let vb_size = view_box.map(|v| Vec2::new(v.w, v.h));
        let reference = vb_size.unwrap_or(Vec2::new(100.0, 100.0));
        // Percentages of the outer viewport are unknowable for a file; use the viewBox.
        let width = parse_length(root.attr("width"), Axis::X, reference);
        let height = parse_length(root.attr("height"), Axis::Y, reference);
        let (width, height) = match (width, height, vb_size) {
            (Some(w), Some(h), _) => (w, h),
            (Some(w), None, Some(vb)) => (w, w * vb.y / vb.x),
            (None, Some(h), Some(vb)) => (h * vb.x / vb.y, h),
            (None, None, Some(vb)) => (vb.x, vb.y),
            (w, h, None) => {
                if w.is_none() || h.is_none() {
                    warnings.push("no width/height/viewBox: assuming 100×100".into());
                }
                (w.unwrap_or(100.0), h.unwrap_or(100.0))
            }
        };
        if !(width > 0.0 && height > 0.0) || width > MAX_CANVAS_SIDE || height > MAX_CANVAS_SIDE {
            return Err(Error::NotSvg(format!("unusable canvas size {width}×{height}")));
        }
        let user_to_canvas = match view_box {
            Some(vb) => {
                let aspect: svgtypes::AspectRatio =
                    root.attr("preserveAspectRatio").and_then(|s| s.parse().ok()).unwrap_or_default();
                view_box_transform(vb, aspect, width, height)
            }
            None => Affine::IDENTITY,
        };
        let viewport = vb_size.unwrap_or(Vec2::new(width, height));
        Ok(Canvas { width, height, user_to_canvas, viewport })
    }
}

/// The viewBox → viewport transform of SVG 1.1 §7.8 (`preserveAspectRatio`).
pub fn view_box_transform(vb: svgtypes::ViewBox, aspect: svgtypes::AspectRatio, width: f64, height: f64) -> Affine {
    use svgtypes::Align;
    let (mut sx, mut sy) = (width / vb.w, height / vb.h);
    if aspect.align != Align::None {
        let s = if aspect.slice { sx.max(sy) } else { sx.min(sy) };
        sx = s;
        sy = s;
    }
    let (dx, dy) = (width - vb.w * sx, height - vb.h * sy);
    let (fx, fy) = match aspect.align {
        Align::None | Align::XMinYMin => (0.0, 0.0),
        Align::XMidYMin => (0.5, 0.0),
        Align::XMaxYMin => (1.0, 0.0),
        Align::XMinYMid => (0.0, 0.5),
        Align::XMidYMid => (0.5, 0.5),
        Align::XMaxYMid => (1.0, 0.5),
        Align::XMinYMax => (0.0, 1.0),
        Align::XMidYMax => (0.5, 1.0),
        Align::XMaxYMax => (1.0, 1.0),
    };
    Affine::translate((dx * fx, dy * fy)) * Affine::scale_non_uniform(sx, sy) * Affine::translate((-vb.x, -vb.y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurbo::Point;

    fn canvas(attrs: &str) -> Canvas {
        let doc = Document::parse(format!("<svg xmlns=\"http://www.w3.org/2000/svg\" {attrs}/>")).unwrap();
        Canvas::of(&doc, &mut Vec::new()).unwrap()
    }

    #[test]
    fn size_from_attributes_and_viewbox() {
        let c = canvas("viewBox=\"0 0 36 36\"");
        assert_eq!((c.width, c.height), (36.0, 36.0));
        let c = canvas("width=\"72\" viewBox=\"0 0 36 18\"");
        assert_eq!((c.width, c.height), (72.0, 36.0));
        assert_eq!(c.user_to_canvas * Point::new(36.0, 18.0), Point::new(72.0, 36.0));
        let c = canvas("width=\"1in\" height=\"2in\"");
        assert_eq!((c.width, c.height), (96.0, 192.0));
        let c = canvas("width=\"100%\" height=\"100%\" viewBox=\"0 0 10 20\"");
        assert_eq!((c.width, c.height), (10.0, 20.0));
    }

    #[test]
    fn preserve_aspect_ratio_meet_and_slice() {
        // 200×100 viewport, 10×10 viewBox: meet → scale 10, centred horizontally.
        let c = canvas("width=\"200\" height=\"100\" viewBox=\"0 0 10 10\"");
        assert_eq!(c.user_to_canvas * Point::new(0.0, 0.0), Point::new(50.0, 0.0));
        let c = canvas("width=\"200\" height=\"100\" viewBox=\"0 0 10 10\" preserveAspectRatio=\"xMinYMin slice\"");
        assert_eq!(c.user_to_canvas * Point::new(10.0, 10.0), Point::new(200.0, 200.0));
        let c = canvas("width=\"200\" height=\"100\" viewBox=\"5 5 10 10\" preserveAspectRatio=\"none\"");
        assert_eq!(c.user_to_canvas * Point::new(15.0, 15.0), Point::new(200.0, 100.0));
    }

    #[test]
    fn bad_sizes_are_errors() {
        let doc = Document::parse("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"10\"/>").unwrap();
        assert!(Canvas::of(&doc, &mut Vec::new()).is_err());
        let doc = Document::parse("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1e9\" height=\"10\"/>").unwrap();
        assert!(Canvas::of(&doc, &mut Vec::new()).is_err());
    }
}

//! The flat differentiable scene: what the rasterizer draws and the optimizer changes.
//!
//! All geometry is in **canvas space** (pixels of the canvas at scale 1; a render at another
//! size scales it). Parameters live in flat arrays ready to become tensors:
//! `points` `[P, 2]`, `colors` `[C, 4]` (straight RGBA in [0, 1]: solid paints and gradient
//! stops), `stroke_widths` `[W]`. Shapes refer to them by index. The [`SceneMap`] says where
//! every shape came from in the document, so results can be written back.

mod build;
mod writeback;

pub use build::{BuildOptions, Built, Diagnostic, Trainable, build, build_with};
pub use writeback::{NewPath, WriteBack, write_back, write_back_with, write_back_with_layer};

use kurbo::{Affine, Rect};
use serde::Serialize;

use crate::svg::ElementId;
pub use crate::svg::paint::{Spread, parse_color};
use crate::svg::style::Origin;

/// A subpath: `segments` cubic segments whose control points start at `first_point`.
/// Closed: `3·segments` points, the last segment ends at the first point. Open: `3·segments + 1`.
/// For filling, an open subpath is closed by a straight line (SVG's implicit close).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Subpath {
    pub first_point: u32,
    pub segments: u32,
    pub closed: bool,
}

impl Subpath {
    /// Number of control points.
    pub fn point_count(&self) -> u32 {
        if self.closed { 3 * self.segments } else { 3 * self.segments + 1 }
    }
}

/// Winding rule for fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FillRule {
    NonZero,
    EvenOdd,
}

/// A paint: nothing, a solid colour (index into `colors`) or a gradient (index into `gradients`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "index", rename_all = "lowercase")]
pub enum Paint {
    None,
    Solid(u32),
    Gradient(u32),
}

/// Gradient geometry in gradient space; `canvas_to_gradient` maps canvas points into it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum GradientShape {
    Linear { x1: f32, y1: f32, x2: f32, y2: f32 },
    Radial { cx: f32, cy: f32, r: f32, fx: f32, fy: f32, fr: f32 },
}

/// A gradient paint. Its stop colours are `colors[stops.0 .. stops.0 + offsets.len()]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gradient {
    pub shape: GradientShape,
    /// Affine `[a, b, c, d, e, f]` (SVG matrix order) from canvas to gradient space.
    pub canvas_to_gradient: [f32; 6],
    pub spread: Spread,
    /// Index of the first stop colour in `colors`.
    pub first_color: u32,
    /// Stop offsets in [0, 1], non-decreasing.
    pub offsets: Vec<f32>,
}

/// Line cap of open subpaths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineCap {
    Butt,
    Round,
    Square,
}

/// Corner style between stroked segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineJoin {
    Miter,
    Round,
    Bevel,
}

/// A stroke: paint, width (index into `stroke_widths`), caps and joins.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Stroke {
    pub paint: Paint,
    pub width: u32,
    pub cap: LineCap,
    pub join: LineJoin,
    pub miter_limit: f32,
}

/// One drawable shape, in painter's order within [`Scene::shapes`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shape {
    /// Range of indices into [`Scene::subpaths`].
    pub subpaths: std::ops::Range<u32>,
    pub fill: Paint,
    pub fill_rule: FillRule,
    pub stroke: Option<Stroke>,
    /// Whether the optimizer may move this shape's points and change its colours.
    pub trainable: bool,
}

/// The flat scene (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Scene {
    /// Canvas width in pixels.
    pub width: f32,
    /// Canvas height in pixels.
    pub height: f32,
    /// Control points `[P, 2]`, canvas space.
    pub points: Vec<[f32; 2]>,
    pub subpaths: Vec<Subpath>,
    pub shapes: Vec<Shape>,
    /// Straight RGBA `[C, 4]`: solid paints and gradient stops.
    pub colors: Vec<[f32; 4]>,
    /// Whether each colour may be trained (false for frozen shapes and shared gradient stops).
    pub color_trainable: Vec<bool>,
    pub gradients: Vec<Gradient>,
    /// Stroke widths `[W]` in canvas pixels.
    pub stroke_widths: Vec<f32>,
}

impl Scene {
    /// Number of cubic segments of a shape.
    pub fn segment_count(&self, shape: &Shape) -> u32 {
        self.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize].iter().map(|s| s.segments).sum()
    }

    /// The control points of a subpath.
    pub fn subpath_points(&self, s: &Subpath) -> &[[f32; 2]] {
        &self.points[s.first_point as usize..(s.first_point + s.point_count()) as usize]
    }

    /// Per point: whether it belongs to a trainable shape.
    pub fn point_trainable(&self) -> Vec<bool> {
        let mut mask = vec![false; self.points.len()];
        for shape in self.shapes.iter().filter(|s| s.trainable) {
            for sp in &self.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize] {
                for m in &mut mask[sp.first_point as usize..(sp.first_point + sp.point_count()) as usize] {
                    *m = true;
                }
            }
        }
        mask
    }

    /// Tight bounding box of a shape's outline in canvas space, widened by half its stroke
    /// width; `None` if it has no segments.
    pub fn shape_bounds(&self, shape: &Shape) -> Option<Rect> {
        use kurbo::{CubicBez, ParamCurveExtrema, Point};
        let mut bounds: Option<Rect> = None;
        for sp in &self.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize] {
            let pts = self.subpath_points(sp);
            let p = |i: usize| {
                let q = pts[i % pts.len()];
                Point::new(q[0] as f64, q[1] as f64)
            };
            for s in 0..sp.segments as usize {
                let b = CubicBez::new(p(3 * s), p(3 * s + 1), p(3 * s + 2), p(3 * s + 3)).bounding_box();
                bounds = Some(bounds.map_or(b, |r| r.union(b)));
            }
        }
        let half = shape.stroke.map_or(0.0, |s| self.stroke_widths[s.width as usize] as f64 / 2.0);
        bounds.map(|b| b.inflate(half, half))
    }
}

/// Where one colour of a shape came from: the element and property to write it back to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColorSource {
    /// Element that receives the new value (the shape itself, or a `<stop>`).
    pub element: ElementId,
    /// `fill`, `stroke` or `stop-color`.
    pub property: &'static str,
    /// `fill-opacity`, `stroke-opacity` or `stop-opacity`.
    pub opacity_property: &'static str,
    /// What the alpha in `colors` was multiplied by besides the property itself (`opacity` of
    /// the element and its ancestors, and for stops the shape's fill/stroke opacity).
    pub alpha_scale: f64,
    /// Where the element's own value was specified, if it was (for messages and tests).
    pub origin: Option<Origin>,
}

/// What kind of element a shape came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Path,
    Rect,
    Circle,
    Ellipse,
    Line,
    Polyline,
    Polygon,
}

/// The document origin of one shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShapeSource {
    /// The shape element.
    pub element: ElementId,
    pub kind: SourceKind,
    /// Drawn through `<use>`: rendered, but never written back (it would change every copy).
    pub via_use: bool,
    /// Element user space (after its own `transform`) → canvas.
    #[serde(skip)]
    pub to_canvas: Affine,
    /// One entry per colour of the shape in `colors` order: `(colour index, source)`.
    pub colors: Vec<(u32, ColorSource)>,
    /// Canvas stroke width = `stroke-width` × this (the transform's mean scale).
    pub stroke_width_scale: f64,
}

/// Map from scene shapes back to the document, `shapes[i]` for `Scene::shapes[i]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SceneMap {
    pub shapes: Vec<ShapeSource>,
}

/// A region of interest: the canvas box of a selected element and the element itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Roi {
    pub element: Option<ElementId>,
    /// `[x, y, w, h]` in canvas pixels, clipped to the canvas.
    pub rect: [f64; 4],
}

/// The ROIs of selected elements: each element's box is the union of the boxes of the shapes it
/// produced (itself or its descendants). Elements that produced no visible shape are an error.
///
/// Every shape's box is computed once; shapes are sorted by element, so an element's subtree is
/// one run of them, and a segment tree gives the union of any run in O(log n): the cost is
/// O((shapes + selected) log shapes) however many or nested the selected elements are.
pub fn rois_of(
    doc: &crate::svg::Document,
    scene: &Scene,
    map: &SceneMap,
    selected: &[ElementId],
) -> crate::Result<Vec<Roi>> {
    let canvas = Rect::new(0.0, 0.0, scene.width as f64, scene.height as f64);
    let mut boxes: Vec<(usize, Option<Rect>)> = scene
        .shapes
        .iter()
        .zip(&map.shapes)
        .map(|(shape, src)| (src.element.index(), scene.shape_bounds(shape)))
        .collect();
    boxes.sort_by_key(|b| b.0);
    let union = |a: Option<Rect>, b: Option<Rect>| match (a, b) {
        (Some(a), Some(b)) => Some(a.union(b)),
        (a, None) => a,
        (None, b) => b,
    };
    let size = boxes.len().next_power_of_two().max(1);
    let mut tree: Vec<Option<Rect>> = vec![None; 2 * size];
    for (i, b) in boxes.iter().enumerate() {
        tree[size + i] = b.1;
    }
    for i in (1..size).rev() {
        tree[i] = union(tree[2 * i], tree[2 * i + 1]);
    }
    let query = |mut l: usize, mut r: usize| {
        let mut acc = None;
        l += size;
        r += size;
        while l < r {
            if l & 1 == 1 {
                acc = union(acc, tree[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                acc = union(acc, tree[r]);
            }
            l /= 2;
            r /= 2;
        }
        acc
    };
    selected
        .iter()
        .map(|&el| {
            if el.index() >= doc.len() {
                return Err(crate::Error::UnknownId(format!("#{}", el.index())));
            }
            let l = boxes.partition_point(|b| b.0 < el.index());
            let r = boxes.partition_point(|b| b.0 < doc.subtree_end(el));
            let b = query(l, r).map(|b| b.intersect(canvas)).filter(|b| b.width() > 0.0 && b.height() > 0.0);
            match b {
                Some(b) => Ok(Roi { element: Some(el), rect: [b.x0, b.y0, b.width(), b.height()] }),
                None => Err(crate::Error::EmptySelection(format!(
                    "{} has no visible shapes on the canvas",
                    doc.describe(el)
                ))),
            }
        })
        .collect()
}

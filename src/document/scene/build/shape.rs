//! Shape elements into scene shapes: their outlines (path data, polylines and the basic shapes
//! as cubic subpaths) in canvas space, checked against the `segments` budget and f32's range,
//! their fill and stroke, and whether the optimizer may change them.

use kurbo::{Affine, Point, Rect, Vec2};

use super::walk::{Ctx, Inherited};
use super::{Builder, Trainable};
use crate::error::{Error, Result};
use crate::limits::{LimitExceeded, Limits};
use crate::scene::{ColorSource, FillRule, LineCap, LineJoin, Paint, Shape, ShapeSource, SourceKind, Stroke, Subpath};
use crate::svg::ElementId;
use crate::svg::geometry::{self, Axis, parse_length};
use crate::svg::paint::{Rgba, parse_color, parse_opacity};

/// Geometry attributes a shape element loses when it is rewritten as a `<path>`.
pub(in crate::scene) fn geometry_attributes(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::Path => &[],
        SourceKind::Rect => &["x", "y", "width", "height", "rx", "ry"],
        SourceKind::Circle => &["cx", "cy", "r"],
        SourceKind::Ellipse => &["cx", "cy", "rx", "ry"],
        SourceKind::Line => &["x1", "y1", "x2", "y2"],
        SourceKind::Polyline | SourceKind::Polygon => &["points"],
    }
}

impl Builder<'_> {
    /// Adds the shape of a shape element (`path`, `rect`, ...) to the scene and the map, unless
    /// it is hidden or draws nothing.
    pub(super) fn add_shape(&mut self, el: ElementId, ctx: &Ctx) -> Result<()> {
        let vis = ctx.inherited.value("visibility").unwrap_or("visible");
        if vis == "hidden" || vis == "collapse" {
            return Ok(());
        }
        let Some((kind, user_subpaths)) = self.outline(el, ctx.viewport)? else { return Ok(()) };
        let new_segments: u64 = user_subpaths.iter().map(|s| s.segments() as u64).sum();
        self.segments = self.segments.saturating_add(new_segments);
        Limits::check("segments", "cubic segments", self.segments, self.options.limits.segments)
            .map_err(Error::Limit)?;
        let t = ctx.to_canvas;
        let Some(canvas_subpaths) = self.canvas_outline(el, &user_subpaths, t) else { return Ok(()) };

        let current_color = ctx.inherited.value("color").and_then(parse_color).unwrap_or([0.0, 0.0, 0.0, 1.0]);
        let user_bbox = tight_bbox(&user_subpaths).unwrap_or(Rect::ZERO);
        let trainable = self.trainability(el, ctx)?;
        let mut colors = Vec::new();
        let (fill, fill_rule) = self.fill(el, ctx, current_color, user_bbox, &mut colors)?;
        let (stroke, stroke_width_scale) = self.stroke(el, ctx, current_color, user_bbox, &mut colors)?;
        for prop in ["marker-start", "marker-mid", "marker-end", "marker"] {
            if self.styles.own(el, prop).is_some_and(|v| v.value != "none") {
                self.report(el, "markers are not drawn");
                break;
            }
        }
        if fill == Paint::None && stroke.is_none() {
            return Ok(());
        }

        let first_subpath = self.scene.subpaths.len() as u32;
        for sp in &canvas_subpaths {
            let first_point = self.scene.points.len() as u32;
            self.scene.points.extend(sp.points.iter().map(|p| [p.x as f32, p.y as f32]));
            self.scene.subpaths.push(Subpath { first_point, segments: sp.segments() as u32, closed: sp.closed });
        }
        for &(ci, _) in &colors {
            self.scene.color_trainable[ci as usize] = trainable;
        }
        self.scene.shapes.push(Shape {
            subpaths: first_subpath..self.scene.subpaths.len() as u32,
            fill,
            fill_rule,
            stroke,
            trainable,
        });
        let via_use = ctx.via_use;
        self.map.shapes.push(ShapeSource { element: el, kind, via_use, to_canvas: t, colors, stroke_width_scale });
        Ok(())
    }

    /// The outline of a shape element in its user space, or `None` if it draws nothing.
    ///
    /// Path data is refused past the `segments` budget left; the caller counts the others.
    fn outline(&mut self, el: ElementId, vp: Vec2) -> Result<Option<(SourceKind, Vec<geometry::Subpath>)>> {
        let e = self.doc.element(el);
        if e.name == "path" {
            let left = self.options.limits.segments.saturating_sub(self.segments);
            let (sp, err) = geometry::path_from_d_with(e.attr("d").unwrap_or(""), left).map_err(|l| {
                Error::Limit(LimitExceeded {
                    needed: self.segments.saturating_add(l.needed),
                    limit: self.options.limits.segments,
                    ..l
                })
            })?;
            if let Some(err) = err {
                self.report(el, format!("{err}; drawn up to the error"));
            }
            return Ok((!sp.is_empty()).then_some((SourceKind::Path, sp)));
        }
        if e.name == "polyline" || e.name == "polygon" {
            let left = self.options.limits.segments.saturating_sub(self.segments);
            let points = geometry::parse_points_with(e.attr("points").unwrap_or(""), left).map_err(|l| {
                Error::Limit(LimitExceeded {
                    needed: self.segments.saturating_add(l.needed),
                    limit: self.options.limits.segments,
                    ..l
                })
            })?;
            let (kind, closed) =
                if e.name == "polygon" { (SourceKind::Polygon, true) } else { (SourceKind::Polyline, false) };
            let subpaths = geometry::poly(&points, closed);
            return Ok((!subpaths.is_empty()).then_some((kind, subpaths)));
        }
        Ok(self.basic_outline(el, vp))
    }

    /// The outline of a basic shape (not `path`).
    fn basic_outline(&mut self, el: ElementId, vp: Vec2) -> Option<(SourceKind, Vec<geometry::Subpath>)> {
        let e = self.doc.element(el);
        let len = |name: &str, axis: Axis| parse_length(e.attr(name), axis, vp);
        let (kind, subpaths) = match e.name.as_str() {
            "rect" => {
                let (w, h) = (len("width", Axis::X)?, len("height", Axis::Y)?);
                if w <= 0.0 || h <= 0.0 {
                    return None;
                }
                let (rx, ry) = match (len("rx", Axis::X), len("ry", Axis::Y)) {
                    (Some(rx), Some(ry)) => (rx, ry),
                    (Some(r), None) | (None, Some(r)) => (r, r),
                    (None, None) => (0.0, 0.0),
                };
                let (rx, ry) = (rx.clamp(0.0, w / 2.0), ry.clamp(0.0, h / 2.0));
                let (x, y) = (len("x", Axis::X).unwrap_or(0.0), len("y", Axis::Y).unwrap_or(0.0));
                (SourceKind::Rect, geometry::rect(x, y, w, h, rx, ry))
            }
            "circle" => {
                let r = len("r", Axis::Diagonal)?;
                if r <= 0.0 {
                    return None;
                }
                let (cx, cy) = (len("cx", Axis::X).unwrap_or(0.0), len("cy", Axis::Y).unwrap_or(0.0));
                (SourceKind::Circle, geometry::ellipse(cx, cy, r, r))
            }
            "ellipse" => {
                let (rx, ry) = match (len("rx", Axis::X), len("ry", Axis::Y)) {
                    (Some(rx), Some(ry)) => (rx, ry),
                    (Some(r), None) | (None, Some(r)) => (r, r),
                    (None, None) => return None,
                };
                if rx <= 0.0 || ry <= 0.0 {
                    return None;
                }
                let (cx, cy) = (len("cx", Axis::X).unwrap_or(0.0), len("cy", Axis::Y).unwrap_or(0.0));
                (SourceKind::Ellipse, geometry::ellipse(cx, cy, rx, ry))
            }
            "line" => {
                let p = |x: &str, y: &str| Point::new(len(x, Axis::X).unwrap_or(0.0), len(y, Axis::Y).unwrap_or(0.0));
                (SourceKind::Line, geometry::poly(&[p("x1", "y1"), p("x2", "y2")], false))
            }
            _ => return None,
        };
        (!subpaths.is_empty()).then_some((kind, subpaths))
    }

    /// The outline in canvas space; `None` (reported) for a shape that leaves f32's range.
    fn canvas_outline(
        &mut self,
        el: ElementId,
        user_subpaths: &[geometry::Subpath],
        t: Affine,
    ) -> Option<Vec<geometry::Subpath>> {
        let canvas_subpaths: Vec<geometry::Subpath> = user_subpaths.iter().map(|s| s.transformed(t)).collect();
        let finite = canvas_subpaths
            .iter()
            .flat_map(|s| &s.points)
            .all(|p| (p.x as f32).is_finite() && (p.y as f32).is_finite());
        if !finite {
            self.report(el, "coordinates are not finite numbers (or beyond ±3.4e38 on the canvas); shape skipped");
            return None;
        }
        if canvas_subpaths.iter().flat_map(|s| &s.points).any(|p| p.x.abs() > 1e7 || p.y.abs() > 1e7) {
            self.report(el, "coordinates beyond ±1e7 px; drawn clipped to the canvas");
        }
        Some(canvas_subpaths)
    }

    fn is_selected(&self, el: ElementId) -> bool {
        match &self.options.trainable {
            Trainable::None => false,
            Trainable::All => true,
            Trainable::Elements(_) => self.selected.get(el.index()).copied().unwrap_or(false),
        }
    }

    /// Whether the optimizer may change the shape: selected, drawn directly (not through
    /// `<use>`), under an invertible transform, and from a plain element of the file. A selected
    /// shape from a DTD entity is an error with [`Trainable::Elements`], frozen and reported with
    /// [`Trainable::All`].
    fn trainability(&mut self, el: ElementId, ctx: &Ctx) -> Result<bool> {
        let det = ctx.to_canvas.determinant();
        let invertible = det.abs() > 1e-12 && det.is_finite();
        let trainable = self.is_selected(el) && !ctx.via_use && invertible;
        if trainable && self.doc.element(el).is_from_entity() {
            if matches!(self.options.trainable, Trainable::Elements(_)) {
                return Err(Error::FromEntity { element: self.doc.describe(el), in_selection: true });
            }
            self.report(
                el,
                "defined inside a DTD entity: drawn but not edited (its text is shared by every reference)",
            );
            return Ok(false);
        }
        Ok(trainable)
    }

    /// The fill of a shape and its rule, its colours recorded in `colors`.
    fn fill(
        &mut self,
        el: ElementId,
        ctx: &Ctx,
        current_color: Rgba,
        user_bbox: Rect,
        colors: &mut Vec<(u32, ColorSource)>,
    ) -> Result<(Paint, FillRule)> {
        let inh = &ctx.inherited;
        let fill_value = inh.value("fill").unwrap_or("black").to_string();
        let fill_opacity = inh.value("fill-opacity").and_then(parse_opacity).unwrap_or(1.0);
        let t = ctx.to_canvas;
        let fill = self.paint(el, &fill_value, current_color, ctx, t, user_bbox, fill_opacity, "fill", colors)?;
        let fill_rule = match inh.value("fill-rule") {
            Some("evenodd") => FillRule::EvenOdd,
            _ => FillRule::NonZero,
        };
        Ok((fill, fill_rule))
    }

    /// The stroke of a shape, if it has one (its width stored in the scene, its colours
    /// recorded in `colors`), and the factor from `stroke-width` to canvas pixels.
    fn stroke(
        &mut self,
        el: ElementId,
        ctx: &Ctx,
        current_color: Rgba,
        user_bbox: Rect,
        colors: &mut Vec<(u32, ColorSource)>,
    ) -> Result<(Option<Stroke>, f64)> {
        let inh = &ctx.inherited;
        let t = ctx.to_canvas;
        let stroke_value = inh.value("stroke").unwrap_or("none").to_string();
        let stroke_opacity = inh.value("stroke-opacity").and_then(parse_opacity).unwrap_or(1.0);
        let stroke_width = parse_length(inh.value("stroke-width"), Axis::Diagonal, ctx.viewport).unwrap_or(1.0);
        let non_scaling = self.styles.own(el, "vector-effect").is_some_and(|v| v.value == "non-scaling-stroke");
        let (s1, s2) = singular_values(t);
        let stroke_width_scale = if non_scaling { 1.0 } else { (s1 * s2).sqrt() };
        let stroked = stroke_width > 0.0 && stroke_value != "none"; // false for a NaN width too
        if !stroked {
            return Ok((None, stroke_width_scale));
        }
        let paint =
            self.paint(el, &stroke_value, current_color, ctx, t, user_bbox, stroke_opacity, "stroke", colors)?;
        if paint == Paint::None {
            return Ok((None, stroke_width_scale));
        }
        if !non_scaling && s2 > 0.0 && s1 / s2 > 1.01 {
            self.report(el, "stroke under a non-uniform transform drawn with its mean width");
        }
        if inh.value("stroke-dasharray").is_some_and(|d| d != "none") {
            self.report(el, "stroke dashes are not supported; drawn solid");
        }
        let width = self.scene.stroke_widths.len() as u32;
        self.scene.stroke_widths.push((stroke_width * stroke_width_scale) as f32);
        Ok((Some(stroke_style(inh, paint, width)), stroke_width_scale))
    }
}

/// A stroke of `paint` and width index `width` with the caps, joins and miter limit in effect.
fn stroke_style(inh: &Inherited, paint: Paint, width: u32) -> Stroke {
    Stroke {
        paint,
        width,
        cap: match inh.value("stroke-linecap") {
            Some("round") => LineCap::Round,
            Some("square") => LineCap::Square,
            _ => LineCap::Butt,
        },
        join: match inh.value("stroke-linejoin") {
            Some("round") => LineJoin::Round,
            Some("bevel") => LineJoin::Bevel,
            _ => LineJoin::Miter,
        },
        miter_limit: inh
            .value("stroke-miterlimit")
            .and_then(|v| v.parse::<f32>().ok())
            .filter(|m| *m >= 1.0)
            .unwrap_or(4.0),
    }
}

/// Tight bounding box of cubic subpaths.
fn tight_bbox(subpaths: &[geometry::Subpath]) -> Option<Rect> {
    use kurbo::{CubicBez, ParamCurveExtrema};
    let mut out: Option<Rect> = None;
    for s in subpaths {
        let n = s.points.len();
        for k in 0..s.segments() {
            let p = |i: usize| s.points[(3 * k + i) % n];
            let b = CubicBez::new(p(0), p(1), p(2), p(3)).bounding_box();
            out = Some(out.map_or(b, |r| r.union(b)));
        }
    }
    out
}

/// Singular values (largest first) of the linear part of an affine map.
fn singular_values(t: Affine) -> (f64, f64) {
    let [a, b, c, d, _, _] = t.as_coeffs();
    // For M = [[a, c], [b, d]]: σ² are the eigenvalues of MᵀM.
    let p = a * a + b * b;
    let q = a * c + b * d;
    let r = c * c + d * d;
    let mean = (p + r) / 2.0;
    let dev = (((p - r) / 2.0).powi(2) + q * q).sqrt();
    ((mean + dev).max(0.0).sqrt(), (mean - dev).max(0.0).sqrt())
}

//! Paints into scene colours and gradients: resolved through the style engine, counted against
//! the `colors` budget, placed in canvas space, and each colour recorded with the element and
//! property it is written back to.

use kurbo::{Affine, Rect};

use super::Builder;
use super::walk::Ctx;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::scene::{ColorSource, Gradient, GradientShape, Paint};
use crate::svg::ElementId;
use crate::svg::paint::{GradientKind, GradientSpec, ResolvedPaint, Rgba, resolve_paint};

impl Builder<'_> {
    /// Resolves one paint of a shape into scene colours/gradients and records their sources.
    #[allow(clippy::too_many_arguments)] // one call site per paint; a struct would only rename them
    pub(super) fn paint(
        &mut self,
        el: ElementId,
        value: &str,
        current_color: Rgba,
        ctx: &Ctx,
        to_canvas: Affine,
        user_bbox: Rect,
        paint_opacity: f64,
        property: &'static str,
        colors: &mut Vec<(u32, ColorSource)>,
    ) -> Result<Paint> {
        let mut warnings = Vec::new();
        let resolved = resolve_paint(self.doc, self.styles, value, current_color, ctx.viewport, &mut warnings);
        for w in warnings {
            self.report(el, w);
        }
        let opacity_property = if property == "fill" { "fill-opacity" } else { "stroke-opacity" };
        let needed = match &resolved {
            ResolvedPaint::None => 0,
            ResolvedPaint::Color(_) => 1,
            ResolvedPaint::Gradient(g) => g.stops.len() as u64,
        };
        // Counted when resolved, whether or not they are stored (a degenerate gradient is
        // resolved and dropped), so a gradient of many stops on many shapes stays bounded.
        self.paint_work = self.paint_work.saturating_add(needed);
        Limits::check(
            "colors",
            "colours in the scene (solid paints and gradient stops, per shape)",
            self.paint_work,
            self.options.limits.colors,
        )
        .map_err(Error::Limit)?;
        Ok(match resolved {
            ResolvedPaint::None => Paint::None,
            ResolvedPaint::Color(mut c) => {
                c[3] *= paint_opacity * ctx.opacity;
                let index = self.push_color(c);
                colors.push((
                    index,
                    ColorSource {
                        element: el,
                        property,
                        opacity_property,
                        alpha_scale: ctx.opacity,
                        origin: self.styles.get(el, property).map(|s| s.origin),
                    },
                ));
                Paint::Solid(index)
            }
            ResolvedPaint::Gradient(g) => {
                let alpha = paint_opacity * ctx.opacity;
                match self.gradient(&g, to_canvas, user_bbox, alpha) {
                    Some(index) => {
                        self.record_stops(&g, index, alpha, colors);
                        Paint::Gradient(index)
                    }
                    None => Paint::None,
                }
            }
        })
    }

    /// Records the source (its `<stop>`) of every stop colour of the scene gradient `index`.
    fn record_stops(&self, g: &GradientSpec, index: u32, alpha: f64, colors: &mut Vec<(u32, ColorSource)>) {
        let first = self.scene.gradients[index as usize].first_color;
        for (k, stop) in g.stops.iter().enumerate() {
            colors.push((
                first + k as u32,
                ColorSource {
                    element: stop.element,
                    property: "stop-color",
                    opacity_property: "stop-opacity",
                    alpha_scale: alpha,
                    origin: self.styles.get(stop.element, "stop-color").map(|s| s.origin),
                },
            ));
        }
    }

    fn push_color(&mut self, c: Rgba) -> u32 {
        let index = self.scene.colors.len() as u32;
        self.scene.colors.push([c[0] as f32, c[1] as f32, c[2] as f32, c[3] as f32]);
        self.scene.color_trainable.push(false);
        index
    }

    /// Places a gradient in canvas space. `None` when it degenerates to nothing (an empty
    /// bounding box with bbox units, or a singular transform).
    fn gradient(&mut self, g: &GradientSpec, to_canvas: Affine, bbox: Rect, alpha: f64) -> Option<u32> {
        let units = if g.bbox_units {
            if bbox.width() <= 0.0 || bbox.height() <= 0.0 {
                return None;
            }
            Affine::new([bbox.width(), 0.0, 0.0, bbox.height(), bbox.x0, bbox.y0])
        } else {
            Affine::IDENTITY
        };
        let gradient_to_canvas = to_canvas * units * g.transform;
        let det = gradient_to_canvas.determinant();
        if det.abs() < 1e-12 || !det.is_finite() {
            return None;
        }
        let inv = gradient_to_canvas.inverse().as_coeffs();
        let shape = match g.kind {
            GradientKind::Linear { x1, y1, x2, y2 } => {
                GradientShape::Linear { x1: x1 as f32, y1: y1 as f32, x2: x2 as f32, y2: y2 as f32 }
            }
            GradientKind::Radial { cx, cy, r, fx, fy, fr } => GradientShape::Radial {
                cx: cx as f32,
                cy: cy as f32,
                r: r as f32,
                fx: fx as f32,
                fy: fy as f32,
                fr: fr as f32,
            },
        };
        let first_color = self.scene.colors.len() as u32;
        for s in &g.stops {
            let mut c = s.color;
            c[3] *= alpha;
            self.push_color(c);
        }
        let index = self.scene.gradients.len() as u32;
        self.scene.gradients.push(Gradient {
            shape,
            canvas_to_gradient: inv.map(|v| v as f32),
            spread: g.spread,
            first_color,
            offsets: g.stops.iter().map(|s| s.offset as f32).collect(),
        });
        Some(index)
    }

    /// A `<stop>` used by several shapes cannot take two trained colours: freeze those.
    pub(super) fn freeze_shared_stops(&mut self) {
        let mut uses: std::collections::HashMap<ElementId, usize> = Default::default();
        for src in &self.map.shapes {
            for (_, c) in src.colors.iter().filter(|(_, c)| c.property == "stop-color") {
                *uses.entry(c.element).or_default() += 1;
            }
        }
        for src in &self.map.shapes {
            for (ci, c) in &src.colors {
                if c.property == "stop-color" && uses[&c.element] > 1 {
                    self.scene.color_trainable[*ci as usize] = false;
                }
            }
        }
    }
}

//! The render-tree walk: which elements draw, the context each passes to its content (inherited
//! style, transform, opacity, viewport), and the instancing of `<use>` and `<symbol>`. Elements
//! still to visit wait on an explicit stack, never in a recursion.

use std::rc::Rc;

use kurbo::{Affine, Vec2};

use super::Builder;
use crate::error::Result;
use crate::svg::geometry::{self, Axis, parse_length};
use crate::svg::paint::parse_opacity;
use crate::svg::style::Specified;
use crate::svg::{Document, ElementId, view_box_transform};

/// Elements that never draw by themselves.
pub(super) const NON_RENDERING: &[&str] = &[
    "defs",
    "symbol",
    "clipPath",
    "mask",
    "marker",
    "pattern",
    "linearGradient",
    "radialGradient",
    "style",
    "title",
    "desc",
    "metadata",
    "script",
    "filter",
    "font",
    "font-face",
    "cursor",
    "view",
    "animate",
    "animateMotion",
    "animateTransform",
    "set",
    "stop",
];

/// Elements we cannot draw; reported, not drawn.
pub(super) const UNSUPPORTED: &[(&str, &str)] = &[
    ("text", "text is not drawn or edited (convert it to paths)"),
    ("image", "bitmap image is not drawn or edited (vectorize it first)"),
    ("foreignObject", "foreignObject is not drawn"),
    ("video", "video is not drawn"),
];

/// Whether the walk visits `el` as a child: an SVG element that may draw.
pub(super) fn is_rendered(doc: &Document, el: ElementId) -> bool {
    let e = doc.element(el);
    e.is_svg() && !NON_RENDERING.contains(&e.name.as_str()) && !UNSUPPORTED.iter().any(|(n, _)| *n == e.name)
}

/// Inherited properties, with the element each value came from.
const INHERITED: &[&str] = &[
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-opacity",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "visibility",
    "color",
];

/// The values of [`INHERITED`] properties in effect, each with the element it was specified on.
#[derive(Clone, Default)]
pub(super) struct Inherited {
    values: Vec<(&'static str, ElementId, Specified)>,
}

impl Inherited {
    fn get(&self, prop: &str) -> Option<&(&'static str, ElementId, Specified)> {
        self.values.iter().find(|v| v.0 == prop)
    }
    pub(super) fn value(&self, prop: &str) -> Option<&str> {
        self.get(prop).map(|v| v.2.value.as_str())
    }
}

/// What an element instance passes to its content.
#[derive(Clone)]
pub(super) struct Ctx {
    pub(super) to_canvas: Affine,
    pub(super) opacity: f64,
    pub(super) viewport: Vec2,
    pub(super) via_use: bool,
    pub(super) inherited: Inherited,
}

/// Elements still to visit, each with the context of its parent instance.
pub(super) type Pending = Vec<(ElementId, Rc<Ctx>)>;

impl Builder<'_> {
    /// Computes the context of an element's content (style, transform, opacity), or `None` if
    /// it is not displayed.
    pub(super) fn enter(&mut self, el: ElementId, parent: &Ctx) -> Option<Ctx> {
        let styles = self.styles;
        let e = self.doc.element(el);
        if styles.own(el, "display").is_some_and(|d| d.value == "none") {
            return None;
        }
        let mut ctx = parent.clone();
        for &prop in INHERITED {
            if let Some(s) = styles.own(el, prop) {
                ctx.inherited.values.retain(|v| v.0 != prop);
                ctx.inherited.values.push((prop, el, s.clone()));
            }
        }
        if let Some(op) = styles.own(el, "opacity").and_then(|s| parse_opacity(&s.value)) {
            ctx.opacity *= op;
        }
        if let Some(t) = e.attr("transform") {
            match geometry::parse_transform(t) {
                Some(t) => ctx.to_canvas *= t,
                None => self.report(el, format!("unreadable transform \"{t}\" ignored")),
            }
        }
        for (prop, what) in [("clip-path", "clip path"), ("mask", "mask"), ("filter", "filter")] {
            if styles.own(el, prop).is_some_and(|s| s.value != "none") {
                self.report(el, format!("{what} ignored (drawn without it)"));
            }
        }
        if styles.own(el, "transform").is_some() {
            self.report(el, "CSS transform property ignored (use the transform attribute)");
        }
        Some(ctx)
    }

    /// Visits one element instance: draws it, or queues its content on `stack`.
    pub(super) fn visit(&mut self, el: ElementId, parent: &Ctx, stack: &mut Pending) -> Result<()> {
        let doc = self.doc;
        let e = doc.element(el);
        if !e.is_svg() {
            return Ok(()); // sodipodi:namedview, metadata of other tools, ...
        }
        let name = e.name.as_str();
        if NON_RENDERING.contains(&name) {
            return Ok(());
        }
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(n, _)| *n == name) {
            self.report(el, *why);
            return Ok(());
        }
        let Some(mut ctx) = self.enter(el, parent) else { return Ok(()) };
        match name {
            "g" | "a" => self.push_children(&e.children, Rc::new(ctx), stack),
            "switch" => {
                if let Some(c) = e.children.iter().copied().find(|&c| doc.element(c).is_svg()) {
                    stack.push((c, Rc::new(ctx)));
                }
            }
            "svg" => {
                // Nested viewport: x, y, width, height and an optional viewBox.
                let vp = ctx.viewport;
                let x = parse_length(e.attr("x"), Axis::X, vp).unwrap_or(0.0);
                let y = parse_length(e.attr("y"), Axis::Y, vp).unwrap_or(0.0);
                let w = parse_length(e.attr("width"), Axis::X, vp).unwrap_or(vp.x);
                let h = parse_length(e.attr("height"), Axis::Y, vp).unwrap_or(vp.y);
                self.enter_viewport(el, &mut ctx, x, y, w, h);
                self.push_children(&e.children, Rc::new(ctx), stack);
            }
            "use" => self.visit_use(el, ctx, stack),
            "path" | "rect" | "circle" | "ellipse" | "line" | "polyline" | "polygon" => {
                self.add_shape(el, &ctx)?;
            }
            other => {
                if e.children.is_empty() {
                    self.report(el, format!("unknown element <{other}> ignored"));
                } else {
                    self.report(el, format!("unknown element <{other}> drawn as a group"));
                    self.push_children(&e.children, Rc::new(ctx), stack);
                }
            }
        }
        Ok(())
    }

    /// Queues `children` so that they are visited in document (painter's) order.
    pub(super) fn push_children(&self, children: &[ElementId], ctx: Rc<Ctx>, stack: &mut Pending) {
        for &c in children.iter().rev() {
            stack.push((c, Rc::clone(&ctx)));
        }
    }

    /// Applies `x y width height` and `viewBox`/`preserveAspectRatio` of an `svg`/`symbol`.
    fn enter_viewport(&mut self, el: ElementId, ctx: &mut Ctx, x: f64, y: f64, w: f64, h: f64) {
        let e = self.doc.element(el);
        ctx.to_canvas *= Affine::translate((x, y));
        ctx.viewport = Vec2::new(w, h);
        if let Some(vb) = e.attr("viewBox").and_then(|v| v.parse::<svgtypes::ViewBox>().ok())
            && vb.w > 0.0
            && vb.h > 0.0
            && w > 0.0
            && h > 0.0
        {
            let aspect = e.attr("preserveAspectRatio").and_then(|s| s.parse().ok()).unwrap_or_default();
            ctx.to_canvas *= view_box_transform(vb, aspect, w, h);
            ctx.viewport = Vec2::new(vb.w, vb.h);
        }
    }

    /// Instantiates the target of a `<use>` (a `<symbol>` as a new viewport), unless it is
    /// missing or part of a reference cycle.
    fn visit_use(&mut self, el: ElementId, mut ctx: Ctx, stack: &mut Pending) {
        let doc = self.doc;
        let e = doc.element(el);
        let Some(target) = e.href().and_then(|h| doc.resolve_iri(h)) else {
            self.report(el, "<use> refers to a missing element");
            return;
        };
        if self.plan.cyclic[el.index()] {
            self.report(el, "<use> refers to itself (cycle) and is skipped");
            return;
        }
        let vp = ctx.viewport;
        let x = parse_length(e.attr("x"), Axis::X, vp).unwrap_or(0.0);
        let y = parse_length(e.attr("y"), Axis::Y, vp).unwrap_or(0.0);
        ctx.via_use = true;
        if doc.element(target).name == "symbol" {
            let Some(mut sym_ctx) = self.enter(target, &ctx) else { return };
            let w = parse_length(e.attr("width"), Axis::X, vp).unwrap_or(vp.x);
            let h = parse_length(e.attr("height"), Axis::Y, vp).unwrap_or(vp.y);
            self.enter_viewport(target, &mut sym_ctx, x, y, w, h);
            self.push_children(&doc.element(target).children, Rc::new(sym_ctx), stack);
        } else {
            ctx.to_canvas *= Affine::translate((x, y));
            stack.push((target, Rc::new(ctx)));
        }
    }
}

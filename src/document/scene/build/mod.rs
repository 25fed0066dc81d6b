//! Document → Scene: walk the render tree in painter's order, compute each element's style
//! (inheritance runs through `<use>` as SVG says, not through the document parent), turn shapes
//! into canvas-space cubic subpaths, and resolve paints.
//!
//! The walk is a loop over an explicit stack, never a recursion: a host may call us on a
//! 256 KB thread with a document nested as deep as [`Limits::depth`] allows, and `<use>` can
//! nest instances deeper still. Before the walk, [`UsePlan`] finds every `<use>` that would
//! instantiate itself (a cycle, which SVG makes an error: it draws nothing) and counts, bottom
//! up over the remaining acyclic graph, how many element instances and shapes the walk will
//! make; over `limits.nodes` or `limits.shapes` nothing is built. Cubic segments are counted
//! against `limits.segments` before they are stored.

use std::rc::Rc;

use kurbo::{Affine, Point, Rect, Vec2};
use serde::Serialize;

use super::{
    ColorSource, FillRule, Gradient, GradientShape, LineCap, LineJoin, Paint, Scene, SceneMap, Shape, ShapeSource,
    SourceKind, Stroke, Subpath,
};
use crate::error::{Error, Result};
use crate::limits::{LimitExceeded, Limits};
use crate::progress::{Observer, Stage, Ticker, no_progress};
use crate::svg::geometry::{self, Axis, parse_length};
use crate::svg::paint::{GradientKind, GradientSpec, ResolvedPaint, Rgba, parse_color, parse_opacity, resolve_paint};
use crate::svg::style::{Specified, Styles};
use crate::svg::{Canvas, Document, ElementId, view_box_transform};

/// Which shapes the optimizer may change.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Trainable {
    /// None (rendering, inspection).
    #[default]
    None,
    /// Every shape that can be written back (vectorization refinement).
    All,
    /// The shapes of these elements and of their descendants (a selection).
    Elements(Vec<ElementId>),
}

/// Options of [`build`].
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    pub trainable: Trainable,
    /// Budgets: `css_matches` (the cascade), `nodes` (element instances after `<use>`
    /// expansion), `shapes`, `segments`.
    pub limits: Limits,
}

/// Something in the document that was not understood or is only approximated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The element's `id`, if it has one.
    pub id: Option<String>,
    /// Its tag name.
    pub tag: String,
    /// What is wrong, in words.
    pub message: String,
}

/// The result of [`build`].
#[derive(Clone, Debug)]
pub struct Built {
    pub canvas: Canvas,
    pub scene: Scene,
    pub map: SceneMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Builds the scene of a document.
pub fn build(doc: &Document, options: &BuildOptions) -> Result<Built> {
    build_with(doc, options, &mut no_progress())
}

/// Builds the scene within `options.limits`, reporting [`Stage::Style`] and [`Stage::Build`]
/// progress to `observer`, which may cancel ([`Error::Cancelled`]).
///
/// With [`Trainable::Elements`], a selected shape whose element comes from a DTD entity is an
/// error ([`Error::WriteBack`]): its result could not be written back. With
/// [`Trainable::All`] such shapes are frozen and reported.
pub fn build_with(doc: &Document, options: &BuildOptions, observer: &mut Observer<'_>) -> Result<Built> {
    let limits = &options.limits;
    let mut ticker = Ticker::new(observer, Stage::Style);
    let mut warnings = Vec::new();
    let canvas = Canvas::of(doc, &mut warnings)?;
    let styles = Styles::compute_ticking(doc, limits, &mut ticker)?;
    ticker.stage(Stage::Build)?;
    let plan = UsePlan::new(doc, &mut ticker)?;
    Limits::check("nodes", "element instances after <use> expansion", plan.total_instances, limits.nodes)
        .map_err(Error::Limit)?;
    Limits::check("shapes", "shapes after <use> expansion", plan.total_shapes, limits.shapes).map_err(Error::Limit)?;
    let selected = match &options.trainable {
        Trainable::Elements(sel) => {
            // Difference array over document order: a subtree is a contiguous run.
            let mut diff = vec![0i64; doc.len() + 1];
            for &s in sel {
                if s.index() < doc.len() {
                    diff[s.index()] += 1;
                    diff[doc.subtree_end(s)] -= 1;
                }
            }
            let mut run = 0i64;
            diff.iter()
                .take(doc.len())
                .map(|d| {
                    run += d;
                    run > 0
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let mut b = Builder {
        doc,
        styles: &styles,
        options,
        selected,
        plan: &plan,
        segments: 0,
        paint_work: 0,
        scene: Scene { width: canvas.width as f32, height: canvas.height as f32, ..Scene::default() },
        map: SceneMap::default(),
        diagnostics: warnings
            .into_iter()
            .map(|m| Diagnostic { id: None, tag: "svg".into(), message: crate::message::escape(&m, 300) })
            .collect(),
        suppressed: 0,
    };
    let ctx = Ctx {
        to_canvas: canvas.user_to_canvas,
        opacity: 1.0,
        viewport: canvas.viewport,
        via_use: false,
        inherited: Inherited::default(),
    };
    let root = doc.root();
    if let Some(root_ctx) = b.enter(root, &ctx) {
        let mut stack = Vec::new();
        b.push_children(&doc.element(root).children, Rc::new(root_ctx), &mut stack);
        let total = plan.total_instances.max(1) as f32;
        let mut done = 0u64;
        while let Some((el, ctx)) = stack.pop() {
            done += 1;
            ticker.tick(1, || done as f32 / total)?;
            b.visit(el, &ctx, &mut stack)?;
        }
    }
    b.freeze_shared_stops();
    if b.suppressed > 0 {
        let message = format!("{} more diagnostics not listed", b.suppressed);
        b.diagnostics.push(Diagnostic { id: None, tag: "svg".into(), message });
    }
    ticker.report(1.0)?;
    Ok(Built { canvas, scene: b.scene, map: b.map, diagnostics: b.diagnostics })
}

/// How the walk treats an element, for [`UsePlan`].
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Draws nothing and has no content the walk enters (or is a shape: `shape`).
    Leaf { shape: bool },
    /// Its rendered children are walked (`g`, `a`, `svg`, unknown elements; `symbol` when used).
    Container,
    /// Only its first SVG child is walked.
    Switch(Option<ElementId>),
    /// Instantiates its target.
    Use(Option<ElementId>),
}

/// What `<use>` expansion will make, computed before anything is built (see the module docs).
struct UsePlan {
    /// Per element: a `<use>` that is part of a reference cycle (drawn as nothing).
    cyclic: Vec<bool>,
    total_instances: u64,
    total_shapes: u64,
}

fn is_rendered(doc: &Document, el: ElementId) -> bool {
    let e = doc.element(el);
    e.is_svg() && !NON_RENDERING.contains(&e.name.as_str()) && !UNSUPPORTED.iter().any(|(n, _)| *n == e.name)
}

impl UsePlan {
    fn new(doc: &Document, ticker: &mut Ticker<'_, '_>) -> Result<UsePlan> {
        let n = doc.len();
        let kinds: Vec<Kind> = doc
            .element_ids()
            .map(|id| {
                let e = doc.element(id);
                if !e.is_svg() {
                    return Kind::Leaf { shape: false };
                }
                match e.name.as_str() {
                    "path" | "rect" | "circle" | "ellipse" | "line" | "polyline" | "polygon" => {
                        Kind::Leaf { shape: true }
                    }
                    "use" => Kind::Use(e.href().and_then(|h| doc.resolve_iri(h))),
                    "switch" => Kind::Switch(e.children.iter().copied().find(|&c| doc.element(c).is_svg())),
                    "symbol" => Kind::Container,
                    name if NON_RENDERING.contains(&name) || UNSUPPORTED.iter().any(|(u, _)| *u == name) => {
                        Kind::Leaf { shape: false }
                    }
                    _ => Kind::Container,
                }
            })
            .collect();
        // The `pos`-th successor of `v`, advancing `pos` past it.
        let next = |v: ElementId, pos: &mut usize| -> Option<ElementId> {
            match kinds[v.index()] {
                Kind::Leaf { .. } => None,
                Kind::Container => {
                    let children = &doc.element(v).children;
                    while let Some(&c) = children.get(*pos) {
                        *pos += 1;
                        if is_rendered(doc, c) {
                            return Some(c);
                        }
                    }
                    None
                }
                Kind::Switch(first) | Kind::Use(first) => {
                    let r = if *pos == 0 { first } else { None };
                    *pos = 1;
                    r
                }
            }
        };
        // Tarjan's strongly connected components, with an explicit stack.
        const NONE: u32 = u32::MAX;
        let mut index = vec![NONE; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut comp = vec![NONE; n];
        let mut scc_stack: Vec<ElementId> = Vec::new();
        let mut order: Vec<ElementId> = Vec::with_capacity(n);
        let mut counter = 0u32;
        let mut comps = 0u32;
        for r in doc.element_ids() {
            if index[r.index()] != NONE {
                continue;
            }
            let mut calls: Vec<(ElementId, usize)> = vec![(r, 0)];
            index[r.index()] = counter;
            low[r.index()] = counter;
            counter += 1;
            scc_stack.push(r);
            on_stack[r.index()] = true;
            while let Some(&(v, pos)) = calls.last() {
                let mut p = pos;
                let succ = next(v, &mut p);
                if let Some(top) = calls.last_mut() {
                    top.1 = p;
                }
                match succ {
                    Some(w) if index[w.index()] == NONE => {
                        index[w.index()] = counter;
                        low[w.index()] = counter;
                        counter += 1;
                        scc_stack.push(w);
                        on_stack[w.index()] = true;
                        calls.push((w, 0));
                    }
                    Some(w) => {
                        if on_stack[w.index()] {
                            low[v.index()] = low[v.index()].min(index[w.index()]);
                        }
                    }
                    None => {
                        calls.pop();
                        if low[v.index()] == index[v.index()] {
                            let from = order.len();
                            while let Some(w) = scc_stack.pop() {
                                on_stack[w.index()] = false;
                                comp[w.index()] = comps;
                                order.push(w);
                                if w == v {
                                    break;
                                }
                            }
                            // Inside a component, child edges go to larger indices.
                            order[from..].sort_unstable_by(|a, b| b.cmp(a));
                            comps += 1;
                        }
                        if let Some(&(u, _)) = calls.last() {
                            low[u.index()] = low[u.index()].min(low[v.index()]);
                        }
                    }
                }
                ticker.tick(1, || 0.0)?;
            }
        }
        let cyclic: Vec<bool> = doc
            .element_ids()
            .map(|e| matches!(kinds[e.index()], Kind::Use(Some(t)) if comp[t.index()] == comp[e.index()]))
            .collect();
        // Successors finish before their predecessors in `order` (across components by
        // Tarjan's order, inside one by the sort); cyclic uses contribute nothing.
        let mut instances = vec![0u64; n];
        let mut shapes = vec![0u64; n];
        for &v in &order {
            let (mut i, mut s) = (1u64, u64::from(kinds[v.index()] == Kind::Leaf { shape: true }));
            if !cyclic[v.index()] {
                let mut pos = 0;
                while let Some(w) = next(v, &mut pos) {
                    i = i.saturating_add(instances[w.index()]);
                    s = s.saturating_add(shapes[w.index()]);
                }
            }
            instances[v.index()] = i;
            shapes[v.index()] = s;
        }
        let root = doc.root();
        Ok(UsePlan { cyclic, total_instances: instances[root.index()], total_shapes: shapes[root.index()] })
    }
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

#[derive(Clone, Default)]
struct Inherited {
    values: Vec<(&'static str, ElementId, Specified)>,
}

impl Inherited {
    fn get(&self, prop: &str) -> Option<&(&'static str, ElementId, Specified)> {
        self.values.iter().find(|v| v.0 == prop)
    }
    fn value(&self, prop: &str) -> Option<&str> {
        self.get(prop).map(|v| v.2.value.as_str())
    }
}

#[derive(Clone)]
struct Ctx {
    to_canvas: Affine,
    opacity: f64,
    viewport: Vec2,
    via_use: bool,
    inherited: Inherited,
}

/// Elements still to visit, each with the context of its parent instance.
type Pending = Vec<(ElementId, Rc<Ctx>)>;

struct Builder<'a> {
    doc: &'a Document,
    styles: &'a Styles,
    options: &'a BuildOptions,
    /// Per element, for [`Trainable::Elements`]: inside a selected subtree.
    selected: Vec<bool>,
    plan: &'a UsePlan,
    /// Cubic segments stored so far.
    segments: u64,
    /// Colours (solid and gradient stops) resolved so far, stored or not.
    paint_work: u64,
    /// Diagnostics not recorded because there were already [`MAX_DIAGNOSTICS`].
    suppressed: u64,
    scene: Scene,
    map: SceneMap,
    diagnostics: Vec<Diagnostic>,
}

/// Most diagnostics one build records (the rest are counted).
pub const MAX_DIAGNOSTICS: usize = 1000;

/// Elements that never draw by themselves.
const NON_RENDERING: &[&str] = &[
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
const UNSUPPORTED: &[(&str, &str)] = &[
    ("text", "text is not drawn or edited (convert it to paths)"),
    ("image", "bitmap image is not drawn or edited (vectorize it first)"),
    ("foreignObject", "foreignObject is not drawn"),
    ("video", "video is not drawn"),
];

/// Geometry attributes a shape element loses when it is rewritten as a `<path>`.
pub(super) fn geometry_attributes(kind: SourceKind) -> &'static [&'static str] {
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
    /// Records a diagnostic. Input text in it is escaped and shortened, and past
    /// [`MAX_DIAGNOSTICS`] they are only counted (one line says how many were left out), so a
    /// document of a million unknown elements cannot make a million messages.
    fn report(&mut self, el: ElementId, message: impl Into<String>) {
        use crate::message::escape;
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            self.suppressed += 1;
            return;
        }
        let e = self.doc.element(el);
        self.diagnostics.push(Diagnostic {
            id: e.id().map(|i| escape(i, 64)),
            tag: escape(&e.name, 64),
            message: escape(&message.into(), 300),
        });
    }

    /// Computes the context of an element's content (style, transform, opacity), or `None` if
    /// it is not displayed.
    fn enter(&mut self, el: ElementId, parent: &Ctx) -> Option<Ctx> {
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
    fn visit(&mut self, el: ElementId, parent: &Ctx, stack: &mut Pending) -> Result<()> {
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
    fn push_children(&self, children: &[ElementId], ctx: Rc<Ctx>, stack: &mut Pending) {
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

    fn is_selected(&self, el: ElementId) -> bool {
        match &self.options.trainable {
            Trainable::None => false,
            Trainable::All => true,
            Trainable::Elements(_) => self.selected.get(el.index()).copied().unwrap_or(false),
        }
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

    fn add_shape(&mut self, el: ElementId, ctx: &Ctx) -> Result<()> {
        let vis = ctx.inherited.value("visibility").unwrap_or("visible");
        if vis == "hidden" || vis == "collapse" {
            return Ok(());
        }
        let Some((kind, user_subpaths)) = self.outline(el, ctx.viewport)? else { return Ok(()) };
        let new_segments: u64 = user_subpaths.iter().map(|s| s.segments() as u64).sum();
        self.segments = self.segments.saturating_add(new_segments);
        Limits::check("segments", "cubic segments", self.segments, self.options.limits.segments)
            .map_err(Error::Limit)?;
        let styles = self.styles;
        let inh = &ctx.inherited;
        let t = ctx.to_canvas;
        let det = t.determinant();
        let invertible = det.abs() > 1e-12 && det.is_finite();

        // Geometry into canvas space; refuse shapes that leave f32's range.
        let canvas_subpaths: Vec<geometry::Subpath> = user_subpaths.iter().map(|s| s.transformed(t)).collect();
        let finite = canvas_subpaths
            .iter()
            .flat_map(|s| &s.points)
            .all(|p| (p.x as f32).is_finite() && (p.y as f32).is_finite());
        if !finite {
            self.report(el, "coordinates are not finite numbers (or beyond ±3.4e38 on the canvas); shape skipped");
            return Ok(());
        }
        if canvas_subpaths.iter().flat_map(|s| &s.points).any(|p| p.x.abs() > 1e7 || p.y.abs() > 1e7) {
            self.report(el, "coordinates beyond ±1e7 px; drawn clipped to the canvas");
        }

        let current_color = inh.value("color").and_then(parse_color).unwrap_or([0.0, 0.0, 0.0, 1.0]);
        let user_bbox = tight_bbox(&user_subpaths).unwrap_or(Rect::ZERO);

        let mut trainable = self.is_selected(el) && !ctx.via_use && invertible;
        if trainable && self.doc.element(el).is_from_entity() {
            let what = self.doc.describe(el);
            if matches!(self.options.trainable, Trainable::Elements(_)) {
                return Err(Error::WriteBack(format!(
                    "{what} is defined inside a DTD entity (<!ENTITY ...> in the DOCTYPE), so its text is shared by every reference to the entity and cannot be edited in place; replace the entity reference by the element itself in the file, or select other elements"
                )));
            }
            self.report(
                el,
                "defined inside a DTD entity: drawn but not edited (its text is shared by every reference)",
            );
            trainable = false;
        }
        let mut colors = Vec::new();

        // Fill.
        let fill_value = inh.value("fill").unwrap_or("black").to_string();
        let fill_opacity = inh.value("fill-opacity").and_then(parse_opacity).unwrap_or(1.0);
        let fill = self.paint(el, &fill_value, current_color, ctx, t, user_bbox, fill_opacity, "fill", &mut colors)?;
        let fill_rule = match inh.value("fill-rule") {
            Some("evenodd") => FillRule::EvenOdd,
            _ => FillRule::NonZero,
        };

        // Stroke.
        let stroke_value = inh.value("stroke").unwrap_or("none").to_string();
        let stroke_opacity = inh.value("stroke-opacity").and_then(parse_opacity).unwrap_or(1.0);
        let stroke_width = parse_length(inh.value("stroke-width"), Axis::Diagonal, ctx.viewport).unwrap_or(1.0);
        let non_scaling = styles.own(el, "vector-effect").is_some_and(|v| v.value == "non-scaling-stroke");
        let (s1, s2) = singular_values(t);
        let stroke_width_scale = if non_scaling { 1.0 } else { (s1 * s2).sqrt() };
        let mut stroke = None;
        if stroke_width > 0.0 && stroke_value != "none" {
            let paint =
                self.paint(el, &stroke_value, current_color, ctx, t, user_bbox, stroke_opacity, "stroke", &mut colors)?;
            if paint != Paint::None {
                if !non_scaling && s2 > 0.0 && s1 / s2 > 1.01 {
                    self.report(el, "stroke under a non-uniform transform drawn with its mean width");
                }
                if inh.value("stroke-dasharray").is_some_and(|d| d != "none") {
                    self.report(el, "stroke dashes are not supported; drawn solid");
                }
                let width = self.scene.stroke_widths.len() as u32;
                self.scene.stroke_widths.push((stroke_width * stroke_width_scale) as f32);
                stroke = Some(Stroke {
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
                });
            }
        }
        for prop in ["marker-start", "marker-mid", "marker-end", "marker"] {
            if styles.own(el, prop).is_some_and(|v| v.value != "none") {
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
        self.map.shapes.push(ShapeSource {
            element: el,
            kind,
            via_use: ctx.via_use,
            to_canvas: t,
            colors,
            stroke_width_scale,
        });
        Ok(())
    }

    /// Resolves one paint of a shape into scene colours/gradients and records their sources.
    #[allow(clippy::too_many_arguments)] // one call site per paint; a struct would only rename them
    fn paint(
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
            ResolvedPaint::Gradient(g) => match self.gradient(&g, to_canvas, user_bbox, paint_opacity * ctx.opacity) {
                Some(index) => {
                    let grad = &self.scene.gradients[index as usize];
                    let first = grad.first_color;
                    for (k, stop) in g.stops.iter().enumerate() {
                        colors.push((
                            first + k as u32,
                            ColorSource {
                                element: stop.element,
                                property: "stop-color",
                                opacity_property: "stop-opacity",
                                alpha_scale: paint_opacity * ctx.opacity,
                                origin: self.styles.get(stop.element, "stop-color").map(|s| s.origin),
                            },
                        ));
                    }
                    Paint::Gradient(index)
                }
                None => Paint::None,
            },
        })
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
    fn freeze_shared_stops(&mut self) {
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

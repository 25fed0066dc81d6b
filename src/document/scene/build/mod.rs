//! Document → Scene: walk the render tree in painter's order, compute each element's style
//! (inheritance runs through `<use>` as SVG says, not through the document parent), turn shapes
//! into canvas-space cubic subpaths, and resolve paints.
//!
//! The walk is a loop over an explicit stack, never a recursion: a host may call us on a
//! 256 KB thread with a document nested as deep as [`Limits::depth`] allows, and `<use>` can
//! nest instances deeper still. Before the walk, [`plan::UsePlan`] finds every `<use>` that
//! would instantiate itself (a cycle, which SVG makes an error: it draws nothing) and counts,
//! bottom up over the remaining acyclic graph, how many element instances and shapes the walk
//! will make; over `limits.nodes` or `limits.shapes` nothing is built. Cubic segments are
//! counted against `limits.segments` before they are stored.
//!
//! The parts: [`plan`] (the `<use>` plan), [`walk`] (the walk, contexts and `<use>`
//! instancing), [`shape`] (outlines, fill and stroke of shape elements), [`paint`] (colours and
//! gradients), [`diagnostics`] (what is reported, and how much).

mod diagnostics;
mod paint;
mod plan;
mod shape;
mod walk;

use std::rc::Rc;

pub use diagnostics::Diagnostic;
pub(in crate::scene) use shape::geometry_attributes;

use super::{Scene, SceneMap};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::progress::{Observer, Stage, Ticker, no_progress};
use crate::svg::style::Styles;
use crate::svg::{Canvas, Document, ElementId};
use plan::UsePlan;
use walk::{Ctx, Inherited};

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
    /// expansion), `shapes`, `segments`, `colors`.
    pub limits: Limits,
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
/// error ([`Error::FromEntity`]): its result could not be written back. With
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
    let mut b = Builder {
        doc,
        styles: &styles,
        options,
        selected: selection_mask(doc, &options.trainable),
        plan: &plan,
        segments: 0,
        paint_work: 0,
        scene: Scene { width: canvas.width as f32, height: canvas.height as f32, ..Scene::default() },
        map: SceneMap::default(),
        diagnostics: diagnostics::of_canvas(warnings),
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
    b.report_suppressed();
    ticker.report(1.0)?;
    Ok(Built { canvas, scene: b.scene, map: b.map, diagnostics: b.diagnostics })
}

/// Per element, for [`Trainable::Elements`]: whether it is inside a selected subtree (empty for
/// the other cases).
fn selection_mask(doc: &Document, trainable: &Trainable) -> Vec<bool> {
    let Trainable::Elements(sel) = trainable else { return Vec::new() };
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

/// The state of one build; its methods live in the submodules by what they do.
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
    /// Diagnostics not recorded because there were already [`diagnostics::MAX_DIAGNOSTICS`].
    suppressed: u64,
    scene: Scene,
    map: SceneMap,
    diagnostics: Vec<Diagnostic>,
}

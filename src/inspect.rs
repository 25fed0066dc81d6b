//! `inspect`: what clipvg sees in a document — canvas, shapes, and what it did not understand.
//! Shared by the command line and the plugin ABI.

use serde::Serialize;

use crate::error::Result;
use crate::scene::{BuildOptions, Diagnostic, Paint, Scene, build_with};
use crate::svg::Document;
use clipvg_document::Limits;

/// The canvas size in pixels.
#[derive(Clone, Debug, Serialize)]
pub struct CanvasInfo {
    pub width: f64,
    pub height: f64,
}

/// One paint as reported.
#[derive(Clone, Debug, Serialize)]
pub struct PaintInfo {
    /// `none`, `solid` or `gradient`.
    pub kind: &'static str,
    /// `#rrggbb` of a solid paint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Alpha of a solid paint (all opacities folded in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f32>,
    /// Number of stops of a gradient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stops: Option<usize>,
}

/// One shape as reported.
#[derive(Clone, Debug, Serialize)]
pub struct ShapeInfo {
    /// The element's `id`, if it has one.
    pub id: Option<String>,
    /// The tag it came from (`path`, `rect`, ...).
    pub element: String,
    pub subpaths: usize,
    pub segments: u32,
    pub fill: PaintInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stroke: Option<PaintInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stroke_width: Option<f32>,
    /// Drawn through `<use>` (cannot be edited).
    pub via_use: bool,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub canvas: CanvasInfo,
    pub elements: usize,
    pub shapes: Vec<ShapeInfo>,
    pub unsupported: Vec<Diagnostic>,
}

fn paint_info(scene: &Scene, paint: Paint) -> PaintInfo {
    match paint {
        Paint::None => PaintInfo { kind: "none", color: None, alpha: None, stops: None },
        Paint::Solid(i) => {
            let c = scene.colors[i as usize];
            let b = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            PaintInfo {
                kind: "solid",
                color: Some(format!("#{:02x}{:02x}{:02x}", b(c[0]), b(c[1]), b(c[2]))),
                alpha: Some(c[3]),
                stops: None,
            }
        }
        Paint::Gradient(g) => PaintInfo {
            kind: "gradient",
            color: None,
            alpha: None,
            stops: Some(scene.gradients[g as usize].offsets.len()),
        },
    }
}

/// Builds the report of a parsed document.
pub fn inspect(doc: &Document) -> Result<Report> {
    inspect_with(doc, &Limits::default(), &mut clipvg_document::no_progress())
}

/// [`inspect`] within `limits`, reporting to `observer` (which may cancel).
pub fn inspect_with(doc: &Document, limits: &Limits, observer: &mut clipvg_document::Observer<'_>) -> Result<Report> {
    let built = build_with(doc, &BuildOptions { limits: *limits, ..Default::default() }, observer)?;
    let scene = &built.scene;
    let shapes = scene
        .shapes
        .iter()
        .zip(&built.map.shapes)
        .map(|(shape, src)| {
            let el = doc.element(src.element);
            ShapeInfo {
                id: el.id().map(str::to_string),
                element: el.name.clone(),
                subpaths: shape.subpaths.len(),
                segments: scene.segment_count(shape),
                fill: paint_info(scene, shape.fill),
                stroke: shape.stroke.map(|s| paint_info(scene, s.paint)),
                stroke_width: shape.stroke.map(|s| scene.stroke_widths[s.width as usize]),
                via_use: src.via_use,
            }
        })
        .collect();
    Ok(Report {
        canvas: CanvasInfo { width: built.canvas.width, height: built.canvas.height },
        elements: doc.len(),
        shapes,
        unsupported: built.diagnostics,
    })
}

impl Report {
    /// A plain-text summary for a terminal, listing at most `max_shapes` shapes.
    pub fn to_text(&self, max_shapes: usize) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let segments: u32 = self.shapes.iter().map(|x| x.segments).sum();
        let _ = writeln!(s, "canvas      {} × {} px", self.canvas.width, self.canvas.height);
        let _ = writeln!(s, "elements    {}", self.elements);
        let _ = writeln!(s, "shapes      {} ({} cubic segments)", self.shapes.len(), segments);
        let _ = writeln!(s, "unsupported {}", self.unsupported.len());
        if !self.shapes.is_empty() {
            let _ = writeln!(s, "\n  #  element   id                   segs  fill           stroke");
        }
        for (i, sh) in self.shapes.iter().take(max_shapes).enumerate() {
            let paint = |p: &PaintInfo| match p.kind {
                "solid" => format!("{} a={:.2}", p.color.as_deref().unwrap_or(""), p.alpha.unwrap_or(1.0)),
                "gradient" => format!("gradient({})", p.stops.unwrap_or(0)),
                k => k.to_string(),
            };
            let _ = writeln!(
                s,
                "{:>3}  {:<9} {:<20} {:>5}  {:<14} {}{}",
                i,
                sh.element,
                sh.id.as_deref().unwrap_or("-"),
                sh.segments,
                paint(&sh.fill),
                sh.stroke.as_ref().map(paint).unwrap_or_else(|| "none".into()),
                if sh.via_use { "  (via <use>)" } else { "" }
            );
        }
        if self.shapes.len() > max_shapes {
            let _ = writeln!(s, "  … {} more (use --json for all)", self.shapes.len() - max_shapes);
        }
        if !self.unsupported.is_empty() {
            let _ = writeln!(s, "\nnot understood or approximated:");
            for d in &self.unsupported {
                let who = match &d.id {
                    Some(id) => format!("<{} id=\"{}\">", d.tag, id),
                    None => format!("<{}>", d.tag),
                };
                let _ = writeln!(s, "  {who}: {}", d.message);
            }
        }
        s
    }
}

//! Scene → document: write new points, colours and stroke widths of trainable shapes back into
//! the elements they came from, and nothing else.
//!
//! * Geometry: `d` is rewritten in the element's own user space (the inverse of its accumulated
//!   transform, so its `transform` attribute stays valid). A `rect`, `circle`, ... becomes a
//!   `path` with the same id and other attributes. Where a style sheet exists, the cascade is
//!   run again as it will be after the renaming: type selectors (`rect {…}`, `path {…}`,
//!   `rect + circle`) and selectors on the removed geometry attributes may then match other
//!   elements, so every property value that changes (among those the style engine reads,
//!   [`PROPERTIES`]) is pinned to its present value by an inline declaration, and the written
//!   values are placed to win in that cascade.
//! * `!important`: a value that won as an `!important` declaration is written as an important
//!   inline one, which beats it.
//! * Colours: `#rrggbb` plus the matching opacity property, written where the element's own
//!   value was (attribute or `style`); a value that came from a CSS rule or an ancestor becomes an
//!   inline `style` property of the element, which overrides both. Only what changed is written,
//!   except that a colour with an alpha of its own (`#f008`, `rgba()`) gets both written, so its
//!   alpha ends up in the opacity property (the portable place: SVG 1.1 has no alpha colours).
//!
//! The text is produced by [`Editor::finish_checked`]: a shape whose element is not one plain
//! element of the file (it came from a DTD entity) is refused with an error naming it, and the
//! result is re-parsed and compared with the original before it is returned.

use std::collections::HashSet;

use super::build::geometry_attributes;
use super::{ColorSource, Scene, SceneMap, Shape, ShapeSource, SourceKind};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::progress::{Observer, Stage, Ticker, no_progress};
use crate::svg::paint::{ResolvedPaint, parse_color, resolve_paint};
use crate::svg::style::{Origin, PROPERTIES, Styles};
use crate::svg::{Document, Editor, ElementId};

/// Options of [`write_back`].
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteBack {
    /// Rewrite every trainable shape even where its values did not change (for round-trip
    /// tests of the serialisation itself).
    pub force: bool,
}

/// A new filled path that write-back adds as the first child of the root element (the edit's
/// background layer): one closed subpath of cubic segments, written with the same number and
/// colour formatting as every other shape.
#[derive(Clone, Copy, Debug)]
pub struct NewPath<'a> {
    /// Its `id` attribute.
    pub id: &'a str,
    /// Control points in canvas units, three per segment (a closed [`super::Subpath`]'s: the
    /// last segment ends at the first point).
    pub points: &'a [[f32; 2]],
    /// The root element's user space → canvas (`Built::canvas.user_to_canvas`); the path data
    /// is written in user space.
    pub user_to_canvas: kurbo::Affine,
    /// Its straight RGBA fill: `fill="#rrggbb"` and `fill-opacity`.
    pub fill: [f32; 4],
}

/// Returns the document text with the trainable shapes of `original` replaced by their values
/// in `updated` (same structure, new `points`/`colors`/`stroke_widths`).
pub fn write_back(
    doc: &Document,
    original: &Scene,
    map: &SceneMap,
    updated: &Scene,
    options: WriteBack,
) -> Result<String> {
    write_back_with(doc, original, map, updated, options, &Limits::default(), &mut no_progress())
}

/// [`write_back`] that also inserts `layer` as the first child of the root element, right after
/// its start tag (everything before and after it kept byte for byte). An empty root (`<svg/>`)
/// cannot take it: [`Error::WriteBack`].
pub fn write_back_with_layer(
    doc: &Document,
    original: &Scene,
    map: &SceneMap,
    updated: &Scene,
    options: WriteBack,
    layer: &NewPath<'_>,
) -> Result<String> {
    write(doc, original, map, updated, options, Some(layer), &Limits::default(), &mut no_progress())
}

/// [`write_back`] with the [`Limits`] the scene was built with (the style cascade is run again
/// to find where each value lives) and progress reports ([`Stage::WriteBack`]) that may cancel.
pub fn write_back_with(
    doc: &Document,
    original: &Scene,
    map: &SceneMap,
    updated: &Scene,
    options: WriteBack,
    limits: &Limits,
    observer: &mut Observer<'_>,
) -> Result<String> {
    write(doc, original, map, updated, options, None, limits, observer)
}

/// The write-back of the public entry points, with an optional new first child of the root.
#[allow(clippy::too_many_arguments)] // the entry points' arguments plus the layer, passed straight through
fn write(
    doc: &Document,
    original: &Scene,
    map: &SceneMap,
    updated: &Scene,
    options: WriteBack,
    layer: Option<&NewPath<'_>>,
    limits: &Limits,
    observer: &mut Observer<'_>,
) -> Result<String> {
    check_same_structure(original, updated)?;
    if map.shapes.len() != original.shapes.len() {
        return Err(Error::ParamMismatch("scene map does not belong to this scene".into()));
    }
    let mut ticker = Ticker::new(observer, Stage::WriteBack);
    let styles = Styles::compute_ticking(doc, limits, &mut ticker)?;
    // A `rect`, `circle`, ... whose geometry is written becomes a `path`, which changes what
    // type selectors (`rect {…}`, `path + circle`) of a style sheet match: the cascade as it
    // will be (`after`) places the written values, and every other value it changes is pinned
    // to the one drawn now.
    let renamed = renamed_elements(doc, original, map, updated, options);
    let has_sheet = doc.element_ids().any(|e| doc.element(e).name == "style");
    let after = if renamed.is_empty() || !has_sheet {
        None
    } else {
        Some(Styles::compute_renamed(doc, limits, &mut ticker, &renamed)?)
    };
    ticker.stage(Stage::WriteBack)?;
    let total = original.shapes.len().max(1) as f32;
    let mut w = Writer {
        doc,
        before: &styles,
        target: after.as_ref().unwrap_or(&styles),
        original,
        updated,
        force: options.force,
        ed: Editor::new(doc),
        written: HashSet::new(),
    };
    for (k, (shape, src)) in original.shapes.iter().zip(&map.shapes).enumerate() {
        ticker.tick(1, || k as f32 / total)?;
        if !shape.trainable || src.via_use {
            continue;
        }
        if src.element.index() >= doc.len() {
            return Err(Error::ParamMismatch("scene map does not belong to this document".into()));
        }
        w.write_shape(shape, src)?;
    }
    if let Some(after) = &after {
        pin_cascade_changes(&mut w.ed, doc, &styles, after, &w.written);
    }
    if let Some(layer) = layer {
        insert_layer(&mut w.ed, doc, layer);
    }
    let text = w.ed.finish_checked()?;
    ticker.report(1.0)?;
    Ok(text)
}

/// Records `layer` as the new first child of the root element.
fn insert_layer(ed: &mut Editor<'_>, doc: &Document, layer: &NewPath<'_>) {
    let mut d = String::new();
    let segments = layer.points.len() / 3;
    push_subpath(&mut d, layer.points, segments, true, layer.user_to_canvas.inverse());
    let opacity = number(layer.fill[3].clamp(0.0, 1.0) as f64);
    let fill = hex(layer.fill);
    let attributes = [("id", layer.id), ("d", &d), ("fill", &fill), ("fill-opacity", &opacity)];
    ed.insert_first_child(doc.root(), "path", &attributes);
}

/// Whether any point of `shape` differs between the two scenes.
fn points_changed(original: &Scene, updated: &Scene, shape: &Shape) -> bool {
    original.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize].iter().any(|sp| {
        let r = sp.first_point as usize..(sp.first_point + sp.point_count()) as usize;
        original.points[r.clone()] != updated.points[r]
    })
}

/// The elements write-back turns into a `path` (sorted, once each), with the geometry
/// attributes each loses.
fn renamed_elements(
    doc: &Document,
    original: &Scene,
    map: &SceneMap,
    updated: &Scene,
    options: WriteBack,
) -> Vec<(ElementId, &'static [&'static str])> {
    let mut renamed: Vec<(ElementId, &'static [&'static str])> = Vec::new();
    for (shape, src) in original.shapes.iter().zip(&map.shapes) {
        let written = shape.trainable && !src.via_use && (options.force || points_changed(original, updated, shape));
        if written && src.kind != SourceKind::Path && src.element.index() < doc.len() {
            renamed.push((src.element, geometry_attributes(src.kind)));
        }
    }
    renamed.sort_by_key(|r| r.0);
    renamed.dedup_by_key(|r| r.0);
    renamed
}

/// The edits of one write-back.
struct Writer<'a> {
    doc: &'a Document,
    /// The cascade as it is now.
    before: &'a Styles,
    /// The cascade the written values must win in (as it will be after renamings).
    target: &'a Styles,
    original: &'a Scene,
    updated: &'a Scene,
    /// [`WriteBack::force`].
    force: bool,
    ed: Editor<'a>,
    /// Every `(element, property)` written, which [`pin_cascade_changes`] leaves alone.
    written: HashSet<(ElementId, &'static str)>,
}

impl Writer<'_> {
    /// Writes `property` of `el` (see [`put`]) and remembers it was written.
    fn put(&mut self, el: ElementId, property: &'static str, value: String) {
        self.written.insert((el, property));
        put(&mut self.ed, self.target, el, property, value);
    }

    /// Writes what changed of one trainable shape: its path data, colours and stroke width.
    fn write_shape(&mut self, shape: &Shape, src: &ShapeSource) -> Result<()> {
        let (original, updated) = (self.original, self.updated);
        if points_changed(original, updated, shape) || self.force {
            let subpaths = &original.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize];
            let inverse = src.to_canvas.inverse();
            let d = path_data(updated, subpaths, inverse);
            let el = src.element;
            if src.kind != SourceKind::Path {
                self.ed.rename(el, "path");
                for a in geometry_attributes(src.kind) {
                    self.ed.remove_attribute(el, a);
                }
            }
            self.ed.set_attribute(el, "d", d);
        }
        for (ci, c) in &src.colors {
            self.write_color(src.element, *ci as usize, c)?;
        }
        if let Some(stroke) = shape.stroke {
            let w = stroke.width as usize;
            let (old, new) = (original.stroke_widths[w], updated.stroke_widths[w]);
            if (old != new || self.force) && src.stroke_width_scale > 0.0 {
                let width = (new.max(0.0) as f64) / src.stroke_width_scale;
                self.put(src.element, "stroke-width", number(width));
            }
        }
        Ok(())
    }

    /// Writes colour `ci` of the shape element `shape` to where it came from, if it changed.
    fn write_color(&mut self, shape: ElementId, ci: usize, c: &ColorSource) -> Result<()> {
        let (doc, original) = (self.doc, self.original);
        if c.element.index() >= doc.len() || ci >= original.colors.len() {
            return Err(Error::ParamMismatch("scene map does not belong to this document".into()));
        }
        if !original.color_trainable[ci] {
            return Ok(());
        }
        let (old, new) = (original.colors[ci], self.updated.colors[ci]);
        let (rgb_changed, alpha_changed) = (old[..3] != new[..3], old[3] != new[3]);
        // The colour is written opaque (`#rrggbb`) and its alpha as the opacity property,
        // so a colour that carries an alpha of its own (`#f008`, `rgba()`, a one-stop
        // gradient with `stop-opacity`) needs both written whenever either is: the colour
        // alone would drop its alpha, the opacity alone would be multiplied by it.
        let both = (rgb_changed || alpha_changed) && !own_alpha_is_one(doc, self.before, shape, c);
        if rgb_changed || both || self.force {
            self.put(c.element, c.property, hex(new));
        }
        if alpha_changed || both || self.force {
            let opacity = if c.alpha_scale > 0.0 { new[3] as f64 / c.alpha_scale } else { 0.0 };
            self.put(c.element, c.opacity_property, number(opacity.clamp(0.0, 1.0)));
        }
        Ok(())
    }
}

/// Writes, as inline declarations, the values of every property the renaming changed (and that
/// was not written anyway): the value specified now, or where none was, `inherit` for an
/// inherited property and the initial value for the others.
fn pin_cascade_changes(
    ed: &mut Editor<'_>,
    doc: &Document,
    before: &Styles,
    after: &Styles,
    written: &HashSet<(ElementId, &'static str)>,
) {
    for el in doc.element_ids() {
        for &property in PROPERTIES {
            let (old, new) = (before.get(el, property), after.get(el, property));
            let same = old.map(|s| (&s.value, before.is_important(el, property)))
                == new.map(|s| (&s.value, after.is_important(el, property)));
            if same || written.contains(&(el, property)) {
                continue;
            }
            let value = match old {
                Some(s) => s.value.clone(),
                // A CSS `transform` replaces the attribute, whose syntax CSS does not share:
                // there is no portable inline value that means "the attribute".
                None if property == "transform" && doc.element(el).attr("transform").is_some() => continue,
                None => unset_value(property).to_string(),
            };
            if after.is_important(el, property) {
                ed.set_style_property_important(el, property, value);
            } else {
                ed.set_style_property(el, property, value);
            }
        }
    }
}

/// What a property is when no declaration sets it: `inherit` for the inherited ones, else the
/// initial value.
fn unset_value(property: &str) -> &'static str {
    match property {
        "opacity" | "stop-opacity" => "1",
        "display" => "inline",
        "stop-color" => "black",
        "clip-path" | "mask" | "filter" | "vector-effect" | "transform" => "none",
        // fill*, stroke*, visibility, color, marker*, paint-order: inherited.
        _ => "inherit",
    }
}

fn check_same_structure(a: &Scene, b: &Scene) -> Result<()> {
    let same = a.points.len() == b.points.len()
        && a.colors.len() == b.colors.len()
        && a.stroke_widths.len() == b.stroke_widths.len()
        && a.shapes.len() == b.shapes.len();
    if !same {
        return Err(Error::ParamMismatch(format!(
            "expected {} points, {} colours, {} stroke widths; got {}, {}, {}",
            a.points.len(),
            a.colors.len(),
            a.stroke_widths.len(),
            b.points.len(),
            b.colors.len(),
            b.stroke_widths.len()
        )));
    }
    let bad = b.points.iter().flatten().chain(b.colors.iter().flatten()).chain(&b.stroke_widths);
    if bad.into_iter().any(|v| !v.is_finite()) {
        return Err(Error::ParamMismatch("parameters contain NaN or infinity".into()));
    }
    Ok(())
}

/// Writes `property` where the element's own value lives: its attribute if it was given as one,
/// otherwise the `style` attribute (which also overrides CSS rules and inherited values), as
/// `!important` where the value it replaces won as an `!important` declaration.
fn put(ed: &mut Editor<'_>, styles: &Styles, el: ElementId, property: &str, value: String) {
    match styles.get(el, property).map(|s| s.origin) {
        Some(Origin::Attribute) => ed.set_attribute(el, property, value),
        // An `!important` rule beats a plain `style` declaration; an important one beats it.
        _ if styles.is_important(el, property) => ed.set_style_property_important(el, property, value),
        _ => ed.set_style_property(el, property, value),
    }
}

/// Whether the colour a [`ColorSource`] names is opaque before its opacity property is applied
/// (`fill="#f00"`: yes; `fill="#f008"`, `rgba(…)`, `currentColor` with such a `color`, a
/// one-stop gradient whose stop has an opacity: no). Resolved as the scene build does; anything
/// it cannot tell counts as not opaque, which only writes one more property.
fn own_alpha_is_one(doc: &Document, styles: &Styles, shape: ElementId, c: &ColorSource) -> bool {
    let current_color =
        styles.inherited(doc, shape, "color").and_then(|(_, s)| parse_color(&s.value)).unwrap_or([0.0, 0.0, 0.0, 1.0]);
    let alpha = if c.property == "stop-color" {
        let value = styles.own(c.element, "stop-color").map(|v| v.value.as_str()).unwrap_or("black");
        if value.eq_ignore_ascii_case("currentcolor") {
            Some(current_color[3])
        } else {
            Some(parse_color(value).map_or(1.0, |c| c[3]))
        }
    } else {
        let default = if c.property == "fill" { "black" } else { "none" };
        let value = styles.inherited(doc, c.element, c.property).map(|(_, s)| s.value.as_str()).unwrap_or(default);
        let viewport = kurbo::Vec2::new(100.0, 100.0); // colours do not depend on it
        match resolve_paint(doc, styles, value, current_color, viewport, &mut Vec::new()) {
            ResolvedPaint::Color(c) => Some(c[3]),
            _ => None,
        }
    };
    alpha == Some(1.0)
}

/// `#rrggbb` of a straight colour (alpha goes to the opacity property).
fn hex(c: [f32; 4]) -> String {
    let b = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    format!("#{:02x}{:02x}{:02x}", b(c[0]), b(c[1]), b(c[2]))
}

/// A number with 8 significant digits (at most 15 decimals: tiny values keep fewer, and under
/// 5e-16 become `0`), trailing zeros trimmed: short, and as fine as the f32 canvas coordinates, so a
/// write-back and re-load reproduces the scene (within 1e-6 relative).
pub(crate) fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (7 - magnitude).clamp(0, 15) as usize;
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { "0".into() } else { s }
}

/// Path data of subpaths, mapped through `to_user` (canvas → element user space).
fn path_data(scene: &Scene, subpaths: &[super::Subpath], to_user: kurbo::Affine) -> String {
    let mut d = String::new();
    for sp in subpaths {
        if !d.is_empty() {
            d.push(' ');
        }
        push_subpath(&mut d, scene.subpath_points(sp), sp.segments as usize, sp.closed, to_user);
    }
    d
}

/// Appends one subpath (`M`, a `C` per segment, `Z` if closed) of the control points `pts`
/// (canvas units), mapped through `to_user`.
fn push_subpath(d: &mut String, pts: &[[f32; 2]], segments: usize, closed: bool, to_user: kurbo::Affine) {
    let pt = |p: [f32; 2]| {
        let q = to_user * kurbo::Point::new(p[0] as f64, p[1] as f64);
        format!("{},{}", number(q.x), number(q.y))
    };
    if pts.is_empty() {
        return;
    }
    d.push_str("M ");
    d.push_str(&pt(pts[0]));
    for s in 0..segments {
        let at = |i: usize| pts[(3 * s + i) % pts.len()];
        d.push_str(&format!(" C {} {} {}", pt(at(1)), pt(at(2)), pt(at(3))));
    }
    if closed {
        d.push_str(" Z");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_precise() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-0.000_000_000_1), "-0.0000000001");
        assert_eq!(number(123_456.789_012_3), "123456.79");
        assert_eq!(number(1.0 / 3.0), "0.33333333");
        assert_eq!(number(-1e-20), "0");
        let v = 517.123_456_7_f64;
        assert!((number(v).parse::<f64>().unwrap() - v).abs() < 1e-4);
    }
}
